//! JUnit XML for CI systems that show test results (GitLab's test report,
//! Jenkins, Azure): each loaded rule is a test case, and a rule's case
//! fails when its finding failed the CI gate.
//!
//! The gate decides, not this renderer: the CLI runs `gate::evaluate` with
//! the thresholds of the run (`--fail-on`, `--fail-under`, `wasmfit.toml`,
//! a baseline) and hands over which places failed (`Gate`). With no
//! threshold set, the CLI applies `fail-on = blocker`, so a JUnit report
//! always says something: blockers fail, everything else passes. A score
//! threshold adds one more case, `score`.
//!
//! A rule that passes is as informative as one that fails (the service
//! does not spawn programs), which is why every rule is a case, not only
//! the ones that fired, and why the case list (and the suite's name, the
//! scanned directory) stays the same from run to run. Findings that pass
//! list their places in `system-out` with the reason they pass.

use super::paths::{repo_path, scan_dir};
use super::{count, escape, Renderer, Report};
use crate::model::finding::{Evidence, Finding};
use crate::rules::{RuleSet, Severity};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Evidence lines written per case before "and N more".
const SHOWN: usize = 20;

/// The gate's decision for this report, as `gate::evaluate` made it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gate {
    /// The severity threshold that was applied.
    pub fail_on: Option<Severity>,
    /// The score threshold that was applied.
    pub fail_under: Option<u8>,
    /// No threshold was set and `fail_on = blocker` was applied.
    pub defaulted: bool,
    /// A baseline was compared with: only new evidence can fail.
    pub baseline: bool,
    /// (rule id, evidence fingerprint) of every place that failed `fail_on`.
    pub failing: BTreeSet<(String, String)>,
    /// Why the score check failed, when it did.
    pub score_failure: Option<String>,
}

impl Gate {
    fn fails(&self, f: &Finding, e: &Evidence) -> bool {
        self.failing
            .contains(&(f.rule_id.clone(), e.fingerprint.clone()))
    }

    /// How the thresholds read in a message.
    fn thresholds(&self) -> String {
        let mut t = Vec::new();
        if let Some(s) = self.fail_on {
            t.push(format!("fail-on {s}"));
        }
        if let Some(n) = self.fail_under {
            t.push(format!("fail-under {n}"));
        }
        if t.is_empty() {
            t.push("no threshold".into());
        }
        let mut s = t.join(", ");
        if self.defaulted {
            s.push_str(", the default when no gate is set");
        }
        if self.baseline {
            s.push_str(", against a baseline");
        }
        s
    }
}

struct Case<'a> {
    id: &'a str,
    title: &'a str,
    class: &'a str,
    finding: Option<&'a Finding>,
}

/// JUnit XML with a test case per loaded rule, failed as the gate decided.
pub struct Junit<'a> {
    pub rules: &'a RuleSet,
    pub gate: Gate,
}

impl Renderer for Junit<'_> {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(report, self.rules, &self.gate).as_bytes())
    }
}

