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
pub mod optional_imports;
pub mod platform_gates;
pub mod rust_paths;
pub mod shell_exec;
pub mod source;
pub mod source_sites;
pub mod switches;
pub mod wasm;

use crate::model::diag::Diagnostic;

/// A byte of an identifier in the languages read here: an ASCII letter, a
/// digit or `_`.
pub(crate) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The words of `s`: its runs of identifier bytes (`is_ident_byte`).
pub(crate) fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii() || !is_ident_byte(c as u8))
        .filter(|w| !w.is_empty())
}

/// Whether a word of `line` is one of `names`, ignoring ASCII case (the
/// evidence `self.observer.schedule(` names the `Observer` an import bound).
pub(crate) fn names_any(line: &str, names: &[String]) -> bool {
    words(line).any(|w| names.iter().any(|n| w.eq_ignore_ascii_case(n)))
}

/// The identifier `s` starts with (not a number).
pub(crate) fn leading_ident(s: &str) -> Option<&str> {
    let end = s.bytes().position(|b| !is_ident_byte(b)).unwrap_or(s.len());
    let id = &s[..end];
    (!id.is_empty() && !id.as_bytes()[0].is_ascii_digit()).then_some(id)
}

/// Where the `{...}` block whose `{` ends just before `from` ends: just
/// past its `}`, or `limit` when it does not close before that. Strings
/// and comments are blank in a code view, so their braces do not count.
pub(crate) fn block_end(b: &[u8], from: usize, limit: usize) -> usize {
    let limit = limit.min(b.len());
    let mut depth = 1usize;
    let mut j = from;
    while j < limit && depth > 0 {
        match b[j] {
            b'{' => depth += 1,
            b'}' => depth -= 1,
            _ => {}
        }
        j += 1;
    }
    j
}
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
