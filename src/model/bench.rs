//! The results of `wasmfit bench` as data: what the terminal table, the JSON
//! output (`"bench"` in the scan report) and the HTML report render.
//!
//! Not feature-gated: a build without wasmtime still reads and writes it.
//! Times are milliseconds, rates requests per second, sizes bytes. Every
//! figure says what its clock covers (`definitions`), and a ratio is only
//! ever taken between two sides measured with the same clock boundaries.

use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning or disappears.
/// 2: two cold-start rows, fill-to-budget density, ratios with intervals.
pub const SCHEMA_VERSION: u32 = 2;

/// `schema` is required: it is what tells bench results from any JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchResults {
    pub schema: u32,
    /// The value of the `wasmfit.bench.run` label on this run's Docker objects.
    #[serde(default)]
    pub run_id: String,
    #[serde(default)]
    pub service: ServiceInfo,
    #[serde(default)]
    pub machine: Machine,
    #[serde(default)]
    pub versions: Versions,
    #[serde(default)]
    pub config: RunConfig,
    /// The service as a plain host process: the reference for both others.
    #[serde(default)]
    pub native: Option<SideResults>,
    #[serde(default)]
    pub container: Option<SideResults>,
    #[serde(default)]
    pub wasm: Option<SideResults>,
    /// Sides or measurements that were not run, and why.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// What wasmfit's own request handling costs, so it can be told apart
    /// from the service's.
    #[serde(default)]
    pub overhead: Option<Overhead>,
    /// Ratios between two sides of one row, with a bootstrap interval.
    #[serde(default)]
    pub ratios: Vec<Ratio>,
    /// One line per row: what its clock covers.
    #[serde(default)]
    pub definitions: Vec<Definition>,
    #[serde(default)]
    pub targets: Vec<TargetCheck>,
    /// Figures to read with care (a wide spread, a loaded machine).
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceInfo {
    pub path: String,
    pub name: String,
    /// Language id as in the scan report (`rust`, `go`, `c`...), or `wasm`.
    pub language: String,
    pub workload: Workload,
    /// `module` (core Wasm, WASI preview 1) or `component` (WASI 0.2).
    pub wasm_kind: Option<String>,
    /// The compilation target used for the Wasm build, e.g. `wasm32-wasip1`.
    pub wasm_target: Option<String>,
    /// How the image was made: `dockerfile` or `generated-scratch`.
    pub image_source: Option<String>,
    /// Why a generated image was used instead of the Dockerfile.
    pub image_source_reason: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// Request lines on stdin, one answer line each.
    #[default]
    Stdio,
    /// HTTP requests to a `wasi:http` component or a listening port.
    Http,
}

