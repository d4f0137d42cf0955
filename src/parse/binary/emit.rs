//! Turns what was read from a binary into facts, and decides each fact's
//! context: the service's own evidence, or what the language runtime (or
//! the C library) does for itself, which is reported but not counted.
//!
//! The calls are made from evidence, not from names alone: `syscall()` in a
//! Rust binary is std's own only when every call site loads one of std's
//! numbers, and `prctl` is harmless only when every site passes
//! `PR_SET_NAME`.

use super::attrib::{self, attribute, call_summary, crate_names, is_c_runtime, Calls};
use super::gobuild::BuildInfo;
use super::known::Known;
use super::rust::AuditPackage;
use super::strings::Strings;
use super::syscalls;
use crate::model::binary::{GoBinaryInfo, RustBinaryInfo, SyscallUse};
use crate::model::context::Context;
use crate::model::fact::{Dependency, Ecosystem, Fact, FactKind, Location, RuntimeClue};
use crate::model::runtime::RuntimeId;
use std::collections::{BTreeMap, HashSet};

/// Facts plus the few things the report and the linker pass want.
pub struct Out {
    pub facts: Vec<Fact>,
    pub syscalls: Vec<SyscallUse>,
    pub dlopen: Vec<String>,
    pub gpu_sections: Vec<String>,
    rel: String,
    context: Context,
}

impl Out {
    fn new(rel: &str, context: Context) -> Out {
        Out {
            facts: Vec::new(),
            syscalls: Vec::new(),
            dlopen: Vec::new(),
            gpu_sections: Vec::new(),
            rel: rel.to_string(),
            context,
        }
    }

    fn push(&mut self, kind: FactKind, at: Location, context: Context) {
        self.facts.push(Fact::new(kind, at, context));
    }

    fn at(&self, snippet: &str) -> Location {
        Location::file(&self.rel, snippet)
    }

    /// The runtime hint carries the file's context like everything else:
    /// a Go binary under `tests/` does not make the service a Go one.
    pub fn runtime(&mut self, id: RuntimeId, weight: u32, why: &str) {
        let at = self.at(why);
        self.push(
            FactKind::Runtime {
                clue: RuntimeClue::Id(id),
                weight,
            },
            at,
            self.context,
        );
    }
}

/// Cap on function facts per binary: enough for the largest Go services.
const MAX_FUNCTIONS: usize = 300_000;

pub fn facts(ev: &Known) -> Out {
    let mut out = Out::new(ev.rel, ev.context);
    let ctx = ev.context;
    libraries(ev, &mut out);
    devices(ev, &mut out);
    let calls = call_summary(ev);
    imports(ev, &calls, &mut out);
    for name in &ev.sites.main_callees {
        let at = Location {
            symbol: Some(name.clone()),
            ..out.at(&format!("statically linked {name}, called from main"))
        };
        out.push(FactKind::Symbol { name: name.clone() }, at, ctx);
    }
    for s in &calls.sockets {
        let at = Location {
            symbol: Some(s.clone()),
            ..out.at(&format!(
                "{s} call site: the domain or type argument is a constant"
            ))
        };
        out.push(FactKind::Symbol { name: s.clone() }, at, ctx);
    }
    syscall_facts(ev, &mut out);
    sections(ev, &mut out);
    functions(ev, &mut out);
    dependencies(ev, &mut out);
    out
}

/// Device nodes the binary names: GPU or kernel access by its meaning.
fn devices(ev: &Known, out: &mut Out) {
    for d in &ev.strings.devices {
        let at = out.at(&format!("device named in a string: {d}"));
        out.push(FactKind::Device { path: d.clone() }, at, ev.context);
    }
}

fn libraries(ev: &Known, out: &mut Out) {
    let n = ev.native;
    // PE and Mach-O name the library of each import; ELF lists DT_NEEDED.
    let needed_kind = if n.imports.iter().any(|i| i.library.is_some()) {
        "linked library"
    } else {
        "needed library (DT_NEEDED)"
    };
    for lib in &n.needed {
        let name = lib.rsplit('/').next().unwrap_or(lib).to_string();
        let at = Location {
            library: Some(name.clone()),
            ..out.at(&format!("{needed_kind}: {lib}"))
        };
        out.push(FactKind::Library { name }, at, ev.context);
    }
    if let Some(so) = &n.soname {
        // A library is evidence of itself: `libcudart.so.12` is CUDA.
        let at = Location {
            library: Some(so.clone()),
            ..out.at(&format!("this library's SONAME is {so}"))
        };
        out.push(FactKind::Library { name: so.clone() }, at, ev.context);
    }
    // Windows file names are case-insensitive: `user32.dll` is `USER32.dll`.
    let known: HashSet<String> = n
        .needed
        .iter()
        .map(String::as_str)
        .chain(n.soname.as_deref())
        .map(str::to_ascii_lowercase)
        .collect();
    for lib in &ev.strings.libraries {
        if known.contains(&lib.to_ascii_lowercase()) {
            continue;
        }
        let at = Location {
            library: Some(lib.clone()),
            ..out.at(&format!(
                "library named in a string (loaded with dlopen): {lib}"
            ))
        };
        out.push(FactKind::Library { name: lib.clone() }, at, ev.context);
        out.dlopen.push(lib.clone());
    }
}

