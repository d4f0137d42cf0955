//! `wasmfit init [PATH]`: writes a commented `wasmfit.toml`, so the settings
//! a repository can have are discoverable without reading docs.

use crate::config::{self, Target};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The repository root to write wasmfit.toml into.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// The Wasm platform you would move to.
    #[arg(long, value_enum, default_value_t = Target::Wasmtime)]
    pub target: Target,
    /// Overwrite an existing wasmfit.toml.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    if !args.path.is_dir() {
        return Err(super::usage(format!(
            "{}: not a directory",
            args.path.display()
        )));
    }
    let file = args.path.join(config::FILE_NAME);
    if file.exists() && !args.force {
        return Err(super::usage(format!(
            "{}: already exists (use --force to overwrite)",
            file.display()
        )));
    }
    std::fs::write(&file, config::template(args.target))
        .map_err(|e| super::usage(format!("{}: cannot write: {e}", file.display())))?;
    eprintln!("wasmfit: wrote {}", file.display());
    Ok(ExitCode::SUCCESS)
}
