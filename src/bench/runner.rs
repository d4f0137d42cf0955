//! The order of a bench run: detect, build, AOT-compile, prepare the image,
//! then every side through the one measuring loop (`side::measure_sides`),
//! then the derived figures. A SIGINT, SIGTERM or SIGHUP at any moment
//! stops the run: child processes are killed, no container is created
//! after it, and the cleanup removes what the run made (by its label)
//! before the error `Step::Interrupted` is returned; the process then
//! exits with 128 + the signal (`crate::interrupt`).

use crate::bench::container::{self, ContainerSide};
use crate::bench::cpus::CpuSplit;
use crate::bench::detect::{self, Service, ServiceKind};
use crate::bench::docker::Engine;
use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::local::{Env, Idle, LocalSide};
use crate::bench::process::Program;
use crate::bench::side::{self, Fill, Plan, Side};
use crate::bench::toolchain::{self, Built, WasmTarget};
use crate::bench::workload::{self, Requests};
use crate::bench::{compare, reap, sysinfo, BenchOptions};
use crate::model::bench::*;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs the whole bench. `progress` receives one line per step.
pub fn run(
    opts: &BenchOptions,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> BenchResult<BenchResults> {
    reap::reset();
    let service = detect::detect(&opts.path, opts.workload)?;
    let requests = Requests::from_flags(
        service.workload,
        opts.request_file.as_deref(),
        opts.expect.as_deref(),
    )
    .map_err(|e| BenchError::new(Step::Input, e))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            BenchError::new(Step::Input, format!("cannot start the async runtime: {e}"))
        })?;
    // A signal stops the run (children killed, nothing new created); the
    // process's exit waits for the cleanup below (`interrupt::defer`).
    crate::interrupt::install();
    let _cleanup_first = crate::interrupt::defer();
    runtime.spawn(async {
        let sig = crate::interrupt::wait().await;
        reap::stop(sig);
    });
    let engine_slot: Arc<Mutex<Option<Engine>>> = Arc::default();
    let scratch = tempfile::Builder::new()
        .prefix("wasmfit-bench-")
        .tempdir()
        .map_err(|e| {
            BenchError::new(
                Step::Input,
                format!("cannot create a temporary directory: {e}"),
            )
        })?;
    let outcome = body(
        opts,
        &service,
        requests,
        runtime.handle().clone(),
        scratch.path(),
        &engine_slot,
        progress,
    );
    let engine = engine_slot.lock().ok().and_then(|mut e| e.take());
    // What the cleanup could not remove (an engine that went away), said
    // with the outcome rather than claimed removed.
    let leftover = engine.and_then(|engine| runtime.block_on(engine.cleanup(progress)).err());
    runtime.shutdown_timeout(Duration::from_millis(200));
    match (outcome, reap::signal().or(crate::interrupt::received())) {
        (_, Some(sig)) => Err(BenchError::new(
            Step::Interrupted,
            match leftover {
                None => format!(
                    "stopped by {}; the processes, containers and images it created were removed",
                    reap::signal_name(sig)
                ),
                Some(left) => format!(
                    "stopped by {}; the processes it started were killed, but {left}",
                    reap::signal_name(sig)
                ),
            },
        )
        .with_signal(sig)),
        (Err(mut e), None) => {
            if let Some(left) = leftover {
                e.message = format!("{}; {left}", e.message);
            }
            Err(e)
        }
        (Ok(mut results), None) => {
            results.warnings.extend(leftover);
            Ok(results)
        }
    }
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
pub(crate) fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos:08x}", std::process::id())
}

