//! The scan pipeline: discover, parse and match every file in parallel, then
//! merge, detect the runtime, score and assemble the report.
//!
//! Each file is read, parsed and matched by one worker, and only its hits and
//! a few small facts survive it, so memory stays proportional to what was
//! found, not to the size of the tree.

use crate::analyze::finding::{self, Hit};
use crate::analyze::matcher::Engine;
use crate::analyze::runtime;
use crate::analyze::score;
use crate::analyze::signals;
use crate::analyze::suppress::FileMarkers;
use crate::input::discover::{self, Discovery};
use crate::model::artifact::{Artifact, ArtifactKind};
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Fact, FactKind, Location, RuntimeClue};
use crate::model::finding::Source;
use crate::model::report::{Container, Inventory, Report, Summary, Tool, SCHEMA_VERSION};
use crate::model::service::{Service, ServiceKind, ServiceSummary};
use crate::parse::{self, Output};
use crate::rules::{Capability, Confidence, RuleSet};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub discover: discover::Options,
    /// `[[suppress]]` entries from `wasmfit.toml`.
    pub suppress: crate::analyze::suppress::PathRules,
    /// Facts from outside the tree (an image's config and package
    /// database), matched like the tree's own.
    pub extra_facts: Vec<Fact>,
}

/// What one file left behind after it was matched.
#[derive(Default)]
struct FileResult {
    hits: Vec<Hit>,
    kept: Vec<Fact>,
    diagnostics: Vec<Diagnostic>,
    source_bytes: u64,
    /// What a `.wasm` was found to be, for the report's `wasm` list.
    wasm: Option<crate::parse::wasm::WasmInfo>,
    /// A native binary's description and link data (parse::binary).
    binary: Option<crate::parse::binary::Binary>,
    /// Suppression comments, for the suppression pass.
    markers: Option<FileMarkers>,
}

/// What the files of a scan left behind, merged as they finish. Facts,
/// Wasm and binaries carry their artifact's index, to be put back in the
/// walk's order (the report lists them in that order).
#[derive(Default)]
struct Merged {
    hits: Vec<Hit>,
    kept: Vec<(usize, Fact)>,
    diagnostics: Vec<Diagnostic>,
    wasm: Vec<(usize, crate::parse::wasm::WasmInfo)>,
    binaries: Vec<(usize, crate::parse::binary::Binary)>,
    markers: Vec<FileMarkers>,
    languages: BTreeMap<String, u64>,
    service_source_bytes: u64,
}

impl Merged {
    fn add(&mut self, i: usize, a: &Artifact, r: FileResult) {
        self.hits.extend(r.hits);
        self.kept.extend(r.kept.into_iter().map(|f| (i, f)));
        self.diagnostics.extend(r.diagnostics);
        self.wasm.extend(r.wasm.map(|w| (i, w)));
        self.binaries.extend(r.binary.map(|b| (i, b)));
        self.markers.extend(r.markers);
        if let ArtifactKind::Source(l) = a.kind {
            if a.context.counts() {
                *self.languages.entry(l.id().to_string()).or_default() += r.source_bytes;
                self.service_source_bytes += r.source_bytes;
            }
        }
    }

    fn join(mut self, other: Merged) -> Merged {
        self.hits.extend(other.hits);
        self.kept.extend(other.kept);
        self.diagnostics.extend(other.diagnostics);
        self.wasm.extend(other.wasm);
        self.binaries.extend(other.binaries);
        self.markers.extend(other.markers);
        for (l, n) in other.languages {
            *self.languages.entry(l).or_default() += n;
        }
        self.service_source_bytes += other.service_source_bytes;
        self
    }

    fn in_artifact_order(mut self) -> Merged {
        // Stable: the facts of one file keep their order.
        self.kept.sort_by_key(|(i, _)| *i);
        self.wasm.sort_by_key(|(i, _)| *i);
        self.binaries.sort_by_key(|(i, _)| *i);
        self
    }
}

/// Called with (files done, files total) as the scan goes.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

pub fn scan(
    root: &Path,
    opts: &Options,
    rules: &RuleSet,
    progress: Progress,
) -> std::io::Result<Report> {
    scan_with(root, opts, &Engine::new(rules), progress)
}

