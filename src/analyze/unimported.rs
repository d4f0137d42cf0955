//! npm packages a package.json declares for runtime that no JavaScript or
//! TypeScript file of the tree imports and no script of the package runs.
//!
//! A declaration is a promise, not a use: templates and long-lived apps
//! keep packages in `dependencies` that no code loads any more (a spawning
//! helper left from an old build script, a driver for a database the app
//! dropped). Code is what runs, so a declaration nobody imports is
//! `unreachable`: listed with its reason, not counted. npm is the one
//! ecosystem where this is safe to decide from the code: an import names
//! the package itself (`import x from "pkg"`, `require("pkg/sub")`), where
//! Python imports a module name that differs from the distribution's,
//! Ruby's Bundler requires every gem for the app, and Java imports
//! packages, not artifacts. A package the code names as a library's
//! driver (`client: 'better-sqlite3'` for knex) is loaded by that library
//! and counts as imported. When any JS or TS file of the service (not a
//! test or build script) imports by a computed name, or the tree has no JS
//! or TS imports at all, nothing is decided.
//!
//! Go is the other such ecosystem: an import names the module path, and
//! go.mod has no test scope, so a module only tests use (a browser driver
//! for end-to-end tests) sits among the service's requirements. A direct
//! requirement that only test, build or example code imports takes that
//! code's context; one no Go file imports is `unreachable` (`go`). Once a
//! service's import graph is walked, one that only code none of its main
//! entry points reaches imports (an end-to-end suite in a package not
//! named as tests) is `unreachable` or `optional` for that service, as its
//! importers are (`go_unreached`). An `// indirect` requirement is left as
//! it is: some other module imports it, and whether that part is built is
//! not known here.

use crate::analyze::finding::Hit;
use crate::analyze::reach::{Outcome, Placed};
use crate::model::artifact::ManifestKind;
use crate::model::context::Context;
use crate::model::fact::{AsImport, Ecosystem, Fact, FactKind, Scope};
use crate::model::finding::Source;
use crate::model::language::Language;
use std::collections::{HashMap, HashSet};

/// Why such evidence is not counted.
const REASON: &str =
    "declared in package.json, but no JavaScript or TypeScript file of the tree imports it and no script of the package runs it";

