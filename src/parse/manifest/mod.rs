//! Dependency manifests and lock files, turned into `Dependency` facts (one per
//! declared or locked package, at the line that declares it) and one `Runtime`
//! hint per manifest.
//!
//! Each format family lives in its own submodule; this module owns what they
//! share: the `Sink` that builds facts with the right context and location,
//! so every format reports lines and contexts the same way.

mod cargo;
mod cargo_target;
mod dotnet;
mod entries;
mod go;
mod gradle;
mod hex;
mod json_keys;
pub mod lockgraph;
mod maven;
mod npm;
mod nuget_lock;
mod php;
mod pnpm;
mod python;
mod python_lock;
mod ruby;
mod xml;
mod yarn;

use super::Output;
use crate::model::artifact::ManifestKind;
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{
    Dependency, Ecosystem, Fact, FactKind, Location, LockEntry, RuntimeClue, Scope,
};

/// The weight of a manifest's runtime hint (see the plan: manifest = 10).
const MANIFEST_WEIGHT: u32 = 10;

/// Problems reported per file, at most.
const MAX_DIAGNOSTICS: usize = 5;

/// Longer "package names" are garbage (a minified blob, a binary file read as
/// text); no registry accepts them and no rule can match them.
const MAX_NAME_LEN: usize = 256;

/// Parses one manifest or lock file. Never panics; a broken file yields what
/// could be read plus a `Malformed` diagnostic.
pub fn parse(kind: ManifestKind, rel: &str, text: &str, context: Context) -> Output {
    let mut sink = Sink::new(rel, text, context);
    match kind {
        ManifestKind::CargoToml => cargo::manifest(&mut sink),
        ManifestKind::CargoLock => cargo::lock(&mut sink),
        ManifestKind::GoMod => go::go_mod(&mut sink),
        ManifestKind::PackageJson => npm::package_json(&mut sink),
        ManifestKind::PackageLock => npm::package_lock(&mut sink),
        ManifestKind::YarnLock => yarn::yarn_lock(&mut sink),
        ManifestKind::PnpmLock => pnpm::pnpm_lock(&mut sink),
        ManifestKind::Requirements => python::requirements(&mut sink),
        ManifestKind::Pyproject => python::pyproject(&mut sink),
        ManifestKind::Pipfile => python::pipfile(&mut sink),
        ManifestKind::PipfileLock => python::pipfile_lock(&mut sink),
        ManifestKind::PomXml => maven::pom(&mut sink),
        ManifestKind::Gradle => gradle::build_gradle(&mut sink),
        ManifestKind::Csproj => dotnet::csproj(&mut sink),
        ManifestKind::MixExs => hex::mix_exs(&mut sink),
        ManifestKind::MixLock => hex::mix_lock(&mut sink),
        ManifestKind::Gemfile => ruby::gemfile(&mut sink),
        ManifestKind::GemfileLock => ruby::gemfile_lock(&mut sink),
        ManifestKind::ComposerJson => php::composer_json(&mut sink),
        ManifestKind::ComposerLock => php::composer_lock(&mut sink),
        ManifestKind::PoetryLock => python_lock::poetry_lock(&mut sink),
        ManifestKind::UvLock => python_lock::uv_lock(&mut sink),
        ManifestKind::NugetLock => nuget_lock::packages_lock(&mut sink),
    }
    entries::declared(kind, &mut sink);
    sink.out
}

/// Files that only say how a service starts, by name: a `Procfile`, a
/// `setup.cfg`, a uWSGI ini, a `supervisord.conf`. `None` for any other
/// file.
pub fn launch_file(name: &str, rel: &str, text: &str, context: Context) -> Option<Output> {
    let mut sink = Sink::new(rel, text, context);
    match name {
        "Procfile" => entries::procfile(&mut sink),
        "setup.cfg" => entries::setup_cfg(&mut sink),
        n if is_uwsgi_ini(n) => entries::uwsgi_ini(&mut sink),
        "supervisord.conf" => entries::supervisord_conf(&mut sink),
        _ => return None,
    }
    Some(sink.out)
}

