//! Entry points a manifest declares: how the program it describes starts.
//!
//! Each manifest says it its own way (package.json `main`/`bin`/
//! `scripts.start`, pyproject `[project.scripts]` and Poetry scripts, Cargo
//! `[[bin]] path`, a Maven or Gradle main class, a `.csproj` that builds an
//! executable, `mix.exs` `mod:`, composer.json `bin`), and the name code
//! uses a Cargo package's library by (`Crate`). This module reports
//! what is written as `Entry` facts, target as written; which file that is
//! is `analyze::entries`'s question. The format modules already reported a
//! broken file, so a parse error here is silent.

use super::json_keys::KeyLines;
use super::Sink;
use crate::model::artifact::ManifestKind;
use crate::model::fact::{Fact, FactKind, Location};
use crate::model::language::Language;
use crate::model::service::EntryKind;
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Targets read per manifest, at most: a generated manifest must not make
/// the entry list long.
const MAX_ENTRIES: usize = 64;

/// Records the entry points `kind`'s manifest in `sink` declares.
pub(crate) fn declared(kind: ManifestKind, sink: &mut Sink) {
    match kind {
        ManifestKind::PackageJson => package_json(sink),
        ManifestKind::Pyproject => pyproject(sink),
        ManifestKind::CargoToml => cargo(sink),
        ManifestKind::PomXml => jvm(sink, &POM_MAIN, "spring-boot-maven-plugin"),
        ManifestKind::Gradle => jvm(sink, &GRADLE_MAIN, "org.springframework.boot"),
        ManifestKind::Csproj => csproj(sink),
        ManifestKind::MixExs => mix(sink),
        ManifestKind::ComposerJson => composer(sink),
        _ => {}
    }
}

impl Sink<'_> {
    /// Records one entry point declared at `line`.
    pub(crate) fn entry(&mut self, entry: EntryKind, target: &str, main: bool, line: u32) {
        let target = target.trim();
        let entries = self
            .out
            .facts
            .iter()
            .filter(|f| matches!(f.kind, crate::model::fact::FactKind::Entry { .. }))
            .count();
        if target.is_empty() || target.len() > 1024 || entries >= MAX_ENTRIES {
            return;
        }
        let at = crate::model::fact::Location::line(self.rel, line, self.line_text(line));
        self.out.facts.push(crate::model::fact::Fact::new(
            crate::model::fact::FactKind::Entry {
                entry,
                target: target.to_string(),
                main,
            },
            at,
            self.context,
        ));
    }
}

/// `scripts.start` is how the service starts; `main` and `bin` are its
/// programs too when there is no start script, side programs otherwise.
fn package_json(sink: &mut Sink) {
    let Ok(doc) = serde_json::from_str::<Value>(sink.text) else {
        return;
    };
    let keys = KeyLines::scan(sink.text, &["scripts", "bin"]);
    let start = doc.pointer("/scripts/start").and_then(Value::as_str);
    if let Some(cmd) = start {
        let line = keys.get(&["scripts", "start"]).unwrap_or(1);
        sink.entry(EntryKind::PackageScript, cmd, true, line);
    }
    if let Some(main) = doc.get("main").and_then(Value::as_str) {
        let line = keys.get(&["main"]).unwrap_or(1);
        sink.entry(EntryKind::PackageMain, main, start.is_none(), line);
    }
    match doc.get("bin") {
        Some(Value::String(path)) => {
            let line = keys.get(&["bin"]).unwrap_or(1);
            sink.entry(EntryKind::PackageBin, path, start.is_none(), line);
        }
        Some(Value::Object(bins)) => {
            for (name, path) in bins {
                if let Some(path) = path.as_str() {
                    let line = keys.get(&["bin", name]).unwrap_or(1);
                    sink.entry(EntryKind::PackageBin, path, start.is_none(), line);
                }
            }
        }
        _ => {}
    }
    // Every script by name, for the commands that run one (`npm run
    // start:prod`, `pnpm --filter server start`, `yarn workspace api
    // start`): which file those start is `analyze::scripts`'s question.
    // The others are side programs (`"docs": "node tools/docs.js"`, a
    // migration, a plugin checker): what only they reach is not the
    // service's path.
    let package = doc.get("name").and_then(Value::as_str).unwrap_or("");
    if let Some(Value::Object(scripts)) = doc.get("scripts") {
        for (name, cmd) in scripts.iter().take(MAX_SCRIPTS) {
            let Some(cmd) = cmd.as_str() else { continue };
            let cmd = cmd.trim();
            if cmd.is_empty() || cmd.len() > 1024 || name.len() > 256 || package.len() > 256 {
                continue;
            }
            let line = keys.get(&["scripts", name]).unwrap_or(1);
            if name != "start" && runs_a_program(cmd) {
                sink.entry(EntryKind::PackageScript, cmd, false, line);
            }
            let at = Location::line(sink.rel, line, sink.line_text(line));
            sink.out.facts.push(Fact::new(
                FactKind::Script {
                    package: package.to_string(),
                    name: name.clone(),
                    command: cmd.to_string(),
                },
                at,
                sink.context,
            ));
        }
    }
}

