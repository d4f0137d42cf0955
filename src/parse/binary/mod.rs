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
mod attrib;
mod callsite;
mod elf;
mod emit;
mod gobuild;
mod gopcln;
mod known;
mod macho;
pub mod native;
mod pe;
mod rust;
mod sites;
mod strings;
pub mod syscalls;
mod x86;

use crate::model::artifact::{Artifact, ArtifactKind, BinaryFormat};
use crate::model::binary::BinaryInfo;
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
pub use crate::model::runtime::BinaryKnowledge;
use crate::parse::Output;
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
pub fn parse(
    path: &Path,
    rel: &str,
    format: BinaryFormat,
    context: Context,
    knowledge: &BinaryKnowledge,
) -> Output {
    analyze_file(path, rel, format, context, knowledge).output
}

/// Analyses an artefact of a compiled kind (a native binary or a code
/// archive); `None` for kinds other analysers own (Wasm, text).
pub fn analyze(a: &Artifact, knowledge: &BinaryKnowledge) -> Option<Analysis> {
    match a.kind {
        ArtifactKind::Binary(format) => {
            Some(analyze_file(&a.path, &a.rel, format, a.context, knowledge))
        }
        ArtifactKind::Archive(kind) => Some(Analysis {
            output: crate::parse::archive::parse(&a.path, &a.rel, kind, a.context),
            binary: None,
        }),
        _ => None,
    }
}

/// Maps the file once and hands the bytes to [`parse_bytes`].
pub fn analyze_file(
    path: &Path,
    rel: &str,
    format: BinaryFormat,
    context: Context,
    knowledge: &BinaryKnowledge,
) -> Analysis {
    match crate::parse::map_file(path) {
        Ok(map) => parse_bytes(&map, rel, format, context, knowledge),
        Err(e) => unreadable(rel, &e.to_string()),
    }
}

fn unreadable(rel: &str, why: &str) -> Analysis {
    let mut a = Analysis::default();
    a.output
        .diagnostics
        .push(Diagnostic::new(DiagKind::Unreadable, rel, why));
    a
}

/// Analyses a binary held in memory. The mmap path and the fuzzers both
/// come through here, so what the fuzzers exercise is what scans run.
pub fn parse_bytes(
    bytes: &[u8],
    rel: &str,
    format: BinaryFormat,
    context: Context,
    knowledge: &BinaryKnowledge,
) -> Analysis {
    // Third-party parsers have had panics on hostile input; one broken file
    // must cost a diagnostic, not the scan. The fuzz targets look for these.
    let run = std::panic::AssertUnwindSafe(|| analyze::run(bytes, rel, format, context, knowledge));
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

/// Entry points for the fuzz targets in `fuzz/`: the same parsers the
/// scan runs, without the panic guard (a panic must reach the fuzzer), and
/// the inner parsers reachable directly with arbitrary bytes.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    pub fn binary(bytes: &[u8], format: BinaryFormat) -> usize {
        // Parsing robustness does not depend on the runtime lists.
        analyze::run(
            bytes,
            "fuzz",
            format,
            Context::Service,
            &BinaryKnowledge::default(),
        )
        .output
        .facts
        .len()
    }

    pub fn go_pclntab(bytes: &[u8]) -> usize {
        gopcln::parse(bytes, Some(0x40_1000)).map_or(0, |v| v.len())
    }

    pub fn go_buildinfo(bytes: &[u8]) -> usize {
        let n = native::Native::default();
        gobuild::read(bytes, &n).map_or(0, |b| b.deps.len())
    }

    pub fn strings(bytes: &[u8]) -> usize {
        strings::scan(bytes, &native::Native::default())
            .libraries
            .len()
    }

    pub fn cargo_auditable(bytes: &[u8]) -> usize {
        let n = native::Native {
            sections: vec![native::Section {
                name: ".dep-v0".into(),
                offset: 0,
                size: bytes.len(),
                ..native::Section::default()
            }],
            ..native::Native::default()
        };
        rust::auditable(bytes, &n)
            .and_then(Result::ok)
            .map_or(0, |p| p.len())
    }

    /// Machine code: syscall sites and calls to a few pretend targets
    /// inside the buffer, on both instruction sets.
    pub fn code(bytes: &[u8]) -> usize {
        let base = 0x1000;
        let mut t = callsite::Targets::default();
        let len = bytes.len() as u64;
        t.add(
            callsite::Target {
                name: "syscall".into(),
                args: &[0],
                go_abi: false,
            },
            Some(base + len / 2),
            Some(base + len / 3),
        );
        t.add(
            callsite::Target {
                name: "socket".into(),
                args: &[0, 1],
                go_abi: false,
            },
            Some(base + len / 4),
            None,
        );
        t.add(
            callsite::Target {
                name: "syscall.Syscall".into(),
                args: &[0],
                go_abi: true,
            },
            Some(base + len / 5),
            Some(base + 8),
        );
        let starts = |a: u64| (a > base + 64).then(|| a - 64);
        x86::raw_sites(bytes, base, &starts).len()
            + x86::call_sites(bytes, base, &t, &starts).len()
            + x86::direct_calls(bytes, base).len()
            + arm64::raw_sites(bytes, base).len()
            + arm64::call_sites(bytes, base, &t).len()
    }
}
