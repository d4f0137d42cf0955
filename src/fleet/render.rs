//! The portfolio as JSON, CSV, Markdown or one self-contained HTML page
//! with inline SVG charts (no script, a Content-Security-Policy that
//! forbids scripts and fetches, like the single-service report).
//!
//! Names, inputs and errors come from the scanned fleet: control and bidi
//! characters are shown as escapes everywhere, Markdown metacharacters are
//! escaped, CSV cells that a spreadsheet would run as a formula are
//! quoted, and the HTML template autoescapes everything.

use super::portfolio::Portfolio;
use crate::report::escape::visible;
use crate::report::view::days;
use clap::ValueEnum;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One page with charts, to send around.
    Html,
    /// The portfolio for machines.
    Json,
    /// One row per service, for a spreadsheet.
    Csv,
    /// For an issue, a wiki page or a step summary.
    Markdown,
}

pub fn render(p: &Portfolio, format: Format) -> Result<String, String> {
    match format {
        Format::Json => serde_json::to_string_pretty(p)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string()),
        Format::Csv => Ok(csv(p)),
        Format::Markdown => Ok(markdown(p)),
        Format::Html => html(p),
    }
}

// --- CSV ---------------------------------------------------------------

const CSV_HEADER: &[&str] = &[
    "rank",
    "name",
    "input",
    "status",
    "verdict",
    "score",
    "effort_days",
    "pays",
    "runtime",
    "tier",
    "shape",
    "blockers",
    "reasons",
    "error",
];

fn csv(p: &Portfolio) -> String {
    let mut out = String::new();
    line(&mut out, CSV_HEADER.iter().map(|s| s.to_string()));
    for c in &p.candidates {
        line(
            &mut out,
            [
                c.rank.to_string(),
                c.name.clone(),
                c.input.clone(),
                "judged".into(),
                c.verdict.to_string(),
                c.score.to_string(),
                days(c.effort_days),
                c.pays.to_string(),
                c.runtime.clone().unwrap_or_default(),
                c.tier.clone().unwrap_or_default(),
                c.shape.join(";"),
                c.blockers.join(";"),
                c.reasons.join("; "),
                String::new(),
            ],
        );
    }
    for f in &p.failures {
        line(
            &mut out,
            [
                String::new(),
                f.name.clone(),
                f.input.clone(),
                "failed".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                f.error.clone(),
            ],
        );
    }
    out
}

