//! `wasmfit scan [PATH]`: the main job.

use crate::model::Report;
use crate::report::Format;
use crate::scan;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The repository or service directory to scan (or a single file).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub walk: super::shared::WalkArgs,
    /// No progress output, and no notes on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Print no report, only the gate's one line on stderr when it fails
    /// (the pre-commit hook's mode).
    #[arg(long, conflicts_with_all = ["output", "format"])]
    pub no_report: bool,
    /// Read settings from FILE instead of the nearest wasmfit.toml at or
    /// above PATH (up to the repository root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Scan a container image instead of PATH: a `docker save` tar, an OCI
    /// layout (directory or tar), either gzip'd or zstd-compressed, or
    /// NAME:TAG from the local Docker engine.
    #[arg(long, value_name = "FILE|NAME:TAG")]
    pub image: Option<String>,
    /// --image: decompress at most BYTES, counted as they are read: a
    /// gzip'd or zstd archive larger than that is refused, and layers past
    /// it are not applied.
    #[arg(long, value_name = "BYTES", default_value_t = crate::image::Limits::default().max_input)]
    pub max_image_bytes: u64,
    /// --image: write at most BYTES of files into the temporary directory
    /// the image is unpacked in; later layers are not applied.
    #[arg(long, value_name = "BYTES", default_value_t = crate::image::Limits::default().max_bytes)]
    pub max_unpacked_bytes: u64,
    /// --image: do not unpack a single file larger than BYTES (it is
    /// reported instead).
    #[arg(long, value_name = "BYTES", default_value_t = crate::image::Limits::default().max_file_bytes)]
    pub max_unpacked_file_bytes: u64,
    /// Add the results of `wasmfit bench --json-out FILE` to the report.
    #[arg(long, value_name = "FILE")]
    pub bench_results: Option<PathBuf>,
    #[command(flatten)]
    pub gate: super::shared::GateArgs,
    #[command(flatten)]
    pub render: super::report::RenderArgs,
}

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    if let (None, Err(e)) = (&args.image, std::fs::symlink_metadata(&args.path)) {
        return Err(super::usage(format!("{}: {e}", args.path.display())));
    }
    let mut config = super::shared::config(&args.path, args.config.as_deref())?;
    if args.image.is_some() {
        // Path patterns apply to the image's own paths, not to a directory.
        config.base.clear();
        config.suppress.set_base("");
    }
    let rules = super::shared::rules(&config, &args.walk.rules)?;
    let opts = options(args, &config);
    let thresholds = args.gate.thresholds(&config.gate);
    // Bad baselines are input errors; find them before spending a scan.
    let saved = super::shared::read_baseline(&args.gate)?;
    let base_ref = match &args.gate.baseline_ref {
        Some(r) => Some(
            crate::gate::baseline::BaseRef::resolve(&args.path, r)
                .map_err(|e| super::usage(e.to_string()))?,
        ),
        None => None,
    };
    let mut report = match &args.image {
        Some(image) => scan_image(image, &opts, &rules, image_limits(args), args.quiet)?,
        None => scan_path(&args.path, &opts, &rules, args.quiet)?,
    };
    if args.image.is_none() {
        report.repository = super::shared::repository(&args.path, args.quiet || args.no_report);
    }
    report.target = Some(config.target);
    if let Some(name) = &args.render.service {
        super::shared::focus(&mut report, &rules, name)?;
    }
    // Every report carries the primary service's migration plan; a service
    // with no verdict has none.
    report.plan = crate::plan::for_report(&report, &rules);
    if let Some(b) = &args.bench_results {
        report.bench = Some(read_bench(b)?);
    }
    // The gate is decided before rendering: JUnit shows its decision.
    let baseline = match (thresholds.is_set(), saved, base_ref) {
        (false, _, _) => None,
        (true, Some(b), _) => Some(b),
        (true, None, Some(r)) => r.scan(|p| scan_path(p, &opts, &rules, args.quiet))?,
        (true, None, None) => None,
    };
    // The baseline is compared service to service: the same one, when it
    // had it (a service new since the baseline is compared with the
    // baseline's primary).
    let baseline = baseline.map(|mut b| {
        if let Some(name) = &args.render.service {
            let _ = b.focus(name);
        }
        b
    });
    let gate = super::report::junit_gate(&report, baseline.as_ref(), &thresholds);
    if !args.no_report {
        let output = args.output.as_deref();
        args.render
            .write(&report, &rules, args.format, output, gate)?;
    }
    if !thresholds.is_set() {
        return Ok(ExitCode::SUCCESS);
    }
    Ok(super::shared::finish(
        &report,
        baseline.as_ref(),
        &thresholds,
    ))
}

