//! Who made what a binary shows: the service, or its language runtime
//! (Go's runtime and standard library, Rust's std, the C library) doing
//! things for itself. Decided from evidence at each call site: the
//! constant a call passes, the function it sits in, the runtime's known
//! habits, so that runtime-internal evidence is reported but not counted.

use super::gopcln;
use super::known::Known;
use super::rust;
use super::sites;
use super::syscalls;
use crate::model::context::Context;
use std::collections::BTreeMap;

/// Whether the binary is the C library itself (or a part of it), by its
/// file name or soname: everything it does is the runtime's.
pub fn is_c_runtime(ev: &Known) -> bool {
    let c = &ev.knowledge.c;
    c.is_library(ev.rel) || ev.native.soname.as_deref().is_some_and(|s| c.is_library(s))
}

/// What the call sites of a few libc functions say, per function.
#[derive(Default)]
pub struct Calls {
    /// import name -> (sites, unresolved, resolved values)
    pub by_import: BTreeMap<String, (usize, usize, Vec<u64>)>,
    /// `socket(AF_NETLINK)`-style names for resolved socket calls.
    pub sockets: Vec<String>,
}

pub fn call_summary(ev: &Known) -> Calls {
    let mut c = Calls::default();
    for site in &ev.sites.calls {
        let t = &ev.sites.targets.list[site.target];
        if t.go_abi {
            continue;
        }
        let e = c.by_import.entry(t.name.clone()).or_default();
        e.0 += 1;
        match site.values.first().copied().flatten() {
            Some(v) => e.2.push(v),
            None => e.1 += 1,
        }
        if t.name == "socket" {
            // Netlink and packet sockets are named by domain (netlink ones
            // are SOCK_RAW too); any other raw socket is a raw IP socket.
            let domain = site
                .values
                .first()
                .copied()
                .flatten()
                .and_then(|d| sites::lookup(sites::SOCKET_DOMAINS, d));
            if let Some(d) = domain {
                c.sockets.push(format!("socket({d})"));
            } else if site
                .values
                .get(1)
                .copied()
                .flatten()
                .is_some_and(|ty| ty & 0xf == sites::SOCK_RAW)
            {
                c.sockets.push("socket(SOCK_RAW)".into());
            }
        }
    }
    c.sockets.sort();
    c.sockets.dedup();
    c
}

/// The `syscall` import is the runtime's when every call site is.
pub fn syscall_import_context(ev: &Known, calls: &Calls) -> (Context, String) {
    let Some((sites, unresolved, _)) = calls.by_import.get("syscall") else {
        return (ev.context, String::new());
    };
    let ctxs = syscall_contexts(ev);
    if *sites > 0 && ctxs.iter().all(|c| *c == Context::RuntimeInternal) {
        (
            Context::RuntimeInternal,
            format!("all {sites} call sites are the language runtime's own"),
        )
    } else {
        (
            ev.context,
            format!("{sites} call sites, {unresolved} with a number that is not a constant"),
        )
    }
}

/// Calls the C library's knowledge calls incidental for some constant
/// arguments (`prctl(PR_SET_NAME)`, terminal `ioctl`s): reported as
/// runtime-internal when every site is one of them.
pub fn harmless(ev: &Known, name: &str, calls: &Calls) -> Option<(Context, String)> {
    let h = ev
        .knowledge
        .c
        .harmless
        .iter()
        .find(|h| h.function == name)?;
    let lookup = |v: u64| {
        h.values
            .iter()
            .find(|n| n.value == v)
            .map(|n| n.name.as_str())
    };
    let (count, unresolved, values) = calls.by_import.get(name)?;
    let names: Vec<String> = values
        .iter()
        .map(|v| lookup(*v).map_or(format!("{v:#x}"), str::to_string))
        .collect();
    let mut uniq = names.clone();
    uniq.sort();
    uniq.dedup();
    if *unresolved == 0 && *count > 0 && values.iter().all(|v| lookup(*v).is_some()) {
        Some((
            Context::RuntimeInternal,
            format!("only {} ({})", uniq.join(", "), h.why),
        ))
    } else {
        None
    }
}

pub fn crate_names(ev: &Known) -> Vec<String> {
    match ev.audit {
        Some(a) => a.iter().map(|p| p.name.replace('_', "-")).collect(),
        None => ev
            .strings
            .crates
            .iter()
            .map(|(n, _)| n.replace('_', "-"))
            .collect(),
    }
}

/// Who made a syscall site: the context and a few words of why.
pub fn attribute(
    ev: &Known,
    func: Option<&str>,
    nr_name: &str,
    via_libc: bool,
) -> (Context, &'static str) {
    let n = ev.native;
    if is_c_runtime(ev) {
        return (Context::RuntimeInternal, "inside the C library");
    }
    if ev.is_go {
        return match func.map(gopcln::package) {
            Some(p) if gopcln::is_std(p, &ev.knowledge.go.packages) => (
                Context::RuntimeInternal,
                "in Go's runtime or standard library",
            ),
            Some("golang.org/x/sys/unix") => (
                Context::RuntimeInternal,
                "inside a golang.org/x/sys/unix wrapper (its caller is the evidence)",
            ),
            Some(_) => (ev.context, ""),
            None => (
                Context::RuntimeInternal,
                "in Go code outside the function table",
            ),
        };
    }
    if ev.is_rust {
        if func.is_some_and(|f| rust::is_runtime_fn(f, &ev.knowledge.rust.functions)) {
            return (Context::RuntimeInternal, "in Rust's std or rustix");
        }
        // std's futex and friends are inlined into the caller's code, so the
        // number says more than the enclosing function.
        if via_libc && ev.knowledge.rust.syscalls.iter().any(|s| s == nr_name) {
            return (
                Context::RuntimeInternal,
                "one of Rust std's own syscalls (futex, statx, getrandom, clone3...)",
            );
        }
        if func.is_some() {
            return (ev.context, "");
        }
        if !via_libc
            && crate_names(ev)
                .iter()
                .any(|c| c == "rustix" || c == "linux-raw-sys")
        {
            return (
                Context::RuntimeInternal,
                "raw syscall, most likely rustix's libc-free backend",
            );
        }
        return (ev.context, "");
    }
    // In a static binary the C library's wrappers are linked in; only a
    // site in `main` is recognisably the program's own.
    if n.is_static && !via_libc && func != Some("main") {
        return (
            Context::RuntimeInternal,
            "inside the statically linked C library",
        );
    }
    (ev.context, "")
}

pub fn syscall_contexts(ev: &Known) -> Vec<Context> {
    let Some(arch) = ev.native.arch else {
        return Vec::new();
    };
    ev.sites
        .calls
        .iter()
        .filter(|s| ev.sites.targets.list[s.target].name == "syscall")
        .map(|s| {
            let func = ev.funcs.at(s.addr).map(|(_, f)| f);
            match s
                .values
                .first()
                .copied()
                .flatten()
                .and_then(|v| syscalls::name(arch, v))
            {
                Some(name) => attribute(ev, func, name, true).0,
                // A number that is not a constant: the runtime's only when
                // the site is inside the runtime's own code.
                None if func.is_some_and(|f| {
                    let k = ev.knowledge;
                    (ev.is_rust && rust::is_runtime_fn(f, &k.rust.functions))
                        || (ev.is_go && gopcln::is_std(gopcln::package(f), &k.go.packages))
                }) =>
                {
                    Context::RuntimeInternal
                }
                None => ev.context,
            }
        })
        .collect()
}
