//! pnpm-lock.yaml, read line by line: lock files reach megabytes, and the
//! layout is regular.
//!
//! v5 keys are `/name/1.0.0`, v6 `/name@1.0.0`, v9 `name@1.0.0`, with peer
//! suffixes (`_react@18`, `(react@18)`) that do not change the package. The
//! lock carries its own roots (`importers.<path>.dependencies` /
//! `devDependencies` / `optionalDependencies`, or top-level sections in
//! older single-project locks) and its graph (`dependencies` of each
//! `packages` entry, or of each `snapshots` entry in v9), so every entry's
//! scope is decided here. v5 and v6 also mark entries `dev: true` /
//! `dev: false` themselves; where they do, pnpm's own answer is taken.

use super::lockgraph::{self, Node};
use super::npm::split_name_version;
use super::{indented_lines, Dep, Sink};
use crate::model::context::Context;
use crate::model::fact::{Ecosystem, Scope};
use std::collections::HashMap;

struct Package<'t> {
    name: &'t str,
    version: Option<&'t str>,
    key: String,
    line: u32,
    dev: Option<bool>,
    optional: bool,
    requires: Vec<String>,
    optional_requires: Vec<String>,
}

/// Lock-file state while reading: which top-level section, which block of
/// an importer or a package.
#[derive(Default)]
struct State<'t> {
    slash_keys: bool,
    section: &'t str,
    /// Importer section (`dependencies`, `devDependencies`...).
    importer_section: &'t str,
    /// A direct dependency written in the nested form, awaiting `version:`.
    pending_root: Option<(&'t str, Context)>,
    /// The package or snapshot being read.
    current: Option<usize>,
    /// Its block (`dependencies`, `optionalDependencies`, other).
    block: &'t str,
}

