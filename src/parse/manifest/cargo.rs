//! Cargo.toml and Cargo.lock.
//!
//! Cargo.toml is read with `toml`'s span-keeping parser so every dependency
//! points at the line that declares it, whether it sits in `[dependencies]`,
//! a `[dependencies.name]` table, a `[target.'cfg(..)'.dependencies]` table
//! or `[workspace.dependencies]`. Features matter here: tokio without `net`
//! is a different Wasm story than tokio with it.

use super::{Dep, Role, Sink};
use crate::model::fact::Ecosystem;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

const DEP_TABLES: [(&str, Role); 5] = [
    ("dependencies", Role::Normal),
    ("dev-dependencies", Role::Dev),
    ("dev_dependencies", Role::Dev),
    ("build-dependencies", Role::Build),
    ("build_dependencies", Role::Build),
];

pub(crate) fn manifest(sink: &mut Sink) {
    sink.runtime("rust");
    let Some(root) = parse_toml(sink, "Cargo.toml") else {
        return;
    };
    let root = root.get_ref();
    let workspace = table(root, "workspace").and_then(|w| table(w, "dependencies"));
    for (name, role) in DEP_TABLES {
        if let Some(deps) = table(root, name) {
            emit_table(sink, deps, role, workspace);
        }
    }
    // [target.'cfg(unix)'.dependencies] and friends: platform-specific, but
    // a Linux container build takes the unix and linux ones, so keep them all.
    if let Some(targets) = table(root, "target") {
        for (_, target) in targets.iter() {
            let DeValue::Table(target) = target.get_ref() else {
                continue;
            };
            for (name, role) in DEP_TABLES {
                if let Some(deps) = table(target, name) {
                    emit_table(sink, deps, role, workspace);
                }
            }
        }
    }
    // Workspace-level declarations are what members inherit; reporting them
    // at the root keeps a workspace without scanned members visible.
    if let Some(deps) = workspace {
        emit_table(sink, deps, Role::Normal, None);
    }
}

pub(crate) fn lock(sink: &mut Sink) {
    let Some(root) = parse_toml(sink, "Cargo.lock") else {
        return;
    };
    let Some(DeValue::Array(packages)) = root.get_ref().get("package").map(Spanned::get_ref) else {
        return;
    };
    for package in packages.iter() {
        let DeValue::Table(package) = package.get_ref() else {
            continue;
        };
        // No `source`: a workspace member or path dependency, i.e. the
        // project's own code, not a dependency.
        if package.get("source").is_none() {
            continue;
        }
        let Some(name) = package.get("name") else {
            continue;
        };
        let Some(name_str) = name.get_ref().as_str() else {
            continue;
        };
        let version = package
            .get("version")
            .and_then(|v| v.get_ref().as_str())
            .map(str::to_string);
        let line = sink.line_of(name.span().start);
        sink.dep(Dep::new(Ecosystem::Crates, name_str).version(version), line);
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

pub(super) fn table<'a, 't>(t: &'a DeTable<'t>, key: &str) -> Option<&'a DeTable<'t>> {
    match t.get(key).map(Spanned::get_ref) {
        Some(DeValue::Table(t)) => Some(t),
        _ => None,
    }
}

fn emit_table(sink: &mut Sink, deps: &DeTable, role: Role, workspace: Option<&DeTable>) {
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
        let dep = Dep::new(Ecosystem::Crates, name)
            .version(version)
            .features(features)
            .role(role);
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
}

impl Spec {
    fn read(value: &DeValue) -> Spec {
        let mut spec = Spec {
            version: None,
            package: None,
            features: Vec::new(),
            default_features: true,
            workspace: false,
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
                spec.default_features = get_bool("default-features")
                    .or_else(|| get_bool("default_features"))
                    .unwrap_or(true);
                if let Some(DeValue::Array(a)) = t.get("features").map(Spanned::get_ref) {
                    spec.features = a
                        .iter()
                        .filter_map(|f| f.get_ref().as_str())
                        .map(str::to_string)
                        .collect();
                }
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
        let out = parse(
            ManifestKind::CargoToml,
            "Cargo.toml",
            MANIFEST,
            Context::Service,
        );
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
        assert_eq!(get("criterion").3, Context::Test);
        assert!(get("criterion").2);
        assert_eq!(get("cc").3, Context::Build);
        assert_eq!(get("nix").4, 22);
        assert_eq!(get("bindgen").3, Context::Build);
        assert_eq!(runtimes(&out), vec![("rust".to_string(), 10)]);

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
        let out = parse(
            ManifestKind::CargoLock,
            "Cargo.lock",
            lock,
            Context::Service,
        );
        let rows = deps(&out);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, "libc");
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
        let out = parse(
            ManifestKind::CargoToml,
            "Cargo.toml",
            text,
            Context::Service,
        );
        assert_eq!(out.diagnostics.len(), 1);
        assert!(deps(&out).iter().any(|r| r.0 == "serde"));
        no_panic(ManifestKind::CargoToml, MANIFEST);
    }
}
