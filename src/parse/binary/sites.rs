//! Syscall sites and constant-argument calls, found in machine code and
//! attributed to whoever made them.
//!
//! Three kinds of site name a syscall: a raw `syscall`/`svc #0` with the
//! number loaded before it, a call to libc's `syscall()` with the number in
//! the first argument, and (in Go) a call to `syscall.Syscall` and friends
//! with the number in Go's first argument register. The same machinery
//! reads the constant argument of a few libc calls whose meaning depends on
//! it: `prctl(PR_SET_NAME)` names a thread, `prctl(PR_SET_SECCOMP)` does not.

use super::callsite::{CallSite, RawSite, Target, Targets};
use super::native::{Native, Section};
use super::syscalls::Arch;

/// Every site in the binary's code.
#[derive(Default)]
pub struct Sites {
    pub raw: Vec<RawSite>,
    pub calls: Vec<CallSite>,
    pub targets: Targets,
    /// In a static binary with symbols: the library functions `main` calls
    /// directly (`fork`, `execvp`), which stand in for imports.
    pub main_callees: Vec<String>,
}

/// Libc functions whose constant arguments are read, and which.
pub const LIBC_TARGETS: &[(&str, &[usize])] = &[
    ("syscall", &[0]),
    ("prctl", &[0]),
    ("ioctl", &[1]),
    ("socket", &[0, 1]),
];

/// glibc's x86-64 `syscall()` body, to find it in stripped static binaries:
/// shift every argument down one register, then `syscall`.
const GLIBC_SYSCALL_X86: &[u8] = b"\x48\x89\xf8\x48\x89\xf7\x48\x89\xd6\x48\x89\xca\x4d\x89\xc2\x4d\x89\xc8\x4c\x8b\x4c\x24\x08\x0f\x05";

/// Finds sites in every executable section. `go_funcs` are Go's functions
/// by address (its pclntab), `go_wrappers` the ones that take a syscall
/// number first; `starts` gives function starts by address.
pub fn scan(
    bytes: &[u8],
    n: &Native,
    go_funcs: &[(u64, String)],
    go_wrappers: &[String],
    starts: &dyn Fn(u64) -> Option<u64>,
) -> Sites {
    let Some(arch) = n.arch else {
        return Sites::default();
    };
    let mut t = Targets::default();
    let imported: std::collections::HashSet<&str> =
        n.imports.iter().map(|i| i.name.as_str()).collect();
    for (name, args) in LIBC_TARGETS {
        let target = || Target {
            name: name.to_string(),
            args,
            go_abi: false,
        };
        if imported.contains(name) {
            let stubs = n
                .stubs
                .iter()
                .filter(|(_, s)| s.as_str() == *name)
                .map(|(a, _)| *a);
            let slots = n
                .slots
                .iter()
                .filter(|(_, s)| s.as_str() == *name)
                .map(|(a, _)| *a);
            let i = t.add(target(), None, None);
            for a in stubs {
                t.by_addr.insert(a, i);
            }
            for s in slots {
                t.by_slot.insert(s, i);
            }
        } else if let Some(f) = n.funcs.iter().find(|f| f.name == *name) {
            // Statically linked libc: call the function itself.
            t.add(target(), Some(f.addr), None);
        }
    }
    if n.is_static && arch == Arch::X86_64 && !t.list.iter().any(|x| x.name == "syscall") {
        for s in code_sections(n) {
            let data = n.data(bytes, s);
            if let Some(p) = memchr::memmem::find(data, GLIBC_SYSCALL_X86) {
                let at = s.addr.wrapping_add(p as u64);
                let i = t.add(
                    Target {
                        name: "syscall".into(),
                        args: &[0],
                        go_abi: false,
                    },
                    Some(at),
                    None,
                );
                t.by_addr.insert(at.wrapping_sub(4), i); // after endbr64
                break;
            }
        }
    }
    for (addr, name) in go_funcs {
        if go_wrappers.contains(name) {
            t.add(
                Target {
                    name: name.clone(),
                    args: &[0],
                    go_abi: true,
                },
                Some(*addr),
                None,
            );
        }
    }
    let mut sites = Sites::default();
    for s in code_sections(n) {
        let data = n.data(bytes, s);
        match arch {
            Arch::X86_64 => {
                sites
                    .raw
                    .extend(super::x86::raw_sites(data, s.addr, starts));
                if !t.is_empty() {
                    sites
                        .calls
                        .extend(super::x86::call_sites(data, s.addr, &t, starts));
                }
            }
            Arch::Aarch64 => {
                sites.raw.extend(super::arm64::raw_sites(data, s.addr));
                sites
                    .calls
                    .extend(super::arm64::call_sites(data, s.addr, &t));
            }
        }
    }
    sites.targets = t;
    if n.is_static {
        sites.main_callees = main_callees(bytes, n, arch);
    }
    sites
}

/// Direct calls from `main` to other defined functions, by name.
fn main_callees(bytes: &[u8], n: &Native, arch: Arch) -> Vec<String> {
    let Some(main) = n.funcs.iter().find(|f| f.name == "main" && f.size > 0) else {
        return Vec::new();
    };
    let Some(off) = n.offset_of(main.addr) else {
        return Vec::new();
    };
    let len = usize::try_from(main.size).unwrap_or(0).min(1 << 20);
    let Some(code) = bytes.get(off..off.saturating_add(len)) else {
        return Vec::new();
    };
    let targets = match arch {
        Arch::X86_64 => super::x86::direct_calls(code, main.addr),
        Arch::Aarch64 => super::arm64::direct_calls(code, main.addr),
    };
    let mut names: Vec<String> = targets
        .into_iter()
        .filter_map(|t| n.funcs.iter().find(|f| f.addr == t).map(|f| f.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Executable sections, except import stubs (their `jmp`s are not calls).
fn code_sections(n: &Native) -> impl Iterator<Item = &Section> {
    n.sections
        .iter()
        .filter(|s| s.exec && !s.name.starts_with(".plt"))
}

/// Socket domains and types that reach below TCP/UDP.
pub const SOCKET_DOMAINS: &[(u64, &str)] = &[(16, "AF_NETLINK"), (17, "AF_PACKET")];
pub const SOCK_RAW: u64 = 3;

pub fn lookup(table: &[(u64, &'static str)], v: u64) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == v).map(|(_, n)| *n)
}
