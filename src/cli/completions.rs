//! `wasmfit completions SHELL` and `wasmfit man`: shell completions and
//! manual pages generated from the same clap definitions as `--help`, so
//! they cannot drift from the flags.

use clap::{Args, CommandFactory};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write one page per command (wasmfit.1, wasmfit-scan.1...) into DIR
    /// instead of printing wasmfit.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut super::Cli::command(), "wasmfit", &mut out);
    super::emit(None, &String::from_utf8_lossy(&out))?;
    Ok(ExitCode::SUCCESS)
}

pub fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let cmd = super::Cli::command();
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .and_then(|()| clap_mangen::generate_to(cmd, dir))
                .map_err(|e| super::usage(format!("{}: cannot write: {e}", dir.display())))?;
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            super::emit(None, &String::from_utf8_lossy(&out))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
