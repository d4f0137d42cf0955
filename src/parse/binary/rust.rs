//! Rust binaries: the cargo-auditable dependency list (`.dep-v0`, zlib
//! JSON), Rust function names from symbol tables, and what Rust's standard
//! library does for itself, so its futex and signal handling are not
//! mistaken for the service's own.

use super::native::Native;
use flate2::read::ZlibDecoder;
use serde::Deserialize;
use std::io::Read;

/// The decompressed list is small (a few hundred KB for big projects);
/// anything past this is a compression bomb.
const MAX_JSON: u64 = 8 << 20;

#[derive(Debug, Deserialize)]
struct Audit {
    packages: Vec<AuditPackage>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AuditPackage {
    pub name: String,
    pub version: String,
    /// `runtime` (default) or `build`.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub root: bool,
}

/// The cargo-auditable package list, if the section is there. `Err` says
/// why a present section could not be read.
pub fn auditable(bytes: &[u8], n: &Native) -> Option<Result<Vec<AuditPackage>, String>> {
    let s = [".dep-v0", "__dep-v0", ".dep-v0\0"]
        .iter()
        .find_map(|name| n.section(name))?;
    let data = n.data(bytes, s);
    let mut json = Vec::new();
    let read = ZlibDecoder::new(data)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json);
    Some(match read {
        Err(e) => Err(format!(
            "cargo-auditable data (.dep-v0) is not valid zlib: {e}"
        )),
        Ok(_) if json.len() as u64 > MAX_JSON => Err(format!(
            "cargo-auditable data (.dep-v0) inflates past {MAX_JSON} bytes; ignored"
        )),
        Ok(_) => serde_json::from_slice::<Audit>(&json)
            .map(|a| a.packages)
            .map_err(|e| format!("cargo-auditable data (.dep-v0) is not the expected JSON: {e}")),
    })
}

/// Symbols only Rust's toolchain emits.
pub fn has_rust_symbols(n: &Native) -> bool {
    n.funcs.iter().any(|f| {
        f.name == "rust_begin_unwind"
            || f.name == "rust_eh_personality"
            || f.name.starts_with("__rust_")
            || f.name.starts_with("_RNv")
    }) || n.imports.iter().any(|i| i.name.starts_with("__rust_"))
}

/// A Rust symbol demangled without its hash (`std::process::Command::spawn`).
pub fn demangle(sym: &str) -> Option<String> {
    if !(sym.starts_with("_ZN") || sym.starts_with("_R") || sym.starts_with("__ZN")) {
        return None;
    }
    let d = rustc_demangle::try_demangle(sym).ok()?;
    let s = format!("{d:#}");
    // Legacy mangling is also C++'s; only keep names that look like Rust paths.
    s.contains("::").then_some(s)
}

/// Whether a demangled function belongs to Rust's own runtime: std and the
/// crates that are libc for it (rustix's raw-syscall backend).
pub fn is_runtime_fn(name: &str, prefixes: &[String]) -> bool {
    // `<&std::io::Stdout as Write>::write_fmt` and `<*mut T>::...` are std's.
    let mut n = name;
    loop {
        let t = n.trim_start_matches(['<', '&', '*', '(', '[']);
        let t = ["mut ", "const ", "dyn "]
            .iter()
            .fold(t, |t, p| t.strip_prefix(p).unwrap_or(t));
        if t.len() == n.len() {
            break;
        }
        n = t;
    }
    prefixes.iter().any(|p| n.starts_with(p.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::binary::native::Section;
    use std::io::Write;

    fn with_section(data: Vec<u8>) -> (Vec<u8>, Native) {
        let n = Native {
            sections: vec![Section {
                name: ".dep-v0".into(),
                offset: 0,
                size: data.len(),
                ..Section::default()
            }],
            ..Native::default()
        };
        (data, n)
    }

    fn zlib(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn reads_auditable() {
        let json = br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true},{"name":"aya","version":"0.13.0","source":"crates.io","dependencies":[]},{"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"}]}"#;
        let (b, n) = with_section(zlib(json));
        let p = auditable(&b, &n).unwrap().unwrap();
        assert_eq!(p.len(), 3);
        assert!(p[0].root);
        assert_eq!(p[2].kind.as_deref(), Some("build"));
    }

    #[test]
    fn refuses_bombs_and_garbage() {
        let (b, n) = with_section(zlib(&vec![b' '; (MAX_JSON + 10) as usize]));
        assert!(auditable(&b, &n).unwrap().is_err());
        let (b, n) = with_section(b"not zlib".to_vec());
        assert!(auditable(&b, &n).unwrap().is_err());
    }

    #[test]
    fn demangles() {
        assert_eq!(
            demangle("_ZN3std7process7Command5spawn17h0123456789abcdefE").as_deref(),
            Some("std::process::Command::spawn")
        );
        assert_eq!(demangle("main"), None);
        let std = ["std::".to_string(), "core::".to_string()];
        assert!(is_runtime_fn(
            "<std::sys::pal::unix::futex::Futex>::wait",
            &std
        ));
        assert!(is_runtime_fn(
            "<&std::io::stdio::Stdout as std::io::Write>::write_fmt",
            &std
        ));
        assert!(is_runtime_fn("<*mut core::ffi::c_void>::is_null", &std));
        assert!(!is_runtime_fn("aya::sys::bpf::bpf_prog_load", &std));
    }
}
