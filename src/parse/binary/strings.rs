//! What a binary's read-only data says: library names it may `dlopen`
//! (`libcuda.so.1`), crate paths in Rust panic locations
//! (`.../registry/src/.../aya-0.13.0/src/sys/mod.rs`), the Rust toolchain's
//! own paths, and embedded ELF objects (eBPF programs shipped inside a Go
//! or Rust loader).
//!
//! Only data sections are read, never code or symbol tables, and only
//! around cheap anchors (`.so`, `/src/`, `\x7fELF`), so a 100 MB binary
//! costs a few SIMD scans.

use super::native::Native;

const MAX_LIBS: usize = 256;
const MAX_CRATES: usize = 2000;
const MAX_EMBEDDED: usize = 64;
const MAX_DEVICES: usize = 64;
const MAX_DEVICE_LEN: usize = 96;

#[derive(Debug, Default)]
pub struct Strings {
    /// Library file names found in strings, in order of first appearance.
    pub libraries: Vec<String>,
    /// `(name, version)` of crates named by registry paths.
    pub crates: Vec<(String, String)>,
    /// Paths into Rust's standard library (`library/std/src/`).
    pub rust_std_paths: bool,
    /// `rustc-1.63.0` or a `/rustc/<commit>/` hash, when seen.
    pub rustc: Option<String>,
    /// File offsets of embedded ELF objects for the BPF machine.
    pub embedded_bpf: Vec<usize>,
    /// Device node paths (`/dev/kfd`, `/dev/nvidia%d`), in order of first
    /// appearance.
    pub devices: Vec<String>,
}

pub fn scan(bytes: &[u8], n: &Native) -> Strings {
    let mut out = Strings::default();
    let mut sections: Vec<&[u8]> = n
        .sections
        .iter()
        .filter(|s| s.rodata)
        .map(|s| n.data(bytes, s))
        .collect();
    // Formats without usable section flags: read the whole file.
    if sections.is_empty() {
        sections.push(bytes);
    }
    let mut libs = std::collections::HashSet::new();
    let mut devices = std::collections::HashSet::new();
    let mut crates = std::collections::HashSet::new();
    for data in sections {
        for anchor in [&b".so"[..], b".dll", b".DLL", b".dylib"] {
            for at in memchr::memmem::find_iter(data, anchor) {
                if out.libraries.len() >= MAX_LIBS {
                    break;
                }
                if let Some(name) = library_at(data, at, anchor.len()) {
                    if libs.insert(name.clone()) {
                        out.libraries.push(name);
                    }
                }
            }
        }
        for at in memchr::memmem::find_iter(data, b"/src/") {
            if crates.len() >= MAX_CRATES {
                break;
            }
            if data[..at].ends_with(b"library/std") || data[..at].ends_with(b"library/core") {
                out.rust_std_paths = true;
                if out.rustc.is_none() {
                    out.rustc = rustc_before(data, at);
                }
                continue;
            }
            if let Some(c) = crate_at(data, at) {
                if crates.insert(c.clone()) {
                    out.crates.push(c);
                }
            }
        }
        for at in memchr::memmem::find_iter(data, b"/dev/") {
            if out.devices.len() >= MAX_DEVICES {
                break;
            }
            if let Some(d) = device_at(data, at) {
                if devices.insert(d.clone()) {
                    out.devices.push(d);
                }
            }
        }
        for at in memchr::memmem::find_iter(data, b"\x7fELF").take(10_000) {
            if out.embedded_bpf.len() >= MAX_EMBEDDED {
                break;
            }
            // e_ident: class 2 (64-bit), data 1 (LE); e_machine at 18 = 247.
            if let Some(h) = data.get(at..at + 20) {
                if h[4] == 2 && h[5] == 1 && h[6] == 1 && h[18] == 247 && h[19] == 0 {
                    out.embedded_bpf.push(at);
                }
            }
        }
    }
    out
}

/// A device path starting at `at`, as a whole string: the byte before it
/// must end the previous string (or be a quote or space), so
/// `/sys/dev/block` is not `/dev/block`.
fn device_at(data: &[u8], at: usize) -> Option<String> {
    if at > 0 && !matches!(data[at - 1], 0 | b'"' | b'\'' | b' ' | b'=' | b'\n') {
        return None;
    }
    let rest = &data[at..];
    let len = rest
        .iter()
        .take(MAX_DEVICE_LEN + 1)
        .take_while(|&&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.' | b'%' | b':')
        })
        .count();
    if len <= "/dev/".len() || len > MAX_DEVICE_LEN {
        return None;
    }
    std::str::from_utf8(&rest[..len]).ok().map(str::to_string)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'.')
}

/// A library file name around a `.so`/`.dll`/`.dylib` at `at`:
/// `libcuda.so.1`, `nvcuda.dll`, `libvulkan.1.dylib`. Must start with
/// `lib` for ELF/Mach-O names and be a whole token.
fn library_at(data: &[u8], at: usize, anchor: usize) -> Option<String> {
    let mut start = at;
    while start > 0 && at - start < 96 && is_name_byte(data[start - 1]) {
        start -= 1;
    }
    let mut end = at + anchor;
    // `.so` may carry a version: `.so.1`, `.so.12.4`.
    if &data[at..end] == b".so" {
        while end + 1 < data.len() && data[end] == b'.' && data[end + 1].is_ascii_digit() {
            end += 1;
            while end < data.len() && data[end].is_ascii_digit() {
                end += 1;
            }
        }
    }
    // Whole token: the next byte must not continue a name.
    if end < data.len() && (data[end].is_ascii_alphanumeric() || data[end] == b'_') {
        return None;
    }
    let name = std::str::from_utf8(&data[start..end]).ok()?;
    let stem_len = at - start;
    let is_dll = anchor == 4 && name.to_ascii_lowercase().ends_with(".dll");
    if stem_len < 2 || (!is_dll && !name.starts_with("lib")) || stem_len > 80 {
        return None;
    }
    // `lib.so`, `libx.so` from format strings like "lib%s.so" are not names.
    if name.starts_with("lib.") {
        return None;
    }
    Some(name.to_string())
}

