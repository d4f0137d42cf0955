//! `wasmfit bench` against a Docker engine that answers and then goes
//! away mid-run. The endpoint the bench is pointed at (DOCKER_HOST) is a
//! unix socket this test serves: either a fake engine that answers the
//! calls up to the image build and vanishes for good when the first
//! container is created, or a proxy to the real engine that vanishes at the
//! same call and comes back two seconds later, as a restarting dockerd
//! does. Either way the CLI exits 2 with an error naming the side and the
//! step, no temporary directory is left, and with the real engine nothing
//! carrying the run's label is left either.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The request whose arrival makes the endpoint vanish: the first
/// container create, i.e. after the build, in the middle of the run.
const TRIGGER: &str = "/containers/create";

/// Where the endpoint's requests go.
#[derive(Clone)]
enum Backend {
    /// Canned answers for the calls before the first container.
    Fake,
    /// Byte for byte to the real engine's socket.
    Proxy(PathBuf),
}

/// A unix socket endpoint that serves until `TRIGGER`, then closes every
/// connection and removes its socket; after `down` (if any) it listens
/// again at the same path.
struct Endpoint {
    path: PathBuf,
    vanished: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Endpoint {
    fn start(path: PathBuf, backend: Backend, down: Option<Duration>) -> Endpoint {
        let vanished = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (p, v, d, s) = (path.clone(), vanished.clone(), done.clone(), seen.clone());
        std::thread::spawn(move || serve(&p, &backend, down, &v, &d, &s));
        // Listening before the bench connects.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !path.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        Endpoint {
            path,
            vanished,
            done,
            seen,
        }
    }

