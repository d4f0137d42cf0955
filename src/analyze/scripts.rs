//! Package-manager commands that run a package.json script, followed to
//! the script's command.
//!
//! Images and monorepos start Node services through their package manager:
//! `CMD ["npm", "run", "start:prod"]`, a root `start` script that runs
//! `pnpm --filter ./apps/server run start:prod`, `yarn workspace api start`.
//! The file that runs is in the script those name, in the package they
//! select; the parser records every script by name (`FactKind::Script`),
//! and this module says which one a command runs.

use crate::analyze::units::join;
use crate::model::fact::{Fact, FactKind, Location};
use std::borrow::Borrow;

/// The script a command runs: its command line, the directory of its
/// package (`""` for the root), and where it is written.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub dir: String,
    pub command: String,
    pub at: Location,
}

/// Which package a command selects.
enum Select {
    /// The package in (or above) the directory the command runs in.
    Here,
    /// A directory: `npm --prefix DIR`, `pnpm -C DIR`, `--filter ./DIR`.
    Dir(String),
    /// A package's own name: `pnpm --filter api`, `yarn workspace api`.
    Name(String),
    /// The workspace root (`pnpm -w`): the tree's top package.json.
    Root,
}

/// If `words` (one command, environment assignments taken off) runs a
/// package.json script (`npm start`, `npm run X`, `yarn X`, `pnpm X`,
/// `bun run X`, with `--prefix`, `-C`/`--dir`, `--cwd`, `--filter`,
/// `-w`/`--workspace` or `yarn workspace NAME`), that script, found among
/// `facts` (the `Script` facts of the tree or unit). `dir` is where the
/// command runs. `None` when it runs no script the tree holds, or several
/// packages at once (`-r`, a glob).
pub(crate) fn run<F: Borrow<Fact>>(words: &[String], dir: &str, facts: &[F]) -> Option<Run> {
    let program = words.first()?.rsplit('/').next()?;
    if !matches!(program, "npm" | "pnpm" | "yarn" | "bun") {
        return None;
    }
    let mut select = Select::Here;
    let mut positional: Vec<&str> = Vec::new();
    let mut i = 1;
    while i < words.len() {
        let w = words[i].as_str();
        i += 1;
        if w == "--" {
            break;
        }
        if !w.starts_with('-') {
            positional.push(w);
            continue;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if w.starts_with("--") => (f, Some(v)),
            _ => (w, None),
        };
        let mut value = || {
            inline.map(str::to_string).or_else(|| {
                let v = words.get(i).cloned();
                i += 1;
                v
            })
        };
        match (program, flag) {
            (_, "--prefix" | "--dir" | "--cwd") | ("pnpm", "-C") => {
                select = Select::Dir(value()?);
            }
            ("pnpm", "-w" | "--workspace-root") => select = Select::Root,
            (_, "--filter" | "-F") | ("npm", "-w" | "--workspace") => {
                select = selector(&value()?)?;
            }
            // Every package at once: no one program.
            (_, "-r" | "--recursive" | "--workspaces" | "-ws") => return None,
            _ => {}
        }
    }
    if program == "yarn" && positional.first() == Some(&"workspace") {
        select = Select::Name(positional.get(1)?.to_string());
        positional.drain(..2);
    }
    let script = match positional.as_slice() {
        ["run" | "run-script", name, ..] => *name,
        ["start", ..] => "start",
        // npm runs only its lifecycle scripts without `run`; the others
        // take a bare script name.
        [name, ..] if program != "npm" => *name,
        _ => return None,
    };
    find(&select, dir, script, facts)
}

/// A `--filter` or `--workspace` value: `./apps/api`, `{apps/api}` and
/// `apps/api/` are directories, anything else a package name. Graph
/// selectors (`api...`, `...^api`) select the named package's neighbours
/// too; the named one is the program. Globs select several: `None`.
fn selector(v: &str) -> Option<Select> {
    let v = v.trim_start_matches("...").trim_end_matches("...");
    let v = v.trim_start_matches('^').trim_end_matches('^');
    let v = v.trim_start_matches('!');
    if v.is_empty() || v.contains('*') {
        return None;
    }
    if let Some(inner) = v.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        return Some(Select::Dir(inner.to_string()));
    }
    if v.starts_with('.') || v.starts_with('/') || v.ends_with('/') {
        return Some(Select::Dir(v.to_string()));
    }
    Some(Select::Name(v.to_string()))
}

