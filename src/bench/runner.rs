//! The order of a bench run: detect, build, then each side in turn
//! (native, Wasm, container), each measured the same way; then the derived
//! figures. Docker objects are removed at the end whatever happened,
//! including Ctrl-C, which ends the run with `Step::Interrupted`.

use crate::bench::detect::{self, Service, ServiceKind};
use crate::bench::docker::Engine;
use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::toolchain::{self, Built, WasmTarget};
use crate::bench::{compare, container, native, sysinfo, workload, BenchOptions};
use crate::model::bench::*;
use std::path::Path;
use std::time::Duration;

/// Requests in the run that sizes the throughput runs.
const CALIBRATION_REQUESTS: u64 = 5_000;
/// How long idle instances are left before their memory is read: long
/// enough for a runtime (Go's) to finish starting up.
const SETTLE: Duration = Duration::from_millis(500);
/// Batches of Wasm idle instances (one sample each).
#[cfg_attr(not(feature = "bench"), allow(dead_code))]
const WASM_IDLE_BATCHES: u32 = 3;

/// Runs the whole bench. `progress` receives one line per step.
pub fn run(
    opts: &BenchOptions,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> BenchResult<BenchResults> {
    let service = detect::detect(&opts.path, opts.workload)?;
    let cache = opts
        .cache_dir
        .clone()
        .unwrap_or_else(crate::bench::default_cache_dir);
    let target = opts
        .wasm_target
        .unwrap_or(WasmTarget::default_for(service.workload));
    let mut results = BenchResults {
        schema: SCHEMA_VERSION,
        run_id: opts.run_id.clone().unwrap_or_else(run_id),
        service: ServiceInfo {
            path: opts.path.display().to_string(),
            name: service.name.clone(),
            language: service.language_id().to_string(),
            workload: service.workload,
            ..Default::default()
        },
        machine: sysinfo::machine(),
        versions: Versions {
            wasmfit: env!("CARGO_PKG_VERSION").to_string(),
            wasmtime: wasmtime_version().map(str::to_string),
            ..Default::default()
        },
        config: RunConfig {
            cold_runs: opts.cold_runs,
            throughput_runs: opts.throughput_runs,
            duration_ms: opts.duration.as_millis() as u64,
            warmup_ms: opts.warmup.as_millis() as u64,
            wasm_idle_instances: opts.wasm_idle,
            container_idle_instances: opts.container_idle,
            connections: opts.connections,
        },
        ..Default::default()
    };

    let want_wasm = opts.sides.wasm && crate::bench::WASM_ENABLED;
    if opts.sides.wasm && !crate::bench::WASM_ENABLED {
        results.skipped.push(Skipped {
            what: "wasm".to_string(),
            reason: "this wasmfit was built without the `bench` feature (no embedded wasmtime); \
                     rebuild with `--features bench`"
                .to_string(),
        });
    }
    let is_source = matches!(service.kind, ServiceKind::Source(_));
    let want_native = is_source && (opts.sides.native || opts.sides.container);
    if !is_source && (opts.sides.native || opts.sides.container) {
        results.skipped.push(Skipped {
            what: "native, container".to_string(),
            reason: "the service is a prebuilt .wasm file: there is no source to build natively"
                .to_string(),
        });
    }

    let build_dir = cache.join("bench").join(build_key(&service));
    if want_native || want_wasm {
        progress(&format!(
            "building {} ({})",
            service.name,
            service.language_id()
        ));
    }
    let built = toolchain::build(&service, &build_dir, want_native, want_wasm, target)?;
    results.versions.toolchain = built.toolchain_version.clone();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            BenchError::new(Step::Input, format!("cannot start the async runtime: {e}"))
        })?;
    let engine_slot: std::sync::Arc<std::sync::Mutex<Option<Engine>>> = Default::default();
    // On a signal, the exit waits for the containers to be removed below.
    let _removing_containers = crate::interrupt::defer();
    let outcome = runtime.block_on(async {
        let work = measure(opts, &service, &built, &cache, &mut results, progress, engine_slot.clone());
        let outcome = tokio::select! {
            r = work => r,
            _ = crate::interrupt::wait() => Err(BenchError::new(Step::Interrupted, "stopped by a signal; the containers and images it created were removed")),
        };
        let engine = engine_slot.lock().ok().and_then(|mut e| e.take());
        if let Some(engine) = engine {
            engine.cleanup().await;
        }
        outcome
    });
    // A Wasm run still on a blocking thread (after Ctrl-C) is not waited for.
    runtime.shutdown_timeout(Duration::from_millis(200));
    outcome?;
    results.comparison = compare::comparison(&results);
    results.targets = compare::targets(&results);
    Ok(results)
}

