//! Fleets: many services scanned with the normal engine into one directory,
//! then read back as a portfolio (which services should move first, what
//! blocks the rest).
//!
//! A fleet directory holds `manifest.json` (what was scanned, when, with
//! which wasmfit and rules, and what failed), `reports/NAME.json` (each
//! service's normal JSON report) and `entries/NAME.json` (each service's
//! manifest entry, written as soon as its scan ends, so a stopped run loses
//! nothing it finished). The stages:
//!
//! - `inputs` turns the command line into services: names, identity keys,
//!   shards, duplicates.
//! - `hash` fingerprints an input's content and the rules, for resuming.
//! - `store` reads and writes a fleet directory.
//! - `run` scans the services in parallel, skipping unchanged ones.
//! - `merge` joins the directories of several shards.
//! - `portfolio` reads a directory into the fleet view; `trend` compares
//!   two; `render` writes either as JSON, CSV, Markdown or HTML.

pub mod hash;
pub mod inputs;
pub mod merge;
pub mod portfolio;
pub mod render;
pub mod run;
pub mod store;
pub mod time;
pub mod trend;

pub use inputs::Duplicate;

use crate::model::score::Verdict;
use serde::{Deserialize, Serialize};

/// What `manifest.json` says it is, so a directory written by something
/// else is never mistaken for a fleet.
pub const FORMAT: &str = "wasmfit-fleet";
/// Bumped when the directory layout or the manifest changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// The manifest of a fleet directory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub tool: ToolInfo,
    /// When the run (or the merge) started and finished, UTC, RFC 3339.
    /// `finished` is absent while a run is under way or when it stopped.
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// The shards this directory holds: one for a sharded run, every
    /// merged one after `fleet merge`, none for an unsharded run.
    #[serde(default)]
    pub shards: Vec<Shard>,
    /// Shard indexes a merge expected and did not get.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_shards: Vec<u32>,
    pub counts: Counts,
    /// One entry per service, sorted by name.
    pub services: Vec<Entry>,
    /// Inputs given more than once: scanned once, listed here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<Duplicate>,
}

/// Which wasmfit and which rules wrote the reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// The report schema version of the per-service reports.
    pub schema_version: String,
    pub rules: RulesInfo,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesInfo {
    pub count: usize,
    /// SHA-256 over the rule files (built-in and `--rules`) and the scan
    /// options: two runs with the same digest judge the same way.
    pub digest: String,
}

impl ToolInfo {
    /// Versions and rules as `version+digest12`, for messages.
    pub fn label(&self) -> String {
        format!(
            "wasmfit {} rules {}",
            self.version,
            &self.rules.digest[..self.rules.digest.len().min(12)]
        )
    }
}

/// `--shard I/N`: this run scans the inputs whose key hashes to `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` with `0 <= I < N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s:?}: expected I/N, e.g. 0/4"))?;
        let num = |x: &str, what: &str| {
            x.trim()
                .parse::<u32>()
                .map_err(|_| format!("--shard {s:?}: {what} {x:?} is not a whole number"))
        };
        let (index, count) = (num(i, "index")?, num(n, "count")?);
        if count == 0 {
            return Err(format!("--shard {s:?}: the shard count must be at least 1"));
        }
        if index >= count {
            return Err(format!(
                "--shard {s:?}: the index counts from 0 and must be below {count} (0/{count} to {}/{count})",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub services: usize,
    /// Scanned in this run.
    pub scanned: usize,
    /// Unchanged since an earlier run: its report was kept.
    pub reused: usize,
    pub failed: usize,
}

impl Counts {
    pub fn of(entries: &[Entry]) -> Counts {
        let n = |s: Status| entries.iter().filter(|e| e.status == s).count();
        Counts {
            services: entries.len(),
            scanned: n(Status::Scanned),
            reused: n(Status::Reused),
            failed: n(Status::Failed),
        }
    }
}

/// What an input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// A directory (a checkout, a service folder).
    Directory,
    /// A directory at the top of a git working tree.
    Git,
    /// A `docker save` archive or an OCI layout (directory or tar).
    Image,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Scanned,
    Reused,
    Failed,
}

/// One service of the fleet: where it came from, and how its scan went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Unique in the fleet; names the report file.
    pub name: String,
    /// The input as scanned (list-file lines resolved against the list).
    pub input: String,
    /// Where the input was given: `ARG 2` or `services.txt:14`.
    pub given_at: String,
    pub kind: InputKind,
    /// The absolute path: the identity that picks the shard.
    pub key: String,
    /// SHA-256 of the input's content and the scan settings; absent when
    /// the input could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// The checked-out commit of a git working tree, read from `.git`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub status: Status,
    /// Why the scan failed, in one line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The report, relative to the fleet directory, and its SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    /// When the report was made (a reused report keeps its time), UTC.
    pub scanned_at: String,
    /// The scan's wall time. Reports of a fleet carry 0 in
    /// `summary.elapsed_ms`, so an unchanged input gives the same bytes.
    pub elapsed_ms: u64,
    pub tool: ToolInfo,
}