    fn docker_host(&self) -> String {
        format!("unix://{}", self.path.display())
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

fn bind(path: &Path) -> UnixListener {
    let _ = std::fs::remove_file(path);
    let l = UnixListener::bind(path).expect("bind the endpoint's socket");
    l.set_nonblocking(true).unwrap();
    l
}

fn serve(
    path: &Path,
    backend: &Backend,
    down: Option<Duration>,
    vanished: &Arc<AtomicBool>,
    done: &AtomicBool,
    seen: &Arc<Mutex<Vec<String>>>,
) {
    let mut listener = Some(bind(path));
    let open: Arc<Mutex<Vec<UnixStream>>> = Arc::default();
    let mut gone_at: Option<Instant> = None;
    while !done.load(Ordering::SeqCst) {
        if vanished.load(Ordering::SeqCst) && gone_at.is_none() {
            // Gone: no listener, no socket file, every connection cut.
            gone_at = Some(Instant::now());
            listener = None;
            let _ = std::fs::remove_file(path);
            for c in open.lock().unwrap().drain(..) {
                let _ = c.shutdown(std::net::Shutdown::Both);
            }
        }
        if let (Some(at), Some(down), None) = (gone_at, down, listener.as_ref()) {
            if at.elapsed() >= down {
                listener = Some(bind(path));
            }
        }
        let Some(l) = listener.as_ref() else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        match l.accept() {
            Ok((conn, _)) => {
                conn.set_nonblocking(false).unwrap();
                open.lock().unwrap().push(conn.try_clone().unwrap());
                let (b, v, s, o) = (
                    backend.clone(),
                    vanished.clone(),
                    seen.clone(),
                    open.clone(),
                );
                // After a return the endpoint forwards everything.
                let armed = gone_at.is_none();
                std::thread::spawn(move || match b {
                    Backend::Fake => fake_connection(conn, &v, &s),
                    Backend::Proxy(up) => proxy_connection(conn, &up, armed, &v, &s, &o),
                });
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    let _ = std::fs::remove_file(path);
}

/// Reads one request (head and body); None when the connection ended.
fn read_request(r: &mut BufReader<UnixStream>) -> Option<(String, Vec<u8>)> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let lower = h.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(length, 0);
        r.read_exact(&mut body).ok()?;
    }
    Some((line.trim_end().to_string(), body))
}

/// The fake engine: canned answers to version, ping, build, image inspect
/// and export; the trigger makes it vanish without an answer.
fn fake_connection(conn: UnixStream, vanished: &AtomicBool, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut out = conn;
    while let Some((line, _body)) = read_request(&mut reader) {
        seen.lock().unwrap().push(line.clone());
        let path = line.split(' ').nth(1).unwrap_or("");
        if path.contains(TRIGGER) {
            vanished.store(true, Ordering::SeqCst);
            return;
        }
        let route = path.split('?').next().unwrap_or("");
        let (kind, body): (&str, Vec<u8>) = if route.ends_with("/_ping") {
            ("text/plain", b"OK".to_vec())
        } else if route.ends_with("/version") {
            ("application/json", br#"{"Version":"27.0.0-fake","ApiVersion":"1.47","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64"}"#.to_vec())
        } else if route.ends_with("/build") {
            ("application/json", b"{\"stream\":\"Step 1/3 : FROM scratch\\n\"}\n{\"aux\":{\"ID\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}\n{\"stream\":\"Successfully built 0123456789ab\\n\"}\n".to_vec())
        } else if route.ends_with("/get") {
            ("application/x-tar", vec![0; 1024])
        } else if route.contains("/images/") && route.ends_with("/json") {
            ("application/json", br#"{"Id":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","Size":900000}"#.to_vec())
        } else {
            // Anything else was not expected before the first container.
            ("application/json", br#"{"message":"not faked"}"#.to_vec())
        };
        let status = if body.starts_with(br#"{"message""#) {
            "404 Not Found"
        } else {
            "200 OK"
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nApi-Version: 1.47\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if out.write_all(head.as_bytes()).is_err() || out.write_all(&body).is_err() {
            return;
        }
    }
}

/// The proxy: bytes both ways; while armed, the trigger (seen in what the
/// bench sends) makes it vanish before that request reaches the engine.
fn proxy_connection(
    conn: UnixStream,
    upstream: &Path,
    armed: bool,
    vanished: &AtomicBool,
    seen: &Mutex<Vec<String>>,
    open: &Mutex<Vec<UnixStream>>,
) {
    let Ok(up) = UnixStream::connect(upstream) else {
        return;
    };
    open.lock().unwrap().push(up.try_clone().unwrap());
    let (mut up_read, mut client_write) = (up.try_clone().unwrap(), conn.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut client_write);
        let _ = client_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut client_read, mut up_write) = (conn, up);
    let mut buf = vec![0u8; 64 * 1024];
    // The end of the previous read, so a request line split across two
    // reads is still seen.
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match client_read.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut window = std::mem::take(&mut tail);
        window.extend_from_slice(&buf[..n]);
        if armed && contains(&window, TRIGGER.as_bytes()) {
            seen.lock().unwrap().push(format!("proxy cut at {TRIGGER}"));
            vanished.store(true, Ordering::SeqCst);
            return;
        }
        tail = window[window.len().saturating_sub(64)..].to_vec();
        if up_write.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = up_write.shutdown(std::net::Shutdown::Write);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A stdio service: one answer line per request line.
const ECHO: &str = "#include <stdio.h>\nint main(void) { char l[4096]; while (fgets(l, sizeof l, stdin)) { fputs(l, stdout); fflush(stdout); } return 0; }\n";

/// Runs the CLI on a fresh service, container side only, with DOCKER_HOST
/// pointing at `endpoint` and TMPDIR at an empty directory.
fn bench_cli(endpoint: &Endpoint, run_id: &str, tmp: &Path) -> Output {
    let service = tempfile::tempdir().unwrap();
    std::fs::write(service.path().join("main.c"), ECHO).unwrap();
    Command::new(env!("CARGO_BIN_EXE_wasmfit"))
        .args([
            "bench",
            "--quiet",
            "--sides",
            "container",
            "--cold-runs",
            "1",
            "--request-runs",
            "2",
            "--runs",
            "1",
            "--duration",
            "100ms",
            "--warmup",
            "50ms",
            "--density-max",
            "2",
            "--timeout",
            "20s",
            "--run-id",
            run_id,
            "--cache-dir",
        ])
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-engine-cache"))
        .arg(service.path())
        .env("DOCKER_HOST", endpoint.docker_host())
        .env("TMPDIR", tmp)
        .output()
        .expect("run wasmfit")
}

fn assert_no_temp_dir(tmp: &Path) {
    let left: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// No container or image carrying the run's label on the real engine.
fn assert_nothing_left(run_id: &str) {
    let filter = format!("label=wasmfit.bench.run={run_id}");
    for args in [
        vec!["ps", "-aq", "--filter", &filter],
        vec!["images", "-aq", "--filter", &filter],
    ] {
        let out = Command::new("docker").args(&args).output().unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).trim().is_empty(),
            "left behind: docker {args:?}"
        );
    }
}

#[test]
fn engine_that_vanishes_for_good_after_the_build() {
    let test = "engine_that_vanishes_for_good_after_the_build";
    if support::static_gcc().is_none() {
        return support::skip(test, support::STATIC_GCC_WHY);
    }
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let fake = Endpoint::start(dir.path().join("fake.sock"), Backend::Fake, None);
    let run_id = format!("test-gone-{}", std::process::id());
    let started = Instant::now();
    let out = bench_cli(&fake, &run_id, &tmp);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // It vanished mid-run: after the build, at the first container.
    let seen = fake.seen.lock().unwrap().clone();
    assert!(seen.iter().any(|l| l.contains("/build")), "{seen:?}");
    assert!(fake.vanished.load(Ordering::SeqCst), "{seen:?}");
    // The side and the step, the engine named as the cause.
    assert!(
        stderr.starts_with("error: running the container failed: creating the container: the Docker engine at DOCKER_HOST=unix://"),
        "{stderr}"
    );
    assert!(stderr.contains("stopped answering"), "{stderr}");
    // What may be left there, and how to remove it, instead of a claim.
    assert!(
        stderr.contains(&format!(
            "docker rmi -f $(docker images -aq --filter label=wasmfit.bench.run={run_id})"
        )),
        "{stderr}"
    );
    // The cleanup waited for the engine a bounded time, no more.
    assert!(started.elapsed() < Duration::from_secs(120));
    assert!(out.stdout.is_empty());
    assert_no_temp_dir(&tmp);
}

#[test]
fn real_engine_that_goes_away_and_returns_leaves_nothing() {
    let test = "real_engine_that_goes_away_and_returns_leaves_nothing";
    if support::static_gcc().is_none() {
        return support::skip(test, support::STATIC_GCC_WHY);
    }
    if !support::docker_available() {
        return support::skip(test, support::DOCKER_WHY);
    }
    let socket = match std::env::var("DOCKER_HOST") {
        Ok(h) if !h.is_empty() => match h.strip_prefix("unix://") {
            Some(p) => PathBuf::from(p),
            None => {
                return support::not_applicable(
                    test,
                    "DOCKER_HOST is not a unix socket, which this test proxies",
                )
            }
        },
        _ => PathBuf::from("/var/run/docker.sock"),
    };
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let proxy = Endpoint::start(
        dir.path().join("proxy.sock"),
        Backend::Proxy(socket),
        Some(Duration::from_secs(2)),
    );
    let run_id = format!("test-back-{}", std::process::id());
    let out = bench_cli(&proxy, &run_id, &tmp);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(proxy.vanished.load(Ordering::SeqCst), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: running the container failed: creating the container: the Docker engine at"
        ),
        "{stderr}"
    );
    // The engine came back within the wait: everything was removed, and
    // the message does not say otherwise.
    assert!(!stderr.contains("may be left"), "{stderr}");
    assert_nothing_left(&run_id);
    assert_no_temp_dir(&tmp);
}
