//! The container side: the service's image on the local Docker engine, run
//! as `docker run` would (default runtime and network), fed the same
//! requests as the other sides through the attach stream or a port
//! published on 127.0.0.1. Every container is removed after its run.

use crate::bench::docker::Engine;
use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::httpload;
use crate::bench::sysinfo;
use crate::bench::workload::{self, LineClock};
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use futures_util::StreamExt;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// How the image was obtained.
#[derive(Clone, Debug)]
pub struct Image {
    pub tag: String,
    /// `dockerfile` or `generated-scratch`.
    pub source: &'static str,
    /// Why the Dockerfile was not used.
    pub reason: Option<String>,
}

/// Builds the service's image: from its Dockerfile when every base image is
/// already on the engine (nothing is pulled), else a generated FROM scratch
/// image holding `native` (which must be a static binary).
pub async fn prepare_image(
    engine: &Engine,
    dir: &Path,
    dockerfile: Option<&Path>,
    native: Option<&Path>,
    port: Option<u16>,
    tag: &str,
) -> BenchResult<Image> {
    let reason = match dockerfile {
        None => "the service has no Dockerfile".to_string(),
        Some(df) => {
            let text = std::fs::read_to_string(df).map_err(|e| {
                BenchError::new(
                    Step::ImageBuild,
                    format!("cannot read {}: {e}", df.display()),
                )
            })?;
            let mut missing = Vec::new();
            for base in dockerfile_bases(&text) {
                if base.contains('$') || !engine.has_image(&base).await {
                    missing.push(base);
                }
            }
            if missing.is_empty() {
                let name = df
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let context = context_tar(dir)?;
                engine.build_image(context, &name, tag).await?;
                return Ok(Image {
                    tag: tag.to_string(),
                    source: "dockerfile",
                    reason: None,
                });
            }
            format!(
                "base image{} not on the engine and not pulled: {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            )
        }
    };
    let binary = native.ok_or_else(|| {
        BenchError::new(
            Step::ImageBuild,
            format!("{reason}, and there is no native binary to pack instead"),
        )
    })?;
    if !crate::bench::toolchain::is_static_elf(binary) {
        return Err(BenchError::new(
            Step::ImageBuild,
            format!("{reason}; the native binary {} is not static, so it cannot run alone in a FROM scratch image", binary.display()),
        ));
    }
    let context = scratch_context(binary, port)?;
    engine.build_image(context, "Dockerfile", tag).await?;
    Ok(Image {
        tag: tag.to_string(),
        source: "generated-scratch",
        reason: Some(reason),
    })
}

/// Base images a Dockerfile pulls: every `FROM` image that is neither
/// `scratch` nor an earlier stage.
pub fn dockerfile_bases(text: &str) -> Vec<String> {
    let mut stages: Vec<String> = Vec::new();
    let mut bases = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words
            .first()
            .is_none_or(|w| !w.eq_ignore_ascii_case("FROM"))
        {
            continue;
        }
        let Some(image) = words.iter().skip(1).find(|w| !w.starts_with("--")) else {
            continue;
        };
        let lower = image.to_ascii_lowercase();
        // Checked before this stage's own name is recorded: `FROM build`
        // refers to an earlier stage, `FROM x AS x` to an image.
        if lower != "scratch" && !stages.contains(&lower) && !bases.iter().any(|b| b == image) {
            bases.push(image.to_string());
        }
        if let Some(pos) = words.iter().position(|w| w.eq_ignore_ascii_case("AS")) {
            if let Some(stage) = words.get(pos + 1) {
                stages.push(stage.to_ascii_lowercase());
            }
        }
    }
    bases
}