/// The wasmfit executable that hosts Wasm and generates load, checked to
/// answer the helper protocol. Returns (path, whether it embeds wasmtime).
fn helper(opts: &BenchOptions) -> BenchResult<(PathBuf, bool)> {
    let exe = match &opts.helper {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|e| {
            BenchError::new(
                Step::Input,
                format!("cannot find the wasmfit executable: {e}"),
            )
        })?,
    };
    let mut cmd = std::process::Command::new(&exe);
    cmd.args(["__bench-helper", "version"]);
    let out = crate::bench::process::output_with_timeout(&mut cmd, Duration::from_secs(30))
        .map_err(|e| {
            BenchError::new(
                Step::Input,
                format!("cannot run {} as the bench helper: {e}", exe.display()),
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(rest) = text.trim().strip_prefix("wasmfit-bench-helper ") else {
        return Err(BenchError::new(
            Step::Input,
            format!(
                "{} is not a wasmfit that runs the bench helper",
                exe.display()
            ),
        ));
    };
    Ok((exe, rest.contains("wasm=true")))
}

#[allow(clippy::too_many_arguments)]
fn body(
    opts: &BenchOptions,
    service: &Service,
    requests: Requests,
    handle: tokio::runtime::Handle,
    scratch: &Path,
    engine_slot: &Arc<Mutex<Option<Engine>>>,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> BenchResult<BenchResults> {
    let cache = opts
        .cache_dir
        .clone()
        .unwrap_or_else(crate::bench::default_cache_dir);
    let target = opts.wasm_target.unwrap_or(WasmTarget::default_for(
        service.workload,
        match service.kind {
            ServiceKind::Source(l) => Some(l),
            ServiceKind::Wasm(_) => None,
        },
    ));
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
            request_runs: opts.request_runs,
            throughput_runs: opts.throughput_runs,
            duration_ms: opts.duration.as_millis() as u64,
            warmup_ms: opts.warmup.as_millis() as u64,
            connections: opts.connections,
            cpu_split: None,
            density_budget_bytes: opts.density_budget,
            density_max_instances: opts.density_max,
            request: requests.describe(),
            expect: requests.expect.describe(),
        },
        ..Default::default()
    };
    let (helper_exe, helper_wasm) = helper(opts)?;

    let no_port = match service.kind {
        ServiceKind::Source(language) => toolchain::no_wasm_port(language, target),
        ServiceKind::Wasm(_) => None,
    };
    let want_wasm = opts.sides.wasm && crate::bench::WASM_ENABLED && helper_wasm;
    if opts.sides.wasm && !want_wasm {
        results.skipped.push(Skipped {
            what: "wasm".to_string(),
            reason: "this wasmfit was built without the `bench` feature (no embedded wasmtime); \
                     rebuild with `--features bench`"
                .to_string(),
        });
    }
    let want_wasm = match (want_wasm, no_port) {
        (true, Some(why)) => {
            results.skipped.push(Skipped {
                what: "wasm".to_string(),
                reason: why.to_string(),
            });
            false
        }
        (want, _) => want,
    };
    let is_source = matches!(service.kind, ServiceKind::Source(_));
    let want_native = is_source && (opts.sides.native || opts.sides.container);
    if !is_source && (opts.sides.native || opts.sides.container) {
        results.skipped.push(Skipped {
            what: "native, container".to_string(),
            reason: "the service is a prebuilt .wasm file: there is no source to build natively"
                .to_string(),
        });
    }

    let build_dir = cache.join("bench").join(build_key(service));
    if want_native || want_wasm {
        progress(&format!(
            "building {} ({})",
            service.name,
            service.language_id()
        ));
    }
    let built =
        toolchain::build(service, &build_dir, want_native, want_wasm, target).map_err(|e| {
            if reap::stopping() {
                BenchError::new(Step::Interrupted, "stopped during the build")
            } else {
                e
            }
        })?;
    results.versions.toolchain = built.toolchain_version.clone();

    let http = service.workload == Workload::Http;
    let split = if http && opts.cpu_split {
        CpuSplit::of_this_process()
    } else {
        None
    };
    results.config.cpu_split = split.as_ref().map(CpuSplit::describe);
    let env = Env {
        requests: Arc::new(requests),
        timeout: opts.timeout,
        handle: handle.clone(),
        helper: helper_exe.clone(),
        connections: opts.connections,
        warmup: opts.warmup,
        duration: opts.duration,
        threads: split
            .as_ref()
            .map_or(results.machine.cpus.clamp(1, 4), |s| s.load.len()),
        split: split.clone(),
        scratch: scratch.to_path_buf(),
    };
    let mut sides: Vec<Box<dyn Side + Send>> = Vec::new();

    if let (true, Some(bin)) = (opts.sides.native, built.native.as_deref()) {
        let p = Program::new(bin, &[], Step::Native);
        let describe = SideResults {
            runtime: "native process (static binary)".to_string(),
            artifact: file_artifact("binary", bin),
            cold_start_method: Some(if http {
                "fresh process to its first good HTTP answer over loopback TCP".to_string()
            } else {
                "fresh process, stdin from a file, to its first answer line on a pipe".to_string()
            }),
            request_method: Some(if http {
                "one request on a keep-alive connection to the warm server".to_string()
            } else {
                "one request line through the warm process's pipes".to_string()
            }),
            throughput_method: Some(throughput_method(http, &env, "the server process")),
            throughput_mode: Some("reused instance (one process)".to_string()),
            ..Default::default()
        };
        sides.push(Box::new(LocalSide::new(
            "native",
            Step::Native,
            env.clone(),
            p.clone(),
            p,
            Idle::Processes,
            describe,
        )));
    }

    if let (true, Some(wasm)) = (want_wasm, built.wasm.as_deref()) {
        progress("wasm: AOT compile (cached) and link");
        let side = wasm_side(opts, &env, wasm, &cache, &helper_exe, &mut results, http)?;
        results.service.wasm_target = built.wasm_target.clone();
        sides.push(side);
    }

    if opts.sides.container && built.native.is_some() {
        let connected = handle.block_on(Engine::connect(&results.run_id));
        match connected {
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
                progress("container: building the image");
                let side = container_side(service, &built, &engine, &env, &mut results, http)?;
                sides.push(side);
            }
        }
    }

    if sides.is_empty() {
        let why: Vec<String> = results
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.what, s.reason))
            .collect();
        return Err(BenchError::new(
            Step::Input,
            if why.is_empty() {
                "no side left to measure".to_string()
            } else {
                format!("no side left to measure ({})", why.join("; "))
            },
        ));
    }
    let plan = Plan {
        cold_runs: opts.cold_runs,
        request_runs: opts.request_runs,
        throughput_runs: opts.throughput_runs,
        warmup: opts.warmup,
        duration: opts.duration,
        fill: Fill {
            budget: opts.density_budget,
            max: opts.density_max,
            time_limit: Duration::from_secs(180),
        },
    };
    let mut measured = Vec::new();
    let out = side::measure_sides(&mut sides, &plan, progress, opts.wasm_density_max)?;
    drop(sides);
    for (id, r, samples) in out {
        measured.push((id, samples.clone()));
        match id {
            "native" => results.native = Some(r),
            "container" => results.container = Some(r),
            _ => results.wasm = Some(r),
        }
    }

    if !http {
        let overhead: Vec<f64> = (0..5)
            .map(|_| workload::harness_overhead_ns(100_000))
            .collect();
        if let Some(per) = Stats::from_samples(&overhead) {
            let native_ns = results
                .native
                .as_ref()
                .and_then(|n| n.throughput_rps)
                .map(|s| 1e9 / s.median);
            results.overhead = Some(Overhead {
                per_request_ns: per,
                share_of_native: native_ns.map(|n| per.median / n),
                method: "finding and counting each answer line on wasmfit's reader thread (the same code for every side, off the service's threads), measured in memory with no service".to_string(),
            });
        }
    }
    results.machine.load_end = sysinfo::load_average();
    results.ratios = compare::ratios(&results, &measured);
    results.definitions = compare::definitions(http);
    results.warnings = compare::warnings(&results);
    results.targets = compare::targets(&results);
    Ok(results)
}

