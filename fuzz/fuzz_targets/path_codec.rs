//! File names in reports: any bytes encode to a string that decodes back to
//! exactly those bytes, and valid UTF-8 without `\x` escapes stays as it is.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::path::{decode, encode};

fuzz_target!(|data: &[u8]| {
    let e = encode(data);
    assert_eq!(decode(&e), data);
    if let Ok(s) = std::str::from_utf8(data) {
        if !s.contains("\\x") {
            assert_eq!(e, s);
        }
    }
});
