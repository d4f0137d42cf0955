//! Markdown for a merge-request comment or a GitHub step summary: the
//! verdict in one line, the blockers and majors as a table with links to
//! the lines, everything else folded away.
//!
//! Scanned text is untrusted here too: GitHub and GitLab render inline HTML
//! and links, so text is escaped and snippets go into code spans, where
//! nothing is interpreted.

use super::flat;
use super::paths::{repo_path, scan_dir, uri_path};
use super::{count, escape, Renderer, Report, STAY_EFFORT};
use crate::model::finding::{Evidence, Finding};
use crate::model::score::Verdict;
use crate::model::signal::Side;
use crate::rules::Severity;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Rows in the main table and in the folded one before "and N more": a
/// comment is for reading, the full list is in the other formats.
const ROWS: usize = 30;
/// Places linked per finding.
const PLACES: usize = 3;

/// Markdown for a comment or a step summary.
pub struct Markdown {
    /// Where `path#L12` links point, or `None` for relative links.
    pub link_base: Option<String>,
}

impl Renderer for Markdown {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(report, self.link_base.as_deref()).as_bytes())
    }
}

fn render(report: &Report, link_base: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "### wasmfit: {} · {}/100\n",
        report.verdict.id().to_uppercase(),
        report.score
    );
    let _ = writeln!(s, "{}\n", headline(report));
    let mut facts = vec![if report.verdict == Verdict::Stay {
        STAY_EFFORT.to_string()
    } else {
        format!("effort ~{} person-days", report.summary.effort_days)
    }];
    if let Some(rt) = &report.runtime.primary {
        facts.push(format!("runtime {} ({})", esc(&rt.name), tier(rt.tier)));
    }
    let counts: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|sv| {
            report
                .summary
                .counted
                .get(sv.id())
                .filter(|n| **n > 0)
                .map(|n| format!("{n} {sv}"))
        })
        .collect();
    if !counts.is_empty() {
        facts.push(counts.join(", "));
    }
    let suppressed = flat::suppressed(report);
    if !suppressed.is_empty() {
        facts.push(format!(
            "{} suppressed",
            count(suppressed.len(), "place", "places")
        ));
    }
    let scanned = match &report.repository {
        Some(_) => match scan_dir(report) {
            d if d.is_empty() => ".".to_string(),
            d => d,
        },
        None => report.root.clone(),
    };
    facts.push(format!("scanned {}", code(&scanned)));
    let _ = writeln!(s, "{}\n", facts.join(" · "));

    // Findings suppressed everywhere are listed with the other suppressed
    // places, under their reasons.
    let (main, rest): (Vec<&Finding>, Vec<&Finding>) = report
        .findings
        .iter()
        .filter(|f| !f.suppressed)
        .partition(|f| f.counted && matches!(f.severity, Severity::Blocker | Severity::Major));
    if main.is_empty() {
        s.push_str("No blocker or major finding.\n\n");
    } else {
        table(&mut s, report, &main, link_base);
    }
    if !rest.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>Other findings: minor, info, not counted ({})</summary>\n",
            rest.len()
        );
        table(&mut s, report, &rest, link_base);
        s.push_str("</details>\n\n");
    }
    if !suppressed.is_empty() {
        suppressed_table(&mut s, report, &suppressed, link_base);
    }

    s.push_str("<details><summary>How the score was reached</summary>\n\n| Points | Reason |\n|---:|---|\n| | 100 |\n");
    for d in &report.scoring.deductions {
        let _ = writeln!(s, "| −{:.1} | {} |", d.points, esc(&d.reason));
    }
    let _ = writeln!(
        s,
        "| | **= {} ({})** |\n\n</details>\n",
        report.score, report.verdict
    );

    let holds = |side| {
        report
            .signals
            .iter()
            .filter(|g| g.side == side && g.holds)
            .count()
    };
    let total = |side| report.signals.iter().filter(|g| g.side == side).count();
    if !report.signals.is_empty() {
        let _ = writeln!(
            s,
            "<details><summary>Would Wasm pay off? {} of {} for Wasm, {} of {} for Docker</summary>\n",
            holds(Side::Wasm),
            count(total(Side::Wasm), "point", "points"),
            holds(Side::Docker),
            total(Side::Docker)
        );
        for side in [Side::Wasm, Side::Docker] {
            let _ = writeln!(
                s,
                "**Pick {} if:**\n",
                if side == Side::Wasm { "Wasm" } else { "Docker" }
            );
            for g in report.signals.iter().filter(|g| g.side == side) {
                let why = g
                    .evidence
                    .first()
                    .map(|e| format!(" — {}", esc(e)))
                    .unwrap_or_default();
                let _ = writeln!(
                    s,
                    "- {} {}{}",
                    if g.holds { "✅" } else { "⬜" },
                    esc(&g.text),
                    why
                );
            }
            s.push('\n');
        }
        s.push_str("</details>\n");
    }
    s
}

fn headline(r: &Report) -> String {
    let blockers = r.summary.counted.get("blocker").copied().unwrap_or(0);
    match r.verdict {
        v @ (crate::model::score::Verdict::GoodFit | crate::model::score::Verdict::Porting) => {
            let h = crate::model::score::headline(v, &r.findings);
            // `Good fit: ...` -> `**Good fit**: ...`
            match h.split_once([':', ',']) {
                Some((head, rest)) => {
                    let sep = &h[head.len()..head.len() + 1];
                    format!("**{head}**{sep}{rest}")
                }
                None => h.to_string(),
            }
        }
        crate::model::score::Verdict::Stay => format!(
            "**Stay on containers**: {} blocker{} without a WASI 0.2 equivalent.",
            blockers,
            if blockers == 1 { "" } else { "s" }
        ),
        crate::model::score::Verdict::Unknown => format!(
            "**Unknown**: {}",
            r.verdict_reason.as_deref().unwrap_or("nothing to judge.")
        ),
    }
}

