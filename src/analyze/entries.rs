//! Entry points manifests declare, resolved to the unit's files.
//!
//! The parsers report what a manifest, a Procfile or setup.cfg names as
//! written (`Entry` facts): a path relative to the manifest, a Python
//! `module:function`, a JVM class, an Elixir module, a command line. Here
//! each becomes a file of the unit, or a diagnostic when the manifest names
//! a file the tree does not hold. They are the unit's main entry points
//! when its image names no file (`CMD ["npm", "start"]`, a compiled binary,
//! no image at all), side ones otherwise: the image's command is what runs.

use crate::analyze::units::{instruction_words, join, resolve_command, Unit};
use crate::model::artifact::{Artifact, ArtifactKind};
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Fact, FactKind, Location};
use crate::model::service::{EntryKind, EntryPoint, ServiceKind};
use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};

/// What resolving a unit's declared entry points left behind.
#[derive(Debug, Default)]
pub(crate) struct Declared {
    pub diagnostics: Vec<Diagnostic>,
    /// A main entry point names a file that is not in the tree: the import
    /// walk would start from nothing, so the unit is judged without it.
    pub degraded: bool,
}

/// How one declared target resolved.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target {
    File(String),
    /// A framework loads the app by convention (`next start`): no one file
    /// starts it.
    Framework(String),
    /// A named file that is not in the tree.
    Missing(String),
    /// Nothing to resolve (an OS command, a conventional file that is not
    /// there).
    Nothing,
}

/// Adds the entry points the unit's manifests declare (`kept` holds the
/// unit's own facts) to `u`. A tree with no image whose manifests name
/// its programs becomes a `program` (a `process` with a Procfile).
pub(crate) fn add_declared<F: Borrow<Fact>, A: Borrow<Artifact>>(
    u: &mut Unit,
    kept: &[F],
    artifacts: &[A],
) -> Declared {
    let mut out = Declared::default();
    let code: HashSet<&str> = artifacts
        .iter()
        .map(Borrow::borrow)
        .filter(|a| matches!(a.kind, ArtifactKind::Source(_)))
        .map(|a| a.rel.as_str())
        .collect();
    let image_names = u.entry_points.iter().any(|e| e.main && e.path.is_some());
    let mut any_main = false;
    let mut missing_main = false;
    let mut procfile = false;
    let mut scripts: Vec<EntryPoint> = Vec::new();
    for f in kept
        .iter()
        .map(Borrow::borrow)
        .filter(|f: &&Fact| f.context.counts())
    {
        let FactKind::Entry {
            entry,
            target,
            main,
        } = &f.kind
        else {
            continue;
        };
        // A script's `exec` line is followed only from the image that runs
        // the script (units::entry_points).
        if *entry == EntryKind::Exec {
            continue;
        }
        // A package.json script other than `start` is a side program: a
        // runner given a file (parse::manifest::entries), which is the file
        // the tree holds at that path, and nothing when it holds none (a
        // `node dist/cli.js` not built yet). Looked up in `code` directly:
        // the image's command resolver searches the unit's files for each
        // word, which a monorepo's thousands of scripts made quadratic.
        if *entry == EntryKind::PackageScript && !*main {
            let dir = crate::model::path::dir_of(&f.at.path);
            let file = instruction_words(target)
                .iter()
                .filter_map(|w| join(dir, w))
                .find(|p| code.contains(p.as_str()));
            scripts.extend(file.map(|p| EntryPoint {
                kind: *entry,
                path: Some(p),
                declared_in: f.at.clone(),
                main: false,
            }));
            continue;
        }
        let main = *main && !image_names;
        let (resolved, via) = resolve(*entry, target, &f.at.path, u, kept, artifacts, &code);
        let path = match resolved {
            Target::File(p) => Some(p),
            Target::Framework(program) => {
                u.notes.push(format!(
                    "{} starts the framework `{program}`, which loads the app's files by convention: every file is judged",
                    f.at.path
                ));
                None
            }
            Target::Missing(p) => {
                let message = format!(
                    "{} names `{p}` as an entry point ({}), which is not in the tree",
                    f.at.path, entry
                );
                out.diagnostics
                    .push(Diagnostic::new(DiagKind::Note, &f.at.path, &message));
                if main {
                    missing_main = true;
                }
                u.notes.push(message);
                continue;
            }
            Target::Nothing => continue,
        };
        if let Some(p) = &path {
            if let Some(e) = u
                .entry_points
                .iter_mut()
                .find(|e| e.path.as_ref() == Some(p))
            {
                e.main |= main;
                any_main |= main;
                continue;
            }
        } else if !main {
            continue;
        }
        any_main |= main && path.is_some();
        procfile |= *entry == EntryKind::Procfile && path.is_some();
        u.entry_points.push(EntryPoint {
            kind: *entry,
            path,
            // The script a package-manager command ran names the file.
            declared_in: via.unwrap_or_else(|| f.at.clone()),
            main,
        });
    }
    // Side scripts only where a main entry point names a file: with none
    // (a framework that loads files by convention, no entry at all) there
    // is no main path for them to stand beside, and a walk from them alone
    // would leave the service's own files unreached.
    if u.entry_points.iter().any(|e| e.main && e.path.is_some()) {
        let mut known: HashSet<String> = u
            .entry_points
            .iter()
            .filter_map(|e| e.path.clone())
            .collect();
        scripts.retain(|e| e.path.as_ref().is_some_and(|p| known.insert(p.clone())));
        u.entry_points.extend(scripts);
    }
    if missing_main && !any_main && !image_names {
        out.degraded = true;
        u.notes.push(
            "a main entry point the manifest names is missing: no import graph, every file is judged"
                .into(),
        );
    }
    if u.kind == ServiceKind::Tree && any_main {
        u.kind = if procfile {
            ServiceKind::Process
        } else {
            ServiceKind::Program
        };
    }
    out
}

