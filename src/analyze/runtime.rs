//! Runtime detection: which language runtime the service runs on, from every
//! kind of evidence, and that runtime's Wasm support tier.
//!
//! Evidence is weighed, not counted: the base image of the stage that ships
//! and a manifest at the root say more than one helper script. Only service
//! evidence counts; a Python script in `scripts/` does not make a Go service
//! a Python one.

use crate::model::fact::{Fact, FactKind, Location};
use crate::model::runtime::{Detected, RuntimeId, Runtimes};
use crate::rules::RuleSet;
use std::collections::BTreeMap;

const MAX_RUNTIME_EVIDENCE: usize = 5;

/// Weighs runtime hints (already filtered to service context by the caller
/// or not: non-service hints are ignored here).
pub fn detect(rules: &RuleSet, hints: &[Fact]) -> Runtimes {
    let mut acc: BTreeMap<RuntimeId, (u32, Vec<(u32, Location)>)> = BTreeMap::new();
    for f in hints {
        let FactKind::Runtime { clue, weight } = &f.kind else {
            continue;
        };
        if !f.context.counts() {
            continue;
        }
        // A clue that names no runtime (an OS base image, an unrelated
        // variable, a shell script) is no hint; an id always resolves, since
        // the rule files were checked to cover every id.
        let Some((id, weight)) = rules.runtimes.resolve(clue, *weight) else {
            continue;
        };
        let e = acc.entry(id).or_default();
        e.0 += weight;
        e.1.push((weight, f.at.clone()));
    }
    // A runtime that absorbs another takes its evidence once seen (TinyGo
    // compiles Go source: once the build says TinyGo, the Go evidence is
    // TinyGo evidence).
    for t in &rules.runtimes.tiers {
        if !acc.contains_key(&t.id) {
            continue;
        }
        for other in &t.absorbs {
            if let Some((w, ev)) = acc.remove(other) {
                let e = acc.entry(t.id).or_default();
                e.0 += w;
                e.1.extend(ev);
            }
        }
    }
    let mut detected: Vec<Detected> = acc
        .into_iter()
        .filter_map(|(id, (weight, mut ev))| {
            let tier = rules.runtime(id)?;
            ev.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            Some(Detected {
                id: id.to_string(),
                name: tier.name.clone(),
                tier: tier.tier,
                weight,
                note: tier.note.clone(),
                toolchain: tier.toolchain.clone(),
                rule_id: tier.rule.clone(),
                evidence: ev
                    .into_iter()
                    .take(MAX_RUNTIME_EVIDENCE)
                    .map(|(_, l)| l)
                    .collect(),
            })
        })
        .collect();
    detected.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.id.cmp(&b.id)));
    Runtimes {
        primary: detected.first().cloned(),
        detected,
    }
}
