//! Entry points that manifests, Procfiles and conventions declare, and the
//! import graph walked from them in each language, through a whole scan.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn scan(dir: &Path) -> Value {
    let out = Command::cargo_bin("wasmfit")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("scan")
        .arg(dir)
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// The contexts of the primary service's evidence in `path`.
fn contexts(r: &Value, path: &str) -> Vec<String> {
    let svc = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["primary"] == true)
        .unwrap();
    let mut v: Vec<String> = svc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap().clone())
        .filter(|e| e["path"] == path)
        .map(|e| e["context"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn entries(r: &Value) -> Vec<(String, String, bool)> {
    r["services"][0]["entry_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap_or("-").to_string(),
                e["main"].as_bool().unwrap(),
            )
        })
        .collect()
}

const SPAWN_JS: &str = "const { execFile } = require('child_process');\nmodule.exports = () => execFile('convert', ['a', 'b']);\n";

/// An image that runs the package's `start` script.
const NPM_START_IMAGE: &str =
    "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nCMD [\"npm\", \"start\"]\n";

#[test]
fn npm_start_in_the_image_runs_the_start_script() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "Dockerfile", NPM_START_IMAGE);
    write(
        d,
        "package.json",
        "{\n  \"name\": \"thumbs\",\n  \"scripts\": {\"start\": \"node src/server.js\"},\n  \"bin\": {\"seed\": \"cli/seed.js\"}\n}\n",
    );
    write(d, "src/server.js", "const t = require('./thumbs');\nt();\n");
    write(d, "src/thumbs.js", SPAWN_JS);
    write(d, "cli/seed.js", SPAWN_JS);
    write(d, "legacy/old.js", SPAWN_JS);
    let r = scan(d);
    // The image's `npm start` is the start script's file.
    assert_eq!(
        entries(&r),
        [
            ("package-script".into(), "src/server.js".into(), true),
            ("package-bin".into(), "cli/seed.js".into(), false),
        ]
    );
    assert_eq!(r["services"][0]["reachability"]["status"], "complete");
    assert_eq!(contexts(&r, "src/thumbs.js"), ["service"]);
    assert_eq!(contexts(&r, "cli/seed.js"), ["optional"]);
    assert_eq!(contexts(&r, "legacy/old.js"), ["unreachable"]);
    assert_eq!(r["verdict"], "stay", "{}", r["services"][0]);

    // When the image runs the seed tool instead, the server is the side.
    write(
        d,
        "Dockerfile",
        "FROM node:20-slim\nCOPY . .\nCMD [\"node\", \"cli/seed.js\"]\n",
    );
    write(d, "src/thumbs.js", "module.exports = () => 1;\n");
    let r = scan(d);
    assert_eq!(
        entries(&r)[1],
        ("package-script".into(), "src/server.js".into(), false)
    );
    assert_eq!(contexts(&r, "cli/seed.js"), ["service"]);
}

/// A package.json script other than `start` that runs a file of the tree
/// (`"check": "node bin/check-plugin.ts"`) is a side program: beside a
/// main path with a computed `require`, which leaves what it does not
/// reach undecided, the script's file is `optional`. With no main file (a
/// framework that loads files by convention) such scripts change nothing.
#[test]
fn other_package_scripts_are_side_programs_beside_a_main_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "Dockerfile", NPM_START_IMAGE);
    write(
        d,
        "package.json",
        "{\n  \"name\": \"pad\",\n  \"scripts\": {\n    \"start\": \"node src/server.js\",\n    \"check\": \"cross-env NODE_ENV=production node --import tsx bin/check-plugin.ts\",\n    \"build\": \"tsc -p .\",\n    \"cli\": \"node dist/cli.js\"\n  }\n}\n",
    );
    // A plugin loader: what it loads cannot be known.
    write(
        d,
        "src/server.js",
        "const name = process.env.PLUGIN;\nrequire(name);\n",
    );
    write(d, "bin/check-plugin.ts", SPAWN_JS);
    write(d, "src/plugins/export.js", SPAWN_JS);
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [
            ("package-script".into(), "src/server.js".into(), true),
            ("package-script".into(), "bin/check-plugin.ts".into(), false),
        ],
        "a build's `tsc` and a `dist/` file not built yet are no entry points, and no diagnostic"
    );
    assert_eq!(contexts(&r, "bin/check-plugin.ts"), ["optional"]);
    // What the loader may load is still judged.
    assert_eq!(contexts(&r, "src/plugins/export.js"), ["service"]);
    assert!(
        !r["diagnostics"].to_string().contains("dist/cli.js"),
        "{}",
        r["diagnostics"]
    );
    // The text report lists the main entry point first and says which are
    // side ones.
    let out = Command::cargo_bin("wasmfit")
        .unwrap()
        .env("NO_COLOR", "1")
        .arg("scan")
        .arg(d)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let main = text.find("      entry (package-script): src/server.js");
    let side = text.find("      side entry (package-script): bin/check-plugin.ts");
    assert!(
        matches!((main, side), (Some(m), Some(s)) if m < s),
        "{text}"
    );

    // A framework starts the service: no file is its main entry point, so
    // the script does not make the framework's files unreachable.
    write(
        d,
        "package.json",
        "{\n  \"name\": \"pad\",\n  \"scripts\": {\n    \"start\": \"next start\",\n    \"check\": \"node bin/check-plugin.ts\"\n  }\n}\n",
    );
    std::fs::remove_file(d.join("src/server.js")).unwrap();
    write(d, "src/lib/db.js", SPAWN_JS);
    let r = scan(d);
    assert!(
        !entries(&r).iter().any(|e| e.1 == "bin/check-plugin.ts"),
        "{:?}",
        entries(&r)
    );
    assert_eq!(contexts(&r, "src/lib/db.js"), ["service"]);
    assert_eq!(contexts(&r, "bin/check-plugin.ts"), ["service"]);
}

