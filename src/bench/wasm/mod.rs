//! The Wasm side, on an embedded wasmtime (only with the `bench` feature):
//! the host setup (`host`), custom stdio (`streams`) and the two workload
//! shapes (`stdio`, `http`).

pub mod host;
pub mod http;
pub mod stdio;
pub mod streams;

/// The wasmtime version compiled in, for the results.
pub const WASMTIME_VERSION: &str = "48.0.8";
