//! Which Wasm proposals a module uses, from its instructions and types.
//!
//! wasmtime enables most proposals by default, but not all (threads, GC and
//! exceptions have needed `-W` flags), and a module that needs a disabled one
//! fails to load. Reading it here turns a runtime error into a report line.

use wasmparser::Operator;

/// The proposal an instruction belongs to, or `None` for the MVP set.
///
/// Generated from wasmparser's own instruction table, so a new wasmparser
/// release brings its new instructions with their proposal names.
pub fn of_operator(op: &Operator) -> Option<&'static str> {
    macro_rules! proposal_of {
        ($( @$proposal:ident $op:ident $({ $($arg:ident: $argty:ty),* })? => $visit:ident ($($ann:tt)*))*) => {
            match op {
                $( Operator::$op { .. } => proposal_of!(name @$proposal), )*
                // `Operator` is non-exhaustive: an instruction newer than this
                // table is reported under a generic name rather than dropped.
                #[allow(unreachable_patterns)]
                _ => Some("unknown-proposal"),
            }
        };
        (name @mvp) => { None };
        (name @sign_extension) => { Some("sign-extension") };
        (name @saturating_float_to_int) => { Some("saturating-float-to-int") };
        (name @bulk_memory) => { Some("bulk-memory") };
        (name @reference_types) => { Some("reference-types") };
        (name @simd) => { Some("simd") };
        (name @relaxed_simd) => { Some("relaxed-simd") };
        (name @threads) => { Some("threads") };
        (name @shared_everything_threads) => { Some("shared-everything-threads") };
        (name @acquire_release_atomics) => { Some("threads") };
        (name @exceptions) => { Some("exceptions") };
        (name @legacy_exceptions) => { Some("legacy-exceptions") };
        (name @tail_call) => { Some("tail-call") };
        (name @function_references) => { Some("function-references") };
        (name @gc) => { Some("gc") };
        (name @memory_control) => { Some("memory-control") };
        (name @stack_switching) => { Some("stack-switching") };
        (name @wide_arithmetic) => { Some("wide-arithmetic") };
        (name @custom_descriptors) => { Some("custom-descriptors") };
        (name @$other:ident) => { Some(stringify!($other)) };
    }
    wasmparser::for_each_operator!(proposal_of)
}

/// Proposals wasmtime 48 does not enable by default (it enables the Wasm 3.0
/// set plus threads), with what it takes. A module that uses one of them
/// fails to load without it.
pub fn wasmtime_flag(feature: &str) -> Option<&'static str> {
    Some(match feature {
        "legacy-exceptions" => "not supported by wasmtime (testing-only legacy encoding): rebuild with the standard exceptions",
        "shared-everything-threads" => "-W shared-everything-threads=y (experimental)",
        "stack-switching" => "-W stack-switching=y (experimental, x86-64 only)",
        "wide-arithmetic" => "-W wide-arithmetic=y",
        "custom-descriptors" | "memory-control" | "unknown-proposal" => "not supported by wasmtime",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_proposals() {
        assert_eq!(of_operator(&Operator::Nop), None);
        assert_eq!(
            of_operator(&Operator::MemoryCopy {
                dst_mem: 0,
                src_mem: 0
            }),
            Some("bulk-memory")
        );
        assert_eq!(
            of_operator(&Operator::ReturnCall { function_index: 0 }),
            Some("tail-call")
        );
        assert_eq!(of_operator(&Operator::I32Extend8S), Some("sign-extension"));
        assert_eq!(of_operator(&Operator::I8x16Splat), Some("simd"));
    }
}
