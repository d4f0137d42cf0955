//! Discovery: walk the tree, decide what each file is, and say what was left
//! out and why.
//!
//! The walk never follows symlinks (so it cannot leave the root or loop),
//! honours `.gitignore` and `.ignore` files at every level and above the
//! root up to the repository root, and `.git/info/exclude`
//! (`input::ignore_files`), and skips vendored and build
//! trees by default, because a copy of someone else's code in `vendor/` is not
//! the service. Binaries and Wasm are recognised by magic bytes, not by name.

use crate::model::artifact::{Artifact, ArtifactKind, BinaryFormat, CodeArchive, ManifestKind};
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::language::Language;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::io::Read;
use std::path::Path;

/// Directories skipped unless `--no-default-excludes` is given.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "target",
    "node_modules",
    "bower_components",
    "vendor",
    "third_party",
    "third-party",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".gradle",
    ".idea",
    ".cargo",
];

/// Files whose name alone is a signal for `file` rules.
const MARKERS: &[&str] = &[
    "binding.gyp",
    "supervisord.conf",
    "spin.toml",
    "wadm.yaml",
    "wasmcloud.toml",
    "wit.toml",
    "Procfile",
    // Read for the console scripts it declares (parse::manifest::launch_file).
    "setup.cfg",
];

#[derive(Clone, Debug)]
pub struct Options {
    /// Keeps some files and sets their context, dropping the rest: an image
    /// scan reads only the service's part of the image (`image::scope`).
    pub filter: Option<std::sync::Arc<dyn Filter>>,
    pub default_excludes: bool,
    pub gitignore: bool,
    /// Extra paths to exclude (glob patterns, gitignore syntax), e.g. from
    /// `wasmfit.toml`, relative to the directory `exclude_base` names.
    pub exclude: Vec<String>,
    /// The root's path from the directory `exclude` patterns are written
    /// against, `/`-separated (a `wasmfit.toml` above the scanned
    /// directory); empty when they are relative to the root.
    pub exclude_base: String,
    /// Text files larger than this are not read.
    pub max_text_size: u64,
    /// Binaries and Wasm larger than this are not read.
    pub max_binary_size: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            filter: None,
            default_excludes: true,
            gitignore: true,
            exclude: Vec::new(),
            exclude_base: String::new(),
            max_text_size: 4 << 20,
            max_binary_size: 512 << 20,
        }
    }
}

/// The result of a walk.
#[derive(Debug, Default)]
pub struct Discovery {
    pub artifacts: Vec<Artifact>,
    pub diagnostics: Vec<Diagnostic>,
    /// Directories skipped by default excludes or ignore files, relative.
    pub skipped: Vec<String>,
    /// Every file and directory the walk kept, read or not: a Dockerfile's
    /// `COPY config.toml.sample .` names a file no stage reads.
    pub present: super::present::Present,
}

/// Decides, for a discovered file, whether it is scanned and in which
/// context. Discovery stays ignorant of where the decision comes from.
pub trait Filter: std::fmt::Debug + Send + Sync {
    /// The context `rel` is scanned in, or `None` to leave it out.
    fn context_of(&self, rel: &str) -> Option<Context>;
}

/// Walks `root` (a directory or a single file), then applies the filter.
pub fn discover(root: &Path, opts: &Options) -> std::io::Result<Discovery> {
    let mut out = walk(root, opts)?;
    if let Some(filter) = &opts.filter {
        out.artifacts
            .retain_mut(|a| match filter.context_of(&a.rel) {
                Some(c) => {
                    a.context = c;
                    true
                }
                None => false,
            });
    }
    Ok(out)
}

