//! The Wasm host process: `wasmfit __bench-helper wasm MODE`. The bench
//! starts it as it starts the native binary, so a Wasm cold start is a
//! fresh OS process too: create the engine with the pooling allocator,
//! load the `.cwasm`, instantiate, run to the first answer.
//!
//! Modes: `stdio` (one instance on the process's stdin and stdout, as
//! `wasmtime run`), `fresh` (one fresh instance per stdin line), `http`
//! (a server on 127.0.0.1:$PORT, one fresh instance per request, as
//! `wasmtime serve` for a wasi:http component, as WAGI for a core module), `park` (the density fill: `add N` on stdin parks N
//! more instances and answers `ok TOTAL` or `err REASON`).

use crate::bench::wasm::host::{self, WasmKind};
use crate::bench::wasm::{http, stdio, wagi};
use std::io::{BufRead, Write};
use std::path::Path;
use std::time::Duration;

/// Pool slots outside the density fill: a few concurrent instances.
pub const SMALL_POOL: u32 = 16;

/// Runs a mode; returns the process's exit status.
pub fn main(
    mode: &str,
    cwasm: &Path,
    kind: &str,
    slots: u32,
    env: &[String],
) -> Result<i32, String> {
    let kind = match kind {
        "module" => WasmKind::Module,
        "component" => WasmKind::Component,
        other => return Err(format!("unknown kind {other:?}")),
    };
    let engine = host::engine(slots.max(1)).map_err(|e| e.to_string())?;
    match (mode, kind) {
        ("stdio", _) => {
            let pre = stdio::pre(&engine, cwasm, kind).map_err(|e| e.to_string())?;
            stdio::run_inherited(&engine, &pre)
        }
        ("fresh", _) => {
            let pre = stdio::pre(&engine, cwasm, kind).map_err(|e| e.to_string())?;
            stdio::run_fresh_per_line(&engine, &pre)
        }
        ("http", WasmKind::Component) => {
            let port = port()?;
            let pre = http::proxy_pre(&engine, cwasm).map_err(|e| e.to_string())?;
            let rt = runtime()?;
            rt.block_on(http::serve(pre, port))
                .map_err(|e| e.to_string())?;
            Ok(0)
        }
        ("http", WasmKind::Module) => {
            let port = port()?;
            let pre = stdio::pre(&engine, cwasm, kind).map_err(|e| e.to_string())?;
            let rt = runtime()?;
            rt.block_on(wagi::serve(engine.clone(), pre, port))
                .map_err(|e| e.to_string())?;
            Ok(0)
        }
        ("park", _) => {
            let env = env
                .iter()
                .map(|kv| {
                    kv.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .ok_or_else(|| format!("--env {kv:?} is not KEY=VALUE"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            park(&engine, cwasm, kind, env)
        }
        (other, _) => Err(format!("unknown mode {other:?}")),
    }
}

/// The port to serve on, from `PORT` (as the native server reads it).
fn port() -> Result<u16, String> {
    std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| "PORT is not set to a port number".to_string())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// The density fill's protocol on stdin/stdout.
fn park(
    engine: &wasmtime::Engine,
    cwasm: &Path,
    kind: WasmKind,
    env: Vec<(String, String)>,
) -> Result<i32, String> {
    let rt = runtime()?;
    let mut modules = None;
    let mut components = None;
    if kind == WasmKind::Component && is_proxy(engine, cwasm) {
        let pre = http::proxy_pre(engine, cwasm).map_err(|e| e.to_string())?;
        components = Some(http::HttpParker::new(pre));
    } else {
        modules = Some(
            stdio::Parker::new(engine, cwasm, kind)
                .map_err(|e| e.to_string())?
                .with_env(env),
        );
    }
    let mut out = std::io::stdout().lock();
    let say = |out: &mut std::io::StdoutLock, s: String| {
        let _ = writeln!(out, "{s}");
        let _ = out.flush();
    };
    say(&mut out, "ok 0".to_string());
    let mut total = 0u64;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let Some(k) = line
            .strip_prefix("add ")
            .and_then(|k| k.trim().parse::<u32>().ok())
        else {
            say(&mut out, format!("err unknown command {line:?}"));
            continue;
        };
        let result = rt.block_on(async {
            match (modules.as_mut(), components.as_mut()) {
                (Some(m), _) => m.add(k, Duration::from_secs(60)).await,
                (_, Some(c)) => c.add(k).await,
                _ => Err("nothing loaded".to_string()),
            }
        });
        match result {
            Ok(()) => {
                total += u64::from(k);
                say(&mut out, format!("ok {total}"));
            }
            Err(e) => say(&mut out, format!("err {}", e.replace('\n', " "))),
        }
    }
    Ok(0)
}

/// True when the component exports `wasi:http/incoming-handler`.
fn is_proxy(engine: &wasmtime::Engine, cwasm: &Path) -> bool {
    http::proxy_pre(engine, cwasm).is_ok()
}