/// A Django project's command line (a console script that calls
/// `execute_from_command_line`, as `netbox = "netbox.cli:main"` does) runs
/// management commands beside the web service, which a WSGI or ASGI server
/// loads from the project's `wsgi.py`/`asgi.py`. In a unit no image or
/// Procfile starts, those modules are the main entry points and the
/// command line a side one, so that a management command's spawn (`netbox
/// upgrade` building the docs) is the operator's, not a request's.
pub(crate) fn django_web_entry(u: &mut Unit, files: &[crate::analyze::reach::File]) {
    if matches!(u.kind, ServiceKind::Container | ServiceKind::Process) {
        return;
    }
    let cli: std::collections::HashSet<&str> = files
        .iter()
        .filter(|f| {
            f.declares
                .iter()
                .any(|d| d == crate::parse::source::DJANGO_CLI)
        })
        .map(|f| f.rel.as_str())
        .collect();
    let is_cli = |e: &EntryPoint| e.path.as_deref().is_some_and(|p| cli.contains(p));
    let main_cli = u.entry_points.iter().any(|e| e.main && is_cli(e));
    let web = u
        .entry_points
        .iter()
        .any(|e| e.kind == EntryKind::Wsgi && e.path.is_some());
    if !main_cli || !web {
        return;
    }
    for e in &mut u.entry_points {
        if e.kind == EntryKind::Wsgi && e.path.is_some() {
            e.main = true;
        } else if is_cli(e) {
            e.main = false;
        }
    }
}

/// Init wrappers an image's command starts before the program.
const INITS: [&str; 4] = ["tini", "dumb-init", "catatonit", "s6-svscan"];

/// The words of the command line an image's entry point names:
/// `ENTRYPOINT [...]`, `CMD x`, or a compose `command:` value.
pub(crate) fn command_words(snippet: &str) -> Vec<String> {
    let args = snippet
        .split_once(char::is_whitespace)
        .filter(|(k, _)| matches!(k.to_ascii_uppercase().as_str(), "ENTRYPOINT" | "CMD"))
        .map_or(snippet, |(_, a)| a);
    instruction_words(args)
}

/// The program a command line starts: its first word that is not a flag
/// or an init wrapper (`tini -- /usr/bin/app serve` starts `/usr/bin/app`).
pub(crate) fn program(words: &[String]) -> Option<&str> {
    words.iter().map(String::as_str).find(|w| {
        let base = w.rsplit('/').next().unwrap_or(w);
        !base.is_empty() && !w.starts_with('-') && !INITS.contains(&base)
    })
}

