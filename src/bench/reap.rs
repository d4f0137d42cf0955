//! Nothing outlives a bench run: every child process the bench starts (a
//! compiler, the native service, the Wasm host, the load generator) is
//! registered here and killed when the run is interrupted (a signal seen
//! by `crate::interrupt`), and once a stop is requested no new process or
//! container is started.

use std::collections::HashSet;
use std::process::Child;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Mutex;

static STOPPING: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicI32 = AtomicI32::new(0);
static CHILDREN: Mutex<Option<HashSet<u32>>> = Mutex::new(None);

/// True once the run was asked to stop.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// The signal that stopped the run, if any.
pub fn signal() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// Asks every step to stop and kills the registered children.
pub fn stop(signal: i32) {
    SIGNAL.store(signal, Ordering::SeqCst);
    STOPPING.store(true, Ordering::SeqCst);
    let pids: Vec<u32> = CHILDREN
        .lock()
        .map(|c| {
            c.as_ref()
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    for pid in pids {
        kill(pid);
    }
}

/// Clears the stop flag (a new run in the same process, as tests do).
pub fn reset() {
    STOPPING.store(false, Ordering::SeqCst);
    SIGNAL.store(0, Ordering::SeqCst);
}

fn kill(pid: u32) {
    // SIGKILL: a service that ignores SIGTERM must not survive the run.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

fn register(pid: u32) {
    if let Ok(mut c) = CHILDREN.lock() {
        c.get_or_insert_with(HashSet::new).insert(pid);
    }
}

fn unregister(pid: u32) {
    if let Ok(mut c) = CHILDREN.lock() {
        if let Some(s) = c.as_mut() {
            s.remove(&pid);
        }
    }
}

/// A child process, killed when dropped and when the run is interrupted.
pub struct ChildGuard(pub Child);

impl ChildGuard {
    pub fn new(child: Child) -> ChildGuard {
        register(child.id());
        // A stop that came while the child was being spawned.
        if stopping() {
            kill(child.id());
        }
        ChildGuard(child)
    }

    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        unregister(self.0.id());
    }
}

/// Runs `cmd` to completion with its output captured, as a registered
/// child: an interrupted run kills it rather than leaving a compiler going.
pub fn output(cmd: &mut std::process::Command) -> std::io::Result<std::process::Output> {
    use std::io::Read;
    if stopping() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "stopped",
        ));
    }
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let pid = child.id();
    register(pid);
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = e.read_to_end(&mut v);
        }
        v
    });
    let mut stdout = Vec::new();
    if let Some(o) = out.as_mut() {
        let _ = o.read_to_end(&mut stdout);
    }
    let stderr = err_thread.join().unwrap_or_default();
    let status = child.wait();
    unregister(pid);
    Ok(std::process::Output {
        status: status?,
        stdout,
        stderr,
    })
}

/// The signal's name, for messages.
pub fn signal_name(n: i32) -> &'static str {
    match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}
