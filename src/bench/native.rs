//! The service as a plain host process: the reference both other sides are
//! read against (the article's "native Go binary" row). Same requests, same
//! observation code, no isolation layer.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::httpload;
use crate::bench::sysinfo;
use crate::bench::workload::{self, LineClock};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Kills the process when dropped, so no run leaves one behind.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Collects a pipe's output on a thread, keeping at most 64 KiB.
fn drain<R: Read + Send + 'static>(mut r: R) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            if kept.len() < 64 * 1024 {
                kept.extend_from_slice(&buf[..n]);
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&kept).into_owned());
    });
    rx
}

/// Result of feeding a stdio service.
pub struct StdioRun {
    pub started: Instant,
    pub clock: LineClock,
}

/// Starts `binary`, writes `input` to its stdin (then closes it), and reads
/// its stdout into `clock` until it is done (`expect` lines, or its
/// throughput window closed) or the process exits. `timeout` bounds the
/// whole run; the process is killed at the end.
pub fn stdio_run(
    binary: &Path,
    input: Vec<u8>,
    clock: LineClock,
    expect: u64,
    timeout: Duration,
) -> BenchResult<StdioRun> {
    let started = Instant::now();
    let child = Command::new(binary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            BenchError::new(
                Step::Native,
                format!("cannot start {}: {e}", binary.display()),
            )
        })?;
    let mut guard = ChildGuard(child);
    let (Some(mut stdin), Some(mut stdout), Some(stderr)) = (
        guard.0.stdin.take(),
        guard.0.stdout.take(),
        guard.0.stderr.take(),
    ) else {
        return Err(BenchError::new(
            Step::Native,
            "the process has no stdio pipes",
        ));
    };
    let errors = drain(stderr);
    std::thread::spawn(move || {
        // A service that exits early closes the pipe: the reader reports it.
        let _ = stdin.write_all(&input);
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut clock = clock;
        let mut buf = vec![0u8; 64 * 1024];
        while !clock.done(expect) {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => clock.observe(&buf[..n]),
            }
        }
        let _ = tx.send(clock);
    });
    let clock = match rx.recv_timeout(timeout) {
        Ok(c) => c,
        Err(_) => {
            drop(guard);
            let log = errors
                .recv_timeout(Duration::from_secs(1))
                .unwrap_or_default();
            return Err(BenchError::new(
                Step::Native,
                format!("no complete answer within {timeout:?} (the service hangs or answers too slowly)"),
            )
            .with_log(&log));
        }
    };
    if !clock.done(expect) {
        drop(guard);
        let log = errors
            .recv_timeout(Duration::from_secs(1))
            .unwrap_or_default();
        return Err(BenchError::new(
            Step::Native,
            format!(
                "the service answered {} of {expect} requests and closed its output",
                clock.lines
            ),
        )
        .with_log(&log));
    }
    Ok(StdioRun { started, clock })
}

/// Process start to first response line, in ms, once per run.
pub fn stdio_cold(binary: &Path, runs: u32, timeout: Duration) -> BenchResult<Vec<f64>> {
    let mut out = Vec::new();
    for _ in 0..runs {
        let run = stdio_run(
            binary,
            workload::requests(0, 1),
            LineClock::new(&[]),
            1,
            timeout,
        )?;
        run.clock
            .check_first(0)
            .map_err(|e| BenchError::new(Step::Native, e))?;
        let first = run.clock.first_line_at.unwrap_or_else(Instant::now);
        out.push(first.duration_since(run.started).as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// Requests per second over the measured window of each run. `plan` gives
/// the (warm-up, measured) request counts prepared.
pub fn stdio_throughput(
    binary: &Path,
    runs: u32,
    plan: (u64, u64),
    duration: Duration,
    timeout: Duration,
) -> BenchResult<Vec<f64>> {
    let (w, m) = plan;
    let input = workload::requests(0, w + m);
    let mut out = Vec::new();
    for _ in 0..runs {
        let run = stdio_run(
            binary,
            input.clone(),
            LineClock::windowed(w, duration),
            w + m,
            timeout,
        )?;
        run.clock
            .check_first(0)
            .map_err(|e| BenchError::new(Step::Native, e))?;
        let rate = run
            .clock
            .window_rate()
            .ok_or_else(|| BenchError::new(Step::Native, "the measured window has no length"))?;
        out.push(rate);
    }
    Ok(out)
}

/// One quick run to size the throughput runs: requests per second.
pub fn stdio_calibrate(binary: &Path, n: u64, timeout: Duration) -> BenchResult<f64> {
    let run = stdio_run(
        binary,
        workload::requests(0, n),
        LineClock::new(&[n]),
        n,
        timeout,
    )?;
    Ok(workload::rate(n, Some(run.started), run.clock.mark(n)).unwrap_or(1000.0))
}

/// Proportional memory of `count` idle processes (stdin open, no input).
pub fn stdio_idle(binary: &Path, count: u32, settle: Duration) -> BenchResult<Vec<f64>> {
    let mut guards = Vec::new();
    for _ in 0..count {
        let child = Command::new(binary)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                BenchError::new(
                    Step::Native,
                    format!("cannot start {}: {e}", binary.display()),
                )
            })?;
        guards.push(ChildGuard(child));
    }
    std::thread::sleep(settle);
    Ok(guards
        .iter()
        .filter_map(|g| sysinfo::pss_bytes(g.0.id()))
        .map(|b| b as f64)
        .collect())
}

/// A free loopback port, for a native server to listen on.
pub fn free_port() -> BenchResult<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BenchError::new(Step::Native, format!("no free port: {e}")))
}

