//! One shape for every side (native process, container, Wasm): the `Side`
//! trait, and the one loop that measures them all the same way. Each
//! measurement starts with warm-up runs, then goes round-robin over the
//! sides (the starting side rotating every round), so a machine that gets
//! busier mid-run weighs on every side alike.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::bench::workload;
use crate::model::bench::{Density, Latency, SideResults, Stats};
use std::time::{Duration, Instant};

/// One throughput window.
#[derive(Clone, Debug, Default)]
pub struct Window {
    pub rate: f64,
    pub errors: u64,
    /// HTTP: (microseconds, count) of the window's answers.
    pub latency_us: Vec<(u64, u64)>,
}

/// How far a density fill may go.
#[derive(Clone, Copy, Debug)]
pub struct Fill {
    pub budget: u64,
    pub max: u32,
    pub time_limit: Duration,
}

/// A way of running the service that the bench measures.
pub trait Side {
    /// `native`, `container` or `wasm`.
    fn id(&self) -> &'static str;
    fn step(&self) -> Step;
    /// One process cold start: a fresh process (or container) to its first
    /// good answer, in ms.
    fn cold(&mut self) -> BenchResult<f64>;
    /// One request answered by a warm process or container, or by a fresh
    /// Wasm instance in a warm host, in ms.
    fn request(&mut self, i: u64) -> BenchResult<f64>;
    /// Requests per second of one quick run, to size the windows.
    fn calibrate(&mut self) -> BenchResult<f64>;
    /// One measured window after its own warm-up. `plan` is the
    /// (warm-up, measured) request counts a stdio window prepares.
    fn throughput(&mut self, plan: (u64, u64)) -> BenchResult<Window>;
    /// Instances until the memory budget is reached.
    fn idle(&mut self, fill: Fill) -> BenchResult<Density>;
    /// What ran and how each figure was taken.
    fn describe(&self, into: &mut SideResults);
    /// Stops whatever the side keeps running between measurements.
    fn finish(&mut self) {}
}

/// The raw samples of one side, kept for the ratios' intervals.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    pub first_cold: Option<f64>,
    pub cold: Vec<f64>,
    pub request: Vec<f64>,
    pub throughput: Vec<f64>,
    pub errors: u64,
    pub latency_us: Vec<(u64, u64)>,
}

/// Counts of the loop.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub cold_runs: u32,
    pub request_runs: u32,
    pub throughput_runs: u32,
    pub warmup: Duration,
    pub duration: Duration,
    pub fill: Fill,
}

/// Warm-up requests per side before the per-request samples.
const REQUEST_WARMUP: u32 = 5;

fn check_stop() -> BenchResult<()> {
    if crate::bench::reap::stopping() {
        Err(BenchError::new(Step::Interrupted, "stopped"))
    } else {
        Ok(())
    }
}

