//! What the report says about each native binary: format, machine,
//! linkage, runtime, Go and Rust build details, the syscalls it makes and
//! the libraries the linker pass resolved. Serialised as `binaries[]`.

use crate::model::context::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryInfo {
    pub path: String,
    /// `elf`, `pe` or `mach-o`.
    pub format: String,
    /// `x86-64`, `aarch64`, `bpf`...
    pub machine: String,
    /// `executable`, `shared-library`, `object`.
    pub kind: String,
    /// `dynamic`, `static` or `none` (no loader, no libraries: objects).
    pub linkage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// No symbol table (ELF only; PE and Mach-O keep imports anyway).
    pub stripped: bool,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soname: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needed: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub go: Option<GoBinaryInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rust: Option<RustBinaryInfo>,
    pub imports: usize,
    /// Function names recovered (Go pclntab, symbol table).
    pub functions: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub syscalls: Vec<SyscallUse>,
    /// Needed libraries found in the scanned tree, as `name -> path`, the
    /// way the dynamic linker would find them (filled by `linker`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GoBinaryInfo {
    /// `go1.23.5`.
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_module: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgo_enabled: Option<bool>,
    /// Build settings (`GOOS`, `-ldflags`, `vcs.revision`...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub settings: BTreeMap<String, String>,
    pub dependencies: usize,
    pub functions: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RustBinaryInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toolchain: Option<String>,
    /// Carries cargo-auditable data (`.dep-v0`).
    pub auditable: bool,
    /// Crates known: from cargo-auditable, else from panic-location paths.
    pub crates: usize,
}

/// One syscall by name, with where it was attributed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SyscallUse {
    pub name: String,
    pub sites: usize,
    pub context: Context,
}
