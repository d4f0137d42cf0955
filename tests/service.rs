//! The service model as users meet it: what is judged, what is not, and why.

use assert_cmd::Command;
use std::path::Path;

fn wasmfit() -> Command {
    let mut c = Command::cargo_bin("wasmfit").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn scan_json(dir: &Path, extra: &[&str]) -> (serde_json::Value, i32) {
    let out = wasmfit()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let v = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (v, code)
}

#[test]
fn an_empty_directory_is_unknown_not_a_good_fit() {
    let dir = tempfile::tempdir().unwrap();
    let (r, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(r["verdict"], "unknown");
    assert_eq!(r["score"], 0);
    let why = r["verdict_reason"].as_str().expect("reason");
    assert!(why.starts_with("no service code"), "{why}");
    assert_eq!(why.lines().count(), 1);
    assert_eq!(r["services"][0]["verdict"], "unknown");
}

#[test]
fn docs_and_tests_only_is_unknown_and_text_says_why() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", "# notes\n");
    write(
        dir.path(),
        "tests/test_x.py",
        "import subprocess\nsubprocess.run(['ls'])\n",
    );
    let (r, _) = scan_json(dir.path(), &[]);
    assert_eq!(r["verdict"], "unknown");
    let out = wasmfit().arg("scan").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("UNKNOWN"), "{text}");
    assert!(text.contains("why: no service code"), "{text}");
}

#[test]
fn service_code_is_judged_as_before() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", "print('hi')\n");
    let (r, _) = scan_json(dir.path(), &[]);
    assert_eq!(r["verdict"], "good-fit");
    assert!(r.get("verdict_reason").is_none());
}

#[test]
fn the_gate_fails_on_unknown_when_a_threshold_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let (_, code) = scan_json(dir.path(), &["--fail-on", "blocker"]);
    assert_eq!(code, 1);
    let (_, code) = scan_json(dir.path(), &["--fail-under", "10"]);
    assert_eq!(code, 1);
}