/// A pnpm monorepo whose image runs the root `start` script, which runs the
/// server package's `start:prod` (`node dist/main`, built from
/// `src/main.ts`).
#[test]
fn a_package_script_that_runs_another_packages_script_is_followed_to_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN pnpm build\nCMD [\"pnpm\", \"start\"]\n",
    );
    write(
        d,
        "package.json",
        "{\n  \"name\": \"mono\",\n  \"scripts\": {\n    \"build\": \"pnpm -r build\",\n    \"start\": \"pnpm --filter ./apps/server run start:prod\"\n  }\n}\n",
    );
    write(
        d,
        "apps/server/package.json",
        "{\n  \"name\": \"server\",\n  \"scripts\": {\n    \"start\": \"nest start\",\n    \"start:prod\": \"cross-env NODE_ENV=production node dist/main\"\n  }\n}\n",
    );
    write(
        d,
        "apps/server/src/main.ts",
        "import { thumbs } from './media';\nthumbs();\n",
    );
    write(
        d,
        "apps/server/src/media.ts",
        "import { spawn } from 'child_process';\nexport function thumbs() { spawn('convert', []); }\n",
    );
    write(
        d,
        "apps/server/src/legacy.ts",
        "import { spawn } from 'child_process';\nspawn('old', []);\n",
    );
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [(
            "package-script".into(),
            "apps/server/src/main.ts".into(),
            true
        )]
    );
    let named = &r["services"][0]["entry_points"][0]["declared_in"];
    assert_eq!(
        (named["path"].as_str(), named["line"].as_u64()),
        (Some("apps/server/package.json"), Some(5))
    );
    assert_eq!(contexts(&r, "apps/server/src/media.ts"), ["service"]);
    assert_eq!(contexts(&r, "apps/server/src/legacy.ts"), ["unreachable"]);

    // The same through yarn, selecting the package by its name; and an
    // image that runs a script no package holds falls back to the
    // manifests' own entry points, as before.
    write(
        d,
        "package.json",
        "{\"name\": \"mono\", \"scripts\": {\"start\": \"yarn workspace server start:prod\"}}\n",
    );
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [(
            "package-script".into(),
            "apps/server/src/main.ts".into(),
            true
        )]
    );
    write(
        d,
        "Dockerfile",
        "FROM node:20-slim\nCOPY . .\nCMD [\"npm\", \"run\", \"serve\"]\n",
    );
    let r = scan(d);
    assert_eq!(entries(&r)[0], ("dockerfile".into(), "-".into(), true));
    assert_eq!(contexts(&r, "apps/server/src/media.ts"), ["service"]);
}

#[test]
fn a_tree_with_python_scripts_is_a_program() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "pyproject.toml",
        "[project]\nname = \"shop\"\n[project.scripts]\nshop = \"shop.cli:main\"\n",
    );
    write(d, "src/shop/__init__.py", "");
    write(
        d,
        "src/shop/cli.py",
        "from .conv import run\n\ndef main():\n    run()\n",
    );
    write(
        d,
        "src/shop/conv.py",
        "import subprocess\n\ndef run():\n    subprocess.run(['ffmpeg'])\n",
    );
    let r = scan(d);
    let svc = &r["services"][0];
    assert_eq!(svc["kind"], "program", "{svc}");
    assert_eq!(
        entries(&r),
        [("python-script".into(), "src/shop/cli.py".into(), true)]
    );
    assert_eq!(contexts(&r, "src/shop/conv.py"), ["service"]);
    assert_eq!(r["runtime"]["primary"]["id"], "python");
    // The same tree without the scripts table is no program.
    write(d, "pyproject.toml", "[project]\nname = \"shop\"\n");
    let r = scan(d);
    assert_eq!(r["services"][0]["kind"], "tree");
}

#[test]
fn a_procfile_names_the_processes_and_what_they_do_not_reach_is_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Procfile",
        "web: gunicorn app:app --log-file -\nrelease: python migrate.py\n",
    );
    write(
        d,
        "app.py",
        "from flask import Flask\napp = Flask(__name__)\n",
    );
    write(d, "migrate.py", "print('migrating')\n");
    write(
        d,
        "batch/report.py",
        "import subprocess\nsubprocess.run(['wkhtmltopdf'])\n",
    );
    let r = scan(d);
    let svc = &r["services"][0];
    assert_eq!(svc["kind"], "process", "{svc}");
    assert_eq!(
        entries(&r),
        [
            ("procfile".into(), "app.py".into(), true),
            ("procfile".into(), "migrate.py".into(), false),
        ]
    );
    assert_eq!(contexts(&r, "batch/report.py"), ["unreachable"]);
    assert_eq!(r["verdict"], "good-fit");
    // A worker process that runs it makes it the service's.
    write(
        d,
        "Procfile",
        "web: gunicorn app:app\nworker: python batch/report.py\n",
    );
    let r = scan(d);
    assert_eq!(contexts(&r, "batch/report.py"), ["service"]);
    assert_eq!(r["verdict"], "stay");
}

#[test]
fn a_manifest_naming_a_missing_main_file_degrades_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM node:20-slim\nCOPY . .\nCMD [\"npm\", \"start\"]\n",
    );
    write(
        d,
        "package.json",
        "{\"name\": \"x\", \"scripts\": {\"start\": \"node server/index.js\"}}\n",
    );
    write(d, "lib/convert.js", SPAWN_JS);
    let r = scan(d);
    let svc = &r["services"][0];
    assert!(
        r["diagnostics"]
            .to_string()
            .contains("names `server/index.js` as an entry point"),
        "{}",
        r["diagnostics"]
    );
    assert!(
        svc["notes"].to_string().contains("no import graph"),
        "{svc}"
    );
    assert_eq!(svc["reachability"]["status"], "none");
    // Judged as without a graph: the spawn counts.
    assert_eq!(contexts(&r, "lib/convert.js"), ["service"]);
}

#[test]
fn rust_code_outside_the_module_tree_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n",
    );
    write(
        d,
        "Dockerfile",
        "FROM rust:1 AS b\nCOPY . .\nRUN cargo build --release\nFROM debian:12-slim\nCOPY --from=b /target/release/svc /svc\nENTRYPOINT [\"/svc\"]\n",
    );
    write(
        d,
        "src/main.rs",
        "mod api;\n\nfn main() {\n    api::serve();\n}\n",
    );
    write(
        d,
        "src/api.rs",
        "use std::process::Command;\n\npub fn serve() {\n    Command::new(\"convert\").status().ok();\n}\n",
    );
    write(
        d,
        "src/old.rs",
        "use std::process::Command;\n\npub fn gone() {\n    Command::new(\"rm\").status().ok();\n}\n",
    );
    let r = scan(d);
    assert_eq!(contexts(&r, "src/api.rs"), ["service"]);
    assert_eq!(contexts(&r, "src/old.rs"), ["unreachable"]);
}

