//! `wasmfit scan [PATH]`: the main job.

use crate::report::{self, Report};
use crate::scan;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: grouped by severity, with path:line and the line itself.
    Text,
    /// For machines: the versioned report schema.
    Json,
}

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
    /// Exclude paths matching this gitignore-style pattern (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Also scan vendored and build trees (vendor/, node_modules/, target/...).
    #[arg(long)]
    pub no_default_excludes: bool,
    /// Do not honour .gitignore files.
    #[arg(long)]
    pub no_gitignore: bool,
    /// Text files larger than this many bytes are not read.
    #[arg(long, value_name = "BYTES", default_value_t = 4 << 20)]
    pub max_file_size: u64,
    /// No progress output.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    let rules = super::load_rules(&args.rules)?;
    let report = scan_path(args, &rules)?;
    let text = render(&report, args.format, args.output.is_some());
    super::emit(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the scan with a progress bar on stderr when it is a terminal.
pub fn scan_path(args: &ScanArgs, rules: &crate::rules::RuleSet) -> anyhow::Result<Report> {
    if let Err(e) = std::fs::symlink_metadata(&args.path) {
        return Err(super::usage(format!("{}: {e}", args.path.display())));
    }
    let opts = scan::Options {
        discover: crate::discover::Options {
            default_excludes: !args.no_default_excludes,
            gitignore: !args.no_gitignore,
            exclude: args.exclude.clone(),
            max_text_size: args.max_file_size,
            ..Default::default()
        },
    };
    let bar = progress_bar(args.quiet);
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let report = scan::scan(&args.path, &opts, rules, &progress)
        .map_err(|e| super::usage(format!("{}: {e}", args.path.display())))?;
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
    b.set_style(
        indicatif::ProgressStyle::with_template("{spinner} scanning {pos}/{len} files {wide_bar} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}

pub fn render(report: &Report, format: Format, to_file: bool) -> String {
    match format {
        Format::Text => report::text::render(report, super::use_color(to_file)),
        Format::Json => report::json::render(report),
    }
}
