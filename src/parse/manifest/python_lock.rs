//! poetry.lock and uv.lock.
//!
//! uv.lock carries the project itself as a package (`source = { editable =
//! "." }`) with its dependencies, extras and dev groups, and every package's
//! own dependencies: a complete graph with its roots, so each entry's scope
//! is decided here. poetry.lock says which group a package belongs to in
//! some versions (`category` before Poetry 1.5, `groups` from Poetry 2);
//! when it does not, its entries carry their edges and `analyze::scopes`
//! takes the roots from pyproject.toml.

use super::cargo::{strings, table};
use super::lockgraph::{self, Node};
use super::{group_scope, Dep, Sink};
use crate::model::context::Context;
use crate::model::fact::{Ecosystem, LockEntry, Scope};
use std::collections::HashMap;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One `[[package]]` as both formats describe it.
struct Package<'t> {
    name: &'t str,
    version: Option<&'t str>,
    line: u32,
    requires: Vec<String>,
    optional: Vec<String>,
}

fn parse<'t>(sink: &mut Sink<'t>, what: &str) -> Option<Spanned<DeTable<'t>>> {
    let (doc, errors) = DeTable::parse_recoverable(sink.text);
    if let Some(err) = errors.first() {
        sink.malformed(format!("{what}: {}", err.message()));
    }
    Some(doc)
}

fn packages<'a, 't>(root: &'a DeTable<'t>) -> impl Iterator<Item = &'a DeTable<'t>> {
    let list = match root.get("package").map(Spanned::get_ref) {
        Some(DeValue::Array(a)) => Some(a),
        _ => None,
    };
    list.into_iter()
        .flat_map(|a| a.iter())
        .filter_map(|p| match p.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        })
}

fn get_str<'a>(t: &'a DeTable, key: &str) -> Option<&'a str> {
    t.get(key).and_then(|v| v.get_ref().as_str())
}

pub(crate) fn poetry_lock(sink: &mut Sink) {
    let Some(doc) = parse(sink, "poetry.lock") else {
        return;
    };
    let mut settled_any = false;
    let mut rows: Vec<(Package, Option<Scope>)> = Vec::new();
    for p in packages(doc.get_ref()) {
        let Some(name) = p.get("name") else {
            continue;
        };
        let Some(name_str) = name.get_ref().as_str() else {
            continue;
        };
        let mut requires = Vec::new();
        let mut optional = Vec::new();
        if let Some(deps) = table(p, "dependencies") {
            for (dep, spec) in deps.iter() {
                let opt = match spec.get_ref() {
                    DeValue::Table(t) => {
                        t.get("optional").and_then(|v| v.get_ref().as_bool()) == Some(true)
                    }
                    _ => false,
                };
                let list = if opt { &mut optional } else { &mut requires };
                list.push(dep.get_ref().to_string());
            }
        }
        let scope = poetry_scope(p);
        settled_any |= scope.is_some();
        let only_extras = p.get("optional").and_then(|v| v.get_ref().as_bool()) == Some(true);
        let scope = scope.map(|s| {
            if only_extras && s == Scope::Runtime {
                Scope::Optional
            } else {
                s
            }
        });
        let package = Package {
            name: name_str,
            version: get_str(p, "version"),
            line: sink.line_of(name.span().start),
            requires,
            optional,
        };
        rows.push((package, scope));
    }
    for (p, scope) in rows {
        let dep = Dep::new(Ecosystem::Pypi, p.name).version(p.version);
        let dep = if settled_any {
            dep.scope(scope.unwrap_or(Scope::Runtime))
        } else {
            dep.lock(LockEntry {
                key: p.name.to_string(),
                requires: p.requires,
                optional: p.optional,
                direct: false,
            })
        };
        sink.dep(dep, p.line);
    }
}

/// What poetry.lock itself says of a package's group, if anything.
fn poetry_scope(p: &DeTable) -> Option<Scope> {
    if let Some(category) = get_str(p, "category") {
        return Some(if category == "main" {
            Scope::Runtime
        } else {
            group_scope(category).unwrap_or(Scope::Runtime)
        });
    }
    p.get("groups")?;
    let groups = strings(p.get("groups"));
    // In a group named for development or tests only; any other group is
    // installed by default.
    let scopes: Vec<Option<Scope>> = groups
        .iter()
        .map(|g| if g == "main" { None } else { group_scope(g) })
        .collect();
    if scopes.is_empty() || scopes.contains(&None) {
        return Some(Scope::Runtime);
    }
    scopes.into_iter().flatten().min()
}

