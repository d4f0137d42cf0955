//! Facts: what a parser learned from one artefact, before any rule is applied.
//!
//! Parsers know file formats and nothing about Wasm; rules know Wasm and
//! nothing about file formats. Facts are the narrow waist between the two, so
//! a new manifest format or binary format never touches a rule, and a new rule
//! never touches a parser.

use crate::model::context::Context;
use crate::model::language::Language;
use serde::{Deserialize, Serialize};

/// Where something was seen: a line in a text file, or a symbol, section or
/// library in a binary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Path relative to the scan root, `/`-separated (inside an image: the
    /// path in the image's final filesystem).
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The matching line, trimmed, or a one-line description for binaries.
    #[serde(default)]
    pub snippet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub library: Option<String>,
}

impl Location {
    pub fn line(path: &str, line: u32, snippet: &str) -> Location {
        Location {
            path: path.to_string(),
            line: Some(line),
            snippet: clip(snippet.trim()),
            ..Location::default()
        }
    }

    pub fn file(path: &str, snippet: &str) -> Location {
        Location {
            path: path.to_string(),
            snippet: clip(snippet.trim()),
            ..Location::default()
        }
    }
}

/// Snippets are for people; a minified line or a base64 blob must not bloat a
/// report.
pub fn clip(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Package ecosystems with a dependency manifest wasmfit reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ecosystem {
    Crates,
    Go,
    Npm,
    Pypi,
    Maven,
    Nuget,
    Hex,
    Rubygems,
    /// PHP packages (composer.json, composer.lock).
    Packagist,
}

impl Ecosystem {
    pub const ALL: [Ecosystem; 9] = [
        Ecosystem::Crates,
        Ecosystem::Go,
        Ecosystem::Npm,
        Ecosystem::Pypi,
        Ecosystem::Maven,
        Ecosystem::Nuget,
        Ecosystem::Hex,
        Ecosystem::Rubygems,
        Ecosystem::Packagist,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Ecosystem::Crates => "crates",
            Ecosystem::Go => "go",
            Ecosystem::Npm => "npm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Maven => "maven",
            Ecosystem::Nuget => "nuget",
            Ecosystem::Hex => "hex",
            Ecosystem::Rubygems => "rubygems",
            Ecosystem::Packagist => "packagist",
        }
    }

    pub fn from_id(id: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.into_iter().find(|e| e.id() == id)
    }

    /// Package names compare the way the ecosystem's own tools compare them:
    /// PyPI folds case and `-`/`_`/`.` (PEP 503), crates.io folds `-`/`_`,
    /// NuGet and Packagist fold case; the rest are exact.
    pub fn normalize(self, name: &str) -> String {
        match self {
            Ecosystem::Pypi => name.to_ascii_lowercase().replace(['_', '.'], "-"),
            Ecosystem::Crates => name.replace('_', "-"),
            Ecosystem::Nuget | Ecosystem::Packagist => name.to_ascii_lowercase(),
            _ => name.to_string(),
        }
    }
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// Why a manifest declares a dependency, which decides whether it ships
/// with the service. Lock entries get the scope of the roots that pull them
/// in (`parse::manifest::lockgraph`, `analyze::scopes`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Ships and runs with the service.
    #[default]
    Runtime,
    /// Ships only when someone opts in: an optional dependency no default
    /// feature enables, an extra, an optional peer.
    Optional,
    /// Only for a platform the service does not run on: a Linux container
    /// (and its Wasm port) never builds `[target.'cfg(windows)'.dependencies]`.
    OtherPlatform,
    /// Development only: devDependencies, dev groups, live reload, linters.
    Dev,
    /// Tests only: test scope, test groups, test projects.
    Test,
    /// Needed to build only: build-dependencies, annotation processors,
    /// compile-only and analyzer packages.
    Build,
    /// Declared for workspace members to inherit (`[workspace.dependencies]`):
    /// it ships only as far as a member uses it.
    Workspace,
}

