//! wasmfit's own HTTP/1.1 load generator: keep-alive connections sending
//! `POST <path>` with the workload's JSON body, as fast as answers come, for
//! a fixed window after a warm-up. Small on purpose, so its cost per request
//! is the same whoever answers (native, container or wasmtime) and it needs
//! no extra tool. Only loopback addresses are ever targeted.

use crate::bench::workload;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response head or body accepted.
const LIMIT: usize = 1 << 20;

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    host: String,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(8192),
            host: addr.to_string(),
        })
    }

    /// Sends one request and reads its whole answer: (status, body).
    pub async fn post(&mut self, path: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut msg = Vec::with_capacity(head.len() + body.len());
        msg.extend_from_slice(head.as_bytes());
        msg.extend_from_slice(body);
        self.stream.write_all(&msg).await?;
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
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed before the response was complete",
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// One request on a fresh connection; checks the answer.
pub async fn request_once(addr: SocketAddr, path: &str, id: u64) -> Result<(), String> {
    let mut conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
    let body = workload::request(id);
    let (status, reply) = conn
        .post(path, body.trim_end().as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    check(status, &reply, id)
}

fn check(status: u16, reply: &[u8], id: u64) -> Result<(), String> {
    if !(200..300).contains(&status) {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&reply[..reply.len().min(200)])
        ));
    }
    if !workload::answers(reply, id) {
        return Err(format!(
            "the response does not answer request {id}: {}",
            String::from_utf8_lossy(&reply[..reply.len().min(200)])
        ));
    }
    Ok(())
}

/// Retries one request until it succeeds or `deadline` passes; returns when
/// the first good answer arrived. A server that is not listening yet (or a
/// proxy in front of one) refuses or drops the connection: that is retried.
pub async fn first_response(
    addr: SocketAddr,
    path: &str,
    deadline: Instant,
) -> Result<Instant, String> {
    let mut last = String::from("no attempt made");
    while Instant::now() < deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, request_once(addr, path, 0)).await {
            Ok(Ok(())) => return Ok(Instant::now()),
            Ok(Err(e)) => last = e,
            Err(_) => last = "timed out".to_string(),
        }
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    Err(format!("no answer on {addr}{path}: {last}"))
}

#[derive(Clone, Copy, Debug, Default)]
pub struct LoadResult {
    /// Good answers completed inside the measured window.
    pub measured: u64,
    pub errors: u64,
    pub window: Duration,
}

impl LoadResult {
    pub fn rate(&self) -> f64 {
        self.measured as f64 / self.window.as_secs_f64().max(1e-9)
    }
}

/// Runs `connections` keep-alive clients for `warmup + duration` and counts
/// the good answers completed in the last `duration`.
pub async fn load(
    addr: SocketAddr,
    path: &str,
    connections: u32,
    warmup: Duration,
    duration: Duration,
) -> Result<LoadResult, String> {
    let start = Instant::now();
    let window_start = start + warmup;
    let end = window_start + duration;
    let mut tasks = Vec::new();
    for c in 0..connections.max(1) {
        let path = path.to_string();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
            let (mut measured, mut errors) = (0u64, 0u64);
            // Ids interleave across connections so every request is distinct.
            let mut id = u64::from(c);
            let step = u64::from(connections.max(1));
            while Instant::now() < end {
                let body = workload::request(id);
                let answer = tokio::time::timeout_at(
                    end.into(),
                    conn.post(&path, body.trim_end().as_bytes()),
                )
                .await;
                // The window closed while waiting: that answer does not count.
                let Ok(answer) = answer else { break };
                let (status, reply) = answer.map_err(|e| e.to_string())?;
                let done = Instant::now();
                match check(status, &reply, id) {
                    Ok(()) if done >= window_start && done <= end => measured += 1,
                    Ok(()) => {}
                    Err(_) => errors += 1,
                }
                id += step;
            }
            Ok::<_, String>((measured, errors))
        }));
    }
    let mut result = LoadResult {
        window: duration,
        ..LoadResult::default()
    };
    for t in tasks {
        let (m, e) = t.await.map_err(|e| e.to_string())??;
        result.measured += m;
        result.errors += e;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A one-connection server answering every request the same way.
    async fn tiny_server(reply: &'static [u8]) -> SocketAddr {
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
        let addr = tiny_server(b"HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n{\"id\":0}").await;
        request_once(addr, "/transform", 0).await.unwrap();
        let addr = tiny_server(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{\"id\r\n4\r\n\":0}\r\n0\r\n\r\n",
        )
        .await;
        request_once(addr, "/transform", 0).await.unwrap();
    }

    #[tokio::test]
    async fn errors_and_refusals_are_reported() {
        let addr = tiny_server(b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\nno\n").await;
        assert!(request_once(addr, "/x", 0)
            .await
            .unwrap_err()
            .contains("404"));
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let deadline = Instant::now() + Duration::from_millis(50);
        assert!(first_response(closed, "/transform", deadline)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn load_counts_answers_in_the_window() {
        let addr = tiny_server(b"HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n{\"id\":0}").await;
        // Only id 0 matches, so later requests count as errors: the counts
        // must still add up and the call must end on time.
        let r = load(
            addr,
            "/t",
            1,
            Duration::from_millis(10),
            Duration::from_millis(50),
        )
        .await
        .unwrap();
        assert!(r.errors > 0);
    }
}
