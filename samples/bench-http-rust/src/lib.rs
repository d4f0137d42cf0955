//! The HTTP benchmark service: `POST /transform` with one JSON request as the
//! body answers one transformed JSON response; `GET /health` answers `ok`;
//! `GET /` answers a small JSON greeting.
//!
//! Request:  {"id":7,"name":"ada","values":[1,2,3]}
//! Response: {"id":7,"name":"ADA","sum":6,"count":3}
//!
//! The same `handle` serves both builds: a `wasi:http/incoming-handler`
//! component for wasm32-wasip2 (below) and the native server in
//! `src/bin/server.rs` for the container image.

/// Answers one request: (status, content type, body).
pub fn handle(method: &str, path: &str, body: &[u8]) -> (u16, &'static str, String) {
    match (method, path) {
        ("GET", "/health") => (200, "text/plain", "ok\n".to_string()),
        ("GET", "/") => (
            200,
            "application/json",
            "{\"service\":\"bench-http-rust\"}\n".to_string(),
        ),
        ("POST", "/transform") => match std::str::from_utf8(body).ok().and_then(transform) {
            Some(reply) => (200, "application/json", reply),
            None => (
                400,
                "application/json",
                "{\"error\":\"bad request\"}\n".to_string(),
            ),
        },
        _ => (404, "text/plain", "not found\n".to_string()),
    }
}

/// Turns one request document into one response document (with a newline).
pub fn transform(doc: &str) -> Option<String> {
    let id = number_after(doc, "\"id\":")?;
    let name = string_after(doc, "\"name\":\"")?;
    let values = list_after(doc, "\"values\":[")?;
    let sum: i64 = values.iter().sum();
    Some(format!(
        "{{\"id\":{id},\"name\":\"{}\",\"sum\":{sum},\"count\":{}}}\n",
        name.to_ascii_uppercase(),
        values.len()
    ))
}

fn number_after(doc: &str, key: &str) -> Option<i64> {
    let rest = &doc[doc.find(key)? + key.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn string_after<'a>(doc: &'a str, key: &str) -> Option<&'a str> {
    let rest = &doc[doc.find(key)? + key.len()..];
    Some(&rest[..rest.find('"')?])
}

fn list_after(doc: &str, key: &str) -> Option<Vec<i64>> {
    let rest = &doc[doc.find(key)? + key.len()..];
    let body = rest[..rest.find(']')?].trim();
    if body.is_empty() {
        return Some(Vec::new());
    }
    body.split(',').map(|v| v.trim().parse().ok()).collect()
}

#[cfg(target_os = "wasi")]
mod component {
    //! The `wasi:http/incoming-handler` export: reads the whole body, calls
    //! `handle`, writes the answer.

    use wasi::http::types::{
        Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
    };

    struct Service;

    wasi::http::proxy::export!(Service);

    impl wasi::exports::http::incoming_handler::Guest for Service {
        fn handle(request: IncomingRequest, out: ResponseOutparam) {
            let method = match request.method() {
                Method::Get => "GET",
                Method::Post => "POST",
                _ => "OTHER",
            };
            let path = request.path_with_query().unwrap_or_default();
            let path = path.split('?').next().unwrap_or("");
            let body = read_body(&request).unwrap_or_default();
            let (status, content_type, reply) = super::handle(method, path, &body);

            let headers = Fields::new();
            let _ = headers.set("content-type", &[content_type.as_bytes().to_vec()]);
            let response = OutgoingResponse::new(headers);
            let _ = response.set_status_code(status);
            let Ok(out_body) = response.body() else {
                return;
            };
            ResponseOutparam::set(out, Ok(response));
            if let Ok(stream) = out_body.write() {
                let _ = stream.blocking_write_and_flush(reply.as_bytes());
            }
            let _ = OutgoingBody::finish(out_body, None);
        }
    }

    fn read_body(request: &IncomingRequest) -> Option<Vec<u8>> {
        let body = request.consume().ok()?;
        let stream = body.stream().ok()?;
        let mut data = Vec::new();
        // Bounded: a benchmark request is a few dozen bytes.
        while data.len() < 1 << 20 {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => data.extend_from_slice(&chunk),
                Err(_) => break,
            }
        }
        Some(data)
    }
}
