//! package.json and the three npm-world lock files.
//!
//! package.json says what the service asked for; the locks say what it got,
//! transitive packages included (a native addon four levels down still needs
//! a compiler and a `.node` file). package-lock and pnpm-lock mark dev-only
//! packages; yarn.lock does not, so its packages keep the file's context.

use super::json_keys::KeyLines;
use super::{Dep, Role, Sink};
use crate::model::fact::Ecosystem;
use serde_json::Value;
use std::collections::HashSet;

const SECTIONS: [(&str, Role); 3] = [
    ("dependencies", Role::Normal),
    ("devDependencies", Role::Dev),
    ("optionalDependencies", Role::Normal),
];

pub(crate) fn package_json(sink: &mut Sink) {
    sink.runtime("node");
    let Some(doc) = parse_json(sink, "package.json") else {
        return;
    };
    let keys = KeyLines::scan(
        sink.text,
        &["dependencies", "devDependencies", "optionalDependencies"],
    );
    for (section, role) in SECTIONS {
        let Some(Value::Object(deps)) = doc.get(section) else {
            continue;
        };
        for (key, spec) in deps {
            let line = keys.get(&[section, key]).unwrap_or(1);
            let (name, version) = unalias(key, spec.as_str());
            sink.dep(
                Dep::new(Ecosystem::Npm, name).version(version).role(role),
                line,
            );
        }
    }
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
                .role(lock_role(meta));
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
                .role(lock_role(meta));
            sink.dep(dep, line);
            if let Some(nested) = meta.get("dependencies") {
                here.push("dependencies");
                work.push((here, nested));
            }
        }
    }
}

fn lock_role(meta: &Value) -> Role {
    let flag = |k: &str| meta.get(k).and_then(Value::as_bool) == Some(true);
    // devOptional: only in the dev tree (as an optional dependency there).
    if flag("dev") || flag("devOptional") {
        Role::Dev
    } else {
        Role::Normal
    }
}

/// `"img": "npm:sharp@^0.33"` installs sharp under another name; the rules
/// care about what is installed.
fn unalias<'a>(key: &'a str, spec: Option<&'a str>) -> (&'a str, Option<&'a str>) {
    if let Some(real) = spec.and_then(|s| s.strip_prefix("npm:")) {
        return split_name_version(real).unwrap_or((real, None));
    }
    (key, spec)
}

/// `@scope/name@1.2.3` -> (`@scope/name`, `1.2.3`); the first character may
/// be the scope's `@`.
fn split_name_version(spec: &str) -> Option<(&str, Option<&str>)> {
    let at = spec.get(1..)?.find('@')? + 1;
    let version = &spec[at + 1..];
    Some((&spec[..at], (!version.is_empty()).then_some(version)))
}

fn parse_json(sink: &mut Sink, what: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(sink.text) {
        Ok(v) => Some(v),
        Err(e) => {
            sink.malformed(format!("{what}: {e}"));
            None
        }
    }
}

/// yarn.lock, classic (v1) and berry (v2+): entry headers at column 0
/// (`"a@^1", a@^1.1:` or `"a@npm:^1, a@npm:^1.1":`), then an indented
/// `version`.
pub(crate) fn yarn_lock(sink: &mut Sink) {
    let text = sink.text;
    let mut pending: Option<(&str, u32, Option<&str>)> = None;
    for (idx, line) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        if line.starts_with([' ', '\t']) {
            let body = line.trim();
            if let (Some(p), Some(rest)) = (pending.as_mut(), body.strip_prefix("version")) {
                let v = rest.trim_start_matches(':').trim().trim_matches('"');
                if !v.is_empty() {
                    p.2 = Some(v);
                }
            }
            continue;
        }
        if let Some((name, at, version)) = pending.take() {
            sink.dep(Dep::new(Ecosystem::Npm, name).version(version), at);
        }
        let Some(header) = line.trim_end().strip_suffix(':') else {
            continue;
        };
        if header.starts_with('#') || header == "__metadata" {
            continue;
        }
        let first = header
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        let Some((name, range)) = split_name_version(first) else {
            continue;
        };
        let range = range.unwrap_or("");
        // Berry's own protocols: the project's workspaces, and patched
        // copies that duplicate the real entry.
        if ["workspace:", "patch:", "link:", "portal:", "file:"]
            .iter()
            .any(|p| range.starts_with(p))
        {
            continue;
        }
        pending = Some((name, line_no, None));
    }
    if let Some((name, at, version)) = pending {
        sink.dep(Dep::new(Ecosystem::Npm, name).version(version), at);
    }
}

