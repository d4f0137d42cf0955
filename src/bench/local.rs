//! The sides that run as local processes: the native binary, and the Wasm
//! host process (`wasmfit __bench-helper wasm`) that loads the `.cwasm`
//! with the pooling allocator. One implementation for both, so their
//! figures cross the same boundaries: a fresh process per cold start,
//! stdin from a file and stdout through a pipe, or a server in its own
//! process answering over loopback TCP to a load generator in another.

use crate::bench::cpus::CpuSplit;
use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::httpload::{self, Conn};
use crate::bench::load::{self, LoadSpec};
use crate::bench::process::{self, Program, WarmStdio};
use crate::bench::reap::ChildGuard;
use crate::bench::side::{self, Fill, Side, Window};
use crate::bench::sysinfo;
use crate::bench::workload::{self, LineClock, Requests};
use crate::model::bench::{Density, SideResults, Workload};
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Requests in the run that sizes the throughput windows.
const CALIBRATION_REQUESTS: u64 = 5_000;
/// How long idle instances are left before their memory is read: long
/// enough for a runtime (Go's) to finish starting up.
pub const SETTLE: Duration = Duration::from_millis(300);

/// How the side is held idle for the density fill.
pub enum Idle {
    /// One process per instance (the native binary).
    Processes,
    /// One host process holding every instance (`park` mode of the helper).
    Host(Program),
}

/// Everything shared by the sides of one run.
#[derive(Clone)]
pub struct Env {
    pub requests: Arc<Requests>,
    pub timeout: Duration,
    pub handle: tokio::runtime::Handle,
    /// wasmfit itself: runs the load generator and the Wasm host.
    pub helper: PathBuf,
    pub connections: u32,
    pub warmup: Duration,
    pub duration: Duration,
    pub threads: usize,
    /// HTTP: the CPUs of the server and of the load generator.
    pub split: Option<CpuSplit>,
    pub scratch: PathBuf,
}

impl Env {
    /// The throughput of the HTTP server at `addr`, from the run's load
    /// generator (a process of its own) with the run's settings.
    pub fn load_window(&self, addr: SocketAddr, step: Step) -> BenchResult<Window> {
        let spec = LoadSpec {
            addr,
            requests: (*self.requests).clone(),
            connections: self.connections,
            warmup_ms: self.warmup.as_millis() as u64,
            duration_ms: self.duration.as_millis() as u64,
            threads: self.threads,
            // Half the step's timeout: the child reports before the parent
            // gives up on it.
            grace_ms: self.timeout.as_millis() as u64 / 2,
        };
        let cpus = self.split.as_ref().map_or(&[][..], |s| &s.load[..]);
        let report = load::run_process(&self.helper, &spec, step, self.timeout, cpus)?;
        Ok(Window {
            rate: report.rate(),
            errors: report.errors,
            latency_us: report.latency_us,
        })
    }
}

pub struct LocalSide {
    pub id: &'static str,
    pub step: Step,
    pub env: Env,
    /// The service as a fresh process (stdio) or server (http).
    pub program: Program,
    /// The warm process the per-request figure talks to.
    pub request_program: Program,
    pub idle: Idle,
    pub describe: SideResults,
    server: Option<(ChildGuard, SocketAddr, Conn)>,
    warm: Option<WarmStdio>,
    inputs: Vec<((u64, u64), PathBuf)>,
}

impl LocalSide {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: &'static str,
        step: Step,
        env: Env,
        program: Program,
        request_program: Program,
        idle: Idle,
        describe: SideResults,
    ) -> LocalSide {
        LocalSide {
            id,
            step,
            env,
            program,
            request_program,
            idle,
            describe,
            server: None,
            warm: None,
            inputs: Vec::new(),
        }
    }

    fn http(&self) -> bool {
        self.env.requests.workload == Workload::Http
    }

    fn err(&self, what: impl Into<String>) -> BenchError {
        BenchError::new(self.step, what)
    }

    /// A file holding requests `start..start + n`, written once per run.
    fn input(&mut self, start: u64, n: u64) -> BenchResult<PathBuf> {
        if let Some((_, p)) = self.inputs.iter().find(|(k, _)| *k == (start, n)) {
            return Ok(p.clone());
        }
        let path = self.env.scratch.join(format!("{}-{start}-{n}.in", self.id));
        std::fs::write(&path, self.env.requests.stream(start, n))
            .map_err(|e| self.err(format!("cannot write {}: {e}", path.display())))?;
        self.inputs.push(((start, n), path.clone()));
        Ok(path)
    }

    fn check_first(&self, clock: &LineClock) -> BenchResult<()> {
        self.env
            .requests
            .check(0, None, clock.first_line())
            .map_err(|e| self.err(e))
    }

    /// The server kept running between per-request and throughput samples.
    fn server(&mut self) -> BenchResult<(SocketAddr, &mut Conn)> {
        if self.server.is_none() {
            let port = process::free_port(self.step)?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let cpus = self.env.split.as_ref().map_or(&[][..], |s| &s.server[..]);
            let mut guard = process::spawn_server(&self.request_program, port, cpus)?;
            let deadline = Instant::now() + self.env.timeout;
            let r = self.env.requests.clone();
            let ready = self
                .env
                .handle
                .block_on(httpload::first_response(addr, &r, deadline));
            if let Err(e) = ready {
                return Err(self
                    .err(format!("the server never answered: {e}"))
                    .with_log(&process::server_log(&mut guard)));
            }
            let conn = self
                .env
                .handle
                .block_on(Conn::connect(addr))
                .map_err(|e| self.err(format!("cannot connect to the server: {e}")))?;
            self.server = Some((guard, addr, conn));
        }
        let step = self.step;
        let Some((_, addr, conn)) = self.server.as_mut() else {
            return Err(BenchError::new(step, "the server is gone"));
        };
        Ok((*addr, conn))
    }
}

