//! The try-build's second sandbox, for hosts where user namespaces are off:
//! a Docker container with no network (`network_mode: none`) from an empty
//! `FROM scratch` image, nothing pulled from any registry, the host's
//! system directories and toolchain homes bind-mounted read-only, the
//! temporary copy of the tree the only writable mount (plus a `/tmp` in
//! memory). Everything is labelled with the bench's labels and this run's
//! id and removed afterwards, on a signal too (the bench's `docker::Engine`).

use crate::bench::docker::{Engine, CALL_TIMEOUT};
use crate::model::plan::BuildStatus;
use crate::plan::trybuild::TryBuildError;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Bounds on the build container.
const MEMORY_BYTES: i64 = 4 << 30;
const PIDS: i64 = 4096;
/// Build output kept, at most (the end is what matters).
const MAX_LOG_BYTES: usize = 4 << 20;

/// What to run, where.
pub struct Build<'a> {
    pub program: &'a str,
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    /// The temporary copy: the working directory and the only writable mount.
    pub dir: &'a Path,
    /// Where the build's output goes.
    pub log: &'a Path,
    pub timeout: Duration,
    /// The temporary directory holding `dir` and `log`, removed again after
    /// a signal once the container is gone (the signal's own cleanup ran
    /// while the container could still write into it).
    pub scratch: &'a Path,
}

fn io(what: &str, e: impl std::fmt::Display) -> TryBuildError {
    TryBuildError::Io(format!("{what}: {e}"))
}

fn runtime() -> Result<tokio::runtime::Runtime, TryBuildError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| io("starting the Docker client", e))
}

/// Whether a Docker engine answers (for `--sandbox auto`).
pub fn engine_answers() -> bool {
    runtime().is_ok_and(|rt| rt.block_on(Engine::connect("probe")).is_ok())
}

/// Builds in a container; returns how the build ended.
pub fn run(build: &Build) -> Result<BuildStatus, TryBuildError> {
    let program = resolve(build.program)
        .ok_or_else(|| TryBuildError::Io(format!("{} is not on PATH", build.program)))?;
    let rt = runtime()?;
    // A signal's exit waits for this run to remove what it created.
    let _wait_for_cleanup = crate::interrupt::defer();
    rt.block_on(async {
        // The bench's run id (process id and clock), marked as a try-build's.
        let run_id = format!("try-build-{}", crate::bench::runner::run_id());
        let engine = Engine::connect(&run_id)
            .await
            .map_err(TryBuildError::NoSandbox)?;
        let result = contained(&engine, build, &program).await;
        // What could not be removed is an error of its own: the run must
        // not leave a container behind silently.
        let leftover = engine.cleanup(&|_: &str| {}).await.err();
        if crate::interrupt::received().is_some() {
            let _ = std::fs::remove_dir_all(build.scratch);
        }
        match leftover {
            Some(e) if result.is_ok() => Err(TryBuildError::Io(format!(
                "the build container was not removed: {e}"
            ))),
            _ => result,
        }
    })
}

