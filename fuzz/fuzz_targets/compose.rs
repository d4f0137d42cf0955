//! The compose parser on arbitrary text: no panic, alias bombs and deep
//! nesting end in a diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::context::Context;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = wasmfit::parse::compose::parse("compose.yaml", &text, Context::Service);
});