#[cfg(feature = "bench")]
fn wasmtime_version() -> Option<&'static str> {
    Some(crate::bench::wasm::WASMTIME_VERSION)
}

#[cfg(not(feature = "bench"))]
fn wasmtime_version() -> Option<&'static str> {
    None
}

/// A cache folder per service path, so two services never share a build.
fn build_key(service: &Service) -> String {
    use sha2::{Digest, Sha256};
    let canonical = service
        .dir
        .canonicalize()
        .unwrap_or_else(|_| service.dir.clone());
    let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hex}", service.name)
}

fn file_artifact(kind: &str, path: &Path) -> Option<Artifact> {
    let bytes = std::fs::metadata(path).ok()?.len();
    Some(Artifact {
        kind: kind.to_string(),
        path: Some(path.display().to_string()),
        bytes,
        compressed_bytes: sysinfo::gzip_size(path),
        ..Default::default()
    })
}

/// A per-run id for labels and image tags.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos:08x}", std::process::id())
}

async fn measure(
    opts: &BenchOptions,
    service: &Service,
    built: &Built,
    cache: &Path,
    results: &mut BenchResults,
    progress: &(dyn Fn(&str) + Send + Sync),
    engine_slot: std::sync::Arc<std::sync::Mutex<Option<Engine>>>,
) -> BenchResult<()> {
    let overhead: Vec<f64> = (0..5)
        .map(|_| workload::harness_overhead_ns(100_000))
        .collect();
    let run_timeout = opts.timeout.max((opts.warmup + opts.duration) * 4);
    let http = service.workload == Workload::Http;

    if let (true, Some(bin)) = (opts.sides.native, built.native.as_deref()) {
        progress("native: cold start, throughput, idle memory");
        results.native = Some(native_side(opts, bin, http, run_timeout).await?);
    }
    if http {
        results.notes.push(format!(
            "the HTTP load generator runs inside wasmfit on the same {} CPU(s) as the service; its cost is in every side's figure alike",
            results.machine.cpus
        ));
    } else if let Some(per) = crate::model::bench::Stats::from_samples(&overhead) {
        let native_ns = results
            .native
            .as_ref()
            .and_then(|n| n.throughput_rps)
            .map(|s| 1e9 / s.median);
        results.overhead = Some(Overhead {
            per_request_ns: per,
            share_of_native: native_ns.map(|n| per.median / n),
            method:
                "counting and timing each answer line (the same code on every side; requests are \
                     generated before each run), measured in memory with no service"
                    .to_string(),
        });
    }

    if let (true, Some(wasm)) = (opts.sides.wasm, built.wasm.as_deref()) {
        progress("wasm: AOT compile (cached), cold start, throughput, idle memory");
        wasm_side(opts, service, wasm, cache, results, http, run_timeout).await?;
        results.service.wasm_target = built.wasm_target.clone();
    }

    if opts.sides.container && built.native.is_some() {
        match Engine::connect(&results.run_id).await {
            Err(reason) => results.skipped.push(Skipped {
                what: "container".to_string(),
                reason,
            }),
            Ok(engine) => {
                results.versions.docker_engine = engine.version.clone();
                results.versions.docker_api = engine.api.clone();
                if let Ok(mut slot) = engine_slot.lock() {
                    *slot = Some(engine.clone());
                }
                progress("container: image, cold start, throughput, idle memory");
                container_side(opts, service, built, &engine, results, http, run_timeout).await?;
            }
        }
    }
    Ok(())
}

