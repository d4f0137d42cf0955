//! The container side: the service's image on the local Docker engine,
//! started as `docker run` would start it, through bollard. stdio
//! containers get no network (`network_mode: none`, as `docker run
//! --network none`): they use none, and the default bridge costs a large
//! share of a start. HTTP containers publish their port on 127.0.0.1.
//! Every container is removed after its run; the engine removes the rest
//! by the run's label.

use crate::bench::docker::Engine;
use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::httpload::{self, Conn};
use crate::bench::local::{Env, SETTLE};
use crate::bench::side::{self, Fill, Side, Window};
use crate::bench::sysinfo;
use crate::bench::workload::{LineClock, Requests};
use crate::model::bench::{Density, SideResults, Workload};
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use futures_util::{Stream, StreamExt};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
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
            for base in crate::bench::detect::dockerfile_bases(&text) {
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
    let mut add = |name: &str, bytes: &[u8], mode: u32| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        builder.append_data(&mut header, name, bytes).map_err(pack)
    };
    add("Dockerfile", dockerfile.as_bytes(), 0o644)?;
    add("service", &std::fs::read(binary).map_err(pack)?, 0o755)?;
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
        host_config: Some(HostConfig {
            network_mode: Some("none".to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An HTTP container publishing `container_port` on loopback `host_port`,
/// confined to `cpus` (Docker's cpuset) when some are given.
fn http_body(
    tag: &str,
    container_port: u16,
    host_port: u16,
    cpus: &[usize],
) -> ContainerCreateBody {
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
            cpuset_cpus: (!cpus.is_empty()).then(|| crate::bench::cpus::list(cpus)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

type Output = Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

/// A stdio container: created, attached and started.
struct Attached {
    id: String,
    input: Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
    output: Output,
    /// Output read past the last answer line.
    pending: Vec<u8>,
}

/// A started HTTP container and its published address.
struct Served {
    id: String,
    addr: SocketAddr,
    conn: Option<Conn>,
}

pub struct ContainerSide {
    env: Env,
    engine: Engine,
    tag: String,
    port: u16,
    describe: SideResults,
    warm: Option<Attached>,
    server: Option<Served>,
}

fn cerr(what: impl Into<String>) -> BenchError {
    BenchError::new(Step::Container, what)
}

impl ContainerSide {
    pub fn new(
        env: Env,
        engine: Engine,
        tag: String,
        port: u16,
        describe: SideResults,
    ) -> ContainerSide {
        ContainerSide {
            env,
            engine,
            tag,
            port,
            describe,
            warm: None,
            server: None,
        }
    }

    fn http(&self) -> bool {
        self.env.requests.workload == Workload::Http
    }

    /// What a measuring future needs of the side, owned so that it can
    /// move in: the engine, the image tag, the service's port, the
    /// requests and the time limit.
    fn owned(&self) -> (Engine, String, u16, Arc<Requests>, Duration) {
        let env = &self.env;
        let (engine, tag) = (self.engine.clone(), self.tag.clone());
        (engine, tag, self.port, env.requests.clone(), env.timeout)
    }

    fn block<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.env.handle.block_on(f)
    }

    async fn attach_start(engine: &Engine, tag: &str) -> BenchResult<Attached> {
        let id = engine.create(stdio_body(tag)).await?;
        let attached = engine.attach(&id).await?;
        engine.start(&id).await?;
        Ok(Attached {
            id,
            input: attached.input,
            output: attached.output,
            pending: Vec::new(),
        })
    }

    /// Reads the container's output into `clock` until `expect` lines or
    /// the window closed; stderr is kept for the error message.
    async fn read_into(
        output: &mut Output,
        clock: &mut LineClock,
        expect: u64,
        stderr: &mut String,
    ) {
        while !clock.done(expect) {
            match output.next().await {
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
        // As for a process (`process::read_tail`): what comes after the
        // last expected answer tells a flood from a service that answers.
        if clock.lines >= expect {
            let _ = tokio::time::timeout(crate::bench::process::TAIL, async {
                while !clock.flooded(expect) {
                    match output.next().await {
                        Some(Ok(LogOutput::StdOut { message }))
                        | Some(Ok(LogOutput::Console { message })) => clock.observe_tail(&message),
                        Some(Ok(_)) => {}
                        Some(Err(_)) | None => break,
                    }
                }
            })
            .await;
        }
    }

    /// A fresh container fed `input`: (clock start before create, clock).
    async fn stdio_run(
        engine: &Engine,
        tag: &str,
        input: Vec<u8>,
        mut clock: LineClock,
        expect: u64,
        timeout: Duration,
    ) -> BenchResult<(Instant, LineClock)> {
        let started = Instant::now();
        let mut a = Self::attach_start(engine, tag).await;
        let result = match a.as_mut() {
            Err(_) => None,
            Ok(a) => {
                let mut writer = std::mem::replace(&mut a.input, Box::pin(tokio::io::sink()));
                let feed = tokio::spawn(async move {
                    let _ = writer.write_all(&input).await;
                    let _ = writer.flush().await;
                    // Keep stdin open until the reader is done: closing it
                    // ends the container (stdin_once).
                    writer
                });
                let mut stderr = String::new();
                let left = timeout.saturating_sub(started.elapsed());
                let timed_out = tokio::time::timeout(
                    left,
                    Self::read_into(&mut a.output, &mut clock, expect, &mut stderr),
                )
                .await
                .is_err();
                feed.abort();
                Some((timed_out, stderr))
            }
        };
        let id = a.as_ref().map(|a| a.id.clone()).ok();
        let out = match (a, result) {
            (Err(e), _) => Err(e),
            (Ok(_), Some((timed_out, stderr))) if timed_out || !clock.done(expect) => {
                let what = if timed_out {
                    format!(
                        "the container gave {} of {expect} answer line(s) within {timeout:?} (does the service answer each request line with one line? see --request, --expect)",
                        clock.lines
                    )
                } else {
                    format!(
                        "the container exited after {} of {expect} answer line(s)",
                        clock.lines
                    )
                };
                let log = match (stderr.is_empty(), id.as_deref()) {
                    (false, _) => stderr,
                    (true, Some(id)) => engine.logs_tail(id).await,
                    _ => String::new(),
                };
                Err(cerr(what).with_log(&log))
            }
            _ => Ok((started, clock)),
        };
        if let Some(id) = id {
            engine.remove(&id).await;
        }
        out
    }

    fn serve(&mut self) -> BenchResult<(SocketAddr, &mut Served)> {
        if self.server.is_none() {
            let host_port = crate::bench::process::free_port(Step::Container)?;
            let addr = SocketAddr::from(([127, 0, 0, 1], host_port));
            let (engine, tag, port, r, timeout) = self.owned();
            let cpus = self
                .env
                .split
                .as_ref()
                .map_or(Vec::new(), |s| s.server.clone());
            let served = self.block(async move {
                let id = engine
                    .create(http_body(&tag, port, host_port, &cpus))
                    .await?;
                let ready = async {
                    engine.start(&id).await?;
                    httpload::first_response(addr, &r, Instant::now() + timeout)
                        .await
                        .map_err(|e| cerr(format!("the service never answered: {e}")))?;
                    Conn::connect(addr)
                        .await
                        .map_err(|e| cerr(format!("cannot connect to the container: {e}")))
                }
                .await;
                match ready {
                    Ok(conn) => Ok(Served {
                        id,
                        addr,
                        conn: Some(conn),
                    }),
                    Err(e) => {
                        let e = e.with_log(&engine.logs_tail(&id).await);
                        engine.remove(&id).await;
                        Err(e)
                    }
                }
            })?;
            self.server = Some(served);
        }
        match self.server.as_mut() {
            Some(s) => Ok((s.addr, s)),
            None => Err(cerr("the container is gone")),
        }
    }

    /// Total PSS of the container's process and its containerd shim (and,
    /// for HTTP, the docker-proxy of its port).
    fn container_pss(
        engine: &Engine,
        id: &str,
        host_port: Option<u16>,
        handle: &tokio::runtime::Handle,
    ) -> Option<u64> {
        let pid = handle.block_on(engine.main_pid(id))?;
        let mut sum = sysinfo::pss_bytes(pid)?;
        sum += sysinfo::pids_with_cmdline(&["containerd-shim", id])
            .into_iter()
            .filter_map(sysinfo::pss_bytes)
            .sum::<u64>();
        if let Some(p) = host_port {
            sum += sysinfo::pids_with_cmdline(&["docker-proxy", &format!("-host-port {p}")])
                .into_iter()
                .filter_map(sysinfo::pss_bytes)
                .sum::<u64>();
        }
        Some(sum)
    }
}

impl Side for ContainerSide {
    fn id(&self) -> &'static str {
        "container"
    }

    fn step(&self) -> Step {
        Step::Container
    }

    fn cold(&mut self) -> BenchResult<f64> {
        let (engine, tag, _, r, timeout) = self.owned();
        if self.http() {
            let port = self.port;
            return self.block(async move {
                let host_port = crate::bench::process::free_port(Step::Container)?;
                let addr = SocketAddr::from(([127, 0, 0, 1], host_port));
                let started = Instant::now();
                let id = engine.create(http_body(&tag, port, host_port, &[])).await?;
                let result = async {
                    engine.start(&id).await?;
                    httpload::first_response(addr, &r, started + timeout)
                        .await
                        .map_err(|e| cerr(format!("the service never answered: {e}")))
                }
                .await;
                let result = match result {
                    Err(e) => Err(e.with_log(&engine.logs_tail(&id).await)),
                    ok => ok,
                };
                engine.remove(&id).await;
                Ok(result?.duration_since(started).as_secs_f64() * 1000.0)
            });
        }
        self.block(async move {
            let (started, clock) = Self::stdio_run(
                &engine,
                &tag,
                r.stream(0, 1),
                LineClock::new(&[]),
                1,
                timeout,
            )
            .await?;
            r.check(0, None, clock.first_line()).map_err(cerr)?;
            let first = clock.first_line_at.unwrap_or_else(Instant::now);
            Ok(first.duration_since(started).as_secs_f64() * 1000.0)
        })
    }

    fn request(&mut self, i: u64) -> BenchResult<f64> {
        let r = self.env.requests.clone();
        let timeout = self.env.timeout;
        if self.http() {
            let handle = self.env.handle.clone();
            let (_, served) = self.serve()?;
            let Some(conn) = served.conn.as_mut() else {
                return Err(cerr("no connection to the container"));
            };
            return handle
                .block_on(httpload::round_trip(conn, &r, i))
                .map_err(|e| cerr(format!("one request to the warm container: {e}")));
        }
        if self.warm.is_none() {
            let (engine, tag) = (self.engine.clone(), self.tag.clone());
            self.warm = Some(self.block(async move { Self::attach_start(&engine, &tag).await })?);
        }
        let handle = self.env.handle.clone();
        let Some(a) = self.warm.as_mut() else {
            return Err(cerr("the warm container is gone"));
        };
        handle.block_on(async {
            let line = r.line(i);
            let sent = Instant::now();
            a.input
                .write_all(&line)
                .await
                .and(a.input.flush().await)
                .map_err(|e| cerr(format!("the container closed its input: {e}")))?;
            let read = async {
                loop {
                    if let Some(end) = a.pending.iter().position(|&b| b == b'\n') {
                        let at = Instant::now();
                        let answer: Vec<u8> = a.pending.drain(..=end).collect();
                        return Ok((at, answer));
                    }
                    match a.output.next().await {
                        Some(Ok(LogOutput::StdOut { message }))
                        | Some(Ok(LogOutput::Console { message })) => {
                            a.pending.extend_from_slice(&message)
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(cerr(format!("the attach stream failed: {e}"))),
                        None => return Err(cerr("the container closed its output")),
                    }
                }
            };
            let (at, answer) = tokio::time::timeout(timeout, read).await.map_err(|_| {
                cerr(format!(
                    "no answer line within {timeout:?} to a single request line"
                ))
            })??;
            r.check(i, None, answer.strip_suffix(b"\n").unwrap_or(&answer))
                .map_err(cerr)?;
            Ok(at.duration_since(sent).as_secs_f64() * 1000.0)
        })
    }

    fn calibrate(&mut self) -> BenchResult<f64> {
        if self.http() {
            return Ok(0.0);
        }
        let (engine, tag, _, r, timeout) = self.owned();
        let n = 5_000;
        self.block(async move {
            let (_, clock) = Self::stdio_run(
                &engine,
                &tag,
                r.stream(0, n),
                LineClock::new(&[1, n]),
                n,
                timeout,
            )
            .await?;
            clock.check(&r).map_err(cerr)?;
            Ok(crate::bench::workload::rate(n - 1, clock.mark(1), clock.mark(n)).unwrap_or(1000.0))
        })
    }

    fn throughput(&mut self, plan: (u64, u64)) -> BenchResult<Window> {
        let env = self.env.clone();
        if self.http() {
            let (addr, _) = self.serve()?;
            return env.load_window(addr, Step::Container);
        }
        let (w, m) = plan;
        let (engine, tag) = (self.engine.clone(), self.tag.clone());
        let timeout = env.timeout.max(env.duration * 4);
        self.block(async move {
            let (_, clock) = Self::stdio_run(
                &engine,
                &tag,
                env.requests.stream(0, w + m),
                LineClock::windowed(w, env.duration),
                w + m,
                timeout,
            )
            .await?;
            clock.check(&env.requests).map_err(cerr)?;
            let rate = clock.window_rate_of(w + m).map_err(cerr)?;
            Ok(Window {
                rate,
                ..Window::default()
            })
        })
    }

    fn idle(&mut self, fill: Fill) -> BenchResult<Density> {
        self.finish();
        let http = self.http();
        let (engine, tag, port, r, timeout) = self.owned();
        let handle = self.env.handle.clone();
        let started: std::cell::RefCell<Vec<(String, Option<u16>)>> = Default::default();
        let engine_base = sysinfo::engine_pss();
        let outcome = side::fill_to_budget(
            fill,
            |k| {
                for _ in 0..k {
                    let one = handle.block_on(async {
                        if http {
                            let host_port = crate::bench::process::free_port(Step::Container)
                                .map_err(|e| e.message)?;
                            let id = engine
                                .create(http_body(&tag, port, host_port, &[]))
                                .await
                                .map_err(|e| e.message)?;
                            started.borrow_mut().push((id.clone(), Some(host_port)));
                            engine.start(&id).await.map_err(|e| e.message)?;
                            let addr = SocketAddr::from(([127, 0, 0, 1], host_port));
                            httpload::first_response(addr, &r, Instant::now() + timeout)
                                .await
                                .map_err(|e| format!("container never answered: {e}"))?;
                        } else {
                            // stdin stays open with nothing written: idle.
                            let mut body = stdio_body(&tag);
                            body.attach_stdin = Some(false);
                            body.attach_stdout = Some(false);
                            body.attach_stderr = Some(false);
                            body.stdin_once = Some(false);
                            let id = engine.create(body).await.map_err(|e| e.message)?;
                            started.borrow_mut().push((id.clone(), None));
                            engine.start(&id).await.map_err(|e| e.message)?;
                        }
                        Ok::<(), String>(())
                    });
                    one?;
                }
                std::thread::sleep(SETTLE);
                Ok(())
            },
            || {
                let mut sum = 0u64;
                for (id, port) in started.borrow().iter() {
                    sum += Self::container_pss(&engine, id, *port, &handle)?;
                }
                let engine_now = sysinfo::engine_pss();
                Some(sum + engine_now.saturating_sub(engine_base))
            },
        );
        let ids: Vec<String> = started.borrow().iter().map(|(id, _)| id.clone()).collect();
        self.block(async {
            for id in &ids {
                engine.remove(id).await;
            }
        });
        Ok(side::density(
            fill,
            outcome,
            0,
            if http {
                "total PSS of each container's process, its containerd shim and its docker-proxy, plus the growth of dockerd and containerd; each container answered one request"
            } else {
                "total PSS of each container's process and its containerd shim, plus the growth of dockerd and containerd; each container waits on an open, empty stdin (no network)"
            },
            None,
        ))
    }

    fn describe(&self, into: &mut SideResults) {
        *into = self.describe.clone();
    }

    fn finish(&mut self) {
        let warm = self.warm.take().map(|a| a.id);
        let served = self.server.take().map(|s| s.id);
        let engine = self.engine.clone();
        self.block(async move {
            for id in warm.into_iter().chain(served) {
                engine.remove(&id).await;
            }
        });
    }
}

impl Drop for ContainerSide {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn stdio_containers_have_no_network() {
        let b = stdio_body("x");
        assert_eq!(b.host_config.unwrap().network_mode.as_deref(), Some("none"));
    }

    #[test]
    fn http_containers_get_the_servers_cpus_only_when_split() {
        let pinned = http_body("x", 8080, 18080, &[0, 2]);
        assert_eq!(
            pinned.host_config.unwrap().cpuset_cpus.as_deref(),
            Some("0,2")
        );
        let free = http_body("x", 8080, 18080, &[]);
        assert_eq!(free.host_config.unwrap().cpuset_cpus, None);
    }
}
