//! JavaScript and TypeScript code that loads, on demand, a package its
//! package.json declares only for development:
//!
//! ```js
//! const handleLiveReload = async (app) => {
//!   const chokidar = await import('chokidar');   // a devDependency
//!   chokidar.watch('src/static').on('change', reload);
//! };
//! ```
//!
//! A production install (`npm ci --omit=dev`, `pnpm install --prod`, the
//! usual image) leaves the package out, so that code would fail wherever
//! it ran in the shipped service: it runs only in a development setup
//! (a live-reload or dev-server switch). Its evidence is `dev`: listed,
//! not counted. Only a lazy load says so: a top-level `import x from` or
//! `require` of a dev package runs at start-up, so a service that does it
//! either installs dev packages or bundles them, and ships them either way.
//!
//! The per-file part (`lazy_loads`) runs while the file is read; `apply`
//! decides once every package.json of the tree is known.

use crate::analyze::finding::Hit;
use crate::model::artifact::ManifestKind;
use crate::model::context::Context;
use crate::model::fact::{Ecosystem, Fact, FactKind, Scope};
use crate::model::finding::Source;
use std::collections::HashMap;

/// A package a file loads inside a function or through `import()`, with the
/// names the load binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LazyLoad {
    pub line: u32,
    pub package: String,
    /// `chokidar` in `const chokidar = await import('chokidar')`;
    /// `watch`, `FSWatcher` in `const { watch, FSWatcher } = require(...)`.
    pub names: Vec<String>,
}

/// The packages a JS/TS file loads on demand on the lines where its
/// imports are counted evidence: `lazy_loads` of the file's import facts.
pub(crate) fn file_loads(text: &str, facts: &[Fact], hits: &[Hit]) -> Vec<LazyLoad> {
    let lines: Vec<u32> = hits
        .iter()
        .filter(|h| h.evidence.source == Source::Import && h.evidence.context.counts())
        .filter_map(|h| h.evidence.at.line)
        .collect();
    if lines.is_empty() {
        return Vec::new();
    }
    let imports: Vec<(u32, &str)> = facts
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::Import { module, .. } => Some((f.at.line?, module.as_str())),
            _ => None,
        })
        .collect();
    lazy_loads(text, &imports, &lines)
}

/// The lazy loads of bare packages among `imports` (line, module) of one
/// JS/TS file whose raw `text` is given; `lines` limits them to the lines
/// that matter (those with counted import evidence).
pub(crate) fn lazy_loads(text: &str, imports: &[(u32, &str)], lines: &[u32]) -> Vec<LazyLoad> {
    // The imports asked for, by line, read in one pass over the text.
    let mut wanted: Vec<(u32, &str)> = imports
        .iter()
        .filter(|(line, _)| lines.contains(line))
        .filter_map(|&(line, module)| Some((line, npm_package(module)?)))
        .collect();
    wanted.sort_unstable();
    let Some(&(last, _)) = wanted.last() else {
        return Vec::new();
    };
    let raw_lines: Vec<&str> = text.lines().take(last as usize).collect();
    let mut out = Vec::new();
    for (line, package) in wanted {
        let Some(raw) = raw_lines.get(line.saturating_sub(1) as usize) else {
            continue;
        };
        let body = raw.trim_start();
        // `import(` as an expression, or `require(` below the top level.
        let dynamic = body.contains("import(") || body.contains("import (");
        let nested = raw.len() > body.len() && body.contains("require");
        if !(dynamic || nested) {
            continue;
        }
        out.push(LazyLoad {
            line,
            package: package.to_string(),
            names: bound_names(body),
        });
    }
    out
}

/// The package a bare specifier names: `chokidar`, `@scope/pkg` (from
/// `@scope/pkg/sub`). Relative paths, absolute paths and URLs name none.
/// Node's built-ins arrive without `node:` (parse::source drops it) and
/// look like packages, but no package.json declares them.
fn npm_package(module: &str) -> Option<&str> {
    if module.starts_with(['.', '/']) || module.contains(':') {
        return None;
    }
    let mut parts = module.splitn(3, '/');
    let first = parts.next()?;
    if first.starts_with('@') {
        let second = parts.next()?;
        Some(&module[..first.len() + 1 + second.len()])
    } else {
        Some(first)
    }
}

