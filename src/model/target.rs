//! The Wasm platform a service would move to (`wasmfit.toml` `target`).
//! What each offers is knowledge, in `rules/targets.toml`.

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
    pub const ALL: [Target; 4] = [
        Target::Wasmtime,
        Target::Spin,
        Target::Wasmcloud,
        Target::Runwasi,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Target::Wasmtime => "wasmtime",
            Target::Spin => "spin",
            Target::Wasmcloud => "wasmcloud",
            Target::Runwasi => "runwasi",
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