/// `scan` with an engine compiled once, for callers that scan many trees.
pub fn scan_with(
    root: &Path,
    opts: &Options,
    engine: &Engine,
    progress: Progress,
) -> std::io::Result<Report> {
    let rules = engine.rules;
    let started = Instant::now();
    let Discovery {
        artifacts,
        mut diagnostics,
        skipped,
    } = discover::discover(root, &opts.discover)?;
    let total = artifacts.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    // Each file's result is folded in as soon as it is done, so only what
    // files leave behind (hits, a few facts) is held, never every file.
    let files = artifacts
        .par_iter()
        .enumerate()
        .fold(Merged::default, |mut m, (i, a)| {
            m.add(i, a, analyze(engine, a));
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, total);
            m
        })
        .reduce(Merged::default, Merged::join)
        .in_artifact_order();

    // Needed libraries are followed through the tree once every binary is
    // known; what entry points reach are facts like any other, matched here
    // with the facts from outside the tree (linker.rs).
    let linked = crate::analyze::linker::post_pass(files.binaries.iter().map(|(_, b)| b));
    let binaries = linked.infos;
    let mut hits = Vec::new();
    for f in &linked.facts {
        engine.match_fact(f, &mut hits);
    }
    hits.extend(files.hits);
    for f in &opts.extra_facts {
        engine.match_fact(f, &mut hits);
    }
    let mut kept: Vec<Fact> = files.kept.into_iter().map(|(_, f)| f).collect();
    diagnostics.extend(files.diagnostics);
    let wasm: Vec<_> = files.wasm.into_iter().map(|(_, w)| w).collect();
    let languages = files.languages;
    let service_source_bytes = files.service_source_bytes;
    kept.extend(opts.extra_facts.iter().filter(|f| keep(f)).cloned());
    for s in &skipped {
        diagnostics.push(Diagnostic::new(
            DiagKind::Skipped,
            s.as_str(),
            "skipped: vendored, generated or ignored tree (scan it with --no-default-excludes / --no-gitignore)",
        ));
    }

    // Lock entries take the scope of the manifest declarations that pull
    // them in, which needs every manifest of the tree (analyze::scopes).
    crate::analyze::scopes::apply(&kept, &mut hits, &mut diagnostics);

    let runtimes = runtime::detect(rules, &kept);
    if let Some(p) = &runtimes.primary {
        if let Some(idx) = rules.index(&p.rule_id) {
            for at in &p.evidence {
                let conf = if p.weight >= 10 {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                hits.push(Hit::new(
                    &rules.rules[idx],
                    idx,
                    at.clone(),
                    Context::Service,
                    Source::Runtime,
                    conf,
                ));
            }
        }
    }

    // One suppression pass over every hit, whatever produced it: comments
    // in files, then the config's entries.
    crate::analyze::suppress::apply_all(rules, &files.markers, &opts.suppress, &mut hits);
    let findings = finding::merge(&rules.rules, hits);
    let scoring = score::score(&findings);
    let inventory = inventory(&artifacts, skipped, languages);
    let inputs = signals::Inputs {
        dockerfiles: inventory.dockerfiles.clone(),
        compose_files: inventory.compose_files.clone(),
        service_source_bytes,
        plugin_hosts: signals::plugin_hosts(rules, &kept),
    };
    let signals = signals::evaluate(rules, &findings, &runtimes, &inputs);
    let shape = shape(&findings);
    let container = container(&kept);
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.counted) {
        *counted.entry(f.severity.to_string()).or_default() += 1;
    }
    diagnostics.sort();
    diagnostics.dedup();
    let summary = Summary {
        counted,
        not_counted: findings.iter().filter(|f| !f.context.counts()).count(),
        suppressed: findings.iter().filter(|f| f.suppressed).count(),
        effort_days: scoring.effort_days,
        files: artifacts.len(),
        bytes: artifacts.iter().map(|a| a.size).sum(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    // One whole-tree service until the service model below finds more.
    let tree = Service {
        name: root_name(root),
        kind: ServiceKind::Tree,
        root: ".".into(),
        primary: true,
        entry_points: Vec::new(),
        dockerfile: None,
        compose: None,
        neighbours: Vec::new(),
        runtime: runtimes.clone(),
        shape: shape.clone(),
        verdict: scoring.verdict,
        verdict_reason: None,
        score: scoring.score,
        scoring: scoring.clone(),
        findings: findings.clone(),
        summary: ServiceSummary {
            counted: summary.counted.clone(),
            not_counted: summary.not_counted,
            suppressed: summary.suppressed,
            effort_days: summary.effort_days,
        },
        reachability: None,
        notes: Vec::new(),
    };
    // Renderers never read the tree: the lines around the evidence are
    // read now, while the tree is the one just scanned.
    let excerpts = crate::input::excerpt::capture(root, &findings);
    Ok(Report {
        schema_version: SCHEMA_VERSION.to_string(),
        tool: Tool {
            name: "wasmfit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            rules: rules.rules.len(),
        },
        root: root.display().to_string(),
        verdict: scoring.verdict,
        verdict_reason: None,
        score: scoring.score,
        summary,
        runtime: runtimes,
        shape,
        findings,
        scoring,
        signals,
        inventory,
        container,
        diagnostics,
        bench: None,
        image: None,
        wasm,
        binaries,
        target: None,
        services: vec![tree],
        roles: Vec::new(),
        excerpts,
        repository: None,
    })
}

/// A service's name when nothing better names it: the scanned directory's.
fn root_name(root: &Path) -> String {
    std::fs::canonicalize(root)
        .ok()
        .as_deref()
        .unwrap_or(root)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "service".into())
}