/// The names a declaration binds: the identifiers left of its `=` (`const
/// {watch, FSWatcher: W} = require(...)` binds all of them; a property
/// name among them only widens what is matched to the same file's lines).
fn bound_names(stmt: &str) -> Vec<String> {
    let Some((left, _)) = stmt.split_once('=') else {
        return Vec::new();
    };
    left.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty() && !matches!(*w, "const" | "let" | "var" | "await"))
        .filter(|w| !w.as_bytes()[0].is_ascii_digit())
        .map(str::to_string)
        .collect()
}

/// Gives `dev` context to the evidence of lazy loads whose package the
/// nearest package.json that declares it declares only for development
/// (dev, test or build scope), and to the same file's evidence that names
/// what such a load binds.
pub(crate) fn apply(facts: &[Fact], loads: &HashMap<String, Vec<LazyLoad>>, hits: &mut [Hit]) {
    if loads.is_empty() {
        return;
    }
    // package.json directory -> package -> declared only for development.
    let mut declared: HashMap<&str, HashMap<&str, bool>> = HashMap::new();
    for f in facts {
        let FactKind::Dependency(d) = &f.kind else {
            continue;
        };
        if d.ecosystem != Ecosystem::Npm
            || ManifestKind::of_path(&f.at.path) != Some(ManifestKind::PackageJson)
        {
            continue;
        }
        let dir = f.at.path.rsplit_once('/').map_or("", |(d, _)| d);
        let dev = matches!(d.scope, Scope::Dev | Scope::Test | Scope::Build);
        let slot = declared
            .entry(dir)
            .or_default()
            .entry(&d.name)
            .or_insert(dev);
        *slot &= dev;
    }
    let dev_only = |path: &str, package: &str| {
        let mut dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        loop {
            if let Some(&dev) = declared.get(dir).and_then(|m| m.get(package)) {
                return dev;
            }
            if dir.is_empty() {
                return false;
            }
            dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
        }
    };
    // path -> its dev-only loads.
    let dev: HashMap<&str, Vec<&LazyLoad>> = loads
        .iter()
        .map(|(path, ls)| {
            let ls: Vec<&LazyLoad> = ls.iter().filter(|l| dev_only(path, &l.package)).collect();
            (path.as_str(), ls)
        })
        .filter(|(_, ls)| !ls.is_empty())
        .collect();
    for h in hits.iter_mut() {
        let e = &mut h.evidence;
        if !e.context.counts() {
            continue;
        }
        let Some(ls) = dev.get(e.at.path.as_str()) else {
            continue;
        };
        let load = if e.source == Source::Import {
            ls.iter().find(|l| Some(l.line) == e.at.line)
        } else {
            ls.iter()
                .find(|l| crate::parse::names_any(&e.at.snippet, &l.names))
        };
        if let Some(l) = load {
            e.context = Context::Dev;
            e.reason = Some(format!(
                "loaded on demand (line {}) from `{}`, which package.json declares only for development: a production install leaves it out",
                l.line, l.package
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_loaded_on_demand_is_lazy() {
        let text = "import fs from 'node:fs';\nimport x from 'express';\nasync function dev() {\n  const chokidar = await import('chokidar');\n  const { watch: w } = require('@parcel/watcher/wrapper');\n}\nconst top = require('ws');\n";
        let imports = [
            (1, "node:fs"),
            (2, "express"),
            (4, "chokidar"),
            (5, "@parcel/watcher/wrapper"),
            (7, "ws"),
        ];
        let loads = lazy_loads(text, &imports, &[1, 2, 4, 5, 7]);
        let got: Vec<(u32, &str, Vec<String>)> = loads
            .iter()
            .map(|l| (l.line, l.package.as_str(), l.names.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (4, "chokidar", vec!["chokidar".to_string()]),
                (
                    5,
                    "@parcel/watcher",
                    vec!["watch".to_string(), "w".to_string()]
                ),
            ]
        );
        // Only the lines asked for.
        assert!(lazy_loads(text, &imports, &[7]).is_empty());
    }

    #[test]
    fn bare_specifiers_name_their_package() {
        assert_eq!(npm_package("chokidar"), Some("chokidar"));
        assert_eq!(npm_package("lodash/fp"), Some("lodash"));
        assert_eq!(npm_package("@scope/pkg/sub"), Some("@scope/pkg"));
        assert_eq!(npm_package("./local"), None);
        assert_eq!(npm_package("node:child_process"), None);
        assert_eq!(npm_package("@scope"), None);
    }
}
