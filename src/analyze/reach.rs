//! Reachability: which of a service's files its entry points import,
//! directly or through other files of the tree.
//!
//! The graph is built from the import facts the parsers found, per
//! language: Python modules (absolute, relative, `from pkg import mod`,
//! dotted names in strings, Django's settings and installed apps), JS
//! and TS relative `import`/`require`, Go packages (a directory is one
//! package), the Rust module tree (`mod x;`, `use crate::`/`self::`/
//! `super::`, a workspace crate's name), Ruby `require_relative` and
//! `require` of the tree's `lib/`, PHP `require`/`include` of a literal
//! path and `use` of a class whose path ends like its name, C and C++
//! `#include` of the tree's headers (and the `.c`/`.cpp` beside each),
//! Java and Kotlin packages (a directory is one package; a Spring Boot
//! application scans the packages under its own), C# namespaces (a
//! `using` reaches the files that declare the namespace), Elixir modules
//! (a file reaches the files defining the modules it names). A file no entry point reaches is `unreachable`; one only a
//! side entry point reaches is `optional`; a reached file's evidence carries
//! the chain of imports that reaches it. Where the graph cannot decide (a
//! language without a resolver here, a dynamic import, a bound hit) the
//! file is `undecided` and judged as before, with lower confidence: the
//! walk never hides evidence it is not sure of.
//!
//! The walk is breadth-first, bounded in nodes and depth, and linear in the
//! number of edges.

use crate::analyze::finding::Hit;
use crate::analyze::go_commands;
use crate::analyze::library_mods::{LibraryMod, RustLibraries};
use crate::model::context::Context;
use crate::model::fact::{AsImport, Location};
use crate::model::language::Language;
use crate::model::path::dir_of;
use crate::model::service::{ReachStatus, Reachability};
use crate::parse::rust_paths::{is_mod, RUNS_UNNAMED};
use crate::parse::source::{DJANGO_CLI, DJANGO_LOADER, DJANGO_SETTINGS};
use crate::rules::Confidence;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

/// Declared by a Rust file its manifest makes a crate root under a name of
/// its own (`[[bin]] path = "src/radiusd.rs"`, `[lib] path`).
pub(crate) const CRATE_ROOT: &str = "(crate root)";

/// Prefixes the module path a Go file declares when it sits in the
/// directory of the go.mod that names it (`go:module github.com/acme/app`).
pub(crate) const GO_MODULE: &str = "go:module ";

/// Nodes visited before the walk gives up (the rest is undecided).
const MAX_NODES: usize = 50_000;
/// Import hops followed from an entry point.
const MAX_DEPTH: usize = 256;

/// One code file of the service.
#[derive(Clone, Debug)]
pub(crate) struct File {
    pub rel: String,
    pub language: Language,
    /// It imports by a computed name (`importlib.import_module(x)`,
    /// `import(x)`, `require(x)`): what it pulls in cannot be known.
    pub dynamic: bool,
    /// The C# namespaces or Elixir modules it declares; for Rust, the
    /// names code uses the library it is the root of by (its Cargo.toml's),
    /// and `parse::rust_paths::RUNS_UNNAMED` when it holds code that runs
    /// with no path naming its module, and `CRATE_ROOT` when its manifest
    /// makes it a crate root under another name than `main.rs`/`lib.rs`.
    pub declares: Vec<String>,
    /// The Elixir modules it names in code; the first one or two parts of
    /// the paths a Rust file writes in code (`shop_core`,
    /// `shop_core::money`).
    pub refers: Vec<String>,
}

/// An entry point's file, and whether the service runs it on its main path.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub rel: String,
    pub main: bool,
    /// It starts a framework that finds its classes by scanning the
    /// packages under its own (Spring Boot): those are reached.
    pub scans: bool,
}

/// How an entry point reaches a node: the entry, then each import site.
/// A node's chain is its parent's plus one step, shared rather than
/// copied: a walk over tens of thousands of Go declarations held a full
/// copy per node (on a tree of 1,061 Go files, 19 MB of the scan's 81 MB
/// peak heap), where a shared prefix holds one step per node.
#[derive(Clone, Default)]
pub(crate) struct Chain(Option<Arc<Link>>);

/// Dropping a chain drops its links one call deep each, which MAX_DEPTH
/// bounds.
struct Link {
    at: Location,
    prev: Chain,
    len: usize,
}

impl Chain {
    /// A chain of one step.
    pub(crate) fn start(at: Location) -> Chain {
        Chain::default().then(at)
    }

    /// This chain followed by `at`.
    pub(crate) fn then(&self, at: Location) -> Chain {
        Chain(Some(Arc::new(Link {
            at,
            prev: self.clone(),
            len: self.len() + 1,
        })))
    }

    pub(crate) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |l| l.len)
    }

    /// The last step.
    pub(crate) fn last(&self) -> Option<&Location> {
        self.0.as_ref().map(|l| &l.at)
    }

    /// The steps from the last back to the entry.
    fn backwards(&self) -> impl Iterator<Item = &Location> {
        std::iter::successors(self.0.as_deref(), |l| l.prev.0.as_deref()).map(|l| &l.at)
    }

    /// The first step: the entry point.
    pub(crate) fn first(&self) -> Option<&Location> {
        self.backwards().last()
    }

    /// The steps in order, entry first.
    pub(crate) fn to_vec(&self) -> Vec<Location> {
        let mut v: Vec<Location> = self.backwards().cloned().collect();
        v.reverse();
        v
    }
}

impl PartialEq for Chain {
    fn eq(&self, other: &Chain) -> bool {
        self.len() == other.len() && self.backwards().eq(other.backwards())
    }
}

impl Eq for Chain {}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.to_vec()).finish()
    }
}

/// Where a file sits once the walk is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Placed {
    /// Reached from a main entry point: the entry, then each import site.
    Reached(Chain),
    /// Reached only from a side entry point.
    Optional(Chain),
    Unreachable,
    Undecided,
}

#[derive(Debug)]
pub(crate) struct Outcome {
    pub reachability: Reachability,
    pub placed: HashMap<String, Placed>,
    pub notes: Vec<String>,
    /// Per Python file, the Python files that import it, for who calls
    /// what (`analyze::callers`).
    pub importers: HashMap<String, Vec<String>>,
    /// Per Go file walked a declaration at a time, where each declaration
    /// (first line, last line) was placed (analyze::go_commands).
    pub spans: HashMap<String, Vec<(u32, u32, Placed)>>,
}

impl Outcome {
    /// Where evidence at `line` of `rel` sits: its declaration's place
    /// where the file was walked a declaration at a time, else the file's.
    pub(crate) fn placed_at(&self, rel: &str, line: Option<u32>) -> Option<&Placed> {
        let span = line.and_then(|l| {
            self.spans
                .get(rel)?
                .iter()
                .find(|(first, last, _)| (*first..=*last).contains(&l))
        });
        match span {
            Some((.., p)) => Some(p),
            None => self.placed.get(rel),
        }
    }

    /// Keeps the chains but leaves nothing out: for a tree with no shipping
    /// image, what its programs do not import may still be the library it
    /// publishes. What only a side program imports (a Django project's
    /// command line beside its WSGI module) stays the side program's, but
    /// only where the main entry points reach more than the side ones: a
    /// main path that stops at once (`node index` loading a build output)
    /// is one the graph could not follow, and the side program (`ts-node
    /// server/index.ts`) may well be the service.
    pub(crate) fn advisory(&mut self) {
        let count = |placed: &HashMap<String, Placed>, is: fn(&Placed) -> bool| {
            placed.values().filter(|p| is(p)).count()
        };
        let side_only = |p: &Placed| matches!(p, Placed::Optional(_));
        let reached = count(&self.placed, |p| matches!(p, Placed::Reached(_)));
        let keep_side = reached > count(&self.placed, side_only);
        let mut changed = false;
        let spans = self
            .spans
            .values_mut()
            .flat_map(|s| s.iter_mut().map(|(.., p)| p));
        for p in self.placed.values_mut().chain(spans) {
            if matches!(p, Placed::Unreachable) || (side_only(p) && !keep_side) {
                *p = Placed::Undecided;
                changed = true;
            }
        }
        if changed {
            self.notes.push(
                "no shipping image: code no entry point imports is still judged (it may be the library the tree publishes)"
                    .into(),
            );
        }
        let mut r = self.reachability.clone();
        r.status = ReachStatus::None;
        // The loop above moves nothing into or out of `Reached`.
        r.reached = reached;
        r.optional = count(&self.placed, side_only);
        r.unreachable = 0;
        r.undecided = r.files - r.reached - r.optional;
        self.reachability = r;
    }
}

fn resolves(lang: Language) -> bool {
    use Language::*;
    matches!(
        lang,
        Python
            | JavaScript
            | TypeScript
            | Go
            | Rust
            | Ruby
            | Php
            | C
            | Cpp
            | Java
            | Kotlin
            | CSharp
            | Elixir
    )
}

/// The node a file belongs to: itself, or for Go, Java and Kotlin its
/// package directory (a package's files see each other without imports),
/// except in a Go package of commands walked a declaration at a time
/// (analyze::go_commands), where a file's node holds the imports none of
/// its declarations is seen to use.
fn node_of(f: &File) -> String {
    match f.language {
        Language::Go if go_commands::file_level(f) => f.rel.clone(),
        Language::Go => format!("go:{}", dir_of(&f.rel)),
        Language::Java | Language::Kotlin => format!("jvm:{}", dir_of(&f.rel)),
        _ => f.rel.clone(),
    }
}

/// Values by every `/`-aligned suffix of a path (`net/conn.h`, `conn.h`),
/// stored once per path: a table of every suffix would hold the square of
/// the path's depth per file (1.8 GB for 2,000 files 1,000 directories
/// deep).
#[derive(Default)]
struct Suffixes {
    /// By the last part of the path, which every suffix ends with:
    /// (path, value), in the order added.
    by_last: HashMap<String, Vec<(String, String)>>,
}

impl Suffixes {
    fn insert(&mut self, path: &str, value: &str) {
        let last = path.rsplit('/').next().unwrap_or(path);
        self.by_last
            .entry(last.to_string())
            .or_default()
            .push((path.to_string(), value.to_string()));
    }

    /// The values of the paths one of whose suffixes is `key`, each once,
    /// in the order first added; None when there are none.
    fn get(&self, key: &str) -> Option<Vec<String>> {
        let last = key.rsplit('/').next().unwrap_or(key);
        let mut out: Vec<String> = Vec::new();
        for (path, value) in self.by_last.get(last)? {
            let suffix = path.ends_with(key)
                && (path.len() == key.len() || path.as_bytes()[path.len() - key.len() - 1] == b'/');
            if suffix && !out.contains(value) {
                out.push(value.clone());
            }
        }
        (!out.is_empty()).then_some(out)
    }
}

fn push_unique(map: &mut HashMap<String, Vec<String>>, key: &str, value: &str) {
    let v = map.entry(key.to_string()).or_default();
    if !v.iter().any(|x| x == value) {
        v.push(value.to_string());
    }
}

/// Python files by every dotted-name suffix of their module path
/// (`orders.store`, `store`), kept as one dotted path per file: a table of
/// every suffix would hold the square of the path's depth per file (1.8 GB
/// for 2,000 files 1,000 directories deep).
#[derive(Default)]
struct PyModules {
    /// By the last dotted part of the path, which every suffix ends with:
    /// (the dotted path, where each of its path parts starts, the file),
    /// in the order of the files.
    by_last: HashMap<String, Vec<(String, Vec<usize>, String)>>,
}

impl PyModules {
    fn insert(&mut self, parts: &[&str], rel: &str) {
        let dotted = parts.join(".");
        let mut starts = Vec::with_capacity(parts.len());
        let mut at = 0;
        for p in parts {
            starts.push(at);
            at += p.len() + 1;
        }
        let last = dotted.rsplit('.').next().unwrap_or("").to_string();
        self.by_last
            .entry(last)
            .or_default()
            .push((dotted, starts, rel.to_string()));
    }

