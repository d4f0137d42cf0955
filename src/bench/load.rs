//! The HTTP load generator, run as a process of its own (`wasmfit
//! __bench-helper load`) so it never shares the server's threads inside
//! wasmfit: several keep-alive connections send the workload's request as
//! fast as answers come, for a warm-up and then a measured window. It
//! reports the real elapsed window, latency percentiles (hdrhistogram) and
//! every error; nothing is dropped.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::httpload::Conn;
use crate::bench::workload::Requests;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

/// What the parent asks for (written as JSON to a file the child reads).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoadSpec {
    pub addr: SocketAddr,
    pub requests: Requests,
    pub connections: u32,
    pub warmup_ms: u64,
    pub duration_ms: u64,
    /// Worker threads of the generator's runtime.
    pub threads: usize,
    /// How long past the window an answer already in flight is awaited when
    /// no answer at all has been counted yet (a server slower than the
    /// window, e.g. on a loaded machine). 0: never.
    #[serde(default)]
    pub grace_ms: u64,
}

/// What one load run measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LoadReport {
    /// Good answers completed inside the measured window.
    pub measured: u64,
    /// Answers that failed the check, plus requests that failed outright.
    pub errors: u64,
    pub first_error: Option<String>,
    /// From the end of the warm-up to the last counted answer, in seconds.
    pub window_secs: f64,
    /// Latency histogram of the measured answers: (microseconds, count).
    pub latency_us: Vec<(u64, u64)>,
}

impl LoadReport {
    pub fn rate(&self) -> f64 {
        self.measured as f64 / self.window_secs.max(1e-9)
    }
}

