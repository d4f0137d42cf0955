//! `wasmfit bench` on services that fail: a clear error naming the step,
//! with the log's last lines, exit status 2 from the CLI, and nothing left
//! on the Docker engine.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use wasmfit::bench::{self, BenchOptions, Sides, Step, Workload};

fn service(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn opts(path: &Path, run_id: &str) -> BenchOptions {
    BenchOptions {
        path: path.to_path_buf(),
        cold_runs: 1,
        throughput_runs: 1,
        duration: Duration::from_millis(100),
        warmup: Duration::from_millis(50),
        wasm_idle: 2,
        container_idle: 1,
        timeout: Duration::from_secs(3),
        cache_dir: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-errors-cache")),
        run_id: Some(format!("test-err-{run_id}-{}", std::process::id())),
        ..BenchOptions::default()
    }
}

/// Whether gcc links static programs; skips `test` visibly when not.
fn have_gcc(test: &str) -> bool {
    let found = support::static_gcc().is_some();
    if !found {
        support::skip(test, support::STATIC_GCC_WHY);
    }
    found
}

fn assert_nothing_left(run_id: &str) {
    let filter = format!("label=wasmfit.bench.run={run_id}");
    for args in [
        vec!["ps", "-aq", "--filter", &filter],
        vec!["images", "-q", "--filter", &filter],
    ] {
        let out = Command::new("docker")
            .args(&args)
            .output()
            .expect("docker CLI");
        assert!(
            String::from_utf8_lossy(&out.stdout).trim().is_empty(),
            "left behind: docker {args:?}"
        );
    }
}

fn no_progress(_: &str) {}

#[test]
fn c_service_that_does_not_compile() {
    if !have_gcc("c_service_that_does_not_compile") {
        return;
    }
    let dir = service(&[("main.c", "int main(void) { return missing_function(; }\n")]);
    let e = bench::run(&opts(dir.path(), "cc"), &no_progress).unwrap_err();
    assert_eq!(e.step, Step::NativeBuild, "{e}");
    assert!(!e.log_tail.is_empty(), "the compiler's output is shown");
    assert!(e.to_string().contains("building the native binary failed"));
}

#[test]
fn rust_service_that_does_not_compile_for_wasm() {
    if bench::WASM_ENABLED && !support::rust_target("wasm32-wasip1") {
        support::skip(
            "rust_service_that_does_not_compile_for_wasm",
            "rustup target wasm32-wasip1 is not installed (rustup target add wasm32-wasip1)",
        );
        return;
    }
    let dir = service(&[(
        "Cargo.toml",
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[workspace]\n",
    )]);
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("src/main.rs"),
        "#[cfg(target_os = \"wasi\")]\ncompile_error!(\"no wasm for me\");\nfn main() {}\n",
    )
    .unwrap();
    let mut o = opts(dir.path(), "rs");
    o.sides = Sides {
        native: false,
        container: false,
        wasm: true,
    };
    match bench::run(&o, &no_progress) {
        Err(e) if bench::WASM_ENABLED => {
            assert_eq!(e.step, Step::WasmBuild, "{e}");
            assert!(
                e.log_tail.iter().any(|l| l.contains("no wasm for me")),
                "{e}"
            );
        }
        Ok(r) if !bench::WASM_ENABLED => assert!(r.wasm.is_none()),
        other => panic!("unexpected: {other:?}"),
    }
}

#[test]
fn service_that_exits_at_once() {
    if !have_gcc("service_that_exits_at_once") {
        return;
    }
    let dir = service(&[("main.c", "int main(void) { return 3; }\n")]);
    let e = bench::run(&opts(dir.path(), "exit"), &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
    assert!(e.message.contains("answered 0 of 1"), "{e}");
}

#[test]
fn container_that_exits_at_once_leaves_nothing() {
    let test = "container_that_exits_at_once_leaves_nothing";
    if !support::docker_available() {
        support::skip(test, support::DOCKER_WHY);
        return;
    }
    if !have_gcc(test) {
        return;
    }
    let dir = service(&[("main.c", "#include <stdio.h>\nint main(void) { fputs(\"fatal: no config\\n\", stderr); return 1; }\n")]);
    let mut o = opts(dir.path(), "cexit");
    o.sides = Sides {
        native: false,
        container: true,
        wasm: false,
    };
    let e = bench::run(&o, &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Container, "{e}");
    assert!(
        e.log_tail.iter().any(|l| l.contains("fatal: no config")),
        "{e}"
    );
    assert_nothing_left(o.run_id.as_deref().unwrap());
}

#[test]
fn http_service_that_never_listens() {
    if !have_gcc("http_service_that_never_listens") {
        return;
    }
    let never = "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n";
    let dir = service(&[
        ("main.c", never),
        ("Dockerfile", "FROM scratch\nEXPOSE 8080\n"),
    ]);
    let mut o = opts(dir.path(), "listen");
    o.sides = Sides {
        native: true,
        container: false,
        wasm: false,
    };
    let e = bench::run(&o, &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
    assert!(e.message.contains("never answered"), "{e}");
    if !support::docker_available() {
        support::skip(
            "http_service_that_never_listens (container side)",
            support::DOCKER_WHY,
        );
    } else {
        o.sides = Sides {
            native: false,
            container: true,
            wasm: false,
        };
        o.workload = Some(Workload::Http);
        let e = bench::run(&o, &no_progress).unwrap_err();
        assert_eq!(e.step, Step::Container, "{e}");
        assert_nothing_left(o.run_id.as_deref().unwrap());
    }
}

#[test]
fn missing_path_is_an_input_error() {
    let e = bench::run(
        &opts(&PathBuf::from("/nonexistent/wasmfit-service"), "none"),
        &no_progress,
    )
    .unwrap_err();
    assert_eq!(e.step, Step::Input);
}

#[test]
fn cli_exits_2_with_the_step_and_log() {
    if !have_gcc("cli_exits_2_with_the_step_and_log") {
        return;
    }
    let dir = service(&[("main.c", "this is not C\n")]);
    let out = Command::new(env!("CARGO_BIN_EXE_wasmfit"))
        .args(["bench", "--quiet", "--cold-runs", "1", "--cache-dir"])
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-errors-cache"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("building the native binary failed"),
        "{stderr}"
    );
    assert!(stderr.contains("last lines of the log"), "{stderr}");
    assert!(out.stdout.is_empty());
}
