//! `wasmfit bench` on services that fail (exit at once, never answer,
//! answer something else than asked, never listen) and on bad input: a
//! clear error naming the side and step, with the log's last lines, exit
//! status 2 from the CLI, and nothing left on the Docker engine. Also the
//! other side of it: a real line-oriented service that does not echo ids is
//! benchmarked with the defaults.

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

/// One side at a time: each error names the side it comes from.
const NATIVE_ONLY: Sides = Sides {
    native: true,
    container: false,
    wasm: false,
};
const CONTAINER_ONLY: Sides = Sides {
    native: false,
    container: true,
    wasm: false,
};
const WASM_ONLY: Sides = Sides {
    native: false,
    container: false,
    wasm: true,
};

fn opts(path: &Path, run_id: &str) -> BenchOptions {
    BenchOptions {
        path: path.to_path_buf(),
        cold_runs: 1,
        throughput_runs: 1,
        request_runs: 2,
        duration: Duration::from_millis(100),
        warmup: Duration::from_millis(50),
        density_budget: 64 << 20,
        density_max: 2,
        wasm_density_max: 4,
        timeout: Duration::from_secs(3),
        cache_dir: Some(Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-errors-cache")),
        run_id: Some(format!("test-err-{run_id}-{}", std::process::id())),
        helper: Some(PathBuf::from(env!("CARGO_BIN_EXE_wasmfit"))),
        ..BenchOptions::default()
    }
}

fn docker_reachable() -> bool {
    support::docker_available()
}

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

fn no_progress(_: &str) {}

#[test]
fn c_service_that_does_not_compile() {
    let dir = service(&[("main.c", "int main(void) { return missing_function(; }\n")]);
    let e = bench::run(&opts(dir.path(), "cc"), &no_progress).unwrap_err();
    assert_eq!(e.step, Step::NativeBuild, "{e}");
    assert!(!e.log_tail.is_empty(), "the compiler's output is shown");
    assert!(e.to_string().contains("building the native binary failed"));
}

#[test]
fn rust_service_that_does_not_compile_for_wasm() {
    let test = "rust_service_that_does_not_compile_for_wasm";
    if bench::WASM_ENABLED && !support::rust_target("wasm32-wasip1") {
        return support::skip(test, "rustup target add wasm32-wasip1");
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
    o.sides = WASM_ONLY;
    match bench::run(&o, &no_progress) {
        Err(e) if bench::WASM_ENABLED => {
            assert_eq!(e.step, Step::WasmBuild, "{e}");
            assert!(
                e.log_tail.iter().any(|l| l.contains("no wasm for me")),
                "{e}"
            );
        }
        // Without the embedded wasmtime there is no Wasm side, and asking
        // for it alone leaves nothing to measure.
        Err(e) if !bench::WASM_ENABLED => {
            assert_eq!(e.step, Step::Input, "{e}");
            assert!(e.message.contains("no side left"), "{e}");
        }
        other => panic!("unexpected: {other:?}"),
    }
}

#[test]
fn service_that_exits_at_once() {
    let dir = service(&[("main.c", "int main(void) { return 3; }\n")]);
    // The native side alone: the Wasm and container sides have tests of
    // their own, and this one needs no wasm toolchain.
    let mut o = opts(dir.path(), "exit");
    o.sides = NATIVE_ONLY;
    let e = bench::run(&o, &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
    assert!(e.message.contains("answered 0 of 1"), "{e}");
}

#[test]
fn wasm_port_that_exits_at_once() {
    let test = "wasm_port_that_exits_at_once";
    if !bench::WASM_ENABLED {
        return support::skip(
            test,
            "this build has no embedded wasmtime (--features bench)",
        );
    }
    if support::wasi_clang().is_none() {
        return support::skip(test, support::WASI_CLANG_WHY);
    }
    let dir = service(&[("main.c", "int main(void) { return 3; }\n")]);
    let mut o = opts(dir.path(), "wexit");
    o.sides = WASM_ONLY;
    let e = bench::run(&o, &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Wasm, "{e}");
    assert!(e.message.contains("answered 0 of 1"), "{e}");
}

fn native_only(mut o: BenchOptions) -> BenchOptions {
    o.sides = NATIVE_ONLY;
    o
}

#[test]
fn service_that_never_answers_times_out_naming_the_side() {
    let dir = service(&[(
        "main.c",
        "#include <unistd.h>\nint main(void) { char b[64]; while (read(0, b, sizeof b) > 0) {} for (;;) pause(); }\n",
    )]);
    let e = bench::run(&native_only(opts(dir.path(), "mute")), &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
    assert!(e.message.contains("no complete answer within"), "{e}");
}

#[test]
fn service_that_floods_without_newlines_is_an_error() {
    let dir = service(&[(
        "main.c",
        "#include <unistd.h>\nint main(void) { char b[4096]; for (int i = 0; i < 4096; i++) b[i] = 'x'; for (;;) if (write(1, b, sizeof b) < 0) return 1; }\n",
    )]);
    let e = bench::run(&native_only(opts(dir.path(), "flood")), &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
}

#[test]
fn service_that_floods_lines_without_reading_is_an_error() {
    let dir = service(&[(
        "main.c",
        "#include <stdio.h>\nint main(void) { for (;;) if (puts(\"{\\\"id\\\":0}\") < 0) return 1; }\n",
    )]);
    let e = bench::run(&native_only(opts(dir.path(), "lines")), &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
    // Refused either way the reads fall: more lines than requests, or (a
    // read ending near the count) a window with no length.
    assert!(e.message.contains("without reading its requests"), "{e}");
}

/// An HTTP service's Dockerfile whose base is never on the engine: the
/// bench then packs the static native binary into a FROM scratch image with
/// the EXPOSEd port, so the container runs the service itself (a bare
/// `FROM scratch` would be built as it is and fail with "no command").
const PACKED_HTTP: &str = "FROM wasmfit-test/absent-base:0\nEXPOSE 8080\n";

/// An HTTP server that answers every request with bytes that are not HTTP.
const GARBAGE_SERVER: &str = r#"#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
int main(void) {
    const char *port = getenv("PORT");
    int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)atoi(port ? port : "8080"));
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 64)) return 1;
    for (;;) {
        char b[4096];
        int fd = accept(lfd, 0, 0);
        if (fd < 0) continue;
        if (read(fd, b, sizeof b) > 0 && write(fd, "%%garbage%%\r\n\r\n", 15) < 0) return 1;
        close(fd);
    }
}
"#;

#[test]
fn http_service_that_answers_garbage() {
    let dir = service(&[("main.c", GARBAGE_SERVER), ("Dockerfile", PACKED_HTTP)]);
    let mut o = native_only(opts(dir.path(), "garbage"));
    // The answer is wrong, not late: a long wait costs nothing when the
    // service answers, and a container that starts slowly on a loaded
    // machine (tests run in parallel) must still get to answer.
    o.timeout = Duration::from_secs(30);
    let e = bench::run(&o, &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
    assert!(e.message.contains("malformed"), "{e}");
    if docker_reachable() {
        o.sides = CONTAINER_ONLY;
        let e = bench::run(&o, &no_progress).unwrap_err();
        assert_eq!(e.step, Step::Container, "{e}");
        assert!(e.message.contains("malformed"), "{e}");
        assert_nothing_left(o.run_id.as_deref().unwrap());
    }
}

/// A real line-oriented service that answers `{"greeting":"hello, user-N"}`.
const GREETER: &str = r#"#include <stdio.h>
#include <string.h>
int main(void) {
    char line[4096];
    unsigned long n = 0;
    while (fgets(line, sizeof line, stdin)) {
        printf("{\"greeting\":\"hello, user-%lu\"}\n", n++);
        fflush(stdout);
    }
    return 0;
}
"#;

#[test]
fn a_service_that_does_not_echo_ids_is_benchmarked_with_the_defaults() {
    let dir = service(&[("main.c", GREETER)]);
    let mut o = native_only(opts(dir.path(), "greet"));
    o.timeout = Duration::from_secs(20);
    let r = bench::run(&o, &no_progress).unwrap_or_else(|e| panic!("{e}"));
    let n = r.native.unwrap();
    assert!(n.throughput_rps.unwrap().median > 0.0);
    assert!(n.request_ms.is_some() && n.process_cold_start_ms.is_some());
    // Its own request file and a regex check work too.
    let req = dir.path().join("requests.txt");
    std::fs::write(&req, "ada\nbob\n").unwrap();
    o.request_file = Some(req);
    o.expect = Some("^\\{\"greeting\":\"hello, user-[0-9]+\"\\}$".to_string());
    bench::run(&o, &no_progress).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn strict_id_check_names_the_flag_to_use() {
    let dir = service(&[("main.c", GREETER)]);
    let mut o = native_only(opts(dir.path(), "strict"));
    o.expect = Some("id".to_string());
    let e = bench::run(&o, &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
    assert!(e.message.contains("--expect"), "{e}");
    assert!(!e.message.contains('\n'), "one line: {e}");
}

#[test]
fn bad_request_file_is_an_input_error_naming_file_and_line() {
    let dir = service(&[
        ("main.c", GREETER),
        ("Dockerfile", "FROM scratch\nEXPOSE 8080\n"),
        ("req.http", "GET /ok\nthis is not a header\n"),
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_wasmfit"))
        .args(["bench", "--quiet", "--request"])
        .arg(dir.path().join("req.http"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("req.http:2:"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_wasmfit"))
        .args(["bench", "--quiet", "--expect", "("])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn container_that_exits_at_once_leaves_nothing() {
    if !docker_reachable() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must reach the Docker engine"
        );
        println!("SKIP container failure test: no Docker engine reachable");
        return;
    }
    let dir = service(&[("main.c", "#include <stdio.h>\nint main(void) { fputs(\"fatal: no config\\n\", stderr); return 1; }\n")]);
    let mut o = opts(dir.path(), "cexit");
    o.sides = CONTAINER_ONLY;
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
    let never = "#include <unistd.h>\nint main(void) { for (;;) pause(); }\n";
    let dir = service(&[("main.c", never), ("Dockerfile", PACKED_HTTP)]);
    let mut o = opts(dir.path(), "listen");
    o.sides = NATIVE_ONLY;
    let e = bench::run(&o, &no_progress).unwrap_err();
    assert_eq!(e.step, Step::Native, "{e}");
    assert!(e.message.contains("never answered"), "{e}");
    if docker_reachable() {
        o.sides = CONTAINER_ONLY;
        o.workload = Some(Workload::Http);
        let e = bench::run(&o, &no_progress).unwrap_err();
        assert_eq!(e.step, Step::Container, "{e}");
        assert!(e.message.contains("never answered"), "{e}");
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
