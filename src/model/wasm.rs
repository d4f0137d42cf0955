//! What the Wasm analyser reports about one module or component: the
//! `wasm` entries of the report.

use crate::model::context::Context;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WasmKind {
    #[default]
    CoreModule,
    Component,
}

/// A linear memory, defined or imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    /// 64 KiB pages (or the custom page size, when one is set).
    pub min_pages: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pages: Option<u64>,
    pub shared: bool,
    pub memory64: bool,
    pub imported: bool,
}

/// The producers section: what built the module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Producers {
    /// Source languages (`Rust`, `C11`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub language: Vec<String>,
    /// Compilers and tools (`rustc 1.95.0`, `clang 19.1.7`, `wit-component 0.227.1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processed_by: Vec<String>,
    /// SDKs (`componentize-py`, `Emscripten`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sdk: Vec<String>,
}

impl Producers {
    pub fn is_empty(&self) -> bool {
        self.language.is_empty() && self.processed_by.is_empty() && self.sdk.is_empty()
    }
}

/// A standard world the artefact's exports implement, and the imports it
/// needs beyond that world (empty: it fits exactly).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldFit {
    /// `wasi:cli/command`, `wasi:http/proxy`, `reactor` (a core module that
    /// is a library for a host), or `custom`.
    pub world: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub beyond: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A capability the host must grant, how wasmtime grants it, and which
/// imports ask for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// `filesystem`, `network`, `dns`, `outbound-http`, `inbound-http`, `env`,
    /// `args`, `clocks`, `random`, `stdio`, `exit`...
    pub grant: String,
    /// The wasmtime CLI flag; absent when wasmtime always grants it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasmtime: Option<String>,
    /// A few of the imports that need it.
    pub because: Vec<String>,
}

/// An import outside WASI that some specific host must provide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostImport {
    /// `module/name` for core modules, the interface for components.
    pub import: String,
    /// Who can provide it (`none: Emscripten JavaScript glue`, `Spin`...).
    pub host: String,
}

/// Everything wasmfit learned about one `.wasm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasmInfo {
    pub path: String,
    pub context: Context,
    pub kind: WasmKind,
    pub size: u64,
    /// WASI preview 1 functions imported (`fd_write`, `path_open`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preview1: Vec<String>,
    /// WASI interfaces imported, with their versions
    /// (`wasi:http/outgoing-handler@0.2.0`), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<String>,
    /// Imports that wasmtime's CLI does not provide.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_imports: Vec<HostImport>,
    pub imports_total: usize,
    /// Export names (`_start`, `wasi:cli/run@0.2.0`), cut at 200 (entry
    /// points and interfaces are kept past the cut).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<String>,
    pub exports_total: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memories: Vec<Memory>,
    /// Proposals used beyond the MVP (`simd`, `threads`, `bulk-memory`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    /// Features wasmtime 48 needs a flag for, or does not support.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feature_flags: Vec<String>,
    #[serde(default, skip_serializing_if = "Producers::is_empty")]
    pub producers: Producers,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub worlds: Vec<WorldFit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
    /// Core modules inside a component (0 for a core module).
    pub core_modules: usize,
    /// Function bodies across all core modules.
    pub functions: u64,
    pub code_bytes: u64,
    /// Anything else worth knowing (`dylink.0` side module, debug info).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
