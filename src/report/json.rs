//! JSON output: the report struct as is, pretty-printed, for machines.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
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
