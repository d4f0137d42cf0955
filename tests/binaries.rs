//! Native binaries built in the test from source with the real toolchains
//! (gcc, Go 1.23, cargo), then read by wasmfit: the facts the binary
//! analyser emits and the findings a scan makes of them.
//!
//! A test whose toolchain is missing skips with a visible `SKIPPED:` line
//! (`tests/support`); CI installs all of them and sets
//! `WASMFIT_REQUIRE_TOOLS=1`, so there they run.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use wasmfit::model::artifact::BinaryFormat;
use wasmfit::model::context::Context;
use wasmfit::model::fact::{Ecosystem, Fact, FactKind};
use wasmfit::model::Report;
use wasmfit::parse::binary::{self, Analysis};
use wasmfit::rules::RuleSet;

/// Whether `tool` is installed; skips `test` visibly when not. `go` is
/// also looked for where Debian installs it, and `static-gcc` is gcc with a
/// static libc.
fn have(test: &str, tool: &str) -> bool {
    let found = match tool {
        "go" => support::go().is_some(),
        "static-gcc" => support::static_gcc().is_some(),
        t => support::which(&[t]).is_some(),
    };
    if !found {
        let why = match tool {
            "go" => support::GO_WHY.to_string(),
            "static-gcc" => support::STATIC_GCC_WHY.to_string(),
            "javac" | "jar" => {
                format!("{tool} is not installed (apt-get install default-jdk-headless)")
            }
            "objcopy" | "strip" => format!("{tool} is not installed (apt-get install binutils)"),
            t => format!("{t} is not installed (apt-get install {t})"),
        };
        support::skip(test, &why);
    }
    found
}

fn go() -> PathBuf {
    support::go().expect("checked by have()")
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compiles one C file with gcc into `dir/name`.
fn gcc(dir: &Path, name: &str, src: &str, extra: &[&str]) -> PathBuf {
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, src).unwrap();
    let out = dir.join(name);
    run(Command::new("gcc")
        .args(["-O2", "-o"])
        .arg(&out)
        .arg(&c)
        .args(extra));
    // The source must not be what the scan finds.
    std::fs::remove_file(&c).unwrap();
    out
}

fn go_build(dir: &Path, name: &str, src: &str, strip: bool) -> PathBuf {
    let m = dir.join(format!("{name}-src"));
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("main.go"), src).unwrap();
    std::fs::write(
        m.join("go.mod"),
        format!("module example.com/{name}\n\ngo 1.23\n"),
    )
    .unwrap();
    let out = dir.join(name);
    let mut cmd = Command::new(go());
    cmd.current_dir(&m).args(["build", "-o"]).arg(&out);
    if strip {
        cmd.arg("-ldflags=-s -w");
    }
    let cache = std::env::temp_dir().join("wasmfit-test-gocache");
    cmd.env("CGO_ENABLED", "0")
        .env("GOCACHE", &cache)
        .env("GOPATH", cache.join("path"))
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "-mod=mod");
    run(&mut cmd);
    std::fs::remove_dir_all(&m).unwrap();
    out
}

fn analyze(path: &Path) -> Analysis {
    analyze_as(path, "bin/app", BinaryFormat::Elf)
}

/// Analyses `path` as the binary at `rel` in the tree, in service context;
/// it must read without a diagnostic.
fn analyze_as(path: &Path, rel: &str, format: BinaryFormat) -> Analysis {
    let a = binary::analyze_file(path, rel, format, Context::Service, &knowledge());
    assert!(
        a.output.diagnostics.is_empty(),
        "{:?}",
        a.output.diagnostics
    );
    a
}

fn has(facts: &[Fact], want: &FactKind, ctx: Context) -> bool {
    facts.iter().any(|f| &f.kind == want && f.context == ctx)
}

fn sym(name: &str) -> FactKind {
    FactKind::Symbol { name: name.into() }
}
fn sys(name: &str) -> FactKind {
    FactKind::Syscall { name: name.into() }
}
fn lib(name: &str) -> FactKind {
    FactKind::Library { name: name.into() }
}
fn func(name: &str) -> FactKind {
    FactKind::Function { name: name.into() }
}

fn scan(dir: &Path) -> Report {
    let rules = RuleSet::builtin().unwrap();
    wasmfit::scan::scan(dir, &Default::default(), &rules, &|_, _| {}).unwrap()
}

/// Rule ids counted against the verdict.
fn counted(r: &Report) -> Vec<&str> {
    r.findings
        .iter()
        .filter(|f| f.counted)
        .map(|f| f.rule_id.as_str())
        .collect()
}

