//! Scopes across files: lock entries inherit the scope of the manifest
//! declarations that pull them in.
//!
//! Some lock files say nothing about dev-only packages: Cargo.lock mixes
//! every member's dev-dependencies into one graph, yarn.lock, Gemfile.lock,
//! mix.lock, packages.lock.json and older poetry.lock have no scope at all.
//! Their parsers leave each entry's edges on its fact (`LockEntry`), and once
//! every file is parsed this step walks each lock's graph from the
//! declarations of the manifests it serves: the same-kind manifests in the
//! lock's directory and below that have no nearer lock of their own (an
//! umbrella's apps, a workspace's members). A declaration's root context is
//! the context its manifest gave it (`[dev-dependencies]` is dev, a manifest
//! under `docs/` is docs); an entry the lock marks as asked for directly but
//! that no manifest read declares is a runtime root. Entries nothing reaches
//! keep their file's context: a lock read only in part must not hide
//! anything.
//!
//! `[workspace.dependencies]` declarations take the scope of the members'
//! uses of the same package.
//!
//! The result re-contexts the hits that lock entries (and workspace
//! declarations) produced; nothing else changes.

use crate::analyze::finding::Hit;
use crate::model::artifact::ManifestKind;
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Dependency, Ecosystem, Fact, FactKind, LockEntry, Scope};
use crate::model::finding::Source;
use crate::model::path::dir_of as dir;
use crate::parse::manifest::lockgraph::{self, Node};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Names listed per diagnostic, at most.
const MAX_NAMED: usize = 5;

/// Re-contexts `hits` from lock entries (and workspace declarations) in
/// `facts` to the scope their roots give them.
pub fn apply(facts: &[Fact], hits: &mut [Hit], diagnostics: &mut Vec<Diagnostic>) {
    let changes = decide(facts, diagnostics);
    if changes.is_empty() {
        return;
    }
    for h in hits.iter_mut() {
        if h.evidence.source != Source::Dependency {
            continue;
        }
        let Some(line) = h.evidence.at.line else {
            continue;
        };
        if let Some(ctx) = changes
            .get(h.evidence.at.path.as_str())
            .and_then(|m| m.get(&line))
        {
            h.evidence.context = *ctx;
        }
    }
}

/// The context each lock entry (and workspace declaration) of `facts` gets
/// where it differs from its fact's own, by path and line; the notes a
/// walk makes are left out (the tree-wide pass made them).
pub(crate) fn contexts(facts: &[Fact]) -> HashMap<String, HashMap<u32, Context>> {
    let mut notes = Vec::new();
    decide(facts, &mut notes)
        .into_iter()
        .map(|(p, m)| (p.to_string(), m))
        .collect()
}

/// A dependency fact with where it sits.
struct Decl<'a> {
    fact: &'a Fact,
    dep: &'a Dependency,
}

/// path -> line -> the context the entry or declaration on that line gets.
type Changes<'a> = HashMap<&'a str, HashMap<u32, Context>>;

fn decide<'a>(facts: &'a [Fact], diagnostics: &mut Vec<Diagnostic>) -> Changes<'a> {
    // Lock files with pending entries, and every lock and manifest
    // declaration by file kind.
    let mut pending: BTreeMap<&str, Vec<Decl>> = BTreeMap::new();
    let mut locks: HashMap<ManifestKind, HashSet<&str>> = HashMap::new();
    let mut manifests: HashMap<ManifestKind, Vec<Decl>> = HashMap::new();
    for fact in facts {
        let FactKind::Dependency(dep) = &fact.kind else {
            continue;
        };
        let Some(kind) = ManifestKind::of_path(&fact.at.path) else {
            continue;
        };
        let decl = Decl { fact, dep };
        if kind.is_lock() {
            locks.entry(kind).or_default().insert(dir(&fact.at.path));
            if dep.lock.is_some() {
                pending.entry(fact.at.path.as_str()).or_default().push(decl);
            }
        } else {
            manifests.entry(kind).or_default().push(decl);
        }
    }
    let mut changes: Changes = HashMap::new();
    // Manifest declarations by the lock that serves them.
    let mut served: HashMap<&str, Vec<&Decl>> = HashMap::new();
    for (&lock_kind, dirs) in &locks {
        let Some(manifest_kind) = lock_kind.manifest_of_lock() else {
            continue;
        };
        let lock_name = lock_file_name(lock_kind, &pending);
        for decl in manifests.get(&manifest_kind).into_iter().flatten() {
            let here = dir(&decl.fact.at.path);
            // A project file's lock sits beside it; the others serve
            // everything below them.
            let owner = if lock_kind == ManifestKind::NugetLock {
                dirs.contains(here).then_some(here)
            } else {
                ancestors(here).find(|d| dirs.contains(d))
            };
            if let Some(name) = owner.and_then(|o| lock_name.get(&(lock_kind, o))) {
                served.entry(name).or_default().push(decl);
            }
        }
    }
    for (path, entries) in &pending {
        let roots = served.get(path).map_or(&[][..], Vec::as_slice);
        walk(path, entries, roots, &mut changes, diagnostics);
    }
    if let Some(cargo) = manifests.get(&ManifestKind::CargoToml) {
        workspace_declarations(cargo, &mut changes);
    }
    changes
}

