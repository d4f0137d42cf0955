//! Diagnostics: things that went wrong with one input while the scan went on.
//!
//! Everything scanned is untrusted, so an unreadable, oversized or malformed
//! file is a value in the report, never an abort and never a panic.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DiagKind {
    /// The file could not be read (permissions, I/O error).
    Unreadable,
    /// Larger than the per-file limit; not read.
    TooLarge,
    /// Not valid UTF-8 where text was expected; read lossily.
    NotUtf8,
    /// The file's format is broken; what could be read was used.
    Malformed,
    /// A symlink that was not followed.
    Symlink,
    /// A directory that was skipped by default (vendored trees, build output).
    Skipped,
    /// Anything else worth knowing about coverage.
    Note,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Diagnostic {
    pub kind: DiagKind,
    pub path: String,
    pub message: String,
}

impl Diagnostic {
    pub fn new(kind: DiagKind, path: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            kind,
            path: path.into(),
            message: message.into(),
        }
    }
}
