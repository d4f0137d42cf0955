//! Dependency scopes end to end, per ecosystem: a small tree where a
//! file-watching (or native) package arrives only as a development, test or
//! build dependency, directly or through a lock file, must not count; the
//! same tree with the package as a runtime dependency must. Each pair
//! differs only in the manifest's declaration (or the lock's own section),
//! so the scope is what decides.

use std::path::Path;
use wasmfit::analyze::matcher::Engine;
use wasmfit::model::context::Context;
use wasmfit::model::finding::Finding;
use wasmfit::model::Report;
use wasmfit::rules::{RuleSet, Severity};

const WATCH: &str = "WF505";
const NATIVE: &str = "WF604";

fn write(dir: &Path, files: &[(&str, String)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn scan_with(rules: &RuleSet, files: &[(&str, String)]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    let engine = Engine::new(rules);
    wasmfit::scan::scan_with(dir.path(), &Default::default(), &engine, &|_, _| {}).unwrap()
}

fn scan(files: &[(&str, String)]) -> Report {
    scan_with(&RuleSet::builtin().unwrap(), files)
}

fn finding<'r>(report: &'r Report, rule: &str) -> Option<&'r Finding> {
    report.findings.iter().find(|f| f.rule_id == rule)
}

/// The context of the evidence at `path` whose line mentions `what`.
fn context_at(report: &Report, rule: &str, path: &str, what: &str) -> Context {
    let f = finding(report, rule).unwrap_or_else(|| panic!("{rule} did not fire"));
    f.evidence
        .iter()
        .find(|e| e.at.path == path && e.at.snippet.contains(what))
        .unwrap_or_else(|| panic!("no {rule} evidence for {what} in {path}: {:#?}", f.evidence))
        .context
}

fn counted(report: &Report, rule: &str) -> bool {
    finding(report, rule).is_some_and(|f| f.counted)
}

/// A development-only tree: the rule fires, its evidence at each `(path,
/// what)` is out of the service, and nothing counts.
fn assert_dev(report: &Report, rule: &str, places: &[(&str, &str)], want: Context) {
    for (path, what) in places {
        assert_eq!(context_at(report, rule, path, what), want, "{path} {what}");
    }
    assert!(!counted(report, rule), "{:#?}", finding(report, rule));
}

/// A runtime tree: the same places are service evidence, and it counts,
/// unless lock entries are all that show it: then it is listed as a
/// low-confidence service finding and not counted (`analyze::finding`).
fn assert_runtime(report: &Report, rule: &str, places: &[(&str, &str)]) {
    for (path, what) in places {
        assert_eq!(
            context_at(report, rule, path, what),
            Context::Service,
            "{path} {what}"
        );
    }
    let f = finding(report, rule).unwrap_or_else(|| panic!("{rule} did not fire"));
    if f.lock_only {
        assert!(!f.counted, "{f:#?}");
        assert_eq!(f.context, Context::Service, "{f:#?}");
    } else {
        assert!(counted(report, rule), "{f:#?}");
    }
}

// ---- Rust ----

const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "server"
version = "0.1.0"
dependencies = ["notify", "tokio"]

[[package]]
name = "notify"
version = "6.1.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["inotify"]

[[package]]
name = "inotify"
version = "0.9.6"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tokio"
version = "1.40.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

fn cargo(table: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"server\"]\n".to_string(),
        ),
        (
            "server/Cargo.toml",
            format!("[package]\nname = \"server\"\n\n[dependencies]\ntokio = \"1\"\n\n[{table}]\nnotify = \"6\"\n"),
        ),
        ("Cargo.lock", CARGO_LOCK.to_string()),
    ]
}

#[test]
fn cargo_dev_dependency_and_what_it_pulls_in() {
    let places = [
        ("server/Cargo.toml", "notify"),
        ("Cargo.lock", "\"notify\""),
        ("Cargo.lock", "\"inotify\""),
    ];
    let dev = scan(&cargo("dev-dependencies"));
    assert_dev(&dev, WATCH, &places, Context::Dev);
    let build = scan(&cargo("build-dependencies"));
    assert_dev(&build, WATCH, &places, Context::Build);
    let windows = scan(&cargo("target.'cfg(windows)'.dependencies"));
    assert_dev(&windows, WATCH, &places, Context::Optional);
    let runtime = scan(&cargo("dependencies"));
    assert_runtime(&runtime, WATCH, &places);
    // A runtime dependency keeps the rule's own severity.
    let rules = RuleSet::builtin().unwrap();
    assert_eq!(
        finding(&runtime, WATCH).unwrap().severity,
        rules.rules[rules.index(WATCH).unwrap()].severity
    );
}

