//! The decision framework ("pick Wasm if", "pick Docker if"), evaluated for
//! the scanned service with the evidence for each answer.
//!
//! The score says how hard a port would be; these signals say whether it
//! would pay off. A good fit for a batch job nobody waits for is still a
//! port with little to gain.

use crate::model::fact::{Fact, FactKind, Scope};
use crate::model::finding::Finding;
use crate::model::runtime::Runtimes;
use crate::model::signal::{Side, Signal};
use crate::rules::{Capability, Covers, RuleSet, Severity, Tier};

/// What the signals need beyond findings.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub dockerfiles: Vec<String>,
    pub compose_files: Vec<String>,
    /// Bytes of service-context source code.
    pub service_source_bytes: u64,
    /// Dependencies that host plugins or run guest code (wasmtime, extism...).
    pub plugin_hosts: Vec<String>,
}

/// The service's dependencies that run guest code, by
/// rules/plugin-hosts.toml: `wasmtime (crates) in Cargo.toml`.
pub fn plugin_hosts(rules: &RuleSet, facts: &[Fact]) -> Vec<String> {
    let mut out: Vec<String> = facts
        .iter()
        .filter(|f| f.context.counts())
        .filter_map(|f| match &f.kind {
            // Declared by a manifest for the running service: a lock entry
            // alone or a dev tool does not make the service a plugin host.
            FactKind::Dependency(d)
                if d.lock.is_none()
                    && d.scope == Scope::Runtime
                    && rules.is_plugin_host(d.ecosystem, &d.name) =>
            {
                Some(format!("{} ({}) in {}", d.name, d.ecosystem, f.at.path))
            }
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn service(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
    findings
        .iter()
        .filter(|f| f.context.counts() && !f.suppressed)
}

fn cite(f: &Finding) -> String {
    match f.evidence.first() {
        Some(e) => match e.at.line {
            Some(l) => format!("{} {} at {}:{}", f.rule_id, f.title, e.at.path, l),
            None => format!("{} {} in {}", f.rule_id, f.title, e.at.path),
        },
        None => format!("{} {}", f.rule_id, f.title),
    }
}

fn with(findings: &[Finding], caps: &[Capability]) -> Vec<String> {
    service(findings)
        .filter(|f| caps.contains(&f.capability))
        .map(cite)
        .collect()
}

/// Which capabilities fall in a class of rules/capabilities.toml.
fn class(rules: &RuleSet, covers: Covers) -> Vec<Capability> {
    Capability::ALL
        .iter()
        .copied()
        .filter(|c| rules.covers(*c) == covers)
        .collect()
}

pub fn evaluate(
    rules: &RuleSet,
    findings: &[Finding],
    runtimes: &Runtimes,
    inputs: &Inputs,
) -> Vec<Signal> {
    let narrow = class(rules, Covers::Interface);
    let mut out = Vec::new();
    let mut push = |id: &str, side: Side, text: &str, holds: bool, evidence: Vec<String>| {
        out.push(Signal {
            id: id.into(),
            side,
            text: text.into(),
            holds,
            evidence,
        })
    };
    let http = with(findings, &[Capability::HttpServer]);
    push(
        "cold-start-matters",
        Side::Wasm,
        "Cold start under 50 ms matters (edge, FaaS, request-per-instance).",
        !http.is_empty(),
        if http.is_empty() {
            vec!["no HTTP handler found: nothing waits on a cold start".into()]
        } else {
            http.clone()
        },
    );
    push(
        "untrusted-code",
        Side::Wasm,
        "You run untrusted code (plugins, customer functions).",
        !inputs.plugin_hosts.is_empty(),
        if inputs.plugin_hosts.is_empty() {
            vec!["no plugin host or guest-code runtime among the dependencies".into()]
        } else {
            inputs.plugin_hosts.clone()
        },
    );
    let blockers: Vec<String> = service(findings)
        .filter(|f| f.severity == Severity::Blocker)
        .map(cite)
        .collect();
    let small = inputs.service_source_bytes <= 2 << 20;
    push(
        "dense-packing",
        Side::Wasm,
        "You need to pack many small workloads densely on each host (multi-tenant SaaS).",
        small && blockers.is_empty(),
        vec![format!(
            "{} KiB of service source{}",
            inputs.service_source_bytes / 1024,
            if blockers.is_empty() {
                ""
            } else {
                "; blockers stand in the way"
            }
        )],
    );
    let (strong, rt_ev) = match &runtimes.primary {
        Some(p) => (
            p.tier == Tier::Strong,
            vec![format!("{} ({} tier): {}", p.name, p.tier.id(), p.note)],
        ),
        None => (false, vec!["no runtime detected".into()]),
    };
    push(
        "supported-language",
        Side::Wasm,
        "Your code is in Rust, TinyGo, or one of the well-supported component languages.",
        strong,
        rt_ev.clone(),
    );
    let wide: Vec<String> = service(findings)
        .filter(|f| f.counted && !narrow.contains(&f.capability))
        .map(cite)
        .collect();
    push(
        "narrow-capabilities",
        Side::Wasm,
        "The set of capabilities is narrow (HTTP in, HTTP out, KV, SQL).",
        wide.is_empty(),
        if wide.is_empty() {
            vec!["every capability used has a WASI 0.2 interface".into()]
        } else {
            wide
        },
    );
    let lift: Vec<String> = inputs
        .dockerfiles
        .iter()
        .map(|d| format!("container build at {d}"))
        .collect();
    push(
        "lift-and-shift",
        Side::Docker,
        "You are lifting an existing service that already works.",
        !lift.is_empty(),
        if lift.is_empty() {
            vec!["no Dockerfile: nothing to lift".into()]
        } else {
            lift
        },
    );
    let mut missing = with(findings, &[Capability::ProcessSpawn]);
    if let Some(p) = &runtimes.primary {
        if matches!(p.tier, Tier::Experimental | Tier::None) {
            missing.push(format!("{} runtime: {}", p.name, p.note));
        }
    }
    push(
        "missing-ecosystem",
        Side::Docker,
        "You depend on tools the Wasm ecosystem does not have yet (programs it spawns, language runtimes).",
        !missing.is_empty(),
        if missing.is_empty() { vec!["no external programs or unsupported runtime found".into()] } else { missing },
    );
    let kernel = with(findings, &class(rules, Covers::Kernel));
    push(
        "raw-kernel-features",
        Side::Docker,
        "You need raw kernel features (GPU, eBPF, raw sockets).",
        !kernel.is_empty(),
        if kernel.is_empty() {
            vec!["no GPU, eBPF, raw syscall or kernel interface use".into()]
        } else {
            kernel
        },
    );
    push(
        "cold-start-fine",
        Side::Docker,
        "Cold start under 1 s is fine.",
        http.is_empty(),
        if http.is_empty() {
            vec!["no request handler: a long-running worker or batch job starts once".into()]
        } else {
            vec!["serves requests: cold start is on the request path when scaled to zero".into()]
        },
    );
    let ops: Vec<String> = inputs
        .compose_files
        .iter()
        .map(|c| format!("compose file {c}"))
        .collect();
    push(
        "container-ops",
        Side::Docker,
        "Your team's container operations are strong and Wasm operations would be a new investment.",
        !ops.is_empty(),
        if ops.is_empty() { vec!["no compose or orchestration files in the repository".into()] } else { ops },
    );
    out
}
