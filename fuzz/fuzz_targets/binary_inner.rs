//! The parsers inside a binary, fed directly: Go pclntab and build info,
//! cargo-auditable data, and the read-only data scan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::parse::binary::fuzzing as f;

fuzz_target!(|data: &[u8]| {
    let _ = f::go_pclntab(data);
    let _ = f::go_buildinfo(data);
    let _ = f::cargo_auditable(data);
    let _ = f::strings(data);
});
