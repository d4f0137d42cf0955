//! yarn.lock, classic (v1) and berry (v2+).
//!
//! Entry headers sit at column 0 (`"a@^1", a@^1.1:` or `"a@npm:^1,
//! a@npm:^1.1":`), then indented fields: `version`, and `dependencies` /
//! `optionalDependencies` blocks naming other entries by descriptor
//! (`name range`). yarn.lock does not say which packages are dev-only, so
//! each entry carries its edges and `analyze::scopes` takes the roots and
//! their scopes from the package.json files beside and below the lock.

use super::npm::split_name_version;
use super::{indented_lines, Dep, Sink};
use crate::model::fact::{Ecosystem, LockEntry};
use std::collections::{HashMap, HashSet};

/// Berry protocols for the project's own code and for patched copies of a
/// real entry: not dependencies.
const OWN_PROTOCOLS: [&str; 5] = ["workspace:", "patch:", "link:", "portal:", "file:"];

struct Entry<'t> {
    name: &'t str,
    descriptors: Vec<String>,
    version: Option<&'t str>,
    line: u32,
    requires: Vec<String>,
    optional: Vec<String>,
    /// Berry `dependenciesMeta.<name>.optional`.
    optional_names: HashSet<&'t str>,
    /// A workspace of the project (berry `name@workspace:path`).
    own: bool,
}

impl Entry<'_> {
    /// Fields with no entry to belong to (`__metadata`).
    fn is_placeholder(&self) -> bool {
        self.name.is_empty()
    }
}

pub(crate) fn yarn_lock(sink: &mut Sink) {
    let text = sink.text;
    let mut entries: Vec<Entry> = Vec::new();
    // The block of the current entry we are in: dependencies,
    // optionalDependencies, dependenciesMeta, or another field.
    let mut block = "";
    let mut meta_name: Option<&str> = None;
    for l in indented_lines(text) {
        let (line_no, indent, line, body) = (l.number, l.indent, l.line, l.body);
        if indent == 0 {
            block = "";
            // Metadata, a patched copy or a header we cannot read: its
            // fields belong to no entry.
            entries.push(header(line, line_no).unwrap_or_else(|| empty(line_no)));
            continue;
        }
        let Some(entry) = entries.last_mut() else {
            continue;
        };
        if indent <= 2 {
            let (key, value) = split_field(body);
            block = key;
            if key == "version" && !value.is_empty() {
                entry.version = Some(value);
            }
            continue;
        }
        match block {
            "dependencies" | "optionalDependencies" if indent <= 4 => {
                let (name, range) = split_field(body);
                let descriptor = descriptor(name, range);
                if block == "optionalDependencies" {
                    entry.optional.push(descriptor);
                } else {
                    entry.requires.push(descriptor);
                }
            }
            "dependenciesMeta" => {
                if indent <= 4 {
                    meta_name = Some(split_field(body).0);
                } else if let (Some(n), ("optional", "true")) = (meta_name, split_field(body)) {
                    entry.optional_names.insert(n);
                }
            }
            _ => {}
        }
    }
    // Descriptors -> the key of the entry that resolves them.
    let mut resolve: HashMap<String, String> = HashMap::new();
    for e in &entries {
        if let Some(first) = e.descriptors.first() {
            for d in &e.descriptors {
                resolve.entry(d.clone()).or_insert_with(|| first.clone());
            }
        }
    }
    let lookup = |d: &String| -> String {
        resolve.get(d).cloned().unwrap_or_else(|| {
            // Unresolved (a patch: protocol, a trimmed lock): every entry of
            // that name.
            split_name_version(d)
                .map_or(d.as_str(), |(n, _)| n)
                .to_string()
        })
    };
    let mut direct: HashSet<String> = HashSet::new();
    for e in entries.iter().filter(|e| e.own && !e.is_placeholder()) {
        direct.extend(e.requires.iter().chain(&e.optional).map(lookup));
    }
    for e in entries {
        if e.own || e.is_placeholder() {
            continue;
        }
        let Some(key) = e.descriptors.first().cloned() else {
            continue;
        };
        let mut requires = Vec::new();
        let mut optional: Vec<String> = e.optional.iter().map(lookup).collect();
        for d in &e.requires {
            let name = split_name_version(d).map_or(d.as_str(), |(n, _)| n);
            if e.optional_names.contains(name) {
                optional.push(lookup(d));
            } else {
                requires.push(lookup(d));
            }
        }
        let entry = LockEntry {
            direct: direct.contains(&key),
            key,
            requires,
            optional,
        };
        sink.dep(
            Dep::new(Ecosystem::Npm, e.name)
                .version(e.version)
                .lock(entry),
            e.line,
        );
    }
}

fn empty<'t>(line: u32) -> Entry<'t> {
    Entry {
        name: "",
        descriptors: Vec::new(),
        version: None,
        line,
        requires: Vec::new(),
        optional: Vec::new(),
        optional_names: HashSet::new(),
        own: false,
    }
}

