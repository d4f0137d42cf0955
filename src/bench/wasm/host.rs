//! The embedded wasmtime host as a production Wasm host would set it up:
//! ahead-of-time compiled code cached on disk (the `.cwasm` is what gets
//! loaded, never the `.wasm`), and the pooling instance allocator, which
//! preallocates instance slots so instantiation is mostly memory resets.

use crate::bench::error::{BenchError, BenchResult, Step};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// What a `.wasm` file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmKind {
    Module,
    Component,
}

impl WasmKind {
    pub fn id(self) -> &'static str {
        match self {
            WasmKind::Module => "module",
            WasmKind::Component => "component",
        }
    }

    /// From the binary's header: version 1 is a core module, layer 1 a component.
    pub fn of(bytes: &[u8]) -> Option<WasmKind> {
        match bytes.get(..8)? {
            [0, b'a', b's', b'm', 1, 0, 0, 0] => Some(WasmKind::Module),
            [0, b'a', b's', b'm', _, _, 1, 0] => Some(WasmKind::Component),
            _ => None,
        }
    }
}

pub fn err(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::new(Step::Wasm, format!("{what}: {e}"))
}

/// Memory slots a pool may reserve: each reserves 4 GiB of address space
/// plus a guard region, and a 47-bit user address space holds about 32k.
pub const MAX_MEMORY_SLOTS: u32 = 28_000;

/// The pool's limits in words, for the density figure.
pub fn pool_limits(slots: u32) -> String {
    let memories = slots.saturating_mul(2).min(MAX_MEMORY_SLOTS);
    format!(
        "pooling allocator: {slots} instance slots, {memories} memory slots, each reserving 4 GiB of address space plus guard pages (a 47-bit address space caps one process near 32k memories)"
    )
}

/// The engine every measurement uses. `slots` sizes the pool: enough for
/// the idle-instance count plus the server's concurrent requests.
pub fn engine(slots: u32) -> BenchResult<Engine> {
    // A component instance holds several core instances (the guest, the
    // WASI adapter, shims) with their memories and tables, hence the factors.
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots.saturating_mul(8))
        .total_memories(slots.saturating_mul(2).min(MAX_MEMORY_SLOTS))
        .total_tables(slots.saturating_mul(8))
        .total_stacks(slots);
    let mut config = Config::new();
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).map_err(|e| err("cannot create the wasmtime engine", e))
}

/// The AOT file for `wasm` under `cache`, compiling it on a miss. Keyed by
/// the input's SHA-256 and the engine's compatibility hash, so a different
/// wasmtime or configuration never loads stale code. Returns the path and
/// whether it was compiled now.
pub fn precompiled(engine: &Engine, wasm: &Path, cache: &Path) -> BenchResult<(PathBuf, WasmKind)> {
    let bytes =
        std::fs::read(wasm).map_err(|e| err(&format!("cannot read {}", wasm.display()), e))?;
    let kind = WasmKind::of(&bytes).ok_or_else(|| {
        BenchError::new(
            Step::Wasm,
            format!("{} is not a Wasm module or component", wasm.display()),
        )
    })?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let path = cache.join(format!("{hex}-{:016x}.cwasm", hasher.finish()));
    if path.is_file() {
        return Ok((path, kind));
    }
    std::fs::create_dir_all(cache)
        .map_err(|e| err(&format!("cannot create {}", cache.display()), e))?;
    let code = match kind {
        WasmKind::Module => engine.precompile_module(&bytes),
        WasmKind::Component => engine.precompile_component(&bytes),
    }
    .map_err(|e| {
        BenchError::new(
            Step::Wasm,
            format!("wasmtime cannot compile {}: {e:?}", wasm.display()),
        )
    })?;
    // Write then rename: a reader never sees half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &code).map_err(|e| err(&format!("cannot write {}", tmp.display()), e))?;
    std::fs::rename(&tmp, &path)
        .map_err(|e| err(&format!("cannot write {}", path.display()), e))?;
    Ok((path, kind))
}

/// Loads an AOT-compiled module from the cache.
pub fn load_module(engine: &Engine, cwasm: &Path) -> BenchResult<wasmtime::Module> {
    // SAFETY: `deserialize_file` trusts its input to be wasmtime output.
    // The file is one `precompiled` wrote for this very engine
    // configuration (its name carries the compatibility hash), in wasmfit's
    // own cache directory.
    unsafe { wasmtime::Module::deserialize_file(engine, cwasm) }
        .map_err(|e| err("cannot load the precompiled module", e))
}

/// Loads an AOT-compiled component from the cache.
pub fn load_component(
    engine: &Engine,
    cwasm: &Path,
) -> BenchResult<wasmtime::component::Component> {
    // SAFETY: as in `load_module`.
    unsafe { wasmtime::component::Component::deserialize_file(engine, cwasm) }
        .map_err(|e| err("cannot load the precompiled component", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_from_header() {
        assert_eq!(WasmKind::of(b"\0asm\x01\0\0\0"), Some(WasmKind::Module));
        assert_eq!(
            WasmKind::of(b"\0asm\x0d\0\x01\0"),
            Some(WasmKind::Component)
        );
        assert_eq!(WasmKind::of(b"\x7fELF\x02\x01\x01\0"), None);
        assert_eq!(WasmKind::of(b"\0as"), None);
    }

    #[test]
    fn cache_hit_reuses_the_file_and_bad_input_errors() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(4).unwrap();
        let wasm = dir.path().join("m.wasm");
        // The smallest valid module: header only.
        std::fs::write(&wasm, b"\0asm\x01\0\0\0").unwrap();
        let (a, kind) = precompiled(&engine, &wasm, &dir.path().join("aot")).unwrap();
        assert_eq!(kind, WasmKind::Module);
        let (b, _) = precompiled(&engine, &wasm, &dir.path().join("aot")).unwrap();
        assert_eq!(a, b);
        load_module(&engine, &a).unwrap();
        std::fs::write(&wasm, b"\0asm\x01\0\0\0garbage").unwrap();
        assert!(precompiled(&engine, &wasm, &dir.path().join("aot")).is_err());
    }
}
