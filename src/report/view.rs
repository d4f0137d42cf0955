//! What the HTML template shows, computed from the report: findings in
//! reading order with their code excerpts, the capability map, the
//! dependency list, the effort chart's geometry, the supply-chain figures.
//!
//! Templates are for markup; anything with a decision or arithmetic in it is
//! here, where it can be tested and where a missing field is a compile error.

use super::tables::{self, Table};
use super::Report;
use crate::model::finding::{Evidence, Finding, Source};
use crate::model::report::Excerpt;
use crate::model::score::Verdict;
use crate::model::signal::Side;
use crate::rules::Severity;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Lines of context shown above and below an evidence line, out of what
/// the scan captured (`input::excerpt`).
const CONTEXT: u32 = 3;
/// Places shown per finding.
const PLACES: usize = 10;
/// The size the framework gives for a typical Wasm artefact.
const WASM_TYPICAL: (u64, u64) = (500_000, 10_000_000);

#[derive(Serialize)]
pub struct View<'a> {
    pub verdict_text: &'static str,
    pub gauge: Gauge,
    pub counts: Vec<(String, usize)>,
    pub effort_days: String,
    pub blockers: Vec<Card<'a>>,
    pub counted: Vec<Card<'a>>,
    pub info: Vec<Card<'a>>,
    pub not_counted: Vec<Card<'a>>,
    /// (holds, of) for each side of the decision framework.
    pub wasm_holds: (usize, usize),
    pub docker_holds: (usize, usize),
    pub capabilities: Vec<CapRow>,
    pub dependencies: Vec<DepRow<'a>>,
    pub effort: Chart,
    pub subscores: Vec<(String, u8)>,
    pub image: Option<Supply>,
    pub bench: Option<Vec<Table>>,
    /// Suppressed places, counted one by one.
    pub suppressed: usize,
    /// Wasm modules and components found in the tree, described.
    pub wasm: Vec<Table>,
}

/// The score ring: the stroke's dash over the circle's circumference.
#[derive(Serialize)]
pub struct Gauge {
    pub dash: String,
    pub gap: String,
}

#[derive(Serialize)]
pub struct Card<'a> {
    pub f: &'a Finding,
    pub places: Vec<Place<'a>>,
    pub more: usize,
    /// Person-days, or `None` when the verdict is to stay on containers.
    pub effort: Option<String>,
}

/// One line of an excerpt, numbered as in the file.
#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub number: u32,
    pub text: String,
    pub hit: bool,
}

#[derive(Serialize)]
pub struct Place<'a> {
    pub e: &'a Evidence,
    /// The code around this place, and around the places after it in the
    /// same file whose windows overlap this one's.
    pub excerpt: Option<Vec<Line>>,
    /// This place's line is shown, marked, with an earlier place.
    pub above: bool,
}

#[derive(Serialize)]
pub struct CapRow {
    pub capability: String,
    pub interfaces: Vec<String>,
    /// `maps`, `none` (no equivalent) or `partial` (some rules map).
    pub status: &'static str,
    pub severity: Severity,
    pub rules: Vec<String>,
    pub counted: bool,
    pub places: usize,
}

#[derive(Serialize)]
pub struct DepRow<'a> {
    pub e: &'a Evidence,
    pub f: &'a Finding,
}

#[derive(Serialize)]
pub struct Chart {
    pub height: u32,
    pub bars: Vec<Bar>,
}

#[derive(Serialize)]
pub struct Bar {
    pub label: String,
    pub value: String,
    pub y: u32,
    pub width: u32,
}

/// The scanned image, whatever its fields: tables, plus the size set
/// against a Wasm artefact's when a size field is there.
#[derive(Serialize)]
pub struct Supply {
    /// The headline numbers, when the fields the image scan writes are there.
    pub figures: Vec<(String, String)>,
    pub tables: Vec<Table>,
    pub size: Option<String>,
    pub ratio: Option<String>,
}