fn throughput_method(http: bool, env: &Env, server: &str) -> String {
    if http {
        let connections = env.connections;
        let cpus = env
            .split
            .as_ref()
            .map(|s| format!(" ({})", s.describe()))
            .unwrap_or_default();
        format!("wasmfit's load generator in its own process, {connections} keep-alive connection(s) over loopback TCP to {server}{cpus}; the real elapsed window after a warm-up")
    } else {
        "a fresh process per window, stdin from a file, answers counted on a pipe by a reader thread; the window opens after the warm-up requests".to_string()
    }
}

#[cfg(not(feature = "bench"))]
fn wasm_side(
    _: &BenchOptions,
    _: &Env,
    _: &Path,
    _: &Path,
    _: &Path,
    _: &mut BenchResults,
    _: bool,
) -> BenchResult<Box<dyn Side + Send>> {
    Err(BenchError::new(
        Step::Wasm,
        "this wasmfit has no embedded wasmtime",
    ))
}

#[cfg(feature = "bench")]
fn wasm_side(
    opts: &BenchOptions,
    env: &Env,
    wasm: &Path,
    cache: &Path,
    helper: &Path,
    results: &mut BenchResults,
    http: bool,
) -> BenchResult<Box<dyn Side + Send>> {
    use crate::bench::wasm::{helper as h, host, stdio};
    let engine = host::engine(h::SMALL_POOL)?;
    let (cwasm, kind) = host::precompiled(&engine, wasm, &cache.join("aot"))?;
    // A core module (upstream Go's only Wasm) answers HTTP as WAGI, CGI
    // over WASI; a component through wasi:http.
    let wagi = http && kind == host::WasmKind::Module;
    results.service.wasm_kind = Some(kind.id().to_string());
    let mut artifact = file_artifact(&format!("wasm {}", kind.id()), wasm).unwrap_or_default();
    artifact.precompiled_bytes = std::fs::metadata(&cwasm).ok().map(|m| m.len());
    artifact.precompiled_compressed_bytes = sysinfo::gzip_size(&cwasm);
    artifact.precompiled_path = Some(cwasm.display().to_string());
    // Instantiation alone, in this process, for the record.
    let instantiate = if http && !wagi {
        let pre = crate::bench::wasm::http::proxy_pre(&engine, &cwasm)?;
        env.handle
            .block_on(crate::bench::wasm::http::instantiate_only(&pre, 200))?
    } else {
        let pre = stdio::pre(&engine, &cwasm, kind)?;
        stdio::instantiate_only(&engine, &pre, 200)?
    };
    let cw = cwasm.display().to_string();
    let k = kind.id();
    let small = h::SMALL_POOL.to_string();
    let slots = opts.wasm_density_max.saturating_add(8);
    let park_slots = slots.to_string();
    let mode = if http { "http" } else { "stdio" };
    let exe = helper;
    let program = Program::new(
        exe,
        &[
            "__bench-helper",
            "wasm",
            mode,
            &cw,
            "--kind",
            k,
            "--slots",
            &small,
        ],
        Step::Wasm,
    );
    let request_program = if http {
        program.clone()
    } else {
        Program::new(
            exe,
            &[
                "__bench-helper",
                "wasm",
                "fresh",
                &cw,
                "--kind",
                k,
                "--slots",
                &small,
            ],
            Step::Wasm,
        )
    };
    let mut park_args = vec![
        "__bench-helper".to_string(),
        "wasm".to_string(),
        "park".to_string(),
        cw.clone(),
        "--kind".to_string(),
        k.to_string(),
        "--slots".to_string(),
        park_slots,
    ];
    if wagi {
        // A parked WAGI instance is the run's request in flight, its body
        // not yet arrived.
        for (key, value) in crate::bench::wasm::wagi::request_env(&env.requests) {
            park_args.push(format!("--env={key}={value}"));
        }
    }
    let park_args: Vec<&str> = park_args.iter().map(String::as_str).collect();
    let park = Program::new(exe, &park_args, Step::Wasm);
    let describe = SideResults {
        runtime: format!(
            "wasmtime {} in a wasmfit host process, AOT (.cwasm), pooling allocator",
            crate::bench::wasm::WASMTIME_VERSION
        ),
        artifact: Some(artifact),
        cold_start_method: Some(if wagi {
            "fresh host process: engine with the pooling allocator, load the .cwasm, serve as WAGI (CGI over WASI, as Spin's WAGI executor); to its first good HTTP answer over loopback TCP".to_string()
        } else if http {
            "fresh host process: engine with the pooling allocator, load the .cwasm, serve; to its first good HTTP answer over loopback TCP (as `wasmtime serve`)".to_string()
        } else {
            "fresh host process: engine with the pooling allocator, load the .cwasm, instantiate, run; stdin from a file, to its first answer line on a pipe (as `wasmtime run`)".to_string()
        }),
        request_method: Some(if http {
            "one request on a keep-alive connection to the warm host, which instantiates a fresh instance from its InstancePre for it".to_string()
        } else {
            "one request line through the warm host's pipes; the host instantiates a fresh instance from its InstancePre for each line".to_string()
        }),
        instantiate_ms: Stats::from_samples(&instantiate),
        throughput_method: Some(throughput_method(http, env, "the host process")),
        throughput_mode: Some(if wagi {
            "fresh instance per request (WAGI: the request in CGI variables and stdin, the response on stdout)".to_string()
        } else if http {
            "fresh instance per request (as `wasmtime serve`)".to_string()
        } else {
            "reused instance (one instance reads the whole stream)".to_string()
        }),
        density: Some(Density {
            limits: Some(host::pool_limits(slots)),
            ..Default::default()
        }),
        ..Default::default()
    };
    Ok(Box::new(LocalSide::new(
        "wasm",
        Step::Wasm,
        env.clone(),
        program,
        request_program,
        Idle::Host(park),
        describe,
    )))
}

