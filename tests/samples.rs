//! Every sample service under `samples/` is scanned and compared with its
//! `expected.toml`: the verdict, the rules that must fire in service context
//! and the decoys that must not. Plus a JSON snapshot per sample.

mod support;

use serde::Deserialize;
use std::path::{Path, PathBuf};
use wasmfit::analyze::matcher::Engine;
use wasmfit::model::Report;
use wasmfit::rules::RuleSet;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    verdict: String,
    rules: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    /// Per service (a multi-part sample): its verdict, and the rules that
    /// must and must not fire in its service context.
    #[serde(default)]
    service: Vec<ExpectedService>,
    /// Evidence under `path` (a prefix) exists and is all in `context`, in
    /// every service that lists it.
    #[serde(default)]
    context: Vec<ExpectedContext>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedService {
    name: String,
    verdict: String,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedContext {
    path: String,
    context: String,
}

/// Per-service and per-path expectations of a multi-part sample.
fn check_services(name: &str, exp: &Expected, report: &Report, failures: &mut Vec<String>) {
    for want in &exp.service {
        let Some(svc) = report.service(&want.name) else {
            let names: Vec<&str> = report.services.iter().map(|s| s.name.as_str()).collect();
            failures.push(format!("{name}: no service {} (got {names:?})", want.name));
            continue;
        };
        let counted: Vec<&str> = svc
            .findings
            .iter()
            .filter(|f| f.context.counts() && !f.suppressed)
            .map(|f| f.rule_id.as_str())
            .collect();
        if svc.verdict.id() != want.verdict {
            failures.push(format!(
                "{name}/{}: verdict {} (score {}), expected {}; service rules {counted:?}",
                want.name, svc.verdict, svc.score, want.verdict
            ));
        }
        for r in &want.rules {
            if !counted.contains(&r.as_str()) {
                failures.push(format!(
                    "{name}/{}: {r} not counted; got {counted:?}",
                    want.name
                ));
            }
        }
        for r in &want.absent {
            if counted.contains(&r.as_str()) {
                failures.push(format!("{name}/{}: decoy {r} counted", want.name));
            }
        }
    }
    for want in &exp.context {
        let places: Vec<(String, String)> = report
            .services
            .iter()
            .flat_map(|s| &s.findings)
            .flat_map(|f| &f.evidence)
            .filter(|e| e.at.path.starts_with(&want.path))
            .map(|e| (e.at.path.clone(), e.context.to_string()))
            .collect();
        if places.is_empty() {
            failures.push(format!("{name}: no evidence under {}", want.path));
        }
        for (path, ctx) in places {
            if ctx != want.context {
                failures.push(format!(
                    "{name}: {path} in context {ctx}, expected {}",
                    want.context
                ));
            }
        }
    }
}

fn samples() -> Vec<PathBuf> {
    support::samples_with_expectations()
}

fn scan(engine: &Engine, dir: &Path) -> Report {
    wasmfit::scan::scan_with(dir, &Default::default(), engine, &|_, _| {}).unwrap()
}

#[test]
fn there_are_at_least_nine_samples() {
    assert!(samples().len() >= 9, "{:?}", samples());
}

#[test]
fn every_sample_meets_its_expectations() {
    let rules = RuleSet::builtin().unwrap();
    let engine = Engine::new(&rules);
    let mut failures = Vec::new();
    for dir in samples() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let exp: Expected =
            toml::from_str(&std::fs::read_to_string(dir.join("expected.toml")).unwrap()).unwrap();
        let report = scan(&engine, &dir);
        check_services(&name, &exp, &report, &mut failures);
        let service: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.context.counts() && !f.suppressed)
            .map(|f| f.rule_id.as_str())
            .collect();
        if report.verdict.id() != exp.verdict {
            failures.push(format!(
                "{name}: verdict {} (score {}), expected {}; service rules {:?}",
                report.verdict, report.score, exp.verdict, service
            ));
        }
        for r in &exp.rules {
            if !service.contains(&r.as_str()) {
                failures.push(format!(
                    "{name}: {r} not reported in service context; got {service:?}"
                ));
            }
        }
        for r in &exp.absent {
            if let Some(f) = report
                .findings
                .iter()
                .find(|f| &f.rule_id == r && f.context.counts())
            {
                let first = f
                    .evidence
                    .first()
                    .map(|e| format!("{}:{:?} {}", e.at.path, e.at.line, e.at.snippet))
                    .unwrap_or_default();
                failures.push(format!(
                    "{name}: decoy {r} fired in service context at {first}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn json_snapshots() {
    let rules = RuleSet::builtin().unwrap();
    let engine = Engine::new(&rules);
    for dir in samples() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let mut report = scan(&engine, &dir);
        report.root = format!("samples/{name}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(name.clone());
        settings.bind(|| {
            insta::assert_json_snapshot!("sample", report, {
                ".summary.elapsed_ms" => "[elapsed]",
                ".tool.version" => "[version]",
            });
        });
    }
}
