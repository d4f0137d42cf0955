//! package.json and package-lock.json (yarn.lock and pnpm-lock.yaml have
//! their own modules).
//!
//! package.json says what the service asked for; the locks say what it got,
//! transitive packages included (a native addon four levels down still needs
//! a compiler and a `.node` file). npm marks every lock entry with what it
//! computed from the roots: `dev` (only under devDependencies),
//! `optional` (only under optionalDependencies), `devOptional` (only under
//! both kinds of non-shipping roots); those flags are the entry's scope.

use super::json_keys::KeyLines;
use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, Scope};
use serde_json::Value;

const SECTIONS: [(&str, Scope); 4] = [
    ("dependencies", Scope::Runtime),
    ("devDependencies", Scope::Dev),
    ("optionalDependencies", Scope::Optional),
    // npm 7 and later install peers of the root like dependencies.
    ("peerDependencies", Scope::Runtime),
];

pub(crate) fn package_json(sink: &mut Sink) {
    sink.runtime(Ecosystem::Npm);
    let Some(doc) = parse_json(sink, "package.json") else {
        return;
    };
    let parents: Vec<&str> = SECTIONS.iter().map(|(s, _)| *s).collect();
    let keys = KeyLines::scan(sink.text, &parents);
    let commands = script_commands(&doc);
    let dev: Vec<&String> = match doc.get("devDependencies") {
        Some(Value::Object(d)) => d.keys().collect(),
        _ => Vec::new(),
    };
    for (section, scope) in SECTIONS {
        let Some(Value::Object(deps)) = doc.get(section) else {
            continue;
        };
        for (key, spec) in deps {
            let mut scope = scope;
            if section == "peerDependencies" {
                // A peer the package also lists as a devDependency is one
                // its host provides: installed here only to develop.
                if dev.contains(&key) {
                    continue;
                }
                let optional = doc
                    .pointer(&format!(
                        "/peerDependenciesMeta/{}/optional",
                        pointer_escape(key)
                    ))
                    .and_then(Value::as_bool)
                    == Some(true);
                if optional {
                    scope = Scope::Optional;
                }
            }
            let line = keys.get(&[section, key]).unwrap_or(1);
            let (name, version) = unalias(key, spec.as_str());
            let run = runs(&commands, name);
            sink.dep(
                Dep::new(Ecosystem::Npm, name)
                    .version(version)
                    .scope(scope)
                    .run_by_scripts(run),
                line,
            );
        }
    }
}

/// The words of the `scripts` values that can name a command (`pm2-runtime
/// start app.js`, `npx prisma migrate && next start`), bounded.
fn script_commands(doc: &Value) -> Vec<&str> {
    let Some(Value::Object(scripts)) = doc.get("scripts") else {
        return Vec::new();
    };
    scripts
        .values()
        .filter_map(Value::as_str)
        .flat_map(|s| s.split(|c: char| c.is_whitespace() || ";&|()".contains(c)))
        .filter(|w| !w.is_empty() && !w.starts_with('-'))
        .take(4096)
        .collect()
}

/// Whether a script runs package `name`'s command: its name without the
/// scope, or a command named after it (`pm2` ships `pm2-runtime`).
fn runs(commands: &[&str], name: &str) -> bool {
    let bare = name.rsplit('/').next().unwrap_or(name);
    !bare.is_empty()
        && commands.iter().any(|w| {
            let w = w.rsplit('/').next().unwrap_or(w);
            w == bare || w.strip_prefix(bare).is_some_and(|r| r.starts_with('-'))
        })
}

/// JSON pointer escaping of one reference token (`@scope/name`).
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

pub(crate) fn package_lock(sink: &mut Sink) {
    let Some(doc) = parse_json(sink, "package-lock.json") else {
        return;
    };
    let keys = KeyLines::scan(sink.text, &["packages", "dependencies"]);
    // lockfileVersion 2 and 3: a flat `packages` map keyed by install path.
    if let Some(Value::Object(packages)) = doc.get("packages") {
        for (path, meta) in packages {
            // "" is the project itself; paths without node_modules/ are
            // workspace members, i.e. the project's own code.
            let Some(at) = path.rfind("node_modules/") else {
                continue;
            };
            if meta.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = meta
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&path[at + "node_modules/".len()..]);
            let version = meta.get("version").and_then(Value::as_str);
            let line = keys.get(&["packages", path]).unwrap_or(1);
            let dep = Dep::new(Ecosystem::Npm, name)
                .version(version)
                .scope(lock_scope(meta));
            sink.dep(dep, line);
        }
        return;
    }
    // lockfileVersion 1: a tree of `dependencies`, nested where versions
    // conflict. Walked with an explicit stack; serde_json already bounds depth.
    let mut work: Vec<(Vec<&str>, &Value)> = Vec::new();
    if let Some(deps) = doc.get("dependencies") {
        work.push((vec!["dependencies"], deps));
    }
    while let Some((path, deps)) = work.pop() {
        let Value::Object(deps) = deps else {
            continue;
        };
        for (key, meta) in deps {
            let mut here = path.clone();
            here.push(key);
            let (name, version) = unalias(key, meta.get("version").and_then(Value::as_str));
            let line = keys.get(&here).unwrap_or(1);
            let dep = Dep::new(Ecosystem::Npm, name)
                .version(version)
                .scope(lock_scope(meta));
            sink.dep(dep, line);
            if let Some(nested) = meta.get("dependencies") {
                here.push("dependencies");
                work.push((here, nested));
            }
        }
    }
}

