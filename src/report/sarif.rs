//! SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, IDE viewers).
//!
//! One run; `tool.driver.rules` comes from the loaded rules, so the help a
//! reviewer sees is the same text `wasmfit explain` prints. One result per
//! piece of evidence, not per finding: code scanning shows one alert per
//! location and tracks it by `partialFingerprints`, so a finding with three
//! call sites is three alerts that each survive line moves on their own.
//! The structs are written by hand (a dozen of them) instead of generated
//! from the schema; the tests validate the output against the schema and
//! against what GitHub documents it needs.
//!
//! Locations are what GitHub resolves against the checkout: every result
//! has one, with a `uri` relative to the repository root and the
//! `%SRCROOT%` base (declared in `originalUriBaseIds`, with the root's
//! absolute `file://` URI when the scan recorded it), and a region; a place
//! without a line (a binary, a whole file) points at line 1 and says so in
//! its message. Paths inside a scanned image use the `IMAGE_ROOT` base.
//!
//! Levels: blocker and major findings are `error`, minor `warning`, info
//! `note`; a place that does not count (a test, a build script) is a
//! `note` whatever its severity. `--sarif-min-level` (default `warning`)
//! leaves out results below it, so info findings and uncounted places are
//! written only on request.

use super::flat::{self, Row};
use super::paths::{root_uri, uri_path};
use super::{Renderer, Report};
use crate::model::finding::{Finding, Source};
use crate::rules::{Rule, RuleSet, Severity};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::io::{self, Write};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The partial fingerprint's name; bump the version if the fingerprint
/// recipe changes, so old alerts are not wrongly matched to new ones.
pub const FINGERPRINT_KEY: &str = "wasmfit/v1";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    original_uri_base_ids: Map<String, Value>,
    results: Vec<SarifResult>,
    properties: Value,
}

/// The base of paths in the repository.
pub const SRCROOT: &str = "%SRCROOT%";
/// The base of paths inside a scanned image's filesystem.
pub const IMAGE_ROOT: &str = "IMAGE_ROOT";

/// SARIF's result levels, least first.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Level {
    /// Everything: info findings and places that do not count too.
    Note,
    /// Blockers, majors and minors that count.
    #[default]
    Warning,
    /// Blockers and majors that count.
    Error,
}

impl Level {
    pub fn id(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: String,
    version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: Value,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    partial_fingerprints: Map<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    /// How the service's entry point reaches the place, one step each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Related>,
    properties: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Related {
    id: usize,
    physical_location: Physical,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Physical,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<Logical>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical {
    name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    justification: String,
}

/// SARIF's levels: a blocker or major finding fails review, a minor one
/// warns, an info finding (a capability that maps to WASI) is a note.
pub fn level(s: Severity) -> Level {
    match s {
        Severity::Blocker | Severity::Major => Level::Error,
        Severity::Minor => Level::Warning,
        Severity::Info => Level::Note,
    }
}

/// A SARIF log describing `rules` and the report's results at `min_level`
/// or above.
pub struct Sarif<'a> {
    pub rules: &'a RuleSet,
    pub min_level: Level,
}

impl Renderer for Sarif<'_> {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(render(report, self.rules, self.min_level).as_bytes())
    }
}

fn render(report: &Report, rules: &RuleSet, min_level: Level) -> String {
    let mut descriptors: Vec<Descriptor> = rules.sorted().into_iter().map(descriptor).collect();
    // A saved report can hold findings of user rules that are not loaded
    // now; describe those from the finding so every ruleId resolves.
    for f in &report.findings {
        if !descriptors.iter().any(|d| d.id == f.rule_id) {
            descriptors.push(from_finding(f));
        }
    }
    let index: HashMap<String, usize> = descriptors
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.clone(), i))
        .collect();
    let rows = flat::rows(report);
    let results = rows
        .iter()
        .filter(|r| row_level(r) >= min_level)
        .map(|r| {
            result(
                r,
                index.get(&r.finding.rule_id).copied().unwrap_or_default(),
            )
        })
        .collect();
    let mut bases = Map::new();
    let mut srcroot =
        json!({"description": {"text": "The root of the repository the scanned path belongs to."}});
    if let Some(uri) = root_uri(report) {
        srcroot["uri"] = Value::String(uri);
    }
    bases.insert(SRCROOT.into(), srcroot);
    if rows
        .iter()
        .any(|r| r.evidence.is_some_and(|e| e.source == Source::Image))
    {
        bases.insert(
            IMAGE_ROOT.into(),
            json!({"description": {"text": "The root of the scanned container image's filesystem."}}),
        );
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "wasmfit".into(),
                    version: report.tool.version.clone(),
                    information_uri: information_uri(),
                    rules: descriptors,
                },
            },
            original_uri_base_ids: bases,
            results,
            properties: run_properties(report),
        }],
    };
    let mut s =
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The project's home, when the package says where it is.
/// The verdict, and each service's when there are several.
fn run_properties(report: &Report) -> Value {
    let mut p = json!({
        "verdict": report.verdict,
        "score": report.score,
        "effortDays": report.summary.effort_days,
        "reportSchemaVersion": report.schema_version,
    });
    if let Some(why) = &report.verdict_reason {
        p["verdictReason"] = json!(why);
    }
    if report.services.len() > 1 {
        p["services"] = report
            .services
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "root": s.root,
                    "primary": s.primary,
                    "verdict": s.verdict,
                    "score": s.score,
                })
            })
            .collect();
    }
    p
}

