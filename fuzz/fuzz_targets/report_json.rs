//! A saved report (anyone can write one) read by `wasmfit report`, then
//! rendered as text: no panic in either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;
use wasmfit::report::{Format, Options};
use wasmfit::rules::RuleSet;

static RULES: LazyLock<RuleSet> = LazyLock::new(|| RuleSet::builtin().expect("built-in rules"));

fuzz_target!(|data: &[u8]| {
    let Ok(report) = wasmfit::report::json::parse_slice(data) else {
        return;
    };
    let opts = Options {
        rules: &RULES,
        color: false,
        link_base: None,
        sarif_min_level: Default::default(),
        gate: Default::default(),
    };
    for format in [Format::Text, Format::Sarif, Format::Markdown] {
        let _ = format.renderer(&opts).to_string(&report);
    }
});