/// The build context: the service directory as a tar, without build
/// output and VCS data (which a .dockerignore would normally exclude).
fn context_tar(dir: &Path) -> BenchResult<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let skip = ["target", ".git", "node_modules"];
    let entries = std::fs::read_dir(dir).map_err(|e| {
        BenchError::new(
            Step::ImageBuild,
            format!("cannot read {}: {e}", dir.display()),
        )
    })?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let path = entry.path();
        let result = if path.is_dir() {
            builder.append_dir_all(&name, &path)
        } else {
            builder.append_path_with_name(&path, &name)
        };
        result.map_err(|e| {
            BenchError::new(
                Step::ImageBuild,
                format!("cannot pack {}: {e}", path.display()),
            )
        })?;
    }
    builder.into_inner().map_err(|e| {
        BenchError::new(
            Step::ImageBuild,
            format!("cannot pack the build context: {e}"),
        )
    })
}

/// A context of one static binary and a FROM scratch Dockerfile.
fn scratch_context(binary: &Path, port: Option<u16>) -> BenchResult<Vec<u8>> {
    let pack = |e: std::io::Error| {
        BenchError::new(Step::ImageBuild, format!("cannot pack the image: {e}"))
    };
    let mut dockerfile = String::from("FROM scratch\nCOPY service /service\n");
    if let Some(p) = port {
        dockerfile.push_str(&format!("ENV PORT={p}\nEXPOSE {p}\n"));
    }
    dockerfile.push_str("ENTRYPOINT [\"/service\"]\n");
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(dockerfile.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "Dockerfile", dockerfile.as_bytes())
        .map_err(pack)?;
    let bytes = std::fs::read(binary).map_err(pack)?;
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o755);
    header.set_cksum();
    builder
        .append_data(&mut header, "service", bytes.as_slice())
        .map_err(pack)?;
    builder.into_inner().map_err(pack)
}

fn stdio_body(tag: &str) -> ContainerCreateBody {
    ContainerCreateBody {
        image: Some(tag.to_string()),
        attach_stdin: Some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        open_stdin: Some(true),
        stdin_once: Some(true),
        tty: Some(false),
        ..Default::default()
    }
}