pub fn build<'a>(r: &'a Report, raw: &Value) -> View<'a> {
    let stay = r.verdict == Verdict::Stay;
    let card = |f: &'a Finding, excerpts: bool| {
        // Suppressed places stay visible (they sort last), without excerpts.
        let places = places(r, f, excerpts);
        let shown = places.len();
        Card {
            f,
            places,
            more: f.evidence_total.saturating_sub(shown),
            effort: (!stay).then(|| days(f.effort)),
        }
    };
    let mut blockers = Vec::new();
    let mut counted = Vec::new();
    let mut info = Vec::new();
    let mut not_counted = Vec::new();
    for f in &r.findings {
        if f.counted && f.severity == Severity::Blocker {
            blockers.push(card(f, true));
        } else if f.counted {
            counted.push(card(f, true));
        } else if f.context.counts() && !f.suppressed {
            info.push(card(f, false));
        } else {
            not_counted.push(card(f, false));
        }
    }
    let circumference = 2.0 * std::f64::consts::PI * 52.0;
    let dash = circumference * f64::from(r.score.min(100)) / 100.0;
    View {
        verdict_text: crate::model::score::headline(r.verdict, &r.findings),
        gauge: Gauge {
            dash: format!("{dash:.1}"),
            gap: format!("{:.1}", circumference - dash),
        },
        counts: Severity::ALL
            .iter()
            .map(|s| {
                (
                    s.id().to_string(),
                    r.summary.counted.get(s.id()).copied().unwrap_or(0),
                )
            })
            .collect(),
        effort_days: days(r.summary.effort_days),
        suppressed: super::flat::suppressed(r).len(),
        blockers,
        counted,
        info,
        not_counted,
        wasm_holds: holds(r, Side::Wasm),
        docker_holds: holds(r, Side::Docker),
        capabilities: capabilities(&r.findings),
        dependencies: dependencies(&r.findings),
        effort: chart(r),
        subscores: r
            .scoring
            .subscores
            .iter()
            .map(|(c, v)| (c.id().to_string(), *v))
            .collect(),
        image: raw.get("image").filter(|v| !v.is_null()).map(supply),
        bench: r
            .bench
            .as_ref()
            .and_then(|b| serde_json::to_value(b).ok())
            .map(|v| tables::tables(&v)),
        wasm: raw
            .get("wasm")
            .filter(|w| w.as_array().is_some_and(|a| !a.is_empty()))
            .map(|w| tables::tables(&serde_json::json!({ "Wasm artefacts": w })))
            .unwrap_or_default(),
    }
}

/// The places a card lists, with excerpts. Windows of `CONTEXT` lines
/// around the first places of a file are joined where they overlap or
/// touch and shown once, under the first place they cover, with the line
/// of every place they cover marked; a line two places share is shown with
/// the first. No line is shown twice in a card.
fn places<'a>(r: &'a Report, f: &'a Finding, excerpts: bool) -> Vec<Place<'a>> {
    let shown: Vec<&Evidence> = f.evidence.iter().take(PLACES).collect();
    // (excerpt, first line, last line) around each place that gets one.
    let mut windows: Vec<(&Excerpt, u32, u32)> = shown
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let line = e.at.line.filter(|_| excerpts && Excerpt::wanted(f, i))?;
            let x = r.excerpt(&e.at.path, line)?;
            let last = x.start + x.lines.len() as u32 - 1;
            Some((
                x,
                line.saturating_sub(CONTEXT).max(x.start),
                line.saturating_add(CONTEXT).min(last),
            ))
        })
        .collect();
    windows.sort_by_key(|w| (w.0.path.as_str(), w.0.start, w.1));
    let mut blocks: Vec<(&Excerpt, u32, u32)> = Vec::new();
    for w in windows {
        match blocks.last_mut() {
            Some(b) if std::ptr::eq(b.0, w.0) && w.1 <= b.2 + 1 => b.2 = b.2.max(w.2),
            _ => blocks.push(w),
        }
    }
    let block_of: Vec<Option<usize>> = shown
        .iter()
        .map(|e| {
            let l = e.at.line?;
            blocks
                .iter()
                .position(|b| b.0.path == e.at.path && b.1 <= l && l <= b.2)
        })
        .collect();
    shown
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let (excerpt, above) = match block_of[i] {
                Some(b) if !block_of[..i].contains(&Some(b)) => {
                    let (x, from, to) = blocks[b];
                    let hits: Vec<u32> = shown
                        .iter()
                        .zip(&block_of)
                        .filter(|(_, o)| **o == Some(b))
                        .filter_map(|(e, _)| e.at.line)
                        .collect();
                    let lines = (from..=to)
                        .filter_map(|n| {
                            x.line(n).map(|text| Line {
                                number: n,
                                text: text.to_string(),
                                hit: hits.contains(&n),
                            })
                        })
                        .collect();
                    (Some(lines), false)
                }
                Some(_) => (None, true),
                // Two kinds of evidence on one line (an import and its
                // use) show the line once.
                None => (
                    None,
                    e.at.line.is_some()
                        && shown[..i]
                            .iter()
                            .any(|p| p.at.path == e.at.path && p.at.line == e.at.line),
                ),
            };
            Place { e, excerpt, above }
        })
        .collect()
}

