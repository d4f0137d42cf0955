//! The CI gate end to end: real git repositories made in the test, the
//! binary as CI runs it, exit codes and the one-line summary; plus the
//! configuration file and suppressions that feed the gate.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn wasmfit(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("wasmfit").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

/// Runs git in `dir` with a fixed identity and no user or system config, so
/// the test does not depend on the machine.
fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
}

const APP: &str = "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route(\"/\")\ndef index():\n    return \"hello\"\n";

const SPAWN: &str = "import subprocess\n\n\ndef thumbnail(src, dst):\n    subprocess.run([\"convert\", src, dst], check=True)\n";

/// A clean Flask service on `main`, and a `feature` branch checked out.
fn repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "app.py", APP);
    write(d, "requirements.txt", "flask==3.0.3\n");
    commit_all(d, "a clean service");
    git(d, &["checkout", "-q", "-b", "feature"]);
    tmp
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON report on stdout")
}

fn worktrees(dir: &Path) -> usize {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["worktree", "list", "--porcelain"])
        .output()
        .expect("git runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("worktree "))
        .count()
}

#[test]
fn a_commit_that_adds_a_subprocess_call_fails_against_main() {
    let tmp = repo();
    let d = tmp.path();
    write(d, "thumbs.py", SPAWN);
    commit_all(d, "shell out to imagemagick");
    let out = wasmfit(d)
        .args([
            "scan",
            "-q",
            "--fail-on",
            "blocker",
            "--baseline-ref",
            "main",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one summary line: {err}");
    assert!(
        err.starts_with("wasmfit: gate failed: 1 new blocker (WF101 at thumbs.py:"),
        "{err}"
    );
    // The report itself is still written.
    assert!(String::from_utf8_lossy(&out.stdout).contains("WF101"));
    assert_eq!(worktrees(d), 1, "the temporary worktree is removed");
}

#[test]
fn a_commit_that_adds_no_subprocess_call_passes() {
    let tmp = repo();
    let d = tmp.path();
    write(
        d,
        "app.py",
        &format!("{APP}\n\n@app.route(\"/health\")\ndef health():\n    return \"ok\"\n"),
    );
    commit_all(d, "a health route");
    wasmfit(d)
        .args([
            "scan",
            "-q",
            "--fail-on",
            "blocker",
            "--fail-under",
            "60",
            "--baseline-ref",
            "main",
        ])
        .assert()
        .code(0)
        .stderr("");
    assert_eq!(worktrees(d), 1);
}

#[test]
fn moved_code_is_not_new_code() {
    // Findings match by fingerprint, not by line: a blocker already on main
    // that moves down the file does not fail the gate.
    let tmp = repo();
    let d = tmp.path();
    git(d, &["checkout", "-q", "main"]);
    write(d, "thumbs.py", SPAWN);
    commit_all(d, "already spawning on main");
    git(d, &["checkout", "-q", "-B", "feature"]);
    write(
        d,
        "thumbs.py",
        &format!("import logging\n\nlog = logging.getLogger(__name__)\n\n{SPAWN}"),
    );
    commit_all(d, "add logging above");
    wasmfit(d)
        .args([
            "scan",
            "-q",
            "--fail-on",
            "blocker",
            "--baseline-ref",
            "main",
        ])
        .assert()
        .code(0);
    // Without the baseline the same tree fails: the blocker is there.
    wasmfit(d)
        .args(["scan", "-q", "--fail-on", "blocker"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "wasmfit: gate failed: 1 blocker (WF101 at thumbs.py:",
        ));
}

#[test]
fn uncommitted_changes_are_compared_too() {
    // pre-commit runs on the working tree: HEAD is the baseline's side.
    let tmp = repo();
    let d = tmp.path();
    write(d, "thumbs.py", SPAWN);
    wasmfit(d)
        .args([
            "scan",
            "-q",
            "--fail-on",
            "blocker",
            "--baseline-ref",
            "HEAD",
        ])
        .assert()
        .code(1);
}

#[test]
fn scanning_a_subdirectory_compares_the_same_subdirectory() {
    let tmp = repo();
    let d = tmp.path();
    write(d, "services/api/app.py", APP);
    write(d, "services/worker/jobs.py", SPAWN);
    commit_all(d, "two services");
    git(d, &["checkout", "-q", "-b", "next"]);
    write(d, "services/api/thumbs.py", SPAWN);
    commit_all(d, "api spawns now");
    // Relative to the merge base of HEAD and `feature`, api gained a blocker…
    wasmfit(d)
        .args([
            "scan",
            "-q",
            "services/api",
            "--fail-on",
            "blocker",
            "--baseline-ref",
            "feature",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("WF101 at thumbs.py:"));
    // …and worker, already spawning on `feature`, gained nothing.
    wasmfit(d)
        .args([
            "scan",
            "-q",
            "services/worker",
            "--fail-on",
            "blocker",
            "--baseline-ref",
            "feature",
        ])
        .assert()
        .code(0);
    // A service that did not exist at the merge base: everything is new.
    wasmfit(d)
        .args([
            "scan",
            "-q",
            "services/api",
            "--fail-on",
            "blocker",
            "--baseline-ref",
            "main",
        ])
        .assert()
        .code(1);
}

#[test]
fn a_saved_json_report_works_as_baseline() {
    let tmp = repo();
    let d = tmp.path();
    let saved = tempfile::tempdir().expect("tempdir");
    let base = saved.path().join("base.json");
    wasmfit(d)
        .args(["scan", "-q", "-f", "json", "-o"])
        .arg(&base)
        .assert()
        .code(0);
    // Scan a copy of the service elsewhere: paths are relative to the scan
    // root, so the baseline still matches.
    let svc = tempfile::tempdir().expect("tempdir");
    write(svc.path(), "app.py", APP);
    write(svc.path(), "requirements.txt", "flask==3.0.3\n");
    wasmfit(svc.path())
        .args(["scan", "-q", "--fail-on", "blocker", "--baseline"])
        .arg(&base)
        .assert()
        .code(0);
    write(svc.path(), "thumbs.py", SPAWN);
    wasmfit(svc.path())
        .args(["scan", "-q", "--fail-on", "blocker", "--baseline"])
        .arg(&base)
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "wasmfit: gate failed: 1 new blocker (WF101 at thumbs.py:",
        ));
}

#[test]
fn fail_under_with_a_baseline_fails_only_on_a_drop() {
    let tmp = repo();
    let d = tmp.path();
    write(d, "thumbs.py", SPAWN);
    let base = d.join("base.json");
    wasmfit(d)
        .args(["scan", "-q", "-f", "json", "-o"])
        .arg(&base)
        .assert()
        .code(0);
    // Already under 60, not lower than the baseline: passes.
    wasmfit(d)
        .args(["scan", "-q", "--fail-under", "60", "--baseline"])
        .arg(&base)
        .assert()
        .code(0);
    // Without a baseline it fails on the score alone.
    wasmfit(d)
        .args(["scan", "-q", "--fail-under", "60"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::is_match(r"^wasmfit: gate failed: score \d+ < 60\n$").expect("regex"),
        );
}

#[test]
fn a_missing_ref_is_exit_2() {
    let tmp = repo();
    let out = wasmfit(tmp.path())
        .args([
            "scan",
            "-q",
            "--fail-on",
            "blocker",
            "--baseline-ref",
            "no-such-branch",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--baseline-ref: `no-such-branch` is not a commit"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no scan for a bad ref");
}

#[test]
fn outside_a_git_repository_is_exit_2() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "app.py", APP);
    wasmfit(tmp.path())
        .env(
            "GIT_CEILING_DIRECTORIES",
            tmp.path().parent().expect("parent"),
        )
        .args(["scan", "-q", "--baseline-ref", "main"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not in a git repository"));
}

#[test]
fn a_baseline_of_another_schema_version_is_exit_2() {
    let tmp = repo();
    let d = tmp.path();
    let out = wasmfit(d)
        .args(["scan", "-q", "-f", "json"])
        .output()
        .expect("runs");
    let mut report = json(&out);
    report["schema_version"] = "2.0".into();
    write(d, "v2.json", &report.to_string());
    let out = wasmfit(d)
        .args([
            "scan",
            "-q",
            "--fail-on",
            "blocker",
            "--baseline",
            "v2.json",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("v2.json: baseline: report schema version 2.0 is not compatible"),
        "{err}"
    );
}

#[test]
fn a_baseline_that_is_not_a_report_is_exit_2() {
    let tmp = repo();
    let d = tmp.path();
    write(d, "notes.json", "{\"hello\": 1}");
    write(d, "broken.json", "{");
    for (file, msg) in [
        ("notes.json", "not a wasmfit report"),
        ("broken.json", "not JSON"),
        ("missing.json", "cannot read baseline"),
    ] {
        wasmfit(d)
            .args(["scan", "-q", "--baseline", file])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(msg));
    }
}

#[test]
fn baseline_and_baseline_ref_exclude_each_other() {
    let tmp = repo();
    wasmfit(tmp.path())
        .args(["scan", "--baseline", "x.json", "--baseline-ref", "main"])
        .assert()
        .code(2);
}

#[test]
fn an_unknown_config_key_is_exit_2_naming_the_line() {
    let tmp = repo();
    let d = tmp.path();
    write(
        d,
        "wasmfit.toml",
        "target = \"spin\"\n\n[gate]\nfail-under = 60\nfail-when = \"blocker\"\n",
    );
    let out = wasmfit(d).args(["scan", "-q"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("wasmfit.toml:5: unknown key `fail-when`"),
        "{err}"
    );
}

#[test]
fn an_unknown_rule_in_config_is_exit_2_naming_the_line() {
    let tmp = repo();
    let d = tmp.path();
    write(
        d,
        "wasmfit.toml",
        "[rules]\noff = [\"WF702\",\n  \"WF9999\"]\n",
    );
    wasmfit(d)
        .args(["scan", "-q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "wasmfit.toml:3: rules.off: unknown rule `WF9999`",
        ));
}

#[test]
fn cli_wins_over_config_wins_over_defaults() {
    let tmp = repo();
    let d = tmp.path();
    write(d, "thumbs.py", SPAWN);
    // Defaults: no gate.
    wasmfit(d).args(["scan", "-q"]).assert().code(0);
    // Config: fail on blockers.
    write(
        d,
        "wasmfit.toml",
        "[gate]\nfail-on = \"blocker\"\nfail-under = 10\n",
    );
    wasmfit(d)
        .args(["scan", "-q"])
        .assert()
        .code(1)
        .stderr(predicate::str::starts_with(
            "wasmfit: gate failed: 1 blocker (WF101",
        ));
    // CLI: switch the severity threshold off; the config's score threshold
    // still holds and passes.
    wasmfit(d)
        .args(["scan", "-q", "--fail-on", "none"])
        .assert()
        .code(0);
    // CLI: a stricter score threshold than the config's.
    wasmfit(d)
        .args(["scan", "-q", "--fail-on", "none", "--fail-under", "90"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("< 90"));
    // --config points elsewhere: that file, not PATH/wasmfit.toml.
    write(d, "other/relaxed.toml", "[gate]\nfail-on = \"blocker\"\n[[suppress]]\nrule = \"WF101\"\npath = \"thumbs.py\"\nreason = \"thumbnails move to a sidecar next quarter\"\n");
    wasmfit(d)
        .args(["scan", "-q", "--config", "other/relaxed.toml"])
        .assert()
        .code(0);
    wasmfit(d)
        .args(["scan", "-q", "--config", "other/missing.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read config"));
}

#[test]
fn config_turns_rules_off_regrades_and_excludes() {
    let tmp = repo();
    let d = tmp.path();
    write(d, "thumbs.py", SPAWN);
    write(d, "wasmfit.toml", "[rules.severity]\nWF101 = \"minor\"\n");
    let out = wasmfit(d)
        .args(["scan", "-q", "-f", "json", "--fail-on", "blocker"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json(&out);
    let f = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "WF101")
        .expect("WF101");
    assert_eq!(f["severity"], "minor");
    wasmfit(d)
        .args(["scan", "-q", "--fail-on", "minor"])
        .assert()
        .code(1);

    write(d, "wasmfit.toml", "[rules]\noff = [\"WF101\"]\n");
    let r = json(
        &wasmfit(d)
            .args(["scan", "-q", "-f", "json"])
            .output()
            .expect("runs"),
    );
    assert!(r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .all(|f| f["rule_id"] != "WF101"));

    write(d, "wasmfit.toml", "exclude = [\"thumbs.py\"]\n");
    wasmfit(d)
        .args(["scan", "-q", "--fail-on", "blocker"])
        .assert()
        .code(0);
    // CLI excludes add to the config's.
    write(d, "wasmfit.toml", "exclude = [\"nothing-here/\"]\n");
    wasmfit(d)
        .args([
            "scan",
            "-q",
            "--fail-on",
            "blocker",
            "--exclude",
            "thumbs.py",
        ])
        .assert()
        .code(0);
}

#[test]
fn config_rule_dirs_are_relative_to_the_config() {
    let tmp = repo();
    let d = tmp.path();
    write(
        d,
        "ci/rules/mine.toml",
        "[[rule]]\nid = \"WF9001\"\ntitle = \"Uses our legacy queue\"\ncategory = \"process\"\ncapability = \"worker\"\nseverity = \"major\"\neffort = 1\nmessage = \"m\"\nremediation = \"r\"\nwasi = \"none\"\n[[rule.match]]\nkind = \"import\"\nlanguages = [\"python\"]\nmodules = [\"legacyq\"]\n",
    );
    write(d, "ci/wasmfit.toml", "[rules]\ndirs = [\"rules\"]\n");
    write(d, "jobs.py", "import legacyq\n");
    wasmfit(d)
        .args([
            "scan",
            "-q",
            "--config",
            "ci/wasmfit.toml",
            "--fail-on",
            "major",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("WF9001 at jobs.py:1"));
}

#[test]
fn a_suppression_with_a_reason_is_marked_and_not_counted() {
    let tmp = repo();
    let d = tmp.path();
    write(
        d,
        "thumbs.py",
        "import subprocess\n\n\ndef thumbnail(src, dst):\n    # wasmfit: ignore[WF101] thumbnails move to a sidecar service next quarter\n    subprocess.run([\"convert\", src, dst], check=True)\n",
    );
    let out = wasmfit(d)
        .args(["scan", "-q", "-f", "json", "--fail-on", "blocker"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json(&out);
    let f = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "WF101")
        .expect("still reported");
    assert_eq!(f["suppressed"], true);
    assert_eq!(f["counted"], false);
    let call = f["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .find(|e| e["line"] == 6)
        .expect("the call");
    assert_eq!(
        call["suppressed"],
        "thumbnails move to a sidecar service next quarter"
    );
    assert_eq!(r["summary"]["suppressed"], 1);
    assert!(r["summary"]["counted"].get("blocker").is_none());
    // Still visible to people.
    wasmfit(d)
        .args(["scan", "-q"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("suppressed"));
}

#[test]
fn a_suppression_without_a_reason_does_not_suppress() {
    let tmp = repo();
    let d = tmp.path();
    write(
        d,
        "thumbs.py",
        "import subprocess\n\n\ndef thumbnail(src, dst):\n    subprocess.run([\"convert\", src, dst], check=True)  # wasmfit: ignore[WF101]\n",
    );
    let out = wasmfit(d)
        .args(["scan", "-q", "-f", "json", "--fail-on", "blocker"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let r = json(&out);
    let f = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "WF101")
        .expect("WF101");
    assert_eq!(f["suppressed"], false);
    assert_eq!(f["counted"], true);
    assert_eq!(r["summary"]["suppressed"], 0);
    let diags = r["diagnostics"].as_array().expect("diagnostics");
    assert!(
        diags.iter().any(|g| g["path"] == "thumbs.py"
            && g["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("line 5: suppression without a reason"))),
        "{diags:?}"
    );
}

#[test]
fn dockerfile_suppressions() {
    let tmp = repo();
    let d = tmp.path();
    write(
        d,
        "Dockerfile",
        "FROM python:3.12-slim\n# wasmfit: ignore[WF101] only the migration job uses git; the service does not\nRUN apt-get update && apt-get install -y git\nCOPY . /app\nCMD [\"python\", \"/app/app.py\"]\n",
    );
    let r = json(
        &wasmfit(d)
            .args(["scan", "-q", "-f", "json"])
            .output()
            .expect("runs"),
    );
    let ev: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == "WF101")
        .flat_map(|f| f["evidence"].as_array().expect("evidence"))
        .filter(|e| e["path"] == "Dockerfile")
        .collect();
    // Whatever the Dockerfile rules find on that line carries the reason.
    assert!(
        !ev.is_empty(),
        "git installed in the image is WF101 evidence"
    );
    for e in &ev {
        assert_eq!(
            e["suppressed"], "only the migration job uses git; the service does not",
            "{e}"
        );
    }
}

/// The WF101 finding of a scan of `d` (the image's packages are its
/// evidence in these tests), and the report.
fn wf101_of(d: &Path) -> (serde_json::Value, serde_json::Value) {
    let r = json(
        &wasmfit(d)
            .args(["scan", "-q", "-f", "json"])
            .output()
            .expect("runs"),
    );
    let f = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule_id"] == "WF101")
        .cloned()
        .expect("the package in the image is WF101 evidence");
    (f, r)
}

#[test]
fn an_image_tool_nothing_runs_is_listed_not_counted() {
    let wf101 = |app: &str| {
        let tmp = repo();
        let d = tmp.path();
        write(
            d,
            "Dockerfile",
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y git curl\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]\n",
        );
        write(d, "app.py", app);
        let (f, r) = wf101_of(d);
        (f, r["verdict"].clone())
    };
    // git ships in the image and nothing the service runs starts it.
    let (f, verdict) = wf101("import json\nprint(json.dumps({}))\n");
    assert_eq!(f["counted"], false, "{f}");
    assert_eq!(f["installed_only"], true, "{f}");
    assert_eq!(f["evidence"][0]["installed"], true, "{f}");
    assert_eq!(verdict, "good-fit");
    // The service's code runs it: the code decides, and it counts.
    let (f, verdict) = wf101("import subprocess\nsubprocess.run([\"git\", \"pull\"])\n");
    assert_eq!(f["counted"], true, "{f}");
    assert!(f.get("installed_only").is_none(), "{f}");
    assert_eq!(verdict, "stay");
}

#[test]
fn init_writes_a_config_the_scan_reads() {
    let tmp = repo();
    let d = tmp.path();
    wasmfit(d)
        .args(["init", "--target", "spin"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(d.join("wasmfit.toml")).expect("written");
    assert!(text.contains("target = \"spin\""));
    assert!(text.contains("# fail-on = \"blocker\""));
    wasmfit(d).args(["scan", "-q"]).assert().code(0);
    // No silent overwrite.
    wasmfit(d)
        .arg("init")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "already exists (use --force to overwrite)",
        ));
    wasmfit(d).args(["init", "--force"]).assert().code(0);
    let text = std::fs::read_to_string(d.join("wasmfit.toml")).expect("written");
    assert!(text.contains("target = \"wasmtime\""));
}

#[test]
fn pre_commit_hook_definition_is_valid() {
    // The hook users point pre-commit at must run this binary's flags.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let hooks = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml"))
        .expect(".pre-commit-hooks.yaml");
    let parsed: serde_json::Value = serde_saphyr::from_str(&hooks).expect("valid YAML");
    let list = parsed.as_array().expect("a list of hooks");
    assert!(!list.is_empty());
    for h in list {
        for key in ["id", "name", "entry", "language"] {
            assert!(h.get(key).is_some(), "hook without {key}: {h}");
        }
        let entry = h["entry"].as_str().expect("entry");
        let mut args: Vec<String> = entry
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect();
        if let Some(extra) = h.get("args").and_then(|a| a.as_array()) {
            args.extend(extra.iter().filter_map(|a| a.as_str().map(str::to_string)));
        }
        // The flags parse: run them against a tiny clean repository.
        let tmp = repo();
        let out = wasmfit(tmp.path()).args(&args).output().expect("runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{entry} {args:?}: {}",
            stderr(&out)
        );
    }
}

// --- docs/ci.md: the documented pipelines, run as written ------------------

/// The YAML blocks of docs/ci.md, parsed.
fn ci_doc_blocks() -> Vec<serde_json::Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/ci.md")).expect("docs/ci.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(b), "```") => {
                blocks.push(
                    serde_saphyr::from_str(b)
                        .unwrap_or_else(|e| panic!("bad YAML in docs/ci.md: {e}\n{b}")),
                );
                current = None;
            }
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// An `origin` with a clean service on main, and a clone on a feature
/// branch that adds a subprocess call (or a harmless route).
fn clone_with_feature(spawn: bool) -> (tempfile::TempDir, tempfile::TempDir) {
    let upstream = repo();
    git(upstream.path(), &["checkout", "-q", "main"]);
    let work = tempfile::tempdir().expect("tempdir");
    let src = upstream.path().to_string_lossy().into_owned();
    git(work.path(), &["clone", "-q", &src, "."]);
    git(work.path(), &["checkout", "-q", "-b", "feature"]);
    if spawn {
        write(work.path(), "thumbs.py", SPAWN);
    } else {
        write(
            work.path(),
            "app.py",
            &format!("{APP}\n\n@app.route(\"/health\")\ndef health():\n    return \"ok\"\n"),
        );
    }
    commit_all(work.path(), "change");
    (upstream, work)
}

/// Runs a CI shell snippet with the test binary first on PATH.
fn sh(dir: &Path, script: &str, env: &[(&str, &str)]) -> std::process::Output {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_wasmfit"));
    let path = format!(
        "{}:{}",
        bin.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = std::process::Command::new("sh");
    c.arg("-ec")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1");
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("sh runs")
}

#[test]
fn ci_docs_github_workflow_runs_as_written() {
    let blocks = ci_doc_blocks();
    let wf = blocks
        .iter()
        .find(|b| b.get("jobs").is_some())
        .expect("a GitHub workflow in docs/ci.md");
    let steps = wf["jobs"]["wasmfit"]["steps"].as_array().expect("steps");
    let sarif_file = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .and_then(|s| s["with"]["sarif_file"].as_str())
        .expect("an upload-sarif step with sarif_file");
    for spawn in [true, false] {
        let (_up, work) = clone_with_feature(spawn);
        let d = work.path();
        let summary = d.join("summary.md");
        let summary_s = summary.to_string_lossy().into_owned();
        let env = [
            ("BASE_REF", "origin/main"),
            ("GITHUB_STEP_SUMMARY", summary_s.as_str()),
        ];
        let mut gate_code = None;
        for step in steps {
            let Some(run) = step["run"].as_str() else {
                continue;
            };
            if run.contains("cargo install") {
                continue;
            }
            let out = sh(d, run, &env);
            if run.contains("--fail-on") {
                gate_code = out.status.code();
            } else {
                assert_eq!(out.status.code(), Some(0), "{run}: {}", stderr(&out));
            }
        }
        assert_eq!(
            gate_code,
            Some(if spawn { 1 } else { 0 }),
            "the gate step (spawn: {spawn})"
        );
        let sarif: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join(sarif_file)).expect("SARIF written"),
        )
        .expect("SARIF is JSON");
        assert_eq!(sarif["version"], "2.1.0");
        assert!(!std::fs::read_to_string(&summary)
            .expect("summary written")
            .trim()
            .is_empty());
    }
}

#[test]
fn ci_docs_gitlab_job_runs_as_written() {
    let blocks = ci_doc_blocks();
    let job = blocks
        .iter()
        .find_map(|b| b.get("wasmfit").filter(|j| j.get("script").is_some()))
        .expect("a GitLab job in docs/ci.md");
    let artifact = job["artifacts"]["reports"]["codequality"]
        .as_str()
        .expect("a codequality report");
    let script: Vec<&str> = job["script"]
        .as_array()
        .expect("script lines")
        .iter()
        .filter_map(|l| l.as_str())
        .filter(|l| !l.starts_with("cargo install"))
        .collect();
    for spawn in [true, false] {
        let (_up, work) = clone_with_feature(spawn);
        let d = work.path();
        let env = [
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
            ("CI_DEFAULT_BRANCH", "main"),
        ];
        let out = sh(d, &script.join("\n"), &env);
        assert_eq!(
            out.status.code(),
            Some(if spawn { 1 } else { 0 }),
            "{}",
            stderr(&out)
        );
        if spawn {
            assert!(
                stderr(&out).contains("gate failed: 1 new blocker (WF101 at thumbs.py:"),
                "{}",
                stderr(&out)
            );
        }
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join(artifact)).expect("artifact written even on failure"),
        )
        .expect("Code Quality JSON");
        assert!(report.is_array());
    }
}

#[test]
fn ci_docs_pre_commit_config_names_shipped_hooks() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let hooks: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).expect("hooks"),
    )
    .expect("YAML");
    let shipped: Vec<&str> = hooks
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    let blocks = ci_doc_blocks();
    let config = blocks
        .iter()
        .find(|b| b.get("repos").is_some())
        .expect("a .pre-commit-config.yaml example");
    for repo in config["repos"].as_array().expect("repos") {
        for h in repo["hooks"].as_array().expect("hooks") {
            let id = h["id"].as_str().expect("id");
            assert!(
                shipped.contains(&id),
                "docs name hook `{id}`, shipped: {shipped:?}"
            );
        }
    }
}

// --- the pre-commit hook, run as pre-commit runs it ------------------------

/// The shipped hooks' entry lines, split as pre-commit splits them.
fn hook_entries() -> Vec<Vec<String>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let hooks: serde_json::Value = serde_saphyr::from_str(
        &std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).expect("hooks"),
    )
    .expect("YAML");
    hooks
        .as_array()
        .expect("list")
        .iter()
        .map(|h| {
            let entry = h["entry"].as_str().expect("entry");
            assert!(
                h.get("args").is_none(),
                "a hook's own args would be replaced by the user's, losing its defaults"
            );
            entry.split_whitespace().map(str::to_string).collect()
        })
        .collect()
}

/// The `args:` of the docs' .pre-commit-config.yaml example.
fn documented_hook_args() -> Vec<String> {
    let blocks = ci_doc_blocks();
    let config = blocks
        .iter()
        .find(|b| b.get("repos").is_some())
        .expect("a .pre-commit-config.yaml example");
    config["repos"][0]["hooks"][0]["args"]
        .as_array()
        .expect("the example shows args:")
        .iter()
        .map(|a| a.as_str().expect("string arg").to_string())
        .collect()
}

/// Runs a hook as pre-commit does: the entry's words, then the user's
/// `args:`, in the repository's root.
fn run_hook(dir: &Path, entry: &[String], args: &[String]) -> std::process::Output {
    assert_eq!(entry[0], "wasmfit");
    wasmfit(dir)
        .args(&entry[1..])
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn pre_commit_hook_threshold_from_args_then_config_then_default() {
    let documented = documented_hook_args();
    assert_eq!(documented, ["--fail-on", "major"]);
    for entry in hook_entries() {
        let tmp = repo();
        let d = tmp.path();
        // WF101 re-graded to major, committed: a new subprocess call is a
        // new major finding.
        let regrade = "[rules.severity]\nWF101 = \"major\"\n";
        write(d, "wasmfit.toml", regrade);
        commit_all(d, "settings");
        // Nothing staged, nothing changed: exit 0 and not a byte printed.
        let out = run_hook(d, &entry, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");

        write(d, "thumbs.py", SPAWN);
        // The default (blocker): a new major passes, silently.
        let out = run_hook(d, &entry, &[]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
        // The documented `args:` override it.
        let out = run_hook(d, &entry, &documented);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        assert!(
            stderr(&out).starts_with("wasmfit: gate failed: 1 new major (WF101 at thumbs.py:"),
            "{}",
            stderr(&out)
        );
        // wasmfit.toml's [gate] overrides the default...
        write(
            d,
            "wasmfit.toml",
            &format!("{regrade}[gate]\nfail-on = \"major\"\n"),
        );
        assert_eq!(run_hook(d, &entry, &[]).status.code(), Some(1));
        // ...and the hook's args override wasmfit.toml.
        let relaxed = ["--fail-on".to_string(), "blocker".to_string()];
        assert_eq!(run_hook(d, &entry, &relaxed).status.code(), Some(0));
        let off = ["--fail-on".to_string(), "none".to_string()];
        assert_eq!(run_hook(d, &entry, &off).status.code(), Some(0));
    }
}

#[test]
fn a_flag_given_twice_takes_its_last_value() {
    let tmp = repo();
    let d = tmp.path();
    write(d, "thumbs.py", SPAWN);
    wasmfit(d)
        .args(["scan", "-q", "--fail-on", "blocker", "--fail-on", "none"])
        .assert()
        .code(0);
    wasmfit(d)
        .args(["scan", "-q", "--fail-on", "none", "--fail-on", "blocker"])
        .assert()
        .code(1);
    wasmfit(d)
        .args(["scan", "-q", "--fail-under", "99", "--fail-under", "0"])
        .assert()
        .code(0);
    // Repeatable flags still add up.
    let out = wasmfit(d)
        .args([
            "scan",
            "-q",
            "-f",
            "json",
            "--exclude",
            "thumbs.py",
            "--exclude",
            "app.py",
        ])
        .output()
        .expect("runs");
    assert_eq!(json(&out)["summary"]["files"], 1, "requirements.txt only");
}

#[test]
fn the_documented_rev_is_this_version() {
    let blocks = ci_doc_blocks();
    let config = blocks
        .iter()
        .find(|b| b.get("repos").is_some())
        .expect("a .pre-commit-config.yaml example");
    let want = format!("v{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(config["repos"][0]["rev"].as_str(), Some(want.as_str()));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let hooks = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).expect("hooks");
    assert!(
        hooks.contains(&format!("rev: {want}")),
        "the hooks file's example"
    );
}

// --- monorepos: settings and ignore files above the scanned directory -----

#[test]
fn a_root_config_applies_to_a_subdirectory_scan() {
    let tmp = repo();
    let d = tmp.path();
    write(
        d,
        "wasmfit.toml",
        "exclude = [\"services/api/gen/\"]\n[gate]\nfail-on = \"blocker\"\n\
         [[suppress]]\nrule = \"WF101\"\npath = \"services/api/tools/**\"\nreason = \"operator tools\"\n",
    );
    write(d, "services/api/app.py", APP);
    write(d, "services/api/gen/spawn.py", SPAWN);
    write(d, "services/api/tools/spawn.py", SPAWN);
    // Excluded and suppressed: the root's gate passes.
    let out = wasmfit(d)
        .args(["scan", "-q", "-f", "json", "services/api"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = json(&out);
    let f = r["findings"].as_array().expect("findings");
    let evidence: Vec<&serde_json::Value> = f
        .iter()
        .filter(|f| f["rule_id"] == "WF101")
        .flat_map(|f| f["evidence"].as_array().expect("evidence"))
        .collect();
    // Paths in the JSON are relative to the scanned directory: gen/ is
    // excluded, tools/ suppressed with the root config's reason.
    assert!(!evidence.is_empty());
    for e in &evidence {
        assert_eq!(e["path"], "tools/spawn.py");
        assert!(
            e["suppressed"]
                .as_str()
                .is_some_and(|r| r.contains("operator tools")),
            "{e}"
        );
    }
    // A new spawn in the service: the gate, configured at the root, fails.
    write(d, "services/api/thumbs.py", SPAWN);
    let out = wasmfit(d)
        .args(["scan", "-q", "services/api"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // From inside the service too, and with a --exclude relative to it.
    let api = d.join("services/api");
    wasmfit(&api).args(["scan", "-q"]).assert().code(1);
    wasmfit(&api)
        .args(["scan", "-q", "--exclude", "thumbs.py"])
        .assert()
        .code(0);
    // A nearer wasmfit.toml wins over the root's.
    write(d, "services/api/wasmfit.toml", "target = \"spin\"\n");
    wasmfit(&api).args(["scan", "-q"]).assert().code(0);
}

#[test]
fn a_broken_config_above_the_scan_is_exit_2_naming_the_line() {
    let tmp = repo();
    let d = tmp.path();
    write(d, "wasmfit.toml", "[gate]\n\nfail-under = 101\n");
    write(d, "services/api/app.py", APP);
    let out = wasmfit(d)
        .args(["scan", "-q", "services/api"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("wasmfit.toml:3: gate.fail-under: 101 is not a score"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn no_config_is_read_above_the_repository() {
    let outer = tempfile::tempdir().expect("tempdir");
    // A settings file above the repository belongs to someone else.
    write(
        outer.path(),
        "wasmfit.toml",
        "[gate]\nfail-on = \"blocker\"\n",
    );
    let d = outer.path().join("repo");
    std::fs::create_dir_all(&d).expect("mkdir");
    git(&d, &["init", "-q", "-b", "main"]);
    write(&d, "thumbs.py", SPAWN);
    wasmfit(&d).args(["scan", "-q"]).assert().code(0);
    // Outside any repository, only the scanned directory's own file.
    let plain = outer.path().join("plain");
    write(&plain, "thumbs.py", SPAWN);
    if !outer.path().ancestors().any(|a| a.join(".git").exists()) {
        wasmfit(&plain).args(["scan", "-q"]).assert().code(0);
    }
}

#[test]
fn ignore_files_above_the_scan_root_are_honoured() {
    let tmp = repo();
    let d = tmp.path();
    write(d, ".gitignore", "generated/\n/services/api/local.py\n");
    write(d, ".git/info/exclude", "*.scratch.py\n");
    write(d, "services/.ignore", "legacy/\n");
    write(d, "services/api/app.py", APP);
    for f in [
        "generated/a.py",
        "local.py",
        "try.scratch.py",
        "legacy/old.py",
        "kept.py",
    ] {
        write(d, &format!("services/api/{f}"), SPAWN);
    }
    let scan = |extra: &[&str]| {
        let out = wasmfit(d)
            .args(["scan", "-q", "-f", "json", "services/api"])
            .args(extra)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let r = json(&out);
        let mut paths: Vec<String> = r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["rule_id"] == "WF101")
            .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
            .filter_map(|e| e["path"].as_str().map(str::to_string))
            .collect();
        paths.sort();
        paths.dedup();
        paths
    };
    assert_eq!(scan(&[]), ["kept.py"]);
    assert_eq!(scan(&["--no-gitignore"]).len(), 5);
}

/// ImageMagick installed beside libmagickwand-dev is there for the imagick
/// extension built against it: listed, not counted. Alone, it is a tool the
/// image ships to run, and counts.
#[test]
fn a_tool_installed_for_its_library_binding_is_listed_not_counted() {
    let wf101 = |packages: &str| {
        let tmp = repo();
        let d = tmp.path();
        write(
            d,
            "Dockerfile",
            &format!("FROM php:8.2-fpm\nRUN apt-get update && apt-get install -y {packages}\nRUN pecl install imagick && docker-php-ext-enable imagick\nCOPY index.php /var/www/html/\n"),
        );
        write(d, "index.php", "<?php\n$i = new \\Imagick();\necho 'ok';\n");
        wf101_of(d).0
    };
    let f = wf101("imagemagick libmagickwand-dev");
    assert_eq!(f["counted"], false, "{f}");
    assert_eq!(f["evidence"][0]["confidence"], "low", "{f}");
    let why = f["evidence"][0]["reason"].as_str().expect("reason");
    assert!(why.contains("libmagickwand-dev"), "{why}");
    let f = wf101("imagemagick");
    assert_eq!(f["counted"], true, "{f}");
}
