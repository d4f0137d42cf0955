//! Cleanup when wasmfit is stopped: SIGINT, SIGTERM or SIGHUP remove every
//! temporary directory and container wasmfit still owns, then exit with
//! 128 + the signal's number (130, 143, 129).
//!
//! Destructors do not run when a signal ends a process, so whatever creates
//! temporary state registers how to undo it (`on_signal`, `remove_dir`) and
//! keeps the returned `Registration` as long as the state lives. Code that
//! cleans up by itself, asynchronously (the bench's containers), holds a
//! `Deferral` instead: the exit then waits for it, for a bounded time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

type Cleanup = Box<dyn FnOnce() + Send>;

/// How long the exit waits for deferred cleanups (stopping containers).
const DEFER_LIMIT: Duration = Duration::from_secs(60);

static INSTALL: Once = Once::new();
static RECEIVED: AtomicI32 = AtomicI32::new(0);
static DEFERRED: AtomicUsize = AtomicUsize::new(0);
static CLEANUPS: Mutex<(u64, BTreeMap<u64, Cleanup>)> = Mutex::new((0, BTreeMap::new()));

/// Starts listening for the three signals (once; later calls do nothing).
/// Until this is called the default dispositions apply.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("wasmfit-signals".into())
            .spawn(watch);
    });
}

/// The signal received, if one was: long work may check it and stop early.
pub fn received() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        n => Some(n),
    }
}

/// The exit code for a received signal (128 + its number).
pub fn exit_code() -> Option<u8> {
    received().and_then(|n| u8::try_from(128 + n).ok())
}

/// Waits until a signal is received (for `select!` in async code).
pub async fn wait() -> i32 {
    loop {
        if let Some(n) = received() {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Undoes something when a signal arrives, unless the returned value was
/// dropped first.
#[must_use = "the cleanup is unregistered when this is dropped"]
pub struct Registration(u64);

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut c) = CLEANUPS.lock() {
            c.1.remove(&self.0);
        }
    }
}

/// Runs `f` if a signal arrives while the registration lives.
pub fn on_signal(f: impl FnOnce() + Send + 'static) -> Registration {
    let mut c = CLEANUPS.lock().unwrap_or_else(|p| p.into_inner());
    c.0 += 1;
    let id = c.0;
    c.1.insert(id, Box::new(f));
    Registration(id)
}

/// Removes the directory `dir` (and everything in it) if a signal arrives.
pub fn remove_dir(dir: &Path) -> Registration {
    let dir: PathBuf = dir.to_path_buf();
    on_signal(move || {
        // Another thread may still be writing into it: try a few times.
        for _ in 0..5 {
            match std::fs::remove_dir_all(&dir) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => break,
            }
        }
    })
}

/// While this lives, a signal's exit waits (up to a minute) for its holder
/// to clean up by itself.
#[must_use = "the exit stops waiting when this is dropped"]
pub struct Deferral(());

impl Drop for Deferral {
    fn drop(&mut self) {
        DEFERRED.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn defer() -> Deferral {
    DEFERRED.fetch_add(1, Ordering::SeqCst);
    Deferral(())
}

/// The watcher thread: waits for a signal, cleans up, exits. A second
/// signal while deferred cleanups run exits at once.
fn watch() {
    let Some(mut listener) = Listener::new() else {
        return;
    };
    let Some(signal) = listener.next(None) else {
        return;
    };
    RECEIVED.store(signal, Ordering::SeqCst);
    run_cleanups();
    let start = Instant::now();
    while DEFERRED.load(Ordering::SeqCst) > 0 && start.elapsed() < DEFER_LIMIT {
        if listener.next(Some(Duration::from_millis(20))).is_some() {
            break;
        }
    }
    // Cleanups registered while the deferred work finished.
    run_cleanups();
    std::process::exit(128 + signal);
}

fn run_cleanups() {
    let pending = {
        let mut c = CLEANUPS.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut c.1)
    };
    for (_, f) in pending {
        // One failing cleanup must not stop the others.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    }
}

/// The listener's own runtime: one thread, its timers and signals.
fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
}

/// The three signals, listened to on a runtime of their own.
#[cfg(unix)]
struct Listener {
    rt: tokio::runtime::Runtime,
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Listener {
    /// `None` when the signals cannot be listened to (the defaults stay).
    fn new() -> Option<Listener> {
        use tokio::signal::unix::{signal, SignalKind};
        let rt = runtime()?;
        let _guard = rt.enter();
        Some(Listener {
            int: signal(SignalKind::interrupt()).ok()?,
            term: signal(SignalKind::terminate()).ok()?,
            hup: signal(SignalKind::hangup()).ok()?,
            rt,
        })
    }

    /// The next signal's number, waiting at most `limit` when given.
    fn next(&mut self, limit: Option<Duration>) -> Option<i32> {
        let Listener { rt, int, term, hup } = self;
        rt.block_on(async {
            let any = async {
                tokio::select! {
                    _ = int.recv() => Some(2),
                    _ = term.recv() => Some(15),
                    _ = hup.recv() => Some(1),
                }
            };
            match limit {
                Some(d) => tokio::time::timeout(d, any).await.ok().flatten(),
                None => any.await,
            }
        })
    }
}

#[cfg(not(unix))]
struct Listener(tokio::runtime::Runtime);

#[cfg(not(unix))]
impl Listener {
    fn new() -> Option<Listener> {
        Some(Listener(runtime()?))
    }

    fn next(&mut self, limit: Option<Duration>) -> Option<i32> {
        self.0.block_on(async {
            match limit {
                Some(d) => tokio::time::timeout(d, tokio::signal::ctrl_c())
                    .await
                    .ok()?
                    .ok()
                    .map(|_| 2),
                None => tokio::signal::ctrl_c().await.ok().map(|_| 2),
            }
        })
    }
}
