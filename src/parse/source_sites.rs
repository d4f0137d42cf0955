//! Capabilities by meaning in source code: system calls made by number
//! (`unix.Syscall(unix.SYS_BPF, ...)`, `syscall(SYS_io_uring_setup, ...)`,
//! ctypes `libc.syscall(321, ...)`) become syscall facts named for the call
//! they make, and device nodes named in string literals (`"/dev/kfd"`)
//! become device facts. Rules then judge the call or the device the same
//! way whether it was found in source or in a binary: a raw `bpf` call is
//! eBPF, whatever API reaches it.

use crate::model::context::Context;
use crate::model::fact::{Fact, FactKind, Location};
use crate::model::language::Language;
use crate::parse::binary::syscalls::{self, Arch};
use crate::parse::lex::CodeView;
use regex::Regex;
use std::sync::LazyLock;

/// Facts per file, at most: a generated syscall table must not flood the
/// report.
const MAX_SITES: usize = 200;

/// The longest device path kept.
const MAX_DEVICE_LEN: usize = 96;

/// Raw syscall sites per language; group 1 is the syscall's name, or group 2
/// its number (x86-64 numbering, where the code gives a bare number).
static RAW_SYSCALL: LazyLock<Vec<(Language, Regex)>> = LazyLock::new(|| {
    let table: &[(Language, &str)] = &[
        (
            Language::Go,
            r"\b(?:syscall|unix)\.(?:Raw)?Syscall(?:6|9|NoError)?\(\s*(?:(?:syscall|unix)\.)?SYS_([A-Z0-9_]+)\b",
        ),
        (
            Language::C,
            r"(?m)(?:^|[^\w.>:])syscall\s*\(\s*(?:SYS_|__NR_)(\w+)",
        ),
        (Language::Rust, r"\bsyscall\s*\(\s*(?:libc::)?SYS_(\w+)"),
        (
            Language::Rust,
            r"\bsyscall\w*!?\s*\(\s*(?:syscalls::)?Sysno::(\w+)",
        ),
        (
            Language::Python,
            r"\.syscall\(\s*(?:(?:\w+\.)*(?:SYS_|__NR_|NR_)(\w+)|(\d+)\s*[,)])",
        ),
    ];
    table
        .iter()
        .filter_map(|(l, p)| Regex::new(p).ok().map(|re| (*l, re)))
        .collect()
});

/// Raw syscall and device-node facts of one lexed file.
pub fn facts(rel: &str, text: &str, view: &CodeView, context: Context) -> Vec<Fact> {
    let mut out = Vec::new();
    let ctx_at = |off: usize| {
        if view.in_test(off) {
            Context::Test
        } else {
            context
        }
    };
    for (lang, re) in RAW_SYSCALL.iter() {
        if !lang.family().contains(&view.language) {
            continue;
        }
        for cap in re.captures_iter(&view.code) {
            if out.len() >= MAX_SITES {
                return out;
            }
            let name = match (cap.get(1), cap.get(2)) {
                (Some(n), _) => Some(n.as_str().to_ascii_lowercase()),
                (None, Some(nr)) => nr
                    .as_str()
                    .parse::<u64>()
                    .ok()
                    .and_then(|nr| syscalls::name(Arch::X86_64, nr))
                    .map(str::to_string),
                _ => None,
            };
            let (Some(name), Some(whole)) = (name, cap.get(0)) else {
                continue;
            };
            let line = view.line_of(whole.start());
            out.push(Fact::new(
                FactKind::Syscall { name },
                Location::line(rel, line, view.line_text(text, line)),
                ctx_at(whole.start()),
            ));
        }
    }
    // Shell scripts name devices to check or set up the host, not to use
    // them from the service.
    let strings = if view.language == Language::Shell {
        &[][..]
    } else {
        &view.strings[..]
    };
    for s in strings {
        if out.len() >= MAX_SITES {
            break;
        }
        let path = s.text.trim();
        if !path.starts_with("/dev/") || path.len() > MAX_DEVICE_LEN {
            continue;
        }
        let line = view.line_of(s.start);
        out.push(Fact::new(
            FactKind::Device {
                path: path.to_string(),
            },
            Location::line(rel, line, view.line_text(text, line)),
            ctx_at(s.start),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::lex;

    fn names(lang: Language, text: &str) -> Vec<String> {
        let view = lex::lex(lang, text);
        facts("f", text, &view, Context::Service)
            .into_iter()
            .map(|f| match f.kind {
                FactKind::Syscall { name } => format!("syscall {name}"),
                FactKind::Device { path } => format!("device {path}"),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn syscalls_by_number_in_each_language() {
        let go = "package bpf\nimport \"golang.org/x/sys/unix\"\nfunc load() { unix.Syscall(unix.SYS_BPF, 5, 0, 0) }\nfunc ring() { syscall.Syscall6(syscall.SYS_IO_URING_SETUP, 8, 0, 0, 0, 0, 0) }\n";
        assert_eq!(
            names(Language::Go, go),
            ["syscall bpf", "syscall io_uring_setup"]
        );
        let c = "long f(void) { return syscall(__NR_perf_event_open, &a, 0, -1, -1, 0); }\nlong g(void) { return syscall(SYS_pivot_root, \"a\", \"b\"); }\n";
        assert_eq!(
            names(Language::C, c),
            ["syscall perf_event_open", "syscall pivot_root"]
        );
        let rust = "unsafe { libc::syscall(libc::SYS_io_uring_enter, fd, 1, 0, 0) };\nlet r = syscall!(Sysno::setns, fd, 0);\n";
        assert_eq!(
            names(Language::Rust, rust),
            ["syscall io_uring_enter", "syscall setns"]
        );
        let py = "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.syscall(321, 5, attr, 120)\nlibc.syscall(NR_unshare, 0x20000)\n";
        assert_eq!(
            names(Language::Python, py),
            ["syscall bpf", "syscall unshare"]
        );
    }

    #[test]
    fn comments_strings_and_wrappers_are_not_raw_syscalls() {
        let go = "package x\n// unix.Syscall(unix.SYS_BPF, 0, 0, 0)\nvar s = \"syscall.Syscall(syscall.SYS_BPF\"\nfunc f() { unix.Setns(fd, 0) }\n";
        assert!(names(Language::Go, go).is_empty());
        let c = "/* syscall(SYS_bpf) */\nint f(void) { return my_syscall(SYS_bpf); }\n";
        assert!(names(Language::C, c).is_empty());
    }

    #[test]
    fn device_nodes_in_strings() {
        let c = "int a = open(\"/dev/kfd\", O_RDWR);\nint b = open(\"/dev/null\", O_RDWR);\n/* \"/dev/kvm\" */\n";
        assert_eq!(
            names(Language::C, c),
            ["device /dev/kfd", "device /dev/null"]
        );
    }
}
