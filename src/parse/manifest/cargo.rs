//! Cargo.toml and Cargo.lock.
//!
//! Cargo.toml is read with `toml`'s span-keeping parser so every dependency
//! points at the line that declares it, whether it sits in `[dependencies]`,
//! a `[dependencies.name]` table, a `[target.'cfg(..)'.dependencies]` table
//! or `[workspace.dependencies]`. Features matter here: tokio without `net`
//! is a different Wasm story than tokio with it. So does scope:
//! dev-dependencies, build-dependencies, optional dependencies no default
//! feature turns on, and tables for other platforms never run in the service.
//!
//! Cargo.lock mixes every member's dev-dependencies into its graph, so its
//! entries carry their edges and `analyze::scopes` decides their scope from
//! the members' Cargo.toml files.

use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, LockEntry, Scope};
use std::collections::{HashMap, HashSet};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

const DEP_TABLES: [(&str, Scope); 5] = [
    ("dependencies", Scope::Runtime),
    ("dev-dependencies", Scope::Dev),
    ("dev_dependencies", Scope::Dev),
    ("build-dependencies", Scope::Build),
    ("build_dependencies", Scope::Build),
];

/// Feature definitions followed from `default`, at most: a features table
/// is small; a generated one must not make the walk long.
const MAX_FEATURE_STEPS: usize = 10_000;

pub(crate) fn manifest(sink: &mut Sink) {
    sink.runtime(Ecosystem::Crates);
    let Some(root) = parse_toml(sink, "Cargo.toml") else {
        return;
    };
    let root = root.get_ref();
    let workspace = table(root, "workspace").and_then(|w| table(w, "dependencies"));
    let on = default_enabled(root);
    for (name, scope) in DEP_TABLES {
        if let Some(deps) = table(root, name) {
            emit_table(sink, deps, scope, workspace, &on);
        }
    }
    // [target.'cfg(unix)'.dependencies] and friends: a Linux container
    // build takes the unix and linux ones, the Wasm build the wasi ones;
    // Windows or macOS ones never ship.
    if let Some(targets) = table(root, "target") {
        for (key, target) in targets.iter() {
            let DeValue::Table(target) = target.get_ref() else {
                continue;
            };
            let here = super::cargo_target::applies_to_service(key.get_ref());
            for (name, scope) in DEP_TABLES {
                let scope = if here || scope != Scope::Runtime {
                    scope
                } else {
                    Scope::OtherPlatform
                };
                if let Some(deps) = table(target, name) {
                    emit_table(sink, deps, scope, workspace, &on);
                }
            }
        }
    }
    // Workspace-level declarations are what members inherit; reporting them
    // at the root keeps a workspace without scanned members visible, and
    // `analyze::scopes` gives them the scope of the members' uses.
    if let Some(deps) = workspace {
        emit_table(sink, deps, Scope::Workspace, None, &on);
    }
}

/// The optional dependencies (by their key in the dependency tables) that
/// the `default` feature turns on, following `[features]`: `"dep:x"` and
/// `"x/feat"` turn on `x`, `"x?/feat"` does not, a plain name is another
/// feature or, when no feature has that name, an optional dependency's
/// implicit feature.
fn default_enabled(root: &DeTable) -> HashSet<String> {
    let mut deps = HashSet::new();
    let Some(features) = table(root, "features") else {
        return deps;
    };
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&str> = vec!["default"];
    let mut steps = 0;
    while let Some(feature) = stack.pop() {
        steps += 1;
        if steps > MAX_FEATURE_STEPS || !seen.insert(feature) {
            continue;
        }
        let Some(DeValue::Array(items)) = features.get(feature).map(Spanned::get_ref) else {
            deps.insert(feature.to_string());
            continue;
        };
        for item in items.iter().filter_map(|i| i.get_ref().as_str()) {
            if let Some(dep) = item.strip_prefix("dep:") {
                deps.insert(dep.to_string());
            } else if let Some((dep, _)) = item.split_once('/') {
                if !dep.ends_with('?') {
                    deps.insert(dep.to_string());
                }
            } else {
                stack.push(item);
            }
        }
    }
    deps
}