/// The rule hits one file produces on its own (before linking, lock-file
/// scopes and merging): what the fixture suite checks block by block.
pub fn file_hits(engine: &Engine, a: &Artifact) -> Vec<Hit> {
    analyze(engine, a).hits
}

/// Reads, parses and matches one file.
fn analyze(engine: &Engine, a: &Artifact) -> FileResult {
    let mut r = FileResult::default();
    let name = a.rel.rsplit('/').next().unwrap_or(&a.rel).to_string();
    let file_fact = Fact::new(
        FactKind::File { name },
        Location::file(&a.rel, &a.rel),
        a.context,
    );
    engine.match_fact(&file_fact, &mut r.hits);
    let text_kind = matches!(
        a.kind,
        ArtifactKind::Source(_)
            | ArtifactKind::Manifest(_)
            | ArtifactKind::Dockerfile
            | ArtifactKind::Compose
    );
    if !text_kind {
        // Binaries, Wasm and code archives are read by their own analysers.
        match a.kind {
            ArtifactKind::Wasm => {
                let (out, info) = parse::wasm::analyze(a);
                for f in &out.facts {
                    engine.match_fact(f, &mut r.hits);
                }
                r.diagnostics.extend(out.diagnostics);
                r.kept = out.facts.into_iter().filter(keep).collect();
                r.wasm = info;
            }
            ArtifactKind::Binary(_) | ArtifactKind::Archive(_) => {
                if let Some(b) = parse::binary::analyze(a) {
                    for f in &b.output.facts {
                        engine.match_fact(f, &mut r.hits);
                    }
                    r.diagnostics.extend(b.output.diagnostics);
                    r.kept = b.output.facts.into_iter().filter(keep).collect();
                    r.binary = b.binary;
                }
            }
            _ => {}
        }
        return r;
    }
    let text = match read_text(a, &mut r.diagnostics) {
        Some(t) => t,
        None => return r,
    };
    let out: Output = match a.kind {
        ArtifactKind::Source(lang) => {
            r.source_bytes = text.len() as u64;
            // Most files contain no literal any rule needs: they are not
            // lexed, matched or searched for imports at all.
            let cands = engine.candidates(lang, text.as_bytes());
            let mut out = Output::default();
            if !cands.is_empty() {
                let (view, o) =
                    parse::source::parse_code(lang, &a.rel, &text, a.context, cands.imports);
                engine.match_code(&a.rel, &text, &view, a.context, &cands, &mut r.hits);
                out = o;
            }
            // Which runtime a language means is rules/runtimes.toml's.
            out.facts.push(Fact::new(
                FactKind::Runtime {
                    clue: RuntimeClue::Language(lang),
                    weight: 1,
                },
                Location::file(&a.rel, &format!("{} source", lang)),
                a.context,
            ));
            out
        }
        ArtifactKind::Manifest(kind) => parse::manifest::parse(kind, &a.rel, &text, a.context),
        ArtifactKind::Dockerfile => parse::dockerfile::parse(&a.rel, &text, a.context),
        ArtifactKind::Compose => parse::compose::parse(&a.rel, &text, a.context),
        _ => Output::default(),
    };
    for f in &out.facts {
        engine.match_fact(f, &mut r.hits);
    }
    r.diagnostics.extend(out.diagnostics);
    r.markers = crate::analyze::suppress::read_markers(engine.rules, a, &text, &mut r.diagnostics);
    r.kept = out.facts.into_iter().filter(keep).collect();
    r
}

