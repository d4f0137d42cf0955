//! The native build of the HTTP service, for the container image: a small
//! HTTP/1.1 server with keep-alive around the same `handle` the component
//! exports. It serves one connection at a time, like a single instance of
//! the component behind a host that runs requests in turn.
//!
//! Listens on `0.0.0.0:$PORT` (default 8080).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// Largest request head or body accepted; anything larger closes the connection.
const LIMIT: usize = 1 << 20;

fn main() {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = match TcpListener::bind(format!("0.0.0.0:{port}")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on port {port}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("listening on port {port}");
    for conn in listener.incoming().flatten() {
        let _ = conn.set_nodelay(true);
        serve(conn);
    }
}

/// Answers requests on one connection until the client closes it.
fn serve(conn: TcpStream) {
    let Ok(write_half) = conn.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(conn);
    let mut writer = std::io::BufWriter::new(write_half);
    loop {
        let Some((method, path, length, close)) = read_head(&mut reader) else {
            return;
        };
        if length > LIMIT {
            return;
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, content_type, reply) = bench_http_rust::handle(&method, &path, &body);
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            _ => "Not Found",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
            reply.len()
        );
        if writer.write_all(head.as_bytes()).is_err()
            || writer.write_all(reply.as_bytes()).is_err()
            || writer.flush().is_err()
            || close
        {
            return;
        }
    }
}

/// Reads a request line and headers: (method, path, content length, close).
fn read_head(reader: &mut impl BufRead) -> Option<(String, String, usize, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.split('?').next()?.to_string();
    let mut length = 0;
    let mut close = false;
    let mut seen = line.len();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).ok()?;
        seen += n;
        if n == 0 || seen > LIMIT {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Some((method, path, length, close));
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
}
