//! Go's pclntab: the function table every Go binary carries for stack
//! traces and the garbage collector, so it survives `-ldflags=-s -w`.
//!
//! It names every function linked in (`os/exec.(*Cmd).Start`,
//! `github.com/cilium/ebpf/internal/sys.BPF`) with its entry address, which
//! is also what attributes a syscall site to the package that made it.
//! Layouts for Go 1.2, 1.16, 1.18 and 1.20+ are read; anything that does
//! not check out is ignored.

use super::native::Native;

const MAGICS: [u32; 4] = [0xffff_fffb, 0xffff_fffa, 0xffff_fff0, 0xffff_fff1];
/// Bounds for hostile tables: more functions than any real binary, and
/// names longer than any real symbol, are treated as corruption.
const MAX_FUNCS: usize = 1_000_000;
const MAX_NAME: usize = 4096;

/// Functions with entry addresses, sorted by address. Names have vendor
/// prefixes removed (`github.com/x/y/vendor/golang.org/x/sys/unix.Syscall`
/// is `golang.org/x/sys/unix.Syscall`), as the import path is what matters.
pub fn read(bytes: &[u8], n: &Native) -> Option<Vec<(u64, String)>> {
    let text = n.section(".text").map(|s| s.addr);
    for name in [".gopclntab", "__gopclntab", ".data.rel.ro.gopclntab"] {
        if let Some(s) = n.section(name) {
            if let Some(v) = parse(n.data(bytes, s), text) {
                return Some(v);
            }
        }
    }
    // Stripped of section names (PE, sstrip, PIE layouts): find the header
    // by its magic, then let parsing validate it.
    let mut tried = 0;
    for magic in MAGICS {
        for at in memchr::memmem::find_iter(bytes, &magic.to_le_bytes()) {
            if at % 4 != 0 || tried > 64 {
                continue;
            }
            let h = &bytes[at..];
            if h.len() < 16
                || h[4] != 0
                || h[5] != 0
                || !matches!(h[6], 1 | 2 | 4)
                || !matches!(h[7], 4 | 8)
            {
                continue;
            }
            tried += 1;
            if let Some(v) = parse(h, text) {
                return Some(v);
            }
        }
    }
    None
}

struct R<'a> {
    b: &'a [u8],
    ptr: usize,
}

impl R<'_> {
    fn u32(&self, at: usize) -> Option<u32> {
        let s = self.b.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn word(&self, at: usize) -> Option<u64> {
        if self.ptr == 4 {
            return self.u32(at).map(u64::from);
        }
        let s = self.b.get(at..at.checked_add(8)?)?;
        Some(u64::from_le_bytes([
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
        ]))
    }

    fn usize(&self, at: usize) -> Option<usize> {
        usize::try_from(self.word(at)?).ok()
    }

    fn cstr(&self, at: usize) -> Option<&str> {
        let rest = self.b.get(at..)?;
        let rest = &rest[..rest.len().min(MAX_NAME)];
        let end = memchr::memchr(0, rest)?;
        std::str::from_utf8(&rest[..end]).ok()
    }
}

