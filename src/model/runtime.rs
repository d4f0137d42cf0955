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
    /// How the names of the runtime's own functions begin (`std::`):
    /// a site inside one is the runtime's.
    #[serde(default)]
    pub functions: Vec<String>,
    /// The top-level packages of the runtime's standard library (`os` for
    /// `os/exec`): code in them is the runtime's.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Functions that take a syscall number as their first argument
    /// (`syscall.Syscall6`): a call to one is a syscall site.
    #[serde(default)]
    pub syscall_wrappers: Vec<String>,
    /// How the file names of the runtime's own shared libraries begin
    /// (`libc.so`): everything such a library does is the runtime's.
    #[serde(default)]
    pub libraries: Vec<String>,
    /// Calls that are incidental when every constant argument is one of
    /// these (`prctl(PR_SET_NAME)`).
    #[serde(default)]
    pub harmless: Vec<Harmless>,
}

impl Internals {
    /// Whether a library file name (or path) is one of the runtime's own.
    pub fn is_library(&self, name: &str) -> bool {
        let n = name.rsplit('/').next().unwrap_or(name);
        self.libraries.iter().any(|p| n.starts_with(p.as_str()))
    }
}

/// A call whose constant argument decides whether it matters, and the
/// values for which it does not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Harmless {
    /// The libc function (`ioctl`); its argument is the one the binary
    /// reader reads for it.
    pub function: String,
    /// What the harmless values do, in a few words.
    pub why: String,
    pub values: Vec<NamedValue>,
}

/// A constant and its name in the C headers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedValue {
    pub value: u64,
    pub name: String,
}

/// The runtime knowledge the binary reader needs, handed to it by the scan
/// (parsers read no rule files).
#[derive(Clone, Debug, Default)]
pub struct BinaryKnowledge {
    pub go: Internals,
    pub rust: Internals,
    /// The C library's (`c-cpp`): what every native binary may link.
    pub c: Internals,
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
