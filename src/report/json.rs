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
    parse_slice(text.as_bytes())
}

/// `parse` on bytes. The version is checked first by a pass that skips
/// everything else without building it, then the report is deserialised
/// straight into its types: no intermediate JSON tree, whose size is a
/// multiple of the text's.
pub fn parse_slice(bytes: &[u8]) -> Result<Report, String> {
    #[derive(serde::Deserialize)]
    struct Probe {
        schema_version: Option<String>,
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("not a wasmfit report: {e}"),
        _ => format!("not JSON: {e}"),
    })?;
    let version = probe
        .schema_version
        .ok_or("not a wasmfit report: no schema_version")?;
    let major = |s: &str| s.split('.').next().map(str::to_string);
    if major(&version) != major(crate::model::report::SCHEMA_VERSION) {
        return Err(format!(
            "report schema version {version} is not compatible with this wasmfit ({})",
            crate::model::report::SCHEMA_VERSION
        ));
    }
    serde_json::from_slice(bytes).map_err(|e| format!("not a wasmfit report: {e}"))
}