fn sample(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

#[test]
fn a_monorepo_has_a_verdict_per_service_and_neighbours() {
    let (r, code) = scan_json(&sample("monorepo-api-web"), &[]);
    assert_eq!(code, 0);
    let services = r["services"].as_array().unwrap();
    assert_eq!(service_names(&r), ["api", "web"]);
    let api = &services[0];
    assert_eq!(api["primary"], true);
    assert_eq!(api["kind"], "container");
    assert_eq!(api["dockerfile"], "api/Dockerfile");
    assert_eq!(api["entry_points"][0]["path"], "api/main.py");
    let neighbours: Vec<&str> = api["neighbours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(neighbours, ["proxy", "db"]);
    let proxy = &api["neighbours"][0];
    assert!(
        proxy["notes"].to_string().contains("Docker socket"),
        "{proxy}"
    );
    // The web service's findings hold nothing of the API's files.
    let web = &services[1];
    for f in web["findings"].as_array().unwrap() {
        for e in f["evidence"].as_array().unwrap() {
            assert!(!e["path"].as_str().unwrap().starts_with("api/"), "{e}");
        }
    }
    // Roles are listed once with their reason.
    let roles = r["roles"].to_string();
    assert!(
        roles.contains("packaging/") && roles.contains("e2e/"),
        "{roles}"
    );
}

#[test]
fn service_picks_one_and_an_unknown_name_is_exit_2() {
    let (r, _) = scan_json(&sample("monorepo-api-web"), &["--service", "web"]);
    assert_eq!(r["services"].as_array().unwrap().len(), 1);
    assert_eq!(r["services"][0]["name"], "web");
    assert_eq!(r["services"][0]["primary"], true);
    assert_eq!(r["verdict"], r["services"][0]["verdict"]);
    let out = wasmfit()
        .arg("scan")
        .arg(sample("monorepo-api-web"))
        .args(["--service", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--service nope") && err.contains("api, web"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn text_lists_services_and_neighbours() {
    let out = wasmfit()
        .arg("scan")
        .arg(sample("monorepo-api-web"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SERVICES (2)"), "{text}");
    assert!(text.contains("* api"), "{text}");
    assert!(text.contains("neighbour proxy (traefik:v3.1"), "{text}");
    assert!(text.contains("NOT THE SERVICE"), "{text}");
}

#[test]
fn a_compose_file_naming_a_missing_dockerfile_degrades_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  api:\n    build:\n      context: ./api\n      dockerfile: Dockerfile.prod\n  up:\n    build: ../elsewhere\n",
    );
    write(
        dir.path(),
        "api/app.py",
        "import subprocess\nsubprocess.run(['ls'])\n",
    );
    let (r, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0);
    let api = &r["services"][0];
    assert_eq!(api["name"], "api");
    assert!(api["notes"].to_string().contains("missing"), "{api}");
    // Judged on its whole build context: the spawn counts.
    assert_eq!(api["verdict"], "stay");
    let diags = r["diagnostics"].to_string();
    assert!(diags.contains("Dockerfile.prod"), "{diags}");
    assert!(diags.contains("outside the scanned tree"), "{diags}");
}

fn service_names(r: &serde_json::Value) -> Vec<&str> {
    r["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

#[test]
fn a_compose_build_inside_an_installed_package_is_not_a_service() {
    let dir = tempfile::tempdir().unwrap();
    // Laravel Sail: the compose file builds the package's runtime image.
    write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  laravel.test:\n    build:\n      context: ./vendor/laravel/sail/runtimes/8.4\n    image: sail-8.4/app\n  mariadb:\n    image: 'mariadb:10'\n",
    );
    write(
        dir.path(),
        "composer.json",
        r#"{"require": {"php": "^8.2", "laravel/framework": "^11.0"}}"#,
    );
    write(
        dir.path(),
        "docker/Dockerfile",
        "FROM php:8.3-apache\nCOPY . /var/www/html\n",
    );
    write(
        dir.path(),
        "public/index.php",
        "<?php\nrequire __DIR__.'/../app/Http/Kernel.php';\n",
    );
    write(
        dir.path(),
        "app/Http/Kernel.php",
        "<?php\nclass Kernel {}\n",
    );
    let (r, code) = scan_json(dir.path(), &[]);
    assert_eq!(code, 0);
    let names = service_names(&r);
    assert!(!names.contains(&"laravel.test"), "{names:?}");
    let diags = r["diagnostics"].to_string();
    assert!(diags.contains("inside an installed package"), "{diags}");
    // The same compose service building from the tree is the service.
    write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  laravel.test:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n",
    );
    let (r, _) = scan_json(dir.path(), &[]);
    let names = service_names(&r);
    assert!(
        names.contains(&"laravel.test"),
        "{names:?} {}",
        r["diagnostics"]
    );
}

#[test]
fn a_dockerfile_named_for_development_ships_when_compose_builds_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  app:\n    build:\n      context: .\n      dockerfile: Dockerfile.dev\n",
    );
    write(
        dir.path(),
        "Dockerfile.dev",
        "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y ffmpeg\nCOPY . /app\nCMD [\"python\", \"/app/app.py\"]\n",
    );
    write(dir.path(), "app.py", "print('hi')\n");
    let (r, _) = scan_json(dir.path(), &[]);
    let app = &r["services"][0];
    assert_eq!(app["dockerfile"], "Dockerfile.dev");
    assert!(
        app["notes"].to_string().contains("builds it, so it ships"),
        "{app}"
    );
    // Its installs are the service's again.
    let ctx: Vec<String> = app["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap().clone())
        .filter(|e| e["path"] == "Dockerfile.dev")
        .map(|e| e["context"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !ctx.is_empty() && ctx.iter().all(|c| c == "service"),
        "{ctx:?}"
    );
    // Without compose, the same file is a development image.
    std::fs::remove_file(dir.path().join("docker-compose.yml")).unwrap();
    let (r, _) = scan_json(dir.path(), &[]);
    assert!(
        r["roles"].to_string().contains("Dockerfile.dev"),
        "{}",
        r["roles"]
    );
}

#[test]
fn counted_evidence_carries_its_chain_in_json_and_sarif() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /srv\nCMD [\"python\", \"app.py\"]\n",
    );
    write(
        dir.path(),
        "app.py",
        "from media.convert import run\nrun()\n",
    );
    write(dir.path(), "media/__init__.py", "");
    write(
        dir.path(),
        "media/convert.py",
        "import subprocess\n\ndef run():\n    subprocess.run(['ffmpeg'])\n",
    );
    write(
        dir.path(),
        "media/unused.py",
        "import os\n\ndef go():\n    os.system('rm -rf /tmp/x')\n",
    );
    let (r, _) = scan_json(dir.path(), &[]);
    let svc = &r["services"][0];
    assert_eq!(
        svc["reachability"]["status"], "complete",
        "{}",
        svc["reachability"]
    );
    let ev: Vec<&serde_json::Value> = svc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap())
        .collect();
    let convert = ev
        .iter()
        .find(|e| e["path"] == "media/convert.py" && e["context"] == "service")
        .expect("convert.py counted");
    let chain: Vec<&str> = convert["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["path"].as_str().unwrap())
        .collect();
    assert_eq!(chain, ["app.py", "app.py"]);
    let unused = ev
        .iter()
        .find(|e| e["path"] == "media/unused.py")
        .expect("unused.py listed");
    assert_eq!(unused["context"], "unreachable");
    assert!(unused["reason"]
        .as_str()
        .unwrap()
        .contains("no entry point"));

    let out = wasmfit()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let with_flow = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.ends_with("media/convert.py"))
        })
        .expect("a result in convert.py");
    assert!(
        with_flow["relatedLocations"]
            .as_array()
            .is_some_and(|v| !v.is_empty()),
        "{with_flow}"
    );
}