fn line(out: &mut String, cells: impl IntoIterator<Item = String>) {
    let cells: Vec<String> = cells.into_iter().map(|c| cell(&c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// RFC 4180 quoting, control characters shown as escapes, and a leading
/// `'` on anything a spreadsheet would evaluate (`=`, `+`, `-`, `@`).
fn cell(s: &str) -> String {
    let s = visible(s);
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.into_owned()
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

// --- Markdown ------------------------------------------------------------

/// Text safe inside a Markdown table cell or paragraph.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '~' | '&'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn markdown(p: &Portfolio) -> String {
    use std::fmt::Write;
    let t = &p.totals;
    let mut o = String::new();
    let _ = writeln!(o, "# Fleet: which services should move to Wasm\n");
    for w in &p.source.warnings {
        let _ = writeln!(o, "> **Warning:** {}\n", md(w));
    }
    let n = |k: &str| t.verdicts.get(k).copied().unwrap_or(0);
    let _ = writeln!(
        o,
        "{} services: **{} good fit**, **{} porting**, **{} stay**, {} unknown, {} failed. About **{} person-days** to port the good-fit and porting ones.\n",
        t.services,
        n("good-fit"),
        n("porting"),
        n("stay"),
        n("unknown"),
        t.failed,
        days(t.effort_days)
    );
    let _ = writeln!(o, "## Candidates, best first\n");
    let _ = writeln!(o, "| # | service | verdict | score | effort (d) | why |");
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for c in &p.candidates {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            c.rank,
            md(&c.name),
            c.verdict,
            c.score,
            days(c.effort_days),
            c.reasons
                .iter()
                .map(|r| md(r))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let _ = writeln!(o, "\n## Blockers across the fleet\n");
    if p.blockers.is_empty() {
        let _ = writeln!(o, "No blocker in any service.");
    } else {
        let _ = writeln!(o, "| blocker | blocks | fixing it unlocks |");
        let _ = writeln!(o, "|---|---|---|");
        for b in &p.blockers {
            let _ = writeln!(
                o,
                "| {} {} | {} | {} |",
                md(&b.rule_id),
                md(&b.title),
                services(&b.services),
                unlocks(&b.unlocks)
            );
        }
    }
    let _ = writeln!(o, "\n## Dependency hot spots\n");
    if p.hot_spots.is_empty() {
        let _ = writeln!(o, "No dependency behind a counted finding.");
    } else {
        let _ = writeln!(o, "| package | rules | used by | replacing it unlocks |");
        let _ = writeln!(o, "|---|---|---|---|");
        for h in &p.hot_spots {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                md(&h.package),
                md(&h.rules.join(", ")),
                services(&h.services),
                unlocks(&h.unlocks)
            );
        }
    }
    let _ = writeln!(o, "\n## Runtime mix\n");
    let _ = writeln!(o, "| runtime | Wasm tier | services |");
    let _ = writeln!(o, "|---|---|---|");
    for r in &p.runtimes {
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            md(&r.runtime),
            md(&r.tier),
            r.services
        );
    }
    if let Some(tr) = &p.trend {
        let _ = writeln!(o, "\n## Since {}\n", md(&tr.baseline_started));
        let _ = writeln!(o, "- became good fit: {}", list_or_none(&tr.became_fit));
        for c in &tr.changes {
            let _ = writeln!(
                o,
                "- {}: {} ({}) → {} ({})",
                md(&c.service),
                c.from,
                c.score_from,
                c.to,
                c.score_to
            );
        }
        for b in &tr.new_blockers {
            let _ = writeln!(
                o,
                "- new blocker {} {}: {}",
                md(&b.rule_id),
                md(&b.title),
                services(&b.services)
            );
        }
        for b in &tr.resolved_blockers {
            let _ = writeln!(
                o,
                "- resolved blocker {} {}: {}",
                md(&b.rule_id),
                md(&b.title),
                services(&b.services)
            );
        }
        let _ = writeln!(o, "- added: {}", list_or_none(&tr.added));
        let _ = writeln!(o, "- removed: {}", list_or_none(&tr.removed));
    }
    if !p.failures.is_empty() {
        let _ = writeln!(o, "\n## Failed scans\n");
        let _ = writeln!(o, "| service | given at | error |");
        let _ = writeln!(o, "|---|---|---|");
        for f in &p.failures {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                md(&f.name),
                md(&f.given_at),
                md(&f.error)
            );
        }
    }
    o
}

fn services(v: &[String]) -> String {
    format!(
        "{}: {}",
        v.len(),
        v.iter().map(|s| md(s)).collect::<Vec<_>>().join(", ")
    )
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.iter().map(|s| md(s)).collect::<Vec<_>>().join(", ")
    }
}

fn unlocks(v: &[super::portfolio::Unlock]) -> String {
    if v.is_empty() {
        return "no service on its own (other blockers remain)".into();
    }
    v.iter()
        .map(|u| format!("{} → {}", md(&u.service), u.to))
        .collect::<Vec<_>>()
        .join(", ")
}

// --- HTML ------------------------------------------------------------------

const TEMPLATES: &[(&str, &str)] = &[
    (
        "fleet.html.j2",
        include_str!("../../templates/fleet.html.j2"),
    ),
    ("fleet.css", include_str!("../../templates/fleet.css")),
];

/// One horizontal bar chart, laid out here so the template only places it.
#[derive(Serialize)]
struct Chart {
    height: u32,
    bars: Vec<Bar>,
}

#[derive(Serialize)]
struct Bar {
    label: String,
    value: String,
    y: u32,
    width: u32,
    /// A second, overlaid length (what fixing unlocks), 0 for none.
    inner: u32,
    class: String,
}

/// The longest bar, in SVG user units.
const BAR_MAX: f64 = 300.0;
/// Bars shown per chart.
const CHART_ROWS: usize = 12;

