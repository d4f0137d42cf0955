//! The HTML migration report: one self-contained file to send around.
//!
//! Rendered with minijinja from `templates/`, which are compiled into the
//! binary so an installed wasmfit needs no files beside it. Everything from
//! the scanned tree is untrusted: autoescaping is on for every template,
//! nothing scanned is ever marked safe, and the page carries a
//! Content-Security-Policy that forbids scripts and any fetch, so even a
//! mistake in a template could not make the report run or load anything.

use super::{view, Renderer, Report};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Value};
use std::io::{self, Write};

/// The templates, embedded at build time: (name, source).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "report.html.j2",
        include_str!("../../templates/report.html.j2"),
    ),
    (
        "macros.html.j2",
        include_str!("../../templates/macros.html.j2"),
    ),
    ("report.css", include_str!("../../templates/report.css")),
];

fn env() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    // Escape in every template whatever its name, including the CSS
    // partial: the name-based default would leave `.css` and `.j2` raw.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()?,
    );
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    Ok(env)
}

/// The HTML page.
pub struct Html;

impl Renderer for Html {
    /// A template error is a bug in wasmfit, reported as an error, never a
    /// panic.
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let page = render(report).map_err(io::Error::other)?;
        out.write_all(page.as_bytes())
    }
}

fn render(report: &Report) -> Result<String, String> {
    let raw = serde_json::to_value(report).map_err(|e| format!("HTML report: {e}"))?;
    let view = view::build(report, &raw);
    let env = env().map_err(|e| format!("HTML template: {e:#}"))?;
    let tmpl = env
        .get_template("report.html.j2")
        .map_err(|e| format!("HTML template: {e:#}"))?;
    tmpl.render(minijinja::context! {
        r => Value::from(Serde(&raw)),
        v => Value::from(Serde(&view)),
    })
    .map_err(|e| format!("HTML template: {e:#}"))
}
