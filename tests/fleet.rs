//! `wasmfit fleet`: scanning many services into a directory, resuming,
//! sharding across worker processes and merging, the portfolio in every
//! format, the trend between two runs, and the bad inputs a fleet meets.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn wasmfit() -> Command {
    let mut c = Command::cargo_bin("wasmfit").unwrap();
    c.env("NO_COLOR", "1");
    c
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Every sample directory, sorted.
fn sample_dirs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(samples())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// A list file naming every sample, one a line.
fn sample_list(dir: &Path) -> PathBuf {
    let list = dir.join("services.txt");
    let mut text = String::from("# every sample\n");
    for s in sample_dirs() {
        text.push_str(&format!("{}\n", s.display()));
    }
    std::fs::write(&list, text).unwrap();
    list
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// The reports of a fleet directory: file name to bytes.
fn reports(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    // A shard that drew no service has no reports folder.
    std::fs::read_dir(dir.join("reports"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn statuses(m: &Value) -> BTreeMap<String, String> {
    m["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn scans_every_sample_into_reports_and_a_manifest_then_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let list = sample_list(tmp.path());
    let out = tmp.path().join("fleet");
    wasmfit()
        .args(["fleet", "scan"])
        .arg(&list)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let m = manifest(&out);
    let n = sample_dirs().len();
    assert_eq!(m["format"], "wasmfit-fleet");
    assert_eq!(m["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["tool"]["rules"]["digest"].as_str().unwrap().len(), 64);
    assert!(m["finished"].is_string());
    assert_eq!(m["counts"]["services"], n);
    assert_eq!(m["counts"]["scanned"], n, "{m:#}");
    let reps = reports(&out);
    assert_eq!(reps.len(), n);
    for e in m["services"].as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        let bytes = &reps[&format!("{name}.json")];
        let r = wasmfit::report::json::parse_slice(bytes).unwrap();
        // What the manifest says is what the report says.
        assert_eq!(e["verdict"], r.verdict.to_string());
        assert_eq!(e["score"], r.score);
        assert_eq!(r.summary.elapsed_ms, 0, "wall time lives in the entry");
        assert!(e["given_at"].as_str().unwrap().contains("services.txt:"));
        assert!(e["scanned_at"].as_str().unwrap().ends_with('Z'));
    }
    // The same verdicts as `wasmfit scan` on each sample.
    let one = samples().join("python-flask-ffmpeg");
    let single = wasmfit()
        .args(["scan", "-f", "json"])
        .arg(&one)
        .output()
        .unwrap();
    let mut single = wasmfit::report::json::parse_slice(&single.stdout).unwrap();
    single.summary.elapsed_ms = 0;
    let fleet = wasmfit::report::json::parse_slice(&reps["python-flask-ffmpeg.json"]).unwrap();
    assert_eq!(fleet, single, "a fleet report is the normal report");

    // Again: nothing changed, nothing is scanned, no byte moves.
    wasmfit()
        .args(["fleet", "scan"])
        .arg(&list)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let m2 = manifest(&out);
    assert_eq!(m2["counts"]["reused"], n, "{m2:#}");
    assert_eq!(reports(&out), reps);
    // --rescan scans everything again, to the same bytes.
    wasmfit()
        .args(["fleet", "scan", "--rescan"])
        .arg(&list)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(manifest(&out)["counts"]["scanned"], n);
    assert_eq!(reports(&out), reps, "scans are deterministic");
}

#[test]
fn a_changed_service_is_scanned_again_and_the_others_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("svc/go-http-api");
    let b = tmp.path().join("svc/rust-http-service");
    copy_tree(&samples().join("go-http-api"), &a);
    copy_tree(&samples().join("rust-http-service"), &b);
    let out = tmp.path().join("fleet");
    let scan = || {
        wasmfit()
            .args(["fleet", "scan", "-q"])
            .arg(&a)
            .arg(&b)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        statuses(&manifest(&out))
    };
    scan();
    std::fs::write(
        a.join("extra.go"),
        "package main\n\nimport \"os/exec\"\n\nfunc run() { exec.Command(\"ffmpeg\").Run() }\n",
    )
    .unwrap();
    let s = scan();
    assert_eq!(s["go-http-api"], "scanned");
    assert_eq!(s["rust-http-service"], "reused");
    // A report edited by hand is not trusted: scanned again.
    let rep = out.join("reports/rust-http-service.json");
    let text = std::fs::read_to_string(&rep).unwrap();
    std::fs::write(&rep, text.replace("\"score\"", "\"score\" ")).unwrap();
    assert_eq!(scan()["rust-http-service"], "scanned");
}

/// N worker processes with shard indexes, merged, equal a single-process
/// run byte for byte on the per-service reports.
#[test]
fn shards_in_separate_processes_merge_to_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let list = sample_list(tmp.path());
    let single = tmp.path().join("single");
    wasmfit()
        .args(["fleet", "scan", "-q"])
        .arg(&list)
        .arg("--out")
        .arg(&single)
        .assert()
        .success();
    let n = 3;
    let bin = assert_cmd::cargo::cargo_bin("wasmfit");
    let workers: Vec<_> = (0..n)
        .map(|i| {
            std::process::Command::new(&bin)
                .args(["fleet", "scan", "-q", "--jobs", "1"])
                .arg(&list)
                .arg("--shard")
                .arg(format!("{i}/{n}"))
                .arg("--out")
                .arg(tmp.path().join(format!("shard-{i}")))
                .spawn()
                .unwrap()
        })
        .collect();
    for mut w in workers {
        assert!(w.wait().unwrap().success());
    }
    // Disjoint, and together every service.
    let mut seen = BTreeMap::new();
    for i in 0..n {
        let dir = tmp.path().join(format!("shard-{i}"));
        assert_eq!(manifest(&dir)["shards"][0]["index"], i);
        for name in reports(&dir).keys() {
            assert!(
                seen.insert(name.clone(), i).is_none(),
                "{name} in two shards"
            );
        }
    }
    assert_eq!(seen.len(), sample_dirs().len());
    let merged = tmp.path().join("merged");
    let mut cmd = wasmfit();
    cmd.args(["fleet", "merge"]);
    for i in 0..n {
        cmd.arg(tmp.path().join(format!("shard-{i}")));
    }
    cmd.arg("--out").arg(&merged).assert().success();
    assert_eq!(reports(&merged), reports(&single), "merged reports differ");
    let (m, s) = (manifest(&merged), manifest(&single));
    assert_eq!(statuses(&m).len(), statuses(&s).len());
    assert_eq!(m["shards"].as_array().unwrap().len(), n);
    assert!(m.get("missing_shards").is_none(), "{m:#}");

    // A merge missing a shard says so; one into a non-empty directory is refused.
    let partial = tmp.path().join("partial");
    let out = wasmfit()
        .args(["fleet", "merge"])
        .arg(tmp.path().join("shard-0"))
        .arg(tmp.path().join("shard-2"))
        .arg("--out")
        .arg(&partial)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("shards 1 of 3 are missing"));
    assert_eq!(manifest(&partial)["missing_shards"], serde_json::json!([1]));
    wasmfit()
        .args(["fleet", "merge"])
        .arg(tmp.path().join("shard-0"))
        .arg("--out")
        .arg(&partial)
        .assert()
        .code(2);
}

#[test]
fn merging_runs_of_different_versions_is_refused_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    for (dir, s) in [(&a, "go-http-api"), (&b, "rust-http-service")] {
        wasmfit()
            .args(["fleet", "scan", "-q"])
            .arg(samples().join(s))
            .arg("--out")
            .arg(dir)
            .assert()
            .success();
    }
    // As if b had been written by another wasmfit.
    let mut m = manifest(&b);
    m["tool"]["version"] = "0.0.9".into();
    std::fs::write(b.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let out = wasmfit()
        .args(["fleet", "merge"])
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(tmp.path().join("m"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wasmfit 0.0.9") && err.contains("--allow-mixed"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    wasmfit()
        .args(["fleet", "merge", "--allow-mixed"])
        .arg(&a)
        .arg(&b)
        .arg("--out")
        .arg(tmp.path().join("m"))
        .assert()
        .success();
    assert_eq!(reports(&tmp.path().join("m")).len(), 2);
}

#[test]
fn bad_inputs_are_clear_errors_or_recorded_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fleet");
    let go = samples().join("go-http-api");
    for spec in ["3/2", "0/0", "1", "x/2"] {
        let o = wasmfit()
            .args(["fleet", "scan"])
            .arg(&go)
            .args(["--shard", spec, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "--shard {spec}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("--shard"));
    }
    // A missing argument is the user's to fix.
    wasmfit()
        .args(["fleet", "scan", "/no/such/service", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    // A directory that is not a fleet's is never written into.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let o = wasmfit()
        .args(["fleet", "scan"])
        .arg(&go)
        .arg("--out")
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a wasmfit fleet directory"));
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
    std::fs::write(
        other.join("manifest.json"),
        "{\"format\": \"something-else\"}",
    )
    .unwrap();
    for args in [
        vec!["fleet", "report"],
        vec!["fleet", "merge", "--out", "/tmp/unused-x"],
    ] {
        let o = wasmfit().args(&args).arg(&other).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("not a wasmfit fleet manifest"));
    }

    // In a list: a missing path, an unreadable image, a nested list, a
    // duplicate. Each is recorded; the good services are scanned.
    let bad_image = tmp.path().join("broken.tar.gz");
    std::fs::write(&bad_image, [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).unwrap();
    std::fs::write(tmp.path().join("nested.txt"), "x\n").unwrap();
    let list = tmp.path().join("list.txt");
    std::fs::write(
        &list,
        format!(
            "{}\ngone\nbroken.tar.gz\nnested.txt\n{}\n",
            go.display(),
            go.display()
        ),
    )
    .unwrap();
    wasmfit()
        .args(["fleet", "scan", "-q"])
        .arg(&list)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let m = manifest(&out);
    let s = statuses(&m);
    assert_eq!(s["go-http-api"], "scanned");
    for bad in ["gone", "broken", "nested.txt"] {
        assert_eq!(s[bad], "failed", "{bad}: {m:#}");
    }
    let err = |name: &str| {
        m["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["error"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(err("gone").contains("list.txt:2"), "{}", err("gone"));
    assert!(err("broken").starts_with("image "), "{}", err("broken"));
    assert!(err("nested.txt").contains("lists do not nest"));
    assert_eq!(m["duplicates"][0]["same_as"], "go-http-api");
    assert_eq!(m["counts"]["failed"], 3);
    // Failures are retried; the scanned service is kept.
    std::fs::create_dir_all(tmp.path().join("gone")).unwrap();
    std::fs::write(
        tmp.path().join("gone/main.go"),
        "package main\nfunc main() {}\n",
    )
    .unwrap();
    wasmfit()
        .args(["fleet", "scan", "-q"])
        .arg(&list)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let s = statuses(&manifest(&out));
    assert_eq!(s["go-http-api"], "reused");
    assert_eq!(s["gone"], "scanned");
}

/// An input that disappears between the listing and its scan is a recorded
/// failure, and what was scanned before it stays.
#[test]
fn an_input_that_disappears_mid_run_is_a_recorded_failure() {
    use wasmfit::fleet::{inputs, run, store::FleetDir, Status};
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    copy_tree(&samples().join("go-http-api"), &a);
    copy_tree(&samples().join("rust-http-service"), &b);
    let expanded = inputs::expand(&[a.clone(), b.clone()]).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
    let (dir, _) = FleetDir::create_or_resume(&tmp.path().join("fleet")).unwrap();
    let rules = wasmfit::rules::RuleSet::builtin().unwrap();
    let m = run::run(
        expanded,
        &dir,
        &rules,
        &run::Settings {
            jobs: 1,
            ..Default::default()
        },
        &|_, _, _| {},
    )
    .unwrap();
    let by: BTreeMap<_, _> = m.services.iter().map(|e| (e.name.as_str(), e)).collect();
    assert_eq!(by["a"].status, Status::Scanned);
    assert_eq!(by["b"].status, Status::Failed);
    assert!(by["b"].error.as_deref().unwrap().contains("cannot read"));
    assert!(tmp.path().join("fleet/reports/a.json").is_file());
}

#[test]
fn the_portfolio_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let list = sample_list(tmp.path());
    let out = tmp.path().join("fleet");
    wasmfit()
        .args(["fleet", "scan", "-q"])
        .arg(&list)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let json = wasmfit()
        .args(["fleet", "report", "-f", "json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(json.status.success());
    let p: Value = serde_json::from_slice(&json.stdout).unwrap();
    let n = sample_dirs().len();
    assert_eq!(p["totals"]["services"], n);
    let sum: u64 = p["totals"]["verdicts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(sum as usize, n);
    // Ranked: good fits before porting before stay, ranks 1..n.
    let c = p["candidates"].as_array().unwrap();
    let order = |v: &str| {
        ["good-fit", "porting", "stay", "unknown"]
            .iter()
            .position(|x| *x == v)
    };
    for w in c.windows(2) {
        assert!(
            order(w[0]["verdict"].as_str().unwrap()) <= order(w[1]["verdict"].as_str().unwrap())
        );
        assert_eq!(w[1]["rank"].as_u64(), w[0]["rank"].as_u64().map(|r| r + 1));
    }
    assert!(c
        .iter()
        .all(|x| !x["reasons"].as_array().unwrap().is_empty()));
    // The ffmpeg sample is blocked by the subprocess rule; the fleet says so.
    let blockers = p["blockers"].as_array().unwrap();
    let spawn = blockers
        .iter()
        .find(|b| {
            b["services"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s == "python-flask-ffmpeg")
        })
        .expect("a blocker of python-flask-ffmpeg");
    assert!(spawn["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(!p["runtimes"].as_array().unwrap().is_empty());

    let csv = wasmfit()
        .args(["fleet", "report", "-f", "csv"])
        .arg(&out)
        .output()
        .unwrap();
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(csv.starts_with("rank,name,input,status,verdict,score"));
    assert_eq!(csv.lines().count(), n + 1);
    let md = wasmfit()
        .args(["fleet", "report", "-f", "markdown"])
        .arg(&out)
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    for h in [
        "## Candidates",
        "## Blockers across the fleet",
        "## Dependency hot spots",
        "## Runtime mix",
    ] {
        assert!(md.contains(h), "{h} missing");
    }
    let html_file = tmp.path().join("fleet.html");
    wasmfit()
        .args(["fleet", "report"])
        .arg(&out)
        .arg("-o")
        .arg(&html_file)
        .assert()
        .success();
    let html = std::fs::read_to_string(&html_file).unwrap();
    for id in [
        "summary",
        "candidates",
        "blockers",
        "hot-spots",
        "runtimes",
        "failures",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "#{id}");
    }
    assert!(html.contains("<svg class=\"chart\""));
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(html.contains("Content-Security-Policy"));
}

/// Two runs: a service that lost its blocker became fit, a new service
/// brought its blockers, a removed one is listed.
#[test]
fn trend_between_two_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let svc = tmp.path().join("svc/api");
    std::fs::create_dir_all(&svc).unwrap();
    std::fs::write(svc.join("go.mod"), "module example.com/api\n\ngo 1.22\n").unwrap();
    let blocked = "package main\n\nimport (\n\t\"net/http\"\n\t\"os/exec\"\n)\n\nfunc main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {\n\t\texec.Command(\"ffmpeg\", \"-i\", \"x\").Run()\n\t})\n\thttp.ListenAndServe(\":8080\", nil)\n}\n";
    std::fs::write(svc.join("main.go"), blocked).unwrap();
    let old = tmp.path().join("old");
    wasmfit()
        .args(["fleet", "scan", "-q"])
        .arg(&svc)
        .arg(samples().join("go-http-api"))
        .arg("--out")
        .arg(&old)
        .assert()
        .success();
    let fixed = "package main\n\nimport \"net/http\"\n\nfunc main() {\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {\n\t\tw.Write([]byte(\"ok\"))\n\t})\n\thttp.ListenAndServe(\":8080\", nil)\n}\n";
    std::fs::write(svc.join("main.go"), fixed).unwrap();
    let new = tmp.path().join("new");
    wasmfit()
        .args(["fleet", "scan", "-q"])
        .arg(&svc)
        .arg(samples().join("python-flask-ffmpeg"))
        .arg("--out")
        .arg(&new)
        .assert()
        .success();
    let out = wasmfit()
        .args(["fleet", "report", "-f", "json", "--compare"])
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &p["trend"];
    let old_verdict = manifest(&old)["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "api")
        .unwrap()["verdict"]
        .clone();
    assert_eq!(old_verdict, "stay", "the fixture must start blocked");
    assert_eq!(t["changes"][0]["service"], "api");
    assert_eq!(t["changes"][0]["from"], "stay");
    assert_eq!(t["added"], serde_json::json!(["python-flask-ffmpeg"]));
    assert_eq!(t["removed"], serde_json::json!(["go-http-api"]));
    let resolved = t["resolved_blockers"].as_array().unwrap();
    assert!(
        resolved
            .iter()
            .any(|b| b["services"] == serde_json::json!(["api"])),
        "{t:#}"
    );
    let new_b = t["new_blockers"].as_array().unwrap();
    assert!(
        new_b
            .iter()
            .any(|b| b["services"] == serde_json::json!(["python-flask-ffmpeg"])),
        "{t:#}"
    );
    if p["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "api" && c["verdict"] == "good-fit")
    {
        assert_eq!(t["became_fit"], serde_json::json!(["api"]));
    }
    let md = wasmfit()
        .args(["fleet", "report", "-f", "markdown", "--compare"])
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&md.stdout).contains("## Since "));
}

/// What fixing a blocker unlocks is the verdict the service's findings
/// score to without it.
#[test]
fn fixing_the_only_blocker_unlocks_the_service() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fleet");
    wasmfit()
        .args(["fleet", "scan", "-q"])
        .arg(samples().join("python-flask-ffmpeg"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let report = wasmfit::report::json::parse_slice(
        &std::fs::read(out.join("reports/python-flask-ffmpeg.json")).unwrap(),
    )
    .unwrap();
    let json = wasmfit()
        .args(["fleet", "report", "-f", "json"])
        .arg(&out)
        .output()
        .unwrap();
    let p: Value = serde_json::from_slice(&json.stdout).unwrap();
    for b in p["blockers"].as_array().unwrap() {
        let id = b["rule_id"].as_str().unwrap();
        let without: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule_id != id)
            .cloned()
            .collect();
        let after = wasmfit::analyze::score::score(&without).verdict;
        let unlocked = !b["unlocks"].as_array().unwrap().is_empty();
        assert_eq!(unlocked, after != report.verdict, "{id}: {after}");
    }
}

/// A `docker save` archive built here: one layer with a Python service.
fn docker_save(path: &Path) {
    let mut layer = tar::Builder::new(Vec::new());
    let app =
        b"import subprocess\n\nsubprocess.run([\"ffmpeg\", \"-i\", \"in.mp4\", \"out.webm\"])\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(app.len() as u64);
    h.set_mode(0o644);
    layer.append_data(&mut h, "app/app.py", &app[..]).unwrap();
    let layer = layer.into_inner().unwrap();
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": ["python", "/app/app.py"], "WorkingDir": "/app"},
        "rootfs": {"type": "layers", "diff_ids": []}
    });
    let manifest = serde_json::json!([{"Config": "cfg.json", "RepoTags": ["fleet/app:1"], "Layers": ["l1/layer.tar"]}]);
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("cfg.json", serde_json::to_vec(&config).unwrap()),
        ("l1/layer.tar", layer),
        ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    std::fs::write(path, b.into_inner().unwrap()).unwrap();
}

#[test]
fn image_archives_are_services_and_git_checkouts_record_their_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let image = tmp.path().join("thumbnailer.tar");
    docker_save(&image);
    let repo = tmp.path().join("api");
    copy_tree(&samples().join("go-http-api"), &repo);
    let sha = "89abcdef0123456789abcdef0123456789abcdef";
    std::fs::create_dir_all(repo.join(".git/refs/heads")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(repo.join(".git/refs/heads/main"), format!("{sha}\n")).unwrap();
    let out = tmp.path().join("fleet");
    wasmfit()
        .args(["fleet", "scan", "-q"])
        .arg(&image)
        .arg(&repo)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let m = manifest(&out);
    let by: BTreeMap<String, Value> = m["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e.clone()))
        .collect();
    let img = &by["thumbnailer"];
    assert_eq!(img["kind"], "image");
    assert_eq!(img["status"], "scanned", "{img:#}");
    let r = wasmfit::report::json::parse_slice(
        &std::fs::read(out.join("reports/thumbnailer.json")).unwrap(),
    )
    .unwrap();
    assert!(r.image.is_some(), "scanned as an image");
    assert_eq!(by["api"]["kind"], "git");
    assert_eq!(by["api"]["commit"], sha);
}
