//! Walking a tar with bounded memory.
//!
//! The tar crate reads GNU long-name and PAX metadata entries into memory
//! whole, whatever size their header claims, so a gzip'd layer with a
//! "path" of 8 GiB of zeros would be read into RAM. Here those entries are
//! taken raw and refused above `MAX_META` before a byte is read; names are
//! then applied the way GNU tar and PAX define them.

use std::io::{self, Read};
use std::path::PathBuf;

/// Real long names and PAX records are a few KiB; xattrs a few more.
pub const MAX_META: u64 = 1 << 20;

/// An entry's name and link target after long-name and PAX processing.
pub struct Named {
    pub path: PathBuf,
    pub link: Option<PathBuf>,
}

/// Calls `f` for every member of `r` except the metadata ones. `f` may read
/// the entry. Errors from `f` stop the walk and are returned.
pub fn walk<R, E, F>(r: R, mut f: F) -> Result<(), E>
where
    R: Read,
    E: From<io::Error>,
    F: FnMut(Named, &mut tar::Entry<'_, R>) -> Result<(), E>,
{
    let mut archive = tar::Archive::new(r);
    let mut long_name: Option<Vec<u8>> = None;
    let mut long_link: Option<Vec<u8>> = None;
    let mut pax: Option<Vec<u8>> = None;
    for entry in archive.entries()?.raw(true) {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        let slot = if kind.is_gnu_longname() {
            Some(&mut long_name)
        } else if kind.is_gnu_longlink() {
            Some(&mut long_link)
        } else if kind.is_pax_local_extensions() {
            Some(&mut pax)
        } else {
            None
        };
        if kind.is_pax_global_extensions() {
            // Global records carry no names wasmfit needs; the iterator
            // skips their data without reading it into memory.
            continue;
        }
        if let Some(slot) = slot {
            if entry.size() > MAX_META {
                return Err(io::Error::other(format!(
                    "a tar metadata entry claims {} bytes (limit {MAX_META}); refusing the rest of this tar",
                    entry.size()
                ))
                .into());
            }
            let mut buf = Vec::with_capacity(entry.size() as usize);
            entry.read_to_end(&mut buf)?;
            *slot = Some(buf);
            continue;
        }
        let mut path = long_name.take().map(trim_nul);
        let mut link = long_link.take().map(trim_nul);
        if let Some(p) = pax.take() {
            for ext in tar::PaxExtensions::new(&p).flatten() {
                match ext.key_bytes() {
                    b"path" => path = Some(ext.value_bytes().to_vec()),
                    b"linkpath" => link = Some(ext.value_bytes().to_vec()),
                    _ => {}
                }
            }
        }
        let path = path.unwrap_or_else(|| entry.header().path_bytes().into_owned());
        let link = link.or_else(|| entry.header().link_name_bytes().map(|l| l.into_owned()));
        let named = Named {
            path: bytes_path(&path),
            link: link.as_deref().map(bytes_path),
        };
        f(named, &mut entry)?;
    }
    Ok(())
}

fn trim_nul(mut v: Vec<u8>) -> Vec<u8> {
    while v.last() == Some(&0) {
        v.pop();
    }
    v
}

#[cfg(unix)]
fn bytes_path(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn bytes_path(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_and_pax_paths() {
        let mut b = tar::Builder::new(Vec::new());
        let long = format!("{}/file", "d".repeat(200));
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, &long, &b"hi"[..]).unwrap();
        b.append_pax_extensions([("path", &b"pax/name"[..])])
            .unwrap();
        let mut h = tar::Header::new_ustar();
        h.set_size(0);
        h.set_path("short").unwrap();
        h.set_cksum();
        b.append(&h, &[][..]).unwrap();
        let data = b.into_inner().unwrap();
        let mut names = Vec::new();
        walk::<_, io::Error, _>(&data[..], |n, _| {
            names.push(n.path.display().to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(names, vec![long, "pax/name".to_string()]);
    }

    #[test]
    fn oversized_metadata_is_refused_unread() {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::GNULongName);
        h.set_size(1 << 40);
        h.set_path("././@LongLink").unwrap();
        h.set_cksum();
        let mut data = h.as_bytes().to_vec();
        data.extend_from_slice(&[0; 1024]);
        let r = walk::<_, io::Error, _>(&data[..], |_, _| Ok(()));
        assert!(r.unwrap_err().to_string().contains("metadata entry"));
    }
}