/// Scripts recorded per package.json, at most.
const MAX_SCRIPTS: usize = 128;

/// Programs that run the file a script names. A compiler, bundler, linter
/// or test runner names files too (`esbuild plugins/export.ts`), but does
/// not run them, and a file a build names may be one the service loads.
const RUNNERS: [&str; 12] = [
    "node",
    "nodejs",
    "ts-node",
    "ts-node-dev",
    "tsx",
    "bun",
    "deno",
    "nodemon",
    "babel-node",
    "vite-node",
    "esno",
    "jiti",
];

/// A script's command starts a program from a file (`node x.js`,
/// `cross-env A=b tsx x.ts`, `npx ts-node x.ts`) rather than a build step
/// or another script (`bun run build`, which may be one).
fn runs_a_program(cmd: &str) -> bool {
    let mut words = cmd.split_whitespace().skip_while(|w| {
        w.contains('=') || matches!(*w, "cross-env" | "env" | "npx" | "dotenv" | "--")
    });
    let runner = words
        .next()
        .is_some_and(|w| RUNNERS.contains(&w.rsplit('/').next().unwrap_or(w)));
    runner
        && words.any(|w| {
            matches!(
                Language::from_file_name(w),
                Some(Language::JavaScript | Language::TypeScript)
            )
        })
}

fn toml_table<'a, 't>(t: &'a DeTable<'t>, key: &str) -> Option<&'a DeTable<'t>> {
    super::cargo::table(t, key)
}

/// `[project.scripts]`, `[project.gui-scripts]` and `[tool.poetry.scripts]`:
/// `name = "pkg.module:function"`.
fn pyproject(sink: &mut Sink) {
    let (doc, _) = DeTable::parse_recoverable(sink.text);
    let root = doc.get_ref();
    let mut tables = Vec::new();
    if let Some(project) = toml_table(root, "project") {
        tables.extend(toml_table(project, "scripts"));
        tables.extend(toml_table(project, "gui-scripts"));
    }
    if let Some(poetry) = toml_table(root, "tool").and_then(|t| toml_table(t, "poetry")) {
        tables.extend(toml_table(poetry, "scripts"));
    }
    for scripts in tables {
        for (_, value) in scripts.iter() {
            // Poetry also allows `{ callable = "pkg.mod:fn" }`.
            let target = match value.get_ref() {
                DeValue::String(s) => Some(s.to_string()),
                DeValue::Table(t) => t
                    .get("callable")
                    .and_then(|v| v.get_ref().as_str())
                    .map(str::to_string),
                _ => None,
            };
            if let Some(target) = target {
                let line = sink.line_of(value.span().start);
                sink.entry(EntryKind::PythonScript, &target, true, line);
            }
        }
    }
}

