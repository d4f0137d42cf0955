//! The Wasm parser on arbitrary bytes: it must never panic, and what it
//! reports must stay bounded whatever the input claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::context::Context;

fuzz_target!(|data: &[u8]| {
    let (out, info) = wasmfit::parse::wasm::parse(data, "fuzz.wasm", Context::Service);
    // Lists are cut (200, entry points and interfaces up to 2000); one fact
    // per kept import plus the runtime hint.
    assert!(info.exports.len() <= 2000);
    assert!(info.host_imports.len() <= 200);
    assert!(out.facts.len() <= 2001);
    assert!(out.diagnostics.len() <= 2);
});
