//! `wasmfit plan --try-build`: builds the service for the planned target,
//! in a temporary copy of its tree, offline, in a sandbox with no network,
//! with a time limit, and reads the compiler's errors back into findings.
//!
//! Build scripts run code from the scanned tree, so this runs only when the
//! user asks for it, and only inside `unshare -rn` (a user and network
//! namespace: no network at all, no privileges beyond the caller's). It
//! never builds in the tree itself.

use crate::model::context::Context;
use crate::model::finding::Finding;
use crate::model::plan::{BuildError, BuildStatus, Plan, TryBuild};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bounds on the temporary copy of the tree.
const MAX_COPY_BYTES: u64 = 512 << 20;
const MAX_COPY_FILES: usize = 50_000;
/// Build output read back, at most (the end is what matters).
const MAX_LOG_BYTES: u64 = 4 << 20;
/// Compiler errors kept per build.
const MAX_ERRORS: usize = 50;
/// Lines of the build's output kept for the report.
const TAIL_LINES: usize = 15;
/// Directories never copied: build output and VCS data.
const SKIP_DIRS: [&str; 6] = [
    ".git",
    "target",
    "node_modules",
    ".venv",
    "__pycache__",
    "dist",
];

/// What the sandboxed build needs from the caller.
pub struct Request<'a> {
    /// The service's directory.
    pub root: &'a Path,
    pub plan: &'a Plan,
    /// The service's findings, which compiler errors confirm.
    pub findings: &'a [Finding],
    pub timeout: Duration,
    /// Where to keep the built `.wasm` (the plan's `--out DIR`).
    pub keep_in: Option<&'a Path>,
    /// The service's main entry point, relative to `root` (`main.py`):
    /// the module componentize-py wraps.
    pub entry: Option<&'a str>,
    pub sandbox: SandboxChoice,
}

/// Where a build that needs the world gets it (the plan's WIT and the WASI
/// packages it imports), inside the copy.
const WIT_DIR: &str = ".wasmfit-wit";

/// Why the build could not be tried: the user's to fix (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum TryBuildError {
    #[error("--try-build needs {tool}: {install}")]
    MissingTool { tool: String, install: String },
    #[error("--try-build needs a sandbox with no network: `unshare -rn` failed ({0}); enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or start a Docker engine (--sandbox container)")]
    NoSandbox(String),
    #[error("--try-build cannot build {0} services yet; build with: {1}")]
    Unsupported(String, String),
    #[error("--try-build: {0}")]
    Io(String),
}

