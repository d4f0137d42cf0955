//! A bench run stopped by SIGINT, SIGTERM or SIGHUP at any moment (while
//! the service builds, while the image builds, while measuring) exits with
//! 128 + the signal and leaves nothing behind: no container or image with
//! the run's label (dangling images included), no child process.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
        .display()
        .to_string()
}

fn labelled(run_id: &str) -> Vec<String> {
    let filter = format!("label=wasmfit.bench.run={run_id}");
    let mut left = Vec::new();
    for args in [
        vec!["ps", "-aq", "--filter", &filter],
        vec!["images", "-aq", "--filter", &filter],
    ] {
        if let Ok(out) = Command::new("docker").args(&args).output() {
            left.extend(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(str::to_string),
            );
        }
    }
    left
}

/// Processes whose command line mentions `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if e.file_name().to_string_lossy().parse::<u32>().is_err() {
            continue;
        }
        if let Ok(raw) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
            if cmd.contains(needle) {
                out.push(cmd);
            }
        }
    }
    out
}

/// Starts a bench, sends `signal` once stderr shows `at` (a progress
/// line), and checks the exit status and that nothing is left.
fn stop_at(name: &str, at: &str, signal: &str, number: i32, fresh_cache: bool) {
    let run_id = format!("test-sig-{name}-{}", std::process::id());
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join(if fresh_cache {
        format!("bench-sig-cache-{name}")
    } else {
        "bench-sig-cache".to_string()
    });
    if fresh_cache {
        let _ = std::fs::remove_dir_all(&cache);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmfit"))
        .args([
            "bench",
            &sample("bench-stdio-c"),
            "--run-id",
            &run_id,
            "--cold-runs",
            "200",
            "--runs",
            "3",
            "--density-max",
            "3",
            "--cache-dir",
        ])
        .arg(&cache)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let Ok(line) = line else { break };
        seen.push(line.clone());
        if line.contains(at) {
            // A moment into the step, not at its first instant.
            std::thread::sleep(Duration::from_millis(150));
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), &child.id().to_string()])
                .status();
            break;
        }
    }
    // Keep reading, so the run never writes to a closed pipe.
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "no exit after {signal}: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    seen.extend(rest.join().unwrap_or_default());
    assert_eq!(status.code(), Some(128 + number), "{name}: {seen:?}");
    assert!(
        labelled(&run_id).is_empty(),
        "{name}: left {:?}",
        labelled(&run_id)
    );
    let cache_text = cache.display().to_string();
    let left = processes_with(&cache_text);
    assert!(left.is_empty(), "{name}: processes left {left:?}");
}

#[test]
fn signals_at_any_moment_leave_nothing_behind() {
    let test = "signals_at_any_moment_leave_nothing_behind";
    if !support::docker_available() {
        return support::skip(test, support::DOCKER_WHY);
    }
    if support::static_gcc().is_none() {
        return support::skip(test, support::STATIC_GCC_WHY);
    }
    if support::wasi_clang().is_none() {
        return support::skip(test, support::WASI_CLANG_WHY);
    }
    // While the native and Wasm builds run (a fresh cache forces them).
    stop_at("build", "building", "TERM", 15, true);
    // While the image builds.
    stop_at("image", "container: building the image", "INT", 2, false);
    // While measuring: containers, the Wasm host and the service running.
    stop_at("measure", "process cold start", "HUP", 1, false);
}
