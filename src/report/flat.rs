//! The report flattened to one row per piece of evidence: the shape SARIF,
//! GitLab Code Quality and the Markdown table want.
//!
//! Code review tools show one annotation per place, and match a place across
//! two scans by fingerprint, so each row carries a fingerprint that is unique
//! within the report (two identical lines in one file get `fp`, `fp:2`) and
//! still independent of line numbers.

use super::paths::repo_path;
use super::Report;
use crate::model::finding::{Evidence, Finding};
use std::collections::HashMap;

pub struct Row<'a> {
    pub finding: &'a Finding,
    /// `None` only for a finding without evidence (a hand-edited report).
    pub evidence: Option<&'a Evidence>,
    /// Relative to the repository when it can be known, see `paths`.
    pub path: String,
    pub fingerprint: String,
    /// This place moves the score: its finding counts, it is in service
    /// context and not suppressed. A test file's evidence of a counted
    /// finding does not.
    pub counted: bool,
}

impl Row<'_> {
    pub fn line(&self) -> Option<u32> {
        self.evidence.and_then(|e| e.at.line)
    }

    pub fn suppressed(&self) -> Option<&str> {
        self.evidence.and_then(|e| e.suppressed.as_deref())
    }
}

pub fn rows(report: &Report) -> Vec<Row<'_>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for f in &report.findings {
        if f.evidence.is_empty() {
            out.push(Row {
                finding: f,
                evidence: None,
                path: repo_path(report, "."),
                fingerprint: unique(&mut seen, &f.fingerprint),
                counted: f.counted,
            });
        }
        for e in &f.evidence {
            out.push(Row {
                finding: f,
                evidence: Some(e),
                path: repo_path(report, &e.at.path),
                fingerprint: unique(&mut seen, &e.fingerprint),
                counted: f.counted && e.context.counts() && e.suppressed.is_none(),
            });
        }
    }
    out
}

/// Every suppressed place, with its finding, in report order.
pub fn suppressed(report: &Report) -> Vec<(&Finding, &Evidence)> {
    report
        .findings
        .iter()
        .flat_map(|f| {
            f.evidence
                .iter()
                .filter(|e| e.suppressed.is_some())
                .map(move |e| (f, e))
        })
        .collect()
}

fn unique(seen: &mut HashMap<String, usize>, fp: &str) -> String {
    let n = seen.entry(fp.to_string()).or_insert(0);
    *n += 1;
    if *n == 1 {
        fp.to_string()
    } else {
        format!("{fp}:{n}")
    }
}