impl Workload {
    pub fn id(self) -> &'static str {
        match self {
            Workload::Stdio => "stdio",
            Workload::Http => "http",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Machine {
    pub os: String,
    pub kernel: Option<String>,
    pub arch: String,
    pub cpu_model: Option<String>,
    pub cpus: usize,
    pub memory_bytes: Option<u64>,
    /// 1, 5 and 15 minute load averages when the run started and ended.
    pub load_start: Option<[f64; 3]>,
    pub load_end: Option<[f64; 3]>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Versions {
    pub wasmfit: String,
    pub wasmtime: Option<String>,
    pub docker_engine: Option<String>,
    pub docker_api: Option<String>,
    /// The toolchain that built the service, e.g. `go version go1.23.5 linux/amd64`.
    pub toolchain: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunConfig {
    pub cold_runs: u32,
    pub request_runs: u32,
    pub throughput_runs: u32,
    pub duration_ms: u64,
    pub warmup_ms: u64,
    /// HTTP workload only: concurrent keep-alive connections.
    pub connections: u32,
    /// HTTP workload only: which CPUs the server and the load generator
    /// were confined to (`None`: not split, e.g. on one CPU).
    pub cpu_split: Option<String>,
    pub density_budget_bytes: u64,
    pub density_max_instances: u32,
    /// What each request is, in words (`generated JSON lines`, `GET /`...).
    pub request: String,
    /// How an answer is checked (`line`, `2xx`, `id`, a regex).
    pub expect: String,
}

/// Min, median, 95th percentile, max, mean and coefficient of variation
/// of repeated runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Stats {
    pub runs: u32,
    pub min: f64,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
    pub mean: f64,
    /// Standard deviation over the mean.
    pub cv: f64,
}

impl Stats {
    /// Summarises samples; `None` when there are none. NaN samples are
    /// dropped rather than allowed to poison the order.
    pub fn from_samples(samples: &[f64]) -> Option<Stats> {
        let mut s: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
        if s.is_empty() {
            return None;
        }
        s.sort_by(f64::total_cmp);
        // Nearest-rank percentile: with few runs the p95 is the max, which is
        // the honest reading of a small sample.
        let rank = ((0.95 * s.len() as f64).ceil() as usize).clamp(1, s.len());
        let n = s.len() as f64;
        let mean = s.iter().sum::<f64>() / n;
        let var = if s.len() > 1 {
            s.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Some(Stats {
            runs: s.len() as u32,
            min: s[0],
            median: median_sorted(&s),
            p95: s[rank - 1],
            max: s[s.len() - 1],
            mean,
            cv: if mean != 0.0 {
                var.sqrt() / mean.abs()
            } else {
                0.0
            },
        })
    }
}

/// The median of sorted samples (the mean of the middle two when even).
pub fn median_sorted(s: &[f64]) -> f64 {
    if s.is_empty() {
        return f64::NAN;
    }
    if s.len() % 2 == 1 {
        s[s.len() / 2]
    } else {
        (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SideResults {
    /// What ran the service, e.g. `wasmtime 48.0.8, AOT, pooling allocator`.
    pub runtime: String,
    /// Process cold start: a fresh OS process (or container) to its first
    /// good answer, in ms, without the first run.
    pub process_cold_start_ms: Option<Stats>,
    /// The first process cold start of the run (caches cold), in ms.
    pub first_run_ms: Option<f64>,
    pub cold_start_method: Option<String>,
    /// Per request: a fresh Wasm instance from a pre-linked `InstancePre`
    /// answering one request, or one request to a warm process or
    /// container, in ms.
    pub request_ms: Option<Stats>,
    pub request_method: Option<String>,
    /// Wasm only: `InstancePre::instantiate` into a fresh store, nothing
    /// run, in the measuring process, in ms. Not compared with any side.
    pub instantiate_ms: Option<Stats>,
    /// Requests per second over each measured window, one sample a window.
    pub throughput_rps: Option<Stats>,
    pub throughput_method: Option<String>,
    /// `reused instance` or `fresh instance per request`.
    pub throughput_mode: Option<String>,
    /// HTTP: latency percentiles over every measured window.
    pub latency_ms: Option<Latency>,
    /// Answers that failed the check or requests that failed, over every
    /// measured window: reported, never dropped.
    pub errors: u64,
    pub density: Option<Density>,
    pub artifact: Option<Artifact>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub count: u64,
}

/// Instances started until the memory of every process involved reached
/// the budget (or a limit stopped the fill): measured, not extrapolated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Density {
    pub budget_bytes: u64,
    /// Instances alive at the last reading within the budget.
    pub instances: u32,
    /// Total memory at that reading (see `method`).
    pub total_bytes: u64,
    /// `total_bytes / instances`: includes each side's fixed cost.
    pub per_instance_bytes: f64,
    /// Memory of the same processes with no instance (host base, engine
    /// delta), for reading the fixed cost apart.
    pub base_bytes: u64,
    /// `budget`, `max instances`, `time limit`, or the failure that ended
    /// the fill.
    pub stopped_by: String,
    pub method: String,
    /// The side's own limits that apply (pool slots, address space).
    pub limits: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Artifact {
    /// `binary`, `image`, `wasm module` or `wasm component`.
    pub kind: String,
    /// The file measured, when the artifact is a file.
    pub path: Option<String>,
    pub bytes: u64,
    /// gzip -6 of the artifact (for an image: of `docker save`).
    pub compressed_bytes: Option<u64>,
    /// Wasm only: the AOT-compiled `.cwasm` wasmtime loads.
    pub precompiled_path: Option<String>,
    pub precompiled_bytes: Option<u64>,
    pub precompiled_compressed_bytes: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Skipped {
    /// `native`, `container`, `wasm`, or a side and a measurement.
    pub what: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Overhead {
    /// wasmfit finding and counting one answer line, with no service in
    /// between (in memory), in nanoseconds.
    pub per_request_ns: Stats,
    /// The same as a share of the native service's time per request.
    pub share_of_native: Option<f64>,
    pub method: String,
}

/// `numerator / denominator` of one row's medians, with a 95% percentile
/// bootstrap interval over both sides' samples.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ratio {
    /// The row: `process cold start`, `per request`, `throughput`,
    /// `density`, `artifact size`.
    pub row: String,
    /// e.g. `container / wasm`.
    pub sides: String,
    pub median: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Definition {
    pub row: String,
    pub clock: String,
}

/// One of the bench's targets, checked against this run's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetCheck {
    pub name: String,
    pub target: String,
    pub measured: String,
    /// `None` when the figures needed were not measured.
    pub met: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_odd_and_even_samples() {
        let s = Stats::from_samples(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!(
            (s.min, s.median, s.p95, s.max, s.runs),
            (1.0, 2.0, 3.0, 3.0, 3)
        );
        assert!((s.cv - 0.5).abs() < 1e-9, "{}", s.cv);
        let s = Stats::from_samples(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.median, 2.5);
        let many: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(Stats::from_samples(&many).unwrap().p95, 95.0);
        assert_eq!(Stats::from_samples(&[7.0]).unwrap().cv, 0.0);
    }

    #[test]
    fn stats_ignore_nan_and_empty() {
        assert!(Stats::from_samples(&[]).is_none());
        assert!(Stats::from_samples(&[f64::NAN]).is_none());
        assert_eq!(Stats::from_samples(&[f64::NAN, 5.0]).unwrap().median, 5.0);
    }

    #[test]
    fn results_round_trip_as_json() {
        let r = BenchResults {
            schema: SCHEMA_VERSION,
            ..Default::default()
        };
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<BenchResults>(&json).unwrap(), r);
    }
}