#[test]
fn the_gate_names_the_service_that_failed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  api:\n    build: ./api\n  worker:\n    build: ./worker\n",
    );
    write(
        dir.path(),
        "api/Dockerfile",
        "FROM python:3.12-slim\nCOPY . /srv\nCMD [\"python\", \"app.py\"]\n",
    );
    write(dir.path(), "api/app.py", "print('ok')\n");
    write(
        dir.path(),
        "worker/Dockerfile",
        "FROM python:3.12-slim\nCOPY . /srv\nCMD [\"python\", \"run.py\"]\n",
    );
    write(
        dir.path(),
        "worker/run.py",
        "import subprocess\nsubprocess.run(['ffmpeg'])\n",
    );
    let out = wasmfit()
        .arg("scan")
        .arg(dir.path())
        .args(["--fail-on", "blocker"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("service worker:"), "{err}");
    assert!(!err.contains("service api:"), "{err}");
    // The API alone passes.
    let out = wasmfit()
        .arg("scan")
        .arg(dir.path())
        .args(["--fail-on", "blocker", "--service", "api"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ci_and_wrapper_evidence_says_why_it_is_not_counted() {
    let (r, _) = scan_json(&sample("jvm-mvnw-wrapper"), &[]);
    let ev: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap())
        .collect();
    let ci = ev
        .iter()
        .find(|e| e["path"].as_str().unwrap().starts_with(".github/"))
        .expect("CI evidence listed");
    assert_eq!(ci["context"], "ci");
    assert!(
        ci["reason"].as_str().unwrap().contains("CI configuration"),
        "{ci}"
    );
}

#[test]
fn the_runtime_is_the_entry_points_not_the_file_majority() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "go.mod",
        "module example.com/probe\n\ngo 1.22\n",
    );
    write(
        dir.path(),
        "main.go",
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n",
    );
    for i in 0..30 {
        write(
            dir.path(),
            &format!("include/bundled{i}.h"),
            "#define X 1\nint helper(void);\n",
        );
    }
    write(
        dir.path(),
        "Dockerfile",
        "FROM golang:1.22 AS build\nCOPY . .\nRUN go build -o /probe .\nFROM scratch\nCOPY --from=build /probe /probe\nENTRYPOINT [\"/probe\"]\n",
    );
    let (r, _) = scan_json(dir.path(), &[]);
    assert_eq!(r["runtime"]["primary"]["id"], "go", "{}", r["runtime"]);
}

#[test]
fn a_tree_of_only_examples_still_gets_its_runtime_but_no_verdict() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "examples/hello.py", "print('hello')\n");
    write(dir.path(), "examples/serve.py", "import http.server\n");
    let (r, _) = scan_json(dir.path(), &[]);
    assert_eq!(r["verdict"], "unknown");
    assert_eq!(r["runtime"]["primary"]["id"], "python", "{}", r["runtime"]);
    assert!(
        r["services"][0]["notes"]
            .to_string()
            .contains("examples and tests only"),
        "{}",
        r["services"][0]
    );
    assert_eq!(r["summary"]["counted"], serde_json::json!({}));
}

/// The findings of a JSON report with `rule`, and whether one is counted.
fn rule_finding<'a>(r: &'a serde_json::Value, rule: &str) -> Option<&'a serde_json::Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == rule)
}

