//! Two fleet runs compared: services that became fit or fell back, verdict
//! changes, blockers that appeared or went away, services added or gone.
//! Services are matched by name (the same inputs give the same names).

use super::portfolio::Portfolio;
use crate::model::score::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// The earlier run's directory and start.
    pub baseline: String,
    pub baseline_started: String,
    pub verdicts_before: BTreeMap<String, usize>,
    pub effort_days_before: f64,
    /// Now `good-fit`, and not before.
    pub became_fit: Vec<String>,
    /// Every service whose verdict changed.
    pub changes: Vec<Change>,
    /// A blocker now blocking services it did not block before.
    pub new_blockers: Vec<BlockerDelta>,
    /// A blocker no longer blocking services it blocked.
    pub resolved_blockers: Vec<BlockerDelta>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub service: String,
    pub from: Verdict,
    pub to: Verdict,
    pub score_from: u8,
    pub score_to: u8,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BlockerDelta {
    pub rule_id: String,
    pub title: String,
    pub services: Vec<String>,
}

pub fn compare(old: &Portfolio, new: &Portfolio) -> Trend {
    let before: BTreeMap<&str, _> = old
        .candidates
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let after: BTreeMap<&str, _> = new
        .candidates
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let mut changes = Vec::new();
    let mut became_fit = Vec::new();
    for (name, n) in &after {
        let Some(o) = before.get(name) else { continue };
        if o.verdict != n.verdict {
            if n.verdict == Verdict::GoodFit {
                became_fit.push(name.to_string());
            }
            changes.push(Change {
                service: name.to_string(),
                from: o.verdict,
                to: n.verdict,
                score_from: o.score,
                score_to: n.score,
            });
        }
    }
    let pairs = |p: &Portfolio| -> BTreeSet<(String, String)> {
        p.blockers
            .iter()
            .flat_map(|b| b.services.iter().map(|s| (b.rule_id.clone(), s.clone())))
            .collect()
    };
    let titles: BTreeMap<&str, &str> = old
        .blockers
        .iter()
        .chain(&new.blockers)
        .map(|b| (b.rule_id.as_str(), b.title.as_str()))
        .collect();
    let (old_pairs, new_pairs) = (pairs(old), pairs(new));
    let group = |set: Vec<&(String, String)>| -> Vec<BlockerDelta> {
        let mut by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (rule, svc) in set {
            by.entry(rule.as_str()).or_default().push(svc.clone());
        }
        by.into_iter()
            .map(|(rule, services)| BlockerDelta {
                rule_id: rule.to_string(),
                title: titles.get(rule).copied().unwrap_or("").to_string(),
                services,
            })
            .collect()
    };
    // A service added to the fleet brings its blockers as new ones, and a
    // service gone takes its blockers with it: both are what changed.
    let new_blockers = group(new_pairs.difference(&old_pairs).collect());
    let resolved_blockers = group(old_pairs.difference(&new_pairs).collect());
    let names = |p: &Portfolio| -> BTreeSet<String> {
        p.candidates
            .iter()
            .map(|c| c.name.clone())
            .chain(p.failures.iter().map(|f| f.name.clone()))
            .collect()
    };
    let (old_names, new_names) = (names(old), names(new));
    Trend {
        baseline: old.source.directory.clone(),
        baseline_started: old.source.started.clone(),
        verdicts_before: old.totals.verdicts.clone(),
        effort_days_before: old.totals.effort_days,
        became_fit,
        changes,
        new_blockers,
        resolved_blockers,
        added: new_names.difference(&old_names).cloned().collect(),
        removed: old_names.difference(&new_names).cloned().collect(),
    }
}