    /// The files one of whose dotted-name suffixes, starting at a path
    /// part, is `name`, under the fewest leading directories: the tree's
    /// import roots are not known, but `from shop import utils` means
    /// `shop/utils.py` rather than `shop/views/shop.py`'s neighbour, and a
    /// name found at a shallower root wins.
    fn get<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        let last = name.rsplit('.').next().unwrap_or("");
        let matches: Vec<(usize, &String)> = self
            .by_last
            .get(last)
            .into_iter()
            .flatten()
            .filter_map(move |(dotted, starts, rel)| {
                if !dotted.ends_with(name) {
                    return None;
                }
                let lead = starts
                    .iter()
                    .position(|&s| s == dotted.len() - name.len())?;
                Some((lead, rel))
            })
            .collect();
        let fewest = matches.iter().map(|(lead, _)| *lead).min().unwrap_or(0);
        matches
            .into_iter()
            .filter(move |(lead, _)| *lead == fewest)
            .map(|(_, rel)| rel)
    }
}

/// Index of the tree's modules for resolving import names.
struct Index {
    /// Python modules by dotted-name suffix.
    python: PyModules,
    /// Every file, for JS relative resolution.
    files: HashSet<String>,
    /// Go package directories by every path suffix (`internal/serve`,
    /// `serve`).
    go: Suffixes,
    /// Java and Kotlin files by every suffix of their path without the
    /// extension (`com/acme/App`), and package directories by every
    /// suffix (`com/acme`).
    jvm: Suffixes,
    jvm_packages: Suffixes,
    /// C and C++ files by every path suffix (`net/conn.h`, `conn.h`).
    c: Suffixes,
    /// Ruby files by their path under a `lib/` directory (`shop/cart.rb`).
    ruby_lib: HashMap<String, Vec<String>>,
    /// PHP files by every suffix of their path, lower case.
    php: Suffixes,
    /// A workspace's Rust crates: `src/lib.rs` by the crate's directory
    /// name as code writes it (`my-crate` -> `my_crate`).
    rust_crates: HashMap<String, String>,
    /// Rust files a manifest makes crate roots (`[[bin]] path`, `[lib]
    /// path`): their `mod x;` is beside them, as a `main.rs`'s is.
    rust_roots: HashSet<String>,
    /// C# namespaces some file declares.
    namespaces: HashSet<String>,
    /// Elixir files by every dot-aligned suffix of the modules they define
    /// (`Shop.Web.Router`, `Web.Router`, `Router`): Phoenix names
    /// controllers inside a `scope` by their last parts.
    modules: HashMap<String, Vec<String>>,
}

impl Index {
    fn new(files: &[File]) -> Index {
        let mut python = PyModules::default();
        let mut go = Suffixes::default();
        let mut jvm = Suffixes::default();
        let mut jvm_packages = Suffixes::default();
        let mut c = Suffixes::default();
        let mut ruby_lib: HashMap<String, Vec<String>> = HashMap::new();
        let mut php = Suffixes::default();
        let mut rust_crates: HashMap<String, String> = HashMap::new();
        let mut rust_roots: HashSet<String> = HashSet::new();
        let mut namespaces: HashSet<String> = HashSet::new();
        let mut modules: HashMap<String, Vec<String>> = HashMap::new();
        for f in files {
            match f.language {
                Language::CSharp => namespaces.extend(f.declares.iter().cloned()),
                Language::Elixir => {
                    for m in &f.declares {
                        let dots =
                            std::iter::once(0).chain(m.match_indices('.').map(|(i, _)| i + 1));
                        for i in dots {
                            push_unique(&mut modules, &m[i..], &f.rel);
                        }
                    }
                }
                Language::Java | Language::Kotlin => {
                    let stem = f.rel.rsplit_once('.').map_or(f.rel.as_str(), |(s, _)| s);
                    jvm.insert(stem, &f.rel);
                    let dir = dir_of(&f.rel);
                    if !dir.is_empty() {
                        jvm_packages.insert(dir, dir);
                    }
                }
                Language::C | Language::Cpp => c.insert(&f.rel, &f.rel),
                Language::Ruby => {
                    let under_lib = f
                        .rel
                        .strip_prefix("lib/")
                        .or_else(|| f.rel.split_once("/lib/").map(|(_, r)| r));
                    if let Some(r) = under_lib {
                        push_unique(&mut ruby_lib, r, &f.rel);
                    }
                }
                Language::Php => php.insert(&f.rel.to_ascii_lowercase(), &f.rel),
                Language::Rust => {
                    // The name its manifest gives, else its directory's.
                    for name in f.declares.iter().filter(|d| *d != RUNS_UNNAMED) {
                        if name == CRATE_ROOT {
                            rust_roots.insert(f.rel.clone());
                        } else {
                            rust_crates.insert(name.clone(), f.rel.clone());
                        }
                    }
                    if let Some(dir) = f.rel.strip_suffix("/src/lib.rs") {
                        let name = dir.rsplit('/').next().unwrap_or(dir).replace('-', "_");
                        rust_crates.entry(name).or_insert_with(|| f.rel.clone());
                    }
                }
                Language::Python => {
                    let stem = f.rel.strip_suffix(".py").unwrap_or(&f.rel);
                    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
                    let parts: Vec<&str> = stem.split('/').collect();
                    python.insert(&parts, &f.rel);
                }
                Language::Go => {
                    // Paths from the walk have no empty parts: the
                    // directory's suffixes are its `/`-aligned ones.
                    let dir = dir_of(&f.rel);
                    if !dir.is_empty() {
                        go.insert(dir, dir);
                    }
                }
                _ => {}
            }
        }
        Index {
            python,
            files: files.iter().map(|f| f.rel.clone()).collect(),
            go,
            jvm,
            jvm_packages,
            c,
            ruby_lib,
            php,
            rust_crates,
            rust_roots,
            namespaces,
            modules,
        }
    }

    /// The files (or Go package nodes) an import in `from` names, empty
    /// when it is not the tree's (a package, the standard library).
    fn resolve(&self, from: &File, module: &str, snippet: &str) -> Vec<String> {
        match from.language {
            Language::Python => self.python_targets(from, module, snippet),
            Language::JavaScript | Language::TypeScript => self.js_targets(from, module),
            Language::Go => self.go_targets(module),
            Language::Rust => self.rust_targets(from, module),
            Language::Ruby => self.ruby_targets(from, module, snippet),
            Language::Php => self.php_targets(from, module, snippet),
            Language::C | Language::Cpp => self.c_targets(from, module, snippet),
            Language::Java | Language::Kotlin => self.jvm_targets(module),
            Language::CSharp => self.cs_targets(module),
            // Elixir's edges come from the modules a file names.
            _ => Vec::new(),
        }
    }

    /// `using Shop.Media;` -> the namespace's node; `using static
    /// Shop.Media.Convert;` -> the namespace the class is in.
    fn cs_targets(&self, name: &str) -> Vec<String> {
        let mut key = name;
        loop {
            if self.namespaces.contains(key) {
                return vec![format!("cs:{key}")];
            }
            match key.rsplit_once('.') {
                Some((parent, _)) => key = parent,
                None => return Vec::new(),
            }
        }
    }

    fn exists(&self, p: &str) -> Option<String> {
        self.files.contains(p).then(|| p.to_string())
    }

    /// The tree's file at `path` from the importing file's directory
    /// (`require_relative`, `#include "x.h"`, `include!("x.rs")`).
    fn beside(&self, from: &File, path: &str) -> Option<String> {
        crate::analyze::units::join(dir_of(&from.rel), path).and_then(|p| self.exists(&p))
    }

    /// Whether a manifest makes this Rust file a crate root.
    fn rust_root(&self, f: &File) -> bool {
        self.rust_roots.contains(&f.rel)
    }

    /// `crate::a::b`, `self::x` (a `mod x;`), `super::x`, or a workspace
    /// crate's path: the deepest module file that exists; or a file
    /// `include!` or `#[path]` names.
    fn rust_targets(&self, from: &File, path: &str) -> Vec<String> {
        // A file `include!` or `#[path]` names, from this file's directory
        // (parse::source: `/` and `.` are never in a `use` path).
        if path.contains(['/', '.']) {
            return self.beside(from, path).into_iter().collect();
        }
        let mut parts = path.split("::").filter(|p| !p.is_empty());
        let Some(first) = parts.next() else {
            return Vec::new();
        };
        let rest: Vec<&str> = parts.collect();
        let mut rest = &rest[..];
        let (base, root) = match first {
            "crate" => match rust_crate_dir(self, &from.rel) {
                Some(d) => (d, None),
                None => return Vec::new(),
            },
            "self" => (rust_module_dir(&from.rel, self.rust_root(from)), None),
            "super" => {
                let mut d = dir_of(&rust_module_dir(&from.rel, self.rust_root(from))).to_string();
                while let Some(("super", more)) = rest.split_first().map(|(a, b)| (*a, b)) {
                    d = dir_of(&d).to_string();
                    rest = more;
                }
                (d, None)
            }
            name => match self.rust_crates.get(name) {
                Some(lib) => (dir_of(lib).to_string(), Some(lib.clone())),
                None => return Vec::new(),
            },
        };
        for k in (1..=rest.len()).rev() {
            let p = join_path(&base, &rest[..k].join("/"));
            if let Some(f) = self
                .exists(&format!("{p}.rs"))
                .or_else(|| self.exists(&format!("{p}/mod.rs")))
            {
                return vec![f];
            }
        }
        root.into_iter().collect()
    }

    fn ruby_targets(&self, from: &File, module: &str, snippet: &str) -> Vec<String> {
        let file = if module.ends_with(".rb") {
            module.to_string()
        } else {
            format!("{module}.rb")
        };
        if snippet.contains("require_relative") {
            return self.beside(from, &file).into_iter().collect();
        }
        // `require "shop/cart"` loads from the load path: the tree's
        // `lib/` directories, or the working directory (`./x`).
        let mut out: Vec<String> = self.ruby_lib.get(&file).cloned().unwrap_or_default();
        if let Some(p) = crate::analyze::units::join("", &file).and_then(|p| self.exists(&p)) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
        out
    }

    fn php_targets(&self, from: &File, module: &str, snippet: &str) -> Vec<String> {
        if module.contains('\\') {
            // `use App\Http\Kernel`: the file whose path ends like the
            // name (PSR-4 maps a prefix to a directory; the rest is the
            // path), at least namespace and class.
            let lower = module.trim_start_matches('\\').to_ascii_lowercase();
            let parts: Vec<&str> = lower.split('\\').collect();
            for i in 0..parts.len().saturating_sub(1) {
                if let Some(v) = self.php.get(&format!("{}.php", parts[i..].join("/"))) {
                    return v;
                }
            }
            return Vec::new();
        }
        let dir = dir_of(&from.rel);
        let cands = if snippet.contains("__DIR__") || snippet.contains("__FILE__") {
            vec![crate::analyze::units::join(
                dir,
                module.trim_start_matches('/'),
            )]
        } else {
            vec![
                crate::analyze::units::join(dir, module),
                crate::analyze::units::join("", module),
            ]
        };
        cands
            .into_iter()
            .flatten()
            .find_map(|p| self.exists(&p))
            .into_iter()
            .collect()
    }

    /// `#include "x.h"` from the including file's directory, else the
    /// tree's file whose path ends so (an `-I` directory); `<x.h>` only
    /// when it names a directory too (`<shop/cart.h>`), so `<stdio.h>` is
    /// not a bundled copy.
    fn c_targets(&self, from: &File, header: &str, snippet: &str) -> Vec<String> {
        let quoted = snippet.contains('"');
        if quoted {
            if let Some(p) = self.beside(from, header) {
                return vec![p];
            }
        }
        if !quoted && !header.contains('/') {
            return Vec::new();
        }
        let key = header.trim_start_matches("./");
        self.c.get(key).unwrap_or_default()
    }