/// Measures every side: process cold start, per request, throughput
/// (interleaved round-robin), then density one side at a time.
pub fn measure_sides(
    sides: &mut [Box<dyn Side + Send>],
    plan: &Plan,
    progress: &(dyn Fn(&str) + Send + Sync),
    wasm_max: u32,
) -> BenchResult<Vec<(&'static str, SideResults, Samples)>> {
    let n = sides.len();
    let mut samples = vec![Samples::default(); n];
    let order = |round: usize| (0..n).map(move |k| (round + k) % n);
    let names: Vec<&str> = sides.iter().map(|s| s.id()).collect();
    let names = names.join(", ");

    progress(&format!(
        "process cold start ({names}): 1 first run each, then {} rounds",
        plan.cold_runs
    ));
    for (i, s) in sides.iter_mut().enumerate() {
        check_stop()?;
        samples[i].first_cold = Some(s.cold()?);
    }
    for round in 0..plan.cold_runs as usize {
        for i in order(round) {
            check_stop()?;
            samples[i].cold.push(sides[i].cold()?);
        }
    }

    progress(&format!(
        "per request ({names}): {REQUEST_WARMUP} warm-up, then {} rounds",
        plan.request_runs
    ));
    for s in sides.iter_mut() {
        for k in 0..REQUEST_WARMUP {
            check_stop()?;
            s.request(u64::from(k))?;
        }
    }
    for round in 0..plan.request_runs as usize {
        for i in order(round) {
            check_stop()?;
            let id = u64::from(REQUEST_WARMUP) + round as u64;
            samples[i].request.push(sides[i].request(id)?);
        }
    }

    progress(&format!(
        "throughput ({names}): calibration and a warm-up window each, then {} rounds",
        plan.throughput_runs
    ));
    let mut plans = Vec::with_capacity(n);
    for s in sides.iter_mut() {
        check_stop()?;
        let rate = s.calibrate()?;
        let p = workload::plan(rate, plan.warmup, plan.duration);
        // The warm-up window is measured and thrown away.
        s.throughput(p)?;
        plans.push(p);
    }
    for round in 0..plan.throughput_runs as usize {
        for i in order(round) {
            check_stop()?;
            let w = sides[i].throughput(plans[i])?;
            samples[i].throughput.push(w.rate);
            samples[i].errors += w.errors;
            merge(&mut samples[i].latency_us, &w.latency_us);
        }
    }

    let mut out = Vec::with_capacity(n);
    for (i, s) in sides.iter_mut().enumerate() {
        check_stop()?;
        progress(&format!(
            "density ({}): instances until {} MiB",
            s.id(),
            plan.fill.budget >> 20
        ));
        let mut fill = plan.fill;
        if s.id() == "wasm" {
            // Wasm instances are small: the pool is sized for more.
            fill.max = wasm_max;
        }
        let density = s.idle(fill)?;
        s.finish();
        let mut r = SideResults::default();
        s.describe(&mut r);
        let smp = &samples[i];
        r.first_run_ms = smp.first_cold;
        r.process_cold_start_ms = Stats::from_samples(&smp.cold);
        r.request_ms = Stats::from_samples(&smp.request);
        r.throughput_rps = Stats::from_samples(&smp.throughput);
        r.errors = smp.errors;
        r.latency_ms = latency(&smp.latency_us);
        r.density = Some(density);
        out.push((s.id(), r, smp.clone()));
    }
    Ok(out)
}

fn merge(into: &mut Vec<(u64, u64)>, more: &[(u64, u64)]) {
    into.extend_from_slice(more);
}

/// Percentiles of (microseconds, count) pairs, in ms.
pub fn latency(pairs: &[(u64, u64)]) -> Option<Latency> {
    let mut v: Vec<(u64, u64)> = pairs.iter().copied().filter(|(_, c)| *c > 0).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let count: u64 = v.iter().map(|(_, c)| c).sum();
    let at = |q: f64| {
        let rank = ((q * count as f64).ceil() as u64).clamp(1, count);
        let mut seen = 0;
        for (value, c) in &v {
            seen += c;
            if seen >= rank {
                return *value as f64 / 1000.0;
            }
        }
        v[v.len() - 1].0 as f64 / 1000.0
    };
    Some(Latency {
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        max: v[v.len() - 1].0 as f64 / 1000.0,
        count,
    })
}

