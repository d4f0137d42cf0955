//! `wasmfit.toml` on arbitrary text: an error names a line of the file, or
//! a config comes out; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.lines().count().max(1);
    if let Err(e) =
        wasmfit::config::Config::parse("wasmfit.toml", Path::new("/nonexistent"), &text)
    {
        if let Some(l) = e.line {
            assert!(l <= lines + 1, "line {l} of {lines}");
        }
    }
});
