//! `fleet scan`: every input scanned with the normal engine, in parallel,
//! each report and entry written the moment its scan ends.
//!
//! A service whose entry says it was scanned from the same content, with
//! the same wasmfit and rules, and whose report is still the file the
//! entry names (same SHA-256), is reused instead of scanned again. A scan
//! that fails, or panics, is an entry with `status: failed` and the
//! reason: never a silent gap, and never the end of the run.

use super::hash;
use super::inputs::{Expanded, Input};
use super::store::FleetDir;
use super::{Counts, Entry, InputKind, Manifest, RulesInfo, Shard, Status, ToolInfo};
use crate::analyze::matcher::Engine;
use crate::model::Report;
use crate::report::Renderer;
use crate::rules::RuleSet;
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

/// How a fleet is scanned.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The scan options every service starts from; a service's own
    /// `wasmfit.toml` adds its excludes and suppressions.
    pub scan: crate::scan::Options,
    /// `--rules` directories.
    pub rule_dirs: Vec<PathBuf>,
    /// The options that change what a scan concludes, as text: part of
    /// the settings digest.
    pub options_label: String,
    /// Services scanned at once (0: one per core).
    pub jobs: usize,
    pub shard: Option<Shard>,
    /// Scan again even what is unchanged.
    pub rescan: bool,
}

/// The tool and rules a run stamps on every entry.
pub fn tool_info(rules: &RuleSet, settings: &Settings) -> ToolInfo {
    ToolInfo {
        name: "wasmfit".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        schema_version: crate::model::report::SCHEMA_VERSION.into(),
        rules: RulesInfo {
            count: rules.rules.len(),
            digest: hash::settings(&settings.rule_dirs, &settings.options_label),
        },
    }
}

/// Called after each service with its entry, the number done and the total.
pub type Progress<'a> = &'a (dyn Fn(&Entry, usize, usize) + Sync);

/// Scans the inputs into `fleet` and writes its manifest.
pub fn run(
    inputs: Expanded,
    fleet: &FleetDir,
    rules: &RuleSet,
    settings: &Settings,
    progress: Progress,
) -> std::io::Result<Manifest> {
    let tool = tool_info(rules, settings);
    let started = super::time::now();
    let mut manifest = Manifest {
        format: super::FORMAT.into(),
        format_version: super::FORMAT_VERSION,
        tool: tool.clone(),
        started,
        finished: None,
        shards: settings.shard.into_iter().collect(),
        missing_shards: Vec::new(),
        counts: Counts::default(),
        // Until this run ends, the manifest lists what earlier runs left.
        services: fleet.entries(),
        duplicates: inputs.duplicates.clone(),
    };
    manifest.counts = Counts::of(&manifest.services);
    fleet.write_manifest(&manifest)?;

    let engine = Engine::new(rules);
    let total = inputs.inputs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(settings.jobs)
        .build()
        .map_err(std::io::Error::other)?;
    let work = |input: &Input| {
        let entry = one(input, fleet, &engine, settings, &tool);
        // A failed write of the entry leaves the report unindexed: the
        // next run scans the service again.
        let _ = fleet.write_entry(&entry);
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(&entry, n, total);
        entry
    };
    let mut entries: Vec<Entry> =
        pool.install(|| inputs.inputs.par_iter().with_max_len(1).map(work).collect());
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    manifest.counts = Counts::of(&entries);
    manifest.services = entries;
    manifest.finished = Some(super::time::now());
    fleet.write_manifest(&manifest)?;
    Ok(manifest)
}

