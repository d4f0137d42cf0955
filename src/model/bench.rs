//! The results of `wasmfit bench` as data: what the terminal table, the JSON
//! output (`"bench"` in the scan report) and the HTML report render.
//!
//! Not feature-gated: a build without wasmtime still reads and writes it.
//! Times are milliseconds, rates requests per second, sizes bytes.

use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BenchResults {
    pub schema: u32,
    /// The value of the `wasmfit.bench.run` label on this run's Docker objects.
    pub run_id: String,
    pub service: ServiceInfo,
    pub machine: Machine,
    pub versions: Versions,
    pub config: RunConfig,
    /// The service as a plain host process: the reference for both others.
    pub native: Option<SideResults>,
    pub container: Option<SideResults>,
    pub wasm: Option<SideResults>,
    /// Sides or measurements that were not run, and why.
    pub skipped: Vec<Skipped>,
    /// What wasmfit's own request handling costs, so it can be told apart
    /// from the service's.
    pub overhead: Option<Overhead>,
    pub comparison: Comparison,
    pub targets: Vec<TargetCheck>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// Newline-delimited JSON requests on stdin, one response line each.
    #[default]
    Stdio,
    /// `POST` requests against a `wasi:http` component or a listening port.
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
pub struct Machine {
    pub os: String,
    pub kernel: Option<String>,
    pub arch: String,
    pub cpu_model: Option<String>,
    pub cpus: usize,
    pub memory_bytes: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    pub wasmfit: String,
    pub wasmtime: Option<String>,
    pub docker_engine: Option<String>,
    pub docker_api: Option<String>,
    /// The toolchain that built the service, e.g. `go version go1.23.5 linux/amd64`.
    pub toolchain: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub cold_runs: u32,
    pub throughput_runs: u32,
    pub duration_ms: u64,
    pub warmup_ms: u64,
    pub wasm_idle_instances: u32,
    pub container_idle_instances: u32,
    /// HTTP workload only: concurrent keep-alive connections.
    pub connections: u32,
}

/// Min, median, 95th percentile and max of repeated runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub runs: u32,
    pub min: f64,
    pub median: f64,
    pub p95: f64,
    pub max: f64,
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
        let median = if s.len() % 2 == 1 {
            s[s.len() / 2]
        } else {
            (s[s.len() / 2 - 1] + s[s.len() / 2]) / 2.0
        };
        // Nearest-rank percentile: with few runs the p95 is the max, which is
        // the honest reading of a small sample.
        let rank = ((0.95 * s.len() as f64).ceil() as usize).clamp(1, s.len());
        Some(Stats {
            runs: s.len() as u32,
            min: s[0],
            median,
            p95: s[rank - 1],
            max: s[s.len() - 1],
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SideResults {
    /// What ran the service, e.g. `wasmtime 48.0.8, AOT, pooling allocator`.
    pub runtime: String,
    /// From "start it" to the first correct response, in ms.
    pub cold_start_ms: Option<Stats>,
    /// What the cold start includes, in words.
    pub cold_start_method: Option<String>,
    /// Requests per second over the measured window, one sample per run.
    pub throughput_rps: Option<Stats>,
    pub throughput_method: Option<String>,
    pub idle_memory: Option<IdleMemory>,
    pub artifact: Option<Artifact>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IdleMemory {
    /// Bytes per idle instance, one sample per instance or per batch.
    pub per_instance_bytes: Stats,
    pub instances: u32,
    pub method: String,
    /// 1 GiB divided by the median bytes per instance.
    pub instances_per_gib: f64,
    /// 16 GiB divided by the median: the article's 16 GB host, with nothing
    /// held back for the OS or the engine.
    pub instances_per_16gib: f64,
}

impl IdleMemory {
    pub fn new(per_instance_bytes: Stats, instances: u32, method: String) -> IdleMemory {
        let per = per_instance_bytes.median.max(1.0);
        let gib = 1024.0 * 1024.0 * 1024.0;
        IdleMemory {
            per_instance_bytes,
            instances,
            method,
            instances_per_gib: (gib / per).floor(),
            instances_per_16gib: (16.0 * gib / per).floor(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// `native`, `container`, `wasm`, or a side and a measurement.
    pub what: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overhead {
    /// wasmfit generating one request and finding its response line, with no
    /// service in between (in-memory), in nanoseconds.
    pub per_request_ns: Stats,
    /// The same as a share of the native service's time per request.
    pub share_of_native: Option<f64>,
    pub method: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Median container cold start over median wasm cold start.
    pub cold_start_container_over_wasm: Option<f64>,
    /// Median wasm throughput over median native throughput.
    pub throughput_wasm_over_native: Option<f64>,
    /// Median container throughput over median native throughput.
    pub throughput_container_over_native: Option<f64>,
    /// Wasm instances per GiB over containers per GiB.
    pub density_wasm_over_container: Option<f64>,
    /// Image bytes over `.wasm` bytes.
    pub size_image_over_wasm: Option<f64>,
}

/// One of the targets, checked against this run's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
        let s = Stats::from_samples(&[4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.median, 2.5);
        let many: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(Stats::from_samples(&many).unwrap().p95, 95.0);
    }

    #[test]
    fn stats_ignore_nan_and_empty() {
        assert!(Stats::from_samples(&[]).is_none());
        assert!(Stats::from_samples(&[f64::NAN]).is_none());
        assert_eq!(Stats::from_samples(&[f64::NAN, 5.0]).unwrap().median, 5.0);
    }

    #[test]
    fn density_from_median() {
        let s = Stats::from_samples(&[1024.0 * 1024.0]).unwrap();
        let m = IdleMemory::new(s, 1, String::new());
        assert_eq!(m.instances_per_gib, 1024.0);
        assert_eq!(m.instances_per_16gib, 16384.0);
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
