//! `wasmfit explain RULE_ID`: a rule's full documentation, from the same
//! loaded rule that the scanner runs.

use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The rule id, e.g. WF101.
    pub rule_id: String,
    /// Also load every *.toml rule file in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let rules = super::load_rules(&args.rules)?;
    let id = args.rule_id.to_ascii_uppercase();
    let Some(r) = rules.get(&id) else {
        return Err(super::usage(format!(
            "no rule `{}` (see `wasmfit rules`)",
            args.rule_id
        )));
    };
    let mut s = String::new();
    let _ = writeln!(s, "{}: {}\n", r.id, r.title);
    let _ = writeln!(s, "severity:   {}", r.severity);
    let _ = writeln!(s, "category:   {}", r.category);
    let _ = writeln!(s, "capability: {}", r.capability);
    let _ = writeln!(s, "effort:     {} person-days", r.effort);
    let _ = writeln!(s, "WASI 0.2:   {}", r.wasi);
    let _ = writeln!(s, "defined in: {}:{}\n", r.origin.file, r.origin.line);
    let _ = writeln!(s, "{}\n", r.message);
    if !r.description.is_empty() {
        let _ = writeln!(
            s,
            "## What it finds, and why it matters\n{}\n",
            r.description.trim()
        );
    }
    if !r.severity_why.trim().is_empty() {
        let _ = writeln!(s, "## Why {}\n{}\n", r.severity, r.severity_why.trim());
    }
    if let Some(e) = &r.example {
        let _ = writeln!(s, "## Example\n{}\n", e.trim_end());
    }
    let _ = writeln!(s, "## What to do\n{}\n", r.remediation.trim());
    if let Some(i) = &r.instead {
        let _ = writeln!(s, "## Instead\n{}\n", i.trim_end());
    }
    let pkgs: Vec<_> = rules.packages.iter().filter(|p| p.rule == r.id).collect();
    if !pkgs.is_empty() {
        let _ = writeln!(s, "## Packages that bring it ({})", pkgs.len());
        for p in pkgs {
            let _ = write!(s, "- {} {}: {}", p.ecosystem, p.name, p.reason);
            if let Some(rep) = &p.replacement {
                let _ = write!(s, " Instead: {rep}");
            }
            s.push('\n');
        }
        s.push('\n');
    }
    let langs: std::collections::BTreeSet<String> = r
        .matchers
        .iter()
        .map(|m| match m {
            crate::rules::Matcher::Source { languages, .. }
            | crate::rules::Matcher::Import { languages, .. } => languages
                .iter()
                .map(|l| l.id())
                .collect::<Vec<_>>()
                .join(", "),
            other => serde_json::to_value(other)
                .ok()
                .and_then(|v| {
                    v.get("kind")
                        .and_then(|k| k.as_str())
                        .map(|k| format!("{k} matcher"))
                })
                .unwrap_or_default(),
        })
        .collect();
    if !langs.is_empty() {
        let _ = writeln!(
            s,
            "## Matches in\n{}\n",
            langs.into_iter().collect::<Vec<_>>().join("; ")
        );
    }
    if !r.references.is_empty() {
        let _ = writeln!(s, "## References");
        for u in &r.references {
            let _ = writeln!(s, "- {u}");
        }
    }
    super::emit(None, &s)?;
    Ok(ExitCode::SUCCESS)
}
