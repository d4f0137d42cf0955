//! Applying layer tars, in order and with whiteouts, into a directory
//! wasmfit owns, without ever writing outside it.
//!
//! The rules, and why:
//! - Entry names with `..` or a leading `/` are refused: a layer tar has
//!   neither, so one that does is hostile.
//! - Parent directories are resolved as if the temporary root were `/`
//!   (chroot semantics, as Docker applies layers): a symlink met on the way
//!   is followed inside the root, `..` stops at the root, and an absolute
//!   target starts again at the root. Every directory stepped into is checked
//!   to be a real directory, so no write goes through a symlink.
//! - The last component is never followed: whatever is there is removed and
//!   the entry created in its place with `create_new` (`O_EXCL`, which also
//!   refuses a symlink that appeared in between).
//! - Symlinks are created as symlinks, verbatim; hard links only to regular
//!   files already inside the root; devices and FIFOs are not created.
//! - Bytes written, bytes decompressed and entries are bounded, so a
//!   compression bomb stops with a diagnostic instead of filling the disk.
//! - Modes keep the permission bits only (no setuid, no sticky) and always
//!   let wasmfit read, write and delete what it created.

use crate::model::diag::{DiagKind, Diagnostic};
use std::collections::{HashSet, VecDeque};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Symlink hops allowed while resolving one path (Linux allows 40).
const MAX_HOPS: usize = 40;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Bytes written to the temporary root, all layers together.
    pub max_bytes: u64,
    /// Entries created, all layers together.
    pub max_entries: u64,
    /// Bytes read out of decompressors, all layers together (and the outer
    /// archive, when it is gzip'd): bounds the work a bomb can cause even
    /// when its entries are refused.
    pub max_input: u64,
    /// One file larger than this is not written (the scan would not read
    /// it: it is over the largest binary it analyses).
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        // A CUDA or PyTorch base unpacks to 5-9 GiB and the service's own
        // layer comes last, so the total stays high enough for those; the
        // per-file limit is what stops a layer of giant files early.
        Limits {
            max_bytes: 8 << 30,
            max_entries: 1_000_000,
            max_input: 16 << 30,
            max_file_bytes: 512 << 20,
        }
    }
}

/// What one layer did.
#[derive(Debug, Default, Clone)]
pub struct LayerStats {
    pub bytes: u64,
    pub entries: u64,
    /// Regular files written, as `/`-separated paths relative to the root
    /// (kept only when asked for, for COPY/ADD layers; bounded).
    pub files: Vec<String>,
}

/// The state of an unpack: the root, the budget, what went wrong.
pub struct Unpacker {
    root: PathBuf,
    limits: Limits,
    pub bytes: u64,
    pub entries: u64,
    input: u64,
    pub setuid: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// Problems past the listed ones, counted.
    unlisted: u64,
    /// Paths created by the current layer (and their ancestors): whiteouts
    /// apply to lower layers only.
    touched: HashSet<PathBuf>,
    /// The label used in diagnostics (the layer's id).
    label: String,
    /// Set once a limit is hit; later layers are not applied.
    pub stopped: bool,
}

/// Why applying stopped early.
#[derive(Debug)]
enum Stop {
    Limit(String),
    Io(io::Error),
}

/// The error a capped decompressor returns, told apart from broken input.
#[derive(Debug)]
struct LimitHit;

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("decompressed input limit reached")
    }
}

impl std::error::Error for LimitHit {}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Stop {
        if e.get_ref().is_some_and(|i| i.is::<LimitHit>()) {
            Stop::Limit("over the decompression limit".into())
        } else {
            Stop::Io(e)
        }
    }
}

/// Counts and caps what a decompressor yields.
struct Counted<'a, R> {
    inner: R,
    used: &'a mut u64,
    max: u64,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if *self.used >= self.max {
            return Err(io::Error::other(LimitHit));
        }
        let room = (self.max - *self.used).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        *self.used += n as u64;
        Ok(n)
    }
}

impl Unpacker {
    /// `root` must be an empty directory wasmfit created.
    pub fn new(root: &Path, limits: Limits) -> Unpacker {
        Unpacker {
            root: root.to_path_buf(),
            limits,
            bytes: 0,
            entries: 0,
            input: 0,
            setuid: 0,
            diagnostics: Vec::new(),
            unlisted: 0,
            touched: HashSet::new(),
            label: String::new(),
            stopped: false,
        }
    }