#[test]
fn cargo_optional_dependency_follows_default_features() {
    let tree = |default: &str| {
        vec![(
            "Cargo.toml",
            format!("[package]\nname = \"svc\"\n\n[features]\ndefault = [{default}]\nwatch = [\"dep:notify\"]\n\n[dependencies]\nnotify = {{ version = \"6\", optional = true }}\n"),
        )]
    };
    let off = scan(&tree(""));
    assert_dev(&off, WATCH, &[("Cargo.toml", "notify")], Context::Optional);
    let on = scan(&tree("\"watch\""));
    assert_runtime(&on, WATCH, &[("Cargo.toml", "notify")]);
}

// ---- JavaScript ----

#[test]
fn npm_package_lock_flags() {
    let tree = |section: &str, flag: &str| {
        vec![
            (
                "package.json",
                format!("{{\"name\": \"app\", \"{section}\": {{\"webpack-dev-server\": \"^4\"}}}}"),
            ),
            (
                "package-lock.json",
                format!(
                    r#"{{
  "lockfileVersion": 3,
  "packages": {{
    "": {{ "name": "app" }},
    "node_modules/webpack-dev-server": {{ "version": "4.15.0"{flag} }},
    "node_modules/chokidar": {{ "version": "3.6.0"{flag} }}
  }}
}}"#
                ),
            ),
        ]
    };
    let places = [("package-lock.json", "chokidar")];
    let dev = scan(&tree("devDependencies", ", \"dev\": true"));
    assert_dev(&dev, WATCH, &places, Context::Dev);
    let runtime = scan(&tree("dependencies", ""));
    assert_runtime(&runtime, WATCH, &places);
}

const YARN_LOCK: &str = r#"# yarn lockfile v1


webpack-dev-server@^4:
  version "4.15.0"
  dependencies:
    chokidar "^3.5.3"

chokidar@^3.5.3:
  version "3.6.0"
"#;

#[test]
fn yarn_lock_inherits_package_json_sections() {
    let tree = |section: &str| {
        vec![
            (
                "package.json",
                format!("{{\"name\": \"app\", \"{section}\": {{\"webpack-dev-server\": \"^4\"}}}}"),
            ),
            ("yarn.lock", YARN_LOCK.to_string()),
        ]
    };
    let places = [("yarn.lock", "chokidar@")];
    let dev = scan(&tree("devDependencies"));
    assert_dev(&dev, WATCH, &places, Context::Dev);
    // Transitive and runtime, but only the lock says so (a lock lists
    // packages for every platform and feature set): a minor, listed and
    // not counted, neither a blocker nor porting work by itself.
    let runtime = scan(&tree("dependencies"));
    assert_runtime(&runtime, WATCH, &places);
    let f = finding(&runtime, WATCH).unwrap();
    assert!(f.lock_only);
    assert!(!f.counted);
    assert_eq!(f.severity, Severity::Minor);
    // A manifest and its lock and no code: with the lock-only finding not
    // counted there is nothing to judge, and certainly no porting verdict.
    assert_eq!(runtime.verdict.id(), "unknown");
}

#[test]
fn pnpm_lock_walks_its_importers() {
    let tree = |section: &str| {
        vec![(
            "pnpm-lock.yaml",
            format!(
                "lockfileVersion: '9.0'

importers:

  .:
    {section}:
      tsup:
        specifier: ^8
        version: 8.0.0

packages:

  tsup@8.0.0:
    resolution: {{integrity: sha512-t}}

  chokidar@3.6.0:
    resolution: {{integrity: sha512-c}}

snapshots:

  tsup@8.0.0:
    dependencies:
      chokidar: 3.6.0

  chokidar@3.6.0: {{}}
"
            ),
        )]
    };
    let places = [("pnpm-lock.yaml", "chokidar")];
    assert_dev(
        &scan(&tree("devDependencies")),
        WATCH,
        &places,
        Context::Dev,
    );
    assert_runtime(&scan(&tree("dependencies")), WATCH, &places);
}

