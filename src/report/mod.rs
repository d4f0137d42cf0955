//! Renderers: the only code besides the CLI that writes output.

pub mod bench;
pub mod excerpt;
pub mod flat;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod paths;
pub mod sarif;
pub mod tables;
pub mod text;
pub mod view;

pub use crate::model::report::Report;
use clap::ValueEnum;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: grouped by severity, with path:line and the line itself.
    Text,
    /// For machines: the versioned report schema.
    Json,
    /// One self-contained page to send around: verdict, evidence, charts.
    Html,
    /// SARIF 2.1.0 for code scanning (GitHub, Azure DevOps).
    Sarif,
    /// For a merge-request comment or a GitHub step summary.
    Markdown,
    /// JUnit XML: one test case per rule.
    Junit,
    /// GitLab Code Quality JSON.
    Gitlab,
}

/// How a report is rendered, beyond its format: decided by the CLI from
/// the terminal and the CI environment, so renderers look at neither.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// ANSI colour in the text format.
    pub color: bool,
    /// Where `path#L12` links in Markdown point (a commit's files on the
    /// forge), or `None` for links relative to the repository.
    pub link_base: Option<String>,
}

/// Renders in any format; SARIF and JUnit list the loaded rules too.
pub fn render(
    report: &Report,
    rules: &crate::rules::RuleSet,
    format: Format,
    opts: &Options,
) -> Result<String, String> {
    Ok(match format {
        Format::Text => text::render(report, opts.color),
        Format::Json => json::render(report),
        Format::Html => html::render(report)?,
        Format::Sarif => sarif::render(report, rules),
        Format::Markdown => markdown::render(report, opts.link_base.as_deref()),
        Format::Junit => junit::render(report, rules),
        Format::Gitlab => gitlab::render(report),
    })
}
