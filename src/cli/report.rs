//! `wasmfit report FILE.json`: renders a saved JSON report in another
//! format, so one scan in CI can feed the HTML page, SARIF upload and the
//! merge-request comment without scanning again. Also the output options
//! every command that renders a report shares (`RenderArgs`).

use crate::config::Thresholds;
use crate::model::Report;
use crate::report::junit::Gate;
use crate::report::{sarif, Format};
use crate::rules::Severity;
use clap::{Args, ValueEnum};
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

/// The default for `--max-report-bytes`: far above any report a scan writes
/// (findings keep at most 50 places each), far below what would exhaust
/// memory once parsed.
pub const MAX_REPORT_BYTES: u64 = 256 << 20;

/// Render a saved JSON report (from `wasmfit scan --format json`) again, in
/// any format.
#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  wasmfit scan . --format json -o wasmfit.json\n  wasmfit report wasmfit.json --format html -o wasmfit.html\n  wasmfit report wasmfit.json --format sarif -o wasmfit.sarif\n  wasmfit report wasmfit.json --format junit --fail-on major -o wasmfit.xml"
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
    /// Refuse a report larger than this many bytes (exit 2).
    #[arg(long, value_name = "BYTES", default_value_t = MAX_REPORT_BYTES)]
    pub max_report_bytes: u64,
    /// JUnit: fail the test cases of counted findings of SEVERITY or worse
    /// (default: blocker). The exit code does not change: the gate is
    /// `wasmfit scan`'s.
    #[arg(long, value_name = "SEVERITY", value_enum)]
    pub fail_on: Option<super::shared::FailOn>,
    /// JUnit: a `score` test case that fails below SCORE (0-100).
    #[arg(long, value_name = "SCORE", value_parser = clap::value_parser!(u8).range(0..=100))]
    pub fail_under: Option<u8>,
    #[command(flatten)]
    pub render: RenderArgs,
}

/// How reports are written, shared by the commands that render one.
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Output")]
pub struct RenderArgs {
    /// Colour in the text format. `auto` colours a terminal; the
    /// precedence is this flag, then CLICOLOR_FORCE (set and not `0`:
    /// colour), then NO_COLOR (set: none), then whether standard output is
    /// a terminal.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// SARIF: the least level written. `error` is blockers and majors,
    /// `warning` adds minors, `note` adds info findings and places that do
    /// not count (tests, build scripts).
    #[arg(long, value_name = "LEVEL", value_enum, default_value_t = sarif::Level::Warning)]
    pub sarif_min_level: sarif::Level,
    /// Report on the service NAME (as listed under SERVICES) instead of the
    /// primary one: its verdict, findings and the gate's decision.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
}

impl RenderArgs {
    /// Renders a report to the output file or stdout, with colour, link
    /// base, SARIF level and the gate's decision decided here, where the
    /// environment is read and the gate evaluated: renderers look at none
    /// of them.
    pub fn write(
        &self,
        report: &Report,
        rules: &crate::rules::RuleSet,
        format: Format,
        output: Option<&std::path::Path>,
        gate: Gate,
    ) -> anyhow::Result<()> {
        let opts = crate::report::Options {
            rules,
            color: self.color.enabled(output.is_some()),
            link_base: super::link_base(),
            sarif_min_level: self.sarif_min_level,
            gate,
        };
        let text = format.renderer(&opts).to_string(report)?;
        super::emit(output, &text)
    }
}

#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless the environment says otherwise.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour, from the flag, the environment and the terminal.
    pub fn enabled(self, to_file: bool) -> bool {
        use std::io::IsTerminal;
        decide_color(
            self,
            std::env::var_os("CLICOLOR_FORCE"),
            std::env::var_os("NO_COLOR"),
            !to_file && std::io::stdout().is_terminal(),
        )
    }
}

