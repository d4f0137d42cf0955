//! What the subcommands that scan share: the gate's flags, the
//! configuration and rules that feed the scan, baselines, and the exit code.
//! The gate's decision itself is `crate::gate`, which prints nothing.

use crate::config::Config;
use crate::config::Thresholds;
use crate::gate;
use crate::model::Report;
use crate::rules::{RuleSet, Severity};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug, Default)]
#[command(next_help_heading = "CI gate (exit 1 when it fails)")]
pub struct GateArgs {
    /// Fail when the score is below SCORE (0-100). With a baseline, only
    /// when the change also lowered the score.
    #[arg(long, value_name = "SCORE", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fail_under: Option<u8>,
    /// Fail on any counted finding of SEVERITY or worse. With a baseline,
    /// only on evidence new since the baseline. `none` switches off a
    /// threshold set in wasmfit.toml.
    #[arg(long, value_name = "SEVERITY", value_enum)]
    pub fail_on: Option<FailOn>,
    /// The severity threshold when neither --fail-on nor wasmfit.toml's
    /// `[gate] fail-on` sets one: a default that the repository's settings
    /// can change (the pre-commit hook passes `blocker`).
    #[arg(long, value_name = "SEVERITY", value_enum)]
    pub fail_on_default: Option<FailOn>,
    /// Compare with a saved JSON report (`wasmfit scan -f json`): only what
    /// is new, or a lower score, fails.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline_ref")]
    pub baseline: Option<PathBuf>,
    /// Compare with a scan of the merge base of HEAD and GIT_REF (e.g.
    /// `origin/main`), made in a temporary git worktree.
    #[arg(long, value_name = "GIT_REF")]
    pub baseline_ref: Option<String>,
}

/// Which files a scan reads and with which rules: the flags `scan` and
/// `fleet scan` share.
#[derive(Args, Debug)]
pub struct WalkArgs {
    /// Also load every *.toml rule file in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Exclude paths matching this gitignore-style pattern, relative to
    /// the directory scanned (repeatable).
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
}

