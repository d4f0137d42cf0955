//! Building the two artefacts the bench compares, with the service's own
//! toolchain: a static native binary (the container's content and the
//! reference) and the Wasm port. A missing toolchain is named together with
//! what to install; a failed build carries the compiler's last lines.

use crate::bench::detect::{top_files, Service, ServiceKind};
use crate::bench::error::{BenchError, BenchResult, Step};
use crate::model::bench::Workload;
use crate::model::language::Language;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Which WASI the port targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmTarget {
    /// Core module, WASI preview 1.
    P1,
    /// Component, WASI 0.2.
    P2,
}

impl WasmTarget {
    /// wasip1 for stdio; wasip2 (a wasi:http component) for http, except
    /// for Go, whose upstream toolchain builds wasip1 only: its HTTP
    /// service is served as WAGI (CGI over WASI).
    pub fn default_for(workload: Workload, language: Option<Language>) -> WasmTarget {
        match (workload, language) {
            (Workload::Stdio, _) | (Workload::Http, Some(Language::Go)) => WasmTarget::P1,
            (Workload::Http, _) => WasmTarget::P2,
        }
    }

    pub fn rust_triple(self) -> &'static str {
        match self {
            WasmTarget::P1 => "wasm32-wasip1",
            WasmTarget::P2 => "wasm32-wasip2",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Built {
    pub native: Option<PathBuf>,
    pub wasm: Option<PathBuf>,
    pub wasm_target: Option<String>,
    pub toolchain_version: Option<String>,
}

/// Builds what is asked for into `out` (created if needed).
pub fn build(
    service: &Service,
    out: &Path,
    native: bool,
    wasm: bool,
    target: WasmTarget,
) -> BenchResult<Built> {
    std::fs::create_dir_all(out).map_err(|e| {
        BenchError::new(Step::Input, format!("cannot create {}: {e}", out.display()))
    })?;
    let lang = match &service.kind {
        ServiceKind::Wasm(path) => {
            return Ok(Built {
                wasm: Some(path.clone()),
                ..Built::default()
            })
        }
        ServiceKind::Source(l) => *l,
    };
    match lang {
        Language::Rust => rust(service, out, native, wasm, target),
        Language::Go => go(service, out, native, wasm, target),
        Language::C | Language::Cpp => c(service, out, native, wasm, lang == Language::Cpp),
        Language::Python => Err(BenchError::new(
            Step::Toolchain,
            "Python services are recognised, but wasmfit does not build them for Wasm yet: \
             build a component with componentize-py (pip install componentize-py) and pass the .wasm file",
        )),
        other => Err(BenchError::new(
            Step::Toolchain,
            format!("wasmfit bench cannot build {other} services yet (Rust, Go, C and C++ are supported)"),
        )),
    }
}

/// Runs a build command, returning its combined output; a missing program
/// becomes a Toolchain error naming `install`.
fn run(mut cmd: Command, step: Step, what: &str, install: &str) -> BenchResult<String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdin(Stdio::null());
    let output = crate::bench::reap::output(&mut cmd).map_err(|e| match e.kind() {
        std::io::ErrorKind::Interrupted => {
            BenchError::new(Step::Interrupted, "stopped during the build")
        }
        std::io::ErrorKind::NotFound => BenchError::new(
            Step::Toolchain,
            format!("`{program}` is not installed (needed for {what}): {install}"),
        ),
        _ => BenchError::new(step, format!("cannot run `{program}` for {what}: {e}")),
    })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let text = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        let hint = missing_target_hint(&text).unwrap_or_default();
        return Err(BenchError::new(
            step,
            format!("{what}: `{program}` exited with {}{hint}", output.status),
        )
        .with_log(&text));
    }
    Ok(stdout)
}

/// Turns the usual "target not installed" compiler errors into the command
/// that fixes them.
fn missing_target_hint(log: &str) -> Option<String> {
    for t in ["wasm32-wasip1", "wasm32-wasip2", "x86_64-unknown-linux-gnu"] {
        if log.contains(&format!("the `{t}` target may not be installed"))
            || (log.contains("can't find crate for `std`") && log.contains(t))
        {
            return Some(format!(" (install the target: rustup target add {t})"));
        }
    }
    if (log.contains("wasm-ld") && log.contains("not found"))
        || log.contains("unable to execute command")
    {
        return Some(" (install lld: apt-get install lld-19)".to_string());
    }
    if log.contains("stdio.h' file not found") || log.contains("wasi-sysroot") {
        return Some(
            " (install wasi-libc: apt-get install wasi-libc, or set WASI_SDK_PATH)".to_string(),
        );
    }
    None
}

