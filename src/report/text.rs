//! Text output for people: the verdict first, then findings grouped by
//! severity with `path:line` and the matching line, then how the score was
//! reached and whether Wasm would pay off.

use super::Report;
use crate::finding::Finding;
use crate::rules::Severity;
use crate::score::Verdict;
use crate::signals::Side;
use anstyle::{AnsiColor, Effects, Style};
use std::fmt::Write as _;

/// How many evidence lines to show per finding before "and N more".
const SHOWN: usize = 6;

struct Paint {
    on: bool,
}

impl Paint {
    fn s(&self, style: Style, text: &str) -> String {
        if self.on {
            format!("{}{}{}", style.render(), text, style.render_reset())
        } else {
            text.to_string()
        }
    }
}

fn sev_style(s: Severity) -> Style {
    let c = match s {
        Severity::Blocker => AnsiColor::Red,
        Severity::Major => AnsiColor::Yellow,
        Severity::Minor => AnsiColor::Cyan,
        Severity::Info => AnsiColor::BrightBlack,
    };
    Style::new().fg_color(Some(c.into())).effects(Effects::BOLD)
}

fn verdict_style(v: Verdict) -> Style {
    let c = match v {
        Verdict::GoodFit => AnsiColor::Green,
        Verdict::Porting => AnsiColor::Yellow,
        Verdict::Stay => AnsiColor::Red,
    };
    Style::new().fg_color(Some(c.into())).effects(Effects::BOLD)
}

pub fn render(r: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let bold = Style::new().effects(Effects::BOLD);
    let dim = Style::new().effects(Effects::DIMMED);
    let mut s = String::new();
    let _ = writeln!(s, "{} {}", p.s(bold, "wasmfit"), r.root);
    let _ = writeln!(
        s,
        "\n  {}  score {}/100  effort ~{} person-days",
        p.s(verdict_style(r.verdict), &r.verdict.id().to_uppercase()),
        r.score,
        r.summary.effort_days
    );
    match &r.runtime.primary {
        Some(rt) => {
            let _ = writeln!(s, "  runtime: {} ({:?} Wasm support): {}", rt.name, rt.tier, rt.note);
        }
        None => {
            let _ = writeln!(s, "  runtime: none detected");
        }
    }
    if !r.shape.is_empty() {
        let _ = writeln!(s, "  shape: {}", r.shape.join(", "));
    }
    let _ = writeln!(s, "  scanned {} files ({} KiB) in {} ms", r.summary.files, r.summary.bytes / 1024, r.summary.elapsed_ms);

    for sev in Severity::ALL {
        let group: Vec<&Finding> = r.findings.iter().filter(|f| f.severity == *sev && f.context.counts() && !f.suppressed).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{} ({})", p.s(sev_style(*sev), &sev.id().to_uppercase()), group.len());
        for f in group {
            finding(&mut s, &p, f);
        }
    }
    let other: Vec<&Finding> = r.findings.iter().filter(|f| !f.context.counts() || f.suppressed).collect();
    if !other.is_empty() {
        let _ = writeln!(s, "\n{} ({}): reported, not counted", p.s(bold, "NOT COUNTED"), other.len());
        for f in other {
            let why = if f.suppressed { "suppressed".to_string() } else { f.context.to_string() };
            let first = f.evidence.first().map(where_).unwrap_or_default();
            let _ = writeln!(s, "  {} {} [{}] {}", f.rule_id, f.title, why, p.s(dim, &first));
        }
    }

    let _ = writeln!(s, "\n{}", p.s(bold, "HOW THE SCORE WAS REACHED"));
    let _ = writeln!(s, "  100");
    for d in &r.scoring.deductions {
        let _ = writeln!(s, "  -{:>5.1}  {}", d.points, d.reason);
    }
    let _ = writeln!(s, "  = {} ({})", r.score, r.verdict);
    let subs: Vec<String> = r.scoring.subscores.iter().filter(|(_, v)| **v < 100).map(|(k, v)| format!("{k} {v}")).collect();
    if !subs.is_empty() {
        let _ = writeln!(s, "  subscores below 100: {}", subs.join(", "));
    }

    let _ = writeln!(s, "\n{}", p.s(bold, "WOULD WASM PAY OFF?"));
    for side in [Side::Wasm, Side::Docker] {
        let _ = writeln!(s, "  {}", if side == Side::Wasm { "Pick Wasm if:" } else { "Pick Docker if:" });
        for sig in r.signals.iter().filter(|x| x.side == side) {
            let mark = if sig.holds { "[x]" } else { "[ ]" };
            let _ = writeln!(s, "    {mark} {}", sig.text);
            if let Some(e) = sig.evidence.first() {
                let _ = writeln!(s, "        {}", p.s(dim, e));
            }
        }
    }
    if !r.diagnostics.is_empty() {
        let _ = writeln!(s, "\n{} ({})", p.s(bold, "DIAGNOSTICS"), r.diagnostics.len());
        for d in r.diagnostics.iter().take(10) {
            let _ = writeln!(s, "  {}: {}", d.path, d.message);
        }
        if r.diagnostics.len() > 10 {
            let _ = writeln!(s, "  ... and {} more (see --format json)", r.diagnostics.len() - 10);
        }
    }
    s
}

fn where_(e: &crate::finding::Evidence) -> String {
    let mut w = e.at.path.clone();
    if let Some(l) = e.at.line {
        let _ = write!(w, ":{l}");
    }
    for extra in [&e.at.symbol, &e.at.library, &e.at.section].into_iter().flatten() {
        let _ = write!(w, " [{extra}]");
    }
    w
}

fn finding(s: &mut String, p: &Paint, f: &Finding) {
    let bold = Style::new().effects(Effects::BOLD);
    let dim = Style::new().effects(Effects::DIMMED);
    let _ = writeln!(
        s,
        "  {} {}  {}",
        p.s(bold, &f.rule_id),
        f.title,
        p.s(dim, &format!("[{} -> {}] confidence {}", f.capability, f.wasi, f.confidence))
    );
    let _ = writeln!(s, "    {}", f.message);
    for e in f.evidence.iter().filter(|e| e.suppressed.is_none()).take(SHOWN) {
        let ctx = if e.context.counts() { String::new() } else { format!(" ({})", e.context) };
        let _ = writeln!(s, "    {}{}  {}", where_(e), ctx, p.s(dim, &e.at.snippet));
        if let Some(n) = &e.note {
            let _ = writeln!(s, "      {}", p.s(dim, n));
        }
    }
    if f.evidence_total > SHOWN {
        let _ = writeln!(s, "    ... and {} more places", f.evidence_total - SHOWN);
    }
    let _ = writeln!(s, "    -> {}", f.remediation);
}