/// The documented precedence: flag > CLICOLOR_FORCE > NO_COLOR > terminal.
/// Empty variables count as unset (https://no-color.org,
/// https://bixense.com/clicolors).
fn decide_color(
    choice: ColorChoice,
    clicolor_force: Option<OsString>,
    no_color: Option<OsString>,
    terminal: bool,
) -> bool {
    let set = |v: &Option<OsString>| v.as_ref().is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto
            if set(&clicolor_force) && clicolor_force.as_deref() != Some("0".as_ref()) =>
        {
            true
        }
        ColorChoice::Auto if set(&no_color) => false,
        ColorChoice::Auto => terminal,
    }
}

/// The gate's decision for JUnit, from `gate::evaluate` with `thresholds`
/// (blockers fail when none is set), against `baseline` when given.
pub fn junit_gate(report: &Report, baseline: Option<&Report>, thresholds: &Thresholds) -> Gate {
    let defaulted = !thresholds.is_set();
    let t = if defaulted {
        Thresholds {
            fail_on: Some(Severity::Blocker),
            fail_under: None,
        }
    } else {
        *thresholds
    };
    let findings = crate::gate::evaluate(
        report,
        baseline,
        &Thresholds {
            fail_under: None,
            ..t
        },
    );
    let score = crate::gate::evaluate(report, baseline, &Thresholds { fail_on: None, ..t });
    Gate {
        fail_on: t.fail_on,
        fail_under: t.fail_under,
        defaulted,
        baseline: baseline.is_some(),
        failing: findings
            .new_findings
            .into_iter()
            .map(|o| (o.rule_id, o.fingerprint))
            .collect(),
        score_failure: score.reasons.into_iter().next(),
    }
}

pub fn run(args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let mut report = read(&args.file, args.max_report_bytes)?;
    let rules = super::load_rules(&args.rules)?;
    if let Some(name) = &args.render.service {
        super::shared::focus(&mut report, &rules, name)?;
    }
    let thresholds = super::shared::GateArgs {
        fail_on: args.fail_on,
        fail_under: args.fail_under,
        ..Default::default()
    }
    .thresholds(&Thresholds::default());
    let gate = junit_gate(&report, None, &thresholds);
    let output = args.output.as_deref();
    args.render
        .write(&report, &rules, args.format, output, gate)?;
    Ok(ExitCode::SUCCESS)
}

/// Reads a saved report of at most `limit` bytes, from a file or `-`
/// (standard input). The bytes are read once and parsed in place: no copy
/// as a string and no intermediate JSON tree.
pub fn read(file: &std::path::Path, limit: u64) -> anyhow::Result<Report> {
    let name = file.display();
    let too_big = || {
        super::usage(format!(
            "{name}: larger than {limit} bytes (--max-report-bytes)"
        ))
    };
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| super::usage(format!("standard input: {e}")))?;
    } else {
        // A FIFO or a device is refused before it is opened (opening a
        // FIFO blocks until someone writes to it).
        bytes = crate::input::bounded::read(file, limit).map_err(|e| match e.kind() {
            std::io::ErrorKind::FileTooLarge => too_big(),
            _ => super::usage(format!("{name}: cannot read: {e}")),
        })?;
    }
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    crate::report::json::parse_slice(&bytes).map_err(|e| super::usage(format!("{name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_precedence() {
        use ColorChoice::*;
        let v = |s: &str| Some(OsString::from(s));
        // The flag wins over everything.
        assert!(decide_color(Always, None, v("1"), false));
        assert!(!decide_color(Never, v("1"), None, true));
        // CLICOLOR_FORCE over NO_COLOR over the terminal.
        assert!(decide_color(Auto, v("1"), v("1"), false));
        assert!(!decide_color(Auto, v("0"), v("1"), true));
        assert!(!decide_color(Auto, None, v("1"), true));
        assert!(decide_color(Auto, None, v(""), true));
        assert!(!decide_color(Auto, v(""), None, false));
        assert!(decide_color(Auto, None, None, true));
    }
}
