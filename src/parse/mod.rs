//! Parsers: one per artefact kind, each turning bytes into `Fact`s.
//!
//! A parser never decides what is good or bad for Wasm; that is the rules'
//! job. It only says what is there, where, and what it could not read.

pub mod archive;
pub mod binary;
pub mod calls;
pub mod cli_commands;
pub mod compose;
pub mod dockerfile;
pub mod go_names;
pub mod lex;
pub mod line_start;
pub mod manifest;
pub mod rust_paths;
pub mod shell_exec;
pub mod source;
pub mod source_sites;
pub mod switches;
pub mod wasm;

use crate::model::diag::Diagnostic;
use crate::model::fact::Fact;

/// What one parser produced for one file.
#[derive(Debug, Default)]
pub struct Output {
    pub facts: Vec<Fact>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Memory-maps a file read-only, for the binary parsers: big binaries are
/// read in place, never copied.
pub fn map_file(path: &std::path::Path) -> std::io::Result<memmap2::Mmap> {
    let file = std::fs::File::open(path)?;
    // SAFETY: the map is read-only and private; wasmfit never writes the
    // file. A file truncated by someone else while mapped could fault, which
    // is the accepted trade-off of memory-mapping (ripgrep makes the same
    // one); every read of the map is bounds-checked against its length.
    // Empty files cannot be mapped; they are simply not binaries.
    unsafe { memmap2::Mmap::map(&file) }
}
