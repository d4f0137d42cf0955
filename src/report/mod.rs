//! Renderers: the only code besides the CLI that writes output.
//!
//! Every format is a `Renderer`: it reads a `model::Report` and writes
//! bytes, and reads nothing else (no file, no environment, no terminal).
//! What a format needs beyond the report (the loaded rules' metadata for
//! SARIF and JUnit, colour, a link base) is decided by the CLI and handed
//! over in `Options`.

pub mod bench;
pub mod escape;
pub mod flat;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod paths;
pub mod plan;
pub mod sarif;
pub mod tables;
pub mod text;
pub mod view;

pub use crate::model::report::Report;
use crate::rules::RuleSet;
use clap::ValueEnum;
use std::io::{self, Write};

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
    /// JUnit XML: one test case per rule, failed as the CI gate decides
    /// (blockers, when no gate is set).
    Junit,
    /// GitLab Code Quality JSON.
    Gitlab,
}

/// One output format.
pub trait Renderer {
    /// Writes `report` in this format to `out`.
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;

    /// The rendering as a string, for tests and for callers that need the
    /// whole text at once.
    fn to_string(&self, report: &Report) -> io::Result<String> {
        let mut buf = Vec::new();
        self.render(report, &mut buf)?;
        String::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }
}

/// How a report is rendered, beyond its format: decided by the CLI from
/// the loaded rules, the terminal and the CI environment, so renderers look
/// at none of them.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    /// The loaded rules: SARIF and JUnit describe every rule, not only the
    /// ones that fired.
    pub rules: &'a RuleSet,
    /// ANSI colour in the text format.
    pub color: bool,
    /// Where `path#L12` links in Markdown point (a commit's files on the
    /// forge), or `None` for links relative to the repository.
    pub link_base: Option<String>,
    /// The least SARIF level written.
    pub sarif_min_level: sarif::Level,
    /// The CI gate's decision, which JUnit shows as failed test cases.
    pub gate: junit::Gate,
}

impl<'a> Options<'a> {
    /// No colour, relative links.
    pub fn new(rules: &'a RuleSet) -> Options<'a> {
        Options {
            rules,
            color: false,
            link_base: None,
            sarif_min_level: sarif::Level::default(),
            gate: junit::Gate::default(),
        }
    }
}

/// `1 file`, `2 files`: a count with its noun.
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Why a `stay` report shows no effort: porting is not the advice.
pub(crate) const STAY_EFFORT: &str = "no porting effort estimated: the service stays on containers";

impl Format {
    /// The renderer for this format, built with what it needs from `opts`.
    pub fn renderer<'a>(self, opts: &Options<'a>) -> Box<dyn Renderer + 'a> {
        match self {
            Format::Text => Box::new(text::Text { color: opts.color }),
            Format::Json => Box::new(json::Json),
            Format::Html => Box::new(html::Html),
            Format::Sarif => Box::new(sarif::Sarif {
                rules: opts.rules,
                min_level: opts.sarif_min_level,
            }),
            Format::Markdown => Box::new(markdown::Markdown {
                link_base: opts.link_base.clone(),
            }),
            Format::Junit => Box::new(junit::Junit {
                rules: opts.rules,
                gate: opts.gate.clone(),
            }),
            Format::Gitlab => Box::new(gitlab::Gitlab),
        }
    }
}