fn version_of(program: &Path, arg: &str) -> Option<String> {
    let out = Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next().map(|l| l.trim().to_string())
}

// ---------- Rust ----------

const RUST_INSTALL: &str = "install Rust with rustup (https://rustup.rs) and the targets: \
     rustup target add wasm32-wasip1 wasm32-wasip2";

fn rust(
    service: &Service,
    out: &Path,
    native: bool,
    wasm: bool,
    target: WasmTarget,
) -> BenchResult<Built> {
    let target_dir = out.join("cargo-target");
    let mut built = Built {
        toolchain_version: version_of(Path::new("rustc"), "--version"),
        ..Built::default()
    };
    let http = service.workload == Workload::Http;
    if native {
        let host = rust_host()?;
        let mut cmd = cargo(service, &target_dir, &host);
        cmd.arg("--bins");
        // Static so the binary runs alone in a FROM scratch image; RUSTFLAGS
        // with an explicit --target leaves build scripts dynamic, as they must be.
        cmd.env("RUSTFLAGS", "-C target-feature=+crt-static");
        let json = run(cmd, Step::NativeBuild, "the native build", RUST_INSTALL)?;
        let exe = cargo_artifacts(&json, true)
            .into_iter()
            .next()
            .ok_or_else(|| {
                BenchError::new(
                    Step::NativeBuild,
                    "cargo built no executable (the service needs a [[bin]] or src/main.rs)",
                )
            })?;
        built.native = Some(exe);
    }
    if wasm {
        let mut cmd = cargo(service, &target_dir, target.rust_triple());
        // An HTTP component is the library (cdylib); a stdio service is the binary.
        cmd.arg(if http { "--lib" } else { "--bins" });
        let json = run(cmd, Step::WasmBuild, "the Wasm build", RUST_INSTALL)?;
        let wasm = cargo_artifacts(&json, !http)
            .into_iter()
            .find(|p| p.extension().is_some_and(|e| e == "wasm"))
            .ok_or_else(|| {
                BenchError::new(
                    Step::WasmBuild,
                    if http {
                        "cargo built no .wasm library: an HTTP component needs `crate-type = [\"cdylib\"]`"
                    } else {
                        "cargo built no .wasm executable"
                    },
                )
            })?;
        built.wasm = Some(wasm);
        built.wasm_target = Some(target.rust_triple().to_string());
    }
    Ok(built)
}

fn cargo(service: &Service, target_dir: &Path, triple: &str) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.arg("build")
        .arg("--release")
        .arg("--message-format=json-render-diagnostics")
        .arg("--target")
        .arg(triple)
        .arg("--manifest-path")
        .arg(service.dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    cmd
}

fn rust_host() -> BenchResult<String> {
    let mut cmd = Command::new("rustc");
    cmd.arg("-vV");
    let text = run(
        cmd,
        Step::Toolchain,
        "finding the host target",
        RUST_INSTALL,
    )?;
    text.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_string())
        .ok_or_else(|| BenchError::new(Step::Toolchain, "rustc -vV printed no host target"))
}

/// Paths of the artefacts in cargo's JSON messages: executables, or (with
/// `executables == false`) every file of every compiled library.
pub fn cargo_artifacts(json: &str, executables: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in json.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] != "compiler-artifact" {
            continue;
        }
        if executables {
            if let Some(exe) = v["executable"].as_str() {
                out.push(PathBuf::from(exe));
            }
        } else if let Some(files) = v["filenames"].as_array() {
            out.extend(files.iter().filter_map(|f| f.as_str()).map(PathBuf::from));
        }
    }
    out
}

// ---------- Go ----------

const GO_INSTALL: &str = "install Go 1.21 or newer (Debian: apt-get install golang-1.23-go, \
     then add /usr/lib/go-1.23/bin to PATH)";

/// Why a language's service cannot be built for `target` at all, when it
/// cannot: the bench then measures the other sides and says why.
pub fn no_wasm_port(language: Language, target: WasmTarget) -> Option<&'static str> {
    match (language, target) {
        (Language::Go, WasmTarget::P2) => Some(
            "upstream Go builds WASI preview 1 modules only (GOOS=wasip1), so there is no wasi:http \
             component of a Go service (TinyGo's wasip2 target builds one): use --wasm-target \
             wasip1, where an HTTP service is served as WAGI (CGI over WASI; Go's net/http/cgi)",
        ),
        _ => None,
    }
}

/// `go` on PATH, else the newest Debian `golang-1.x-go` install.
fn find_go() -> PathBuf {
    if which("go").is_some() {
        return PathBuf::from("go");
    }
    debian_go().unwrap_or_else(|| PathBuf::from("go"))
}

