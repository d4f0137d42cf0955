//! The Wasm side, on wasmtime (only with the `bench` feature): the host
//! setup (`host`), the Wasm host process the bench starts (`helper`), the
//! two workload shapes (`stdio`, `http`) and a stdin that never delivers
//! (`streams`).

pub mod helper;
pub mod host;
pub mod http;
pub mod stdio;
pub mod streams;

/// The wasmtime version compiled in, for the results.
pub const WASMTIME_VERSION: &str = "48.0.8";
