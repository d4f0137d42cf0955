//! A whole image archive (docker save or OCI tar) from arbitrary bytes: an
//! error or a partial image, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::image::{Input, Limits};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("image.tar");
    std::fs::write(&p, data).unwrap();
    let limits = Limits {
        max_bytes: 4 << 20,
        max_entries: 2000,
        max_input: 16 << 20,
        max_file_bytes: 1 << 20,
    };
    let _ = wasmfit::image::unpack(&Input::Path(p), limits);
});
