//! End-to-end `wasmfit bench` runs on the bench samples against the real
//! toolchains and Docker engine: every row present on every side that ran,
//! figures positive and consistent, ratios within a row with intervals,
//! artifact sizes matching the files, and nothing labelled with the run's
//! id left on the engine. A missing toolchain or engine skips visibly (see
//! `tests/support`).

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
        request_runs: 5,
        throughput_runs: 2,
        duration: Duration::from_millis(200),
        warmup: Duration::from_millis(100),
        connections: 2,
        density_budget: 96 << 20,
        density_max: 6,
        wasm_density_max: 40,
        cache_dir: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-cache")),
        timeout: Duration::from_secs(60),
        run_id: Some(format!("test-{run_id}-{}", std::process::id())),
        helper: Some(PathBuf::from(env!("CARGO_BIN_EXE_wasmfit"))),
        ..BenchOptions::default()
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
        &format!("{name} process cold start"),
        side.process_cold_start_ms
            .as_ref()
            .expect("process cold start"),
    );
    assert!(
        side.first_run_ms.is_some_and(|f| f > 0.0),
        "{name}: first run"
    );
    check_stats(
        &format!("{name} per request"),
        side.request_ms.as_ref().expect("per request"),
    );
    check_stats(
        &format!("{name} throughput"),
        side.throughput_rps.as_ref().expect("throughput"),
    );
    assert!(side.cold_start_method.is_some() && side.throughput_mode.is_some());
    let d = side.density.as_ref().expect("density");
    assert!(d.instances >= 1, "{name}: density {d:?}");
    assert!(
        d.total_bytes > 0 && d.total_bytes <= d.budget_bytes,
        "{name}: {d:?}"
    );
    assert!(!d.stopped_by.is_empty() && !d.method.is_empty());
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
fn check(r: &BenchResults, expect_wasm_kind: &str, docker: bool) {
    check_side("native", r.native.as_ref().expect("native side"));
    if bench::WASM_ENABLED {
        let w = r.wasm.as_ref().expect("wasm side");
        check_side("wasm", w);
        check_stats(
            "wasm instantiation",
            w.instantiate_ms.as_ref().expect("instantiation"),
        );
        assert!(w.density.as_ref().unwrap().limits.is_some());
        assert_eq!(r.service.wasm_kind.as_deref(), Some(expect_wasm_kind));
        let t = r
            .ratios
            .iter()
            .find(|x| x.row == "throughput" && x.sides == "wasm / native")
            .expect("throughput ratio");
        let (lo, hi) = (t.low.unwrap(), t.high.unwrap());
        assert!(lo <= t.median && t.median <= hi, "{t:?}");
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
            assert!(r
                .ratios
                .iter()
                .any(|x| x.row == "process cold start" && x.sides.starts_with("container")));
            assert_nothing_left(&r.run_id);
        }
        None => {
            assert!(
                !docker,
                "the engine answers, yet the container side did not run: {:?}",
                r.skipped
            );
        }
    }
    // Every ratio compares one row.
    for x in &r.ratios {
        assert!(
            r.definitions.iter().any(|d| d.row == x.row) || x.row == "artifact size",
            "{x:?}"
        );
    }
    assert!(r.machine.cpus >= 1 && r.machine.load_start.is_some());
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
        vec!["images", "-aq", "--filter", &filter],
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

/// The sides this machine can run, skipping visibly what it cannot.
fn sides(test: &str) -> (Sides, bool) {
    let docker = support::docker_available();
    if !docker {
        support::skip(
            test,
            "container side: no Docker engine answers (`docker version`)",
        );
    }
    (
        Sides {
            native: true,
            container: docker,
            wasm: true,
        },
        docker,
    )
}

fn no_progress(_: &str) {}

/// clang that targets wasm32-wasi with a libc and a static gcc, or why not.
fn wasi_clang() -> Result<(), String> {
    if support::static_gcc().is_none() {
        return Err(support::STATIC_GCC_WHY.to_string());
    }
    support::wasi_clang()
        .map(|_| ())
        .ok_or_else(|| support::WASI_CLANG_WHY.to_string())
}

fn go_available() -> bool {
    support::go().is_some()
}

fn rust_target(t: &str) -> bool {
    support::rust_target(t) && support::static_gcc().is_some()
}

#[test]
fn bench_stdio_c_all_sides() {
    let test = "bench_stdio_c_all_sides";
    if let Err(why) = wasi_clang() {
        return support::skip(test, &why);
    }
    let (s, docker) = sides(test);
    let mut o = quick(sample("bench-stdio-c"), "c");
    o.sides = s;
    o.expect = Some("id".to_string());
    let r = bench::run(&o, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.language, "c");
    check(&r, "module", docker);
}

#[test]
fn bench_stdio_rust_all_sides() {
    let test = "bench_stdio_rust_all_sides";
    if !rust_target("wasm32-wasip1") {
        return support::skip(test, "rustup target wasm32-wasip1 is not installed");
    }
    let (s, docker) = sides(test);
    let mut o = quick(sample("bench-stdio-rust"), "rust");
    o.sides = s;
    let r = bench::run(&o, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.language, "rust");
    check(&r, "module", docker);
}

