//! The http workload on wasmtime: a `wasi:http/proxy` component, one fresh
//! instance per request from the pool as `wasmtime serve` does, behind a
//! hyper HTTP/1.1 server on a loopback port, so wasmfit's load generator
//! reaches it exactly as it reaches the native process and the container.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::sysinfo;
use crate::bench::wasm::host::{self, err};
use crate::bench::workload;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::{
    RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView,
};

pub struct HttpState {
    ctx: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: NoOutgoing,
}

/// The benchmarked component only answers: outgoing requests are refused
/// (and no TLS client is compiled in for them).
struct NoOutgoing;

type IoFuture = Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>;

impl WasiHttpHooks for NoOutgoing {
    fn send_request(
        &mut self,
        _request: hyper::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<
        dyn std::future::Future<
                Output = Result<(hyper::Response<WasiBody>, IoFuture), wasmtime_wasi_http::Error>,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

impl WasiView for HttpState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HttpState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

fn store(engine: &Engine) -> Store<HttpState> {
    Store::new(
        engine,
        HttpState {
            ctx: WasiCtx::builder().build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: NoOutgoing,
        },
    )
}

pub struct HttpHost {
    engine: Engine,
    cwasm: PathBuf,
    linker: Linker<HttpState>,
}

/// Serves one request with a fresh instance.
async fn handle<B>(
    pre: ProxyPre<HttpState>,
    req: hyper::Request<B>,
) -> wasmtime::Result<hyper::Response<HyperOutgoingBody>>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<wasmtime_wasi_http::Error>,
{
    let mut store = store(pre.engine());
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let req = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    // The guest may go on writing the body after it has set the response,
    // so it runs in its own task.
    let task = tokio::task::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, req, out)
            .await
    });
    match receiver.await {
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err(e)) => Err(wasmtime::format_err!(
            "the guest answered with an error: {e:?}"
        )),
        Err(_) => match task.await {
            Ok(Ok(())) => Err(wasmtime::format_err!("the guest never set a response")),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(wasmtime::format_err!("the guest task failed: {e}")),
        },
    }
}

/// A server running on its own runtime, so the guest does not share
/// threads with the load generator. Stops when dropped.
pub struct Server {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            // Dropping a runtime inside another one would block: let it go.
            rt.shutdown_background();
        }
    }
}

impl HttpHost {
    pub fn new(engine: Engine, cwasm: PathBuf) -> BenchResult<HttpHost> {
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| err("linking WASI", e))?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|e| err("linking wasi:http", e))?;
        Ok(HttpHost {
            engine,
            cwasm,
            linker,
        })
    }

    fn pre(&self) -> BenchResult<ProxyPre<HttpState>> {
        let component = host::load_component(&self.engine, &self.cwasm)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| err("linking the component", e))?;
        ProxyPre::new(pre).map_err(|e| {
            err(
                "the component is not a wasi:http proxy (no incoming-handler export)",
                e,
            )
        })
    }

    /// Load + instantiate + answer one request in-process, in ms per run:
    /// what a host pays to serve a request with code it had not loaded.
    pub async fn cold(&self, path: &str, runs: u32) -> BenchResult<Vec<f64>> {
        let mut out = Vec::new();
        for _ in 0..runs {
            let body = workload::request(0);
            let started = Instant::now();
            let pre = self.pre()?;
            let req = hyper::Request::builder()
                .method("POST")
                .uri(format!("http://localhost{path}"))
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.trim_end().to_string())).map_err(
                    |never: std::convert::Infallible| -> wasmtime_wasi_http::Error {
                        match never {}
                    },
                ))
                .map_err(|e| err("building the request", e))?;
            let resp = handle(pre, req)
                .await
                .map_err(|e| err("the component failed to answer", format!("{e:?}")))?;
            let status = resp.status();
            let bytes = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| err("reading the component's answer", format!("{e:?}")))?
                .to_bytes();
            let elapsed = started.elapsed();
            if !status.is_success() || !workload::answers(&bytes, 0) {
                return Err(BenchError::new(
                    Step::Wasm,
                    format!(
                        "the component answered HTTP {status}: {}",
                        String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                    ),
                ));
            }
            out.push(elapsed.as_secs_f64() * 1000.0);
        }
        Ok(out)
    }

    /// Starts serving on 127.0.0.1 with `threads` worker threads.
    pub fn serve(&self, threads: usize) -> BenchResult<Server> {
        let pre = self.pre()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .enable_all()
            .build()
            .map_err(|e| err("cannot start the server runtime", e))?;
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| err("cannot listen", e))?;
        let addr = std_listener
            .local_addr()
            .map_err(|e| err("cannot listen", e))?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| err("cannot listen", e))?;
        let pre = Arc::new(pre);
        runtime.spawn(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                return;
            };
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let pre = pre.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req| handle((*pre).clone(), req));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Server {
            addr,
            runtime: Some(runtime),
        })
    }

    /// Resident memory added per live instance: `count` instances that have
    /// each answered one request (as the native and container servers have
    /// before theirs are read) and are held at once, after one warm
    /// instance so code shared by all is not charged. One sample per batch.
    /// Instances stay alive across batches: a batch that could reuse the
    /// heap and pool slots an earlier batch freed would hide its own cost.
    pub async fn idle(&self, path: &str, count: u32, batches: u32) -> BenchResult<Vec<f64>> {
        let pre = self.pre()?;
        let mut samples = Vec::new();
        let mut held = vec![answered(&pre, path).await?];
        for _ in 0..batches {
            let before = sysinfo::self_rss_bytes().unwrap_or(0);
            for _ in 0..count {
                held.push(answered(&pre, path).await?);
            }
            let after = sysinfo::self_rss_bytes().unwrap_or(0);
            samples.push(after.saturating_sub(before) as f64 / f64::from(count.max(1)));
        }
        drop(held);
        Ok(samples)
    }
}

/// A fresh instance that has answered one request, kept alive with its store.
async fn answered(pre: &ProxyPre<HttpState>, path: &str) -> BenchResult<Store<HttpState>> {
    let mut store = store(pre.engine());
    let body = workload::request(0);
    let req = hyper::Request::builder()
        .method("POST")
        .uri(format!("http://localhost{path}"))
        .body(Full::new(Bytes::from(body.trim_end().to_string())).map_err(
            |never: std::convert::Infallible| -> wasmtime_wasi_http::Error { match never {} },
        ))
        .map_err(|e| err("building the request", e))?;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let req = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, req)
        .map_err(|e| err("passing the request", e))?;
    let out = store
        .data_mut()
        .http()
        .new_response_outparam(sender)
        .map_err(|e| err("passing the request", e))?;
    let proxy = pre
        .instantiate_async(&mut store)
        .await
        .map_err(|e| err("instantiating the component", e))?;
    // The body is read while the guest writes it, so a large answer cannot
    // stall the guest on a full buffer.
    let read = async {
        let resp = receiver.await.ok()?.ok()?;
        resp.into_body().collect().await.ok().map(|b| b.to_bytes())
    };
    let (called, answer) = tokio::join!(
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, req, out),
        read
    );
    called.map_err(|e| err("the component failed to answer", format!("{e:?}")))?;
    match answer {
        Some(bytes) if workload::answers(&bytes, 0) => Ok(store),
        _ => Err(BenchError::new(
            Step::Wasm,
            "the component gave no good answer",
        )),
    }
}
