//! Paths as CI systems want them: relative to the repository, and as URIs.
//!
//! Evidence paths are relative to the scanned root. GitHub, GitLab and links
//! in a merge-request comment resolve paths against the repository root, so
//! `wasmfit scan services/api` must report `services/api/main.go`, not
//! `main.go`. The scan records where its root sits in the repository
//! (`Report.repository`); a report without that record (before schema 1.1)
//! falls back to the scanned path as given when it is a clean relative
//! path, and to the path relative to the scan otherwise.

use super::Report;
use std::fmt::Write as _;

/// An evidence path relative to the repository root, as well as it can be
/// known.
pub fn repo_path(report: &Report, rel: &str) -> String {
    match &report.repository {
        Some(repo) => repo.path(rel),
        None => given_root_path(&report.root, rel),
    }
}

/// The scan directory relative to the repository root (`""` for the root
/// itself), as well as it can be known.
pub fn scan_dir(report: &Report) -> String {
    match repo_path(report, ".").as_str() {
        "." => String::new(),
        p => p.to_string(),
    }
}

/// The repository root as a `file://` URI ending in `/`, when the scan
/// recorded it.
pub fn root_uri(report: &Report) -> Option<String> {
    let root = &report.repository.as_ref()?.root;
    // A Windows root (`C:\\src`) is written with `/`; on Unix a backslash
    // is part of a name (`model::path`) and is percent-encoded like one.
    let root = if root.as_bytes().get(1) == Some(&b':') {
        root.replace('\\', "/")
    } else {
        root.clone()
    };
    let root = root.trim_end_matches('/');
    let lead = if root.starts_with('/') { "" } else { "/" };
    Some(format!("file://{lead}{}/", uri_path(root)))
}

/// The evidence path prefixed with the scan root when the root is a clean
/// relative path (`services/api`, `./svc`); otherwise the path as is.
fn given_root_path(root: &str, rel: &str) -> String {
    let root = root.replace('\\', "/");
    if root.starts_with('/') || root.contains(':') {
        return rel.to_string();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in root.split('/') {
        match part {
            "" | "." => {}
            ".." => return rel.to_string(),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return rel.to_string();
    }
    // A scan of a single file reports the file's own name as its path.
    if parts.last() == Some(&rel) {
        parts.pop();
    }
    if !matches!(rel, "" | ".") {
        parts.push(rel);
    }
    parts.join("/")
}

/// Percent-encodes a relative path for a URI reference: unreserved
/// characters and `/` stay, everything else (spaces, `<`, `#`, `%`, non-ASCII)
/// is encoded, so a file name can never end the URI or add a fragment.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    // The real bytes of the name (`model::path`), so a name that is not
    // UTF-8 gets a URI that names the file that exists.
    for b in crate::model::path::decode(path) {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_clean_relative_roots_only() {
        let p = given_root_path;
        assert_eq!(p("services/api", "main.go"), "services/api/main.go");
        assert_eq!(p("./services/api/", "main.go"), "services/api/main.go");
        assert_eq!(p(".", "main.go"), "main.go");
        assert_eq!(p("/abs/repo", "main.go"), "main.go");
        assert_eq!(p("../other", "main.go"), "main.go");
        assert_eq!(p("svc/app.py", "app.py"), "svc/app.py");
        assert_eq!(p("services/api", "."), "services/api");
        assert_eq!(p(".", "."), ".");
    }

    #[test]
    fn encodes_what_could_break_a_uri() {
        assert_eq!(uri_path("src/a b#<x>.py"), "src/a%20b%23%3Cx%3E.py");
        assert_eq!(uri_path("ok/path_1.rs"), "ok/path_1.rs");
        assert_eq!(uri_path("é"), "%C3%A9");
    }
}
