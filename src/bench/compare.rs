//! Figures derived from the sides: ratios within one row (never across
//! rows, so both sides of a ratio share their clock boundaries), each with
//! a percentile bootstrap interval over both sides' samples; the one-line
//! definition of every row; warnings for wide spreads and a loaded
//! machine; and the bench's targets checked against this run.

use crate::bench::side::Samples;
use crate::model::bench::{
    median_sorted, BenchResults, Definition, Ratio, SideResults, Stats, TargetCheck,
};

/// Resamples per interval.
const BOOTSTRAP: usize = 2000;
/// A spread above this coefficient of variation is flagged.
pub const WIDE_CV: f64 = 0.10;

/// A small deterministic generator: the intervals are the same for the
/// same samples, run after run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn pick<'a>(&mut self, v: &'a [f64]) -> &'a f64 {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    s.sort_by(f64::total_cmp);
    median_sorted(&s)
}

/// median(a) / median(b) with a 95% percentile bootstrap interval.
pub fn ratio_interval(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let point = median(a) / median(b);
    if !point.is_finite() {
        return None;
    }
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut ra = vec![0.0; a.len()];
    let mut rb = vec![0.0; b.len()];
    let mut ratios = Vec::with_capacity(BOOTSTRAP);
    for _ in 0..BOOTSTRAP {
        for x in ra.iter_mut() {
            *x = *rng.pick(a);
        }
        for x in rb.iter_mut() {
            *x = *rng.pick(b);
        }
        let r = median(&ra) / median(&rb);
        if r.is_finite() {
            ratios.push(r);
        }
    }
    if ratios.is_empty() {
        return Some((point, point, point));
    }
    ratios.sort_by(f64::total_cmp);
    let at =
        |q: f64| ratios[((q * (ratios.len() - 1) as f64).round() as usize).min(ratios.len() - 1)];
    Some((point, at(0.025), at(0.975)))
}

fn samples<'a>(measured: &'a [(&str, Samples)], id: &str) -> Option<&'a Samples> {
    measured.iter().find(|(i, _)| *i == id).map(|(_, s)| s)
}

fn side<'a>(r: &'a BenchResults, id: &str) -> Option<&'a SideResults> {
    match id {
        "native" => r.native.as_ref(),
        "container" => r.container.as_ref(),
        _ => r.wasm.as_ref(),
    }
}

/// Every ratio the run supports, row by row.
pub fn ratios(r: &BenchResults, measured: &[(&str, Samples)]) -> Vec<Ratio> {
    let mut out = Vec::new();
    let mut push = |row: &str, num: &str, den: &str, a: &[f64], b: &[f64]| {
        if let Some((m, lo, hi)) = ratio_interval(a, b) {
            out.push(Ratio {
                row: row.to_string(),
                sides: format!("{num} / {den}"),
                median: m,
                low: Some(lo),
                high: Some(hi),
            });
        }
    };
    let pairs = [
        ("container", "wasm"),
        ("container", "native"),
        ("native", "wasm"),
    ];
    for (num, den) in pairs {
        if let (Some(a), Some(b)) = (samples(measured, num), samples(measured, den)) {
            push("process cold start", num, den, &a.cold, &b.cold);
            push("per request", num, den, &a.request, &b.request);
        }
    }
    for (num, den) in [
        ("wasm", "native"),
        ("container", "native"),
        ("wasm", "container"),
    ] {
        if let (Some(a), Some(b)) = (samples(measured, num), samples(measured, den)) {
            push("throughput", num, den, &a.throughput, &b.throughput);
        }
    }
    // One reading per side: no interval.
    for (num, den) in [("wasm", "container"), ("wasm", "native")] {
        let n = |id| {
            side(r, id)
                .and_then(|s| s.density.as_ref())
                .map(|d| f64::from(d.instances))
                .filter(|v| *v > 0.0)
        };
        if let (Some(a), Some(b)) = (n(num), n(den)) {
            out.push(Ratio {
                row: "density at the budget".to_string(),
                sides: format!("{num} / {den}"),
                median: a / b,
                low: None,
                high: None,
            });
        }
    }
    let size = |id| {
        side(r, id)
            .and_then(|s| s.artifact.as_ref())
            .map(|a| a.bytes as f64)
            .filter(|b| *b > 0.0)
    };
    if let (Some(a), Some(b)) = (size("container"), size("wasm")) {
        out.push(Ratio {
            row: "artifact size".to_string(),
            sides: "image / .wasm".to_string(),
            median: a / b,
            low: None,
            high: None,
        });
    }
    out
}

