//! One binary, start to finish: read the format, gather Go, Rust and string
//! evidence, find syscall sites, decide the runtime, and hand everything to
//! `emit` to become facts.

use super::emit;
use super::known::{FuncIndex, Known};
use super::native::{Native, ObjKind};
use super::{elf, gobuild, gopcln, macho, pe, rust, sites, strings, syscalls, Analysis, Binary};
use crate::model::artifact::BinaryFormat;
use crate::model::binary::BinaryInfo;
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::runtime::{BinaryKnowledge, RuntimeId};

pub(super) fn run(
    bytes: &[u8],
    rel: &str,
    format: BinaryFormat,
    context: Context,
    knowledge: &BinaryKnowledge,
) -> Analysis {
    let mut warnings = Vec::new();
    let read = match format {
        BinaryFormat::Elf => elf::read(bytes, &mut warnings),
        BinaryFormat::Pe => pe::read(bytes, &mut warnings),
        BinaryFormat::MachO => macho::read(bytes, &mut warnings),
    };
    let mut a = Analysis::default();
    let n = match read {
        Ok(n) => n,
        Err(e) => {
            a.output.diagnostics.push(Diagnostic::new(
                DiagKind::Malformed,
                rel,
                format!("not a readable binary: {e}"),
            ));
            return a;
        }
    };
    // A native Windows or macOS binary runs neither in a Linux container
    // nor as a Wasm component: like a dependency for another platform
    // (`[target.'cfg(windows)'.dependencies]`), it ships for another
    // channel (a Windows driver DLL beside a Linux daemon's source), so
    // what it imports is optional, reported but not charged to the
    // service. A .NET assembly (a PE with a CLI header) is portable code
    // and keeps its context.
    let context = match format {
        BinaryFormat::Pe if !n.is_dotnet && context == Context::Service => Context::Optional,
        BinaryFormat::MachO if context == Context::Service => Context::Optional,
        _ => context,
    };
    let go = gobuild::read(bytes, &n);
    // The magic search for a pclntab scans the whole file; only Go
    // binaries (build info, or a named table) are worth it.
    let pcln = if go.is_some()
        || n.section(".gopclntab").is_some()
        || n.section("__gopclntab").is_some()
    {
        gopcln::read(bytes, &n)
    } else {
        None
    };
    let strs = strings::scan(bytes, &n);
    let audit = rust::auditable(bytes, &n);
    if let Some(Err(e)) = &audit {
        warnings.push(e.clone());
    }
    let is_go = go.is_some() || pcln.is_some();
    let is_rust = !is_go
        && (matches!(audit, Some(Ok(_))) || strs.rust_std_paths || rust::has_rust_symbols(&n));
    let funcs = FuncIndex::new(&n, pcln.as_deref(), is_rust);
    let starts = |addr: u64| funcs.at(addr).map(|(start, _)| start);
    let found = if syscalls::applies(format) {
        let go_funcs = pcln.as_deref().unwrap_or(&[]);
        sites::scan(bytes, &n, go_funcs, &knowledge.go.syscall_wrappers, &starts)
    } else {
        sites::Sites::default()
    };
    let runtime = classify(rel, &n, is_go, is_rust, go.as_ref());
    let ev = Known {
        rel,
        knowledge,
        context,
        native: &n,
        go: go.as_ref(),
        pcln: pcln.as_deref(),
        audit: audit
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(Vec::as_slice),
        strings: &strs,
        sites: &found,
        funcs: &funcs,
        is_go,
        is_rust,
    };
    let mut out = emit::facts(&ev);
    if let Some((id, why)) = &runtime {
        out.runtime(*id, weight(&n, rel), why);
    }
    a.output.facts = out.facts;
    for w in warnings {
        a.output
            .diagnostics
            .push(Diagnostic::new(DiagKind::Malformed, rel, w));
    }
    let info = BinaryInfo {
        path: rel.to_string(),
        format: format_id(format).into(),
        machine: n.machine.clone(),
        kind: n.kind.id().into(),
        linkage: if n.is_static {
            "static"
        } else if n.interpreter.is_some() || !n.needed.is_empty() {
            "dynamic"
        } else {
            "none"
        }
        .into(),
        runtime: runtime.map(|r| r.0.to_string()),
        stripped: !n.has_symtab && format == BinaryFormat::Elf,
        size: bytes.len() as u64,
        interpreter: n.interpreter.clone(),
        soname: n.soname.clone(),
        needed: n.needed.clone(),
        go: go
            .as_ref()
            .map(|g| emit::go_info(g, pcln.as_ref().map_or(0, Vec::len))),
        rust: is_rust.then(|| emit::rust_info(&strs, ev.audit)),
        imports: n.imports.len(),
        functions: funcs.len(),
        syscalls: out.syscalls,
        ..BinaryInfo::default()
    };
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let link = super::LinkInfo {
        rel: rel.to_string(),
        context,
        soname: n.soname.clone(),
        needed: n.needed.clone(),
        rpath: n.rpath.clone(),
        runpath: n.runpath.clone(),
        entry: n.kind == ObjKind::Executable || is_loadable_module(name),
        dlopen: out.dlopen,
        sections: out.gpu_sections,
    };
    a.binary = Some(Binary { info, link });
    a
}