fn stats(samples: &[f64], step: Step, what: &str) -> BenchResult<Stats> {
    Stats::from_samples(samples)
        .ok_or_else(|| BenchError::new(step, format!("no {what} sample could be taken")))
}

async fn native_side(
    opts: &BenchOptions,
    bin: &Path,
    http: bool,
    timeout: Duration,
) -> BenchResult<SideResults> {
    let mut side = SideResults {
        runtime: "native process (static binary)".to_string(),
        artifact: file_artifact("binary", bin),
        ..Default::default()
    };
    let idle;
    if http {
        side.cold_start_ms = Some(stats(
            &native::http_cold(bin, &opts.http_path, opts.cold_runs, timeout).await?,
            Step::Native,
            "cold start",
        )?);
        side.cold_start_method = Some("process spawn to the first good HTTP answer".to_string());
        side.throughput_rps = Some(stats(
            &native::http_throughput(
                bin,
                &opts.http_path,
                opts.throughput_runs,
                opts.connections,
                opts.warmup,
                opts.duration,
                timeout,
            )
            .await?,
            Step::Native,
            "throughput",
        )?);
        side.throughput_method = Some(format!(
            "{} keep-alive connection(s) on loopback",
            opts.connections
        ));
        idle =
            native::http_idle(bin, &opts.http_path, opts.container_idle, SETTLE, timeout).await?;
    } else {
        let bin_buf = bin.to_path_buf();
        let (cold_runs, runs) = (opts.cold_runs, opts.throughput_runs);
        let (warmup, duration) = (opts.warmup, opts.duration);
        let (cold, rps) = tokio::task::spawn_blocking(move || -> BenchResult<_> {
            let cold = native::stdio_cold(&bin_buf, cold_runs, timeout)?;
            let rate = native::stdio_calibrate(&bin_buf, CALIBRATION_REQUESTS, timeout)?;
            let plan = workload::plan(rate, warmup, duration);
            Ok((
                cold,
                native::stdio_throughput(&bin_buf, runs, plan, duration, timeout)?,
            ))
        })
        .await
        .map_err(|e| {
            BenchError::new(Step::Native, format!("the measuring thread failed: {e}"))
        })??;
        side.cold_start_ms = Some(stats(&cold, Step::Native, "cold start")?);
        side.cold_start_method = Some("process spawn to the first response line".to_string());
        side.throughput_rps = Some(stats(&rps, Step::Native, "throughput")?);
        side.throughput_method =
            Some("requests piped through stdin/stdout, after a warm-up".to_string());
        let bin_buf = bin.to_path_buf();
        let count = opts.container_idle;
        idle = tokio::task::spawn_blocking(move || native::stdio_idle(&bin_buf, count, SETTLE))
            .await
            .map_err(|e| {
                BenchError::new(Step::Native, format!("the measuring thread failed: {e}"))
            })??;
    }
    if let Some(s) = Stats::from_samples(&idle) {
        side.idle_memory = Some(IdleMemory::new(
            s,
            idle.len() as u32,
            "proportional set size (PSS) of each idle process".to_string(),
        ));
    }
    Ok(side)
}

#[cfg(not(feature = "bench"))]
async fn wasm_side(
    _: &BenchOptions,
    _: &Service,
    _: &Path,
    _: &Path,
    _: &mut BenchResults,
    _: bool,
    _: Duration,
) -> BenchResult<()> {
    Ok(())
}