#[test]
fn ruby_php_c_and_java_walk_their_imports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Ruby: a Rack app run by rackup.
    write(
        &d.join("rb"),
        "Dockerfile",
        "FROM ruby:3.3\nCOPY . .\nCMD [\"bundle\", \"exec\", \"rackup\", \"config.ru\"]\n",
    );
    write(
        &d.join("rb"),
        "config.ru",
        "require_relative 'app'\nrun App\n",
    );
    write(
        &d.join("rb"),
        "app.rb",
        "require 'shop/convert'\nclass App; end\n",
    );
    write(
        &d.join("rb"),
        "lib/shop/convert.rb",
        "def convert\n  system('convert', 'a', 'b')\nend\n",
    );
    write(
        &d.join("rb"),
        "lib/shop/old.rb",
        "def old\n  system('rm', 'x')\nend\n",
    );
    let r = scan(&d.join("rb"));
    assert_eq!(contexts(&r, "lib/shop/convert.rb"), ["service"]);
    assert_eq!(contexts(&r, "lib/shop/old.rb"), ["unreachable"]);

    // PHP: a front controller with literal includes.
    write(
        &d.join("php"),
        "Dockerfile",
        "FROM php:8.3-cli\nCOPY . /app\nCMD [\"php\", \"-S\", \"0.0.0.0:80\", \"public/index.php\"]\n",
    );
    write(
        &d.join("php"),
        "public/index.php",
        "<?php\nrequire_once __DIR__ . '/../lib/thumbs.php';\nthumbs();\n",
    );
    write(
        &d.join("php"),
        "lib/thumbs.php",
        "<?php\nfunction thumbs() { return shell_exec('convert a b'); }\n",
    );
    write(
        &d.join("php"),
        "lib/old.php",
        "<?php\nfunction old() { return shell_exec('rm x'); }\n",
    );
    let r = scan(&d.join("php"));
    assert_eq!(contexts(&r, "lib/thumbs.php"), ["service"]);
    assert_eq!(contexts(&r, "lib/old.php"), ["unreachable"]);

    // C: a header brings its source file.
    write(
        &d.join("c"),
        "Dockerfile",
        "FROM gcc:14 AS b\nCOPY . .\nRUN make\nFROM debian:12-slim\nCOPY --from=b /w /w\nENTRYPOINT [\"/w\"]\n",
    );
    write(
        &d.join("c"),
        "src/main.c",
        "#include \"run.h\"\n\nint main(void) {\n    return run_it();\n}\n",
    );
    write(&d.join("c"), "src/run.h", "int run_it(void);\n");
    write(
        &d.join("c"),
        "src/run.c",
        "#include <stdlib.h>\n#include \"run.h\"\n\nint run_it(void) {\n    return system(\"convert a b\");\n}\n",
    );
    write(
        &d.join("c"),
        "src/old.c",
        "#include <stdlib.h>\n\nint old(void) {\n    return system(\"rm x\");\n}\n",
    );
    let r = scan(&d.join("c"));
    assert_eq!(contexts(&r, "src/run.c"), ["service"]);
    assert_eq!(contexts(&r, "src/old.c"), ["unreachable"]);

    // Java: a Spring Boot application scans its packages; another
    // package's tool is not the service's.
    let j = d.join("java");
    write(
        &j,
        "pom.xml",
        "<project><build><plugins><plugin><artifactId>spring-boot-maven-plugin</artifactId></plugin></plugins></build></project>\n",
    );
    write(
        &j,
        "Dockerfile",
        "FROM maven:3-eclipse-temurin-21 AS b\nCOPY . .\nRUN mvn package\nFROM eclipse-temurin:21\nCOPY --from=b /target/app.jar /app.jar\nENTRYPOINT [\"java\", \"-jar\", \"/app.jar\"]\n",
    );
    let m = "src/main/java/com/acme";
    write(
        &j,
        &format!("{m}/App.java"),
        "package com.acme;\n\n@SpringBootApplication\npublic class App {\n    public static void main(String[] a) {}\n}\n",
    );
    write(
        &j,
        &format!("{m}/media/Convert.java"),
        "package com.acme.media;\n\npublic class Convert {\n    void go() throws Exception {\n        new ProcessBuilder(\"convert\").start();\n    }\n}\n",
    );
    write(
        &j,
        "src/main/java/org/tools/Migrate.java",
        "package org.tools;\n\npublic class Migrate {\n    void go() throws Exception {\n        new ProcessBuilder(\"rm\").start();\n    }\n}\n",
    );
    let r = scan(&j);
    assert_eq!(
        entries(&r)[1],
        ("spring-boot".into(), format!("{m}/App.java"), true)
    );
    assert_eq!(
        contexts(&r, &format!("{m}/media/Convert.java")),
        ["service"]
    );
    assert_eq!(
        contexts(&r, "src/main/java/org/tools/Migrate.java"),
        ["unreachable"]
    );
}

#[test]
fn elixir_and_csharp_walk_modules_and_namespaces() {
    let dir = tempfile::tempdir().unwrap();
    let ex = dir.path().join("ex");
    write(
        &ex,
        "mix.exs",
        "defmodule Shop.MixProject do\n  use Mix.Project\n  def application do\n    [mod: {Shop.Application, []}]\n  end\nend\n",
    );
    write(
        &ex,
        "Dockerfile",
        "FROM elixir:1.16 AS b\nCOPY . .\nRUN mix release\nFROM debian:12-slim\nCOPY --from=b /_build/prod/rel/shop /app\nCMD [\"/app/bin/shop\", \"start\"]\n",
    );
    write(
        &ex,
        "lib/shop/application.ex",
        "defmodule Shop.Application do\n  use Application\n  def start(_t, _a) do\n    Shop.Converter.warm()\n  end\nend\n",
    );
    write(
        &ex,
        "lib/shop/converter.ex",
        "defmodule Shop.Converter do\n  def warm, do: System.cmd(\"convert\", [\"a\", \"b\"])\nend\n",
    );
    write(
        &ex,
        "lib/shop/legacy.ex",
        "defmodule Shop.Legacy do\n  def gone, do: System.cmd(\"rm\", [\"x\"])\nend\n",
    );
    let r = scan(&ex);
    assert_eq!(
        entries(&r)[1],
        (
            "mix-application".into(),
            "lib/shop/application.ex".into(),
            true
        )
    );
    assert_eq!(contexts(&r, "lib/shop/converter.ex"), ["service"]);
    assert_eq!(contexts(&r, "lib/shop/legacy.ex"), ["unreachable"]);

    let cs = dir.path().join("cs");
    write(
        &cs,
        "Api.csproj",
        "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n  </PropertyGroup>\n</Project>\n",
    );
    write(
        &cs,
        "Dockerfile",
        "FROM mcr.microsoft.com/dotnet/sdk:8.0 AS b\nCOPY . .\nRUN dotnet publish -o /out\nFROM mcr.microsoft.com/dotnet/runtime:8.0\nCOPY --from=b /out /app\nENTRYPOINT [\"dotnet\", \"/app/Api.dll\"]\n",
    );
    write(&cs, "Program.cs", "using Shop.Media;\n\nConverter.Run();\n");
    write(
        &cs,
        "Media/Converter.cs",
        "using System.Diagnostics;\nnamespace Shop.Media;\n\npublic static class Converter {\n    public static void Run() { Process.Start(\"convert\"); }\n}\n",
    );
    write(
        &cs,
        "Jobs/Seed.cs",
        "using System.Diagnostics;\nnamespace Shop.Jobs;\n\npublic static class Seed {\n    public static void Run() { Process.Start(\"rm\"); }\n}\n",
    );
    let r = scan(&cs);
    assert_eq!(entries(&r)[1], ("dotnet".into(), "Program.cs".into(), true));
    assert_eq!(contexts(&r, "Media/Converter.cs"), ["service"]);
    assert_eq!(contexts(&r, "Jobs/Seed.cs"), ["unreachable"]);
}