/// `<name>-<semver>/src/` preceded by a registry or vendor directory.
fn crate_at(data: &[u8], at: usize) -> Option<(String, String)> {
    let mut start = at;
    while start > 0
        && at - start < 128
        && (data[start - 1].is_ascii_alphanumeric()
            || matches!(data[start - 1], b'_' | b'-' | b'.' | b'+'))
    {
        start -= 1;
    }
    if start == 0 || data[start - 1] != b'/' {
        return None;
    }
    let dir = std::str::from_utf8(&data[start..at]).ok()?;
    // Only registry checkouts name a crate reliably; a project's own
    // `src/` under some directory does not.
    let before = &data[start.saturating_sub(200)..start];
    let registry = memchr::memmem::rfind(before, b"registry/").is_some()
        || memchr::memmem::rfind(before, b"/vendor/").is_some();
    if !registry {
        return None;
    }
    split_name_version(dir)
}

/// `aya-obj-0.2.1` -> (`aya-obj`, `0.2.1`): the version starts after the
/// last `-` that is followed by a digit and a dot.
pub fn split_name_version(dir: &str) -> Option<(String, String)> {
    let bytes = dir.as_bytes();
    let i = (1..bytes.len()).rev().find(|&i| {
        bytes[i - 1] == b'-'
            && bytes[i].is_ascii_digit()
            && dir[i..].contains('.')
            && dir[i..].split('.').count() >= 3
    })?;
    let (name, version) = (&dir[..i - 1], &dir[i..]);
    if name.is_empty()
        || !version
            .split('.')
            .take(3)
            .all(|p| p.chars().next().is_some_and(|c| c.is_ascii_digit()))
    {
        return None;
    }
    Some((name.to_string(), version.to_string()))
}

/// `/usr/src/rustc-1.63.0/library/std/src/` or `/rustc/<hash>/library/...`.
fn rustc_before(data: &[u8], at: usize) -> Option<String> {
    let before = &data[at.saturating_sub(120)..at];
    let i = memchr::memmem::rfind(before, b"rustc")?;
    let rest = &before[i..];
    let end = rest
        .iter()
        .position(|&b| b == b'/' && rest.len() > 6)
        .unwrap_or(rest.len());
    let s = std::str::from_utf8(&rest[..end]).ok()?;
    if s == "rustc" {
        // `/rustc/<hash>/...`: the commit names the toolchain.
        let tail = std::str::from_utf8(&rest[6..]).ok()?;
        let hash: String = tail.chars().take_while(char::is_ascii_hexdigit).collect();
        return (hash.len() == 40).then(|| format!("rustc {}", &hash[..12]));
    }
    Some(s.replace('-', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn libs(data: &[u8]) -> Vec<String> {
        let n = Native::default();
        let mut s = scan(data, &n).libraries;
        s.sort();
        s
    }

    #[test]
    fn library_names() {
        assert_eq!(
            libs(b"\0libcuda.so.1\0libnvidia-ml.so\0"),
            vec!["libcuda.so.1", "libnvidia-ml.so"]
        );
        assert_eq!(libs(b"\0lib%s.so\0libc.so.6x\0"), Vec::<String>::new());
        assert_eq!(
            libs(b"\"nvcuda.dll\"\0libvulkan.1.dylib\0"),
            vec!["libvulkan.1.dylib", "nvcuda.dll"]
        );
        // Not a name: `.so` inside a word.
        assert_eq!(libs(b"\0also.sorted\0"), Vec::<String>::new());
    }

    #[test]
    fn device_nodes() {
        let n = Native::default();
        let d = scan(
            b"\0/dev/kfd\0open %s\0/dev/nvidia%d\0/sys/dev/block/8:0\0/dev/\0/dev/kfd\0",
            &n,
        )
        .devices;
        // Whole strings only, once each: `/sys/dev/...` is sysfs, `/dev/` alone no node.
        assert_eq!(d, vec!["/dev/kfd", "/dev/nvidia%d"]);
    }

    #[test]
    fn crates_and_std() {
        let d = b"/usr/share/cargo/registry/grep-cli-0.1.6/src/decompress.rs/usr/src/rustc-1.63.0/library/std/src/io/mod.rs\0/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/aya-obj-0.2.1/src/obj.rs\0/home/me/app/src/main.rs";
        let s = scan(d, &Native::default());
        assert_eq!(
            s.crates,
            vec![
                ("grep-cli".to_string(), "0.1.6".to_string()),
                ("aya-obj".to_string(), "0.2.1".to_string())
            ]
        );
        assert!(s.rust_std_paths);
        assert_eq!(s.rustc.as_deref(), Some("rustc 1.63.0"));
    }

    #[test]
    fn embedded_bpf_object() {
        let mut d = vec![0u8; 8];
        let mut h = b"\x7fELF\x02\x01\x01".to_vec();
        h.resize(18, 0);
        h.extend_from_slice(&[247, 0]);
        d.extend_from_slice(&h);
        assert_eq!(scan(&d, &Native::default()).embedded_bpf, vec![8]);
    }
}
