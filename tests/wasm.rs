//! The Wasm parser on real compiled artefacts: Rust wasip1 and wasip2
//! builds, a wasi:http component, a C module from clang for wasm32-wasi, and
//! hand-written text fixtures for what toolchains rarely emit (threads, GC,
//! exceptions, Emscripten-style `env` imports, custom worlds).
//!
//! Fixtures are built in a temporary directory by the test itself. A missing
//! toolchain skips with a visible `SKIPPED:` line (`tests/support`); CI has
//! them all and sets `WASMFIT_REQUIRE_TOOLS=1`.

mod support;

use std::path::Path;
use std::process::Command;
use wasmfit::model::context::Context;
use wasmfit::model::fact::FactKind;
use wasmfit::parse::wasm::{parse, WasmInfo, WasmKind};

fn info(bytes: &[u8]) -> (wasmfit::parse::Output, WasmInfo) {
    parse(bytes, "app.wasm", Context::Service)
}

/// Builds a one-file Rust crate for `target` and returns the `.wasm`.
fn build_rust(
    dir: &Path,
    name: &str,
    target: &str,
    manifest_extra: &str,
    main_rs: Option<&str>,
    lib_rs: Option<&str>,
) -> Option<Vec<u8>> {
    let test = format!("rust fixture {name} for {target}");
    if !support::rust_target(target) {
        support::skip(
            &test,
            &format!("rust target {target} is not installed (rustup target add {target})"),
        );
        return None;
    }
    let root = dir.join(name);
    std::fs::create_dir_all(root.join("src")).unwrap();
    let mut manifest = format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n\n"
    );
    manifest.push_str(manifest_extra);
    std::fs::write(root.join("Cargo.toml"), manifest).unwrap();
    if let Some(m) = main_rs {
        std::fs::write(root.join("src/main.rs"), m).unwrap();
    }
    if let Some(l) = lib_rs {
        std::fs::write(root.join("src/lib.rs"), l).unwrap();
    }
    let target_dir = root.join("target");
    let mut tried = Vec::new();
    // Offline first (the crate cache usually has what a fixture needs), then
    // online with a short timeout.
    for offline in [true, false] {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.current_dir(&root)
            .args(["build", "--release", "--quiet", "--target", target])
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("CARGO_HTTP_TIMEOUT", "20")
            .env("CARGO_NET_RETRY", "0")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        if offline {
            cmd.arg("--offline");
        }
        let out = cmd.output().ok()?;
        if out.status.success() {
            let wasm = target_dir
                .join(target)
                .join("release")
                .join(format!("{}.wasm", name.replace('-', "_")));
            return std::fs::read(wasm).ok();
        }
        tried.push(
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .take(5)
                .collect::<Vec<_>>()
                .join(" | "),
        );
    }
    support::skip(
        &test,
        &format!(
            "cargo build --target {target} of fixture {name} failed: {}",
            tried.join(" || ")
        ),
    );
    None
}

const RUST_MAIN: &str = r#"
use std::io::Write;
fn main() {
    let name = std::env::var("NAME").unwrap_or_default();
    let data = std::fs::read_to_string("/data/in.txt").unwrap_or_default();
    if let Ok(mut f) = std::fs::File::create("/data/out.txt") {
        let _ = writeln!(f, "{name} {}", data.len());
    }
    println!("{:?}", std::time::SystemTime::now());
}
"#;

#[test]
fn rust_wasip1_command() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bytes) = build_rust(
        dir.path(),
        "p1cmd",
        "wasm32-wasip1",
        "",
        Some(RUST_MAIN),
        None,
    ) else {
        return;
    };
    let (out, w) = info(&bytes);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(w.kind, WasmKind::CoreModule);
    for f in ["fd_write", "path_open", "environ_get", "proc_exit"] {
        assert!(
            w.preview1.contains(&f.to_string()),
            "{f} not in {:?}",
            w.preview1
        );
    }
    assert!(w.interfaces.is_empty());
    assert!(w.host_imports.is_empty(), "{:?}", w.host_imports);
    assert!(w.exports.contains(&"_start".to_string()));
    assert_eq!(w.worlds.len(), 1);
    assert_eq!(w.worlds[0].world, "wasi:cli/command");
    assert!(w.worlds[0].beyond.is_empty());
    let grants: Vec<&str> = w.grants.iter().map(|g| g.grant.as_str()).collect();
    for g in ["filesystem", "env", "stdio", "clocks"] {
        assert!(grants.contains(&g), "{g} not in {grants:?}");
    }
    let fs = w.grants.iter().find(|g| g.grant == "filesystem").unwrap();
    assert!(fs.wasmtime.as_deref().unwrap().contains("--dir"));
    assert!(
        w.producers.language.iter().any(|l| l.starts_with("Rust")),
        "{:?}",
        w.producers
    );
    assert!(
        w.producers
            .processed_by
            .iter()
            .any(|p| p.starts_with("rustc")),
        "{:?}",
        w.producers
    );
    assert_eq!(w.memories.len(), 1);
    assert!(!w.memories[0].imported && !w.memories[0].shared);
    assert!(w.functions > 10);
    // One fact per import, keyed the way `wasm-import` rules read them.
    let keys: Vec<String> = out
        .facts
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::WasmImport { module, name } => Some(format!("{module}/{name}")),
            _ => None,
        })
        .collect();
    assert!(
        keys.contains(&"wasi_snapshot_preview1/fd_write".to_string()),
        "{keys:?}"
    );
    assert!(out.facts.iter().any(|f| matches!(
        &f.kind,
        FactKind::Runtime {
            clue: wasmfit::model::fact::RuntimeClue::Id(wasmfit::model::runtime::RuntimeId::Wasm),
            ..
        }
    )));
}