#[test]
fn a_django_project_is_walked_through_its_settings_and_apps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /app\nWORKDIR /app\nCMD [\"gunicorn\", \"shop.wsgi:application\"]\n",
    );
    write(
        d,
        "shop/wsgi.py",
        "import os\nfrom django.core.wsgi import get_wsgi_application\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\napplication = get_wsgi_application()\n",
    );
    write(d, "shop/__init__.py", "");
    write(
        d,
        "shop/settings.py",
        "INSTALLED_APPS = [\n    \"django.contrib.admin\",\n    \"orders\",\n]\nROOT_URLCONF = \"shop.urls\"\n",
    );
    write(
        d,
        "shop/urls.py",
        "from django.urls import path\nfrom orders import views\nurlpatterns = [path(\"\", views.index)]\n",
    );
    write(d, "orders/__init__.py", "");
    write(
        d,
        "orders/views.py",
        "def index(request):\n    return None\n",
    );
    // Django imports an installed app's tasks module by convention.
    write(
        d,
        "orders/tasks.py",
        "import subprocess\n\ndef render(path):\n    subprocess.run([\"wkhtmltopdf\", path])\n",
    );
    // Nothing imports this one.
    write(
        d,
        "orders/legacy.py",
        "import subprocess\n\ndef old():\n    subprocess.run([\"convert\", \"a\", \"b\"])\n",
    );
    let r = scan(d);
    assert_eq!(contexts(&r, "orders/tasks.py"), ["service"], "{r}");
    assert_eq!(contexts(&r, "orders/legacy.py"), ["unreachable"]);
    // The settings module named only in the environment: the walk cannot
    // know the apps, so nothing is left out.
    write(
        d,
        "shop/wsgi.py",
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
    );
    let r = scan(d);
    assert_eq!(contexts(&r, "orders/legacy.py"), ["service"]);
}

#[test]
fn an_image_that_runs_a_start_up_script_is_followed_to_what_the_script_execs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /app\nWORKDIR /app\nENTRYPOINT [\"./boot.sh\"]\n",
    );
    write(
        d,
        "boot.sh",
        "#!/bin/sh\nset -e\n# exec python maintenance/dump.py\nflask db upgrade\nexec gosu app gunicorn -b :5000 shop.wsgi:app\n",
    );
    write(d, "shop/__init__.py", "");
    write(
        d,
        "shop/wsgi.py",
        "from flask import Flask\nfrom shop import views\napp = Flask(__name__)\n",
    );
    write(d, "shop/views.py", "def index():\n    return 'ok'\n");
    write(
        d,
        "maintenance/dump.py",
        "import subprocess\nsubprocess.run(['pg_dump'])\n",
    );
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [("wsgi".into(), "shop/wsgi.py".into(), true)],
        "{}",
        r["services"][0]
    );
    assert_eq!(
        r["services"][0]["entry_points"][0]["declared_in"]["path"],
        "boot.sh"
    );
    assert_eq!(contexts(&r, "maintenance/dump.py"), ["unreachable"]);
    assert_eq!(r["verdict"], "good-fit");
    // A script that execs nothing of the tree leaves the image's entry
    // point unresolved: the files that declare themselves entry points
    // are walked from, as without the script.
    write(
        d,
        "boot.sh",
        "#!/bin/sh\nexec /usr/local/bin/server \"$@\"\n",
    );
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [
            ("dockerfile".into(), "-".into(), true),
            ("wsgi".into(), "shop/wsgi.py".into(), true)
        ],
        "{}",
        r["services"][0]
    );
    assert_eq!(
        r["services"][0]["entry_points"][0]["declared_in"]["path"],
        "Dockerfile"
    );
}

#[test]
fn a_flask_cli_command_is_a_side_program_of_the_web_service() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /app\nCMD [\"gunicorn\", \"app:app\"]\n",
    );
    write(
        d,
        "app.py",
        "from flask import Flask\nimport cli\napp = Flask(__name__)\napp.register_blueprint(cli.bp)\n",
    );
    write(
        d,
        "cli.py",
        "import os\nimport click\nfrom flask import Blueprint\nbp = Blueprint('cli', __name__)\n\n@bp.cli.command('compile')\n@click.argument('lang')\ndef compile(lang):\n    if os.system('pybabel compile -d translations'):\n        raise RuntimeError('failed')\n",
    );
    let spawn = |r: &Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "WF101")
            .flat_map(|f| f["evidence"].as_array().unwrap().clone())
            .map(|e| e["context"].as_str().unwrap().to_string())
            .collect()
    };
    let r = scan(d);
    assert_eq!(spawn(&r), ["optional"], "{}", r["findings"]);
    assert_eq!(r["verdict"], "good-fit");
    // The same call on the request path is the service's.
    write(
        d,
        "cli.py",
        "import os\nfrom flask import Blueprint\nbp = Blueprint('cli', __name__)\n\n@bp.route('/compile')\ndef compile():\n    os.system('pybabel compile -d translations')\n    return 'ok'\n",
    );
    let r = scan(d);
    assert_eq!(spawn(&r), ["service"]);
    assert_eq!(r["verdict"], "stay");
}

