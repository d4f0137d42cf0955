//! The terminal view of `wasmfit bench`: one table in the shape of the
//! published comparison (runtime, cold start, steady throughput), extended
//! with density and artifact size, then the spread of every figure, the
//! ratios, the targets and the published figures to read them against.

use crate::model::bench::{Artifact, BenchResults, SideResults, Stats};

use std::fmt::Write;

/// The published figures the table is read against (8-core M3 VM, 16 GB).
pub const ARTICLE: &str = "published comparison (8-core M3 Linux VM, 16 GB; Go in Docker, Rust on wasmtime 28 with pooling): \
native Go 4 ms / 62,000 req/s; Docker scratch Go 180 ms / 59,000 req/s; wasmtime AOT Rust 0.8 ms / 48,000 req/s; \
80 idle containers vs 600+ idle wasmtime instances per 16 GB; images 50-500 MB vs artifacts 0.5-10 MB";

pub fn render(r: &BenchResults) -> String {
    let mut out = String::new();
    let _ = render_into(&mut out, r);
    out
}

fn sides(r: &BenchResults) -> Vec<(&'static str, &SideResults)> {
    let mut v = Vec::new();
    if let Some(s) = &r.native {
        v.push(("Native binary", s));
    }
    if let Some(s) = &r.container {
        v.push(("Docker container", s));
    }
    if let Some(s) = &r.wasm {
        v.push(("wasmtime AOT", s));
    }
    v
}

