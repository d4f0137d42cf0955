//! The stdio workload on wasmtime: a core module through WASI preview 1 or a
//! `wasi:cli/command` component through WASI 0.2, fed from memory and timed
//! by its stdout. Cold start = load the precompiled code + instantiate from
//! the pool + run until the first response line.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::sysinfo;
use crate::bench::wasm::host::{self, err, WasmKind};
use crate::bench::wasm::streams::{ClockOut, ParkedIn};
use crate::bench::workload::{self, LineClock};
use bytes::Bytes;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store};
use wasmtime_wasi::cli::StdinStream;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
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

/// Everything a stdio run needs, built once: the engine and linkers play
/// the long-running host; loading the code is part of each run.
pub struct StdioHost {
    engine: Engine,
    cwasm: PathBuf,
    kind: WasmKind,
    p1_sync: wasmtime::Linker<WasiP1Ctx>,
    p1_async: wasmtime::Linker<WasiP1Ctx>,
    p2_sync: wasmtime::component::Linker<CliState>,
    p2_async: wasmtime::component::Linker<CliState>,
}

/// Bytes of guest stderr kept for error messages.
const STDERR_CAP: usize = 64 * 1024;

fn builder(
    stdin: impl StdinStream + 'static,
    out: ClockOut,
    stderr: &MemoryOutputPipe,
) -> WasiCtxBuilder {
    let mut b = WasiCtxBuilder::new();
    b.stdin(stdin)
        .stdout(out)
        .stderr(stderr.clone())
        .arg("service");
    b
}

/// A guest's `exit(0)` arrives as an error; anything else is a failure.
fn finished(result: wasmtime::Result<()>, stderr: &MemoryOutputPipe) -> BenchResult<()> {
    match result {
        Ok(()) => Ok(()),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(0)) => Ok(()),
            Some(I32Exit(code)) => Err(BenchError::new(
                Step::Wasm,
                format!("the guest exited with status {code}"),
            )
            .with_log(&String::from_utf8_lossy(&stderr.contents()))),
            None => Err(
                BenchError::new(Step::Wasm, format!("the guest trapped: {e:?}"))
                    .with_log(&String::from_utf8_lossy(&stderr.contents())),
            ),
        },
    }
}