#[test]
fn an_image_that_copies_a_prebuilt_binary_is_judged_by_the_program_it_is_built_from() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // `make` builds `app` from ./cmd before `docker build`; the image only
    // copies it, with a sample config no stage reads.
    write(
        d,
        "Dockerfile",
        "FROM alpine:3.20\nWORKDIR /app\nCOPY app .\nCOPY config.toml.sample config.toml\nCMD [\"./app\"]\n",
    );
    write(d, "config.toml.sample", "[app]\naddress = \":9000\"\n");
    write(d, "go.mod", "module github.com/acme/app\n\ngo 1.22\n");
    write(
        d,
        "cmd/main.go",
        "package main\n\nimport \"github.com/acme/app/internal/media\"\n\nfunc main() { media.Convert() }\n",
    );
    write(
        d,
        "internal/media/convert.go",
        "package media\n\nimport \"os/exec\"\n\nfunc Convert() { exec.Command(\"ffmpeg\").Run() }\n",
    );
    // A top-level dev directory: a compose file for local work that builds
    // a toolbox image, and a code generator.
    write(
        d,
        "dev/docker-compose.yml",
        "services:\n  front:\n    build:\n      context: ../\n      dockerfile: dev/app.Dockerfile\n    command: [\"make\", \"run-frontend\"]\n",
    );
    write(
        d,
        "dev/app.Dockerfile",
        "FROM golang:1.22\nWORKDIR /app\nCMD [\"sleep\", \"infinity\"]\n",
    );
    write(
        d,
        "dev/gen/gen.py",
        "import subprocess\nsubprocess.run(['gofmt', '-w', '.'])\n",
    );
    let r = scan(d);
    let services = r["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{}", r["services"]);
    assert_eq!(
        entries(&r),
        [
            ("dockerfile".into(), "-".into(), true),
            ("go-main".into(), "cmd/main.go".into(), true)
        ],
        "{}",
        r["services"][0]
    );
    let notes = r["services"][0]["notes"].to_string();
    assert!(
        notes.contains("`app` is not in the tree: a build output"),
        "{notes}"
    );
    // The sample config is in the tree, though nothing reads it.
    assert!(!notes.contains("config.toml.sample"), "{notes}");
    assert_eq!(contexts(&r, "internal/media/convert.go"), ["service"]);
    assert_eq!(contexts(&r, "dev/gen/gen.py"), ["dev"]);
    assert_eq!(r["verdict"], "stay");

    // The binary checked in beside the Dockerfile: no build output, and
    // the image's scope is what it copies.
    write(d, "app", "#!/bin/sh\nexec /usr/local/bin/server\n");
    let r = scan(d);
    let notes = r["services"][0]["notes"].to_string();
    assert!(!notes.contains("build output"), "{notes}");
}

#[test]
fn uwsgi_started_with_an_ini_file_serves_the_module_the_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim\nWORKDIR /opt/app\nCOPY . .\nCMD [\"uwsgi\", \"/opt/app/docker/uwsgi.ini\"]\n",
    );
    write(
        d,
        "docker/uwsgi.ini",
        "[uwsgi]\nchdir = /opt/app\nmodule = shop.wsgi:application\nprocesses = 4\n",
    );
    write(d, "shop/__init__.py", "");
    write(
        d,
        "shop/wsgi.py",
        "from shop import views\napplication = views.app\n",
    );
    write(d, "shop/views.py", "app = object()\n");
    write(
        d,
        "ops/backup.py",
        "import subprocess\nsubprocess.run(['pg_dump'])\n",
    );
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [("wsgi".into(), "shop/wsgi.py".into(), true)],
        "{}",
        r["services"][0]
    );
    assert_eq!(
        r["services"][0]["entry_points"][0]["declared_in"]["path"],
        "docker/uwsgi.ini"
    );
    assert_eq!(contexts(&r, "ops/backup.py"), ["unreachable"]);
    // An ini that loads the app from a placeholder names no file: the
    // image's entry stays unresolved, and the WSGI module that declares
    // itself is walked from instead.
    write(
        d,
        "docker/uwsgi.ini",
        "[uwsgi]\nmodule = %(project).wsgi:application\n",
    );
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [
            ("wsgi".into(), "-".into(), true),
            ("wsgi".into(), "shop/wsgi.py".into(), true)
        ],
        "{}",
        r["services"][0]
    );
    assert_eq!(
        r["services"][0]["entry_points"][1]["declared_in"]["path"],
        "shop/wsgi.py"
    );
}

#[test]
fn supervisord_runs_the_programs_its_configuration_lists() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim\nWORKDIR /opt/app\nCOPY app/ webapp\nCMD [\"/opt/app/webapp/start.sh\"]\n",
    );
    // The start-up script names the configuration through a variable.
    write(
        d,
        "app/start.sh",
        "#!/bin/sh\nCONF=/opt/app/webapp/etc/supervisord.conf\nexec /usr/bin/supervisord -c \"$CONF\"\n",
    );
    write(
        d,
        "app/etc/supervisord.conf",
        "[supervisord]\nnodaemon=true\n\n[program:nginx]\ncommand=/usr/sbin/nginx -c /opt/app/webapp/etc/nginx.conf\n\n[program:gunicorn]\ndirectory=/opt/app/webapp\ncommand=gunicorn -c /opt/app/webapp/gunicorn.conf.py core.wsgi\n",
    );
    write(d, "app/core/__init__.py", "");
    write(
        d,
        "app/core/wsgi.py",
        "from core import views\napplication = views.app\n",
    );
    write(d, "app/core/views.py", "app = object()\n");
    // A developer's launcher that declares itself a program: a side
    // entry point once the image's programs are known.
    write(
        d,
        "app/runserver.py",
        "import subprocess, sys\n\nif __name__ == '__main__':\n    subprocess.call([sys.executable, 'manage.py', 'runserver'])\n",
    );
    let r = scan(d);
    let main: Vec<_> = entries(&r).into_iter().filter(|e| e.2).collect();
    assert_eq!(
        main,
        [("wsgi".into(), "app/core/wsgi.py".into(), true)],
        "{}",
        r["services"][0]
    );
    let wsgi = r["services"][0]["entry_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "app/core/wsgi.py")
        .unwrap();
    assert_eq!(wsgi["declared_in"]["path"], "app/etc/supervisord.conf");
    assert_eq!(wsgi["declared_in"]["line"], 9);
    assert_eq!(contexts(&r, "app/runserver.py"), ["optional"]);
    // Without supervisord in the command, its configuration starts nothing
    // and every program that declares itself is a main entry point.
    write(
        d,
        "app/start.sh",
        "#!/bin/sh\nexec /usr/local/bin/other-init\n",
    );
    let r = scan(d);
    assert_eq!(contexts(&r, "app/runserver.py"), ["service"]);
}