const SPAWN_C: &str = r#"
#include <unistd.h>
#include <sys/wait.h>
int main(int argc, char **argv) {
    pid_t p = fork();
    if (p == 0) { execvp("ls", argv); _exit(127); }
    int st; waitpid(p, &st, 0);
    return 0;
}
"#;

const BPF_C: &str = r#"
#define _GNU_SOURCE
#include <unistd.h>
#include <sys/syscall.h>
#include <string.h>
int main(void) {
    char attr[128]; memset(attr, 0, sizeof attr);
    long r = syscall(SYS_bpf, 0, attr, sizeof attr);
    long fd = 0;
    /* A raw syscall site: pidfd_open (434) by inline assembly. */
    __asm__ volatile ("mov $434, %%eax\n\tsyscall" : "=a"(fd) : "D"(1), "S"(0) : "rcx", "r11", "memory");
    return (int)(r + fd);
}
"#;

const INOTIFY_C: &str = r#"
#include <sys/inotify.h>
#include <unistd.h>
int main(void) {
    int fd = inotify_init1(0);
    inotify_add_watch(fd, "/tmp", IN_CREATE);
    char buf[4096]; return (int)read(fd, buf, sizeof buf);
}
"#;

const CUDA_C: &str = r#"
#include <dlfcn.h>
int main(void) {
    void *h = dlopen("libcuda.so.1", RTLD_NOW);
    if (!h) return 1;
    int (*init)(unsigned) = (int (*)(unsigned))dlsym(h, "cuInit");
    return init ? init(0) : 2;
}
"#;