/// `[[bin]]` tables with a `path` (one without is `src/main.rs` or
/// `src/bin/NAME.rs`, which declare themselves), and the name and root of
/// the package's library (`FactKind::Crate`).
fn cargo(sink: &mut Sink) {
    let (doc, _) = DeTable::parse_recoverable(sink.text);
    let table = |key: &str| match doc.get_ref().get(key).map(Spanned::get_ref) {
        Some(DeValue::Table(t)) => Some(t),
        _ => None,
    };
    let text = |t: &DeTable, key: &str| {
        let v = t.get(key)?;
        let s = v.get_ref().as_str()?;
        Some((s.to_string(), sink.line_of(v.span().start)))
    };
    // Each `[[bin]]` with a path is an entry point; one that names itself
    // too is what an image runs by that name.
    let mut bins: Vec<(String, String)> = Vec::new();
    let mut paths: Vec<(String, u32)> = Vec::new();
    if let Some(DeValue::Array(tables)) = doc.get_ref().get("bin").map(Spanned::get_ref) {
        for bin in tables {
            let DeValue::Table(t) = bin.get_ref() else {
                continue;
            };
            let Some((path, line)) = text(t, "path") else {
                continue;
            };
            paths.push((path.clone(), line));
            if let Some((name, _)) = text(t, "name") {
                if bins.len() < MAX_BINS && name.len() <= 256 && path.len() <= 1024 {
                    bins.push((name, path));
                }
            }
        }
    }
    let lib = table("lib");
    let name = lib
        .and_then(|l| text(l, "name"))
        .or_else(|| table("package").and_then(|p| text(p, "name")));
    if let Some((name, line)) = name {
        let root = lib
            .and_then(|l| text(l, "path"))
            .map_or_else(|| "src/lib.rs".to_string(), |(p, _)| p);
        let name = name.replace('-', "_");
        let ident = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if ident && root.len() <= 1024 {
            let at = Location::line(sink.rel, line, sink.line_text(line));
            let fact = Fact::new(FactKind::Crate { name, root, bins }, at, sink.context);
            sink.out.facts.push(fact);
        }
    }
    for (path, line) in paths {
        sink.entry(EntryKind::CargoBin, &path, true, line);
    }
}

/// `[[bin]]` tables named per package, at most.
const MAX_BINS: usize = 256;

static POM_MAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"<(mainClass|start-class|exec\.mainClass|Main-Class)>\s*([\w.$]+)\s*</")
        .expect("pom main class")
});
static GRADLE_MAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?m)^[ \t]*(?:application\.)?(mainClass|mainClassName)\b(?:[ \t]*=|\.set[ \t]*\()[ \t]*['"]([\w.$]+)['"]"#,
    )
    .expect("gradle main class")
});
static XML_COMMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<!--.*?-->").expect("xml comment"));

/// The text with XML comments blanked to spaces, so a commented-out
/// setting is not read and offsets still give lines.
fn blank_xml_comments(text: &str) -> std::borrow::Cow<'_, str> {
    XML_COMMENT.replace_all(text, |c: &regex::Captures| {
        c[0].chars()
            .map(|ch| if ch == '\n' { '\n' } else { ' ' })
            .collect::<String>()
    })
}

/// A main class named in a pom.xml or build.gradle; with the Spring Boot
/// plugin (`boot`) it is a Spring Boot application.
fn jvm(sink: &mut Sink, re: &Regex, boot: &str) {
    let code = blank_xml_comments(sink.text);
    let kind = if code.contains(boot) {
        EntryKind::SpringBoot
    } else {
        EntryKind::JvmMain
    };
    let found: Vec<(usize, String)> = re
        .captures_iter(&code)
        .filter_map(|c| Some((c.get(0)?.start(), c.get(2)?.as_str().to_string())))
        .collect();
    for (at, class) in found {
        let line = sink.line_of(at);
        sink.entry(kind, &class, true, line);
    }
}

static CSPROJ_EXE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)<OutputType>\s*(?:Exe|WinExe)\s*</OutputType>|<Project\s+Sdk\s*=\s*"Microsoft\.NET\.Sdk\.(?:Web|Worker)""#,
    )
    .expect("csproj exe")
});