/// A uWSGI configuration (`uwsgi.ini`, `uwsgi-prod.ini`), read for the
/// application it loads.
pub fn is_uwsgi_ini(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("uwsgi") && lower.ends_with(".ini")
}

/// Collects facts for one file and knows how to turn byte offsets into lines.
pub(crate) struct Sink<'a> {
    pub rel: &'a str,
    pub text: &'a str,
    pub context: Context,
    lines: LineIndex,
    pub out: Output,
}

impl<'a> Sink<'a> {
    fn new(rel: &'a str, text: &'a str, context: Context) -> Sink<'a> {
        Sink {
            rel,
            text,
            context,
            lines: LineIndex::new(text),
            out: Output::default(),
        }
    }

    /// The 1-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> u32 {
        self.lines.line_of(offset)
    }

    /// The text of 1-based `line`, without its line break.
    pub fn line_text(&self, line: u32) -> &'a str {
        self.lines.text(self.text, line)
    }

    /// Records a dependency declared at `line`. Its context is its scope's
    /// when this file ships, the file's own otherwise.
    pub fn dep(&mut self, dep: Dep, line: u32) {
        let name = dep.name.trim();
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return;
        }
        let context = dep.scope.within(self.context);
        let version = dep
            .version
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let fact = FactKind::Dependency(Box::new(Dependency {
            ecosystem: dep.ecosystem,
            name: name.to_string(),
            version,
            features: dep.features,
            dev: matches!(dep.scope, Scope::Dev | Scope::Test | Scope::Build),
            scope: dep.scope,
            lock: dep.lock.map(Box::new),
            indirect: dep.indirect,
            run_by_scripts: dep.run_by_scripts,
        }));
        let at = Location::line(self.rel, line, self.line_text(line));
        self.out.facts.push(Fact::new(fact, at, context));
    }

    /// Reports a lock whose graph is over the caps: its entries keep the
    /// file's context.
    pub fn graph_too_big(&mut self) {
        self.out.diagnostics.push(Diagnostic::new(
            DiagKind::Note,
            self.rel,
            format!(
                "lock file graph over {} entries or {} edges: dependency scopes not propagated, every entry counts",
                lockgraph::MAX_NODES,
                lockgraph::MAX_EDGES
            ),
        ));
    }

    /// Records that a manifest of this ecosystem is here; which runtime
    /// that means is rules/runtimes.toml's. Called once per manifest, never
    /// for lock files: a lock beside its manifest must not count twice.
    pub fn runtime(&mut self, ecosystem: Ecosystem) {
        let at = Location::file(self.rel, "dependency manifest");
        let kind = FactKind::Runtime {
            clue: RuntimeClue::Ecosystem(ecosystem),
            weight: MANIFEST_WEIGHT,
        };
        self.out.facts.push(Fact::new(kind, at, self.context));
    }

    /// Reports a broken file; what was read so far is kept. Only the first
    /// few problems are kept: a binary file read as a manifest would
    /// otherwise add one diagnostic per line.
    pub fn malformed(&mut self, message: impl Into<String>) {
        if self.out.diagnostics.len() >= MAX_DIAGNOSTICS {
            return;
        }
        let message: String = message.into();
        // Parser errors can quote the input; keep the report one short line.
        let first = message.lines().next().unwrap_or("").trim();
        self.out.diagnostics.push(Diagnostic::new(
            DiagKind::Malformed,
            self.rel,
            crate::model::fact::clip(first),
        ));
    }
}

/// A dependency before it gets a location and a context.
pub(crate) struct Dep {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: Option<String>,
    pub features: Vec<String>,
    pub scope: Scope,
    pub lock: Option<LockEntry>,
    pub run_by_scripts: bool,
    pub indirect: bool,
}

impl Dep {
    pub fn new(ecosystem: Ecosystem, name: impl Into<String>) -> Dep {
        Dep {
            ecosystem,
            name: name.into(),
            version: None,
            features: Vec::new(),
            scope: Scope::Runtime,
            lock: None,
            run_by_scripts: false,
            indirect: false,
        }
    }