fn imports(ev: &Known, calls: &Calls, out: &mut Out) {
    let n = ev.native;
    let c_runtime = is_c_runtime(ev);
    let rust_signals = ev.is_rust
        && crate_names(ev)
            .iter()
            .any(|c| ev.knowledge.rust.signal_packages.contains(c));
    let syscall_ctx = attrib::syscall_import_context(ev, calls);
    for imp in &n.imports {
        let name = imp.name.as_str();
        let (context, why): (Context, String) = if c_runtime {
            (
                Context::RuntimeInternal,
                "imported by the C library itself".into(),
            )
        } else if ev.is_go
            && (ev.knowledge.go.imports.iter().any(|i| i == name)
                || name.starts_with("pthread_")
                || name.starts_with("__"))
        {
            (
                Context::RuntimeInternal,
                "used by Go's runtime/cgo, net or os/user".into(),
            )
        } else if ev.is_rust
            && ev.knowledge.rust.imports.iter().any(|i| i == name)
            && !(rust_signals && name.starts_with("sig"))
        {
            (
                Context::RuntimeInternal,
                "used by Rust's std itself (stack-overflow handler, SIGPIPE, weak symbols, Command options)".into(),
            )
        } else if name == "syscall" {
            syscall_ctx.clone()
        } else if let Some(r) = attrib::harmless(ev, name, calls) {
            r
        } else {
            (ev.context, String::new())
        };
        let from = imp
            .library
            .as_deref()
            .map(|l| format!(" from {l}"))
            .unwrap_or_default();
        let snippet = if why.is_empty() {
            format!("imports {name}{from}")
        } else {
            format!("imports {name}{from}: {why}")
        };
        let at = Location {
            symbol: Some(name.to_string()),
            library: imp.library.clone(),
            ..out.at(&snippet)
        };
        out.push(
            FactKind::Symbol {
                name: name.to_string(),
            },
            at,
            context,
        );
    }
}

#[derive(Default)]
struct Agg {
    sites: usize,
    first: u64,
    func: Option<String>,
    how: &'static str,
    why: &'static str,
    nr: u64,
}

