//! Text output for people: the verdict first, then findings grouped by
//! severity with `path:line` and the matching line, then how the score was
//! reached and whether Wasm would pay off.

use super::flat;
use super::{count, Renderer, Report, STAY_EFFORT};
use crate::model::finding::Finding;
use crate::model::score::Verdict;
use crate::model::signal::Side;
use crate::rules::Severity;
use anstyle::{AnsiColor, Effects, Style};
use std::fmt::Write as _;
use std::io::{self, Write};

/// How many evidence lines to show per finding before "and N more".
const SHOWN: usize = 6;
/// Suppressed places listed before "and N more".
const SHOWN_SUPPRESSED: usize = 20;
/// Paths with a non-service role listed before "and N more".
const SHOWN_ROLES: usize = 10;

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
        Verdict::Unknown => AnsiColor::BrightBlack,
    };
    Style::new().fg_color(Some(c.into())).effects(Effects::BOLD)
}

/// The terminal report.
pub struct Text {
    /// ANSI colour (decided by the CLI).
    pub color: bool,
}

impl Renderer for Text {
    /// Scanned text cannot steer the terminal: every string of the report
    /// is escaped before any is printed, and the only escape sequences
    /// written are this renderer's own colours.
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let report = super::escape::report(report)?;
        out.write_all(render(&report, self.color).as_bytes())
    }
}