fn http_body(tag: &str, container_port: u16, host_port: u16) -> ContainerCreateBody {
    let key = format!("{container_port}/tcp");
    let bindings = HashMap::from([(
        key.clone(),
        Some(vec![PortBinding {
            host_ip: Some("127.0.0.1".to_string()),
            host_port: Some(host_port.to_string()),
        }]),
    )]);
    ContainerCreateBody {
        image: Some(tag.to_string()),
        env: Some(vec![format!("PORT={container_port}")]),
        exposed_ports: Some(vec![key]),
        host_config: Some(HostConfig {
            port_bindings: Some(bindings),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Creates, attaches, starts, feeds `input` and reads `expect` lines. The
/// clock starts before the create call: that is what a cold start costs.
pub async fn stdio_run(
    engine: &Engine,
    tag: &str,
    input: Vec<u8>,
    clock: LineClock,
    expect: u64,
    timeout: Duration,
) -> BenchResult<(Instant, LineClock)> {
    let started = Instant::now();
    let id = engine.create(stdio_body(tag)).await?;
    let result = stdio_feed(engine, &id, input, clock, expect, timeout, started).await;
    let result = match result {
        Err(mut e) if e.log_tail.is_empty() => {
            let log = engine.logs_tail(&id).await;
            e = e.with_log(&log);
            Err(e)
        }
        other => other,
    };
    engine.remove(&id).await;
    result.map(|clock| (started, clock))
}

async fn stdio_feed(
    engine: &Engine,
    id: &str,
    input: Vec<u8>,
    mut clock: LineClock,
    expect: u64,
    timeout: Duration,
    started: Instant,
) -> BenchResult<LineClock> {
    let mut attached = engine.attach(id).await?;
    engine.start(id).await?;
    let mut writer = attached.input;
    let feed = tokio::spawn(async move {
        let _ = writer.write_all(&input).await;
        let _ = writer.flush().await;
        // Keep stdin open until the reader is done: closing it ends the
        // container (stdin_once), which is not what is being measured.
        writer
    });
    let mut stderr = String::new();
    let read = async {
        while !clock.done(expect) {
            match attached.output.next().await {
                Some(Ok(LogOutput::StdOut { message }))
                | Some(Ok(LogOutput::Console { message })) => clock.observe(&message),
                Some(Ok(LogOutput::StdErr { message })) => {
                    if stderr.len() < 16 * 1024 {
                        stderr.push_str(&String::from_utf8_lossy(&message));
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            }
        }
    };
    let left = timeout.saturating_sub(started.elapsed());
    let timed_out = tokio::time::timeout(left, read).await.is_err();
    feed.abort();
    if timed_out || !clock.done(expect) {
        let what = if timed_out {
            format!(
                "the container gave {} of {expect} answers within {timeout:?}",
                clock.lines
            )
        } else {
            format!(
                "the container exited after {} of {expect} answers",
                clock.lines
            )
        };
        let mut err = BenchError::new(Step::Container, what);
        if !stderr.is_empty() {
            err = err.with_log(&stderr);
        } else {
            err = err.with_log(&engine.logs_tail(id).await);
        }
        return Err(err);
    }
    Ok(clock)
}

pub async fn stdio_cold(
    engine: &Engine,
    tag: &str,
    runs: u32,
    timeout: Duration,
) -> BenchResult<Vec<f64>> {
    let mut out = Vec::new();
    for _ in 0..runs {
        let (started, clock) = stdio_run(
            engine,
            tag,
            workload::requests(0, 1),
            LineClock::new(&[]),
            1,
            timeout,
        )
        .await?;
        clock
            .check_first(0)
            .map_err(|e| BenchError::new(Step::Container, e))?;
        let first = clock.first_line_at.unwrap_or_else(Instant::now);
        out.push(first.duration_since(started).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

pub async fn stdio_calibrate(
    engine: &Engine,
    tag: &str,
    n: u64,
    timeout: Duration,
) -> BenchResult<f64> {
    let (_, clock) = stdio_run(
        engine,
        tag,
        workload::requests(0, n),
        LineClock::new(&[1, n]),
        n,
        timeout,
    )
    .await?;
    // From the first answer, so the container's start is not counted.
    Ok(workload::rate(n - 1, clock.mark(1), clock.mark(n)).unwrap_or(1000.0))
}

pub async fn stdio_throughput(
    engine: &Engine,
    tag: &str,
    runs: u32,
    plan: (u64, u64),
    duration: Duration,
    timeout: Duration,
) -> BenchResult<Vec<f64>> {
    let (w, m) = plan;
    let input = workload::requests(0, w + m);
    let mut out = Vec::new();
    for _ in 0..runs {
        let (_, clock) = stdio_run(
            engine,
            tag,
            input.clone(),
            LineClock::windowed(w, duration),
            w + m,
            timeout,
        )
        .await?;
        clock
            .check_first(0)
            .map_err(|e| BenchError::new(Step::Container, e))?;
        out.push(clock.window_rate().ok_or_else(|| {
            BenchError::new(Step::Container, "the measured window has no length")
        })?);
    }
    Ok(out)
}

/// Create+start to the first good HTTP answer on the published port.
pub async fn http_cold(
    engine: &Engine,
    tag: &str,
    port: u16,
    path: &str,
    runs: u32,
    timeout: Duration,
) -> BenchResult<Vec<f64>> {
    let mut out = Vec::new();
    for _ in 0..runs {
        let host_port = crate::bench::native::free_port()?;
        let started = Instant::now();
        let id = engine.create(http_body(tag, port, host_port)).await?;
        let result = async {
            engine.start(&id).await?;
            let addr = SocketAddr::from(([127, 0, 0, 1], host_port));
            httpload::first_response(addr, path, started + timeout)
                .await
                .map_err(|e| {
                    BenchError::new(Step::Container, format!("the service never answered: {e}"))
                })
        }
        .await;
        let result = match result {
            Err(e) => Err(e.with_log(&engine.logs_tail(&id).await)),
            ok => ok,
        };
        engine.remove(&id).await;
        out.push(result?.duration_since(started).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
pub async fn http_throughput(
    engine: &Engine,
    tag: &str,
    port: u16,
    path: &str,
    runs: u32,
    connections: u32,
    warmup: Duration,
    duration: Duration,
    timeout: Duration,
) -> BenchResult<Vec<f64>> {
    let host_port = crate::bench::native::free_port()?;
    let id = engine.create(http_body(tag, port, host_port)).await?;
    let addr = SocketAddr::from(([127, 0, 0, 1], host_port));
    let result = async {
        engine.start(&id).await?;
        httpload::first_response(addr, path, Instant::now() + timeout)
            .await
            .map_err(|e| {
                BenchError::new(Step::Container, format!("the service never answered: {e}"))
            })?;
        let mut out = Vec::new();
        for _ in 0..runs {
            let r = httpload::load(addr, path, connections, warmup, duration)
                .await
                .map_err(|e| BenchError::new(Step::Container, format!("load run failed: {e}")))?;
            out.push(r.rate());
        }
        Ok::<_, BenchError>(out)
    }
    .await;
    let result = match result {
        Err(e) => Err(e.with_log(&engine.logs_tail(&id).await)),
        ok => ok,
    };
    engine.remove(&id).await;
    result
}

/// Idle memory of `count` live containers: the cgroup's charge (as `docker
/// stats` shows it) plus the proportional memory of the container's
/// containerd shim process, when that process is visible from here.
/// Returns (bytes per container, whether shims were found).
#[allow(clippy::too_many_arguments)]
pub async fn idle(
    engine: &Engine,
    tag: &str,
    http: Option<(u16, &str)>,
    count: u32,
    settle: Duration,
    timeout: Duration,
) -> BenchResult<(Vec<f64>, bool)> {
    let mut ids = Vec::new();
    let result = async {
        for _ in 0..count {
            match http {
                None => {
                    // stdin stays open (open_stdin) with nothing written: idle.
                    let id = engine.create(stdio_body(tag)).await?;
                    ids.push(id.clone());
                    engine.start(&id).await?;
                }
                Some((port, path)) => {
                    let host_port = crate::bench::native::free_port()?;
                    let id = engine.create(http_body(tag, port, host_port)).await?;
                    ids.push(id.clone());
                    engine.start(&id).await?;
                    let addr = SocketAddr::from(([127, 0, 0, 1], host_port));
                    httpload::first_response(addr, path, Instant::now() + timeout)
                        .await
                        .map_err(|e| {
                            BenchError::new(
                                Step::Container,
                                format!("the service never answered: {e}"),
                            )
                        })?;
                }
            }
        }
        tokio::time::sleep(settle).await;
        let mut out = Vec::new();
        let mut shims_seen = false;
        for id in &ids {
            let Some(cgroup) = engine.memory_usage(id).await else {
                continue;
            };
            let shim: u64 = sysinfo::pids_with_cmdline(&["containerd-shim", id])
                .into_iter()
                .filter_map(sysinfo::pss_bytes)
                .sum();
            shims_seen |= shim > 0;
            out.push((cgroup + shim) as f64);
        }
        Ok::<_, BenchError>((out, shims_seen))
    }
    .await;
    for id in &ids {
        engine.remove(id).await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_skip_scratch_and_stages() {
        let df = "FROM --platform=linux/amd64 rust:1.95 AS build\nRUN x\nFROM build AS again\nFROM scratch\nCOPY --from=build /a /a\nFROM alpine:3\n";
        assert_eq!(dockerfile_bases(df), vec!["rust:1.95", "alpine:3"]);
        assert!(dockerfile_bases("FROM scratch\n").is_empty());
        assert_eq!(
            dockerfile_bases("FROM golang AS build\nFROM build\n"),
            vec!["golang"]
        );
    }

    #[test]
    fn scratch_context_holds_dockerfile_and_binary() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("svc");
        std::fs::write(&bin, b"\x7fELF").unwrap();
        let tar_bytes = scratch_context(&bin, Some(8080)).unwrap();
        let mut archive = tar::Archive::new(tar_bytes.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["Dockerfile", "service"]);
    }
}