fn find<F: Borrow<Fact>>(select: &Select, dir: &str, script: &str, facts: &[F]) -> Option<Run> {
    let scripts = facts
        .iter()
        .map(Borrow::borrow)
        .filter_map(|f| match &f.kind {
            FactKind::Script {
                package,
                name,
                command,
            } => Some((f, package.as_str(), name.as_str(), command.as_str())),
            _ => None,
        });
    let manifest = |d: &str| match d {
        "" => "package.json".to_string(),
        d => format!("{d}/package.json"),
    };
    let in_dir = |d: &str| -> Option<Run> {
        let m = manifest(d);
        scripts
            .clone()
            .find(|(f, _, n, _)| f.at.path == m && *n == script)
            .map(|(f, _, _, c)| Run {
                dir: d.to_string(),
                command: c.to_string(),
                at: f.at.clone(),
            })
    };
    match select {
        Select::Root => in_dir(""),
        Select::Dir(d) => {
            let d = join(dir, d.trim_start_matches('/'))?;
            in_dir(&d)
        }
        Select::Name(n) => scripts
            .clone()
            .filter(|(_, p, s, _)| p == n && *s == script)
            .min_by_key(|(f, ..)| (f.at.path.len(), f.at.path.clone()))
            .map(|(f, _, _, c)| Run {
                dir: f
                    .at
                    .path
                    .strip_suffix("package.json")
                    .unwrap_or("")
                    .trim_end_matches('/')
                    .to_string(),
                command: c.to_string(),
                at: f.at.clone(),
            }),
        Select::Here => {
            // The package manager runs the nearest package.json's script:
            // the command's directory, then each one above it.
            let mut d = dir.trim_matches('/').to_string();
            loop {
                let m = manifest(&d);
                if scripts.clone().any(|(f, ..)| f.at.path == m) {
                    return in_dir(&d);
                }
                if d.is_empty() {
                    return None;
                }
                d = d
                    .rsplit_once('/')
                    .map_or(String::new(), |(p, _)| p.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::Context;

    fn script(manifest: &str, package: &str, name: &str, command: &str) -> Fact {
        Fact::new(
            FactKind::Script {
                package: package.into(),
                name: name.into(),
                command: command.into(),
            },
            Location::line(manifest, 3, ""),
            Context::Service,
        )
    }

    fn facts() -> Vec<Fact> {
        vec![
            script(
                "package.json",
                "mono",
                "start",
                "pnpm --filter ./apps/server run start:prod",
            ),
            script("package.json", "mono", "build", "turbo build"),
            script("apps/server/package.json", "server", "start", "nest start"),
            script(
                "apps/server/package.json",
                "server",
                "start:prod",
                "node dist/main",
            ),
            script("apps/web/package.json", "@acme/web", "start", "next start"),
        ]
    }

    fn ran(cmd: &str, dir: &str) -> Option<(String, String)> {
        let words: Vec<String> = cmd.split_whitespace().map(String::from).collect();
        run(&words, dir, &facts()).map(|r| (r.dir, r.command))
    }

    fn is(dir: &str, command: &str) -> Option<(String, String)> {
        Some((dir.to_string(), command.to_string()))
    }

    #[test]
    fn package_managers_run_the_named_script_of_the_selected_package() {
        let root = is("", "pnpm --filter ./apps/server run start:prod");
        let prod = is("apps/server", "node dist/main");
        assert_eq!(ran("npm start", ""), root);
        assert_eq!(ran("pnpm start", ""), root);
        assert_eq!(ran("yarn start", ""), root);
        assert_eq!(ran("npm run start:prod", "apps/server"), prod);
        assert_eq!(ran("npm run-script start:prod", "apps/server"), prod);
        assert_eq!(ran("yarn start:prod", "apps/server"), prod);
        assert_eq!(ran("bun run start:prod", "apps/server"), prod);
        assert_eq!(ran("pnpm --filter ./apps/server run start:prod", ""), prod);
        assert_eq!(ran("pnpm --filter={apps/server} start:prod", ""), prod);
        assert_eq!(ran("pnpm -F server start:prod", ""), prod);
        assert_eq!(ran("pnpm --filter server... start:prod", ""), prod);
        assert_eq!(ran("pnpm -C apps/server start:prod", ""), prod);
        assert_eq!(ran("npm --prefix apps/server run start:prod", ""), prod);
        assert_eq!(ran("npm -w server run start:prod", ""), prod);
        assert_eq!(ran("yarn workspace server start:prod", ""), prod);
        assert_eq!(ran("yarn --cwd apps/server start:prod", ""), prod);
        assert_eq!(
            ran("yarn workspace @acme/web start", ""),
            is("apps/web", "next start")
        );
        // Below a package without its own package.json: the nearest above.
        assert_eq!(ran("npm run start:prod", "apps/server/dist"), prod);
        // `pnpm -w` is the workspace root.
        assert_eq!(ran("pnpm -w start", "apps/server"), root);
    }

    #[test]
    fn commands_that_run_no_one_script_of_the_tree() {
        // Not a package manager, not a script, a builtin, many packages.
        assert_eq!(ran("node dist/main", "apps/server"), None);
        assert_eq!(ran("npm run missing", ""), None);
        assert_eq!(ran("npm install", ""), None);
        assert_eq!(ran("npm build", ""), None);
        assert_eq!(ran("pnpm -r start", ""), None);
        assert_eq!(ran("pnpm --filter './apps/*' start", ""), None);
        assert_eq!(ran("npm --prefix ../elsewhere start", ""), None);
        assert_eq!(ran("yarn workspace nobody start", ""), None);
        // A directory with no package.json anywhere above holds no script.
        assert_eq!(run::<Fact>(&["npm".into(), "start".into()], "", &[]), None);
    }
}
