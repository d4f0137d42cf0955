//! The compose parser on arbitrary text: no panic, alias bombs and deep
//! nesting end in a diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::context::Context;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let out = wasmfit::parse::compose::parse("compose.yaml", &text, Context::Service);
    // Facts come from the text: never more than one per byte or so.
    assert!(out.facts.len() <= data.len() + 1);
});
