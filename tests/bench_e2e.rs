//! End-to-end `wasmfit bench` runs on the bench samples against the real
//! toolchains and Docker engine: the figures must be present, positive and
//! consistent, artifact sizes must match the files, and nothing labelled
//! with the run's id may be left on the engine.
//!
//! A missing toolchain skips the test, and a missing Docker engine the
//! container side, with a visible `SKIPPED:` line (`tests/support`); under
//! `WASMFIT_REQUIRE_TOOLS=1` (CI) both are failures.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use wasmfit::bench::{self, BenchOptions, Sides};
use wasmfit::model::bench::{BenchResults, SideResults, Stats};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// Small run counts: the point is that every figure is produced and sane,
/// not its precision.
fn quick(path: PathBuf, run_id: &str) -> BenchOptions {
    BenchOptions {
        path,
        cold_runs: 3,
        throughput_runs: 2,
        duration: Duration::from_millis(300),
        warmup: Duration::from_millis(100),
        wasm_idle: 10,
        container_idle: 2,
        cache_dir: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-cache")),
        timeout: Duration::from_secs(60),
        run_id: Some(format!("test-{run_id}-{}", std::process::id())),
        ..BenchOptions::default()
    }
}

/// The toolchains a sample's sides need: `native` tools always, `wasm`
/// tools when this build embeds wasmtime. Returns false (after a visible
/// skip) when one is missing.
fn have_tools(test: &str, language: &str) -> bool {
    let wasm = bench::WASM_ENABLED;
    let missing = match language {
        "c" if support::static_gcc().is_none() => Some(support::STATIC_GCC_WHY),
        "c" if wasm && support::wasi_clang().is_none() => Some(support::WASI_CLANG_WHY),
        "go" if support::go().is_none() => Some(support::GO_WHY),
        "rust-p1" if wasm && !support::rust_target("wasm32-wasip1") => {
            Some("rustup target wasm32-wasip1 is not installed (rustup target add wasm32-wasip1)")
        }
        "rust-p2" if wasm && !support::rust_target("wasm32-wasip2") => {
            Some("rustup target wasm32-wasip2 is not installed (rustup target add wasm32-wasip2)")
        }
        "rust-p1" | "rust-p2" if support::static_gcc().is_none() => {
            Some("a static native Rust build needs libc6-dev (apt-get install gcc libc6-dev)")
        }
        _ => None,
    };
    match missing {
        Some(why) => {
            support::skip(test, why);
            false
        }
        None => true,
    }
}

fn check_stats(what: &str, s: &Stats) {
    assert!(s.runs >= 1, "{what}: no runs");
    assert!(s.min > 0.0, "{what}: min {} not positive", s.min);
    assert!(
        s.min <= s.median && s.median <= s.p95 && s.p95 <= s.max,
        "{what}: inconsistent {s:?}"
    );
}

fn check_side(name: &str, side: &SideResults) {
    check_stats(
        &format!("{name} cold start"),
        side.cold_start_ms.as_ref().expect("cold start"),
    );
    check_stats(
        &format!("{name} throughput"),
        side.throughput_rps.as_ref().expect("throughput"),
    );
    let idle = side.idle_memory.as_ref().expect("idle memory");
    check_stats(&format!("{name} idle memory"), &idle.per_instance_bytes);
    assert!(idle.instances_per_gib >= 1.0 && idle.instances_per_16gib >= idle.instances_per_gib);
    let a = side.artifact.as_ref().expect("artifact");
    assert!(a.bytes > 0, "{name}: empty artifact");
    if let Some(path) = &a.path {
        assert_eq!(
            std::fs::metadata(path).unwrap().len(),
            a.bytes,
            "{name}: artifact size differs from {path}"
        );
    }
    if let Some(path) = &a.precompiled_path {
        assert_eq!(
            Some(std::fs::metadata(path).unwrap().len()),
            a.precompiled_bytes
        );
    }
}

