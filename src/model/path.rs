//! File names as they are on disk, carried losslessly in a `String`.
//!
//! A Unix file name is bytes: it may hold a backslash (an ordinary
//! character there) or bytes that are not UTF-8. Reports carry paths as
//! strings, so a path is encoded: valid UTF-8 stays as it is, backslashes
//! included, and each byte that is not part of valid UTF-8 becomes `\xNN`
//! (two upper-case hex digits). So that the encoding can be undone exactly,
//! a literal backslash that happens to be followed by `x` and two hex
//! digits is itself written `\x5C`. `decode` gives back the real bytes;
//! renderers percent-encode those bytes in URIs.

use std::fmt::Write as _;

/// The string form of a file name's bytes (see the module comment).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        let mut rest = valid;
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if looks_escaped(after.as_bytes()) {
                out.push_str("\\x5C");
            } else {
                out.push('\\');
            }
            rest = after;
        }
        out.push_str(rest);
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// The directory of a `/`-separated relative path (`""` at the root).
pub fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The string form of a name or path the OS gave: `encode` of its bytes on
/// Unix; elsewhere names are UTF-16 and shown lossily.
pub fn from_os(s: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        encode(s.as_bytes())
    }
    #[cfg(not(unix))]
    {
        s.to_string_lossy().into_owned()
    }
}

/// The bytes a string from `encode` stands for. A string that was never
/// encoded (plain UTF-8 without `\xNN`) decodes to its own bytes.
pub fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && looks_escaped(&b[i + 1..]) {
            out.push(hex(b[i + 2]) << 4 | hex(b[i + 3]));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

/// Whether `s` starts with `xNN` (after a backslash, that reads as a byte).
fn looks_escaped(s: &[u8]) -> bool {
    s.len() >= 3 && s[0] == b'x' && s[1].is_ascii_hexdigit() && s[2].is_ascii_hexdigit()
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c.wrapping_sub(b'A').wrapping_add(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let names: &[&[u8]] = &[
            b"a/b.py",
            b"a\\b.py",
            b"dir\\",
            b"caf\xc3\xa9.go",
            b"bad\xffname\xfe.py",
            b"\\x41 looks escaped",
            b"\\xZZ does not",
            b"\xc3",
            b"",
        ];
        for n in names {
            let e = encode(n);
            assert_eq!(decode(&e), *n, "{e}");
        }
        assert_eq!(encode(b"a\\b.py"), "a\\b.py");
        assert_eq!(encode(b"bad\xffname"), "bad\\xFFname");
        assert_eq!(encode(b"\\x41"), "\\x5Cx41");
        assert_eq!(encode("café".as_bytes()), "café");
    }
}