    fn diag(&mut self, kind: DiagKind, msg: String) {
        // One hostile layer can hold millions of bad entries: keep the first
        // few and a count of the rest (`finish`).
        const MAX_DIAGS: usize = 200;
        if self.diagnostics.len() < MAX_DIAGS {
            self.diagnostics.push(Diagnostic::new(
                kind,
                format!("image layer {}", self.label),
                msg,
            ));
        } else {
            self.unlisted += 1;
        }
    }

    /// The diagnostics, with one line counting those not listed.
    pub fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        let mut d = std::mem::take(&mut self.diagnostics);
        if self.unlisted > 0 {
            d.push(Diagnostic::new(
                DiagKind::Note,
                "image layers",
                format!(
                    "and {} more problems in the image's layers, not listed",
                    self.unlisted
                ),
            ));
            self.unlisted = 0;
        }
        d
    }

    /// Applies one layer blob (plain, gzip or zstd tar). Problems with single
    /// entries are diagnostics; a broken or over-limit layer stops here.
    pub fn apply(&mut self, label: &str, blob: impl Read, record_files: bool) -> LayerStats {
        self.label = label.to_string();
        self.touched.clear();
        let mut stats = LayerStats::default();
        if self.stopped {
            return stats;
        }
        let mut blob = io::BufReader::new(blob);
        let head = match io::BufRead::fill_buf(&mut blob) {
            Ok(h) => h.get(..4).unwrap_or(h).to_vec(),
            Err(e) => {
                self.diag(DiagKind::Unreadable, format!("cannot read the layer: {e}"));
                return stats;
            }
        };
        // Every stream is counted against the one decompression budget as it
        // is read, so a bomb stops at the limit whatever its format.
        let stream: Box<dyn Read + '_> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::read::MultiGzDecoder::new(blob))
        } else if head.starts_with(&super::zstd::MAGIC) {
            Box::new(super::zstd::Decoder::new(blob))
        } else {
            Box::new(blob)
        };
        let mut used = self.input;
        let result = self.entries_of(
            Counted {
                inner: stream,
                used: &mut used,
                max: self.limits.max_input,
            },
            &mut stats,
            record_files,
        );
        self.input = used;
        match result {
            Ok(()) => {}
            Err(Stop::Limit(why)) => {
                self.stopped = true;
                self.diag(
                    DiagKind::TooLarge,
                    format!("{why}; this and later layers were not fully applied"),
                );
            }
            Err(Stop::Io(e)) => {
                self.diag(
                    DiagKind::Malformed,
                    format!("broken layer tar: {e}; the rest of this layer was skipped"),
                );
            }
        }
        stats
    }

    fn entries_of(
        &mut self,
        r: impl Read,
        stats: &mut LayerStats,
        record_files: bool,
    ) -> Result<(), Stop> {
        const MAX_RECORDED: usize = 20_000;
        super::tarwalk::walk(r, |named, entry| {
            if crate::interrupt::received().is_some() {
                // The temporary root is being removed: write nothing more.
                return Err(Stop::Limit("stopped by a signal".into()));
            }
            if self.entries >= self.limits.max_entries {
                return Err(Stop::Limit(format!(
                    "over the {}-entry limit",
                    self.limits.max_entries
                )));
            }
            let Some(parts) = self.checked(&named.path) else {
                return Ok(());
            };
            let Some(name) = parts.last().cloned() else {
                return Ok(());
            };
            let name_str = name.to_string_lossy();
            if let Some(hidden) = name_str.strip_prefix(".wh.") {
                self.whiteout(&parts[..parts.len() - 1], hidden);
                return Ok(());
            }
            let kind = entry.header().entry_type();
            let mode = entry.header().mode().unwrap_or(0o644);
            let made = if kind.is_dir() {
                self.make_dir(&parts, mode)
            } else if kind.is_file() || kind == tar::EntryType::Continuous || kind.is_gnu_sparse() {
                if mode & 0o6000 != 0 {
                    self.setuid += 1;
                }
                if entry.size() > self.limits.max_file_bytes {
                    // Skipped unread: the walk reads past its data (which
                    // still counts against the decompression budget).
                    self.diag(
                        DiagKind::TooLarge,
                        format!(
                            "{}: {} bytes, over the {}-byte limit for one file; not unpacked",
                            crate::model::fact::clip(&join(&parts)),
                            entry.size(),
                            self.limits.max_file_bytes
                        ),
                    );
                    return Ok(());
                }
                let room = self.limits.max_bytes.saturating_sub(self.bytes);
                if entry.size() > room {
                    return Err(Stop::Limit(format!(
                        "over the {}-byte limit for unpacked files",
                        self.limits.max_bytes
                    )));
                }
                match self.make_file(&parts, mode, entry, room) {
                    Ok(n) => {
                        self.bytes += n;
                        stats.bytes += n;
                        if record_files && stats.files.len() < MAX_RECORDED {
                            stats.files.push(join(&parts));
                        }
                        Ok(())
                    }
                    Err(Stop::Io(e)) => Err(e),
                    Err(stop) => return Err(stop),
                }
            } else if kind.is_symlink() {
                match &named.link {
                    Some(target) => self.make_symlink(&parts, target),
                    None => Ok(()),
                }
            } else if kind.is_hard_link() {
                match &named.link {
                    Some(target) => self.make_hard_link(&parts, target),
                    None => Ok(()),
                }
            } else {
                // Devices, FIFOs: the scan has no use for them, and creating
                // them is a privilege wasmfit should not exercise.
                return Ok(());
            };
            match made {
                Ok(()) => {
                    self.entries += 1;
                    stats.entries += 1;
                }
                Err(e) => {
                    let what = join(&parts);
                    self.diag(DiagKind::Unreadable, format!("{what}: not unpacked: {e}"));
                }
            }
            Ok(())
        })
    }

    /// The entry's path as plain components, or a diagnostic when it is
    /// absolute or climbs with `..`.
    fn checked(&mut self, raw: &Path) -> Option<Vec<OsString>> {
        let mut parts = Vec::new();
        for c in raw.components() {
            match c {
                Component::Normal(s) => parts.push(s.to_os_string()),
                Component::CurDir => {}
                Component::ParentDir => {
                    let shown =
                        crate::model::fact::clip(&crate::model::path::from_os(raw.as_os_str()));
                    self.diag(
                        DiagKind::Malformed,
                        format!("entry `{shown}` refused: path traversal (`..`)"),
                    );
                    return None;
                }
                Component::RootDir | Component::Prefix(_) => {
                    let shown =
                        crate::model::fact::clip(&crate::model::path::from_os(raw.as_os_str()));
                    self.diag(
                        DiagKind::Malformed,
                        format!("entry `{shown}` refused: absolute path"),
                    );
                    return None;
                }
            }
        }
        (!parts.is_empty()).then_some(parts)
    }

    /// Resolves `parts` under the root with chroot semantics. Directories on
    /// the way are created when `create` is set. The last component is
    /// followed only when `follow_last` is set.
    pub fn resolve(
        &self,
        parts: &[OsString],
        create: bool,
        follow_last: bool,
    ) -> io::Result<PathBuf> {
        resolve_in(&self.root, parts, create, follow_last)
    }

    fn touch(&mut self, path: &Path) {
        let mut p = Some(path);
        while let Some(q) = p {
            if q == self.root || !self.touched.insert(q.to_path_buf()) {
                break;
            }
            p = q.parent();
        }
    }

    /// Clears whatever is at `path` so an entry can be created there.
    fn clear(path: &Path, keep_dir: bool) -> io::Result<()> {
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() && keep_dir => Ok(()),
            Ok(m) if m.is_dir() => fs::remove_dir_all(path),
            Ok(_) => fs::remove_file(path),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn make_dir(&mut self, parts: &[OsString], mode: u32) -> io::Result<()> {
        let path = self.resolve(parts, true, false)?;
        Self::clear(&path, true)?;
        if !path.is_dir() {
            fs::create_dir(&path)?;
        }
        set_mode(&path, (mode & 0o777) | 0o700)?;
        self.touch(&path);
        Ok(())
    }

    fn make_file(
        &mut self,
        parts: &[OsString],
        mode: u32,
        data: &mut impl Read,
        room: u64,
    ) -> Result<u64, Stop> {
        let path = self.resolve(parts, true, false)?;
        Self::clear(&path, false)?;
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&path)?;
        let n = io::copy(&mut data.take(room + 1), &mut f)?;
        if n > room {
            return Err(Stop::Limit(format!(
                "over the {}-byte limit for unpacked files",
                self.limits.max_bytes
            )));
        }
        drop(f);
        set_mode(&path, (mode & 0o777) | 0o600)?;
        self.touch(&path);
        Ok(n)
    }

    fn make_symlink(&mut self, parts: &[OsString], target: &Path) -> io::Result<()> {
        let path = self.resolve(parts, true, false)?;
        Self::clear(&path, false)?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(target, &path)?;
        #[cfg(not(unix))]
        let _ = target;
        self.touch(&path);
        Ok(())
    }

    fn make_hard_link(&mut self, parts: &[OsString], target: &Path) -> io::Result<()> {
        // Link names are paths from the layer's root; a leading `/` means
        // the same thing here, `..` does not.
        let mut tparts = Vec::new();
        for c in target.components() {
            match c {
                Component::Normal(s) => tparts.push(s.to_os_string()),
                Component::CurDir | Component::RootDir => {}
                _ => return Err(io::Error::other("hard link target climbs out with `..`")),
            }
        }
        let src = self.resolve(&tparts, false, false)?;
        let meta = fs::symlink_metadata(&src)?;
        if !meta.is_file() {
            return Err(io::Error::other("hard link target is not a regular file"));
        }
        let path = self.resolve(parts, true, false)?;
        if path == src {
            return Ok(());
        }
        Self::clear(&path, false)?;
        fs::hard_link(&src, &path)?;
        self.touch(&path);
        Ok(())
    }

    /// `.wh.NAME` hides NAME from lower layers; `.wh..wh..opq` hides every
    /// lower entry of its directory.
    fn whiteout(&mut self, dir: &[OsString], hidden: &str) {
        let Ok(dir_path) = self.resolve(dir, false, true) else {
            return;
        };
        if hidden == ".wh..opq" {
            if let Ok(children) = fs::read_dir(&dir_path) {
                for c in children.flatten() {
                    self.remove_lower(&c.path());
                }
            }
        } else if hidden.starts_with(".wh.") {
            // Other aufs bookkeeping (`.wh..wh.plnk`): nothing to apply.
        } else if !hidden.is_empty() && !hidden.contains('/') && hidden != "." && hidden != ".." {
            self.remove_lower(&dir_path.join(hidden));
        }
    }

    /// Removes what lower layers put at `path`, keeping what this layer made.
    fn remove_lower(&mut self, path: &Path) {
        if self.touched.contains(path) {
            let is_dir = fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
            if is_dir {
                if let Ok(children) = fs::read_dir(path) {
                    let children: Vec<PathBuf> = children.flatten().map(|c| c.path()).collect();
                    for c in children {
                        self.remove_lower(&c);
                    }
                }
            }
            return;
        }
        let _ = Self::clear(path, false);
    }
}

