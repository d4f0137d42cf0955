//! `wasmfit bench`: builds a service as its container image and as a Wasm
//! port, runs the same workload on both (and on the native binary as the
//! reference), and returns the figures side by side. The library measures
//! and returns `model::BenchResults`; printing is `report::bench`'s job.
//!
//! The wasmtime side needs the `bench` cargo feature; without it the
//! native and container sides still run and the results say why the Wasm
//! side is missing.

pub mod compare;
pub mod container;
pub mod detect;
pub mod docker;
pub mod error;
pub mod httpload;
pub mod native;
mod runner;
pub mod sysinfo;
pub mod toolchain;
#[cfg(feature = "bench")]
pub mod wasm;
pub mod workload;

pub use crate::model::bench::{BenchResults, Workload};
pub use error::{BenchError, BenchResult, Step};
pub use runner::run;
pub use toolchain::WasmTarget;

use std::path::PathBuf;
use std::time::Duration;

/// Whether this build embeds wasmtime.
pub const WASM_ENABLED: bool = cfg!(feature = "bench");

/// Which sides to measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sides {
    pub native: bool,
    pub container: bool,
    pub wasm: bool,
}

impl Default for Sides {
    fn default() -> Self {
        Sides {
            native: true,
            container: true,
            wasm: true,
        }
    }
}

/// Everything `run` needs; the CLI fills it from flags.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// A service directory or a `.wasm` file.
    pub path: PathBuf,
    /// Overrides the detected workload shape.
    pub workload: Option<Workload>,
    /// Overrides the default target (wasip1 for stdio, wasip2 for http).
    pub wasm_target: Option<WasmTarget>,
    pub sides: Sides,
    pub cold_runs: u32,
    pub throughput_runs: u32,
    pub duration: Duration,
    pub warmup: Duration,
    /// Instances held at once for the Wasm idle-memory figure.
    pub wasm_idle: u32,
    /// Containers (and native processes) held at once for theirs.
    pub container_idle: u32,
    /// HTTP only: concurrent keep-alive connections of the load generator.
    pub connections: u32,
    /// HTTP only: the path requests are posted to.
    pub http_path: String,
    /// Where builds and AOT code are cached; default: the user cache dir.
    pub cache_dir: Option<PathBuf>,
    /// Upper bound for one run (one container start, one throughput run).
    pub timeout: Duration,
    /// Labels this run's Docker objects (`wasmfit.bench.run`); default: a
    /// fresh id from the process id and the clock.
    pub run_id: Option<String>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            path: PathBuf::from("."),
            workload: None,
            wasm_target: None,
            sides: Sides::default(),
            cold_runs: 20,
            throughput_runs: 5,
            duration: Duration::from_secs(2),
            warmup: Duration::from_millis(500),
            wasm_idle: 100,
            container_idle: 5,
            connections: 1,
            http_path: "/transform".to_string(),
            cache_dir: None,
            timeout: Duration::from_secs(60),
            run_id: None,
        }
    }
}

/// The default cache: `$XDG_CACHE_HOME/wasmfit`, `~/.cache/wasmfit`, or
/// the temp dir when there is no home.
pub fn default_cache_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("wasmfit");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".cache").join("wasmfit");
    }
    std::env::temp_dir().join("wasmfit-cache")
}
