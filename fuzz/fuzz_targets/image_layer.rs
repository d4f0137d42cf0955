//! One layer tar (plain, gzip or zstd) applied into a fresh root: no panic,
//! and no entry may be created beside the root, whatever names and links it
//! holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::image::layers::{Limits, Unpacker};

fuzz_target!(|data: &[u8]| {
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let limits = Limits {
        max_bytes: 4 << 20,
        max_entries: 2000,
        max_input: 16 << 20,
        max_file_bytes: 1 << 20,
    };
    let mut u = Unpacker::new(&root, limits);
    u.apply("fuzz", data, true);
    // Apply it twice: the second pass meets the first one's symlinks.
    u.apply("fuzz2", data, true);
    let beside: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        beside,
        vec![std::ffi::OsString::from("root")],
        "an entry escaped the root"
    );
    assert!(u.bytes <= limits.max_bytes);
});