/// `resolve` for any root; used by readers of the unpacked tree too, so a
/// symlink in the image never makes wasmfit read a file of the host.
pub fn resolve_in(
    root: &Path,
    parts: &[OsString],
    create: bool,
    follow_last: bool,
) -> io::Result<PathBuf> {
    let mut done: Vec<OsString> = Vec::new();
    let mut todo: VecDeque<OsString> = parts.iter().cloned().collect();
    let mut hops = 0;
    while let Some(c) = todo.pop_front() {
        if c.is_empty() || c == "." {
            continue;
        }
        if c == ".." {
            done.pop();
            continue;
        }
        let last = todo.is_empty();
        let mut here = root.to_path_buf();
        here.extend(&done);
        here.push(&c);
        match fs::symlink_metadata(&here) {
            Ok(m) if m.file_type().is_symlink() && (!last || follow_last) => {
                hops += 1;
                if hops > MAX_HOPS {
                    return Err(io::Error::other("too many levels of symbolic links"));
                }
                let target = fs::read_link(&here)?;
                let mut next: VecDeque<OsString> = VecDeque::new();
                for tc in target.components() {
                    match tc {
                        Component::RootDir | Component::Prefix(_) => {
                            done.clear();
                            next.clear();
                        }
                        Component::CurDir => {}
                        Component::ParentDir => next.push_back("..".into()),
                        Component::Normal(s) => next.push_back(s.to_os_string()),
                    }
                }
                next.extend(todo);
                todo = next;
            }
            Ok(m) if !last && !m.is_dir() => {
                return Err(io::Error::other(format!(
                    "{} is not a directory",
                    here.display()
                )));
            }
            Ok(_) => done.push(c),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if !last {
                    if !create {
                        return Err(e);
                    }
                    fs::create_dir(&here)?;
                    set_mode(&here, 0o755)?;
                }
                done.push(c);
            }
            Err(e) => return Err(e),
        }
    }
    let mut out = root.to_path_buf();
    out.extend(&done);
    Ok(out)
}

