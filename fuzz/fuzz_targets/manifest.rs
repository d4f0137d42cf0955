//! Every manifest parser on arbitrary text; the first byte picks the kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::artifact::ManifestKind;
use wasmfit::model::context::Context;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let kind = ManifestKind::ALL[pick as usize % ManifestKind::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let _ = wasmfit::parse::manifest::parse(kind, "manifest", &text, Context::Service);
});