fn container_side(
    service: &Service,
    built: &Built,
    engine: &Engine,
    env: &Env,
    results: &mut BenchResults,
    http: bool,
) -> BenchResult<Box<dyn Side + Send>> {
    let tag = format!(
        "wasmfit-bench/{}:{}",
        sanitize(&service.name),
        sanitize(&engine.run_id)
    );
    let image = env.handle.block_on(container::prepare_image(
        engine,
        &service.dir,
        service.dockerfile.as_deref(),
        built.native.as_deref(),
        http.then_some(service.port),
        &tag,
    ))?;
    results.service.image_source = Some(image.source.to_string());
    results.service.image_source_reason = image.reason.clone();
    let bytes = env.handle.block_on(engine.image_size(&tag)).unwrap_or(0);
    let compressed = env.handle.block_on(engine.image_compressed_size(&tag));
    let describe = SideResults {
        runtime: format!(
            "Docker {} (runc), {} image, {}",
            engine.version.as_deref().unwrap_or("engine"),
            if image.source == "dockerfile" {
                "Dockerfile-built"
            } else {
                "generated FROM scratch"
            },
            if http {
                "port published on 127.0.0.1"
            } else {
                "no network (--network none)"
            }
        ),
        artifact: Some(Artifact {
            kind: "image".to_string(),
            path: None,
            bytes,
            compressed_bytes: compressed,
            ..Default::default()
        }),
        cold_start_method: Some(if http {
            "container create + start (bollard, as `docker run`) to the first good HTTP answer on the published port".to_string()
        } else {
            "container create + attach + start (bollard, as `docker run -i --network none`) to the first answer line on the attach stream".to_string()
        }),
        request_method: Some(if http {
            "one request on a keep-alive connection to the warm container's published port"
                .to_string()
        } else {
            "one request line through the warm container's attach stream".to_string()
        }),
        throughput_method: Some(if http {
            throughput_method(true, env, "the container's published port")
        } else {
            "a fresh container per window, requests and answers through dockerd's attach stream (Docker's stdio transport), answers counted off the service's threads; the window opens after the warm-up requests".to_string()
        }),
        throughput_mode: Some("reused instance (one container)".to_string()),
        ..Default::default()
    };
    Ok(Box::new(ContainerSide::new(
        env.clone(),
        engine.clone(),
        tag,
        service.port,
        describe,
    )))
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
