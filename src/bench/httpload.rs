//! wasmfit's HTTP/1.1 client: keep-alive connections sending the
//! workload's request and reading whole answers (content-length or
//! chunked). The load generator (`load`) runs it in a process of its own;
//! the bench itself uses it for readiness and single round trips. Only
//! loopback addresses are ever targeted.

use crate::bench::workload::Requests;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response head or body accepted.
const LIMIT: usize = 1 << 20;

/// How often readiness is polled: short, so a fast start is not rounded
/// up to the poll, and the same for every side.
pub const POLL: Duration = Duration::from_micros(100);

/// One keep-alive connection, sending one workload's requests.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    host: String,
    /// The whole request message when it is the same for every `i` (a
    /// fixed body): built once, so the generator spends its CPU, which it
    /// shares with the server on a small machine, on the socket alone.
    fixed: Option<Vec<u8>>,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(16 * 1024),
            host: addr.to_string(),
            fixed: None,
        })
    }

    /// Sends request `i` of `r` and reads its whole answer: (status, body).
    pub async fn send(&mut self, r: &Requests, i: u64) -> std::io::Result<(u16, Vec<u8>)> {
        if let Some(msg) = &self.fixed {
            self.stream.write_all(msg).await?;
            return self.read_response().await;
        }
        let body = r.body(i);
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: {}\r\n",
            r.method, r.path, self.host
        );
        for (name, value) in &r.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !body.is_empty() || r.method != "GET" {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut msg = Vec::with_capacity(head.len() + body.len());
        msg.extend_from_slice(head.as_bytes());
        msg.extend_from_slice(&body);
        self.stream.write_all(&msg).await?;
        if r.body.is_some() {
            self.fixed = Some(msg);
        }
        self.read_response().await
    }

    async fn read_response(&mut self) -> std::io::Result<(u16, Vec<u8>)> {
        let head_end = loop {
            if let Some(at) = find(&self.buf, b"\r\n\r\n") {
                break at + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| bad("malformed status line"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.lines().skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(
                        value
                            .parse::<usize>()
                            .map_err(|_| bad("bad content-length"))?,
                    );
                } else if name.eq_ignore_ascii_case("transfer-encoding") {
                    chunked = value.eq_ignore_ascii_case("chunked");
                }
            }
        }
        self.buf.drain(..head_end);
        let body = if chunked {
            self.read_chunked().await?
        } else {
            let n = length.unwrap_or(0);
            if n > LIMIT {
                return Err(bad("response too large"));
            }
            while self.buf.len() < n {
                self.fill().await?;
            }
            self.buf.drain(..n).collect()
        };
        Ok((status, body))
    }

    async fn read_chunked(&mut self) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(at) = find(&self.buf, b"\r\n") {
                    break at;
                }
                self.fill().await?;
            };
            let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| bad("bad chunk size"))?;
            if body.len() + size > LIMIT {
                return Err(bad("response too large"));
            }
            // Chunk data plus its CRLF (or, for the last chunk, the final CRLF).
            let need = line_end + 2 + size + 2;
            while self.buf.len() < need {
                self.fill().await?;
            }
            body.extend_from_slice(&self.buf[line_end + 2..line_end + 2 + size]);
            self.buf.drain(..need);
            if size == 0 {
                return Ok(body);
            }
        }
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        if self.buf.len() > LIMIT {
            return Err(bad("response too large"));
        }
        // Straight into the buffer's spare room: no zeroed chunk to copy.
        self.buf.reserve(16 * 1024);
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before the response was complete",
            ));
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// One request on a fresh connection; checks the answer. A response head
/// that is not HTTP (or a bad length) is an answer too, and a wrong one:
/// marked answered, so the wait for readiness ends on it instead of
/// retrying it until the deadline, where whichever attempt the deadline
/// cut short named the failure.
pub async fn request_once(addr: SocketAddr, r: &Requests) -> Result<(), String> {
    let mut conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
    let (status, reply) = conn.send(r, 0).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::InvalidData {
            format!("{e} [answered]")
        } else {
            e.to_string()
        }
    })?;
    r.check(0, Some(status), &reply)
        .map_err(|e| format!("{e} [answered]"))
}

/// Retries request 0 until it gets an answer or `deadline` passes; returns
/// when the first good answer arrived. A server that is not listening yet
/// (or a proxy in front of one) refuses or drops the connection: that is
/// retried. A complete answer that fails the check is final.
pub async fn first_response(
    addr: SocketAddr,
    r: &Requests,
    deadline: Instant,
) -> Result<Instant, String> {
    let mut last = String::from("no attempt made");
    while Instant::now() < deadline {
        if crate::bench::reap::stopping() {
            return Err("stopped".to_string());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, request_once(addr, r)).await {
            Ok(Ok(())) => return Ok(Instant::now()),
            Ok(Err(e)) if e.ends_with("[answered]") => {
                return Err(e.trim_end_matches(" [answered]").to_string())
            }
            Ok(Err(e)) => last = e,
            Err(_) => last = "timed out".to_string(),
        }
        tokio::time::sleep(POLL).await;
    }
    Err(format!(
        "no answer on {addr}{} within the timeout: {last}",
        r.path
    ))
}

/// One request on an open connection, timed: ms.
pub async fn round_trip(conn: &mut Conn, r: &Requests, i: u64) -> Result<f64, String> {
    let started = Instant::now();
    let (status, reply) = conn.send(r, i).await.map_err(|e| e.to_string())?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    r.check(i, Some(status), &reply)?;
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bench::Workload;
    use tokio::net::TcpListener;

    /// A server answering every request the same way.
    pub async fn tiny_server(reply: &'static [u8]) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {
                                if s.write_all(reply).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn reads_content_length_and_chunked() {
        let strict = Requests::from_flags(Workload::Http, None, Some("id")).unwrap();
        let addr = tiny_server(b"HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n{\"id\":0}").await;
        request_once(addr, &strict).await.unwrap();
        let addr = tiny_server(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"id\r\n4\r\n\":0}\r\n0\r\n\r\n",
        )
        .await;
        request_once(addr, &strict).await.unwrap();
    }

    #[tokio::test]
    async fn errors_and_refusals_are_reported() {
        let get = Requests::default_for(Workload::Http);
        let addr = tiny_server(b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno\n").await;
        let e = first_response(addr, &get, Instant::now() + Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.contains("404") && e.contains("--request"), "{e}");
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let deadline = Instant::now() + Duration::from_millis(50);
        assert!(first_response(closed, &get, deadline).await.is_err());
    }

    #[tokio::test]
    async fn an_answer_that_is_not_http_ends_the_wait() {
        let get = Requests::default_for(Workload::Http);
        let addr = tiny_server(b"%%garbage%%\r\n\r\n").await;
        let started = Instant::now();
        let e = first_response(addr, &get, started + Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(e.contains("malformed"), "{e}");
        // Decided on the first answer, not by the deadline.
        assert!(started.elapsed() < Duration::from_secs(20), "{e}");
    }
}