/// (lock kind, directory) -> the lock file's path, for locks with pending
/// entries.
fn lock_file_name<'a>(
    kind: ManifestKind,
    pending: &BTreeMap<&'a str, Vec<Decl>>,
) -> HashMap<(ManifestKind, &'a str), &'a str> {
    pending
        .keys()
        .filter(|p| ManifestKind::of_path(p) == Some(kind))
        .map(|p| ((kind, dir(p)), *p))
        .collect()
}

/// Walks one lock's graph from the declarations of the manifests it serves.
fn walk<'a>(
    path: &'a str,
    entries: &[Decl<'a>],
    roots: &[&Decl],
    changes: &mut Changes<'a>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(ecosystem) = entries.first().map(|d| d.dep.ecosystem) else {
        return;
    };
    let locked: Vec<&LockEntry> = entries
        .iter()
        .filter_map(|d| d.dep.lock.as_deref())
        .collect();
    if locked.len() != entries.len() {
        return;
    }
    let nodes: Vec<Node> = entries
        .iter()
        .zip(&locked)
        .map(|(d, l)| Node {
            key: &l.key,
            name: &d.dep.name,
            requires: &l.requires,
            optional: &l.optional,
        })
        .collect();
    let (graph, _) = lockgraph::build(ecosystem, &nodes);
    if graph.truncated() {
        diagnostics.push(Diagnostic::new(
            DiagKind::Note,
            path,
            format!(
                "lock file graph over {} entries or {} edges: dependency scopes not propagated, every entry counts",
                lockgraph::MAX_NODES,
                lockgraph::MAX_EDGES
            ),
        ));
        return;
    }
    // What the manifests declare, by name, in the most shipping context any
    // of them gives it. Workspace-level declarations are not uses.
    let mut declared: HashMap<String, Context> = HashMap::new();
    for r in roots.iter().filter(|r| r.dep.scope != Scope::Workspace) {
        let ctx = declared
            .entry(normalize(ecosystem, &r.dep.name))
            .or_insert(r.fact.context);
        *ctx = (*ctx).min(r.fact.context);
    }
    let mut starts: Vec<(usize, Context)> = Vec::new();
    let mut undeclared: Vec<&str> = Vec::new();
    for (i, (d, l)) in entries.iter().zip(&locked).enumerate() {
        let by_name = declared.get(&normalize(ecosystem, &d.dep.name));
        match by_name.or_else(|| declared.get(&l.key)) {
            Some(ctx) => starts.push((i, *ctx)),
            None if l.direct => {
                starts.push((i, Context::Service));
                if !roots.is_empty() && !undeclared.contains(&d.dep.name.as_str()) {
                    undeclared.push(&d.dep.name);
                }
            }
            None => {}
        }
    }
    // Every declared name the lock has is reachable from its own entry; a
    // lock without roots (no manifest read, none direct) stays as it is.
    if starts.is_empty() {
        return;
    }
    let reached = graph.reach(&starts);
    for (i, d) in entries.iter().enumerate() {
        let Some(ctx) = reached.get(i).copied().flatten() else {
            continue;
        };
        let now = d.fact.context;
        if now.counts() && ctx != now {
            if let Some(line) = d.fact.at.line {
                changes.entry(path).or_default().insert(line, ctx);
            }
        }
    }
    if !undeclared.is_empty() {
        let n = undeclared.len();
        undeclared.truncate(MAX_NAMED);
        diagnostics.push(Diagnostic::new(
            DiagKind::Note,
            path,
            format!(
                "{n} package(s) the lock file asks for directly are declared in no manifest read ({}{}); counted as runtime",
                undeclared.join(", "),
                if n > MAX_NAMED { ", ..." } else { "" }
            ),
        ));
    }
}

