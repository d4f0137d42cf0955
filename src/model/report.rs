//! The report: everything a scan concluded, as one serialisable value.
//!
//! The JSON renderer writes exactly this struct, and the HTML, SARIF and
//! other renderers read only this struct, so a saved JSON report can be
//! rendered again later in any format.

use crate::model::diag::Diagnostic;
use crate::model::finding::{Finding, Source};
use crate::model::runtime::Runtimes;
use crate::model::score::{Score, Verdict};
use crate::model::signal::Signal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Bumped on any change a consumer could notice: major for removals and
/// renames, minor for additions.
pub const SCHEMA_VERSION: &str = "1.5";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    /// The scanned path as given.
    pub root: String,
    /// The primary service's verdict (see `services`), or `unknown` when
    /// there is nothing to judge.
    pub verdict: Verdict,
    /// Why the verdict is `unknown`, in one line; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict_reason: Option<String>,
    pub score: u8,
    pub summary: Summary,
    pub runtime: Runtimes,
    /// What kind of service this is: `http-server`, `cli`, `worker`.
    pub shape: Vec<String>,
    /// The primary service's findings: each piece of evidence in that
    /// service's context.
    pub findings: Vec<Finding>,
    pub scoring: Score,
    pub signals: Vec<Signal>,
    pub inventory: Inventory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<Container>,
    pub diagnostics: Vec<Diagnostic>,
    /// Results of `wasmfit bench`, when run together with the scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bench: Option<crate::model::bench::BenchResults>,
    /// The image, when the scan was of a container image (`--image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<crate::model::image::ImageInfo>,
    /// Every Wasm module and component found, described.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wasm: Vec<crate::model::wasm::WasmInfo>,
    /// Every native binary found, described: format, linkage, runtime, Go
    /// and Rust build data, syscalls, resolved libraries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<crate::model::binary::BinaryInfo>,
    /// The Wasm platform the service would move to (`wasmfit.toml` `target`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<crate::model::target::Target>,
    /// Every deployable unit found, each with its own verdict; exactly one
    /// is `primary`, and the top-level verdict, score and findings are its.
    /// Empty only in reports written before services existed.
    #[serde(default)]
    pub services: Vec<crate::model::service::Service>,
    /// Paths whose role is not the service's (CI, packaging, build
    /// wrappers, e2e tests, vendored and generated files), with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<crate::model::service::Role>,
    /// Lines around the evidence of counted findings, read at scan time
    /// (schema 1.1), so that a saved report shows them without the tree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub excerpts: Vec<Excerpt>,
    /// Where the scanned tree sits in its repository (schema 1.1): what CI
    /// tools resolve paths against. Absent when unknown (an image, a report
    /// from before 1.1, a library caller that did not look).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<Repository>,
    /// How the primary service (or the one `wasmfit plan --service` names)
    /// moves to Wasm (schema 1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<crate::model::plan::Plan>,
}

impl Report {
    /// The primary service, when the report has services.
    pub fn primary(&self) -> Option<&crate::model::service::Service> {
        self.services
            .iter()
            .find(|s| s.primary)
            .or(self.services.first())
    }

    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<&crate::model::service::Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Makes the service named `name` the report's only subject
    /// (`--service`): the other services are dropped, it becomes primary,
    /// and the top-level verdict, score, runtime, shape, findings and
    /// counts are its, so every renderer and the gate speak of it alone.
    /// The error lists the names there are. Signals are the caller's to
    /// evaluate again.
    pub fn focus(&mut self, name: &str) -> Result<(), String> {
        let Some(i) = self.services.iter().position(|s| s.name == name) else {
            let names: Vec<&str> = self.services.iter().map(|s| s.name.as_str()).collect();
            return Err(format!(
                "no service `{name}` in this report (services: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
        };
        let mut s = self.services.swap_remove(i);
        s.primary = true;
        self.services = vec![s];
        let s = &self.services[0];
        self.verdict = s.verdict;
        self.verdict_reason = s.verdict_reason.clone();
        self.score = s.score;
        self.runtime = s.runtime.clone();
        self.shape = s.shape.clone();
        self.findings = s.findings.clone();
        self.scoring = s.scoring.clone();
        self.summary.counted = s.summary.counted.clone();
        self.summary.not_counted = s.summary.not_counted;
        self.summary.suppressed = s.summary.suppressed;
        self.summary.effort_days = s.summary.effort_days;
        Ok(())
    }
}

/// The repository around a scanned tree, found without running git.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    /// The repository root, absolute: the nearest directory at or above the
    /// scanned path that holds a `.git` (directory or file), or the scanned
    /// directory itself when there is none.
    pub root: String,
    /// The directory evidence paths are relative to (the scanned directory,
    /// or the scanned file's), relative to `root`, `/`-separated; empty
    /// when it is `root` itself.
    pub base: String,
    /// Whether a `.git` was found at `root`.
    pub git: bool,
}

impl Repository {
    /// An evidence path (relative to the scan root) relative to the
    /// repository root.
    pub fn path(&self, rel: &str) -> String {
        let rel = rel.trim_start_matches("./");
        match (self.base.is_empty(), rel) {
            (true, _) => rel.to_string(),
            (false, "" | ".") => self.base.clone(),
            (false, _) => format!("{}/{rel}", self.base),
        }
    }
}

/// Consecutive lines of one scanned file: the context of one or more
/// pieces of evidence, merged where their windows overlap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excerpt {
    /// Relative to the scan root, like evidence paths.
    pub path: String,
    /// The number of the first line, 1-based.
    pub start: u32,
    /// The lines, trailing whitespace removed, long lines cut with `…`.
    pub lines: Vec<String>,
}