#[test]
fn a_spawn_only_in_background_jobs_is_porting_work() {
    let app = |dir: &Path| {
        write(
            dir,
            "Gemfile",
            "source \"https://rubygems.org\"\ngem \"rails\"\n",
        );
        write(
            dir,
            "config.ru",
            "require_relative \"config/environment\"\nrun Rails.application\n",
        );
        write(
            dir,
            "app/jobs/backup_job.rb",
            "class BackupJob < ApplicationJob\n  def perform\n    system(\"restic\", \"backup\", \"/data\")\n  end\nend\n",
        );
    };
    let dir = tempfile::tempdir().unwrap();
    app(dir.path());
    let (r, _) = scan_json(dir.path(), &[]);
    let f = rule_finding(&r, "WF101").expect("WF101");
    assert_eq!(f["counted"], true, "{f}");
    assert_eq!(f["job_only"], true, "{f}");
    assert_eq!(f["severity"], "major", "{f}");
    assert_ne!(r["verdict"], "stay", "{}", r["scoring"]);
    // The text says why a spawn is listed as a major.
    let out = wasmfit().arg("scan").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("only background jobs use it"), "{text}");

    // The same call on the request path: the rule's blocker.
    let dir = tempfile::tempdir().unwrap();
    app(dir.path());
    write(
        dir.path(),
        "app/controllers/backups_controller.rb",
        "class BackupsController < ApplicationController\n  def create\n    system(\"restic\", \"backup\", \"/data\")\n  end\nend\n",
    );
    let (r, _) = scan_json(dir.path(), &[]);
    let f = rule_finding(&r, "WF101").expect("WF101");
    assert!(f.get("job_only").is_none(), "{f}");
    assert_eq!(f["severity"], "blocker", "{f}");
    assert_eq!(r["verdict"], "stay");
    let out = wasmfit().arg("scan").arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("only background jobs use it"), "{text}");
}