/// `[workspace.dependencies]` declarations ship as far as the members that
/// use them do: each takes the most shipping context among the uses of the
/// same package in Cargo.toml files at or below the workspace's directory.
fn workspace_declarations<'a>(cargo: &[Decl<'a>], changes: &mut Changes<'a>) {
    let mut uses: HashMap<String, Vec<(&str, Context)>> = HashMap::new();
    for d in cargo.iter().filter(|d| d.dep.scope != Scope::Workspace) {
        uses.entry(normalize(Ecosystem::Crates, &d.dep.name))
            .or_default()
            .push((dir(&d.fact.at.path), d.fact.context));
    }
    for d in cargo.iter().filter(|d| d.dep.scope == Scope::Workspace) {
        let root = dir(&d.fact.at.path);
        let best = uses
            .get(&normalize(Ecosystem::Crates, &d.dep.name))
            .into_iter()
            .flatten()
            .filter(|(at, _)| within(at, root))
            .map(|(_, ctx)| *ctx)
            .min();
        let (Some(ctx), Some(line)) = (best, d.fact.at.line) else {
            continue;
        };
        if d.fact.context.counts() && ctx != d.fact.context {
            changes
                .entry(d.fact.at.path.as_str())
                .or_default()
                .insert(line, ctx);
        }
    }
}

fn normalize(ecosystem: Ecosystem, name: &str) -> String {
    ecosystem.normalize(name)
}

/// `dir` and each directory above it, nearest first, ending with "".
fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(dir);
    std::iter::from_fn(move || {
        let here = next?;
        next = if here.is_empty() {
            None
        } else {
            Some(crate::model::path::dir_of(here))
        };
        Some(here)
    })
}

