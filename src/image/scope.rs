//! Which part of an image is the service and which is the OS it came with.
//!
//! A Debian base image holds thousands of programs that fork, exec and
//! ioctl; they are the OS, not the service, and a Wasm component would not
//! carry them at all. So only these are scanned as the service: the
//! ENTRYPOINT/CMD program and the files its arguments name, the app
//! directories (WORKDIR, /app, /srv, /home, /usr/src/app, /usr/local/bin...),
//! and what COPY/ADD layers wrote. The OS's shared libraries are scanned
//! too, as runtime-internal, so that what the entry point loads is followed;
//! everything else is counted in the OS surface and not scanned.

use super::layers::resolve_in;
use crate::model::context::Context;
use crate::model::image::OsSurface;
use std::collections::{BTreeSet, HashSet};
use std::ffi::OsString;
use std::io::Read;
use std::path::Path;

/// Directories that hold an application by convention.
const APP_DIRS: &[&str] = &[
    "app",
    "srv",
    "home",
    "code",
    "workspace",
    "usr/src/app",
    "usr/local/bin",
    "usr/local/sbin",
    "opt/app",
];

/// Directories where a COPY'd file is one file among the OS's own: the file
/// is the service, its directory is not.
const OS_DIRS: &[&str] = &[
    "bin",
    "sbin",
    "lib",
    "lib64",
    "etc",
    "usr",
    "usr/bin",
    "usr/sbin",
    "usr/lib",
    "usr/lib64",
    "usr/share",
    "usr/libexec",
    "var",
    "var/lib",
    "tmp",
    "usr/local",
    "usr/local/lib",
];

/// Where the dynamic linker looks for libraries (the image's standard
/// directories; rpath directories elsewhere are not followed in images).
const LIB_DIRS: &[&str] = &[
    "lib",
    "lib64",
    "usr/lib",
    "usr/lib64",
    "usr/local/lib",
    "usr/local/lib64",
    "opt",
];

/// Package managers whose presence shows the image can still be changed
/// from inside.
const PACKAGE_MANAGERS: &[&str] = &[
    "usr/bin/apt-get",
    "usr/bin/dpkg",
    "sbin/apk",
    "usr/bin/dnf",
    "usr/bin/yum",
    "usr/bin/microdnf",
    "usr/bin/rpm",
    "usr/bin/zypper",
];

/// Shells whose presence shows the image can run scripts.
const SHELLS: &[&str] = &[
    "bin/sh",
    "bin/bash",
    "bin/ash",
    "bin/dash",
    "bin/zsh",
    "bin/busybox",
    "usr/bin/bash",
    "usr/bin/sh",
];

/// The service's paths in the image, relative and `/`-separated, minimal
/// (no path inside another).
#[derive(Debug, Default, Clone)]
pub struct Scope {
    pub paths: Vec<String>,
    pub entrypoint_files: Vec<String>,
    /// `paths` again, for lookups by ancestor: an image has tens of
    /// thousands of files and a COPY can name thousands of paths.
    set: HashSet<String>,
}

/// What the image config says about running it.
pub struct RunSpec<'a> {
    pub entrypoint: &'a [String],
    pub cmd: &'a [String],
    pub workdir: &'a str,
    pub env: &'a [String],
}

fn parts(rel: &str) -> Vec<OsString> {
    rel.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(OsString::from)
        .collect()
}

/// An image path resolved inside `root` (symlinks followed inside the image
/// only), back as a relative path, if it exists.
fn resolve_rel(root: &Path, rel: &str) -> Option<String> {
    let p = resolve_in(root, &parts(rel), false, true).ok()?;
    std::fs::symlink_metadata(&p).ok()?;
    let r = p.strip_prefix(root).ok()?;
    // The same form as the walk's paths, so the two compare equal.
    Some(crate::input::discover::lossless(r.as_os_str()))
}

/// Joins an image path given in the config (absolute, or relative to the
/// working directory).
fn absolute(workdir: &str, p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{}/{p}", workdir.trim_end_matches('/'))
    }
}

impl Scope {
    pub fn build(root: &Path, run: &RunSpec, copied: &[String]) -> Scope {
        let mut set: BTreeSet<String> = BTreeSet::new();
        let mut entry_files = Vec::new();
        for d in APP_DIRS {
            if let Some(r) = resolve_rel(root, d) {
                if root.join(&r).is_dir() {
                    set.insert(r);
                }
            }
        }
        let wd = run.workdir.trim();
        if !wd.is_empty() && wd != "/" {
            if let Some(r) = resolve_rel(root, wd) {
                if !r.is_empty() && !OS_DIRS.contains(&r.as_str()) {
                    set.insert(r);
                }
            }
        }
        for f in copied {
            let parent = f.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            let keep = if parent.is_empty()
                || OS_DIRS.contains(&parent)
                || OS_DIRS.iter().any(|d| {
                    parent.starts_with(&format!("{d}/")) && parent.matches('/').count() < 3
                }) {
                f.clone()
            } else {
                parent.to_string()
            };
            set.insert(keep);
        }
        for f in entry_files_of(root, run) {
            entry_files.push(f.clone());
            set.insert(f);
        }
        Scope::new(minimal(set), entry_files)
    }