#[test]
fn a_frontend_bundled_for_the_browser_is_not_the_service() {
    // A .NET API with a Vite frontend whose dev-server helper spawns
    // `dotnet dev-certs`.
    let helper =
        "const spawn = require('child_process').spawn;\nspawn('dotnet', ['dev-certs', 'https']);\n";
    let tree = |dir: &Path, scripts: &str| {
        write(
            dir,
            "src/Web/Web.csproj",
            "<Project Sdk=\"Microsoft.NET.Sdk.Web\">\n  <PropertyGroup><OutputType>Exe</OutputType></PropertyGroup>\n</Project>\n",
        );
        write(
            dir,
            "src/Web/Program.cs",
            "var builder = WebApplication.CreateBuilder(args);\nvar app = builder.Build();\napp.Run();\n",
        );
        write(
            dir,
            "src/Web/ClientApp/package.json",
            &format!("{{\"name\": \"web\", \"scripts\": {scripts}}}"),
        );
        write(dir, "src/Web/ClientApp/aspnetcore-https.cjs", helper);
        write(
            dir,
            "src/Web/ClientApp/src/main.tsx",
            "import React from 'react';\n",
        );
    };
    let dir = tempfile::tempdir().unwrap();
    tree(
        dir.path(),
        r#"{"start": "vite", "build": "tsc && vite build"}"#,
    );
    let (r, _) = scan_json(dir.path(), &[]);
    let f = rule_finding(&r, "WF101").expect("WF101 is listed");
    assert_eq!(f["counted"], false, "{f}");
    assert_eq!(f["context"], "dev", "{f}");
    let e = &f["evidence"][0];
    assert!(
        e["reason"]
            .as_str()
            .unwrap_or("")
            .contains("frontend bundled for the browser"),
        "{e}"
    );
    assert!(
        r["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["path"] == "src/Web/ClientApp/"),
        "{}",
        r["roles"]
    );

    // A package that runs on Node (its start script is a server) is code
    // that ships: the same helper counts.
    let dir = tempfile::tempdir().unwrap();
    tree(
        dir.path(),
        r#"{"start": "node server.js", "build": "vite build"}"#,
    );
    write(
        dir.path(),
        "src/Web/ClientApp/server.js",
        "require('./aspnetcore-https.cjs');\n",
    );
    let (r, _) = scan_json(dir.path(), &[]);
    let f = rule_finding(&r, "WF101").expect("WF101");
    assert_eq!(f["context"], "service", "{f}");
    assert_eq!(f["counted"], true, "{f}");
}

/// The report of a scan of `dir` and its WF101 (spawn) finding.
fn spawn_finding(dir: &Path) -> (serde_json::Value, serde_json::Value) {
    let (r, _) = scan_json(dir, &[]);
    let f = rule_finding(&r, "WF101").expect("WF101").clone();
    (r, f)
}

/// A small PHP application: a front controller, a model whose SQL sits in
/// a nowdoc with backquoted names, and (optionally) an update controller.
fn php_app(dir: &Path, updater: &str) {
    write(
        dir,
        "index.php",
        "<?php\nrequire __DIR__ . '/app/Models/FeedDAO.php';\nrequire __DIR__ . '/app/Controllers/updateController.php';\n",
    );
    write(
        dir,
        "app/Models/FeedDAO.php",
        "<?php\nclass FeedDAO {\n    public function count(): string {\n        $sql = <<<'SQL'\nSELECT COUNT(*) FROM `_feed` f\nWHERE f.id IN (SELECT id_feed FROM `_entry`)\nSQL;\n        return $sql;\n    }\n}\n",
    );
    write(dir, "app/Controllers/updateController.php", updater);
}

#[test]
fn sql_in_a_php_heredoc_is_not_a_shell_command() {
    let dir = tempfile::tempdir().unwrap();
    php_app(dir.path(), "<?php\nclass UpdateController {}\n");
    let (r, _) = scan_json(dir.path(), &[]);
    assert!(rule_finding(&r, "WF101").is_none(), "{}", r["findings"]);
    assert_ne!(r["verdict"], "stay", "{}", r["scoring"]);
    // The backtick operator outside a heredoc still runs a command.
    write(
        dir.path(),
        "app/Models/FeedDAO.php",
        "<?php\nclass FeedDAO {\n    public function count(): string { return `wc -l /data/feeds`; }\n}\n",
    );
    let (_, f) = spawn_finding(dir.path());
    assert_eq!(f["counted"], true, "{f}");
}

#[test]
fn a_git_self_updater_is_optional_and_says_why() {
    let updater = "<?php\nclass UpdateController {\n    public static function isGit(): bool { return is_dir(APP_PATH . '/.git/'); }\n    public function apply(): void {\n        exec('git fetch --prune', $out, $rc);\n        exec('git reset --hard FETCH_HEAD', $out, $rc);\n    }\n}\n";
    let dir = tempfile::tempdir().unwrap();
    php_app(dir.path(), updater);
    let (r, f) = spawn_finding(dir.path());
    assert_eq!(f["counted"], false, "{f}");
    let e = &f["evidence"][0];
    assert_eq!(e["context"], "optional", "{e}");
    assert!(e["reason"].as_str().unwrap().contains("self-update"), "{e}");
    assert_ne!(r["verdict"], "stay", "{}", r["scoring"]);

    // The same controller running git on a repository it was given (no
    // check of its own `.git`): the service's own work, counted.
    let dir = tempfile::tempdir().unwrap();
    php_app(
        dir.path(),
        "<?php\nclass UpdateController {\n    public function apply(string $repo): void {\n        exec('git -C ' . escapeshellarg($repo) . ' fetch --prune', $out, $rc);\n    }\n}\n",
    );
    let (r, f) = spawn_finding(dir.path());
    assert_eq!(f["counted"], true, "{f}");
    assert_eq!(r["verdict"], "stay");
}

#[test]
fn packages_composer_installs_into_the_tree_are_vendored() {
    let tree = |dir: &Path, config: &str| {
        write(dir, "index.php", "<?php\nrequire __DIR__ . '/lib/Mini/App.php';\nrequire __DIR__ . '/lib/acme/mailer/src/Mailer.php';\n");
        write(
            dir,
            "lib/composer.json",
            &format!(r#"{{"require": {{"php": ">=8.1", "acme/mailer": "1.0"}}{config}}}"#),
        );
        write(dir, "lib/acme/mailer/src/Mailer.php", "<?php\nclass Mailer {\n    function send($m) { $p = popen('/usr/sbin/sendmail -t', 'w'); fwrite($p, $m); }\n}\n");
        write(dir, "lib/Mini/App.php", "<?php\nclass App {}\n");
    };
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), r#", "config": {"vendor-dir": "./"}"#);
    let (r, f) = spawn_finding(dir.path());
    assert_eq!(f["counted"], false, "{f}");
    let e = &f["evidence"][0];
    assert_eq!(e["context"], "vendored", "{e}");
    assert!(e["reason"].as_str().unwrap().contains("Composer"), "{e}");
    assert_ne!(r["verdict"], "stay", "{}", r["scoring"]);

    // Without the vendor-dir, lib/acme/ is the application's own code.
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "");
    let (_, f) = spawn_finding(dir.path());
    assert_eq!(f["counted"], true, "{f}");
}