/// `from . import (\n admin,\n users,\n)`: every module the list names is
/// imported, not only those on the statement's first line.
#[test]
fn a_parenthesised_python_import_list_reaches_every_module_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n",
    );
    write(d, "main.py", "from shop import routes\nroutes.mount()\n");
    write(d, "shop/__init__.py", "");
    write(
        d,
        "shop/routes/__init__.py",
        "from . import (\n    admin,  # the back office\n    users,\n)\n\ndef mount():\n    pass\n",
    );
    write(d, "shop/routes/admin.py", "x = 1\n");
    write(
        d,
        "shop/routes/users.py",
        "import subprocess\nsubprocess.run(['convert'])\n",
    );
    write(
        d,
        "shop/legacy.py",
        "import subprocess\nsubprocess.run(['old'])\n",
    );
    let r = scan(d);
    assert_eq!(contexts(&r, "shop/routes/users.py"), ["service"]);
    assert_eq!(contexts(&r, "shop/legacy.py"), ["unreachable"]);
}

/// `COPY docker/entry.sh $HOME_DIR/run.sh` in a stage that inherits
/// `ENV HOME_DIR="/app"` from the stage it is built on, then `ENTRYPOINT
/// ["/app/run.sh"]`: the image's run.sh is the tree's docker/entry.sh,
/// followed to the program it execs.
#[test]
fn an_image_path_a_file_was_copied_to_under_another_name_is_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "docker/Dockerfile",
        "FROM python:3.12-slim AS base\nENV HOME_DIR=\"/app\" PYTHONUNBUFFERED=1\n\
         FROM base AS production\nCOPY --chown=1000:1000 [\"app\", \"/app/app\"]\n\
         COPY ./docker/entry.sh $HOME_DIR/run.sh\nWORKDIR ${HOME_DIR}\nENTRYPOINT [\"/app/run.sh\"]\n",
    );
    write(
        d,
        "docker/entry.sh",
        "#!/bin/sh\nexec python /app/app/main.py\n",
    );
    write(d, "app/main.py", "from app import media\nmedia.run()\n");
    write(d, "app/__init__.py", "");
    write(
        d,
        "app/media.py",
        "import subprocess\ndef run():\n    subprocess.run(['convert'])\n",
    );
    write(
        d,
        "app/old.py",
        "import subprocess\nsubprocess.run(['old'])\n",
    );
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [("python-main".into(), "app/main.py".into(), true)],
        "{}",
        r["services"][0]
    );
    assert_eq!(contexts(&r, "app/media.py"), ["service"]);
    assert_eq!(contexts(&r, "app/old.py"), ["unreachable"]);
    // The same from the WORKDIR, `./run.sh`.
    write(
        d,
        "docker/Dockerfile",
        "FROM python:3.12-slim\nWORKDIR /srv\nCOPY app app\nCOPY docker/entry.sh run.sh\nCMD [\"./run.sh\"]\n",
    );
    write(d, "docker/entry.sh", "#!/bin/sh\nexec python app/main.py\n");
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [("python-main".into(), "app/main.py".into(), true)]
    );
}

/// What an image's HEALTHCHECK runs is listed as optional with the
/// instruction's place; the same code run by the service counts.
#[test]
fn a_health_check_script_is_the_runtimes_probe_not_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM node:20-slim\nWORKDIR /app\nCOPY . .\n\
         HEALTHCHECK --interval=60s CMD [\"node\", \"/app/extra/healthcheck.js\"]\n\
         CMD [\"node\", \"server.js\"]\n",
    );
    write(d, "server.js", "require('./media');\n");
    write(d, "media.js", "module.exports = 1;\n");
    write(d, "extra/healthcheck.js", SPAWN_JS);
    let r = scan(d);
    assert_eq!(contexts(&r, "extra/healthcheck.js"), ["optional"]);
    let svc = &r["services"][0];
    let reason = svc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap())
        .find(|e| e["path"] == "extra/healthcheck.js")
        .map(|e| e["reason"].as_str().unwrap_or("").to_string())
        .unwrap();
    assert!(reason.contains("HEALTHCHECK at Dockerfile:4"), "{reason}");
    assert_eq!(r["verdict"], "good-fit", "{svc}");
    // The same code in the service's own path counts.
    write(d, "media.js", SPAWN_JS);
    let r = scan(d);
    assert_eq!(contexts(&r, "media.js"), ["service"]);
    assert_eq!(r["verdict"], "stay");
}

/// A frontend (a Nuxt app, which could also serve itself) built by `yarn
/// build` in a `node` stage, whose output the Python service serves as
/// files: the frontend's Node packages run only
/// in the build. A Node image that ships the package keeps it counted.
#[test]
fn a_node_package_only_an_earlier_stage_builds_is_the_builds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM node:20 AS web\nWORKDIR /web\nCOPY frontend/package.json frontend/yarn.lock ./\n\
         RUN yarn install\nCOPY ./frontend .\nRUN yarn build\n\
         FROM python:3.12-slim\nCOPY app /app/app\nCOPY --from=web /web/dist /app/static\n\
         CMD [\"python\", \"/app/app/main.py\"]\n",
    );
    write(
        d,
        "frontend/package.json",
        "{\"name\": \"web\", \"scripts\": {\"build\": \"nuxt build\", \"start\": \"nuxt start\"}, \"dependencies\": {\"execa\": \"8.0.0\", \"nuxt\": \"3.0.0\"}}\n",
    );
    write(
        d,
        "frontend/yarn.lock",
        "execa@8.0.0:\n  version \"8.0.0\"\n",
    );
    write(d, "app/main.py", "print('hi')\n");
    let r = scan(d);
    assert_eq!(
        contexts(&r, "frontend/package.json"),
        ["build"],
        "{}",
        r["services"][0]
    );
    assert_eq!(r["verdict"], "good-fit", "{}", r["services"][0]);
    // Shipped by a Node image, it is the service's.
    write(
        d,
        "Dockerfile",
        "FROM node:20 AS web\nCOPY ./frontend /web\nRUN cd /web && yarn build\n\
         FROM node:20-slim\nCOPY --from=web /web /web\nCMD [\"node\", \"/web/server.js\"]\n",
    );
    let r = scan(d);
    assert_eq!(contexts(&r, "frontend/package.json"), ["service"]);
}