fn render_into(out: &mut String, r: &BenchResults) -> std::fmt::Result {
    let s = &r.service;
    writeln!(
        out,
        "wasmfit bench: {} ({}, {} workload)",
        s.name,
        s.language,
        s.workload.id()
    )?;
    let m = &r.machine;
    writeln!(
        out,
        "machine: {}, {} CPU{}, {} memory, {} {} ({})",
        m.cpu_model.as_deref().unwrap_or("unknown CPU"),
        m.cpus,
        if m.cpus == 1 { "" } else { "s" },
        m.memory_bytes.map_or("unknown".to_string(), bytes),
        m.os,
        m.kernel.as_deref().unwrap_or(""),
        m.arch
    )?;
    let v = &r.versions;
    let mut tools = vec![format!("wasmfit {}", v.wasmfit)];
    if let Some(w) = &v.wasmtime {
        tools.push(format!("wasmtime {w}"));
    }
    if let Some(d) = &v.docker_engine {
        tools.push(format!(
            "Docker {d} (API {})",
            v.docker_api.as_deref().unwrap_or("?")
        ));
    }
    if let Some(t) = &v.toolchain {
        tools.push(t.clone());
    }
    writeln!(out, "versions: {}", tools.join(", "))?;
    let c = &r.config;
    writeln!(
        out,
        "runs: {} process cold starts (+1 first) and {} per-request samples per side; {} throughput windows of {:.1} s after {:.1} s warm-up{}, sides interleaved; density budget {}",
        c.cold_runs,
        c.request_runs,
        c.throughput_runs,
        c.duration_ms as f64 / 1000.0,
        c.warmup_ms as f64 / 1000.0,
        if s.workload == crate::model::bench::Workload::Http { format!(", {} connection(s){}", c.connections, c.cpu_split.as_ref().map(|d| format!(", {d}")).unwrap_or_default()) } else { String::new() },
        bytes(c.density_budget_bytes)
    )?;
    if let (Some(src), reason) = (&s.image_source, &s.image_source_reason) {
        writeln!(
            out,
            "image: {src}{}",
            reason
                .as_ref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        )?;
    }
    if let (Some(kind), Some(target)) = (&s.wasm_kind, &s.wasm_target) {
        writeln!(out, "wasm: {kind} built for {target}")?;
    }
    writeln!(out, "requests: {}; check: {}", c.request, c.expect)?;
    if let Some(l) = m.load_start {
        writeln!(
            out,
            "load average: {:.2} {:.2} {:.2} at the start{}",
            l[0],
            l[1],
            l[2],
            m.load_end
                .map(|e| format!(", {:.2} {:.2} {:.2} at the end", e[0], e[1], e[2]))
                .unwrap_or_default()
        )?;
    }
    writeln!(out)?;

    let rows = sides(r);
    let header = [
        "Runtime",
        "Process cold start",
        "First run",
        "Per request",
        "Throughput (req/s)",
        "Density at budget",
        "Artifact",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for (name, side) in &rows {
        table.push(vec![
            name.to_string(),
            side.process_cold_start_ms
                .map_or("-".to_string(), |s| ms(s.median)),
            side.first_run_ms.map_or("-".to_string(), ms),
            side.request_ms.map_or("-".to_string(), |s| ms(s.median)),
            side.throughput_rps
                .map_or("-".to_string(), |s| thousands(s.median)),
            side.density.as_ref().map_or("-".to_string(), |d| {
                format!("{} ({})", d.instances, bytes(d.total_bytes))
            }),
            side.artifact.as_ref().map_or("-".to_string(), artifact),
        ]);
    }
    markdown_table(out, &table)?;
    writeln!(
        out,
        "(medians; density: instances within the budget and their total memory)"
    )?;
    for d in &r.definitions {
        writeln!(out, "  {}: {}", d.row, d.clock)?;
    }
    writeln!(out)?;

    writeln!(out, "how each side was measured:")?;
    for (name, side) in &rows {
        writeln!(out, "  {name}: {}", side.runtime)?;
        for (what, m) in [
            ("process cold start", &side.cold_start_method),
            ("per request", &side.request_method),
            ("throughput", &side.throughput_method),
            ("throughput mode", &side.throughput_mode),
        ] {
            if let Some(m) = m {
                writeln!(out, "    {what}: {m}")?;
            }
        }
        if let Some(d) = &side.density {
            writeln!(
                out,
                "    density: {} within {} (stopped by {}; {:.0} KiB per instance including fixed costs, {} base); {}",
                d.instances,
                bytes(d.budget_bytes),
                d.stopped_by,
                d.per_instance_bytes / 1024.0,
                bytes(d.base_bytes),
                d.method
            )?;
            if let Some(l) = &d.limits {
                writeln!(out, "    limits: {l}")?;
            }
        }
    }
    writeln!(out)?;

    writeln!(out, "spread (min / median / p95 / max, CV, runs):")?;
    for (name, side) in &rows {
        for (what, st, d) in [
            ("process cold start ms", side.process_cold_start_ms, 3),
            ("per request ms       ", side.request_ms, 3),
            ("instantiation ms     ", side.instantiate_ms, 4),
            ("throughput req/s     ", side.throughput_rps, 0),
        ] {
            if let Some(s) = st {
                writeln!(out, "  {name:<17} {what} {}", spread(s, d))?;
            }
        }
        if let Some(l) = &side.latency_ms {
            writeln!(
                out,
                "  {name:<17} latency ms            p50 {:.3} / p90 {:.3} / p99 {:.3} / max {:.3} ({} answers, {} errors)",
                l.p50, l.p90, l.p99, l.max, l.count, side.errors
            )?;
        }
    }
    writeln!(out)?;

    if !r.ratios.is_empty() {
        writeln!(
            out,
            "ratios of medians within a row (95% bootstrap interval):"
        )?;
        for x in &r.ratios {
            let interval = match (x.low, x.high) {
                (Some(lo), Some(hi)) => format!(" ({} - {})", times(lo), times(hi)),
                _ => " (one reading per side)".to_string(),
            };
            writeln!(
                out,
                "  {:<22} {:<18} {}{interval}",
                x.row,
                x.sides,
                times(x.median)
            )?;
        }
    }
    if let Some(o) = &r.overhead {
        writeln!(
            out,
            "wasmfit's own cost: {:.0} ns per request{} ({})",
            o.per_request_ns.median,
            o.share_of_native
                .map(|s| format!(" = {:.1}% of the native time per request", s * 100.0))
                .unwrap_or_default(),
            o.method
        )?;
    }
    if !r.targets.is_empty() {
        writeln!(out, "targets:")?;
        for t in &r.targets {
            let mark = match t.met {
                Some(true) => "met    ",
                Some(false) => "MISSED ",
                None => "n/a    ",
            };
            writeln!(out, "  {mark} {}: {} -> {}", t.name, t.target, t.measured)?;
        }
    }
    for w in &r.warnings {
        writeln!(out, "warning: {w}")?;
    }
    for sk in &r.skipped {
        writeln!(out, "skipped {}: {}", sk.what, sk.reason)?;
    }
    for n in &r.notes {
        writeln!(out, "note: {n}")?;
    }
    writeln!(out, "{ARTICLE}")?;
    Ok(())
}

/// A ratio: 2 decimals under 10, 1 under 100, none above.
fn times(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}x")
    } else if v < 100.0 {
        format!("{v:.1}x")
    } else {
        format!("{v:.0}x")
    }
}