async fn contained(
    engine: &Engine,
    build: &Build<'_>,
    program: &Path,
) -> Result<BuildStatus, TryBuildError> {
    let tag = format!("wasmfit-try-build/scratch:{}", engine.run_id);
    engine
        .build_image(scratch_context()?, "Dockerfile", &tag)
        .await
        .map_err(|e| io("creating the empty build image", e))?;
    let id = engine
        .create(body(&tag, build, program))
        .await
        .map_err(|e| io("creating the build container", e))?;
    engine
        .start(&id)
        .await
        .map_err(|e| io("starting the build container", e))?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = crate::plan::trybuild::stop_reason(started, build.timeout) {
            break s;
        }
        match exit_code(engine, &id).await {
            Some(0) => break BuildStatus::Built,
            Some(_) => break BuildStatus::Failed,
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    if status != BuildStatus::Interrupted {
        let log = logs(engine, &id).await;
        std::fs::write(build.log, log).map_err(|e| io("build log", e))?;
    }
    Ok(status)
}

/// The exit code once the container has stopped.
async fn exit_code(engine: &Engine, id: &str) -> Option<i64> {
    let inspect = tokio::time::timeout(CALL_TIMEOUT, engine.client.inspect_container(id, None))
        .await
        .ok()?
        .ok()?;
    let state = inspect.state?;
    if state.running == Some(true) {
        return None;
    }
    // Created but not started yet, or gone: not an exit.
    state.finished_at.as_ref()?;
    state.exit_code
}

/// The container's stdout and stderr, the last `MAX_LOG_BYTES`.
async fn logs(engine: &Engine, id: &str) -> Vec<u8> {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .build();
    let mut stream = engine.client.logs(id, Some(options));
    let mut out: Vec<u8> = Vec::new();
    let read = async {
        while let Some(Ok(chunk)) = stream.next().await {
            out.extend_from_slice(&chunk.into_bytes());
            if out.len() > 2 * MAX_LOG_BYTES {
                out.drain(..out.len() - MAX_LOG_BYTES);
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(30), read).await;
    if out.len() > MAX_LOG_BYTES {
        out.drain(..out.len() - MAX_LOG_BYTES);
    }
    out
}

/// A build context of one Dockerfile: an image with no files at all (the
/// LABEL makes it an image: a bare `FROM scratch` generates none).
fn scratch_context() -> Result<Vec<u8>, TryBuildError> {
    let dockerfile = b"FROM scratch\nLABEL wasmfit.sandbox=try-build\n";
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "Dockerfile", &dockerfile[..])
        .map_err(|e| io("packing the build image", e))?;
    builder
        .into_inner()
        .map_err(|e| io("packing the build image", e))
}

/// `program` on PATH, with symlinks resolved (a rustup or pyenv shim).
fn resolve(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// The container: the program run directly (no shell), the copy mounted
/// at its own path (so absolute paths in the build's environment hold),
/// as the copy's owner.
fn body(tag: &str, build: &Build, program: &Path) -> ContainerCreateBody {
    let dir = build.dir.display().to_string();
    let mut binds: Vec<String> = read_only_mounts(program)
        .into_iter()
        .map(|(host, inside)| format!("{}:{}:ro", host.display(), inside.display()))
        .collect();
    binds.push(format!("{dir}:{dir}:rw"));
    let mut env: Vec<String> = ["PATH", "HOME", "CARGO_HOME", "RUSTUP_HOME", "PYENV_ROOT"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v}")))
        .collect();
    // Caches the build writes go to the in-memory /tmp.
    env.push("GOCACHE=/tmp/go-build".into());
    env.push("XDG_CACHE_HOME=/tmp/cache".into());
    env.extend(build.env.iter().map(|(k, v)| format!("{k}={v}")));
    let user = owner(build.dir);
    let mut cmd = vec![program.display().to_string()];
    cmd.extend(build.args.iter().cloned());
    ContainerCreateBody {
        image: Some(tag.to_string()),
        cmd: Some(cmd),
        entrypoint: None,
        env: Some(env),
        working_dir: Some(dir),
        user,
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            binds: Some(binds),
            tmpfs: Some(HashMap::from([(
                "/tmp".to_string(),
                "rw,exec,size=2g".to_string(),
            )])),
            memory: Some(MEMORY_BYTES),
            pids_limit: Some(PIDS),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `uid:gid` of the copy's owner, so what the build writes stays ours.
fn owner(dir: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(dir).ok()?;
        Some(format!("{}:{}", m.uid(), m.gid()))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
}

/// What the build may read, (host path, path inside): the system
/// directories (a symlinked `/lib` -> `usr/lib` is mounted from its
/// target), the toolchain homes that exist (cargo, rustup, pyenv, Go's
/// module cache), and the directory of the program when it lives
/// elsewhere. Never the copy, never the whole home directory.
fn read_only_mounts(program: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out: Vec<(PathBuf, PathBuf)> = Vec::new();
    for p in [
        "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
    ] {
        let inside = PathBuf::from(p);
        if let Ok(host) = std::fs::canonicalize(&inside) {
            out.push((host, inside));
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let from_env = |k: &str, default: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(default)))
    };
    let homes = [
        from_env("CARGO_HOME", ".cargo"),
        from_env("RUSTUP_HOME", ".rustup"),
        from_env("PYENV_ROOT", ".pyenv"),
        from_env("GOPATH", "go"),
        from_env("GOMODCACHE", "go/pkg/mod"),
    ];
    let mut dirs: Vec<PathBuf> = homes.into_iter().flatten().collect();
    if let Some(parent) = std::fs::canonicalize(program)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        dirs.push(parent);
    }
    for d in dirs {
        let Ok(host) = std::fs::canonicalize(&d) else {
            continue;
        };
        // Already inside a mounted directory: nothing to add.
        if out.iter().any(|(h, i)| host.starts_with(h) && h == i) {
            continue;
        }
        out.push((host, d));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_has_no_network_and_one_writable_mount() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let args = vec!["--version".to_string()];
        let env = vec![("A".to_string(), "b".to_string())];
        let build = Build {
            program: "true",
            args: &args,
            env: &env,
            dir: dir.path(),
            log: &log,
            timeout: Duration::from_secs(1),
            scratch: dir.path(),
        };
        let b = body("t", &build, Path::new("/usr/bin/true"));
        let host = b.host_config.unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        assert_eq!(b.network_disabled, Some(true));
        let binds = host.binds.unwrap();
        let writable: Vec<&String> = binds.iter().filter(|m| !m.ends_with(":ro")).collect();
        assert_eq!(
            writable,
            vec![&format!("{0}:{0}:rw", dir.path().display())],
            "{binds:?}"
        );
        assert!(b.env.unwrap().contains(&"A=b".to_string()));
        assert_eq!(
            b.cmd.unwrap(),
            vec!["/usr/bin/true".to_string(), "--version".to_string()]
        );
    }
}