#[test]
fn c_fork_and_exec() {
    if !have("c_fork_and_exec", "gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = gcc(dir.path(), "spawn", SPAWN_C, &[]);
    let a = analyze(&bin);
    for s in ["fork", "execvp", "waitpid"] {
        assert!(has(&a.output.facts, &sym(s), Context::Service), "{s}");
    }
    let info = a.binary.unwrap().info;
    assert_eq!(
        (
            info.kind.as_str(),
            info.linkage.as_str(),
            info.runtime.as_deref()
        ),
        ("executable", "dynamic", Some("c-cpp"))
    );
    let r = scan(dir.path());
    assert!(counted(&r).contains(&"WF101"), "{:?}", counted(&r));
    assert!(r.binaries.iter().any(|b| b.path == "spawn"));
}

#[test]
fn c_syscall_bpf_and_raw_site() {
    if !have("c_syscall_bpf_and_raw_site", "gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = gcc(dir.path(), "loader", BPF_C, &[]);
    let a = analyze(&bin);
    // `mov edi, 0x141; call syscall@plt` is bpf; the inline `syscall` with
    // eax = 434 is pidfd_open. Both the program's own.
    assert!(has(&a.output.facts, &sys("bpf"), Context::Service));
    assert!(has(&a.output.facts, &sys("pidfd_open"), Context::Service));
    assert!(has(&a.output.facts, &sym("syscall"), Context::Service));
    let bpf = a
        .output
        .facts
        .iter()
        .find(|f| f.kind == sys("bpf"))
        .unwrap();
    assert!(
        bpf.at.snippet.contains("0x141") && bpf.at.snippet.contains("syscall()"),
        "{}",
        bpf.at.snippet
    );
    let r = scan(dir.path());
    let c = counted(&r);
    assert!(c.contains(&"WF401") && c.contains(&"WF201"), "{c:?}");
}

#[test]
fn c_static_binary_names_its_syscalls() {
    if !have("c_static_binary_names_its_syscalls", "static-gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = gcc(dir.path(), "loader-static", BPF_C, &["-static"]);
    let a = analyze(&bin);
    let info = a.binary.as_ref().unwrap().info.clone();
    assert_eq!(info.linkage, "static");
    // The call to the statically linked syscall() is found through its
    // symbol; libc's own wrappers are named but not counted.
    assert!(has(&a.output.facts, &sys("bpf"), Context::Service));
    assert!(
        has(&a.output.facts, &sys("pidfd_open"), Context::Service),
        "inline asm in main"
    );
    assert!(has(
        &a.output.facts,
        &sys("futex"),
        Context::RuntimeInternal
    ));
    assert!(!has(&a.output.facts, &sys("futex"), Context::Service));
    // Stripped, the syscall() body is recognised by its instructions.
    let stripped = dir.path().join("loader-stripped");
    run(Command::new("strip").arg("-o").arg(&stripped).arg(&bin));
    let a = analyze(&stripped);
    assert!(a.binary.unwrap().info.stripped);
    assert!(has(&a.output.facts, &sys("bpf"), Context::Service));
    // A static fork+exec: main's direct callees stand in for imports.
    let spawn = gcc(dir.path(), "spawn-static", SPAWN_C, &["-static"]);
    let a = analyze(&spawn);
    assert!(
        has(&a.output.facts, &sym("fork"), Context::Service)
            && has(&a.output.facts, &sym("execvp"), Context::Service)
    );
    assert!(has(
        &a.output.facts,
        &sys("execve"),
        Context::RuntimeInternal
    ));
}

#[test]
fn c_inotify_and_dlopen_cuda() {
    if !have("c_inotify_and_dlopen_cuda", "gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = analyze(&gcc(dir.path(), "watcher", INOTIFY_C, &[]));
    assert!(has(
        &a.output.facts,
        &sym("inotify_init1"),
        Context::Service
    ));
    assert!(has(
        &a.output.facts,
        &sym("inotify_add_watch"),
        Context::Service
    ));
    let a = analyze(&gcc(dir.path(), "gpu", CUDA_C, &["-ldl"]));
    let cuda = a
        .output
        .facts
        .iter()
        .find(|f| f.kind == lib("libcuda.so.1"))
        .expect("libcuda.so.1 from a string");
    assert!(cuda.at.snippet.contains("dlopen"), "{}", cuda.at.snippet);
    assert!(has(&a.output.facts, &sym("dlopen"), Context::Service));
    let c = counted(&scan(dir.path())).join(",");
    assert!(
        c.contains("WF505") && c.contains("WF301") && c.contains("WF603"),
        "{c}"
    );
}

#[test]
fn go_binaries_stripped_or_not() {
    if !have("go_binaries_stripped_or_not", "go") {
        return;
    }
    const EXEC: &str = "package main\n\nimport (\n\t\"fmt\"\n\t\"os/exec\"\n)\n\nfunc main() {\n\tout, err := exec.Command(\"ls\").Output()\n\tfmt.Println(string(out), err)\n}\n";
    const PLAIN: &str = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tf, err := os.Open(\"/etc/hostname\")\n\tfmt.Println(f, err)\n}\n";
    let dir = tempfile::tempdir().unwrap();
    for strip in [false, true] {
        let bin = go_build(
            dir.path(),
            if strip { "exec-s" } else { "exec" },
            EXEC,
            strip,
        );
        let a = analyze(&bin);
        let f = &a.output.facts;
        // pclntab survives -s -w.
        assert!(
            has(f, &func("os/exec.(*Cmd).Start"), Context::Service),
            "strip={strip}"
        );
        assert!(has(f, &func("syscall.forkExec"), Context::Service));
        // The Go runtime's own syscalls are named and marked.
        assert!(has(f, &sys("futex"), Context::RuntimeInternal));
        assert!(
            !f.iter().any(
                |x| matches!(x.kind, FactKind::Syscall { .. }) && x.context == Context::Service
            ),
            "strip={strip}"
        );
        let info = a.binary.unwrap().info;
        let go = info.go.expect("buildinfo");
        assert!(go.version.starts_with("go1.23"), "{}", go.version);
        assert_eq!(go.cgo_enabled, Some(false));
        assert_eq!(
            go.path.as_deref(),
            Some(if strip {
                "example.com/exec-s"
            } else {
                "example.com/exec"
            })
        );
        assert_eq!(info.runtime.as_deref(), Some("go"));
        assert_eq!(info.stripped, strip);
    }
    let plain = go_build(dir.path(), "plain", PLAIN, true);
    let a = analyze(&plain);
    // `os` is linked (its file exec.go too) but not `os/exec`.
    assert!(!a
        .output
        .facts
        .iter()
        .any(|f| matches!(&f.kind, FactKind::Function { name } if name.starts_with("os/exec."))));
    assert!(!has(
        &a.output.facts,
        &func("syscall.forkExec"),
        Context::Service
    ));
    std::fs::remove_file(dir.path().join("exec")).unwrap();
    std::fs::remove_file(dir.path().join("exec-s")).unwrap();
    let r = scan(dir.path());
    assert!(!counted(&r).contains(&"WF101"), "{:?}", counted(&r));
    assert_eq!(
        r.runtime.primary.as_ref().map(|p| p.id.as_str()),
        Some("go")
    );
}

#[test]
fn go_service_syscall_is_counted() {
    if !have("go_service_syscall_is_counted", "go") {
        return;
    }
    const RAW: &str = "package main\n\nimport (\n\t\"fmt\"\n\t\"syscall\"\n\t\"unsafe\"\n)\n\nfunc main() {\n\tvar attr [128]byte\n\tr, _, e := syscall.Syscall(321, 0, uintptr(unsafe.Pointer(&attr[0])), 128)\n\tfmt.Println(r, e)\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let a = analyze(&go_build(dir.path(), "raw", RAW, true));
    let bpf = a
        .output
        .facts
        .iter()
        .find(|f| f.kind == sys("bpf") && f.context == Context::Service)
        .expect("bpf from main.main");
    assert_eq!(bpf.at.symbol.as_deref(), Some("main.main"));
    assert!(counted(&scan(dir.path())).contains(&"WF401"));
}

#[test]
fn rust_binary_std_syscalls_are_runtime_internal() {
    if !have("rust_binary_std_syscalls_are_runtime_internal", "cargo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let krate = dir.path().join("crate");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    std::fs::write(
        krate.join("Cargo.toml"),
        "[package]\nname = \"spawner\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        krate.join("src/main.rs"),
        "fn main() {\n    let h = std::thread::spawn(|| std::fs::metadata(\"/tmp\").map(|m| m.len()).unwrap_or(0));\n    let s = std::process::Command::new(\"ls\").status();\n    println!(\"{:?} {:?}\", s, h.join());\n}\n",
    )
    .unwrap();
    let target = dir.path().join("target");
    run(Command::new("cargo")
        .current_dir(&krate)
        .args(["build", "--release", "--offline", "-q"])
        .env("CARGO_TARGET_DIR", &target));
    let out = dir.path().join("bin");
    std::fs::create_dir_all(&out).unwrap();
    let bin = out.join("spawner");
    std::fs::copy(target.join("release/spawner"), &bin).unwrap();
    let a = analyze(&bin);
    let f = &a.output.facts;
    assert!(has(f, &sys("futex"), Context::RuntimeInternal));
    assert!(
        !f.iter()
            .any(|x| matches!(x.kind, FactKind::Syscall { .. }) && x.context == Context::Service),
        "{:#?}",
        f.iter()
            .filter(|x| matches!(x.kind, FactKind::Syscall { .. }))
            .collect::<Vec<_>>()
    );
    assert!(has(f, &sym("posix_spawnp"), Context::Service));
    assert!(has(f, &sym("syscall"), Context::RuntimeInternal));
    assert!(has(f, &sym("sigaltstack"), Context::RuntimeInternal));
    // Unstripped: demangled Rust function names (`Command::spawn` is std's).
    assert!(f.iter().any(|x| matches!(&x.kind, FactKind::Function { name } if name.contains("process::unix::common::Command>::spawn"))));
    assert_eq!(a.binary.unwrap().info.runtime.as_deref(), Some("rust"));
    std::fs::remove_dir_all(&krate).unwrap();
    std::fs::remove_dir_all(&target).unwrap();
    let r = scan(&out);
    let c = counted(&r);
    // std's own futex/statx and its `chroot` (for `CommandExt`) do not count.
    assert!(
        c.contains(&"WF101") && !c.contains(&"WF201") && !c.contains(&"WF508"),
        "{c:?}"
    );
}

#[test]
fn shared_libraries_are_followed() {
    if !have("shared_libraries_are_followed", "gcc") {
        return;
    }
    // ffmpeg -> libavutil -> libOpenCL, laid out like an image root.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("rootfs");
    let libdir = root.join("usr/lib/x86_64-linux-gnu");
    let bindir = root.join("usr/bin");
    std::fs::create_dir_all(&libdir).unwrap();
    std::fs::create_dir_all(&bindir).unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let so = |name: &str, body: &str, link: &[&str]| {
        let c = src.join(format!("{name}.c"));
        std::fs::write(&c, body).unwrap();
        run(Command::new("gcc")
            .args(["-shared", "-fPIC", "-o"])
            .arg(libdir.join(name))
            .arg(&c)
            .arg(format!("-Wl,-soname,{name}"))
            .arg(format!("-L{}", libdir.display()))
            .args(link));
    };
    so(
        "libOpenCL.so.1",
        "int clGetPlatformIDs(void) { return 0; }\n",
        &[],
    );
    run(Command::new("ln")
        .arg("-s")
        .arg("libOpenCL.so.1")
        .arg(libdir.join("libOpenCL.so")));
    so(
        "libavutil.so.57",
        "int clGetPlatformIDs(void);\nint av_gpu(void) { return clGetPlatformIDs(); }\n",
        &["-l:libOpenCL.so.1"],
    );
    let c = src.join("ffmpeg.c");
    std::fs::write(
        &c,
        "int av_gpu(void);\nint main(void) { return av_gpu(); }\n",
    )
    .unwrap();
    run(Command::new("gcc")
        .arg("-o")
        .arg(bindir.join("ffmpeg"))
        .arg(&c)
        .arg(format!("-L{}", libdir.display()))
        .arg(format!("-Wl,-rpath-link,{}", libdir.display()))
        .arg("-l:libavutil.so.57"));
    std::fs::remove_dir_all(&src).unwrap();
    std::fs::remove_file(libdir.join("libOpenCL.so")).unwrap();
    let r = scan(dir.path());
    let gpu = r
        .findings
        .iter()
        .find(|f| f.rule_id == "WF301")
        .expect("WF301");
    let on_ffmpeg = gpu
        .evidence
        .iter()
        .find(|e| e.at.path == "rootfs/usr/bin/ffmpeg")
        .expect("evidence on the executable");
    assert!(
        on_ffmpeg.at.snippet.contains("via libavutil.so.57"),
        "{}",
        on_ffmpeg.at.snippet
    );
    let ffmpeg = r
        .binaries
        .iter()
        .find(|b| b.path == "rootfs/usr/bin/ffmpeg")
        .unwrap();
    assert_eq!(
        ffmpeg.resolved,
        vec!["libavutil.so.57 -> rootfs/usr/lib/x86_64-linux-gnu/libavutil.so.57".to_string()]
    );
}

#[test]
fn hostile_binaries_give_diagnostics() {
    // Truncations and corruptions of a real binary, plus hand-made headers
    // with absurd counts: a diagnostic or nothing, never a panic.
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0".to_vec();
    elf.resize(64, 0xff);
    inputs.push(elf.clone());
    elf[60..62].copy_from_slice(&[0xff, 0xff]); // e_shnum
    inputs.push(elf);
    inputs.push(b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0".to_vec());
    inputs.push(b"\xcf\xfa\xed\xfe\x07\0\0\x01\x03\0\0\0\x02\0\0\0\xff\xff\xff\x7f".to_vec());
    inputs.push(b"\xca\xfe\xba\xbe\0\0\0\x10".to_vec());
    if let Ok(real) = std::fs::read("/bin/true") {
        for cut in [16, 64, 200, real.len() / 3, real.len() / 2] {
            inputs.push(real[..cut.min(real.len())].to_vec());
        }
        let mut flipped = real.clone();
        for i in (0..flipped.len()).step_by(97) {
            flipped[i] ^= 0x5a;
        }
        inputs.push(flipped);
    }
    for (i, b) in inputs.iter().enumerate() {
        for format in [BinaryFormat::Elf, BinaryFormat::Pe, BinaryFormat::MachO] {
            let a = binary::parse_bytes(b, "x", format, Context::Service, &knowledge());
            let _ = (i, a.output.facts.len());
        }
    }
    let a = binary::parse_bytes(
        b"\x7fELF garbage",
        "x",
        BinaryFormat::Elf,
        Context::Service,
        &knowledge(),
    );
    assert_eq!(a.output.diagnostics.len(), 1);
    assert_eq!(
        a.output.diagnostics[0].kind,
        wasmfit::model::diag::DiagKind::Malformed
    );
}

#[test]
fn go_dependencies_reach_the_knowledge_base() {
    if !have("go_dependencies_reach_the_knowledge_base", "go") {
        return;
    }
    // A module dependency without network: a local replace still lands in
    // the build info as a `dep` line with its `=>` replacement.
    let dir = tempfile::tempdir().unwrap();
    let dep = dir.path().join("ebpf");
    std::fs::create_dir_all(&dep).unwrap();
    std::fs::write(
        dep.join("go.mod"),
        "module github.com/cilium/ebpf\n\ngo 1.23\n",
    )
    .unwrap();
    std::fs::write(
        dep.join("ebpf.go"),
        "package ebpf\n\n//go:noinline\nfunc Load() int { return 1 }\n",
    )
    .unwrap();
    let m = dir.path().join("app-src");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("go.mod"), format!("module example.com/app\n\ngo 1.23\n\nrequire github.com/cilium/ebpf v0.12.3\n\nreplace github.com/cilium/ebpf => {}\n", dep.display())).unwrap();
    std::fs::write(m.join("main.go"), "package main\n\nimport (\n\t\"fmt\"\n\t\"github.com/cilium/ebpf\"\n)\n\nfunc main() { fmt.Println(ebpf.Load()) }\n").unwrap();
    let out = dir.path().join("bin");
    std::fs::create_dir_all(&out).unwrap();
    let cache = std::env::temp_dir().join("wasmfit-test-gocache");
    run(Command::new(go())
        .current_dir(&m)
        .args(["build", "-ldflags=-s -w", "-o"])
        .arg(out.join("app"))
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", &cache)
        .env("GOPATH", cache.join("path"))
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local"));
    let a = analyze(&out.join("app"));
    let dep = a.output.facts.iter().find_map(|f| match &f.kind {
        FactKind::Dependency(d) if d.name == "github.com/cilium/ebpf" => Some(d.clone()),
        _ => None,
    });
    let dep = dep.expect("cilium/ebpf from buildinfo");
    assert_eq!(
        (dep.ecosystem, dep.version.as_deref()),
        (Ecosystem::Go, Some("v0.12.3"))
    );
    assert!(has(
        &a.output.facts,
        &func("github.com/cilium/ebpf.Load"),
        Context::Service
    ));
    let r = scan(&out);
    assert!(counted(&r).contains(&"WF401"), "{:?}", counted(&r));
}

#[test]
fn jar_with_process_builder() {
    if !have("jar_with_process_builder", "javac") || !have("jar_with_process_builder", "jar") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("app")).unwrap();
    std::fs::write(
        src.join("app/Main.java"),
        "package app;\npublic class Main {\n  public static void main(String[] a) throws Exception {\n    new ProcessBuilder(\"ls\").start().waitFor();\n    System.loadLibrary(\"native\");\n  }\n}\n",
    )
    .unwrap();
    run(Command::new("javac")
        .arg("-d")
        .arg(src.join("classes"))
        .arg(src.join("app/Main.java")));
    // A native library shipped inside the jar, as sqlite-jdbc or netty do.
    std::fs::create_dir_all(src.join("classes/native")).unwrap();
    std::fs::write(src.join("classes/native/libnative.so"), b"\x7fELF").unwrap();
    let out = dir.path().join("app");
    std::fs::create_dir_all(&out).unwrap();
    run(Command::new("jar")
        .arg("--create")
        .arg("--file")
        .arg(out.join("app.jar"))
        .arg("--main-class")
        .arg("app.Main")
        .arg("-C")
        .arg(src.join("classes"))
        .arg("."));
    let out_facts = wasmfit::parse::archive::parse(
        &out.join("app.jar"),
        "app/app.jar",
        wasmfit::model::artifact::CodeArchive::Jar,
        Context::Service,
    );
    assert!(
        out_facts.diagnostics.is_empty(),
        "{:?}",
        out_facts.diagnostics
    );
    let f = &out_facts.facts;
    assert!(has(
        f,
        &sym("java/lang/ProcessBuilder.start"),
        Context::Service
    ));
    assert!(has(
        f,
        &sym("java/lang/System.loadLibrary"),
        Context::Service
    ));
    assert!(has(f, &lib("libnative.so"), Context::Service));
    assert!(f.iter().any(|x| matches!(
        &x.kind,
        FactKind::Runtime {
            clue: wasmfit::model::fact::RuntimeClue::Id(wasmfit::model::runtime::RuntimeId::Jvm),
            weight: 15
        }
    )));
    // Only platform calls are kept, not the application's own.
    assert!(!f
        .iter()
        .any(|x| matches!(&x.kind, FactKind::Symbol { name } if name.starts_with("app/"))));
    std::fs::remove_dir_all(&src).unwrap();
    let r = scan(dir.path());
    assert_eq!(
        r.runtime.primary.as_ref().map(|p| p.id.as_str()),
        Some("jvm")
    );
}

#[test]
fn ebpf_object_is_an_ebpf_signal() {
    // An ELF relocatable for the BPF machine (what clang -target bpf emits):
    // header only, no sections.
    let mut h = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    h.extend_from_slice(&1u16.to_le_bytes()); // ET_REL
    h.extend_from_slice(&247u16.to_le_bytes()); // EM_BPF
    h.extend_from_slice(&1u32.to_le_bytes());
    h.resize(52, 0);
    h.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
    h.resize(64, 0);
    let a = binary::parse_bytes(
        &h,
        "probe.bpf.o",
        BinaryFormat::Elf,
        Context::Service,
        &knowledge(),
    );
    assert!(
        a.output.diagnostics.is_empty(),
        "{:?}",
        a.output.diagnostics
    );
    assert!(has(
        &a.output.facts,
        &FactKind::Section {
            name: "EM_BPF".into()
        },
        Context::Service
    ));
    let info = a.binary.unwrap().info;
    assert_eq!(
        (info.machine.as_str(), info.kind.as_str(), info.runtime),
        ("bpf", "object", None)
    );
}

#[test]
fn cargo_auditable_section_feeds_the_crates_knowledge_base() {
    if !have(
        "cargo_auditable_section_feeds_the_crates_knowledge_base",
        "gcc",
    ) || !have(
        "cargo_auditable_section_feeds_the_crates_knowledge_base",
        "objcopy",
    ) {
        return;
    }
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let bin = gcc(dir.path(), "svc", "int main(void) { return 0; }\n", &[]);
    // What cargo-auditable embeds: zlib-compressed JSON in `.dep-v0`.
    let json = br#"{"packages":[{"name":"svc","version":"0.1.0","source":"local","root":true,"dependencies":[1,2]},{"name":"aya","version":"0.13.1","source":"crates.io"},{"name":"cc","version":"1.2.0","source":"crates.io","kind":"build"}]}"#;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(json).unwrap();
    let blob = dir.path().join("dep.z");
    std::fs::write(&blob, z.finish().unwrap()).unwrap();
    run(Command::new("objcopy")
        .arg(format!("--add-section=.dep-v0={}", blob.display()))
        .arg(&bin));
    std::fs::remove_file(&blob).unwrap();
    let a = analyze(&bin);
    let deps: Vec<(String, Context)> = a
        .output
        .facts
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::Dependency(d) if d.ecosystem == Ecosystem::Crates => {
                Some((d.name.clone(), f.context))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        deps,
        vec![
            ("aya".to_string(), Context::Service),
            ("cc".to_string(), Context::Build)
        ]
    );
    let info = a.binary.unwrap().info;
    assert_eq!(info.runtime.as_deref(), Some("rust"));
    assert!(info.rust.unwrap().auditable);
    assert!(
        counted(&scan(dir.path())).contains(&"WF401"),
        "aya is an eBPF crate"
    );
}

/// Found by the binary_macho fuzz target: bind opcodes naming a segment
/// that does not exist made goblin's import interpreter index out of
/// bounds. Imports now come from the symbol table.
#[test]
fn macho_bind_opcodes_with_a_bad_segment_index() {
    let hex = "cffaedfe000000000000000000000000010000002300000000cefaedfe00110022000000000000001e161616161616160b00000056d9ffffff80030000000e2c412c2c2c2c2c00000000000000812c2c2ccffaed";
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let a = binary::fuzzing::binary(&bytes, BinaryFormat::MachO);
    let _ = a;
    let guarded = binary::parse_bytes(
        &bytes,
        "x",
        BinaryFormat::MachO,
        Context::Service,
        &knowledge(),
    );
    assert!(guarded
        .output
        .diagnostics
        .iter()
        .all(|d| !d.message.contains("internal error")));
}

/// The runtime knowledge the scan hands the binary reader (rules/runtimes.toml).
fn knowledge() -> wasmfit::parse::binary::BinaryKnowledge {
    wasmfit::rules::RuleSet::builtin()
        .expect("built-in rules load")
        .runtimes
        .binary
}

/// A minimal PE32+ DLL for x86-64 whose one import is `kernel32.dll!func`,
/// laid out by hand (one `.idata` section), so no Windows toolchain is
/// needed. With `dotnet`, the CLI header directory points at the section
/// too, which is what marks a .NET assembly.
fn pe_dll(func: &str, dotnet: bool) -> Vec<u8> {
    let mut f = vec![0u8; 0x400];
    let put16 =
        |f: &mut Vec<u8>, at: usize, v: u16| f[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put64 =
        |f: &mut Vec<u8>, at: usize, v: u64| f[at..at + 8].copy_from_slice(&v.to_le_bytes());
    f[0..2].copy_from_slice(b"MZ");
    put32(&mut f, 0x3c, 0x40);
    f[0x40..0x44].copy_from_slice(b"PE\0\0");
    // COFF header: x86-64, one section, a PE32+ optional header, a DLL.
    put16(&mut f, 0x44, 0x8664);
    put16(&mut f, 0x46, 1);
    put16(&mut f, 0x54, 240);
    put16(&mut f, 0x56, 0x2022);
    let opt = 0x58;
    put16(&mut f, opt, 0x20b);
    put64(&mut f, opt + 24, 0x1_8000_0000);
    put32(&mut f, opt + 32, 0x1000);
    put32(&mut f, opt + 36, 0x200);
    put16(&mut f, opt + 40, 6);
    put16(&mut f, opt + 48, 6);
    put32(&mut f, opt + 56, 0x2000);
    put32(&mut f, opt + 60, 0x200);
    put16(&mut f, opt + 68, 2);
    put32(&mut f, opt + 108, 16);
    // Data directories: 1 = imports, 14 = the CLI header.
    let dirs = opt + 112;
    put32(&mut f, dirs + 8, 0x1000);
    put32(&mut f, dirs + 12, 40);
    if dotnet {
        put32(&mut f, dirs + 14 * 8, 0x1100);
        put32(&mut f, dirs + 14 * 8 + 4, 72);
    }
    let sec = opt + 240;
    f[sec..sec + 8].copy_from_slice(b".idata\0\0");
    put32(&mut f, sec + 8, 0x200);
    put32(&mut f, sec + 12, 0x1000);
    put32(&mut f, sec + 16, 0x200);
    put32(&mut f, sec + 20, 0x200);
    put32(&mut f, sec + 36, 0xC000_0040);
    // The section (RVA 0x1000 at file offset 0x200): one import descriptor
    // and a null one, the lookup and address tables, the hint/name entry,
    // the DLL's name.
    let (base, rva) = (0x200usize, 0x1000u32);
    put32(&mut f, base, rva + 0x28);
    put32(&mut f, base + 12, rva + 0x60);
    put32(&mut f, base + 16, rva + 0x38);
    put64(&mut f, base + 0x28, u64::from(rva + 0x48));
    put64(&mut f, base + 0x38, u64::from(rva + 0x48));
    let name = base + 0x4a;
    f[name..name + func.len()].copy_from_slice(func.as_bytes());
    f[base + 0x60..base + 0x60 + 13].copy_from_slice(b"KERNEL32.dll\0");
    if dotnet {
        // The CLI (COR20) header, pointing at a metadata root ("BSJB",
        // version "v4", no streams).
        put32(&mut f, base + 0x100, 72);
        put16(&mut f, base + 0x104, 2);
        put16(&mut f, base + 0x106, 5);
        put32(&mut f, base + 0x108, rva + 0x180);
        put32(&mut f, base + 0x10c, 0x20);
        put32(&mut f, base + 0x180, 0x424A_5342);
        put16(&mut f, base + 0x184, 1);
        put16(&mut f, base + 0x186, 1);
        put32(&mut f, base + 0x18c, 4);
        f[base + 0x190..base + 0x192].copy_from_slice(b"v4");
    }
    f
}

#[test]
fn windows_binaries_are_another_platform() {
    let dir = tempfile::tempdir().unwrap();
    let dll = dir.path().join("dist/windows/helper.dll");
    std::fs::create_dir_all(dll.parent().unwrap()).unwrap();
    std::fs::write(&dll, pe_dll("CreateProcessW", false)).unwrap();
    let a = analyze_as(&dll, "dist/windows/helper.dll", BinaryFormat::Pe);
    let spawn = sym("CreateProcessW");
    assert!(
        has(&a.output.facts, &spawn, Context::Optional),
        "{:#?}",
        a.output.facts
    );
    assert!(!has(&a.output.facts, &spawn, Context::Service));
    // Found by the scan, listed, and not charged to the service.
    let r = scan(dir.path());
    let f = r.findings.iter().find(|f| f.rule_id == "WF101");
    let f = f.unwrap_or_else(|| panic!("WF101 did not fire: {:#?}", r.findings));
    assert_eq!(f.context, Context::Optional);
    assert!(!counted(&r).contains(&"WF101"), "{:?}", counted(&r));
}

#[test]
fn dotnet_assemblies_keep_their_context() {
    // The same import in a .NET assembly: portable code, the service's.
    let dir = tempfile::tempdir().unwrap();
    let dll = dir.path().join("App.dll");
    std::fs::write(&dll, pe_dll("CreateProcessW", true)).unwrap();
    let a = analyze_as(&dll, "App.dll", BinaryFormat::Pe);
    let info = a.binary.as_ref().unwrap().info.clone();
    assert_eq!(info.runtime.as_deref(), Some("dotnet"), "{info:?}");
    assert!(
        has(&a.output.facts, &sym("CreateProcessW"), Context::Service),
        "{:#?}",
        a.output.facts
    );
}
