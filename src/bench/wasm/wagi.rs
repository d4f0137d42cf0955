//! HTTP for a WASI preview 1 command, the only Wasm that upstream Go
//! builds (`GOOS=wasip1`: no sockets, no wasi:http): WAGI, CGI over WASI,
//! as Spin's WAGI executor runs it. One fresh instance per request, from
//! the pool as for `wasmtime serve`: the request goes in as CGI
//! environment variables (RFC 3875) and stdin, the CGI response comes back
//! on stdout. A Go service serves it with `net/http/cgi` (`cgi.Serve`)
//! when built for wasip1, with the same handlers as its native server.

use crate::bench::error::BenchResult;
use crate::bench::wasm::host::err;
use crate::bench::wasm::stdio::{self, Pre};
use crate::bench::workload::Requests;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::server::conn::http1;
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi_http::io::TokioIo;

/// Largest request body passed to an instance, and largest response read
/// back from its stdout.
const MAX_BODY: usize = 16 << 20;

/// The CGI meta-variables of one request (RFC 3875 section 4.1), with
/// every header as `HTTP_*` as WAGI passes them.
pub fn cgi_env(
    parts: &hyper::http::request::Parts,
    body_len: usize,
    port: u16,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("GATEWAY_INTERFACE".to_string(), "CGI/1.1".to_string()),
        ("SERVER_SOFTWARE".to_string(), "wasmfit-bench".to_string()),
        ("SERVER_PROTOCOL".to_string(), "HTTP/1.1".to_string()),
        ("SERVER_NAME".to_string(), "127.0.0.1".to_string()),
        ("SERVER_PORT".to_string(), port.to_string()),
        ("REMOTE_ADDR".to_string(), "127.0.0.1".to_string()),
        (
            "REQUEST_METHOD".to_string(),
            parts.method.as_str().to_string(),
        ),
        ("SCRIPT_NAME".to_string(), String::new()),
        ("PATH_INFO".to_string(), parts.uri.path().to_string()),
        (
            "QUERY_STRING".to_string(),
            parts.uri.query().unwrap_or("").to_string(),
        ),
        (
            "REQUEST_URI".to_string(),
            parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string(),
        ),
    ];
    if body_len > 0 || parts.headers.contains_key(hyper::header::CONTENT_LENGTH) {
        env.push(("CONTENT_LENGTH".to_string(), body_len.to_string()));
    }
    for (name, value) in &parts.headers {
        let Ok(value) = value.to_str() else { continue };
        let key = match name.as_str() {
            "content-type" => "CONTENT_TYPE".to_string(),
            "content-length" => continue,
            n => format!("HTTP_{}", n.to_ascii_uppercase().replace('-', "_")),
        };
        env.push((key, value.to_string()));
    }
    env
}

/// The CGI variables of the run's first request, as the instance serving
/// it sees them (port 0: none is listening).
pub fn request_env(r: &Requests) -> Vec<(String, String)> {
    let mut req = hyper::Request::builder()
        .method(r.method.as_str())
        .uri(r.path.as_str());
    for (n, v) in &r.headers {
        req = req.header(n.as_str(), v.as_str());
    }
    match req.body(()) {
        Ok(req) => cgi_env(&req.into_parts().0, r.body(0).len(), 0),
        Err(_) => Vec::new(),
    }
}

/// A parsed CGI response: status code, headers, body.
pub type CgiResponse = (u16, Vec<(String, String)>, Bytes);

/// A CGI response: the header block up to the first blank line (`Status:`
/// sets the code, a `Location:` alone means 302), then the body.
pub fn parse_cgi(out: &[u8]) -> Result<CgiResponse, String> {
    let (head, body) = match memchr::memmem::find(out, b"\r\n\r\n") {
        Some(i) => (&out[..i], &out[i + 4..]),
        None => match memchr::memmem::find(out, b"\n\n") {
            Some(i) => (&out[..i], &out[i + 2..]),
            None => {
                return Err(format!(
                    "no CGI header block on stdout ({} byte(s) written; a WASI preview 1 \
                     service answers HTTP as CGI here, e.g. Go's net/http/cgi)",
                    out.len()
                ))
            }
        },
    };
    let head = std::str::from_utf8(head).map_err(|_| "the CGI header block is not UTF-8")?;
    let mut status = None;
    let mut location = false;
    let mut headers = Vec::new();
    for line in head.lines().map(|l| l.trim_end_matches('\r')) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("a CGI header line has no colon: {line:?}"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or("");
            status = Some(
                code.parse::<u16>()
                    .ok()
                    .filter(|c| (100..1000).contains(c))
                    .ok_or_else(|| format!("bad CGI status {value:?}"))?,
            );
        } else {
            location |= name.eq_ignore_ascii_case("location");
            headers.push((name.to_string(), value.to_string()));
        }
    }
    let status = status.unwrap_or(if location { 302 } else { 200 });
    Ok((status, headers, Bytes::copy_from_slice(body)))
}