// ---- Python ----

#[test]
fn requirements_files_by_name() {
    let dev = scan(&[("requirements-dev.txt", "watchdog==4.0.0\n".into())]);
    assert_dev(
        &dev,
        WATCH,
        &[("requirements-dev.txt", "watchdog")],
        Context::Dev,
    );
    let runtime = scan(&[("requirements.txt", "watchdog==4.0.0\n".into())]);
    assert_runtime(&runtime, WATCH, &[("requirements.txt", "watchdog")]);
}

#[test]
fn poetry_lock_without_groups_follows_pyproject() {
    let tree = |table: &str| {
        vec![
            (
                "pyproject.toml",
                format!("[tool.poetry]\nname = \"svc\"\n\n[{table}]\npytest-watch = \"^4.2\"\n"),
            ),
            (
                "poetry.lock",
                "[[package]]\nname = \"pytest-watch\"\nversion = \"4.2.0\"\noptional = false\n\n[package.dependencies]\nwatchdog = \">=0.6.0\"\n\n[[package]]\nname = \"watchdog\"\nversion = \"4.0.0\"\noptional = false\n".to_string(),
            ),
        ]
    };
    let places = [("poetry.lock", "watchdog")];
    let dev = scan(&tree("tool.poetry.group.dev.dependencies"));
    assert_dev(&dev, WATCH, &places, Context::Dev);
    let runtime = scan(&tree("tool.poetry.dependencies"));
    assert_runtime(&runtime, WATCH, &places);
}

#[test]
fn uv_lock_roots_are_the_project() {
    let tree = |dev: bool| {
        let (deps, groups) = if dev {
            (
                "",
                "\n[package.dev-dependencies]\ndev = [{ name = \"pytest-watch\" }]\n",
            )
        } else {
            ("dependencies = [{ name = \"pytest-watch\" }]\n", "")
        };
        vec![(
            "uv.lock",
            format!(
                "version = 1\n\n[[package]]\nname = \"svc\"\nversion = \"0.1.0\"\nsource = {{ editable = \".\" }}\n{deps}{groups}\n[[package]]\nname = \"pytest-watch\"\nversion = \"4.2.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\ndependencies = [{{ name = \"watchdog\" }}]\n\n[[package]]\nname = \"watchdog\"\nversion = \"4.0.0\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n"
            ),
        )]
    };
    let places = [("uv.lock", "watchdog")];
    assert_dev(&scan(&tree(true)), WATCH, &places, Context::Dev);
    assert_runtime(&scan(&tree(false)), WATCH, &places);
}

#[test]
fn pipfile_and_its_lock() {
    let tree = |section: &str, lock_section: &str| {
        vec![
            ("Pipfile", format!("[{section}]\nwatchdog = \"*\"\n")),
            (
                "Pipfile.lock",
                format!("{{\"_meta\": {{}}, \"{lock_section}\": {{\"watchdog\": {{\"version\": \"==4.0.0\"}}}}}}"),
            ),
        ]
    };
    let places = [("Pipfile", "watchdog"), ("Pipfile.lock", "watchdog")];
    let dev = scan(&tree("dev-packages", "develop"));
    assert_dev(&dev, WATCH, &places, Context::Dev);
    let runtime = scan(&tree("packages", "default"));
    assert_runtime(&runtime, WATCH, &places);
}

// ---- Ruby ----

#[test]
fn gemfile_groups_reach_the_lock() {
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    listen (3.9.0)\n      rb-inotify (~> 0.9, >= 0.9.10)\n    rb-inotify (0.11.1)\n    puma (6.4.0)\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  listen\n  puma\n";
    let tree = |gemfile: &str| {
        vec![
            ("Gemfile", gemfile.to_string()),
            ("Gemfile.lock", lock.to_string()),
        ]
    };
    let places = [
        ("Gemfile", "listen"),
        ("Gemfile.lock", "listen"),
        ("Gemfile.lock", "rb-inotify (0.11.1)"),
    ];
    let dev = scan(&tree(
        "source \"https://rubygems.org\"\ngem \"puma\"\ngroup :development, :test do\n  gem \"listen\"\nend\n",
    ));
    assert_dev(&dev, WATCH, &places, Context::Dev);
    let runtime = scan(&tree(
        "source \"https://rubygems.org\"\ngem \"puma\"\ngem \"listen\"\n",
    ));
    assert_runtime(&runtime, WATCH, &places);
}

