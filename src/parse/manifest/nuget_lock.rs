//! NuGet's packages.lock.json: per target framework, every package with its
//! `type` (`Direct`, `Transitive`, `Project`, `CentralTransitive`) and its
//! dependencies by name.
//!
//! The lock says which packages the project asks for but not whether they
//! are build tools or test packages; that is in the project file beside it,
//! so entries carry their edges and `analyze::scopes` decides.

use super::json_keys::KeyLines;
use super::npm::parse_json;
use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, LockEntry};
use serde_json::Value;

pub(crate) fn packages_lock(sink: &mut Sink) {
    let Some(doc) = parse_json(sink, "packages.lock.json") else {
        return;
    };
    let Some(Value::Object(frameworks)) = doc.get("dependencies") else {
        return;
    };
    let tfms: Vec<&str> = frameworks.keys().map(String::as_str).collect();
    let keys = KeyLines::scan(sink.text, &tfms);
    for (tfm, packages) in frameworks {
        let Value::Object(packages) = packages else {
            continue;
        };
        let key = |name: &str| format!("{tfm}/{}", name.to_ascii_lowercase());
        let requires = |meta: &Value| -> Vec<String> {
            match meta.get("dependencies") {
                Some(Value::Object(d)) => d.keys().map(|n| key(n)).collect(),
                _ => Vec::new(),
            }
        };
        // Project references are the project's own code: what they ask for
        // is asked for directly.
        let mut direct: std::collections::HashSet<String> = std::collections::HashSet::new();
        for meta in packages.values() {
            if meta.get("type").and_then(Value::as_str) == Some("Project") {
                direct.extend(requires(meta));
            }
        }
        for (name, meta) in packages {
            let kind = meta.get("type").and_then(Value::as_str).unwrap_or("");
            if kind == "Project" {
                continue;
            }
            let k = key(name);
            let entry = LockEntry {
                direct: kind == "Direct" || direct.contains(&k),
                key: k,
                requires: requires(meta),
                optional: Vec::new(),
            };
            let version = meta.get("resolved").and_then(Value::as_str);
            let line = keys.get(&["dependencies", tfm, name]).unwrap_or(1);
            sink.dep(
                Dep::new(Ecosystem::Nuget, name.as_str())
                    .version(version)
                    .lock(entry),
                line,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::fact::FactKind;

    #[test]
    fn entries_edges_and_direct() {
        let lock = r#"{
  "version": 1,
  "dependencies": {
    "net8.0": {
      "Npgsql": {
        "type": "Direct",
        "requested": "[8.0.3, )",
        "resolved": "8.0.3",
        "dependencies": { "Microsoft.Extensions.Logging.Abstractions": "8.0.0" }
      },
      "Microsoft.Extensions.Logging.Abstractions": {
        "type": "Transitive",
        "resolved": "8.0.0"
      },
      "shared": {
        "type": "Project",
        "dependencies": { "SkiaSharp": "[2.88.8, )" }
      },
      "SkiaSharp": { "type": "Transitive", "resolved": "2.88.8" }
    }
  }
}"#;
        let out = service(ManifestKind::NugetLock, "packages.lock.json", lock);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.4)).collect();
        assert_eq!(
            names,
            [
                ("Microsoft.Extensions.Logging.Abstractions", 11),
                ("Npgsql", 5),
                ("SkiaSharp", 19)
            ]
        );
        let entry = |n: &str| match &find(&out, n).kind {
            FactKind::Dependency(d) => d.lock.clone().expect("lock entry"),
            _ => unreachable!(),
        };
        assert!(entry("Npgsql").direct);
        assert_eq!(
            entry("Npgsql").requires,
            ["net8.0/microsoft.extensions.logging.abstractions"]
        );
        assert!(
            entry("SkiaSharp").direct,
            "asked for by a project reference"
        );
        assert!(!entry("Microsoft.Extensions.Logging.Abstractions").direct);
        no_panic(ManifestKind::NugetLock, lock);
    }
}