pub(crate) fn lock(sink: &mut Sink) {
    let Some(root) = parse_toml(sink, "Cargo.lock") else {
        return;
    };
    let Some(DeValue::Array(packages)) = root.get_ref().get("package").map(Spanned::get_ref) else {
        return;
    };
    struct Entry<'t> {
        name: &'t str,
        version: Option<&'t str>,
        line: u32,
        requires: Vec<String>,
    }
    let mut entries = Vec::new();
    // What the project's own packages (workspace members, path dependencies:
    // entries without `source`) ask for directly.
    let mut direct: HashSet<String> = HashSet::new();
    for package in packages.iter() {
        let DeValue::Table(package) = package.get_ref() else {
            continue;
        };
        let Some(name) = package.get("name") else {
            continue;
        };
        let Some(name_str) = name.get_ref().as_str() else {
            continue;
        };
        let version = package.get("version").and_then(|v| v.get_ref().as_str());
        let requires: Vec<String> = match package.get("dependencies").map(Spanned::get_ref) {
            Some(DeValue::Array(deps)) => deps
                .iter()
                .filter_map(|d| d.get_ref().as_str())
                .map(lock_ref)
                .collect(),
            _ => Vec::new(),
        };
        if package.get("source").is_none() {
            direct.extend(requires);
            continue;
        }
        let line = sink.line_of(name.span().start);
        entries.push(Entry {
            name: name_str,
            version,
            line,
            requires,
        });
    }
    // `direct` holds names for unambiguous entries, `name version` otherwise.
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for e in &entries {
        *by_name.entry(e.name).or_default() += 1;
    }
    for e in entries {
        let key = lock_key(e.name, e.version);
        let is_direct =
            direct.contains(&key) || by_name.get(e.name) == Some(&1) && direct.contains(e.name);
        let entry = LockEntry {
            key,
            requires: e.requires,
            optional: Vec::new(),
            direct: is_direct,
        };
        let dep = Dep::new(Ecosystem::Crates, e.name)
            .version(e.version)
            .lock(entry);
        sink.dep(dep, e.line);
    }
}

fn lock_key(name: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => format!("{name} {v}"),
        None => name.to_string(),
    }
}

/// A `dependencies` item of Cargo.lock: `name`, `name version` or (format
/// 1) `name version (source)`; the key is name and version.
fn lock_ref(item: &str) -> String {
    let mut words = item.split_whitespace();
    match (words.next(), words.next()) {
        (Some(n), Some(v)) if !v.starts_with('(') => format!("{n} {v}"),
        (Some(n), _) => n.to_string(),
        _ => String::new(),
    }
}

/// Parses with error recovery: a typo in one table must not hide the rest.
fn parse_toml<'t>(sink: &mut Sink<'t>, what: &str) -> Option<Spanned<DeTable<'t>>> {
    let (doc, errors) = DeTable::parse_recoverable(sink.text);
    if let Some(err) = errors.first() {
        sink.malformed(format!("{what}: {}", err.message()));
    }
    Some(doc)
}

