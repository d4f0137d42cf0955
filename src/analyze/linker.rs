//! Shared-library following: resolves each binary's needed libraries
//! against the libraries found in the scanned tree the way the dynamic
//! linker would (rpath, runpath, `$ORIGIN`, the standard directories of the
//! image root, then the tree), transitively and without running anything.
//!
//! Why: `ffmpeg` needs `libavutil.so.57`, and only `libavutil` needs
//! `libOpenCL.so.1`. A GPU library reached through another library is
//! still loaded into the service, so it becomes evidence on the executable
//! ("needed via libavutil.so.57"). A pure function over what each binary
//! said about itself, run once after every file was analysed.

use crate::model::binary::BinaryInfo;
use crate::model::fact::{Fact, FactKind, Location};
use crate::model::path::dir_of;
use crate::parse::binary::{Binary, LinkInfo};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// Libraries followed per entry point, and chain depth: real closures are
/// a few hundred libraries deep at most.
const MAX_REACHED: usize = 2000;
const MAX_DEPTH: usize = 16;

/// Standard library directories, relative to an image (or sysroot) root.
const STD_DIRS: &[&str] = &[
    "lib",
    "lib64",
    "usr/lib",
    "usr/lib64",
    "usr/local/lib",
    "lib/x86_64-linux-gnu",
    "usr/lib/x86_64-linux-gnu",
    "lib/aarch64-linux-gnu",
    "usr/lib/aarch64-linux-gnu",
];

/// Where executables usually live, to find the root of an image tree from
/// an executable's path (`rootfs/usr/bin/ffmpeg` -> `rootfs/`).
const BIN_DIRS: &[&str] = &[
    "usr/local/bin",
    "usr/local/sbin",
    "usr/bin",
    "usr/sbin",
    "bin",
    "sbin",
    "usr/libexec",
    "opt",
];

/// What following found.
#[derive(Debug, Default)]
pub struct Linked {
    /// Library and section facts on entry points, for libraries they reach
    /// only through other libraries.
    pub facts: Vec<Fact>,
    /// Per binary path: `needed -> resolved path` lines for the report.
    pub resolved: BTreeMap<String, Vec<String>>,
}

/// The scan's post-pass: follows libraries and returns the facts it
/// produced with the binaries' report entries (their resolved libraries
/// filled in). Matching them is the scan's one matching pass, not ours.
pub fn post_pass<'a>(binaries: impl Iterator<Item = &'a Binary>) -> PostPass {
    let binaries: Vec<&Binary> = binaries.collect();
    let linked = follow(&binaries.iter().map(|b| &b.link).collect::<Vec<_>>());
    let infos = binaries
        .iter()
        .map(|b| {
            let mut info = b.info.clone();
            info.resolved = linked.resolved.get(&info.path).cloned().unwrap_or_default();
            info
        })
        .collect();
    PostPass {
        facts: linked.facts,
        infos,
    }
}

/// What following the tree's binaries produced: facts for the one matching
/// pass, and each binary's description with what it resolved to.
pub struct PostPass {
    pub facts: Vec<Fact>,
    pub infos: Vec<BinaryInfo>,
}

/// Follows every entry point's needed libraries through the tree.
pub fn follow(binaries: &[&LinkInfo]) -> Linked {
    let index = Index::new(binaries);
    let mut out = Linked::default();
    for (i, b) in binaries.iter().enumerate() {
        let direct: Vec<String> = b
            .needed
            .iter()
            .filter_map(|n| {
                index
                    .resolve(b, b, n)
                    .map(|j| format!("{n} -> {}", binaries[j].rel))
            })
            .collect();
        if !direct.is_empty() {
            out.resolved.insert(b.rel.clone(), direct);
        }
        if b.entry {
            reach(binaries, &index, i, &mut out.facts);
        }
    }
    out
}

