//! Reachability: which of a service's files its entry points import,
//! directly or through other files of the tree.
//!
//! The graph is built from the import facts the parsers found, per
//! language: Python modules (absolute, relative, `from pkg import mod`), JS
//! and TS relative `import`/`require`, Go packages (a directory is one
//! package). A file no entry point reaches is `unreachable`; one only a
//! side entry point reaches is `optional`; a reached file's evidence carries
//! the chain of imports that reaches it. Where the graph cannot decide (a
//! language without a resolver here, a dynamic import, a bound hit) the
//! file is `undecided` and judged as before, with lower confidence: the
//! walk never hides evidence it is not sure of.
//!
//! The walk is breadth-first, bounded in nodes and depth, and linear in the
//! number of edges.

use crate::analyze::finding::Hit;
use crate::model::context::Context;
use crate::model::fact::{Fact, FactKind, Location};
use crate::model::language::Language;
use crate::model::service::{ReachStatus, Reachability};
use crate::rules::Confidence;
use std::collections::{HashMap, HashSet, VecDeque};

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
}

/// An entry point's file, and whether the service runs it on its main path.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub rel: String,
    pub main: bool,
}

/// Where a file sits once the walk is done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Placed {
    /// Reached from a main entry point: the entry, then each import site.
    Reached(Vec<Location>),
    /// Reached only from a side entry point.
    Optional(Vec<Location>),
    Unreachable,
    Undecided,
}

#[derive(Debug)]
pub(crate) struct Outcome {
    pub reachability: Reachability,
    pub placed: HashMap<String, Placed>,
    pub notes: Vec<String>,
}