/// A project that builds an executable (`OutputType` Exe, the Web or
/// Worker SDK) starts in `Program.cs` by convention (top-level statements
/// declare no `Main`).
fn csproj(sink: &mut Sink) {
    let code = blank_xml_comments(sink.text);
    if let Some(m) = CSPROJ_EXE.find(&code) {
        let line = sink.line_of(m.start());
        sink.entry(EntryKind::Dotnet, "Program.cs", true, line);
    }
}

static MIX_MOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[^#\n]*\bmod:[ \t]*\{[ \t]*([A-Z][\w.]*)").expect("mix mod")
});

/// `def application, do: [mod: {MyApp.Application, []}]`.
fn mix(sink: &mut Sink) {
    let text = sink.text;
    let found: Vec<(usize, String)> = MIX_MOD
        .captures_iter(text)
        .filter_map(|c| Some((c.get(1)?.start(), c.get(1)?.as_str().to_string())))
        .collect();
    for (at, module) in found {
        let line = sink.line_of(at);
        sink.entry(EntryKind::MixApplication, &module, true, line);
    }
}

/// composer.json `bin`: the package's command-line scripts.
fn composer(sink: &mut Sink) {
    let Ok(doc) = serde_json::from_str::<Value>(sink.text) else {
        return;
    };
    let line = KeyLines::scan(sink.text, &[]).get(&["bin"]).unwrap_or(1);
    let bins: Vec<String> = match doc.get("bin") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    for b in bins {
        sink.entry(EntryKind::Php, &b, true, line);
    }
}

static PROCFILE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^([A-Za-z0-9_-]+)[ \t]*:[ \t]*(\S[^\n]*)$").expect("procfile line")
});

/// A Procfile: one process type per line (`web: gunicorn app:app`). Every
/// process runs in the deployment except `release`, a one-off at deploy.
pub(crate) fn procfile(sink: &mut Sink) {
    let text = sink.text;
    let found: Vec<(usize, bool, String)> = PROCFILE_LINE
        .captures_iter(text)
        .filter_map(|c| {
            let name = c.get(1)?;
            Some((
                name.start(),
                name.as_str() != "release",
                c.get(2)?.as_str().trim_end_matches('\r').to_string(),
            ))
        })
        .collect();
    for (at, main, cmd) in found {
        let line = sink.line_of(at);
        sink.entry(EntryKind::Procfile, &cmd, main, line);
    }
}

/// setup.cfg `[options.entry_points]` `console_scripts` (and
/// `gui_scripts`): `name = pkg.module:function`, one per continuation line.
pub(crate) fn setup_cfg(sink: &mut Sink) {
    let text = sink.text;
    let mut section = String::new();
    let mut in_scripts = false;
    let mut found: Vec<(u32, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') {
            section = trimmed.trim_matches(['[', ']']).trim().to_string();
            in_scripts = false;
            continue;
        }
        if section != "options.entry_points" {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        let item = if indented {
            in_scripts.then_some(trimmed)
        } else {
            let (key, value) = trimmed.split_once('=').unwrap_or((trimmed, ""));
            in_scripts = matches!(key.trim(), "console_scripts" | "gui_scripts");
            Some(value.trim()).filter(|v| in_scripts && !v.is_empty())
        };
        if let Some((_, target)) = item.and_then(|t| t.split_once('=')) {
            found.push((line_no, target.trim().to_string()));
        }
    }
    for (line, target) in found {
        sink.entry(EntryKind::PythonScript, &target, true, line);
    }
}

