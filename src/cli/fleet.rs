//! `wasmfit fleet scan|report|merge`: many services into one directory,
//! then the portfolio view of it.

use crate::fleet::{self, inputs, merge, portfolio, render, run, store::FleetDir, Shard, Status};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct FleetArgs {
    #[command(subcommand)]
    pub command: FleetCommand,
}

#[derive(Subcommand, Debug)]
pub enum FleetCommand {
    /// Scan many services (directories, git checkouts, image archives, or
    /// files listing them) into DIR: one JSON report each and a manifest.
    Scan(ScanArgs),
    /// The portfolio of a fleet directory: verdicts, ranked candidates,
    /// blockers across the fleet, runtime mix, dependency hot spots.
    Report(ReportArgs),
    /// Join the directories of several shards into one fleet directory.
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Directories, git checkouts, image archives (`docker save`, OCI), or
    /// text files listing them one a line (`#` comments; relative paths are
    /// relative to the list).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The fleet directory: new, empty, or one an earlier run wrote (then
    /// unchanged services are not scanned again).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Scan only shard I of N (from 0): each input belongs to exactly one
    /// shard by a stable hash of its path, so N workers given the same
    /// inputs write disjoint sets of reports.
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Services scanned at once (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub jobs: usize,
    /// Scan every service again, even unchanged ones.
    #[arg(long)]
    pub rescan: bool,
    #[command(flatten)]
    pub walk: super::shared::WalkArgs,
    /// No progress bar and no per-failure lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A fleet directory written by `fleet scan` or `fleet merge`.
    pub dir: PathBuf,
    #[arg(long, short = 'f', value_enum, default_value_t = render::Format::Html)]
    pub format: render::Format,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// An earlier fleet directory: add what changed since (services that
    /// became fit, new blockers).
    #[arg(long, value_name = "OLD_DIR")]
    pub compare: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shard directories.
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The merged fleet directory (new or empty).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Merge directories written by different wasmfit versions or rules.
    #[arg(long)]
    pub allow_mixed: bool,
}

pub fn run(args: &FleetArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        FleetCommand::Scan(a) => scan(a),
        FleetCommand::Report(a) => report(a),
        FleetCommand::Merge(a) => merge_dirs(a),
    }
}

fn scan(a: &ScanArgs) -> anyhow::Result<ExitCode> {
    let w = &a.walk;
    let rules = super::load_rules(&w.rules)?;
    let expanded = inputs::expand(&a.inputs).map_err(super::usage)?;
    let (dir, _) = FleetDir::create_or_resume(&a.out).map_err(super::usage)?;
    for d in &expanded.duplicates {
        if !a.quiet {
            eprintln!(
                "wasmfit: {}: {} was given already; scanned once as {}",
                d.given_at, d.input, d.same_as
            );
        }
    }
    let expanded = expanded.shard(a.shard);
    let mut exclude = w.exclude.clone();
    exclude.sort();
    let settings = run::Settings {
        scan: crate::scan::Options {
            discover: w.discover(w.exclude.clone()),
            ..Default::default()
        },
        rule_dirs: w.rules.clone(),
        options_label: format!(
            "exclude={exclude:?} default_excludes={} gitignore={} max_file_size={}",
            !w.no_default_excludes, !w.no_gitignore, w.max_file_size
        ),
        jobs: a.jobs,
        shard: a.shard,
        rescan: a.rescan,
    };
    let bar = bar(a.quiet, expanded.inputs.len());
    let progress = |e: &fleet::Entry, done: usize, _total: usize| {
        if e.status == Status::Failed && !a.quiet {
            let line = format!(
                "wasmfit: {}: failed: {}",
                e.name,
                e.error.as_deref().unwrap_or("")
            );
            match &bar {
                Some(b) => b.println(crate::report::escape::visible(&line)),
                None => eprintln!("{}", crate::report::escape::visible(&line)),
            }
        }
        if let Some(b) = &bar {
            b.set_position(done as u64);
            b.set_message(crate::report::escape::visible(&e.name).into_owned());
        }
    };
    let manifest = run::run(expanded, &dir, &rules, &settings, &progress)
        .map_err(|e| super::usage(format!("{}: {e}", a.out.display())))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if !a.quiet {
        let c = &manifest.counts;
        eprintln!(
            "wasmfit: fleet {}: {} services: {} scanned, {} unchanged, {} failed{}",
            a.out.display(),
            c.services,
            c.scanned,
            c.reused,
            c.failed,
            if c.failed > 0 {
                " (listed in manifest.json; run again to retry)"
            } else {
                ""
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn bar(quiet: bool, total: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let b = indicatif::ProgressBar::new(total as u64);
    b.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos}/{len} services {wide_bar} {elapsed} (eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(b)
}

fn report(a: &ReportArgs) -> anyhow::Result<ExitCode> {
    let (dir, manifest) = FleetDir::open(&a.dir).map_err(super::usage)?;
    let mut p = portfolio::build(&dir, &manifest);
    if let Some(old) = &a.compare {
        let (odir, om) = FleetDir::open(old).map_err(super::usage)?;
        let before = portfolio::build(&odir, &om);
        p.trend = Some(fleet::trend::compare(&before, &p));
    }
    let text = render::render(&p, a.format).map_err(anyhow::Error::msg)?;
    super::emit(a.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn merge_dirs(a: &MergeArgs) -> anyhow::Result<ExitCode> {
    let merged = merge::merge(&a.dirs, &a.out, a.allow_mixed).map_err(super::usage)?;
    for w in &merged.warnings {
        eprintln!("wasmfit: warning: {}", crate::report::escape::visible(w));
    }
    let c = &merged.manifest.counts;
    eprintln!(
        "wasmfit: merged {} directories into {}: {} services, {} failed",
        a.dirs.len(),
        a.out.display(),
        c.services,
        c.failed
    );
    Ok(ExitCode::SUCCESS)
}