/// pnpm-lock.yaml, read line by line: lock files reach megabytes, and the
/// layout is regular. v5 keys are `/name/1.0.0`, v6 `/name@1.0.0`, v9
/// `name@1.0.0`; v5/v6 mark dev packages with `dev: true`, v9 only says which
/// direct dependencies are dev in `importers`.
pub(crate) fn pnpm_lock(sink: &mut Sink) {
    let text = sink.text;
    let mut slash_keys = false;
    let mut section = "";
    // Section of the importer block we are in (`dependencies`,
    // `devDependencies`), for v9's dev marking.
    let mut importer_section = "";
    let mut dev_direct: HashSet<&str> = HashSet::new();
    let mut prod_direct: HashSet<&str> = HashSet::new();
    // (name, version, line, dev flag if the lock says)
    let mut packages: Vec<(&str, Option<&str>, u32, Option<bool>)> = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let body = line.trim();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        if indent == 0 {
            let (key, value) = body.split_once(':').unwrap_or((body, ""));
            if key == "lockfileVersion" {
                let v = value.trim().trim_matches(|c| c == '\'' || c == '"');
                slash_keys = v.starts_with('5');
            }
            section = key;
            importer_section = "";
            continue;
        }
        match section {
            "packages" => {
                if indent == 2 && body.ends_with(':') {
                    let key = unquote_yaml(&body[..body.len() - 1]);
                    if let Some((name, version)) = pnpm_key(key, slash_keys) {
                        packages.push((name, version, line_no, None));
                    }
                } else if indent == 4 {
                    if let (Some(last), Some(v)) = (packages.last_mut(), body.strip_prefix("dev:"))
                    {
                        last.3 = Some(v.trim() == "true");
                    }
                }
            }
            // v5/v6 single-project locks list direct dependencies at the top
            // level; workspaces and v9 under `importers.<path>`.
            "dependencies" | "optionalDependencies" | "devDependencies" if indent == 2 => {
                let name = unquote_yaml(body.split_once(':').map_or(body, |(k, _)| k));
                if section == "devDependencies" {
                    dev_direct.insert(name);
                } else {
                    prod_direct.insert(name);
                }
            }
            "importers" => {
                let key = body.split_once(':').map_or(body, |(k, _)| k);
                if indent == 4 {
                    importer_section = key;
                } else if indent == 6 {
                    let name = unquote_yaml(key);
                    if importer_section == "devDependencies" {
                        dev_direct.insert(name);
                    } else if importer_section == "dependencies"
                        || importer_section == "optionalDependencies"
                    {
                        prod_direct.insert(name);
                    }
                }
            }
            _ => {}
        }
    }
    for (name, version, line, dev) in packages {
        let dev = dev.unwrap_or_else(|| dev_direct.contains(name) && !prod_direct.contains(name));
        let role = if dev { Role::Dev } else { Role::Normal };
        sink.dep(
            Dep::new(Ecosystem::Npm, name).version(version).role(role),
            line,
        );
    }
}

/// A pnpm package key -> (name, version), peer suffixes removed.
fn pnpm_key(key: &str, slash_keys: bool) -> Option<(&str, Option<&str>)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    // v6/v9 peers: `name@1.0.0(react@18.2.0)`.
    let key = key.split('(').next().unwrap_or(key);
    if slash_keys {
        // v5: `@scope/name/1.0.0_react@18.2.0`.
        let (name, version) = key.rsplit_once('/')?;
        let version = version.split('_').next().unwrap_or(version);
        return Some((name, Some(version)));
    }
    split_name_version(key)
}

fn unquote_yaml(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '\'' || c == '"')
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::parse::manifest::parse;

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
  }
}
"#;

    #[test]
    fn package_json_sections_and_aliases() {
        let out = parse(
            ManifestKind::PackageJson,
            "package.json",
            PACKAGE_JSON,
            Context::Service,
        );
        assert!(out.diagnostics.is_empty());
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("express").4, 6);
        assert_eq!(get("fluent-ffmpeg").1.as_deref(), Some("^2.1.2"));
        assert_eq!(get("sharp").1.as_deref(), Some("^0.33.0"));
        assert_eq!(get("sharp").4, 8);
        assert_eq!(get("@aws-sdk/client-s3").4, 9);
        assert_eq!(get("jest").3, Context::Test);
        assert_eq!(get("bufferutil").3, Context::Service);
        assert_eq!(find(&out, "express").at.snippet, r#""express": "^4.19.2","#);
        assert_eq!(runtimes(&out), vec![("node".to_string(), 10)]);
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
    "node_modules/a/node_modules/@scope/b": { "version": "1.0.0" },
    "node_modules/img": { "name": "sharp", "version": "0.33.0" },
    "packages/local": { "version": "0.0.1" },
    "node_modules/local": { "resolved": "packages/local", "link": true }
  }
}"#;
        let out = parse(
            ManifestKind::PackageLock,
            "package-lock.json",
            v3,
            Context::Service,
        );
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("express").4, 6);
        assert!(get("jest").2);
        assert_eq!(get("@scope/b").4, 8);
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
        let out = parse(
            ManifestKind::PackageLock,
            "package-lock.json",
            v1,
            Context::Service,
        );
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("puppeteer").4, 4);
        assert_eq!(get("ws").4, 7);
        assert_eq!(get("mocha").3, Context::Test);
    }

    #[test]
    fn yarn_classic_and_berry() {
        let classic = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz"
  dependencies:
    "@babel/highlight" "^7.10.4"

node-pty@^1.0.0:
  version "1.0.0"
"#;
        let out = parse(
            ManifestKind::YarnLock,
            "yarn.lock",
            classic,
            Context::Service,
        );
        let rows = deps(&out);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            (
                "@babel/code-frame".into(),
                Some("7.12.13".into()),
                false,
                Context::Service,
                5
            )
        );
        assert_eq!(rows[1].0, "node-pty");
        assert_eq!(rows[1].4, 11);

        let berry = r#"__metadata:
  version: 6
  cacheKey: 8

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."

