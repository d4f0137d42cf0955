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
    /// Also load every *.toml rule file in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Exclude paths matching this gitignore-style pattern, relative to
    /// PATH (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also scan vendored and build trees (vendor/, node_modules/, target/...).
    #[arg(long)]
    pub no_default_excludes: bool,
    /// Do not honour ignore files (.gitignore, .ignore, .git/info/exclude).
    #[arg(long)]
    pub no_gitignore: bool,
    /// Text files larger than this many bytes are not read.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20)]
    pub max_file_size: u64,
    /// No progress output.
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
    let rules = super::shared::rules(&config, &args.rules)?;
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
        report.repository = crate::input::repo::locate(&args.path);
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
        super::render(
            &report,
            &rules,
            args.format,
            args.output.as_deref(),
            &args.render,
            gate,
        )?;
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
    scan::Options {
        discover: crate::input::discover::Options {
            default_excludes: !args.no_default_excludes,
            gitignore: !args.no_gitignore,
            exclude: config
                .exclude
                .iter()
                .cloned()
                .chain(
                    args.exclude
                        .iter()
                        .map(|p| crate::config::rebase_pattern(base, p)),
                )
                .collect(),
            exclude_base: base.to_string(),
            max_text_size: args.max_file_size,
            ..Default::default()
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
    let bar = progress_bar(quiet);
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            if b.length() != Some(total as u64) {
                b.set_length(total as u64);
                b.set_style(bar_style(
                    "{spinner} scanning the image: {pos}/{len} files {wide_bar} {elapsed}",
                ));
            }
            b.set_position(done as u64);
        }
    };
    let report = crate::image::scan(&input, opts, rules, limits, &progress)
        .map_err(|e| super::usage(format!("--image {spec}: {e}")))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
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
    let bar = progress_bar(quiet);
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            if b.length() != Some(total as u64) {
                // The walk is done: the spinner becomes a bar.
                b.set_length(total as u64);
                b.set_style(bar_style(
                    "{spinner} scanning {pos}/{len} files {wide_bar} {elapsed}",
                ));
            }
            b.set_position(done as u64);
        }
    };
    let report = scan::scan(path, opts, rules, &progress)
        .map_err(|e| super::usage(format!("{}: {e}", path.display())))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(report)
}

fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(0);
    b.set_style(bar_style("{spinner} finding files {elapsed}"));
    // Redraw on a timer too: the walk that finds the files reports no
    // progress, and one large file can hold the count still for a while.
    b.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(b)
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