fn spawn_server(binary: &Path, port: u16) -> BenchResult<ChildGuard> {
    Command::new(binary)
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map(ChildGuard)
        .map_err(|e| {
            BenchError::new(
                Step::Native,
                format!("cannot start {}: {e}", binary.display()),
            )
        })
}

fn server_error(guard: &mut ChildGuard, what: String) -> BenchError {
    let _ = guard.0.kill();
    let log = guard
        .0
        .stderr
        .take()
        .map(|e| {
            drain(e)
                .recv_timeout(Duration::from_secs(1))
                .unwrap_or_default()
        })
        .unwrap_or_default();
    BenchError::new(Step::Native, what).with_log(&log)
}

/// Process start to first good HTTP answer, in ms. The server is told its
/// port through `PORT`.
pub async fn http_cold(
    binary: &Path,
    path: &str,
    runs: u32,
    timeout: Duration,
) -> BenchResult<Vec<f64>> {
    let mut out = Vec::new();
    for _ in 0..runs {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        let mut guard = spawn_server(binary, port)?;
        match httpload::first_response(addr, path, started + timeout).await {
            Ok(at) => out.push(at.duration_since(started).as_secs_f64() * 1000.0),
            Err(e) => {
                return Err(server_error(
                    &mut guard,
                    format!("the server never answered: {e}"),
                ))
            }
        }
    }
    Ok(out)
}

/// Requests per second from wasmfit's load generator, once per run.
pub async fn http_throughput(
    binary: &Path,
    path: &str,
    runs: u32,
    connections: u32,
    warmup: Duration,
    duration: Duration,
    timeout: Duration,
) -> BenchResult<Vec<f64>> {
    let port = free_port()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut guard = spawn_server(binary, port)?;
    if let Err(e) = httpload::first_response(addr, path, Instant::now() + timeout).await {
        return Err(server_error(
            &mut guard,
            format!("the server never answered: {e}"),
        ));
    }
    let mut out = Vec::new();
    for _ in 0..runs {
        let r = httpload::load(addr, path, connections, warmup, duration)
            .await
            .map_err(|e| BenchError::new(Step::Native, format!("load run failed: {e}")))?;
        out.push(r.rate());
    }
    Ok(out)
}

/// Proportional memory of `count` idle servers, each having answered once.
pub async fn http_idle(
    binary: &Path,
    path: &str,
    count: u32,
    settle: Duration,
    timeout: Duration,
) -> BenchResult<Vec<f64>> {
    let mut guards = Vec::new();
    for _ in 0..count {
        let port = free_port()?;
        let mut guard = spawn_server(binary, port)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        if let Err(e) = httpload::first_response(addr, path, Instant::now() + timeout).await {
            return Err(server_error(
                &mut guard,
                format!("the server never answered: {e}"),
            ));
        }
        guards.push(guard);
    }
    tokio::time::sleep(settle).await;
    Ok(guards
        .iter()
        .filter_map(|g| sysinfo::pss_bytes(g.0.id()))
        .map(|b| b as f64)
        .collect())
}
