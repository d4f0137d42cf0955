//! What is known about one binary once it has been read: its native
//! description, Go and Rust build data, strings, syscall sites, and its
//! functions by address. The fact emitter and the attribution of sites to
//! the service or its runtime both read this, and nothing else.

use super::gobuild::BuildInfo;
use super::native::Native;
use super::rust::{self, AuditPackage};
use super::sites::Sites;
use super::strings::Strings;
use crate::model::context::Context;
use crate::model::runtime::BinaryKnowledge;

/// Everything known about one binary when facts are made.
pub struct Known<'a> {
    pub rel: &'a str,
    /// What the Go and Rust runtimes do on their own behalf (rules data).
    pub knowledge: &'a BinaryKnowledge,
    pub context: Context,
    pub native: &'a Native,
    pub go: Option<&'a BuildInfo>,
    pub pcln: Option<&'a [(u64, String)]>,
    pub audit: Option<&'a [AuditPackage]>,
    pub strings: &'a Strings,
    pub sites: &'a Sites,
    pub funcs: &'a FuncIndex,
    pub is_go: bool,
    pub is_rust: bool,
}

/// Function starts and names by address: Go's pclntab, else the symbol
/// table (Rust names demangled).
pub struct FuncIndex {
    entries: Vec<(u64, u64, String)>,
}

impl FuncIndex {
    pub fn new(n: &Native, pcln: Option<&[(u64, String)]>, is_rust: bool) -> FuncIndex {
        let entries = match pcln {
            // pclntab has no sizes: a function ends where the next begins.
            Some(p) => p
                .iter()
                .enumerate()
                .map(|(i, (a, name))| {
                    (
                        *a,
                        p.get(i + 1).map_or(u64::MAX, |x| x.0).saturating_sub(*a),
                        name.clone(),
                    )
                })
                .collect(),
            None => n
                .funcs
                .iter()
                .map(|f| {
                    let name = if is_rust {
                        rust::demangle(&f.name).unwrap_or_else(|| f.name.clone())
                    } else {
                        f.name.clone()
                    };
                    (f.addr, f.size, name)
                })
                .collect(),
        };
        FuncIndex { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.2.as_str())
    }

    /// The function containing `addr`: its start and name.
    pub fn at(&self, addr: u64) -> Option<(u64, &str)> {
        let i = self.entries.partition_point(|e| e.0 <= addr);
        let (start, size, name) = self.entries.get(i.checked_sub(1)?)?;
        (addr < start.saturating_add((*size).max(1)) || *size == 0)
            .then_some((*start, name.as_str()))
    }
}
