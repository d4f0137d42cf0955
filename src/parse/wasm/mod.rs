//! Wasm modules and components: what a `.wasm` imports from its host, what
//! it exports, which world it fits and what a host must grant it.
//!
//! An artefact that is already Wasm is the best evidence there is, and its
//! imports say exactly which host capabilities it needs. The parser reads
//! sections lazily with wasmparser and never validates (a module wasmtime
//! would reject is still worth describing); anything malformed becomes a
//! diagnostic with the byte offset, and what was read before it is kept.

pub mod features;
pub mod wasi;

pub use crate::model::wasm::{Grant, HostImport, Memory, Producers, WasmInfo, WasmKind, WorldFit};

use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Fact, FactKind, Location, RuntimeClue};
use crate::model::runtime::RuntimeId;
use crate::parse::Output;
use std::collections::{BTreeMap, BTreeSet};
use wasmparser::{
    CompositeInnerType, Encoding, KnownCustom, Parser, Payload, RefType, TypeRef, ValType,
};

/// Lists in a `WasmInfo` are cut at this length (with the total kept): an
/// Emscripten module can export thousands of functions.
const MAX_LISTED: usize = 200;
/// Facts per module: enough for every WASI function and interface, bounded
/// against a hostile import section with millions of entries.
const MAX_FACTS: usize = 2000;

/// What the section walk collects before it is summarised.
#[derive(Default)]
struct Walk {
    kind: WasmKind,
    depth: usize,
    /// Top-level imports: (module, name) for core, (interface, "") for components.
    imports: Vec<(String, String)>,
    imports_total: usize,
    exports: Vec<String>,
    exports_total: usize,
    memories: Vec<Memory>,
    features: BTreeSet<&'static str>,
    producers: [BTreeSet<String>; 3],
    core_modules: usize,
    functions: u64,
    code_bytes: u64,
    notes: BTreeSet<String>,
    bad_bodies: usize,
}

/// Reads a discovered `.wasm` from disk and parses it. The read is bounded by
/// the size discovery saw (and already checked against its limit), so a file
/// that grows underneath the scan cannot take more memory.
pub fn analyze(a: &crate::model::artifact::Artifact) -> (Output, Option<WasmInfo>) {
    use std::io::Read;
    let mut bytes = Vec::new();
    let read = std::fs::File::open(&a.path).and_then(|f| f.take(a.size).read_to_end(&mut bytes));
    if let Err(e) = read {
        let mut out = Output::default();
        out.diagnostics
            .push(Diagnostic::new(DiagKind::Unreadable, &a.rel, e.to_string()));
        return (out, None);
    }
    let (out, info) = parse(&bytes, &a.rel, a.context);
    (out, Some(info))
}

/// Reads one `.wasm`. Never fails: what cannot be read is a diagnostic.
pub fn parse(bytes: &[u8], rel: &str, context: Context) -> (Output, WasmInfo) {
    let mut out = Output::default();
    let mut w = Walk::default();
    let mut malformed = false;
    for payload in Parser::new(0).parse_all(bytes) {
        let step = payload.and_then(|p| w.payload(p));
        if let Err(e) = step {
            out.diagnostics.push(Diagnostic::new(
                DiagKind::Malformed,
                rel,
                format!(
                    "malformed Wasm at byte {}: {}; what came before it was used, but the file does not count as a Wasm build",
                    e.offset(),
                    e.message()
                ),
            ));
            malformed = true;
            break;
        }
    }
    if w.bad_bodies > 0 {
        out.diagnostics.push(Diagnostic::new(
            DiagKind::Malformed,
            rel,
            format!(
                "{} function bodies could not be decoded; features may be missing",
                w.bad_bodies
            ),
        ));
    }
    let info = w.summarise(rel, context, bytes.len() as u64);
    out.facts = facts(&info, &w.imports, rel, context);
    // The magic number and garbage after it is not a Wasm build: what was
    // read is still described, but only a well-formed file says the service
    // already runs as Wasm.
    if malformed {
        out.facts
            .retain(|f| !matches!(f.kind, FactKind::Runtime { .. }));
    }
    (out, info)
}