/// The newest Debian `golang-1.x-go` install (`/usr/lib/go-1.x/bin/go`),
/// which Debian leaves off PATH.
pub fn debian_go() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("go-"))
        })
        .map(|p| p.join("bin/go"))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}

fn go(
    service: &Service,
    out: &Path,
    native: bool,
    wasm: bool,
    target: WasmTarget,
) -> BenchResult<Built> {
    if let (true, Some(why)) = (wasm, no_wasm_port(Language::Go, target)) {
        return Err(BenchError::new(Step::Toolchain, why));
    }
    let go = find_go();
    let mut built = Built {
        toolchain_version: version_of(&go, "version"),
        ..Built::default()
    };
    let go_cmd = |os: &str, arch: &str, output: &Path| {
        let mut cmd = Command::new(&go);
        cmd.current_dir(&service.dir)
            .args(["build", "-trimpath", "-o"])
            .arg(output)
            .arg(".")
            .env("GOOS", os)
            .env("GOARCH", arch)
            .env("CGO_ENABLED", "0")
            // Never download a newer toolchain behind the user's back.
            .env("GOTOOLCHAIN", "local");
        cmd
    };
    if native {
        let exe = out.join("service");
        let arch = match std::env::consts::ARCH {
            "aarch64" => "arm64",
            _ => "amd64",
        };
        run(
            go_cmd("linux", arch, &exe),
            Step::NativeBuild,
            "the native build",
            GO_INSTALL,
        )?;
        built.native = Some(exe);
    }
    if wasm {
        let module = out.join("service.wasm");
        run(
            go_cmd("wasip1", "wasm", &module),
            Step::WasmBuild,
            "the Wasm build",
            GO_INSTALL,
        )?;
        built.wasm = Some(module);
        built.wasm_target = Some("wasip1/wasm".to_string());
    }
    Ok(built)
}

// ---------- C / C++ ----------

const C_INSTALL: &str = "install a C compiler (apt-get install gcc) and, for Wasm, clang with wasi-libc \
     (apt-get install clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32) or a wasi-sdk (set WASI_SDK_PATH)";

fn c(service: &Service, out: &Path, native: bool, wasm: bool, cpp: bool) -> BenchResult<Built> {
    let sources: Vec<PathBuf> = top_files(&service.dir)
        .into_iter()
        .filter(|p| {
            let ext = p
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            match ext.as_deref() {
                Some("c") => true,
                Some("cc" | "cpp" | "cxx") => cpp,
                _ => false,
            }
        })
        .collect();
    if sources.is_empty() {
        return Err(BenchError::new(
            Step::Input,
            "no C or C++ source files found",
        ));
    }
    let mut built = Built::default();
    if native {
        let cc = std::env::var(if cpp { "CXX" } else { "CC" })
            .unwrap_or_else(|_| if cpp { "g++" } else { "gcc" }.to_string());
        built.toolchain_version = version_of(Path::new(&cc), "--version");
        let exe = out.join("service");
        let mut cmd = Command::new(&cc);
        cmd.args(["-O2", "-static", "-o"]).arg(&exe).args(&sources);
        run(cmd, Step::NativeBuild, "the native build", C_INSTALL)?;
        built.native = Some(exe);
    }
    if wasm {
        let (clang, sysroot) = find_wasi_clang(cpp).ok_or_else(|| {
            BenchError::new(
                Step::Toolchain,
                format!("no clang that targets wasm32-wasi was found: {C_INSTALL}"),
            )
        })?;
        // An HTTP service is a wasi:http component: the same wasi-libc
        // build as a reactor, linked by wasm-component-ld against the
        // service's WIT world with the proxy adapter.
        let component = if service.workload == Workload::Http {
            Some(c_component_link(service)?)
        } else {
            None
        };
        let module = out.join("service.wasm");
        let mut cmd = Command::new(&clang);
        cmd.args(["--target=wasm32-wasi", "-O2"]);
        if let Some(sysroot) = sysroot {
            cmd.arg(format!("--sysroot={}", sysroot.display()));
        }
        if cpp {
            cmd.arg("-fno-exceptions");
        }
        if let Some((linker, wit)) = &component {
            cmd.arg("-mexec-model=reactor")
                .arg(format!("-fuse-ld={}", linker.display()))
                .arg(format!("-Wl,--component-type={}", wit.display()))
                .arg("-Wl,--wasi-adapter=proxy");
        }
        cmd.arg("-o").arg(&module).args(&sources);
        run(cmd, Step::WasmBuild, "the Wasm build", C_INSTALL)?;
        if built.toolchain_version.is_none() {
            built.toolchain_version = version_of(&clang, "--version");
        }
        built.wasm = Some(module);
        built.wasm_target = Some(
            if component.is_some() {
                "wasm32-wasi reactor, componentized with the wasi:http proxy adapter"
            } else {
                "wasm32-wasi"
            }
            .to_string(),
        );
    }
    Ok(built)
}