/// An image that runs a binary the tree builds by the name Cargo gives a
/// package's binary (`ENTRYPOINT ["/usr/local/bin/shop-api"]`, package
/// `shop-api`) starts that package's `src/main.rs` (or `src/bin/NAME.rs`,
/// or the `path` of a `[[bin]]` of that name): the image's entry point gets
/// that file.
pub(crate) fn cargo_binaries<F: Borrow<Fact>>(u: &mut Unit, kept: &[F], code: &HashSet<&str>) {
    for (e, program) in unplaced_programs(u) {
        let program = program.as_str();
        let name = program.replace('-', "_");
        let mut files = kept.iter().map(Borrow::borrow).filter_map(|f| {
            let FactKind::Crate {
                name: krate, bins, ..
            } = &f.kind
            else {
                return None;
            };
            let dir = crate::model::path::dir_of(&f.at.path);
            let named = bins.iter().filter(|(n, _)| n == program);
            let mut cands: Vec<String> = named.map(|(_, p)| p.clone()).collect();
            if *krate == name {
                cands.push("src/main.rs".to_string());
            } else {
                cands.push(format!("src/bin/{program}.rs"));
                cands.push(format!("src/bin/{program}/main.rs"));
            }
            cands
                .iter()
                .filter_map(|c| join(dir, c))
                .find(|p| code.contains(p.as_str()))
        });
        e.path = files.next();
    }
}

/// The image's and compose file's main entry points that name no file of
/// the tree, with the name of the program each runs (`/usr/local/bin/app`
/// runs `app`): a compiled program, which `cargo_binaries` and
/// `go_binaries` place by the names their builds give.
fn unplaced_programs(u: &mut Unit) -> impl Iterator<Item = (&mut EntryPoint, String)> {
    u.entry_points
        .iter_mut()
        .filter(|e| {
            e.main
                && e.path.is_none()
                && matches!(e.kind, EntryKind::Dockerfile | EntryKind::Compose)
        })
        .filter_map(|e| {
            let words = command_words(&e.declared_in.snippet);
            let program = program(&words)?;
            let name = program.rsplit('/').next().unwrap_or(program).to_string();
            Some((e, name))
        })
}

/// An image that runs a Go program the tree builds, by the name `go build`
/// gives it (`ENTRYPOINT ["cmd/writefreely/writefreely"]`,
/// `/usr/local/bin/writefreely`), starts the `package main` whose
/// directory has that name (`cmd/writefreely/main.go`): the image's entry
/// point gets that file when exactly one such package does.
pub(crate) fn go_binaries(
    u: &mut Unit,
    entries: &HashMap<String, EntryKind>,
    code: &HashSet<&str>,
) {
    for (e, program) in unplaced_programs(u) {
        let program = program.as_str();
        let mut mains = entries.iter().filter(|(rel, kind)| {
            **kind == EntryKind::GoMain
                && code.contains(rel.as_str())
                && crate::model::path::dir_of(rel).rsplit('/').next() == Some(program)
        });
        if let (Some((rel, _)), None) = (mains.next(), mains.next()) {
            e.path = Some(rel.clone());
        }
    }
}