impl Walk {
    fn payload(&mut self, p: Payload) -> wasmparser::Result<()> {
        let top = self.depth == 0;
        match p {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } if top => self.kind = WasmKind::Component,
            Payload::ModuleSection { .. } => {
                self.core_modules += 1;
                self.depth += 1;
            }
            Payload::ComponentSection { .. } => self.depth += 1,
            Payload::End(_) => self.depth = self.depth.saturating_sub(1),
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    let imp = imp?;
                    if let TypeRef::Memory(m) = imp.ty {
                        self.memory(m, true);
                    }
                    if let TypeRef::Tag(_) = imp.ty {
                        self.features.insert("exceptions");
                    }
                    // Imports of a component's inner modules are wired to
                    // other inner instances, not to the host.
                    if top {
                        self.import(imp.module, imp.name);
                    }
                }
            }
            Payload::ComponentImportSection(r) => {
                for imp in r {
                    let imp = imp?;
                    if top {
                        self.import(&imp.name.full_name(), "");
                    }
                }
            }
            Payload::ExportSection(r) => {
                for e in r {
                    let e = e?;
                    if top {
                        self.export(e.name);
                    }
                }
            }
            Payload::ComponentExportSection(r) => {
                for e in r {
                    let e = e?;
                    if top {
                        self.export(&e.name.full_name());
                    }
                }
            }
            Payload::MemorySection(r) => {
                for m in r {
                    self.memory(m?, false);
                }
            }
            Payload::TableSection(r) => {
                let mut n = 0;
                for t in r {
                    let t = t?;
                    n += 1;
                    if t.ty.element_type != RefType::FUNCREF {
                        self.features.insert("reference-types");
                    }
                }
                if n > 1 {
                    self.features.insert("reference-types");
                }
            }
            Payload::TagSection(_) => {
                self.features.insert("exceptions");
            }
            Payload::DataCountSection { .. } => {
                self.features.insert("bulk-memory");
            }
            Payload::TypeSection(r) => {
                for group in r {
                    let group = group?;
                    if group.is_explicit_rec_group() {
                        self.features.insert("gc");
                    }
                    for t in group.types() {
                        match &t.composite_type.inner {
                            CompositeInnerType::Func(f) => {
                                if f.results().len() > 1 {
                                    self.features.insert("multi-value");
                                }
                                for v in f.params().iter().chain(f.results()) {
                                    self.valtype(*v);
                                }
                            }
                            CompositeInnerType::Array(_) | CompositeInnerType::Struct(_) => {
                                self.features.insert("gc");
                            }
                            CompositeInnerType::Cont(_) => {
                                self.features.insert("stack-switching");
                            }
                        }
                    }
                }
            }
            Payload::CodeSectionStart { size, .. } => self.code_bytes += u64::from(size),
            Payload::CodeSectionEntry(body) => {
                self.functions += 1;
                if self.operators(&body).is_err() {
                    self.bad_bodies += 1;
                }
            }
            Payload::CustomSection(c) => self.custom(&c),
            _ => {}
        }
        Ok(())
    }

    fn import(&mut self, module: &str, name: &str) {
        self.imports_total += 1;
        if self.imports.len() < MAX_FACTS {
            self.imports.push((module.to_string(), name.to_string()));
        }
    }

    fn export(&mut self, name: &str) {
        self.exports_total += 1;
        // Entry points and interfaces decide the world: they are kept even
        // past the cut (an Emscripten module lists `_start` after thousands
        // of functions), within a second, larger bound.
        let notable = name.starts_with("_start") || name == "_initialize" || name.contains(':');
        if self.exports.len() < MAX_LISTED || (notable && self.exports.len() < MAX_FACTS) {
            self.exports.push(name.to_string());
        }
    }

    fn memory(&mut self, m: wasmparser::MemoryType, imported: bool) {
        if m.shared {
            self.features.insert("threads");
        }
        if m.memory64 {
            self.features.insert("memory64");
        }
        if self.memories.len() < MAX_LISTED {
            self.memories.push(Memory {
                min_pages: m.initial,
                max_pages: m.maximum,
                shared: m.shared,
                memory64: m.memory64,
                imported,
            });
        }
    }

    fn valtype(&mut self, v: ValType) {
        match v {
            ValType::V128 => {
                self.features.insert("simd");
            }
            ValType::Ref(r) if r != RefType::FUNCREF => {
                self.features.insert(if r == RefType::EXTERNREF {
                    "reference-types"
                } else {
                    "gc"
                });
            }
            _ => {}
        }
    }

    /// Decodes every instruction once: the only way to see SIMD or atomics in
    /// a module built without a `target_features` section.
    fn operators(&mut self, body: &wasmparser::FunctionBody) -> wasmparser::Result<()> {
        let mut locals = body.get_locals_reader()?;
        for _ in 0..locals.get_count() {
            let (_, ty) = locals.read()?;
            self.valtype(ty);
        }
        let mut ops = body.get_operators_reader()?;
        while !ops.eof() {
            if let Some(f) = features::of_operator(&ops.read()?) {
                self.features.insert(f);
            }
        }
        Ok(())
    }

    fn custom(&mut self, c: &wasmparser::CustomSectionReader) {
        match c.name() {
            "target_features" => self.target_features(c.data()),
            "dylink.0" => {
                self.notes.insert("dynamic library (dylink.0): a side module loaded by a dynamic linker, not a standalone program".into());
            }
            ".debug_info" => {
                self.notes.insert("carries DWARF debug info".into());
            }
            n if n.starts_with("component-type") => {
                self.notes
                    .insert("built with wit-bindgen (component-type section)".into());
            }
            _ => {}
        }
        if let KnownCustom::Producers(r) = c.as_known() {
            // A broken producers section loses only the producers.
            for field in r.into_iter().flatten() {
                let slot = match field.name {
                    "language" => 0,
                    "processed-by" => 1,
                    "sdk" => 2,
                    _ => continue,
                };
                for v in field.values.into_iter().flatten() {
                    if self.producers[slot].len() < MAX_LISTED {
                        let s = if v.version.is_empty() {
                            v.name.to_string()
                        } else {
                            format!("{} {}", v.name, v.version)
                        };
                        self.producers[slot].insert(s);
                    }
                }
            }
        }
    }

    /// LLVM's `target_features` section: a count, then (prefix, name) pairs
    /// where `+` means the feature is used.
    fn target_features(&mut self, data: &[u8]) {
        let mut r = wasmparser::BinaryReader::new(data, 0);
        let Ok(n) = r.read_var_u32() else { return };
        for _ in 0..n.min(256) {
            let (Ok(prefix), Ok(name)) = (r.read_u8(), r.read_string()) else {
                return;
            };
            if prefix != b'+' {
                continue;
            }
            let f = match name {
                "atomics" | "shared-mem" => "threads",
                "simd128" => "simd",
                "relaxed-simd" => "relaxed-simd",
                "bulk-memory" | "bulk-memory-opt" => "bulk-memory",
                "exception-handling" => "exceptions",
                "reference-types" => "reference-types",
                "multivalue" => "multi-value",
                "tail-call" => "tail-call",
                "memory64" => "memory64",
                "multimemory" => "multi-memory",
                "gc" => "gc",
                _ => continue,
            };
            self.features.insert(f);
        }
    }

    fn summarise(&self, rel: &str, context: Context, size: u64) -> WasmInfo {
        let shared_memory = self.memories.iter().any(|m| m.shared);
        let mut preview1 = BTreeSet::new();
        let mut interfaces = BTreeSet::new();
        let mut host_imports = Vec::new();
        let mut grants: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        let mut grant = |g: &'static str, why: String| {
            let set = grants.entry(g).or_default();
            if set.len() < 4 {
                set.insert(why);
            }
        };
        for (module, name) in &self.imports {
            if wasi::PREVIEW1_MODULES.contains(&module.as_str()) {
                preview1.insert(name.clone());
                if let Some(g) = wasi::preview1_grant(name) {
                    grant(g, name.clone());
                }
                continue;
            }
            if wasi::is_interface(module) {
                // A component's import, or a WASI 0.2 interface imported by a
                // core module that has not been componentized yet.
                let bare = wasi::split_version(module).0;
                if let Some(g) = wasi::interface_grant(bare) {
                    grant(g, bare.to_string());
                }
                if module.starts_with("wasi:") {
                    interfaces.insert(module.clone());
                }
                if let Some(h) = wasi::host_of_interface(bare) {
                    let import = if name.is_empty() {
                        module.clone()
                    } else {
                        format!("{module}/{name}")
                    };
                    host_imports.push(HostImport {
                        import,
                        host: h.to_string(),
                    });
                }
                continue;
            }
            let (import, host) = if self.kind == WasmKind::Component {
                // A plain function or type imported by a component: only a
                // host that knows this component's own WIT can provide it.
                (
                    module.clone(),
                    "a custom host (your own embedding must implement it)",
                )
            } else {
                (
                    format!("{module}/{name}"),
                    wasi::host_of_core_import(module, name, shared_memory),
                )
            };
            host_imports.push(HostImport {
                import,
                host: host.to_string(),
            });
        }
        host_imports.dedup();
        host_imports.truncate(MAX_LISTED);
        let exported: BTreeSet<&str> = self
            .exports
            .iter()
            .map(|e| wasi::split_version(e).0)
            .collect();
        if exported.contains("wasi:http/incoming-handler") {
            grant("inbound-http", "wasi:http/incoming-handler".into());
        }
        let grants = grants
            .into_iter()
            .map(|(g, why)| Grant {
                grant: g.to_string(),
                wasmtime: wasi::grant_flag(g).map(str::to_string),
                because: why.into_iter().collect(),
            })
            .collect();
        let features: Vec<String> = self.features.iter().map(|f| f.to_string()).collect();
        let feature_flags = self
            .features
            .iter()
            .filter_map(|f| features::wasmtime_flag(f).map(|flag| format!("{f}: {flag}")))
            .collect();
        let [language, processed_by, sdk] = self.producers.clone().map(|s| s.into_iter().collect());
        WasmInfo {
            path: rel.to_string(),
            context,
            kind: self.kind,
            size,
            worlds: self.worlds(&exported, &preview1),
            preview1: preview1.into_iter().collect(),
            interfaces: interfaces.into_iter().collect(),
            host_imports,
            imports_total: self.imports_total,
            exports: self.exports.clone(),
            exports_total: self.exports_total,
            memories: self.memories.clone(),
            features,
            feature_flags,
            producers: Producers {
                language,
                processed_by,
                sdk,
            },
            grants,
            core_modules: self.core_modules,
            functions: self.functions,
            code_bytes: self.code_bytes,
            notes: self.notes.iter().cloned().collect(),
        }
    }

    /// The standard worlds this artefact implements, judged by its exports,
    /// with whatever it imports beyond each world.
    fn worlds(&self, exported: &BTreeSet<&str>, preview1: &BTreeSet<String>) -> Vec<WorldFit> {
        let mut out = Vec::new();
        if self.kind == WasmKind::Component {
            let imported: Vec<&str> = self.imports.iter().map(|(m, _)| m.as_str()).collect();
            for (export, world, allowed) in wasi::WORLDS {
                if !exported.contains(export) {
                    continue;
                }
                let beyond: Vec<String> = imported
                    .iter()
                    .filter(|i| !allowed.contains(&wasi::split_version(i).0))
                    .take(MAX_LISTED)
                    .map(|i| i.to_string())
                    .collect();
                // Rust std, for one, pulls wasi:cli/environment into every
                // component; wasmtime has those interfaces behind a flag.
                let all_wasmtime = beyond
                    .iter()
                    .all(|b| wasi::wasmtime_provides(wasi::split_version(b).0));
                let note = match (beyond.is_empty(), all_wasmtime, *world) {
                    (true, _, _) | (false, false, _) => String::new(),
                    (false, true, "wasi:http/proxy") => "the extra imports are WASI 0.2 interfaces wasmtime provides with `wasmtime serve -S cli`".into(),
                    (false, true, _) => "the extra imports are WASI 0.2 interfaces wasmtime provides with `wasmtime run -S http`".into(),
                };
                out.push(WorldFit {
                    world: world.to_string(),
                    beyond,
                    note,
                });
            }
            if out.is_empty() {
                out.push(WorldFit {
                    world: "custom".into(),
                    beyond: Vec::new(),
                    note: "exports no standard WASI world; a host that knows its WIT must call it"
                        .into(),
                });
            }
            return out;
        }
        let beyond: Vec<String> = self
            .imports
            .iter()
            .filter(|(m, _)| !wasi::PREVIEW1_MODULES.contains(&m.as_str()))
            .map(|(m, n)| format!("{m}/{n}"))
            .take(MAX_LISTED)
            .collect();
        let is_p1 = !preview1.is_empty() || self.imports.is_empty();
        if exported.contains("_start") {
            out.push(WorldFit {
                world: "wasi:cli/command".into(),
                beyond,
                note: if is_p1 {
                    "WASI preview 1 command: wasmtime runs it as is; `wasm-tools component new --adapt wasi_snapshot_preview1.command.wasm` makes it a component".into()
                } else {
                    String::new()
                },
            });
        } else {
            out.push(WorldFit {
                world: "reactor".into(),
                beyond,
                note: "a core module without `_start`: a library a host instantiates and calls (wasi:cli/command does not apply)".into(),
            });
        }
        out
    }
}