/// Breadth-first over the needed graph from one entry point.
fn reach(binaries: &[&LinkInfo], index: &Index, from: usize, facts: &mut Vec<Fact>) {
    let entry = binaries[from];
    let direct: HashSet<&str> = entry.needed.iter().map(String::as_str).collect();
    let mut seen: HashSet<usize> = HashSet::from([from]);
    let mut reported: HashSet<(String, String)> = HashSet::new();
    // (library index, chain of sonames that led to it)
    let mut queue: VecDeque<(usize, Vec<String>)> = VecDeque::new();
    for n in &entry.needed {
        if let Some(j) = index.resolve(entry, entry, n) {
            if seen.insert(j) {
                queue.push_back((j, vec![n.clone()]));
            }
        }
    }
    while let Some((j, chain)) = queue.pop_front() {
        if seen.len() > MAX_REACHED {
            break;
        }
        let lib = binaries[j];
        let via = chain.join(" -> ");
        let mut report = |name: &str, what: &str, kind: FactKind| {
            // A library the entry needs directly is already its own
            // evidence; report each reached name once, first path wins.
            if direct.contains(name) || !reported.insert((what.to_string(), name.to_string())) {
                return;
            }
            let snippet = format!("{what} {name}, reached via {via} ({})", lib.rel);
            let mut at = Location::file(&entry.rel, &snippet);
            match &kind {
                FactKind::Section { name } => at.section = Some(name.clone()),
                _ => at.library = Some(name.to_string()),
            }
            facts.push(Fact::new(kind, at, entry.context));
        };
        for n in &lib.needed {
            report(n, "needs", FactKind::Library { name: n.clone() });
        }
        for n in &lib.dlopen {
            report(n, "names for dlopen", FactKind::Library { name: n.clone() });
        }
        for s in &lib.sections {
            report(s, "carries section", FactKind::Section { name: s.clone() });
        }
        if chain.len() >= MAX_DEPTH {
            continue;
        }
        for n in &lib.needed {
            if let Some(k) = index.resolve(entry, lib, n) {
                if seen.insert(k) {
                    let mut c = chain.clone();
                    c.push(n.clone());
                    queue.push_back((k, c));
                }
            }
        }
    }
}

/// Libraries in the tree by file name and by SONAME.
struct Index {
    by_path: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
    /// Context per binary, so test fixtures are not what a service loads.
    ctx: Vec<crate::model::context::Context>,
}

impl Index {
    fn new(binaries: &[&LinkInfo]) -> Index {
        let mut by_path = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, b) in binaries.iter().enumerate() {
            by_path.insert(b.rel.clone(), i);
            let file = b.rel.rsplit('/').next().unwrap_or(&b.rel).to_string();
            by_name.entry(file.clone()).or_default().push(i);
            if let Some(so) = &b.soname {
                if *so != file {
                    by_name.entry(so.clone()).or_default().push(i);
                }
            }
        }
        Index {
            by_path,
            by_name,
            ctx: binaries.iter().map(|b| b.context).collect(),
        }
    }

    /// Where the loader would find `name` for `from` (whose rpath applies),
    /// searching as `entry` would. `None` if the tree does not have it.
    fn resolve(&self, entry: &LinkInfo, from: &LinkInfo, name: &str) -> Option<usize> {
        if name.contains('/') {
            let p = normalize(name.trim_start_matches('/'));
            return self.by_path.get(&p).copied();
        }
        let root = image_root(&entry.rel);
        let origin = dir_of(&from.rel);
        // DT_RPATH applies only without DT_RUNPATH; both before the
        // standard directories, as in ld.so.
        let mut dirs: Vec<String> = Vec::new();
        let paths = if from.runpath.is_empty() {
            &from.rpath
        } else {
            &from.runpath
        };
        for p in paths {
            let p = p
                .replace("$ORIGIN", &format!("/{origin}"))
                .replace("${ORIGIN}", &format!("/{origin}"));
            let p = if p.starts_with('/') {
                format!("{root}{}", p.trim_start_matches('/'))
            } else {
                format!("{origin}/{p}")
            };
            dirs.push(normalize(&p));
        }
        dirs.extend(STD_DIRS.iter().map(|d| format!("{root}{d}")));
        // Wheels and app bundles put libraries beside the module.
        dirs.push(origin.to_string());
        for d in &dirs {
            let p = if d.is_empty() {
                name.to_string()
            } else {
                format!("{d}/{name}")
            };
            if let Some(&i) = self.by_path.get(&normalize(&p)) {
                return Some(i);
            }
        }
        // Not where the loader looks, but in the tree and unambiguous:
        // a repository that vendors its libraries somewhere of its own.
        let cands: Vec<usize> = self
            .by_name
            .get(name)?
            .iter()
            .copied()
            .filter(|&i| self.ctx[i] == entry.context)
            .collect();
        (cands.len() == 1).then(|| cands[0])
    }
}

