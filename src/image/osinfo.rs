//! The OS an image carries: its release and its installed packages, read
//! from the unpacked root without running anything.
//!
//! dpkg's status file and apk's installed database are text and are read
//! exactly. rpm keeps packages in sqlite (Fedora, RHEL 9), Berkeley DB
//! (older RHEL, CentOS 7) or ndb (SUSE); rather than embed three database
//! engines, the header blobs rpm stores are found by their fixed first
//! bytes and their NAME/VERSION/RELEASE tags read: exact for intact
//! databases, possibly off by stale records, so reported as approximate.

use super::layers::resolve_in;
use crate::model::image::{OsRelease, Packages};
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Text databases larger than this are read up to it.
const MAX_TEXT: u64 = 64 << 20;
/// rpm databases larger than this are not read.
const MAX_RPMDB: u64 = 1 << 30;
/// Names kept in the report.
const MAX_NAMES: usize = 2000;

/// Resolves an image path (`etc/os-release`) inside `root`, following
/// symlinks inside the image only.
pub fn image_path(root: &Path, rel: &str) -> Option<PathBuf> {
    let parts: Vec<OsString> = rel
        .split('/')
        .filter(|p| !p.is_empty())
        .map(OsString::from)
        .collect();
    let p = resolve_in(root, &parts, false, true).ok()?;
    std::fs::symlink_metadata(&p).ok()?.is_file().then_some(p)
}

fn read_text(root: &Path, rel: &str) -> Option<String> {
    let p = image_path(root, rel)?;
    let mut buf = Vec::new();
    std::fs::File::open(p)
        .ok()?
        .take(MAX_TEXT)
        .read_to_end(&mut buf)
        .ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// `/etc/os-release`, falling back to `/usr/lib/os-release`.
pub fn os_release(root: &Path) -> Option<OsRelease> {
    let text =
        read_text(root, "etc/os-release").or_else(|| read_text(root, "usr/lib/os-release"))?;
    let mut r = OsRelease::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
        match k.trim() {
            "ID" => r.id = v,
            "VERSION_ID" => r.version_id = v,
            "PRETTY_NAME" => r.pretty_name = v,
            _ => {}
        }
    }
    (!r.id.is_empty() || !r.pretty_name.is_empty()).then_some(r)
}

/// Every package database found in the image.
pub fn packages(root: &Path) -> Vec<Packages> {
    let mut out = Vec::new();
    if let Some(p) = dpkg(root) {
        out.push(p);
    }
    if let Some(p) = apk(root) {
        out.push(p);
    }
    if let Some(p) = rpm(root) {
        out.push(p);
    }
    out
}

fn finish(manager: &str, database: &str, names: Vec<String>, exact: bool) -> Packages {
    let count = names.len();
    let mut names = names;
    names.sort();
    names.truncate(MAX_NAMES);
    Packages {
        manager: manager.into(),
        database: database.into(),
        count,
        exact,
        names,
    }
}

/// Names of installed packages in dpkg's status format (paragraphs with
/// `Package:` and `Status: install ok installed`).
pub fn dpkg_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for para in text.split("\n\n") {
        let mut name = None;
        // Distroless writes one paragraph per file without a Status line.
        let mut installed = true;
        for line in para.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                name = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Status:") {
                installed = v.trim().ends_with(" installed");
            }
        }
        if let (Some(n), true) = (name, installed) {
            if !n.is_empty() {
                names.push(n);
            }
        }
    }
    names
}

fn dpkg(root: &Path) -> Option<Packages> {
    let mut names = Vec::new();
    let mut db = None;
    if let Some(text) = read_text(root, "var/lib/dpkg/status") {
        names.extend(dpkg_names(&text));
        db = Some("var/lib/dpkg/status");
    }
    // Distroless images keep one status file per package here.
    let dir = resolve_in(
        root,
        &["var".into(), "lib".into(), "dpkg".into(), "status.d".into()],
        false,
        true,
    )
    .ok();
    if let Some(entries) = dir.and_then(|d| std::fs::read_dir(d).ok()) {
        let mut seen = 0;
        for e in entries.flatten().take(100_000) {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".md5sums") {
                continue;
            }
            if let Some(text) = read_text(root, &format!("var/lib/dpkg/status.d/{name}")) {
                names.extend(dpkg_names(&text));
                seen += 1;
            }
        }
        if seen > 0 && db.is_none() {
            db = Some("var/lib/dpkg/status.d/");
        }
    }
    let names: Vec<String> = names
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    db.map(|d| finish("dpkg", d, names, true))
}

fn apk(root: &Path) -> Option<Packages> {
    let text = read_text(root, "lib/apk/db/installed")?;
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("P:"))
        .map(|n| n.trim().to_string())
        .collect();
    Some(finish("apk", "lib/apk/db/installed", names, true))
}

fn rpm(root: &Path) -> Option<Packages> {
    const DBS: &[&str] = &[
        "var/lib/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        "var/lib/rpm/Packages.db",
        "usr/lib/sysimage/rpm/Packages.db",
        "var/lib/rpm/Packages",
        "usr/lib/sysimage/rpm/Packages",
    ];
    for db in DBS {
        let Some(p) = image_path(root, db) else {
            continue;
        };
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        if meta.len() > MAX_RPMDB {
            continue;
        }
        let mut bytes = Vec::new();
        if std::fs::File::open(&p)
            .and_then(|f| f.take(MAX_RPMDB).read_to_end(&mut bytes))
            .is_err()
        {
            continue;
        }
        let names = rpm_names(&bytes);
        return Some(finish("rpm", db, names, false));
    }
    None
}

