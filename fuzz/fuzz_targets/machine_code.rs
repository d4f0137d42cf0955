//! Syscall-site and call-site reading over arbitrary x86-64 and aarch64
//! machine code.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wasmfit::parse::binary::fuzzing::code(data);
});