pub(crate) fn pnpm_lock(sink: &mut Sink) {
    let text = sink.text;
    let mut st = State::default();
    let mut packages: Vec<Package> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    // (name, version value, context) of every direct dependency.
    let mut roots: Vec<(&str, &str, Context)> = Vec::new();
    for l in indented_lines(text) {
        let (line_no, indent, body) = (l.number, l.indent, l.body);
        let (key, value) = split_kv(body);
        if indent == 0 {
            if key == "lockfileVersion" {
                st.slash_keys = value.starts_with('5');
            }
            st.section = key;
            st.importer_section = "";
            st.pending_root = None;
            st.current = None;
            continue;
        }
        match st.section {
            "importers" => match indent {
                2 => st.importer_section = "",
                4 => {
                    st.importer_section = key;
                    st.pending_root = None;
                }
                6 => {
                    if let Some(ctx) = section_context(st.importer_section) {
                        if value.is_empty() {
                            st.pending_root = Some((key, ctx));
                        } else {
                            roots.push((key, value, ctx));
                        }
                    }
                }
                8 if key == "version" => {
                    if let Some((name, ctx)) = st.pending_root.take() {
                        roots.push((name, value, ctx));
                    }
                }
                _ => {}
            },
            "dependencies" | "devDependencies" | "optionalDependencies" => {
                let Some(ctx) = section_context(st.section) else {
                    continue;
                };
                if indent == 2 {
                    if value.is_empty() {
                        st.pending_root = Some((key, ctx));
                    } else {
                        roots.push((key, value, ctx));
                    }
                } else if indent == 4 && key == "version" {
                    if let Some((name, ctx)) = st.pending_root.take() {
                        roots.push((name, value, ctx));
                    }
                }
            }
            "packages" | "snapshots" => match indent {
                2 => {
                    st.block = "";
                    st.current = None;
                    let Some(raw) = body.strip_suffix(':') else {
                        continue;
                    };
                    let Some((name, version)) = pnpm_key(unquote(raw), st.slash_keys) else {
                        continue;
                    };
                    let key = node_key(name, version);
                    let i = *by_key.entry(key.clone()).or_insert_with(|| {
                        packages.push(Package {
                            name,
                            version,
                            key,
                            line: line_no,
                            dev: None,
                            optional: false,
                            requires: Vec::new(),
                            optional_requires: Vec::new(),
                        });
                        packages.len() - 1
                    });
                    st.current = Some(i);
                }
                4 => {
                    st.block = key;
                    let Some(p) = st.current.and_then(|i| packages.get_mut(i)) else {
                        continue;
                    };
                    match key {
                        "dev" => p.dev = Some(value == "true"),
                        "optional" => p.optional = value == "true",
                        _ => {}
                    }
                }
                6 => {
                    let Some(p) = st.current.and_then(|i| packages.get_mut(i)) else {
                        continue;
                    };
                    let Some(to) = dep_key(key, value, st.slash_keys) else {
                        continue;
                    };
                    match st.block {
                        "dependencies" => p.requires.push(to),
                        "optionalDependencies" => p.optional_requires.push(to),
                        _ => {}
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    let scopes = decide(sink, &packages, &roots, st.slash_keys);
    for (p, scope) in packages.into_iter().zip(scopes) {
        sink.dep(
            Dep::new(Ecosystem::Npm, p.name)
                .version(p.version)
                .scope(scope),
            p.line,
        );
    }
}

/// Each package's scope: pnpm's own `dev` flags where the lock has them,
/// else the walk from the importers' roots.
fn decide(
    sink: &mut Sink,
    packages: &[Package],
    roots: &[(&str, &str, Context)],
    slash: bool,
) -> Vec<Scope> {
    if packages.iter().any(|p| p.dev.is_some()) {
        return packages
            .iter()
            .map(|p| match (p.dev, p.optional) {
                (Some(true), _) => Scope::Dev,
                (_, true) => Scope::Optional,
                _ => Scope::Runtime,
            })
            .collect();
    }
    let nodes: Vec<Node> = packages
        .iter()
        .map(|p| Node {
            key: &p.key,
            name: p.name,
            requires: &p.requires,
            optional: &p.optional_requires,
        })
        .collect();
    let (graph, index) = lockgraph::build(Ecosystem::Npm, &nodes);
    if graph.truncated() {
        sink.graph_too_big();
        return vec![Scope::Runtime; packages.len()];
    }
    let mut starts = Vec::new();
    for &(name, value, ctx) in roots {
        let Some(key) = dep_key(name, value, slash) else {
            continue;
        };
        match index.key(&key) {
            Some(i) => starts.push((i, ctx)),
            None => starts.extend(index.named(name).iter().map(|&i| (i, ctx))),
        }
    }
    let reached = graph.reach(&starts);
    (0..packages.len())
        .map(|i| {
            // Not reached: a lock we read only in part; keep it counted.
            reached
                .get(i)
                .copied()
                .flatten()
                .map_or(Scope::Runtime, Scope::from_context)
        })
        .collect()
}

fn section_context(section: &str) -> Option<Context> {
    match section {
        "dependencies" => Some(Context::Service),
        "devDependencies" => Some(Context::Dev),
        "optionalDependencies" => Some(Context::Optional),
        _ => None,
    }
}

fn node_key(name: &str, version: Option<&str>) -> String {
    format!("{name}@{}", version.unwrap_or(""))
}

/// The entry a dependency's version value points at: `1.0.0`,
/// `1.0.0(react@18.2.0)` (v6, v9), `1.0.0_react@18.2.0` (v5), or an alias
/// naming the real package (`/real/1.0.0`, `/real@1.0.0`, `real@1.0.0`).
/// Links to the project's own packages are no entry.
fn dep_key(name: &str, value: &str, slash_keys: bool) -> Option<String> {
    let v = unquote(value);
    if v.is_empty()
        || ["link:", "file:", "workspace:"]
            .iter()
            .any(|p| v.starts_with(p))
    {
        return None;
    }
    let alias = v.starts_with('/')
        || !slash_keys
            && !v.starts_with(|c: char| c.is_ascii_digit())
            && v.get(1..)
                .is_some_and(|rest| rest.split('(').next().unwrap_or("").contains('@'));
    if alias {
        let (real, version) = pnpm_key(v, slash_keys)?;
        return Some(node_key(real, version));
    }
    let version = if slash_keys {
        v.split('_').next()
    } else {
        v.split('(').next()
    };
    Some(node_key(name, version))
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

/// `key: value` with YAML quotes removed from both.
fn split_kv(body: &str) -> (&str, &str) {
    // A quoted key may hold `:` (`'/a@1.0.0(b@2)':`).
    let (key, value) = if let Some(q) = body.chars().next().filter(|c| *c == '\'' || *c == '"') {
        match body[1..].find(q) {
            Some(end) => (&body[..end + 2], body[end + 2..].trim_start_matches(':')),
            None => (body, ""),
        }
    } else {
        body.split_once(':').unwrap_or((body, ""))
    };
    (unquote(key), unquote(value))
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '\'' || c == '"')
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;

    #[test]
    fn v6_takes_pnpm_flags() {
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

  /fsevents@2.3.3:
    resolution: {integrity: sha512-z}
    dev: false
    optional: true
";
        let out = service(ManifestKind::PnpmLock, "pnpm-lock.yaml", v6);
        let rows = deps(&out);
        assert_eq!(rows.len(), 3, "{rows:?}");
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
        assert_eq!(rows[1].3, Context::Dev);
        assert_eq!(rows[2].3, Context::Optional);
    }

    const V9: &str = "lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      next:
        specifier: ^14
        version: 14.0.0(react@18.2.0)
      node-pty:
        specifier: ^1.0.0
        version: 1.0.0
      str:
        specifier: npm:string-width@^4
        version: string-width@4.2.3
      local:
        specifier: workspace:*
        version: link:../local
    devDependencies:
      tsup:
        specifier: ^8
        version: 8.0.0
      typescript:
        specifier: ^5
        version: 5.4.0

packages:

  next@14.0.0:
    resolution: {integrity: sha512-n}

  node-pty@1.0.0:
    resolution: {integrity: sha512-a}

  string-width@4.2.3:
    resolution: {integrity: sha512-s}

  sharp@0.33.0:
    resolution: {integrity: sha512-s}

  '@parcel/watcher@2.4.0':
    resolution: {integrity: sha512-w}

  tsup@8.0.0:
    resolution: {integrity: sha512-t}

  chokidar@3.6.0:
    resolution: {integrity: sha512-c}

  typescript@5.4.0:
    resolution: {integrity: sha512-b}

  cycle-a@1.0.0:
    resolution: {integrity: sha512-x}

  orphan@1.0.0:
    resolution: {integrity: sha512-o}

snapshots:

  next@14.0.0(react@18.2.0):
    dependencies:
      '@parcel/watcher': 2.4.0
    optionalDependencies:
      sharp: 0.33.0

  node-pty@1.0.0: {}

  tsup@8.0.0(typescript@5.4.0):
    dependencies:
      chokidar: 3.6.0
      cycle-a: 1.0.0

  cycle-a@1.0.0:
    dependencies:
      tsup: 8.0.0(typescript@5.4.0)
";

    #[test]
    fn v9_walks_from_importers() {
        let out = service(ManifestKind::PnpmLock, "pnpm-lock.yaml", V9);
        let rows = deps(&out);
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(get("next").3, Context::Service);
        assert_eq!(get("node-pty").3, Context::Service);
        assert_eq!(get("node-pty").4, 32);
        assert_eq!(get("string-width").3, Context::Service);
        // Reached from a runtime root, but only as an optional dependency.
        assert_eq!(get("sharp").3, Context::Optional);
        // Transitive runtime dependency.
        assert_eq!(get("@parcel/watcher").3, Context::Service);
        assert_eq!(get("@parcel/watcher").1.as_deref(), Some("2.4.0"));
        // Only under a devDependency, through a cycle.
        assert_eq!(get("chokidar").3, Context::Dev);
        assert_eq!(get("cycle-a").3, Context::Dev);
        assert!(get("typescript").2);
        // Nothing reaches it: the lock was read in part, so it still counts.
        assert_eq!(get("orphan").3, Context::Service);
    }

    #[test]
    fn v5_slash_keys() {
        let v5 = "lockfileVersion: 5.4

importers:
  .:
    specifiers:
      ffi-napi: ^4
    dependencies:
      ffi-napi: 4.0.3
    devDependencies:
      '@babel/core': 7.0.0_react@18.0.0

packages:

  /@babel/core/7.0.0_react@18.0.0:
    resolution: {integrity: x}
    dependencies:
      chokidar: 3.5.0
  /chokidar/3.5.0:
    resolution: {integrity: y}
  /ffi-napi/4.0.3:
    resolution: {integrity: z}
";
        let out = service(ManifestKind::PnpmLock, "pnpm-lock.yaml", v5);
        let rows = deps(&out);
        assert_eq!(rows[0].0, "@babel/core");
        assert_eq!(rows[0].1.as_deref(), Some("7.0.0"));
        assert_eq!(rows[0].3, Context::Dev);
        assert_eq!(rows[1].0, "chokidar");
        assert_eq!(rows[1].3, Context::Dev);
        assert_eq!(rows[2].0, "ffi-napi");
        assert_eq!(rows[2].3, Context::Service);
    }

    #[test]
    fn garbage_does_not_panic() {
        no_panic(ManifestKind::PnpmLock, V9);
        no_panic(
            ManifestKind::PnpmLock,
            "lockfileVersion: 5\npackages:\n  /a/1:\n    dev: true\n",
        );
    }
}
