//! Code archives: jars and class files (JVM), `.pyc` (CPython) and `.beam`
//! (Erlang/Elixir). They say which runtime the service needs and, read a
//! little further, which platform APIs the code calls
//! (`java/lang/ProcessBuilder.start`, `os:cmd/1`) and which native
//! libraries a jar carries.
//!
//! Modest on purpose: names only, no bytecode analysis. Everything is
//! bounded: entry counts, inflated sizes, and the number of classes read.

mod beam;
mod class;
mod zip;

use crate::model::artifact::CodeArchive;
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Fact, FactKind, Location, RuntimeClue};
use crate::model::runtime::RuntimeId;
use crate::parse::Output;
use std::collections::BTreeMap;
use std::path::Path;

/// Maps the file and reads it.
pub fn parse(path: &Path, rel: &str, kind: CodeArchive, context: Context) -> Output {
    match crate::parse::map_file(path) {
        Ok(map) => parse_bytes(&map, rel, kind, context),
        Err(e) => unreadable(rel, &e.to_string()),
    }
}

fn unreadable(rel: &str, why: &str) -> Output {
    let mut o = Output::default();
    o.diagnostics
        .push(Diagnostic::new(DiagKind::Unreadable, rel, why));
    o
}

/// Reads an archive held in memory (the fuzzers' entry point too).
pub fn parse_bytes(bytes: &[u8], rel: &str, kind: CodeArchive, context: Context) -> Output {
    let mut s = Sink {
        rel,
        context,
        out: Output::default(),
        symbols: BTreeMap::new(),
    };
    match kind {
        CodeArchive::Jar => jar(bytes, &mut s),
        CodeArchive::JvmClass => {
            s.runtime(RuntimeId::Jvm, 1, "JVM class file");
            match class::method_refs(bytes) {
                Ok(refs) => refs.into_iter().for_each(|r| s.symbol(r, rel)),
                Err(e) => s.malformed(&format!("class file: {e}")),
            }
        }
        CodeArchive::Pyc => {
            let v = pyc_version(bytes);
            s.runtime(
                RuntimeId::Python,
                1,
                &format!(
                    "CPython bytecode{}",
                    v.map(|v| format!(" ({v})")).unwrap_or_default()
                ),
            );
        }
        CodeArchive::Beam => {
            s.runtime(RuntimeId::Beam, 1, "BEAM module (Erlang/Elixir bytecode)");
            match beam::imports(bytes) {
                Ok(imports) => imports.into_iter().for_each(|i| s.symbol(i, rel)),
                Err(e) => s.malformed(&format!("BEAM file: {e}")),
            }
        }
    }
    s.finish()
}

/// Collects facts; symbols are deduplicated with a count and first place.
struct Sink<'a> {
    rel: &'a str,
    context: Context,
    out: Output,
    symbols: BTreeMap<String, (usize, String)>,
}

impl Sink<'_> {
    fn runtime(&mut self, id: RuntimeId, weight: u32, why: &str) {
        let at = Location::file(self.rel, why);
        self.out.facts.push(Fact::new(
            FactKind::Runtime {
                clue: RuntimeClue::Id(id),
                weight,
            },
            at,
            self.context,
        ));
    }

    fn symbol(&mut self, name: String, inside: &str) {
        let e = self
            .symbols
            .entry(name)
            .or_insert_with(|| (0, inside.to_string()));
        e.0 += 1;
    }

    fn library(&mut self, entry: &str) {
        let name = entry.rsplit('/').next().unwrap_or(entry).to_string();
        let at = Location {
            library: Some(name.clone()),
            ..Location::file(
                self.rel,
                &format!("native library inside the archive: {entry}"),
            )
        };
        self.out
            .facts
            .push(Fact::new(FactKind::Library { name }, at, self.context));
    }

    fn malformed(&mut self, why: &str) {
        self.out
            .diagnostics
            .push(Diagnostic::new(DiagKind::Malformed, self.rel, why));
    }

    fn finish(mut self) -> Output {
        for (name, (count, first)) in std::mem::take(&mut self.symbols) {
            let more = if count > 1 {
                format!(" (and {} more places)", count - 1)
            } else {
                String::new()
            };
            let snippet = format!("{first} references {name}{more}");
            let at = Location {
                symbol: Some(name.clone()),
                ..Location::file(self.rel, &snippet)
            };
            self.out
                .facts
                .push(Fact::new(FactKind::Symbol { name }, at, self.context));
        }
        self.out
    }
}

