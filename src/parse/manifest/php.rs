//! composer.json and composer.lock (PHP, Packagist).
//!
//! `require` ships, `require-dev` does not; composer.lock splits what it
//! resolved the same way (`packages` and `packages-dev`), computed by
//! composer from those roots, so its split is the entry's scope. Platform
//! requirements (`php`, `ext-pcntl`, `lib-curl`) are kept as dependencies:
//! an extension is a capability a rule may want to see.

use super::json_keys::KeyLines;
use super::npm::parse_json;
use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, Scope};
use serde_json::Value;

const SECTIONS: [(&str, Scope); 2] = [("require", Scope::Runtime), ("require-dev", Scope::Dev)];

pub(crate) fn composer_json(sink: &mut Sink) {
    sink.runtime(Ecosystem::Packagist);
    let Some(doc) = parse_json(sink, "composer.json") else {
        return;
    };
    let keys = KeyLines::scan(sink.text, &["require", "require-dev"]);
    for (section, scope) in SECTIONS {
        let Some(Value::Object(deps)) = doc.get(section) else {
            continue;
        };
        for (name, version) in deps {
            // The interpreter itself is the runtime hint, not a package.
            if name.eq_ignore_ascii_case("php") {
                continue;
            }
            let line = keys.get(&[section, name]).unwrap_or(1);
            sink.dep(
                Dep::new(Ecosystem::Packagist, name.as_str())
                    .version(version.as_str())
                    .scope(scope),
                line,
            );
        }
    }
}

pub(crate) fn composer_lock(sink: &mut Sink) {
    let Some(doc) = parse_json(sink, "composer.lock") else {
        return;
    };
    // Packages are objects in arrays, so their lines are found by searching
    // for each `"name": "..."` in document order.
    let text = sink.text;
    let mut from = 0;
    for (section, scope) in [("packages", Scope::Runtime), ("packages-dev", Scope::Dev)] {
        let Some(Value::Array(list)) = doc.get(section) else {
            continue;
        };
        if let Some(at) = text
            .get(from..)
            .and_then(|t| t.find(&format!("\"{section}\"")))
        {
            from += at;
        }
        for p in list {
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            let version = p.get("version").and_then(Value::as_str);
            let line = match find_name(text, from, name) {
                Some(at) => {
                    from = at;
                    sink.line_of(at)
                }
                None => 1,
            };
            sink.dep(
                Dep::new(Ecosystem::Packagist, name)
                    .version(version)
                    .scope(scope),
                line,
            );
        }
    }
}

/// The offset of the next `"name": "<name>"` at or after `from`.
fn find_name(text: &str, from: usize, name: &str) -> Option<usize> {
    let rest = text.get(from..)?;
    let quoted = serde_json::to_string(name).ok()?;
    let mut search = 0;
    while let Some(i) = rest.get(search..)?.find("\"name\"") {
        let at = search + i;
        let value = rest[at + 6..]
            .trim_start()
            .strip_prefix(':')
            .map(str::trim_start);
        if value.is_some_and(|v| v.starts_with(&quoted)) {
            return Some(from + at);
        }
        search = at + 6;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;

    #[test]
    fn composer_json_sections() {
        let text = r#"{
    "require": {
        "php": ">=8.2",
        "ext-pcntl": "*",
        "symfony/process": "^7.0"
    },
    "require-dev": {
        "spatie/file-system-watcher": "^1.2"
    }
}"#;
        let out = service(ManifestKind::ComposerJson, "composer.json", text);
        assert_eq!(runtimes(&out), vec![("packagist".to_string(), 10)]);
        assert!(out.diagnostics.is_empty());
        let rows = deps(&out);
        let got: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.3, r.4)).collect();
        assert_eq!(
            got,
            [
                ("ext-pcntl", Context::Service, 4),
                ("symfony/process", Context::Service, 5),
                ("spatie/file-system-watcher", Context::Dev, 8),
            ]
        );
        let out = service(ManifestKind::ComposerJson, "composer.json", "{");
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(runtimes(&out).len(), 1);
    }

    #[test]
    fn composer_lock_sections() {
        let text = r#"{
    "content-hash": "x",
    "packages": [
        {
            "name": "symfony/process",
            "version": "v7.0.0",
            "authors": [{"name": "Fabien Potencier"}]
        }
    ],
    "packages-dev": [
        {
            "name": "symfony/process",
            "version": "v7.0.0"
        },
        {
            "name": "spatie/file-system-watcher",
            "version": "1.2.0"
        }
    ]
}"#;
        let out = service(ManifestKind::ComposerLock, "composer.lock", text);
        let rows = deps(&out);
        let got: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.3, r.4)).collect();
        assert_eq!(
            got,
            [
                ("symfony/process", Context::Service, 5),
                ("symfony/process", Context::Dev, 12),
                ("spatie/file-system-watcher", Context::Dev, 16),
            ]
        );
        assert_eq!(rows[0].1.as_deref(), Some("v7.0.0"));
        assert!(runtimes(&out).is_empty());
        no_panic(ManifestKind::ComposerLock, text);
        no_panic(ManifestKind::ComposerJson, text);
    }
}