impl Scope {
    pub fn id(self) -> &'static str {
        match self {
            Scope::Runtime => "runtime",
            Scope::Optional => "optional",
            Scope::OtherPlatform => "other-platform",
            Scope::Dev => "dev",
            Scope::Test => "test",
            Scope::Build => "build",
            Scope::Workspace => "workspace",
        }
    }

    /// The context a declaration in this scope gets, or `None` when it takes
    /// the manifest's own context (runtime, and workspace declarations until
    /// a member's use says otherwise).
    pub fn context(self) -> Option<Context> {
        match self {
            Scope::Runtime | Scope::Workspace => None,
            Scope::Optional | Scope::OtherPlatform => Some(Context::Optional),
            Scope::Dev => Some(Context::Dev),
            Scope::Test => Some(Context::Test),
            Scope::Build => Some(Context::Build),
        }
    }

    /// The scope a propagated context stands for (the inverse of `context`
    /// for the contexts a scope produces; anything else does not ship).
    pub fn from_context(context: Context) -> Scope {
        match context {
            Context::Service => Scope::Runtime,
            Context::Optional => Scope::Optional,
            Context::Test => Scope::Test,
            Context::Build => Scope::Build,
            _ => Scope::Dev,
        }
    }

    /// The context of a dependency declared in this scope in a file whose
    /// own context is `file`: a file that does not ship (a manifest under
    /// `examples/`) keeps its context whatever the scope says.
    pub fn within(self, file: Context) -> Context {
        match self.context() {
            Some(c) if file.counts() => c,
            _ => file,
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A lock entry whose scope depends on manifests in other files (Cargo.lock
/// and Cargo.toml, yarn.lock and package.json...): its place in the lock's
/// dependency graph, for `analyze::scopes` to walk once every file is read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockEntry {
    /// Unique within its lock file (`name version`, `name@range`).
    pub key: String,
    /// Entries it depends on: keys, or names where the lock only names them
    /// (then every entry of that name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Entries it depends on only optionally (an extra, an optional
    /// dependency): what arrives only this way is `optional`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub optional: Vec<String>,
    /// One of the project's own packages asks for it directly (a workspace
    /// member in Cargo.lock, Gemfile.lock's DEPENDENCIES): a root even when
    /// no manifest wasmfit read declares it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub direct: bool,
}

/// One declared or locked dependency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependency {
    pub ecosystem: Ecosystem,
    pub name: String,
    /// The version or requirement as written (`^1.2`, `==2.1.0`, `v0.12.3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Enabled features, where the manifest says (Cargo).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// Declared for development or build only (dev, test or build scope).
    #[serde(default)]
    pub dev: bool,
    /// Why it is declared; for a lock entry, what the lock and its roots
    /// say (runtime until a manifest says otherwise).
    #[serde(default)]
    pub scope: Scope,
    /// Set on lock entries whose scope is decided across files. Boxed:
    /// a manifest's declarations, held to the end of a scan, have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<Box<LockEntry>>,
    /// Required only for another requirement (go.mod's `// indirect`): no
    /// code of the module imports it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub indirect: bool,
    /// A script of the manifest runs it as a command (npm `scripts`), so it
    /// is used even when no code imports it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub run_by_scripts: bool,
}

pub use crate::model::runtime::RuntimeId;

/// What a runtime hint says, before `rules/runtimes.toml` says which runtime
/// it means: parsers know file formats, the rule files know that
/// `python:3.12-slim` or `PYTHON_VERSION` means CPython.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "clue", content = "value", rename_all = "kebab-case")]
pub enum RuntimeClue {
    /// The runtime itself, when the artefact's format names it (a Go
    /// binary's build info, a `.class` file, a Wasm module).
    Id(RuntimeId),
    /// Source code in a language.
    Language(Language),
    /// A dependency manifest of an ecosystem (`go.mod`, `pom.xml`).
    Ecosystem(Ecosystem),
    /// A base image reference as written after ARG substitution.
    Image(String),
    /// The name of an environment variable an image sets.
    Env(String),
}

/// Everything a parser can learn that a rule can match on. The set is closed:
/// a new kind of fact comes with a matcher kind in `rules::model`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FactKind {
    /// `import subprocess`, `import "os/exec"`, `require('child_process')`,
    /// `use std::process`, `#include <sys/inotify.h>`.
    Import { language: Language, module: String },
    /// Boxed: the largest kind by far, and every other fact would be
    /// sized for it.
    Dependency(Box<Dependency>),
    /// A `FROM` image, after ARG substitution. `stage` is the stage's own
    /// name (`AS builder`); `is_final` marks the stage that ships.
    BaseImage {
        image: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<String>,
        is_final: bool,
    },
    /// A package installed into an image (`apt-get install ffmpeg`).
    OsPackage { manager: String, name: String },
    /// A Dockerfile instruction with its arguments joined on one line.
    Instruction { instruction: String, args: String },
    /// A compose service setting, e.g. `privileged` = `true`,
    /// `cap_add` = `NET_ADMIN`, `deploy.resources.reservations.devices` = `gpu`.
    Compose {
        service: String,
        key: String,
        value: String,
    },
    /// A symbol a binary imports (or, when static, defines).
    Symbol { name: String },
    /// A function name recovered from a binary (Go pclntab, Rust symbols).
    Function { name: String },
    /// A shared library a binary needs or names for dlopen.
    Library { name: String },
    /// A syscall site with its number resolved to a name.
    Syscall { name: String },
    /// A named section of a binary (`.nv_fatbin`).
    Section { name: String },
    /// A Wasm import (`wasi_snapshot_preview1` `fd_write`, or a component's
    /// `wasi:http/outgoing-handler@0.2.0`).
    WasmImport { module: String, name: String },
    /// A file whose name or type alone is a signal (`binding.gyp`, a `.node`
    /// addon, `supervisord.conf`).
    File { name: String },
    /// A hint that the service runs on a runtime, with a weight: a manifest
    /// or the shipping base image weighs more than one stray script.
    Runtime { clue: RuntimeClue, weight: u32 },
    /// A device node the code opens or a binary names (`/dev/kvm`,
    /// `/dev/nvidia0`): hardware or kernel access by its meaning, whatever
    /// API opens it.
    Device { path: String },
    /// How a program starts, as a manifest, a Procfile or setup.cfg says
    /// it: a file (`"main": "src/server.js"`), a module
    /// (`pkg.cli:main`), a class (`com.acme.App`), a module name
    /// (`MyApp.Application`) or a command line (`node server.js`), by
    /// `kind`. `main` is false for a side program the file names beside
    /// the server (a `bin` next to `scripts.start`, a `release:` process).
    /// No rule matches it: `analyze::entries` resolves it to a file.
    Entry {
        entry: crate::model::service::EntryKind,
        target: String,
        main: bool,
    },
    /// The name code uses a Cargo package's library by (`[lib] name`, else
    /// `[package] name` with `-` as `_`), and the library's root file from
    /// the manifest's directory (`src/lib.rs` unless `[lib] path` says
    /// otherwise). No rule matches it: the import graph (analyze::reach)
    /// resolves the name's paths to that file. `bins` are the package's
    /// `[[bin]]` tables that give both a name and a path: an image that
    /// runs `/sbin/kanidmd` starts the `path` of the bin named `kanidmd`
    /// (`analyze::entries::cargo_binaries`).
    Crate {
        name: String,
        root: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        bins: Vec<(String, String)>,
    },
    /// go.mod's `module` directive: the import path of the package in the
    /// directory of that go.mod. No rule matches it: the import graph
    /// (analyze::reach) resolves imports of that path to this directory,
    /// the one package whose directory no import path names.
    GoModule { path: String },
    /// A package.json script: its `name` under `scripts`, the command it
    /// runs, and the `package`'s own name (empty when it has none), which
    /// `pnpm --filter` and `yarn workspace` select it by. No rule matches
    /// it: `analyze::scripts` follows commands that run it.
    Script {
        package: String,
        name: String,
        command: String,
    },
}

