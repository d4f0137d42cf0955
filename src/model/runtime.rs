//! The runtimes a scan detected and their Wasm support tiers. Detection
//! itself is `analyze::runtime`.

use crate::model::fact::Location;
use crate::model::vocab::Tier;
use serde::{Deserialize, Serialize};

/// The closed set of runtimes wasmfit knows. Each has exactly one entry in
/// `rules/runtimes.toml` (checked at load), which holds everything else:
/// its tier, and how images, manifests and sources reveal it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeId {
    Rust,
    CCpp,
    Tinygo,
    Node,
    Go,
    Python,
    Ruby,
    Php,
    Jvm,
    Dotnet,
    Beam,
    Wasm,
}

impl RuntimeId {
    pub const ALL: [RuntimeId; 12] = [
        RuntimeId::Rust,
        RuntimeId::CCpp,
        RuntimeId::Tinygo,
        RuntimeId::Node,
        RuntimeId::Go,
        RuntimeId::Python,
        RuntimeId::Ruby,
        RuntimeId::Php,
        RuntimeId::Jvm,
        RuntimeId::Dotnet,
        RuntimeId::Beam,
        RuntimeId::Wasm,
    ];

    pub fn id(self) -> &'static str {
        match self {
            RuntimeId::Rust => "rust",
            RuntimeId::CCpp => "c-cpp",
            RuntimeId::Tinygo => "tinygo",
            RuntimeId::Node => "node",
            RuntimeId::Go => "go",
            RuntimeId::Python => "python",
            RuntimeId::Ruby => "ruby",
            RuntimeId::Php => "php",
            RuntimeId::Jvm => "jvm",
            RuntimeId::Dotnet => "dotnet",
            RuntimeId::Beam => "beam",
            RuntimeId::Wasm => "wasm",
        }
    }
}

impl std::fmt::Display for RuntimeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What a language runtime does on its own behalf in a compiled binary,
/// from `rules/runtimes.toml`: evidence it explains is runtime-internal,
/// not the service's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Internals {
    /// Syscalls the runtime's standard library makes through libc's
    /// `syscall()`.
    #[serde(default)]
    pub syscalls: Vec<String>,
    /// libc imports every binary of the runtime carries.
    #[serde(default)]
    pub imports: Vec<String>,
    /// Packages that handle signals for the program: with one linked, the
    /// signal imports are the program's own.
    #[serde(default)]
    pub signal_packages: Vec<String>,
}

/// The runtime knowledge the binary reader needs, handed to it by the scan
/// (parsers read no rule files).
#[derive(Clone, Debug, Default)]
pub struct BinaryKnowledge {
    pub go: Internals,
    pub rust: Internals,
}

/// One detected runtime and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detected {
    pub id: String,
    pub name: String,
    pub tier: Tier,
    pub weight: u32,
    pub note: String,
    pub toolchain: String,
    pub rule_id: String,
    /// Up to a few places that show it.
    pub evidence: Vec<Location>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Runtimes {
    /// The runtime the service runs on, if any evidence says.
    pub primary: Option<Detected>,
    /// Every runtime seen in service context, heaviest first.
    pub detected: Vec<Detected>,
}