#[test]
fn rust_wasip2_command_component() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bytes) = build_rust(
        dir.path(),
        "p2cmd",
        "wasm32-wasip2",
        "",
        Some(RUST_MAIN),
        None,
    ) else {
        return;
    };
    let (out, w) = info(&bytes);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(w.kind, WasmKind::Component);
    assert!(w.core_modules >= 1);
    assert!(
        w.preview1.is_empty(),
        "a component's inner preview 1 imports are not host imports: {:?}",
        w.preview1
    );
    let bare: Vec<&str> = w
        .interfaces
        .iter()
        .map(|i| i.split('@').next().unwrap())
        .collect();
    for i in [
        "wasi:cli/environment",
        "wasi:filesystem/types",
        "wasi:filesystem/preopens",
        "wasi:io/streams",
    ] {
        assert!(bare.contains(&i), "{i} not in {:?}", w.interfaces);
    }
    assert!(
        w.interfaces.iter().all(|i| i.contains("@0.2.")),
        "{:?}",
        w.interfaces
    );
    assert!(
        w.exports.iter().any(|e| e.starts_with("wasi:cli/run@0.2.")),
        "{:?}",
        w.exports
    );
    assert_eq!(w.worlds[0].world, "wasi:cli/command");
    assert!(w.worlds[0].beyond.is_empty(), "{:?}", w.worlds);
    assert!(w.host_imports.is_empty(), "{:?}", w.host_imports);
    assert!(
        w.producers
            .processed_by
            .iter()
            .any(|p| p.starts_with("wit-component")),
        "{:?}",
        w.producers
    );
    let facts: Vec<(&str, &str)> = out
        .facts
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::WasmImport { module, name } => Some((module.as_str(), name.as_str())),
            _ => None,
        })
        .collect();
    assert!(
        facts
            .iter()
            .any(|(m, n)| m.starts_with("wasi:filesystem/types@0.2.") && n.is_empty()),
        "{facts:?}"
    );
}

#[test]
fn rust_wasip2_http_proxy_component() {
    let dir = tempfile::tempdir().unwrap();
    let lib = r#"
use wasi::http::types::{Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam};
struct S;
wasi::http::proxy::export!(S);
impl wasi::exports::http::incoming_handler::Guest for S {
    fn handle(_r: IncomingRequest, out: ResponseOutparam) {
        let resp = OutgoingResponse::new(Fields::new());
        let body = resp.body().unwrap();
        ResponseOutparam::set(out, Ok(resp));
        OutgoingBody::finish(body, None).unwrap();
    }
}
"#;
    let extra = "[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\nwasi = \"0.14\"\n";
    let Some(bytes) = build_rust(dir.path(), "proxy", "wasm32-wasip2", extra, None, Some(lib))
    else {
        return;
    };
    let (out, w) = info(&bytes);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(w.kind, WasmKind::Component);
    assert!(
        w.exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler@0.2.")),
        "{:?}",
        w.exports
    );
    let proxy = w
        .worlds
        .iter()
        .find(|x| x.world == "wasi:http/proxy")
        .expect("fits wasi:http/proxy");
    // Rust std links wasi:cli/environment and friends into every component:
    // beyond the proxy world, but wasmtime serve provides them with -S cli.
    assert!(
        proxy.beyond.iter().all(|b| b.starts_with("wasi:cli/")),
        "{:?}",
        proxy.beyond
    );
    if !proxy.beyond.is_empty() {
        assert!(proxy.note.contains("-S cli"), "{}", proxy.note);
    }
    assert!(w.host_imports.is_empty(), "{:?}", w.host_imports);
    assert!(w.grants.iter().any(|g| g.grant == "inbound-http"));
    assert!(w
        .interfaces
        .iter()
        .any(|i| i.starts_with("wasi:http/types@0.2.")));
}