fn render(report: &Report, rules: &RuleSet, gate: &Gate) -> String {
    let mut cases: Vec<Case> = rules
        .sorted()
        .into_iter()
        .map(|r| Case {
            id: &r.id,
            title: &r.title,
            class: r.capability.id(),
            finding: report.findings.iter().find(|f| f.rule_id == r.id),
        })
        .collect();
    // Findings of rules not loaded now (a saved report with user rules).
    for f in &report.findings {
        if rules.get(&f.rule_id).is_none() {
            cases.push(Case {
                id: &f.rule_id,
                title: &f.title,
                class: f.capability.id(),
                finding: Some(f),
            });
        }
    }
    let failed = |f: &Finding| f.evidence.iter().any(|e| gate.fails(f, e));
    let tests = cases.len() + usize::from(gate.fail_under.is_some());
    let failures = cases
        .iter()
        .filter(|c| c.finding.is_some_and(failed))
        .count()
        + usize::from(gate.score_failure.is_some());
    let dir = scan_dir(report);
    let name = format!("wasmfit {}", if dir.is_empty() { "." } else { &dir });
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"wasmfit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    let _ = writeln!(
        s,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        attr(&name)
    );
    let _ = writeln!(s, "    <properties>");
    for (k, v) in [
        ("verdict", report.verdict.to_string()),
        ("score", report.score.to_string()),
        ("gate", gate.thresholds()),
    ] {
        let _ = writeln!(s, "      <property name=\"{k}\" value=\"{}\"/>", attr(&v));
    }
    let _ = writeln!(s, "    </properties>");
    for c in &cases {
        let _ = write!(
            s,
            "    <testcase classname=\"wasmfit.{}\" name=\"{}\"",
            attr(c.class),
            attr(&format!("{} {}", c.id, c.title))
        );
        match c.finding {
            None => s.push_str("/>\n"),
            Some(f) if failed(f) => {
                s.push_str(">\n");
                let n = f.evidence.iter().filter(|e| gate.fails(f, e)).count();
                let _ = writeln!(
                    s,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    f.severity,
                    attr(&format!(
                        "{} ({} confidence): {} {} the gate ({}). {}",
                        f.severity,
                        f.confidence,
                        count(n, "place", "places"),
                        if n == 1 { "fails" } else { "fail" },
                        gate.thresholds(),
                        f.message
                    )),
                    text(&body(report, f, gate))
                );
                s.push_str("    </testcase>\n");
            }
            Some(f) => {
                s.push_str(">\n");
                let _ = writeln!(
                    s,
                    "      <system-out>{}</system-out>",
                    text(&format!(
                        "reported, passes the gate: {}\n{}",
                        passes(f, gate),
                        places(report, f, gate)
                    ))
                );
                s.push_str("    </testcase>\n");
            }
        }
    }
    if let Some(min) = gate.fail_under {
        let _ = write!(
            s,
            "    <testcase classname=\"wasmfit.score\" name=\"score {} of 100, at least {min}\"",
            report.score
        );
        match &gate.score_failure {
            Some(why) => {
                let _ = writeln!(
                    s,
                    ">\n      <failure type=\"score\" message=\"{}\"/>\n    </testcase>",
                    attr(why)
                );
            }
            None => s.push_str("/>\n"),
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

/// Why a finding that fired does not fail.
fn passes(f: &Finding, gate: &Gate) -> String {
    if f.suppressed {
        return "suppressed".into();
    }
    if !f.context.counts() {
        return format!("not counted ({} context)", f.context);
    }
    if !f.counted {
        return format!("not counted ({})", f.severity);
    }
    match gate.fail_on {
        Some(s) if f.severity <= s && gate.baseline => "nothing new since the baseline".into(),
        Some(s) if f.severity <= s => "no place counts".into(),
        Some(s) => format!("{} is below the threshold (fail-on {s})", f.severity),
        None => "no severity threshold".into(),
    }
}

/// The places, those that failed the gate first, marked.
fn places(report: &Report, f: &Finding, gate: &Gate) -> String {
    let mut s = String::new();
    let mut ordered: Vec<&Evidence> = f.evidence.iter().filter(|e| gate.fails(f, e)).collect();
    ordered.extend(f.evidence.iter().filter(|e| !gate.fails(f, e)));
    for e in ordered.iter().take(SHOWN) {
        let path = repo_path(report, &e.at.path);
        let at = match e.at.line {
            Some(l) => format!("{path}:{l}"),
            None => path,
        };
        let mut extra = String::new();
        if gate.fails(f, e) {
            extra.push_str(" [fails the gate]");
        }
        if !e.context.counts() {
            let _ = write!(extra, " ({})", e.context);
        }
        if let Some(r) = &e.suppressed {
            let _ = write!(extra, " [suppressed: {r}]");
        }
        let _ = writeln!(s, "{at}{extra}  {}", e.at.snippet);
        if let Some(n) = &e.note {
            let _ = writeln!(s, "    {n}");
        }
    }
    let shown = SHOWN.min(f.evidence.len());
    if f.evidence_total > shown {
        let more = f.evidence_total - shown;
        let _ = writeln!(s, "... and {}", count(more, "more place", "more places"));
    }
    s
}

fn body(report: &Report, f: &Finding, gate: &Gate) -> String {
    format!(
        "{} {}\n{}\nWASI 0.2: {}\nInstead: {}\n\n{}",
        f.rule_id,
        f.title,
        f.message,
        if f.wasi == "none" {
            "no equivalent"
        } else {
            &f.wasi
        },
        f.remediation,
        places(report, f, gate)
    )
}

/// XML 1.0 cannot carry most control characters even as references, and
/// the rest (DEL, C1, bidi overrides) would reach whoever reads the test
/// log: scanned text shows them as escapes (`\x1b`, `\u{202e}`).
fn forbidden(c: char) -> bool {
    (escape::is_unsafe(c) && !matches!(c, '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Escapes element text.
pub fn text(s: &str) -> String {
    xml(s, false)
}

/// Escapes an attribute value; line breaks are kept as character
/// references because parsers fold raw ones into spaces.
pub fn attr(s: &str) -> String {
    xml(s, true)
}

fn xml(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if forbidden(c) => escape::push_visible(&mut out, c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' if attr => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            text("<script>a&b</script>\u{0}\u{1b}[2K\u{202e}"),
            "&lt;script&gt;a&amp;b&lt;/script&gt;\\x00\\x1b[2K\\u{202e}"
        );
        assert_eq!(attr("\"x'\n"), "&quot;x&apos;&#10;");
    }
}