/// A fact with where it was seen and in which context.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    #[serde(flatten)]
    pub kind: FactKind,
    pub at: Location,
    pub context: Context,
}

impl Fact {
    pub fn new(kind: FactKind, at: Location, context: Context) -> Fact {
        Fact { kind, at, context }
    }

    /// A compose setting as (service, key, value); `None` for other facts.
    pub fn compose(&self) -> Option<(&str, &str, &str)> {
        match &self.kind {
            FactKind::Compose {
                service,
                key,
                value,
            } => Some((service, key, value)),
            _ => None,
        }
    }
}

/// One source file's imports, kept for the reachability walk until every
/// file is parsed. A file can hold hundreds and a tree hundreds of
/// thousands, so they are not kept as `Fact`s (a few hundred bytes and
/// three strings each): the file's path and language are held once, the
/// module names and lines in one string, and each import is three numbers.
#[derive(Clone, Debug, Default)]
pub struct FileImports {
    path: String,
    language: Option<Language>,
    /// Each import's module, then its snippet.
    text: String,
    /// Per import: its line, and where its module and its snippet end in
    /// `text` (each starts where the one before ends).
    items: Vec<(u32, u32, u32)>,
}

impl FileImports {
    pub fn new(path: &str, language: Language) -> FileImports {
        FileImports {
            path: path.to_string(),
            language: Some(language),
            ..FileImports::default()
        }
    }