// ---- Elixir ----

#[test]
fn mix_only_dev_reaches_the_lock() {
    let lock = r#"%{
  "file_system": {:hex, :file_system, "1.1.1", "abc", [:mix], [], "hexpm", "def"},
  "phoenix": {:hex, :phoenix, "1.7.12", "abc", [:mix], [], "hexpm", "def"},
  "phoenix_live_reload": {:hex, :phoenix_live_reload, "1.6.2", "abc", [:mix], [{:file_system, "~> 0.2.10 or ~> 1.0", [hex: :file_system, repo: "hexpm", optional: false]}, {:phoenix, "~> 1.4", [hex: :phoenix, repo: "hexpm", optional: false]}], "hexpm", "def"},
}
"#;
    let tree = |opts: &str| {
        vec![
            (
                "mix.exs",
                format!("defmodule App.MixProject do\n  use Mix.Project\n\n  defp deps do\n    [\n      {{:phoenix, \"~> 1.7\"}},\n      {{:phoenix_live_reload, \"~> 1.2\"{opts}}}\n    ]\n  end\nend\n"),
            ),
            ("mix.lock", lock.to_string()),
        ]
    };
    let places = [("mix.lock", "\"file_system\"")];
    let dev = scan(&tree(", only: :dev"));
    assert_dev(&dev, WATCH, &places, Context::Dev);
    // phoenix_live_reload reaches phoenix too, but phoenix is a runtime
    // root of its own.
    let runtime = scan(&tree(""));
    assert_runtime(&runtime, WATCH, &places);
}

// ---- JVM ----

#[test]
fn maven_and_gradle_test_scopes() {
    let pom = |scope: &str| {
        vec![(
            "pom.xml",
            format!("<project><dependencies><dependency><groupId>io.methvin</groupId><artifactId>directory-watcher</artifactId><version>0.18.0</version>{scope}</dependency></dependencies></project>\n"),
        )]
    };
    let places = [("pom.xml", "directory-watcher")];
    assert_dev(
        &scan(&pom("<scope>test</scope>")),
        WATCH,
        &places,
        Context::Test,
    );
    assert_runtime(&scan(&pom("")), WATCH, &places);

    let gradle = |conf: &str| {
        vec![(
            "build.gradle",
            format!("dependencies {{\n    {conf} 'io.methvin:directory-watcher:0.18.0'\n}}\n"),
        )]
    };
    let places = [("build.gradle", "directory-watcher")];
    assert_dev(
        &scan(&gradle("testImplementation")),
        WATCH,
        &places,
        Context::Test,
    );
    assert_runtime(&scan(&gradle("implementation")), WATCH, &places);
}

// ---- .NET ----

#[test]
fn nuget_private_assets_reach_the_lock() {
    let lock = r#"{
  "version": 1,
  "dependencies": {
    "net8.0": {
      "SkiaSharp": {
        "type": "Direct",
        "requested": "[2.88.8, )",
        "resolved": "2.88.8",
        "dependencies": { "SkiaSharp.NativeAssets.Linux": "2.88.8" }
      },
      "SkiaSharp.NativeAssets.Linux": { "type": "Transitive", "resolved": "2.88.8" }
    }
  }
}"#;
    let tree = |attrs: &str| {
        vec![
            (
                "Api.csproj",
                format!("<Project Sdk=\"Microsoft.NET.Sdk.Web\"><ItemGroup><PackageReference Include=\"SkiaSharp\" Version=\"2.88.8\"{attrs} /></ItemGroup></Project>\n"),
            ),
            ("packages.lock.json", lock.to_string()),
        ]
    };
    let places = [
        ("Api.csproj", "SkiaSharp"),
        ("packages.lock.json", "SkiaSharp.NativeAssets.Linux"),
    ];
    let build = scan(&tree(" PrivateAssets=\"all\""));
    assert_dev(&build, NATIVE, &places, Context::Build);
    assert_runtime(&scan(&tree("")), NATIVE, &places);
}