    /// `import com.acme.App` -> the package of `com/acme/App.java`;
    /// `import com.acme.*` or a static or inner-class import -> the package
    /// the name is in. Only names of two parts or more.
    fn jvm_targets(&self, name: &str) -> Vec<String> {
        let path = name.trim_end_matches(['.', '*']).replace('.', "/");
        let mut key = path.as_str();
        for _ in 0..3 {
            if !key.contains('/') {
                break;
            }
            if let Some(files) = self.jvm.get(key) {
                return files.iter().map(|f| format!("jvm:{}", dir_of(f))).collect();
            }
            if let Some(dirs) = self.jvm_packages.get(key) {
                return dirs.iter().map(|d| format!("jvm:{d}")).collect();
            }
            key = dir_of(key);
        }
        Vec::new()
    }

    fn python_targets(&self, from: &File, module: &str, snippet: &str) -> Vec<String> {
        // `from x import a, b`: a and b may be modules of package x.
        let names: Vec<&str> = snippet
            .split_once(" import ")
            .filter(|_| snippet.trim_start().starts_with("from "))
            .map(|(_, rest)| {
                rest.trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace())
                    .split(',')
                    .map(|n| n.split_whitespace().next().unwrap_or(""))
                    .filter(|n| !n.is_empty() && *n != "*")
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        if module.starts_with('.') {
            let dots = module.len() - module.trim_start_matches('.').len();
            let mut base = dir_of(&from.rel).to_string();
            for _ in 1..dots {
                base = dir_of(&base).to_string();
            }
            add_relative(self, &base, &module[dots..], &names, &mut out);
            return out;
        }
        // An absolute name: any module of the tree whose dotted path ends
        // with it (the tree's import roots are not known).
        for name in std::iter::once(String::new()).chain(names.iter().map(|n| format!(".{n}"))) {
            let key = format!("{module}{name}");
            for rel in self.python.get(&key) {
                if !out.contains(rel) {
                    out.push(rel.clone());
                }
            }
        }
        out
    }

    fn js_targets(&self, from: &File, spec: &str) -> Vec<String> {
        if !spec.starts_with("./") && !spec.starts_with("../") && spec != "." && spec != ".." {
            return Vec::new();
        }
        let Some(base) = crate::analyze::units::join(dir_of(&from.rel), spec) else {
            return Vec::new();
        };
        const EXT: [&str; 8] = ["", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts"];
        for e in EXT {
            let c = format!("{base}{e}");
            if self.files.contains(&c) {
                return vec![c];
            }
        }
        // `./x.js` written for a `x.ts` source (TypeScript's ESM style).
        if let Some(stem) = base.strip_suffix(".js") {
            for e in [".ts", ".tsx"] {
                let c = format!("{stem}{e}");
                if self.files.contains(&c) {
                    return vec![c];
                }
            }
        }
        for e in EXT.iter().skip(1) {
            let c = if base.is_empty() {
                format!("index{e}")
            } else {
                format!("{base}/index{e}")
            };
            if self.files.contains(&c) {
                return vec![c];
            }
        }
        // A build output the tree does not hold (`require("./dist/server/
        // index.js")` before `yarn build`): the source it is built from.
        let built = ["dist/", "build/", "lib/", "out/"]
            .iter()
            .any(|d| base.starts_with(d) || base.contains(&format!("/{d}")));
        if built {
            if let Some(source) =
                crate::analyze::entries::js_source(&base, |c| self.files.contains(c))
            {
                return vec![source];
            }
        }
        Vec::new()
    }

    fn go_targets(&self, path: &str) -> Vec<String> {
        self.go_match(path)
            .map(|(_, dirs)| dirs.iter().map(|d| format!("go:{d}")).collect())
            .unwrap_or_default()
    }

    /// The package directories whose path ends with the longest suffix of
    /// `path` that any has, and where that suffix starts in `path`.
    fn go_match(&self, path: &str) -> Option<(usize, Vec<String>)> {
        let parts: Vec<&str> = path.split('/').collect();
        // The standard library's paths have no dot in their first element
        // and would match any directory named `log` or `http`: only module
        // paths (a domain first) or multi-element paths are looked up.
        let module_path = is_go_module_path(path);
        for i in 0..parts.len() {
            let key = parts[i..].join("/");
            if !module_path && parts.len() - i < 2 {
                break;
            }
            if let Some(dirs) = self.go.get(&key) {
                return Some((i, dirs));
            }
        }
        None
    }
}

/// A Go import path that starts with a domain (`github.com/acme/app`), not
/// the standard library's.
fn is_go_module_path(path: &str) -> bool {
    path.split('/').next().is_some_and(|p| p.contains('.'))
}

/// Go: a module's root package has no directory name to match
/// (`github.com/acme/app` is the directory of go.mod, whatever it is
/// called). The module's other packages say where it is: when
/// `github.com/acme/app/cpupick` resolved to `cpupick`, the module
/// `github.com/acme/app` is the root. Maps each such module prefix to its
/// directory (`""` for the scan root); `modules` are the module-path
/// imports that resolved.
fn go_module_roots<'a>(
    ix: &Index,
    modules: impl Iterator<Item = &'a str>,
) -> HashMap<String, String> {
    let mut roots: HashMap<String, String> = HashMap::new();
    for module in modules {
        let Some((i, dirs)) = ix.go_match(module) else {
            continue;
        };
        if i == 0 {
            continue;
        }
        let parts: Vec<&str> = module.split('/').collect();
        let key = parts[i..].join("/");
        let prefix = parts[..i].join("/");
        if roots.contains_key(&prefix) {
            continue;
        }
        // One package directory only: with several, the root is a guess.
        if let [d] = dirs.as_slice() {
            if let Some(root) = d.strip_suffix(key.as_str()) {
                roots.insert(prefix, root.trim_end_matches('/').to_string());
            }
        }
    }
    roots
}

/// Rust: a binary (`src/main.rs`, `src/bin/x.rs`) may use its package's
/// library by name with no `use`, and any file may write a workspace
/// crate's path in code (`shop_core::run()`).
fn rust_edges(files: &[File], ix: &Index, edges: &mut HashMap<String, Vec<(String, Location)>>) {
    for f in files.iter().filter(|f| f.language == Language::Rust) {
        let bin_root = f.rel.strip_suffix("src/main.rs").or_else(|| {
            let (before, after) = f.rel.split_once("src/bin/")?;
            (!before.contains("src/bin/") && (!after.contains('/') || after.ends_with("/main.rs")))
                .then_some(before)
        });
        if let Some(pkg) = bin_root {
            let lib = format!("{pkg}src/lib.rs");
            if ix.files.contains(&lib) {
                edges
                    .entry(f.rel.clone())
                    .or_default()
                    .push((lib, Location::file(&f.rel, "the package's library")));
            }
        }
        for r in &f.refers {
            // `shop_core` reaches the crate's root, `shop_core::money` its
            // module's file (the root where there is none).
            let targets = match r.split_once("::") {
                Some((krate, _)) if ix.rust_crates.contains_key(krate) => ix.rust_targets(f, r),
                Some(_) => Vec::new(),
                None => ix.rust_crates.get(r).cloned().into_iter().collect(),
            };
            for target in targets.into_iter().filter(|t| t != &f.rel) {
                edges
                    .entry(f.rel.clone())
                    .or_default()
                    .push((target, Location::file(&f.rel, r)));
            }
        }
    }
}

/// Python modules a file names in strings (a framework imports them by
/// name: Django's settings, apps, URL modules and middleware, Celery's
/// task modules), and the modules Django imports from each package a
/// settings module lists in `INSTALLED_APPS` (models, admin, signals,
/// tasks, template tags). An app's management commands and migrations are
/// run by Django's command line (`manage.py`), not by the server: they hang
/// from the files that start it, so they are optional where `manage.py` is
/// a side entry point beside a named server, and unreachable where nothing
/// starts the command line.
fn python_name_edges(
    files: &[File],
    ix: &Index,
    edges: &mut HashMap<String, Vec<(String, Location)>>,
) {
    let mut apps: HashMap<String, String> = HashMap::new();
    for f in files.iter().filter(|f| f.language == Language::Python) {
        let settings = declares(f, DJANGO_SETTINGS);
        for r in &f.refers {
            let targets = python_named(ix, r);
            for t in &targets {
                if t != &f.rel {
                    edges
                        .entry(f.rel.clone())
                        .or_default()
                        .push((t.clone(), Location::file(&f.rel, r)));
                }
                if settings {
                    apps.entry(dir_of(t).to_string())
                        .or_insert_with(|| f.rel.clone());
                }
            }
        }
    }
    if apps.is_empty() {
        return;
    }
    const AUTOLOADED: [&str; 9] = [
        "models",
        "admin",
        "apps",
        "signals",
        "receivers",
        "handlers",
        "checks",
        "tasks",
        "urls",
    ];
    let command_lines: Vec<&str> = files
        .iter()
        .filter(|f| f.language == Language::Python && declares(f, DJANGO_CLI))
        .map(|f| f.rel.as_str())
        .collect();
    for f in files.iter().filter(|f| f.language == Language::Python) {
        let dir = dir_of(&f.rel);
        let stem = f
            .rel
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".py");
        let in_app = |sub: &str| dir.strip_suffix(sub).is_some_and(|d| apps.contains_key(d));
        if ["/management/commands", "/migrations"]
            .into_iter()
            .any(in_app)
        {
            for cli in command_lines.iter().filter(|c| **c != f.rel) {
                edges
                    .entry(cli.to_string())
                    .or_default()
                    .push((f.rel.clone(), Location::file(cli, "django command line")));
            }
            continue;
        }
        let app = if AUTOLOADED.contains(&stem) {
            apps.get(dir)
        } else {
            dir.strip_suffix("/templatetags").and_then(|d| apps.get(d))
        };
        if let Some(settings) = app {
            if settings != &f.rel {
                edges
                    .entry(settings.clone())
                    .or_default()
                    .push((f.rel.clone(), Location::file(settings, "INSTALLED_APPS")));
            }
        }
    }
}

/// Whether the file declares `what` (a name, or a framework marker such
/// as `DJANGO_CLI`).
fn declares(f: &File, what: &str) -> bool {
    f.declares.iter().any(|d| d == what)
}

/// The files a module name in a string names: the longest dotted prefix
/// of two parts or more that is a module of the tree (`shop.apps.Config`
/// -> `shop/apps.py`), or for a bare name, a package of that name.
fn python_named(ix: &Index, name: &str) -> Vec<String> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() == 1 {
        let init = format!("{name}/__init__.py");
        return ix
            .python
            .get(name)
            .filter(|rel| *rel == &init || rel.ends_with(&format!("/{init}")))
            .cloned()
            .collect();
    }
    for k in (2..=parts.len()).rev() {
        let key = parts[..k].join(".");
        let found: Vec<String> = ix.python.get(&key).cloned().collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// Compiled languages whose code other runtimes load.
fn is_native(lang: Language) -> bool {
    matches!(lang, Language::C | Language::Cpp | Language::Rust)
}

/// A language's family for the entry check: C and C++ link together.
fn native_family(lang: Language) -> &'static str {
    match lang {
        Language::Cpp => Language::C.id(),
        l => l.id(),
    }
}

const CS_GLOBAL_USINGS: &str = "cs:global using";

