//! The whole native-binary analyser on arbitrary bytes read as Elf.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::artifact::BinaryFormat;

fuzz_target!(|data: &[u8]| {
    let _ = wasmfit::parse::binary::fuzzing::binary(data, BinaryFormat::Elf);
});