// ---- PHP ----

#[test]
fn composer_require_dev() {
    // No PHP packages in the built-in knowledge yet: a user rule pack
    // names one, the way `--rules DIR` would.
    let pack = tempfile::tempdir().unwrap();
    std::fs::write(
        pack.path().join("php.toml"),
        "[[package]]\necosystem = \"packagist\"\nname = \"spatie/file-system-watcher\"\nrule = \"WF505\"\nreason = \"Watches files through a Node chokidar process.\"\n",
    )
    .unwrap();
    let rules = RuleSet::load(&[pack.path().to_path_buf()]).unwrap();
    let tree = |section: &str, lock_section: &str| {
        vec![
            (
                "composer.json",
                format!("{{\"{section}\": {{\"spatie/file-system-watcher\": \"^1.2\"}}}}"),
            ),
            (
                "composer.lock",
                format!("{{\"{lock_section}\": [{{\"name\": \"spatie/file-system-watcher\", \"version\": \"1.2.0\"}}]}}"),
            ),
        ]
    };
    let places = [
        ("composer.json", "file-system-watcher"),
        ("composer.lock", "file-system-watcher"),
    ];
    let dev = scan_with(&rules, &tree("require-dev", "packages-dev"));
    assert_dev(&dev, WATCH, &places, Context::Dev);
    let runtime = scan_with(&rules, &tree("require", "packages"));
    assert_runtime(&runtime, WATCH, &places);
}

// ---- Go ----

#[test]
fn go_indirect_requirements_are_transitive() {
    // `// indirect`: only another module needs it, like a lock entry: listed,
    // at most a minor, not counted.
    let go_mod = |comment: &str| {
        format!("module example.com/svc\n\ngo 1.22\n\nrequire github.com/fsnotify/fsnotify v1.7.0{comment}\n")
    };
    let report = scan(&[("go.mod", go_mod(" // indirect"))]);
    let f = finding(&report, WATCH).expect("WF505 fired");
    assert!(f.lock_only && !f.counted, "{f:#?}");
    assert_eq!(f.severity, Severity::Minor);
    assert!(f.evidence.iter().all(|e| e.transitive));
    // Required directly: the module's own code imports it.
    let report = scan(&[("go.mod", go_mod(""))]);
    assert_runtime(&report, WATCH, &[("go.mod", "fsnotify")]);
    assert!(finding(&report, WATCH)
        .unwrap()
        .evidence
        .iter()
        .all(|e| !e.transitive));
}

// ---- Imports the code runs without ----

/// A Python service whose cache module imports watchdog inside `try:` with
/// `handler` as the `except ImportError:` body.
fn optional_watch(handler: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "app.py",
            "import cache\n\nif __name__ == '__main__':\n    cache.start('/data')\n".into(),
        ),
        (
            "cache.py",
            format!(
                "import os\n\ntry:\n    from watchdog.observers import Observer\n    ENABLED = True\nexcept ImportError:\n{handler}\n\n\ndef start(root):\n    observer = Observer()\n    observer.schedule(None, root, recursive=True)\n    os.system('sync')\n"
            ),
        ),
    ]
}

#[test]
fn an_import_whose_failure_is_caught_is_optional() {
    let report = scan(&optional_watch("    ENABLED = False"));
    assert_dev(
        &report,
        WATCH,
        &[
            ("cache.py", "from watchdog.observers import Observer"),
            ("cache.py", "observer.schedule("),
        ],
        Context::Optional,
    );
    let f = finding(&report, WATCH).unwrap();
    let reason = f.evidence[0].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("except ImportError` (line 6)"), "{reason}");
    // `os.system` names nothing the optional import binds: it still counts.
    assert_eq!(
        context_at(&report, "WF101", "cache.py", "os.system"),
        Context::Service
    );
    assert!(counted(&report, "WF101"));
}

#[test]
fn an_import_the_code_cannot_do_without_still_counts() {
    let report = scan(&optional_watch(
        "    raise SystemExit('pip install watchdog')",
    ));
    assert_runtime(
        &report,
        WATCH,
        &[
            ("cache.py", "from watchdog.observers import Observer"),
            ("cache.py", "observer.schedule("),
        ],
    );
}

