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
/// cold start, steady throughput, idle memory (density) and artifact size.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Workloads: `stdio` sends newline-delimited JSON requests on stdin and reads one \
response line each; `http` posts the same JSON to --http-path of a wasi:http component and of the \
container's port (the service listens on $PORT). The Wasm side needs a wasmfit built with \
`--features bench`; without a reachable Docker engine the container side is skipped and said so.\n\n\
Exit status: 0 figures measured, 2 a build, toolchain, container or Wasm run failed, 130 interrupted."
)]
pub struct BenchArgs {
    /// Service directory (Rust, Go, C/C++) or a .wasm file.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Workload shape; default: http when the Dockerfile EXPOSEs a port, else stdio.
    #[arg(long, value_enum)]
    pub workload: Option<WorkloadArg>,
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
    /// Cold starts per side.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub cold_runs: u32,
    /// Throughput runs per side.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: u32,
    /// Measured window of one throughput run (e.g. 2s, 500ms).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Warm-up before each measured window.
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Wasm instances held at once for the idle-memory figure.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub wasm_instances: u32,
    /// Containers (and native processes) held at once for theirs.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub containers: u32,
    /// HTTP: concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub connections: u32,
    /// HTTP: path the JSON requests are posted to.
    #[arg(long, default_value = "/transform")]
    pub http_path: String,
    /// Cache for builds and AOT-compiled code (default: ~/.cache/wasmfit).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Upper bound for one run: a container that never answers fails after this.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
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
            throughput_runs: self.runs,
            duration: self.duration,
            warmup: self.warmup,
            wasm_idle: self.wasm_instances,
            container_idle: self.containers,
            connections: self.connections,
            http_path: if self.http_path.starts_with('/') {
                self.http_path.clone()
            } else {
                format!("/{}", self.http_path)
            },
            cache_dir: self.cache_dir.clone(),
            timeout: self.timeout,
            run_id: None,
        }
    }
}

pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let quiet = args.quiet;
    let progress = move |line: &str| {
        if !quiet {
            eprintln!("wasmfit bench: {line}");
        }
    };
    if args.sides.contains(&SideArg::Wasm) && !bench::WASM_ENABLED && !quiet {
        eprintln!("wasmfit bench: this build has no embedded wasmtime; the Wasm side needs `--features bench`");
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
            eprintln!("wasmfit bench: {e}");
            Ok(ExitCode::from(130))
        }
        Err(e) => {
            eprintln!("error: {e}");
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
            "--http-path",
            "t",
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
        assert_eq!(o.http_path, "/t");
        assert!(Cli::try_parse_from(["x", "--runs", "0"]).is_err());
        assert!(Cli::try_parse_from(["x", "--sides", "gpu"]).is_err());
    }
}
