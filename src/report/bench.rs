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
        "runs: {} cold starts per side; {} throughput runs of {:.1} s after {:.1} s warm-up{}; idle: {} Wasm instances, {} containers/processes",
        c.cold_runs,
        c.throughput_runs,
        c.duration_ms as f64 / 1000.0,
        c.warmup_ms as f64 / 1000.0,
        if s.workload == crate::model::bench::Workload::Http { format!(", {} connection(s)", c.connections) } else { String::new() },
        c.wasm_idle_instances,
        c.container_idle_instances
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
    writeln!(out)?;

    let rows = sides(r);
    let header = [
        "Runtime",
        "Cold start",
        "Steady throughput (req/s)",
        "Idle memory/instance",
        "Instances per 16 GiB",
        "Artifact",
    ];
    let mut table: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    for (name, side) in &rows {
        table.push(vec![
            name.to_string(),
            side.cold_start_ms.map_or("-".to_string(), |s| ms(s.median)),
            side.throughput_rps
                .map_or("-".to_string(), |s| thousands(s.median)),
            side.idle_memory.as_ref().map_or("-".to_string(), |i| {
                bytes(i.per_instance_bytes.median as u64)
            }),
            side.idle_memory
                .as_ref()
                .map_or("-".to_string(), |i| thousands(i.instances_per_16gib)),
            side.artifact.as_ref().map_or("-".to_string(), artifact),
        ]);
    }
    markdown_table(out, &table)?;
    writeln!(
        out,
        "(medians; cold start: {})",
        rows.iter()
            .filter_map(|(n, s)| s.cold_start_method.as_ref().map(|m| format!("{n}: {m}")))
            .collect::<Vec<_>>()
            .join("; ")
    )?;
    writeln!(out)?;

    writeln!(out, "spread (min / median / p95 / max, runs):")?;
    for (name, side) in &rows {
        if let Some(s) = side.cold_start_ms {
            writeln!(out, "  {name:<17} cold start ms     {}", spread(s, 3))?;
        }
        if let Some(s) = side.throughput_rps {
            writeln!(out, "  {name:<17} throughput req/s  {}", spread(s, 0))?;
        }
        if let Some(i) = &side.idle_memory {
            let kib = Stats {
                min: i.per_instance_bytes.min / 1024.0,
                median: i.per_instance_bytes.median / 1024.0,
                p95: i.per_instance_bytes.p95 / 1024.0,
                max: i.per_instance_bytes.max / 1024.0,
                runs: i.per_instance_bytes.runs,
            };
            writeln!(
                out,
                "  {name:<17} idle KiB/instance {}  [{}]",
                spread(kib, 0),
                i.method
            )?;
        }
    }
    writeln!(out)?;

    let cmp = &r.comparison;
    let mut ratios = Vec::new();
    if let Some(x) = cmp.cold_start_container_over_wasm {
        ratios.push(format!("container cold start = {x:.0}x Wasm"));
    }
    if let Some(x) = cmp.throughput_wasm_over_native {
        ratios.push(format!("Wasm throughput = {:.0}% of native", x * 100.0));
    }
    if let Some(x) = cmp.throughput_container_over_native {
        ratios.push(format!(
            "container throughput = {:.0}% of native",
            x * 100.0
        ));
    }
    if let Some(x) = cmp.density_wasm_over_container {
        ratios.push(format!("Wasm density = {x:.1}x containers"));
    }
    if let Some(x) = cmp.size_image_over_wasm {
        ratios.push(format!("image = {x:.1}x the .wasm"));
    }
    if !ratios.is_empty() {
        writeln!(out, "ratios: {}", ratios.join("; "))?;
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
    for sk in &r.skipped {
        writeln!(out, "skipped {}: {}", sk.what, sk.reason)?;
    }
    for n in &r.notes {
        writeln!(out, "note: {n}")?;
    }
    writeln!(out, "{ARTICLE}")?;
    Ok(())
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
        "{:.d$} / {:.d$} / {:.d$} / {:.d$}  ({} runs)",
        s.min,
        s.median,
        s.p95,
        s.max,
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
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bench::{IdleMemory, SideResults};

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
            cold_start_ms: Stats::from_samples(&[1.0, 2.0]),
            throughput_rps: Stats::from_samples(&[1000.0]),
            idle_memory: Some(IdleMemory::new(
                Stats::from_samples(&[2048.0]).unwrap(),
                1,
                "m".to_string(),
            )),
            ..Default::default()
        };
        let r = BenchResults {
            native: Some(side.clone()),
            wasm: Some(side),
            ..Default::default()
        };
        let text = render(&r);
        assert!(text.contains("| Native binary"));
        assert!(text.contains("| wasmtime AOT"));
        assert!(!text.contains("| Docker container"));
        assert!(text.contains("180 ms"));
    }
}
