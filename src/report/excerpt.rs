//! Code excerpts for the HTML report: a few lines around a piece of
//! evidence, read from the scanned tree at render time.
//!
//! The report stores one line per place to stay small; context helps a
//! reader judge a finding. The file is read only when it still sits inside
//! the scanned root (no absolute paths, no `..`, no symlinks, a regular file
//! of sane size) and its line still matches the stored snippet; otherwise
//! the stored snippet is all that is shown, because a changed file would put
//! the mark on the wrong line.
//!
//! A saved report can come from anywhere (`wasmfit report FILE.json`), and
//! its `root` and paths could point at a key whose first line everybody
//! knows (`-----BEGIN ... PRIVATE KEY-----`), pulling the next lines into a
//! page that gets shared. So hidden files and directories (`.ssh`, `.aws`,
//! `.env`) and files named like keys and credentials are never read.

use serde::Serialize;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Files larger than this are not read for context.
const MAX_BYTES: u64 = 4 << 20;
/// Characters per shown line: minified code must not blow up the page.
const MAX_LINE: usize = 200;

#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub number: u32,
    pub text: String,
    pub hit: bool,
}

/// `context` lines before and after `line` of `rel` under `root`, or `None`
/// when the file cannot be trusted to be the one scanned.
pub fn around(root: &Path, rel: &str, line: u32, snippet: &str, context: u32) -> Option<Vec<Line>> {
    let path = inside(root, rel)?;
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .ok()?
        .take(MAX_BYTES)
        .read_to_end(&mut bytes)
        .ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let idx = usize::try_from(line).ok()?.checked_sub(1)?;
    if !same_line(lines.get(idx)?, snippet) {
        return None;
    }
    let from = idx.saturating_sub(context as usize);
    let to = (idx + context as usize + 1).min(lines.len());
    Some(
        (from..to)
            .map(|i| Line {
                number: i as u32 + 1,
                text: clip(lines[i]),
                hit: i == idx,
            })
            .collect(),
    )
}

/// Joins `rel` to the root, refusing anything that could leave it.
fn inside(root: &Path, rel: &str) -> Option<PathBuf> {
    // A scan of one file names that file relative to its directory.
    let base = if root.is_file() { root.parent()? } else { root };
    let rel = Path::new(rel);
    let plain = |c: Component| match c {
        Component::Normal(name) => {
            let name = name.to_string_lossy().to_ascii_lowercase();
            !name.starts_with('.') && !secret(&name)
        }
        Component::CurDir => true,
        _ => false,
    };
    if !rel.components().all(plain) {
        return None;
    }
    // Every directory on the way must be a real directory, not a symlink
    // that points out of the tree.
    let mut p = base.to_path_buf();
    for c in rel.components() {
        p.push(c);
        if std::fs::symlink_metadata(&p).ok()?.file_type().is_symlink() {
            return None;
        }
    }
    Some(p)
}

/// File names that hold keys or credentials by convention.
fn secret(name: &str) -> bool {
    const EXT: &[&str] = &[
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".kdbx",
        ".gpg",
        ".asc",
    ];
    const PREFIX: &[&str] = &[
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        "credentials",
        "secrets",
        "passwd",
        "shadow",
    ];
    EXT.iter().any(|e| name.ends_with(e)) || PREFIX.iter().any(|p| name.starts_with(p))
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The stored snippet is the trimmed line, possibly clipped with `…`.
fn same_line(line: &str, snippet: &str) -> bool {
    let want = fold(snippet.trim_end_matches('…'));
    !want.is_empty() && fold(line).starts_with(&want)
}

fn clip(s: &str) -> String {
    let s = s.trim_end();
    if s.chars().count() <= MAX_LINE {
        return s.to_string();
    }
    s.chars().take(MAX_LINE).collect::<String>() + "…"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_context_and_marks_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("app")).unwrap();
        std::fs::write(
            dir.path().join("app/x.py"),
            "a\nb\n  subprocess.run(cmd)\nd\ne\nf\n",
        )
        .unwrap();
        let got = around(dir.path(), "app/x.py", 3, "subprocess.run(cmd)", 1).unwrap();
        assert_eq!(got.len(), 3);
        assert!(got[1].hit && got[1].number == 3);
        assert!(!got[0].hit && got[0].text == "b");
    }

    #[test]
    fn refuses_changed_files_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.py"), "a\nb\n").unwrap();
        assert!(around(dir.path(), "x.py", 2, "subprocess.run(cmd)", 1).is_none());
        assert!(around(dir.path(), "x.py", 9, "b", 1).is_none());
        assert!(around(dir.path(), "../x.py", 1, "a", 1).is_none());
        assert!(around(dir.path(), "/etc/passwd", 1, "root", 1).is_none());
    }

    #[test]
    fn never_reads_hidden_files_or_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".ssh")).unwrap();
        let head = "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n";
        std::fs::write(dir.path().join(".ssh/id_ed25519"), head).unwrap();
        std::fs::write(dir.path().join("server.key"), head).unwrap();
        std::fs::write(dir.path().join("id_rsa"), head).unwrap();
        for p in [".ssh/id_ed25519", "server.key", "id_rsa"] {
            let got = around(dir.path(), p, 1, "-----BEGIN OPENSSH PRIVATE KEY-----", 1);
            assert!(got.is_none(), "{p}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("secret"), "token\n").unwrap();
        std::os::unix::fs::symlink(out.path(), dir.path().join("link")).unwrap();
        assert!(around(dir.path(), "link/secret", 1, "token", 0).is_none());
    }
}