impl Side for LocalSide {
    fn id(&self) -> &'static str {
        self.id
    }

    fn step(&self) -> Step {
        self.step
    }

    fn cold(&mut self) -> BenchResult<f64> {
        if self.http() {
            let port = process::free_port(self.step)?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let started = Instant::now();
            let mut guard = process::spawn_server(&self.program, port, &[])?;
            let r = self.env.requests.clone();
            match self.env.handle.block_on(httpload::first_response(
                addr,
                &r,
                started + self.env.timeout,
            )) {
                Ok(at) => Ok(at.duration_since(started).as_secs_f64() * 1000.0),
                Err(e) => Err(self
                    .err(format!("the server never answered: {e}"))
                    .with_log(&process::server_log(&mut guard))),
            }
        } else {
            let input = self.input(0, 1)?;
            let (started, clock) = process::stdio_run(
                &self.program,
                &input,
                LineClock::new(&[]),
                1,
                self.env.timeout,
            )?;
            self.check_first(&clock)?;
            let first = clock.first_line_at.unwrap_or_else(Instant::now);
            Ok(first.duration_since(started).as_secs_f64() * 1000.0)
        }
    }

    fn request(&mut self, i: u64) -> BenchResult<f64> {
        if self.http() {
            let r = self.env.requests.clone();
            let handle = self.env.handle.clone();
            let step = self.step;
            let (_, conn) = self.server()?;
            handle
                .block_on(httpload::round_trip(conn, &r, i))
                .map_err(|e| BenchError::new(step, format!("one request to the warm server: {e}")))
        } else {
            if self.warm.is_none() {
                self.warm = Some(WarmStdio::start(&self.request_program)?);
            }
            let r = self.env.requests.clone();
            let timeout = self.env.timeout;
            match self.warm.as_mut() {
                Some(w) => w.round_trip(&r, i, timeout),
                None => Err(self.err("the warm process is gone")),
            }
        }
    }

    fn calibrate(&mut self) -> BenchResult<f64> {
        if self.http() {
            return Ok(0.0);
        }
        let n = CALIBRATION_REQUESTS;
        let input = self.input(0, n)?;
        let (_, clock) = process::stdio_run(
            &self.program,
            &input,
            LineClock::new(&[1, n]),
            n,
            self.env.timeout,
        )?;
        self.check_first(&clock)?;
        // A flood overshoots the count by a pipe buffer's worth of lines.
        if clock.flooded(n) {
            return Err(self.err(workload::FLOODED));
        }
        // From the first answer, so the start is not counted.
        Ok(workload::rate(n - 1, clock.mark(1), clock.mark(n)).unwrap_or(1000.0))
    }

    fn throughput(&mut self, plan: (u64, u64)) -> BenchResult<Window> {
        if self.http() {
            let (addr, _) = self.server()?;
            return self.env.load_window(addr, self.step);
        }
        let (w, m) = plan;
        let input = self.input(0, w + m)?;
        let (_, clock) = process::stdio_run(
            &self.program,
            &input,
            LineClock::windowed(w, self.env.duration),
            w + m,
            self.env.timeout.max(self.env.duration * 4),
        )?;
        clock.check(&self.env.requests).map_err(|e| self.err(e))?;
        let rate = clock.window_rate_of(w + m).map_err(|e| self.err(e))?;
        Ok(Window {
            rate,
            ..Window::default()
        })
    }

    fn idle(&mut self, fill: Fill) -> BenchResult<Density> {
        // Servers kept for the other figures would count: stop them first.
        self.finish();
        match &self.idle {
            Idle::Processes => self.idle_processes(fill),
            Idle::Host(p) => {
                let p = p.clone();
                self.idle_host(&p, fill)
            }
        }
    }

    fn describe(&self, into: &mut SideResults) {
        *into = self.describe.clone();
    }

    fn finish(&mut self) {
        self.server = None;
        self.warm = None;
    }
}

