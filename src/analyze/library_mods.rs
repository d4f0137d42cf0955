//! Which of a Rust workspace library's modules a service runs: the ones
//! something names, not every `mod` its root declares.
//!
//! A library's root (`crates/x/src/lib.rs`) declares all its modules, but a
//! crate that depends on it runs only the code it calls: a server that uses
//! `shop_common::money` does not run `shop_common::shell`, which the CLI
//! beside it does. So the import graph (analyze::reach) takes a root's
//! `mod x;` as an edge from each file that names `x` (a path
//! `shop_common::x`, a `use` group's item, a glob), reached only if one of
//! them is; and from the root itself where the root uses `x` (a re-export,
//! a call). A module holding code that runs without being named (a
//! macro, a linker symbol, methods added to a type declared elsewhere:
//! parse::rust_paths) keeps its edge from the root, so the walk
//! stays on the side of reaching too much.
//! A root that is itself an entry point, or is not a workspace crate's (its
//! name unknown), keeps every `mod`.

use super::reach::{Entry, File};
use crate::model::fact::{AsImport, Location};
use crate::model::language::Language;
use crate::parse::rust_paths::{is_mod, RUNS_UNNAMED};
use std::collections::{HashMap, HashSet};

/// A `mod x;` a library root declares, held back until the tree says
/// whether `x` is named.
pub(crate) struct LibraryMod {
    pub root: String,
    pub name: String,
    pub targets: Vec<String>,
    pub at: Location,
}

/// The workspace libraries whose `mod` declarations are decided by name.
pub(crate) struct RustLibraries {
    /// Root file by every name code uses the library by.
    roots: HashMap<String, String>,
    /// The roots decided here.
    gated: HashSet<String>,
}

impl RustLibraries {
    /// `crates` maps a crate's names to its root; entry points keep theirs.
    pub(crate) fn new(crates: &HashMap<String, String>, entries: &[Entry]) -> RustLibraries {
        let roots: HashMap<String, String> = crates
            .iter()
            .filter(|(_, root)| !entries.iter().any(|e| &e.rel == *root))
            .map(|(name, root)| (name.clone(), root.clone()))
            .collect();
        let gated = roots.values().cloned().collect();
        RustLibraries { roots, gated }
    }

    /// Whether `rel` is a root whose `mod`s are decided here.
    pub(crate) fn gates(&self, rel: &str) -> bool {
        self.gated.contains(rel)
    }

    /// Adds the edge of each held `mod` whose module is named (or runs
    /// unnamed) to `edges`; the others are left out of the graph.
    pub(crate) fn named_mods<'a, I>(
        &self,
        files: &[File],
        imports: I,
        mods: Vec<LibraryMod>,
        edges: &mut HashMap<String, Vec<(String, Location)>>,
    ) where
        I: IntoIterator,
        I::Item: AsImport<'a>,
    {
        if mods.is_empty() {
            return;
        }
        let by_name = &self.roots;
        // Who names which module of which root: (root, module) -> the
        // naming files, with where. `*` is a glob.
        let mut namers: HashMap<(String, String), Vec<(String, Location)>> = HashMap::new();
        // `at` is made only for a path that names a library (most paths
        // name other crates).
        let mut name_path = |from: &str, path: &str, at: &dyn Fn() -> Location| {
            let mut parts = path.split("::");
            let (Some(krate), Some(module)) = (parts.next(), parts.next()) else {
                return;
            };
            if let Some(root) = by_name.get(krate).filter(|r| **r != from) {
                namers
                    .entry((root.to_string(), module.to_string()))
                    .or_default()
                    .push((from.to_string(), at()));
            }
        };
        // The root's own code names its modules: `pub use x::Item`,
        // `use self::x`, `x::run()`.
        let mut own: HashMap<&str, HashSet<String>> = HashMap::new();
        for f in files.iter().filter(|f| f.language == Language::Rust) {
            let root = self.gated.contains(&f.rel);
            for r in &f.refers {
                name_path(&f.rel, r, &|| Location::file(&f.rel, r));
                if root && !r.contains("::") {
                    own.entry(f.rel.as_str()).or_default().insert(r.clone());
                }
            }
        }
        for import in imports {
            let Some(import) = import.into_import() else {
                continue;
            };
            if import.language != Language::Rust {
                continue;
            }
            name_path(import.path, import.module, &|| import.location());
            if let Some(root) = self.gated.get(import.path) {
                if is_mod(import.snippet) {
                    continue;
                }
                let path = import.module;
                let path = path
                    .strip_prefix("self::")
                    .or_else(|| path.strip_prefix("crate::"))
                    .unwrap_or(path);
                if let Some(first) = path.split("::").next() {
                    own.entry(root.as_str())
                        .or_default()
                        .insert(first.to_string());
                }
            }
        }
        let unnamed_runs: Vec<&str> = files
            .iter()
            .filter(|f| {
                f.language == Language::Rust && f.declares.iter().any(|d| d == RUNS_UNNAMED)
            })
            .map(|f| f.rel.as_str())
            .collect();
        for m in mods {
            let by_root = own
                .get(m.root.as_str())
                .is_some_and(|n| n.contains(&m.name));
            let runs = m.targets.iter().any(|t| {
                let dir = match t.strip_suffix("mod.rs") {
                    Some(d) => d.to_string(),
                    None => format!("{}/", t.strip_suffix(".rs").unwrap_or(t)),
                };
                unnamed_runs
                    .iter()
                    .any(|u| *u == t.as_str() || u.starts_with(&dir))
            });
            // Followed from the root when the root runs it; otherwise from
            // each file that names it, so it is reached only if one of them
            // is.
            let mut from: Vec<(String, Location)> = Vec::new();
            if by_root || runs {
                from.push((m.root.clone(), m.at.clone()));
            } else {
                for key in [
                    (m.root.clone(), m.name.clone()),
                    (m.root.clone(), "*".to_string()),
                ] {
                    from.extend(namers.get(&key).into_iter().flatten().cloned());
                }
            }
            for (node, at) in from {
                for t in &m.targets {
                    edges
                        .entry(node.clone())
                        .or_default()
                        .push((t.clone(), at.clone()));
                }
            }
        }
    }
}