/// Re-contexts the evidence of runtime npm declarations that nothing
/// imports or runs to `unreachable`.
pub(crate) fn apply<'a>(
    facts: &[Fact],
    imports: impl IntoIterator<Item = impl AsImport<'a>>,
    dynamic: &HashSet<String>,
    named: &HashSet<String>,
    hits: &mut [Hit],
) {
    let js = |l: &Language| matches!(l, Language::JavaScript | Language::TypeScript);
    let mut modules: Vec<&str> = Vec::new();
    for import in imports.into_iter().filter_map(AsImport::into_import) {
        if js(&import.language) {
            modules.push(import.module);
        }
    }
    let computed = dynamic.iter().any(|p| {
        [".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"]
            .iter()
            .any(|e| p.ends_with(e))
    });
    if modules.is_empty() || computed {
        return;
    }
    // A driver a library loads by the name the code gives it (`client:
    // 'better-sqlite3'` for knex) is used as much as an imported one.
    let imported = |name: &str| {
        named.contains(name)
            || modules.iter().any(|m| {
                m.strip_prefix(name)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    };
    // path -> lines of declarations nobody imports.
    let mut unused: HashMap<&str, HashSet<u32>> = HashMap::new();
    for f in facts {
        let FactKind::Dependency(d) = &f.kind else {
            continue;
        };
        let manifest = ManifestKind::of_path(&f.at.path) == Some(ManifestKind::PackageJson);
        if !manifest
            || d.ecosystem != Ecosystem::Npm
            || d.scope != Scope::Runtime
            || d.run_by_scripts
        {
            continue;
        }
        if let Some(line) = f.at.line.filter(|_| !imported(&d.name)) {
            unused.entry(f.at.path.as_str()).or_default().insert(line);
        }
    }
    for h in hits.iter_mut() {
        let e = &mut h.evidence;
        if e.source != Source::Dependency || !e.context.counts() {
            continue;
        }
        let hit = e.at.line.is_some_and(|l| {
            unused
                .get(e.at.path.as_str())
                .is_some_and(|s| s.contains(&l))
        });
        if hit {
            e.context = Context::Unreachable;
            e.reason = Some(REASON.into());
        }
    }
}

/// Re-contexts the evidence of direct go.mod requirements that only
/// non-shipping code imports, or none: `context_of` gives each Go file's
/// context.
pub(crate) fn go<'a>(
    facts: &[Fact],
    imports: impl IntoIterator<Item = impl AsImport<'a>>,
    context_of: &HashMap<&str, Context>,
    hits: &mut [Hit],
) {
    // (module path, importing file, its context) of every Go import.
    let mut importers: Vec<(&str, &str, Context)> = Vec::new();
    for import in imports.into_iter().filter_map(AsImport::into_import) {
        if import.language == Language::Go {
            let ctx = context_of
                .get(import.path)
                .copied()
                .unwrap_or(Context::Service);
            importers.push((import.module, import.path, ctx));
        }
    }
    if importers.is_empty() {
        return;
    }
    // (go.mod, line) -> what the requirement's evidence becomes.
    let mut decided: HashMap<(&str, u32), (Context, String)> = HashMap::new();
    for (f, d, line) in direct_go_requirements(facts) {
        let users: Vec<&(&str, &str, Context)> = importers
            .iter()
            .filter(|(m, ..)| within(m, &d.name))
            .collect();
        let verdict = match users.first() {
            None => (
                Context::Unreachable,
                "required in go.mod, but no Go file of the tree imports it".to_string(),
            ),
            Some(_) if users.iter().any(|(.., c)| c.counts()) => continue,
            Some((_, path, ctx)) => (
                *ctx,
                format!(
                    "required in go.mod, but only {} code imports it ({path})",
                    ctx.id()
                ),
            ),
        };
        decided.insert((f.at.path.as_str(), line), verdict);
    }
    recontext(&decided, hits);
}

/// After the walk, a direct go.mod requirement whose importers in the
/// service's code are all code no main entry point reaches (an end-to-end
/// suite not named as a test, a side program's package) is not in the
/// binary the image runs: its evidence takes the walk's verdict on those
/// importers. Where any importer is reached, or the walk decided nothing
/// (no shipping image), it is left as it is; importers outside the walk
/// (tests, build code) were judged before it (`go`).
pub(crate) fn go_unreached<'a>(
    facts: &[&Fact],
    imports: impl IntoIterator<Item = impl AsImport<'a>>,
    outcome: &Outcome,
    service: &str,
    hits: &mut [Hit],
) {
    // (module path, importing file, where the walk placed the import).
    let mut importers: Vec<(&str, &str, &Placed)> = Vec::new();
    for import in imports.into_iter().filter_map(AsImport::into_import) {
        if import.language != Language::Go {
            continue;
        }
        if let Some(p) = outcome.placed_at(import.path, import.line) {
            importers.push((import.module, import.path, p));
        }
    }
    if importers.is_empty() {
        return;
    }
    let mut decided: HashMap<(&str, u32), (Context, String)> = HashMap::new();
    for (f, d, line) in direct_go_requirements(facts.iter().copied()) {
        let users: Vec<&(&str, &str, &Placed)> = importers
            .iter()
            .filter(|(m, ..)| within(m, &d.name))
            .collect();
        let Some((_, first, _)) = users.first() else {
            continue;
        };
        if users
            .iter()
            .any(|(.., p)| matches!(p, Placed::Reached(_) | Placed::Undecided))
        {
            continue;
        }
        let side = users
            .iter()
            .find(|(.., p)| matches!(p, Placed::Optional(_)));
        let verdict = match side {
            Some((_, path, _)) => (
                Context::Optional,
                format!("required in go.mod, but only code a side entry point of service {service} reaches imports it ({path})"),
            ),
            None => (
                Context::Unreachable,
                format!("required in go.mod, but only code no entry point of service {service} reaches imports it ({first})"),
            ),
        };
        decided.insert((f.at.path.as_str(), line), verdict);
    }
    recontext(&decided, hits);
}

/// The direct (not `// indirect`) requirements of every go.mod, with their
/// line.
fn direct_go_requirements<'f>(
    facts: impl IntoIterator<Item = &'f Fact>,
) -> impl Iterator<Item = (&'f Fact, &'f crate::model::fact::Dependency, u32)> {
    facts.into_iter().filter_map(|f| {
        let FactKind::Dependency(d) = &f.kind else {
            return None;
        };
        let go_mod = ManifestKind::of_path(&f.at.path) == Some(ManifestKind::GoMod);
        (go_mod && d.ecosystem == Ecosystem::Go && !d.indirect).then_some((f, &**d, f.at.line?))
    })
}