/// C#: a namespace's node reaches the files that declare it; a file sees
/// its own namespace, the ones that enclose it, the global namespace and
/// the project's `global using`s without naming them.
fn csharp_edges(files: &[File], edges: &mut HashMap<String, Vec<(String, Location)>>) {
    for f in files.iter().filter(|f| f.language == Language::CSharp) {
        let at = Location::file(&f.rel, "namespace");
        let own: Vec<&str> = if f.declares.is_empty() {
            vec![""]
        } else {
            f.declares.iter().map(String::as_str).collect()
        };
        let mut seen: Vec<String> = vec![CS_GLOBAL_USINGS.to_string(), "cs:".to_string()];
        for ns in own {
            edges
                .entry(format!("cs:{ns}"))
                .or_default()
                .push((f.rel.clone(), at.clone()));
            let mut n = ns;
            loop {
                let node = format!("cs:{n}");
                if !seen.contains(&node) {
                    seen.push(node);
                }
                match n.rsplit_once('.') {
                    Some((parent, _)) => n = parent,
                    None => break,
                }
            }
        }
        for node in seen {
            edges
                .entry(f.rel.clone())
                .or_default()
                .push((node, at.clone()));
        }
    }
}

fn join_path(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (false, true) => a.to_string(),
        (false, false) => format!("{a}/{b}"),
    }
}

/// The directory holding a Rust file's child modules: a crate root
/// (`main.rs`, `lib.rs`, `src/bin/x.rs`, a file a manifest names, `root`)
/// or `mod.rs` holds them beside it, `a.rs` in `a/`.
fn rust_module_dir(rel: &str, root: bool) -> String {
    let dir = dir_of(rel);
    let file = rel.rsplit('/').next().unwrap_or(rel);
    let stem = file.strip_suffix(".rs").unwrap_or(file);
    let root = root || matches!(stem, "main" | "lib" | "mod" | "build") || dir.ends_with("src/bin");
    if root {
        dir.to_string()
    } else {
        join_path(dir, stem)
    }
}

/// The nearest directory at or above `rel`'s holding `lib.rs` or
/// `main.rs`: where `crate::` paths start.
fn rust_crate_dir(ix: &Index, rel: &str) -> Option<String> {
    let mut d = dir_of(rel);
    loop {
        if ["lib.rs", "main.rs"]
            .iter()
            .any(|f| ix.files.contains(&join_path(d, f)))
        {
            return Some(d.to_string());
        }
        if d.is_empty() {
            return None;
        }
        d = dir_of(d);
    }
}

/// `from .rest import names` in package directory `base`.
fn add_relative(ix: &Index, base: &str, rest: &str, names: &[&str], out: &mut Vec<String>) {
    let p = rest.replace('.', "/");
    let p = match (base.is_empty(), p.is_empty()) {
        (true, _) => p,
        (false, true) => base.to_string(),
        (false, false) => format!("{base}/{p}"),
    };
    let join = |a: &str, b: &str| {
        if a.is_empty() {
            b.to_string()
        } else {
            format!("{a}/{b}")
        }
    };
    let mut cands = vec![join(&p, "__init__.py")];
    if !p.is_empty() {
        cands.push(format!("{p}.py"));
    }
    for n in names {
        cands.push(join(&p, &format!("{n}.py")));
        cands.push(join(&p, &format!("{n}/__init__.py")));
    }
    for c in cands {
        if ix.files.contains(&c) && !out.contains(&c) {
            out.push(c);
        }
    }
}

/// Walks the import graph of `files` from `entries`. `imports` are the
/// import facts of the tree (those of other files are ignored).
/// `imports` is walked twice, hence `Clone` (scan passes a view over the
/// per-file lists).
#[cfg(test)]
pub(crate) fn walk<'a, I>(files: &[File], imports: I, entries: &[Entry]) -> Outcome
where
    I: IntoIterator + Clone,
    I::Item: AsImport<'a>,
{
    walk_with(files, imports, entries, None)
}

/// `walk`, knowing the command line the service's image runs its program
/// with and the Go files' declarations: a Go package of cobra commands
/// then runs only the command the line names (analyze::go_commands).
pub(crate) fn walk_with<'a, I>(
    files: &[File],
    imports: I,
    entries: &[Entry],
    go: Option<go_commands::Commands>,
) -> Outcome
where
    I: IntoIterator + Clone,
    I::Item: AsImport<'a>,
{
    let mut notes = Vec::new();
    let ix = Index::new(files);
    let by_rel: HashMap<&str, &File> = files.iter().map(|f| (f.rel.as_str(), f)).collect();
    // Edges: node -> (target node, the import's location).
    let mut edges: HashMap<String, Vec<(String, Location)>> = HashMap::new();
    // Go imports by module path: (file, module, where, resolved), for the
    // module roots below.
    let mut go_imports: Vec<(&File, &str, Location, bool)> = Vec::new();
    // Rust: a workspace library's `mod x;` declarations, decided below.
    let libraries = RustLibraries::new(&ix.rust_crates, entries);
    let mut library_mods: Vec<LibraryMod> = Vec::new();
    for import in imports.clone() {
        let Some(import) = import.into_import() else {
            continue;
        };
        let module = import.module;
        let Some(from) = by_rel.get(import.path) else {
            continue;
        };
        if !resolves(from.language) {
            continue;
        }
        // `global using X;` applies to every file of the project.
        let source = if from.language == Language::CSharp
            && import.snippet.trim_start().starts_with("global ")
        {
            CS_GLOBAL_USINGS.to_string()
        } else {
            node_of(from)
        };
        let targets = ix.resolve(from, module, import.snippet);
        if from.language == Language::Rust && libraries.gates(&from.rel) {
            if let Some(name) = module
                .strip_prefix("self::")
                .filter(|_| is_mod(import.snippet))
            {
                library_mods.push(LibraryMod {
                    root: from.rel.clone(),
                    name: name.to_string(),
                    targets,
                    at: import.location(),
                });
                continue;
            }
        }
        if from.language == Language::Go && is_go_module_path(module) {
            go_imports.push((from, module, import.location(), !targets.is_empty()));
        }
        for target in targets {
            // C and C++: a source file that includes a header of the
            // program implements or uses what it declares, whatever its
            // name (`intel.h` implemented by `intel_i915.c`); the build
            // links it with the rest.
            if matches!(from.language, Language::C | Language::Cpp) && target != from.rel {
                edges
                    .entry(target.clone())
                    .or_default()
                    .push((from.rel.clone(), Location::file(&from.rel, "includes it")));
            }
            let target = match by_rel.get(target.as_str()) {
                Some(f) => node_of(f),
                None => target,
            };
            edges
                .entry(source.clone())
                .or_default()
                .push((target, import.location()));
        }
    }
    libraries.named_mods(files, imports.clone(), library_mods, &mut edges);
    // Go imports of a module's root package.
    let mut go_roots = go_module_roots(
        &ix,
        go_imports
            .iter()
            .filter(|(.., resolved)| *resolved)
            .map(|(_, module, ..)| *module),
    );
    // What a go.mod says wins over what the imports suggest.
    for f in files.iter().filter(|f| f.language == Language::Go) {
        for m in f.declares.iter().filter_map(|d| d.strip_prefix(GO_MODULE)) {
            go_roots.insert(m.to_string(), dir_of(&f.rel).to_string());
        }
    }
    if !go_roots.is_empty() {
        let root_packages: HashSet<&str> = files
            .iter()
            .filter(|f| f.language == Language::Go)
            .map(|f| dir_of(&f.rel))
            .collect();
        // Whatever else the path's last parts matched (`app` can be
        // `cmd/app`): the module path itself is the root.
        for (from, module, at, _) in go_imports {
            let Some(root) = go_roots.get(module) else {
                continue;
            };
            if root_packages.contains(root.as_str()) && root.as_str() != dir_of(&from.rel) {
                edges
                    .entry(node_of(from))
                    .or_default()
                    .push((format!("go:{root}"), at));
            }
        }
    }
    // A PHP file that loads Composer's autoloader can use any class by
    // name, imported or not.
    let autoloads: HashSet<&str> = imports
        .into_iter()
        .filter_map(|import| import.into_import())
        .filter(|import| {
            import.module.ends_with("autoload.php")
                && by_rel
                    .get(import.path)
                    .is_some_and(|f| f.language == Language::Php)
        })
        .map(|import| import.path)
        .collect();
    // C and C++: a header's functions are defined in the source file of
    // the same name, which the linker brings in with it.
    for f in files
        .iter()
        .filter(|f| matches!(f.language, Language::C | Language::Cpp))
    {
        let file = f.rel.rsplit('/').next().unwrap_or(&f.rel);
        let Some((stem, ext)) = file.rsplit_once('.') else {
            continue;
        };
        if !matches!(ext, "h" | "hh" | "hpp" | "hxx") {
            continue;
        }
        for ext in ["c", "cc", "cpp", "cxx"] {
            for imp in ix.c.get(&format!("{stem}.{ext}")).into_iter().flatten() {
                edges
                    .entry(f.rel.clone())
                    .or_default()
                    .push((imp.clone(), Location::file(&f.rel, "header")));
            }
        }
    }
    // A Spring Boot application finds its components by scanning the
    // packages under its own.
    for e in entries.iter().filter(|e| e.scans) {
        let Some(f) = by_rel.get(e.rel.as_str()) else {
            continue;
        };
        let base = dir_of(&f.rel);
        let mut dirs: Vec<&str> = files
            .iter()
            .filter(|g| matches!(g.language, Language::Java | Language::Kotlin))
            .map(|g| dir_of(&g.rel))
            .filter(|d| *d != base && (base.is_empty() || d.starts_with(&format!("{base}/"))))
            .collect();
        dirs.sort_unstable();
        dirs.dedup();
        for d in dirs {
            edges
                .entry(node_of(f))
                .or_default()
                .push((format!("jvm:{d}"), Location::file(&f.rel, "component scan")));
        }
    }
    csharp_edges(files, &mut edges);
    rust_edges(files, &ix, &mut edges);
    python_name_edges(files, &ix, &mut edges);
    // Elixir: a file reaches the files that define the modules it names.
    for f in files.iter().filter(|f| f.language == Language::Elixir) {
        for r in &f.refers {
            for target in ix.modules.get(r).into_iter().flatten() {
                if target != &f.rel {
                    edges
                        .entry(f.rel.clone())
                        .or_default()
                        .push((target.clone(), Location::file(&f.rel, r)));
                }
            }
        }
    }
    // Python: importing `a.b.c` runs `a/__init__.py` and `a/b/__init__.py`.
    for f in files.iter().filter(|f| f.language == Language::Python) {
        let mut d = dir_of(&f.rel);
        while !d.is_empty() {
            let init = format!("{d}/__init__.py");
            if init != f.rel && by_rel.contains_key(init.as_str()) {
                edges
                    .entry(f.rel.clone())
                    .or_default()
                    .push((init, Location::file(&f.rel, "package")));
            }
            d = dir_of(d);
        }
    }

    // Go commands the image does not run are side programs.
    let commands = match go {
        Some(go) => go_commands::edges(files, go, &mut edges, &mut notes),
        None => Vec::new(),
    };
    let resolvable: Vec<&File> = files.iter().filter(|f| resolves(f.language)).collect();
    let entry_nodes: Vec<(&Entry, String)> = entries
        .iter()
        .chain(&commands)
        .filter_map(|e| {
            by_rel
                .get(e.rel.as_str())
                .map(|f| (e, go_commands::whole(f).unwrap_or_else(|| node_of(f))))
        })
        .collect();
    let mut placed: HashMap<String, Placed> = HashMap::new();
    if resolvable.is_empty() || entry_nodes.is_empty() {
        if entry_nodes.is_empty() && !resolvable.is_empty() {
            notes.push(
                "no entry point resolved to a file of the service: every file is judged, as without a graph"
                    .into(),
            );
        }
        for f in files {
            placed.insert(f.rel.clone(), Placed::Undecided);
        }
        return Outcome {
            reachability: count(files, &placed, ReachStatus::None),
            placed,
            notes,
            importers: python_importers(&edges),
            spans: HashMap::new(),
        };
    }

    let main = bfs(&entry_nodes, true, &edges, &mut notes);
    let side = bfs(&entry_nodes, false, &edges, &mut notes);
    // A dynamic import in reached code can pull in anything: nothing that
    // was not reached is called unreachable then.
    let dynamic: Vec<&str> = files
        .iter()
        .filter(|f| {
            (f.dynamic || autoloads.contains(f.rel.as_str()))
                && (main.0.contains_key(&node_of(f)) || side.0.contains_key(&node_of(f)))
        })
        .map(|f| f.rel.as_str())
        .collect();
    let mut dynamic = dynamic;
    // Django's loaders import the settings module named in a string; when
    // the walk found no settings module (the name comes from the
    // environment, or names a module outside the tree), the apps Django
    // loads are unknown: the loader is a dynamic import then.
    let reached_py = |f: &&File| {
        f.language == Language::Python
            && (main.0.contains_key(&f.rel) || side.0.contains_key(&f.rel))
    };
    if !files
        .iter()
        .filter(reached_py)
        .any(|f| declares(f, DJANGO_SETTINGS))
    {
        for f in files.iter().filter(reached_py) {
            if declares(f, DJANGO_LOADER) && !dynamic.contains(&f.rel.as_str()) {
                dynamic.push(f.rel.as_str());
            }
        }
    }
    let cut = main.1 || side.1;
    // A computed import in code only a side program runs (a management
    // command, a CLI) can load anything, but only into that side program:
    // what the main walk did not reach is then at most optional. One in
    // code the main entry points reach leaves it undecided.
    let (dynamic_main, dynamic_side): (Vec<&str>, Vec<&str>) = dynamic
        .iter()
        .partition(|rel| main.0.contains_key(&node_of(by_rel[**rel])));
    let listed = |d: &[&str]| {
        format!(
            "{}{}",
            d.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
            if d.len() > 3 { " and more" } else { "" }
        )
    };
    if !dynamic_main.is_empty() {
        notes.push(format!(
            "dynamic imports in {}: files the graph does not reach are judged as before",
            listed(&dynamic_main)
        ));
    } else if !dynamic_side.is_empty() {
        notes.push(format!(
            "dynamic imports only in side programs ({}): files the main entry points do not reach are at most optional",
            listed(&dynamic_side)
        ));
    }
    // The chain to the side program's computed import, for the files it
    // may load.
    let side_loader: Option<Chain> = dynamic_side
        .first()
        .map(|rel| side.0[&node_of(by_rel[*rel])].then(Location::file(rel, COMPUTED_IMPORT)));
    // Native code no entry point of its own starts is loaded by another
    // runtime the graph does not follow: an eBPF object a Go loader
    // attaches, a Python or Node extension, a JNI library.
    let entry_langs: HashSet<&str> = entry_nodes
        .iter()
        .filter_map(|(e, _)| by_rel.get(e.rel.as_str()))
        .map(|f| native_family(f.language))
        .collect();
    let mut unresolved_langs: Vec<&str> = Vec::new();
    let mut loaded_langs: Vec<&str> = Vec::new();
    for f in files {
        let node = node_of(f);
        let p = if !resolves(f.language) {
            if !unresolved_langs.contains(&f.language.id()) {
                unresolved_langs.push(f.language.id());
            }
            Placed::Undecided
        } else if let Some(chain) = main.0.get(&node) {
            Placed::Reached(chain.clone())
        } else if let Some(chain) = side.0.get(&node) {
            Placed::Optional(chain.clone())
        } else if !dynamic_main.is_empty() || cut {
            Placed::Undecided
        } else if let Some(chain) = &side_loader {
            Placed::Optional(chain.clone())
        } else if is_native(f.language) && !entry_langs.contains(native_family(f.language)) {
            if !loaded_langs.contains(&f.language.id()) {
                loaded_langs.push(f.language.id());
            }
            Placed::Undecided
        } else {
            Placed::Unreachable
        };
        placed.insert(f.rel.clone(), p);
    }
    if !unresolved_langs.is_empty() {
        notes.push(format!(
            "no import graph for {} here: those files are judged as before",
            unresolved_langs.join(", ")
        ));
    }
    if !loaded_langs.is_empty() {
        notes.push(format!(
            "no entry point in {}: another runtime may load that code (an extension, an eBPF object), so it is judged as before",
            loaded_langs.join(", ")
        ));
    }
    let partial = placed.values().any(|p| *p == Placed::Undecided);
    let status = if partial {
        ReachStatus::Partial
    } else {
        ReachStatus::Complete
    };
    // A Go package of commands is placed a declaration at a time, unless
    // a bound cut the walk or a dynamic import left files undecided.
    let spans = match go {
        Some(go) if !cut && dynamic_main.is_empty() && dynamic_side.is_empty() => {
            go_commands::spans(files, go.files, &main.0, &side.0)
        }
        _ => HashMap::new(),
    };
    Outcome {
        reachability: count(files, &placed, status),
        placed,
        notes,
        importers: python_importers(&edges),
        spans,
    }
}