/// One way to build: the program and its arguments, run in the copy.
struct Recipe {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Where the `.wasm` lands, relative to the copy (a directory is
    /// searched for the newest `.wasm`).
    output: PathBuf,
    /// Whether the build reads the world from `WIT_DIR`.
    needs_wit: bool,
}

/// Whether `program` runs (`--version` answers).
fn present(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn missing(tool: &str, install: &str) -> TryBuildError {
    TryBuildError::MissingTool {
        tool: tool.into(),
        install: install.into(),
    }
}

/// Whether the world exports the HTTP handler.
fn serves_http(plan: &Plan) -> bool {
    plan.world
        .exports
        .iter()
        .any(|e| e.starts_with("wasi:http/incoming-handler"))
}

/// The build for the plan's runtime, once its toolchain is found: `root`
/// is the tree (read for file names and the manifest only), `copy` where
/// the build runs, `entry` the service's main entry point.
fn recipe(
    plan: &Plan,
    root: &Path,
    copy: &Path,
    entry: Option<&str>,
) -> Result<Recipe, TryBuildError> {
    let runtime = plan.build.runtime.as_deref().unwrap_or("unknown");
    let out = plan.build.output.clone();
    match runtime {
        "rust" => {
            if !present("cargo") {
                return Err(missing(
                    "cargo",
                    "install Rust with rustup (https://rustup.rs)",
                ));
            }
            let sysroot = Command::new("rustc")
                .args(["--print", "target-libdir", "--target", "wasm32-wasip2"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
            if !sysroot.is_some_and(|p| p.is_dir()) {
                return Err(missing(
                    "the wasm32-wasip2 Rust target",
                    "rustup target add wasm32-wasip2",
                ));
            }
            let mut args = [
                "build",
                "--release",
                "--offline",
                "--target",
                "wasm32-wasip2",
            ]
            .map(String::from)
            .to_vec();
            // An HTTP component is the crate's cdylib; its binaries (a
            // native server beside it) are not what the world describes.
            if serves_http(plan) && declares_cdylib(root) {
                args.push("--lib".into());
            }
            Ok(Recipe {
                program: "cargo".into(),
                args,
                env: vec![
                    (
                        "CARGO_TARGET_DIR".into(),
                        copy.join("target").display().to_string(),
                    ),
                    ("CARGO_NET_OFFLINE".into(), "true".into()),
                ],
                output: PathBuf::from("target/wasm32-wasip2/release"),
                needs_wit: false,
            })
        }
        "tinygo" | "go" if present("tinygo") => Ok(Recipe {
            program: "tinygo".into(),
            args: ["build", "-target=wasip2", "-o", out.as_str(), "."]
                .map(String::from)
                .to_vec(),
            env: go_env(),
            output: PathBuf::from(&out),
            needs_wit: false,
        }),
        "go" => {
            if !present_go() {
                return Err(missing(
                    "go (or tinygo)",
                    "install Go 1.21+ (https://go.dev/dl) or TinyGo 0.34+ (https://tinygo.org)",
                ));
            }
            let mut env = go_env();
            env.extend([
                ("GOOS".into(), "wasip1".into()),
                ("GOARCH".into(), "wasm".into()),
            ]);
            Ok(Recipe {
                program: "go".into(),
                args: ["build", "-o", out.as_str(), "."]
                    .map(String::from)
                    .to_vec(),
                env,
                output: PathBuf::from(&out),
                needs_wit: false,
            })
        }
        "tinygo" => Err(missing(
            "tinygo",
            "install TinyGo 0.34+ (https://tinygo.org)",
        )),
        "c-cpp" => {
            let clang = ["clang", "clang-19", "clang-18"]
                .into_iter()
                .find(|c| present(c))
                .ok_or_else(|| missing("clang with a WASI sysroot", "install wasi-sdk (https://github.com/WebAssembly/wasi-sdk) and put its clang on PATH"))?;
            let sources = c_sources(root);
            if sources.is_empty() {
                return Err(TryBuildError::Unsupported(
                    "C/C++ (no .c file found)".into(),
                    plan.build.toolchain.clone(),
                ));
            }
            let mut args = vec![
                "--target=wasm32-wasi".to_string(),
                "-O2".into(),
                "-o".into(),
                out.clone(),
            ];
            args.extend(sources);
            Ok(Recipe {
                program: clang.into(),
                args,
                env: Vec::new(),
                output: PathBuf::from(&out),
                needs_wit: false,
            })
        }
        "python" => {
            if !present("componentize-py") {
                return Err(missing("componentize-py", "pip install componentize-py"));
            }
            let module = python_module(root, entry).ok_or_else(|| {
                TryBuildError::Unsupported(
                    "Python (no entry module: no main entry point, app.py or main.py)".into(),
                    plan.build.toolchain.clone(),
                )
            })?;
            // componentize-py runs the module at build time (pre-init),
            // imports included, and checks it implements the world's
            // exports (`IncomingHandler` for wasi:http/incoming-handler).
            Ok(Recipe {
                program: "componentize-py".into(),
                args: [
                    "-d",
                    WIT_DIR,
                    "-w",
                    plan.world.name.as_str(),
                    "componentize",
                    module.as_str(),
                    "-p",
                    ".",
                    "-o",
                    out.as_str(),
                ]
                .map(String::from)
                .to_vec(),
                // Its errors, without the Rust backtrace of the tool itself.
                env: vec![
                    ("RUST_BACKTRACE".into(), "0".into()),
                    ("RUST_LIB_BACKTRACE".into(), "0".into()),
                ],
                output: PathBuf::from(&out),
                needs_wit: true,
            })
        }
        other => Err(TryBuildError::Unsupported(
            other.into(),
            plan.build.toolchain.clone(),
        )),
    }
}

/// Whether the crate's manifest builds a `cdylib` (a component library).
fn declares_cdylib(root: &Path) -> bool {
    let path = root.join("Cargo.toml");
    // Never through a symlink: it could point out of the tree.
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    let Ok(text) = crate::input::bounded::read_string(&path, 1 << 20) else {
        return false;
    };
    let Ok(manifest) = text.parse::<toml::Table>() else {
        return false;
    };
    manifest
        .get("lib")
        .and_then(|l| l.get("crate-type"))
        .and_then(|t| t.as_array())
        .is_some_and(|a| a.iter().any(|t| t.as_str() == Some("cdylib")))
}

/// The Python module to wrap: the entry point's (`api/main.py` ->
/// `api.main`), else `app.py` or `main.py` at the root.
fn python_module(root: &Path, entry: Option<&str>) -> Option<String> {
    let file = entry
        .filter(|e| e.ends_with(".py"))
        .map(str::to_string)
        .or_else(|| {
            ["app.py", "main.py"]
                .into_iter()
                .find(|f| root.join(f).is_file())
                .map(str::to_string)
        })?;
    let module = file.strip_suffix(".py")?.replace(['/', '\\'], ".");
    let ident = |p: &str| {
        !p.is_empty()
            && !p.starts_with(|c: char| c.is_ascii_digit())
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    module.split('.').all(ident).then_some(module)
}

fn present_go() -> bool {
    present_version("go")
}

/// `go` answers `version`, not `--version`.
fn present_version(program: &str) -> bool {
    Command::new(program)
        .arg("version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// No module downloads and no toolchain switch: the sandbox has no network,
/// and saying so up front gives a clear error instead of a timeout.
fn go_env() -> Vec<(String, String)> {
    vec![
        ("GOPROXY".into(), "off".into()),
        ("GOTOOLCHAIN".into(), "local".into()),
        ("GOFLAGS".into(), "-mod=mod".into()),
        ("CGO_ENABLED".into(), "0".into()),
    ]
}

/// The `.c` files of the tree, outside test directories and what the copy
/// leaves out, sorted, relative.
fn c_sources(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = walkdir::WalkDir::new(root)
        .follow_links(false)
        .max_depth(6)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref())
        })
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            (rel.ends_with(".c") && !rel.split('/').any(|p| p == "test" || p == "tests"))
                .then_some(rel)
        })
        .collect();
    v.sort();
    v
}

/// Where the build runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxChoice {
    /// `unshare -rn` when it works, else a container.
    #[default]
    Auto,
    /// Only `unshare -rn` (a user and network namespace).
    Unshare,
    /// Only a Docker container with no network.
    Container,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sandbox {
    Unshare,
    Container,
}

/// The sandbox to build in: `unshare -rn` first (no daemon, nothing left
/// behind), a container where user namespaces are off.
fn choose_sandbox(choice: SandboxChoice) -> Result<Sandbox, TryBuildError> {
    match choice {
        SandboxChoice::Unshare => sandbox().map(|()| Sandbox::Unshare),
        SandboxChoice::Container => Ok(Sandbox::Container),
        SandboxChoice::Auto => match sandbox() {
            Ok(()) => Ok(Sandbox::Unshare),
            Err(TryBuildError::NoSandbox(why)) => {
                if crate::plan::container::engine_answers() {
                    Ok(Sandbox::Container)
                } else {
                    Err(TryBuildError::NoSandbox(format!(
                        "{why}; and no Docker engine answers at {}",
                        crate::bench::docker::engine_address()
                    )))
                }
            }
            Err(e) => Err(e),
        },
    }
}

/// Checks that `unshare -rn` gives a namespace with no network.
fn sandbox() -> Result<(), TryBuildError> {
    match Command::new("unshare")
        .args(["-rn", "--", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(TryBuildError::NoSandbox(
            String::from_utf8_lossy(&o.stderr).trim().to_string(),
        )),
        Err(e) => Err(TryBuildError::NoSandbox(e.to_string())),
    }
}

/// Copies the tree: regular files and directories only (no symlink is
/// followed or copied), build output and VCS data left out, bounded.
fn copy_tree(from: &Path, to: &Path) -> Result<(), TryBuildError> {
    let mut bytes = 0u64;
    let mut files = 0usize;
    let walk = walkdir::WalkDir::new(from)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref())
        });
    for entry in walk {
        let entry = entry.map_err(|e| TryBuildError::Io(format!("copying the tree: {e}")))?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .map_err(|e| TryBuildError::Io(e.to_string()))?;
        let dest = to.join(rel);
        let ft = entry.file_type();
        if ft.is_dir() {
            std::fs::create_dir_all(&dest)
                .map_err(|e| TryBuildError::Io(format!("{}: {e}", dest.display())))?;
        } else if ft.is_file() {
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            bytes += len;
            files += 1;
            if bytes > MAX_COPY_BYTES || files > MAX_COPY_FILES {
                return Err(TryBuildError::Io(format!(
                    "the tree is over {} MiB or {MAX_COPY_FILES} files: too large to copy for a build",
                    MAX_COPY_BYTES >> 20
                )));
            }
            std::fs::copy(entry.path(), &dest)
                .map_err(|e| TryBuildError::Io(format!("{}: {e}", entry.path().display())))?;
        }
    }
    Ok(())
}