/// An entry header: its descriptors, normalized, and whether it is one of
/// berry's own-code protocols.
fn header(line: &str, line_no: u32) -> Option<Entry<'_>> {
    let header = line.trim_end().strip_suffix(':')?;
    if header.starts_with('#') || header == "__metadata" {
        return None;
    }
    let mut entry = empty(line_no);
    for part in header.split(',') {
        let part = part.trim().trim_matches('"');
        let Some((name, range)) = split_name_version(part) else {
            continue;
        };
        let range = range.unwrap_or("");
        if OWN_PROTOCOLS.iter().any(|p| range.starts_with(p)) {
            entry.own = range.starts_with("workspace:");
            if !entry.own {
                return None;
            }
        }
        if entry.name.is_empty() {
            entry.name = name;
        }
        entry.descriptors.push(descriptor(name, range));
    }
    (!entry.name.is_empty()).then_some(entry)
}

/// `name@range` with berry's default `npm:` protocol dropped, so v1 and
/// berry spell a descriptor the same way.
fn descriptor(name: &str, range: &str) -> String {
    let range = range.trim().trim_matches('"');
    let range = range.strip_prefix("npm:").unwrap_or(range);
    format!("{name}@{range}")
}

/// `key value`, `key: value`, `"key" "value"`, `"key": value` -> (key, value).
fn split_field(body: &str) -> (&str, &str) {
    let (key, rest) = if let Some(after) = body.strip_prefix('"') {
        match after.find('"') {
            Some(end) => (&after[..end], &after[end + 1..]),
            None => (after, ""),
        }
    } else {
        match body.find([' ', ':']) {
            Some(i) => (&body[..i], &body[i..]),
            None => (body, ""),
        }
    };
    let value = rest.trim_start().trim_start_matches(':').trim();
    (key, value.trim_matches('"'))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::model::fact::FactKind;
    use crate::parse::manifest::parse;

    fn lock_of<'o>(out: &'o crate::parse::Output, name: &str) -> &'o crate::model::fact::LockEntry {
        match &find(out, name).kind {
            FactKind::Dependency(d) => d.lock.as_ref().expect("lock entry"),
            _ => unreachable!(),
        }
    }

    #[test]
    fn classic_entries_and_edges() {
        let classic = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz"
  dependencies:
    "@babel/highlight" "^7.10.4"

"@babel/highlight@^7.10.4":
  version "7.10.4"

chokidar@^3.5.0:
  version "3.5.3"
  dependencies:
    anymatch "~3.1.2"
  optionalDependencies:
    fsevents "~2.3.2"

node-pty@^1.0.0:
  version "1.0.0"
"#;
        let out = service(ManifestKind::YarnLock, "yarn.lock", classic);
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.4)).collect();
        assert_eq!(
            names,
            [
                ("@babel/code-frame", 5),
                ("@babel/highlight", 11),
                ("chokidar", 14),
                ("node-pty", 21)
            ]
        );
        assert_eq!(rows[0].1.as_deref(), Some("7.12.13"));
        assert_eq!(rows[0].3, Context::Service);
        let frame = lock_of(&out, "@babel/code-frame");
        assert_eq!(frame.key, "@babel/code-frame@^7.0.0");
        assert_eq!(frame.requires, ["@babel/highlight@^7.10.4"]);
        let chokidar = lock_of(&out, "chokidar");
        // anymatch is not in this lock: resolved by name.
        assert_eq!(chokidar.requires, ["anymatch"]);
        assert_eq!(chokidar.optional, ["fsevents"]);
        assert!(!chokidar.direct);
    }

    #[test]
    fn berry_workspaces_are_direct() {
        let berry = r#"__metadata:
  version: 6
  cacheKey: 8

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    sharp: "npm:^0.33.0"
    chokidar: ^3.5.0
  languageName: unknown

"chokidar@npm:^3.5.0":
  version: 3.5.3
  dependencies:
    fsevents: "npm:~2.3.2"
  dependenciesMeta:
    fsevents:
      optional: true

"fsevents@npm:~2.3.2":
  version: 2.3.3

"sharp@npm:^0.33.0, sharp@npm:^0.33.2":
  version: 0.33.2
  resolution: "sharp@npm:0.33.2"

"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>":
  version: 1.22.8
"#;
        let out = parse(ManifestKind::YarnLock, "yarn.lock", berry, Context::Service);
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(names, ["chokidar", "fsevents", "sharp"]);
        assert_eq!(rows[2].1.as_deref(), Some("0.33.2"));
        assert_eq!(rows[2].4, 24);
        assert!(lock_of(&out, "sharp").direct);
        assert!(lock_of(&out, "chokidar").direct);
        assert!(!lock_of(&out, "fsevents").direct);
        assert_eq!(lock_of(&out, "chokidar").optional, ["fsevents@~2.3.2"]);
        assert!(lock_of(&out, "chokidar").requires.is_empty());
    }

    #[test]
    fn garbage_does_not_panic() {
        no_panic(
            ManifestKind::YarnLock,
            "a@^1:\n  version \"1\"\n  dependencies:\n    b \"^1\"\n",
        );
    }
}
