//! The http workload on wasmtime, inside the Wasm host process: a
//! `wasi:http/proxy` component, one fresh instance per request from the
//! pool as `wasmtime serve` does, behind a hyper HTTP/1.1 server on a
//! loopback port, so the load generator reaches it exactly as it reaches
//! the native process and the container.

use crate::bench::error::BenchResult;
use crate::bench::wasm::host::{self, err};
use bytes::Bytes;
use hyper::server::conn::http1;
use std::path::Path;
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

/// Loads the `.cwasm` and links it as a `wasi:http/proxy`.
pub fn proxy_pre(engine: &Engine, cwasm: &Path) -> BenchResult<ProxyPre<HttpState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| err("linking WASI", e))?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
        .map_err(|e| err("linking wasi:http", e))?;
    let component = host::load_component(engine, cwasm)?;
    let pre = linker
        .instantiate_pre(&component)
        .map_err(|e| err("linking the component", e))?;
    ProxyPre::new(pre).map_err(|e| {
        err(
            "the component is not a wasi:http proxy (no incoming-handler export)",
            e,
        )
    })
}

/// Serves on 127.0.0.1:`port` until the process ends: one fresh instance
/// per request.
pub async fn serve(pre: ProxyPre<HttpState>, port: u16) -> BenchResult<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| err(&format!("cannot listen on 127.0.0.1:{port}"), e))?;
    let pre = Arc::new(pre);
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| err("accepting a connection", e))?;
        let _ = stream.set_nodelay(true);
        let pre = pre.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| handle((*pre).clone(), req));
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// `ProxyPre::instantiate_async` into a fresh store, not called: ms each.
pub async fn instantiate_only(pre: &ProxyPre<HttpState>, runs: u32) -> BenchResult<Vec<f64>> {
    let mut out = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut s = store(pre.engine());
        pre.instantiate_async(&mut s)
            .await
            .map_err(|e| err("instantiating the component", e))?;
        out.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(out)
}

/// Live instances held for the density fill.
pub struct HttpParker {
    pre: ProxyPre<HttpState>,
    held: Vec<Store<HttpState>>,
}

impl HttpParker {
    pub fn new(pre: ProxyPre<HttpState>) -> HttpParker {
        HttpParker {
            pre,
            held: Vec::new(),
        }
    }

    pub async fn add(&mut self, k: u32) -> Result<(), String> {
        for _ in 0..k {
            let mut s = store(self.pre.engine());
            self.pre
                .instantiate_async(&mut s)
                .await
                .map_err(|e| format!("{e}"))?;
            self.held.push(s);
        }
        Ok(())
    }
}
