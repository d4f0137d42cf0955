//! The Dockerfile parser on arbitrary text: no panic, and what it keeps is
//! bounded whatever the file asks (ARG expansion above all).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmfit::model::context::Context;
use wasmfit::model::fact::FactKind;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let out = wasmfit::parse::dockerfile::parse("Dockerfile", &text, Context::Service);
    assert!(out.diagnostics.len() <= 10);
    for f in &out.facts {
        if let FactKind::BaseImage { image, .. } = &f.kind {
            assert!(image.len() <= 4096, "{} bytes", image.len());
        }
    }
});
