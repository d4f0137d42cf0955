//! The Wasm side, on wasmtime (only with the `bench` feature): the host
//! setup (`host`), the Wasm host process the bench starts (`helper`), the
//! two workload shapes (`stdio`, `http`; `wagi` serves HTTP from a WASI
//! preview 1 command, as upstream Go builds) and a stdin that never
//! delivers (`streams`).

pub mod helper;
pub mod host;
pub mod http;
pub mod stdio;
pub mod streams;
pub mod wagi;

/// The wasmtime version compiled in, for the results.
pub const WASMTIME_VERSION: &str = "48.0.8";