/// One service: reused, scanned or failed.
fn one(
    input: &Input,
    fleet: &FleetDir,
    engine: &Engine,
    settings: &Settings,
    tool: &ToolInfo,
) -> Entry {
    let mut entry = Entry {
        name: input.name.clone(),
        input: input.path.display().to_string(),
        given_at: input.given_at.clone(),
        kind: input.kind,
        key: input.key.clone(),
        content_hash: None,
        commit: None,
        status: Status::Failed,
        error: None,
        report: None,
        report_sha256: None,
        verdict: None,
        score: None,
        scanned_at: super::time::now(),
        elapsed_ms: 0,
        tool: tool.clone(),
    };
    if let Some(p) = &input.problem {
        entry.error = Some(p.clone());
        return entry;
    }
    if input.kind == InputKind::Git {
        entry.commit = hash::git_commit(&input.path);
    }
    let content = match hash::content(&input.path, &tool.rules.digest) {
        Ok(h) => h,
        Err(e) => {
            entry.error = Some(format!("{}: cannot read: {e}", input.path.display()));
            return entry;
        }
    };
    entry.content_hash = Some(content.clone());
    if !settings.rescan {
        if let Some(old) = reusable(fleet, input, &content, tool) {
            return Entry {
                status: Status::Reused,
                given_at: entry.given_at,
                input: entry.input,
                commit: entry.commit,
                ..old
            };
        }
    }
    let started = Instant::now();
    // A panic in the engine is a bug in wasmfit; it fails this service,
    // not the fleet.
    let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scan(input, engine, settings)
    }))
    .unwrap_or_else(|p| {
        let why = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!("internal error (please report): {why}"))
    });
    entry.elapsed_ms = started.elapsed().as_millis() as u64;
    entry.scanned_at = super::time::now();
    let report = match scanned {
        Ok(r) => r,
        Err(e) => {
            entry.error = Some(e);
            return entry;
        }
    };
    let bytes = match crate::report::json::Json.to_string(&report) {
        Ok(t) => t.into_bytes(),
        Err(e) => {
            entry.error = Some(format!("cannot write the report: {e}"));
            return entry;
        }
    };
    match fleet.write_report(&input.name, &bytes) {
        Ok(rel) => {
            entry.status = Status::Scanned;
            entry.report = Some(rel);
            entry.report_sha256 = Some(hash::bytes(&bytes));
            entry.verdict = Some(report.verdict);
            entry.score = Some(report.score);
        }
        Err(e) => entry.error = Some(format!("cannot write the report: {e}")),
    }
    entry
}

/// The earlier entry, when its report can stand for this input.
fn reusable(fleet: &FleetDir, input: &Input, content: &str, tool: &ToolInfo) -> Option<Entry> {
    let old = fleet.entry(&input.name)?;
    let same = matches!(old.status, Status::Scanned | Status::Reused)
        && old.key == input.key
        && old.content_hash.as_deref() == Some(content)
        && &old.tool == tool;
    if !same {
        return None;
    }
    let bytes = fleet.report_bytes(&input.name).ok()?;
    (old.report_sha256.as_deref() == Some(hash::bytes(&bytes).as_str())).then_some(old)
}

/// Scans one input as `wasmfit scan -f json` would, with the service's
/// own `wasmfit.toml`; the wall time moves to the entry.
fn scan(input: &Input, engine: &Engine, settings: &Settings) -> Result<Report, String> {
    let noop = |_: usize, _: usize| {};
    let mut report = if input.kind == InputKind::Image {
        crate::image::scan(
            &crate::image::Input::Path(input.path.clone()),
            &settings.scan,
            engine.rules,
            crate::image::Limits::default(),
            &noop,
        )
        .map_err(|e| format!("image {}: {e}", input.path.display()))
        .map(|mut r| {
            r.plan = crate::plan::for_report(&r, engine.rules);
            r
        })?
    } else {
        let config = crate::config::Config::find(&input.path, None).map_err(|e| e.to_string())?;
        let mut opts = settings.scan.clone();
        // The service's excludes first, then the fleet's, as `scan` orders them.
        let fleet_wide = std::mem::take(&mut opts.discover.exclude);
        opts.discover.exclude = config.exclude.iter().cloned().chain(fleet_wide).collect();
        opts.suppress = config.suppress.clone();
        let fail = |e: std::io::Error| format!("{}: {e}", input.path.display());
        let report = if config.file.is_some() {
            // The service's config may add rule directories, re-grade or
            // switch off rules: its own rule set.
            let dirs: Vec<PathBuf> = config
                .rule_dirs
                .iter()
                .chain(&settings.rule_dirs)
                .cloned()
                .collect();
            let mut rules = RuleSet::load(&dirs).map_err(|e| e.to_string())?;
            config.apply(&mut rules).map_err(|e| e.to_string())?;
            let mut r = crate::scan::scan(&input.path, &opts, &rules, &noop).map_err(fail)?;
            r.repository = crate::input::repo::locate(&input.path);
            r.target = Some(config.target);
            r.plan = crate::plan::for_report(&r, &rules);
            r
        } else {
            let mut r = crate::scan::scan_with(&input.path, &opts, engine, &noop).map_err(fail)?;
            r.repository = crate::input::repo::locate(&input.path);
            r.target = Some(config.target);
            r.plan = crate::plan::for_report(&r, engine.rules);
            r
        };
        report
    };
    report.summary.elapsed_ms = 0;
    Ok(report)
}