/// The last step of the chain to a file a side program may load by a
/// computed name.
const COMPUTED_IMPORT: &str = "imports by a computed name";

/// Reverses the Python import edges: file -> the files importing it.
fn python_importers(
    edges: &HashMap<String, Vec<(String, Location)>>,
) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (from, targets) in edges.iter().filter(|(f, _)| f.ends_with(".py")) {
        for (t, _) in targets {
            if t.ends_with(".py") && t != from {
                out.entry(t.clone()).or_default().push(from.clone());
            }
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    out
}

/// Breadth-first from the entries (main ones, or side ones), each node
/// with the chain that first reached it; `true` when a bound cut the walk.
fn bfs(
    entries: &[(&Entry, String)],
    main: bool,
    edges: &HashMap<String, Vec<(String, Location)>>,
    notes: &mut Vec<String>,
) -> (HashMap<String, Chain>, bool) {
    let mut seen: HashMap<String, Chain> = HashMap::new();
    let mut queue: VecDeque<(String, usize)> = VecDeque::new();
    for (e, node) in entries.iter().filter(|(e, _)| e.main == main) {
        if !seen.contains_key(node) {
            let mut at = Location::file(&e.rel, "entry point");
            at.line = None;
            seen.insert(node.clone(), Chain::start(at));
            queue.push_back((node.clone(), 0));
        }
    }
    let mut cut = false;
    while let Some((node, depth)) = queue.pop_front() {
        if depth >= MAX_DEPTH {
            cut = true;
            continue;
        }
        let Some(out) = edges.get(&node) else {
            continue;
        };
        for (target, at) in out {
            if seen.contains_key(target) {
                continue;
            }
            if seen.len() >= MAX_NODES {
                if !cut {
                    notes.push(format!(
                        "the import walk stopped at {MAX_NODES} files: the rest is judged as before"
                    ));
                }
                return (seen, true);
            }
            let chain = seen[&node].then(at.clone());
            seen.insert(target.clone(), chain);
            queue.push_back((target.clone(), depth + 1));
        }
    }
    (seen, cut)
}

fn count(files: &[File], placed: &HashMap<String, Placed>, status: ReachStatus) -> Reachability {
    let mut r = Reachability {
        status,
        files: files.len(),
        reached: 0,
        optional: 0,
        unreachable: 0,
        undecided: 0,
    };
    for p in placed.values() {
        match p {
            Placed::Reached(_) => r.reached += 1,
            Placed::Optional(_) => r.optional += 1,
            Placed::Unreachable => r.unreachable += 1,
            Placed::Undecided => r.undecided += 1,
        }
    }
    r
}

/// Gives the service's hits the walk's verdict on their file: a chain for
/// reached code, `unreachable` or `optional` with a reason for code no main
/// entry point reaches, and one step lower confidence for undecided code
/// when a graph was built around it.
pub(crate) fn apply(outcome: &Outcome, service: &str, hits: &mut [Hit]) {
    let graph = outcome.reachability.status != ReachStatus::None;
    for h in hits.iter_mut() {
        let e = &mut h.evidence;
        if !e.context.counts() {
            continue;
        }
        match outcome.placed_at(&e.at.path, e.at.line) {
            Some(Placed::Reached(chain)) => e.chain = chain.to_vec(),
            Some(Placed::Optional(chain)) => {
                e.context = Context::Optional;
                e.chain = chain.to_vec();
                e.reason = Some(match chain.last() {
                    Some(l) if l.snippet == COMPUTED_IMPORT => format!(
                        "no main entry point of service {service} reaches it; only a side program may load it by a computed name ({})",
                        l.path
                    ),
                    _ => format!(
                        "reached only from a side entry point of service {service} ({})",
                        chain.first().map(|l| l.path.as_str()).unwrap_or("")
                    ),
                });
            }
            Some(Placed::Unreachable) => {
                e.context = Context::Unreachable;
                e.reason = Some(format!("reached from no entry point of service {service}"));
            }
            Some(Placed::Undecided) if graph => {
                e.confidence = match e.confidence {
                    Confidence::High => Confidence::Medium,
                    _ => Confidence::Low,
                };
                if e.reason.is_none() {
                    e.reason = Some(
                        "the import graph could not place this file: judged as without one".into(),
                    );
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fact::{Fact, FactKind};

    fn file(rel: &str, language: Language) -> File {
        File {
            rel: rel.into(),
            language,
            dynamic: false,
            declares: Vec::new(),
            refers: Vec::new(),
        }
    }

    fn names(rel: &str, language: Language, declares: &[&str], refers: &[&str]) -> File {
        let mut f = file(rel, language);
        f.declares = declares.iter().map(|s| s.to_string()).collect();
        f.refers = refers.iter().map(|s| s.to_string()).collect();
        f
    }

    #[test]
    fn csharp_namespaces_and_usings() {
        use Language::CSharp;
        let files = [
            names("Api/Program.cs", CSharp, &[], &[]),
            names("Api/Endpoints.cs", CSharp, &["Shop.Api"], &[]),
            names("Api/Helpers.cs", CSharp, &["Shop.Api"], &[]),
            names("Media/Convert.cs", CSharp, &["Shop.Media"], &[]),
            names("Media/Probe.cs", CSharp, &["Shop.Media.Probe"], &[]),
            names("Tools/Seed.cs", CSharp, &["Shop.Tools"], &[]),
        ];
        let imports = [
            import("Api/Program.cs", 1, "Shop.Api", "using Shop.Api;", CSharp),
            import(
                "Api/Endpoints.cs",
                1,
                "Shop.Media",
                "using Shop.Media;",
                CSharp,
            ),
            import(
                "Api/Endpoints.cs",
                2,
                "System.IO",
                "using System.IO;",
                CSharp,
            ),
        ];
        let out = walk(&files, &imports, &[entry("Api/Program.cs", true)]);
        for rel in ["Api/Endpoints.cs", "Api/Helpers.cs", "Media/Convert.cs"] {
            assert!(reached(&out, rel), "{rel}");
        }
        assert_eq!(out.placed["Media/Probe.cs"], Placed::Unreachable);
        assert_eq!(out.placed["Tools/Seed.cs"], Placed::Unreachable);
        // A `global using` anywhere is seen by every file.
        let mut imports = imports.to_vec();
        imports.push(import(
            "Tools/Seed.cs",
            1,
            "Shop.Media.Probe",
            "global using Shop.Media.Probe;",
            CSharp,
        ));
        let out = walk(&files, &imports, &[entry("Api/Program.cs", true)]);
        assert!(reached(&out, "Media/Probe.cs"));
    }

    #[test]
    fn elixir_modules_named_in_code() {
        use Language::Elixir;
        let files = [
            names(
                "lib/shop/application.ex",
                Elixir,
                &["Shop.Application"],
                &[
                    "Shop.Application",
                    "Shop.Repo",
                    "ShopWeb.Endpoint",
                    "Supervisor",
                ],
            ),
            names("lib/shop/repo.ex", Elixir, &["Shop.Repo"], &["Ecto.Repo"]),
            names(
                "lib/shop_web/endpoint.ex",
                Elixir,
                &["ShopWeb.Endpoint"],
                &["ShopWeb.Router"],
            ),
            names(
                "lib/shop_web/router.ex",
                Elixir,
                &["ShopWeb.Router"],
                &["PageController"],
            ),
            names(
                "lib/shop_web/controllers/page_controller.ex",
                Elixir,
                &["ShopWeb.PageController"],
                &[],
            ),
            names("lib/shop/legacy.ex", Elixir, &["Shop.Legacy"], &[]),
        ];
        let out = walk(&files, &[], &[entry("lib/shop/application.ex", true)]);
        for rel in [
            "lib/shop/repo.ex",
            "lib/shop_web/router.ex",
            "lib/shop_web/controllers/page_controller.ex",
        ] {
            assert!(reached(&out, rel), "{rel}");
        }
        assert_eq!(out.placed["lib/shop/legacy.ex"], Placed::Unreachable);
    }

    fn import(path: &str, line: u32, module: &str, snippet: &str, language: Language) -> Fact {
        Fact::new(
            FactKind::Import {
                language,
                module: module.into(),
            },
            Location::line(path, line, snippet),
            Context::Service,
        )
    }

    fn entry(rel: &str, main: bool) -> Entry {
        Entry {
            rel: rel.into(),
            main,
            scans: false,
        }
    }

    #[test]
    fn a_chain_shares_its_parent_and_reads_entry_first() {
        let entry = Chain::start(Location::file("main.go", "entry point"));
        let a = entry.then(Location::line("a.go", 3, "import a"));
        let b = entry.then(Location::line("b.go", 4, "import b"));
        let deep = a.then(Location::line("c.go", 5, "import c"));
        let paths = |c: &Chain| -> Vec<String> { c.to_vec().into_iter().map(|l| l.path).collect() };
        assert_eq!(paths(&deep), ["main.go", "a.go", "c.go"]);
        assert_eq!(paths(&b), ["main.go", "b.go"]);
        assert_eq!(deep.len(), 3);
        assert_eq!(deep.first().unwrap().path, "main.go");
        assert_eq!(deep.last().unwrap().path, "c.go");
        // Equal by their steps, not by where they are held.
        let again = Chain::start(Location::file("main.go", "entry point"))
            .then(Location::line("a.go", 3, "import a"));
        assert_eq!(a, again);
        assert_ne!(a, b);
        assert!(Chain::default().first().is_none());
    }

    #[test]
    fn python_chains_and_unreachable_modules() {
        use Language::Python;
        let files = [
            file("app.py", Python),
            file("media/__init__.py", Python),
            file("media/convert.py", Python),
            file("media/probe.py", Python),
            file("tools/cleanup.py", Python),
            file("admin.py", Python),
        ];
        let imports = [
            import(
                "app.py",
                3,
                "media.convert",
                "from media.convert import run",
                Python,
            ),
            import(
                "media/convert.py",
                2,
                ".probe",
                "from .probe import duration",
                Python,
            ),
            import("admin.py", 1, "tools", "from tools import cleanup", Python),
        ];
        let out = walk(
            &files,
            &imports,
            &[entry("app.py", true), entry("admin.py", false)],
        );
        assert_eq!(out.reachability.status, ReachStatus::Complete);
        let Placed::Reached(chain) = &out.placed["media/probe.py"] else {
            panic!("{:?}", out.placed["media/probe.py"]);
        };
        let steps: Vec<(String, Option<u32>)> = chain
            .to_vec()
            .iter()
            .map(|l| (l.path.clone(), l.line))
            .collect();
        assert_eq!(
            steps,
            [
                ("app.py".to_string(), None),
                ("app.py".to_string(), Some(3)),
                ("media/convert.py".to_string(), Some(2))
            ]
        );
        assert!(matches!(
            out.placed["media/__init__.py"],
            Placed::Reached(_)
        ));
        assert!(matches!(
            out.placed["tools/cleanup.py"],
            Placed::Optional(_)
        ));
        assert_eq!(out.reachability.unreachable, 0);
        // Without the side entry, the admin code is unreachable.
        let out = walk(&files, &imports, &[entry("app.py", true)]);
        assert_eq!(out.placed["tools/cleanup.py"], Placed::Unreachable);
        assert_eq!(out.placed["admin.py"], Placed::Unreachable);
    }

    /// A dotted name resolves to the modules whose path ends with it at a
    /// part boundary, however deep (the shallowest first), and not to a
    /// part cut in the middle.
    #[test]
    fn python_names_match_whole_path_parts() {
        let mut m = PyModules::default();
        m.insert(&["a", "b", "orders", "store"], "a/b/orders/store.py");
        m.insert(&["x", "my.orders", "store"], "x/my.orders/store.py");
        m.insert(&["store"], "store.py");
        let got = |n: &str| m.get(n).cloned().collect::<Vec<_>>();
        // The shallowest root wins.
        assert_eq!(got("store"), ["store.py"]);
        assert_eq!(got("orders.store"), ["a/b/orders/store.py"]);
        assert_eq!(got("my.orders.store"), ["x/my.orders/store.py"]);
        assert_eq!(got("a.b.orders.store"), ["a/b/orders/store.py"]);
        // `rders.store` and `y.orders.store` end inside a part.
        assert!(got("rders.store").is_empty());
        assert!(got("y.orders.store").is_empty());
        assert!(got("orders").is_empty());
    }

    /// A path suffix finds the values of the paths that end with it at a
    /// `/`, each once, in the order added; a suffix cut inside a part
    /// finds nothing.
    #[test]
    fn suffixes_match_whole_path_parts() {
        let mut ix = Suffixes::default();
        ix.insert("src/net/conn.h", "src/net/conn.h");
        ix.insert("vendor/x/net/conn.h", "vendor/x/net/conn.h");
        ix.insert("cmd/serve", "cmd/serve");
        ix.insert("cmd/serve", "cmd/serve");
        ix.insert("internal/serve", "internal/serve");
        assert_eq!(
            ix.get("conn.h").unwrap(),
            ["src/net/conn.h", "vendor/x/net/conn.h"]
        );
        assert_eq!(ix.get("x/net/conn.h").unwrap(), ["vendor/x/net/conn.h"]);
        assert_eq!(ix.get("src/net/conn.h").unwrap(), ["src/net/conn.h"]);
        assert_eq!(ix.get("serve").unwrap(), ["cmd/serve", "internal/serve"]);
        assert!(ix.get("et/conn.h").is_none());
        assert!(ix.get("net").is_none());
        assert!(ix.get("").is_none());
    }

    #[test]
    fn a_js_import_of_a_build_output_resolves_to_its_source() {
        use Language::{JavaScript, TypeScript};
        let files = [
            file("index.js", JavaScript),
            file("server/index.ts", TypeScript),
            file("src/app.ts", TypeScript),
            file("src/util.ts", TypeScript),
        ];
        let req = |line: u32, spec: &str| {
            import(
                "index.js",
                line,
                spec,
                &format!("require('{spec}')"),
                JavaScript,
            )
        };
        let imports = [
            req(2, "./dist/server/index.js"),
            req(3, "./dist/app"),
            // Not a build folder: its missing file is not src/'s.
            req(4, "./pkg/util.js"),
            req(5, "./dist/missing.js"),
        ];
        let out = walk(&files, &imports, &[entry("index.js", true)]);
        assert!(matches!(out.placed["server/index.ts"], Placed::Reached(_)));
        assert!(matches!(out.placed["src/app.ts"], Placed::Reached(_)));
        assert_eq!(out.placed["src/util.ts"], Placed::Unreachable);
    }

    #[test]
    fn js_relative_imports_resolve_with_extensions_and_index() {
        use Language::{JavaScript, TypeScript};
        let files = [
            file("src/server.js", JavaScript),
            file("src/notes.js", JavaScript),
            file("src/lib/index.ts", TypeScript),
            file("src/unused.js", JavaScript),
        ];
        let imports = [
            import(
                "src/server.js",
                2,
                "./notes",
                "require('./notes')",
                JavaScript,
            ),
            import(
                "src/server.js",
                3,
                "./lib",
                "import x from './lib'",
                JavaScript,
            ),
            import(
                "src/server.js",
                4,
                "express",
                "require('express')",
                JavaScript,
            ),
        ];
        let out = walk(&files, &imports, &[entry("src/server.js", true)]);
        assert!(matches!(out.placed["src/notes.js"], Placed::Reached(_)));
        assert!(matches!(out.placed["src/lib/index.ts"], Placed::Reached(_)));
        assert_eq!(out.placed["src/unused.js"], Placed::Unreachable);
    }

    #[test]
    fn go_packages_are_nodes_and_the_stdlib_is_not_the_tree() {
        use Language::Go;
        let files = [
            file("main.go", Go),
            file("flags.go", Go),
            file("internal/serve/serve.go", Go),
            file("internal/devreload/devreload.go", Go),
            file("log/log.go", Go),
        ];
        let imports = [
            import("main.go", 5, "example.com/x/internal/serve", "", Go),
            import("main.go", 4, "log", "\"log\"", Go),
        ];
        let out = walk(&files, &imports, &[entry("main.go", true)]);
        assert!(matches!(out.placed["flags.go"], Placed::Reached(_)));
        assert!(matches!(
            out.placed["internal/serve/serve.go"],
            Placed::Reached(_)
        ));
        assert_eq!(
            out.placed["internal/devreload/devreload.go"],
            Placed::Unreachable
        );
        assert_eq!(out.placed["log/log.go"], Placed::Unreachable);
    }

    #[test]
    fn a_go_modules_root_package_is_found_from_its_other_packages() {
        use Language::Go;
        let files = [
            file("cmd/app/main.go", Go),
            file("control.go", Go),
            file("cpupick/pick.go", Go),
            file("tools/gen.go", Go),
        ];
        // `cmd/app` imports the module's root package, which imports
        // `cpupick`: that import is what tells where the root is.
        let imports = [
            import("cmd/app/main.go", 3, "github.com/acme/app", "", Go),
            import("control.go", 3, "github.com/acme/app/cpupick", "", Go),
        ];
        let out = walk(&files, &imports, &[entry("cmd/app/main.go", true)]);
        assert!(matches!(out.placed["control.go"], Placed::Reached(_)));
        assert!(matches!(out.placed["cpupick/pick.go"], Placed::Reached(_)));
        assert_eq!(out.placed["tools/gen.go"], Placed::Unreachable);
        // Another module's root is not this tree's.
        let imports = [
            import("cmd/app/main.go", 3, "github.com/other/lib", "", Go),
            import("control.go", 3, "github.com/acme/app/cpupick", "", Go),
        ];
        let out = walk(&files, &imports, &[entry("cmd/app/main.go", true)]);
        assert_eq!(out.placed["control.go"], Placed::Unreachable);
    }

    #[test]
    fn a_go_modules_root_package_is_the_directory_of_its_go_mod() {
        use Language::Go;
        let root_file = |declares: &[&str]| names("server.go", Go, declares, &[]);
        let module = format!("{GO_MODULE}github.com/acme/links");
        // `cmd/links` imports the root package, which imports nothing of
        // the module: only go.mod says where the root is.
        let imports = [import(
            "cmd/links/main.go",
            3,
            "github.com/acme/links",
            "",
            Go,
        )];
        let walked = |server: File| {
            let files = [file("cmd/links/main.go", Go), server, file("db.go", Go)];
            walk(&files, &imports, &[entry("cmd/links/main.go", true)])
        };
        let out = walked(root_file(&[module.as_str()]));
        assert!(matches!(out.placed["server.go"], Placed::Reached(_)));
        assert!(matches!(out.placed["db.go"], Placed::Reached(_)));
        let out = walked(root_file(&[]));
        assert_eq!(out.placed["server.go"], Placed::Unreachable);
    }

    /// A Django project: the WSGI module names the settings module in a
    /// string, the settings list the apps and the URL module by name.
    fn django(settings_named: bool) -> Vec<File> {
        use Language::Python;
        let settings_name: &[&str] = if settings_named {
            &["shop.settings"]
        } else {
            &[]
        };
        vec![
            names("shop/wsgi.py", Python, &[DJANGO_LOADER], settings_name),
            names(
                "shop/settings.py",
                Python,
                &[DJANGO_SETTINGS],
                &[
                    "orders",
                    "orders.apps.OrdersConfig",
                    "shop.urls",
                    "django.contrib.admin",
                ],
            ),
            file("shop/__init__.py", Python),
            file("shop/urls.py", Python),
            file("orders/__init__.py", Python),
            file("orders/apps.py", Python),
            file("orders/models.py", Python),
            file("orders/tasks.py", Python),
            file("orders/views.py", Python),
            file("orders/templatetags/money.py", Python),
            file("orders/management/commands/export.py", Python),
            file("orders/migrations/0001_initial.py", Python),
            file("orders/legacy.py", Python),
            names(
                "manage.py",
                Python,
                &[DJANGO_CLI, DJANGO_LOADER],
                settings_name,
            ),
        ]
    }

    #[test]
    fn django_apps_and_url_modules_are_followed_by_name() {
        use Language::Python;
        let files = django(true);
        let imports = [import(
            "shop/urls.py",
            1,
            "orders",
            "from orders import views",
            Python,
        )];
        let out = walk(&files, &imports, &[entry("shop/wsgi.py", true)]);
        for rel in [
            "shop/settings.py",
            "shop/urls.py",
            "orders/apps.py",
            "orders/models.py",
            "orders/tasks.py",
            "orders/views.py",
            "orders/templatetags/money.py",
        ] {
            assert!(reached(&out, rel), "{rel}: {:?}", out.placed[rel]);
        }
        // Nothing imports it and Django does not load it by convention.
        assert_eq!(out.placed["orders/legacy.py"], Placed::Unreachable);
        let Placed::Reached(chain) = &out.placed["orders/models.py"] else {
            unreachable!()
        };
        let steps: Vec<String> = chain.to_vec().into_iter().map(|l| l.path).collect();
        assert_eq!(steps, ["shop/wsgi.py", "shop/wsgi.py", "shop/settings.py"]);
        assert!(!out.notes.iter().any(|n| n.contains("dynamic imports")));
        // Commands and migrations run from the command line, not the
        // server: nothing starts `manage.py` here.
        for rel in [
            "orders/management/commands/export.py",
            "orders/migrations/0001_initial.py",
        ] {
            assert_eq!(out.placed[rel], Placed::Unreachable, "{rel}");
        }
    }

    #[test]
    fn django_commands_hang_from_the_command_line() {
        let files = django(true);
        let commands = [
            "orders/management/commands/export.py",
            "orders/migrations/0001_initial.py",
        ];
        // `manage.py` beside the server the image names: a side program.
        let out = walk(
            &files,
            &[],
            &[entry("shop/wsgi.py", true), entry("manage.py", false)],
        );
        for rel in commands {
            assert!(
                matches!(&out.placed[rel], Placed::Optional(chain) if chain.first().unwrap().path == "manage.py"),
                "{rel}: {:?}",
                out.placed[rel]
            );
        }
        assert!(reached(&out, "orders/models.py"));
        // `manage.py` as what the image runs: the commands are the service.
        let out = walk(&files, &[], &[entry("manage.py", true)]);
        for rel in commands {
            assert!(reached(&out, rel), "{rel}: {:?}", out.placed[rel]);
        }
    }

    #[test]
    fn django_settings_named_outside_the_tree_leave_the_apps_undecided() {
        // DJANGO_SETTINGS_MODULE comes from the environment: the walk
        // cannot know which apps Django loads.
        let files = django(false);
        let out = walk(&files, &[], &[entry("shop/wsgi.py", true)]);
        assert_eq!(out.placed["orders/legacy.py"], Placed::Undecided);
        assert_eq!(out.placed["orders/models.py"], Placed::Undecided);
        assert!(out
            .notes
            .iter()
            .any(|n| n.contains("dynamic imports in shop/wsgi.py")));
    }

    #[test]
    fn python_names_resolve_at_the_shallowest_root() {
        use Language::Python;
        let files = [
            file("app.py", Python),
            file("shop/__init__.py", Python),
            file("shop/utils.py", Python),
            file("shop/views/__init__.py", Python),
            file("shop/views/shop.py", Python),
            // Only a deeper root has `billing`: it is still found.
            file("src/billing/__init__.py", Python),
            file("src/billing/invoice.py", Python),
        ];
        let imports = [
            import("app.py", 1, "shop", "from shop import utils", Python),
            import(
                "app.py",
                2,
                "billing.invoice",
                "import billing.invoice",
                Python,
            ),
        ];
        let out = walk(&files, &imports, &[entry("app.py", true)]);
        assert!(reached(&out, "shop/utils.py"));
        assert!(reached(&out, "src/billing/invoice.py"));
        assert_eq!(out.placed["shop/views/shop.py"], Placed::Unreachable);
    }

    #[test]
    fn module_names_in_strings_are_imports() {
        use Language::Python;
        let files = [
            names(
                "worker.py",
                Python,
                &[],
                &["jobs.thumbs", "jobs.mail.send", "x.y"],
            ),
            file("jobs/__init__.py", Python),
            file("jobs/thumbs.py", Python),
            file("jobs/mail.py", Python),
            file("jobs/unused.py", Python),
        ];
        let out = walk(&files, &[], &[entry("worker.py", true)]);
        assert!(reached(&out, "jobs/thumbs.py"));
        assert!(reached(&out, "jobs/mail.py"));
        assert_eq!(out.placed["jobs/unused.py"], Placed::Unreachable);
    }

    #[test]
    fn dynamic_imports_and_unknown_languages_are_undecided() {
        let mut app = file("app.py", Language::Python);
        app.dynamic = true;
        let files = [
            app,
            file("plugins/a.py", Language::Python),
            file("Program.cs", Language::CSharp),
        ];
        let out = walk(&files, &[], &[entry("app.py", true)]);
        assert_eq!(out.reachability.status, ReachStatus::Partial);
        assert_eq!(out.placed["plugins/a.py"], Placed::Undecided);
        assert_eq!(out.placed["Program.cs"], Placed::Undecided);
        assert!(out.notes.iter().any(|n| n.contains("dynamic imports")));
    }

    #[test]
    fn dynamic_imports_in_a_side_program_make_unreached_files_optional() {
        use Language::Python;
        let mut command = file("shop/management/commands/replay.py", Python);
        command.dynamic = true;
        let files = [
            file("shop/wsgi.py", Python),
            command,
            file("shop/legacy.py", Python),
        ];
        let side = [
            entry("shop/wsgi.py", true),
            entry("shop/management/commands/replay.py", false),
        ];
        let out = walk(&files, &[], &side);
        assert_eq!(out.reachability.status, ReachStatus::Complete);
        match &out.placed["shop/legacy.py"] {
            Placed::Optional(chain) => {
                assert_eq!(
                    chain.first().unwrap().path,
                    "shop/management/commands/replay.py"
                );
                assert_eq!(chain.last().unwrap().snippet, COMPUTED_IMPORT);
            }
            other => panic!("{other:?}"),
        }
        assert!(out
            .notes
            .iter()
            .any(|n| n.contains("only in side programs")));
        // The same import on the main path decides nothing.
        let main = [entry("shop/management/commands/replay.py", true)];
        let out = walk(&files, &[], &main);
        assert_eq!(out.placed["shop/legacy.py"], Placed::Undecided);
    }

    fn reached(out: &Outcome, rel: &str) -> bool {
        matches!(out.placed[rel], Placed::Reached(_))
    }

    #[test]
    fn rust_module_tree_and_workspace_crates() {
        use Language::Rust;
        let files = [
            file("src/main.rs", Rust),
            file("src/api.rs", Rust),
            file("src/api/routes.rs", Rust),
            file("src/store/mod.rs", Rust),
            file("src/store/disk.rs", Rust),
            file("src/unused.rs", Rust),
            file("crates/media-kit/src/lib.rs", Rust),
            file("crates/media-kit/src/ffmpeg.rs", Rust),
            file("crates/other/src/lib.rs", Rust),
        ];
        let imports = [
            import("src/main.rs", 1, "self::api", "mod api;", Rust),
            import("src/main.rs", 2, "self::store", "mod store;", Rust),
            import("src/api.rs", 1, "self::routes", "mod routes;", Rust),
            import(
                "src/api/routes.rs",
                1,
                "super::super::store::disk",
                "",
                Rust,
            ),
            import("src/api/routes.rs", 2, "media_kit::ffmpeg::run", "", Rust),
            import("src/api/routes.rs", 3, "std::process", "", Rust),
            import("src/store/mod.rs", 1, "crate::api", "", Rust),
        ];
        let out = walk(&files, &imports, &[entry("src/main.rs", true)]);
        for rel in [
            "src/api.rs",
            "src/api/routes.rs",
            "src/store/mod.rs",
            "src/store/disk.rs",
            "crates/media-kit/src/ffmpeg.rs",
        ] {
            assert!(reached(&out, rel), "{rel}: {:?}", out.placed[rel]);
        }
        assert_eq!(out.placed["src/unused.rs"], Placed::Unreachable);
        assert_eq!(out.placed["crates/other/src/lib.rs"], Placed::Unreachable);
        // Only the `mod` tree: without `mod store;` the store is not built.
        let out = walk(&files, &imports[..1], &[entry("src/main.rs", true)]);
        assert_eq!(out.placed["src/store/disk.rs"], Placed::Unreachable);
        // A crate's path written in code, and a binary's own library.
        let mut files = files.to_vec();
        files[0].refers = vec!["other".into()];
        files.push(file("src/lib.rs", Rust));
        files.push(file("src/bin/tool.rs", Rust));
        files.push(file("src/bin/big/main.rs", Rust));
        let out = walk(&files, &imports[..1], &[entry("src/bin/tool.rs", true)]);
        assert!(reached(&out, "src/lib.rs"));
        assert_eq!(out.placed["crates/other/src/lib.rs"], Placed::Unreachable);
        let out = walk(&files, &imports[..1], &[entry("src/main.rs", true)]);
        assert!(reached(&out, "crates/other/src/lib.rs"));
        assert!(reached(&out, "src/lib.rs"));
        let out = walk(&files, &[], &[entry("src/bin/big/main.rs", true)]);
        assert!(reached(&out, "src/lib.rs"));
    }

    /// A bin its manifest puts at `entry/src/radiusd.rs` holds its modules
    /// beside it, as a `main.rs` does; `#[path]` and `include!` reach the
    /// file they name from the including file's directory.
    #[test]
    fn manifest_crate_roots_and_literal_includes() {
        use Language::Rust;
        let files = [
            names("entry/src/radiusd.rs", Rust, &[CRATE_ROOT], &[]),
            file("entry/src/bootstrap.rs", Rust),
            file("entry/src/radiusd/bootstrap.rs", Rust),
            file("entry/src/auth/send.rs", Rust),
            file("entry/src/gen/table.rs", Rust),
            file("entry/src/unused.rs", Rust),
        ];
        let imports = [
            import(
                "entry/src/radiusd.rs",
                1,
                "self::bootstrap",
                "mod bootstrap;",
                Rust,
            ),
            import(
                "entry/src/radiusd.rs",
                2,
                "auth/send.rs",
                "#[path = \"auth/send.rs\"]",
                Rust,
            ),
            import(
                "entry/src/auth/send.rs",
                1,
                "../gen/table.rs",
                "include!(\"../gen/table.rs\");",
                Rust,
            ),
            import(
                "entry/src/auth/send.rs",
                2,
                "missing.rs",
                "include!(\"missing.rs\");",
                Rust,
            ),
        ];
        let out = walk(&files, &imports, &[entry("entry/src/radiusd.rs", true)]);
        for rel in [
            "entry/src/bootstrap.rs",
            "entry/src/auth/send.rs",
            "entry/src/gen/table.rs",
        ] {
            assert!(reached(&out, rel), "{rel}: {:?}", out.placed[rel]);
        }
        assert_eq!(
            out.placed["entry/src/radiusd/bootstrap.rs"],
            Placed::Unreachable
        );
        assert_eq!(out.placed["entry/src/unused.rs"], Placed::Unreachable);
        // Not a crate root: an ordinary `a.rs` keeps its modules in `a/`.
        let mut plain = files.to_vec();
        plain[0] = file("entry/src/radiusd.rs", Rust);
        let out = walk(&plain, &imports, &[entry("entry/src/radiusd.rs", true)]);
        assert!(reached(&out, "entry/src/radiusd/bootstrap.rs"));
        assert_eq!(out.placed["entry/src/bootstrap.rs"], Placed::Unreachable);
    }

    #[test]
    fn a_workspace_library_runs_only_the_modules_something_names() {
        use Language::Rust;
        // The crate's manifest names it `shop_common`; its directory is
        // `common`.
        let mut files = vec![
            names(
                "server/src/main.rs",
                Rust,
                &[],
                &["shop_common", "shop_common::money"],
            ),
            names(
                "cli/src/main.rs",
                Rust,
                &[],
                &["shop_common", "shop_common::shell"],
            ),
            names("common/src/lib.rs", Rust, &["shop_common"], &["exported"]),
            file("common/src/money.rs", Rust),
            file("common/src/shell.rs", Rust),
            file("common/src/exported.rs", Rust),
            names("common/src/hooks.rs", Rust, &[RUNS_UNNAMED], &[]),
            file("common/src/unused.rs", Rust),
            file("common/src/unused/deep.rs", Rust),
        ];
        let imports = [
            import(
                "common/src/lib.rs",
                1,
                "self::money",
                "pub mod money;",
                Rust,
            ),
            import(
                "common/src/lib.rs",
                2,
                "self::shell",
                "pub mod shell;",
                Rust,
            ),
            import(
                "common/src/lib.rs",
                3,
                "self::exported",
                "mod exported;",
                Rust,
            ),
            import("common/src/lib.rs", 4, "self::hooks", "mod hooks;", Rust),
            import(
                "common/src/lib.rs",
                5,
                "self::unused",
                "pub mod unused;",
                Rust,
            ),
            import("common/src/unused.rs", 1, "self::deep", "mod deep;", Rust),
        ];
        let entries = [
            entry("server/src/main.rs", true),
            entry("cli/src/main.rs", false),
        ];
        let out = walk(&files, &imports, &entries);
        for rel in [
            "common/src/lib.rs",
            "common/src/money.rs",
            // The root re-exports it (`pub use exported::Item`).
            "common/src/exported.rs",
            // It adds methods to a type declared elsewhere.
            "common/src/hooks.rs",
        ] {
            assert!(reached(&out, rel), "{rel}: {:?}", out.placed[rel]);
        }
        assert!(
            matches!(out.placed["common/src/shell.rs"], Placed::Optional(_)),
            "{:?}",
            out.placed["common/src/shell.rs"]
        );
        assert_eq!(out.placed["common/src/unused.rs"], Placed::Unreachable);
        assert_eq!(out.placed["common/src/unused/deep.rs"], Placed::Unreachable);
        // The chain says who named the module.
        let Placed::Reached(chain) = &out.placed["common/src/money.rs"] else {
            unreachable!()
        };
        assert!(
            chain
                .to_vec()
                .iter()
                .any(|l| l.snippet == "shop_common::money"),
            "{chain:?}"
        );

        // A glob names every module.
        files[0].refers.push("shop_common::*".into());
        let out = walk(&files, &imports, &entries);
        assert!(reached(&out, "common/src/shell.rs"));
        assert!(reached(&out, "common/src/unused/deep.rs"));

        // A library that is itself an entry point keeps every `mod`.
        files[0].refers.pop();
        let out = walk(&files, &imports, &[entry("common/src/lib.rs", true)]);
        assert!(reached(&out, "common/src/unused/deep.rs"));
    }

    #[test]
    fn ruby_requires_relative_and_from_lib() {
        use Language::Ruby;
        let files = [
            file("config.ru", Ruby),
            file("app.rb", Ruby),
            file("lib/shop/cart.rb", Ruby),
            file("lib/shop/unused.rb", Ruby),
        ];
        let imports = [
            import("config.ru", 1, "./app", "require './app'", Ruby),
            import("app.rb", 1, "shop/cart", "require 'shop/cart'", Ruby),
            import("app.rb", 2, "json", "require 'json'", Ruby),
            import(
                "lib/shop/cart.rb",
                1,
                "../x",
                "require_relative '../x'",
                Ruby,
            ),
        ];
        let out = walk(&files, &imports, &[entry("config.ru", true)]);
        assert!(reached(&out, "app.rb"));
        assert!(reached(&out, "lib/shop/cart.rb"));
        assert_eq!(out.placed["lib/shop/unused.rb"], Placed::Unreachable);
        let imports = [import(
            "config.ru",
            1,
            "lib/shop/unused",
            "require_relative 'lib/shop/unused'",
            Ruby,
        )];
        let out = walk(&files, &imports, &[entry("config.ru", true)]);
        assert!(reached(&out, "lib/shop/unused.rb"));
    }

    #[test]
    fn php_literal_includes_classes_and_the_autoloader() {
        use Language::Php;
        let files = [
            file("public/index.php", Php),
            file("lib/db.php", Php),
            file("src/Http/Kernel.php", Php),
            file("tools/seed.php", Php),
        ];
        let imports = [
            import(
                "public/index.php",
                2,
                "/../lib/db.php",
                "require __DIR__ . '/../lib/db.php';",
                Php,
            ),
            import(
                "lib/db.php",
                3,
                "App\\Http\\Kernel",
                "use App\\Http\\Kernel;",
                Php,
            ),
        ];
        let out = walk(&files, &imports, &[entry("public/index.php", true)]);
        assert!(reached(&out, "lib/db.php"));
        assert!(reached(&out, "src/Http/Kernel.php"));
        assert_eq!(out.placed["tools/seed.php"], Placed::Unreachable);
        // Composer's autoloader can load any class: nothing is unreachable.
        let mut with_autoload = imports.to_vec();
        with_autoload.push(import(
            "public/index.php",
            1,
            "/../vendor/autoload.php",
            "require __DIR__.'/../vendor/autoload.php';",
            Php,
        ));
        let out = walk(&files, &with_autoload, &[entry("public/index.php", true)]);
        assert_eq!(out.placed["tools/seed.php"], Placed::Undecided);
    }

    #[test]
    fn c_includes_bring_their_source_files() {
        let files = [
            file("src/main.c", Language::C),
            file("src/watch.h", Language::C),
            file("src/watch.c", Language::C),
            file("include/net/conn.h", Language::Cpp),
            file("src/net/conn.cpp", Language::Cpp),
            file("src/fuzz.c", Language::C),
            file("src/watch_inotify.c", Language::C),
        ];
        let imports = [
            import(
                "src/watch_inotify.c",
                1,
                "watch.h",
                "#include \"watch.h\"",
                Language::C,
            ),
            import(
                "src/main.c",
                1,
                "watch.h",
                "#include \"watch.h\"",
                Language::C,
            ),
            import(
                "src/main.c",
                2,
                "net/conn.h",
                "#include <net/conn.h>",
                Language::C,
            ),
            import(
                "src/main.c",
                3,
                "stdio.h",
                "#include <stdio.h>",
                Language::C,
            ),
        ];
        let out = walk(&files, &imports, &[entry("src/main.c", true)]);
        for rel in [
            "src/watch.h",
            "src/watch.c",
            "src/watch_inotify.c",
            "include/net/conn.h",
            "src/net/conn.cpp",
        ] {
            assert!(reached(&out, rel), "{rel}");
        }
        assert_eq!(out.placed["src/fuzz.c"], Placed::Unreachable);
        // With no C entry point (an eBPF object a Go loader attaches), the
        // C code is not called unreachable.
        let mut files = files.to_vec();
        files.push(file("main.go", Language::Go));
        let out = walk(&files, &imports, &[entry("main.go", true)]);
        assert_eq!(out.placed["src/fuzz.c"], Placed::Undecided);
        assert!(out.notes.iter().any(|n| n.contains("no entry point in c")));
    }

    #[test]
    fn jvm_packages_imports_and_spring_component_scans() {
        use Language::{Java, Kotlin};
        let m = "src/main/java/com/acme";
        let files = [
            file(&format!("{m}/App.java"), Java),
            file(&format!("{m}/Config.java"), Java),
            file(&format!("{m}/web/OrderController.java"), Java),
            file(&format!("{m}/media/Convert.kt"), Kotlin),
            file(&format!("{m}/util/Strings.java"), Java),
            file("src/main/java/org/tools/Migrate.java", Java),
        ];
        let imports = [
            import(
                &format!("{m}/App.java"),
                3,
                "com.acme.web.OrderController",
                "",
                Java,
            ),
            import(
                &format!("{m}/web/OrderController.java"),
                3,
                "com.acme.media.",
                "import com.acme.media.*;",
                Java,
            ),
            import(
                &format!("{m}/web/OrderController.java"),
                4,
                "java.util.List",
                "",
                Java,
            ),
        ];
        let app = format!("{m}/App.java");
        let out = walk(&files, &imports, &[entry(&app, true)]);
        // The same package needs no import; a wildcard names a package.
        assert!(reached(&out, &format!("{m}/Config.java")));
        assert!(reached(&out, &format!("{m}/media/Convert.kt")));
        assert_eq!(
            out.placed[&format!("{m}/util/Strings.java")],
            Placed::Unreachable
        );
        // A Spring Boot application scans the packages under its own.
        let mut boot = entry(&app, true);
        boot.scans = true;
        let out = walk(&files, &imports, &[boot]);
        assert!(reached(&out, &format!("{m}/util/Strings.java")));
        assert_eq!(
            out.placed["src/main/java/org/tools/Migrate.java"],
            Placed::Unreachable
        );
    }

    #[test]
    fn no_entry_means_no_graph() {
        let files = [file("a.py", Language::Python)];
        let out = walk(&files, &[], &[]);
        assert_eq!(out.reachability.status, ReachStatus::None);
        assert_eq!(out.placed["a.py"], Placed::Undecided);
    }

    #[test]
    fn cycles_and_long_chains_stay_bounded() {
        use Language::Python;
        let n = 2_000;
        let files: Vec<File> = (0..n).map(|i| file(&format!("m{i}.py"), Python)).collect();
        let imports: Vec<Fact> = (0..n)
            .map(|i| {
                let next = format!("m{}", (i + 1) % n);
                import(
                    &format!("m{i}.py"),
                    1,
                    &next,
                    &format!("import {next}"),
                    Python,
                )
            })
            .collect();
        let out = walk(&files, &imports, &[entry("m0.py", true)]);
        // A cycle of 2000 is walked to the depth bound, the rest undecided.
        assert_eq!(out.reachability.files, n);
        assert_eq!(
            out.reachability.reached + out.reachability.undecided,
            n,
            "{:?}",
            out.reachability
        );
        assert!(out.reachability.reached > MAX_DEPTH);
    }
}