#[test]
fn a_php_frameworks_console_commands_are_optional() {
    let tree = |dir: &Path, framework: &str| {
        write(
            dir,
            "composer.json",
            &format!(r#"{{"require": {{"php": ">=8.2", "{framework}": "^7.0"}}}}"#),
        );
        write(
            dir,
            "public/index.php",
            "<?php
use App\\Kernel;
require_once dirname(__DIR__).'/vendor/autoload_runtime.php';
return fn (array $context) => new Kernel($context['APP_ENV'], (bool) $context['APP_DEBUG']);
",
        );
        write(
            dir,
            "src/Kernel.php",
            "<?php
namespace App;
class Kernel {}
",
        );
        write(
            dir,
            "src/Command/PluginCommand.php",
            "<?php
namespace App\\Command;

use Symfony\\Component\\Console\\Command\\Command;
use Symfony\\Component\\Process\\Process;

final class PluginCommand extends Command
{
    protected function install(): int
    {
        $p = new Process(['composer', 'install']);
        return $p->run();
    }
}
",
        );
    };
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "symfony/framework-bundle");
    let (_, f) = spawn_finding(dir.path());
    assert_eq!(f["counted"], false, "{f}");
    let e = &f["evidence"][0];
    assert_eq!(e["context"], "optional", "{e}");
    assert!(
        e["reason"].as_str().unwrap().contains("console command"),
        "{e}"
    );
    // A tree that requires no framework with a command line: src/Command/
    // is the application's own code.
    let dir = tempfile::tempdir().unwrap();
    tree(dir.path(), "slim/slim");
    let (_, f) = spawn_finding(dir.path());
    assert_eq!(f["counted"], true, "{f}");
}

/// A Django-style service whose only spawn sits behind a setting the
/// settings module leaves off, or leaves on.
fn switched_service(dir: &Path, default: &str) {
    write(
        dir,
        "app/settings.py",
        &format!("DEBUG = False\nSHELL_ENABLED = envbool(\"SHELL_ENABLED\", \"{default}\")\n"),
    );
    write(
        dir,
        "app/shell.py",
        "import os\nfrom django.conf import settings\n\n\
         def notify(cmd):\n    if not settings.SHELL_ENABLED:\n        raise RuntimeError(\"off\")\n\n    \
         return os.system(cmd)\n",
    );
    write(
        dir,
        "main.py",
        "import app.shell\n\nif __name__ == \"__main__\":\n    app.shell.notify(\"true\")\n",
    );
}

/// The spawn's one piece of evidence and the verdict, for a default.
fn spawn_behind_switch(default: &str) -> (serde_json::Value, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    switched_service(dir.path(), default);
    let (r, _) = scan_json(dir.path(), &[]);
    let ev: Vec<serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "WF101")
        .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(ev.len(), 1, "{r:#}");
    (ev[0].clone(), r["verdict"].clone())
}

#[test]
fn a_spawn_behind_a_setting_that_defaults_off_is_optional() {
    let (ev, verdict) = spawn_behind_switch("False");
    assert_eq!(ev["context"], "optional");
    let why = ev["reason"].as_str().unwrap_or("");
    assert!(
        why.contains("SHELL_ENABLED is on (app/shell.py:5)") && why.contains("app/settings.py:2"),
        "{why}"
    );
    assert_eq!(verdict, "good-fit");
}

#[test]
fn a_spawn_behind_a_setting_that_defaults_on_still_counts() {
    let (ev, verdict) = spawn_behind_switch("True");
    assert_eq!(ev["context"], "service");
    assert_eq!(verdict, "stay");
}

