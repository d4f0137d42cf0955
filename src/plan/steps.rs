//! Steps from findings: what to replace with what, which dependencies to
//! swap (from the package knowledge base), the build, and what stays in a
//! container.

use crate::model::finding::{Finding, Source};
use crate::model::plan::{Step, StepKind};
use crate::model::score::Verdict;
use crate::model::service::Service;
use crate::rules::{Capability, Confidence, RuleSet, Severity};
use std::collections::BTreeSet;

/// Places shown per step.
const PLACES: usize = 3;

pub(crate) struct Steps {
    pub steps: Vec<Step>,
    pub blocked_by: Vec<Step>,
    pub stays: Vec<String>,
}

/// Capabilities a component cannot have at all: the code that needs them
/// moves out (to a container beside the component, or a service it calls).
fn extracted(c: Capability) -> bool {
    matches!(
        c,
        Capability::ProcessSpawn
            | Capability::Gpu
            | Capability::Ebpf
            | Capability::KernelInterface
            | Capability::RawSyscall
    )
}

pub(crate) fn steps(service: &Service, counted: &[&Finding], rules: &RuleSet) -> Steps {
    let http_server = service.shape.iter().any(|s| s == "http-server")
        || counted
            .iter()
            .any(|f| f.capability == Capability::HttpServer);
    let mut code = Vec::new();
    let mut swaps = Vec::new();
    let mut build = Vec::new();
    let mut stays = Vec::new();
    let mut swapped = BTreeSet::new();
    let mut sorted: Vec<&&Finding> = counted.iter().collect();
    sorted.sort_by(|a, b| {
        a.severity
            .cmp(&b.severity)
            .then(b.effort.total_cmp(&a.effort))
            .then(a.rule_id.cmp(&b.rule_id))
    });
    for f in sorted {
        if f.capability == Capability::WasmReady {
            continue;
        }
        let at: Vec<_> = f
            .evidence
            .iter()
            .filter(|e| e.context.counts() && e.suppressed.is_none())
            .take(PLACES)
            .map(|e| e.at.clone())
            .collect();
        let deps = dependency_swaps(f, rules);
        let only_deps = !deps.is_empty()
            && f.evidence
                .iter()
                .filter(|e| e.context.counts() && e.suppressed.is_none())
                .all(|e| e.source == Source::Dependency);
        if f.capability == Capability::Runtime {
            build.push(Step {
                kind: StepKind::Build,
                rule_id: Some(f.rule_id.clone()),
                what: f.title.clone(),
                with: service
                    .runtime
                    .primary
                    .as_ref()
                    .and_then(|p| crate::plan::tier_of(rules, &p.id))
                    .map(|t| t.toolchain.clone())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| f.remediation.clone()),
                wasi: f.wasi.clone(),
                effort: f.effort,
                at,
            });
            continue;
        }
        let share = if only_deps {
            f.effort / deps.len() as f64
        } else {
            0.0
        };
        for (name, ecosystem, replacement) in deps {
            if !swapped.insert((ecosystem.clone(), name.clone())) {
                continue;
            }
            let kind = if replacement.is_some() {
                StepKind::Swap
            } else {
                StepKind::Extract
            };
            if replacement.is_none() {
                stays.push(format!("{name} ({ecosystem}): no Wasm build known"));
            }
            swaps.push(Step {
                kind,
                rule_id: Some(f.rule_id.clone()),
                what: format!("{name} ({ecosystem})"),
                with: replacement.unwrap_or_else(|| {
                    "no Wasm build known: remove it, or move the code that needs it out of the component".into()
                }),
                wasi: f.wasi.clone(),
                effort: crate::plan::round(share),
                at: Vec::new(),
            });
        }
        if only_deps {
            continue;
        }
        let (kind, with) = if f.capability == Capability::Sockets && http_server {
            (
                StepKind::Replace,
                "Let the host own the listener: export wasi:http/incoming-handler instead of binding a socket".to_string(),
            )
        } else if extracted(f.capability) {
            stays.push(format!("{}: {}", f.rule_id, f.title));
            (StepKind::Extract, f.remediation.clone())
        } else {
            (StepKind::Replace, f.remediation.clone())
        };
        code.push(Step {
            kind,
            rule_id: Some(f.rule_id.clone()),
            what: match f.evidence.first() {
                Some(e) if !e.at.snippet.is_empty() => {
                    format!("{} (`{}`)", f.title, e.at.snippet)
                }
                _ => f.title.clone(),
            },
            with,
            wasi: if f.capability == Capability::Sockets && http_server {
                "wasi:http/incoming-handler".into()
            } else {
                f.wasi.clone()
            },
            effort: f.effort,
            at,
        });
    }
    let blocked_by = if service.verdict == Verdict::Stay {
        code.iter()
            .chain(&swaps)
            .filter(|s| {
                counted.iter().any(|f| {
                    Some(&f.rule_id) == s.rule_id.as_ref()
                        && f.severity == Severity::Blocker
                        && f.confidence >= Confidence::Medium
                })
            })
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    // Every plan ends with the build, counted or not: a strong-tier runtime
    // is an `info` finding, and its toolchain still has to be set up.
    if build.is_empty() {
        build.extend(build_step(service, rules));
    }
    let mut steps = code;
    steps.extend(swaps);
    steps.extend(build);
    stays.sort();
    stays.dedup();
    Steps {
        steps,
        blocked_by,
        stays,
    }
}

/// The build step from the runtime's tier entry and the effort of the rule
/// it reports, when no counted finding gave one.
fn build_step(service: &Service, rules: &RuleSet) -> Option<Step> {
    let primary = service.runtime.primary.as_ref()?;
    let tier = crate::plan::tier_of(rules, &primary.id)?;
    let rule = rules.get(&tier.rule);
    Some(Step {
        kind: StepKind::Build,
        rule_id: Some(tier.rule.clone()),
        what: format!("{} service", tier.name),
        with: tier.toolchain.clone(),
        wasi: "none".into(),
        effort: rule.map(|r| r.effort).unwrap_or(0.0),
        at: primary.evidence.iter().take(PLACES).cloned().collect(),
    })
}

/// The dependencies of a finding with package knowledge, each with its
/// replacement when the knowledge base names one: (name, ecosystem,
/// replacement).
fn dependency_swaps(f: &Finding, rules: &RuleSet) -> Vec<(String, String, Option<String>)> {
    let mut out: Vec<(String, String, Option<String>)> = Vec::new();
    for e in f
        .evidence
        .iter()
        .filter(|e| e.source == Source::Dependency && e.context.counts() && e.suppressed.is_none())
    {
        // The matcher writes package notes as `name: reason`.
        let Some(name) = e.note.as_deref().and_then(|n| n.split(": ").next()) else {
            continue;
        };
        let Some(p) = rules.packages.iter().find(|p| {
            p.rule == f.rule_id && p.ecosystem.normalize(&p.name) == p.ecosystem.normalize(name)
        }) else {
            continue;
        };
        if out.iter().any(|(n, _, _)| n == &p.name) {
            continue;
        }
        out.push((
            p.name.clone(),
            p.ecosystem.id().to_string(),
            p.replacement.clone(),
        ));
    }
    out
}
