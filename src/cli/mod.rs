//! The command line: argument types, dispatch and exit codes.
//!
//! Each subcommand lives in its own file with its own clap `Args` struct and
//! a `run` function; this file only lists them. Errors that are the user's
//! to fix (a wrong path, a broken rule file, a bad config) exit with 2 and one
//! line naming the file and line; a failed gate exits with 1.

pub mod bench;
pub mod completions;
pub mod explain;
pub mod fleet;
pub mod init;
pub mod plan;
pub mod report;
pub mod rules;
pub mod scan;
pub mod shared;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (and the gate passed, if one was set)
  1  the gate failed: a finding or score crossed a threshold
  2  usage or input error: bad arguments, missing path, broken rule or config file
  129, 130, 143  stopped by SIGHUP, SIGINT or SIGTERM (temporary files were removed)

A flag given twice takes its last value, so arguments appended to a fixed
command (a pre-commit hook's `args:`) override it.";

/// Tells, service by service, whether to move from Docker containers to
/// WebAssembly (wasmtime, WASI 0.2), with the evidence.
#[derive(Parser, Debug)]
#[command(
    name = "wasmfit",
    version,
    after_help = EXIT_CODES,
    propagate_version = true,
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Scan a service's repository and say how well it would run on Wasm.
    Scan(scan::ScanArgs),
    /// List every rule: id, severity, category, title.
    Rules(rules::RulesArgs),
    /// Show a rule's full documentation.
    Explain(explain::ExplainArgs),
    /// Render a saved JSON report again: html, sarif, markdown, junit, gitlab...
    Report(report::ReportArgs),
    /// Build the service as a container and as Wasm, and measure both side by side.
    Bench(bench::BenchArgs),
    /// Write a commented wasmfit.toml to configure scans and the CI gate.
    Init(init::InitArgs),
    /// Scan many services, rank where Wasm pays, shard and merge the work.
    Fleet(fleet::FleetArgs),
    /// Plan the move to Wasm: steps, WIT world, host grants, deployment
    /// files; `--try-build` proves it with the compiler, in a sandbox.
    Plan(plan::PlanArgs),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), or write one per command with --dir.
    Man(completions::ManArgs),
    /// The processes `wasmfit bench` starts: the Wasm host and the load generator.
    #[command(name = "__bench-helper", hide = true)]
    BenchHelper(bench::HelperArgs),
}

/// An error that is the user's to fix: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// Runs the CLI and maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Temporary directories and containers are removed on SIGINT, SIGTERM
    // and SIGHUP; the exit code is then 128 + the signal.
    crate::interrupt::install();
    let result = match &cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Report(a) => report::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Init(a) => init::run(a),
        Command::Fleet(a) => fleet::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
        Command::BenchHelper(a) => return bench::helper(a),
    };
    if let Some(code) = crate::interrupt::exit_code() {
        return ExitCode::from(code);
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("wasmfit: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Loads the built-in rules plus the user's, with errors as usage errors.
pub fn load_rules(extra: &[std::path::PathBuf]) -> anyhow::Result<crate::rules::RuleSet> {
    crate::rules::RuleSet::load(extra).map_err(|e| usage(e.to_string()))
}

/// Writes to the output file or stdout.
pub fn emit(output: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match output {
        Some(p) => std::fs::write(p, text)
            .map_err(|e| usage(format!("{}: cannot write: {e}", p.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Where `path#L12` links in Markdown should point: the commit's files on
/// GitHub or GitLab when running in their CI, else relative links that work
/// where the Markdown sits in the repository.
pub fn link_base() -> Option<String> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(server), Some(repo), Some(sha)) = (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_SHA"),
    ) {
        return Some(format!("{server}/{repo}/blob/{sha}/"));
    }
    if let (Some(project), Some(sha)) = (var("CI_PROJECT_URL"), var("CI_COMMIT_SHA")) {
        return Some(format!("{project}/-/blob/{sha}/"));
    }
    None
}
