//! Fingerprints: an input's content (whether a service changed since its
//! report was written) and the rules and settings a run judges with.
//!
//! A tree is hashed by walking it without following symlinks: each
//! regular file's relative path and bytes, each symlink's path and target
//! text, in path order. `.git` is left out: the working tree is what is
//! scanned. Nothing is executed and nothing outside the root is read.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// SHA-256 of a file or a tree, salted with the run's settings digest so
/// that a report made under other rules or options is never reused.
pub fn content(path: &Path, settings: &str) -> std::io::Result<String> {
    let mut h = Sha256::new();
    h.update(settings.as_bytes());
    h.update([0]);
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        h.update(b"file\0");
        file(path, &mut h)?;
        return Ok(hex(&h.finalize()));
    }
    let walk = walkdir::WalkDir::new(path)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.depth() > 0 && e.file_type().is_dir() && e.file_name() == ".git"));
    for entry in walk {
        let entry = entry.map_err(|e| {
            e.into_io_error()
                .unwrap_or_else(|| std::io::Error::other("walk loop"))
        })?;
        let rel = entry
            .path()
            .strip_prefix(path)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        let t = entry.file_type();
        if t.is_file() {
            h.update(b"f\0");
            h.update(rel.as_bytes());
            h.update([0]);
            h.update(entry.metadata().map(|m| m.len()).unwrap_or(0).to_le_bytes());
            // A file that vanished or cannot be read still changes the hash.
            if let Err(e) = file(entry.path(), &mut h) {
                h.update(format!("unreadable: {}", e.kind()).as_bytes());
            }
        } else if t.is_symlink() {
            h.update(b"l\0");
            h.update(rel.as_bytes());
            h.update([0]);
            if let Ok(target) = std::fs::read_link(entry.path()) {
                h.update(target.to_string_lossy().as_bytes());
            }
        } else if t.is_dir() {
            h.update(b"d\0");
            h.update(rel.as_bytes());
        }
        h.update([0]);
    }
    Ok(hex(&h.finalize()))
}

fn file(path: &Path, h: &mut Sha256) -> std::io::Result<()> {
    let mut f = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        h.update(&buf[..n]);
    }
}

/// The digest of the rules and settings a run judges with: the built-in
/// rule files, every `*.toml` of the extra rule directories, and the scan
/// options as the command line set them.
pub fn settings(extra_rule_dirs: &[std::path::PathBuf], options: &str) -> String {
    let mut h = Sha256::new();
    for (name, text) in crate::rules::builtin_sources() {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    for dir in extra_rule_dirs {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for f in files {
            h.update(f.to_string_lossy().as_bytes());
            h.update([0]);
            h.update(std::fs::read(&f).unwrap_or_default());
            h.update([0]);
        }
    }
    h.update(options.as_bytes());
    hex(&h.finalize())
}

/// SHA-256 of bytes, as hex.
pub fn bytes(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

pub fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter()
        .fold(String::with_capacity(b.len() * 2), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

/// The commit a git working tree has checked out, read from `.git` (never
/// by running git): `HEAD`, the ref it names, or `packed-refs`. Only a
/// `.git` directory is read; a `.git` file points elsewhere, outside the
/// input.
pub fn git_commit(root: &Path) -> Option<String> {
    let git = root.join(".git");
    if !std::fs::symlink_metadata(&git).ok()?.is_dir() {
        return None;
    }
    let small = |p: &Path| -> Option<String> {
        let m = std::fs::symlink_metadata(p).ok()?;
        (m.is_file() && m.len() < 1 << 20)
            .then(|| std::fs::read_to_string(p).ok())
            .flatten()
    };
    let head = small(&git.join("HEAD"))?;
    let head = head.trim();
    let is_sha = |s: &str| s.len() >= 40 && s.chars().all(|c| c.is_ascii_hexdigit());
    let Some(r) = head.strip_prefix("ref: ") else {
        return is_sha(head).then(|| head.to_string());
    };
    // Only refs/... names, with no way out of .git.
    if !r.starts_with("refs/") || r.split('/').any(|c| c == ".." || c.is_empty()) {
        return None;
    }
    if let Some(s) = small(&git.join(r)) {
        let s = s.trim();
        if is_sha(s) {
            return Some(s.to_string());
        }
    }
    small(&git.join("packed-refs"))?.lines().find_map(|l| {
        let (sha, name) = l.split_once(' ')?;
        (name.trim() == r && is_sha(sha)).then(|| sha.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_hash_follows_content_not_time() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("src")).unwrap();
        std::fs::write(d.path().join("src/main.go"), "package main").unwrap();
        let a = content(d.path(), "s").unwrap();
        std::fs::write(d.path().join("src/main.go"), "package main").unwrap();
        assert_eq!(
            a,
            content(d.path(), "s").unwrap(),
            "rewriting the same bytes"
        );
        assert_ne!(a, content(d.path(), "t").unwrap(), "other settings");
        std::fs::write(d.path().join("src/main.go"), "package mainx").unwrap();
        assert_ne!(a, content(d.path(), "s").unwrap(), "changed bytes");
        std::fs::create_dir_all(d.path().join(".git")).unwrap();
        std::fs::write(d.path().join(".git/HEAD"), "x").unwrap();
        std::fs::write(d.path().join("src/main.go"), "package main").unwrap();
        assert_eq!(a, content(d.path(), "s").unwrap(), ".git is not content");
    }

    #[test]
    fn reads_the_checked_out_commit() {
        let d = tempfile::tempdir().unwrap();
        let g = d.path().join(".git");
        std::fs::create_dir_all(g.join("refs/heads")).unwrap();
        let sha = "0123456789abcdef0123456789abcdef01234567";
        std::fs::write(g.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(
            g.join("packed-refs"),
            format!("# pack\n{sha} refs/heads/main\n"),
        )
        .unwrap();
        assert_eq!(git_commit(d.path()).as_deref(), Some(sha));
        std::fs::write(g.join("refs/heads/main"), format!("{sha}\n")).unwrap();
        assert_eq!(git_commit(d.path()).as_deref(), Some(sha));
        std::fs::write(g.join("HEAD"), "ref: refs/../../etc/passwd\n").unwrap();
        assert_eq!(git_commit(d.path()), None);
    }
}