/// Facts needed after matching: runtime hints, the container's shape, and
/// dependencies (for the scopes of lock entries).
fn keep(f: &Fact) -> bool {
    match &f.kind {
        FactKind::Runtime { .. }
        | FactKind::BaseImage { .. }
        | FactKind::OsPackage { .. }
        | FactKind::Dependency(_) => true,
        FactKind::Instruction { instruction, .. } => {
            matches!(
                instruction.as_str(),
                "EXPOSE" | "VOLUME" | "USER" | "ENTRYPOINT" | "CMD"
            )
        }
        _ => false,
    }
}

fn read_text(a: &Artifact, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let bytes = match std::fs::read(&a.path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::new(DiagKind::Unreadable, &a.rel, e.to_string()));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(Diagnostic::new(
                DiagKind::NotUtf8,
                &a.rel,
                format!(
                    "not valid UTF-8 (first bad byte at {}); read with replacement characters",
                    e.utf8_error().valid_up_to()
                ),
            ));
            Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}

fn inventory(
    artifacts: &[Artifact],
    skipped: Vec<String>,
    languages: BTreeMap<String, u64>,
) -> Inventory {
    let mut inv = Inventory {
        skipped,
        languages,
        ..Inventory::default()
    };
    for a in artifacts {
        let key = match a.kind {
            ArtifactKind::Source(l) => format!("source:{}", l.id()),
            ArtifactKind::Manifest(_) => {
                inv.manifests.push(a.rel.clone());
                "manifest".into()
            }
            ArtifactKind::Dockerfile => {
                inv.dockerfiles.push(a.rel.clone());
                "dockerfile".into()
            }
            ArtifactKind::Compose => {
                inv.compose_files.push(a.rel.clone());
                "compose".into()
            }
            ArtifactKind::Binary(f) => {
                inv.binaries.push(a.rel.clone());
                format!(
                    "binary:{}",
                    serde_json::to_value(f)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                )
            }
            ArtifactKind::Wasm => {
                inv.wasm.push(a.rel.clone());
                "wasm".into()
            }
            ArtifactKind::Archive(_) => "archive".into(),
            ArtifactKind::Marker => "marker".into(),
        };
        *inv.kinds.entry(key).or_default() += 1;
    }
    inv
}

/// The service's shape from the shape rules that fired in service context.
fn shape(findings: &[crate::model::finding::Finding]) -> Vec<String> {
    let mut s: Vec<String> = findings
        .iter()
        .filter(|f| f.context.counts() && !f.suppressed)
        .filter(|f| {
            matches!(
                f.capability,
                Capability::HttpServer | Capability::Cli | Capability::Worker
            )
        })
        .map(|f| f.capability.to_string())
        .collect();
    s.sort();
    s.dedup();
    s
}

fn container(kept: &[Fact]) -> Option<Container> {
    let mut c = Container::default();
    let mut any = false;
    for f in kept
        .iter()
        .filter(|f| f.context.counts() || matches!(f.kind, FactKind::BaseImage { .. }))
    {
        match &f.kind {
            FactKind::BaseImage {
                image, is_final, ..
            } => {
                any = true;
                let list = if *is_final && f.context.counts() {
                    &mut c.base_images
                } else {
                    &mut c.build_images
                };
                if !list.contains(image) {
                    list.push(image.clone());
                }
            }
            FactKind::Instruction { instruction, args } => match instruction.as_str() {
                "EXPOSE" => c
                    .exposed
                    .extend(args.split_whitespace().map(str::to_string)),
                "VOLUME" => c.volumes.push(args.clone()),
                "USER" => c.user = Some(args.clone()),
                "ENTRYPOINT" | "CMD" if c.entrypoint.is_none() || instruction == "ENTRYPOINT" => {
                    c.entrypoint = Some(args.clone())
                }
                _ => {}
            },
            FactKind::OsPackage { name, .. } if !c.os_packages.contains(name) => {
                c.os_packages.push(name.clone())
            }
            _ => {}
        }
    }
    any.then_some(c)
}
