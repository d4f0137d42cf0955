//! The Wasm platform a service would move to (`wasmfit.toml` `target`), and
//! the interfaces each offers.

use serde::{Deserialize, Serialize};

/// The Wasm platform the service would move to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// The wasmtime CLI (`wasmtime run`, `wasmtime serve`).
    #[default]
    Wasmtime,
    /// Fermyon Spin.
    Spin,
    /// wasmCloud.
    Wasmcloud,
    /// containerd shims (runwasi), e.g. on Kubernetes.
    Runwasi,
}

impl Target {
    pub fn id(self) -> &'static str {
        match self {
            Target::Wasmtime => "wasmtime",
            Target::Spin => "spin",
            Target::Wasmcloud => "wasmcloud",
            Target::Runwasi => "runwasi",
        }
    }

    /// The WASI 0.2 worlds and interfaces the host offers a component out of
    /// the box. Deliberately coarse: hosts add interfaces with every release,
    /// and this list is for a remark in the report, not for the verdict.
    pub fn interfaces(self) -> &'static [&'static str] {
        match self {
            Target::Wasmtime => &[
                "wasi:cli/command",
                "wasi:http/proxy",
                "wasi:filesystem",
                "wasi:sockets",
                "wasi:clocks",
                "wasi:random",
            ],
            Target::Spin => &[
                "wasi:http/proxy",
                "wasi:keyvalue",
                "wasi:config",
                "spin sqlite, redis, postgres, mysql",
            ],
            Target::Wasmcloud => &[
                "wasi:http/proxy",
                "wasi:keyvalue",
                "wasi:blobstore",
                "wasi:config",
                "wasi:logging",
                "wasmcloud:messaging",
            ],
            Target::Runwasi => &[
                "wasi:cli/command",
                "wasi:http/proxy",
                "wasi:filesystem",
                "wasi:sockets",
            ],
        }
    }

    /// Whether the host offers an interface such as `wasi:http/incoming-handler`
    /// (matched by package and, when listed, interface).
    pub fn offers(self, interface: &str) -> bool {
        let pkg = |s: &str| s.split('/').next().unwrap_or(s).to_string();
        self.interfaces().iter().any(|i| {
            *i == interface
                || (!i.contains('/') && pkg(interface) == *i)
                // `wasi:http/proxy` is the world that includes both handlers.
                || (*i == "wasi:http/proxy" && pkg(interface) == "wasi:http")
                || (*i == "wasi:cli/command" && pkg(interface) == "wasi:cli")
        })
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