fn render(r: &Report, color: bool) -> String {
    let p = Paint { on: color };
    let bold = Style::new().effects(Effects::BOLD);
    let dim = Style::new().effects(Effects::DIMMED);
    let mut s = String::new();
    let _ = writeln!(s, "{} {}", p.s(bold, "wasmfit"), r.root);
    let effort = match r.verdict {
        Verdict::Stay => STAY_EFFORT.to_string(),
        Verdict::Unknown => "nothing to judge".to_string(),
        _ => format!("effort ~{} person-days", r.summary.effort_days),
    };
    let _ = writeln!(
        s,
        "\n  {}  score {}/100  {effort}",
        p.s(verdict_style(r.verdict), &r.verdict.id().to_uppercase()),
        r.score,
    );
    let _ = writeln!(
        s,
        "  {}",
        crate::model::score::headline(r.verdict, &r.findings)
    );
    if let Some(why) = &r.verdict_reason {
        let _ = writeln!(s, "  why: {why}");
    }
    match &r.runtime.primary {
        Some(rt) => {
            let _ = writeln!(
                s,
                "  runtime: {} (Wasm support: {}): {}",
                rt.name,
                rt.tier.id(),
                rt.note
            );
        }
        None => {
            let _ = writeln!(s, "  runtime: none detected");
        }
    }
    if !r.shape.is_empty() {
        let _ = writeln!(s, "  shape: {}", r.shape.join(", "));
    }
    let _ = writeln!(
        s,
        "  scanned {} ({} KiB) in {} ms",
        count(r.summary.files, "file", "files"),
        r.summary.bytes / 1024,
        r.summary.elapsed_ms
    );
    let suppressed = flat::suppressed(r);
    let _ = writeln!(s, "  findings: {}", tally(r, suppressed.len()));
    services_section(&mut s, &p, r);

    for sev in Severity::ALL {
        let group: Vec<&Finding> = r
            .findings
            .iter()
            .filter(|f| f.severity == *sev && f.context.counts() && !f.suppressed)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "\n{} ({})",
            p.s(sev_style(*sev), &sev.id().to_uppercase()),
            group.len()
        );
        for f in group {
            finding(&mut s, &p, f);
        }
    }
    let other: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| !f.context.counts() && !f.suppressed)
        .collect();
    if !other.is_empty() {
        let _ = writeln!(
            s,
            "\n{} ({}): reported, not counted",
            p.s(bold, "NOT COUNTED"),
            other.len()
        );
        for f in other {
            let first = f.evidence.first().map(where_).unwrap_or_default();
            let why = f
                .evidence
                .first()
                .and_then(|e| e.reason.as_deref())
                .map(|w| format!(": {w}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {} {} [{}] {}",
                f.rule_id,
                f.title,
                f.context,
                p.s(dim, &format!("{first}{why}"))
            );
        }
    }
    if !r.roles.is_empty() {
        let _ = writeln!(
            s,
            "\n{} ({})",
            p.s(bold, "NOT THE SERVICE"),
            count(r.roles.len(), "path", "paths")
        );
        for role in r.roles.iter().take(SHOWN_ROLES) {
            let _ = writeln!(
                s,
                "  {} [{}] {}",
                role.path,
                role.context,
                p.s(dim, &role.reason)
            );
        }
        if r.roles.len() > SHOWN_ROLES {
            let _ = writeln!(
                s,
                "  ... and {} more (see --format json)",
                r.roles.len() - SHOWN_ROLES
            );
        }
    }
    if !suppressed.is_empty() {
        let _ = writeln!(
            s,
            "\n{} ({}): reported with their reasons, not counted",
            p.s(bold, "SUPPRESSED"),
            count(suppressed.len(), "place", "places")
        );
        for (f, e) in suppressed.iter().take(SHOWN_SUPPRESSED) {
            let _ = writeln!(
                s,
                "  {} {}  {}  {}",
                f.rule_id,
                f.title,
                where_(e),
                p.s(dim, e.suppressed.as_deref().unwrap_or_default())
            );
        }
        if suppressed.len() > SHOWN_SUPPRESSED {
            let _ = writeln!(
                s,
                "  ... and {} more (see --format json)",
                suppressed.len() - SHOWN_SUPPRESSED
            );
        }
    }

    let _ = writeln!(s, "\n{}", p.s(bold, "HOW THE SCORE WAS REACHED"));
    let _ = writeln!(s, "  100");
    for d in &r.scoring.deductions {
        let _ = writeln!(s, "  -{:>5.1}  {}", d.points, d.reason);
    }
    let _ = writeln!(s, "  = {} ({})", r.score, r.verdict);
    let subs: Vec<String> = r
        .scoring
        .subscores
        .iter()
        .filter(|(_, v)| **v < 100)
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if !subs.is_empty() {
        let _ = writeln!(s, "  subscores below 100: {}", subs.join(", "));
    }

    let _ = writeln!(s, "\n{}", p.s(bold, "WOULD WASM PAY OFF?"));
    for side in [Side::Wasm, Side::Docker] {
        let _ = writeln!(
            s,
            "  {}",
            if side == Side::Wasm {
                "Pick Wasm if:"
            } else {
                "Pick Docker if:"
            }
        );
        for sig in r.signals.iter().filter(|x| x.side == side) {
            let mark = if sig.holds { "[x]" } else { "[ ]" };
            let _ = writeln!(s, "    {mark} {}", sig.text);
            if let Some(e) = sig.evidence.first() {
                let _ = writeln!(s, "        {}", p.s(dim, e));
            }
        }
    }
    if !r.diagnostics.is_empty() {
        let _ = writeln!(
            s,
            "\n{} ({})",
            p.s(bold, "DIAGNOSTICS"),
            r.diagnostics.len()
        );
        for d in r.diagnostics.iter().take(10) {
            let _ = writeln!(s, "  {}: {}", d.path, d.message);
        }
        if r.diagnostics.len() > 10 {
            let _ = writeln!(
                s,
                "  ... and {} more (see --format json)",
                r.diagnostics.len() - 10
            );
        }
    }
    if let Some(plan) = &r.plan {
        super::plan::text(&mut s, plan);
    }
    wasm_section(&mut s, &p, r);
    image_section(&mut s, &p, r);
    binaries_section(&mut s, &p, r);
    s
}