#[cfg(feature = "bench")]
async fn wasm_side(
    opts: &BenchOptions,
    service: &Service,
    wasm: &Path,
    cache: &Path,
    results: &mut BenchResults,
    http: bool,
    timeout: Duration,
) -> BenchResult<()> {
    use crate::bench::wasm::{host, http::HttpHost, stdio::StdioHost};
    let _ = service;
    // HTTP idle instances are held across all batches (see `idle`).
    let slots = opts
        .wasm_idle
        .saturating_mul(WASM_IDLE_BATCHES)
        .saturating_add(64)
        .max(128);
    let engine = host::engine(slots)?;
    let (cwasm, kind) = host::precompiled(&engine, wasm, &cache.join("aot"))?;
    results.service.wasm_kind = Some(kind.id().to_string());
    let mut artifact = file_artifact(&format!("wasm {}", kind.id()), wasm).unwrap_or_default();
    artifact.precompiled_bytes = std::fs::metadata(&cwasm).ok().map(|m| m.len());
    artifact.precompiled_path = Some(cwasm.display().to_string());
    let mut side = SideResults {
        runtime: format!(
            "wasmtime {}, AOT (.cwasm), pooling allocator",
            crate::bench::wasm::WASMTIME_VERSION
        ),
        artifact: Some(artifact),
        ..Default::default()
    };
    let idle;
    if http {
        if kind != host::WasmKind::Component {
            return Err(BenchError::new(
                Step::Wasm,
                "the http workload needs a wasi:http component, and this is a core module",
            ));
        }
        let h = HttpHost::new(engine, cwasm)?;
        side.cold_start_ms = Some(stats(
            &h.cold(&opts.http_path, opts.cold_runs).await?,
            Step::Wasm,
            "cold start",
        )?);
        side.cold_start_method = Some(
            "load .cwasm + instantiate from the pool + answer one request, in process".to_string(),
        );
        let server = h.serve(results.machine.cpus)?;
        crate::bench::httpload::first_response(
            server.addr,
            &opts.http_path,
            std::time::Instant::now() + timeout,
        )
        .await
        .map_err(|e| {
            BenchError::new(
                Step::Wasm,
                format!("the component never answered over HTTP: {e}"),
            )
        })?;
        let mut rps = Vec::new();
        for _ in 0..opts.throughput_runs {
            let r = crate::bench::httpload::load(
                server.addr,
                &opts.http_path,
                opts.connections,
                opts.warmup,
                opts.duration,
            )
            .await
            .map_err(|e| BenchError::new(Step::Wasm, format!("load run failed: {e}")))?;
            rps.push(r.rate());
        }
        drop(server);
        side.throughput_rps = Some(stats(&rps, Step::Wasm, "throughput")?);
        side.throughput_method = Some(format!(
            "{} keep-alive connection(s) on loopback to a hyper server, one instance per request",
            opts.connections
        ));
        idle = h
            .idle(&opts.http_path, opts.wasm_idle, WASM_IDLE_BATCHES)
            .await?;
        side.idle_memory = Stats::from_samples(&idle).map(|s| {
            IdleMemory::new(s, opts.wasm_idle, "resident memory added per live instance that has answered one request, held in the pool".to_string())
        });
    } else {
        let host = std::sync::Arc::new(StdioHost::new(engine, cwasm, kind)?);
        let h = host.clone();
        let (cold_runs, runs, warmup, duration) = (
            opts.cold_runs,
            opts.throughput_runs,
            opts.warmup,
            opts.duration,
        );
        let (cold, rps) = tokio::task::spawn_blocking(move || -> BenchResult<_> {
            let cold = h.cold(cold_runs)?;
            let rate = h.calibrate(CALIBRATION_REQUESTS)?;
            Ok((
                cold,
                h.throughput(runs, workload::plan(rate, warmup, duration), duration)?,
            ))
        })
        .await
        .map_err(|e| BenchError::new(Step::Wasm, format!("the measuring thread failed: {e}")))??;
        side.cold_start_ms = Some(stats(&cold, Step::Wasm, "cold start")?);
        side.cold_start_method = Some(
            "load .cwasm + instantiate from the pool + run to the first response line".to_string(),
        );
        side.throughput_rps = Some(stats(&rps, Step::Wasm, "throughput")?);
        side.throughput_method = Some(
            "requests fed to stdin from memory, answers timed on stdout, after a warm-up"
                .to_string(),
        );
        idle = host
            .idle(opts.wasm_idle, WASM_IDLE_BATCHES, timeout)
            .await?;
        side.idle_memory = Stats::from_samples(&idle).map(|s| {
            IdleMemory::new(
                s,
                opts.wasm_idle,
                "resident memory added per live instance parked on an empty stdin".to_string(),
            )
        });
    }
    results.wasm = Some(side);
    Ok(())
}

