//! JSON output: the report struct as is, pretty-printed, for machines.

use super::{Renderer, Report};
use std::io::{self, Write};

/// The report as saved and read back by `wasmfit report` and `--baseline`.
pub struct Json;

impl Renderer for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        out.write_all(b"\n")
    }
}

/// Reads a saved report, refusing other schema major versions.
pub fn parse(text: &str) -> Result<Report, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let version = v
        .get("schema_version")
        .and_then(|s| s.as_str())
        .ok_or("not a wasmfit report: no schema_version")?;
    let major = |s: &str| s.split('.').next().map(str::to_string);
    if major(version) != major(crate::model::report::SCHEMA_VERSION) {
        return Err(format!(
            "report schema version {version} is not compatible with this wasmfit ({})",
            crate::model::report::SCHEMA_VERSION
        ));
    }
    serde_json::from_value(v).map_err(|e| format!("not a wasmfit report: {e}"))
}
