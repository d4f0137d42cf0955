//! Paths as CI systems want them: relative to the repository, and as URIs.
//!
//! Evidence paths are relative to the scanned root. GitHub, GitLab and links
//! in a merge-request comment resolve paths against the repository root, so
//! `wasmfit scan services/api` must report `services/api/main.go`, not
//! `main.go`. When the root is absolute or climbs out with `..` there is no
//! way to know the repository root, and the path stays relative to the scan.

use std::fmt::Write as _;

/// The evidence path prefixed with the scan root when the root is a clean
/// relative path (`services/api`, `./svc`); otherwise the path as is.
pub fn repo_path(root: &str, rel: &str) -> String {
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
    parts.push(rel);
    parts.join("/")
}

/// Percent-encodes a relative path for a URI reference: unreserved
/// characters and `/` stay, everything else (spaces, `<`, `#`, `%`, non-ASCII)
/// is encoded, so a file name can never end the URI or add a fragment.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
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
        assert_eq!(repo_path("services/api", "main.go"), "services/api/main.go");
        assert_eq!(
            repo_path("./services/api/", "main.go"),
            "services/api/main.go"
        );
        assert_eq!(repo_path(".", "main.go"), "main.go");
        assert_eq!(repo_path("/abs/repo", "main.go"), "main.go");
        assert_eq!(repo_path("../other", "main.go"), "main.go");
        assert_eq!(repo_path("svc/app.py", "app.py"), "svc/app.py");
    }

    #[test]
    fn encodes_what_could_break_a_uri() {
        assert_eq!(uri_path("src/a b#<x>.py"), "src/a%20b%23%3Cx%3E.py");
        assert_eq!(uri_path("ok/path_1.rs"), "ok/path_1.rs");
        assert_eq!(uri_path("é"), "%C3%A9");
    }
}