    pub fn new(paths: Vec<String>, entrypoint_files: Vec<String>) -> Scope {
        let set = paths.iter().cloned().collect();
        Scope {
            paths,
            entrypoint_files,
            set,
        }
    }

    /// Whether `rel` is inside the service: it or one of its ancestors is
    /// one of the service's paths.
    pub fn contains(&self, rel: &str) -> bool {
        if self.set.contains("") {
            return true;
        }
        let rel = rel.trim_end_matches('/');
        if self.set.contains(rel) {
            return true;
        }
        rel.match_indices('/')
            .any(|(i, _)| self.set.contains(&rel[..i]))
    }
}

impl crate::input::discover::Filter for Scope {
    /// The context a discovered file gets in an image scan, or `None` to
    /// leave it out: the service's files keep the context their path gives
    /// (tests stay tests); shared libraries of the OS are kept, as
    /// runtime-internal, only so library following can reach them from the
    /// entry point; the rest of the OS is not scanned.
    fn context_of(&self, rel: &str) -> Option<Context> {
        if self.contains(rel) {
            return Some(Context::of_path(rel));
        }
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let in_lib_dir = LIB_DIRS.iter().any(|d| rel.starts_with(&format!("{d}/")));
        let shared_lib = name.ends_with(".so") || name.contains(".so.");
        (in_lib_dir && shared_lib).then_some(Context::RuntimeInternal)
    }
}

/// Drops paths inside other paths. Sorted order puts every ancestor before
/// its descendants, so one pass with a set of kept paths does it.
fn minimal(set: BTreeSet<String>) -> Vec<String> {
    if set.contains("") {
        return vec![String::new()];
    }
    let mut kept: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for p in set {
        let inside = p.match_indices('/').any(|(i, _)| kept.contains(&p[..i]));
        if !inside {
            kept.insert(p.clone());
            out.push(p);
        }
    }
    out
}

