//! `--baseline-ref`: the merge base of HEAD and a git ref, checked out in a
//! temporary worktree and scanned like the current tree, so a gate can fail
//! only on what a change made worse.

use crate::model::Report;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A baseline that cannot be made: the user's ref or repository is wrong,
/// or git failed. The message names the option and what to fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BaselineError(pub String);

fn usage(m: String) -> anyhow::Error {
    BaselineError(m).into()
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
        let bad = |m: String| usage(format!("--baseline-ref: {m}"));
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
    /// Does what `drop` does if a signal stops wasmfit.
    _on_signal: crate::interrupt::Registration,
}

impl Worktree {
    fn add(repo: &Path, commit: &str) -> anyhow::Result<Worktree> {
        let dir = tempfile::Builder::new()
            .prefix("wasmfit-baseline-")
            .tempdir()
            .map_err(|e| {
                usage(format!(
                    "--baseline-ref: cannot create a temporary directory: {e}"
                ))
            })?;
        let path = dir.path().join("tree");
        let path_arg = path.to_string_lossy().into_owned();
        git_out(
            repo,
            &["worktree", "add", "--detach", "--quiet", &path_arg, commit],
        )
        .map_err(|e| usage(format!("--baseline-ref: git worktree add failed: {e}")))?;
        let (r, p, d) = (repo.to_path_buf(), path.clone(), dir.path().to_path_buf());
        let on_signal = crate::interrupt::on_signal(move || {
            remove_worktree(&r, &p);
            let _ = std::fs::remove_dir_all(d);
        });
        Ok(Worktree {
            repo: repo.to_path_buf(),
            path,
            _dir: dir,
            _on_signal: on_signal,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        remove_worktree(&self.repo, &self.path);
    }
}

fn remove_worktree(repo: &Path, path: &Path) {
    let path = path.to_string_lossy().into_owned();
    // Best effort: a failure here leaves a stale entry that the next
    // `git worktree prune` removes, and must not hide the scan's result.
    let _ = git_out(repo, &["worktree", "remove", "--force", &path]);
    let _ = git_out(repo, &["worktree", "prune"]);
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
    fn refs_that_look_like_flags_are_refused() {
        let e = BaseRef::resolve(Path::new("."), "--output=/tmp/x").unwrap_err();
        assert!(e.to_string().contains("is not a git ref"), "{e}");
    }
}