/// One `WasmImport` per top-level import, a `Runtime` hint, and nothing else:
/// rules decide what an import means.
fn facts(info: &WasmInfo, imports: &[(String, String)], rel: &str, context: Context) -> Vec<Fact> {
    let mut facts = Vec::with_capacity(imports.len() + 1);
    for (module, name) in imports {
        let key = if name.is_empty() {
            module.clone()
        } else {
            format!("{module}/{name}")
        };
        let at = Location {
            symbol: Some(key.clone()),
            ..Location::file(rel, &format!("imports {key}"))
        };
        facts.push(Fact::new(
            FactKind::WasmImport {
                module: module.clone(),
                name: name.clone(),
            },
            at,
            context,
        ));
    }
    // A program (component, or a module with `_start`) is what ships; a
    // reactor module may be a plugin that a native host loads, so it says
    // less about the service's own runtime.
    let program = info.kind == WasmKind::Component || info.exports.iter().any(|e| e == "_start");
    let worlds: Vec<&str> = info.worlds.iter().map(|w| w.world.as_str()).collect();
    let what = match info.kind {
        WasmKind::Component => "Wasm component",
        WasmKind::CoreModule => "Wasm core module",
    };
    facts.push(Fact::new(
        FactKind::Runtime {
            clue: RuntimeClue::Id(RuntimeId::Wasm),
            weight: if program { 10 } else { 5 },
        },
        Location::file(rel, &format!("{what} ({})", worlds.join(", "))),
        context,
    ));
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest preview 1 command: imports `fd_write` and `path_open`,
    /// exports `_start` and a memory.
    fn tiny_p1() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        // type section: one func type () -> ()
        m.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        // import section: wasi_snapshot_preview1.fd_write (func 0), .path_open (func 0)
        let mut imp = vec![2];
        for name in ["fd_write", "path_open"] {
            imp.push(22);
            imp.extend_from_slice(b"wasi_snapshot_preview1");
            imp.push(name.len() as u8);
            imp.extend_from_slice(name.as_bytes());
            imp.extend_from_slice(&[0, 0]);
        }
        m.push(2);
        m.push(imp.len() as u8);
        m.extend_from_slice(&imp);
        // function section: one function of type 0
        m.extend_from_slice(&[3, 2, 1, 0]);
        // memory section: one memory, min 1 max 2
        m.extend_from_slice(&[5, 4, 1, 1, 1, 2]);
        // export section: _start -> func 2
        m.extend_from_slice(&[7, 10, 1, 6]);
        m.extend_from_slice(b"_start");
        m.extend_from_slice(&[0, 2]);
        // code section: one body, no locals, `end`
        m.extend_from_slice(&[10, 4, 1, 2, 0, 0x0b]);
        m
    }

    #[test]
    fn reads_a_preview1_command() {
        let (out, info) = parse(&tiny_p1(), "app.wasm", Context::Service);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        assert_eq!(info.kind, WasmKind::CoreModule);
        assert_eq!(info.preview1, vec!["fd_write", "path_open"]);
        assert_eq!(info.exports, vec!["_start"]);
        assert_eq!(
            info.memories,
            vec![Memory {
                min_pages: 1,
                max_pages: Some(2),
                shared: false,
                memory64: false,
                imported: false
            }]
        );
        assert_eq!(info.worlds[0].world, "wasi:cli/command");
        assert!(info.worlds[0].beyond.is_empty());
        assert!(info.grants.iter().any(|g| g.grant == "filesystem"));
        assert_eq!(info.functions, 1);
        let imports: Vec<_> = out
            .facts
            .iter()
            .filter(|f| matches!(f.kind, FactKind::WasmImport { .. }))
            .collect();
        assert_eq!(imports.len(), 2);
        assert!(out.facts.iter().any(|f| matches!(
            &f.kind,
            FactKind::Runtime {
                clue: RuntimeClue::Id(RuntimeId::Wasm),
                weight: 10
            }
        )));
    }

    #[test]
    fn truncated_input_is_a_diagnostic() {
        let m = tiny_p1();
        // Every prefix parses without a panic; a module cut at a section
        // boundary is still well-formed, one cut inside a section is not.
        for cut in 0..m.len() {
            let _ = parse(&m[..cut], "x.wasm", Context::Service);
        }
        let (out, info) = parse(&m[..20], "x.wasm", Context::Service);
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert_eq!(out.diagnostics[0].kind, DiagKind::Malformed);
        assert_eq!(info.kind, WasmKind::CoreModule);
        let (out, _) = parse(b"\0asm\x0d\0\x01\0garbage", "x.wasm", Context::Service);
        assert_eq!(out.diagnostics.len(), 1);
    }

    #[test]
    fn garbage_after_the_magic_is_not_wasm_evidence() {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(&[0xff; 64]);
        let (out, _) = parse(&m, "x.wasm", Context::Service);
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        assert!(
            !out.facts
                .iter()
                .any(|f| matches!(f.kind, FactKind::Runtime { .. })),
            "{:?}",
            out.facts
        );
        // A well-formed module still is.
        let (out, _) = parse(&tiny_p1(), "x.wasm", Context::Service);
        assert!(out
            .facts
            .iter()
            .any(|f| matches!(f.kind, FactKind::Runtime { .. })));
    }
}
