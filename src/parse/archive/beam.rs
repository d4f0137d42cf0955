//! BEAM files: the functions a module imports (`os:cmd/1`,
//! `erlang:open_port/2`), from its atom table and import table chunks.
//! Compressed (gzip) BEAM files are inflated within a limit.

use flate2::read::GzDecoder;
use std::io::Read;

const MAX_INFLATED: u64 = 64 << 20;
const MAX_ATOMS: usize = 1 << 20;
const MAX_IMPORTS: usize = 100_000;

pub fn imports(b: &[u8]) -> Result<Vec<String>, &'static str> {
    if b.starts_with(b"\x1f\x8b") {
        let mut out = Vec::new();
        GzDecoder::new(b)
            .take(MAX_INFLATED)
            .read_to_end(&mut out)
            .map_err(|_| "bad gzip data")?;
        return parse(&out);
    }
    parse(b)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn parse(b: &[u8]) -> Result<Vec<String>, &'static str> {
    if b.get(..4) != Some(b"FOR1") || b.get(8..12) != Some(b"BEAM") {
        return Err("not a BEAM file");
    }
    let mut atoms: Vec<String> = Vec::new();
    let mut imports: Option<&[u8]> = None;
    let mut at = 12;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = be32(b, at + 4).ok_or("truncated chunk")? as usize;
        let data = b
            .get(at + 8..at + 8 + len)
            .ok_or("chunk runs past the end")?;
        match id {
            b"AtU8" | b"Atom" => atoms = atom_table(data).ok_or("bad atom table")?,
            b"ImpT" => imports = Some(data),
            _ => {}
        }
        at += 8 + len.div_ceil(4) * 4;
    }
    let Some(imp) = imports else {
        return Ok(Vec::new());
    };
    let count = (be32(imp, 0).ok_or("bad import table")? as usize).min(MAX_IMPORTS);
    let atom = |i: u32| atoms.get((i as usize).checked_sub(1)?).map(String::as_str);
    let mut out = Vec::new();
    for k in 0..count {
        let base = 4 + k * 12;
        let (Some(m), Some(f), Some(a)) =
            (be32(imp, base), be32(imp, base + 4), be32(imp, base + 8))
        else {
            break;
        };
        if let (Some(m), Some(f)) = (atom(m), atom(f)) {
            out.push(format!("{m}:{f}/{a}"));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Atom lengths are one byte, or (OTP 28+, negative count) a compact
/// term-encoded integer.
fn atom_table(d: &[u8]) -> Option<Vec<String>> {
    let raw = be32(d, 0)? as i32;
    let compact = raw < 0;
    let count = (raw.unsigned_abs() as usize).min(MAX_ATOMS);
    let mut out = Vec::with_capacity(count.min(4096));
    let mut at = 4;
    for _ in 0..count {
        let first = *d.get(at)?;
        let (len, used) = if !compact {
            (usize::from(first), 1)
        } else if first & 0x08 == 0 {
            (usize::from(first >> 4), 1)
        } else if first & 0x10 == 0 {
            (
                (usize::from(first & 0xe0) << 3) | usize::from(*d.get(at + 1)?),
                2,
            )
        } else {
            return None;
        };
        at += used;
        out.push(String::from_utf8_lossy(d.get(at..at + len)?).into_owned());
        at += len;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_imports() {
        let mut atoms = vec![0, 0, 0, 3];
        for a in ["mymod", "os", "cmd"] {
            atoms.push(a.len() as u8);
            atoms.extend_from_slice(a.as_bytes());
        }
        let mut imp = vec![0, 0, 0, 1];
        for v in [2u32, 3, 1] {
            imp.extend_from_slice(&v.to_be_bytes());
        }
        let mut body = b"BEAM".to_vec();
        for (id, d) in [(b"AtU8", &atoms), (b"ImpT", &imp)] {
            body.extend_from_slice(id);
            body.extend_from_slice(&(d.len() as u32).to_be_bytes());
            body.extend_from_slice(d);
            while !body.len().is_multiple_of(4) {
                body.push(0);
            }
        }
        let mut b = b"FOR1".to_vec();
        b.extend_from_slice(&(body.len() as u32).to_be_bytes());
        b.extend(body);
        assert_eq!(imports(&b).unwrap(), vec!["os:cmd/1".to_string()]);
        for cut in 0..b.len() {
            let _ = imports(&b[..cut]);
        }
    }
}