/// supervisord's configuration: the `command` of each `[program:NAME]`
/// section, the processes it keeps running, as `Exec` facts the image's
/// command is followed through when it starts supervisord
/// (`analyze::units`). A command that expands placeholders
/// (`%(ENV_APP)s`) names nothing; `;` starts a comment only after
/// whitespace, as supervisord reads it.
pub(crate) fn supervisord_conf(sink: &mut Sink) {
    let mut found: Vec<(u32, String)> = Vec::new();
    for (line_no, section, key, value) in ini_entries(sink.text) {
        let program = section
            .and_then(|s| s.strip_prefix("program:"))
            .is_some_and(|n| !n.trim().is_empty());
        if !program || key != "command" {
            continue;
        }
        let value = match value.find(" ;").or_else(|| value.find("\t;")) {
            Some(at) => &value[..at],
            None => value,
        }
        .trim();
        if value.is_empty() || value.contains("%(") {
            continue;
        }
        found.push((line_no, value.to_string()));
    }
    for (line, cmd) in found.into_iter().take(16) {
        sink.entry(EntryKind::Exec, &cmd, true, line);
    }
}

/// The `key = value` lines of an ini file, trimmed, with the section each
/// sits in (`None` before the first `[header]`) and its 1-based line.
/// Comment lines (`#`, `;`) and lines without `=` are skipped.
fn ini_entries(text: &str) -> impl Iterator<Item = (u32, Option<&str>, &str, &str)> {
    let mut section = None;
    text.lines().enumerate().filter_map(move |(i, raw)| {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            return None;
        }
        if line.starts_with('[') {
            section = Some(line.trim_matches(['[', ']']).trim());
            return None;
        }
        let (key, value) = line.split_once('=')?;
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        Some((line_no, section, key.trim(), value.trim()))
    })
}

/// uWSGI's ini: the application its `[uwsgi]` section loads (`module =
/// shop.wsgi:application`, `wsgi-file = app.py`, `mount = /=app:app`), as
/// the command line that would load it (`uwsgi --module shop.wsgi:application`),
/// an `Exec` fact the image's command is followed through
/// (`analyze::units`). Values built from placeholders (`%(base)`, `$(X)`)
/// name nothing.
pub(crate) fn uwsgi_ini(sink: &mut Sink) {
    let mut found: Vec<(u32, String)> = Vec::new();
    for (line_no, section, key, value) in ini_entries(sink.text) {
        // Keys before any header are uWSGI's too.
        if section.is_some_and(|s| s != "uwsgi") {
            continue;
        }
        if value.is_empty() || value.contains("%(") || value.contains("$(") {
            continue;
        }
        let flag = match key {
            "module" | "wsgi" => "--module",
            "wsgi-file" | "file" => "--wsgi-file",
            // `mount = /prefix=module:app`
            "mount" => match value.split_once('=') {
                Some((_, app)) => {
                    found.push((line_no, format!("uwsgi --module {}", app.trim())));
                    continue;
                }
                None => continue,
            },
            _ => continue,
        };
        found.push((line_no, format!("uwsgi {flag} {value}")));
    }
    for (line, cmd) in found.into_iter().take(16) {
        sink.entry(EntryKind::Exec, &cmd, true, line);
    }
}

#[cfg(test)]
mod tests {
    use super::runs_a_program;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::model::fact::FactKind;
    use crate::model::service::EntryKind;
    use crate::parse::manifest::parse;

    /// The entry facts among `facts`: kind, target, main, line.
    fn entry_facts(facts: Vec<crate::model::fact::Fact>) -> Vec<(EntryKind, String, bool, u32)> {
        facts
            .into_iter()
            .filter_map(|f| match f.kind {
                FactKind::Entry {
                    entry,
                    target,
                    main,
                } => Some((entry, target, main, f.at.line.unwrap_or(0))),
                _ => None,
            })
            .collect()
    }

    fn entries(kind: ManifestKind, rel: &str, text: &str) -> Vec<(EntryKind, String, bool, u32)> {
        entry_facts(parse(kind, rel, text, Context::Service).facts)
    }

