//! Services as OS processes: the native binary, and the Wasm host process
//! (`wasmfit __bench-helper wasm`) running the `.cwasm`. Both go through
//! exactly this code, so their figures have the same clock boundaries:
//! stdin from a file, stdout through a pipe read on a thread of wasmfit's
//! own, or a server in its own process on a loopback port.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::reap::ChildGuard;
use crate::bench::workload::{LineClock, Requests};
use std::ffi::OsString;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A command that runs the service.
#[derive(Clone, Debug)]
pub struct Program {
    pub exe: PathBuf,
    pub args: Vec<OsString>,
    pub step: Step,
}

impl Program {
    pub fn new(exe: &Path, args: &[&str], step: Step) -> Program {
        Program {
            exe: exe.to_path_buf(),
            args: args.iter().map(OsString::from).collect(),
            step,
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.exe);
        c.args(&self.args);
        c
    }

    fn spawn(&self, mut cmd: Command) -> BenchResult<ChildGuard> {
        if crate::bench::reap::stopping() {
            return Err(BenchError::new(Step::Interrupted, "stopped"));
        }
        cmd.spawn().map(ChildGuard::new).map_err(|e| {
            BenchError::new(
                self.step,
                format!("cannot start {}: {e}", self.exe.display()),
            )
        })
    }
}

/// Collects a pipe's output on a thread, keeping at most 64 KiB.
pub fn drain<R: Read + Send + 'static>(r: R) -> mpsc::Receiver<String> {
    let (pipe, later) = mpsc::sync_channel(1);
    let _ = pipe.send(r);
    drain_when(later)
}

/// `drain` on a thread started now, for a pipe handed over later (when
/// the sender is dropped unused, the thread ends).
fn drain_when<R: Read + Send + 'static>(pipe: mpsc::Receiver<R>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok(mut r) = pipe.recv() else { return };
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

/// Starts the program with stdin read from `input` (a file) and reads its
/// stdout into `clock` on a reader thread until it is done (`expect`
/// lines, or its throughput window closed) or the process exits. The
/// clock starts just before the spawn. `timeout` bounds the whole run;
/// the process is killed at the end.
pub fn stdio_run(
    p: &Program,
    input: &Path,
    clock: LineClock,
    expect: u64,
    timeout: Duration,
) -> BenchResult<(Instant, LineClock)> {
    let file = std::fs::File::open(input)
        .map_err(|e| BenchError::new(p.step, format!("cannot open {}: {e}", input.display())))?;
    let mut cmd = p.command();
    cmd.stdin(Stdio::from(file))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Both reader threads exist before the clock starts and get their pipes
    // after the spawn: creating them after it put a thread's start (and, on
    // a busy machine, its wait for a core) inside a cold start that is
    // under a millisecond for a native binary.
    let (err_pipe, err_later) = mpsc::sync_channel(1);
    let errors = drain_when(err_later);
    let (out_pipe, out_later) = mpsc::sync_channel::<std::process::ChildStdout>(1);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let Ok(mut stdout) = out_later.recv() else {
            return;
        };
        let mut clock = clock;
        let mut buf = vec![0u8; 64 * 1024];
        while !clock.done(expect) {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => clock.observe(&buf[..n]),
            }
        }
        if clock.lines >= expect {
            read_tail(&mut stdout, &mut buf, &mut clock, expect);
        }
        let _ = tx.send(clock);
    });
    let started = Instant::now();
    let mut guard = p.spawn(cmd)?;
    let (Some(stdout), Some(stderr)) = (guard.0.stdout.take(), guard.0.stderr.take()) else {
        return Err(BenchError::new(p.step, "the process has no stdio pipes"));
    };
    let _ = out_pipe.send(stdout);
    let _ = err_pipe.send(stderr);
    let log = |guard: ChildGuard| {
        drop(guard);
        errors
            .recv_timeout(Duration::from_secs(1))
            .unwrap_or_default()
    };
    let clock = match rx.recv_timeout(timeout) {
        Ok(c) => c,
        Err(_) => {
            return Err(BenchError::new(
                p.step,
                format!(
                    "no complete answer within {timeout:?}: the service hangs, answers too slowly, or does not answer each request line with one line (see --request, --expect)"
                ),
            )
            .with_log(&log(guard)))
        }
    };
    if !clock.done(expect) {
        let what = if clock.lines == 0 && clock.head.len() >= 4096 {
            "the service wrote 4 KiB or more with no newline (not line-oriented answers?)"
                .to_string()
        } else {
            format!(
                "the service answered {} of {expect} request line(s) and closed its output",
                clock.lines
            )
        };
        return Err(BenchError::new(p.step, what).with_log(&log(guard)));
    }
    Ok((started, clock))
}

/// How long output is still read once every answer is in: enough for a
/// service that writes without reading its requests to show it, short
/// enough not to matter to one that waits for more input.
pub(crate) const TAIL: Duration = Duration::from_millis(20);

/// Reads what the service writes after its last expected answer, for up to
/// `TAIL`, until it closes its output or has written more lines than it was
/// sent (`LineClock::flooded`). Stopping at the count alone let a flood
/// through whenever a read happened to end within a few lines of it; a
/// service that answers each request has nothing more to say, and one that
/// exits at the end of its input closes the pipe at once. Only the line
/// count changes here (`LineClock::observe_tail`).
fn read_tail(
    stdout: &mut std::process::ChildStdout,
    buf: &mut [u8],
    clock: &mut LineClock,
    sent: u64,
) {
    use std::os::fd::AsRawFd;
    let deadline = Instant::now() + TAIL;
    while !clock.flooded(sent) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let mut fd = libc::pollfd {
            fd: stdout.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, 1000) as libc::c_int;
        // SAFETY: one valid pollfd for a pipe this thread owns.
        if unsafe { libc::poll(&mut fd, 1, ms) } <= 0 {
            break;
        }
        match stdout.read(buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => clock.observe_tail(&buf[..n]),
        }
    }
}