/// The image root an executable lives under: the prefix before a standard
/// binary directory, or the scan root.
fn image_root(rel: &str) -> String {
    let dir = dir_of(rel);
    for b in BIN_DIRS {
        if dir == *b || dir.starts_with(&format!("{b}/")) {
            return String::new();
        }
        if let Some(i) = dir.find(&format!("/{b}")) {
            let after = &dir[i + 1 + b.len()..];
            if after.is_empty() || after.starts_with('/') {
                return format!("{}/", &dir[..i]);
            }
        }
    }
    String::new()
}

/// Resolves `.` and `..` without touching the filesystem; `..` never
/// climbs above the scan root.
fn normalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::Context;

    fn bin(rel: &str, needed: &[&str], entry: bool) -> LinkInfo {
        LinkInfo {
            rel: rel.into(),
            needed: needed.iter().map(|s| s.to_string()).collect(),
            entry,
            ..LinkInfo::default()
        }
    }

    #[test]
    fn ffmpeg_reaches_opencl_through_libavutil() {
        let ffmpeg = bin(
            "rootfs/usr/bin/ffmpeg",
            &["libavutil.so.57", "libc.so.6"],
            true,
        );
        let avutil = bin(
            "rootfs/usr/lib/x86_64-linux-gnu/libavutil.so.57",
            &["libOpenCL.so.1", "libc.so.6"],
            false,
        );
        let l = follow(&[&ffmpeg, &avutil]);
        // libc.so.6 is needed directly, so only libOpenCL is new.
        assert_eq!(l.facts.len(), 1, "{:?}", l.facts);
        let f = l
            .facts
            .iter()
            .find(|f| {
                f.kind
                    == FactKind::Library {
                        name: "libOpenCL.so.1".into(),
                    }
            })
            .unwrap();
        assert_eq!(f.at.path, "rootfs/usr/bin/ffmpeg");
        assert!(
            f.at.snippet.contains("via libavutil.so.57"),
            "{}",
            f.at.snippet
        );
        assert_eq!(
            l.resolved["rootfs/usr/bin/ffmpeg"],
            vec!["libavutil.so.57 -> rootfs/usr/lib/x86_64-linux-gnu/libavutil.so.57"]
        );
    }

    #[test]
    fn transitive_sections_and_origin() {
        let mut app = bin("app/bin/server", &["libtorch.so"], true);
        app.runpath = vec!["$ORIGIN/../lib".into()];
        let torch = bin("app/lib/libtorch.so", &["libtorch_cuda.so"], false);
        let mut cuda = bin("app/lib/libtorch_cuda.so", &["libcudart.so.12"], false);
        cuda.sections = vec![".nv_fatbin".into()];
        let l = follow(&[&app, &torch, &cuda]);
        let names: Vec<String> = l.facts.iter().map(|f| format!("{:?}", f.kind)).collect();
        assert!(
            names.iter().any(|n| n.contains("libcudart.so.12")),
            "{names:?}"
        );
        assert!(names.iter().any(|n| n.contains(".nv_fatbin")), "{names:?}");
        let cudart = l
            .facts
            .iter()
            .find(|f| f.at.library.as_deref() == Some("libcudart.so.12"))
            .unwrap();
        assert!(
            cudart
                .at
                .snippet
                .contains("via libtorch.so -> libtorch_cuda.so"),
            "{}",
            cudart.at.snippet
        );
    }

    #[test]
    fn cycles_and_context_are_safe() {
        let a = bin("bin/a", &["libx.so"], true);
        let x = bin("lib/libx.so", &["liby.so"], false);
        let y = bin("lib/liby.so", &["libx.so"], false);
        let mut t = bin("tests/fixtures/libz.so", &[], false);
        t.context = Context::Test;
        let l = follow(&[&a, &x, &y, &t]);
        assert!(l.facts.iter().all(|f| f.at.path == "bin/a"));
        assert_eq!(image_root("rootfs/usr/bin/ffmpeg"), "rootfs/");
        assert_eq!(image_root("usr/bin/ffmpeg"), "");
        assert_eq!(normalize("a/../../b/./c"), "b/c");
    }
}
