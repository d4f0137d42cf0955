//! `wasmfit: ignore[...]` comments in arbitrary text, in a Python file
//! a manifest: no panic, and at most 20 problems listed (plus a count).
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
    let _ = wasmfit::analyze::suppress::read_markers(&RULES, &a, &text, &mut diags);
    assert!(diags.len() <= 21);
});