fn syscall_facts(ev: &Known, out: &mut Out) {
    let Some(arch) = ev.native.arch else { return };
    let mut agg: BTreeMap<(&'static str, Context), Agg> = BTreeMap::new();
    let note = |nr: u64,
                addr: u64,
                how: &'static str,
                via_libc: bool,
                agg: &mut BTreeMap<(&'static str, Context), Agg>| {
        let Some(name) = syscalls::name(arch, nr) else {
            return;
        };
        let func = ev.funcs.at(addr).map(|(_, f)| f);
        let (ctx, why) = attribute(ev, func, name, via_libc);
        let e = agg.entry((name, ctx)).or_insert_with(|| Agg {
            first: addr,
            func: func.map(str::to_string),
            how,
            why,
            nr,
            ..Agg::default()
        });
        e.sites += 1;
    };
    for s in &ev.sites.raw {
        if let Some(nr) = s.nr {
            note(nr, s.addr, "syscall instruction", false, &mut agg);
        }
    }
    for s in &ev.sites.calls {
        let t = &ev.sites.targets.list[s.target];
        if t.name != "syscall" && !t.go_abi {
            continue;
        }
        if let Some(nr) = s.values.first().copied().flatten() {
            let how = if t.go_abi {
                "call to a Go syscall wrapper"
            } else {
                "call to libc syscall()"
            };
            note(nr, s.addr, how, !t.go_abi, &mut agg);
        }
    }
    for ((name, ctx), a) in agg {
        let place = a
            .func
            .as_deref()
            .map(|f| format!(" in {f}"))
            .unwrap_or_default();
        let more = if a.sites > 1 {
            format!(" (+{} more sites)", a.sites - 1)
        } else {
            String::new()
        };
        let why = if a.why.is_empty() {
            String::new()
        } else {
            format!(": {}", a.why)
        };
        let snippet = format!(
            "{name} ({:#x}) by {} at {:#x}{place}{more}{why}",
            a.nr, a.how, a.first
        );
        let at = Location {
            symbol: a.func.clone(),
            ..out.at(&snippet)
        };
        out.push(
            FactKind::Syscall {
                name: name.to_string(),
            },
            at,
            ctx,
        );
        out.syscalls.push(SyscallUse {
            name: name.to_string(),
            sites: a.sites,
            context: ctx,
        });
    }
}

fn sections(ev: &Known, out: &mut Out) {
    let mut seen = HashSet::new();
    for s in &ev.native.sections {
        if s.name.is_empty() || !seen.insert(s.name.as_str()) {
            continue;
        }
        let lower = s.name.to_ascii_lowercase();
        if lower.contains("fatbin")
            || lower.starts_with(".nv")
            || lower.starts_with("__nv")
            || lower.contains("hip_fat")
        {
            out.gpu_sections.push(s.name.clone());
        }
        let at = Location {
            section: Some(s.name.clone()),
            ..out.at(&format!("section {} ({} bytes)", s.name, s.size))
        };
        out.push(
            FactKind::Section {
                name: s.name.clone(),
            },
            at,
            ev.context,
        );
    }
    if ev.native.is_bpf {
        let at = Location {
            section: Some("EM_BPF".into()),
            ..out.at("an ELF object for the kernel's BPF machine (EM_BPF): an eBPF program")
        };
        out.push(
            FactKind::Section {
                name: "EM_BPF".into(),
            },
            at,
            ev.context,
        );
    }
    if let Some(off) = ev.strings.embedded_bpf.first() {
        let n = ev.strings.embedded_bpf.len();
        let snippet = format!("{n} eBPF object(s) (ELF machine EM_BPF) embedded in the data, first at offset {off:#x}");
        let at = Location {
            section: Some("EM_BPF".into()),
            ..out.at(&snippet)
        };
        out.push(
            FactKind::Section {
                name: "EM_BPF".into(),
            },
            at,
            ev.context,
        );
    }
}

fn functions(ev: &Known, out: &mut Out) {
    let mut seen = HashSet::new();
    let (names, what): (Box<dyn Iterator<Item = &str>>, &str) = match ev.pcln {
        Some(p) => (
            Box::new(p.iter().map(|(_, n)| n.as_str())),
            "Go function (pclntab)",
        ),
        None if ev.is_rust => (
            Box::new(ev.funcs.names().filter(|n| n.contains("::"))),
            "Rust function (symbol table)",
        ),
        None => return,
    };
    for name in names {
        if seen.len() >= MAX_FUNCTIONS {
            break;
        }
        // Compiler-generated helpers name no API.
        if name.starts_with("type:")
            || name.starts_with("go:")
            || name.starts_with("type..")
            || !seen.insert(name)
        {
            continue;
        }
        let at = Location {
            symbol: Some(name.to_string()),
            ..out.at(&format!("{what}: {name}"))
        };
        out.push(
            FactKind::Function {
                name: name.to_string(),
            },
            at,
            ev.context,
        );
    }
}

fn dependencies(ev: &Known, out: &mut Out) {
    let dep = |eco: Ecosystem, name: &str, version: &str| Dependency {
        run_by_scripts: false,
        // The build info lists what was linked in.
        indirect: false,
        ecosystem: eco,
        name: name.to_string(),
        version: (!version.is_empty()).then(|| version.to_string()),
        features: Vec::new(),
        dev: false,
        scope: Default::default(),
        lock: None,
    };
    if let Some(g) = ev.go {
        for m in &g.deps {
            let mut mods = vec![(
                m.path.as_str(),
                m.version.as_str(),
                "Go module in the binary's build info",
            )];
            if let Some((p, v)) = &m.replaced_by {
                mods.push((
                    p.as_str(),
                    v.as_str(),
                    "Go module (replacement) in the binary's build info",
                ));
            }
            for (path, version, what) in mods {
                let at = out.at(&format!("{what}: {path} {version}"));
                out.push(
                    FactKind::Dependency(Box::new(dep(Ecosystem::Go, path, version))),
                    at,
                    ev.context,
                );
            }
        }
    }
    if let Some(audit) = ev.audit {
        for p in audit.iter().filter(|p| !p.root) {
            let build = p.kind.as_deref() == Some("build");
            let ctx = if build { Context::Build } else { ev.context };
            let at = out.at(&format!(
                "crate {} {} in cargo-auditable data (.dep-v0)",
                p.name, p.version
            ));
            out.push(
                FactKind::Dependency(Box::new(dep(Ecosystem::Crates, &p.name, &p.version))),
                at,
                ctx,
            );
        }
    } else if ev.is_rust {
        for (name, version) in &ev.strings.crates {
            let at = out.at(&format!(
                "crate {name} {version} named by a panic-location path"
            ));
            out.push(
                FactKind::Dependency(Box::new(dep(Ecosystem::Crates, name, version))),
                at,
                ev.context,
            );
        }
    }
}

pub fn go_info(g: &BuildInfo, functions: usize) -> GoBinaryInfo {
    GoBinaryInfo {
        version: g.go_version.clone(),
        path: g.path.clone(),
        main_module: g
            .main
            .as_ref()
            .map(|m| format!("{} {}", m.path, m.version).trim().to_string()),
        cgo_enabled: g.setting("CGO_ENABLED").map(|v| v == "1"),
        settings: g.settings.iter().cloned().collect(),
        dependencies: g.deps.len(),
        functions,
    }
}

pub fn rust_info(s: &Strings, audit: Option<&[AuditPackage]>) -> RustBinaryInfo {
    RustBinaryInfo {
        toolchain: s.rustc.clone(),
        auditable: audit.is_some(),
        crates: audit.map_or(s.crates.len(), |a| a.iter().filter(|p| !p.root).count()),
    }
}