#[test]
fn c_module_from_clang() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("main.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\n\
         int main(void) {\n  FILE *f = fopen(\"/data/in.txt\", \"r\");\n  const char *h = getenv(\"HOME\");\n\
         printf(\"%s %ld %p\\n\", h ? h : \"-\", (long)time(NULL), (void *)f);\n  return 0;\n}\n",
    )
    .unwrap();
    let out_wasm = dir.path().join("main.wasm");
    let cc = require!(
        "c_module_from_clang",
        support::wasi_clang(),
        support::WASI_CLANG_WHY
    );
    let r = Command::new(cc)
        .args(["--target=wasm32-wasi", "-O2", "-o"])
        .arg(&out_wasm)
        .arg(&src)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let (out, w) = info(&std::fs::read(&out_wasm).unwrap());
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(w.kind, WasmKind::CoreModule);
    assert!(w.exports.contains(&"_start".to_string()), "{:?}", w.exports);
    for f in ["fd_write", "path_open", "environ_get", "clock_time_get"] {
        assert!(
            w.preview1.contains(&f.to_string()),
            "{f} not in {:?}",
            w.preview1
        );
    }
    assert_eq!(w.worlds[0].world, "wasi:cli/command");
    assert!(
        w.producers.processed_by.iter().any(|p| p.contains("clang")),
        "{:?}",
        w.producers
    );
    assert!(
        w.producers.language.iter().any(|l| l.starts_with('C')),
        "{:?}",
        w.producers
    );
}

/// What toolchains make only with unusual flags, written as text.
#[test]
fn proposals_and_host_imports_from_text() {
    let wat = r#"(module
        (import "env" "memory" (memory 1 16 shared))
        (import "env" "emscripten_notify_memory_growth" (func (param i32)))
        (import "wasi" "thread-spawn" (func (param i32) (result i32)))
        (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
        (type $point (struct (field i32)))
        (tag $oops (param i32))
        (func (export "wasi_thread_start") (param i32 i32))
        (func (export "work") (result v128)
            (drop (i32.atomic.load (i32.const 0)))
            (v128.const i64x2 0 0))
        (func (export "fail") (throw $oops (i32.const 1)))
        (func (export "tail") (return_call 0 (i32.const 0))))"#;
    let bytes = wat::parse_str(wat).unwrap();
    let (out, w) = info(&bytes);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    for f in ["threads", "simd", "gc", "exceptions", "tail-call"] {
        assert!(
            w.features.contains(&f.to_string()),
            "{f} not in {:?}",
            w.features
        );
    }
    assert_eq!(w.memories.len(), 1);
    assert!(w.memories[0].shared && w.memories[0].imported);
    assert_eq!(w.memories[0].max_pages, Some(16));
    let host = |imp: &str| {
        w.host_imports
            .iter()
            .find(|h| h.import == imp)
            .map(|h| h.host.clone())
            .unwrap_or_default()
    };
    assert!(
        host("env/emscripten_notify_memory_growth").starts_with("none: Emscripten"),
        "{:?}",
        w.host_imports
    );
    assert!(
        host("wasi/thread-spawn").contains("experimental"),
        "{:?}",
        w.host_imports
    );
    assert!(
        host("env/memory").contains("shared memory"),
        "{:?}",
        w.host_imports
    );
    assert_eq!(w.worlds[0].world, "reactor");
    assert!(w.worlds[0].beyond.iter().any(|b| b == "wasi/thread-spawn"));
    assert!(w.grants.iter().any(|g| g.grant == "network"));

    let m64 = wat::parse_str("(module (memory i64 1) (func (export \"_start\")))").unwrap();
    let (_, w) = info(&m64);
    assert!(w.features.contains(&"memory64".to_string()));
    assert!(w.memories[0].memory64);
}

