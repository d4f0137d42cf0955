//! `wasmfit bench [PATH]`: the flags, and the glue from them to the bench
//! library and the renderers. Exit status: 0 with figures, 2 when a build,
//! a toolchain, the container or the Wasm run fails (the message names the
//! step and shows the last log lines), 130 on Ctrl-C.

use crate::bench::{self, BenchOptions, Sides, Step, WasmTarget, Workload};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Build a service as its container image and as a Wasm port, run the same
/// workload on both (and on the native binary as the reference), and compare
/// process cold start, per-request cost, throughput, density at a memory
/// budget and artifact size.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Workloads: `stdio` sends request lines on stdin and reads one answer line each; \
`http` sends a request to a wasi:http component and to the service's port (the service listens on \
$PORT). Defaults work for any service: generated JSON lines with any answer line (stdio), `GET /` \
with a 2xx (http). --request FILE gives your own requests (stdio: one per line; http: `METHOD /path`, \
headers, a blank line, the body); --expect checks each answer (`line`, `2xx`, `id` for the samples' \
echo contract, or a regex). The Wasm side needs a wasmfit built with `--features bench`; without a \
reachable Docker engine the container side is skipped and said so.\n\n\
Exit status: 0 figures measured, 2 bad input or a build, toolchain, container or Wasm run failed, \
128+N stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP), after removing what the run created."
)]
pub struct BenchArgs {
    /// Service directory (Rust, Go, C/C++) or a .wasm file.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Workload shape; default: http when the Dockerfile EXPOSEs a port, else stdio.
    #[arg(long, value_enum)]
    pub workload: Option<WorkloadArg>,
    /// Your requests: stdio request lines, or one HTTP request (`METHOD /path`, headers, blank line, body).
    #[arg(long, value_name = "FILE")]
    pub request: Option<PathBuf>,
    /// What a good answer is: `line`, `2xx`, `id` (echoes "id":N of the generated requests) or a regex.
    #[arg(long, value_name = "CHECK")]
    pub expect: Option<String>,
    /// Wasm target; default: wasip1 (core module) for stdio, wasip2 (component) for http.
    #[arg(long, value_enum)]
    pub wasm_target: Option<TargetArg>,
    /// Sides to measure, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "native,container,wasm"
    )]
    pub sides: Vec<SideArg>,
    /// Process cold starts per side (after one first run each).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub cold_runs: u32,
    /// Per-request samples per side.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub request_runs: u32,
    /// Measured throughput windows per side (interleaved with the other sides).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: u32,
    /// Length of one measured throughput window (e.g. 1s, 500ms).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Warm-up before each measured window.
    #[arg(long, default_value = "300ms", value_parser = parse_duration)]
    pub warmup: Duration,
    /// HTTP: concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub connections: u32,
    /// HTTP: let the server and the load generator share every CPU (by
    /// default each gets half of them, so neither takes the other's time).
    #[arg(long)]
    pub no_cpu_split: bool,
    /// Density: memory budget instances are added until (e.g. 256MiB, 2GiB).
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    pub density_budget: u64,
    /// Density: most processes or containers started.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub density_max: u32,
    /// Density: most Wasm instances (the pool is sized for them; at most 14000).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=14_000))]
    pub wasm_density_max: u32,
    /// Cache for builds and AOT-compiled code (default: ~/.cache/wasmfit).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Upper bound for one run: a container that never answers fails after this.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Label value of this run's Docker objects (`wasmfit.bench.run`); default: generated.
    #[arg(long, value_parser = parse_run_id)]
    pub run_id: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: FormatArg,
    /// Also write the results as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json_out: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The bench's helper processes (hidden).