/// The file (or framework) `target` names, declared in `manifest`, and
/// the package.json script that named it when a command ran one.
fn resolve<F: Borrow<Fact>, A: Borrow<Artifact>>(
    kind: EntryKind,
    target: &str,
    manifest: &str,
    u: &Unit,
    kept: &[F],
    artifacts: &[A],
    code: &HashSet<&str>,
) -> (Target, Option<Location>) {
    let dir = crate::model::path::dir_of(manifest);
    let target = match kind {
        EntryKind::PackageScript | EntryKind::Procfile => {
            return command(&instruction_words(target), dir, u, kept, artifacts, 0)
        }
        EntryKind::PackageMain | EntryKind::PackageBin => {
            let Some(p) = join(dir, target) else {
                return (Target::Nothing, None);
            };
            js_file(&p, code).map_or(Target::Missing(p), Target::File)
        }
        EntryKind::CargoBin | EntryKind::Php => match join(dir, target) {
            Some(p) if code.contains(p.as_str()) => Target::File(p),
            // `bin/console` without an extension is not read as code.
            Some(p) if has_code_extension(&p) => Target::Missing(p),
            _ => Target::Nothing,
        },
        EntryKind::Dotnet => match join(dir, target) {
            Some(p) if code.contains(p.as_str()) => Target::File(p),
            _ => Target::Nothing,
        },
        EntryKind::PythonScript => {
            let module = target.split(':').next().unwrap_or("").trim();
            let module = module.split('[').next().unwrap_or("").trim();
            if module.is_empty() {
                return (Target::Nothing, None);
            }
            let base = module.replace('.', "/");
            let cands = [format!("{base}.py"), format!("{base}/__init__.py")];
            find_under(dir, &cands, code).map_or(Target::Missing(cands[0].clone()), Target::File)
        }
        EntryKind::JvmMain | EntryKind::SpringBoot => {
            // An inner class lives in its outer class's file.
            let class = target.split('$').next().unwrap_or(target);
            let base = class.replace('.', "/");
            let cands = [format!("{base}.java"), format!("{base}.kt")];
            find_under(dir, &cands, code).map_or(Target::Missing(cands[0].clone()), Target::File)
        }
        EntryKind::MixApplication => {
            // Mix's convention is `lib/my_app/application.ex`; projects
            // that named the folder `lib/myapp/` keep the module
            // `MyApp.Application` (Elixir does not tie modules to paths).
            let base: Vec<String> = target.split('.').map(snake).collect();
            let plain: Vec<String> = target.split('.').map(|p| p.to_ascii_lowercase()).collect();
            let cands = [
                format!("{}.ex", base.join("/")),
                format!("{}.ex", plain.join("/")),
            ];
            find_under(dir, &cands, code).map_or(Target::Missing(cands[0].clone()), Target::File)
        }
        _ => Target::Nothing,
    };
    (target, None)
}

/// How many package.json scripts a command is followed through (`start`
/// running `start:prod` in another package): deeper is a loop.
const MAX_SCRIPT_DEPTH: usize = 4;

/// A command line (`node server.js`, `gunicorn app:app`, `next start`)
/// run in `dir`, through the package.json script it runs (`npm run
/// start:prod`, `pnpm --filter ./apps/api start`, analyze::scripts) to
/// the command that names a file; with the script's place when it did.
pub(crate) fn command<F: Borrow<Fact>, A: Borrow<Artifact>>(
    words: &[String],
    dir: &str,
    u: &Unit,
    kept: &[F],
    artifacts: &[A],
    depth: usize,
) -> (Target, Option<Location>) {
    // `NODE_ENV=production node x.js`, `cross-env A=b node x.js`.
    let plain = |ws: &[String]| -> Vec<String> {
        ws.iter()
            .skip_while(|w| w.contains('=') || *w == "cross-env" || *w == "env")
            .cloned()
            .collect()
    };
    // In `npm run build && node dist/server.js` the last command is the
    // one that keeps running; a `cd` before it says where it runs.
    let mut dir = dir.to_string();
    let mut segments = words.split(|w| w == "&&" || w == ";").peekable();
    let mut last = Vec::new();
    while let Some(seg) = segments.next() {
        let seg = plain(seg);
        if segments.peek().is_none() {
            last = seg;
        } else if let [cd, to] = seg.as_slice() {
            if cd == "cd" {
                match join(&dir, to.trim_start_matches('/')) {
                    Some(d) => dir = d,
                    None => return (Target::Nothing, None),
                }
            }
        }
    }
    if depth < MAX_SCRIPT_DEPTH {
        if let Some(run) = crate::analyze::scripts::run(&last, &dir, kept) {
            let words = instruction_words(&run.command);
            return match command(&words, &run.dir, u, kept, artifacts, depth + 1) {
                (t @ (Target::File(_) | Target::Framework(_)), via) => (t, via.or(Some(run.at))),
                other => other,
            };
        }
    }
    (command_target(&last, &dir, u, artifacts), None)
}