impl Outcome {
    /// Keeps the chains but decides nothing: for a tree with no shipping
    /// image, what its programs do not import may still be the library it
    /// publishes, so nothing is left out.
    pub(crate) fn advisory(&mut self) {
        let mut changed = false;
        for p in self.placed.values_mut() {
            if matches!(p, Placed::Unreachable | Placed::Optional(_)) {
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
        r.reached = self
            .placed
            .values()
            .filter(|p| matches!(p, Placed::Reached(_)))
            .count();
        r.optional = 0;
        r.unreachable = 0;
        r.undecided = r.files - r.reached;
        self.reachability = r;
    }
}

fn resolves(lang: Language) -> bool {
    matches!(
        lang,
        Language::Python | Language::JavaScript | Language::TypeScript | Language::Go
    )
}

/// The node a file belongs to: itself, or for Go its package directory.
fn node_of(f: &File) -> String {
    if f.language == Language::Go {
        format!("go:{}", dir_of(&f.rel))
    } else {
        f.rel.clone()
    }
}

fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// Index of the tree's modules for resolving import names.
struct Index {
    /// Python dotted-name suffixes (`orders.store`, `store`) -> files.
    python: HashMap<String, Vec<String>>,
    /// Every file, for JS relative resolution.
    files: HashSet<String>,
    /// Go package directories by every path suffix (`internal/serve`,
    /// `serve`).
    go: HashMap<String, Vec<String>>,
}

impl Index {
    fn new(files: &[File]) -> Index {
        let mut python: HashMap<String, Vec<String>> = HashMap::new();
        let mut go: HashMap<String, Vec<String>> = HashMap::new();
        for f in files {
            match f.language {
                Language::Python => {
                    let stem = f.rel.strip_suffix(".py").unwrap_or(&f.rel);
                    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
                    let parts: Vec<&str> = stem.split('/').collect();
                    for i in 0..parts.len() {
                        python
                            .entry(parts[i..].join("."))
                            .or_default()
                            .push(f.rel.clone());
                    }
                }
                Language::Go => {
                    let dir = dir_of(&f.rel);
                    let parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                    for i in 0..parts.len() {
                        let v = go.entry(parts[i..].join("/")).or_default();
                        if !v.iter().any(|d| d == dir) {
                            v.push(dir.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        Index {
            python,
            files: files.iter().map(|f| f.rel.clone()).collect(),
            go,
        }
    }

    /// The files (or Go package nodes) an import in `from` names, empty
    /// when it is not the tree's (a package, the standard library).
    fn resolve(&self, from: &File, module: &str, snippet: &str) -> Vec<String> {
        match from.language {
            Language::Python => self.python_targets(from, module, snippet),
            Language::JavaScript | Language::TypeScript => self.js_targets(from, module),
            Language::Go => self.go_targets(module),
            _ => Vec::new(),
        }
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
            if let Some(v) = self.python.get(&format!("{module}{name}")) {
                for rel in v {
                    if !out.contains(rel) {
                        out.push(rel.clone());
                    }
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
        Vec::new()
    }

    fn go_targets(&self, path: &str) -> Vec<String> {
        let parts: Vec<&str> = path.split('/').collect();
        // The standard library's paths have no dot in their first element
        // and would match any directory named `log` or `http`: only module
        // paths (a domain first) or multi-element paths are looked up.
        let module_path = parts.first().is_some_and(|p| p.contains('.'));
        for i in 0..parts.len() {
            let key = parts[i..].join("/");
            if !module_path && parts.len() - i < 2 {
                break;
            }
            if let Some(dirs) = self.go.get(&key) {
                return dirs.iter().map(|d| format!("go:{d}")).collect();
            }
        }
        Vec::new()
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
pub(crate) fn walk(files: &[File], imports: &[Fact], entries: &[Entry]) -> Outcome {
    let mut notes = Vec::new();
    let ix = Index::new(files);
    let by_rel: HashMap<&str, &File> = files.iter().map(|f| (f.rel.as_str(), f)).collect();
    // Edges: node -> (target node, the import's location).
    let mut edges: HashMap<String, Vec<(String, Location)>> = HashMap::new();
    for fact in imports {
        let FactKind::Import { module, .. } = &fact.kind else {
            continue;
        };
        let Some(from) = by_rel.get(fact.at.path.as_str()) else {
            continue;
        };
        if !resolves(from.language) {
            continue;
        }
        for target in ix.resolve(from, module, &fact.at.snippet) {
            let target = match by_rel.get(target.as_str()) {
                Some(f) => node_of(f),
                None => target,
            };
            edges
                .entry(node_of(from))
                .or_default()
                .push((target, fact.at.clone()));
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

    let resolvable: Vec<&File> = files.iter().filter(|f| resolves(f.language)).collect();
    let entry_nodes: Vec<(&Entry, String)> = entries
        .iter()
        .filter_map(|e| by_rel.get(e.rel.as_str()).map(|f| (e, node_of(f))))
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
        };
    }

    let main = bfs(&entry_nodes, true, &edges, &mut notes);
    let side = bfs(&entry_nodes, false, &edges, &mut notes);
    // A dynamic import in reached code can pull in anything: nothing that
    // was not reached is called unreachable then.
    let dynamic: Vec<&str> = files
        .iter()
        .filter(|f| {
            f.dynamic && (main.0.contains_key(&node_of(f)) || side.0.contains_key(&node_of(f)))
        })
        .map(|f| f.rel.as_str())
        .collect();
    let cut = main.1 || side.1;
    if !dynamic.is_empty() {
        notes.push(format!(
            "dynamic imports in {}{}: files the graph does not reach are judged as before",
            dynamic
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if dynamic.len() > 3 { " and more" } else { "" }
        ));
    }
    let mut unresolved_langs: Vec<&str> = Vec::new();
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
        } else if !dynamic.is_empty() || cut {
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
    let partial = placed.values().any(|p| *p == Placed::Undecided);
    let status = if partial {
        ReachStatus::Partial
    } else {
        ReachStatus::Complete
    };
    Outcome {
        reachability: count(files, &placed, status),
        placed,
        notes,
    }
}

/// Breadth-first from the entries (main ones, or side ones), each node
/// with the chain that first reached it; `true` when a bound cut the walk.
fn bfs(
    entries: &[(&Entry, String)],
    main: bool,
    edges: &HashMap<String, Vec<(String, Location)>>,
    notes: &mut Vec<String>,
) -> (HashMap<String, Vec<Location>>, bool) {
    let mut seen: HashMap<String, Vec<Location>> = HashMap::new();
    let mut queue: VecDeque<(String, usize)> = VecDeque::new();
    for (e, node) in entries.iter().filter(|(e, _)| e.main == main) {
        if !seen.contains_key(node) {
            let mut at = Location::file(&e.rel, "entry point");
            at.line = None;
            seen.insert(node.clone(), vec![at]);
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
            let mut chain = seen[&node].clone();
            chain.push(at.clone());
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
        match outcome.placed.get(&e.at.path) {
            Some(Placed::Reached(chain)) => e.chain = chain.clone(),
            Some(Placed::Optional(chain)) => {
                e.context = Context::Optional;
                e.chain = chain.clone();
                e.reason = Some(format!(
                    "reached only from a side entry point of service {service} ({})",
                    chain.first().map(|l| l.path.as_str()).unwrap_or("")
                ));
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

    fn file(rel: &str, language: Language) -> File {
        File {
            rel: rel.into(),
            language,
            dynamic: false,
        }
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
        }
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
        let steps: Vec<(String, Option<u32>)> =
            chain.iter().map(|l| (l.path.clone(), l.line)).collect();
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
    fn dynamic_imports_and_unknown_languages_are_undecided() {
        let mut app = file("app.py", Language::Python);
        app.dynamic = true;
        let files = [
            app,
            file("plugins/a.py", Language::Python),
            file("Main.java", Language::Java),
        ];
        let out = walk(&files, &[], &[entry("app.py", true)]);
        assert_eq!(out.reachability.status, ReachStatus::Partial);
        assert_eq!(out.placed["plugins/a.py"], Placed::Undecided);
        assert_eq!(out.placed["Main.java"], Placed::Undecided);
        assert!(out.notes.iter().any(|n| n.contains("dynamic imports")));
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