async fn container_side(
    opts: &BenchOptions,
    service: &Service,
    built: &Built,
    engine: &Engine,
    results: &mut BenchResults,
    http: bool,
    timeout: Duration,
) -> BenchResult<()> {
    let tag = format!(
        "wasmfit-bench/{}:{}",
        sanitize(&service.name),
        sanitize(&engine.run_id)
    );
    let image = container::prepare_image(
        engine,
        &service.dir,
        service.dockerfile.as_deref(),
        built.native.as_deref(),
        http.then_some(service.port),
        &tag,
    )
    .await?;
    results.service.image_source = Some(image.source.to_string());
    results.service.image_source_reason = image.reason.clone();
    let mut side = SideResults {
        runtime: format!(
            "Docker {} (default runtime and network), {} image",
            engine.version.as_deref().unwrap_or("engine"),
            if image.source == "dockerfile" {
                "Dockerfile-built"
            } else {
                "generated FROM scratch"
            }
        ),
        artifact: Some(Artifact {
            kind: "image".to_string(),
            path: None,
            bytes: engine.image_size(&tag).await.unwrap_or(0),
            compressed_bytes: engine.image_compressed_size(&tag).await,
            ..Default::default()
        }),
        ..Default::default()
    };
    let path = opts.http_path.as_str();
    if http {
        side.cold_start_ms = Some(stats(
            &container::http_cold(engine, &tag, service.port, path, opts.cold_runs, timeout)
                .await?,
            Step::Container,
            "cold start",
        )?);
        side.cold_start_method = Some(
            "container create + start to the first good HTTP answer on the published port"
                .to_string(),
        );
        side.throughput_rps = Some(stats(
            &container::http_throughput(
                engine,
                &tag,
                service.port,
                path,
                opts.throughput_runs,
                opts.connections,
                opts.warmup,
                opts.duration,
                timeout,
            )
            .await?,
            Step::Container,
            "throughput",
        )?);
        side.throughput_method = Some(format!(
            "{} keep-alive connection(s) to the port published on 127.0.0.1",
            opts.connections
        ));
    } else {
        side.cold_start_ms = Some(stats(
            &container::stdio_cold(engine, &tag, opts.cold_runs, timeout).await?,
            Step::Container,
            "cold start",
        )?);
        side.cold_start_method =
            Some("container create + attach + start to the first response line".to_string());
        let rate = container::stdio_calibrate(engine, &tag, CALIBRATION_REQUESTS, timeout).await?;
        let plan = workload::plan(rate, opts.warmup, opts.duration);
        side.throughput_rps = Some(stats(
            &container::stdio_throughput(
                engine,
                &tag,
                opts.throughput_runs,
                plan,
                opts.duration,
                timeout,
            )
            .await?,
            Step::Container,
            "throughput",
        )?);
        side.throughput_method =
            Some("requests through the attach stream (stdin/stdout), after a warm-up".to_string());
    }
    let http_idle = if http {
        Some((service.port, path))
    } else {
        None
    };
    let (idle, shims) = container::idle(
        engine,
        &tag,
        http_idle,
        opts.container_idle,
        SETTLE,
        timeout,
    )
    .await?;
    if let Some(s) = Stats::from_samples(&idle) {
        let method = if shims {
            "cgroup memory (docker stats) plus the PSS of the container's containerd shim"
        } else {
            "cgroup memory (docker stats); the containerd shim was not visible from here and is not counted"
        };
        side.idle_memory = Some(IdleMemory::new(s, idle.len() as u32, method.to_string()));
    }
    results.container = Some(side);
    Ok(())
}

/// Image repository names allow lowercase letters, digits and `._-`.
fn sanitize(name: &str) -> String {
    let s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let s = s
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    if s.is_empty() {
        "service".to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_are_valid() {
        assert_eq!(sanitize("Bench_HTTP rust!"), "bench_http-rust");
        assert_eq!(sanitize("__"), "service");
    }

    #[test]
    fn build_keys_differ_per_path() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(a.path().join("main.c"), "").unwrap();
        std::fs::write(b.path().join("main.c"), "").unwrap();
        let sa = detect::detect(a.path(), None).unwrap();
        let sb = detect::detect(b.path(), None).unwrap();
        assert_ne!(build_key(&sa), build_key(&sb));
    }
}