    #[test]
    fn package_json_start_main_and_bin() {
        let pj = "{\n  \"main\": \"lib/index.js\",\n  \"bin\": {\"tool\": \"bin/tool.js\"},\n  \"scripts\": {\n    \"start\": \"node server.js\"\n  }\n}\n";
        let got = entries(ManifestKind::PackageJson, "package.json", pj);
        assert_eq!(
            got,
            [
                (EntryKind::PackageScript, "node server.js".into(), true, 5),
                (EntryKind::PackageMain, "lib/index.js".into(), false, 2),
                (EntryKind::PackageBin, "bin/tool.js".into(), false, 3),
            ]
        );
        // Every other script that runs a program is a side one, in the
        // manifest's order; a build step is not.
        let pj = "{\n  \"scripts\": {\n    \"start\": \"node server.js\",\n    \"docs\": \"node tools/docs.js\",\n    \"bundle\": \"esbuild plugins/export.ts\"\n  }\n}\n";
        assert_eq!(
            entries(ManifestKind::PackageJson, "package.json", pj),
            [
                (EntryKind::PackageScript, "node server.js".into(), true, 3),
                (
                    EntryKind::PackageScript,
                    "node tools/docs.js".into(),
                    false,
                    4
                ),
            ]
        );
        // Without a start script, main and bin are the programs.
        let got = entries(
            ManifestKind::PackageJson,
            "package.json",
            "{\"main\": \"index.js\", \"bin\": \"cli.js\"}",
        );
        assert!(got.iter().all(|e| e.2), "{got:?}");
        // A library's package.json without main, bin or start: nothing.
        assert!(entries(
            ManifestKind::PackageJson,
            "package.json",
            "{\"name\": \"x\"}"
        )
        .is_empty());
    }

    #[test]
    fn a_script_runs_a_program_through_a_runner_not_a_build_step() {
        for cmd in [
            "node x.js",
            "cross-env NODE_ENV=production node --import tsx x.ts",
            "npx ts-node x.ts",
            "A=1 ./node_modules/.bin/tsx x.ts",
            "bun run x.ts",
        ] {
            assert!(runs_a_program(cmd), "{cmd}");
        }
        for cmd in [
            "esbuild plugins/export.ts --bundle",
            "tsc -p .",
            "go build -o out ./x.go",
            "eslint src/index.js",
            "jest",
            "bun run build",
            "nodemon",
            "",
        ] {
            assert!(!runs_a_program(cmd), "{cmd}");
        }
    }

    #[test]
    fn package_json_scripts_by_name_with_the_package_name() {
        let pj = "{\n  \"name\": \"@acme/api\",\n  \"scripts\": {\n    \"start\": \"nest start\",\n    \"start:prod\": \"node dist/main\",\n    \"empty\": \"\",\n    \"odd\": 3\n  }\n}\n";
        let scripts: Vec<(String, String, String, u32)> = parse(
            ManifestKind::PackageJson,
            "apps/api/package.json",
            pj,
            Context::Service,
        )
        .facts
        .into_iter()
        .filter_map(|f| match f.kind {
            FactKind::Script {
                package,
                name,
                command,
            } => Some((package, name, command, f.at.line.unwrap_or(0))),
            _ => None,
        })
        .collect();
        let s = |n: &str, c: &str, l| ("@acme/api".to_string(), n.to_string(), c.to_string(), l);
        assert_eq!(
            scripts,
            [
                s("start", "nest start", 4),
                s("start:prod", "node dist/main", 5)
            ]
        );
        // No scripts, no facts; a script without a package name has "".
        let bare = parse(
            ManifestKind::PackageJson,
            "package.json",
            "{\"scripts\": {\"go\": \"node a.js\"}}",
            Context::Service,
        );
        assert!(bare
            .facts
            .iter()
            .any(|f| matches!(&f.kind, FactKind::Script { package, .. } if package.is_empty())));
    }

    fn launch(name: &str, text: &str) -> Vec<(EntryKind, String, bool, u32)> {
        entry_facts(
            crate::parse::manifest::launch_file(name, name, text, Context::Service)
                .expect("a launch file")
                .facts,
        )
    }

