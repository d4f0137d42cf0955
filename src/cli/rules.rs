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
        // The vocabulary types print their id without honouring a width, so
        // the columns are padded as strings, each as wide as its longest
        // cell (custom rule ids can be longer than `WF101`).
        let rows: Vec<[&str; 5]> = sorted
            .iter()
            .map(|r| {
                [
                    r.id.as_str(),
                    r.severity.id(),
                    r.category.id(),
                    r.capability.id(),
                    r.title.as_str(),
                ]
            })
            .collect();
        let head = ["ID", "SEVERITY", "CATEGORY", "CAPABILITY", "TITLE"];
        let mut width = [0; 4];
        for row in rows.iter().chain([&head]) {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut s = String::new();
        for row in [&head].into_iter().chain(&rows) {
            for (w, cell) in width.iter().zip(row) {
                let _ = write!(s, "{cell:<w$}  ");
            }
            let _ = writeln!(s, "{}", row[4]);
        }
        let _ = writeln!(
            s,
            "\n{} rules, {} packages, {} runtimes",
            sorted.len(),
            rules.packages.len(),
            rules.runtimes.tiers.len()
        );
        s
    };
    super::emit(None, &text)?;
    Ok(ExitCode::SUCCESS)
}