/// uv.lock: the project's own packages are the roots.
pub(crate) fn uv_lock(sink: &mut Sink) {
    let Some(doc) = parse(sink, "uv.lock") else {
        return;
    };
    let mut list: Vec<Package> = Vec::new();
    // Extras of each package, to follow `{ name = "x", extra = ["y"] }`.
    let mut extras: Vec<HashMap<String, Vec<String>>> = Vec::new();
    // Per dependency edge that asks for extras: (from, to ref, extras).
    let mut wants: Vec<(usize, String, Vec<String>)> = Vec::new();
    let mut roots: Vec<(String, Context)> = Vec::new();
    let mut root_wants: Vec<(String, Vec<String>, Context)> = Vec::new();
    for p in packages(doc.get_ref()) {
        let Some(name) = p.get("name") else {
            continue;
        };
        let Some(name_str) = name.get_ref().as_str() else {
            continue;
        };
        let own = match p.get("source").map(Spanned::get_ref) {
            Some(DeValue::Table(src)) => ["editable", "virtual", "directory", "path"]
                .iter()
                .any(|k| src.get(*k).is_some()),
            _ => false,
        };
        let deps = dep_refs(p.get("dependencies"));
        let groups = |key: &str| -> Vec<(String, Vec<DepRef>)> {
            match table(p, key) {
                Some(t) => t
                    .iter()
                    .map(|(g, v)| (g.get_ref().to_string(), dep_refs(Some(v))))
                    .collect(),
                None => Vec::new(),
            }
        };
        if own {
            let mut add = |refs: Vec<DepRef>, ctx: Context| {
                for (r, ex) in refs {
                    if !ex.is_empty() {
                        root_wants.push((r.clone(), ex, ctx));
                    }
                    roots.push((r, ctx));
                }
            };
            add(deps, Context::Service);
            for (g, refs) in groups("optional-dependencies") {
                let scope = group_scope(&g).unwrap_or(Scope::Optional);
                add(refs, scope.context().unwrap_or(Context::Service));
            }
            for (g, refs) in groups("dev-dependencies") {
                let scope = group_scope(&g).unwrap_or(Scope::Dev);
                add(refs, scope.context().unwrap_or(Context::Service));
            }
            continue;
        }
        let idx = list.len();
        let mut requires = Vec::new();
        for (r, ex) in deps {
            if !ex.is_empty() {
                wants.push((idx, r.clone(), ex));
            }
            requires.push(r);
        }
        let mut own_extras = HashMap::new();
        let mut optional = Vec::new();
        for (g, refs) in groups("optional-dependencies") {
            let names: Vec<String> = refs.into_iter().map(|(r, _)| r).collect();
            optional.extend(names.iter().cloned());
            own_extras.insert(g, names);
        }
        extras.push(own_extras);
        list.push(Package {
            name: name_str,
            version: get_str(p, "version"),
            line: sink.line_of(name.span().start),
            requires,
            optional,
        });
    }
    let keys: Vec<String> = list.iter().map(|p| uv_key(p.name, p.version)).collect();
    // Index once to follow extras; edges into an extra's dependencies are
    // plain edges from whoever asks for the extra.
    let nodes: Vec<Node> = list
        .iter()
        .zip(&keys)
        .map(|(p, k)| Node {
            key: k,
            name: p.name,
            requires: &p.requires,
            optional: &p.optional,
        })
        .collect();
    let (mut graph, index) = lockgraph::build(Ecosystem::Pypi, &nodes);
    for (from, to, ex) in &wants {
        for t in index.resolve(to) {
            for e in ex {
                for r in extras.get(t).and_then(|m| m.get(e)).into_iter().flatten() {
                    for target in index.resolve(r) {
                        graph.add(*from, target, false);
                    }
                }
            }
        }
    }
    let mut starts: Vec<(usize, Context)> = Vec::new();
    for (r, ctx) in &roots {
        starts.extend(index.resolve(r).into_iter().map(|i| (i, *ctx)));
    }
    for (r, ex, ctx) in &root_wants {
        for t in index.resolve(r) {
            for e in ex {
                for dep in extras.get(t).and_then(|m| m.get(e)).into_iter().flatten() {
                    starts.extend(index.resolve(dep).into_iter().map(|i| (i, *ctx)));
                }
            }
        }
    }
    let truncated = graph.truncated();
    if truncated {
        sink.graph_too_big();
    }
    let reached = graph.reach(&starts);
    drop(nodes);
    for (i, p) in list.into_iter().enumerate() {
        let scope = match reached.get(i).copied().flatten() {
            Some(ctx) if !truncated => Scope::from_context(ctx),
            // Not reached: a lock read only in part; keep it counted.
            _ => Scope::Runtime,
        };
        sink.dep(
            Dep::new(Ecosystem::Pypi, p.name)
                .version(p.version)
                .scope(scope),
            p.line,
        );
    }
}

/// A dependency as uv.lock names it, and the extras it asks for.
type DepRef = (String, Vec<String>);