"sharp@npm:^0.33.0, sharp@npm:^0.33.2":
  version: 0.33.2
  resolution: "sharp@npm:0.33.2"

"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>":
  version: 1.22.8
"#;
        let out = parse(ManifestKind::YarnLock, "yarn.lock", berry, Context::Service);
        let rows = deps(&out);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].0, "sharp");
        assert_eq!(rows[0].1.as_deref(), Some("0.33.2"));
        assert_eq!(rows[0].4, 9);
    }

    #[test]
    fn pnpm_v6_and_v9() {
        let v6 = "lockfileVersion: '6.0'

dependencies:
  express:
    specifier: ^4.19.2
    version: 4.19.2

devDependencies:
  vitest:
    specifier: ^1.0.0
    version: 1.0.0

packages:

  /express@4.19.2:
    resolution: {integrity: sha512-x}
    dev: false

  /@vitest/runner@1.0.0(vite@5.0.0):
    resolution: {integrity: sha512-y}
    dev: true
";
        let out = parse(
            ManifestKind::PnpmLock,
            "pnpm-lock.yaml",
            v6,
            Context::Service,
        );
        let rows = deps(&out);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(
            rows[0],
            (
                "express".into(),
                Some("4.19.2".into()),
                false,
                Context::Service,
                15
            )
        );
        assert_eq!(rows[1].0, "@vitest/runner");
        assert_eq!(rows[1].3, Context::Test);

        let v9 = "lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      node-pty:
        specifier: ^1.0.0
        version: 1.0.0
    devDependencies:
      typescript:
        specifier: ^5
        version: 5.4.0

packages:

  node-pty@1.0.0:
    resolution: {integrity: sha512-a}

  typescript@5.4.0:
    resolution: {integrity: sha512-b}

  '@types/node@20.0.0':
    resolution: {integrity: sha512-c}
";
        let out = parse(
            ManifestKind::PnpmLock,
            "pnpm-lock.yaml",
            v9,
            Context::Service,
        );
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("node-pty").4, 17);
        assert!(!get("node-pty").2);
        assert!(get("typescript").2);
        assert_eq!(get("@types/node").1.as_deref(), Some("20.0.0"));

        let v5 = "lockfileVersion: 5.4\n\npackages:\n\n  /@babel/core/7.0.0_react@18.0.0:\n    dev: true\n  /ffi-napi/4.0.3:\n    dev: false\n";
        let out = parse(
            ManifestKind::PnpmLock,
            "pnpm-lock.yaml",
            v5,
            Context::Service,
        );
        let rows = deps(&out);
        assert_eq!(rows[0].0, "@babel/core");
        assert_eq!(rows[0].1.as_deref(), Some("7.0.0"));
        assert!(rows[0].2);
        assert_eq!(rows[1].0, "ffi-napi");
    }

    #[test]
    fn broken_json_is_malformed() {
        let out = parse(
            ManifestKind::PackageJson,
            "package.json",
            "{\"dependencies\": {",
            Context::Service,
        );
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(runtimes(&out).len(), 1);
        no_panic(ManifestKind::PackageJson, PACKAGE_JSON);
        no_panic(ManifestKind::PackageLock, PACKAGE_JSON);
        no_panic(ManifestKind::YarnLock, "a@^1:\n  version \"1\"\n");
        no_panic(
            ManifestKind::PnpmLock,
            "lockfileVersion: 5\npackages:\n  /a/1:\n    dev: true\n",
        );
    }
}