fn information_uri() -> Option<&'static str> {
    [
        option_env!("CARGO_PKG_HOMEPAGE"),
        option_env!("CARGO_PKG_REPOSITORY"),
    ]
    .into_iter()
    .flatten()
    .find(|u| u.starts_with("https://"))
}

/// `Spawns other programs` -> `SpawnsOtherPrograms`: SARIF's `name` is an
/// identifier, the title goes into `shortDescription`.
fn pascal(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Capability, category, severity and "wasm", once each: SARIF wants the
/// tags unique, and `runtime` is both a capability and a category.
fn tags<'a>(capability: &'a str, category: &'a str, severity: &'a str) -> Vec<&'a str> {
    let mut t: Vec<&str> = Vec::new();
    for x in [capability, category, severity, "wasm"] {
        if !t.contains(&x) {
            t.push(x);
        }
    }
    t
}

fn wasi_line(wasi: &str) -> String {
    if wasi == "none" {
        "WASI 0.2: no equivalent".to_string()
    } else {
        format!("WASI 0.2: {wasi}")
    }
}

fn descriptor(r: &Rule) -> Descriptor {
    let mut text = format!(
        "{}\n\nWhat to do instead: {}\n{}",
        r.message,
        r.remediation,
        wasi_line(&r.wasi)
    );
    let mut md = format!("**{}**\n\n{}\n\n", r.title, r.message);
    if !r.description.is_empty() {
        md.push_str(&format!("{}\n\n", r.description));
    }
    if let Some(ex) = &r.example {
        md.push_str(&format!("Example:\n\n```\n{}\n```\n\n", ex.trim_end()));
    }
    md.push_str(&format!("**What to do instead:** {}\n\n", r.remediation));
    if let Some(inst) = &r.instead {
        md.push_str(&format!("```\n{}\n```\n\n", inst.trim_end()));
        text.push_str(&format!("\n\n{}", inst.trim_end()));
    }
    md.push_str(&format!("**{}**\n", wasi_line(&r.wasi)));
    if !r.references.is_empty() {
        md.push_str("\nReferences:\n");
        for x in &r.references {
            md.push_str(&format!("- {x}\n"));
        }
    }
    Descriptor {
        id: r.id.clone(),
        name: pascal(&r.title),
        short_description: Text {
            text: r.title.clone(),
        },
        full_description: Text {
            text: if r.description.is_empty() {
                r.message.clone()
            } else {
                r.description.clone()
            },
        },
        help: Help { text, markdown: md },
        help_uri: r
            .references
            .iter()
            .find(|u| u.starts_with("https://") && !u.contains(char::is_whitespace))
            .cloned(),
        default_configuration: Configuration {
            level: level(r.severity).id(),
        },
        properties: json!({
            "tags": tags(r.capability.id(), r.category.id(), r.severity.id()),
            "wasi": r.wasi,
            "effortDays": r.effort,
        }),
    }
}

fn from_finding(f: &Finding) -> Descriptor {
    Descriptor {
        id: f.rule_id.clone(),
        name: pascal(&f.title),
        short_description: Text {
            text: f.title.clone(),
        },
        full_description: Text {
            text: f.message.clone(),
        },
        help: Help {
            text: format!(
                "{}\n\nWhat to do instead: {}\n{}",
                f.message,
                f.remediation,
                wasi_line(&f.wasi)
            ),
            markdown: format!(
                "{}\n\n**What to do instead:** {}\n\n**{}**\n",
                f.message,
                f.remediation,
                wasi_line(&f.wasi)
            ),
        },
        help_uri: None,
        default_configuration: Configuration {
            level: level(f.severity).id(),
        },
        properties: json!({
            "tags": tags(f.capability.id(), f.category.id(), f.severity.id()),
            "wasi": f.wasi,
        }),
    }
}

/// Evidence outside the service's own tree still shows, but only as a
/// note: a subprocess call in a test helper must not fail code review.
fn row_level(row: &Row) -> Level {
    if row.counted || row.suppressed().is_some() {
        level(row.finding.severity)
    } else {
        Level::Note
    }
}