/// The scan options: flags, plus the config's excludes and suppressions.
/// Patterns are matched relative to the config file's directory, so the
/// flags' patterns (relative to PATH) are rebased there.
pub fn options(args: &ScanArgs, config: &crate::config::Config) -> scan::Options {
    let base = config.base.as_str();
    let flags = args.walk.exclude.iter();
    let exclude = config.exclude.iter().cloned();
    let exclude = exclude.chain(flags.map(|p| crate::config::rebase_pattern(base, p)));
    scan::Options {
        discover: crate::input::discover::Options {
            exclude_base: base.to_string(),
            ..args.walk.discover(exclude.collect())
        },
        suppress: config.suppress.clone(),
        ..Default::default()
    }
}

/// The budgets of an image scan, from the flags.
fn image_limits(args: &ScanArgs) -> crate::image::Limits {
    crate::image::Limits {
        max_input: args.max_image_bytes,
        max_bytes: args.max_unpacked_bytes,
        max_file_bytes: args.max_unpacked_file_bytes,
        ..Default::default()
    }
}

/// `--image`: unpacks a container image into a temporary directory and
/// scans it. No engine, or no image, is the user's to fix (exit 2).
pub fn scan_image(
    spec: &str,
    opts: &scan::Options,
    rules: &crate::rules::RuleSet,
    limits: crate::image::Limits,
    quiet: bool,
) -> anyhow::Result<Report> {
    let input = crate::image::Input::parse(spec)
        .map_err(|e| super::usage(format!("--image {spec}: {e}")))?;
    let bar = Progress::new(
        quiet,
        "{spinner} scanning the image: {pos}/{len} files {wide_bar} {elapsed}",
    );
    let report = crate::image::scan(&input, opts, rules, limits, &|d, t| bar.update(d, t))
        .map_err(|e| super::usage(format!("--image {spec}: {e}")))?;
    bar.finish();
    Ok(report)
}

/// Runs the scan with a progress bar on stderr when it is a terminal.
pub fn scan_path(
    path: &Path,
    opts: &scan::Options,
    rules: &crate::rules::RuleSet,
    quiet: bool,
) -> anyhow::Result<Report> {
    if let Err(e) = std::fs::symlink_metadata(path) {
        return Err(super::usage(format!("{}: {e}", path.display())));
    }
    let bar = Progress::new(
        quiet,
        "{spinner} scanning {pos}/{len} files {wide_bar} {elapsed}",
    );
    let report = scan::scan(path, opts, rules, &|d, t| bar.update(d, t))
        .map_err(|e| super::usage(format!("{}: {e}", path.display())))?;
    bar.finish();
    Ok(report)
}

/// A scan's progress on stderr when it is a terminal: a spinner while the
/// files are found, then a bar drawn with `template`.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    template: &'static str,
}

impl Progress {
    fn new(quiet: bool, template: &'static str) -> Progress {
        use std::io::IsTerminal;
        if quiet || !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                template,
            };
        }
        let b = indicatif::ProgressBar::new(0);
        b.set_style(bar_style("{spinner} finding files {elapsed}"));
        // Redraw on a timer too: the walk that finds the files reports no
        // progress, and one large file can hold the count still for a while.
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress {
            bar: Some(b),
            template,
        }
    }

    fn update(&self, done: usize, total: usize) {
        if let Some(b) = &self.bar {
            if b.length() != Some(total as u64) {
                // The walk is done: the spinner becomes a bar.
                b.set_length(total as u64);
                b.set_style(bar_style(self.template));
            }
            b.set_position(done as u64);
        }
    }

    fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

fn bar_style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
}

/// Reads saved bench results, checking they are what `wasmfit bench` writes.
fn read_bench(path: &Path) -> anyhow::Result<crate::model::bench::BenchResults> {
    let text = crate::input::bounded::read(path, super::report::MAX_REPORT_BYTES)
        .map_err(|e| super::usage(format!("{}: {e}", path.display())))?;
    serde_json::from_slice(&text).map_err(|e| {
        super::usage(format!(
            "{}: not wasmfit bench results: {e}",
            path.display()
        ))
    })
}