/// Runs one fresh instance for the request; its CGI response as HTTP.
async fn handle(
    engine: Engine,
    pre: Arc<Pre>,
    port: u16,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, String> {
    let (parts, body) = req.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| format!("reading the request body: {e}"))?
        .to_bytes();
    let env = cgi_env(&parts, body.len(), port);
    let stdout = MemoryOutputPipe::new(MAX_BODY);
    let captured = stdout.clone();
    let ran = tokio::task::spawn_blocking(move || {
        let mut ctx = stdio::base_ctx();
        ctx.envs(&env)
            .stdin(MemoryInputPipe::new(body))
            .stdout(stdout)
            .inherit_stderr();
        stdio::run_one(&engine, &pre, ctx)
    })
    .await
    .map_err(|e| format!("the instance's task failed: {e}"))?;
    let answer = match ran {
        Ok(0) => parse_cgi(&captured.contents()),
        Ok(code) => Err(format!("the instance exited with status {code}")),
        Err(e) => Err(e),
    };
    let mut resp = hyper::Response::builder();
    let body = match answer {
        Ok((status, headers, body)) => {
            resp = resp.status(status);
            for (n, v) in headers {
                resp = resp.header(n, v);
            }
            body
        }
        // Said to the client, so a failing first answer names the cause.
        Err(e) => {
            resp = resp.status(502);
            Bytes::from(format!("wasmfit WAGI host: {e}\n"))
        }
    };
    resp.body(Full::new(body))
        .map_err(|e| format!("building the response: {e}"))
}

/// Serves on 127.0.0.1:`port` until the process ends.
pub async fn serve(engine: Engine, pre: Pre, port: u16) -> BenchResult<()> {
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
        let (engine, pre) = (engine.clone(), pre.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                handle(engine.clone(), pre.clone(), port, req)
            });
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(req: hyper::Request<()>) -> hyper::http::request::Parts {
        req.into_parts().0
    }

    #[test]
    fn the_request_becomes_cgi_variables() {
        let p = parts(
            hyper::Request::post("/transform?x=1")
                .header("content-type", "application/json")
                .header("x-trace-id", "7")
                .body(())
                .unwrap(),
        );
        let env = cgi_env(&p, 12, 8080);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("REQUEST_METHOD"), Some("POST"));
        assert_eq!(get("PATH_INFO"), Some("/transform"));
        assert_eq!(get("QUERY_STRING"), Some("x=1"));
        assert_eq!(get("REQUEST_URI"), Some("/transform?x=1"));
        assert_eq!(get("CONTENT_LENGTH"), Some("12"));
        assert_eq!(get("CONTENT_TYPE"), Some("application/json"));
        assert_eq!(get("HTTP_X_TRACE_ID"), Some("7"));
        assert_eq!(get("HTTP_CONTENT_TYPE"), None);
        let bare = cgi_env(&parts(hyper::Request::get("/").body(()).unwrap()), 0, 1);
        assert!(!bare.iter().any(|(n, _)| n == "CONTENT_LENGTH"));
    }

    #[test]
    fn a_cgi_response_becomes_http() {
        let (s, h, b) =
            parse_cgi(b"Status: 201 Created\r\nContent-Type: application/json\r\n\r\n{}\n")
                .unwrap();
        assert_eq!((s, b.as_ref()), (201, &b"{}\n"[..]));
        assert_eq!(
            h,
            vec![("Content-Type".to_string(), "application/json".to_string())]
        );
        let (s, _, b) = parse_cgi(b"Content-Type: text/plain\n\nhi").unwrap();
        assert_eq!((s, b.as_ref()), (200, &b"hi"[..]));
        assert_eq!(parse_cgi(b"Location: /x\r\n\r\n").unwrap().0, 302);
        assert!(parse_cgi(b"hello, no headers")
            .unwrap_err()
            .contains("net/http/cgi"));
        assert!(parse_cgi(b"Status: abc\r\n\r\n").is_err());
        assert!(parse_cgi(b"no colon\r\n\r\n").is_err());
    }
}