impl LocalSide {
    fn idle_processes(&mut self, fill: Fill) -> BenchResult<Density> {
        let http = self.http();
        let program = self.request_program.clone();
        let env = self.env.clone();
        let guards: std::cell::RefCell<Vec<ChildGuard>> = Default::default();
        let step = self.step;
        let outcome = side::fill_to_budget(
            fill,
            |k| {
                for _ in 0..k {
                    if http {
                        let port = process::free_port(step).map_err(|e| e.message)?;
                        let addr = SocketAddr::from(([127, 0, 0, 1], port));
                        let guard =
                            process::spawn_server(&program, port, &[]).map_err(|e| e.message)?;
                        env.handle
                            .block_on(httpload::first_response(
                                addr,
                                &env.requests,
                                Instant::now() + env.timeout,
                            ))
                            .map_err(|e| {
                                format!("server {} never answered: {e}", guards.borrow().len())
                            })?;
                        guards.borrow_mut().push(guard);
                    } else {
                        let mut cmd = std::process::Command::new(&program.exe);
                        cmd.args(&program.args)
                            .stdin(Stdio::piped())
                            .stdout(Stdio::null())
                            .stderr(Stdio::null());
                        let child = cmd.spawn().map_err(|e| e.to_string())?;
                        guards.borrow_mut().push(ChildGuard::new(child));
                    }
                }
                std::thread::sleep(SETTLE);
                Ok(())
            },
            || {
                let mut sum = 0;
                for g in guards.borrow().iter() {
                    sum += sysinfo::pss_bytes(g.id())?;
                }
                Some(sum)
            },
        );
        drop(guards);
        Ok(side::density(
            fill,
            outcome,
            0,
            if http {
                "total PSS of every server process, each having answered one request"
            } else {
                "total PSS of every process, each waiting on an open, empty stdin"
            },
            None,
        ))
    }

    fn idle_host(&mut self, p: &Program, fill: Fill) -> BenchResult<Density> {
        let mut cmd = std::process::Command::new(&p.exe);
        cmd.args(&p.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut guard = ChildGuard::new(
            cmd.spawn()
                .map_err(|e| self.err(format!("cannot start the Wasm host: {e}")))?,
        );
        let (Some(mut stdin), Some(stdout)) = (guard.0.stdin.take(), guard.0.stdout.take()) else {
            return Err(self.err("the Wasm host has no stdio pipes"));
        };
        let mut lines = std::io::BufReader::new(stdout);
        let reply =
            |lines: &mut std::io::BufReader<std::process::ChildStdout>| -> Result<String, String> {
                let mut l = String::new();
                match lines.read_line(&mut l) {
                    Ok(0) | Err(_) => Err("the Wasm host exited".to_string()),
                    Ok(_) => Ok(l.trim().to_string()),
                }
            };
        let first = reply(&mut lines)
            .map_err(|e| self.err(e).with_log(&process::server_log(&mut guard)))?;
        if !first.starts_with("ok") {
            return Err(self.err(format!("the Wasm host did not start: {first}")));
        }
        let pid = guard.id();
        let base = sysinfo::pss_bytes(pid).unwrap_or(0);
        let outcome = side::fill_to_budget(
            fill,
            |k| {
                writeln!(stdin, "add {k}")
                    .and_then(|_| stdin.flush())
                    .map_err(|e| e.to_string())?;
                let r = reply(&mut lines)?;
                if r.starts_with("ok") {
                    Ok(())
                } else {
                    Err(r)
                }
            },
            || sysinfo::pss_bytes(pid),
        );
        drop(guard);
        let limits = self
            .describe
            .density
            .as_ref()
            .and_then(|d| d.limits.clone());
        Ok(side::density(
            fill,
            outcome,
            base,
            if self.http() {
                "total PSS of the Wasm host process (engine, code, pool) holding N live instances; over HTTP an instance exists per request (a wasi:http component, or a WAGI module whose request body has not arrived), so this is the memory of N requests in flight"
            } else {
                "total PSS of the Wasm host process (engine, code, pool) holding N live instances, each waiting on an empty stdin"
            },
            limits,
        ))
    }
}

/// A path for the side's scratch files.
pub fn scratch_dir(base: &Path) -> BenchResult<PathBuf> {
    std::fs::create_dir_all(base).map_err(|e| {
        BenchError::new(
            Step::Input,
            format!("cannot create {}: {e}", base.display()),
        )
    })?;
    Ok(base.to_path_buf())
}
