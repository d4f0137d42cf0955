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
pub mod cpus;
pub mod detect;
pub mod docker;
pub mod error;
pub mod httpload;
pub mod load;
pub mod local;
pub mod process;
pub mod reap;
pub(crate) mod runner;
pub mod side;
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
    /// `--request FILE`: stdio request lines, or one HTTP request.
    pub request_file: Option<PathBuf>,
    /// `--expect`: `line`, `2xx`, `id` or a regex.
    pub expect: Option<String>,
    /// Overrides the default target (wasip1 for stdio, wasip2 for http).
    pub wasm_target: Option<WasmTarget>,
    pub sides: Sides,
    /// Process cold starts per side (after one first run each).
    pub cold_runs: u32,
    /// Per-request samples per side.
    pub request_runs: u32,
    /// Measured throughput windows per side.
    pub throughput_runs: u32,
    pub duration: Duration,
    pub warmup: Duration,
    /// HTTP only: concurrent keep-alive connections of the load generator.
    pub connections: u32,
    /// HTTP only: run the server and the load generator on disjoint CPUs.
    pub cpu_split: bool,
    /// Density: the memory budget instances are added until.
    pub density_budget: u64,
    /// Density: most processes or containers started.
    pub density_max: u32,
    /// Density: most Wasm instances (the pool is sized for them).
    pub wasm_density_max: u32,
    /// Where builds and AOT code are cached; default: the user cache dir.
    pub cache_dir: Option<PathBuf>,
    /// Upper bound for one run (one container start, one throughput run).
    pub timeout: Duration,
    /// Labels this run's Docker objects (`wasmfit.bench.run`); default: a
    /// fresh id from the process id and the clock.
    pub run_id: Option<String>,
    /// The wasmfit executable that runs the Wasm host process and the load
    /// generator; default: the running executable.
    pub helper: Option<PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            path: PathBuf::from("."),
            workload: None,
            request_file: None,
            expect: None,
            wasm_target: None,
            sides: Sides::default(),
            cold_runs: 20,
            request_runs: 50,
            throughput_runs: 10,
            duration: Duration::from_secs(1),
            warmup: Duration::from_millis(300),
            connections: 4,
            cpu_split: true,
            density_budget: 256 << 20,
            density_max: 1000,
            wasm_density_max: 10_000,
            cache_dir: None,
            timeout: Duration::from_secs(60),
            run_id: None,
            helper: None,
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