    pub fn version(mut self, version: Option<impl Into<String>>) -> Dep {
        self.version = version.map(Into::into);
        self
    }

    pub fn scope(mut self, scope: Scope) -> Dep {
        self.scope = scope;
        self
    }

    pub fn features(mut self, features: Vec<String>) -> Dep {
        self.features = features;
        self
    }

    /// Required only for another requirement (go.mod's `// indirect`).
    pub fn indirect(mut self, yes: bool) -> Dep {
        self.indirect = yes;
        self
    }

    /// Run as a command by the manifest's scripts.
    pub fn run_by_scripts(mut self, yes: bool) -> Dep {
        self.run_by_scripts = yes;
        self
    }

    /// A lock entry whose scope `analyze::scopes` decides from manifests.
    pub fn lock(mut self, entry: LockEntry) -> Dep {
        self.lock = Some(entry);
        self
    }
}

/// One line of an indentation-structured lock file (pnpm-lock.yaml,
/// yarn.lock).
pub(crate) struct IndentedLine<'t> {
    /// 1-based.
    pub number: u32,
    /// Leading spaces.
    pub indent: usize,
    pub line: &'t str,
    /// The line trimmed.
    pub body: &'t str,
}

/// The lines of `text` that say something (not blank, not `#` comments).
pub(crate) fn indented_lines(text: &str) -> impl Iterator<Item = IndentedLine<'_>> {
    text.lines().enumerate().filter_map(|(idx, line)| {
        let body = line.trim();
        (!body.is_empty() && !body.starts_with('#')).then(|| IndentedLine {
            number: u32::try_from(idx + 1).unwrap_or(u32::MAX),
            indent: line.len() - line.trim_start_matches(' ').len(),
            line,
            body,
        })
    })
}

/// Byte offset -> line number in O(log n), built in one pass.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    pub fn line_of(&self, offset: usize) -> u32 {
        let idx = self.starts.partition_point(|&s| s <= offset);
        u32::try_from(idx.max(1)).unwrap_or(u32::MAX)
    }

    pub fn text<'t>(&self, text: &'t str, line: u32) -> &'t str {
        let idx = (line as usize).saturating_sub(1);
        let Some(&start) = self.starts.get(idx) else {
            return "";
        };
        let end = self.starts.get(idx + 1).map_or(text.len(), |&e| e);
        let slice = text.get(start..end).unwrap_or("");
        slice.trim_end_matches(['\n', '\r'])
    }
}

/// The scope a group, profile or extra's name stands for: tests (`test`,
/// `tests`, `bench`, `coverage`), development (`dev`, `lint`, `docs`,
/// `typing`...), or None for a name that says nothing (`server`, `gpu`).
pub(crate) fn group_scope(name: &str) -> Option<Scope> {
    let lower = name.to_ascii_lowercase();
    [(TEST_GROUPS, Scope::Test), (DEV_GROUPS, Scope::Dev)]
        .into_iter()
        .find(|(names, _)| names.say(&lower))
        .map(|(_, scope)| scope)
}

/// Group names that stand for one scope: these words, or a name that
/// begins or ends with one of the affixes.
struct GroupNames {
    words: &'static [&'static str],
    prefixes: &'static [&'static str],
    suffixes: &'static [&'static str],
}

impl GroupNames {
    fn say(&self, lower: &str) -> bool {
        self.words.contains(&lower)
            || self.prefixes.iter().any(|p| lower.starts_with(p))
            || self.suffixes.iter().any(|s| lower.ends_with(s))
    }
}

const TEST_GROUPS: GroupNames = GroupNames {
    words: &[
        "test",
        "tests",
        "testing",
        "bench",
        "benchmark",
        "benchmarks",
        "coverage",
        "e2e",
        "integration",
    ],
    prefixes: &["test-", "test_"],
    suffixes: &["-test", "-tests", "_test", "_tests"],
};