/// The first places of a finding get an excerpt; the rest are listed only.
pub const EXCERPTS_PER_FINDING: usize = 4;

impl Excerpt {
    /// Whether the place at `index` of `f` gets an excerpt: one of the first
    /// places of a counted finding, not suppressed, on a line of a text file
    /// (binaries, Wasm and image paths have no lines to show).
    pub fn wanted(f: &Finding, index: usize) -> bool {
        let Some(e) = f.evidence.get(index) else {
            return false;
        };
        f.counted
            && index < EXCERPTS_PER_FINDING
            && e.suppressed.is_none()
            && e.at.line.is_some()
            && !matches!(e.source, Source::Image | Source::Binary | Source::Wasm)
    }

    /// The text of line `n` of the file, when this excerpt holds it.
    pub fn line(&self, n: u32) -> Option<&str> {
        let i = n.checked_sub(self.start)? as usize;
        self.lines.get(i).map(String::as_str)
    }
}

impl Report {
    /// The excerpt that holds line `line` of `path`, if one was captured.
    pub fn excerpt(&self, path: &str, line: u32) -> Option<&Excerpt> {
        self.excerpts
            .iter()
            .find(|x| x.path == path && x.line(line).is_some())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub rules: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Findings that move the score, by severity.
    pub counted: BTreeMap<String, usize>,
    /// Findings in test, build, example, docs or runtime-internal context.
    pub not_counted: usize,
    pub suppressed: usize,
    pub effort_days: f64,
    pub files: usize,
    pub bytes: u64,
    pub elapsed_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Files per kind (`source:go`, `manifest`, `dockerfile`, `binary`, `wasm`...).
    pub kinds: BTreeMap<String, usize>,
    /// Service-context source bytes per language.
    pub languages: BTreeMap<String, u64>,
    /// Directories left out, with the reason in `diagnostics`.
    pub skipped: Vec<String>,
    pub dockerfiles: Vec<String>,
    pub compose_files: Vec<String>,
    pub manifests: Vec<String>,
    pub binaries: Vec<String>,
    pub wasm: Vec<String>,
}

/// What the Dockerfile of the shipping stage says about the container.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Container {
    pub base_images: Vec<String>,
    pub build_images: Vec<String>,
    pub exposed: Vec<String>,
    pub volumes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<String>,
    pub os_packages: Vec<String>,
    /// `ENV` of the shipping stage, in order (schema 1.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<crate::model::plan::EnvVar>,
    /// `HEALTHCHECK` of the shipping stage, as written (schema 1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<String>,
    /// Every instruction of the shipping stage, for the migration plan's
    /// list of what has no Wasm counterpart (schema 1.2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<ShippedInstruction>,
    /// The compose service that builds this image (`build:`), when a
    /// compose file has one (schema 1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose: Option<ComposeSettings>,
}

/// What a compose file says about running the service the tree builds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ComposeSettings {
    /// The compose service's key.
    pub service: String,
    /// Container ports (`ports:`, the container side).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<crate::model::plan::EnvVar>,
    /// `healthcheck.test`, joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<String>,
    /// `deploy.resources.limits.cpus` (`0.5`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<String>,
    /// `deploy.resources.limits.memory` (`512M`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
}

/// One instruction of the Dockerfile's shipping stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedInstruction {
    pub instruction: String,
    pub args: String,
    pub at: crate::model::fact::Location,
}

/// Instructions kept per report, at most: a generated Dockerfile must not
/// bloat it.
pub const MAX_INSTRUCTIONS: usize = 100;
