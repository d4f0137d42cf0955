//! The Wasm parser on arbitrary bytes: it must never panic, and what it
//! reports must stay bounded whatever the input claims.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::context::Context;

fuzz_target!(|data: &[u8]| {
    let (out, info) = wasmfit::parse::wasm::parse(data, "fuzz.wasm", Context::Service);
    assert!(info.exports.len() <= 200);
    assert!(out.facts.len() <= 2001);
    // The JSON model must serialise whatever was found.
    let _ = serde_json_len(&info);
});

fn serde_json_len(info: &wasmfit::parse::wasm::WasmInfo) -> usize {
    format!("{info:?}").len()
}