#[test]
fn components_beyond_standard_worlds() {
    let wat = r#"(component
        (import "wasi:http/types@0.2.3" (instance))
        (import "wasi:filesystem/types@0.2.3" (instance))
        (import "fermyon:spin/key-value@2.0.0" (instance))
        (import "wasi:keyvalue/store@0.2.0-draft" (instance))
        (instance $h)
        (export "wasi:http/incoming-handler@0.2.3" (instance $h)))"#;
    let (out, w) = info(&wat::parse_str(wat).unwrap());
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(w.kind, WasmKind::Component);
    let proxy = w
        .worlds
        .iter()
        .find(|x| x.world == "wasi:http/proxy")
        .unwrap();
    assert_eq!(
        proxy.beyond,
        vec![
            "wasi:filesystem/types@0.2.3",
            "fermyon:spin/key-value@2.0.0",
            "wasi:keyvalue/store@0.2.0-draft"
        ]
    );
    let hosts: Vec<(&str, &str)> = w
        .host_imports
        .iter()
        .map(|h| (h.import.as_str(), h.host.as_str()))
        .collect();
    assert!(
        hosts.contains(&("fermyon:spin/key-value@2.0.0", "Spin")),
        "{hosts:?}"
    );
    assert!(
        hosts
            .iter()
            .any(|(i, h)| i.starts_with("wasi:keyvalue") && h.contains("experimental")),
        "{hosts:?}"
    );
    assert!(
        !hosts.iter().any(|(i, _)| i.starts_with("wasi:filesystem")),
        "wasmtime provides wasi:filesystem"
    );

    let custom = r#"(component (import "acme:billing/ledger@1.0.0" (instance)) (instance $x) (export "acme:billing/api@1.0.0" (instance $x)))"#;
    let (_, w) = info(&wat::parse_str(custom).unwrap());
    assert_eq!(w.worlds[0].world, "custom");
    assert!(w.host_imports[0].host.contains("custom host"));
}

#[test]
fn malformed_wasm_is_a_diagnostic_and_keeps_what_was_read() {
    let good = wat::parse_str(r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (func (export "_start")))"#).unwrap();
    let mut bad = good.clone();
    // Claim a huge code section: the parser must stop at the end of input.
    bad.extend_from_slice(&[10, 0xff, 0xff, 0xff, 0x0f]);
    let (out, w) = info(&bad);
    assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
    assert_eq!(w.preview1, vec!["fd_write"]);
    for n in [0, 4, 8, 9, 12] {
        let _ = info(&good[..n.min(good.len())]);
    }
}

/// A `.wasm` in a scanned tree reaches the report: facts are matched by
/// rules (here a test rule set with the matchers WF001 and the host-import
/// rules should use) and `report.wasm` describes it.
#[test]
fn scan_reports_wasm_artefacts() {
    let rules_toml = r#"
[[rule]]
id = "WF001"
title = "Already a Wasm module or component"
category = "wasm"
capability = "wasm-ready"
severity = "info"
effort = 0
message = "The artefact is already WebAssembly."
remediation = "Run it with wasmtime."
wasi = "none"
match = [{ kind = "file", patterns = ['\.wasm$'] }]

[[rule]]
id = "WF603"
title = "Imports host functions no WASI host provides"
category = "native"
capability = "ffi"
severity = "major"
effort = 3
message = "The module imports functions from a custom host."
remediation = "Rebuild for WASI."
wasi = "none"
match = [{ kind = "wasm-import", patterns = ['^env/', '^wasi/thread-spawn$'] }]
"#;
    let mut loader = wasmfit::rules::Loader::default();
    loader.add_file("test-rules.toml", rules_toml).unwrap();
    let rules = loader.finish().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wasm = wat::parse_str(r#"(module (import "env" "emscripten_date_now" (func (result f64))) (func (export "_start")))"#).unwrap();
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    std::fs::write(dir.path().join("dist/app.wasm"), &wasm).unwrap();
    // Found by its magic bytes, whatever its name.
    std::fs::write(dir.path().join("dist/plugin.bin"), &wasm).unwrap();
    let report = wasmfit::scan::scan(dir.path(), &Default::default(), &rules, &|_, _| {}).unwrap();
    let ids: Vec<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(ids.contains(&"WF001"), "{ids:?}");
    let ffi = report
        .findings
        .iter()
        .find(|f| f.rule_id == "WF603")
        .expect("env import found");
    assert!(ffi
        .evidence
        .iter()
        .any(|e| e.at.symbol.as_deref() == Some("env/emscripten_date_now")));
    assert_eq!(
        report.wasm.len(),
        2,
        "{:?}",
        report.wasm.iter().map(|w| &w.path).collect::<Vec<_>>()
    );
    let paths: Vec<&str> = report.wasm.iter().map(|w| w.path.as_str()).collect();
    assert!(
        paths.contains(&"dist/app.wasm") && paths.contains(&"dist/plugin.bin"),
        "{paths:?}"
    );
    // The report round-trips through JSON with the new fields.
    let json = serde_json::to_string(&report).unwrap();
    let back: wasmfit::model::Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back.wasm, report.wasm);
    let text = wasmfit::report::Renderer::to_string(
        &wasmfit::report::text::Text { color: false },
        &report,
    )
    .unwrap();
    assert!(text.contains("WASM"), "{text}");
}