fn chart(rows: Vec<(String, f64, f64, String, String)>) -> Chart {
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    let scale = |x: f64| {
        if max > 0.0 && x > 0.0 {
            ((x / max) * BAR_MAX).round().max(2.0) as u32
        } else {
            0
        }
    };
    let bars: Vec<Bar> = rows
        .into_iter()
        .take(CHART_ROWS)
        .enumerate()
        .map(|(i, (label, v, inner, value, class))| Bar {
            label: clip(&visible(&label), 26),
            value,
            y: i as u32 * 30 + 6,
            width: scale(v).max(2),
            inner: scale(inner),
            class,
        })
        .collect();
    Chart {
        height: bars.len() as u32 * 30 + 10,
        bars,
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

#[derive(Serialize)]
struct Charts {
    verdicts: Chart,
    effort: Chart,
    runtimes: Chart,
    blockers: Chart,
    hot_spots: Chart,
}

fn charts(p: &Portfolio) -> Charts {
    let t = &p.totals;
    let verdicts = ["good-fit", "porting", "stay", "unknown"]
        .iter()
        .map(|v| {
            let n = t.verdicts.get(*v).copied().unwrap_or(0);
            (
                v.to_string(),
                n as f64,
                0.0,
                n.to_string(),
                format!("v-{v}"),
            )
        })
        .chain(std::iter::once((
            "failed".to_string(),
            t.failed as f64,
            0.0,
            t.failed.to_string(),
            "v-failed".to_string(),
        )))
        .collect();
    let effort = ["good-fit", "porting"]
        .iter()
        .map(|v| {
            let d = t.effort_by_verdict.get(*v).copied().unwrap_or(0.0);
            (
                v.to_string(),
                d,
                0.0,
                format!("{} d", days(d)),
                format!("v-{v}"),
            )
        })
        .collect();
    let runtimes = p
        .runtimes
        .iter()
        .map(|r| {
            (
                format!("{} ({})", r.runtime, r.tier),
                r.services as f64,
                0.0,
                r.services.to_string(),
                format!("t-{}", r.tier),
            )
        })
        .collect();
    let blockers = p
        .blockers
        .iter()
        .map(|b| {
            (
                format!("{} {}", b.rule_id, b.title),
                b.services.len() as f64,
                b.unlocks.len() as f64,
                format!("blocks {}, unlocks {}", b.services.len(), b.unlocks.len()),
                "v-stay".to_string(),
            )
        })
        .collect();
    let hot_spots = p
        .hot_spots
        .iter()
        .map(|h| {
            (
                h.package.clone(),
                h.services.len() as f64,
                h.unlocks.len() as f64,
                format!("in {}, unlocks {}", h.services.len(), h.unlocks.len()),
                "v-porting".to_string(),
            )
        })
        .collect();
    Charts {
        verdicts: chart(verdicts),
        effort: chart(effort),
        runtimes: chart(runtimes),
        blockers: chart(blockers),
        hot_spots: chart(hot_spots),
    }
}

fn html(p: &Portfolio) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    let err = |e: minijinja::Error| format!("fleet HTML template: {e:#}");
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(err)?;
    }
    // Escape control characters in every string once, here, so the
    // template cannot forget one.
    let mut raw = serde_json::to_value(p).map_err(|e| e.to_string())?;
    escape_strings(&mut raw);
    env.get_template("fleet.html.j2")
        .map_err(err)?
        .render(minijinja::context! {
            p => Value::from(Serde(&raw)),
            c => Value::from(Serde(&charts(p))),
        })
        .map_err(err)
}

fn escape_strings(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let std::borrow::Cow::Owned(e) = visible(s) {
                *s = e;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(escape_strings),
        serde_json::Value::Object(o) => o.values_mut().for_each(escape_strings),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-3.5"), "-3.5");
        assert_eq!(cell("a\u{1b}[2Jb"), "a\\x1b[2Jb");
    }

    #[test]
    fn markdown_text_cannot_open_markup() {
        assert_eq!(md("a|b"), "a\\|b");
        assert_eq!(md("<img src=x>"), "\\<img src=x\\>");
        assert_eq!(md("[x](javascript:1)"), "\\[x\\](javascript:1)");
    }
}