/// `[{ name = "x" }, { name = "y", version = "1.0", extra = ["z"] }]` ->
/// (reference, extras): `name version` when the lock disambiguates, else
/// the name.
fn dep_refs(value: Option<&Spanned<DeValue>>) -> Vec<DepRef> {
    let Some(DeValue::Array(items)) = value.map(Spanned::get_ref) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| match i.get_ref() {
            DeValue::Table(t) => {
                let name = get_str(t, "name")?;
                let r = match get_str(t, "version") {
                    Some(v) => uv_key(name, Some(v)),
                    None => name.to_string(),
                };
                Some((r, strings(t.get("extra"))))
            }
            _ => None,
        })
        .collect()
}

fn uv_key(name: &str, version: Option<&str>) -> String {
    format!(
        "{} {}",
        Ecosystem::Pypi.normalize(name),
        version.unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::model::fact::FactKind;
    use crate::parse::manifest::parse;

    const UV: &str = r#"version = 1
requires-python = ">=3.12"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "fastapi" },
    { name = "uvicorn", extra = ["standard"] },
]

[package.optional-dependencies]
gpu = [{ name = "torch" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]
test = [{ name = "pytest-watch" }]

[[package]]
name = "fastapi"
version = "0.110.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "starlette" }]

[[package]]
name = "starlette"
version = "0.36.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "uvicorn"
version = "0.30.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
standard = [{ name = "watchfiles" }]
reload = [{ name = "inotify" }]

[[package]]
name = "watchfiles"
version = "0.21.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "inotify"
version = "0.2.10"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "torch"
version = "2.3.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest-watch"
version = "4.2.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "watchdog" }]

[[package]]
name = "watchdog"
version = "4.0.0"
source = { registry = "https://pypi.org/simple" }
"#;

    #[test]
    fn uv_walks_from_the_project() {
        let out = parse(ManifestKind::UvLock, "uv.lock", UV, Context::Service);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert!(
            rows.iter().all(|r| r.0 != "app"),
            "the project is no dependency"
        );
        assert_eq!(get("fastapi").3, Context::Service);
        assert_eq!(get("fastapi").4, 21);
        assert_eq!(get("starlette").3, Context::Service);
        // Asked for through uvicorn[standard]: runtime.
        assert_eq!(get("watchfiles").3, Context::Service);
        // An extra nobody asks for.
        assert_eq!(get("inotify").3, Context::Optional);
        assert_eq!(get("torch").3, Context::Optional);
        assert_eq!(get("pytest").3, Context::Dev);
        assert_eq!(get("pytest-watch").3, Context::Test);
        assert_eq!(get("watchdog").3, Context::Test);
        assert_eq!(get("watchdog").1.as_deref(), Some("4.0.0"));
        assert!(runtimes(&out).is_empty());
        no_panic(ManifestKind::UvLock, UV);
    }

    #[test]
    fn poetry_categories_and_groups() {
        let old = r#"[[package]]
name = "flask"
version = "3.0.0"
category = "main"
optional = false

[package.dependencies]
click = ">=8.1"

[[package]]
name = "watchdog"
version = "4.0.0"
category = "dev"
optional = false

[[package]]
name = "psycopg2"
version = "2.9.9"
category = "main"
optional = true
"#;
        let out = service(ManifestKind::PoetryLock, "poetry.lock", old);
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("flask").3, Context::Service);
        assert_eq!(get("flask").4, 2);
        assert_eq!(get("watchdog").3, Context::Dev);
        assert_eq!(get("psycopg2").3, Context::Optional);

        let v2 = "[[package]]\nname = \"watchdog\"\nversion = \"4.0.0\"\ngroups = [\"dev\", \"test\"]\n\n[[package]]\nname = \"gunicorn\"\nversion = \"22.0.0\"\ngroups = [\"main\", \"dev\"]\n\n[[package]]\nname = \"boto3\"\nversion = \"1.0\"\ngroups = [\"aws\"]\n";
        let out = service(ManifestKind::PoetryLock, "poetry.lock", v2);
        let rows = deps(&out);
        assert_eq!(rows[0].3, Context::Dev);
        assert_eq!(rows[1].3, Context::Service);
        assert_eq!(rows[2].3, Context::Service);
    }

    #[test]
    fn poetry_without_groups_leaves_the_graph() {
        let lock = r#"[[package]]
name = "pytest-watch"
version = "4.2.0"
optional = false

[package.dependencies]
watchdog = ">=0.6.0"
colorama = {version = "*", optional = true}

[[package]]
name = "watchdog"
version = "4.0.0"
optional = false
"#;
        let out = service(ManifestKind::PoetryLock, "poetry.lock", lock);
        let f = find(&out, "pytest-watch");
        let FactKind::Dependency(d) = &f.kind else {
            unreachable!()
        };
        let entry = d.lock.as_ref().expect("left to analyze::scopes");
        assert_eq!(entry.requires, ["watchdog"]);
        assert_eq!(entry.optional, ["colorama"]);
        assert_eq!(f.context, Context::Service);
        no_panic(ManifestKind::PoetryLock, lock);
    }
}