/// Checks every side that ran, and what was skipped and why.
fn check(r: &BenchResults, expect_wasm_kind: &str) {
    check_side("native", r.native.as_ref().expect("native side"));
    if bench::WASM_ENABLED {
        let w = r.wasm.as_ref().expect("wasm side");
        check_side("wasm", w);
        assert_eq!(r.service.wasm_kind.as_deref(), Some(expect_wasm_kind));
        assert!(r.comparison.throughput_wasm_over_native.is_some());
    } else {
        assert!(r
            .skipped
            .iter()
            .any(|s| s.what == "wasm" && s.reason.contains("--features bench")));
    }
    match &r.container {
        Some(c) => {
            check_side("container", c);
            assert!(r.service.image_source.is_some());
            assert!(r.versions.docker_engine.is_some());
            assert_nothing_left(&r.run_id);
        }
        None => {
            let why = r
                .skipped
                .iter()
                .find(|s| s.what == "container")
                .map(|s| s.reason.clone());
            support::skip(
                &format!("container side of {}", r.service.name),
                &why.unwrap_or_default(),
            );
        }
    }
    assert!(r.machine.cpus >= 1);
    assert_eq!(r.targets.len(), 4);
    // The JSON reads back (floats may differ in the last bit, so compare
    // what identifies the run rather than every figure).
    let json = serde_json::to_string(r).unwrap();
    let back: BenchResults = serde_json::from_str(&json).unwrap();
    assert_eq!(
        (back.run_id.as_str(), &back.service),
        (r.run_id.as_str(), &r.service)
    );
}

/// No container or image carrying this run's label remains.
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
fn bench_stdio_c_all_sides() {
    if !have_tools("bench_stdio_c_all_sides", "c") {
        return;
    }
    let r = bench::run(&quick(sample("bench-stdio-c"), "c"), &no_progress)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.language, "c");
    check(&r, "module");
}

#[test]
fn bench_stdio_rust_all_sides() {
    if !have_tools("bench_stdio_rust_all_sides", "rust-p1") {
        return;
    }
    let r = bench::run(&quick(sample("bench-stdio-rust"), "rust"), &no_progress)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.language, "rust");
    check(&r, "module");
}

#[test]
fn bench_stdio_go_all_sides() {
    if !have_tools("bench_stdio_go_all_sides", "go") {
        return;
    }
    let r = bench::run(&quick(sample("bench-stdio-go"), "go"), &no_progress)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.language, "go");
    check(&r, "module");
}

#[test]
fn bench_http_rust_all_sides() {
    if !have_tools("bench_http_rust_all_sides", "rust-p2") {
        return;
    }
    let r = bench::run(&quick(sample("bench-http-rust"), "http"), &no_progress)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.workload, wasmfit::bench::Workload::Http);
    check(&r, "component");
}

#[test]
fn bench_prebuilt_wasm_runs_wasm_side_only() {
    let test = "bench_prebuilt_wasm_runs_wasm_side_only";
    if !bench::WASM_ENABLED {
        support::skip(
            test,
            "this build has no embedded wasmtime (cargo test --features bench)",
        );
        return;
    }
    if !have_tools(test, "c") {
        return;
    }
    // Build the C sample's module, then bench the .wasm file as it is.
    let mut opts = quick(sample("bench-stdio-c"), "prebuilt");
    opts.sides = Sides {
        native: false,
        container: false,
        wasm: true,
    };
    let first = bench::run(&opts, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    let wasm_path = first.wasm.unwrap().artifact.unwrap().path.unwrap();
    let mut opts = quick(PathBuf::from(&wasm_path), "prebuilt2");
    opts.sides = Sides::default();
    let r = bench::run(&opts, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.language, "wasm");
    assert!(r.native.is_none() && r.container.is_none());
    check_side("wasm", r.wasm.as_ref().unwrap());
}