const DEV_GROUPS: GroupNames = GroupNames {
    words: &[
        "dev",
        "develop",
        "development",
        "lint",
        "linting",
        "docs",
        "doc",
        "typing",
        "types",
        "mypy",
        "ci",
        "style",
        "format",
        "fmt",
        "qa",
        "check",
        "debug",
    ],
    prefixes: &["dev-", "dev_"],
    suffixes: &["-dev", "_dev"],
};

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Parses `text` as the manifest of a service.
    pub fn service(kind: ManifestKind, rel: &str, text: &str) -> Output {
        parse(kind, rel, text, Context::Service)
    }

    /// The context each dependency of `out` is in, by name.
    pub fn context_of(out: &Output) -> impl Fn(&str) -> Context + '_ {
        move |name| find(out, name).context
    }

    /// `(name, version, dev, context, line)` of every dependency fact.
    pub type Row = (String, Option<String>, bool, Context, u32);

    pub fn deps(out: &Output) -> Vec<Row> {
        out.facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::Dependency(d) => Some((
                    d.name.clone(),
                    d.version.clone(),
                    d.dev,
                    f.context,
                    f.at.line.unwrap_or(0),
                )),
                _ => None,
            })
            .collect()
    }

    pub fn find<'o>(out: &'o Output, name: &str) -> &'o Fact {
        out.facts
            .iter()
            .find(|f| matches!(&f.kind, FactKind::Dependency(d) if d.name == name))
            .unwrap_or_else(|| panic!("no dependency {name} in {:#?}", out.facts))
    }

    /// The ecosystems manifests report as runtime hints (which runtime
    /// each means is rules/runtimes.toml's, tested there).
    pub fn runtimes(out: &Output) -> Vec<(String, u32)> {
        out.facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::Runtime {
                    clue: RuntimeClue::Ecosystem(e),
                    weight,
                } => Some((e.to_string(), *weight)),
                _ => None,
            })
            .collect()
    }

    /// Random bytes and mangled copies of `seed` must never panic.
    pub fn no_panic(kind: ManifestKind, seed: &str) {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let mut bytes: Vec<u8> = seed.as_bytes().to_vec();
            let edits = (next() % 12) as usize;
            for _ in 0..edits {
                if bytes.is_empty() {
                    break;
                }
                let i = (next() as usize) % bytes.len();
                match next() % 4 {
                    0 => bytes[i] = (next() & 0xff) as u8,
                    1 => {
                        bytes.remove(i);
                    }
                    2 => {
                        let pool = b"{[\"'\n\\<>=:#";
                        bytes.insert(i, pool[(next() as usize) % pool.len()]);
                    }
                    _ => bytes.truncate(i),
                }
            }
            if round % 10 == 0 {
                bytes = (0..(next() % 512)).map(|_| (next() & 0xff) as u8).collect();
            }
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse(kind, "x", &text, Context::Service);
        }
        // A huge single line, and nesting deep enough to overflow a
        // recursive parser on a 2 MB test thread.
        let huge = format!("{}\n", "a=\"b\", ".repeat(200_000));
        let _ = parse(kind, "x", &huge, Context::Service);
        for deep in [
            "[".repeat(100_000),
            "{\"a\":".repeat(100_000),
            format!("a = {}", "[".repeat(100_000)),
            "<a>".repeat(100_000),
        ] {
            let _ = parse(kind, "x", &deep, Context::Service);
        }
    }

    #[test]
    fn line_index() {
        let text = "a\nbb\n\nccc";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_of(0), 1);
        assert_eq!(idx.line_of(2), 2);
        assert_eq!(idx.line_of(5), 3);
        assert_eq!(idx.line_of(6), 4);
        assert_eq!(idx.text(text, 2), "bb");
        assert_eq!(idx.text(text, 4), "ccc");
        assert_eq!(idx.text(text, 9), "");
    }

    #[test]
    fn every_kind_survives_garbage() {
        for kind in ManifestKind::ALL {
            let bin: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
            let _ = parse(kind, "x", &String::from_utf8_lossy(&bin), Context::Service);
            let _ = parse(kind, "x", "", Context::Service);
        }
    }
}