/// What one command (no list operators, no environment) starts in `dir`.
fn command_target<A: Borrow<Artifact>>(
    last: &[String],
    dir: &str,
    u: &Unit,
    artifacts: &[A],
) -> Target {
    let program = last
        .first()
        .map(|w| w.rsplit('/').next().unwrap_or(w).to_string())
        .unwrap_or_default();
    const FRAMEWORKS: [&str; 9] = [
        "next",
        "nuxt",
        "remix-serve",
        "astro",
        "gatsby",
        "react-scripts",
        "vite",
        "ng",
        "svelte-kit",
    ];
    if FRAMEWORKS.contains(&program.as_str()) {
        return Target::Framework(last.join(" "));
    }
    match resolve_command(last, u, artifacts) {
        (_, Some(p)) => Target::File(p),
        (_, None) => {
            // A build output the tree does not hold (`node dist/server.js`):
            // its source, when the tree has it.
            let code: HashSet<&str> = artifacts
                .iter()
                .map(Borrow::borrow)
                .filter(|a| matches!(a.kind, ArtifactKind::Source(_)))
                .map(|a| a.rel.as_str())
                .collect();
            // Node resolves `node dist/main` to `dist/main.js`.
            let node = matches!(program.as_str(), "node" | "nodejs" | "ts-node" | "tsx");
            let script = last
                .iter()
                .skip(1)
                .find(|w| has_code_extension(w) || node && !w.starts_with('-') && !w.contains('='));
            match script {
                Some(w) => match join(dir, w) {
                    Some(p) => js_file(&p, &code).map_or(Target::Missing(p), Target::File),
                    None => Target::Nothing,
                },
                None => Target::Nothing,
            }
        }
    }
}

/// A JS/TS module path as Node resolves it (`x`, `x.js`, `x/index.js`), or
/// for a build output (`dist/x.js`, `build/`, `lib/`, `out/`) its
/// TypeScript or JavaScript source under `src/` or beside it.
fn js_file(p: &str, code: &HashSet<&str>) -> Option<String> {
    js_source(p, |c| code.contains(c))
}

/// `js_file` over any set of files: `has` says whether the tree holds a
/// path (`analyze::reach` follows a `require("./dist/server/index.js")`
/// in an entry file to `server/index.ts` with it).
pub(crate) fn js_source(p: &str, has: impl Fn(&str) -> bool) -> Option<String> {
    const EXT: [&str; 6] = [".js", ".ts", ".mjs", ".cjs", ".tsx", ".jsx"];
    let stem = EXT
        .iter()
        .find_map(|e| p.strip_suffix(e))
        .unwrap_or(p)
        .to_string();
    let mut stems = vec![stem.clone()];
    for out in ["dist/", "build/", "lib/", "out/"] {
        let (before, after) = match stem.find(out) {
            Some(0) => ("", &stem[out.len()..]),
            Some(i) if stem[..i].ends_with('/') => (&stem[..i], &stem[i + out.len()..]),
            _ => continue,
        };
        stems.push(format!("{before}src/{after}"));
        stems.push(format!("{before}{after}"));
        // Dual builds put each module format in its own folder
        // (`dist/cjs/index.js`, `dist/esm/index.mjs`) made from one `src/`.
        for format in [
            "cjs/",
            "esm/",
            "mjs/",
            "es/",
            "umd/",
            "commonjs/",
            "module/",
        ] {
            if let Some(rest) = after.strip_prefix(format) {
                stems.push(format!("{before}src/{rest}"));
            }
        }
    }
    if has(p) {
        return Some(p.to_string());
    }
    for s in &stems {
        for e in EXT {
            for c in [format!("{s}{e}"), format!("{s}/index{e}")] {
                if has(c.as_str()) {
                    return Some(c);
                }
            }
        }
    }
    None
}

/// The first candidate under `dir` (the manifest's directory), then under
/// its `src/`, then anywhere below it: Python `src/` layouts, Maven's
/// `src/main/java/`, Mix's `lib/`.
fn find_under(dir: &str, cands: &[String], code: &HashSet<&str>) -> Option<String> {
    for c in cands {
        for base in [dir.to_string(), join(dir, "src").unwrap_or_default()] {
            if let Some(p) = join(&base, c).filter(|p| code.contains(p.as_str())) {
                return Some(p);
            }
        }
    }
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    cands.iter().find_map(|c| {
        code.iter()
            .filter(|p| p.starts_with(&prefix) && p.ends_with(&format!("/{c}")))
            .min_by_key(|p| (p.len(), p.to_string()))
            .map(|p| p.to_string())
    })
}