fn walk(root: &Path, opts: &Options) -> std::io::Result<Discovery> {
    let meta = std::fs::symlink_metadata(root)?;
    let mut out = Discovery::default();
    if meta.is_file() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(mut a) = classify(root, &name, meta.len(), &mut out.diagnostics) {
            a.rel = root.file_name().map(lossless).unwrap_or_default();
            out.artifacts.push(a);
        }
        return Ok(out);
    }
    let excludes = build_excludes(&opts.exclude);
    let base = opts.exclude_base.trim_matches('/');
    // The ignore files of the directories above the current entry, nearest
    // last, with each directory's depth: the walk is depth-first, so the
    // stack is the current path, and checking an entry costs the number of
    // ignore files above it, not the depth of the tree.
    let mut ignores: Vec<(usize, Gitignore)> = Vec::new();
    let above = if opts.gitignore {
        ignores.extend(super::ignore_files::for_dir(root).map(|g| (0, g)));
        super::ignore_files::Above::load(root)
    } else {
        super::ignore_files::Above::default()
    };
    let mut walk = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(|p| rel(root, p)).unwrap_or_default();
                out.diagnostics
                    .push(Diagnostic::new(DiagKind::Unreadable, path, e.to_string()));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let depth = entry.depth();
        while ignores.last().is_some_and(|(d, _)| *d >= depth) {
            ignores.pop();
        }
        let path = entry.path();
        let rel_path = rel(root, path);
        let ft = entry.file_type();
        let name = entry.file_name().to_string_lossy().into_owned();
        if ft.is_dir() && opts.default_excludes && DEFAULT_EXCLUDES.contains(&name.as_str()) {
            out.skipped.push(format!("{rel_path}/"));
            walk.skip_current_dir();
            continue;
        }
        let excluded = excludes.as_ref().is_some_and(|g| {
            let p = match base {
                "" => std::borrow::Cow::Borrowed(rel_path.as_str()),
                b => std::borrow::Cow::Owned(format!("{b}/{rel_path}")),
            };
            g.matched(p.as_ref(), ft.is_dir()).is_ignore()
        });
        let ignored = excluded
            || (opts.gitignore
                && gitignored(&ignores, path, ft.is_dir())
                    .or_else(|| above.matched(&rel_path, ft.is_dir()))
                    .unwrap_or(false));
        if ignored {
            if ft.is_dir() {
                out.skipped.push(format!("{rel_path}/"));
                walk.skip_current_dir();
            }
            continue;
        }
        if ft.is_dir() || ft.is_file() {
            out.present.insert(&rel_path);
        }
        if ft.is_dir() && opts.gitignore {
            ignores.extend(super::ignore_files::for_dir(path).map(|g| (depth, g)));
        }
        if ft.is_symlink() {
            let target = std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            let inside = std::fs::canonicalize(path)
                .ok()
                .zip(std::fs::canonicalize(root).ok())
                .is_some_and(|(t, r)| t.starts_with(r));
            let why = if inside {
                "symlink not followed (its target inside the root is scanned on its own)"
            } else {
                "symlink not followed: it points outside the scanned root or nowhere"
            };
            out.diagnostics.push(Diagnostic::new(
                DiagKind::Symlink,
                &rel_path,
                format!("{why}: -> {target}"),
            ));
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
        if let Some(mut a) = classify(path, &name, size, &mut out.diagnostics) {
            a.rel = rel_path;
            a.context = Context::of_path(&a.rel);
            let limit = match a.kind {
                ArtifactKind::Binary(_) | ArtifactKind::Wasm | ArtifactKind::Archive(_) => {
                    opts.max_binary_size
                }
                _ => opts.max_text_size,
            };
            if size > limit {
                out.diagnostics.push(Diagnostic::new(
                    DiagKind::TooLarge,
                    &a.rel,
                    format!("{size} bytes is over the {limit}-byte limit for this kind of file; not read"),
                ));
                continue;
            }
            out.artifacts.push(a);
        }
    }
    Ok(out)
}

/// The path relative to the root, losslessly (`model::path`): on Unix a
/// backslash is part of a name and bytes that are not UTF-8 are escaped,
/// never replaced.
fn rel(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    lossless(r.as_os_str())
}

/// On Windows `\` separates components and is written `/`.
pub(crate) fn lossless(s: &std::ffi::OsStr) -> String {
    let p = crate::model::path::from_os(s);
    if cfg!(unix) {
        p
    } else {
        p.replace('\\', "/")
    }
}

/// The patterns, matched against paths relative to their base directory
/// (so the builder gets no root: one would strip a relative scan root's
/// own name from `services/api/...`).
fn build_excludes(patterns: &[String]) -> Option<Gitignore> {
    if patterns.is_empty() {
        return None;
    }
    let mut b = GitignoreBuilder::new("");
    for p in patterns {
        let _ = b.add_line(None, p);
    }
    b.build().ok()
}

/// Whether `path` is ignored (`Some(true)`) or re-included (`Some(false)`)
/// by the ignore file of a directory between the root and it (`stack`,
/// nearest last); the nearest file that has an opinion wins, as in git.
/// `None`: no opinion below the root, so the files above it decide.
fn gitignored(stack: &[(usize, Gitignore)], path: &Path, is_dir: bool) -> Option<bool> {
    for (_, gi) in stack.iter().rev() {
        let m = gi.matched(path, is_dir);
        if m.is_ignore() {
            return Some(true);
        }
        if m.is_whitelist() {
            return Some(false);
        }
    }
    None
}

