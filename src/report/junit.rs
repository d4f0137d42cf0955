//! JUnit XML for CI systems that show test results (GitLab's test report,
//! Jenkins, Azure): each loaded rule is a test case, and it fails when the
//! service has a counted finding of that rule.
//!
//! A rule that passes is as informative as one that fails (the service
//! does not spawn programs), which is why every rule is a case, not only
//! the ones that fired. Findings that do not count (tests, build scripts,
//! suppressed, info) pass, with their places in `system-out`.

use super::{Renderer, Report};
use crate::model::finding::Finding;
use crate::rules::RuleSet;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Evidence lines written per failure before "and N more".
const SHOWN: usize = 20;

struct Case<'a> {
    id: &'a str,
    title: &'a str,
    class: &'a str,
    finding: Option<&'a Finding>,
}

/// JUnit XML with a test case per loaded rule.
pub struct Junit<'a> {
    pub rules: &'a RuleSet,
}

impl Renderer for Junit<'_> {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(report, self.rules).as_bytes())
    }
}

fn render(report: &Report, rules: &RuleSet) -> String {
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
    let failures = cases
        .iter()
        .filter(|c| c.finding.is_some_and(|f| f.counted))
        .count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let name = format!(
        "wasmfit {}: {} ({}/100)",
        report.root, report.verdict, report.score
    );
    let _ = writeln!(
        s,
        "<testsuites name=\"wasmfit\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        cases.len()
    );
    let _ = writeln!(
        s,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        attr(&name),
        cases.len()
    );
    for c in &cases {
        let _ = write!(
            s,
            "    <testcase classname=\"wasmfit.{}\" name=\"{}\"",
            attr(c.class),
            attr(&format!("{} {}", c.id, c.title))
        );
        match c.finding {
            None => s.push_str("/>\n"),
            Some(f) if f.counted => {
                s.push_str(">\n");
                let _ = writeln!(
                    s,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    f.severity,
                    attr(&format!(
                        "{} ({} confidence): {}",
                        f.severity, f.confidence, f.message
                    )),
                    text(&body(f))
                );
                s.push_str("    </testcase>\n");
            }
            Some(f) => {
                s.push_str(">\n");
                let why = if f.suppressed {
                    "suppressed".to_string()
                } else if f.context.counts() {
                    "info".to_string()
                } else {
                    format!("{} context", f.context)
                };
                let _ = writeln!(
                    s,
                    "      <system-out>{}</system-out>",
                    text(&format!("reported, not counted ({why})\n{}", places(f)))
                );
                s.push_str("    </testcase>\n");
            }
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

fn places(f: &Finding) -> String {
    let mut s = String::new();
    for e in f.evidence.iter().take(SHOWN) {
        let at = match e.at.line {
            Some(l) => format!("{}:{l}", e.at.path),
            None => e.at.path.clone(),
        };
        let extra = if e.context.counts() {
            String::new()
        } else {
            format!(" ({})", e.context)
        };
        let sup = e
            .suppressed
            .as_ref()
            .map(|r| format!(" [suppressed: {r}]"))
            .unwrap_or_default();
        let _ = writeln!(s, "{at}{extra}{sup}  {}", e.at.snippet);
        if let Some(n) = &e.note {
            let _ = writeln!(s, "    {n}");
        }
    }
    if f.evidence_total > SHOWN.min(f.evidence.len()) {
        let _ = writeln!(
            s,
            "... and {} more places",
            f.evidence_total - SHOWN.min(f.evidence.len())
        );
    }
    s
}

fn body(f: &Finding) -> String {
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
        places(f)
    )
}

/// XML 1.0 cannot carry most control characters even escaped; scanned
/// snippets can contain them, so they become U+FFFD.
fn clean(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
        c => c,
    }
}

/// Escapes element text.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(clean) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value; line breaks are kept as character
/// references because parsers fold raw ones into spaces.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(clean) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
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
            text("<script>a&b</script>\u{0}"),
            "&lt;script&gt;a&amp;b&lt;/script&gt;\u{FFFD}"
        );
        assert_eq!(attr("\"x'\n"), "&quot;x&apos;&#10;");
    }
}