/// `COPY ./packages/api .` into the WORKDIR, then `CMD ["pnpm", "run",
/// "start:prod"]`: the command runs in that package, whose script names
/// the file.
#[test]
fn a_package_copied_into_the_workdir_is_where_the_images_command_runs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let dockerfile = |copy: &str| {
        format!(
            "FROM node:20 AS builder\nWORKDIR /usr/src/app\nCOPY pnpm-lock.yaml .\n{copy}\n\
             RUN pnpm i\nFROM builder AS prod\nCMD [\"pnpm\", \"run\", \"start:prod\"]\n"
        )
    };
    write(d, "Dockerfile", &dockerfile("COPY ./packages/api ."));
    write(d, "pnpm-lock.yaml", "lockfileVersion: '9.0'\n");
    write(
        d,
        "packages/api/package.json",
        "{\"name\": \"api\", \"scripts\": {\"start:prod\": \"node dist/main\"}}\n",
    );
    write(d, "packages/api/src/main.ts", "import './media';\n");
    write(d, "packages/api/src/media.ts", SPAWN_JS);
    write(d, "packages/api/src/old.ts", SPAWN_JS);
    let r = scan(d);
    assert_eq!(
        entries(&r),
        [(
            "package-script".into(),
            "packages/api/src/main.ts".into(),
            true
        )]
    );
    assert_eq!(contexts(&r, "packages/api/src/old.ts"), ["unreachable"]);
    // Copied somewhere else, the package is not where the command runs.
    write(d, "Dockerfile", &dockerfile("COPY ./packages/api /opt/api"));
    let r = scan(d);
    assert_eq!(entries(&r)[0], ("dockerfile".into(), "-".into(), true));
}

/// A Django service whose spawn sits in a function only the job queue's
/// task calls (through a service module the views import too), an image
/// whose last stage is a `-plus` variant adding a browser, and a management
/// command that imports by computed name.
#[test]
fn a_spawn_only_background_jobs_call_and_a_variant_stage_are_not_the_request_path() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim AS app\nCOPY . /app\nWORKDIR /app\nCMD [\"gunicorn\", \"shop.wsgi:application\"]\n\n\
         FROM app AS app-plus\nRUN apt-get update && apt-get install -y chromium\n",
    );
    write(
        d,
        "shop/wsgi.py",
        "import os\nfrom django.core.wsgi import get_wsgi_application\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\napplication = get_wsgi_application()\n",
    );
    write(
        d,
        "manage.py",
        "import os\nimport sys\n\ndef main():\n    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n\nif __name__ == \"__main__\":\n    main()\n",
    );
    write(d, "shop/__init__.py", "");
    write(
        d,
        "shop/settings.py",
        "INSTALLED_APPS = [\n    \"orders\",\n]\nROOT_URLCONF = \"shop.urls\"\n",
    );
    write(
        d,
        "shop/urls.py",
        "from django.urls import path\nfrom orders import views\nurlpatterns = [path(\"\", views.upload)]\n",
    );
    write(d, "orders/__init__.py", "");
    let views = |call: &str| {
        format!("from orders.services import assets as asset_actions\n\ndef upload(request):\n    asset_actions.{call}(request.asset)\n")
    };
    write(d, "orders/views.py", &views("upload"));
    write(d, "orders/services/__init__.py", "");
    write(
        d,
        "orders/services/snap.py",
        "import subprocess\n\ndef create(url, path):\n    subprocess.Popen([\"single-file\", url, path]).wait()\n",
    );
    write(
        d,
        "orders/services/assets.py",
        "from orders.services import snap\n\ndef _html(asset):\n    snap.create(asset.url, asset.path)\n\ndef create_snapshot(asset):\n    _html(asset)\n\ndef upload(asset):\n    asset.save()\n",
    );
    write(
        d,
        "orders/tasks.py",
        "from huey.contrib.djhuey import periodic_task\nfrom orders.services import assets\n\n@periodic_task()\ndef snapshots():\n    for a in pending():\n        assets.create_snapshot(a)\n",
    );
    write(d, "orders/management/__init__.py", "");
    write(d, "orders/management/commands/__init__.py", "");
    write(
        d,
        "orders/management/commands/replay.py",
        "import importlib\nfrom django.core.management.base import BaseCommand\n\nclass Command(BaseCommand):\n    def handle(self, name):\n        importlib.import_module(name).run()\n",
    );
    write(
        d,
        "orders/legacy.py",
        "import subprocess\n\ndef old():\n    subprocess.run([\"convert\", \"a\", \"b\"])\n",
    );
    let spawn = |r: &Value| -> Value {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule_id"] == "WF101")
            .cloned()
            .unwrap_or_else(|| panic!("no WF101: {r}"))
    };
    let reason = |f: &Value, path: &str, line: u64| -> String {
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == path && e["line"] == line)
            .and_then(|e| e["reason"].as_str())
            .unwrap_or("")
            .to_string()
    };
    let r = scan(d);
    let f = spawn(&r);
    assert_eq!(f["severity"], "major", "{}", f["evidence"]);
    assert_eq!(contexts(&r, "orders/services/snap.py"), ["service"]);
    let why = reason(&f, "orders/services/snap.py", 4);
    assert!(
        why.contains(
            "orders/tasks.py:7 -> orders/services/assets.py:7 -> orders/services/assets.py:4"
        ),
        "{why}"
    );
    let run_line = |f: &Value| -> String {
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == "Dockerfile" && e["line"] == 7)
            .map(|e| e["context"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(run_line(&f), "optional");
    assert!(reason(&f, "Dockerfile", 7).contains("variant of the runnable stage `app`"));
    assert_eq!(
        contexts(&r, "orders/legacy.py"),
        ["optional"],
        "{}",
        r["services"][0]["notes"]
    );
    assert_eq!(r["verdict"], "porting", "{}", r["scoring"]);

    // A compose service that builds the variant by name ships it.
    write(
        d,
        "compose.yaml",
        "services:\n  web:\n    build:\n      context: .\n      target: app-plus\n",
    );
    let r = scan(d);
    assert_eq!(run_line(&spawn(&r)), "service");
    std::fs::remove_file(d.join("compose.yaml")).unwrap();

    // A view that runs the snapshot itself puts the spawn on the request
    // path; a last stage with its own command is the image.
    write(d, "orders/views.py", &views("create_snapshot"));
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim AS app\nCOPY . /app\nWORKDIR /app\nCMD [\"gunicorn\", \"shop.wsgi:application\"]\n\n\
         FROM app AS app-plus\nRUN apt-get update && apt-get install -y chromium\nCMD [\"./start.sh\"]\n",
    );
    let r = scan(d);
    let f = spawn(&r);
    assert_eq!(f["severity"], "blocker", "{}", f["evidence"]);
    assert!(reason(&f, "orders/services/snap.py", 4).is_empty());
    assert_eq!(run_line(&f), "service");
    assert_eq!(r["verdict"], "stay");
}

/// An image that runs the program `go build` named for its package's
/// directory (`cmd/server` builds `server`) starts that package: what only
/// the other program of the tree reaches is a side program's.
#[test]
fn an_image_running_a_go_program_by_name_starts_the_package_of_that_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "go.mod", "module github.com/acme/links\n\ngo 1.22\n");
    write(
        d,
        "cmd/server/main.go",
        "package main\n\nimport \"net/http\"\n\nfunc main() { http.ListenAndServe(\":8080\", nil) }\n",
    );
    write(
        d,
        "cmd/admin/main.go",
        "package main\n\nimport \"os/exec\"\n\nfunc main() { exec.Command(\"pg_dump\").Run() }\n",
    );
    let dockerfile = |entry: &str| {
        format!("FROM golang:1.22 AS b\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/ ./cmd/...\nFROM alpine:3.20\nCOPY --from=b /out/ /usr/local/bin/\nENTRYPOINT [\"{entry}\"]\n")
    };
    write(d, "Dockerfile", &dockerfile("/usr/local/bin/server"));
    let r = scan(d);
    let main: Vec<(String, String, bool)> = entries(&r).into_iter().filter(|e| e.2).collect();
    assert_eq!(
        main,
        [("dockerfile".into(), "cmd/server/main.go".into(), true)],
        "{}",
        r["services"][0]
    );
    assert_eq!(contexts(&r, "cmd/admin/main.go"), ["optional"]);
    // A name no package has: the image's program is not placed.
    write(d, "Dockerfile", &dockerfile("/usr/local/bin/links"));
    let r = scan(d);
    assert!(
        entries(&r).contains(&("dockerfile".into(), "-".into(), true)),
        "{}",
        r["services"][0]
    );
}