/// Whether Go import path `module` is in module `name` (the module itself
/// or one of its packages).
fn within(module: &str, name: &str) -> bool {
    module
        .strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Gives counted dependency evidence at a decided (manifest, line) its
/// new context and reason.
fn recontext(decided: &HashMap<(&str, u32), (Context, String)>, hits: &mut [Hit]) {
    for h in hits.iter_mut() {
        let e = &mut h.evidence;
        if e.source != Source::Dependency || !e.context.counts() {
            continue;
        }
        let Some(line) = e.at.line else {
            continue;
        };
        if let Some((ctx, why)) = decided.get(&(e.at.path.as_str(), line)) {
            e.context = *ctx;
            e.reason = Some(why.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fact::Location;
    use crate::parse::manifest;

    const PACKAGE: &str = r#"{
  "name": "web",
  "scripts": { "start": "pm2-runtime start server.js", "db": "npx prisma migrate deploy" },
  "dependencies": {
    "cross-spawn": "^7.0.3",
    "express": "^4",
    "lodash": "^4",
    "pm2": "^5",
    "prisma": "^5"
  },
  "devDependencies": { "execa": "^8" }
}
"#;

    fn import(path: &str, module: &str) -> Fact {
        Fact::new(
            FactKind::Import {
                language: Language::JavaScript,
                module: module.into(),
            },
            Location::line(path, 1, ""),
            Context::Service,
        )
    }

    /// Each dependency fact's name, and a dependency hit at its place.
    fn dependency_hits(facts: &[Fact]) -> (Vec<(&str, &Fact)>, Vec<Hit>) {
        let rules = crate::rules::RuleSet::builtin().expect("rules");
        let deps: Vec<(&str, &Fact)> = facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::Dependency(d) => Some((d.name.as_str(), f)),
                _ => None,
            })
            .collect();
        let hits = deps
            .iter()
            .map(|(_, f)| {
                Hit::new(
                    &rules.rules[0],
                    0,
                    f.at.clone(),
                    f.context,
                    Source::Dependency,
                    crate::rules::Confidence::Medium,
                )
            })
            .collect();
        (deps, hits)
    }

    /// The context each declaration's hit ends up with, by package name.
    fn contexts(imports: &[Fact], dynamic: &[&str]) -> HashMap<String, Context> {
        contexts_named(imports, dynamic, &[])
    }

    /// `contexts`, with packages the code names as drivers.
    fn contexts_named(
        imports: &[Fact],
        dynamic: &[&str],
        named: &[&str],
    ) -> HashMap<String, Context> {
        let facts = manifest::parse(
            ManifestKind::PackageJson,
            "package.json",
            PACKAGE,
            Context::Service,
        )
        .facts;
        let (deps, mut hits) = dependency_hits(&facts);
        let dynamic: HashSet<String> = dynamic.iter().map(|s| s.to_string()).collect();
        let named: HashSet<String> = named.iter().map(|s| s.to_string()).collect();
        apply(&facts, imports, &dynamic, &named, &mut hits);
        deps.iter()
            .zip(&hits)
            .map(|((name, _), h)| (name.to_string(), h.evidence.context))
            .collect()
    }

    #[test]
    fn declarations_no_code_imports_and_no_script_runs_are_unreachable() {
        let imports = [
            import("server.js", "express"),
            import("lib/util.js", "lodash/fp"),
            import("server.js", "./lib/util.js"),
        ];
        let c = contexts(&imports, &[]);
        assert_eq!(c["cross-spawn"], Context::Unreachable);
        // Imported, directly or by a sub-path.
        assert_eq!(c["express"], Context::Service);
        assert_eq!(c["lodash"], Context::Service);
        // Run by a script: `pm2-runtime` is pm2's, `npx prisma` prisma's.
        assert_eq!(c["pm2"], Context::Service);
        assert_eq!(c["prisma"], Context::Service);
        // Not runtime: left to the scope rules.
        assert_eq!(c["execa"], Context::Dev);
    }

    #[test]
    fn a_package_the_code_names_as_a_driver_is_used() {
        let imports = [import("server.js", "express")];
        let c = contexts_named(&imports, &[], &["cross-spawn"]);
        assert_eq!(c["cross-spawn"], Context::Service);
        // A name that is no declaration changes nothing.
        let c = contexts_named(&imports, &[], &["cross"]);
        assert_eq!(c["cross-spawn"], Context::Unreachable);
    }

    #[test]
    fn a_prefix_of_an_imported_name_is_not_an_import() {
        let c = contexts(&[import("server.js", "cross-spawn-async")], &[]);
        assert_eq!(c["cross-spawn"], Context::Unreachable);
    }

    #[test]
    fn nothing_is_decided_without_imports_or_with_computed_ones() {
        let c = contexts(&[], &[]);
        assert_eq!(c["cross-spawn"], Context::Service, "no JS imports read");
        let c = contexts(&[import("server.js", "express")], &["src/plugins.ts"]);
        assert_eq!(c["cross-spawn"], Context::Service, "a computed import");
        // A computed import in Python code does not hide npm's.
        let c = contexts(&[import("server.js", "express")], &["tools/gen.py"]);
        assert_eq!(c["cross-spawn"], Context::Unreachable);
    }

    const GO_MOD: &str = "module example.com/shop\n\ngo 1.22\n\nrequire (\n\tgithub.com/playwright-community/playwright-go v0.5200.0\n\tgithub.com/gorilla/mux v1.8.1\n\tgithub.com/mattn/go-sqlite3 v1.14.32\n\tgithub.com/unused/thing v1.0.0\n\tgithub.com/gorilla/muxer v1.0.0\n\tgithub.com/ebitengine/purego v0.8.2 // indirect\n)\n";

    /// The context and reason each go.mod requirement's hit ends up with.
    fn go_contexts(
        imports: &[(&str, &str, Context)],
    ) -> HashMap<String, (Context, Option<String>)> {
        let facts = manifest::parse(ManifestKind::GoMod, "go.mod", GO_MOD, Context::Service).facts;
        let (deps, mut hits) = dependency_hits(&facts);
        // A go.mod requirement is runtime (analyze::scopes).
        for h in &mut hits {
            h.evidence.context = Context::Service;
        }
        let facts_in: Vec<Fact> = imports
            .iter()
            .map(|(path, module, _)| {
                Fact::new(
                    FactKind::Import {
                        language: Language::Go,
                        module: module.to_string(),
                    },
                    Location::line(path, 3, ""),
                    Context::Service,
                )
            })
            .collect();
        let context_of: HashMap<&str, Context> = imports.iter().map(|(p, _, c)| (*p, *c)).collect();
        go(&facts, &facts_in, &context_of, &mut hits);
        deps.iter()
            .zip(&hits)
            .map(|((name, _), h)| {
                (
                    name.to_string(),
                    (h.evidence.context, h.evidence.reason.clone()),
                )
            })
            .collect()
    }

    #[test]
    fn go_requirements_only_tests_import_take_their_context() {
        let got = go_contexts(&[
            (
                "e2e/playwright/helper_test.go",
                "github.com/playwright-community/playwright-go",
                Context::Test,
            ),
            ("main.go", "github.com/gorilla/mux", Context::Service),
            // A package inside the module is the module's.
            (
                "db/sqlite.go",
                "github.com/mattn/go-sqlite3/driver",
                Context::Service,
            ),
            (
                "db/sqlite_test.go",
                "github.com/mattn/go-sqlite3",
                Context::Test,
            ),
        ]);
        let (ctx, why) = &got["github.com/playwright-community/playwright-go"];
        assert_eq!(*ctx, Context::Test);
        assert_eq!(
            why.as_deref(),
            Some(
                "required in go.mod, but only test code imports it (e2e/playwright/helper_test.go)"
            )
        );
        // Shipping code imports these: they count as before.
        assert_eq!(got["github.com/gorilla/mux"].0, Context::Service);
        assert_eq!(got["github.com/mattn/go-sqlite3"].0, Context::Service);
        // Nothing imports it: unreachable. A longer name sharing a prefix
        // with an imported module is not imported by it.
        assert_eq!(got["github.com/unused/thing"].0, Context::Unreachable);
        assert_eq!(got["github.com/gorilla/muxer"].0, Context::Unreachable);
        // Indirect requirements are not decided here.
        assert_eq!(
            got["github.com/ebitengine/purego"],
            (Context::Service, None)
        );
    }

    #[test]
    fn go_requirements_are_not_decided_without_go_imports() {
        let got = go_contexts(&[]);
        assert!(
            got.values()
                .all(|(c, r)| *c == Context::Service && r.is_none()),
            "{got:?}"
        );
    }
}