fn holds(r: &Report, side: Side) -> (usize, usize) {
    let all = r.signals.iter().filter(|s| s.side == side);
    (all.clone().filter(|s| s.holds).count(), all.count())
}

/// Person-days with one decimal, and never "-0.0".
pub fn days(x: f64) -> String {
    let x = if x.abs() < 0.05 { 0.0 } else { x };
    format!("{x:.1}")
}

fn capabilities(findings: &[Finding]) -> Vec<CapRow> {
    let mut by: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| !f.suppressed) {
        by.entry(f.capability.id()).or_default().push(f);
    }
    let mut rows: Vec<CapRow> = by
        .into_iter()
        .map(|(cap, fs)| {
            let mut interfaces: Vec<String> = fs
                .iter()
                .filter(|f| f.wasi != "none")
                .map(|f| f.wasi.clone())
                .collect();
            interfaces.dedup();
            let none = fs.iter().filter(|f| f.wasi == "none").count();
            CapRow {
                capability: cap.to_string(),
                status: match (none, fs.len()) {
                    (0, _) => "maps",
                    (n, all) if n == all => "none",
                    _ => "partial",
                },
                interfaces,
                severity: fs
                    .iter()
                    .map(|f| f.severity)
                    .min()
                    .unwrap_or(Severity::Info),
                rules: fs.iter().map(|f| f.rule_id.clone()).collect(),
                counted: fs.iter().any(|f| f.context.counts()),
                places: fs.iter().map(|f| f.evidence_total).sum(),
            }
        })
        .collect();
    let order = |s: &str| match s {
        "none" => 0,
        "partial" => 1,
        _ => 2,
    };
    rows.sort_by(|a, b| {
        (!a.counted, order(a.status), a.severity).cmp(&(!b.counted, order(b.status), b.severity))
    });
    rows
}

fn dependencies(findings: &[Finding]) -> Vec<DepRow<'_>> {
    let mut rows: Vec<DepRow> = Vec::new();
    for f in findings {
        for e in f.evidence.iter().filter(|e| e.source == Source::Dependency) {
            if !rows.iter().any(|d| {
                d.e.at.path == e.at.path
                    && d.e.at.snippet == e.at.snippet
                    && d.f.rule_id == f.rule_id
            }) {
                rows.push(DepRow { e, f });
            }
        }
    }
    rows
}

fn chart(r: &Report) -> Chart {
    let max = r
        .scoring
        .effort_by_category
        .values()
        .copied()
        .fold(0.0_f64, f64::max);
    let mut items: Vec<(String, f64)> = r
        .scoring
        .effort_by_category
        .iter()
        .map(|(c, d)| (c.id().to_string(), *d))
        .collect();
    items.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let bars: Vec<Bar> = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, d))| Bar {
            label,
            value: format!("{} d", days(d)),
            y: i as u32 * 30 + 6,
            // 290 user units is the longest bar; every bar shows a sliver.
            width: if max > 0.0 {
                ((d / max) * 290.0).round().max(2.0) as u32
            } else {
                2
            },
        })
        .collect();
    Chart {
        height: bars.len() as u32 * 30 + 10,
        bars,
    }
}