/// A go.mod requirement that only a package no entry point reaches imports
/// (an end-to-end suite that drives a browser, in a package not named as
/// tests) is not in the binary the image runs; once the server imports
/// that package, it is.
#[test]
fn a_go_requirement_only_unreached_code_imports_is_not_the_services() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "go.mod",
        "module github.com/acme/auth\n\ngo 1.22\n\nrequire github.com/go-rod/rod v0.116.2\n",
    );
    let server = |import: &str, call: &str| {
        format!("package main\n\nimport (\n\t\"net/http\"\n{import})\n\nfunc main() {{\n{call}\thttp.ListenAndServe(\":8080\", nil)\n}}\n")
    };
    write(d, "cmd/auth/main.go", &server("", ""));
    write(
        d,
        "internal/suites/browser.go",
        "package suites\n\nimport \"github.com/go-rod/rod\"\n\nfunc Open() *rod.Browser { return rod.New().MustConnect() }\n",
    );
    write(
        d,
        "Dockerfile",
        "FROM golang:1.22 AS b\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/ ./cmd/...\nFROM alpine:3.20\nCOPY --from=b /out/ /usr/local/bin/\nENTRYPOINT [\"/usr/local/bin/auth\"]\n",
    );
    // The go.mod line's context, for the browser driver's rule.
    let required = |r: &Value| -> Vec<String> {
        r["services"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == "WF101")
            .flat_map(|f| f["evidence"].as_array().unwrap().clone())
            .filter(|e| e["path"] == "go.mod")
            .map(|e| e["context"].as_str().unwrap().to_string())
            .collect()
    };
    let r = scan(d);
    assert_eq!(required(&r), ["unreachable"], "{}", r["services"][0]);
    assert_eq!(contexts(&r, "internal/suites/browser.go"), ["unreachable"]);
    write(
        d,
        "cmd/auth/main.go",
        &server(
            "\t\"github.com/acme/auth/internal/suites\"\n",
            "\tsuites.Open()\n",
        ),
    );
    let r = scan(d);
    assert_eq!(required(&r), ["service"], "{}", r["services"][0]);
}

/// A pip-installed Django project: its console script is Django's command
/// line, and the web service is what a WSGI server loads from wsgi.py.
#[test]
fn a_django_console_script_is_a_side_program_beside_the_wsgi_module() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "pyproject.toml",
        "[project]\nname = \"shop\"\n[project.scripts]\nshop = \"shop.cli:main\"\n",
    );
    write(d, "shop/__init__.py", "");
    write(
        d,
        "shop/cli.py",
        "import os\nimport sys\n\n\ndef main():\n    os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\n    from django.core.management import execute_from_command_line\n    execute_from_command_line(sys.argv)\n",
    );
    write(
        d,
        "shop/settings.py",
        "INSTALLED_APPS = [\n    \"orders\",\n]\nROOT_URLCONF = \"shop.urls\"\n",
    );
    write(
        d,
        "shop/urls.py",
        "from orders import views\nurlpatterns = [views.index]\n",
    );
    write(d, "orders/__init__.py", "");
    write(
        d,
        "orders/views.py",
        "def index(request):\n    return None\n",
    );
    write(d, "orders/management/__init__.py", "");
    write(d, "orders/management/commands/__init__.py", "");
    write(
        d,
        "orders/management/commands/builddocs.py",
        "import subprocess\nfrom django.core.management.base import BaseCommand\n\nclass Command(BaseCommand):\n    def handle(self, *args, **kw):\n        subprocess.run([\"mkdocs\", \"build\"], check=True)\n",
    );
    let wsgi = "import os\nfrom django.core.wsgi import get_wsgi_application\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\napplication = get_wsgi_application()\n";
    write(d, "shop/wsgi.py", wsgi);
    let r = scan(d);
    let main: Vec<_> = entries(&r).into_iter().filter(|e| e.2).collect();
    assert_eq!(
        main,
        [("wsgi".into(), "shop/wsgi.py".into(), true)],
        "{}",
        r["services"][0]
    );
    assert_eq!(
        contexts(&r, "orders/management/commands/builddocs.py"),
        ["optional"]
    );
    // Without a WSGI module the command line is all there is to run: its
    // commands are the program's.
    std::fs::remove_file(d.join("shop/wsgi.py")).unwrap();
    let r = scan(d);
    assert_eq!(
        contexts(&r, "orders/management/commands/builddocs.py"),
        ["service"]
    );
}