fn lock_scope(meta: &Value) -> Scope {
    let flag = |k: &str| meta.get(k).and_then(Value::as_bool) == Some(true);
    // devOptional: reached only from dev roots and optional edges.
    if flag("dev") || flag("devOptional") {
        Scope::Dev
    } else if flag("optional") {
        Scope::Optional
    } else {
        Scope::Runtime
    }
}

/// `"img": "npm:sharp@^0.33"` installs sharp under another name; the rules
/// care about what is installed.
pub(super) fn unalias<'a>(key: &'a str, spec: Option<&'a str>) -> (&'a str, Option<&'a str>) {
    if let Some(real) = spec.and_then(|s| s.strip_prefix("npm:")) {
        return split_name_version(real).unwrap_or((real, None));
    }
    (key, spec)
}

/// `@scope/name@1.2.3` -> (`@scope/name`, `1.2.3`); the first character may
/// be the scope's `@`.
pub(super) fn split_name_version(spec: &str) -> Option<(&str, Option<&str>)> {
    let at = spec.get(1..)?.find('@')? + 1;
    let version = &spec[at + 1..];
    Some((&spec[..at], (!version.is_empty()).then_some(version)))
}

pub(super) fn parse_json(sink: &mut Sink, what: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(sink.text) {
        Ok(v) => Some(v),
        Err(e) => {
            sink.malformed(format!("{what}: {e}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;

    const PACKAGE_JSON: &str = r#"{
  "name": "api",
  "version": "1.0.0",
  "scripts": { "start": "node index.js" },
  "dependencies": {
    "express": "^4.19.2",
    "fluent-ffmpeg": "^2.1.2",
    "img": "npm:sharp@^0.33.0",
    "@aws-sdk/client-s3": "^3.500.0"
  },
  "devDependencies": {
    "jest": "^29.7.0"
  },
  "optionalDependencies": {
    "bufferutil": "^4.0.8"
  },
  "peerDependencies": {
    "react": "^18",
    "jest": "^29",
    "@parcel/watcher": "^2"
  },
  "peerDependenciesMeta": {
    "@parcel/watcher": { "optional": true }
  }
}
"#;

    #[test]
    fn package_json_sections_and_aliases() {
        let out = service(ManifestKind::PackageJson, "package.json", PACKAGE_JSON);
        assert!(out.diagnostics.is_empty());
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("express").4, 6);
        assert_eq!(get("fluent-ffmpeg").1.as_deref(), Some("^2.1.2"));
        assert_eq!(get("sharp").1.as_deref(), Some("^0.33.0"));
        assert_eq!(get("sharp").4, 8);
        assert_eq!(get("@aws-sdk/client-s3").4, 9);
        assert_eq!(get("jest").3, Context::Dev);
        assert_eq!(get("bufferutil").3, Context::Optional);
        assert_eq!(get("react").3, Context::Service);
        assert_eq!(get("react").4, 18);
        assert_eq!(get("@parcel/watcher").3, Context::Optional);
        // A peer also listed for development: only the dev declaration.
        assert_eq!(rows.iter().filter(|r| r.0 == "jest").count(), 1);
        assert_eq!(find(&out, "express").at.snippet, r#""express": "^4.19.2","#);
        assert_eq!(runtimes(&out), vec![("npm".to_string(), 10)]);
    }

    #[test]
    fn package_lock_v3_and_v1() {
        let v3 = r#"{
  "name": "api",
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "api", "dependencies": { "express": "^4" } },
    "node_modules/express": { "version": "4.19.2" },
    "node_modules/jest": { "version": "29.7.0", "dev": true },
    "node_modules/fsevents": { "version": "2.3.3", "optional": true },
    "node_modules/chokidar": { "version": "3.6.0", "devOptional": true },
    "node_modules/a/node_modules/@scope/b": { "version": "1.0.0" },
    "node_modules/img": { "name": "sharp", "version": "0.33.0" },
    "packages/local": { "version": "0.0.1" },
    "node_modules/local": { "resolved": "packages/local", "link": true }
  }
}"#;
        let out = service(ManifestKind::PackageLock, "package-lock.json", v3);
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names.len(), 6, "{names:?}");
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("express").4, 6);
        assert!(get("jest").2);
        assert_eq!(get("jest").3, Context::Dev);
        assert_eq!(get("fsevents").3, Context::Optional);
        assert_eq!(get("chokidar").3, Context::Dev);
        assert_eq!(get("@scope/b").4, 10);
        assert_eq!(get("sharp").1.as_deref(), Some("0.33.0"));
        assert!(runtimes(&out).is_empty());

        let v1 = r#"{
  "lockfileVersion": 1,
  "dependencies": {
    "puppeteer": {
      "version": "21.0.0",
      "dependencies": {
        "ws": { "version": "8.0.0" }
      }
    },
    "mocha": { "version": "10.0.0", "dev": true }
  }
}"#;
        let out = service(ManifestKind::PackageLock, "package-lock.json", v1);
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("puppeteer").4, 4);
        assert_eq!(get("ws").4, 7);
        assert_eq!(get("mocha").3, Context::Dev);
    }

    #[test]
    fn broken_json_is_malformed() {
        let out = service(
            ManifestKind::PackageJson,
            "package.json",
            "{\"dependencies\": {",
        );
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(runtimes(&out).len(), 1);
        no_panic(ManifestKind::PackageJson, PACKAGE_JSON);
        no_panic(ManifestKind::PackageLock, PACKAGE_JSON);
    }
}