/// What each row's clock covers, in one line.
pub fn definitions(http: bool) -> Vec<Definition> {
    let d = |row: &str, clock: &str| Definition {
        row: row.to_string(),
        clock: clock.to_string(),
    };
    vec![
        d("process cold start", if http {
            "from just before a fresh OS process or container is started (native binary; `docker run` via bollard; a wasmfit host process loading the .cwasm with the pooling allocator) to its first good HTTP answer over loopback TCP, polled every 0.1 ms; the first run is reported apart"
        } else {
            "from just before a fresh OS process or container is started (native binary; `docker run --network none` via bollard; a wasmfit host process loading the .cwasm with the pooling allocator) to its first answer line; the first run is reported apart"
        }),
        d("per request", if http {
            "one request on a keep-alive loopback connection to a warm server: the native process, the container, or the Wasm host instantiating a fresh instance from its InstancePre for the request"
        } else {
            "one request line written to a warm process or container and its answer line read back; the Wasm host instantiates a fresh instance from its InstancePre for each line"
        }),
        d("instantiation (Wasm only)", "InstancePre::instantiate into a fresh Store in the measuring process, nothing run; no other side has an equivalent, so no ratio"),
        d("throughput", if http {
            "answers per second over the real elapsed window after a warm-up, from a load generator in its own process; one sample per window, windows interleaved across sides"
        } else {
            "answer lines per second over the real elapsed window after the warm-up requests, stdin from a file (attach stream for Docker); one sample per window, windows interleaved across sides"
        }),
        d("density at the budget", "instances started until the total PSS of every process involved reached the budget; the count measured at the last reading within it"),
    ]
}

/// Spreads wider than `WIDE_CV`, and a machine busier than its CPUs.
pub fn warnings(r: &BenchResults) -> Vec<String> {
    let mut out = Vec::new();
    for (name, s) in [
        ("native", &r.native),
        ("container", &r.container),
        ("wasm", &r.wasm),
    ] {
        let Some(s) = s else { continue };
        let mut check = |what: &str, st: &Option<Stats>| {
            if let Some(st) = st {
                if st.runs > 2 && st.cv > WIDE_CV {
                    out.push(format!(
                        "{name} {what}: wide spread (CV {:.0}% over {} runs); read its ratios with their intervals",
                        st.cv * 100.0,
                        st.runs
                    ));
                }
            }
        };
        check("process cold start", &s.process_cold_start_ms);
        check("per request", &s.request_ms);
        check("throughput", &s.throughput_rps);
        if s.errors > 0 {
            out.push(format!(
                "{name}: {} request(s) failed or answered wrongly during the throughput windows",
                s.errors
            ));
        }
    }
    let cpus = r.machine.cpus.max(1) as f64;
    for (when, load) in [("start", r.machine.load_start), ("end", r.machine.load_end)] {
        if let Some(l) = load {
            if l[0] > cpus {
                out.push(format!(
                    "the machine was loaded at the {when} of the run (1-minute load {:.2} on {} CPUs): other work competed with the measurement",
                    l[0], r.machine.cpus
                ));
            }
        }
    }
    out
}

fn ratio_of<'a>(r: &'a BenchResults, row: &str, sides: &str) -> Option<&'a Ratio> {
    r.ratios.iter().find(|x| x.row == row && x.sides == sides)
}