impl WalkArgs {
    /// The walk these flags ask for, excluding `exclude` (the flags'
    /// patterns as the caller has placed them).
    pub fn discover(&self, exclude: Vec<String>) -> crate::input::discover::Options {
        crate::input::discover::Options {
            default_excludes: !self.no_default_excludes,
            gitignore: !self.no_gitignore,
            exclude,
            max_text_size: self.max_file_size,
            ..Default::default()
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Blocker,
    Major,
    Minor,
    Info,
    /// No severity threshold, whatever wasmfit.toml says.
    None,
}

impl GateArgs {
    /// Per key: a flag on the command line, else the config, else
    /// `--fail-on-default`.
    pub fn thresholds(&self, config: &Thresholds) -> Thresholds {
        Thresholds {
            fail_under: self.fail_under.or(config.fail_under),
            fail_on: match self.fail_on {
                None => config
                    .fail_on
                    .or_else(|| self.fail_on_default.and_then(FailOn::severity)),
                Some(f) => f.severity(),
            },
        }
    }
}

impl FailOn {
    fn severity(self) -> Option<Severity> {
        match self {
            FailOn::None => None,
            FailOn::Blocker => Some(Severity::Blocker),
            FailOn::Major => Some(Severity::Major),
            FailOn::Minor => Some(Severity::Minor),
            FailOn::Info => Some(Severity::Info),
        }
    }
}

/// The config for a scan of `path`, as a usage error when it is broken.
pub fn config(path: &Path, explicit: Option<&Path>) -> anyhow::Result<Config> {
    Config::find(path, explicit).map_err(|e| super::usage(e.to_string()))
}

/// The built-in rules, the config's rule directories, then the CLI's; with
/// the config's re-grades and rules turned off applied.
pub fn rules(config: &Config, cli_dirs: &[PathBuf]) -> anyhow::Result<RuleSet> {
    let dirs: Vec<PathBuf> = config.rule_dirs.iter().chain(cli_dirs).cloned().collect();
    let mut rules = super::load_rules(&dirs)?;
    config
        .apply(&mut rules)
        .map_err(|e| super::usage(e.to_string()))?;
    Ok(rules)
}

/// Reads `--baseline FILE`, refusing anything that is not a report of this
/// schema's major version.
pub fn read_baseline(args: &GateArgs) -> anyhow::Result<Option<Report>> {
    let Some(file) = &args.baseline else {
        return Ok(None);
    };
    let bytes = crate::input::bounded::read(file, super::report::MAX_REPORT_BYTES)
        .map_err(|e| super::usage(format!("{}: cannot read baseline: {e}", file.display())))?;
    crate::report::json::parse_slice(&bytes)
        .map(Some)
        .map_err(|e| super::usage(format!("{}: baseline: {e}", file.display())))
}

/// The repository around a scanned path. Outside any git repository the
/// report's paths are relative to the scan root, which is not where CI
/// systems resolve them (the checkout's root): said once, on stderr, unless
/// `quiet`.
pub fn repository(path: &Path, quiet: bool) -> Option<crate::model::report::Repository> {
    let repo = crate::input::repo::locate(path);
    if !quiet && repo.as_ref().is_some_and(|r| !r.git) {
        let shown = path.display().to_string();
        // A closed stderr must not end the run (eprintln! would panic).
        let _ = writeln!(
            std::io::stderr(),
            "wasmfit: note: {} is not inside a git repository: paths are relative to the scan root",
            crate::report::escape::visible(&shown)
        );
    }
    repo
}

/// Evaluates the gate; on failure prints its one summary line on stderr
/// and returns exit code 1.
pub fn finish(report: &Report, baseline: Option<&Report>, t: &Thresholds) -> ExitCode {
    let outcome = gate::evaluate(report, baseline, t);
    if outcome.passed {
        ExitCode::SUCCESS
    } else {
        eprintln!("wasmfit: {}", outcome.summary());
        ExitCode::from(1)
    }
}

/// `--service NAME`: the report's subject becomes that service, with the
/// decision framework evaluated again on its findings. An unknown name is
/// the user's to fix (exit 2), naming the services there are.
pub fn focus(
    report: &mut crate::model::Report,
    rules: &crate::rules::RuleSet,
    name: &str,
) -> anyhow::Result<()> {
    report
        .focus(name)
        .map_err(|e| super::usage(format!("--service {name}: {e}")))?;
    let inputs = crate::analyze::signals::Inputs {
        dockerfiles: report.inventory.dockerfiles.clone(),
        compose_files: report.inventory.compose_files.clone(),
        service_source_bytes: report.inventory.languages.values().sum(),
        plugin_hosts: Vec::new(),
    };
    report.signals =
        crate::analyze::signals::evaluate(rules, &report.findings, &report.runtime, &inputs);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_wins_over_config() {
        let config = Thresholds {
            fail_under: Some(60),
            fail_on: Some(Severity::Blocker),
        };
        let none = GateArgs::default();
        assert_eq!(none.thresholds(&config), config);
        let cli = GateArgs {
            fail_under: Some(80),
            fail_on: Some(FailOn::Major),
            ..GateArgs::default()
        };
        assert_eq!(
            cli.thresholds(&config),
            Thresholds {
                fail_under: Some(80),
                fail_on: Some(Severity::Major)
            }
        );
        let off = GateArgs {
            fail_on: Some(FailOn::None),
            ..GateArgs::default()
        };
        assert_eq!(off.thresholds(&config).fail_on, None);
        // A default gives way to the config, and applies without one.
        let hook = GateArgs {
            fail_on_default: Some(FailOn::Blocker),
            ..GateArgs::default()
        };
        let major = Thresholds {
            fail_under: None,
            fail_on: Some(Severity::Major),
        };
        assert_eq!(hook.thresholds(&major).fail_on, Some(Severity::Major));
        assert_eq!(
            hook.thresholds(&Thresholds::default()).fail_on,
            Some(Severity::Blocker)
        );
        let both = GateArgs {
            fail_on: Some(FailOn::Minor),
            ..hook
        };
        assert_eq!(both.thresholds(&major).fail_on, Some(Severity::Minor));
    }
}
