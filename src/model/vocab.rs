//! The closed vocabularies rules and findings speak: severity, capability,
//! category, confidence. They are enums so a typo in a rule file is a load
//! error, not a silent new bucket in the report.

use serde::{Deserialize, Serialize};

macro_rules! vocab {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $id:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $id)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn id(self) -> &'static str {
                match self { $($name::$variant => $id),+ }
            }

            pub fn from_id(id: &str) -> Option<$name> {
                match id { $($id => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }
    };
}

vocab! {
    /// How much a finding stands in the way. Ordered from most to least severe
    /// so that sorting puts blockers first.
    Severity {
        Blocker = "blocker",
        Major = "major",
        Minor = "minor",
        Info = "info",
    }
}

vocab! {
    /// What the service does that a Wasm host has to grant, or cannot.
    Capability {
        ProcessSpawn = "process-spawn",
        RawSyscall = "raw-syscall",
        Gpu = "gpu",
        Ebpf = "ebpf",
        KernelInterface = "kernel-interface",
        Threads = "threads",
        Signals = "signals",
        Ffi = "ffi",
        Sockets = "sockets",
        HttpServer = "http-server",
        HttpClient = "http-client",
        Database = "database",
        Filesystem = "filesystem",
        Cli = "cli",
        Worker = "worker",
        Runtime = "runtime",
        Container = "container",
        WasmReady = "wasm-ready",
    }
}

vocab! {
    /// Groups for effort and subscores.
    Category {
        Process = "process",
        Syscalls = "syscalls",
        Hardware = "hardware",
        Kernel = "kernel",
        Concurrency = "concurrency",
        Native = "native",
        Network = "network",
        Storage = "storage",
        Shape = "shape",
        Runtime = "runtime",
        Container = "container",
        Wasm = "wasm",
    }
}

vocab! {
    /// How sure wasmfit is that evidence means what the rule says.
    Confidence {
        Low = "low",
        Medium = "medium",
        High = "high",
    }
}

impl Severity {
    /// Severities from `s` upwards: `at_least(Major)` is blocker and major.
    pub fn at_least(self, other: Severity) -> bool {
        self <= other
    }
}

/// How well a language runtime runs on Wasm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Components and WASI 0.2 today (Rust, C/C++, TinyGo, JavaScript).
    Strong,
    /// Runs, but only as WASI preview 1 core modules (upstream Go).
    CoreModules,
    /// Runs through an interpreter compiled to Wasm (Python, Ruby, PHP).
    Interpreted,
    /// Experimental toolchains only (JVM, .NET).
    Experimental,
    /// No usable Wasm target (Erlang/Elixir).
    None,
}

impl Tier {
    /// The name used in rule files and reports (`core-modules`).
    pub fn id(self) -> &'static str {
        match self {
            Tier::Strong => "strong",
            Tier::CoreModules => "core-modules",
            Tier::Interpreted => "interpreted",
            Tier::Experimental => "experimental",
            Tier::None => "none",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_orders_blockers_first() {
        assert!(Severity::Blocker < Severity::Info);
        assert!(Severity::Blocker.at_least(Severity::Major));
        assert!(!Severity::Minor.at_least(Severity::Major));
    }

    #[test]
    fn ids_round_trip() {
        for c in Capability::ALL {
            assert_eq!(Capability::from_id(c.id()), Some(*c));
        }
    }
}