/// For a C wasi:http component: (wasm-component-ld, the service's `wit/`
/// directory holding the world it exports and its wasi:http dependencies).
fn c_component_link(service: &Service) -> BenchResult<(PathBuf, PathBuf)> {
    let wit = service.dir.join("wit");
    if !wit.is_dir() {
        return Err(BenchError::new(
            Step::Toolchain,
            format!(
                "a C HTTP service is benchmarked as a wasi:http component, which needs its WIT world: \
                 {} has no wit/ directory (see samples/bench-http-c), or pass a prebuilt component .wasm",
                service.dir.display()
            ),
        ));
    }
    let linker = wasm_component_ld().ok_or_else(|| {
        BenchError::new(
            Step::Toolchain,
            "wasm-component-ld is not installed (needed to link a C wasi:http component): \
             rustup target add wasm32-wasip2 ships it, or cargo install wasm-component-ld, \
             or set WASM_COMPONENT_LD",
        )
    })?;
    Ok((linker, wit))
}

/// wasm-component-ld: `$WASM_COMPONENT_LD`, on PATH, in a wasi-sdk, or the
/// one rustup installs with the wasm32-wasip2 target.
pub fn wasm_component_ld() -> Option<PathBuf> {
    const NAME: &str = "wasm-component-ld";
    if let Some(p) = std::env::var_os("WASM_COMPONENT_LD").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    if let Some(p) = which(NAME) {
        return Some(p);
    }
    if let Some(sdk) = std::env::var_os("WASI_SDK_PATH").map(PathBuf::from) {
        let p = sdk.join("bin").join(NAME);
        if p.is_file() {
            return Some(p);
        }
    }
    let out = Command::new("rustc")
        .args(["--print", "sysroot"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    std::fs::read_dir(sysroot.join("lib").join("rustlib"))
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin").join(NAME))
        .find(|p| p.is_file())
}

/// A wasi-sdk from WASI_SDK_PATH first (with its sysroot), else a system
/// clang, newest first (Debian's wasi-libc is found by clang itself).
fn find_wasi_clang(cpp: bool) -> Option<(PathBuf, Option<PathBuf>)> {
    let name = if cpp { "clang++" } else { "clang" };
    if let Some(sdk) = std::env::var_os("WASI_SDK_PATH").map(PathBuf::from) {
        let bin = sdk.join("bin").join(name);
        if bin.is_file() {
            return Some((bin, Some(sdk.join("share/wasi-sysroot"))));
        }
    }
    let mut names: Vec<String> = (14..=22).rev().map(|v| format!("{name}-{v}")).collect();
    names.push(name.to_string());
    names.into_iter().find_map(|n| which(&n)).map(|p| (p, None))
}

/// The first `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// True when `path` is an ELF executable with no dynamic loader, i.e. it
/// can run alone in a FROM scratch image.
pub fn is_static_elf(path: &Path) -> bool {
    match std::fs::read(path) {
        Ok(bytes) => {
            matches!(goblin::elf::Elf::parse(&bytes), Ok(elf) if elf.interpreter.is_none())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_json_artifacts() {
        let json = r#"{"reason":"compiler-artifact","executable":"/t/release/svc","filenames":["/t/release/svc"]}
{"reason":"build-finished","success":true}
{"reason":"compiler-artifact","executable":null,"filenames":["/t/libx.rlib","/t/x.wasm"]}
not json"#;
        assert_eq!(
            cargo_artifacts(json, true),
            vec![PathBuf::from("/t/release/svc")]
        );
        assert_eq!(cargo_artifacts(json, false).len(), 3);
    }

    #[test]
    fn hints_for_missing_targets() {
        let log = "error[E0463]: can't find crate for `core`\n  = note: the `wasm32-wasip2` target may not be installed";
        assert!(missing_target_hint(log)
            .unwrap()
            .contains("rustup target add wasm32-wasip2"));
        assert!(missing_target_hint("all fine").is_none());
    }

    #[test]
    fn missing_program_is_a_toolchain_error() {
        let cmd = Command::new("wasmfit-no-such-compiler");
        let e = run(cmd, Step::WasmBuild, "the Wasm build", "install it").unwrap_err();
        assert_eq!(e.step, Step::Toolchain);
        assert!(e.message.contains("install it"));
    }

    #[test]
    fn static_elf_check_rejects_non_elf() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        assert!(!is_static_elf(&f));
    }
}