#[derive(clap::Args, Debug)]
pub struct HelperArgs {
    #[command(subcommand)]
    pub what: HelperCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum HelperCommand {
    /// Prints the helper protocol version and whether Wasm is embedded.
    Version,
    /// The HTTP load generator: reads its spec, prints its report as JSON.
    Load {
        #[arg(long)]
        spec: PathBuf,
    },
    /// The Wasm host process.
    Wasm {
        mode: String,
        cwasm: PathBuf,
        #[arg(long)]
        kind: String,
        #[arg(long, default_value_t = 16)]
        slots: u32,
        /// `park`: KEY=VALUE in every parked instance's environment (a
        /// WAGI request's CGI variables).
        #[arg(long = "env")]
        env: Vec<String>,
    },
}

/// Runs a helper; its exit status is the helper's (or the guest's).
pub fn helper(args: &HelperArgs) -> ExitCode {
    let result: Result<i32, String> = match &args.what {
        HelperCommand::Version => {
            println!("wasmfit-bench-helper 1 wasm={}", bench::WASM_ENABLED);
            Ok(0)
        }
        HelperCommand::Load { spec } => bench::load::child_main(spec).map(|_| 0),
        HelperCommand::Wasm {
            mode,
            cwasm,
            kind,
            slots,
            env,
        } => wasm_helper(mode, cwasm, kind, *slots, env),
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "wasmfit bench helper: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "bench")]
fn wasm_helper(
    mode: &str,
    cwasm: &std::path::Path,
    kind: &str,
    slots: u32,
    env: &[String],
) -> Result<i32, String> {
    bench::wasm::helper::main(mode, cwasm, kind, slots, env)
}

#[cfg(not(feature = "bench"))]
fn wasm_helper(_: &str, _: &std::path::Path, _: &str, _: u32, _: &[String]) -> Result<i32, String> {
    Err("this wasmfit has no embedded wasmtime (build with --features bench)".to_string())
}

/// Letters, digits, `.`, `_` and `-`: it becomes part of an image tag.
fn parse_run_id(text: &str) -> Result<String, String> {
    if !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        Ok(text.to_string())
    } else {
        Err(format!(
            "{text:?}: use 1 to 64 letters, digits, `.`, `_` or `-`"
        ))
    }
}

/// `256MiB`, `2GiB`, `512M`, `1G`, or bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v: f64 = num
        .parse()
        .map_err(|_| format!("not a size: {text:?} (try 256MiB or 2GiB)"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" | "kb" => 1024.0,
        "m" | "mib" | "mb" => 1024.0 * 1024.0,
        "g" | "gib" | "gb" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown unit in {text:?} (use KiB, MiB or GiB)")),
    };
    let bytes = v * mult;
    if !(1024.0 * 1024.0..=1024.0 * 1024.0 * 1024.0 * 1024.0).contains(&bytes) {
        return Err(format!("{text:?} is out of range (1 MiB to 1 TiB)"));
    }
    Ok(bytes as u64)
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadArg {
    Stdio,
    Http,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetArg {
    Wasip1,
    Wasip2,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideArg {
    Native,
    Container,
    Wasm,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    Table,
    Json,
}

/// `250ms`, `2s`, `1.5s`, `1m`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (try 500ms or 2s)"))?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        _ => return Err(format!("unknown unit in {text:?} (use ms, s or m)")),
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 3600.0 {
        return Err(format!(
            "{text:?} is out of range (more than 0, at most 1 hour)"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl BenchArgs {
    pub fn options(&self) -> BenchOptions {
        let has = |s: SideArg| self.sides.contains(&s);
        BenchOptions {
            path: self.path.clone(),
            workload: self.workload.map(|w| match w {
                WorkloadArg::Stdio => Workload::Stdio,
                WorkloadArg::Http => Workload::Http,
            }),
            request_file: self.request.clone(),
            expect: self.expect.clone(),
            wasm_target: self.wasm_target.map(|t| match t {
                TargetArg::Wasip1 => WasmTarget::P1,
                TargetArg::Wasip2 => WasmTarget::P2,
            }),
            sides: Sides {
                native: has(SideArg::Native),
                container: has(SideArg::Container),
                wasm: has(SideArg::Wasm),
            },
            cold_runs: self.cold_runs,
            request_runs: self.request_runs,
            throughput_runs: self.runs,
            duration: self.duration,
            warmup: self.warmup,
            connections: self.connections,
            cpu_split: !self.no_cpu_split,
            density_budget: self.density_budget,
            density_max: self.density_max,
            wasm_density_max: self.wasm_density_max,
            cache_dir: self.cache_dir.clone(),
            timeout: self.timeout,
            run_id: self.run_id.clone(),
            helper: None,
        }
    }
}

pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let quiet = args.quiet;
    // A closed stderr must not end the run (eprintln! would panic).
    let progress = move |line: &str| {
        if !quiet {
            let _ = writeln!(std::io::stderr(), "wasmfit bench: {line}");
        }
    };
    if args.sides.contains(&SideArg::Wasm) && !bench::WASM_ENABLED && !quiet {
        eprintln!("wasmfit bench: this build has no embedded wasmtime; the Wasm side needs `--features bench`");
    }
    if let Some(e) = &args.expect {
        bench::workload::Expect::parse(e).map_err(super::usage)?;
    }
    match bench::run(&args.options(), &progress) {
        Ok(results) => {
            if let Some(path) = &args.json_out {
                let json = serde_json::to_string_pretty(&results)? + "\n";
                if let Err(e) = std::fs::write(path, json) {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    return Ok(ExitCode::from(2));
                }
            }
            let text = match args.format {
                FormatArg::Table => crate::report::bench::render(&results),
                FormatArg::Json => serde_json::to_string_pretty(&results)? + "\n",
            };
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if e.step == Step::Interrupted => {
            let _ = writeln!(std::io::stderr(), "wasmfit bench: {e}");
            let code = e.signal.map_or(130, |s| 128 + s);
            Ok(ExitCode::from(u8::try_from(code).unwrap_or(130)))
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3h").is_err());
    }

    #[test]
    fn flags_become_options() {
        let cli = Cli::try_parse_from([
            "x",
            "svc",
            "--sides",
            "native,wasm",
            "--runs",
            "2",
            "--density-budget",
            "2GiB",
        ])
        .unwrap();
        let o = cli.bench.options();
        assert_eq!(
            o.sides,
            Sides {
                native: true,
                container: false,
                wasm: true
            }
        );
        assert_eq!(o.throughput_runs, 2);
        assert_eq!(o.density_budget, 2 << 30);
        assert!(Cli::try_parse_from(["x", "--density-budget", "12 parsecs"]).is_err());
        assert!(Cli::try_parse_from(["x", "--run-id", "a b"]).is_err());
        assert!(Cli::try_parse_from(["x", "--runs", "0"]).is_err());
        assert!(Cli::try_parse_from(["x", "--sides", "gpu"]).is_err());
    }
}
