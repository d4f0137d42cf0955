//! Free space where an image is unpacked: the write budget is lowered so an
//! image never fills the file system of the temporary directory, whatever
//! `--max-unpacked-bytes` says.

use std::path::Path;

/// Left free on the file system, at least: other programs share it.
const RESERVE: u64 = 1 << 30;

/// The bytes an unpack into `dir` may write: `budget`, or less when the
/// file system has less room than that (keeping `RESERVE` free). `None`
/// when the budget stands as it is.
pub fn clamp(dir: &Path, budget: u64) -> Option<u64> {
    let free = available(dir)?;
    // 1 GiB, or a tenth of what is free on a small file system.
    let room = free - RESERVE.min(free / 10);
    (room < budget).then_some(room)
}

/// Bytes an unprivileged process may still write on `dir`'s file system.
#[cfg(unix)]
fn available(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut s = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `path` is a NUL-terminated string and `s` a buffer of the
    // right type; statvfs writes only into it.
    let r = unsafe { libc::statvfs(path.as_ptr(), s.as_mut_ptr()) };
    if r != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled the struct.
    let s = unsafe { s.assume_init() };
    // The field types differ between platforms (u32 on some 32-bit ones).
    #[allow(clippy::unnecessary_cast)]
    let (blocks, size) = (s.f_bavail as u64, s.f_frsize as u64);
    Some(blocks.saturating_mul(size))
}

#[cfg(not(unix))]
fn available(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_over_the_free_space_is_lowered() {
        let dir = tempfile::tempdir().unwrap();
        let Some(free) = available(dir.path()) else {
            return;
        };
        assert!(free > 0);
        let lowered = clamp(dir.path(), u64::MAX).expect("lowered");
        assert!(lowered < free);
        assert_eq!(clamp(dir.path(), 1), None);
    }
}