/// Finds rpm header blobs in any database file and returns `name` for each
/// distinct name-version-release.
///
/// A stored header starts with its index length and data length (big
/// endian), then its first index entry, which is always the immutable-region
/// tag 63 of type BIN (7) with a count of 16.
pub fn rpm_names(db: &[u8]) -> Vec<String> {
    const MARK: [u8; 8] = [0, 0, 0, 63, 0, 0, 0, 7];
    let mut seen = BTreeSet::new();
    let mut names = Vec::new();
    let mut i = 8;
    while let Some(pos) = find(&db[i..], &MARK) {
        let at = i + pos;
        i = at + 1;
        let start = at - 8;
        if be32(db, at + 12) != Some(16) {
            continue;
        }
        if let Some((n, v, r)) = rpm_header(db, start) {
            if seen.insert((n.clone(), v, r)) {
                names.push(n);
            }
        }
    }
    names
}

fn rpm_header(db: &[u8], start: usize) -> Option<(String, String, String)> {
    let il = be32(db, start)? as usize;
    let dl = be32(db, start + 4)? as usize;
    if il == 0 || il > 10_000 || dl > 64 << 20 {
        return None;
    }
    let index = start + 8;
    let data = index.checked_add(il * 16)?;
    let end = data.checked_add(dl)?;
    if end > db.len() {
        return None;
    }
    let mut tags = [None, None, None];
    for k in 0..il {
        let e = index + k * 16;
        let tag = be32(db, e)?;
        let ty = be32(db, e + 4)?;
        let off = be32(db, e + 8)? as usize;
        // NAME, VERSION, RELEASE are STRING (6) tags 1000..1002.
        if (1000..=1002).contains(&tag) && ty == 6 && off < dl {
            let s = &db[data + off..end];
            let len = s.iter().take(256).position(|&b| b == 0)?;
            let s = std::str::from_utf8(&s[..len]).ok()?;
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic()) {
                return None;
            }
            tags[(tag - 1000) as usize] = Some(s.to_string());
        }
    }
    let [n, v, r] = tags;
    Some((n?, v.unwrap_or_default(), r.unwrap_or_default()))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_the_image_only() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("etc")).unwrap();
        // An absolute symlink means the image's /usr/lib, never the host's.
        std::os::unix::fs::symlink("/usr/lib/os-release", r.join("etc/os-release")).unwrap();
        assert_eq!(
            os_release(r),
            None,
            "the host's os-release must not be read"
        );
        std::fs::create_dir_all(r.join("usr/lib")).unwrap();
        std::fs::write(
            r.join("usr/lib/os-release"),
            "ID=alpine\nVERSION_ID=3.20.1\nPRETTY_NAME=\"Alpine Linux v3.20\"\n",
        )
        .unwrap();
        assert_eq!(os_release(r).unwrap().id, "alpine");
        std::fs::create_dir_all(r.join("lib/apk/db")).unwrap();
        std::fs::write(
            r.join("lib/apk/db/installed"),
            "C:Q1\nP:musl\nV:1.2\n\nC:Q2\nP:busybox\nV:1.36\n",
        )
        .unwrap();
        std::fs::create_dir_all(r.join("var/lib/dpkg/status.d")).unwrap();
        std::fs::write(
            r.join("var/lib/dpkg/status.d/base-files"),
            "Package: base-files\nVersion: 12\n",
        )
        .unwrap();
        std::fs::write(
            r.join("var/lib/dpkg/status.d/base-files.md5sums"),
            "abc  etc/debian_version\n",
        )
        .unwrap();
        let p = packages(r);
        let got: Vec<(&str, usize)> = p.iter().map(|p| (p.manager.as_str(), p.count)).collect();
        assert_eq!(got, vec![("dpkg", 1), ("apk", 2)]);
    }

    #[test]
    fn dpkg_status() {
        let t = "Package: libc6\nStatus: install ok installed\nVersion: 2.36\n\nPackage: gone\nStatus: deinstall ok config-files\n\nPackage: bash\nStatus: install ok installed\n";
        assert_eq!(dpkg_names(t), vec!["libc6", "bash"]);
    }

    /// A header as rpm stores it: NAME, VERSION, RELEASE after the region tag.
    fn header(name: &str, version: &str) -> Vec<u8> {
        let mut data = vec![0u8; 16];
        let mut entries = vec![(63u32, 7u32, 0u32, 16u32)];
        for (tag, s) in [(1000, name), (1001, version), (1002, "1.fc40")] {
            entries.push((tag, 6, data.len() as u32, 1));
            data.extend_from_slice(s.as_bytes());
            data.push(0);
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for (t, ty, off, c) in entries {
            for v in [t, ty, off, c] {
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
        out.extend_from_slice(&data);
        out
    }

    #[test]
    fn rpm_headers_in_any_container() {
        let mut db = b"SQLite format 3\0".to_vec();
        db.extend(vec![0xAA; 100]);
        db.extend(header("bash", "5.2"));
        db.extend(vec![0; 37]);
        db.extend(header("glibc", "2.39"));
        db.extend(header("bash", "5.2"));
        db.extend(header("kernel", "6.1"));
        db.extend(header("kernel", "6.2"));
        assert_eq!(rpm_names(&db), vec!["bash", "glibc", "kernel", "kernel"]);
        assert!(rpm_names(&db[..db.len() - 3]).len() == 3);
        assert!(rpm_names(&[0, 0, 0, 63, 0, 0, 0, 7, 0xff]).is_empty());
    }
}
