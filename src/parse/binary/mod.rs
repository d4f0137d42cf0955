//! Native binaries (ELF, PE, Mach-O): what a compiled artefact imports,
//! needs, names and calls, read from the bytes that actually ship.
//!
//! Source can lie about what a service does; the binary cannot. Each format
//! front end (`elf`, `pe`, `macho`) turns the file into one neutral
//! [`native::Native`] view; everything after that (strings, syscall sites,
//! Go and Rust metadata, runtime classification, the facts) is shared.
//! The file is untrusted: every offset is checked, every count is capped,
//! and a broken file is a `Malformed` diagnostic, never a panic.

mod analyze;
mod arm64;
mod elf;
mod emit;
mod gobuild;
mod gopcln;
pub mod info;
mod macho;
pub mod native;
mod pe;
mod rust;
mod sites;
mod strings;
pub mod syscalls;
mod x86;

use crate::artifact::{Artifact, ArtifactKind, BinaryFormat};
use crate::context::Context;
use crate::diag::{DiagKind, Diagnostic};
use crate::parse::Output;
use info::BinaryInfo;
use std::path::Path;

pub use native::LinkInfo;

/// What the linker post-pass and the report need from one binary, beyond
/// its facts.
#[derive(Clone, Debug, Default)]
pub struct Binary {
    pub info: BinaryInfo,
    pub link: LinkInfo,
}

/// Everything learned from one compiled artefact.
#[derive(Debug, Default)]
pub struct Analysis {
    pub output: Output,
    pub binary: Option<Binary>,
}

/// Memory-maps and analyses one binary, as the scan pipeline calls it.
pub fn parse(path: &Path, rel: &str, format: BinaryFormat, context: Context) -> Output {
    analyze_file(path, rel, format, context).output
}

/// Analyses an artefact of a compiled kind (a native binary or a code
/// archive); `None` for kinds other analysers own (Wasm, text).
pub fn analyze(a: &Artifact) -> Option<Analysis> {
    match a.kind {
        ArtifactKind::Binary(format) => Some(analyze_file(&a.path, &a.rel, format, a.context)),
        ArtifactKind::Archive(kind) => Some(Analysis {
            output: crate::parse::archive::parse(&a.path, &a.rel, kind, a.context),
            binary: None,
        }),
        _ => None,
    }
}

/// Maps the file once and hands the bytes to [`parse_bytes`].
pub fn analyze_file(path: &Path, rel: &str, format: BinaryFormat, context: Context) -> Analysis {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return unreadable(rel, &e.to_string()),
    };
    // SAFETY: the map is read-only and private; wasmfit never writes the
    // file. A file truncated by someone else while mapped could fault, which
    // is the accepted trade-off of memory-mapping (ripgrep makes the same
    // one); every read below is bounds-checked against the map's length.
    let map = match unsafe { memmap2::Mmap::map(&file) } {
        Ok(m) => m,
        // Empty files cannot be mapped; they are simply not binaries.
        Err(e) => return unreadable(rel, &e.to_string()),
    };
    parse_bytes(&map, rel, format, context)
}

fn unreadable(rel: &str, why: &str) -> Analysis {
    let mut a = Analysis::default();
    a.output.diagnostics.push(Diagnostic::new(DiagKind::Unreadable, rel, why));
    a
}

/// Analyses a binary held in memory. The mmap path and the fuzzers both
/// come through here, so what the fuzzers exercise is what scans run.
pub fn parse_bytes(bytes: &[u8], rel: &str, format: BinaryFormat, context: Context) -> Analysis {
    // Third-party parsers have had panics on hostile input; one broken file
    // must cost a diagnostic, not the scan. The fuzz targets look for these.
    let run = std::panic::AssertUnwindSafe(|| analyze::run(bytes, rel, format, context));
    match std::panic::catch_unwind(run) {
        Ok(a) => a,
        Err(_) => {
            let mut a = Analysis::default();
            a.output.diagnostics.push(Diagnostic::new(
                DiagKind::Malformed,
                rel,
                "binary parser failed on this file (internal error); it was skipped",
            ));
            a
        }
    }
}
