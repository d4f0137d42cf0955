//! GitLab Code Quality JSON: the merge-request widget and the diff
//! annotations (`artifacts: reports: codequality`).
//!
//! GitLab compares the base and head reports by `fingerprint`, so each
//! place gets the line-independent evidence fingerprint; it has no notion of
//! suppression, so suppressed places are left out (the other formats keep
//! them visible). Places that do not count (tests, build scripts) are `info`.

use super::flat;
use super::{Renderer, Report};
use crate::rules::Severity;
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Issue {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    categories: Vec<&'static str>,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

/// GitLab's own severity names happen to include ours.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Blocker => "blocker",
        Severity::Major => "major",
        Severity::Minor => "minor",
        Severity::Info => "info",
    }
}

/// GitLab Code Quality issues.
pub struct Gitlab;

impl Renderer for Gitlab {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(report).as_bytes())
    }
}

fn render(report: &Report) -> String {
    let issues: Vec<Issue> = flat::rows(report)
        .into_iter()
        .filter(|r| r.suppressed().is_none())
        .map(|r| {
            let f = r.finding;
            let mut description = format!("{} {}: {}", f.rule_id, f.title, f.message);
            if let Some(e) = r.evidence.filter(|e| !e.context.counts()) {
                description.push_str(&format!(" ({} context, not counted)", e.context));
            }
            Issue {
                kind: "issue",
                description,
                check_name: f.rule_id.clone(),
                fingerprint: r.fingerprint.clone(),
                severity: if r.counted || f.severity == Severity::Info {
                    severity(f.severity)
                } else {
                    "info"
                },
                categories: vec!["Compatibility"],
                // GitLab requires a line; a binary or a whole-file finding
                // points at the first.
                location: Location {
                    path: r.path.clone(),
                    lines: Lines {
                        begin: r.line().unwrap_or(1).max(1),
                    },
                },
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
