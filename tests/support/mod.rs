//! Shared by the integration tests: finding the external tools some tests
//! need (Docker, Chromium, Go, a wasm C toolchain), and skipping visibly
//! when one is missing.
//!
//! A skip is written straight to the process's stderr, not through
//! `eprintln!`, which the test harness captures: so `SKIPPED: ...` shows in
//! the normal `cargo test` output next to the `ok` it would otherwise hide.
//! CI installs every tool and sets `WASMFIT_REQUIRE_TOOLS=1`, which turns a
//! skip into a failure, so nothing is silently skipped there.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// Says that `test` did not run and why; fails instead under
/// `WASMFIT_REQUIRE_TOOLS=1`.
pub fn skip(test: &str, why: &str) {
    if std::env::var_os("WASMFIT_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{test}: {why} (WASMFIT_REQUIRE_TOOLS=1 requires every tool)");
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "SKIPPED: {test}: {why}");
}

/// The first of `names` found on PATH.
pub fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// Returns the tool's path, or skips the calling test with `why` (what to
/// install) and returns from it.
#[macro_export]
macro_rules! require_tool {
    ($test:expr, $names:expr, $why:expr) => {
        match $crate::support::which($names) {
            Some(p) => p,
            None => {
                $crate::support::skip($test, $why);
                return;
            }
        }
    };
}

/// Whether a Docker engine answers (`docker version` exits 0 within 20 s).
pub fn docker_available() -> bool {
    let Some(docker) = which(&["docker"]) else {
        return false;
    };
    let mut child = match std::process::Command::new(docker)
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return false,
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.success(),
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}