/// The services found, when there is more to say than "the whole tree":
/// each with its verdict, the one this report is about marked `*`, then
/// the neighbours beside them and any fallback notes.
fn services_section(s: &mut String, p: &Paint, r: &Report) {
    use crate::model::service::ServiceKind;
    let dim = Style::new().effects(Effects::DIMMED);
    let bold = Style::new().effects(Effects::BOLD);
    let trivial = r.services.len() == 1
        && r.services[0].kind == ServiceKind::Tree
        && r.services[0].neighbours.is_empty()
        && r.services[0].notes.is_empty();
    if r.services.is_empty() || trivial {
        return;
    }
    let _ = writeln!(s, "\n{} ({})", p.s(bold, "SERVICES"), r.services.len());
    for svc in &r.services {
        let mark = if svc.primary { "*" } else { " " };
        let from = svc
            .dockerfile
            .as_deref()
            .map(|d| format!(" from {d}"))
            .unwrap_or_default();
        let runtime = svc
            .runtime
            .primary
            .as_ref()
            .map(|rt| format!(", runtime {}", rt.name))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {mark} {}  {}  score {}  [{} at {}{from}{runtime}]",
            svc.name,
            p.s(verdict_style(svc.verdict), &svc.verdict.id().to_uppercase()),
            svc.score,
            svc.kind,
            svc.root,
        );
        if let Some(why) = &svc.verdict_reason {
            let _ = writeln!(s, "      {}", p.s(dim, &format!("why: {why}")));
        }
        // Main entry points first: a package's many side scripts must not
        // push the one the image runs out of the three shown.
        let shown = svc
            .entry_points
            .iter()
            .filter(|e| e.main)
            .chain(svc.entry_points.iter().filter(|e| !e.main));
        for e in shown.take(3) {
            let at = match e.declared_in.line {
                Some(l) => format!("{}:{l}", e.declared_in.path),
                None => e.declared_in.path.clone(),
            };
            let target = e.path.as_deref().unwrap_or("(no file in the tree)");
            let side = if e.main { "" } else { "side " };
            let _ = writeln!(
                s,
                "      {}",
                p.s(
                    dim,
                    &format!("{side}entry ({}): {target}, named at {at}", e.kind)
                )
            );
        }
        for n in &svc.notes {
            let _ = writeln!(s, "      {}", p.s(dim, &format!("note: {n}")));
        }
    }
    let mut shown = std::collections::BTreeSet::new();
    for n in r.services.iter().flat_map(|x| &x.neighbours) {
        if !shown.insert((n.compose.clone(), n.name.clone())) {
            continue;
        }
        let notes = if n.notes.is_empty() {
            String::new()
        } else {
            format!("; {}", n.notes.join(", "))
        };
        let _ = writeln!(
            s,
            "    neighbour {} ({}, {}{notes}): not the service's code, not counted",
            n.name, n.image, n.compose
        );
    }
    if r.services.len() > 1 {
        let _ = writeln!(
            s,
            "  {}",
            p.s(
                dim,
                "* this report's service; pick another with --service NAME"
            )
        );
    }
}

/// `1 blocker, 1 minor counted; 3 info; 1 not counted; 2 places suppressed`.
fn tally(r: &Report, suppressed: usize) -> String {
    let counted: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|sv| {
            let n = r.summary.counted.get(sv.id()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{n} {sv}"))
        })
        .collect();
    let mut parts = vec![if counted.is_empty() {
        "none counted".to_string()
    } else {
        format!("{} counted", counted.join(", "))
    }];
    let info = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Info && f.context.counts() && !f.suppressed)
        .count();
    if info > 0 {
        parts.push(format!("{info} info"));
    }
    if r.summary.not_counted > 0 {
        parts.push(format!("{} not counted", r.summary.not_counted));
    }
    if suppressed > 0 {
        parts.push(format!(
            "{} suppressed",
            count(suppressed, "place", "places")
        ));
    }
    parts.join("; ")
}

fn where_(e: &crate::model::finding::Evidence) -> String {
    let mut w = e.at.path.clone();
    if let Some(l) = e.at.line {
        let _ = write!(w, ":{l}");
    }
    for extra in [&e.at.symbol, &e.at.library, &e.at.section]
        .into_iter()
        .flatten()
    {
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
        p.s(
            dim,
            &format!(
                "[{} -> {}] confidence {}",
                f.capability, f.wasi, f.confidence
            )
        )
    );
    let _ = writeln!(s, "    {}", f.message);
    // Why the severity is lower than the rule's, so the section it is
    // listed under agrees with the evidence shown.
    if f.job_only {
        let _ = writeln!(
            s,
            "    {}",
            p.s(
                dim,
                "at most a major: only background jobs use it, a worker that can stay in a container beside the service"
            )
        );
    }
    for e in f
        .evidence
        .iter()
        .filter(|e| e.suppressed.is_none())
        .take(SHOWN)
    {
        let ctx = if e.context.counts() {
            String::new()
        } else {
            format!(" ({})", e.context)
        };
        let _ = writeln!(s, "    {}{}  {}", where_(e), ctx, p.s(dim, &e.at.snippet));
        if let Some(n) = &e.note {
            let _ = writeln!(s, "      {}", p.s(dim, n));
        }
        if let Some(why) = &e.reason {
            let _ = writeln!(s, "      {}", p.s(dim, &format!("why: {why}")));
        }
        if !e.chain.is_empty() {
            let steps: Vec<String> = e
                .chain
                .iter()
                .enumerate()
                .map(|(i, at)| match at.line {
                    Some(l) => format!("{}:{l}", at.path),
                    // A step with no line is an edge the framework makes
                    // (Django's INSTALLED_APPS, a module named in a string):
                    // its snippet says which, where `a.py -> a.py` would not.
                    None if i > 0 && at.snippet != at.path => {
                        format!("{} ({})", at.path, at.snippet)
                    }
                    None => at.path.clone(),
                })
                .collect();
            let _ = writeln!(
                s,
                "      {}",
                p.s(dim, &format!("reached: {} -> here", steps.join(" -> ")))
            );
        }
    }
    // Suppressed places are listed in their own section.
    let suppressed = f.evidence.iter().filter(|e| e.suppressed.is_some()).count();
    let printed = SHOWN.min(f.evidence.len() - suppressed);
    let live = f.evidence_total.saturating_sub(suppressed);
    if live > printed {
        let _ = writeln!(
            s,
            "    ... and {}",
            count(live - printed, "more place", "more places")
        );
    }
    let _ = writeln!(s, "    -> {}", f.remediation);
}

