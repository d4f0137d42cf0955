//! Rule files as written, and the checked rules the engine runs.
//!
//! Two phases, as in cargo-deny and ast-grep: serde reads the file exactly as
//! written (unknown fields are errors), then `load` checks what serde cannot
//! (regexes compile, ids are unique, packages name a real rule) and produces
//! `Rule`s that nothing downstream re-validates.

use crate::model::fact::Ecosystem;
use crate::model::language::Language;
use crate::model::runtime::{Internals, RuntimeId};
use crate::model::target::Target;
use crate::model::vocab::Tier;
use crate::model::vocab::{Capability, Category, Confidence, Severity};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// One rule file: any mix of rules, package knowledge, runtime tiers and
/// target hosts.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub package: Vec<Spanned<Package>>,
    #[serde(default)]
    pub runtime: Vec<Spanned<RuntimeTier>>,
    #[serde(default)]
    pub target: Vec<Spanned<TargetHost>>,
    #[serde(default)]
    pub capability: Vec<Spanned<CapabilityClass>>,
    #[serde(default, rename = "plugin-host")]
    pub plugin_host: Vec<Spanned<PluginHost>>,
}

/// How a capability stands against WASI 0.2, from `rules/capabilities.toml`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CapabilityClass {
    pub id: Capability,
    pub covers: Covers,
    /// One line: which interface covers it, or why nothing does.
    pub why: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Covers {
    /// A WASI 0.2 interface or the component model covers it.
    Interface,
    /// A raw kernel or hardware feature.
    Kernel,
    /// No counterpart, and not a kernel feature either.
    None,
}

/// Dependencies that run guest code (Wasm runtimes, isolating script
/// engines), from `rules/plugin-hosts.toml`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PluginHost {
    pub ecosystem: Ecosystem,
    /// Exact names, or a prefix with a trailing `*`.
    pub names: Vec<String>,
}

impl PluginHost {
    pub fn matches(&self, ecosystem: Ecosystem, name: &str) -> bool {
        if ecosystem != self.ecosystem {
            return false;
        }
        let name = ecosystem.normalize(name);
        self.names.iter().any(|n| match n.strip_suffix('*') {
            Some(p) => name.starts_with(&ecosystem.normalize(p)),
            None => name == ecosystem.normalize(n),
        })
    }
}

/// A Wasm platform and what it offers, from `rules/targets.toml`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetHost {
    pub id: Target,
    pub name: String,
    /// WASI worlds the host runs (`wasi:http/proxy`).
    #[serde(default)]
    pub worlds: Vec<String>,
    /// WIT packages (`wasi:http`) or single interfaces it provides.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Other host APIs, in words.
    #[serde(default)]
    pub host_apis: Vec<String>,
}