/// Classes read per jar, and bytes inflated in all: a fat jar of 30,000
/// classes is read in part rather than stalling the scan.
const MAX_CLASSES: usize = 20_000;
const MAX_INFLATED_TOTAL: u64 = 256 << 20;

fn jar(bytes: &[u8], s: &mut Sink) {
    let entries = match zip::entries(bytes) {
        Ok(e) => e,
        Err(e) => {
            s.malformed(&format!("not a readable zip archive: {e}"));
            return;
        }
    };
    let mut main_class = None;
    let mut classes = 0;
    let mut budget = MAX_INFLATED_TOTAL;
    let mut cut: Vec<&str> = Vec::new();
    for e in &entries {
        let lower = e.name.to_ascii_lowercase();
        if lower.ends_with(".so")
            || lower.contains(".so.")
            || lower.ends_with(".dll")
            || lower.ends_with(".dylib")
            || lower.ends_with(".jnilib")
        {
            s.library(&e.name);
        } else if e.name == "META-INF/MANIFEST.MF" {
            if let Ok(m) = zip::read(bytes, e, &mut budget) {
                main_class = String::from_utf8_lossy(&m)
                    .lines()
                    .find_map(|l| l.strip_prefix("Main-Class:").map(|c| c.trim().to_string()));
            }
        } else if lower.ends_with(".class") && classes < MAX_CLASSES {
            classes += 1;
            if e.is_cut() {
                // Read in part, which a class file cannot be: said once
                // per jar with a count, so the gap is visible.
                cut.push(&e.name);
                continue;
            }
            match zip::read(bytes, e, &mut budget) {
                Ok(data) => {
                    if let Ok(refs) = class::method_refs(&data) {
                        let inside = format!("{}!{}", s.rel, e.name);
                        refs.into_iter().for_each(|r| s.symbol(r, &inside));
                    }
                }
                Err(zip::Error::Budget) => {
                    s.malformed(
                        "jar inflates past the read budget; the remaining classes were not read",
                    );
                    break;
                }
                Err(_) => {}
            }
        }
    }
    if let Some(first) = cut.first() {
        s.malformed(&format!(
            "{} class entries are larger than {} bytes and were not read (first: {})",
            cut.len(),
            zip::MAX_ENTRY,
            crate::model::fact::clip(first)
        ));
    }
    if classes >= MAX_CLASSES {
        s.malformed(&format!(
            "more than {MAX_CLASSES} classes; only the first {MAX_CLASSES} were read"
        ));
    }
    // A runnable jar is the service; a library jar only hints at the JVM.
    match main_class {
        Some(c) => s.runtime(
            RuntimeId::Jvm,
            15,
            &format!("runnable jar (Main-Class: {c})"),
        ),
        None => s.runtime(RuntimeId::Jvm, 5, "Java archive"),
    }
}

/// CPython's magic number names the version (3.8 = 3413 ... 3.13 = 3571).
fn pyc_version(b: &[u8]) -> Option<&'static str> {
    let m = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    if b.get(2..4)? != b"\r\n" {
        return None;
    }
    Some(match m {
        3400..=3413 => "Python 3.8",
        3420..=3425 => "Python 3.9",
        3430..=3439 => "Python 3.10",
        3450..=3495 => "Python 3.11",
        3500..=3531 => "Python 3.12",
        3550..=3571 => "Python 3.13",
        3600..=3699 => "Python 3.14",
        _ => "Python",
    })
}

/// Entry points for the fuzz targets in `fuzz/`.
#[doc(hidden)]
pub mod fuzzing {
    pub fn zip(bytes: &[u8]) -> usize {
        let Ok(entries) = super::zip::entries(bytes) else {
            return 0;
        };
        let mut budget = 64 << 20;
        entries
            .iter()
            .take(64)
            .filter_map(|e| super::zip::read(bytes, e, &mut budget).ok())
            .count()
    }
}
