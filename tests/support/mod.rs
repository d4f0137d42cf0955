//! Shared by the integration tests: finding the external tools some tests
//! need (Docker, Chromium, Go, gcc, a wasm C toolchain, Rust's wasm
//! targets, a JDK), and skipping visibly when one is missing.
//!
//! A skip is written straight to the process's stderr, not through
//! `eprintln!`, which the test harness captures: so `SKIPPED: ...` shows in
//! the normal `cargo test` output next to the `ok` it would otherwise hide.
//! CI installs every tool and sets `WASMFIT_REQUIRE_TOOLS=1`, which turns a
//! skip into a failure, so nothing is silently skipped there.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Whether CI asked for every tool (`WASMFIT_REQUIRE_TOOLS=1`).
pub fn tools_required() -> bool {
    std::env::var_os("WASMFIT_REQUIRE_TOOLS").is_some_and(|v| v == "1")
}

/// Says that `test` did not run and why; fails instead under
/// `WASMFIT_REQUIRE_TOOLS=1`.
pub fn skip(test: &str, why: &str) {
    if tools_required() {
        panic!("{test}: {why} (WASMFIT_REQUIRE_TOOLS=1 requires every tool)");
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "SKIPPED: {test}: {why}");
}

/// Says that `test` cannot mean anything on this machine (not a missing
/// tool: e.g. a permission test run as root). Never a failure, even in CI,
/// because installing something cannot fix it.
pub fn not_applicable(test: &str, why: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "SKIPPED (not applicable): {test}: {why}");
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

/// Returns the value of an `Option`-returning probe, or skips the calling
/// test with `why` and returns from it.
#[macro_export]
macro_rules! require {
    ($test:expr, $probe:expr, $why:expr) => {
        match $probe {
            Some(v) => v,
            None => {
                $crate::support::skip($test, $why);
                return;
            }
        }
    };
}

/// Runs `cmd` quietly and says whether it exited 0.
fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `go` on PATH, else the newest Debian `/usr/lib/go-1.x/bin/go`, as
/// `wasmfit bench` finds it.
pub fn go() -> Option<PathBuf> {
    which(&["go"]).or_else(wasmfit::bench::toolchain::debian_go)
}

pub const GO_WHY: &str = "Go is not installed (apt-get install golang-1.23-go)";

/// Compiles a one-line C program in a scratch directory with `cc` and
/// `args`; whether the toolchain works end to end (headers, libc, linker).
fn compiles_c(cc: &Path, args: &[&str]) -> bool {
    let Ok(dir) = tempfile::tempdir() else {
        return false;
    };
    let src = dir.path().join("probe.c");
    if std::fs::write(
        &src,
        "#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n",
    )
    .is_err()
    {
        return false;
    }
    succeeds(
        Command::new(cc)
            .args(args)
            .arg("-o")
            .arg(dir.path().join("probe.out"))
            .arg(&src),
    )
}

/// A clang that builds a wasm32-wasi program (clang plus wasi-libc and the
/// wasm32 builtins), probed once.
pub fn wasi_clang() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            let mut names: Vec<String> = (14..=22).rev().map(|v| format!("clang-{v}")).collect();
            names.push("clang".into());
            names
                .iter()
                .filter_map(|n| which(&[n.as_str()]))
                .find(|cc| compiles_c(cc, &["--target=wasm32-wasi", "-O2"]))
        })
        .clone()
}

pub const WASI_CLANG_WHY: &str = "no clang that builds wasm32-wasi programs \
     (apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32)";

/// gcc that links a static program (gcc plus libc6-dev), probed once.
pub fn static_gcc() -> Option<PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| which(&["gcc"]).filter(|cc| compiles_c(cc, &["-static", "-O2"])))
        .clone()
}

pub const STATIC_GCC_WHY: &str =
    "gcc with a static libc is not installed (apt-get install gcc libc6-dev)";

/// Whether rustup has the standard library for `target` installed.
pub fn rust_target(target: &str) -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc)
        .args(["--print", "sysroot"])
        .stdin(Stdio::null())
        .output()
    else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(target)
        .join("lib")
        .is_dir()
}

/// `WASMFIT_CHROMIUM`, else the first of the usual names on PATH.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WASMFIT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    which(&[
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ])
}

pub const CHROMIUM_WHY: &str =
    "Chromium is not installed (apt-get install chromium, or set WASMFIT_CHROMIUM)";

pub const DOCKER_WHY: &str = "no Docker engine reachable (DOCKER_HOST / /var/run/docker.sock)";

/// Whether a Docker engine answers (`docker version` exits 0 within 20 s),
/// probed once.
pub fn docker_available() -> bool {
    static FOUND: OnceLock<bool> = OnceLock::new();
    *FOUND.get_or_init(probe_docker)
}

fn probe_docker() -> bool {
    let Some(docker) = which(&["docker"]) else {
        return false;
    };
    let mut child = match Command::new(docker)
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
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

/// Whether the process runs as root (a file mode cannot keep root out).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The samples with an `expected.toml` (a verdict to meet), sorted.
pub fn samples_with_expectations() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("expected.toml").is_file())
        .collect();
    v.sort();
    v
}

/// [`samples_with_expectations`] by directory name.
pub fn sample_names_with_expectations() -> Vec<String> {
    samples_with_expectations()
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect()
}