/// A running stdio service fed one line at a time: per-request latency.
pub struct WarmStdio {
    _guard: ChildGuard,
    stdin: std::process::ChildStdin,
    lines: mpsc::Receiver<(Instant, Vec<u8>)>,
    step: Step,
}

impl WarmStdio {
    pub fn start(p: &Program) -> BenchResult<WarmStdio> {
        let mut cmd = p.command();
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut guard = p.spawn(cmd)?;
        let (Some(stdin), Some(stdout)) = (guard.0.stdin.take(), guard.0.stdout.take()) else {
            return Err(BenchError::new(p.step, "the process has no stdio pipes"));
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        if tx.send((Instant::now(), line)).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Ok(WarmStdio {
            _guard: guard,
            stdin,
            lines: rx,
            step: p.step,
        })
    }

    /// Writes request `i` and waits for its answer line: ms.
    pub fn round_trip(&mut self, r: &Requests, i: u64, timeout: Duration) -> BenchResult<f64> {
        let line = r.line(i);
        let sent = Instant::now();
        self.stdin
            .write_all(&line)
            .and_then(|_| self.stdin.flush())
            .map_err(|e| {
                BenchError::new(self.step, format!("the service closed its input: {e}"))
            })?;
        let (at, answer) = self.lines.recv_timeout(timeout).map_err(|_| {
            BenchError::new(
                self.step,
                format!("no answer line within {timeout:?} to a single request line (does the service answer before its input ends?)"),
            )
        })?;
        r.check(i, None, answer.strip_suffix(b"\n").unwrap_or(&answer))
            .map_err(|e| BenchError::new(self.step, e))?;
        Ok(at.duration_since(sent).as_secs_f64() * 1000.0)
    }
}

/// A server process listening on `port` (given as `PORT`), on `cpus`
/// (any CPU when empty).
pub fn spawn_server(p: &Program, port: u16, cpus: &[usize]) -> BenchResult<ChildGuard> {
    let mut cmd = p.command();
    crate::bench::cpus::pin(&mut cmd, cpus);
    cmd.env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    p.spawn(cmd)
}

/// The last lines a server wrote to stderr, after killing it.
pub fn server_log(guard: &mut ChildGuard) -> String {
    let _ = guard.0.kill();
    guard
        .0
        .stderr
        .take()
        .map(|e| {
            drain(e)
                .recv_timeout(Duration::from_secs(1))
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// A free loopback port.
pub fn free_port(step: Step) -> BenchResult<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BenchError::new(step, format!("no free port: {e}")))
}

/// Runs a command to completion (stdout and stderr captured), killing it
/// after `limit`.
pub fn output_with_timeout(
    cmd: &mut Command,
    limit: Duration,
) -> std::io::Result<std::process::Output> {
    if crate::bench::reap::stopping() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "stopped",
        ));
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut guard = ChildGuard::new(cmd.spawn()?);
    let out = guard.0.stdout.take().map(drain_bytes);
    let err = guard.0.stderr.take().map(drain_bytes);
    let deadline = Instant::now() + limit;
    let status = loop {
        match guard.0.try_wait()? {
            Some(s) => break s,
            None if Instant::now() > deadline => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no result within {limit:?}"),
                ))
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let take = |rx: Option<mpsc::Receiver<Vec<u8>>>| {
        rx.and_then(|r| r.recv_timeout(Duration::from_secs(5)).ok())
            .unwrap_or_default()
    };
    Ok(std::process::Output {
        status,
        stdout: take(out),
        stderr: take(err),
    })
}

fn drain_bytes<R: Read + Send + 'static>(mut r: R) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        let _ = tx.send(v);
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `cmd`'s output up to `expect` lines, then its tail.
    fn lines_after_tail(script: &str, expect: u64) -> (u64, bool) {
        let mut child = Command::new("sh")
            .args(["-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("sh");
        let mut stdout = child.stdout.take().expect("piped");
        let mut clock = LineClock::new(&[]);
        let mut buf = vec![0u8; 64];
        while clock.lines < expect {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => clock.observe(&buf[..n]),
            }
        }
        let at = clock.last_line_at;
        read_tail(&mut stdout, &mut buf, &mut clock, expect);
        assert_eq!(clock.last_line_at, at, "the tail moved the window's end");
        let _ = child.kill();
        let _ = child.wait();
        (clock.lines, clock.flooded(expect))
    }

    #[test]
    fn a_flood_shows_after_the_count_whatever_the_reads() {
        // 64-byte reads stop within a line or two of the count, the case a
        // read that ends exactly at it used to let through.
        let (lines, flooded) = lines_after_tail("yes '{\"id\":0}'", 100);
        assert!(flooded, "{lines} lines");
    }

    #[test]
    fn a_service_with_nothing_more_to_say_is_no_flood() {
        let (lines, flooded) = lines_after_tail("printf 'a\\nb\\nc\\n'", 3);
        assert_eq!((lines, flooded), (3, false));
        // One that stays up without writing: the tail gives up on time.
        let (lines, flooded) = lines_after_tail("printf 'a\\n'; sleep 5", 1);
        assert_eq!((lines, flooded), (1, false));
    }
}