/// The entry's path in the form the walk reports (`model::path`).
fn join(parts: &[OsString]) -> String {
    parts
        .iter()
        .map(|p| crate::input::discover::lossless(p))
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(unix)]
fn set_mode(p: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        build(&mut b);
        b.into_inner().unwrap()
    }

    fn file(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // set_path refuses `..`; write the raw name to test hostile input.
        let name = &mut h.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_cksum();
        b.append(&h, data).unwrap();
    }

    fn symlink(b: &mut tar::Builder<Vec<u8>>, path: &str, target: &str) {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Symlink);
        let name = &mut h.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        let link = &mut h.as_old_mut().linkname;
        link[..target.len()].copy_from_slice(target.as_bytes());
        h.set_cksum();
        b.append(&h, &[][..]).unwrap();
    }

    #[test]
    fn hostile_entries_stay_inside() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        let escape_link = outside.path().display().to_string();
        let l1 = layer(|b| {
            file(b, "../escape", b"x");
            file(b, "/abs", b"x");
            symlink(b, "evil", &escape_link);
            symlink(b, "up", "../../..");
        });
        let l2 = layer(|b| {
            // Writes through symlinks land inside the root.
            file(b, "evil/victim", b"pwned");
            file(b, "up/victim2", b"pwned");
            // A symlink as the last component is replaced, not followed.
            symlink(b, "last", &victim.display().to_string());
            file(b, "last", b"pwned");
        });
        let mut u = Unpacker::new(root.path(), Limits::default());
        u.apply("1", &l1[..], false);
        u.apply("2", &l2[..], false);
        assert!(!victim.exists());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        assert!(!root.path().parent().unwrap().join("escape").exists());
        let msgs: Vec<&str> = u.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert!(
            msgs.iter().any(|m| m.contains("path traversal")),
            "{msgs:?}"
        );
        assert!(msgs.iter().any(|m| m.contains("absolute path")), "{msgs:?}");
        // `evil` resolved to <root>/<outside path>, `up` to the root itself.
        let inner = root
            .path()
            .join(outside.path().strip_prefix("/").unwrap())
            .join("victim");
        assert_eq!(std::fs::read(inner).unwrap(), b"pwned");
        assert_eq!(
            std::fs::read(root.path().join("victim2")).unwrap(),
            b"pwned"
        );
        assert!(std::fs::symlink_metadata(root.path().join("last"))
            .unwrap()
            .is_file());
    }

    #[test]
    fn whiteouts_hide_lower_layers_only() {
        let root = tempfile::tempdir().unwrap();
        let l1 = layer(|b| {
            file(b, "a/keep", b"1");
            file(b, "a/gone", b"1");
            file(b, "o/old", b"1");
            file(b, "o/sub/old", b"1");
        });
        let l2 = layer(|b| {
            file(b, "a/.wh.gone", b"");
            file(b, "o/new", b"2");
            file(b, "o/.wh..wh..opq", b"");
        });
        let mut u = Unpacker::new(root.path(), Limits::default());
        u.apply("1", &l1[..], false);
        u.apply("2", &l2[..], false);
        let r = root.path();
        assert!(r.join("a/keep").exists());
        assert!(!r.join("a/gone").exists());
        assert!(!r.join("a/.wh.gone").exists());
        assert!(
            r.join("o/new").exists(),
            "same-layer entries survive an opaque marker that comes after them"
        );
        assert!(!r.join("o/old").exists());
        assert!(!r.join("o/sub").exists());
    }

    #[test]
    fn limits_stop_bombs() {
        let root = tempfile::tempdir().unwrap();
        let big = vec![0u8; 1 << 20];
        let l = layer(|b| {
            for i in 0..10 {
                file(b, &format!("f{i}"), &big);
            }
        });
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &l).unwrap();
        let l = gz.finish().unwrap();
        assert!(l.len() < 100_000);
        let mut u = Unpacker::new(
            root.path(),
            Limits {
                max_bytes: 3 << 20,
                max_entries: 100,
                max_input: 1 << 30,
                ..Limits::default()
            },
        );
        u.apply("bomb", &l[..], false);
        assert!(u.stopped);
        assert!(u.bytes <= 3 << 20);
        assert!(u.diagnostics.iter().any(|d| d.kind == DiagKind::TooLarge));
        let mut u = Unpacker::new(
            tempfile::tempdir().unwrap().path(),
            Limits {
                max_bytes: 1 << 30,
                max_entries: 100,
                max_input: 2 << 20,
                ..Limits::default()
            },
        );
        u.apply("bomb", &l[..], false);
        assert!(u.stopped, "{:?}", u.diagnostics);
    }
}
