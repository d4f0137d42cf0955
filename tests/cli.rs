//! The binary as users run it: exit codes, error messages, formats.

mod support;

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn wasmfit() -> Command {
    let mut c = Command::cargo_bin("wasmfit").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn help_documents_exit_codes() {
    wasmfit()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("2  usage or input error"));
}

#[test]
fn missing_path_is_exit_2_with_one_line() {
    let out = wasmfit()
        .args(["scan", "/no/such/dir"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("wasmfit: error: /no/such/dir:"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn unknown_flag_is_exit_2() {
    wasmfit().args(["scan", "--frobnicate"]).assert().code(2);
}

#[test]
fn broken_rule_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mine.toml");
    std::fs::write(&f, "[[rule]]\nid = \"WF9001\"\ntitle = \"x\"\ncolour = 1\n").unwrap();
    wasmfit()
        .args(["scan", &sample("go-http-api"), "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!("{}:", f.display())))
        .stderr(predicate::str::is_match(r"mine\.toml:\d+: ").unwrap());
}

#[test]
fn duplicate_rule_id_in_user_rules_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dup.toml"),
        "[[rule]]\nid = \"WF101\"\ntitle = \"x\"\ncategory = \"process\"\ncapability = \"process-spawn\"\nseverity = \"minor\"\neffort = 1\nmessage = \"m\"\nremediation = \"r\"\nwasi = \"none\"\n",
    )
    .unwrap();
    wasmfit()
        .args(["rules", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "dup.toml:2: duplicate rule id `WF101`",
        ));
}

#[test]
fn user_rule_fires() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mine.toml"),
        r#"[[rule]]
id = "WF9001"
title = "Uses the legacy billing client"
category = "network"
capability = "http-client"
severity = "minor"
effort = 0.5
message = "calls the legacy billing client"
remediation = "use the billing HTTP API"
wasi = "wasi:http/outgoing-handler"
[[rule.match]]
kind = "source"
languages = ["go"]
patterns = ['\bhttp\.HandleFunc\b', '\bmux\.HandleFunc\b', '\.HandleFunc\(']
"#,
    )
    .unwrap();
    let out = wasmfit()
        .args([
            "scan",
            &sample("go-http-api"),
            "--format",
            "json",
            "--rules",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"WF9001"), "{ids:?}");
}

#[test]
fn explain_prints_docs_and_unknown_rule_is_exit_2() {
    wasmfit()
        .args(["explain", "WF101"])
        .assert()
        .success()
        .stdout(predicate::str::contains("WF101"))
        .stdout(predicate::str::contains("WASI 0.2:"));
    wasmfit()
        .args(["explain", "WF000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule `WF000`"));
}

#[test]
fn rules_lists_every_rule() {
    wasmfit()
        .arg("rules")
        .assert()
        .success()
        .stdout(predicate::str::contains("WF101"))
        .stdout(predicate::str::contains("WF905"));
}

#[test]
fn json_output_has_the_documented_fields() {
    let out = wasmfit()
        .args(["scan", &sample("python-flask-ffmpeg"), "-f", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    for key in [
        "schema_version",
        "verdict",
        "score",
        "runtime",
        "findings",
        "scoring",
        "signals",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let f = &v["findings"][0];
    for key in [
        "rule_id",
        "capability",
        "severity",
        "context",
        "confidence",
        "evidence",
    ] {
        assert!(f.get(key).is_some(), "finding missing {key}: {f}");
    }
    let e = &f["evidence"][0];
    assert!(e.get("path").is_some() && e.get("snippet").is_some(), "{e}");
}

#[test]
fn text_output_to_file_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.txt");
    wasmfit()
        .args(["scan", &sample("go-http-api"), "-o"])
        .arg(&out)
        .assert()
        .success()
        .stdout("");
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.contains("GOOD-FIT"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour escape in a file");
}

#[cfg(unix)]
#[test]
fn unreadable_file_is_a_diagnostic_not_an_error() {
    use std::os::unix::fs::PermissionsExt;
    if support::is_root() {
        support::not_applicable(
            "unreadable_file_is_a_diagnostic_not_an_error",
            "root can read any file",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("main.py");
    std::fs::write(&f, "import subprocess\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = wasmfit()
        .args(["scan", "-f", "json"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        v["diagnostics"].to_string().contains("unreadable"),
        "{}",
        v["diagnostics"]
    );
}

#[test]
fn hostile_tree_does_not_stop_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("bad.py"),
        [
            0xff, 0xfe, b'\n', b'o', b's', b'.', b's', b'y', b's', b't', b'e', b'm', b'(', b')',
        ],
    )
    .unwrap();
    std::fs::write(d.join("Dockerfile"), "FROM \nRUN <<EOF\nunterminated").unwrap();
    std::fs::write(d.join("go.mod"), "module\nrequire (\n").unwrap();
    std::fs::write(d.join("package.json"), "{not json").unwrap();
    std::fs::write(d.join("big.js"), "x".repeat(5 << 20)).unwrap();
    std::fs::write(d.join("fake.wasm"), b"\0asm\x01\0\0\0\xff\xff").unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc", d.join("escape")).unwrap();
        std::os::unix::fs::symlink(d, d.join("loop")).unwrap();
    }
    let out = wasmfit()
        .args(["scan", "-f", "json"])
        .arg(d)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let diags = v["diagnostics"].to_string();
    assert!(diags.contains("too-large"), "{diags}");
    assert!(diags.contains("not-utf8"), "{diags}");
    assert!(diags.contains("symlink"), "{diags}");
    assert!(
        !v["findings"].to_string().contains("/etc/"),
        "followed a symlink out of the root"
    );
}

#[test]
fn bench_results_are_added_to_the_scan_report() {
    let dir = tempfile::tempdir().unwrap();
    let bench = dir.path().join("bench.json");
    std::fs::write(
        &bench,
        serde_json::to_string(&wasmfit::bench::BenchResults::default()).unwrap(),
    )
    .unwrap();
    let out = wasmfit()
        .args([
            "scan",
            &sample("bench-stdio-c"),
            "-f",
            "json",
            "--bench-results",
        ])
        .arg(&bench)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(v["bench"].is_object(), "{}", v["bench"]);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"verdict\": 1}").unwrap();
    wasmfit()
        .args(["scan", &sample("bench-stdio-c"), "--bench-results"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not wasmfit bench results"));
}

#[test]
fn completions_and_man_pages_come_from_the_flags() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef wasmfit"),
        ("fish", "complete -c wasmfit"),
    ] {
        let out = wasmfit().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(text.contains("fail-on-default"), "{shell}: scan's flags");
    }
    wasmfit()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stdout("");
    let out = wasmfit().arg("man").output().unwrap();
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH wasmfit"),
        "{page}"
    );
    assert!(page.contains("completions"), "subcommands are listed");
    let dir = tempfile::tempdir().unwrap();
    wasmfit()
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout("");
    let scan = std::fs::read_to_string(dir.path().join("wasmfit-scan.1")).unwrap();
    assert!(scan.contains("baseline\\-ref"), "{scan}");
}

/// Outside any git repository, report paths are relative to the scan root,
/// and the CLI says so once on stderr; inside one, or with `--quiet`, it
/// says nothing and paths start at the repository root.
#[test]
fn outside_git_paths_are_relative_to_the_scan_root_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(dir.path()).unwrap();
    if let Some(root) = wasmfit::input::repo::root_of(&top) {
        support::not_applicable(
            "outside_git_paths_are_relative_to_the_scan_root_said_once",
            &format!(
                "the temporary directory is inside the repository {}",
                root.display()
            ),
        );
        return;
    }
    let svc = top.join("svc");
    std::fs::create_dir(&svc).unwrap();
    std::fs::write(
        svc.join("app.py"),
        "import subprocess\n\nsubprocess.run([\"ffmpeg\"])\n",
    )
    .unwrap();
    let note = "not inside a git repository: paths are relative to the scan root";
    let run = |args: &[&str]| {
        let out = wasmfit().arg("scan").arg(&svc).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    for format in ["json", "sarif", "gitlab"] {
        let (out, err) = run(&["-f", format]);
        assert_eq!(err.matches(note).count(), 1, "{format}: {err}");
        assert!(out.contains("\"app.py\""), "{format}: {out}");
        assert!(!out.contains("svc/app.py"), "{format}: {out}");
    }
    let (_, err) = run(&["-q", "-f", "json"]);
    assert!(!err.contains(note), "{err}");
    std::fs::create_dir(top.join(".git")).unwrap();
    let (out, err) = run(&["-f", "gitlab"]);
    assert!(!err.contains(note), "{err}");
    assert!(out.contains("\"svc/app.py\""), "{out}");
}
