//! Ignore files as git and ripgrep read them: `.gitignore` and `.ignore` in
//! each directory, those in the directories above the scan root up to the
//! repository root, and the repository's `.git/info/exclude`.
//!
//! Only files inside the repository are read (outside one, only inside the
//! scan root), only regular files (a symlink could name any file on the
//! host), and only their first `MAX_BYTES`.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Larger ignore files are read up to this size; the rest is left out.
const MAX_BYTES: u64 = 1 << 20;

/// The ignore rules of one directory: its `.gitignore`, then its `.ignore`
/// (which wins where both have an opinion, as in ripgrep), or `None` when
/// it has neither.
pub(crate) fn for_dir(dir: &Path) -> Option<Gitignore> {
    let mut b = GitignoreBuilder::new(dir);
    let mut any = false;
    for name in [".gitignore", ".ignore"] {
        any |= add_file(&mut b, &dir.join(name));
    }
    if !any {
        return None;
    }
    b.build().ok()
}

/// Adds a regular file's lines to `b`; false when there is no such file.
fn add_file(b: &mut GitignoreBuilder, file: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(file) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let mut text = String::new();
    let Ok(f) = std::fs::File::open(file) else {
        return false;
    };
    // A file that is not UTF-8 is read as far as it is.
    let mut bytes = Vec::new();
    if f.take(MAX_BYTES).read_to_end(&mut bytes).is_err() {
        return false;
    }
    text.push_str(&String::from_utf8_lossy(&bytes));
    for line in text.lines() {
        // A malformed line is ignored, as git does.
        let _ = b.add_line(Some(file.to_path_buf()), line);
    }
    true
}

/// The rules that apply to a scan root from above it: the ignore files of
/// every directory between the repository root and the scan root (nearest
/// first), then `.git/info/exclude`. Paths given to `matched` are
/// absolute (the canonical scan root joined with the relative path).
#[derive(Debug, Default)]
pub(crate) struct Above {
    /// The canonical scan root, to make paths absolute.
    root: PathBuf,
    layers: Vec<Gitignore>,
}

impl Above {
    /// The rules above `root` (a directory); none when it is the repository
    /// root or outside any repository.
    pub(crate) fn load(root: &Path) -> Above {
        let Ok(root) = std::fs::canonicalize(root) else {
            return Above::default();
        };
        let Some(top) = super::repo::root_of(&root).map(Path::to_path_buf) else {
            return Above {
                root,
                layers: Vec::new(),
            };
        };
        let mut layers = Vec::new();
        if root != top {
            for d in root.ancestors().skip(1) {
                layers.extend(for_dir(d));
                if d == top {
                    break;
                }
            }
        }
        // In a worktree or submodule `.git` is a file pointing elsewhere:
        // its exclude file lives outside the tree and is not read.
        let git = top.join(".git");
        if std::fs::symlink_metadata(&git).is_ok_and(|m| m.is_dir()) {
            let mut b = GitignoreBuilder::new(&top);
            if add_file(&mut b, &git.join("info/exclude")) {
                layers.extend(b.build().ok());
            }
        }
        Above { root, layers }
    }

    /// `Some(true)` when the nearest layer with an opinion ignores `rel`
    /// (relative to the scan root), `Some(false)` when it re-includes it,
    /// `None` when no layer has an opinion.
    pub(crate) fn matched(&self, rel: &str, is_dir: bool) -> Option<bool> {
        if self.layers.is_empty() {
            return None;
        }
        let abs = self.root.join(rel);
        self.layers.iter().find_map(|g| {
            let m = g.matched(&abs, is_dir);
            if m.is_ignore() {
                Some(true)
            } else if m.is_whitelist() {
                Some(false)
            } else {
                None
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, text: &str) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn ignore_wins_over_gitignore_in_one_directory() {
        let d = tempfile::tempdir().unwrap();
        write(&d.path().join(".gitignore"), "*.log\ngen/\n");
        write(&d.path().join(".ignore"), "!keep.log\n");
        let g = for_dir(d.path()).unwrap();
        assert!(g.matched(d.path().join("a.log"), false).is_ignore());
        assert!(g.matched(d.path().join("keep.log"), false).is_whitelist());
        assert!(g.matched(d.path().join("gen"), true).is_ignore());
        let empty = tempfile::tempdir().unwrap();
        assert!(for_dir(empty.path()).is_none());
    }

    #[test]
    fn layers_above_the_root_up_to_the_repository() {
        let d = tempfile::tempdir().unwrap();
        let top = d.path().join("repo");
        std::fs::create_dir_all(top.join(".git/info")).unwrap();
        write(&top.join(".git/info/exclude"), "*.secret\n");
        write(&top.join(".gitignore"), "build/\n/services/api/gen.py\n");
        write(&top.join("services/.ignore"), "*.tmp\n");
        // Above the repository: never read.
        write(&d.path().join(".gitignore"), "*.py\n");
        let api = top.join("services/api");
        std::fs::create_dir_all(&api).unwrap();
        let a = Above::load(&api);
        assert_eq!(a.matched("build", true), Some(true));
        assert_eq!(a.matched("x/build", true), Some(true));
        assert_eq!(a.matched("gen.py", false), Some(true));
        assert_eq!(a.matched("x/gen.py", false), None);
        assert_eq!(a.matched("a.tmp", false), Some(true));
        assert_eq!(a.matched("k.secret", false), Some(true));
        assert_eq!(a.matched("main.py", false), None);
        // The repository root itself: only info/exclude is above it.
        let a = Above::load(&top);
        assert_eq!(a.matched("k.secret", false), Some(true));
        assert_eq!(a.matched("build", true), None);
    }

    #[test]
    fn outside_a_repository_nothing_above_is_read() {
        let d = tempfile::tempdir().unwrap();
        write(&d.path().join(".gitignore"), "*\n");
        let app = d.path().join("app");
        std::fs::create_dir_all(&app).unwrap();
        let a = Above::load(&app);
        // Unless a directory above the temporary one is a repository.
        if crate::input::repo::root_of(&std::fs::canonicalize(&app).unwrap()).is_none() {
            assert_eq!(a.matched("main.py", false), None);
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_ignore_files_are_not_read() {
        let d = tempfile::tempdir().unwrap();
        write(&d.path().join("elsewhere"), "*.py\n");
        let dir = d.path().join("app");
        std::fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(d.path().join("elsewhere"), dir.join(".gitignore")).unwrap();
        assert!(for_dir(&dir).is_none());
    }
}