fn has_code_extension(p: &str) -> bool {
    crate::model::language::Language::from_file_name(p).is_some()
}

/// `MyApp` -> `my_app`, `HTTPServer` -> `http_server` (Mix's file naming).
fn snake(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && !chars[i - 1].is_ascii_uppercase() && chars[i - 1] != '_';
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if i > 0 && (prev_lower || (next_lower && chars[i - 1].is_ascii_uppercase())) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::Context;
    use crate::model::fact::Location;
    use crate::model::language::Language;

    fn art(rel: &str) -> Artifact {
        let lang = Language::from_file_name(rel).expect("a source file");
        Artifact {
            path: rel.into(),
            rel: rel.into(),
            kind: ArtifactKind::Source(lang),
            context: Context::of_path(rel),
            size: 1,
        }
    }

    fn decl(file: &str, entry: EntryKind, target: &str, main: bool) -> Fact {
        Fact::new(
            FactKind::Entry {
                entry,
                target: target.into(),
                main,
            },
            Location::line(file, 1, ""),
            Context::Service,
        )
    }

    fn paths(u: &Unit) -> Vec<(EntryKind, Option<&str>, bool)> {
        u.entry_points
            .iter()
            .map(|e| (e.kind, e.path.as_deref(), e.main))
            .collect()
    }

    #[test]
    fn build_outputs_resolve_to_their_sources() {
        let code: HashSet<&str> = ["commons/src/index.ts", "api/src/server.ts"].into();
        let js = |p: &str| js_file(p, &code);
        assert_eq!(
            js("commons/dist/cjs/index.js").as_deref(),
            Some("commons/src/index.ts")
        );
        assert_eq!(
            js("commons/dist/esm/index.mjs").as_deref(),
            Some("commons/src/index.ts")
        );
        assert_eq!(
            js("api/dist/server.js").as_deref(),
            Some("api/src/server.ts")
        );
        // A folder that is not a module format keeps its name.
        assert_eq!(js("commons/dist/node/index.js"), None);
    }

    #[test]
    fn names() {
        assert_eq!(snake("MyApp"), "my_app");
        assert_eq!(snake("HTTPServer"), "http_server");
        assert_eq!(snake("Application"), "application");
    }

    #[test]
    fn a_mix_application_module_is_found_in_a_folder_without_underscores() {
        let arts = [art("lib/teslamate/application.ex"), art("lib/other.ex")];
        let facts = [decl(
            "mix.exs",
            EntryKind::MixApplication,
            "TeslaMate.Application",
            true,
        )];
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        let d = add_declared(&mut u, &facts, &arts);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert_eq!(
            paths(&u),
            [(
                EntryKind::MixApplication,
                Some("lib/teslamate/application.ex"),
                true
            )]
        );
        // Neither spelling: missing, named the conventional way.
        let arts = [art("lib/other.ex")];
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        let d = add_declared(&mut u, &facts, &arts);
        assert!(
            d.diagnostics[0]
                .message
                .contains("tesla_mate/application.ex"),
            "{:?}",
            d.diagnostics
        );
    }

    #[test]
    fn manifests_name_the_programs_of_a_tree() {
        let arts = [
            art("web/src/server.ts"),
            art("web/src/cli/index.ts"),
            art("nest/src/main.ts"),
            art("api/src/shop/cli.py"),
            art("svc/src/main/java/com/acme/App.java"),
            art("mix/lib/shop/application.ex"),
            art("rs/src/server.rs"),
        ];
        let facts = [
            decl(
                "web/package.json",
                EntryKind::PackageScript,
                "NODE_ENV=production node dist/server.js",
                true,
            ),
            decl(
                "web/package.json",
                EntryKind::PackageBin,
                "./dist/cli",
                false,
            ),
            // Node adds the extension: `dist/main` is `dist/main.js`.
            decl(
                "nest/package.json",
                EntryKind::PackageScript,
                "cross-env NODE_ENV=production node --enable-source-maps dist/main",
                true,
            ),
            decl(
                "api/pyproject.toml",
                EntryKind::PythonScript,
                "shop.cli:main",
                true,
            ),
            decl("svc/pom.xml", EntryKind::SpringBoot, "com.acme.App", true),
            decl(
                "mix/mix.exs",
                EntryKind::MixApplication,
                "Shop.Application",
                true,
            ),
            decl("rs/Cargo.toml", EntryKind::CargoBin, "src/server.rs", true),
        ];
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        let d = add_declared(&mut u, &facts, &arts);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert!(!d.degraded);
        assert_eq!(u.kind, ServiceKind::Program);
        assert_eq!(
            paths(&u),
            [
                (EntryKind::PackageScript, Some("web/src/server.ts"), true),
                (EntryKind::PackageBin, Some("web/src/cli/index.ts"), false),
                (EntryKind::PackageScript, Some("nest/src/main.ts"), true),
                (EntryKind::PythonScript, Some("api/src/shop/cli.py"), true),
                (
                    EntryKind::SpringBoot,
                    Some("svc/src/main/java/com/acme/App.java"),
                    true
                ),
                (
                    EntryKind::MixApplication,
                    Some("mix/lib/shop/application.ex"),
                    true
                ),
                (EntryKind::CargoBin, Some("rs/src/server.rs"), true),
            ]
        );
    }

    #[test]
    fn an_image_that_names_a_file_makes_manifest_entries_side_ones() {
        let arts = [art("server.js"), art("tools/seed.js")];
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        u.kind = ServiceKind::Container;
        u.entry_points.push(EntryPoint {
            kind: EntryKind::Dockerfile,
            path: Some("server.js".into()),
            declared_in: Location::line("Dockerfile", 3, "CMD node server.js"),
            main: true,
        });
        let facts = [
            decl("package.json", EntryKind::PackageMain, "server.js", true),
            decl("package.json", EntryKind::PackageBin, "tools/seed.js", true),
        ];
        add_declared(&mut u, &facts, &arts);
        assert_eq!(
            paths(&u),
            [
                (EntryKind::Dockerfile, Some("server.js"), true),
                (EntryKind::PackageBin, Some("tools/seed.js"), false),
            ]
        );
        assert_eq!(u.kind, ServiceKind::Container);
    }

    #[test]
    fn an_image_running_a_cargo_packages_binary_starts_its_main() {
        let code: HashSet<&str> = [
            "crates/api/src/main.rs",
            "crates/tools/src/bin/migrate.rs",
            "crates/cli/src/main.rs",
            "crates/daemon/src/main.rs",
        ]
        .into();
        let krate = |manifest: &str, name: &str| {
            Fact::new(
                FactKind::Crate {
                    name: name.into(),
                    root: "src/lib.rs".into(),
                    bins: Vec::new(),
                },
                Location::line(manifest, 2, ""),
                Context::Service,
            )
        };
        let mut daemon = krate("crates/daemon/Cargo.toml", "daemon");
        if let FactKind::Crate { bins, .. } = &mut daemon.kind {
            bins.push(("shopd".into(), "src/main.rs".into()));
        }
        let facts = [
            krate("crates/api/Cargo.toml", "shop_api"),
            krate("crates/tools/Cargo.toml", "shop_tools"),
            krate("crates/cli/Cargo.toml", "shop_cli"),
            daemon,
        ];
        let image = |snippet: &str| {
            let mut u = crate::analyze::units::whole_tree("x").remove(0);
            u.kind = ServiceKind::Container;
            u.entry_points.push(EntryPoint {
                kind: EntryKind::Dockerfile,
                path: None,
                declared_in: Location::line("Dockerfile", 9, snippet),
                main: true,
            });
            cargo_binaries(&mut u, &facts, &code);
            u.entry_points
                .iter()
                .filter_map(|e| e.path.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            image(r#"ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/shop-api"]"#),
            ["crates/api/src/main.rs"]
        );
        assert_eq!(
            image("CMD migrate --all"),
            ["crates/tools/src/bin/migrate.rs"]
        );
        // A `[[bin]]` named unlike its package (`daemon` builds `shopd`).
        assert_eq!(
            image(r#"CMD ["/sbin/shopd", "server"]"#),
            ["crates/daemon/src/main.rs"]
        );
        // An OS program, or a name no package builds: nothing.
        assert!(image(r#"CMD ["nginx", "-g", "daemon off;"]"#).is_empty());
        assert!(image("ENTRYPOINT /app/shop-web").is_empty());
    }

    #[test]
    fn a_missing_main_file_is_a_diagnostic_and_no_graph() {
        let arts = [art("app/other.py")];
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        let facts = [decl(
            "pyproject.toml",
            EntryKind::PythonScript,
            "app.cli:main",
            true,
        )];
        let d = add_declared(&mut u, &facts, &arts);
        assert!(d.degraded);
        assert!(
            d.diagnostics[0].message.contains("`app/cli.py`"),
            "{:?}",
            d.diagnostics
        );
        assert!(
            u.notes.iter().any(|n| n.contains("no import graph")),
            "{:?}",
            u.notes
        );
        assert_eq!(u.kind, ServiceKind::Tree);
        // A side program that is missing is only a diagnostic.
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        let facts = [
            decl(
                "package.json",
                EntryKind::PackageScript,
                "node app/other.py",
                true,
            ),
            decl("package.json", EntryKind::PackageBin, "bin/gone.js", false),
        ];
        let d = add_declared(&mut u, &facts, &arts);
        assert!(!d.degraded);
        assert_eq!(d.diagnostics.len(), 1);
    }

    #[test]
    fn a_start_script_that_changes_directory_or_runs_a_script_is_followed() {
        let arts = [art("api/src/main.ts"), art("api/src/cli.ts")];
        let script = |manifest: &str, name: &str, command: &str| {
            Fact::new(
                FactKind::Script {
                    package: "api".into(),
                    name: name.into(),
                    command: command.into(),
                },
                Location::line(manifest, 7, ""),
                Context::Service,
            )
        };
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        let facts = [
            decl(
                "package.json",
                EntryKind::PackageScript,
                "cd api && npm run serve",
                true,
            ),
            script("package.json", "start", "cd api && npm run serve"),
            script("api/package.json", "serve", "node dist/main.js"),
        ];
        let d = add_declared(&mut u, &facts, &arts);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert_eq!(
            paths(&u),
            [(EntryKind::PackageScript, Some("api/src/main.ts"), true)]
        );
        assert_eq!(u.entry_points[0].declared_in.path, "api/package.json");
        // A script that runs itself stops after a few rounds, with nothing.
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        let facts = [
            decl("package.json", EntryKind::PackageScript, "npm run a", true),
            script("package.json", "a", "npm run b"),
            script("package.json", "b", "npm run a"),
        ];
        let d = add_declared(&mut u, &facts, &arts);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert!(u.entry_points.is_empty(), "{:?}", u.entry_points);
    }

    #[test]
    fn frameworks_procfiles_and_conventions() {
        let arts = [
            art("pages/index.tsx"),
            art("app.py"),
            art("manage.py"),
            art("Program.cs"),
        ];
        let mut u = crate::analyze::units::whole_tree("x").remove(0);
        let facts = [
            decl(
                "package.json",
                EntryKind::PackageScript,
                "next start -p 3000",
                true,
            ),
            decl("Procfile", EntryKind::Procfile, "gunicorn app:app", true),
            decl(
                "Procfile",
                EntryKind::Procfile,
                "python manage.py migrate",
                false,
            ),
            decl("Web.csproj", EntryKind::Dotnet, "Program.cs", true),
            decl("Other/Other.csproj", EntryKind::Dotnet, "Program.cs", true),
        ];
        let d = add_declared(&mut u, &facts, &arts);
        assert!(d.diagnostics.is_empty(), "{:?}", d.diagnostics);
        assert_eq!(u.kind, ServiceKind::Process);
        assert_eq!(
            paths(&u),
            [
                (EntryKind::PackageScript, None, true),
                (EntryKind::Procfile, Some("app.py"), true),
                (EntryKind::Procfile, Some("manage.py"), false),
                (EntryKind::Dotnet, Some("Program.cs"), true),
            ]
        );
        assert!(u
            .notes
            .iter()
            .any(|n| n.contains("framework `next start -p 3000`")));
    }
}