/// The program ENTRYPOINT/CMD runs and the files its arguments name, found
/// the way the shell would: PATH from the config for commands, WORKDIR for
/// relative names, `sh -c` scripts split into commands and words.
fn entry_files_of(root: &Path, run: &RunSpec) -> Vec<String> {
    // (word, is a command name)
    let mut words: Vec<(String, bool)> = Vec::new();
    let argv: Vec<&String> = run.entrypoint.iter().chain(run.cmd).collect();
    // With an ENTRYPOINT script, CMD's first word is usually what it execs.
    let cmd_head = if run.entrypoint.is_empty() {
        None
    } else {
        run.cmd.first()
    };
    let mut i = 0;
    while i < argv.len() && words.len() < 64 {
        let a = argv[i].as_str();
        let base = a.rsplit('/').next().unwrap_or(a);
        if matches!(base, "sh" | "bash" | "ash" | "dash")
            && argv.get(i + 1).is_some_and(|n| n.as_str() == "-c")
        {
            words.push((a.to_string(), true));
            if let Some(script) = argv.get(i + 2) {
                for segment in script.split([';', '&', '|', '\n']) {
                    let mut command = true;
                    for w in segment.split_whitespace() {
                        if command && (w == "exec" || w.contains('=')) {
                            continue;
                        }
                        words.push((w.to_string(), command));
                        command = false;
                    }
                }
            }
            i += 3;
            continue;
        }
        words.push((a.to_string(), i == 0 || cmd_head == Some(argv[i])));
        i += 1;
    }
    let path_var = run
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    let wd = if run.workdir.is_empty() {
        "/"
    } else {
        run.workdir
    };
    let on_path = |w: &str| {
        path_var
            .split(':')
            .find_map(|d| resolve_rel(root, &format!("{}/{w}", d.trim_end_matches('/'))))
    };
    let mut out = Vec::new();
    for (w, command) in words.iter().take(64) {
        if w.starts_with('-') || w.contains('$') || w.is_empty() {
            continue;
        }
        let found = if w.contains('/') {
            resolve_rel(root, &absolute(wd, w))
        } else if *command {
            on_path(w).or_else(|| resolve_rel(root, &absolute(wd, w)))
        } else {
            // A bare argument (`python app.py`) names a file only if one is
            // there, relative to the working directory.
            resolve_rel(root, &absolute(wd, w))
        };
        if let Some(f) = found {
            if root.join(&f).is_file() && !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

/// Counts what lies outside the service (files, bytes, ELF programs and
/// libraries, which shells are present), and all regular files.
pub fn os_surface(root: &Path, scope: &Scope, setuid: u64) -> (OsSurface, u64) {
    let mut all = 0;
    let mut inodes: HashSet<(u64, u64)> = HashSet::new();
    let mut s = OsSurface {
        setuid,
        ..OsSurface::default()
    };
    let walk = walkdir::WalkDir::new(root).follow_links(false).into_iter();
    for e in walk.filter_map(Result::ok) {
        if !e.file_type().is_file() {
            continue;
        }
        let Ok(rel) = e.path().strip_prefix(root) else {
            continue;
        };
        let rel = crate::input::discover::lossless(rel.as_os_str());
        all += 1;
        if scope.contains(&rel) {
            continue;
        }
        s.files += 1;
        let Ok(meta) = e.metadata() else { continue };
        // A hard-linked file is one file on disk, however many names it has.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if meta.nlink() > 1 && !inodes.insert((meta.dev(), meta.ino())) {
                continue;
            }
        }
        s.bytes += meta.len();
        match elf_kind(e.path()) {
            Some(ElfKind::Exec) => s.executables += 1,
            Some(ElfKind::Shared) if rel.contains(".so") => s.shared_libraries += 1,
            Some(ElfKind::Shared) => s.executables += 1,
            None => {}
        }
    }
    for (list, out) in [
        (SHELLS, &mut s.shells),
        (PACKAGE_MANAGERS, &mut s.package_managers),
    ] {
        for p in list {
            if resolve_rel(root, p).is_some_and(|r| root.join(r).is_file()) {
                out.push(format!("/{p}"));
            }
        }
    }
    (s, all)
}

enum ElfKind {
    Exec,
    Shared,
}

fn elf_kind(p: &Path) -> Option<ElfKind> {
    let mut head = [0u8; 18];
    let mut f = std::fs::File::open(p).ok()?;
    f.read_exact(&mut head).ok()?;
    if &head[..4] != b"\x7fELF" {
        return None;
    }
    let e_type = if head[5] == 2 {
        u16::from_be_bytes([head[16], head[17]])
    } else {
        u16::from_le_bytes([head[16], head[17]])
    };
    match e_type {
        2 => Some(ElfKind::Exec),
        3 => Some(ElfKind::Shared),
        _ => None,
    }
}

/// The image's own path for a resolved relative path, for reports.
pub fn shown(rel: &str) -> String {
    format!("/{rel}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::discover::Filter;

    #[test]
    fn contexts_in_an_image() {
        let s = Scope::new(
            vec![
                "app".into(),
                "usr/local/bin".into(),
                "usr/sbin/nginx".into(),
            ],
            vec![],
        );
        assert_eq!(s.context_of("app/main.py"), Some(Context::Service));
        assert_eq!(s.context_of("app/tests/test_api.py"), Some(Context::Test));
        assert_eq!(s.context_of("usr/sbin/nginx"), Some(Context::Service));
        assert_eq!(s.context_of("usr/sbin/nginx-debug"), None);
        assert_eq!(
            s.context_of("usr/lib/x86_64-linux-gnu/libOpenCL.so.1"),
            Some(Context::RuntimeInternal)
        );
        assert_eq!(s.context_of("usr/bin/git"), None);
        assert_eq!(s.context_of("usr/lib/python3.11/subprocess.py"), None);
        assert_eq!(s.context_of("etc/passwd"), None);
    }

    #[test]
    fn entrypoint_is_found_through_path_and_symlinks() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        std::fs::create_dir_all(r.join("usr/local/bin")).unwrap();
        std::fs::create_dir_all(r.join("srv/api")).unwrap();
        std::fs::write(r.join("usr/local/bin/python3.12"), b"\x7fELF").unwrap();
        std::os::unix::fs::symlink("python3.12", r.join("usr/local/bin/python3")).unwrap();
        std::fs::write(r.join("srv/api/main.py"), b"print()").unwrap();
        let env = vec!["PATH=/usr/local/bin:/usr/bin".to_string()];
        let run = RunSpec {
            entrypoint: &[],
            cmd: &["python3".into(), "main.py".into()],
            workdir: "/srv/api",
            env: &env,
        };
        let s = Scope::build(r, &run, &[]);
        assert_eq!(
            s.entrypoint_files,
            vec!["usr/local/bin/python3.12", "srv/api/main.py"]
        );
        assert!(s.contains("srv/api/main.py"));
        assert!(s.contains("usr/local/bin/python3.12"));
        assert!(!s.contains("etc/passwd"));
    }
}