fn result(row: &Row, rule_index: usize) -> SarifResult {
    let f = row.finding;
    let mut message = format!("{}: {}", f.title, f.message);
    if let Some(e) = row.evidence {
        if !e.context.counts() {
            message.push_str(&format!(" ({} context: reported, not counted)", e.context));
        }
        if let Some(n) = &e.note {
            message.push_str(&format!(" {n}"));
        }
        if let Some(why) = &e.reason {
            message.push_str(&format!(" Why: {why}."));
        }
    }
    if row.line().is_none() {
        message.push_str(
            " (The evidence is the whole file, not a line: the location points at line 1.)",
        );
    }
    message.push_str(&format!(" Instead: {}", f.remediation));
    let mut fingerprints = Map::new();
    fingerprints.insert(
        FINGERPRINT_KEY.into(),
        Value::String(row.fingerprint.clone()),
    );
    let mut props = json!({
        "severity": f.severity,
        "capability": f.capability,
        "category": f.category,
        "confidence": f.confidence,
        "wasi": f.wasi,
        "counted": row.counted,
    });
    if let Some(e) = row.evidence {
        props["context"] = json!(e.context);
        props["source"] = json!(e.source);
        props["confidence"] = json!(e.confidence);
    }
    if let Some(svc) = row.service {
        props["service"] = json!(svc);
    }
    let related = row
        .evidence
        .map(|e| {
            e.chain
                .iter()
                .enumerate()
                .map(|(i, at)| Related {
                    id: i + 1,
                    physical_location: Physical {
                        artifact_location: ArtifactLocation {
                            uri: uri_path(&super::paths::repo_path(row.report, &at.path)),
                            uri_base_id: Some(SRCROOT),
                        },
                        region: Some(Region {
                            start_line: at.line.filter(|l| *l > 0).unwrap_or(1),
                            snippet: None,
                        }),
                    },
                    message: Text {
                        text: if i == 0 {
                            "entry point".to_string()
                        } else {
                            format!("reached through step {i}")
                        },
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    SarifResult {
        rule_id: f.rule_id.clone(),
        rule_index,
        level: row_level(row).id(),
        message: Text { text: message },
        locations: location(row).into_iter().collect(),
        partial_fingerprints: fingerprints,
        suppressions: row
            .suppressed()
            .map(|why| Suppression {
                kind: "inSource",
                justification: why.to_string(),
            })
            .into_iter()
            .collect(),
        related_locations: related,
        properties: props,
    }
}

fn location(row: &Row) -> Option<Location> {
    // A finding without evidence (a hand-edited report) points at the
    // scanned directory: GitHub wants a location on every result.
    let Some(e) = row.evidence else {
        return Some(Location {
            physical_location: Physical {
                artifact_location: ArtifactLocation {
                    uri: uri_path(&row.path),
                    uri_base_id: Some(SRCROOT),
                },
                region: Some(Region {
                    start_line: 1,
                    snippet: None,
                }),
            },
            logical_locations: Vec::new(),
        });
    };
    // Paths inside a scanned image are not files of the repository.
    let (uri, base) = if e.source == Source::Image {
        (uri_path(e.at.path.trim_start_matches('/')), IMAGE_ROOT)
    } else {
        (uri_path(&row.path), SRCROOT)
    };
    let line = e.at.line.filter(|l| *l > 0);
    let region = Region {
        start_line: line.unwrap_or(1),
        snippet: line.filter(|_| !e.at.snippet.is_empty()).map(|_| Text {
            text: e.at.snippet.clone(),
        }),
    };
    // Binary evidence has no line: the symbol, library or section it names is
    // its logical location.
    let mut logical = Vec::new();
    if let Some(s) = &e.at.symbol {
        logical.push(Logical {
            name: s.clone(),
            kind: "function",
        });
    }
    if let Some(l) = &e.at.library {
        logical.push(Logical {
            name: l.clone(),
            kind: "module",
        });
    }
    if let Some(s) = &e.at.section {
        logical.push(Logical {
            name: s.clone(),
            kind: "resource",
        });
    }
    Some(Location {
        physical_location: Physical {
            artifact_location: ArtifactLocation {
                uri,
                uri_base_id: Some(base),
            },
            region: Some(region),
        },
        logical_locations: logical,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers() {
        assert_eq!(
            pascal("Spawns other programs (fork/exec)"),
            "SpawnsOtherProgramsForkExec"
        );
    }

    #[test]
    fn levels_follow_severity() {
        assert_eq!(level(Severity::Blocker), Level::Error);
        assert_eq!(level(Severity::Major), Level::Error);
        assert_eq!(level(Severity::Minor), Level::Warning);
        assert_eq!(level(Severity::Info), Level::Note);
        assert!(Level::Note < Level::Warning && Level::Warning < Level::Error);
    }
}
