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
    /// The service it belongs to, when the report has several.
    pub service: Option<&'a str>,
    /// The report it comes from, to place other paths (a reach chain).
    pub report: &'a Report,
}

impl Row<'_> {
    pub fn line(&self) -> Option<u32> {
        self.evidence.and_then(|e| e.at.line)
    }

    pub fn suppressed(&self) -> Option<&str> {
        self.evidence.and_then(|e| e.suppressed.as_deref())
    }
}

/// One row per place: the report's findings, or, when it has several
/// services, every service's findings, each row naming its service.
pub fn rows(report: &Report) -> Vec<Row<'_>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let sets: Vec<(Option<&str>, &[Finding])> = if report.services.len() > 1 {
        report
            .services
            .iter()
            .map(|s| (Some(s.name.as_str()), s.findings.as_slice()))
            .collect()
    } else {
        vec![(None, report.findings.as_slice())]
    };
    for (service, findings) in sets {
        rows_of(report, service, findings, &mut seen, &mut out);
    }
    out
}

fn rows_of<'a>(
    report: &'a Report,
    service: Option<&'a str>,
    findings: &'a [Finding],
    seen: &mut HashMap<String, usize>,
    out: &mut Vec<Row<'a>>,
) {
    for f in findings {
        if f.evidence.is_empty() {
            out.push(Row {
                finding: f,
                evidence: None,
                path: repo_path(report, "."),
                fingerprint: unique(seen, &f.fingerprint),
                counted: f.counted,
                service,
                report,
            });
        }
        for e in &f.evidence {
            out.push(Row {
                finding: f,
                evidence: Some(e),
                path: repo_path(report, &e.at.path),
                fingerprint: unique(seen, &e.fingerprint),
                counted: f.counted && e.context.counts() && e.suppressed.is_none(),
                service,
                report,
            });
        }
    }
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
