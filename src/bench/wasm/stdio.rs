//! The stdio workload on wasmtime, inside the Wasm host process: a core
//! module through WASI preview 1 or a `wasi:cli/command` component through
//! WASI 0.2, run on the process's real stdin and stdout (what `wasmtime
//! run` does), one fresh instance per request line, or parked on an empty
//! stdin for the density fill.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::wasm::host::{self, err, WasmKind};
use crate::bench::wasm::streams::ParkedIn;
use bytes::Bytes;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// Store data of a command component.
pub struct CliState {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for CliState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// The loaded code, linked once: what a long-running host keeps.
pub enum Pre {
    Module(wasmtime::InstancePre<WasiP1Ctx>),
    Component(wasmtime_wasi::p2::bindings::sync::CommandPre<CliState>),
}

/// Loads the `.cwasm` and links it against WASI (synchronous).
pub fn pre(engine: &Engine, cwasm: &Path, kind: WasmKind) -> BenchResult<Pre> {
    match kind {
        WasmKind::Module => {
            let mut linker = wasmtime::Linker::new(engine);
            wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |t| t)
                .map_err(|e| err("linking WASI", e))?;
            let module = host::load_module(engine, cwasm)?;
            Ok(Pre::Module(
                linker
                    .instantiate_pre(&module)
                    .map_err(|e| err("linking the module", e))?,
            ))
        }
        WasmKind::Component => {
            let mut linker = wasmtime::component::Linker::new(engine);
            wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
                .map_err(|e| err("linking WASI", e))?;
            let component = host::load_component(engine, cwasm)?;
            let pre = linker
                .instantiate_pre(&component)
                .map_err(|e| err("linking the component", e))?;
            Ok(Pre::Component(
                wasmtime_wasi::p2::bindings::sync::CommandPre::new(pre)
                    .map_err(|e| err("the component is not a wasi:cli command", e))?,
            ))
        }
    }
}

/// A guest's `exit(n)` arrives as an error: its status, or the trap.
fn exit_code(result: wasmtime::Result<()>) -> Result<i32, String> {
    match result {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => Ok(*code),
            None => Err(format!("the guest trapped: {e:?}")),
        },
    }
}

/// Runs one instance with `ctx`; returns the guest's exit status.
pub(crate) fn run_one(engine: &Engine, pre: &Pre, ctx: WasiCtxBuilder) -> Result<i32, String> {
    let mut ctx = ctx;
    match pre {
        Pre::Module(pre) => {
            let mut store = Store::new(engine, ctx.build_p1());
            let instance = pre
                .instantiate(&mut store)
                .map_err(|e| format!("instantiating the module: {e:?}"))?;
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .map_err(|e| format!("the module has no _start (is it a WASI command?): {e}"))?;
            exit_code(start.call(&mut store, ()))
        }
        Pre::Component(pre) => {
            let mut store = Store::new(
                engine,
                CliState {
                    ctx: ctx.build(),
                    table: ResourceTable::new(),
                },
            );
            let command = pre
                .instantiate(&mut store)
                .map_err(|e| format!("instantiating the component: {e:?}"))?;
            match exit_code(command.wasi_cli_run().call_run(&mut store).map(|_| ())) {
                Ok(code) => Ok(code),
                Err(e) => Err(e),
            }
        }
    }
}

pub(crate) fn base_ctx() -> WasiCtxBuilder {
    let mut b = WasiCtxBuilder::new();
    b.arg("service");
    b
}

/// `wasmtime run`: one instance on the process's own stdin and stdout.
pub fn run_inherited(engine: &Engine, pre: &Pre) -> Result<i32, String> {
    let mut ctx = base_ctx();
    ctx.inherit_stdio();
    run_one(engine, pre, ctx)
}

/// One fresh instance per line of the process's stdin: the instance gets
/// the line as its whole input and answers on the process's stdout.
pub fn run_fresh_per_line(engine: &Engine, pre: &Pre) -> Result<i32, String> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock();
    loop {
        let mut line = Vec::new();
        match lines.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(0),
            Ok(_) => {}
            Err(e) => return Err(format!("reading stdin: {e}")),
        }
        let mut ctx = base_ctx();
        ctx.stdin(MemoryInputPipe::new(Bytes::from(line)))
            .inherit_stdout()
            .inherit_stderr();
        let code = run_one(engine, pre, ctx)?;
        if code != 0 {
            return Ok(code);
        }
        let _ = std::io::stdout().flush();
    }
}

