//! The native build of the HTTP service, for the container image: a small
//! HTTP/1.1 server with keep-alive around the same `handle` the component
//! exports. One thread serves every connection (non-blocking sockets, read
//! and answer in turn), so several clients are served side by side as the
//! Wasm host serves them.
//!
//! Listens on `0.0.0.0:$PORT` (default 8080).

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// Largest request head or body accepted; anything larger closes the connection.
const LIMIT: usize = 1 << 20;

struct Conn {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    close: bool,
}

fn main() {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = match TcpListener::bind(format!("0.0.0.0:{port}")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on port {port}: {e}");
            std::process::exit(1);
        }
    };
    if listener.set_nonblocking(true).is_err() {
        std::process::exit(1);
    }
    eprintln!("listening on port {port}");
    let mut conns: Vec<Conn> = Vec::new();
    let mut idle_rounds = 0u32;
    loop {
        let mut progress = false;
        while let Ok((stream, _)) = listener.accept() {
            let _ = stream.set_nodelay(true);
            if stream.set_nonblocking(true).is_ok() {
                conns.push(Conn {
                    stream,
                    input: Vec::new(),
                    output: Vec::new(),
                    close: false,
                });
                progress = true;
            }
        }
        conns.retain_mut(|c| step(c, &mut progress));
        // Nothing to do: back off a little so an idle server uses no CPU.
        if progress {
            idle_rounds = 0;
        } else {
            idle_rounds = idle_rounds.saturating_add(1);
            if idle_rounds > 64 {
                std::thread::sleep(Duration::from_micros(200));
            } else {
                std::thread::yield_now();
            }
        }
    }
}

/// Reads what is there, answers every complete request, writes what it
/// can; false when the connection is done.
fn step(c: &mut Conn, progress: &mut bool) -> bool {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match c.stream.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                c.input.extend_from_slice(&buf[..n]);
                *progress = true;
                if c.input.len() > LIMIT {
                    return false;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    while let Some((method, path, body_start, length, close)) = parse_head(&c.input) {
        if length > LIMIT {
            return false;
        }
        if c.input.len() < body_start + length {
            break;
        }
        let body = c.input[body_start..body_start + length].to_vec();
        c.input.drain(..body_start + length);
        let (status, content_type, reply) = bench_http_rust::handle(&method, &path, &body);
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            _ => "Not Found",
        };
        c.output.extend_from_slice(
            format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{reply}",
                reply.len()
            )
            .as_bytes(),
        );
        c.close |= close;
    }
    while !c.output.is_empty() {
        match c.stream.write(&c.output) {
            Ok(0) => return false,
            Ok(n) => {
                c.output.drain(..n);
                *progress = true;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return false,
        }
    }
    !c.close
}

/// A complete request head at the start of `input`: (method, path, where
/// the body starts, content length, close).
fn parse_head(input: &[u8]) -> Option<(String, String, usize, usize, bool)> {
    let end = input.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&input[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.split('?').next()?.to_string();
    let mut length = 0;
    let mut close = false;
    for header in lines {
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    Some((method, path, end + 4, length, close))
}
