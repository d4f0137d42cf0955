//! The HTML report in a real browser: headless Chromium (Debian's
//! `chromium`, installed by .ci/run) opens the reports of several samples
//! and of the hostile fixture, and the test checks that the page renders
//! its key elements, logs nothing to the console (no error, no CSP
//! violation), makes no network request, and runs no script. Screenshots
//! (desktop and phone width) and a printed PDF land in
//! `target/test-artifacts/` for a person to look at.
//!
//! "No network request" is read from Chromium's own net log: every request
//! made on behalf of the page carries the page's `file://` origin, while
//! the browser's background traffic (update checks) carries none, so the
//! two are told apart without guessing host names. Name resolution is
//! mapped to nowhere, so nothing could leave the machine anyway. A control
//! test proves both checks fire on a page that does load something.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use wasmfit::rules::RuleSet;

const SAMPLES: &[&str] = &[
    "python-flask-ffmpeg",
    "java-spring-orders",
    "rust-http-service",
    "node-express-thumbnailer",
    "go-ebpf-loader",
];

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

struct Run {
    dom: String,
    console: Vec<String>,
    requests: Vec<String>,
}

/// Opens `page` once in a fresh profile and returns the DOM after load,
/// the console messages and the URLs the page asked for.
fn open(chrome: &Path, page: &Path, extra: &[String]) -> Run {
    let profile = tempfile::tempdir().unwrap();
    let netlog = profile.path().join("net.json");
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
    .arg(format!("--log-net-log={}", netlog.display()))
    .args(extra)
    .arg(url(page))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let out = wait(cmd, Duration::from_secs(90));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Content Security Policy"))
        .map(str::to_string)
        .collect();
    Run {
        dom: String::from_utf8_lossy(&out.stdout).to_string(),
        console,
        requests: page_requests(&netlog),
    }
}

fn url(page: &Path) -> String {
    format!("file://{}", page.canonicalize().unwrap().display())
}

