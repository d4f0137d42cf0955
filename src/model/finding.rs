//! Findings: rule hits merged per root cause, with all their evidence. The
//! merge itself is `analyze::finding`; this is the shape a report carries.

use crate::model::context::Context;
use crate::model::fact::Location;
use crate::model::vocab::{Capability, Category, Confidence, Severity};
use serde::{Deserialize, Serialize};

/// What kind of artefact a piece of evidence came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Code,
    String,
    Import,
    Dependency,
    Dockerfile,
    Compose,
    Binary,
    Wasm,
    Image,
    Runtime,
    File,
}

/// One place that supports a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    #[serde(flatten)]
    pub at: Location,
    pub context: Context,
    pub source: Source,
    pub confidence: Confidence,
    /// Package knowledge: why this dependency matters, and its replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Stable across unrelated edits and line moves: rule, path and the
    /// matched text with whitespace folded, not the line number.
    pub fingerprint: String,
    /// A package only a lock file or an indirect requirement (go.mod's
    /// `// indirect`) names: something in the dependency tree can do this,
    /// nothing shows the service does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub transitive: bool,
    /// The reason given in a `wasmfit: ignore[...]` comment, when suppressed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// Why the evidence has its context, when that is not plain service
    /// code: `build wrapper (gradle/wrapper/)`, `reached from no entry
    /// point of service api`, `only when --hotreload is set (default
    /// false), main.go:14`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How the service's entry point reaches it: the entry file first, then
    /// each import site on the way (`app.py:3`, `media/convert.py:12`); the
    /// evidence itself is the last step. Empty when no graph was built.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chain: Vec<Location>,
    /// Only background-job code calls the function it sits in
    /// (`analyze::callers`; `reason` shows the calls): the job queue's
    /// worker needs it, not the request path.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub jobs_only: bool,
    /// A package the image's build installs (`apt-get install git`): the
    /// tool ships in the image, which does not show the service runs it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub installed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    pub title: String,
    pub capability: Capability,
    pub category: Category,
    pub severity: Severity,
    /// The most service-like context among the evidence: a finding with any
    /// service evidence is a service finding.
    pub context: Context,
    pub confidence: Confidence,
    /// Whether it moves the score and the verdict.
    pub counted: bool,
    /// Its only evidence in its context is lock-file entries: a package the
    /// service pulls in may do this, nothing shows the service does, so it
    /// is at most a minor (a rule's blocker or major is reported as a minor).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lock_only: bool,
    /// A blocker whose only evidence in its context is background-job code
    /// (`app/jobs/`, a `*_job` file): a worker the job queue runs beside the
    /// service needs it, so it is a major (split the worker off), never a
    /// blocker of the service itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub job_only: bool,
    /// Its only evidence in its context is packages the image installs, at
    /// low confidence (git, openssh-client: installed for many reasons
    /// besides being run): no code, import, dependency or binary of the
    /// service starts them, so it is listed and not counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub installed_only: bool,
    /// All its evidence is suppressed.
    pub suppressed: bool,
    pub message: String,
    pub remediation: String,
    /// WASI 0.2 interface that replaces the capability, or "none".
    pub wasi: String,
    /// Person-days, scaled by how widespread the evidence is.
    pub effort: f64,
    pub fingerprint: String,
    pub evidence: Vec<Evidence>,
    /// How many places matched in all (more than `evidence.len()` when cut).
    pub evidence_total: usize,
}

/// Test data the unit tests of several stages share.
#[cfg(test)]
impl Evidence {
    /// Service code at `at`, high confidence, nothing else said about it.
    pub(crate) fn sample(at: Location) -> Evidence {
        Evidence {
            at,
            context: Context::Service,
            source: Source::Code,
            confidence: Confidence::High,
            note: None,
            transitive: false,
            fingerprint: String::new(),
            suppressed: None,
            reason: None,
            chain: Vec::new(),
            jobs_only: false,
            installed: false,
        }
    }
}

#[cfg(test)]
impl Finding {
    /// A counted service finding of `rule`, shaped like a process-spawn
    /// rule's, with its fingerprint the rule id.
    pub(crate) fn sample(rule: &str, severity: Severity, evidence: Vec<Evidence>) -> Finding {
        Finding {
            rule_id: rule.into(),
            title: "t".into(),
            capability: Capability::ProcessSpawn,
            category: Category::Process,
            severity,
            context: Context::Service,
            confidence: Confidence::High,
            counted: true,
            lock_only: false,
            job_only: false,
            installed_only: false,
            suppressed: false,
            message: String::new(),
            remediation: String::new(),
            wasi: "none".into(),
            effort: 1.0,
            fingerprint: rule.into(),
            evidence_total: evidence.len(),
            evidence,
        }
    }
}
