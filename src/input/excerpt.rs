//! Code excerpts: a few lines around the evidence of counted findings, read
//! from the scanned tree once the findings are known, and stored in the
//! report so that renderers never open a file and a saved report shows the
//! same context wherever it is rendered.
//!
//! Only what a reader needs to judge a finding is read: the first places of
//! each counted finding, a window of lines around each, at most
//! `MAX_WINDOWS` windows and `MAX_BYTES_TOTAL` bytes per report. A file is
//! read only when it sits inside the scanned root (no absolute paths, no
//! `..`, no symlinks on the way, a regular file of sane size) and its line
//! still matches the evidence's snippet, so a file changed since it was
//! matched cannot put the mark on the wrong line.
//!
//! Reports get shared, so hidden files and directories (`.ssh`, `.aws`,
//! `.env`) and files named like keys and credentials are never read, even
//! when a rule matched them: their first line may be harmless, the next
//! ones are not.

use crate::model::finding::Finding;
use crate::model::report::{Excerpt, EXCERPTS_PER_FINDING};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Lines of context above and below an evidence line.
pub const CONTEXT: u32 = 3;
/// Windows per report: a report with hundreds of findings stays small.
const MAX_WINDOWS: usize = 60;
/// Bytes of excerpt text per report, whatever the lines hold.
const MAX_BYTES_TOTAL: usize = 64 << 10;
/// Files larger than this are not read for context.
const MAX_FILE: u64 = 4 << 20;
/// Characters per stored line: minified code must not blow up a report.
const MAX_LINE: usize = 200;

/// One evidence line a window is wanted around.
struct Want<'a> {
    line: u32,
    snippet: &'a str,
}

/// Reads the excerpts for `findings` from the tree at `root` (a directory,
/// or the one file scanned): windows of `CONTEXT` lines around each wanted
/// place, merged per file where they overlap or touch.
pub fn capture(root: &Path, findings: &[Finding]) -> Vec<Excerpt> {
    let mut by_file: BTreeMap<&str, Vec<Want>> = BTreeMap::new();
    let mut windows = 0;
    'findings: for f in findings {
        for (i, e) in f.evidence.iter().enumerate().take(EXCERPTS_PER_FINDING) {
            if !Excerpt::wanted(f, i) {
                continue;
            }
            if windows == MAX_WINDOWS {
                break 'findings;
            }
            windows += 1;
            if let Some(line) = e.at.line {
                by_file.entry(&e.at.path).or_default().push(Want {
                    line,
                    snippet: &e.at.snippet,
                });
            }
        }
    }
    let mut out = Vec::new();
    let mut budget = MAX_BYTES_TOTAL;
    for (rel, wants) in by_file {
        let Some(lines) = read_lines(root, rel) else {
            continue;
        };
        let mut ranges: Vec<(usize, usize)> = wants
            .iter()
            .filter_map(|w| {
                let idx = usize::try_from(w.line).ok()?.checked_sub(1)?;
                same_line(lines.get(idx)?, w.snippet).then(|| {
                    let from = idx.saturating_sub(CONTEXT as usize);
                    let to = (idx + CONTEXT as usize + 1).min(lines.len());
                    (from, to)
                })
            })
            .collect();
        ranges.sort_unstable();
        for (from, to) in merge(ranges) {
            let text: Vec<String> = lines[from..to].iter().map(|l| clip(l)).collect();
            let size: usize = text.iter().map(String::len).sum();
            if size > budget {
                return out;
            }
            budget -= size;
            out.push(Excerpt {
                path: rel.to_string(),
                start: from as u32 + 1,
                lines: text,
            });
        }
    }
    out
}