/// Builds, bounded in time, and reads the result.
pub fn run(req: &Request) -> Result<TryBuild, TryBuildError> {
    let tmp = tempfile::Builder::new()
        .prefix("wasmfit-try-build-")
        .tempdir()
        .map_err(|e| TryBuildError::Io(format!("temporary directory: {e}")))?;
    // A signal ends wasmfit without running destructors: the copy is
    // removed by the signal handler then (crate::interrupt).
    let _remove_copy = crate::interrupt::remove_dir(tmp.path());
    let copy = tmp.path().join("src");
    // The toolchain first: a missing one is the clearest thing to say.
    let recipe = recipe(req.plan, req.root, &copy, req.entry)?;
    let sandbox = choose_sandbox(req.sandbox)?;
    copy_tree(req.root, &copy)?;
    if recipe.needs_wit {
        crate::plan::wasi_wit::write(
            &copy.join(WIT_DIR),
            &req.plan.world.name,
            &req.plan.world.wit,
        )
        .map_err(|e| TryBuildError::Io(format!("writing the world for the build: {e}")))?;
    }
    let log_path = tmp.path().join("build.log");
    let command = std::iter::once(recipe.program.as_str())
        .chain(recipe.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let started = Instant::now();
    let (status, command) = match sandbox {
        Sandbox::Unshare => (
            build_unshared(&recipe, &copy, &log_path, req.timeout)?,
            format!("unshare -rn -- {command}"),
        ),
        Sandbox::Container => {
            let build = crate::plan::container::Build {
                program: &recipe.program,
                args: &recipe.args,
                env: &recipe.env,
                dir: &copy,
                log: &log_path,
                timeout: req.timeout,
                scratch: tmp.path(),
            };
            (
                crate::plan::container::run(&build)?,
                format!(
                    "docker (network none, FROM scratch, host toolchain read-only) -- {command}"
                ),
            )
        }
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let text = read_tail(&log_path);
    let mut result = TryBuild {
        command,
        status,
        elapsed_ms,
        errors: errors(&text, req.findings),
        artifact: None,
        bench: None,
        outside_world: Vec::new(),
        tail: tail(&text),
    };
    if status == BuildStatus::Built {
        if let Some(wasm) = find_wasm(&copy.join(&recipe.output)) {
            check_world(&wasm, req.plan, &mut result);
            if let Some(dir) = req.keep_in {
                let dest = dir.join(&req.plan.build.output);
                if std::fs::copy(&wasm, &dest).is_ok() {
                    result.bench = Some(bench_command(&dest, req.plan));
                    result.artifact = Some(dest.display().to_string());
                }
            }
        } else {
            result.status = BuildStatus::Failed;
            result
                .tail
                .push("the build succeeded but left no .wasm where expected".into());
        }
    }
    // `tmp` is removed here, on every path, the interrupted one included.
    drop(tmp);
    Ok(result)
}

/// The command that hands the built `.wasm` to `wasmfit bench`'s Wasm
/// side: an HTTP handler is served and sent requests over loopback TCP,
/// anything else gets request lines on stdin.
fn bench_command(wasm: &Path, plan: &Plan) -> String {
    let workload = if serves_http(plan) { "http" } else { "stdio" };
    format!(
        "wasmfit bench {} --sides wasm --workload {workload}",
        crate::plan::grants::shell_quote(&wasm.display().to_string())
    )
}

/// Runs the build under `unshare -rn`, in its own process group, its
/// output into `log`, killed at `timeout` or on a signal.
fn build_unshared(
    recipe: &Recipe,
    copy: &Path,
    log_path: &Path,
    timeout: Duration,
) -> Result<BuildStatus, TryBuildError> {
    let log = std::fs::File::create(log_path)
        .map_err(|e| TryBuildError::Io(format!("build log: {e}")))?;
    let log2 = log
        .try_clone()
        .map_err(|e| TryBuildError::Io(format!("build log: {e}")))?;
    let mut cmd = Command::new("unshare");
    cmd.args(["-rn", "--", recipe.program.as_str()])
        .args(&recipe.args)
        .current_dir(copy)
        .envs(recipe.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so the time limit kills every process the
        // build started, not only the first.
        cmd.process_group(0);
    }
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| TryBuildError::Io(format!("starting the build: {e}")))?;
    let pgid = child.id();
    let _kill_build = crate::interrupt::on_signal(move || kill_pgid(pgid));
    loop {
        match child.try_wait() {
            Ok(Some(s)) => {
                return Ok(if s.success() {
                    BuildStatus::Built
                } else {
                    BuildStatus::Failed
                })
            }
            Ok(None) => {}
            Err(e) => return Err(TryBuildError::Io(format!("waiting for the build: {e}"))),
        }
        if let Some(s) = stop_reason(started, timeout) {
            kill_group(&mut child);
            return Ok(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Why a running build must stop now, if it must: a signal, or the time
/// limit.
pub(crate) fn stop_reason(started: Instant, timeout: Duration) -> Option<BuildStatus> {
    if crate::interrupt::received().is_some() {
        Some(BuildStatus::Interrupted)
    } else if started.elapsed() > timeout {
        Some(BuildStatus::TimedOut)
    } else {
        None
    }
}

/// Kills the build's whole process group, then reaps it.
fn kill_group(child: &mut std::process::Child) {
    kill_pgid(child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// SIGKILL to every process of the group the build leads.
fn kill_pgid(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn read_tail(path: &Path) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_LOG_BYTES {
        let _ = f.seek(SeekFrom::Start(len - MAX_LOG_BYTES));
    }
    let mut buf = Vec::new();
    let _ = f.take(MAX_LOG_BYTES).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

fn tail(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..]
        .iter()
        .map(|l| crate::model::fact::clip(l.trim_end()))
        .collect()
}

/// The newest `.wasm` at `path` (a file, or a directory searched one level).
fn find_wasm(path: &Path) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path.to_path_buf());
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok())
}

/// On success: does the component import only what the world grants?
fn check_world(wasm: &Path, plan: &Plan, out: &mut TryBuild) {
    let Ok(bytes) = std::fs::read(wasm) else {
        return;
    };
    let (_, info) = crate::parse::wasm::parse(&bytes, &plan.build.output, Context::Service);
    let unversioned = |s: &str| s.split('@').next().unwrap_or(s).to_string();
    let mut world: Vec<String> = plan
        .world
        .imports
        .iter()
        .map(|i| unversioned(i))
        .chain(crate::plan::wit::IMPLIED.iter().map(|i| i.to_string()))
        .collect();
    // The HTTP interfaces `use` wasi:http/types: a world that names one
    // imports it (wit-parser adds it), so the component may too.
    if plan
        .world
        .imports
        .iter()
        .chain(&plan.world.exports)
        .any(|i| i.starts_with("wasi:http/"))
    {
        world.push("wasi:http/types".into());
    }
    if info.interfaces.is_empty() && !info.preview1.is_empty() {
        // A command adapts to a component; a preview 1 module cannot export
        // wasi:http/incoming-handler, so an HTTP service needs a wasip2
        // toolchain instead.
        let serves = plan
            .world
            .exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler"));
        out.outside_world.push(if serves {
            "a WASI preview 1 core module: it cannot export wasi:http/incoming-handler; build with a wasip2 toolchain (TinyGo -target=wasip2, wasm32-wasip2)".into()
        } else {
            "a WASI preview 1 core module, not a component: wrap it with `wasm-tools component new --adapt wasi_snapshot_preview1.command.wasm`".into()
        });
        return;
    }
    for i in &info.interfaces {
        if !world.contains(&unversioned(i)) {
            out.outside_world.push(i.clone());
        }
    }
}

/// The compiler's error lines, each tied to the finding it confirms, or
/// marked new when no finding explains it.
pub(crate) fn errors(text: &str, findings: &[Finding]) -> Vec<BuildError> {
    let mut out: Vec<BuildError> = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        let Some(message) = error_message(l) else {
            continue;
        };
        if out.iter().any(|e| e.message == message) {
            continue;
        }
        if environment(&message) {
            out.push(BuildError {
                message,
                confirms: None,
                new: false,
            });
        } else {
            let confirms = confirmed(l, findings);
            // A Python import no finding explains is a dependency that is
            // not installed where the build looks (offline, nothing is
            // downloaded): the environment's, not the code's.
            let missing_module = confirms.is_none() && l.contains("No module named");
            out.push(BuildError {
                new: confirms.is_none() && !missing_module,
                confirms,
                message,
            });
        }
        if out.len() >= MAX_ERRORS {
            break;
        }
    }
    out
}

/// An error line of rustc/cargo, go, or clang, as one clipped message.
fn error_message(l: &str) -> Option<String> {
    let is_error = l.starts_with("error[")
        || (l.starts_with("error:") && !l.starts_with("error: could not compile"))
        || l.contains(": error:")
        || l.contains(": fatal error:")
        // go: `main.go:12:3: undefined: syscall.InotifyInit`
        || is_go_error(l)
        // componentize-py: `ModuleNotFoundError: No module named 'flask'`
        || is_python_error(l);
    is_error.then(|| crate::model::fact::clip(l))
}

/// A Python exception line (`NameError: ...`). componentize-py wraps the
/// app's exception in an `AssertionError` that repeats it or a traceback
/// header; the line of the exception itself is the one kept.
fn is_python_error(l: &str) -> bool {
    let Some((name, rest)) = l.split_once(": ") else {
        return false;
    };
    let exception = |n: &str| {
        n.starts_with(|c: char| c.is_ascii_uppercase())
            && n.chars().all(|c| c.is_ascii_alphanumeric())
            && (n.ends_with("Error") || n.ends_with("Exception"))
    };
    if !exception(name) {
        return false;
    }
    let wrapper = name == "AssertionError"
        && (rest.starts_with("Traceback")
            || rest
                .split_once(": ")
                .is_some_and(|(inner, _)| exception(inner)));
    !wrapper
}

fn is_go_error(l: &str) -> bool {
    let mut parts = l.splitn(4, ':');
    let (Some(file), Some(line), Some(_col), Some(_msg)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return l.contains("build constraints exclude all Go files")
            || (l.starts_with("package ") && l.contains("is not in std"));
    };
    file.ends_with(".go") && line.chars().all(|c| c.is_ascii_digit()) && !line.is_empty()
}

/// Errors that say the sandbox lacked something, not the code: a
/// dependency that is not in the local cache, a download refused offline.
fn environment(message: &str) -> bool {
    const SIGNS: [&str; 7] = [
        "--offline",
        "no matching package named",
        "failed to download",
        "GOPROXY=off",
        "module lookup disabled",
        "failed to get `",
        // componentize-py: the world imports a package with no WIT here.
        "while parsing WIT",
    ];
    SIGNS.iter().any(|s| message.contains(s))
}

/// The rule of the finding an error line points at: one whose evidence
/// sits in the file and line the error names, or names a package, module
/// or header the error mentions, or whose WASI interface the error names
/// (componentize-py: `module 'main' has no attribute 'IncomingHandler'`).
/// Counted findings first; then the `info` ones a plan also acts on (the
/// HTTP handler), which a build confirms just as well.
fn confirmed(line: &str, findings: &[Finding]) -> Option<String> {
    let counted: Vec<&Finding> = findings.iter().filter(|f| f.counted).collect();
    let acted_on: Vec<&Finding> = findings
        .iter()
        .filter(|f| !f.counted && !f.suppressed && f.wasi.starts_with("wasi:"))
        .collect();
    confirmed_by(line, &counted)
        .or_else(|| confirmed_by(line, &acted_on))
        .or_else(|| {
            counted
                .iter()
                .chain(&acted_on)
                .find(|f| names_interface(line, &f.wasi))
                .map(|f| f.rule_id.clone())
        })
}

/// Whether `line` names the interface (`wasi:http/incoming-handler`) as
/// WIT, Rust or Python bindings spell it.
fn names_interface(line: &str, wasi: &str) -> bool {
    let Some(name) = wasi.split('@').next().and_then(|i| i.rsplit_once('/')) else {
        return false;
    };
    let name = name.1;
    let camel: String = name
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    [name.to_string(), name.replace('-', "_"), camel]
        .iter()
        .any(|n| mentions(line, n))
}

fn confirmed_by(line: &str, findings: &[&Finding]) -> Option<String> {
    for f in findings {
        for e in &f.evidence {
            if let Some(n) = e.at.line {
                if line.contains(&format!("{}:{n}:", e.at.path)) {
                    return Some(f.rule_id.clone());
                }
            }
        }
    }
    for f in findings {
        for e in &f.evidence {
            let names = e
                .note
                .as_deref()
                .and_then(|n| n.split(": ").next())
                .into_iter()
                .chain(e.at.library.as_deref())
                .chain(e.at.symbol.as_deref());
            for name in names {
                if mentions(line, name) {
                    return Some(f.rule_id.clone());
                }
            }
            // `#include <sys/inotify.h>`, `import "golang.org/x/sys/unix"`.
            for token in quoted(&e.at.snippet) {
                if mentions(line, &token) {
                    return Some(f.rule_id.clone());
                }
            }
        }
    }
    None
}

/// Whether `name` appears in `line` as a whole word (package and crate
/// names, so `mio` does not match `mios`).
fn mentions(line: &str, name: &str) -> bool {
    if name.len() < 3 {
        return false;
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    line.match_indices(name).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// Names in quotes or angle brackets in a line of code.
fn quoted(snippet: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [('"', '"'), ('<', '>'), ('`', '`')] {
        let mut rest = snippet;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + 1..];
            let Some(j) = after.find(close) else { break };
            let t = &after[..j];
            if t.len() >= 3 && !t.contains(' ') {
                out.push(t.to_string());
            }
            rest = &after[j + 1..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fact::Location;
    use crate::model::finding::Evidence;
    use crate::rules::{Capability, Category, Severity};

    fn finding(rule: &str, at: Location, note: Option<&str>) -> Finding {
        let e = Evidence {
            note: note.map(str::to_string),
            ..Evidence::sample(at)
        };
        Finding {
            capability: Capability::KernelInterface,
            category: Category::Kernel,
            ..Finding::sample(rule, Severity::Major, vec![e])
        }
    }

    #[test]
    fn errors_confirm_findings_by_place_and_by_name() {
        let f = vec![
            finding(
                "WF501",
                Location::line("src/watch.c", 3, "#include <sys/inotify.h>"),
                None,
            ),
            finding(
                "WF506",
                Location::line("Cargo.toml", 9, "mio = \"1\""),
                Some("mio: readiness polling"),
            ),
        ];
        let log = "src/watch.c:3:10: fatal error: 'sys/inotify.h' file not found\n\
                   error[E0433]: failed to resolve: use of undeclared crate in mio\n\
                   main.go:7:2: undefined: something.Else\n\
                   error: could not compile `x`\n\
                   warning: unused\n\
                   error: no matching package named `axum` found\n";
        let e = errors(log, &f);
        assert_eq!(e.len(), 4, "{e:?}");
        assert_eq!(e[0].confirms.as_deref(), Some("WF501"));
        assert_eq!(e[1].confirms.as_deref(), Some("WF506"));
        assert!(e[2].new && e[2].confirms.is_none());
        assert!(
            !e[3].new && e[3].confirms.is_none(),
            "offline: the sandbox, not the code"
        );
    }

    #[test]
    fn componentize_py_errors_confirm_the_http_finding() {
        // WF702 (serves HTTP) is `info`: not counted, but the plan acts on it.
        let mut wf702 = finding(
            "WF702",
            Location::line("requirements.txt", 1, "fastapi==0.111.0"),
            Some("fastapi: ASGI web framework."),
        );
        wf702.counted = false;
        wf702.severity = Severity::Info;
        wf702.wasi = "wasi:http/incoming-handler".into();
        let log = "AssertionError: Traceback (most recent call last):\n\
                   \x20 File \"/0/main.py\", line 1, in <module>\n\
                   ModuleNotFoundError: No module named 'fastapi'\n\
                   Caused by:\n\
                   \x20   ModuleNotFoundError: No module named 'fastapi'\n\
                   ModuleNotFoundError: No module named 'httpx'\n\
                   AssertionError: AttributeError: module 'main' has no attribute 'IncomingHandler'\n\
                   AttributeError: module 'main' has no attribute 'IncomingHandler'\n\
                   AssertionError: failed to resolve directory while parsing WIT for path [.wasmfit-wit]\n";
        let e = errors(log, &[wf702]);
        let got: Vec<(&str, Option<&str>, bool)> = e
            .iter()
            .map(|e| (e.message.as_str(), e.confirms.as_deref(), e.new))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "ModuleNotFoundError: No module named 'fastapi'",
                    Some("WF702"),
                    false
                ),
                ("ModuleNotFoundError: No module named 'httpx'", None, false),
                (
                    "AttributeError: module 'main' has no attribute 'IncomingHandler'",
                    Some("WF702"),
                    false
                ),
                (
                    "AssertionError: failed to resolve directory while parsing WIT for path [.wasmfit-wit]",
                    None,
                    false
                ),
            ]
        );
    }

    #[test]
    fn interfaces_are_named_as_bindings_spell_them() {
        let h = "wasi:http/incoming-handler";
        assert!(names_interface("no attribute 'IncomingHandler'", h));
        assert!(names_interface("cannot find incoming_handler::Guest", h));
        assert!(!names_interface("no attribute 'OutgoingHandler'", h));
        assert!(!names_interface("anything", "none"));
    }

    #[test]
    fn python_modules_come_from_the_entry_point() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            python_module(dir.path(), Some("api/main.py")).as_deref(),
            Some("api.main")
        );
        assert_eq!(python_module(dir.path(), None), None);
        std::fs::write(dir.path().join("main.py"), "").unwrap();
        assert_eq!(python_module(dir.path(), None).as_deref(), Some("main"));
        assert_eq!(python_module(dir.path(), Some("bad-name.py")), None);
    }

    #[test]
    fn names_match_whole_words() {
        assert!(mentions("could not find `mio`", "mio"));
        assert!(!mentions("the mios crate", "mio"));
    }
}
