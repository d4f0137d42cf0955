//! Every rule's positive and negative fixtures, run through the real
//! pipeline: a positive must produce a finding of that rule, a negative must
//! not. A rule without both kinds of fixture fails the suite, and so does a
//! `[[rule.match]]` block that no positive fixture fires through.

use std::collections::BTreeSet;
use wasmfit::analyze::matcher::Engine;
use wasmfit::model::context::Context;
use wasmfit::model::fact::{Fact, FactKind, Location};
use wasmfit::rules::model::Fixture;
use wasmfit::rules::RuleSet;

fn fact_fixture(f: &Fixture) -> Vec<Fact> {
    let at = || Location::file("fixture.bin", "fixture");
    let mut out = Vec::new();
    let mut add = |kind: FactKind| out.push(Fact::new(kind, at(), Context::Service));
    f.symbols
        .iter()
        .for_each(|n| add(FactKind::Symbol { name: n.clone() }));
    f.functions
        .iter()
        .for_each(|n| add(FactKind::Function { name: n.clone() }));
    f.libraries
        .iter()
        .for_each(|n| add(FactKind::Library { name: n.clone() }));
    f.syscalls
        .iter()
        .for_each(|n| add(FactKind::Syscall { name: n.clone() }));
    f.sections
        .iter()
        .for_each(|n| add(FactKind::Section { name: n.clone() }));
    f.devices
        .iter()
        .for_each(|p| add(FactKind::Device { path: p.clone() }));
    for w in &f.wasm_imports {
        let (module, name) = w.split_once('/').unwrap_or((w.as_str(), ""));
        add(FactKind::WasmImport {
            module: module.into(),
            name: name.into(),
        });
    }
    out
}

/// What a fixture triggers in service context: the rule ids of the
/// findings a full scan reports, and the (rule id, block) of every hit the
/// fixture's files and facts produce on their own.
struct Fired {
    ids: Vec<String>,
    blocks: BTreeSet<(String, u16)>,
}

fn fired(engine: &Engine, f: &Fixture) -> Fired {
    let mut ids = Vec::new();
    let mut hits = Vec::new();
    if let (Some(path), Some(content)) = (&f.path, &f.content) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, content).unwrap();
        let report =
            wasmfit::scan::scan_with(dir.path(), &Default::default(), engine, &|_, _| {}).unwrap();
        ids.extend(
            report
                .findings
                .iter()
                .filter(|x| x.context.counts())
                .map(|x| x.rule_id.clone()),
        );
        let found = wasmfit::input::discover::discover(dir.path(), &Default::default()).unwrap();
        for a in &found.artifacts {
            hits.extend(wasmfit::scan::file_hits(engine, a));
        }
    }
    let mut fact_hits = Vec::new();
    for fact in fact_fixture(f) {
        engine.match_fact(&fact, &mut fact_hits);
    }
    ids.extend(
        fact_hits
            .iter()
            .map(|h| engine.rules.rules[h.rule].id.clone()),
    );
    hits.extend(fact_hits);
    let blocks = hits
        .iter()
        .filter(|h| h.evidence.context.counts())
        .filter_map(|h| Some((engine.rules.rules[h.rule].id.clone(), h.matcher?)))
        .collect();
    Fired { ids, blocks }
}

#[test]
fn every_rule_has_fixtures_and_they_hold() {
    let rules = RuleSet::builtin().expect("built-in rules load");
    let engine = Engine::new(&rules);
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for r in &rules.rules {
        if r.severity_why.trim().is_empty() {
            failures.push(format!(
                "{}: `severity-why` must say why the rule is {} ({}:{})",
                r.id, r.severity, r.origin.file, r.origin.line
            ));
        }
        if r.positive.is_empty() || r.negative.is_empty() {
            failures.push(format!(
                "{}: needs at least one positive and one negative fixture ({}:{})",
                r.id, r.origin.file, r.origin.line
            ));
        }
        for (i, f) in r.positive.iter().enumerate() {
            let got = fired(&engine, f);
            if !got.ids.contains(&r.id) {
                failures.push(format!(
                    "{}: positive #{} ({}) did not fire",
                    r.id,
                    i + 1,
                    f.path.as_deref().unwrap_or("facts")
                ));
            }
            covered.extend(got.blocks);
        }
        for (i, f) in r.negative.iter().enumerate() {
            if fired(&engine, f).ids.contains(&r.id) {
                failures.push(format!(
                    "{}: negative #{} ({}) fired",
                    r.id,
                    i + 1,
                    f.path.as_deref().unwrap_or("facts")
                ));
            }
        }
    }
    // Every `[[rule.match]]` block must be proven by a positive fixture of
    // some rule that fires through it; a block no fixture reaches is a
    // pattern that has never been seen to work.
    for r in &rules.rules {
        for (b, line) in r.matcher_lines.iter().enumerate() {
            let b = u16::try_from(b).unwrap();
            if !covered.contains(&(r.id.clone(), b)) {
                failures.push(format!(
                    "{}: match block #{} ({}:{}) has no positive fixture firing through it",
                    r.id,
                    b + 1,
                    r.origin.file,
                    line
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn rule_ids_snapshot() {
    let rules = RuleSet::builtin().expect("built-in rules load");
    let ids: Vec<String> = rules
        .sorted()
        .iter()
        .map(|r| format!("{} {} {}", r.id, r.severity, r.title))
        .collect();
    insta::assert_snapshot!(ids.join("\n"));
}

#[test]
fn knowledge_base_is_large_and_covers_every_ecosystem() {
    let rules = RuleSet::builtin().unwrap();
    assert!(
        rules.packages.len() >= 150,
        "only {} packages",
        rules.packages.len()
    );
    for eco in wasmfit::model::fact::Ecosystem::ALL {
        // Packagist packages are read (composer.json, composer.lock) but the
        // knowledge base has no PHP packages yet.
        if matches!(
            eco,
            wasmfit::model::fact::Ecosystem::Rubygems | wasmfit::model::fact::Ecosystem::Packagist
        ) {
            continue;
        }
        assert!(
            rules.packages.iter().any(|p| p.ecosystem == eco),
            "no packages for {eco}"
        );
    }
    for p in &rules.packages {
        assert!(!p.reason.trim().is_empty(), "{} has no reason", p.name);
    }
}