/// Whether `dir` is `root` or below it.
fn within(dir: &str, root: &str) -> bool {
    root.is_empty() || dir == root || dir.strip_prefix(root).is_some_and(|r| r.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::manifest;

    /// Parses `files` (path, text) as manifests, like a scan would.
    fn facts(files: &[(&str, &str)]) -> Vec<Fact> {
        let mut out = Vec::new();
        for (path, text) in files {
            let kind = ManifestKind::of_path(path).expect(path);
            let ctx = Context::of_path(path);
            out.extend(manifest::parse(kind, path, text, ctx).facts);
        }
        out
    }

    /// The context each lock entry named `name` in `path` ends up with.
    fn context_of(files: &[(&str, &str)], path: &str, name: &str) -> Context {
        let facts = facts(files);
        let mut diags = Vec::new();
        let changes = decide(&facts, &mut diags);
        let f = facts
            .iter()
            .find(|f| {
                f.at.path == path && matches!(&f.kind, FactKind::Dependency(d) if d.name == name)
            })
            .unwrap_or_else(|| panic!("no {name} in {path}"));
        changes
            .get(path)
            .and_then(|m| m.get(&f.at.line.unwrap_or(0)))
            .copied()
            .unwrap_or(f.context)
    }

    const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "server"
version = "0.1.0"
dependencies = ["nix", "tokio", "helper"]

[[package]]
name = "helper"
version = "0.1.0"
dependencies = ["libc"]

[[package]]
name = "nix"
version = "0.31.2"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["libc", "cfg-if"]

[[package]]
name = "tokio"
version = "1.40.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["mio"]

[[package]]
name = "mio"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["libc"]

[[package]]
name = "libc"
version = "0.2.155"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "cfg-if"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "stale"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    const SERVER: &str = "[package]\nname = \"server\"\n\n[dependencies]\ntokio = \"1\"\nhelper = { path = \"../helper\" }\n\n[dev-dependencies]\nnix = \"0.31\"\n";

    #[test]
    fn cargo_dev_dependency_and_its_own_deps_are_dev() {
        let files = [("Cargo.lock", CARGO_LOCK), ("server/Cargo.toml", SERVER)];
        assert_eq!(context_of(&files, "Cargo.lock", "nix"), Context::Dev);
        assert_eq!(context_of(&files, "Cargo.lock", "cfg-if"), Context::Dev);
        // libc is also reached from tokio (runtime).
        assert_eq!(context_of(&files, "Cargo.lock", "libc"), Context::Service);
        assert_eq!(context_of(&files, "Cargo.lock", "mio"), Context::Service);
        // Nothing reaches it: it keeps the lock's own context.
        assert_eq!(context_of(&files, "Cargo.lock", "stale"), Context::Service);
    }

    #[test]
    fn cargo_runtime_use_anywhere_wins() {
        let other = "[package]\nname = \"cli\"\n\n[dependencies]\nnix = \"0.31\"\n";
        let files = [
            ("Cargo.lock", CARGO_LOCK),
            ("server/Cargo.toml", SERVER),
            ("cli/Cargo.toml", other),
        ];
        assert_eq!(context_of(&files, "Cargo.lock", "nix"), Context::Service);
        assert_eq!(context_of(&files, "Cargo.lock", "cfg-if"), Context::Service);
        // A member under examples/: its declarations are examples.
        let files = [
            ("Cargo.lock", CARGO_LOCK),
            ("server/Cargo.toml", SERVER),
            ("examples/cli/Cargo.toml", other),
        ];
        assert_eq!(context_of(&files, "Cargo.lock", "nix"), Context::Dev);
    }

    #[test]
    fn without_a_manifest_the_lock_keeps_counting() {
        let files = [("Cargo.lock", CARGO_LOCK)];
        assert_eq!(context_of(&files, "Cargo.lock", "nix"), Context::Service);
        assert_eq!(context_of(&files, "Cargo.lock", "cfg-if"), Context::Service);
    }

    #[test]
    fn nearest_lock_serves_a_manifest() {
        // agent/ has its own lock: its manifest is no root of the top one.
        let agent = "[package]\nname = \"agent\"\n\n[dependencies]\nnix = \"0.31\"\n";
        let agent_lock = "version = 3\n\n[[package]]\nname = \"agent\"\nversion = \"0.0.0\"\ndependencies = [\"nix\"]\n\n[[package]]\nname = \"nix\"\nversion = \"0.31.2\"\nsource = \"registry+x\"\n";
        let files = [
            ("Cargo.lock", CARGO_LOCK),
            ("server/Cargo.toml", SERVER),
            ("agent/Cargo.toml", agent),
            ("agent/Cargo.lock", agent_lock),
        ];
        assert_eq!(context_of(&files, "Cargo.lock", "nix"), Context::Dev);
        assert_eq!(
            context_of(&files, "agent/Cargo.lock", "nix"),
            Context::Service
        );
    }

    #[test]
    fn undeclared_direct_entries_count_and_are_noted() {
        let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    listen (3.9.0)\n      rb-inotify (~> 0.9)\n    rb-inotify (0.11.1)\n    puma (6.0.0)\n\nDEPENDENCIES\n  listen\n  puma\n";
        let gemfile =
            "source \"https://rubygems.org\"\ngroup :development do\n  gem \"listen\"\nend\n";
        let files = [("Gemfile.lock", lock), ("Gemfile", gemfile)];
        assert_eq!(context_of(&files, "Gemfile.lock", "listen"), Context::Dev);
        assert_eq!(
            context_of(&files, "Gemfile.lock", "rb-inotify"),
            Context::Dev
        );
        assert_eq!(context_of(&files, "Gemfile.lock", "puma"), Context::Service);
        let facts = facts(&files);
        let mut diags = Vec::new();
        decide(&facts, &mut diags);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].message.contains("puma"), "{}", diags[0].message);
    }

    #[test]
    fn workspace_declarations_follow_the_members() {
        let root = "[workspace]\nmembers = [\"server\"]\n\n[workspace.dependencies]\nnix = \"0.31\"\ntokio = \"1\"\nunused = \"1\"\n";
        let server = "[package]\nname = \"server\"\n\n[dependencies]\ntokio = { workspace = true }\n\n[dev-dependencies]\nnix = { workspace = true }\n";
        let files = [("Cargo.toml", root), ("server/Cargo.toml", server)];
        let facts = facts(&files);
        let mut diags = Vec::new();
        let changes = decide(&facts, &mut diags);
        let line = |name: &str| {
            facts
                .iter()
                .find(|f| {
                    f.at.path == "Cargo.toml"
                        && matches!(&f.kind, FactKind::Dependency(d) if d.name == name)
                })
                .and_then(|f| f.at.line)
                .expect(name)
        };
        let root_changes = changes.get("Cargo.toml").cloned().unwrap_or_default();
        assert_eq!(root_changes.get(&line("nix")), Some(&Context::Dev));
        assert_eq!(root_changes.get(&line("tokio")), None);
        assert_eq!(root_changes.get(&line("unused")), None);
    }

    #[test]
    fn hits_are_recontexted() {
        let files = [("Cargo.lock", CARGO_LOCK), ("server/Cargo.toml", SERVER)];
        let facts = facts(&files);
        let nix = facts
            .iter()
            .find(|f| {
                f.at.path == "Cargo.lock"
                    && matches!(&f.kind, FactKind::Dependency(d) if d.name == "nix")
            })
            .expect("nix");
        let rules = crate::rules::RuleSet::builtin().expect("rules");
        let rule = &rules.rules[0];
        let mut hits = vec![
            Hit::new(
                rule,
                0,
                nix.at.clone(),
                nix.context,
                Source::Dependency,
                crate::rules::Confidence::Low,
            ),
            // Same place, but code evidence: not a lock entry's hit.
            Hit::new(
                rule,
                0,
                nix.at.clone(),
                nix.context,
                Source::Code,
                crate::rules::Confidence::Low,
            ),
        ];
        let mut diags = Vec::new();
        apply(&facts, &mut hits, &mut diags);
        assert_eq!(hits[0].evidence.context, Context::Dev);
        assert_eq!(hits[1].evidence.context, Context::Service);
    }

    #[test]
    fn ancestors_and_within() {
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), ["a/b", "a", ""]);
        assert_eq!(ancestors("").collect::<Vec<_>>(), [""]);
        assert!(within("a/b", "a"));
        assert!(within("a", ""));
        assert!(!within("ab", "a"));
    }
}