/// Runs with a deadline: a hung browser must fail the test, not CI's clock.
fn wait(mut cmd: Command, limit: Duration) -> std::process::Output {
    let child = cmd.spawn().expect("start chromium");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let start = Instant::now();
    loop {
        if let Ok(out) = rx.try_recv() {
            return out.expect("chromium output");
        }
        if start.elapsed() > limit {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("chromium did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// URLs requested on behalf of a page: `URL_REQUEST_START_JOB` events whose
/// initiator is an origin (a `file://` page's is `null`), not the browser's
/// own (`not an origin`), and that are not the page's own file.
fn page_requests(netlog: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(netlog) else {
        return vec!["(no net log was written)".into()];
    };
    // An interrupted log lacks its closing brackets.
    let log: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .unwrap_or(Value::Null);
    let Some(types) = log
        .pointer("/constants/logEventTypes")
        .and_then(Value::as_object)
    else {
        return vec!["(unreadable net log)".into()];
    };
    let start_job = types.get("URL_REQUEST_START_JOB").and_then(Value::as_u64);
    let mut out = Vec::new();
    for e in log["events"].as_array().into_iter().flatten() {
        if e["type"].as_u64() != start_job {
            continue;
        }
        let p = &e["params"];
        // The event's end phase repeats the type without parameters.
        let Some(url) = p["url"].as_str() else {
            continue;
        };
        let initiator = p["initiator"].as_str().unwrap_or("");
        let from_page = initiator != "not an origin"
            || p["network_isolation_key"]
                .as_str()
                .unwrap_or("")
                .contains("file://");
        if from_page && !url.starts_with("file:") && !url.starts_with("data:") {
            out.push(url.to_string());
        }
    }
    out
}

fn report_page(dir: &Path, name: &str, report: &wasmfit::model::Report) -> PathBuf {
    let page = dir.join(format!("{name}.html"));
    std::fs::write(
        &page,
        wasmfit::report::Renderer::to_string(&wasmfit::report::html::Html, report).unwrap(),
    )
    .unwrap();
    page
}

#[test]
fn reports_render_in_chromium_without_errors_requests_or_scripts() {
    let chrome = require!(
        "reports_render_in_chromium_without_errors_requests_or_scripts",
        support::chromium(),
        support::CHROMIUM_WHY
    );
    let rules = RuleSet::builtin().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let shots = artifacts();
    let mut pages: Vec<(String, PathBuf, String)> = Vec::new();
    for name in SAMPLES {
        let r = wasmfit::scan::scan(
            &repo().join("samples").join(name),
            &Default::default(),
            &rules,
            &|_, _| {},
        )
        .unwrap();
        pages.push((
            name.to_string(),
            report_page(dir.path(), name, &r),
            r.verdict.to_string(),
        ));
    }
    let fixture = wasmfit::report::json::parse(
        &std::fs::read_to_string(repo().join("tests/data/fixture-report.json")).unwrap(),
    )
    .unwrap();
    pages.push((
        "fixture".into(),
        report_page(dir.path(), "fixture", &fixture),
        fixture.verdict.to_string(),
    ));

    let mut failures = Vec::new();
    for (name, page, verdict) in &pages {
        let run = open(&chrome, page, &["--dump-dom".into()]);
        for id in [
            "verdict",
            "score",
            "signals",
            "findings",
            "blockers",
            "capabilities",
            "runtime",
            "dependencies",
            "effort",
            "supply-chain",
            "deductions",
            "diagnostics",
        ] {
            if !run.dom.contains(&format!("id=\"{id}\"")) {
                failures.push(format!("{name}: #{id} missing from the rendered page"));
            }
        }
        if !run
            .dom
            .contains(&format!("class=\"verdict\">{verdict}</h1>"))
        {
            failures.push(format!("{name}: the verdict {verdict} is not shown"));
        }
        if run.dom.to_ascii_lowercase().contains("<script") {
            failures.push(format!("{name}: a script element in the DOM"));
        }
        for c in &run.console {
            failures.push(format!("{name}: console: {c}"));
        }
        for u in &run.requests {
            failures.push(format!("{name}: requested {u}"));
        }
        for (label, size) in [("desktop", "1280,2400"), ("phone", "390,2400")] {
            let png = shots.join(format!("report-{name}-{label}.png"));
            let _ = std::fs::remove_file(&png);
            let run = open(
                &chrome,
                page,
                &[
                    format!("--screenshot={}", png.display()),
                    format!("--window-size={size}"),
                    "--hide-scrollbars".into(),
                ],
            );
            if !png.is_file() || std::fs::metadata(&png).unwrap().len() < 10_000 {
                failures.push(format!(
                    "{name}: no {label} screenshot at {}",
                    png.display()
                ));
            }
            for u in &run.requests {
                failures.push(format!("{name} ({label}): requested {u}"));
            }
        }
    }
    // Printed: what a reader sends around as PDF.
    let pdf = shots.join("report-python-flask-ffmpeg.pdf");
    let _ = std::fs::remove_file(&pdf);
    open(
        &chrome,
        &pages[0].1,
        &[
            format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer".into(),
        ],
    );
    match std::fs::read(&pdf) {
        Ok(b) if b.starts_with(b"%PDF") && b.len() > 10_000 => {}
        _ => failures.push(format!("no printed PDF at {}", pdf.display())),
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("screenshots in {}", shots.display());
}

/// The checks above would be worthless if they could not fail: a page that
/// loads an image must show up in the net log, and a script blocked by the
/// report's policy must show up on the console.
#[test]
fn the_browser_checks_catch_requests_and_console_errors() {
    let chrome = require!(
        "the_browser_checks_catch_requests_and_console_errors",
        support::chromium(),
        support::CHROMIUM_WHY
    );
    let dir = tempfile::tempdir().unwrap();
    let loads = dir.path().join("loads.html");
    std::fs::write(
        &loads,
        "<!DOCTYPE html><title>x</title><img src=\"http://example.invalid/pixel.png\">",
    )
    .unwrap();
    let run = open(&chrome, &loads, &["--dump-dom".into()]);
    assert!(
        run.requests.iter().any(|u| u.contains("example.invalid")),
        "request not seen: {:?}",
        run.requests
    );

    let html = wasmfit::report::Renderer::to_string(
        &wasmfit::report::html::Html,
        &wasmfit::report::json::parse(
            &std::fs::read_to_string(repo().join("tests/data/fixture-report.json")).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    // A script smuggled past escaping would meet the Content-Security-Policy.
    let injected = html.replacen(
        "</main>",
        "<script>document.title='ran'</script><img src=\"http://example.invalid/x.png\"></main>",
        1,
    );
    let page = dir.path().join("injected.html");
    std::fs::write(&page, injected).unwrap();
    let run = open(&chrome, &page, &["--dump-dom".into()]);
    assert!(
        run.console
            .iter()
            .any(|c| c.contains("Content Security Policy")),
        "no CSP report: {:?}",
        run.console
    );
    assert!(!run.dom.contains("<title>ran</title>"), "the script ran");
    assert!(
        run.requests.is_empty(),
        "the policy let a request through: {:?}",
        run.requests
    );
}