/// Decides what a file is. Names decide for text formats; magic bytes decide
/// for anything that could be a binary, whatever it is called.
pub fn classify(
    path: &Path,
    name: &str,
    size: u64,
    diags: &mut Vec<Diagnostic>,
) -> Option<Artifact> {
    let kind = kind_by_name(name).or_else(|| match sniff(path, name) {
        Ok(k) => k,
        Err(e) => {
            diags.push(Diagnostic::new(
                DiagKind::Unreadable,
                path.display().to_string(),
                e.to_string(),
            ));
            None
        }
    })?;
    // A `.so` or extension-less file named like source is still a binary if
    // its bytes say so; only text kinds are trusted by name.
    let kind = match kind {
        ArtifactKind::Source(_) | ArtifactKind::Marker if looks_binary_by_name(name) => {
            sniff(path, name).ok().flatten().unwrap_or(kind)
        }
        k => k,
    };
    Some(Artifact {
        path: path.to_path_buf(),
        rel: name.to_string(),
        kind,
        context: Context::of_path(name),
        size,
    })
}

fn looks_binary_by_name(name: &str) -> bool {
    name.ends_with(".node")
}

fn kind_by_name(name: &str) -> Option<ArtifactKind> {
    let lower = name.to_ascii_lowercase();
    if let Some(m) = ManifestKind::from_file_name(name) {
        return Some(ArtifactKind::Manifest(m));
    }
    if is_dockerfile(&lower) {
        return Some(ArtifactKind::Dockerfile);
    }
    if is_compose(&lower) {
        return Some(ArtifactKind::Compose);
    }
    if MARKERS.iter().any(|m| m.eq_ignore_ascii_case(name))
        || lower.ends_with(".wit")
        || crate::parse::manifest::is_uwsgi_ini(name)
    {
        return Some(ArtifactKind::Marker);
    }
    let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "jar" | "war" | "ear" => return Some(ArtifactKind::Archive(CodeArchive::Jar)),
        "class" => return Some(ArtifactKind::Archive(CodeArchive::JvmClass)),
        "pyc" => return Some(ArtifactKind::Archive(CodeArchive::Pyc)),
        "beam" => return Some(ArtifactKind::Archive(CodeArchive::Beam)),
        _ => {}
    }
    Language::from_file_name(name).map(ArtifactKind::Source)
}

fn is_dockerfile(lower: &str) -> bool {
    // `Dockerfile.j2`, `Dockerfile.in`: a template that renders the real
    // Dockerfiles, which sit beside it; it builds nothing itself.
    const TEMPLATES: [&str; 10] = [
        ".j2",
        ".jinja",
        ".jinja2",
        ".tmpl",
        ".tpl",
        ".template",
        ".in",
        ".erb",
        ".mustache",
        ".hbs",
    ];
    if TEMPLATES.iter().any(|t| lower.ends_with(t)) {
        return false;
    }
    // `dockerfile.min.js` (a syntax highlighter's grammar), `Dockerfile.md`:
    // a file of another kind named for Dockerfiles. Variant names
    // (`Dockerfile.prod`, `Dockerfile.alpine`, `Dockerfile.java`) stay.
    const OTHER_KINDS: [&str; 22] = [
        ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".map", ".json", ".md", ".html", ".css",
        ".txt", ".yml", ".yaml", ".toml", ".py", ".go", ".rs", ".rb", ".php", ".svg", ".snap",
    ];
    if OTHER_KINDS.iter().any(|e| lower.ends_with(e)) {
        return false;
    }
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || lower.ends_with("-dockerfile")
}

fn is_compose(lower: &str) -> bool {
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    yaml && (lower.starts_with("docker-compose")
        || lower.starts_with("compose.")
        || lower.starts_with("compose-")
        || lower == "compose.yml"
        || lower == "compose.yaml")
}

/// Reads the first bytes of a file and recognises executables and Wasm.
fn sniff(path: &Path, name: &str) -> std::io::Result<Option<ArtifactKind>> {
    let mut f = std::fs::File::open(path)?;
    let mut head = [0u8; 128];
    let n = read_up_to(&mut f, &mut head)?;
    let head = &head[..n];
    Ok(kind_by_magic(head).or_else(|| shell_script(name, head)))
}