impl TargetHost {
    /// Whether the host offers an interface such as
    /// `wasi:http/incoming-handler`: listed itself, or its package is.
    pub fn offers(&self, interface: &str) -> bool {
        let interface = interface.split('@').next().unwrap_or(interface);
        let package = interface.split('/').next().unwrap_or(interface);
        self.packages.iter().any(|p| p == interface || p == package)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawRule {
    pub id: Spanned<String>,
    pub title: String,
    pub category: Category,
    pub capability: Capability,
    pub severity: Severity,
    /// Person-days to remove or port the capability in a typical service.
    pub effort: f64,
    /// One line: what was found.
    pub message: String,
    /// What to do instead.
    pub remediation: String,
    /// The WASI 0.2 interface that replaces the capability, or "none".
    pub wasi: String,
    #[serde(default)]
    pub references: Vec<String>,
    /// Longer explanation for `wasmfit explain`: what it detects, why it
    /// matters on Wasm.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub example: Option<String>,
    #[serde(default)]
    pub instead: Option<String>,
    /// Why the rule has its severity: what stands in the way of a port, and
    /// how much (shown by `wasmfit explain`).
    #[serde(default)]
    pub severity_why: String,
    #[serde(default, rename = "match")]
    pub matchers: Vec<Spanned<Matcher>>,
    #[serde(default)]
    pub positive: Vec<Fixture>,
    #[serde(default)]
    pub negative: Vec<Fixture>,
}

/// The closed set of matcher kinds. A new kind is one variant here, one arm
/// in `matcher`, and fixtures.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Matcher {
    /// Regexes over code with comments and string contents blanked out.
    Source {
        languages: Vec<Language>,
        patterns: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Regexes over the contents of string literals (e.g. `"libcuda.so.1"`
    /// passed to dlopen). Use sparingly: strings are where false positives
    /// live.
    String {
        languages: Vec<Language>,
        patterns: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Imported modules; a trailing `*` matches a prefix (`github.com/cilium/ebpf*`).
    Import {
        languages: Vec<Language>,
        modules: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Dependencies by name, optionally limited to a version range and to
    /// enabled features. Most dependency knowledge lives in `[[package]]`
    /// entries, which compile to this.
    Dependency {
        ecosystem: Ecosystem,
        names: Vec<String>,
        #[serde(default)]
        versions: Option<String>,
        #[serde(default)]
        features: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// A Dockerfile instruction (`RUN`, `ENTRYPOINT`...; any when omitted)
    /// whose arguments match a regex.
    Dockerfile {
        #[serde(default)]
        instruction: Option<String>,
        patterns: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// `FROM` images, after ARG substitution (regexes over `name:tag`).
    BaseImage {
        patterns: Vec<String>,
        /// Only the stage that ships (default) or any stage.
        #[serde(default = "yes")]
        final_only: bool,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// OS packages installed in an image, by exact name or `prefix*`.
    OsPackage {
        names: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
        /// The development files of the tool's own library (`prefix*`
        /// too). Installed by the same Dockerfile, they say the tool came
        /// along for a binding built against that library (PHP's imagick
        /// beside libmagickwand-dev): the hit drops to low confidence.
        #[serde(default)]
        binding: Vec<String>,
    },
    /// A compose setting: `key` exactly, value by regex (any when omitted).
    Compose {
        key: String,
        #[serde(default)]
        values: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Symbols a binary imports, by exact name (`fork`, `CreateProcessW`).
    /// Mach-O's leading underscore and ELF version suffixes are ignored.
    Symbol {
        names: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Function names recovered from a binary (Go pclntab, Rust), by regex.
    Function {
        patterns: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Shared libraries needed or named for dlopen, by regex.
    Library {
        patterns: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Device nodes a binary names or source code opens, by regex over the
    /// path (`^/dev/kfd$`).
    Device {
        patterns: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Syscall sites by name (`bpf`, `perf_event_open`): found in machine
    /// code, or made by number in source (`unix.Syscall(unix.SYS_BPF, ...)`).
    Syscall {
        names: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Binary sections by exact name (`.nv_fatbin`).
    Section {
        names: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Wasm imports, by regex over `module/name` (core) or the interface name
    /// (component).
    WasmImport {
        patterns: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
    /// Files whose name alone is a signal, by regex over the file name.
    File {
        patterns: Vec<String>,
        #[serde(default)]
        confidence: Option<Confidence>,
    },
}

fn yes() -> bool {
    true
}

impl Matcher {
    /// A matcher over source files, source or string patterns: its
    /// languages and patterns.
    pub fn code(&self) -> Option<(&[Language], &[String])> {
        match self {
            Matcher::Source {
                languages,
                patterns,
                ..
            }
            | Matcher::String {
                languages,
                patterns,
                ..
            } => Some((languages, patterns)),
            _ => None,
        }
    }

    /// Every regex in this matcher, for validation.
    pub fn regexes(&self) -> &[String] {
        match self {
            Matcher::Source { patterns, .. }
            | Matcher::String { patterns, .. }
            | Matcher::Dockerfile { patterns, .. }
            | Matcher::BaseImage { patterns, .. }
            | Matcher::Function { patterns, .. }
            | Matcher::Library { patterns, .. }
            | Matcher::WasmImport { patterns, .. }
            | Matcher::Device { patterns, .. }
            | Matcher::File { patterns, .. } => patterns,
            Matcher::Compose { values, .. } => values,
            Matcher::Import { .. }
            | Matcher::Dependency { .. }
            | Matcher::OsPackage { .. }
            | Matcher::Symbol { .. }
            | Matcher::Syscall { .. }
            | Matcher::Section { .. } => &[],
        }
    }

    /// The confidence a hit from this matcher carries unless the rule says
    /// otherwise: direct code and binary evidence is high, names of things
    /// that are usually but not always used (imports, installed packages) are
    /// medium.
    pub fn confidence(&self) -> Confidence {
        let (explicit, default) = match self {
            Matcher::Source { confidence, .. } => (confidence, Confidence::High),
            Matcher::String { confidence, .. } => (confidence, Confidence::Medium),
            Matcher::Import { confidence, .. } => (confidence, Confidence::Medium),
            Matcher::Dependency { confidence, .. } => (confidence, Confidence::Medium),
            Matcher::Dockerfile { confidence, .. } => (confidence, Confidence::High),
            Matcher::BaseImage { confidence, .. } => (confidence, Confidence::High),
            Matcher::OsPackage { confidence, .. } => (confidence, Confidence::Medium),
            Matcher::Compose { confidence, .. } => (confidence, Confidence::High),
            Matcher::Symbol { confidence, .. } => (confidence, Confidence::High),
            Matcher::Function { confidence, .. } => (confidence, Confidence::High),
            Matcher::Library { confidence, .. } => (confidence, Confidence::High),
            Matcher::Syscall { confidence, .. } => (confidence, Confidence::High),
            Matcher::Device { confidence, .. } => (confidence, Confidence::High),
            Matcher::Section { confidence, .. } => (confidence, Confidence::High),
            Matcher::WasmImport { confidence, .. } => (confidence, Confidence::High),
            Matcher::File { confidence, .. } => (confidence, Confidence::Medium),
        };
        explicit.unwrap_or(default)
    }
}

/// A rule's positive or negative example: a small file, or binary facts.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Fixture {
    /// File name inside the fixture tree; decides the parser (`app.py`,
    /// `Dockerfile`, `go.mod`).
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub symbols: Vec<String>,
    #[serde(default)]
    pub functions: Vec<String>,
    #[serde(default)]
    pub libraries: Vec<String>,
    #[serde(default)]
    pub syscalls: Vec<String>,
    #[serde(default)]
    pub sections: Vec<String>,
    #[serde(default)]
    pub wasm_imports: Vec<String>,
    /// Device node paths a binary names.
    #[serde(default)]
    pub devices: Vec<String>,
}

/// Package knowledge: one package with a known Wasm story.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    /// The rule whose capability this package brings (WF301 for torch).
    pub rule: String,
    /// One line: why it matters on Wasm.
    pub reason: String,
    /// The Wasm-friendly replacement, where one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Only these versions (`>=1.0, <2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<String>,
    /// Only when one of these features is enabled (tokio's `net`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
}

/// A runtime and its Wasm support tier, from `rules/runtimes.toml`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuntimeTier {
    pub id: RuntimeId,
    pub name: String,
    pub tier: Tier,
    /// The rule reported for services on this runtime.
    pub rule: String,
    /// One line: the state of Wasm support.
    pub note: String,
    /// How to build for Wasm.
    #[serde(default)]
    pub toolchain: String,
    /// What that toolchain emits: the target triple or kind of artefact
    /// (`wasm32-wasip2`, `wasip1 core module`), for the migration plan.
    #[serde(default)]
    pub target: String,
    /// Source languages that hint at this runtime.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<Language>,
    /// Dependency manifests of these ecosystems hint at this runtime.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecosystems: Vec<Ecosystem>,
    /// Base images, as described in `rules/runtimes.toml`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// The weight of this runtime's base image in any stage, when it
    /// decides the runtime even in a builder stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_weight: Option<u32>,
    /// Environment variables official images of this runtime set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Runtimes whose evidence becomes this one's once this one is seen
    /// (TinyGo compiles Go source).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absorbs: Vec<RuntimeId>,
    /// What the runtime does on its own behalf in a compiled binary.
    #[serde(default)]
    pub internals: Internals,
}

/// Where a rule came from, for error messages and `explain`.
#[derive(Clone, Debug, Serialize)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

/// A checked rule.
#[derive(Clone, Debug, Serialize)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub capability: Capability,
    pub severity: Severity,
    pub effort: f64,
    pub message: String,
    pub remediation: String,
    pub wasi: String,
    pub references: Vec<String>,
    pub description: String,
    pub example: Option<String>,
    pub instead: Option<String>,
    pub severity_why: String,
    pub matchers: Vec<Matcher>,
    /// The line of each `[[rule.match]]` block, in `origin.file`.
    pub matcher_lines: Vec<usize>,
    pub positive: Vec<Fixture>,
    pub negative: Vec<Fixture>,
    pub origin: Origin,
}
