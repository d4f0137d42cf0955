//! The repository a scanned path belongs to, for paths as CI systems want
//! them: GitHub code scanning, GitLab Code Quality and links in a
//! merge-request comment resolve paths against the repository root, so a
//! scan of `services/api` must report `services/api/main.go`.
//!
//! The root is the nearest directory at or above the scanned path holding a
//! `.git` directory or file (a worktree or a submodule has a file). git is
//! never run: nothing from the scanned tree is executed, and a repository's
//! config could point git anywhere. Only the existence of `.git` is checked.

use crate::model::report::Repository;
use std::path::{Component, Path};

/// Where `path` (the scanned directory or file) sits in its repository, or
/// `None` when the path cannot be resolved.
pub fn locate(path: &Path) -> Option<Repository> {
    let path = std::fs::canonicalize(path).ok()?;
    let dir = if path.is_file() {
        path.parent()?.to_path_buf()
    } else {
        path
    };
    let found = root_of(&dir);
    let root = found.unwrap_or(&dir);
    let base: Vec<String> = dir
        .strip_prefix(root)
        .ok()?
        .components()
        .filter_map(|c| match c {
            // Losslessly, like evidence paths: the two are joined.
            Component::Normal(n) => Some(crate::model::path::from_os(n)),
            _ => None,
        })
        .collect();
    Some(Repository {
        root: crate::model::path::from_os(root.as_os_str()),
        base: base.join("/"),
        git: found.is_some(),
    })
}

/// The repository root of `dir` (absolute, canonical): the nearest
/// directory at or above it holding a `.git`, or `None` outside any
/// repository.
pub fn root_of(dir: &Path) -> Option<&Path> {
    dir.ancestors()
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_root_above_the_scan() {
        let dir = tempfile::tempdir().unwrap();
        let svc = dir.path().join("services/api");
        std::fs::create_dir_all(&svc).unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(svc.join("main.go"), "package main\n").unwrap();
        let r = locate(&svc).unwrap();
        assert!(r.git);
        assert_eq!(r.base, "services/api");
        assert_eq!(r.path("main.go"), "services/api/main.go");
        assert_eq!(
            Path::new(&r.root),
            std::fs::canonicalize(dir.path()).unwrap()
        );
        // A scan of one file: paths are relative to its directory.
        let r = locate(&svc.join("main.go")).unwrap();
        assert_eq!(r.path("main.go"), "services/api/main.go");
        // The root itself.
        assert_eq!(locate(dir.path()).unwrap().path("x.py"), "x.py");
    }

    #[test]
    fn a_git_file_marks_a_worktree() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("app")).unwrap();
        std::fs::write(dir.path().join(".git"), "gitdir: /elsewhere\n").unwrap();
        let r = locate(&dir.path().join("app")).unwrap();
        assert!(r.git);
        assert_eq!(r.base, "app");
    }

    #[test]
    fn without_a_repository_the_scan_root_is_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        std::fs::create_dir(&app).unwrap();
        let r = locate(&app).unwrap();
        // Unless a directory above the temporary one is a repository.
        if !r.git {
            assert_eq!(r.base, "");
            assert_eq!(r.path("x.py"), "x.py");
        }
        assert!(locate(&dir.path().join("missing")).is_none());
    }
}