/// Parses a table that starts at `b[0]`; `text` is the `.text` address for
/// position-independent binaries whose header holds no text start.
pub fn parse(b: &[u8], text: Option<u64>) -> Option<Vec<(u64, String)>> {
    let magic = u32::from_le_bytes(b.get(..4)?.try_into().ok()?);
    let ptr = usize::from(*b.get(7)?);
    if !MAGICS.contains(&magic) || *b.get(4)? != 0 || *b.get(5)? != 0 || !matches!(ptr, 4 | 8) {
        return None;
    }
    let r = R { b, ptr };
    let nfunc = r.usize(8)?;
    if nfunc == 0 || nfunc > MAX_FUNCS {
        return None;
    }
    let mut out = Vec::with_capacity(nfunc.min(100_000));
    match magic {
        0xffff_fff0 | 0xffff_fff1 => {
            let text_start = r.word(8 + 2 * ptr)?;
            let base = if text_start != 0 { text_start } else { text? };
            let names = r.usize(8 + 3 * ptr)?;
            let functab = r.usize(8 + 7 * ptr)?;
            for i in 0..nfunc {
                let e = functab.checked_add(i * 8)?;
                let funcoff = r.u32(e + 4)? as usize;
                let f = functab.checked_add(funcoff)?;
                let entry = r.u32(f)?;
                let nameoff = r.u32(f + 4)? as usize;
                let Some(name) = r.cstr(names.checked_add(nameoff)?) else {
                    continue;
                };
                out.push((base.wrapping_add(u64::from(entry)), clean(name)));
            }
        }
        0xffff_fffa => {
            let names = r.usize(8 + 2 * ptr)?;
            let functab = r.usize(8 + 6 * ptr)?;
            for i in 0..nfunc {
                let e = functab.checked_add(i * 2 * ptr)?;
                let funcoff = r.usize(e + ptr)?;
                let f = functab.checked_add(funcoff)?;
                let entry = r.word(f)?;
                let nameoff = r.u32(f + ptr)? as usize;
                let Some(name) = r.cstr(names.checked_add(nameoff)?) else {
                    continue;
                };
                out.push((entry, clean(name)));
            }
        }
        _ => {
            let functab = 8 + ptr;
            for i in 0..nfunc {
                let e = functab.checked_add(i * 2 * ptr)?;
                let funcoff = r.usize(e + ptr)?;
                let entry = r.word(funcoff)?;
                let nameoff = r.u32(funcoff + ptr)? as usize;
                let Some(name) = r.cstr(nameoff) else {
                    continue;
                };
                out.push((entry, clean(name)));
            }
        }
    }
    // A table whose entries mostly fail to resolve was not a pclntab.
    if out.len() < nfunc / 2 {
        return None;
    }
    out.sort_by_key(|(a, _)| *a);
    Some(out)
}

/// Removes GOPATH-era vendor prefixes from a function name.
pub fn clean(name: &str) -> String {
    match name.rfind("/vendor/") {
        // Only a prefix of the package path, not something inside a type
        // parameter list.
        Some(i) if !name[..i].contains(['(', '[']) => name[i + "/vendor/".len()..].to_string(),
        _ => name.to_string(),
    }
}

/// The Go package a function belongs to: `os/exec.(*Cmd).Start` -> `os/exec`.
/// The package ends at the first `.` after the last `/` of the path part.
pub fn package(func: &str) -> &str {
    let head = func.find(['(', '[']).map_or(func, |i| &func[..i]);
    let last_slash = head.rfind('/').map_or(0, |i| i + 1);
    match func[last_slash..].find('.') {
        Some(d) => &func[..last_slash + d],
        None => func,
    }
}

/// Whether the package is part of the Go distribution (`runtime`,
/// `os/exec`, `internal/poll`). The program's own `main` is not, and
/// neither is a dot-less module path that is not a std root.
pub fn is_std(pkg: &str, roots: &[String]) -> bool {
    let first = pkg.split('/').next().unwrap_or(pkg);
    roots.iter().any(|r| r == first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages() {
        assert_eq!(package("os/exec.(*Cmd).Start"), "os/exec");
        assert_eq!(package("os.(*File).Read"), "os");
        assert_eq!(
            package("github.com/cilium/ebpf/internal/sys.BPF"),
            "github.com/cilium/ebpf/internal/sys"
        );
        // Go escapes dots in the last path element: `fsnotify%2ev1`.
        assert_eq!(
            package("gopkg.in/fsnotify%2ev1.NewWatcher"),
            "gopkg.in/fsnotify%2ev1"
        );
        assert_eq!(package("runtime.futex"), "runtime");
        let std = ["os".to_string(), "internal".to_string()];
        assert!(is_std("os/exec", &std));
        assert!(is_std("internal/runtime/syscall", &std));
        assert!(!is_std("golang.org/x/sys/unix", &std));
        assert!(!is_std("main", &std));
        assert!(!is_std("myapp/internal/bpf", &std));
    }

    #[test]
    fn vendor_prefix() {
        assert_eq!(
            clean("github.com/adnanh/webhook/vendor/golang.org/x/sys/unix.InotifyInit1"),
            "golang.org/x/sys/unix.InotifyInit1"
        );
        assert_eq!(clean("main.main"), "main.main");
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(&[0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8], None).is_none());
        let mut b = vec![0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8];
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        b.resize(200, 0);
        assert!(parse(&b, Some(0x1000)).is_none());
    }
}
