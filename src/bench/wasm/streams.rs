//! A stdin for Wasm instances that never delivers, so an instance can be
//! parked "waiting for a request" for the density fill.

use bytes::Bytes;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use wasmtime_wasi::cli::{IsTerminal, StdinStream};
use wasmtime_wasi::p2::{InputStream, Pollable, StreamResult};

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
