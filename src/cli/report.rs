//! `wasmfit report FILE.json`: renders a saved JSON report in another
//! format, so one scan in CI can feed the HTML page, SARIF upload and the
//! merge-request comment without scanning again.

use crate::report::Format;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Render a saved JSON report (from `wasmfit scan --format json`) again, in
/// any format.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  wasmfit scan . --format json -o wasmfit.json\n  wasmfit report wasmfit.json --format html -o wasmfit.html\n  wasmfit report wasmfit.json --format sarif -o wasmfit.sarif"
)]
pub struct ReportArgs {
    /// The saved JSON report (`-` for standard input).
    #[arg(value_name = "FILE.json")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Html)]
    pub format: Format,
    /// Write to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also load every *.toml rule file in DIR (repeatable), so SARIF and
    /// JUnit describe the custom rules the scan used.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let name = args.file.display();
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| super::usage(format!("standard input: {e}")))?
    } else {
        std::fs::read_to_string(&args.file)
            .map_err(|e| super::usage(format!("{name}: cannot read: {e}")))?
    };
    let report =
        crate::report::json::parse(&text).map_err(|e| super::usage(format!("{name}: {e}")))?;
    let rules = super::load_rules(&args.rules)?;
    let out = super::render(&report, &rules, args.format, args.output.is_some())?;
    super::emit(args.output.as_deref(), &out)?;
    Ok(ExitCode::SUCCESS)
}