/// The child's side: runs the load and prints the report as JSON.
pub fn child_main(spec_file: &Path) -> Result<(), String> {
    let text =
        std::fs::read_to_string(spec_file).map_err(|e| format!("{}: {e}", spec_file.display()))?;
    let spec: LoadSpec =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", spec_file.display()))?;
    if !spec.addr.ip().is_loopback() {
        return Err(format!("{} is not a loopback address", spec.addr));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(spec.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let report = runtime.block_on(run(&spec))?;
    println!(
        "{}",
        serde_json::to_string(&report).map_err(|e| e.to_string())?
    );
    Ok(())
}

async fn run(spec: &LoadSpec) -> Result<LoadReport, String> {
    let start = Instant::now();
    let window_start = start + Duration::from_millis(spec.warmup_ms);
    let end = window_start + Duration::from_millis(spec.duration_ms);
    let grace = end + Duration::from_millis(spec.grace_ms);
    let n = spec.connections.max(1);
    // Good answers counted so far, across connections.
    let counted = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for c in 0..n {
        let requests = spec.requests.clone();
        let addr = spec.addr;
        let counted = counted.clone();
        tasks.push(tokio::spawn(async move {
            let mut hist = hdrhistogram::Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
            let (mut measured, mut errors, mut last) = (0u64, 0u64, None::<Instant>);
            let mut first_error = None;
            let mut conn = match Conn::connect(addr).await {
                Ok(c) => Some(c),
                Err(e) => {
                    errors += 1;
                    first_error = Some(format!("connect: {e}"));
                    None
                }
            };
            // Request numbers interleave across connections so every
            // generated request is distinct.
            let mut i = u64::from(c);
            // One timer for the window's end, shared by every request of
            // this connection, rather than one registered per request.
            let window_end = tokio::time::sleep_until(end.into());
            tokio::pin!(window_end);
            while Instant::now() < end {
                let Some(cn) = conn.as_mut() else { break };
                let sent = Instant::now();
                // The pending send borrows the connection: it lives in this
                // block only, so a failed connection can be replaced below.
                let answer = {
                    let send = cn.send(&requests, i);
                    tokio::pin!(send);
                    tokio::select! {
                        answer = &mut send => answer,
                        _ = &mut window_end => {
                            // An answer still pending when the window closes is
                            // in flight, not an error, and not counted; unless
                            // nothing was counted yet: then the window stretches
                            // to this answer (the rate divides by the real
                            // elapsed window, so it stays honest) rather than
                            // report a slow server as a dead one.
                            if counted.load(std::sync::atomic::Ordering::Relaxed) > 0 {
                                break;
                            }
                            match tokio::time::timeout_at(grace.into(), &mut send).await {
                                Ok(answer) => answer,
                                Err(_) => break,
                            }
                        }
                    }
                };
                let done = Instant::now();
                match answer {
                    Ok((status, body)) => match requests.check(i, Some(status), &body) {
                        Ok(()) if done >= window_start => {
                            measured += 1;
                            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            last = Some(last.map_or(done, |l: Instant| l.max(done)));
                            let _ = hist.record(done.duration_since(sent).as_micros() as u64);
                        }
                        Ok(()) => {}
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    },
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(format!("request failed: {e}"));
                        // The connection is unusable: open a new one.
                        conn = Conn::connect(addr).await.ok();
                    }
                }
                i += u64::from(n);
            }
            Ok::<_, String>((measured, errors, first_error, last, hist))
        }));
    }
    let mut report = LoadReport::default();
    let mut hist = hdrhistogram::Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
    let mut last_done = None::<Instant>;
    for t in tasks {
        let (m, e, fe, last, h) = t.await.map_err(|e| e.to_string())??;
        report.measured += m;
        report.errors += e;
        if report.first_error.is_none() {
            report.first_error = fe;
        }
        last_done = match (last_done, last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let _ = hist.add(&h);
    }
    report.window_secs = last_done
        .map(|l| l.saturating_duration_since(window_start).as_secs_f64())
        .unwrap_or(0.0);
    report.latency_us = hist
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect();
    Ok(report)
}

/// The parent's side: starts the generator process on `cpus` (any CPU
/// when empty) and reads its report.
pub fn run_process(
    helper: &Path,
    spec: &LoadSpec,
    step: Step,
    timeout: Duration,
    cpus: &[usize],
) -> BenchResult<LoadReport> {
    let dir = tempfile::tempdir()
        .map_err(|e| BenchError::new(step, format!("cannot create a temporary file: {e}")))?;
    let file = dir.path().join("load.json");
    let json = serde_json::to_string(spec)
        .map_err(|e| BenchError::new(step, format!("cannot write the load spec: {e}")))?;
    std::fs::write(&file, json)
        .map_err(|e| BenchError::new(step, format!("cannot write the load spec: {e}")))?;
    let mut cmd = std::process::Command::new(helper);
    cmd.args(["__bench-helper", "load", "--spec"]).arg(&file);
    crate::bench::cpus::pin(&mut cmd, cpus);
    let limit = timeout + Duration::from_millis(spec.warmup_ms + spec.duration_ms);
    let out = crate::bench::process::output_with_timeout(&mut cmd, limit).map_err(|e| {
        BenchError::new(
            step,
            format!("the load generator ({}) failed: {e}", helper.display()),
        )
    })?;
    if !out.status.success() {
        return Err(BenchError::new(
            step,
            format!("the load generator exited with {}", out.status),
        )
        .with_log(&String::from_utf8_lossy(&out.stderr)));
    }
    let report: LoadReport = serde_json::from_slice(&out.stdout).map_err(|e| {
        BenchError::new(step, format!("the load generator printed no report: {e}"))
            .with_log(&String::from_utf8_lossy(&out.stderr))
    })?;
    if report.measured == 0 {
        return Err(BenchError::new(
            step,
            format!(
                "no good answer in the measured window ({} error(s){})",
                report.errors,
                report
                    .first_error
                    .as_ref()
                    .map(|e| format!("; first: {e}"))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bench::Workload;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A loopback server answering the `n`th request (from 1) of each
    /// connection with `answer(n)`: a delay, then the bytes.
    async fn server(answer: fn(u32) -> (Duration, &'static [u8])) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let mut n = 0u32;
                    while let Ok(read) = s.read(&mut buf).await {
                        if read == 0 {
                            return;
                        }
                        n += 1;
                        let (delay, reply) = answer(n);
                        tokio::time::sleep(delay).await;
                        if s.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn counts_good_answers_and_errors_in_the_real_window() {
        // Every third answer is a 500: counted, not dropped.
        let addr = server(|n| {
            let reply: &[u8] = if n.is_multiple_of(3) {
                b"HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n"
            } else {
                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
            };
            (Duration::ZERO, reply)
        })
        .await;
        let spec = LoadSpec {
            addr,
            requests: Requests::default_for(Workload::Http),
            connections: 2,
            warmup_ms: 20,
            duration_ms: 100,
            threads: 1,
            grace_ms: 0,
        };
        let r = run(&spec).await.unwrap();
        assert!(r.measured > 0 && r.errors > 0, "{r:?}");
        assert!(r.window_secs >= 0.09, "{}", r.window_secs);
        assert!(r.first_error.unwrap().contains("500"));
        let total: u64 = r.latency_us.iter().map(|(_, c)| c).sum();
        assert_eq!(total, r.measured);
    }

    /// A server slower than the window: its first answer comes after the
    /// window closes. With a grace period it is counted over the stretched
    /// window; without one nothing is counted (and the parent reports it).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_server_slower_than_the_window_stretches_it_when_nothing_was_counted() {
        let addr = server(|_| {
            (
                Duration::from_millis(150),
                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
            )
        })
        .await;
        let mut spec = LoadSpec {
            addr,
            requests: Requests::default_for(Workload::Http),
            connections: 1,
            warmup_ms: 0,
            duration_ms: 50,
            threads: 1,
            grace_ms: 2000,
        };
        let r = run(&spec).await.unwrap();
        assert_eq!((r.measured, r.errors), (1, 0), "{r:?}");
        assert!(r.window_secs >= 0.14, "{}", r.window_secs);
        spec.grace_ms = 0;
        let r = run(&spec).await.unwrap();
        assert_eq!((r.measured, r.errors), (0, 0), "{r:?}");
    }
}