/// The strings of a TOML array (`features = ["a", "b"]`); anything else is
/// empty.
pub(super) fn strings(value: Option<&Spanned<DeValue>>) -> Vec<String> {
    match value.map(Spanned::get_ref) {
        Some(DeValue::Array(a)) => a
            .iter()
            .filter_map(|f| f.get_ref().as_str())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

pub(super) fn table<'a, 't>(t: &'a DeTable<'t>, key: &str) -> Option<&'a DeTable<'t>> {
    match t.get(key).map(Spanned::get_ref) {
        Some(DeValue::Table(t)) => Some(t),
        _ => None,
    }
}

fn emit_table(
    sink: &mut Sink,
    deps: &DeTable,
    scope: Scope,
    workspace: Option<&DeTable>,
    default_on: &HashSet<String>,
) {
    for (key, value) in deps.iter() {
        let line = sink.line_of(key.span().start);
        let spec = Spec::read(value.get_ref());
        // `foo = { workspace = true }` takes the version, rename and
        // features declared in [workspace.dependencies], when in this file.
        let inherited = if spec.workspace {
            workspace
                .and_then(|w| w.get(key.get_ref().as_ref()))
                .map(|v| Spec::read(v.get_ref()))
        } else {
            None
        };
        let name = spec
            .package
            .clone()
            .or_else(|| inherited.as_ref().and_then(|i| i.package.clone()))
            .unwrap_or_else(|| key.get_ref().to_string());
        let version = spec
            .version
            .clone()
            .or_else(|| inherited.as_ref().and_then(|i| i.version.clone()));
        let default_features =
            spec.default_features && inherited.as_ref().is_none_or(|i| i.default_features);
        let mut features = Vec::new();
        // "default" stands for the crate's default feature set, so a rule can
        // tell `tokio` from `tokio` with `default-features = false`.
        if default_features {
            features.push("default".to_string());
        }
        features.extend(spec.features);
        if let Some(i) = inherited {
            features.extend(i.features);
        }
        let mut seen = std::collections::HashSet::new();
        features.retain(|f| seen.insert(f.clone()));
        // An optional dependency ships only when a feature turns it on; the
        // default features are the ones a plain build gets.
        let scope = if spec.optional
            && scope == Scope::Runtime
            && !default_on.contains(key.get_ref().as_ref())
        {
            Scope::Optional
        } else {
            scope
        };
        let dep = Dep::new(Ecosystem::Crates, name)
            .version(version)
            .features(features)
            .scope(scope);
        sink.dep(dep, line);
    }
}

/// One dependency's declaration, string or table form.
struct Spec {
    version: Option<String>,
    package: Option<String>,
    features: Vec<String>,
    default_features: bool,
    workspace: bool,
    optional: bool,
}

impl Spec {
    fn read(value: &DeValue) -> Spec {
        let mut spec = Spec {
            version: None,
            package: None,
            features: Vec::new(),
            default_features: true,
            workspace: false,
            optional: false,
        };
        match value {
            DeValue::String(v) => spec.version = Some(v.to_string()),
            DeValue::Table(t) => {
                let get_str = |k: &str| {
                    t.get(k)
                        .and_then(|v| v.get_ref().as_str())
                        .map(str::to_string)
                };
                let get_bool = |k: &str| t.get(k).and_then(|v| v.get_ref().as_bool());
                spec.version = get_str("version");
                spec.package = get_str("package");
                spec.workspace = get_bool("workspace").unwrap_or(false);
                spec.optional = get_bool("optional").unwrap_or(false);
                spec.default_features = get_bool("default-features")
                    .or_else(|| get_bool("default_features"))
                    .unwrap_or(true);
                spec.features = strings(t.get("features"));
            }
            _ => {}
        }
        spec
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::model::fact::FactKind;
    use crate::parse::manifest::parse;

    const MANIFEST: &str = r#"[package]
name = "svc"
version = "0.1.0"

[dependencies]
axum = "0.7"
tokio = { version = "1", features = ["net", "rt"] }
reqwest = { version = "0.12", default-features = false, features = ["rustls-tls"] }
my_bpf = { package = "aya", version = "0.12" }
shared = { workspace = true, features = ["extra"] }

[dependencies.openssl-sys]
version = "0.9"

[dev-dependencies]
criterion = "0.5"

[build-dependencies]
cc = "1"

[target.'cfg(unix)'.dependencies]
nix = "0.29"

[target.'cfg(target_os = "linux")'.build-dependencies]
bindgen = "0.69"

[workspace.dependencies]
shared = { version = "2.1", default-features = false }
"#;

    #[test]
    fn reads_every_table() {
        let out = service(ManifestKind::CargoToml, "Cargo.toml", MANIFEST);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(
            get("axum"),
            (
                "axum".into(),
                Some("0.7".into()),
                false,
                Context::Service,
                6
            )
        );
        assert_eq!(get("aya").4, 9);
        assert_eq!(get("openssl-sys").4, 12);
        assert_eq!(get("criterion").3, Context::Dev);
        assert!(get("criterion").2);
        assert_eq!(get("cc").3, Context::Build);
        assert_eq!(get("nix").4, 22);
        assert_eq!(get("bindgen").3, Context::Build);
        assert_eq!(runtimes(&out), vec![("crates".to_string(), 10)]);

        let feats = |n: &str| match &find(&out, n).kind {
            FactKind::Dependency(d) => d.features.clone(),
            _ => unreachable!(),
        };
        assert_eq!(feats("tokio"), ["default", "net", "rt"]);
        assert_eq!(feats("reqwest"), ["rustls-tls"]);
        // Inherited from [workspace.dependencies]: version and default-features.
        let shared: Vec<_> = rows.iter().filter(|r| r.0 == "shared").collect();
        assert_eq!(shared[0].1.as_deref(), Some("2.1"));
        assert_eq!(shared[0].4, 10);
        assert!(out.facts.iter().any(|f| matches!(&f.kind,
            FactKind::Dependency(d) if d.name == "shared" && d.features == ["extra"])));
        let snippet = &find(&out, "tokio").at.snippet;
        assert_eq!(
            snippet,
            r#"tokio = { version = "1", features = ["net", "rt"] }"#
        );
    }

    #[test]
    fn optional_dependencies_follow_default_features() {
        let text = r#"[package]
name = "svc"

[features]
default = ["watch", "tls"]
watch = ["dep:notify"]
tls = ["rustls/ring", "metrics?/tls"]
all = ["inotify", "nix"]

[dependencies]
notify = { version = "6", optional = true }
rustls = { version = "0.23", optional = true }
metrics = { version = "0.23", optional = true }
inotify = { version = "0.10", optional = true }
nix = { version = "0.29", optional = true }
log = "0.4"

[dev-dependencies]
notify-debouncer = { version = "0.3", optional = true }
"#;
        let out = service(ManifestKind::CargoToml, "Cargo.toml", text);
        let ctx = context_of(&out);
        assert_eq!(ctx("notify"), Context::Service, "dep: in a default feature");
        assert_eq!(
            ctx("rustls"),
            Context::Service,
            "crate/feature turns the crate on"
        );
        assert_eq!(ctx("metrics"), Context::Optional, "crate?/feature does not");
        assert_eq!(
            ctx("inotify"),
            Context::Optional,
            "only in a non-default feature"
        );
        assert_eq!(ctx("nix"), Context::Optional);
        assert_eq!(ctx("log"), Context::Service);
        assert_eq!(ctx("notify-debouncer"), Context::Dev);

        // Implicit features: no `dep:` anywhere, the dependency's name is a
        // feature; and a cycle between features.
        let text = r#"[features]
default = ["notify", "a"]
a = ["b"]
b = ["a"]

[dependencies]
notify = { version = "6", optional = true }
"#;
        let out = service(ManifestKind::CargoToml, "Cargo.toml", text);
        assert_eq!(deps(&out)[0].3, Context::Service);
        // No default feature at all.
        let text = "[dependencies]
notify = { version = \"6\", optional = true }
";
        let out = service(ManifestKind::CargoToml, "Cargo.toml", text);
        assert_eq!(deps(&out)[0].3, Context::Optional);
    }

    #[test]
    fn other_platforms_and_workspace_declarations() {
        let text = r#"[target.'cfg(windows)'.dependencies]
windows-sys = "0.52"

[target.'cfg(target_os = "macos")'.dependencies]
fsevent-sys = "4"

[target.'cfg(unix)'.dependencies]
nix = "0.29"

[target.'cfg(windows)'.dev-dependencies]
winreg = "0.52"

[target.x86_64-pc-windows-msvc.dependencies]
winapi = "0.3"

[target.'cfg(target_arch = "wasm32")'.dependencies]
wasm-bindgen = "0.2"

[workspace.dependencies]
notify = "6"
"#;
        let out = service(ManifestKind::CargoToml, "Cargo.toml", text);
        let ctx = context_of(&out);
        assert_eq!(ctx("windows-sys"), Context::Optional);
        assert_eq!(ctx("fsevent-sys"), Context::Optional);
        assert_eq!(ctx("nix"), Context::Service);
        assert_eq!(ctx("winreg"), Context::Dev);
        assert_eq!(ctx("winapi"), Context::Optional);
        // The Wasm build's own dependency ships with the port.
        assert_eq!(ctx("wasm-bindgen"), Context::Service);
        // Until a member's use says otherwise (analyze::scopes).
        assert_eq!(ctx("notify"), Context::Service);
        let scope = |n: &str| match &find(&out, n).kind {
            FactKind::Dependency(d) => d.scope,
            _ => unreachable!(),
        };
        use crate::model::fact::Scope;
        assert_eq!(scope("notify"), Scope::Workspace);
        assert_eq!(scope("windows-sys"), Scope::OtherPlatform);
        // A manifest that does not ship keeps its own context.
        let out = parse(
            ManifestKind::CargoToml,
            "examples/x/Cargo.toml",
            text,
            Context::Example,
        );
        assert!(deps(&out).iter().all(|r| r.3 == Context::Example));
    }

    #[test]
    fn lock_skips_workspace_members() {
        let lock = r#"version = 3

[[package]]
name = "svc"
version = "0.1.0"
dependencies = ["libc"]

[[package]]
name = "libc"
version = "0.2.155"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "97b3888a4aecf77e811145cadf6eef5901f4782c53886191c2c0e4f55d2d9c"
"#;
        let out = service(ManifestKind::CargoLock, "Cargo.lock", lock);
        let rows = deps(&out);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, "libc");
        let FactKind::Dependency(d) = &out.facts[0].kind else {
            unreachable!()
        };
        let entry = d.lock.as_ref().expect("left to analyze::scopes");
        assert_eq!(entry.key, "libc 0.2.155");
        assert!(entry.direct, "the member asks for it");
        assert_eq!(rows[0].1.as_deref(), Some("0.2.155"));
        assert_eq!(rows[0].4, 9);
        assert!(
            runtimes(&out).is_empty(),
            "a lock file adds no runtime hint"
        );
    }

    #[test]
    fn broken_toml_keeps_what_it_can() {
        let text = "[dependencies]\nserde = \"1\"\nbroken = {\n[dev-dependencies]\nx = \"1\"\n";
        let out = service(ManifestKind::CargoToml, "Cargo.toml", text);
        assert_eq!(out.diagnostics.len(), 1);
        assert!(deps(&out).iter().any(|r| r.0 == "serde"));
        no_panic(ManifestKind::CargoToml, MANIFEST);
    }
}
