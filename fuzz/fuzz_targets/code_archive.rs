//! Jars (zip), class files, BEAM and .pyc files: the first byte picks the
//! kind, the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::artifact::CodeArchive;
use wasmfit::model::context::Context;

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else {
        return;
    };
    let kind = [
        CodeArchive::Jar,
        CodeArchive::JvmClass,
        CodeArchive::Beam,
        CodeArchive::Pyc,
    ][usize::from(k) % 4];
    let _ = wasmfit::parse::archive::parse_bytes(rest, "fuzz", kind, Context::Service);
    let _ = wasmfit::parse::archive::fuzzing::zip(rest);
});
