//! `fleet merge`: the directories of several shards (or runs) joined into
//! one fleet directory, reports copied byte for byte.
//!
//! Reports judged by different wasmfit versions or rules do not compare,
//! so a merge of them is refused unless asked for; reports of different
//! report schema majors are refused always. Two directories naming the same
//! service for different inputs mean their workers were given different
//! input lists: refused, since one report would silently replace another.

use super::store::FleetDir;
use super::{Counts, Entry, Manifest, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a merge produced, and what the user should know about it.
pub struct Merged {
    pub manifest: Manifest,
    pub warnings: Vec<String>,
}

pub fn merge(sources: &[PathBuf], out: &Path, allow_mixed: bool) -> Result<Merged, String> {
    if sources.is_empty() {
        return Err("fleet merge: give at least one fleet directory".into());
    }
    let mut warnings = Vec::new();
    let mut opened: Vec<(FleetDir, Manifest, Vec<Entry>)> = Vec::new();
    for s in sources {
        let (dir, m) = FleetDir::open(s)?;
        let entries = if m.finished.is_some() {
            m.services.clone()
        } else {
            warnings.push(format!(
                "{}: its run did not finish; merging the services it completed",
                s.display()
            ));
            dir.entries()
        };
        opened.push((dir, m, entries));
    }
    let first = opened[0].1.tool.clone();
    let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
    for (d, m, _) in &opened[1..] {
        if major(&m.tool.schema_version) != major(&first.schema_version) {
            return Err(format!(
                "{}: report schema {} cannot be merged with schema {} of {}",
                d.root.display(),
                m.tool.schema_version,
                first.schema_version,
                opened[0].0.root.display()
            ));
        }
        if m.tool != first && !allow_mixed {
            return Err(format!(
                "{}: written by {}, but {} by {}; merging reports judged differently is refused (--allow-mixed to merge anyway)",
                d.root.display(),
                m.tool.label(),
                opened[0].0.root.display(),
                first.label()
            ));
        }
    }
    if out.exists()
        && std::fs::read_dir(out)
            .map_err(|e| format!("{}: {e}", out.display()))?
            .next()
            .is_some()
    {
        return Err(format!(
            "{}: merge into a new or empty directory",
            out.display()
        ));
    }
    let (target, _) = FleetDir::create_or_resume(out)?;

    let mut by_name: BTreeMap<String, (Entry, PathBuf)> = BTreeMap::new();
    let mut duplicates = Vec::new();
    let mut shards = Vec::new();
    let mut started = opened[0].1.started.clone();
    for (dir, m, entries) in &opened {
        shards.extend(m.shards.iter().copied());
        duplicates.extend(m.duplicates.iter().cloned());
        started = started.min(m.started.clone());
        for e in entries {
            if let Some((other, from)) = by_name.get(&e.name) {
                if other.key != e.key {
                    return Err(format!(
                        "{}: service {} is {} there but {} in {}: were the workers given the same inputs?",
                        dir.root.display(),
                        e.name,
                        e.key,
                        other.key,
                        from.display()
                    ));
                }
                // The same input twice (a shard run again elsewhere): a
                // successful scan wins over a failure.
                if other.status != Status::Failed || e.status == Status::Failed {
                    continue;
                }
            }
            let mut e = e.clone();
            if e.status != Status::Failed {
                match dir.report_bytes(&e.name) {
                    Ok(bytes)
                        if e.report_sha256.as_deref()
                            == Some(super::hash::bytes(&bytes).as_str()) =>
                    {
                        target
                            .write_report(&e.name, &bytes)
                            .map_err(|x| format!("{}: {x}", out.display()))?;
                    }
                    Ok(_) => fail(&mut e, "its report changed after the scan"),
                    Err(x) => fail(&mut e, &format!("its report cannot be read: {x}")),
                }
            }
            by_name.insert(e.name.clone(), (e, dir.root.clone()));
        }
    }
    shards.sort();
    shards.dedup();
    let missing_shards = missing(&shards);
    if !missing_shards.is_empty() {
        warnings.push(format!(
            "shards {} of {} are missing: the fleet is incomplete",
            missing_shards
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            shards[0].count
        ));
    }
    let services: Vec<Entry> = by_name.into_values().map(|(e, _)| e).collect();
    for e in &services {
        target
            .write_entry(e)
            .map_err(|x| format!("{}: {x}", out.display()))?;
    }
    let manifest = Manifest {
        format: super::FORMAT.into(),
        format_version: super::FORMAT_VERSION,
        tool: first,
        started,
        finished: Some(super::time::now()),
        shards,
        missing_shards,
        counts: Counts::of(&services),
        services,
        duplicates,
    };
    target
        .write_manifest(&manifest)
        .map_err(|x| format!("{}: {x}", out.display()))?;
    Ok(Merged { manifest, warnings })
}

fn fail(e: &mut Entry, why: &str) {
    e.status = Status::Failed;
    e.error = Some(format!("merge: {why}"));
    e.report = None;
    e.report_sha256 = None;
    e.verdict = None;
    e.score = None;
}

/// Shard indexes absent when every shard has the same count.
fn missing(shards: &[super::Shard]) -> Vec<u32> {
    let Some(n) = shards.first().map(|s| s.count) else {
        return Vec::new();
    };
    if shards.iter().any(|s| s.count != n) {
        return Vec::new();
    }
    (0..n)
        .filter(|i| !shards.iter().any(|s| s.index == *i))
        .collect()
}
