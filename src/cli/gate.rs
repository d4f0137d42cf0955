//! The gate's command-line side: its flags, the configuration that feeds
//! the scan, baselines from a saved report or from a git ref, and the exit
//! code. The decision itself is `crate::gate`, which prints nothing.

use crate::config::Config;
use crate::gate::{self, Thresholds};
use crate::report::Report;
use crate::rules::{RuleSet, Severity};
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

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
    /// Compare with a saved JSON report (`wasmfit scan -f json`): only what
    /// is new, or a lower score, fails.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline_ref")]
    pub baseline: Option<PathBuf>,
    /// Compare with a scan of the merge base of HEAD and GIT_REF (e.g.
    /// `origin/main`), made in a temporary git worktree.
    #[arg(long, value_name = "GIT_REF")]
    pub baseline_ref: Option<String>,
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
    /// CLI over config: a flag given on the command line wins.
    pub fn thresholds(&self, config: &Thresholds) -> Thresholds {
        Thresholds {
            fail_under: self.fail_under.or(config.fail_under),
            fail_on: match self.fail_on {
                None => config.fail_on,
                Some(FailOn::None) => None,
                Some(FailOn::Blocker) => Some(Severity::Blocker),
                Some(FailOn::Major) => Some(Severity::Major),
                Some(FailOn::Minor) => Some(Severity::Minor),
                Some(FailOn::Info) => Some(Severity::Info),
            },
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
    let text = std::fs::read_to_string(file)
        .map_err(|e| super::usage(format!("{}: cannot read baseline: {e}", file.display())))?;
    crate::report::json::parse(&text)
        .map(Some)
        .map_err(|e| super::usage(format!("{}: baseline: {e}", file.display())))
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

/// `--baseline-ref`, resolved before the scan so that a typo costs nothing.
#[derive(Debug)]
pub struct BaseRef {
    /// The repository's top level.
    top: PathBuf,
    /// The scanned path relative to `top`.
    rel: PathBuf,
    /// The merge base of HEAD and the ref.
    pub commit: String,
}

impl BaseRef {
    /// Finds the repository around `path` and the merge base of HEAD and
    /// `git_ref`.
    pub fn resolve(path: &Path, git_ref: &str) -> anyhow::Result<BaseRef> {
        let bad = |m: String| super::usage(format!("--baseline-ref: {m}"));
        if git_ref.starts_with('-') || git_ref.is_empty() {
            return Err(bad(format!("`{git_ref}` is not a git ref")));
        }
        let abs =
            std::fs::canonicalize(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        let dir = if abs.is_dir() {
            abs.clone()
        } else {
            abs.parent().unwrap_or(&abs).to_path_buf()
        };
        let top = git_out(&dir, &["rev-parse", "--show-toplevel"]).map_err(|e| {
            bad(format!(
                "{} is not in a git repository ({e})",
                path.display()
            ))
        })?;
        let top = std::fs::canonicalize(&top).map_err(|e| bad(format!("{top}: {e}")))?;
        let rel = abs
            .strip_prefix(&top)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        let target = git_out(
            &top,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{git_ref}^{{commit}}"),
            ],
        )
        .map_err(|_| bad(format!("`{git_ref}` is not a commit in {}", top.display())))?;
        let commit = git_out(&top, &["merge-base", "HEAD", &target])
            .map_err(|e| bad(format!("no merge base of HEAD and `{git_ref}` ({e})")))?;
        Ok(BaseRef { top, rel, commit })
    }

    /// Checks the merge base out in a temporary worktree and scans the same
    /// relative path there. `None` when the path did not exist yet: then
    /// everything is new. The worktree is removed on every way out.
    pub fn scan(
        &self,
        scan: impl FnOnce(&Path) -> anyhow::Result<Report>,
    ) -> anyhow::Result<Option<Report>> {
        let tree = Worktree::add(&self.top, &self.commit)?;
        let path = tree.path.join(&self.rel);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        scan(&path).map(Some)
    }
}

/// A detached worktree in a temporary directory, removed when dropped
/// (also when the scan fails or panics).
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
    // Dropped after `drop` below has unregistered the worktree.
    _dir: tempfile::TempDir,
}

impl Worktree {
    fn add(repo: &Path, commit: &str) -> anyhow::Result<Worktree> {
        let dir = tempfile::Builder::new()
            .prefix("wasmfit-baseline-")
            .tempdir()
            .map_err(|e| {
                super::usage(format!(
                    "--baseline-ref: cannot create a temporary directory: {e}"
                ))
            })?;
        let path = dir.path().join("tree");
        let path_arg = path.to_string_lossy().into_owned();
        git_out(
            repo,
            &["worktree", "add", "--detach", "--quiet", &path_arg, commit],
        )
        .map_err(|e| super::usage(format!("--baseline-ref: git worktree add failed: {e}")))?;
        Ok(Worktree {
            repo: repo.to_path_buf(),
            path,
            _dir: dir,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let path = self.path.to_string_lossy().into_owned();
        // Best effort: a failure here leaves a stale entry that the next
        // `git worktree prune` removes, and must not hide the scan's result.
        let _ = git_out(&self.repo, &["worktree", "remove", "--force", &path]);
        let _ = git_out(&self.repo, &["worktree", "prune"]);
    }
}

/// Runs git in `dir` and returns its trimmed stdout, or the first line of
/// its stderr as the error.
fn git_out(dir: &Path, args: &[&str]) -> Result<String, String> {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir);
    // Checking out runs hooks, which would be code from the repository being
    // scanned; wasmfit never runs scanned code.
    c.args(["-c", "core.hooksPath=/dev/null"]);
    c.args(args);
    // Set when wasmfit runs inside a git hook (pre-commit): they would point
    // git at the caller's index instead of the worktree's.
    for v in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_PREFIX",
        "GIT_COMMON_DIR",
    ] {
        c.env_remove(v);
    }
    c.stdin(Stdio::null());
    let out = c.output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    Err(if first.is_empty() {
        format!("git exited with {}", out.status)
    } else {
        first.to_string()
    })
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
    }

    #[test]
    fn refs_that_look_like_flags_are_refused() {
        let e = BaseRef::resolve(Path::new("."), "--output=/tmp/x").unwrap_err();
        assert!(e.to_string().contains("is not a git ref"), "{e}");
    }
}
