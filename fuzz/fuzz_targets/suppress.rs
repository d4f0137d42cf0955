//! `wasmfit: ignore[...]` comments in arbitrary text, for a source file and
//! a manifest: no panic, diagnostics bounded by the markers present.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use wasmfit::model::artifact::{Artifact, ArtifactKind};
use wasmfit::model::context::Context;
use wasmfit::model::language::Language;
use wasmfit::rules::RuleSet;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("built-in rules"));

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let a = Artifact {
        path: "x.py".into(),
        rel: "x.py".into(),
        kind: ArtifactKind::Source(Language::Python),
        context: Context::Service,
        size: data.len() as u64,
    };
    let mut diags = Vec::new();
    wasmfit::analyze::suppress::apply(&RULES, &a, &text, &mut [], &mut diags);
    assert!(diags.len() <= text.matches("wasmfit:").count() + 1);
});