/// One short block per `.wasm`: what it is, which world it fits and what a
/// host must grant it.
fn wasm_section(s: &mut String, p: &Paint, r: &Report) {
    const WASM_SHOWN: usize = 10;
    if r.wasm.is_empty() {
        return;
    }
    let bold = Style::new().effects(Effects::BOLD);
    let _ = writeln!(s, "\n{} ({})", p.s(bold, "WASM"), r.wasm.len());
    for w in r.wasm.iter().take(WASM_SHOWN) {
        let kind = serde_json::to_value(w.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let worlds: Vec<String> = w
            .worlds
            .iter()
            .map(|x| {
                if x.beyond.is_empty() {
                    x.world.clone()
                } else {
                    format!("{} + {} more imports", x.world, x.beyond.len())
                }
            })
            .collect();
        let _ = writeln!(
            s,
            "  {}  {kind}, {} KiB, {} [{}]",
            w.path,
            w.size / 1024,
            worlds.join(", "),
            w.context
        );
        if !w.interfaces.is_empty() {
            let _ = writeln!(s, "    WASI 0.2: {}", list(&w.interfaces, 8));
        }
        if !w.preview1.is_empty() {
            let _ = writeln!(s, "    WASI preview 1: {}", list(&w.preview1, 8));
        }
        let exports: Vec<String> = w
            .exports
            .iter()
            .filter(|e| e.contains(':') || e.starts_with('_'))
            .cloned()
            .collect();
        if !exports.is_empty() {
            let _ = writeln!(s, "    exports: {}", list(&exports, 6));
        }
        let grants: Vec<String> = w
            .grants
            .iter()
            .map(|g| match &g.wasmtime {
                Some(f) => format!("{} ({f})", g.grant),
                None => g.grant.clone(),
            })
            .collect();
        if !grants.is_empty() {
            let _ = writeln!(s, "    grants: {}", grants.join(", "));
        }
        for h in w.host_imports.iter().take(5) {
            let _ = writeln!(
                s,
                "    needs a host beyond wasmtime: {} ({})",
                h.import, h.host
            );
        }
        if w.host_imports.len() > 5 {
            let _ = writeln!(
                s,
                "    ... and {} more such imports",
                w.host_imports.len() - 5
            );
        }
        if !w.features.is_empty() {
            let _ = writeln!(s, "    features: {}", w.features.join(", "));
        }
        for f in &w.feature_flags {
            let _ = writeln!(s, "    wasmtime needs: {f}");
        }
        let built: Vec<&String> = w
            .producers
            .language
            .iter()
            .chain(&w.producers.processed_by)
            .chain(&w.producers.sdk)
            .collect();
        if !built.is_empty() {
            let built: Vec<String> = built.into_iter().cloned().collect();
            let _ = writeln!(s, "    built with: {}", list(&built, 6));
        }
    }
    if r.wasm.len() > WASM_SHOWN {
        let _ = writeln!(
            s,
            "  ... and {} more (see --format json)",
            r.wasm.len() - WASM_SHOWN
        );
    }
}

/// What the image carries: the supply-chain surface a Wasm artefact would not.
fn image_section(s: &mut String, p: &Paint, r: &Report) {
    let Some(i) = &r.image else { return };
    let bold = Style::new().effects(Effects::BOLD);
    let mib = |b: u64| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0));
    let name = i.tags.first().cloned().unwrap_or_else(|| i.source.clone());
    let _ = writeln!(
        s,
        "\n{} {name}\n  {}, {} stored, {} unpacked, {}",
        p.s(bold, "IMAGE"),
        count(i.layers.len(), "layer", "layers"),
        mib(i.size),
        mib(i.unpacked_size),
        count(i.files as usize, "file", "files")
    );
    if let Some(os) = &i.base_os {
        let label = if os.pretty_name.is_empty() {
            format!("{} {}", os.id, os.version_id)
        } else {
            os.pretty_name.clone()
        };
        let _ = writeln!(s, "  base OS: {label}");
    }
    for pk in &i.packages {
        let approx = if pk.exact { "" } else { " (approximate)" };
        let _ = writeln!(s, "  OS packages: {} ({}{approx})", pk.count, pk.manager);
    }
    let run: Vec<String> = i.entrypoint.iter().chain(&i.cmd).cloned().collect();
    if !run.is_empty() {
        let _ = writeln!(s, "  runs: {}", run.join(" "));
    }
    if !i.exposed_ports.is_empty() || !i.user.is_empty() {
        let user = if i.user.is_empty() {
            "root (default)"
        } else {
            i.user.as_str()
        };
        let _ = writeln!(s, "  user: {user}  ports: {}", i.exposed_ports.join(", "));
    }
    let o = &i.os_surface;
    let _ = writeln!(
        s,
        "  not the service (a Wasm component would not ship it): {}, {}, {}, {}{}",
        count(o.files as usize, "file", "files"),
        mib(o.bytes),
        count(o.executables as usize, "executable", "executables"),
        count(
            o.shared_libraries as usize,
            "shared library",
            "shared libraries"
        ),
        if o.shells.is_empty() {
            String::new()
        } else {
            format!(", shells: {}", o.shells.join(" "))
        }
    );
    if !i.service_paths.is_empty() {
        let _ = writeln!(s, "  scanned as the service: {}", list(&i.service_paths, 8));
    }
}

