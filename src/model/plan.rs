//! The migration plan: how a service that fits moves to a Wasm platform.
//! Building it is `plan`; this is the shape a report carries (schema 1.2).

use crate::model::fact::Location;
use crate::model::score::Verdict;
use crate::model::target::Target;
use serde::{Deserialize, Serialize};

/// What to do, in order, to run one service as a WASI 0.2 component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The service planned for (a `services[].name`).
    pub service: String,
    pub platform: Target,
    pub verdict: Verdict,
    /// Whether deployment artefacts were written into the plan: not for a
    /// `stay` or `unknown` verdict unless forced.
    pub deployable: bool,
    /// For a `stay` verdict: what would have to change first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<Step>,
    /// Ordered: code changes first, then dependency swaps, then the build.
    pub steps: Vec<Step>,
    /// Person-days over all steps.
    pub effort_days: f64,
    pub build: Build,
    pub world: World,
    pub grants: Grants,
    /// What stays in a container and why (a dependency or a capability the
    /// component cannot have).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stays_in_container: Vec<String>,
    /// Shipping-stage Dockerfile instructions with no Wasm counterpart, with
    /// what to do about each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dockerfile: Vec<Leftover>,
    /// Commands to build, push and sign the OCI artifact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
    /// The files `wasmfit plan --out DIR` writes: the world, the platform
    /// manifests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PlanFile>,
    /// What the plan could not decide and assumed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The outcome of `wasmfit plan --try-build`, when it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub try_build: Option<TryBuild>,
}

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// Change code: a capability moves to a WASI interface or away.
    Replace,
    /// Swap a dependency for one that builds for Wasm.
    Swap,
    /// Move a part out of the component (it stays in a container or moves
    /// to a service it calls).
    Extract,
    /// Set up the toolchain and build the component.
    Build,
}

/// One thing to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub kind: StepKind,
    /// The rule whose finding asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    /// What is there now (`spawns ffmpeg`, `requests`).
    pub what: String,
    /// What replaces it.
    pub with: String,
    /// The WASI 0.2 interface that takes its place, or `none`.
    pub wasi: String,
    /// Person-days.
    pub effort: f64,
    /// A few places that show it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<Location>,
}

/// How to build the component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Build {
    /// The runtime id (`rust`, `tinygo`, `go`, `python`...), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// `wasm32-wasip2`, `wasip1`, `component`.
    pub target: String,
    /// The toolchain and its command line, from the runtime's tier entry.
    pub toolchain: String,
    /// Where the build leaves the `.wasm`, relative to the service root.
    pub output: String,
}

/// The minimal WIT world a service needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// `wasmfit:<service>/<world>`.
    pub package: String,
    pub name: String,
    /// Interfaces the host provides, versioned (`wasi:http/outgoing-handler@0.2.0`).
    pub imports: Vec<String>,
    /// Interfaces the component provides (`wasi:http/incoming-handler@0.2.0`).
    pub exports: Vec<String>,
    /// The `.wit` text.
    pub wit: String,
}

/// What the host must grant the component, per platform.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Grants {
    /// `wasmtime run`/`serve` flags (`-S http`, `--dir host::guest`, `--env K=V`).
    pub wasmtime: Vec<String>,
    /// Spin `allowed_outbound_hosts`.
    pub allowed_outbound_hosts: Vec<String>,
    /// Spin `key_value_stores`.
    pub key_value_stores: Vec<String>,
    /// Directories the guest reads: `host -> guest` (Spin `files`,
    /// wasmtime `--dir`).
    pub files: Vec<Mount>,
    /// Environment carried over from the Dockerfile and compose file.
    pub env: Vec<EnvVar>,
    /// The port the host listens on for the component's HTTP handler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    pub host: String,
    pub guest: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// A Dockerfile instruction of the shipping stage with no Wasm counterpart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leftover {
    pub at: Location,
    pub instruction: String,
    /// What to do instead.
    pub action: String,
}

/// A file of the plan, as `--out DIR` writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanFile {
    /// Relative to DIR, `/`-separated.
    pub path: String,
    /// What it is for (`Spin manifest`).
    pub purpose: String,
    pub content: String,
}

/// The outcome of the sandboxed build.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TryBuild {
    /// The command run, as a shell would show it.
    pub command: String,
    pub status: BuildStatus,
    pub elapsed_ms: u64,
    /// Compiler errors, each tied to the finding it confirms or marked new.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<BuildError>,
    /// The built `.wasm`, relative to the service root, on success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// The `wasmfit bench` command that serves the kept `.wasm` under
    /// wasmtime and measures it (the Wasm side).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bench: Option<String>,
    /// On success: the component's imports that the world lacks (empty
    /// means it targets the world).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outside_world: Vec<String>,
    /// The last lines of the build's output, for what no pattern explained.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tail: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuildStatus {
    Built,
    Failed,
    /// Killed at the time limit.
    TimedOut,
    /// Interrupted by a signal to wasmfit.
    Interrupted,
}

/// One compiler error and what it means for the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildError {
    /// The error line as the compiler wrote it (trimmed, clipped).
    pub message: String,
    /// The finding it confirms, by rule id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirms: Option<String>,
    /// No finding explains it: something the scan missed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new: bool,
}
