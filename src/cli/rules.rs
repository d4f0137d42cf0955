//! `wasmfit rules`: the rule catalogue at a glance.

use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Also load every *.toml rule file in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let rules = super::load_rules(&args.rules)?;
    let sorted = rules.sorted();
    let text = if args.json {
        let v: Vec<_> = sorted
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "severity": r.severity, "category": r.category,
                    "capability": r.capability, "title": r.title, "wasi": r.wasi,
                })
            })
            .collect();
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        let mut s = format!(
            "{:<7} {:<8} {:<12} {:<17} TITLE\n",
            "ID", "SEVERITY", "CATEGORY", "CAPABILITY"
        );
        for r in &sorted {
            let _ = writeln!(
                s,
                "{:<7} {:<8} {:<12} {:<17} {}",
                r.id, r.severity, r.category, r.capability, r.title
            );
        }
        let _ = writeln!(
            s,
            "\n{} rules, {} packages, {} runtimes",
            sorted.len(),
            rules.packages.len(),
            rules.runtimes.len()
        );
        s
    };
    super::emit(None, &text)?;
    Ok(ExitCode::SUCCESS)
}