/// `InstancePre::instantiate` into a fresh store, not run: ms per sample.
pub fn instantiate_only(engine: &Engine, pre: &Pre, runs: u32) -> BenchResult<Vec<f64>> {
    let mut out = Vec::new();
    for _ in 0..runs {
        let started = std::time::Instant::now();
        match pre {
            Pre::Module(pre) => {
                let mut store = Store::new(engine, base_ctx().build_p1());
                pre.instantiate(&mut store)
                    .map_err(|e| err("instantiating the module", e))?;
                out.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            Pre::Component(pre) => {
                let mut store = Store::new(
                    engine,
                    CliState {
                        ctx: base_ctx().build(),
                        table: ResourceTable::new(),
                    },
                );
                pre.instantiate(&mut store)
                    .map_err(|e| err("instantiating the component", e))?;
                out.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    Ok(out)
}

/// Instances parked on an empty stdin, each in its own async task, held
/// until the host process exits.
pub struct Parker {
    engine: Engine,
    module: Option<wasmtime::InstancePre<WasiP1Ctx>>,
    component: Option<wasmtime_wasi::p2::bindings::CommandPre<CliState>>,
    waiting: Arc<AtomicU32>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Each instance's environment: a WAGI request's CGI variables, so a
    /// parked instance is a request in flight whose body has not arrived.
    env: Vec<(String, String)>,
}

impl Parker {
    pub fn with_env(mut self, env: Vec<(String, String)>) -> Parker {
        self.env = env;
        self
    }

    pub fn new(engine: &Engine, cwasm: &Path, kind: WasmKind) -> BenchResult<Parker> {
        let mut p = Parker {
            engine: engine.clone(),
            module: None,
            component: None,
            waiting: Arc::default(),
            tasks: Vec::new(),
            env: Vec::new(),
        };
        match kind {
            WasmKind::Module => {
                let mut linker = wasmtime::Linker::new(engine);
                wasmtime_wasi::p1::add_to_linker_async(&mut linker, |t| t)
                    .map_err(|e| err("linking WASI", e))?;
                let module = host::load_module(engine, cwasm)?;
                p.module = Some(
                    linker
                        .instantiate_pre(&module)
                        .map_err(|e| err("linking the module", e))?,
                );
            }
            WasmKind::Component => {
                let mut linker = wasmtime::component::Linker::new(engine);
                wasmtime_wasi::p2::add_to_linker_async(&mut linker)
                    .map_err(|e| err("linking WASI", e))?;
                let component = host::load_component(engine, cwasm)?;
                let pre = linker
                    .instantiate_pre(&component)
                    .map_err(|e| err("linking the component", e))?;
                p.component = Some(
                    wasmtime_wasi::p2::bindings::CommandPre::new(pre)
                        .map_err(|e| err("the component is not a wasi:cli command", e))?,
                );
            }
        }
        Ok(p)
    }

    pub fn count(&self) -> usize {
        self.tasks.len()
    }

    /// Starts `k` more instances and waits until every one reached its
    /// first read of stdin (finished starting up), or one failed.
    pub async fn add(&mut self, k: u32, timeout: Duration) -> Result<(), String> {
        let failed = Arc::new(std::sync::Mutex::new(None::<String>));
        for _ in 0..k {
            let mut ctx = base_ctx();
            ctx.stdin(ParkedIn::new(self.waiting.clone()))
                .envs(&self.env);
            let engine = self.engine.clone();
            let ended = if self.env.is_empty() {
                "the instance ended"
            } else {
                "the instance ended before it read its request body (a WAGI instance lives only \
                 while it handles a request: only a request with a body, e.g. --expect id, keeps \
                 one in flight)"
            };
            let failed = failed.clone();
            let note = move |e: String| {
                if let Ok(mut f) = failed.lock() {
                    f.get_or_insert(e);
                }
            };
            let task = if let Some(pre) = self.module.clone() {
                tokio::spawn(async move {
                    let mut store = Store::new(&engine, ctx.build_p1());
                    match pre.instantiate_async(&mut store).await {
                        Err(e) => note(format!("{e}")),
                        Ok(instance) => {
                            match instance.get_typed_func::<(), ()>(&mut store, "_start") {
                                Err(e) => note(e.to_string()),
                                Ok(start) => match start.call_async(&mut store, ()).await {
                                    Err(e) => note(format!("{ended}: {e}")),
                                    Ok(()) => note(ended.to_string()),
                                },
                            }
                        }
                    }
                })
            } else if let Some(pre) = self.component.clone() {
                tokio::spawn(async move {
                    let mut store = Store::new(
                        &engine,
                        CliState {
                            ctx: ctx.build(),
                            table: ResourceTable::new(),
                        },
                    );
                    match pre.instantiate_async(&mut store).await {
                        Err(e) => note(format!("{e}")),
                        Ok(command) => {
                            let _ = command.wasi_cli_run().call_run(&mut store).await;
                            note("the instance ended".to_string());
                        }
                    }
                })
            } else {
                return Err("nothing loaded".to_string());
            };
            self.tasks.push(task);
        }
        let want = self.tasks.len() as u32;
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(e) = failed.lock().ok().and_then(|f| f.clone()) {
                return Err(e);
            }
            if self.waiting.load(std::sync::atomic::Ordering::SeqCst) >= want {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("instances not parked within {timeout:?}"));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// `BenchError` for the host process's own failures.
pub fn host_err(what: impl Into<String>) -> BenchError {
    BenchError::new(Step::Wasm, what)
}
