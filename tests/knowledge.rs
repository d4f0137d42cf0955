//! Knowledge kept as data in `rules/` (runtimes, capability classes, plugin
//! hosts) drives the scan end to end: each case scans a small tree and
//! checks what the data says, positive and negative.

use wasmfit::model::report::Report;
use wasmfit::rules::RuleSet;

fn scan(files: &[(&str, &str)]) -> Report {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let rules = RuleSet::builtin().unwrap();
    wasmfit::scan::scan(dir.path(), &Default::default(), &rules, &|_, _| {}).unwrap()
}

fn signal<'a>(r: &'a Report, id: &str) -> &'a wasmfit::model::signal::Signal {
    r.signals.iter().find(|s| s.id == id).unwrap()
}

const MAIN_RS: &str = "fn main() {}\n";

#[test]
fn a_plugin_host_dependency_is_the_untrusted_code_signal() {
    let r = scan(&[
        (
            "Cargo.toml",
            "[package]\nname = \"host\"\nversion = \"0.1.0\"\n\n[dependencies]\nwasmtime = \"27\"\n",
        ),
        ("src/main.rs", MAIN_RS),
    ]);
    let s = signal(&r, "untrusted-code");
    assert!(s.holds, "{s:?}");
    assert!(
        s.evidence
            .iter()
            .any(|e| e.contains("wasmtime (crates) in Cargo.toml")),
        "{s:?}"
    );
}

#[test]
fn a_dev_only_plugin_host_is_not() {
    let r = scan(&[
        (
            "Cargo.toml",
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[dev-dependencies]\nwasmtime = \"27\"\n",
        ),
        ("src/main.rs", MAIN_RS),
    ]);
    assert!(!signal(&r, "untrusted-code").holds);
}

#[test]
fn base_images_and_languages_resolve_through_runtimes_toml() {
    // The final stage's image decides over the builder and over source
    // that declares no entry point (an entry point would name the runtime).
    let r = scan(&[
        (
            "Dockerfile",
            "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM gcr.io/distroless/java17-debian12\nCOPY --from=build /app /app\n",
        ),
        ("util.go", "package util\n\nfunc Helper() {}\n"),
    ]);
    let primary = r.runtime.primary.as_ref().unwrap();
    assert_eq!(primary.id, "jvm", "{:?}", r.runtime);
    assert!(r.runtime.detected.iter().any(|d| d.id == "go"));
    // An image the data does not know adds no runtime.
    let r = scan(&[("Dockerfile", "FROM scratch\nCOPY app /app\n")]);
    assert!(r.runtime.detected.is_empty(), "{:?}", r.runtime);
}

#[test]
fn kernel_capabilities_are_the_raw_kernel_features_signal() {
    let r = scan(&[(
        "probe.c",
        "#include <fcntl.h>\nint open_gpu(void) {\n    return open(\"/dev/kfd\", O_RDWR);\n}\n",
    )]);
    assert!(r.findings.iter().any(|f| f.rule_id == "WF301"));
    let s = signal(&r, "raw-kernel-features");
    assert!(
        s.holds && s.evidence.iter().any(|e| e.contains("WF301")),
        "{s:?}"
    );
    let r = scan(&[(
        "rng.c",
        "#include <fcntl.h>\nint open_rng(void) {\n    return open(\"/dev/urandom\", O_RDONLY);\n}\n",
    )]);
    assert!(!signal(&r, "raw-kernel-features").holds);
}
