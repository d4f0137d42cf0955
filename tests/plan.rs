//! `wasmfit plan`: the plan of every sample, its files validated by the
//! parsers and schemas of the tools that read them (wit-parser, Kubernetes,
//! Spin, wadm), the CLI's refusals, and the sandboxed try-build.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wasmfit::model::plan::{BuildStatus, Plan, StepKind};
use wasmfit::model::score::Verdict;
use wasmfit::model::target::Target;
use wasmfit::model::Report;
use wasmfit::plan::Options;
use wasmfit::rules::RuleSet;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().unwrap())
}

fn scan(dir: &Path) -> Report {
    wasmfit::scan::scan(dir, &Default::default(), rules(), &|_, _| {}).unwrap()
}

fn sample(name: &str) -> Report {
    static CACHE: OnceLock<std::sync::Mutex<std::collections::HashMap<String, Report>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.lock().unwrap().get(name) {
        return r.clone();
    }
    let r = scan(&repo().join("samples").join(name));
    cache.lock().unwrap().insert(name.to_string(), r.clone());
    r
}

fn samples() -> Vec<String> {
    support::sample_names_with_expectations()
}

fn plan(name: &str, platform: Target, force: bool) -> Plan {
    let opts = Options {
        platform,
        force,
        ..Default::default()
    };
    wasmfit::plan::build(&sample(name), rules(), &opts).unwrap()
}

fn file<'a>(p: &'a Plan, path: &str) -> Option<&'a str> {
    p.files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.content.as_str())
}

fn validator(path: &str) -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join(path)).unwrap()).unwrap();
    jsonschema::options().build(&schema).unwrap()
}

fn violations(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"))
}

/// The WIT parses; a world of WASI 0.2 interfaces only also resolves
/// against the vendored WASI definitions (wit/README.md).
fn check_wit(name: &str, wit: &str) -> Result<(), String> {
    wit_parser::UnresolvedPackageGroup::parse(format!("{name}.wit"), wit)
        .map_err(|(_, e)| format!("{name}: WIT does not parse: {e}\n{wit}"))?;
    if wit.contains("-draft") {
        return Ok(());
    }
    // The world and the WASI packages as `--try-build` writes them for
    // componentize-py.
    let dir = tempfile::tempdir().unwrap();
    wasmfit::plan::wasi_wit::write(dir.path(), "world", wit).unwrap();
    let mut resolve = wit_parser::Resolve::default();
    let (pkg, _) = resolve
        .push_dir(dir.path())
        .map_err(|e| format!("{name}: WIT does not resolve against WASI 0.2: {e:#}\n{wit}"))?;
    resolve
        .select_world(&[pkg], None)
        .map_err(|e| format!("{name}: no world: {e:#}"))?;
    Ok(())
}

/// Every file of a deployable plan, validated by its reader.
fn check_files(name: &str, p: &Plan) -> Vec<String> {
    let mut failures = Vec::new();
    let wit_path = format!("wit/{}.wit", p.world.name);
    match file(p, &wit_path) {
        Some(w) => {
            if let Err(e) = check_wit(name, w) {
                failures.push(e);
            }
        }
        None => failures.push(format!("{name}: no {wit_path}")),
    }
    let spin = file(p, "spin.toml").expect("spin.toml");
    let spin: Value = match toml::from_str::<toml::Value>(spin) {
        Ok(v) => serde_json::to_value(v).unwrap(),
        Err(e) => {
            failures.push(format!("{name}: spin.toml: {e}"));
            Value::Null
        }
    };
    for e in violations(
        &validator("tests/data/schemas/spin-manifest-v2.minimal.schema.json"),
        &spin,
    ) {
        failures.push(format!("{name}: spin.toml: {e}"));
    }
    let wadm = yaml(file(p, "wadm.yaml").expect("wadm.yaml"));
    for e in violations(&validator("tests/data/schemas/wadm-oam.schema.json"), &wadm) {
        failures.push(format!("{name}: wadm.yaml: {e}"));
    }
    let rc = yaml(file(p, "k8s/runtimeclass.yaml").expect("runtimeclass"));
    for e in violations(
        &validator("tests/data/schemas/k8s-runtimeclass.minimal.schema.json"),
        &rc,
    ) {
        failures.push(format!("{name}: runtimeclass.yaml: {e}"));
    }
    let dep = yaml(file(p, "k8s/deployment.yaml").expect("deployment"));
    for e in violations(
        &validator("tests/data/schemas/k8s-deployment.minimal.schema.json"),
        &dep,
    ) {
        failures.push(format!("{name}: deployment.yaml: {e}"));
    }
    // The Deployment schedules on the RuntimeClass written beside it.
    if dep["spec"]["template"]["spec"]["runtimeClassName"] != rc["metadata"]["name"] {
        failures.push(format!(
            "{name}: runtimeClassName is not the RuntimeClass's name"
        ));
    }
    if dep["spec"]["selector"]["matchLabels"] != dep["spec"]["template"]["metadata"]["labels"] {
        failures.push(format!(
            "{name}: the selector does not select the pod template"
        ));
    }
    let serves = p
        .world
        .exports
        .iter()
        .any(|e| e.starts_with("wasi:http/incoming-handler"));
    match (serves, file(p, "k8s/service.yaml")) {
        (true, Some(s)) => {
            let svc = yaml(s);
            for e in violations(
                &validator("tests/data/schemas/k8s-service.minimal.schema.json"),
                &svc,
            ) {
                failures.push(format!("{name}: service.yaml: {e}"));
            }
            let port =
                &dep["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"];
            if &svc["spec"]["ports"][0]["targetPort"] != port {
                failures.push(format!(
                    "{name}: the Service does not target the container's port"
                ));
            }
        }
        (true, None) => failures.push(format!("{name}: serves HTTP but has no Service")),
        (false, Some(_)) => failures.push(format!(
            "{name}: a Service for a service that serves no HTTP"
        )),
        (false, None) => {}
    }
    failures
}