/// A Node service that watches files from code that loads chokidar,
/// declared in `section` of its package.json, the way `load` says.
fn node_watch(section: &str, load: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "package.json",
            format!(
                "{{\n  \"name\": \"svc\",\n  \"main\": \"server.js\",\n  \"dependencies\": {{ \"express\": \"^4\" }},\n  \"{section}\": {{ \"chokidar\": \"^4\" }}\n}}\n"
            ),
        ),
        (
            "server.js",
            format!(
                "const express = require('express');\n{load}\nconst app = express();\nif (process.env.NODE_ENV === 'development') liveReload(app);\napp.listen(3000);\n"
            ),
        ),
    ]
}

const LAZY: &str = "async function liveReload(app) {\n  const chokidar = await import('chokidar');\n  chokidar.watch('views').on('change', () => app.emit('reload'));\n}";
const EAGER: &str = "const chokidar = require('chokidar');\nfunction liveReload(app) {\n  chokidar.watch('views').on('change', () => app.emit('reload'));\n}";

#[test]
fn a_dev_package_loaded_on_demand_is_development_code() {
    let report = scan(&node_watch("devDependencies", LAZY));
    assert_dev(
        &report,
        WATCH,
        &[
            ("server.js", "import('chokidar')"),
            ("server.js", "chokidar.watch("),
            ("package.json", "chokidar"),
        ],
        Context::Dev,
    );
    let f = finding(&report, WATCH).unwrap();
    let e = f
        .evidence
        .iter()
        .find(|e| e.at.path == "server.js")
        .unwrap();
    let reason = e.reason.as_deref().unwrap_or_default();
    assert!(reason.contains("only for development"), "{reason}");
}

#[test]
fn a_runtime_package_or_a_dev_one_loaded_at_start_counts() {
    // Declared for runtime: the code ships with it.
    let report = scan(&node_watch("dependencies", LAZY));
    assert_runtime(&report, WATCH, &[("server.js", "chokidar.watch(")]);
    // Loaded at start-up: the service cannot start without it, so whatever
    // the declaration says, it is installed or bundled where it runs.
    let report = scan(&node_watch("devDependencies", EAGER));
    assert_runtime(
        &report,
        WATCH,
        &[
            ("server.js", "require('chokidar')"),
            ("server.js", "chokidar.watch("),
        ],
    );
}

// ---- Code for one operating system ----

const FFI: &str = "WF603";
const SPAWN: &str = "WF101";

#[test]
fn a_branch_for_another_system_or_for_linux_alone_is_optional() {
    let py = "import sys\n\nif sys.platform == 'win32':\n    import ctypes\n    kernel32 = ctypes.WinDLL('kernel32')\nelse:\n    import fcntl\n\nif sys.platform == 'linux':\n    import ctypes\n    renameat2 = ctypes.CDLL(None).renameat2\n\nif __name__ == '__main__':\n    print('ok')\n";
    let js = "const { execSync } = require('child_process');\nfunction stop(pid) {\n  if (process.platform === 'win32') {\n    execSync('taskkill /pid ' + pid);\n  }\n}\nmodule.exports = stop;\n";
    let rs = "#[cfg(windows)]\nfn open(p: &str) {\n    std::process::Command::new(\"cmd\").arg(p).spawn().ok();\n}\n\nfn main() {}\n";
    let report = scan(&[
        ("app.py", py.into()),
        ("stop.js", js.into()),
        ("src/main.rs", rs.into()),
    ]);
    assert_eq!(
        context_at(&report, SPAWN, "src/main.rs", "Command::new"),
        Context::Optional
    );
    for what in ["WinDLL", "renameat2"] {
        assert_eq!(context_at(&report, FFI, "app.py", what), Context::Optional);
    }
    assert!(!counted(&report, FFI), "{:#?}", finding(&report, FFI));
    // The call; the require at the top stays the service's.
    assert_eq!(
        context_at(&report, SPAWN, "stop.js", "execSync('taskkill"),
        Context::Optional
    );
    let f = finding(&report, FFI).unwrap();
    let e = f
        .evidence
        .iter()
        .find(|e| e.at.snippet.contains("WinDLL"))
        .unwrap();
    assert!(
        e.reason
            .as_deref()
            .unwrap_or_default()
            .contains("only on win32"),
        "{e:#?}"
    );
}