/// Sorted half-open ranges, overlapping or adjacent ones joined.
fn merge(ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (from, to) in ranges {
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}

/// The file's lines, when it may be read (see the module comment).
fn read_lines(root: &Path, rel: &str) -> Option<Vec<String>> {
    let path = inside(root, rel)?;
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.file_type().is_file() || meta.len() > MAX_FILE {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .ok()?
        .take(MAX_FILE)
        .read_to_end(&mut bytes)
        .ok()?;
    Some(
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

/// The file a report path names (`model::path` undoes the escaping of
/// bytes that are not UTF-8).
#[cfg(unix)]
fn real_path(rel: &str) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(&crate::model::path::decode(
        rel,
    )))
}

#[cfg(not(unix))]
fn real_path(rel: &str) -> PathBuf {
    PathBuf::from(rel)
}

/// Joins `rel` to the root, refusing anything that could leave it or that
/// looks like a secret.
fn inside(root: &Path, rel: &str) -> Option<PathBuf> {
    // A scan of one file names that file relative to its directory.
    let base = if root.is_file() { root.parent()? } else { root };
    let real = real_path(rel);
    let rel = real.as_path();
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
    use crate::model::fact::Location;
    use crate::model::finding::Evidence;
    use crate::model::vocab::Severity;

    fn finding(places: &[(&str, u32, &str)]) -> Finding {
        let evidence = places
            .iter()
            .map(|(path, line, snippet)| Evidence::sample(Location::line(path, *line, snippet)))
            .collect();
        Finding::sample("WF101", Severity::Blocker, evidence)
    }

    #[test]
    fn reads_context_around_the_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("app")).unwrap();
        std::fs::write(
            dir.path().join("app/x.py"),
            "a\nb\nc\nd\n  subprocess.run(cmd)  \nf\ng\nh\ni\n",
        )
        .unwrap();
        let got = capture(
            dir.path(),
            &[finding(&[("app/x.py", 5, "subprocess.run(cmd)")])],
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].start, 2);
        assert_eq!(got[0].lines.len(), 7);
        assert_eq!(got[0].line(5), Some("  subprocess.run(cmd)"));
        assert_eq!(got[0].line(1), None);
    }

    #[test]
    fn overlapping_windows_are_one_excerpt() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (1..=40).map(|i| format!("line{i}\n")).collect();
        std::fs::write(dir.path().join("x.py"), text).unwrap();
        let f = finding(&[
            ("x.py", 10, "line10"),
            ("x.py", 13, "line13"),
            ("x.py", 30, "line30"),
        ]);
        let got = capture(dir.path(), &[f]);
        let spans: Vec<(u32, usize)> = got.iter().map(|x| (x.start, x.lines.len())).collect();
        assert_eq!(spans, [(7, 10), (27, 7)]);
    }

    #[test]
    fn refuses_changed_files_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.py"), "a\nb\n").unwrap();
        for (path, line, snippet) in [
            ("x.py", 2, "subprocess.run(cmd)"),
            ("x.py", 9, "b"),
            ("../x.py", 1, "a"),
            ("/etc/passwd", 1, "root"),
        ] {
            let got = capture(dir.path(), &[finding(&[(path, line, snippet)])]);
            assert!(got.is_empty(), "{path}:{line}");
        }
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
            let f = finding(&[(p, 1, "-----BEGIN OPENSSH PRIVATE KEY-----")]);
            assert!(capture(dir.path(), &[f]).is_empty(), "{p}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        std::fs::write(out.path().join("secret"), "token\n").unwrap();
        std::os::unix::fs::symlink(out.path(), dir.path().join("link")).unwrap();
        let f = finding(&[("link/secret", 1, "token")]);
        assert!(capture(dir.path(), &[f]).is_empty());
    }

    #[test]
    fn bounded_per_report() {
        let dir = tempfile::tempdir().unwrap();
        let long = "x".repeat(10_000);
        let mut findings = Vec::new();
        for i in 0..100 {
            let name = format!("f{i}.py");
            std::fs::write(dir.path().join(&name), format!("{long}\n")).unwrap();
            let mut f = finding(&[(&name, 1, "x")]);
            f.rule_id = format!("R{i}");
            findings.push(f);
        }
        let got = capture(dir.path(), &findings);
        assert!(got.len() <= MAX_WINDOWS);
        let bytes: usize = got.iter().flat_map(|x| &x.lines).map(String::len).sum();
        assert!(bytes <= MAX_BYTES_TOTAL, "{bytes}");
        assert!(got[0].lines[0].chars().count() <= MAX_LINE + 1);
    }

    #[test]
    fn only_the_first_places_of_counted_findings() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (1..=200).map(|i| format!("line{i}\n")).collect();
        std::fs::write(dir.path().join("x.py"), text).unwrap();
        let places: Vec<(String, u32)> = (0..6)
            .map(|i| (format!("line{}", i * 20 + 10), i * 20 + 10))
            .collect();
        let refs: Vec<(&str, u32, &str)> = places
            .iter()
            .map(|(s, l)| ("x.py", *l, s.as_str()))
            .collect();
        assert_eq!(
            capture(dir.path(), &[finding(&refs)]).len(),
            crate::model::report::EXCERPTS_PER_FINDING
        );
        let mut f = finding(&refs);
        f.counted = false;
        assert!(capture(dir.path(), &[f]).is_empty());
    }
}
