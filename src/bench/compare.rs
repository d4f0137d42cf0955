//! Figures derived from the three sides: ratios, density, and the issue's
//! targets checked against this run. Pure functions of `BenchResults`.

use crate::model::bench::{BenchResults, Comparison, Stats, TargetCheck};

fn median(s: Option<&Stats>) -> Option<f64> {
    s.map(|s| s.median).filter(|m| *m > 0.0)
}

pub fn comparison(r: &BenchResults) -> Comparison {
    let cold = |side: &Option<crate::model::bench::SideResults>| {
        median(side.as_ref()?.cold_start_ms.as_ref())
    };
    let rps = |side: &Option<crate::model::bench::SideResults>| {
        median(side.as_ref()?.throughput_rps.as_ref())
    };
    let density = |side: &Option<crate::model::bench::SideResults>| {
        side.as_ref()?
            .idle_memory
            .as_ref()
            .map(|m| m.instances_per_gib)
            .filter(|d| *d > 0.0)
    };
    let size = |side: &Option<crate::model::bench::SideResults>| {
        side.as_ref()?
            .artifact
            .as_ref()
            .map(|a| a.bytes as f64)
            .filter(|b| *b > 0.0)
    };
    let ratio = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
    Comparison {
        cold_start_container_over_wasm: ratio(cold(&r.container), cold(&r.wasm)),
        throughput_wasm_over_native: ratio(rps(&r.wasm), rps(&r.native)),
        throughput_container_over_native: ratio(rps(&r.container), rps(&r.native)),
        density_wasm_over_container: ratio(density(&r.wasm), density(&r.container)),
        size_image_over_wasm: ratio(size(&r.container), size(&r.wasm)),
    }
}

/// The targets. `met` is `None` where a figure is missing.
pub fn targets(r: &BenchResults) -> Vec<TargetCheck> {
    let mut out = Vec::new();
    let wasm_cold = r.wasm.as_ref().and_then(|w| w.cold_start_ms);
    let applies = matches!(r.service.language.as_str(), "c" | "cpp" | "rust");
    out.push(TargetCheck {
        name: "Wasm cold start".to_string(),
        target: format!(
            "median under 1 ms (article: 0.8 ms){}",
            if applies {
                ""
            } else {
                "; stated for C and Rust services"
            }
        ),
        measured: wasm_cold.map_or("not measured".to_string(), |s| {
            format!("median {:.3} ms", s.median)
        }),
        met: wasm_cold.map(|s| s.median < 1.0),
    });
    let container_cold = r.container.as_ref().and_then(|c| c.cold_start_ms);
    out.push(TargetCheck {
        name: "Container cold start".to_string(),
        target: "measured as the engine gives it; ratio to Wasm printed".to_string(),
        measured: match (container_cold, r.comparison.cold_start_container_over_wasm) {
            (Some(c), Some(ratio)) => {
                format!("median {:.1} ms, {ratio:.0}x the Wasm cold start", c.median)
            }
            (Some(c), None) => format!("median {:.1} ms", c.median),
            _ => "not measured".to_string(),
        },
        met: container_cold.map(|_| r.comparison.cold_start_container_over_wasm.is_some()),
    });
    let share = r.comparison.throughput_wasm_over_native;
    out.push(TargetCheck {
        name: "Wasm steady throughput".to_string(),
        target: "at least 75% of native (article: 48k vs 62k req/s, 77%)".to_string(),
        measured: share.map_or("not measured".to_string(), |s| {
            format!("{:.0}% of native", s * 100.0)
        }),
        met: share.map(|s| s >= 0.75),
    });
    out.push(TargetCheck {
        name: "Measuring overhead".to_string(),
        target: "known and stated".to_string(),
        measured: r.overhead.as_ref().map_or("not measured".to_string(), |o| {
            let share = o
                .share_of_native
                .map(|s| format!(", {:.1}% of the native time per request", s * 100.0))
                .unwrap_or_default();
            format!("{:.0} ns per request{share}", o.per_request_ns.median)
        }),
        met: r.overhead.as_ref().map(|_| true),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::bench::SideResults;

    fn side(cold: f64, rps: f64) -> Option<SideResults> {
        Some(SideResults {
            cold_start_ms: Stats::from_samples(&[cold]),
            throughput_rps: Stats::from_samples(&[rps]),
            ..Default::default()
        })
    }

    #[test]
    fn ratios_and_targets() {
        let mut r = BenchResults {
            native: side(2.0, 100.0),
            container: side(200.0, 90.0),
            wasm: side(0.5, 80.0),
            ..Default::default()
        };
        r.service.language = "rust".to_string();
        r.comparison = comparison(&r);
        assert_eq!(r.comparison.cold_start_container_over_wasm, Some(400.0));
        assert_eq!(r.comparison.throughput_wasm_over_native, Some(0.8));
        let t = targets(&r);
        assert_eq!(t[0].met, Some(true));
        assert_eq!(t[2].met, Some(true));
        assert_eq!(t[3].met, None);
    }

    #[test]
    fn missing_sides_give_none() {
        let r = BenchResults::default();
        let c = comparison(&r);
        assert!(c.cold_start_container_over_wasm.is_none());
        assert!(targets(&r).iter().all(|t| t.met.is_none()));
    }
}