    /// Adds an import seen at `line`, with its location's snippet as is.
    pub fn push(&mut self, line: u32, module: &str, snippet: &str) {
        self.text.push_str(module);
        let module_end = self.text.len() as u32;
        self.text.push_str(snippet);
        self.items.push((line, module_end, self.text.len() as u32));
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.items.shrink_to_fit();
    }

    pub fn iter(&self) -> impl Iterator<Item = ImportRef<'_>> + Clone {
        let mut start = 0usize;
        self.items
            .iter()
            .filter_map(move |&(line, module_end, snippet_end)| {
                let (m, s) = (module_end as usize, snippet_end as usize);
                let module = &self.text[start..m];
                start = s;
                Some(ImportRef {
                    path: &self.path,
                    line: Some(line),
                    language: self.language?,
                    module,
                    snippet: &self.text[m..s],
                })
            })
    }
}

/// An import as the reachability walk and the npm check read it: from a
/// `FileImports`, or from an import `Fact`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportRef<'a> {
    pub path: &'a str,
    pub line: Option<u32>,
    pub language: Language,
    pub module: &'a str,
    pub snippet: &'a str,
}

impl ImportRef<'_> {
    /// Where it was seen, as the import's fact says it.
    pub fn location(&self) -> Location {
        Location {
            path: self.path.to_string(),
            line: self.line,
            snippet: self.snippet.to_string(),
            ..Location::default()
        }
    }
}

/// Anything that may be an import: an `ImportRef`, or a `Fact` (only an
/// import fact is one).
pub trait AsImport<'a> {
    fn into_import(self) -> Option<ImportRef<'a>>;
}

impl<'a> AsImport<'a> for ImportRef<'a> {
    fn into_import(self) -> Option<ImportRef<'a>> {
        Some(self)
    }
}

impl<'a> AsImport<'a> for &'a Fact {
    fn into_import(self) -> Option<ImportRef<'a>> {
        match &self.kind {
            FactKind::Import { language, module } => Some(ImportRef {
                path: &self.at.path,
                line: self.at.line,
                language: *language,
                module,
                snippet: &self.at.snippet,
            }),
            _ => None,
        }
    }
}