fn format_id(f: BinaryFormat) -> &'static str {
    match f {
        BinaryFormat::Elf => "elf",
        BinaryFormat::Pe => "pe",
        BinaryFormat::MachO => "mach-o",
    }
}

/// Modules an interpreter loads as an entry point of native code.
fn is_loadable_module(name: &str) -> bool {
    name.ends_with(".node")
        || name.contains(".cpython-")
        || name.ends_with(".abi3.so")
        || name.contains(".pypy")
}

/// An executable says what the service runs on; a library in the tree
/// only hints at it.
fn weight(n: &Native, rel: &str) -> u32 {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match n.kind {
        ObjKind::Executable => 15,
        _ if is_loadable_module(name) => 3,
        ObjKind::SharedLibrary => 3,
        _ => 1,
    }
}

/// The language runtime a binary was built for, with the reason.
fn classify(
    rel: &str,
    n: &Native,
    is_go: bool,
    is_rust: bool,
    go: Option<&gobuild::BuildInfo>,
) -> Option<(RuntimeId, String)> {
    if n.is_bpf {
        return None;
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let needs = |prefix: &str| {
        n.needed
            .iter()
            .find(|l| l.to_ascii_lowercase().starts_with(prefix))
            .cloned()
    };
    let exports = |sym: &str| {
        n.funcs
            .iter()
            .any(|f| f.name == sym || f.name.starts_with(sym))
    };
    Some(if is_go {
        let v = go
            .map(|g| g.go_version.as_str())
            .unwrap_or("version unknown");
        (RuntimeId::Go, format!("Go binary ({v})"))
    } else if is_rust {
        (
            RuntimeId::Rust,
            "Rust binary (std paths, symbols or cargo-auditable data)".to_string(),
        )
    } else if n.is_dotnet {
        (
            RuntimeId::Dotnet,
            ".NET assembly (PE with a CLI header)".to_string(),
        )
    } else if let Some(l) = needs("libcoreclr").or_else(|| needs("libhostfxr")) {
        (RuntimeId::Dotnet, format!("needs {l}"))
    } else if name.ends_with(".node")
        || exports("napi_register_module_v")
        || exports("node_register_module_v")
    {
        (RuntimeId::Node, "Node.js native addon".to_string())
    } else if let Some(l) = needs("libnode") {
        (RuntimeId::Node, format!("needs {l}"))
    } else if is_loadable_module(name) || exports("PyInit_") {
        (RuntimeId::Python, "Python extension module".to_string())
    } else if let Some(l) = needs("libpython") {
        (RuntimeId::Python, format!("embeds CPython ({l})"))
    } else if let Some(l) = needs("libjvm") {
        (RuntimeId::Jvm, format!("embeds the JVM ({l})"))
    } else if exports("JNI_OnLoad") {
        (
            RuntimeId::Jvm,
            "JNI library (exports JNI_OnLoad)".to_string(),
        )
    } else if name == "beam.smp" || exports("nif_init") || exports("erl_start") {
        (RuntimeId::Beam, "Erlang VM or NIF library".to_string())
    } else {
        (RuntimeId::CCpp, format!("native {} binary", n.machine))
    })
}