    #[test]
    fn procfile_processes_and_setup_cfg_scripts() {
        let got = launch(
            "Procfile",
            "web: gunicorn app:app --log-file -\r\nworker: python worker.py\nrelease: python manage.py migrate\n# note: not a process\n",
        );
        assert_eq!(
            got,
            [
                (
                    EntryKind::Procfile,
                    "gunicorn app:app --log-file -".into(),
                    true,
                    1
                ),
                (EntryKind::Procfile, "python worker.py".into(), true, 2),
                (
                    EntryKind::Procfile,
                    "python manage.py migrate".into(),
                    false,
                    3
                ),
            ]
        );
        let cfg = "[metadata]\nname = x\n[options.entry_points]\nconsole_scripts =\n    x = x.cli:main\n    y=y.main:run\npytest11 =\n    p = x.plugin\n[other]\nz = q:r\n";
        assert_eq!(
            launch("setup.cfg", cfg),
            [
                (EntryKind::PythonScript, "x.cli:main".into(), true, 5),
                (EntryKind::PythonScript, "y.main:run".into(), true, 6),
            ]
        );
        assert!(launch("setup.cfg", "[metadata]\nname = x\n").is_empty());
        let ini = "[uwsgi]\nchdir = /etc/app\nmodule = hc.wsgi:application\nmount = /api=api.wsgi:app\nwsgi-file = %(chdir)/x.py\n[other]\nmodule = not.this\n";
        assert_eq!(
            launch("uwsgi.ini", ini),
            [
                (
                    EntryKind::Exec,
                    "uwsgi --module hc.wsgi:application".into(),
                    true,
                    3
                ),
                (
                    EntryKind::Exec,
                    "uwsgi --module api.wsgi:app".into(),
                    true,
                    4
                ),
            ]
        );
        assert!(launch("uwsgi-prod.ini", "[uwsgi]\nprocesses = 4\n").is_empty());
        let conf = "[supervisord]\nnodaemon=true\ncommand=not.this\n[program:nginx]\ncommand=/usr/sbin/nginx -g 'daemon off;'\n; command=commented out\n[program:app]\ndirectory=/srv/app\ncommand = gunicorn core.wsgi ; the web app\n[program:env]\ncommand=%(ENV_APP_CMD)s\n[eventlistener:x]\ncommand=listener.py\n";
        assert_eq!(
            launch("supervisord.conf", conf),
            [
                (
                    EntryKind::Exec,
                    "/usr/sbin/nginx -g 'daemon off;'".into(),
                    true,
                    5
                ),
                (EntryKind::Exec, "gunicorn core.wsgi".into(), true, 9),
            ]
        );
        assert!(launch("supervisord.conf", "[supervisord]\nnodaemon=true\n").is_empty());
        assert!(launch("Procfile", "").is_empty());
        assert!(
            crate::parse::manifest::launch_file("x.cfg", "x.cfg", "", Context::Service).is_none()
        );
    }

    #[test]
    fn python_scripts_from_pep621_and_poetry() {
        let py = "[project]\nname = \"x\"\n[project.scripts]\nx = \"x.cli:main\"\n[tool.poetry.scripts]\ny = { callable = \"y.run:go\" }\n";
        let got = entries(ManifestKind::Pyproject, "pyproject.toml", py);
        assert_eq!(
            got,
            [
                (EntryKind::PythonScript, "x.cli:main".into(), true, 4),
                (EntryKind::PythonScript, "y.run:go".into(), true, 6),
            ]
        );
        assert!(entries(
            ManifestKind::Pyproject,
            "pyproject.toml",
            "[project]\nname = \"x\"\n"
        )
        .is_empty());
    }

    #[test]
    fn cargo_bins_with_paths() {
        let c = "[package]\nname = \"x\"\n[[bin]]\nname = \"srv\"\npath = \"src/server.rs\"\n[[bin]]\nname = \"plain\"\n";
        assert_eq!(
            entries(ManifestKind::CargoToml, "Cargo.toml", c),
            [(EntryKind::CargoBin, "src/server.rs".into(), true, 5)]
        );
        // The bin that names a path is kept by name, for an image that
        // runs it by that name; one without a path is found by its name.
        let bins: Vec<Vec<(String, String)>> =
            parse(ManifestKind::CargoToml, "Cargo.toml", c, Context::Service)
                .facts
                .into_iter()
                .filter_map(|f| match f.kind {
                    FactKind::Crate { bins, .. } => Some(bins),
                    _ => None,
                })
                .collect();
        assert_eq!(
            bins,
            [vec![("srv".to_string(), "src/server.rs".to_string())]]
        );
    }