#[test]
fn every_fitting_sample_gets_files_that_their_readers_accept() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in samples() {
        let r = sample(&name);
        if !matches!(r.verdict, Verdict::GoodFit | Verdict::Porting) {
            continue;
        }
        for platform in [
            Target::Wasmtime,
            Target::Spin,
            Target::Wasmcloud,
            Target::Runwasi,
        ] {
            let p = plan(&name, platform, false);
            assert!(
                p.deployable,
                "{name}: a {} verdict is deployable",
                r.verdict.id()
            );
            failures.extend(check_files(&format!("{name} ({platform})"), &p));
        }
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} samples fit");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reports_with_a_plan_validate_against_the_published_schema() {
    let v = validator("schema/report.schema.json");
    let mut failures = Vec::new();
    for name in samples() {
        let mut r = sample(&name);
        r.plan = wasmfit::plan::build(
            &r,
            rules(),
            &Options {
                force: true,
                ..Default::default()
            },
        )
        .ok();
        let json: Value = serde_json::to_value(&r).unwrap();
        failures.extend(
            violations(&v, &json)
                .into_iter()
                .map(|e| format!("{name}: {e}")),
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_http_service_exports_the_handler_and_lets_the_host_own_the_listener() {
    let p = plan("rust-http-service", Target::Runwasi, false);
    assert_eq!(p.world.exports, vec!["wasi:http/incoming-handler@0.2.0"]);
    assert!(
        !p.world
            .imports
            .iter()
            .any(|i| i.starts_with("wasi:sockets")),
        "the HTTP export replaces the listener: {:?}",
        p.world.imports
    );
    // WF701 (its own TcpListener) becomes a step that hands the listener to the host.
    let wf701 = p
        .steps
        .iter()
        .find(|s| s.rule_id.as_deref() == Some("WF701"))
        .unwrap();
    assert_eq!(wf701.wasi, "wasi:http/incoming-handler");
    // EXPOSE and ENV of the shipping stage are carried over.
    assert_eq!(p.grants.port, Some(8080));
    assert!(p
        .grants
        .env
        .iter()
        .any(|v| v.name == "RUST_LOG" && v.value == "info"));
    assert!(p
        .grants
        .wasmtime
        .contains(&"--env RUST_LOG=info".to_string()));
    // The build step names the target and comes last.
    let last = p.steps.last().unwrap();
    assert_eq!(last.kind, StepKind::Build);
    assert!(p.build.target.starts_with("wasm32-wasip2"));
    // USER has no counterpart; EXPOSE, ENV and ENTRYPOINT are carried over.
    let listed: Vec<&str> = p
        .dockerfile
        .iter()
        .map(|l| l.instruction.as_str())
        .collect();
    assert!(listed.iter().any(|i| i.starts_with("USER")), "{listed:?}");
    assert!(!listed
        .iter()
        .any(|i| i.starts_with("EXPOSE") || i.starts_with("ENTRYPOINT")));
    assert!(p
        .commands
        .iter()
        .any(|c| c.starts_with("wkg oci push localhost:5000/flagd-lite")
            || c.starts_with("wkg oci push")));
    assert!(p.commands.iter().any(|c| c.starts_with("cosign sign")));
}

#[test]
fn a_stay_verdict_says_what_comes_first_and_writes_no_artefacts() {
    for name in ["python-flask-ffmpeg", "c-inotify-daemon"] {
        let p = plan(name, Target::Wasmtime, false);
        assert_eq!(p.verdict, Verdict::Stay);
        assert!(!p.deployable && p.files.is_empty(), "{name}");
        assert!(
            !p.blocked_by.is_empty(),
            "{name}: what would have to change first"
        );
        assert!(p.notes.iter().any(|n| n.contains("--force")));
        let forced = plan(name, Target::Wasmtime, true);
        assert!(forced.deployable && !forced.files.is_empty());
    }
    // The ffmpeg subprocess is the blocker, and it moves out of the component.
    let p = plan("python-flask-ffmpeg", Target::Wasmtime, false);
    assert!(
        p.blocked_by
            .iter()
            .any(|s| s.rule_id.as_deref() == Some("WF101") && s.kind == StepKind::Extract),
        "{:#?}",
        p.blocked_by
    );
}

#[test]
fn a_service_with_no_verdict_has_no_plan() {
    let mut r = sample("go-http-api");
    for s in &mut r.services {
        s.verdict = Verdict::Unknown;
        s.verdict_reason = Some("no service code".into());
    }
    let e = wasmfit::plan::build(&r, rules(), &Options::default()).unwrap_err();
    assert!(
        e.to_string().contains("has no verdict: no service code"),
        "{e}"
    );
}

#[test]
fn dependencies_with_a_known_replacement_become_swaps() {
    // Every swap names its package and the knowledge base's replacement.
    let mut swaps = 0;
    for name in samples() {
        let p = plan(&name, Target::Wasmtime, true);
        for s in p.steps.iter().filter(|s| s.kind == StepKind::Swap) {
            let pkg = s.what.split(" (").next().unwrap();
            let known = rules().packages.iter().find(|k| k.name == pkg).unwrap();
            assert_eq!(Some(&s.with), known.replacement.as_ref(), "{name}: {pkg}");
            swaps += 1;
        }
    }
    assert!(swaps > 0, "no sample has a dependency with a replacement");
}

#[test]
fn plan_text_snapshots() {
    for name in ["rust-http-service", "go-http-api", "python-flask-ffmpeg"] {
        let mut r = sample(name);
        r.root = format!("samples/{name}");
        let p = wasmfit::plan::build(&r, rules(), &Options::default()).unwrap();
        let mut s = String::new();
        wasmfit::report::plan::text(&mut s, &p);
        insta::assert_snapshot!(format!("plan_text_{name}"), s);
        if p.deployable {
            insta::assert_snapshot!(format!("plan_wit_{name}"), p.world.wit.clone());
            insta::assert_snapshot!(
                format!("plan_deployment_{name}"),
                file(&p, "k8s/deployment.yaml").unwrap().to_string()
            );
            insta::assert_snapshot!(
                format!("plan_spin_{name}"),
                file(&p, "spin.toml").unwrap().to_string()
            );
        }
    }
}

#[test]
fn hostile_names_and_values_stay_inside_their_strings() {
    let dir = tempfile::tempdir().unwrap();
    let svc = dir.path().join("evil\"\n: x");
    std::fs::create_dir_all(&svc).unwrap();
    std::fs::write(
        svc.join("Dockerfile"),
        "FROM scratch\nCOPY . /app\nENV A=\"x\\\"\\n---\\nkind: Secret\" B='#{{ }}'\nEXPOSE 9000\nENTRYPOINT [\"/app\"]\n",
    )
    .unwrap();
    std::fs::write(svc.join("main.rs"), "fn main() { println!(\"hi\"); }\n").unwrap();
    std::fs::write(
        svc.join("Cargo.toml"),
        "[package]\nname = \"evil\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    let r = scan(&svc);
    let p = wasmfit::plan::build(
        &r,
        rules(),
        &Options {
            force: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(p
        .world
        .name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    let dep = yaml(file(&p, "k8s/deployment.yaml").unwrap());
    let env = &dep["spec"]["template"]["spec"]["containers"][0]["env"];
    assert!(env.as_array().is_some_and(|a| !a.is_empty()), "{dep}");
    // One document: a value cannot open a second one.
    assert!(!file(&p, "k8s/deployment.yaml").unwrap().contains("\n---\n"));
    let _: toml::Value = toml::from_str(file(&p, "spin.toml").unwrap()).unwrap();
    check_wit("evil", &p.world.wit).unwrap();
}

// --- the command line ---

fn wasmfit() -> Command {
    let mut c = Command::cargo_bin("wasmfit").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn sample_path(name: &str) -> PathBuf {
    repo().join("samples").join(name)
}

#[test]
fn plan_writes_its_files_and_refuses_a_dir_that_is_not_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deploy");
    wasmfit()
        .args(["plan", "-q", "--platform", "runwasi", "--out"])
        .arg(&out)
        .arg(sample_path("rust-http-service"))
        .assert()
        .success()
        .stdout(predicates::str::contains("MIGRATION PLAN"));
    for f in [
        "spin.toml",
        "wadm.yaml",
        "k8s/runtimeclass.yaml",
        "k8s/deployment.yaml",
        "k8s/service.yaml",
        "commands.sh",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let wit: Vec<_> = std::fs::read_dir(out.join("wit"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(wit.len(), 1);
    // A second run must not overwrite silently.
    std::fs::write(out.join("mine.txt"), "keep").unwrap();
    wasmfit()
        .args(["plan", "-q", "--out"])
        .arg(&out)
        .arg(sample_path("rust-http-service"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("not empty"));
    wasmfit()
        .args(["plan", "-q", "--force", "--out"])
        .arg(&out)
        .arg(sample_path("rust-http-service"))
        .assert()
        .success();
    assert_eq!(
        std::fs::read_to_string(out.join("mine.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn plan_refuses_what_it_cannot_plan() {
    // No such service.
    wasmfit()
        .args(["plan", "-q", "--service", "nope"])
        .arg(sample_path("go-http-api"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no service named `nope`"));
    // Nothing to build: no code, no runtime.
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("README.md"), "# docs only\n").unwrap();
    wasmfit()
        .args(["plan", "-q"])
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no service code"));
    // A stay verdict writes nothing without --force.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deploy");
    wasmfit()
        .args(["plan", "-q", "--out"])
        .arg(&out)
        .arg(sample_path("python-flask-ffmpeg"))
        .assert()
        .success()
        .stderr(predicates::str::contains("no deployment artefacts"));
    assert!(!out.exists());
    // --out is a file.
    let f = tmp.path().join("file");
    std::fs::write(&f, "x").unwrap();
    wasmfit()
        .args(["plan", "-q", "--out"])
        .arg(&f)
        .arg(sample_path("go-http-api"))
        .assert()
        .code(2);
}

#[test]
fn scan_reports_carry_the_plan_in_every_format() {
    for (format, marker) in [
        ("text", "MIGRATION PLAN"),
        ("markdown", "#### Migration plan"),
        ("html", "id=\"plan\""),
        ("json", "\"plan\":"),
    ] {
        wasmfit()
            .args(["scan", "-q", "-f", format])
            .arg(sample_path("go-http-api"))
            .assert()
            .success()
            .stdout(predicates::str::contains(marker));
    }
}

#[test]
fn try_build_is_documented_as_running_code() {
    let help = wasmfit().args(["plan", "--help"]).assert().success();
    let text = String::from_utf8_lossy(&help.get_output().stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("RUNS CODE FROM THE SCANNED TREE"), "{text}");
    wasmfit()
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains("try-build").not());
}

use predicates::prelude::PredicateBooleanExt;

/// Whether the try-build sandbox can start. Unprivileged user namespaces are
/// a kernel setting, not a tool CI installs, so tests that need them are
/// "not applicable" where they are off, never a CI failure.
fn unshare_works() -> bool {
    std::process::Command::new("unshare")
        .args(["-rn", "--", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether cargo and the wasm32-wasip2 target are installed; skips visibly
/// when not.
fn cargo_wasip2_or_skip(test: &str) -> bool {
    if support::which(&["cargo"]).is_none() {
        support::skip(test, "cargo");
        return false;
    }
    if !support::rust_target("wasm32-wasip2") {
        support::skip(test, "rustup target add wasm32-wasip2");
        return false;
    }
    true
}

/// The start of every container test: they list every try-build container
/// on the engine, so they run one at a time (the harness runs tests in
/// parallel); `None` (with one skip line, for the first thing missing)
/// when there is no engine, or no cargo with wasm32-wasip2 when the test
/// builds Rust.
fn container_test(test: &str, builds_rust: bool) -> Option<std::sync::MutexGuard<'static, ()>> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if !docker_or_skip(test) || (builds_rust && !cargo_wasip2_or_skip(test)) {
        return None;
    }
    Some(guard)
}

/// Whether a Docker engine answers; skips visibly when not.
fn docker_or_skip(test: &str) -> bool {
    if support::docker_available() {
        return true;
    }
    support::skip(test, support::DOCKER_WHY);
    false
}

/// `unshare_works`, or says the test is not applicable here.
fn sandbox_or_skip(test: &str) -> bool {
    if unshare_works() {
        return true;
    }
    support::not_applicable(
        test,
        "unshare -rn (unprivileged user namespaces) is not available",
    );
    false
}

/// `wasmfit plan -q --try-build --timeout 600 -f json ARGS... PATH`, which
/// must exit 0; returns the plan's `try_build` and the whole report.
fn try_build(path: &Path, args: &[&str]) -> (Value, Value) {
    let assert = wasmfit()
        .args([
            "plan",
            "-q",
            "--try-build",
            "--timeout",
            "600",
            "-f",
            "json",
        ])
        .args(args)
        .arg(path)
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    (r["plan"]["try_build"].clone(), r)
}

#[test]
fn try_build_builds_the_c_sample_and_checks_the_world() {
    let test = "try_build_builds_the_c_sample_and_checks_the_world";
    require_tool!(
        test,
        &["clang", "clang-19"],
        "a clang with the wasm32-wasi target and a WASI sysroot"
    );
    if !sandbox_or_skip(test) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deploy");
    let (t, _) = try_build(
        &sample_path("bench-stdio-c"),
        &["--out", out.to_str().unwrap()],
    );
    assert_eq!(t["status"], "built", "{t:#}");
    assert!(t["command"]
        .as_str()
        .unwrap()
        .starts_with("unshare -rn -- "));
    let artifact = PathBuf::from(t["artifact"].as_str().unwrap());
    assert!(artifact.starts_with(&out) && artifact.is_file());
}

#[test]
fn try_build_of_the_go_sample_runs_offline_in_the_sandbox() {
    let test = "try_build_of_the_go_sample_runs_offline_in_the_sandbox";
    let Some(go) = support::which(&["go", "tinygo"]).or_else(support::go) else {
        support::skip(test, "Go 1.21+ or TinyGo on PATH (or in /usr/lib/go-*/bin)");
        return;
    };
    if !sandbox_or_skip(test) {
        return;
    }
    let path = format!(
        "{}:{}",
        go.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let assert = wasmfit()
        .env("PATH", path)
        .args([
            "plan",
            "-q",
            "--try-build",
            "--timeout",
            "600",
            "-f",
            "json",
        ])
        .arg(sample_path("go-http-api"))
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let t = &r["plan"]["try_build"];
    assert_eq!(t["status"], "built", "{t:#}");
    if support::which(&["tinygo"]).is_none() {
        // Upstream Go builds a preview 1 core module, which cannot export
        // the HTTP handler the world asks for: the plan says so.
        let outside = t["outside_world"].to_string();
        assert!(
            outside.contains("preview 1 core module") && outside.contains("incoming-handler"),
            "{t:#}"
        );
    }
}

#[test]
fn a_build_that_hangs_is_killed_at_the_time_limit_and_reported() {
    let test = "a_build_that_hangs_is_killed_at_the_time_limit_and_reported";
    require_tool!(test, &["cargo"], "cargo");
    if !sandbox_or_skip(test) {
        return;
    }
    let has_target = std::process::Command::new("rustc")
        .args(["--print", "target-libdir", "--target", "wasm32-wasip2"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && Path::new(String::from_utf8_lossy(&o.stdout).trim()).is_dir()
        });
    if !has_target {
        support::skip(test, "rustup target add wasm32-wasip2");
        return;
    }
    let started = std::time::Instant::now();
    let assert = wasmfit()
        .args(["plan", "-q", "--try-build", "--timeout", "20", "-f", "json"])
        .arg(repo().join("tests/data/plan/hanging-build"))
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(
        r["plan"]["try_build"]["status"], "timed-out",
        "{:#}",
        r["plan"]["try_build"]
    );
    // Killed, with every process of its group: the command returns soon after the limit.
    assert!(started.elapsed() < std::time::Duration::from_secs(90));
}

#[test]
fn try_build_without_the_toolchain_names_what_to_install() {
    // A Python service: componentize-py is not on this PATH.
    let tmp = tempfile::tempdir().unwrap();
    if !unshare_works() {
        support::not_applicable(
            "try_build_without_the_toolchain_names_what_to_install",
            "unshare -rn is not available",
        );
        return;
    }
    wasmfit()
        .env("PATH", tmp.path())
        .args(["plan", "-q", "--try-build"])
        .arg(sample_path("python-flask-ffmpeg"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("componentize-py"));
}

#[test]
fn try_build_statuses_are_the_documented_ids() {
    for (s, id) in [
        (BuildStatus::Built, "built"),
        (BuildStatus::Failed, "failed"),
        (BuildStatus::TimedOut, "timed-out"),
        (BuildStatus::Interrupted, "interrupted"),
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), Value::from(id));
    }
}

/// Processes whose command line mentions `needle` (Linux /proc).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

#[test]
fn a_signal_during_try_build_kills_the_build_and_removes_the_copy() {
    let test = "a_signal_during_try_build_kills_the_build_and_removes_the_copy";
    require_tool!(test, &["cargo"], "cargo");
    if !unshare_works() || !Path::new("/proc/self/cmdline").exists() {
        support::not_applicable(test, "unshare -rn or /proc is not available");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("wasmfit");
    let mut child = std::process::Command::new(bin)
        .env("TMPDIR", tmp.path())
        .args(["plan", "-q", "--try-build", "--timeout", "120"])
        .arg(repo().join("tests/data/plan/hanging-build"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the build script to be running in the copy.
    let needle = tmp.path().display().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while !processes_mentioning(&needle)
        .iter()
        .any(|c| c.contains("build-script-build"))
    {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            support::skip(
                test,
                "the build script did not start within 90 s (no wasm32-wasip2 target?)",
            );
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "128 + SIGTERM");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        processes_mentioning(&needle),
        Vec::<String>::new(),
        "the build's processes were killed"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "the temporary copy was removed: {left:?}");
}

#[test]
fn try_build_of_a_rust_command_stays_inside_its_world() {
    let test = "try_build_of_a_rust_command_stays_inside_its_world";
    if !cargo_wasip2_or_skip(test) || !sandbox_or_skip(test) {
        return;
    }
    let (t, _) = try_build(&sample_path("bench-stdio-rust"), &[]);
    if t["status"] == "failed"
        && t["errors"].as_array().is_some_and(|e| {
            !e.is_empty()
                && e.iter()
                    .all(|x| x["new"] != true && x["confirms"].is_null())
        })
    {
        // serde not in the local cargo cache: the sandbox is offline.
        support::skip(
            test,
            "the sample's dependencies are not in the local cargo cache",
        );
        return;
    }
    assert_eq!(t["status"], "built", "{t:#}");
    assert_eq!(
        t["outside_world"],
        Value::Null,
        "the component imports only what the world grants: {t:#}"
    );
}

#[test]
fn compose_ports_environment_health_and_limits_are_carried_over() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shortlink");
    std::fs::create_dir_all(&root).unwrap();
    let write = |name: &str, text: &str| std::fs::write(root.join(name), text).unwrap();
    write("go.mod", "module example.com/shortlink\n\ngo 1.22\n");
    write(
        "main.go",
        "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {})\n\thttp.ListenAndServe(\":9000\", nil)\n}\n",
    );
    write("Dockerfile", "FROM golang:1.22 AS build\nCOPY . .\nRUN go build -o /app .\n\nFROM scratch\nCOPY --from=build /app /app\nENV MODE=prod LEVEL=debug\nENTRYPOINT [\"/app\"]\n");
    write(
        "docker-compose.yml",
        "services:\n  web:\n    build: .\n    ports:\n      - \"8081:9000\"\n    environment:\n      LEVEL: info\n      REGION: eu-west-1\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:9000/health\"]\n    deploy:\n      resources:\n        limits:\n          cpus: \"0.25\"\n          memory: 64M\n  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_PASSWORD=not-ours\n    ports:\n      - \"5432:5432\"\n",
    );
    let r = scan(&root);
    let p = wasmfit::plan::build(&r, rules(), &Options::default()).unwrap();
    assert_eq!(
        p.grants.port,
        Some(9000),
        "the compose port stands in for EXPOSE"
    );
    let env: Vec<(&str, &str)> = p
        .grants
        .env
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_str()))
        .collect();
    assert_eq!(
        env,
        vec![("MODE", "prod"), ("LEVEL", "info"), ("REGION", "eu-west-1")],
        "compose overrides ENV; the neighbour's is not ours"
    );
    let dep = yaml(file(&p, "k8s/deployment.yaml").unwrap());
    let c = &dep["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/health");
    assert_eq!(c["resources"]["limits"]["cpu"], "250m");
    assert_eq!(c["resources"]["limits"]["memory"], "64Mi");
    assert!(violations(
        &validator("tests/data/schemas/k8s-deployment.minimal.schema.json"),
        &dep
    )
    .is_empty());
}

#[test]
fn an_http_client_imports_the_outgoing_handler_and_lists_its_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("svc");
    std::fs::create_dir_all(&root).unwrap();
    let write = |name: &str, text: &str| std::fs::write(root.join(name), text).unwrap();
    write(
        "app.py",
        "import requests\nfrom flask import Flask\n\napp = Flask(__name__)\n\n@app.route(\"/\")\ndef index():\n    return requests.get(\"https://api.example.com/v1/items\", timeout=5).text\n",
    );
    write("requirements.txt", "flask==3.0.0\nrequests==2.32.0\n");
    write(
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /app\nENV UPSTREAM=https://auth.example.org:8443/token\nEXPOSE 5000\nCMD [\"python\", \"/app/app.py\"]\n",
    );
    let p = wasmfit::plan::build(&scan(&root), rules(), &Options::default()).unwrap();
    assert!(
        p.world
            .imports
            .contains(&"wasi:http/outgoing-handler@0.2.0".to_string()),
        "{:?}",
        p.world.imports
    );
    assert_eq!(
        p.grants.allowed_outbound_hosts,
        vec!["https://api.example.com", "https://auth.example.org:8443"]
    );
    assert!(p.grants.wasmtime.contains(&"-S http".to_string()));
    // `requests` -> wasi:http/outgoing-handler, as a step and as a swap.
    assert!(p
        .steps
        .iter()
        .any(|s| s.kind == StepKind::Replace && s.wasi == "wasi:http/outgoing-handler"));
    assert!(p
        .steps
        .iter()
        .any(|s| s.kind == StepKind::Swap && s.what.starts_with("requests")));
    check_wit("svc", &p.world.wit).unwrap();
    let spin: toml::Value = toml::from_str(file(&p, "spin.toml").unwrap()).unwrap();
    assert_eq!(
        spin["component"]["svc"]["allowed_outbound_hosts"]
            .as_array()
            .map(|a| a.len()),
        Some(2)
    );
}

// --- issue 12, item 4: from a scan to a component that answers HTTP ---

/// Whether this test binary's wasmfit embeds wasmtime (the `bench`
/// feature), which serving a component needs.
fn serves_wasm(test: &str) -> bool {
    if !wasmfit::bench::WASM_ENABLED {
        support::skip(
            test,
            "serving the component needs the embedded wasmtime (cargo test --features bench)",
        );
        return false;
    }
    true
}

/// `wasmfit bench FILE --sides wasm`, the command `--try-build` hands the
/// component to, with a real request and a check of every answer: a
/// failed check is a failed bench (exit 2). Returns the results.
fn bench_wasm(wasm: &Path, cache: &Path, request: &str, expect: &str) -> Value {
    let req = cache.join("request.http");
    std::fs::create_dir_all(cache).unwrap();
    std::fs::write(&req, request).unwrap();
    let assert = wasmfit()
        .arg("bench")
        .arg(wasm)
        .args([
            "--sides",
            "wasm",
            "--workload",
            "http",
            "--expect",
            expect,
            "--cold-runs",
            "1",
            "--request-runs",
            "3",
            "--runs",
            "1",
            "--duration",
            "200ms",
            "--warmup",
            "100ms",
            "--connections",
            "1",
            "--wasm-density-max",
            "4",
            "--density-budget",
            "64MiB",
            "--format",
            "json",
            "-q",
            "--request",
        ])
        .arg(&req)
        .arg("--cache-dir")
        .arg(cache)
        .timeout(std::time::Duration::from_secs(600))
        .assert();
    let out = assert.get_output();
    assert!(
        out.status.success(),
        "wasmfit bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Serves the AOT-compiled component with the bench's Wasm host process
/// (as `wasmtime serve`) and sends it one request over a loopback socket;
/// returns the raw response.
fn one_request(cwasm: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("wasmfit"))
        .args([
            "__bench-helper",
            "wasm",
            "http",
            cwasm,
            "--kind",
            "component",
        ])
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _host = Kill(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut stream = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(e) if std::time::Instant::now() > deadline => {
                panic!("the host never listened: {e}")
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    };
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// The Deployment in `out` schedules on the RuntimeClass beside it, and
/// both validate against the vendored Kubernetes schemas.
fn check_k8s(out: &Path) {
    let read = |f: &str| yaml(&std::fs::read_to_string(out.join(f)).unwrap());
    let rc = read("k8s/runtimeclass.yaml");
    let dep = read("k8s/deployment.yaml");
    let name = rc["metadata"]["name"].as_str().unwrap();
    assert!(!name.is_empty());
    assert_eq!(dep["spec"]["template"]["spec"]["runtimeClassName"], name);
    for (schema, doc) in [
        (
            "tests/data/schemas/k8s-runtimeclass.minimal.schema.json",
            &rc,
        ),
        (
            "tests/data/schemas/k8s-deployment.minimal.schema.json",
            &dep,
        ),
        (
            "tests/data/schemas/k8s-service.minimal.schema.json",
            &read("k8s/service.yaml"),
        ),
    ] {
        assert_eq!(
            violations(&validator(schema), doc),
            Vec::<String>::new(),
            "{schema}"
        );
    }
}

#[test]
fn the_rust_http_sample_goes_from_a_scan_to_a_component_that_answers_http() {
    let test = "the_rust_http_sample_goes_from_a_scan_to_a_component_that_answers_http";
    if !cargo_wasip2_or_skip(test) {
        return;
    }
    if !sandbox_or_skip(test) {
        return;
    }
    if !serves_wasm(test) {
        return;
    }
    let sample = sample_path("bench-http-rust");
    // The sandboxed build is offline: its dependencies come from the local
    // cargo cache, filled here (the test may use the network; the build
    // may not).
    let fetch = std::process::Command::new("cargo")
        .args(["fetch", "--locked", "--manifest-path"])
        .arg(sample.join("Cargo.toml"))
        .status()
        .unwrap();
    assert!(fetch.success(), "cargo fetch of the sample's dependencies");

    // scan: a good fit, whose plan serves HTTP.
    let scan = wasmfit()
        .args(["scan", "-q", "-f", "json"])
        .arg(&sample)
        .assert()
        .success();
    let r: Value = serde_json::from_slice(&scan.get_output().stdout).unwrap();
    assert_eq!(r["verdict"], "good-fit");
    assert_eq!(
        r["plan"]["world"]["exports"],
        serde_json::json!(["wasi:http/incoming-handler@0.2.0"])
    );

    // plan --try-build --out: built in the sandbox, inside the world.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deploy");
    let (t, _) = try_build(
        &sample,
        &["--platform", "runwasi", "--out", out.to_str().unwrap()],
    );
    assert_eq!(t["status"], "built", "{t:#}");
    assert!(
        t["command"].as_str().unwrap().contains("--lib"),
        "the cdylib is the component: {t:#}"
    );
    // Rust's standard library on wasm32-wasip2 links the CLI interfaces
    // (environment, exit, stdin, terminal) into any component, a handler
    // too: outside the minimal world, and said so; nothing else is.
    let outside = t["outside_world"].as_array().cloned().unwrap_or_default();
    assert!(
        outside
            .iter()
            .all(|i| i.as_str().unwrap().starts_with("wasi:cli/")),
        "{t:#}"
    );
    let artifact = PathBuf::from(t["artifact"].as_str().unwrap());
    assert!(artifact.starts_with(&out) && artifact.is_file(), "{t:#}");
    assert!(
        t["bench"]
            .as_str()
            .unwrap()
            .ends_with("--sides wasm --workload http"),
        "{t:#}"
    );

    // The component, handed to the bench's Wasm side, answers every request
    // with the service's own logic.
    let results = bench_wasm(
        &artifact,
        &tmp.path().join("bench"),
        "POST /transform\ncontent-type: application/json\n\n{\"id\":7,\"name\":\"ada\",\"values\":[1,2,3]}",
        r#""name":"ADA","sum":6,"count":3"#,
    );
    let wasm = &results["wasm"];
    assert_eq!(wasm["artifact"]["kind"], "wasm component", "{wasm:#}");
    // And one request by hand, to the same host a `wasmtime serve` would be.
    let cwasm = wasm["artifact"]["precompiled_path"].as_str().unwrap();
    let response = one_request(
        cwasm,
        "GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
    );
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    // Chunked: `3`, then the service's `ok\n`.
    assert!(response.contains("\r\n3\r\nok\n\r\n"), "{response}");

    // The Deployment would schedule it with the RuntimeClass.
    check_k8s(&out);
}

#[test]
fn try_build_of_the_python_api_maps_the_framework_failure_to_its_finding() {
    let test = "try_build_of_the_python_api_maps_the_framework_failure_to_its_finding";
    require_tool!(test, &["componentize-py"], "pip install componentize-py");
    if !sandbox_or_skip(test) {
        return;
    }
    // The monorepo's primary service is the FastAPI app in api/.
    let (_, r) = try_build(&sample_path("monorepo-api-web"), &[]);
    let p = &r["plan"];
    assert_eq!(p["service"], "api");
    let t = &p["try_build"];
    assert_eq!(t["status"], "failed", "{t:#}");
    assert!(
        t["command"]
            .as_str()
            .unwrap()
            .contains("componentize-py -d .wasmfit-wit -w api componentize main"),
        "{t:#}"
    );
    let errors = t["errors"].as_array().unwrap();
    assert!(
        errors
            .iter()
            .any(|e| e["confirms"] == "WF702" && e["message"].as_str().unwrap().contains("fastapi")),
        "the FastAPI import confirms the HTTP-server finding: {t:#}"
    );
    assert!(errors.iter().all(|e| e["new"] != true), "{t:#}");
    // The plan says what to do about it: FastAPI gives way to a handler.
    let steps = p["steps"].as_array().unwrap();
    assert!(
        steps.iter().any(|s| s["kind"] == "swap"
            && s["what"].as_str().unwrap().starts_with("fastapi")
            && s["with"]
                .as_str()
                .unwrap_or_default()
                .contains("incoming-handler")),
        "{steps:#?}"
    );
}

#[test]
fn try_build_of_a_python_handler_builds_a_component_that_answers_http() {
    let test = "try_build_of_a_python_handler_builds_a_component_that_answers_http";
    require_tool!(test, &["componentize-py"], "pip install componentize-py");
    if !sandbox_or_skip(test) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deploy");
    let (t, _) = try_build(
        &repo().join("tests/data/plan/python-handler"),
        &["--out", out.to_str().unwrap()],
    );
    assert_eq!(t["status"], "built", "{t:#}");
    let artifact = PathBuf::from(t["artifact"].as_str().unwrap());
    assert!(artifact.is_file());
    if !serves_wasm(test) {
        return;
    }
    let results = bench_wasm(
        &artifact,
        &tmp.path().join("bench"),
        "GET /health\n",
        "^ok\n$",
    );
    assert_eq!(results["wasm"]["artifact"]["kind"], "wasm component");
    check_k8s(&out);
}

// --- the container sandbox (user namespaces off) ---

/// What `docker` lists with a try-build run label: containers and images
/// a try-build created and did not remove.
fn try_build_leftovers() -> Vec<String> {
    let list = |args: &[&str]| -> Vec<String> {
        let out = std::process::Command::new("docker")
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("try-build-"))
            .map(str::to_string)
            .collect()
    };
    let mut v = list(&[
        "ps",
        "-a",
        "--filter",
        "label=wasmfit.bench.run",
        "--format",
        "{{.ID}} {{.Label \"wasmfit.bench.run\"}}",
    ]);
    v.extend(list(&[
        "images",
        "--filter",
        "label=wasmfit.bench.run",
        "--format",
        "{{.ID}} {{.Repository}}:{{.Tag}}",
    ]));
    v
}

#[test]
fn try_build_in_a_container_builds_offline_and_leaves_nothing() {
    let test = "try_build_in_a_container_builds_offline_and_leaves_nothing";
    let Some(_one_at_a_time) = container_test(test, false) else {
        return;
    };
    require!(test, support::wasi_clang(), support::WASI_CLANG_WHY);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("deploy");
    // --sandbox container forces the fallback `auto` takes where
    // `unshare -rn` fails.
    let (t, _) = try_build(
        &sample_path("bench-stdio-c"),
        &["--sandbox", "container", "--out", out.to_str().unwrap()],
    );
    assert_eq!(t["status"], "built", "{t:#}");
    assert!(
        t["command"]
            .as_str()
            .unwrap()
            .starts_with("docker (network none"),
        "{t:#}"
    );
    assert!(PathBuf::from(t["artifact"].as_str().unwrap()).is_file());
    assert_eq!(try_build_leftovers(), Vec::<String>::new());
}

#[test]
fn a_container_build_cannot_reach_the_network() {
    let test = "a_container_build_cannot_reach_the_network";
    let Some(_one_at_a_time) = container_test(test, true) else {
        return;
    };
    // A build script that tries to connect out: it fails the build when it
    // gets through. (It runs in the container only.)
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("netprobe");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"netprobe\"\nversion = \"0.1.0\"\nedition = \"2021\"\nbuild = \"build.rs\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(root.join("src/main.rs"), "fn main() {}\n").unwrap();
    std::fs::write(
        root.join("build.rs"),
        "fn main() {\n    let addr = std::net::SocketAddr::from(([1, 1, 1, 1], 53));\n    if std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(5)).is_ok() {\n        panic!(\"NETWORK REACHABLE\");\n    }\n    // Only loopback exists.\n    let ifs = std::fs::read_to_string(\"/proc/net/dev\").unwrap_or_default();\n    if ifs.lines().skip(2).any(|l| !l.trim_start().starts_with(\"lo:\")) {\n        panic!(\"AN INTERFACE BESIDE LOOPBACK: {ifs}\");\n    }\n}\n",
    )
    .unwrap();
    let (t, _) = try_build(&root, &["--force", "--sandbox", "container"]);
    assert_eq!(t["status"], "built", "{t:#}");
    assert_eq!(try_build_leftovers(), Vec::<String>::new());
}

#[test]
fn a_signal_during_a_container_build_removes_the_container() {
    let test = "a_signal_during_a_container_build_removes_the_container";
    let Some(_one_at_a_time) = container_test(test, true) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("wasmfit"))
        .env("TMPDIR", tmp.path())
        .args([
            "plan",
            "-q",
            "--try-build",
            "--sandbox",
            "container",
            "--timeout",
            "120",
        ])
        .arg(repo().join("tests/data/plan/hanging-build"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the build container to run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while !try_build_leftovers().iter().any(|l| !l.contains("scratch")) {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no build container within 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "128 + SIGTERM");
    assert_eq!(try_build_leftovers(), Vec::<String>::new());
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "the temporary copy was removed: {left:?}");
}
