//! composer.json (PHP).
//!
//! `Ecosystem` has no Packagist member yet, so composer packages cannot be
//! reported as `Dependency` facts; the manifest still says the service runs
//! on PHP, and a broken file is still reported.

use super::Sink;

pub(crate) fn composer_json(sink: &mut Sink) {
    sink.runtime("php");
    if let Err(e) = serde_json::from_str::<serde_json::Value>(sink.text) {
        sink.malformed(format!("composer.json: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;
    use crate::parse::manifest::parse;

    #[test]
    fn runtime_hint() {
        let text = r#"{"require": {"php": ">=8.2", "ext-pcntl": "*", "symfony/process": "^7.0"}}"#;
        let out = parse(
            ManifestKind::ComposerJson,
            "composer.json",
            text,
            Context::Service,
        );
        assert_eq!(runtimes(&out), vec![("php".to_string(), 10)]);
        assert!(out.diagnostics.is_empty());
        let out = parse(
            ManifestKind::ComposerJson,
            "composer.json",
            "{",
            Context::Service,
        );
        assert_eq!(out.diagnostics.len(), 1);
    }
}