    #[test]
    fn cargo_library_names() {
        let lib = |text: &str| -> Vec<(String, String)> {
            parse(
                ManifestKind::CargoToml,
                "crates/x/Cargo.toml",
                text,
                Context::Service,
            )
            .facts
            .into_iter()
            .filter_map(|f| match f.kind {
                FactKind::Crate { name, root, .. } => Some((name, root)),
                _ => None,
            })
            .collect()
        };
        assert_eq!(
            lib("[package]\nname = \"shop-core\"\n"),
            [("shop_core".to_string(), "src/lib.rs".to_string())]
        );
        assert_eq!(
            lib("[package]\nname = \"shop-core\"\n[lib]\nname = \"core2\"\npath = \"lib.rs\"\n"),
            [("core2".to_string(), "lib.rs".to_string())]
        );
        // A virtual workspace has no package; a name no path can use is
        // no name.
        assert!(lib("[workspace]\nmembers = [\"a\"]\n").is_empty());
        assert!(lib("[package]\nname = \"a b\"\n").is_empty());
    }

    #[test]
    fn jvm_main_classes_and_spring_boot() {
        let pom = "<project>\n<!-- <mainClass>com.old.Main</mainClass> -->\n<build><plugins><plugin>\n<artifactId>spring-boot-maven-plugin</artifactId>\n<configuration><mainClass>com.acme.App</mainClass></configuration>\n</plugin></plugins></build></project>\n";
        assert_eq!(
            entries(ManifestKind::PomXml, "pom.xml", pom),
            [(EntryKind::SpringBoot, "com.acme.App".into(), true, 5)]
        );
        let gradle =
            "plugins { id 'application' }\napplication {\n    mainClass = 'com.acme.Cli'\n}\n";
        assert_eq!(
            entries(ManifestKind::Gradle, "build.gradle", gradle),
            [(EntryKind::JvmMain, "com.acme.Cli".into(), true, 3)]
        );
        let kts = "application {\n    mainClass.set(\"com.acme.Kt\")\n}\n";
        assert_eq!(
            entries(ManifestKind::Gradle, "build.gradle.kts", kts).len(),
            1
        );
        assert!(entries(ManifestKind::PomXml, "pom.xml", "<project></project>").is_empty());
    }

    #[test]
    fn dotnet_mix_and_composer() {
        let exe = "<Project Sdk=\"Microsoft.NET.Sdk\">\n<PropertyGroup>\n<OutputType>Exe</OutputType>\n</PropertyGroup>\n</Project>\n";
        assert_eq!(
            entries(ManifestKind::Csproj, "App/App.csproj", exe),
            [(EntryKind::Dotnet, "Program.cs".into(), true, 3)]
        );
        let lib = "<Project Sdk=\"Microsoft.NET.Sdk\">\n<PropertyGroup><OutputType>Library</OutputType></PropertyGroup>\n</Project>\n";
        assert!(entries(ManifestKind::Csproj, "Lib/Lib.csproj", lib).is_empty());
        let web = "<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n</Project>\n";
        assert_eq!(entries(ManifestKind::Csproj, "Web.csproj", web).len(), 1);
        let mix = "def application do\n  [\n    mod: {Shop.Application, []},\n    extra_applications: [:logger]\n  ]\nend\n# mod: {Old.App, []}\n";
        assert_eq!(
            entries(ManifestKind::MixExs, "mix.exs", mix),
            [(
                EntryKind::MixApplication,
                "Shop.Application".into(),
                true,
                3
            )]
        );
        let composer = "{\n  \"name\": \"a/b\",\n  \"bin\": [\"bin/tool.php\"]\n}\n";
        assert_eq!(
            entries(ManifestKind::ComposerJson, "composer.json", composer),
            [(EntryKind::Php, "bin/tool.php".into(), true, 3)]
        );
    }
}