#[test]
fn a_chain_step_a_framework_makes_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "shop/wsgi.py",
        "import os\nfrom django.core.wsgi import get_wsgi_application\n\
         os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\n\
         application = get_wsgi_application()\n",
    );
    write(d, "shop/__init__.py", "");
    write(
        d,
        "shop/settings.py",
        "INSTALLED_APPS = [\n    \"orders\",\n]\n",
    );
    write(d, "orders/__init__.py", "");
    write(
        d,
        "orders/models.py",
        "import subprocess\nsubprocess.run([\"convert\"])\n",
    );
    write(
        d,
        "Dockerfile",
        "FROM python:3.12\nCOPY . /app\nCMD [\"gunicorn\", \"shop.wsgi\"]\n",
    );
    let out = wasmfit().arg("scan").arg(d).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "reached: shop/wsgi.py -> shop/wsgi.py (shop.settings) -> shop/settings.py (INSTALLED_APPS) -> here"
        ),
        "{text}"
    );
}

/// A lone image that copies part of the tree: the admin scripts it leaves
/// out do not ship, while the requirements file beside the code it copies
/// is still that code's dependency list (the image installs it elsewhere,
/// in a builder image). An image that copies no code says nothing about
/// which code ships, and the tree is judged as before.
#[test]
fn a_lone_image_ships_what_it_copies_and_the_dependencies_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "container/entry.sh",
        "#!/bin/sh\nexec python -m app.main\n",
    );
    write(
        d,
        "app/main.py",
        "import threading\nthreading.Thread(target=print).start()\n",
    );
    write(d, "app/__init__.py", "");
    write(d, "requirements.txt", "lxml==5.0\n");
    write(
        d,
        "utils/admin.py",
        "import subprocess\nsubprocess.run(['systemctl', 'restart', 'app'])\n",
    );
    // The WF101 finding and the report, with this Dockerfile.
    let with_image = |dockerfile: &str| {
        write(d, "container/Dockerfile", dockerfile);
        let (r, _) = scan_json(d, &[]);
        let spawn = rule_finding(&r, "WF101").expect("WF101 listed").clone();
        (spawn, r)
    };
    let (spawn, r) = with_image(
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY ./app/ ./app/\nCOPY ./container/entry.sh /entry.sh\nENTRYPOINT [\"/entry.sh\"]\n",
    );
    assert_eq!(spawn["counted"], false, "{spawn}");
    assert_eq!(spawn["evidence"][0]["context"], "unreachable");
    let native = rule_finding(&r, "WF604").expect("WF604");
    assert_eq!(native["counted"], true, "{native}");
    assert_eq!(native["evidence"][0]["path"], "requirements.txt");
    // An image that also copies a program built before it (`out/server`,
    // not in the tree): which code that program is made from is unknown.
    let (spawn, _) = with_image(
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY ./app/ ./app/\nCOPY ./app/out/server /usr/local/bin/server\nENTRYPOINT [\"/usr/local/bin/server\"]\n",
    );
    assert_eq!(spawn["counted"], true, "{spawn}");
    // The same tree with an image that installs a released package and
    // copies no code: nothing says utils/ does not ship.
    let (spawn, _) = with_image(
        "FROM python:3.12-slim\nRUN pip install app==1.0\nCOPY ./container/entry.sh /entry.sh\nENTRYPOINT [\"/entry.sh\"]\n",
    );
    assert_eq!(spawn["counted"], true, "{spawn}");
}

/// Two compose services build one Dockerfile (a demo worker first, the
/// server second): the unit takes the name of the one named like the tree,
/// and its command; with no such service, the first one's.
#[test]
fn a_shared_image_is_the_service_named_like_the_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("monitor");
    write(
        &d,
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"-m\", \"monitor\"]\n",
    );
    write(&d, "monitor/__main__.py", "print('serving')\n");
    write(
        &d,
        "examples/tasks.py",
        "def add(a, b):\n    return a + b\n",
    );
    let compose = |second: &str| {
        format!("services:\n  worker:\n    build: ./\n    command: python examples/tasks.py\n  {second}:\n    build: ./\n    command: python -m monitor\n    ports:\n      - 5555:5555\n")
    };
    let names = |r: &serde_json::Value| -> Vec<String> {
        r["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    write(&d, "docker-compose.yml", &compose("monitor"));
    let (r, _) = scan_json(&d, &[]);
    assert_eq!(names(&r), ["monitor"], "{}", r["services"]);
    write(&d, "docker-compose.yml", &compose("web"));
    let (r, _) = scan_json(&d, &[]);
    assert_eq!(names(&r), ["worker"], "{}", r["services"]);
}