fn markdown_table(out: &mut String, rows: &[Vec<String>]) -> std::fmt::Result {
    let cols = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s:<w$}", w = widths[c]))
            .collect();
        writeln!(out, "| {} |", cells.join(" | "))?;
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            writeln!(out, "|-{}-|", rule.join("-|-"))?;
        }
    }
    Ok(())
}

fn spread(s: Stats, decimals: usize) -> String {
    format!(
        "{:.d$} / {:.d$} / {:.d$} / {:.d$}  (CV {:.1}%, {} runs)",
        s.min,
        s.median,
        s.p95,
        s.max,
        s.cv * 100.0,
        s.runs,
        d = decimals
    )
}

/// Milliseconds with sensible precision: 0.091 ms, 3.4 ms, 245 ms.
pub fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.3} ms")
    } else if v < 100.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// 59000.4 -> "59,000".
pub fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    let n = v.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Binary units: 1536 -> "1.5 KiB".
pub fn bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

fn artifact(a: &Artifact) -> String {
    let mut s = format!("{} {}", bytes(a.bytes), a.kind);
    if let Some(c) = a.compressed_bytes {
        s.push_str(&format!(", {} gz", bytes(c)));
    }
    if let Some(p) = a.precompiled_bytes {
        s.push_str(&format!(", {} .cwasm", bytes(p)));
        if let Some(c) = a.precompiled_compressed_bytes {
            s.push_str(&format!(" ({} gz)", bytes(c)));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bench::{Density, Ratio, SideResults};

    #[test]
    fn units() {
        assert_eq!(thousands(59000.4), "59,000");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(ms(0.0912), "0.091 ms");
        assert_eq!(ms(180.2), "180 ms");
    }

    #[test]
    fn table_has_a_row_per_side_and_the_article() {
        let side = SideResults {
            runtime: "x".to_string(),
            process_cold_start_ms: Stats::from_samples(&[1.0, 2.0]),
            first_run_ms: Some(180.2),
            throughput_rps: Stats::from_samples(&[1000.0]),
            density: Some(Density {
                instances: 12,
                total_bytes: 2048,
                ..Default::default()
            }),
            ..Default::default()
        };
        let r = BenchResults {
            native: Some(side.clone()),
            wasm: Some(side),
            ratios: vec![Ratio {
                row: "throughput".to_string(),
                sides: "wasm / native".to_string(),
                median: 0.8,
                low: Some(0.7),
                high: Some(0.9),
            }],
            ..Default::default()
        };
        let text = render(&r);
        assert!(text.contains("| Native binary"));
        assert!(text.contains("| wasmtime AOT"));
        assert!(!text.contains("| Docker container"));
        assert!(text.contains("180 ms"));
        assert!(text.contains("0.80x (0.70x - 0.90x)"), "{text}");
        assert!(text.contains("12 (2.0 KiB)"), "{text}");
    }
}
