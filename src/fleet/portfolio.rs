//! The fleet view: verdict counts and effort, candidates ranked by fit and
//! by where Wasm pays, blockers across the fleet with what fixing each
//! would unlock, runtime mix, dependency hot spots, failures.
//!
//! Each report is read, reduced to a `Row` and dropped, so memory follows
//! the number of services, not the size of their reports. "What fixing it
//! unlocks" is computed, not guessed: the service's findings are scored
//! again without the blocker (or without the package's evidence) by the
//! same `analyze::score` the scan used.

use super::store::FleetDir;
use super::{Entry, InputKind, Manifest, Status};
use crate::model::finding::{Finding, Source};
use crate::model::score::Verdict;
use crate::model::signal::Side;
use crate::model::Report;
use crate::rules::Severity;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Points added to a candidate's score for each way Wasm pays.
const PAYS_COLD_START: u32 = 15;
const PAYS_IDLE: u32 = 10;
const PAYS_SMALL: u32 = 10;
const PAYS_UNTRUSTED: u32 = 15;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    pub source: SourceInfo,
    pub totals: Totals,
    /// Every judged service, best candidate first.
    pub candidates: Vec<Candidate>,
    /// Blocker rules across the fleet, most services blocked first.
    pub blockers: Vec<Blocker>,
    /// Runtimes, most services first.
    pub runtimes: Vec<RuntimeShare>,
    /// Services per Wasm support tier of their runtime.
    pub tiers: BTreeMap<String, usize>,
    /// Packages behind counted findings, most services first.
    pub hot_spots: Vec<HotSpot>,
    pub failures: Vec<Failure>,
    /// Set by `fleet report --compare OLD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<super::trend::Trend>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub directory: String,
    pub tool: super::ToolInfo,
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<super::Shard>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_shards: Vec<u32>,
    /// Things a reader must know: an unfinished run, missing shards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub services: usize,
    pub judged: usize,
    pub failed: usize,
    /// Services per verdict (`good-fit`, `porting`, `stay`, `unknown`).
    pub verdicts: BTreeMap<String, usize>,
    /// Person-days to port every `good-fit` and `porting` service.
    pub effort_days: f64,
    pub effort_by_verdict: BTreeMap<String, f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub rank: usize,
    pub name: String,
    pub input: String,
    pub verdict: Verdict,
    pub score: u8,
    pub effort_days: f64,
    /// Points for where Wasm pays, added to the score to rank.
    pub pays: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    pub shape: Vec<String>,
    /// Why it ranks where it does.
    pub reasons: Vec<String>,
    /// Its blocking rules, by id.
    pub blockers: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unlock {
    pub service: String,
    pub from: Verdict,
    pub to: Verdict,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Blocker {
    pub rule_id: String,
    pub title: String,
    /// The services it blocks, by name.
    pub services: Vec<String>,
    /// The services whose verdict improves once it is fixed.
    pub unlocks: Vec<Unlock>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuntimeShare {
    pub runtime: String,
    pub tier: String,
    pub services: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HotSpot {
    pub package: String,
    /// The rules its evidence supports.
    pub rules: Vec<String>,
    pub services: Vec<String>,
    /// The services whose verdict improves once it is replaced.
    pub unlocks: Vec<Unlock>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub name: String,
    pub input: String,
    pub given_at: String,
    pub error: String,
}

/// What one report leaves behind.
struct Row {
    entry: Entry,
    verdict: Verdict,
    score: u8,
    effort_days: f64,
    runtime: Option<(String, String)>,
    shape: Vec<String>,
    pays: Vec<(u32, String)>,
    blockers: Vec<(String, String, Option<Verdict>)>,
    packages: Vec<(String, Vec<String>, Option<Verdict>)>,
}

/// Reads a fleet directory into its portfolio.
pub fn build(dir: &FleetDir, manifest: &Manifest) -> Portfolio {
    let mut warnings = Vec::new();
    let entries = if manifest.finished.is_some() {
        manifest.services.clone()
    } else {
        warnings.push(
            "the run did not finish: this is the part it completed (run fleet scan again to resume)"
                .to_string(),
        );
        dir.entries()
    };
    if !manifest.missing_shards.is_empty() {
        warnings.push(format!(
            "shards {:?} are missing: the fleet is incomplete",
            manifest.missing_shards
        ));
    }
    // Reports are read and reduced in parallel, one at a time per worker.
    let read: Vec<Result<Row, Failure>> = entries
        .into_par_iter()
        .map(|e| {
            let failure = |error: String| Failure {
                name: e.name.clone(),
                input: e.input.clone(),
                given_at: e.given_at.clone(),
                error,
            };
            if e.status == Status::Failed {
                return Err(failure(e.error.clone().unwrap_or_default()));
            }
            let report = dir
                .report_bytes(&e.name)
                .map_err(|x| x.to_string())
                .and_then(|b| crate::report::json::parse_slice(&b));
            match report {
                Ok(r) => Ok(row(e, &r)),
                Err(why) => Err(failure(format!("report unreadable: {why}"))),
            }
        })
        .collect();
    let (mut rows, mut failures) = (Vec::new(), Vec::new());
    for r in read {
        match r {
            Ok(row) => rows.push(row),
            Err(f) => failures.push(f),
        }
    }
    let mut p = assemble(rows, failures);
    p.source = SourceInfo {
        directory: dir.root.display().to_string(),
        tool: manifest.tool.clone(),
        started: manifest.started.clone(),
        finished: manifest.finished.clone(),
        shards: manifest.shards.clone(),
        missing_shards: manifest.missing_shards.clone(),
        warnings,
    };
    p
}

fn row(entry: Entry, r: &Report) -> Row {
    let counted: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.counted && !f.suppressed)
        .collect();
    // Blockers as the score reads them: counted, not lock-only.
    let mut blockers: Vec<(String, String, Option<Verdict>)> = Vec::new();
    for f in counted.iter().filter(|f| f.severity == Severity::Blocker) {
        if blockers.iter().any(|b| b.0 == f.rule_id) {
            continue;
        }
        let without: Vec<Finding> = r
            .findings
            .iter()
            .filter(|g| g.rule_id != f.rule_id)
            .cloned()
            .collect();
        let after = crate::analyze::score::score(&without).verdict;
        blockers.push((
            f.rule_id.clone(),
            f.title.clone(),
            better(r.verdict, after).then_some(after),
        ));
    }
    let mut packages: Vec<(String, Vec<String>, Option<Verdict>)> = Vec::new();
    for f in &counted {
        for e in f.evidence.iter().filter(|e| e.source == Source::Dependency) {
            let Some(name) = package_name(&e.at.snippet) else {
                continue;
            };
            match packages.iter_mut().find(|p| p.0 == name) {
                Some(p) if !p.1.contains(&f.rule_id) => p.1.push(f.rule_id.clone()),
                Some(_) => {}
                None => packages.push((name, vec![f.rule_id.clone()], None)),
            }
        }
    }
    for p in &mut packages {
        let after = crate::analyze::score::score(&without_package(&r.findings, &p.0)).verdict;
        p.2 = better(r.verdict, after).then_some(after);
    }
    let runtime = r
        .runtime
        .primary
        .as_ref()
        .map(|p| (p.name.clone(), p.tier.id().to_string()));
    Row {
        pays: pays(r),
        verdict: r.verdict,
        score: r.score,
        effort_days: r.summary.effort_days,
        runtime,
        shape: r.shape.clone(),
        blockers,
        packages,
        entry,
    }
}

/// Whether `to` is a better verdict than `from`.
fn better(from: Verdict, to: Verdict) -> bool {
    let rank = |v: Verdict| match v {
        Verdict::GoodFit => 0,
        Verdict::Porting => 1,
        Verdict::Stay => 2,
        Verdict::Unknown => 3,
    };
    rank(to) < rank(from) && to != Verdict::Unknown
}

/// The findings with the package's dependency evidence gone; a finding
/// left without evidence in service context no longer counts.
fn without_package(findings: &[Finding], package: &str) -> Vec<Finding> {
    findings
        .iter()
        .filter_map(|f| {
            let mut g = f.clone();
            g.evidence.retain(|e| {
                !(e.source == Source::Dependency
                    && package_name(&e.at.snippet).as_deref() == Some(package))
            });
            if g.evidence.is_empty() {
                return None;
            }
            if g.evidence.len() != f.evidence.len() {
                g.counted = g.counted && g.evidence.iter().any(|e| e.context.counts());
            }
            Some(g)
        })
        .collect()
}

/// The package a manifest or lock line names: `ffmpeg-python==0.2.0`,
/// `"sharp": "^0.32.0",`, `github.com/x/y v1.2.3`, `tokio = { ... }`,
/// `"node_modules/sharp": {`, `<artifactId>netty</artifactId>`.
pub fn package_name(snippet: &str) -> Option<String> {
    let s = snippet.trim();
    let s = match (s.find("<artifactId>"), s.find("</artifactId>")) {
        (Some(a), Some(b)) if b > a => &s[a + "<artifactId>".len()..b],
        _ => s,
    };
    let s = s.trim_start_matches(['"', '\'', '-', ' ', '*']);
    let end = s
        .find(|c: char| {
            c.is_whitespace()
                || matches!(
                    c,
                    '=' | '<'
                        | '>'
                        | '~'
                        | '!'
                        | '^'
                        | '"'
                        | '\''
                        | ':'
                        | ';'
                        | ','
                        | '['
                        | '('
                        | '{'
                )
        })
        .unwrap_or(s.len());
    let name = s[..end].trim_start_matches("node_modules/");
    let name = name.rsplit("/node_modules/").next().unwrap_or(name);
    (!name.is_empty() && name.len() <= 214).then(|| name.to_string())
}

/// Where Wasm pays, from the report's signals and shape.
fn pays(r: &Report) -> Vec<(u32, String)> {
    let holds = |id: &str| {
        r.signals
            .iter()
            .any(|s| s.id == id && s.side == Side::Wasm && s.holds)
    };
    let mut out = Vec::new();
    let http = r.shape.iter().any(|s| s == "http-server");
    let worker = r.shape.iter().any(|s| s == "worker");
    if holds("cold-start-matters") {
        out.push((
            PAYS_COLD_START,
            "HTTP handler: cold start in milliseconds, an instance per request".into(),
        ));
    }
    if (http || r.shape.iter().any(|s| s == "cli")) && !worker {
        out.push((
            PAYS_IDLE,
            "request- or run-driven with no background worker: idle between calls, scales to zero"
                .into(),
        ));
    }
    if holds("dense-packing") {
        let kib = r.inventory.languages.values().sum::<u64>() / 1024;
        let image = r
            .image
            .as_ref()
            .map(|i| format!(", image {}", crate::report::view::bytes(i.size)))
            .unwrap_or_default();
        out.push((
            PAYS_SMALL,
            format!("small artefact: {kib} KiB of service source{image}, packs densely"),
        ));
    }
    if holds("untrusted-code") {
        out.push((
            PAYS_UNTRUSTED,
            "runs untrusted code: Wasm's sandbox isolates it per call".into(),
        ));
    }
    out
}

fn verdict_order(v: Verdict) -> u8 {
    match v {
        Verdict::GoodFit => 0,
        Verdict::Porting => 1,
        Verdict::Stay => 2,
        Verdict::Unknown => 3,
    }
}

/// Rows to the portfolio.
fn assemble(mut rows: Vec<Row>, failures: Vec<Failure>) -> Portfolio {
    let mut totals = Totals {
        services: rows.len() + failures.len(),
        judged: rows
            .iter()
            .filter(|r| r.verdict != Verdict::Unknown)
            .count(),
        failed: failures.len(),
        ..Totals::default()
    };
    for r in &rows {
        *totals.verdicts.entry(r.verdict.to_string()).or_default() += 1;
        *totals
            .effort_by_verdict
            .entry(r.verdict.to_string())
            .or_default() += r.effort_days;
        if matches!(r.verdict, Verdict::GoodFit | Verdict::Porting) {
            totals.effort_days += r.effort_days;
        }
    }
    totals.effort_days = round1(totals.effort_days);
    for d in totals.effort_by_verdict.values_mut() {
        *d = round1(*d);
    }
    let key = |r: &Row| r.score as u32 + r.pays.iter().map(|p| p.0).sum::<u32>();
    rows.sort_by(|a, b| {
        verdict_order(a.verdict)
            .cmp(&verdict_order(b.verdict))
            .then(key(b).cmp(&key(a)))
            .then(a.effort_days.total_cmp(&b.effort_days))
            .then(a.entry.name.cmp(&b.entry.name))
    });
    let candidates: Vec<Candidate> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut reasons = vec![match r.verdict {
                Verdict::GoodFit => format!("good fit, score {}", r.score),
                Verdict::Porting => format!(
                    "porting, score {}, {} person-days",
                    r.score,
                    crate::report::view::days(r.effort_days)
                ),
                Verdict::Stay => format!("stays on containers, score {}", r.score),
                Verdict::Unknown => "nothing to judge".into(),
            }];
            if let Some((name, tier)) = &r.runtime {
                reasons.push(format!("{name} ({tier} tier)"));
            }
            reasons.extend(r.pays.iter().map(|p| p.1.clone()));
            for (id, title, _) in &r.blockers {
                reasons.push(format!("blocked by {id}: {title}"));
            }
            if r.entry.kind == InputKind::Image {
                reasons.push("judged from its image".into());
            }
            Candidate {
                rank: i + 1,
                name: r.entry.name.clone(),
                input: r.entry.input.clone(),
                verdict: r.verdict,
                score: r.score,
                effort_days: r.effort_days,
                pays: r.pays.iter().map(|p| p.0).sum(),
                runtime: r.runtime.as_ref().map(|x| x.0.clone()),
                tier: r.runtime.as_ref().map(|x| x.1.clone()),
                shape: r.shape.clone(),
                reasons,
                blockers: r.blockers.iter().map(|b| b.0.clone()).collect(),
            }
        })
        .collect();

    let mut blockers: BTreeMap<String, Blocker> = BTreeMap::new();
    let mut spots: BTreeMap<String, HotSpot> = BTreeMap::new();
    let mut runtimes: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut tiers: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        let name = &r.entry.name;
        for (id, title, after) in &r.blockers {
            let b = blockers.entry(id.clone()).or_insert_with(|| Blocker {
                rule_id: id.clone(),
                title: title.clone(),
                services: Vec::new(),
                unlocks: Vec::new(),
            });
            b.services.push(name.clone());
            if let Some(to) = after {
                b.unlocks.push(Unlock {
                    service: name.clone(),
                    from: r.verdict,
                    to: *to,
                });
            }
        }
        for (pkg, rules, after) in &r.packages {
            let s = spots.entry(pkg.clone()).or_insert_with(|| HotSpot {
                package: pkg.clone(),
                rules: Vec::new(),
                services: Vec::new(),
                unlocks: Vec::new(),
            });
            for id in rules {
                if !s.rules.contains(id) {
                    s.rules.push(id.clone());
                }
            }
            s.services.push(name.clone());
            if let Some(to) = after {
                s.unlocks.push(Unlock {
                    service: name.clone(),
                    from: r.verdict,
                    to: *to,
                });
            }
        }
        let (rt, tier) = r
            .runtime
            .clone()
            .unwrap_or_else(|| ("none detected".into(), "unknown".into()));
        *tiers.entry(tier.clone()).or_default() += 1;
        *runtimes.entry((rt, tier)).or_default() += 1;
    }
    let mut blockers: Vec<Blocker> = blockers.into_values().collect();
    blockers.sort_by(|a, b| {
        (b.services.len(), b.unlocks.len())
            .cmp(&(a.services.len(), a.unlocks.len()))
            .then(a.rule_id.cmp(&b.rule_id))
    });
    let mut hot_spots: Vec<HotSpot> = spots.into_values().collect();
    hot_spots.sort_by(|a, b| {
        (b.unlocks.len(), b.services.len())
            .cmp(&(a.unlocks.len(), a.services.len()))
            .then(a.package.cmp(&b.package))
    });
    let mut runtimes: Vec<RuntimeShare> = runtimes
        .into_iter()
        .map(|((runtime, tier), services)| RuntimeShare {
            runtime,
            tier,
            services,
        })
        .collect();
    runtimes.sort_by(|a, b| b.services.cmp(&a.services).then(a.runtime.cmp(&b.runtime)));
    Portfolio {
        source: SourceInfo {
            directory: String::new(),
            tool: super::ToolInfo {
                name: String::new(),
                version: String::new(),
                schema_version: String::new(),
                rules: super::RulesInfo {
                    count: 0,
                    digest: String::new(),
                },
            },
            started: String::new(),
            finished: None,
            shards: Vec::new(),
            missing_shards: Vec::new(),
            warnings: Vec::new(),
        },
        totals,
        candidates,
        blockers,
        runtimes,
        tiers,
        hot_spots,
        failures,
        trend: None,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_from_manifest_lines() {
        for (line, name) in [
            ("ffmpeg-python==0.2.0", "ffmpeg-python"),
            ("torch>=2.1", "torch"),
            ("\"sharp\": \"^0.32.0\",", "sharp"),
            ("github.com/cilium/ebpf v0.12.3", "github.com/cilium/ebpf"),
            (
                "tokio = { version = \"1\", features = [\"full\"] }",
                "tokio",
            ),
            ("\"node_modules/sharp\": {", "sharp"),
            ("<artifactId>netty-all</artifactId>", "netty-all"),
            ("- requests[socks]", "requests"),
        ] {
            assert_eq!(package_name(line).as_deref(), Some(name), "{line}");
        }
        assert_eq!(package_name("  "), None);
    }

    #[test]
    fn verdicts_only_get_better() {
        assert!(better(Verdict::Stay, Verdict::Porting));
        assert!(better(Verdict::Porting, Verdict::GoodFit));
        assert!(!better(Verdict::GoodFit, Verdict::GoodFit));
        assert!(!better(Verdict::Stay, Verdict::Unknown));
    }
}