/// Fills to a memory budget: adds instances (`add(k)` starts `k` more),
/// reads the total memory of every process involved (`total()`), and
/// stops at the budget, at `fill.max`, at the time limit or at the first
/// failure. Steps grow with the count and shrink near the budget, using
/// the cost per instance seen so far, so the count reported is the last
/// one measured within the budget, not a projection.
pub fn fill_to_budget(
    fill: Fill,
    mut add: impl FnMut(u32) -> Result<(), String>,
    mut total: impl FnMut() -> Option<u64>,
) -> (u32, u64, String) {
    let started = Instant::now();
    let base = total().unwrap_or(0);
    if base > fill.budget {
        return (
            0,
            base,
            "the processes alone exceed the budget before any instance".to_string(),
        );
    }
    let (mut n, mut last_ok) = (0u32, (0u32, base));
    let mut per = 0f64;
    loop {
        if crate::bench::reap::stopping() {
            return (last_ok.0, last_ok.1, "interrupted".to_string());
        }
        if n >= fill.max {
            return (
                last_ok.0,
                last_ok.1,
                format!("max instances ({})", fill.max),
            );
        }
        if started.elapsed() > fill.time_limit {
            return (
                last_ok.0,
                last_ok.1,
                format!("time limit ({:?})", fill.time_limit),
            );
        }
        let mut step = (n / 16).max(1);
        if per > 0.0 {
            let room = fill.budget.saturating_sub(last_ok.1) as f64;
            step = step.min(((room / per).floor() as u32).max(1));
        }
        step = step.min(fill.max - n);
        if let Err(e) = add(step) {
            return (
                last_ok.0,
                last_ok.1,
                format!("failure after {n} instances: {e}"),
            );
        }
        n += step;
        let Some(t) = total() else {
            return (last_ok.0, last_ok.1, "memory could not be read".to_string());
        };
        if t > fill.budget {
            return (last_ok.0, last_ok.1, "budget".to_string());
        }
        per = (t.saturating_sub(base)) as f64 / f64::from(n.max(1));
        last_ok = (n, t);
    }
}

/// A `Density` from a fill's outcome.
pub fn density(
    fill: Fill,
    outcome: (u32, u64, String),
    base: u64,
    method: &str,
    limits: Option<String>,
) -> Density {
    let (n, total, stopped_by) = outcome;
    Density {
        budget_bytes: fill.budget,
        instances: n,
        total_bytes: total,
        per_instance_bytes: if n > 0 {
            total as f64 / f64::from(n)
        } else {
            0.0
        },
        base_bytes: base,
        stopped_by,
        method: method.to_string(),
        limits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_stops_at_the_budget_with_a_measured_count() {
        let fill = Fill {
            budget: 1000,
            max: 10_000,
            time_limit: Duration::from_secs(10),
        };
        let n = std::cell::Cell::new(0u32);
        let (count, total, why) = fill_to_budget(
            fill,
            |k| {
                n.set(n.get() + k);
                Ok(())
            },
            || Some(100 + u64::from(n.get()) * 9),
        );
        assert_eq!(why, "budget");
        // 100 + 100 * 9 = 1000 fits, 101 would not.
        assert_eq!((count, total), (100, 1000));
    }

    #[test]
    fn fill_reports_failures_and_limits() {
        let fill = Fill {
            budget: u64::MAX,
            max: 5,
            time_limit: Duration::from_secs(10),
        };
        let n = std::cell::Cell::new(0u32);
        let (count, _, why) = fill_to_budget(
            fill,
            |k| {
                n.set(n.get() + k);
                Ok(())
            },
            || Some(u64::from(n.get())),
        );
        assert_eq!((count, why.as_str()), (5, "max instances (5)"));
        let fill = Fill {
            budget: u64::MAX,
            max: 100,
            time_limit: Duration::from_secs(10),
        };
        let m = std::cell::Cell::new(0u32);
        let (count, _, why) = fill_to_budget(
            fill,
            |k| {
                if m.get() + k > 3 {
                    Err("pool full".into())
                } else {
                    m.set(m.get() + k);
                    Ok(())
                }
            },
            || Some(u64::from(m.get())),
        );
        assert_eq!(count, 3);
        assert!(why.contains("pool full"), "{why}");
    }

    #[test]
    fn latency_percentiles() {
        let l = latency(&[(1000, 50), (2000, 40), (9000, 10)]).unwrap();
        assert_eq!(
            (l.p50, l.p90, l.p99, l.max, l.count),
            (1.0, 2.0, 9.0, 9.0, 100)
        );
        assert!(latency(&[]).is_none());
    }
}
