//! Just enough zip to list a jar and inflate an entry: the central
//! directory (with zip64), stored and deflated entries, and hard limits on
//! what may be inflated, since a jar is untrusted like everything else.

use flate2::read::DeflateDecoder;
use std::io::Read;

const MAX_ENTRIES: usize = 200_000;
/// One class file larger than this is not a class file anyone wrote.
pub const MAX_ENTRY: u64 = 16 << 20;

#[derive(Debug)]
pub enum Error {
    Format(&'static str),
    /// The archive-wide inflate budget is spent.
    Budget,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Format(s) => f.write_str(s),
            Error::Budget => f.write_str("inflate budget exceeded"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub name: String,
    method: u16,
    compressed: u64,
    size: u64,
    local: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The central directory's entries.
pub fn entries(b: &[u8]) -> Result<Vec<Entry>, Error> {
    let fmt = Error::Format;
    // The end record is in the last 64 KiB + 22 bytes (comment included).
    let tail_start = b.len().saturating_sub(65_557);
    let eocd = memchr::memmem::rfind(&b[tail_start..], b"PK\x05\x06")
        .map(|i| i + tail_start)
        .ok_or(fmt("no end of central directory"))?;
    let mut count = u64::from(u16_at(b, eocd + 10).ok_or(fmt("truncated end record"))?);
    let mut cd = u64::from(u32_at(b, eocd + 16).ok_or(fmt("truncated end record"))?);
    if (count == 0xffff || cd == 0xffff_ffff)
        && eocd >= 20
        && u32_at(b, eocd - 20) == Some(0x0706_4b50)
    {
        let rec = u64_at(b, eocd - 12)
            .and_then(|o| usize::try_from(o).ok())
            .ok_or(fmt("bad zip64 locator"))?;
        if u32_at(b, rec) != Some(0x0606_4b50) {
            return Err(fmt("bad zip64 end record"));
        }
        count = u64_at(b, rec + 32).ok_or(fmt("truncated zip64 record"))?;
        cd = u64_at(b, rec + 48).ok_or(fmt("truncated zip64 record"))?;
    }
    let mut at = usize::try_from(cd).map_err(|_| fmt("central directory offset"))?;
    let mut out = Vec::new();
    for _ in 0..count.min(MAX_ENTRIES as u64) {
        if u32_at(b, at) != Some(0x0201_4b50) {
            break; // a truncated directory still yields what came before
        }
        let h = |o: usize| u16_at(b, at + o).ok_or(fmt("truncated entry"));
        let w = |o: usize| u32_at(b, at + o).ok_or(fmt("truncated entry"));
        let (method, name_len, extra_len, comment_len) =
            (h(10)?, h(28)? as usize, h(30)? as usize, h(32)? as usize);
        let (mut compressed, mut size, mut local) =
            (u64::from(w(20)?), u64::from(w(24)?), u64::from(w(42)?));
        let name = b
            .get(at + 46..at + 46 + name_len)
            .ok_or(fmt("truncated name"))?;
        let extra = b
            .get(at + 46 + name_len..at + 46 + name_len + extra_len)
            .unwrap_or(&[]);
        zip64_extra(extra, &mut size, &mut compressed, &mut local);
        out.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            compressed,
            size,
            local,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

/// The zip64 extended-information extra field replaces 0xffffffff values.
fn zip64_extra(extra: &[u8], size: &mut u64, compressed: &mut u64, local: &mut u64) {
    let mut i = 0;
    while i + 4 <= extra.len() {
        let id = u16::from_le_bytes([extra[i], extra[i + 1]]);
        let len = u16::from_le_bytes([extra[i + 2], extra[i + 3]]) as usize;
        let data = extra.get(i + 4..i + 4 + len).unwrap_or(&[]);
        if id == 1 {
            let mut j = 0;
            for v in [size, compressed, local] {
                if *v == 0xffff_ffff {
                    if let Some(x) = u64_at(data, j) {
                        *v = x;
                        j += 8;
                    }
                }
            }
            return;
        }
        i += 4 + len;
    }
}

impl Entry {
    /// Whether the entry is larger than one entry may be inflated: `read`
    /// returns only its first `MAX_ENTRY` bytes.
    pub fn is_cut(&self) -> bool {
        self.size > MAX_ENTRY
    }
}

/// An entry's bytes, inflated within the per-entry cap and the caller's
/// archive-wide budget.
pub fn read(b: &[u8], e: &Entry, budget: &mut u64) -> Result<Vec<u8>, Error> {
    let fmt = Error::Format;
    let at = usize::try_from(e.local).map_err(|_| fmt("entry offset"))?;
    if u32_at(b, at) != Some(0x0403_4b50) {
        return Err(fmt("bad local header"));
    }
    let start = at
        + 30
        + u16_at(b, at + 26).ok_or(fmt("truncated"))? as usize
        + u16_at(b, at + 28).ok_or(fmt("truncated"))? as usize;
    let len = usize::try_from(e.compressed).map_err(|_| fmt("entry size"))?;
    let data = b
        .get(start..start.checked_add(len).ok_or(fmt("entry size"))?)
        .ok_or(fmt("entry runs past the end"))?;
    let cap = e.size.min(MAX_ENTRY);
    if cap > *budget {
        return Err(Error::Budget);
    }
    let mut out = Vec::with_capacity(cap as usize);
    match e.method {
        0 => out.extend_from_slice(&data[..data.len().min(cap as usize)]),
        8 => {
            // Inflate at most the declared size (capped): a lying header
            // cannot make this grow past it.
            DeflateDecoder::new(data)
                .take(cap)
                .read_to_end(&mut out)
                .map_err(|_| fmt("bad deflate data"))?;
        }
        _ => return Err(fmt("unsupported compression method")),
    }
    *budget -= out.len() as u64;
    Ok(out)
}