impl StdioHost {
    pub fn new(engine: Engine, cwasm: PathBuf, kind: WasmKind) -> BenchResult<StdioHost> {
        let mut p1_sync = wasmtime::Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut p1_sync, |t| t)
            .map_err(|e| err("linking WASI", e))?;
        let mut p1_async = wasmtime::Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut p1_async, |t| t)
            .map_err(|e| err("linking WASI", e))?;
        let mut p2_sync = wasmtime::component::Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut p2_sync).map_err(|e| err("linking WASI", e))?;
        let mut p2_async = wasmtime::component::Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut p2_async)
            .map_err(|e| err("linking WASI", e))?;
        Ok(StdioHost {
            engine,
            cwasm,
            kind,
            p1_sync,
            p1_async,
            p2_sync,
            p2_async,
        })
    }

    /// One instance from load to exit (or until `clock` is done: then its
    /// stdout closes and however the guest ends is fine), fed `input`.
    /// Returns when it started and the clock of its output.
    pub fn run(
        &self,
        input: Bytes,
        clock: LineClock,
        expect: u64,
    ) -> BenchResult<(Instant, LineClock)> {
        let clock = Arc::new(Mutex::new(clock));
        let out = ClockOut::new(clock.clone(), expect);
        let done = {
            let clock = clock.clone();
            move || clock.lock().map(|c| c.done(expect)).unwrap_or(false)
        };
        let stderr = MemoryOutputPipe::new(STDERR_CAP);
        let stdin = MemoryInputPipe::new(input);
        let started = Instant::now();
        match self.kind {
            WasmKind::Module => {
                let module = host::load_module(&self.engine, &self.cwasm)?;
                let pre = self
                    .p1_sync
                    .instantiate_pre(&module)
                    .map_err(|e| err("linking the module", e))?;
                let mut store = Store::new(&self.engine, builder(stdin, out, &stderr).build_p1());
                let instance = pre
                    .instantiate(&mut store)
                    .map_err(|e| err("instantiating the module", e))?;
                let start = instance
                    .get_typed_func::<(), ()>(&mut store, "_start")
                    .map_err(|e| err("the module has no _start (is it a WASI command?)", e))?;
                let result = start.call(&mut store, ());
                if !done() {
                    finished(result, &stderr)?;
                }
            }
            WasmKind::Component => {
                use wasmtime_wasi::p2::bindings::sync::CommandPre;
                let component = host::load_component(&self.engine, &self.cwasm)?;
                let pre = self
                    .p2_sync
                    .instantiate_pre(&component)
                    .map_err(|e| err("linking the component", e))?;
                let pre = CommandPre::new(pre)
                    .map_err(|e| err("the component is not a wasi:cli command", e))?;
                let state = CliState {
                    ctx: builder(stdin, out, &stderr).build(),
                    table: ResourceTable::new(),
                };
                let mut store = Store::new(&self.engine, state);
                let command = pre
                    .instantiate(&mut store)
                    .map_err(|e| err("instantiating the component", e))?;
                let result = command.wasi_cli_run().call_run(&mut store);
                match result {
                    Ok(Ok(())) => {}
                    _ if done() => {}
                    Ok(Err(())) => {
                        return Err(BenchError::new(
                            Step::Wasm,
                            "the component's run returned an error",
                        )
                        .with_log(&String::from_utf8_lossy(&stderr.contents())))
                    }
                    Err(e) => finished(Err(e), &stderr)?,
                }
            }
        }
        let clock = match clock.lock() {
            Ok(mut c) => std::mem::replace(&mut *c, LineClock::new(&[])),
            Err(_) => return Err(BenchError::new(Step::Wasm, "the output clock was poisoned")),
        };
        Ok((started, clock))
    }

    /// Load + instantiate + first response line, in ms, once per run.
    pub fn cold(&self, runs: u32) -> BenchResult<Vec<f64>> {
        let mut out = Vec::new();
        for _ in 0..runs {
            let (started, clock) =
                self.run(workload::requests(0, 1).into(), LineClock::new(&[]), 1)?;
            clock
                .check_first(0)
                .map_err(|e| BenchError::new(Step::Wasm, e))?;
            let first = clock.first_line_at.unwrap_or_else(Instant::now);
            out.push(first.duration_since(started).as_secs_f64() * 1000.0);
        }
        Ok(out)
    }

    pub fn calibrate(&self, n: u64) -> BenchResult<f64> {
        let (started, clock) =
            self.run(workload::requests(0, n).into(), LineClock::new(&[n]), n)?;
        expect_lines(&clock, n)?;
        Ok(workload::rate(n, Some(started), clock.mark(n)).unwrap_or(1000.0))
    }

    pub fn throughput(
        &self,
        runs: u32,
        plan: (u64, u64),
        duration: Duration,
    ) -> BenchResult<Vec<f64>> {
        let (w, m) = plan;
        let input = Bytes::from(workload::requests(0, w + m));
        let mut out = Vec::new();
        for _ in 0..runs {
            let (_, clock) = self.run(input.clone(), LineClock::windowed(w, duration), w + m)?;
            if !clock.done(w + m) {
                return Err(BenchError::new(
                    Step::Wasm,
                    format!("the guest answered {} of {} requests", clock.lines, w + m),
                ));
            }
            clock
                .check_first(0)
                .map_err(|e| BenchError::new(Step::Wasm, e))?;
            out.push(
                clock.window_rate().ok_or_else(|| {
                    BenchError::new(Step::Wasm, "the measured window has no length")
                })?,
            );
        }
        Ok(out)
    }

    /// Resident memory added per live instance: `count` instances are
    /// started and left waiting on an empty stdin, after one warm instance
    /// so that code pages shared by all are not charged to the batch.
    /// One sample (bytes per instance) per batch.
    pub async fn idle(&self, count: u32, batches: u32, timeout: Duration) -> BenchResult<Vec<f64>> {
        let mut samples = Vec::new();
        for _ in 0..batches {
            let waiting = Arc::new(AtomicU32::new(0));
            let mut tasks = vec![self.park(waiting.clone())?];
            wait_for(&waiting, 1, timeout).await?;
            let before = sysinfo::self_rss_bytes().unwrap_or(0);
            for _ in 0..count {
                tasks.push(self.park(waiting.clone())?);
            }
            wait_for(&waiting, count + 1, timeout).await?;
            let after = sysinfo::self_rss_bytes().unwrap_or(0);
            for t in &tasks {
                t.abort();
            }
            for t in tasks {
                let _ = t.await;
            }
            samples.push(after.saturating_sub(before) as f64 / f64::from(count.max(1)));
        }
        Ok(samples)
    }

    /// Starts one instance that runs until it blocks on stdin, forever.
    fn park(&self, waiting: Arc<AtomicU32>) -> BenchResult<tokio::task::JoinHandle<()>> {
        let stdin = ParkedIn::new(waiting);
        let out = ClockOut::new(Arc::new(Mutex::new(LineClock::new(&[]))), u64::MAX);
        let stderr = MemoryOutputPipe::new(STDERR_CAP);
        let engine = self.engine.clone();
        match self.kind {
            WasmKind::Module => {
                let module = host::load_module(&engine, &self.cwasm)?;
                let pre = self
                    .p1_async
                    .instantiate_pre(&module)
                    .map_err(|e| err("linking the module", e))?;
                let ctx = builder(stdin, out, &stderr).build_p1();
                Ok(tokio::spawn(async move {
                    let mut store = Store::new(&engine, ctx);
                    let Ok(instance) = pre.instantiate_async(&mut store).await else {
                        return;
                    };
                    let Ok(start) = instance.get_typed_func::<(), ()>(&mut store, "_start") else {
                        return;
                    };
                    let _ = start.call_async(&mut store, ()).await;
                }))
            }
            WasmKind::Component => {
                use wasmtime_wasi::p2::bindings::CommandPre;
                let component = host::load_component(&engine, &self.cwasm)?;
                let pre = self
                    .p2_async
                    .instantiate_pre(&component)
                    .map_err(|e| err("linking the component", e))?;
                let pre = CommandPre::new(pre)
                    .map_err(|e| err("the component is not a wasi:cli command", e))?;
                let state = CliState {
                    ctx: builder(stdin, out, &stderr).build(),
                    table: ResourceTable::new(),
                };
                Ok(tokio::spawn(async move {
                    let mut store = Store::new(&engine, state);
                    let Ok(command) = pre.instantiate_async(&mut store).await else {
                        return;
                    };
                    let _ = command.wasi_cli_run().call_run(&mut store).await;
                }))
            }
        }
    }
}

fn expect_lines(clock: &LineClock, n: u64) -> BenchResult<()> {
    if clock.lines < n {
        return Err(BenchError::new(
            Step::Wasm,
            format!("the guest answered {} of {n} requests", clock.lines),
        ));
    }
    Ok(())
}

/// Waits until `n` instances reached their first stdin read.
async fn wait_for(waiting: &AtomicU32, n: u32, timeout: Duration) -> BenchResult<()> {
    let deadline = Instant::now() + timeout;
    while waiting.load(Ordering::SeqCst) < n {
        if Instant::now() > deadline {
            return Err(BenchError::new(
                Step::Wasm,
                format!(
                    "only {} of {n} instances reached their first read of stdin within {timeout:?}",
                    waiting.load(Ordering::SeqCst)
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}