fn list(items: &[String], n: usize) -> String {
    let mut out = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        let _ = write!(out, ", ... ({} in all)", items.len());
    }
    out
}

/// One line per native binary (format, linkage, runtime, build data), then
/// the syscalls it makes itself and the libraries the linker pass found.
fn binaries_section(s: &mut String, p: &Paint, r: &Report) {
    const SHOWN_BINARIES: usize = 10;
    if r.binaries.is_empty() {
        return;
    }
    let bold = Style::new().effects(Effects::BOLD);
    let dim = Style::new().effects(Effects::DIMMED);
    let _ = writeln!(s, "\n{} ({})", p.s(bold, "BINARIES"), r.binaries.len());
    for b in r.binaries.iter().take(SHOWN_BINARIES) {
        let mut what = vec![
            format!("{} {} {}", b.format, b.machine, b.kind),
            b.linkage.clone(),
        ];
        if b.stripped {
            what.push("stripped".into());
        }
        if let Some(rt) = &b.runtime {
            what.push(rt.clone());
        }
        if let Some(g) = &b.go {
            let cgo = g
                .cgo_enabled
                .map(|c| format!(", CGO_ENABLED={}", u8::from(c)))
                .unwrap_or_default();
            let module = g
                .path
                .as_deref()
                .map(|m| format!(", {m}"))
                .unwrap_or_default();
            what.push(format!(
                "{}{module}{cgo}, {}",
                g.version,
                count(g.dependencies, "module", "modules")
            ));
        }
        if let Some(rs) = &b.rust {
            what.push(format!(
                "{}{}",
                count(rs.crates, "crate", "crates"),
                if rs.auditable {
                    " (cargo-auditable)"
                } else {
                    ""
                }
            ));
        }
        what.push(format!("{:.1} MiB", b.size as f64 / (1024.0 * 1024.0)));
        let _ = writeln!(s, "  {}  {}", b.path, p.s(dim, &what.join(", ")));
        let own: Vec<String> = b
            .syscalls
            .iter()
            .filter(|c| c.context.counts())
            .map(|c| format!("{} x{}", c.name, c.sites))
            .collect();
        let internal = b.syscalls.iter().filter(|c| !c.context.counts()).count();
        if !own.is_empty() || internal > 0 {
            let _ = writeln!(
                s,
                "    syscalls: {} of its own{}{}",
                own.len(),
                if own.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", own.join(", "))
                },
                if internal > 0 {
                    format!(", {internal} by the runtime or libc")
                } else {
                    String::new()
                }
            );
        }
        for l in &b.resolved {
            let _ = writeln!(s, "    {}", p.s(dim, &format!("loads {l}")));
        }
    }
    if r.binaries.len() > SHOWN_BINARIES {
        let _ = writeln!(
            s,
            "  ... and {} more (see --format json)",
            r.binaries.len() - SHOWN_BINARIES
        );
    }
}
