//! Reading one file a user or a scanned tree names, within a size limit and
//! only when it is a regular file: a FIFO or a device would block or never
//! end, and a huge file would fill memory.

use std::io::{self, Read};
use std::path::Path;

/// The bytes of `path`, which must be a regular file (a symlink to one is
/// followed: the caller decides whether that is allowed) of at most `limit`
/// bytes. The type is checked before the file is opened, since opening a
/// FIFO blocks until a writer comes.
pub fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if meta.len() > limit {
        return Err(too_big(limit));
    }
    let f = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    // The file may have grown since it was measured.
    if bytes.len() as u64 > limit {
        return Err(too_big(limit));
    }
    Ok(bytes)
}

/// Like `read`, as UTF-8 text.
pub fn read_string(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

fn too_big(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("larger than {limit} bytes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_within_the_limit_only() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a");
        std::fs::write(&f, "hello").unwrap();
        assert_eq!(read(&f, 5).unwrap(), b"hello");
        assert!(read(&f, 4)
            .unwrap_err()
            .to_string()
            .contains("larger than 4"));
        assert!(read(dir.path(), 5)
            .unwrap_err()
            .to_string()
            .contains("not a regular file"));
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return;
        }
        let e = read(&fifo, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
}