fn supply(v: &Value) -> Supply {
    let o = v.as_object();
    // `size` is what the image scan reports; any other size field will do
    // for an image description of another shape.
    let size = v.get("size").and_then(Value::as_u64).or_else(|| {
        o?.iter()
            .filter(|(k, _)| k.contains("size") || k.ends_with("bytes"))
            .find_map(|(_, v)| v.as_u64())
    });
    let mut figures = Vec::new();
    let mut fig = |k: &str, val: Option<String>| {
        if let Some(val) = val {
            figures.push((k.to_string(), val));
        }
    };
    let num = |p: &str| v.pointer(p).and_then(Value::as_u64);
    fig("Unpacked", num("/unpacked_size").map(bytes));
    fig("Files", num("/files").map(|n| n.to_string()));
    fig(
        "Base OS",
        v.pointer("/base_os/pretty_name")
            .or_else(|| v.pointer("/base_os/id"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    if let Some(p) = v
        .get("packages")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
    {
        let n: u64 = p
            .iter()
            .filter_map(|x| x.get("count").and_then(Value::as_u64))
            .sum();
        let managers: Vec<&str> = p
            .iter()
            .filter_map(|x| x.get("manager").and_then(Value::as_str))
            .collect();
        fig(
            "OS packages",
            Some(format!("{n} ({})", managers.join(", "))),
        );
    }
    fig(
        "OS userland",
        num("/os_surface/bytes").map(|b| {
            format!(
                "{} in {} files",
                bytes(b),
                num("/os_surface/files").unwrap_or(0)
            )
        }),
    );
    fig(
        "Executables / shared libraries",
        num("/os_surface/executables")
            .map(|e| format!("{e} / {}", num("/os_surface/shared_libraries").unwrap_or(0))),
    );
    fig(
        "setuid/setgid files",
        num("/os_surface/setuid").map(|n| n.to_string()),
    );
    fig(
        "Shells",
        v.pointer("/os_surface/shells")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
    );
    Supply {
        figures,
        tables: tables::tables(v),
        size: size.map(bytes),
        ratio: size.map(|s| {
            let (lo, hi) = WASM_TYPICAL;
            if s <= hi {
                format!("within the size of a typical Wasm artefact ({} to {})", bytes(lo), bytes(hi))
            } else {
                format!(
                    "{:.0}× the top of a typical Wasm artefact's size ({} to {}), {:.0}× its bottom",
                    s as f64 / hi as f64,
                    bytes(lo),
                    bytes(hi),
                    s as f64 / lo as f64
                )
            }
        }),
    }
}

pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n >= 1e9 {
        format!("{:.1} GB", n / 1e9)
    } else if n >= 1e6 {
        format!("{:.1} MB", n / 1e6)
    } else if n >= 1e3 {
        format!("{:.0} KB", n / 1e3)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_never_shows_negative_zero() {
        assert_eq!(days(-0.0), "0.0");
        assert_eq!(days(12.34), "12.3");
    }

    #[test]
    fn image_size_is_set_against_wasm() {
        let s = supply(
            &serde_json::json!({"reference": "python:3.12", "size_bytes": 1_020_000_000u64}),
        );
        assert_eq!(s.size.as_deref(), Some("1.0 GB"));
        assert!(s.ratio.unwrap().starts_with("102×"));
        let s = supply(
            &serde_json::json!({"size": 80_000_000u64, "packages": [{"manager": "dpkg", "count": 90}], "os_surface": {"bytes": 70_000_000u64, "files": 4000, "executables": 300, "shared_libraries": 200, "setuid": 2, "shells": ["/bin/sh"]}}),
        );
        let names: Vec<&str> = s.figures.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "OS packages",
                "OS userland",
                "Executables / shared libraries",
                "setuid/setgid files",
                "Shells"
            ]
        );
        assert_eq!(s.figures[0].1, "90 (dpkg)");
    }
}
