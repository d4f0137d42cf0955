//! Go build information: the Go version, main module, every dependency
//! module with its version, and build settings (`CGO_ENABLED`), embedded
//! by the Go toolchain since 1.13 and read here the way `go version -m`
//! reads it.
//!
//! There is no maintained crate for this; the format is small: a 32-byte
//! header starting `\xff Go buildinf:`, then (Go 1.18+) two varint-prefixed
//! strings, or (older) two pointers to Go string headers.

use super::native::Native;

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// The module info string is framed by these 16-byte sentinels.
const INFO_START: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
const MAX_STRING: usize = 4 << 20;
const MAX_DEPS: usize = 20_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    /// The module that replaced it (`=>` line), if any.
    pub replaced_by: Option<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildInfo {
    pub go_version: String,
    /// The main package's import path (`path` line).
    pub path: Option<String>,
    pub main: Option<GoModule>,
    pub deps: Vec<GoModule>,
    pub settings: Vec<(String, String)>,
}

/// Finds and decodes the build info, if the binary is Go.
pub fn read(bytes: &[u8], n: &Native) -> Option<BuildInfo> {
    let from_section = [".go.buildinfo", "__go_buildinfo"]
        .iter()
        .filter_map(|name| n.section(name))
        .find_map(|s| decode(n.data(bytes, s), bytes, n));
    if from_section.is_some() {
        return from_section;
    }
    // The header is 16-byte aligned wherever the linker put it.
    memchr::memmem::find_iter(bytes, MAGIC)
        .filter(|at| at % 16 == 0)
        .take(8)
        .find_map(|at| decode(&bytes[at..], bytes, n))
}

fn decode(h: &[u8], file: &[u8], n: &Native) -> Option<BuildInfo> {
    if !h.starts_with(MAGIC) || h.len() < 32 {
        return None;
    }
    let ptr = usize::from(h[14]);
    let flags = h[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let (v, rest) = varstr(&h[32..])?;
        let (m, _) = varstr(rest)?;
        (v, m)
    } else {
        if !matches!(ptr, 4 | 8) || flags & 1 != 0 {
            return None; // big-endian pre-1.18 layouts are not worth the code
        }
        let word = |at: usize| -> Option<u64> {
            let s = h.get(at..at + ptr)?;
            Some(if ptr == 8 {
                u64::from_le_bytes(s.try_into().ok()?)
            } else {
                u64::from(u32::from_le_bytes(s.try_into().ok()?))
            })
        };
        (
            gostring(file, n, word(16)?, ptr)?,
            gostring(file, n, word(16 + ptr)?, ptr)?,
        )
    };
    let version = String::from_utf8_lossy(version).into_owned();
    if !version.starts_with("go") && !version.starts_with("devel") {
        return None;
    }
    let mut info = BuildInfo {
        go_version: version,
        ..BuildInfo::default()
    };
    parse_modinfo(strip_sentinels(modinfo), &mut info);
    Some(info)
}

/// A uvarint-length-prefixed byte string, bounded.
fn varstr(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut len: u64 = 0;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let byte = *b.get(i)?;
        i += 1;
        len |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 35 {
            return None;
        }
    }
    let len = usize::try_from(len).ok().filter(|&l| l <= MAX_STRING)?;
    let s = b.get(i..i.checked_add(len)?)?;
    Some((s, &b[i + len..]))
}

/// Reads a Go string header (data pointer, length) at a virtual address.
fn gostring<'a>(file: &'a [u8], n: &Native, addr: u64, ptr: usize) -> Option<&'a [u8]> {
    let at = n.offset_of(addr)?;
    let hdr = file.get(at..at.checked_add(2 * ptr)?)?;
    let (data, len) = if ptr == 8 {
        (
            u64::from_le_bytes(hdr[..8].try_into().ok()?),
            u64::from_le_bytes(hdr[8..16].try_into().ok()?),
        )
    } else {
        (
            u64::from(u32::from_le_bytes(hdr[..4].try_into().ok()?)),
            u64::from(u32::from_le_bytes(hdr[4..8].try_into().ok()?)),
        )
    };
    let len = usize::try_from(len).ok().filter(|&l| l <= MAX_STRING)?;
    let off = n.offset_of(data)?;
    file.get(off..off.checked_add(len)?)
}

fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 33 && m.starts_with(INFO_START) && m[m.len() - 17] == b'\n' {
        &m[16..m.len() - 16]
    } else {
        m
    }
}

/// The text form `go version -m` prints: tab-separated lines.
pub fn parse_modinfo(m: &[u8], info: &mut BuildInfo) {
    let text = String::from_utf8_lossy(m);
    for line in text.lines() {
        let mut f = line.split('\t');
        match f.next() {
            Some("path") => info.path = f.next().map(str::to_string),
            Some("mod") => info.main = module(&mut f),
            Some("dep") if info.deps.len() < MAX_DEPS => info.deps.extend(module(&mut f)),
            Some("=>") => {
                let path = f.next().unwrap_or("").to_string();
                let version = f.next().unwrap_or("").to_string();
                if let Some(last) = info.deps.last_mut() {
                    last.replaced_by = Some((path, version));
                }
            }
            Some("build") => {
                if let Some((k, v)) = f.next().and_then(|kv| kv.split_once('=')) {
                    info.settings
                        .push((k.to_string(), v.trim_matches('"').to_string()));
                }
            }
            _ => {}
        }
    }
}

fn module<'a>(f: &mut impl Iterator<Item = &'a str>) -> Option<GoModule> {
    let path = f.next()?.to_string();
    let version = f.next().unwrap_or("").to_string();
    Some(GoModule {
        path,
        version,
        replaced_by: None,
    })
}

impl BuildInfo {
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_lines() {
        let m = b"path\texample.com/loader\nmod\texample.com/loader\t(devel)\t\ndep\tgithub.com/cilium/ebpf\tv0.12.3\th1:x=\ndep\tgolang.org/x/sys\tv0.20.0\th1:y=\n=>\tgithub.com/me/sys\tv0.21.0\th1:z=\nbuild\tCGO_ENABLED=0\nbuild\t-ldflags=\"-s -w\"\n";
        let mut i = BuildInfo::default();
        parse_modinfo(m, &mut i);
        assert_eq!(i.path.as_deref(), Some("example.com/loader"));
        assert_eq!(i.deps.len(), 2);
        assert_eq!(i.deps[0].path, "github.com/cilium/ebpf");
        assert_eq!(
            i.deps[1].replaced_by,
            Some(("github.com/me/sys".into(), "v0.21.0".into()))
        );
        assert_eq!(i.setting("CGO_ENABLED"), Some("0"));
        assert_eq!(i.setting("-ldflags"), Some("-s -w"));
    }

    #[test]
    fn inline_header() {
        let mut h = MAGIC.to_vec();
        h.extend_from_slice(&[8, 2]);
        h.resize(32, 0);
        h.push(8);
        h.extend_from_slice(b"go1.23.5");
        h.push(4);
        h.extend_from_slice(b"path");
        let info = decode(&h, &h, &Native::default()).unwrap();
        assert_eq!(info.go_version, "go1.23.5");
        // A huge declared length is refused, not allocated.
        let mut bad = h[..32].to_vec();
        bad.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(decode(&bad, &bad, &Native::default()).is_none());
    }
}
