//! Custom stdio for Wasm instances: a stdout that times its lines with the
//! same `LineClock` the native and container sides use, and a stdin that
//! never delivers, so an instance can be parked "waiting for a request" to
//! measure its idle memory.

use crate::bench::workload::LineClock;
use bytes::Bytes;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use wasmtime_wasi::cli::{IsTerminal, StdinStream, StdoutStream};
use wasmtime_wasi::p2::{InputStream, OutputStream, Pollable, StreamError, StreamResult};

/// stdout feeding a shared `LineClock`. Once the clock is done (`expect`
/// lines, or its throughput window closed) the stream reports itself closed,
/// so the guest stops as a process would on a closed pipe.
#[derive(Clone)]
pub struct ClockOut {
    pub clock: Arc<Mutex<LineClock>>,
    pub expect: u64,
}

impl ClockOut {
    pub fn new(clock: Arc<Mutex<LineClock>>, expect: u64) -> ClockOut {
        ClockOut { clock, expect }
    }

    /// Observes `bytes`; false when the clock was already done.
    fn observe(&self, bytes: &[u8]) -> bool {
        match self.clock.lock() {
            Ok(mut clock) if !clock.done(self.expect) => {
                clock.observe(bytes);
                true
            }
            _ => false,
        }
    }

    fn open(&self) -> bool {
        self.clock
            .lock()
            .map(|c| !c.done(self.expect))
            .unwrap_or(false)
    }
}

impl IsTerminal for ClockOut {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ClockOut {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for ClockOut {
    async fn ready(&mut self) {}
}

impl OutputStream for ClockOut {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        if self.observe(&bytes) {
            Ok(())
        } else {
            Err(StreamError::Closed)
        }
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        if self.open() {
            Ok(1 << 20)
        } else {
            Err(StreamError::Closed)
        }
    }
}

impl AsyncWrite for ClockOut {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.observe(buf) {
            Poll::Ready(Ok(buf.len()))
        } else {
            Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()))
        }
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// stdin with no data, ever: reads wait forever. `waiting` counts the
/// instances that reached their first read, i.e. finished starting up.
#[derive(Clone)]
pub struct ParkedIn {
    pub waiting: Arc<AtomicU32>,
    counted: bool,
}

impl ParkedIn {
    pub fn new(waiting: Arc<AtomicU32>) -> ParkedIn {
        ParkedIn {
            waiting,
            counted: false,
        }
    }

    fn arrive(&mut self) {
        if !self.counted {
            self.counted = true;
            self.waiting.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl IsTerminal for ParkedIn {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdinStream for ParkedIn {
    fn p2_stream(&self) -> Box<dyn InputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn AsyncRead + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for ParkedIn {
    async fn ready(&mut self) {
        self.arrive();
        std::future::pending::<()>().await
    }
}

impl InputStream for ParkedIn {
    fn read(&mut self, _size: usize) -> StreamResult<Bytes> {
        self.arrive();
        Ok(Bytes::new())
    }
}

impl AsyncRead for ParkedIn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.arrive();
        Poll::Pending
    }
}
