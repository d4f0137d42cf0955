//! The migration plan: from a service's findings to ordered steps, the
//! minimal WIT world, the host grants and the deployment artefacts.
//!
//! A plan is a pure function of a `model::Report` and the loaded rules (the
//! package knowledge base and the runtime tiers), so a scan report carries
//! one and `wasmfit plan` writes its files. Only `trybuild` runs anything,
//! and only when asked to.

pub mod container;
pub mod deploy;
pub mod dockerfile;
pub mod grants;
pub mod steps;
pub mod trybuild;
pub mod wasi_wit;
pub mod wit;

use crate::model::plan::{Build, Plan};
use crate::model::report::Report;
use crate::model::score::Verdict;
use crate::model::service::Service;
use crate::model::target::Target;
use crate::rules::RuleSet;

/// What the caller decides about a plan.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The service to plan for; the primary one when `None`.
    pub service: Option<String>,
    pub platform: Target,
    /// Write deployment artefacts even for a `stay` verdict.
    pub force: bool,
    /// Where images are pushed (`ghcr.io/acme`); a local registry when unset.
    pub registry: Option<String>,
}

/// Why no plan can be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("no service named `{name}` (services: {known})")]
    NoSuchService { name: String, known: String },
    #[error("service `{0}` has no verdict: {1}")]
    NoVerdict(String, String),
    #[error("nothing to plan for service `{0}`: no code and no runtime were found")]
    NoCode(String),
}

/// The registry when none is given: one on the local machine, so the
/// commands work as written against `docker run -p 5000:5000 registry:2`.
pub const LOCAL_REGISTRY: &str = "localhost:5000";

/// The plan every report carries: the primary service's, on the report's
/// target platform; none for a service with no verdict.
pub fn for_report(report: &Report, rules: &RuleSet) -> Option<Plan> {
    let mut opts = Options::default();
    if let Some(t) = report.target {
        opts.platform = t;
    }
    build(report, rules, &opts).ok()
}

/// Builds the plan for the chosen service.
pub fn build(report: &Report, rules: &RuleSet, opts: &Options) -> Result<Plan, PlanError> {
    let service = pick(report, opts.service.as_deref())?;
    if service.verdict == Verdict::Unknown {
        let why = service
            .verdict_reason
            .clone()
            .or_else(|| report.verdict_reason.clone())
            .unwrap_or_else(|| "nothing to judge".into());
        return Err(PlanError::NoVerdict(service.name.clone(), why));
    }
    let no_code = report.inventory.languages.is_empty()
        && report.inventory.binaries.is_empty()
        && report.inventory.wasm.is_empty();
    if service.runtime.primary.is_none() && no_code {
        return Err(PlanError::NoCode(service.name.clone()));
    }
    let name = wit::ident(&service.name);
    // What the service does, counted or not: an `info` finding (an HTTP
    // client, a handler) moves no score but still needs its interface.
    let counted: Vec<_> = service
        .findings
        .iter()
        .filter(|f| {
            !f.suppressed
                && (f.counted
                    || (f.context.counts()
                        && f.severity == crate::rules::Severity::Info
                        && f.wasi.starts_with("wasi:")))
        })
        .collect();
    let mut notes = Vec::new();
    let steps::Steps {
        steps,
        blocked_by,
        stays,
    } = steps::steps(service, &counted, rules);
    let world = wit::world(&name, service, &counted, report.container.as_ref());
    let grants = grants::grants(report, service, &counted, &world, &mut notes);
    let build = build_of(service, rules, &name);
    let leftovers = report
        .container
        .as_ref()
        .map(dockerfile::leftovers)
        .unwrap_or_default();
    let deployable = service.verdict != Verdict::Stay || opts.force;
    if !deployable {
        notes.push(
            "verdict `stay`: no deployment artefacts; the steps under `blocked_by` come first (use --force to write them anyway)"
                .into(),
        );
    }
    // A fold from +0.0: an empty f64 sum is -0.0, shown as `-0`.
    let effort_days = round(steps.iter().fold(0.0, |a, s| a + s.effort));
    let mut plan = Plan {
        service: service.name.clone(),
        platform: opts.platform,
        verdict: service.verdict,
        deployable,
        blocked_by,
        steps,
        effort_days,
        build,
        world,
        grants,
        stays_in_container: stays,
        dockerfile: leftovers,
        commands: Vec::new(),
        files: Vec::new(),
        notes,
        try_build: None,
    };
    let registry = opts.registry.as_deref().unwrap_or(LOCAL_REGISTRY);
    plan.commands = deploy::commands(&plan, &name, registry);
    if deployable {
        plan.files = deploy::files(&plan, &name, registry, report.container.as_ref());
    }
    Ok(plan)
}

/// The named service, or the primary one.
fn pick<'a>(report: &'a Report, name: Option<&str>) -> Result<&'a Service, PlanError> {
    let known = || {
        report
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(n) => report.service(n).ok_or_else(|| PlanError::NoSuchService {
            name: n.to_string(),
            known: known(),
        }),
        None => report.primary().ok_or_else(|| PlanError::NoSuchService {
            name: "(primary)".into(),
            known: known(),
        }),
    }
}

/// The build from the service's runtime and its tier entry.
fn build_of(service: &Service, rules: &RuleSet, name: &str) -> Build {
    let tier = service
        .runtime
        .primary
        .as_ref()
        .and_then(|p| tier_of(rules, &p.id));
    match tier {
        Some(t) => Build {
            runtime: Some(t.id.id().to_string()),
            target: t.target.clone(),
            toolchain: t.toolchain.clone(),
            output: format!("{name}.wasm"),
        },
        None => Build {
            runtime: None,
            target: "unknown".into(),
            toolchain: "no runtime detected: pick the toolchain of the service's language".into(),
            output: format!("{name}.wasm"),
        },
    }
}

/// The tier entry of a detected runtime, by the id a report carries.
pub(crate) fn tier_of<'a>(rules: &'a RuleSet, id: &str) -> Option<&'a crate::rules::RuntimeTier> {
    crate::model::runtime::RuntimeId::ALL
        .into_iter()
        .find(|r| r.id() == id)
        .and_then(|r| rules.runtime(r))
}

/// Person-days to two decimals, as the report shows them.
pub(crate) fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
