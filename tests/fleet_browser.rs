//! The fleet page in a real browser: headless Chromium opens the portfolio
//! of a fleet of every sample (plus a failure and a hostile service name),
//! and the test checks that the key sections and the SVG charts render,
//! that nothing is logged to the console (no error, no CSP violation), that
//! the page runs no script. Screenshots (desktop and phone width) land in
//! `target/test-artifacts/fleet-*.png` for a person to look at.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs Chromium headless on `page` with `extra` flags, with a deadline;
/// returns stdout and the console lines of stderr.
fn chromium(chrome: &Path, page: &Path, extra: &[String]) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(extra)
    .arg(format!("file://{}", page.canonicalize().unwrap().display()))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().expect("start chromium");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let start = Instant::now();
    let out = loop {
        if let Ok(out) = rx.try_recv() {
            break out.expect("chromium output");
        }
        if start.elapsed() > Duration::from_secs(90) {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("chromium did not finish in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Content Security Policy"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).to_string(), console)
}

#[test]
fn fleet_page_renders_in_chromium_with_charts_and_no_script() {
    let chrome = require_tool!(
        "fleet_page_renders_in_chromium_with_charts_and_no_script",
        &["chromium", "chromium-browser", "google-chrome"],
        "chromium not installed (apt-get install chromium)"
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut list = String::new();
    for e in std::fs::read_dir(repo().join("samples")).unwrap().flatten() {
        list.push_str(&format!("{}\n", e.path().display()));
    }
    // A failure, and a service whose name would be markup if not escaped.
    list.push_str("does-not-exist\n");
    let hostile = tmp.path().join("<script>alert(1)<");
    std::fs::create_dir_all(&hostile).unwrap();
    std::fs::write(hostile.join("main.go"), "package main\nfunc main() {}\n").unwrap();
    list.push_str(&format!("{}\n", hostile.display()));
    std::fs::write(tmp.path().join("services.txt"), list).unwrap();
    let out = tmp.path().join("fleet");
    let bin = assert_cmd::cargo::cargo_bin("wasmfit");
    let st = Command::new(&bin)
        .args(["fleet", "scan", "-q"])
        .arg(tmp.path().join("services.txt"))
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    let page = tmp.path().join("fleet.html");
    let st = Command::new(&bin)
        .args(["fleet", "report"])
        .arg(&out)
        .arg("-o")
        .arg(&page)
        .status()
        .unwrap();
    assert!(st.success());

    let mut failures = Vec::new();
    let (dom, console) = chromium(&chrome, &page, &["--dump-dom".into()]);
    for id in [
        "summary",
        "candidates",
        "blockers",
        "hot-spots",
        "runtimes",
        "failures",
    ] {
        if !dom.contains(&format!("id=\"{id}\"")) {
            failures.push(format!("#{id} missing from the rendered page"));
        }
    }
    let charts = dom.matches("<svg class=\"chart\"").count();
    if charts < 4 {
        failures.push(format!("{charts} charts rendered, expected at least 4"));
    }
    if dom.to_ascii_lowercase().contains("<script") {
        failures.push("a script element in the DOM".into());
    }
    if !dom.contains("does-not-exist") {
        failures.push("the failed service is not listed".into());
    }
    for c in &console {
        failures.push(format!("console: {c}"));
    }
    let shots = artifacts();
    for (label, size) in [("desktop", "1280,4400"), ("phone", "390,6000")] {
        let png = shots.join(format!("fleet-{label}.png"));
        let _ = std::fs::remove_file(&png);
        chromium(
            &chrome,
            &page,
            &[
                format!("--screenshot={}", png.display()),
                format!("--window-size={size}"),
                "--hide-scrollbars".into(),
            ],
        );
        if !png.is_file() || std::fs::metadata(&png).unwrap().len() < 10_000 {
            failures.push(format!("no {label} screenshot at {}", png.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("screenshots in {}", shots.display());
}