/// The bench's own targets: the two cold-start rows measured on every side
/// that ran, and the spread within bounds. `met` is `None` where a figure
/// is missing.
pub fn targets(r: &BenchResults) -> Vec<TargetCheck> {
    let mut out = Vec::new();
    let sides = [
        ("native", &r.native),
        ("container", &r.container),
        ("wasm", &r.wasm),
    ];
    let ran: Vec<&str> = sides
        .iter()
        .filter(|(_, s)| s.is_some())
        .map(|(n, _)| *n)
        .collect();
    let all = |f: &dyn Fn(&SideResults) -> bool| {
        if ran.is_empty() {
            None
        } else {
            Some(sides.iter().filter_map(|(_, s)| s.as_ref()).all(f))
        }
    };
    out.push(TargetCheck {
        name: "Process cold start on every side".to_string(),
        target: "a fresh process or container per run on each side, first run apart".to_string(),
        measured: ran.join(", "),
        met: all(&|s| s.process_cold_start_ms.is_some() && s.first_run_ms.is_some()),
    });
    out.push(TargetCheck {
        name: "Container vs Wasm process cold start".to_string(),
        target: "ratio printed with its interval".to_string(),
        measured: ratio_of(r, "process cold start", "container / wasm").map_or(
            "not measured".to_string(),
            |x| {
                format!(
                    "{:.1}x ({:.1}-{:.1})",
                    x.median,
                    x.low.unwrap_or(x.median),
                    x.high.unwrap_or(x.median)
                )
            },
        ),
        met: ratio_of(r, "process cold start", "container / wasm").map(|_| true),
    });
    out.push(TargetCheck {
        name: "Throughput spread".to_string(),
        target: format!("every side's throughput CV at most {:.0}%", WIDE_CV * 100.0),
        measured: sides
            .iter()
            .filter_map(|(n, s)| {
                s.as_ref()?
                    .throughput_rps
                    .map(|t| format!("{n} {:.1}%", t.cv * 100.0))
            })
            .collect::<Vec<_>>()
            .join(", "),
        met: all(&|s| s.throughput_rps.is_some_and(|t| t.cv <= WIDE_CV)),
    });
    out.push(TargetCheck {
        name: "No failed requests".to_string(),
        target: "every answer in the windows passed the check".to_string(),
        measured: sides
            .iter()
            .filter_map(|(n, s)| s.as_ref().map(|s| format!("{n} {}", s.errors)))
            .collect::<Vec<_>>()
            .join(", "),
        met: all(&|s| s.errors == 0),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_brackets_the_point_and_is_deterministic() {
        let a: Vec<f64> = (0..20).map(|i| 100.0 + f64::from(i)).collect();
        let b: Vec<f64> = (0..20).map(|i| 10.0 + f64::from(i) * 0.1).collect();
        let (m, lo, hi) = ratio_interval(&a, &b).unwrap();
        assert!(lo <= m && m <= hi, "{lo} {m} {hi}");
        assert!((m - 109.5 / 10.95).abs() < 1e-9);
        assert_eq!(ratio_interval(&a, &b).unwrap(), (m, lo, hi));
        assert!(ratio_interval(&[], &b).is_none());
        // Identical constant samples: a zero-width interval.
        let (m, lo, hi) = ratio_interval(&[2.0; 5], &[1.0; 5]).unwrap();
        assert_eq!((m, lo, hi), (2.0, 2.0, 2.0));
    }

    #[test]
    fn ratios_stay_within_a_row() {
        let r = BenchResults {
            container: Some(SideResults::default()),
            wasm: Some(SideResults::default()),
            ..Default::default()
        };
        let c = Samples {
            cold: vec![300.0, 310.0, 290.0],
            request: vec![0.2, 0.25],
            throughput: vec![50.0, 52.0],
            ..Default::default()
        };
        let w = Samples {
            cold: vec![6.0, 5.0, 7.0],
            request: vec![0.05, 0.06],
            throughput: vec![40.0, 41.0],
            ..Default::default()
        };
        let out = ratios(&r, &[("container", c), ("wasm", w)]);
        let cold = out.iter().find(|x| x.row == "process cold start").unwrap();
        assert_eq!(cold.sides, "container / wasm");
        assert!((cold.median - 50.0).abs() < 1e-9);
        assert!(out.iter().any(|x| x.row == "per request"));
        assert!(out
            .iter()
            .any(|x| x.row == "throughput" && x.sides == "wasm / container"));
    }

    #[test]
    fn wide_spread_and_errors_warn() {
        let mut r = BenchResults {
            native: Some(SideResults {
                throughput_rps: Stats::from_samples(&[100.0, 200.0, 300.0]),
                errors: 3,
                ..Default::default()
            }),
            ..Default::default()
        };
        r.machine.cpus = 2;
        r.machine.load_start = Some([5.0, 1.0, 1.0]);
        let w = warnings(&r);
        assert!(w.iter().any(|l| l.contains("wide spread")), "{w:?}");
        assert!(w.iter().any(|l| l.contains("3 request(s)")), "{w:?}");
        assert!(w.iter().any(|l| l.contains("loaded")), "{w:?}");
        let t = targets(&r);
        assert_eq!(t[2].met, Some(false));
        assert_eq!(t[3].met, Some(false));
    }
}