fn tier(t: crate::rules::Tier) -> &'static str {
    use crate::rules::Tier;
    match t {
        Tier::Strong => "strong Wasm support",
        Tier::CoreModules => "core modules only",
        Tier::Interpreted => "interpreted",
        Tier::Experimental => "experimental",
        Tier::None => "no Wasm support",
    }
}

/// `[path:12](link) `snippet``, linked to the line on the forge.
fn place(r: &Report, e: &Evidence, link_base: Option<&str>) -> String {
    let path = repo_path(r, &e.at.path);
    let label = match e.at.line {
        Some(l) => format!("{path}:{l}"),
        None => path.clone(),
    };
    let mut url = format!("{}{}", link_base.unwrap_or(""), uri_path(&path));
    if let Some(l) = e.at.line {
        let _ = write!(url, "#L{l}");
    }
    // A line's text is code; without a line the snippet describes the
    // place ("python source", a binary import).
    let snippet = match (e.at.snippet.is_empty(), e.at.line) {
        (true, _) => String::new(),
        (false, Some(_)) => format!(" {}", code(&e.at.snippet)),
        (false, None) => format!(" _{}_", esc(&e.at.snippet)),
    };
    format!("[{}]({url}){snippet}", esc(&label))
}

/// Every suppressed place with its reason, folded: they stay visible in
/// every report, and do not count.
fn suppressed_table(
    s: &mut String,
    r: &Report,
    places: &[(&Finding, &Evidence)],
    link_base: Option<&str>,
) {
    let _ = writeln!(
        s,
        "<details><summary>Suppressed, with their reasons ({})</summary>\n",
        count(places.len(), "place", "places")
    );
    s.push_str("| Rule | Where | Reason |\n|---|---|---|\n");
    for (f, e) in places.iter().take(ROWS) {
        let _ = writeln!(
            s,
            "| {} {} | {} | {} |",
            esc(&f.rule_id),
            esc(&f.title),
            place(r, e, link_base),
            esc(e.suppressed.as_deref().unwrap_or_default())
        );
    }
    if places.len() > ROWS {
        let _ = writeln!(
            s,
            "\n… and {} more (see the full report).",
            places.len() - ROWS
        );
    }
    s.push_str("\n</details>\n\n");
}

fn table(s: &mut String, r: &Report, findings: &[&Finding], link_base: Option<&str>) {
    s.push_str("| Severity | Rule | Finding | Where |\n|---|---|---|---|\n");
    for f in findings.iter().take(ROWS) {
        let mut sev = f.severity.to_string();
        if f.suppressed {
            sev.push_str(" (suppressed)");
        } else if !f.context.counts() {
            let _ = write!(sev, " ({})", f.context);
        }
        // A finding with live evidence lists only that here: its
        // suppressed places are in the table of suppressions.
        let shown = |e: &&Evidence| f.suppressed || e.suppressed.is_none();
        let hidden = f.evidence.iter().filter(|e| !shown(e)).count();
        let live = f.evidence_total.saturating_sub(hidden);
        let mut places: Vec<String> = f
            .evidence
            .iter()
            .filter(shown)
            .take(PLACES)
            .map(|e| place(r, e, link_base))
            .collect();
        if live > places.len() {
            places.push(format!("+{} more", live - places.len()));
        }
        let _ = writeln!(
            s,
            "| {sev} | {} | {}<br>{} | {} |",
            esc(&f.rule_id),
            esc(&f.title),
            esc(&f.remediation),
            places.join("<br>")
        );
    }
    if findings.len() > ROWS {
        let _ = writeln!(
            s,
            "\n… and {} (see the full report).",
            count(findings.len() - ROWS, "more finding", "more findings")
        );
    }
    s.push('\n');
}

/// Escapes text for Markdown: HTML-significant characters become entities,
/// Markdown punctuation gets a backslash, and a line stays one line.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            // Brackets would make links and images, the rest emphasis or
            // code; parentheses and `#` are harmless without them.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // Controls and bidi overrides show as escapes (`\x1b`): a
            // reader sees them, a renderer or terminal does not act on them.
            c if escape::is_unsafe(c) || c.is_control() => escape::push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Text for inside a code span (no entities there: they would show).
fn code_text(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if matches!(c, '\n' | '\r') { ' ' } else { c })
        .collect();
    let mut t = escape::visible(&one_line).into_owned();
    if t.chars().count() > 80 {
        t = t.chars().take(79).collect::<String>() + "…";
    }
    // GFM splits table cells on `|` even inside code spans.
    t.replace('|', "\\|")
}

/// A code span whose fence is longer than any run of backticks inside.
fn code(s: &str) -> String {
    let t = code_text(s);
    let longest = t.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    format!("{fence} {t} {fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_and_markdown() {
        assert_eq!(
            esc("<script>alert(1)</script> [x](y)"),
            "&lt;script&gt;alert(1)&lt;/script&gt; \\[x\\](y)"
        );
    }

    #[test]
    fn controls_and_bidi_show_as_escapes() {
        assert_eq!(esc("a\u{1b}[2K\u{202e}b\nc"), "a\\x1b\\[2K\\u{202e}b c");
        assert_eq!(code("x\u{1b}]0;t\u{7}"), "` x\\x1b]0;t\\x07 `");
    }

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a `b` | c"), "`` a `b` \\| c ``");
    }
}