/// A script without an extension whose `#!` line starts a POSIX shell
/// (`docker-entrypoint`, `supervisord-startup`, `bin/start`): shell
/// source, as a `.sh` file is, so that an image's command is followed
/// through the programs it `exec`s. A name with an extension keeps what
/// the extension says.
fn shell_script(name: &str, head: &[u8]) -> Option<ArtifactKind> {
    let file = name.rsplit('/').next().unwrap_or(name);
    if file.contains('.') {
        return None;
    }
    let line = head.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n')?];
    let line = std::str::from_utf8(line).ok()?;
    let mut words = line.split_whitespace();
    let mut program = words.next()?;
    if program.rsplit('/').next() == Some("env") {
        program = words.find(|w| !w.starts_with('-'))?;
    }
    matches!(program.rsplit('/').next()?, "sh" | "bash" | "dash" | "ash")
        .then_some(ArtifactKind::Source(Language::Shell))
}

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Recognises a format from a file's first eight bytes.
pub fn kind_by_magic(head: &[u8]) -> Option<ArtifactKind> {
    if head.starts_with(b"\x7fELF") {
        return Some(ArtifactKind::Binary(BinaryFormat::Elf));
    }
    if head.starts_with(b"\0asm") {
        return Some(ArtifactKind::Wasm);
    }
    if head.starts_with(b"MZ") && head.len() >= 8 {
        return Some(ArtifactKind::Binary(BinaryFormat::Pe));
    }
    if head.len() >= 8 {
        let be = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let le = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        if matches!(le, 0xfeed_face | 0xfeed_facf) || matches!(be, 0xfeed_face | 0xfeed_facf) {
            return Some(ArtifactKind::Binary(BinaryFormat::MachO));
        }
        if be == 0xcafe_babe {
            // Fat Mach-O and Java class files share this magic. A fat binary
            // counts a handful of architectures next; a class file has its
            // version there (major >= 45).
            let next = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
            return Some(if next < 40 {
                ArtifactKind::Binary(BinaryFormat::MachO)
            } else {
                ArtifactKind::Archive(CodeArchive::JvmClass)
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_beats_names() {
        assert_eq!(
            kind_by_magic(b"\x7fELF\x02\x01\x01\0"),
            Some(ArtifactKind::Binary(BinaryFormat::Elf))
        );
        assert_eq!(kind_by_magic(b"\0asm\x01\0\0\0"), Some(ArtifactKind::Wasm));
        assert_eq!(
            kind_by_magic(b"\xca\xfe\xba\xbe\0\0\0\x34"),
            Some(ArtifactKind::Archive(CodeArchive::JvmClass))
        );
        assert_eq!(
            kind_by_magic(b"\xca\xfe\xba\xbe\0\0\0\x02"),
            Some(ArtifactKind::Binary(BinaryFormat::MachO))
        );
        assert_eq!(kind_by_magic(b"#!/bin/sh"), None);
    }

    #[test]
    fn shell_scripts_without_an_extension_by_their_interpreter() {
        let shell = Some(ArtifactKind::Source(Language::Shell));
        assert_eq!(
            shell_script("docker-entrypoint", b"#!/bin/sh\nexec \"$@\"\n"),
            shell
        );
        assert_eq!(
            shell_script("app/start", b"#!/usr/bin/env bash\nset -e\n"),
            shell
        );
        assert_eq!(
            shell_script("bin/run", b"#!/usr/bin/env -S bash -e\n"),
            shell
        );
        // Another interpreter, an extension that says otherwise, no line
        // break within the head read, or no `#!` at all.
        assert_eq!(shell_script("bin/setup", b"#!/usr/bin/env ruby\n"), None);
        assert_eq!(shell_script("notes.txt", b"#!/bin/sh\n"), None);
        assert_eq!(shell_script("start", b"#!/bin/sh"), None);
        assert_eq!(shell_script("README", b"# start\n"), None);
    }

    #[test]
    fn names() {
        assert_eq!(
            kind_by_name("Dockerfile.prod"),
            Some(ArtifactKind::Dockerfile)
        );
        assert_eq!(
            kind_by_name("api.Dockerfile"),
            Some(ArtifactKind::Dockerfile)
        );
        assert_eq!(
            kind_by_name("Containerfile"),
            Some(ArtifactKind::Dockerfile)
        );
        assert_eq!(
            kind_by_name("docker-compose.override.yml"),
            Some(ArtifactKind::Compose)
        );
        assert_eq!(kind_by_name("compose.yaml"), Some(ArtifactKind::Compose));
        assert_eq!(
            kind_by_name("requirements-dev.txt"),
            Some(ArtifactKind::Manifest(ManifestKind::Requirements))
        );
        assert_eq!(kind_by_name("notes.txt"), None);
        // Templates of Dockerfiles render them; they are not built.
        assert_eq!(kind_by_name("Dockerfile.j2"), None);
        assert_eq!(kind_by_name("api.Dockerfile.tmpl"), None);
        assert_eq!(kind_by_name("Dockerfile.in"), None);
        assert_eq!(
            kind_by_name("Dockerfile.debian"),
            Some(ArtifactKind::Dockerfile)
        );
        assert_eq!(
            kind_by_name("Dockerfile.java"),
            Some(ArtifactKind::Dockerfile)
        );
        // Files of another kind named for Dockerfiles: a highlighter's
        // grammar, a document.
        assert_eq!(
            kind_by_name("dockerfile.min.js"),
            Some(ArtifactKind::Source(Language::JavaScript))
        );
        assert_eq!(kind_by_name("Dockerfile.md"), None);
    }
}
