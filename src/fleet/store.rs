//! A fleet directory on disk: `manifest.json`, `reports/NAME.json`,
//! `entries/NAME.json`. Every file is written to a temporary name and
//! renamed, so a run stopped at any moment leaves whole files only.
//!
//! A fleet directory is read like any scanned input: untrusted. Names are
//! checked before they become paths, and files are read with a size bound.

use super::{Entry, Manifest, FORMAT, FORMAT_VERSION};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "manifest.json";
const REPORTS: &str = "reports";
const ENTRIES: &str = "entries";
/// A manifest or report larger than this is refused, not read.
const MAX_FILE: u64 = 256 << 20;

pub struct FleetDir {
    pub root: PathBuf,
}

impl FleetDir {
    /// Opens `dir` for a scan: creates it, or resumes the fleet in it. A
    /// directory that holds other things, or a manifest that is not a
    /// fleet's, is refused.
    pub fn create_or_resume(dir: &Path) -> Result<(FleetDir, Option<Manifest>), String> {
        match std::fs::metadata(dir) {
            Err(_) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
            }
            Ok(m) if !m.is_dir() => {
                return Err(format!("{}: --out must be a directory", dir.display()))
            }
            Ok(_) => {}
        }
        let fleet = FleetDir {
            root: dir.to_path_buf(),
        };
        if dir.join(MANIFEST).exists() {
            let m = fleet.manifest()?;
            return Ok((fleet, Some(m)));
        }
        let mut others = std::fs::read_dir(dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != REPORTS && n != ENTRIES);
        if let Some(n) = others.next() {
            return Err(format!(
                "{}: not a wasmfit fleet directory (it holds {n:?} and no {MANIFEST}); give an empty or new directory",
                dir.display()
            ));
        }
        Ok((fleet, None))
    }

    /// Opens an existing fleet directory for reading.
    pub fn open(dir: &Path) -> Result<(FleetDir, Manifest), String> {
        let fleet = FleetDir {
            root: dir.to_path_buf(),
        };
        let m = fleet.manifest()?;
        Ok((fleet, m))
    }

    /// Reads and checks `manifest.json`.
    pub fn manifest(&self) -> Result<Manifest, String> {
        let p = self.root.join(MANIFEST);
        let bytes = read_bounded(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        #[derive(serde::Deserialize)]
        struct Probe {
            format: Option<String>,
            format_version: Option<u32>,
        }
        let not_ours = || {
            format!(
                "{}: not a wasmfit fleet manifest (written by something else?)",
                p.display()
            )
        };
        let probe: Probe = serde_json::from_slice(&bytes).map_err(|_| not_ours())?;
        if probe.format.as_deref() != Some(FORMAT) {
            return Err(not_ours());
        }
        if probe.format_version != Some(FORMAT_VERSION) {
            return Err(format!(
                "{}: fleet format version {} is not the one this wasmfit reads ({FORMAT_VERSION})",
                p.display(),
                probe
                    .format_version
                    .map_or("(none)".into(), |v| v.to_string())
            ));
        }
        let m: Manifest = serde_json::from_slice(&bytes)
            .map_err(|e| format!("{}: broken fleet manifest: {e}", p.display()))?;
        for e in &m.services {
            check_name(&e.name).map_err(|why| format!("{}: {why}", p.display()))?;
        }
        Ok(m)
    }

    pub fn write_manifest(&self, m: &Manifest) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(m)?;
        write_atomic(&self.root.join(MANIFEST), &with_newline(text))
    }

    /// Where a service's report lives, relative to the directory.
    pub fn report_rel(name: &str) -> String {
        format!("{REPORTS}/{name}.json")
    }

    pub fn write_report(&self, name: &str, bytes: &[u8]) -> std::io::Result<String> {
        let rel = Self::report_rel(name);
        std::fs::create_dir_all(self.root.join(REPORTS))?;
        write_atomic(&self.root.join(&rel), bytes)?;
        Ok(rel)
    }

    /// The report's bytes, when the service has one.
    pub fn report_bytes(&self, name: &str) -> std::io::Result<Vec<u8>> {
        check_name(name).map_err(std::io::Error::other)?;
        read_bounded(&self.root.join(Self::report_rel(name)))
    }

    pub fn write_entry(&self, e: &Entry) -> std::io::Result<()> {
        std::fs::create_dir_all(self.root.join(ENTRIES))?;
        let text = serde_json::to_vec_pretty(e)?;
        write_atomic(
            &self.root.join(ENTRIES).join(format!("{}.json", e.name)),
            &with_newline(text),
        )
    }

    /// A service's entry from an earlier run, if one was written whole.
    pub fn entry(&self, name: &str) -> Option<Entry> {
        check_name(name).ok()?;
        let bytes = read_bounded(&self.root.join(ENTRIES).join(format!("{name}.json"))).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Every entry written so far, by name: what a stopped run finished.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out: Vec<Entry> = std::fs::read_dir(self.root.join(ENTRIES))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|d| {
                let n = d.file_name().to_string_lossy().into_owned();
                self.entry(n.strip_suffix(".json")?)
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// A service name is a file name: no separators, no `..`, no hidden file.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!("service name {name:?} is not a plain file name"))
    }
}

fn with_newline(mut v: Vec<u8>) -> Vec<u8> {
    v.push(b'\n');
    v
}

/// Writes to a temporary file beside `path`, then renames it into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".wasmfit-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_data()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Reads a regular file (not a symlink) of bounded size.
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let m = std::fs::symlink_metadata(path)?;
    if !m.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if m.len() > MAX_FILE {
        return Err(std::io::Error::other(format!(
            "{} bytes, over the {} MiB a fleet file may have",
            m.len(),
            MAX_FILE >> 20
        )));
    }
    std::fs::read(path)
}