#[test]
fn bench_stdio_go_all_sides() {
    let test = "bench_stdio_go_all_sides";
    if !go_available() {
        return support::skip(test, support::GO_WHY);
    }
    let (s, docker) = sides(test);
    let mut o = quick(sample("bench-stdio-go"), "go");
    o.sides = s;
    o.expect = Some("id".to_string());
    let r = bench::run(&o, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.language, "go");
    check(&r, "module", docker);
}

#[test]
fn bench_http_rust_all_sides() {
    let test = "bench_http_rust_all_sides";
    if !rust_target("wasm32-wasip2") {
        return support::skip(test, "rustup target wasm32-wasip2 is not installed");
    }
    let (s, docker) = sides(test);
    let mut o = quick(sample("bench-http-rust"), "http");
    o.sides = s;
    // The samples' strict contract: numbered documents to POST /transform.
    o.expect = Some("id".to_string());
    let r = bench::run(&o, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.workload, wasmfit::bench::Workload::Http);
    check(&r, "component", docker);
    for s in [&r.native, &r.wasm, &r.container].into_iter().flatten() {
        let l = s.latency_ms.expect("latency percentiles");
        assert!(l.count > 0 && l.p50 <= l.p99 && l.p99 <= l.max, "{l:?}");
        assert_eq!(s.errors, 0);
    }
}

/// The C HTTP sample's component is linked by wasm-component-ld.
fn c_component_tools() -> Result<(), String> {
    wasi_clang()?;
    wasmfit::bench::toolchain::wasm_component_ld()
        .map(|_| ())
        .ok_or_else(|| {
            "wasm-component-ld is not installed (rustup target add wasm32-wasip2 ships it)"
                .to_string()
        })
}

#[test]
fn bench_http_c_all_sides() {
    let test = "bench_http_c_all_sides";
    if let Err(why) = c_component_tools() {
        return support::skip(test, &why);
    }
    let (s, docker) = sides(test);
    let mut o = quick(sample("bench-http-c"), "http-c");
    o.sides = s;
    o.expect = Some("id".to_string());
    let r = bench::run(&o, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (r.service.language.as_str(), r.service.workload),
        ("c", wasmfit::bench::Workload::Http)
    );
    check(&r, "component", docker);
    for s in [&r.native, &r.wasm, &r.container].into_iter().flatten() {
        let l = s.latency_ms.expect("latency percentiles");
        assert!(l.count > 0 && l.p50 <= l.p99 && l.p99 <= l.max, "{l:?}");
        assert_eq!(s.errors, 0);
    }
}

/// Go's HTTP row: upstream Go builds WASI preview 1 modules only (no
/// sockets, no wasi:http), so the Wasm side serves the module as WAGI, CGI
/// over WASI, with a fresh instance per request; the sample answers with
/// net/http/cgi. Every request must pass the strict id check on every side.
#[test]
fn bench_http_go_serves_its_wasip1_module_as_wagi() {
    let test = "bench_http_go_serves_its_wasip1_module_as_wagi";
    if !go_available() {
        return support::skip(test, support::GO_WHY);
    }
    let (s, docker) = sides(test);
    let mut o = quick(sample("bench-http-go"), "http-go");
    o.sides = s;
    o.expect = Some("id".to_string());
    let r = bench::run(&o, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.service.language, "go");
    check(&r, "module", docker);
    if bench::WASM_ENABLED {
        assert_eq!(r.service.wasm_target.as_deref(), Some("wasip1/wasm"));
        let w = r.wasm.as_ref().unwrap();
        assert!(
            w.throughput_mode
                .as_deref()
                .is_some_and(|m| m.contains("WAGI")),
            "{:?}",
            w.throughput_mode
        );
    }
    for s in [&r.native, &r.wasm, &r.container].into_iter().flatten() {
        assert_eq!(s.errors, 0);
    }
    // A wasi:http component is asked for: refused, naming what builds one.
    o.sides = Sides {
        native: false,
        container: false,
        wasm: true,
    };
    o.wasm_target = Some(wasmfit::bench::toolchain::WasmTarget::P2);
    let e = bench::run(&o, &no_progress).unwrap_err();
    assert_eq!(e.step, bench::Step::Input, "{e}");
    if bench::WASM_ENABLED {
        assert!(
            e.message.contains("TinyGo") && e.message.contains("WAGI"),
            "{e}"
        );
    }
}

#[test]
fn bench_prebuilt_wasm_runs_wasm_side_only() {
    let test = "bench_prebuilt_wasm_runs_wasm_side_only";
    if !bench::WASM_ENABLED {
        return support::skip(
            test,
            "this build has no embedded wasmtime (--features bench)",
        );
    }
    if let Err(why) = wasi_clang() {
        return support::skip(test, &why);
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