#[test]
fn the_same_code_outside_a_platform_branch_counts() {
    // A Linux branch whose other path fails is the only path.
    let py = "import sys\n\nif sys.platform == 'linux':\n    import ctypes\n    renameat2 = ctypes.CDLL(None).renameat2\nelse:\n    raise RuntimeError('Linux only')\n\nif __name__ == '__main__':\n    print('ok')\n";
    let js = "const { execSync } = require('child_process');\nfunction stop(pid) {\n  if (process.platform !== 'win32') {\n    execSync('kill ' + pid);\n  }\n}\nmodule.exports = stop;\n";
    let report = scan(&[("app.py", py.into()), ("stop.js", js.into())]);
    assert_eq!(
        context_at(&report, FFI, "app.py", "renameat2"),
        Context::Service
    );
    assert!(counted(&report, FFI));
    assert_eq!(
        context_at(&report, SPAWN, "stop.js", "execSync('kill"),
        Context::Service
    );
    assert!(counted(&report, SPAWN));
}

// ---- Bad input ----

#[test]
fn broken_and_cyclic_locks_never_panic() {
    let cyclic = "version = 3\n\n[[package]]\nname = \"svc\"\nversion = \"0.1.0\"\ndependencies = [\"a\"]\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\ndependencies = [\"notify\"]\n\n[[package]]\nname = \"notify\"\nversion = \"6.0.0\"\nsource = \"registry+x\"\ndependencies = [\"a\", \"missing 9.9.9\"]\n";
    let report = scan(&[
        (
            "Cargo.toml",
            "[package]\nname = \"svc\"\n\n[dev-dependencies]\na = \"1\"\n".into(),
        ),
        ("Cargo.lock", cyclic.into()),
        (
            "yarn.lock",
            "a@^1:\n  dependencies:\n    a \"^1\"\n\"broken".into(),
        ),
        ("package.json", "{\"devDependencies\": {\"a\": ".into()),
        (
            "Gemfile.lock",
            "GEM\n  specs:\n      orphan-dep (1)\n".into(),
        ),
    ]);
    // Through a cycle, from a dev root only.
    assert_dev(&report, WATCH, &[("Cargo.lock", "notify")], Context::Dev);
    assert!(report.diagnostics.iter().any(|d| d.path == "package.json"));
}

// ---- Severity by what the code needs ----

/// A certificate watcher on the service's path is counted, but polling
/// replaces it: porting work (a major), not a reason to stay. A spawn
/// beside it still is one.
#[test]
fn a_reload_watcher_is_porting_work_a_spawn_is_not() {
    use wasmfit::model::score::Verdict;
    let go_mod =
        "module example.com/svc\n\ngo 1.22\n\nrequire github.com/fsnotify/fsnotify v1.7.0\n";
    let main = |import: &str, extra: &str| {
        format!(
            "package main\n\nimport (\n\t\"net/http\"\n{import}\n\t\"github.com/fsnotify/fsnotify\"\n)\n\nfunc main() {{\n\tw, _ := fsnotify.NewWatcher()\n\t_ = w.Add(\"/etc/certs\")\n{extra}\thttp.ListenAndServe(\":8080\", nil)\n}}\n"
        )
    };
    let report = scan(&[("go.mod", go_mod.into()), ("main.go", main("", ""))]);
    let f = finding(&report, WATCH).expect("WF505 fired");
    assert!(f.counted, "{f:#?}");
    assert_eq!(f.severity, Severity::Major);
    assert_eq!(report.verdict, Verdict::Porting, "{:#?}", report.scoring);
    let report = scan(&[
        ("go.mod", go_mod.into()),
        (
            "main.go",
            main(
                "\t\"os/exec\"",
                "\t_ = exec.Command(\"convert\", \"a.png\", \"b.jpg\").Run()\n",
            ),
        ),
    ]);
    assert!(counted(&report, "WF101"));
    assert_eq!(report.verdict, Verdict::Stay);
}
