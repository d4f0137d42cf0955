//! Container images as evidence: unpack a `docker save` archive or an OCI
//! layout into a temporary directory wasmfit owns, scan its final filesystem
//! with the normal scanner, and report what the image carries.
//!
//! Everything in an image is hostile until proven otherwise: layer entries
//! are checked one by one, symlinks are created but never followed while
//! writing, and sizes are bounded before anything is decompressed.

pub mod archive;
pub mod evidence;
pub mod export;
pub mod layers;
pub mod osinfo;
pub mod scope;
pub mod space;
pub mod tarwalk;
pub mod zstd;

pub use crate::model::image::ImageInfo;
pub use layers::Limits;

use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{clip, Fact};
use crate::model::image::Layer;
use crate::model::Report;
use crate::rules::RuleSet;
use archive::{Config, Store};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Arguments, ports and variables listed in `ImageInfo`, at most.
const MAX_ARGS: usize = 256;
/// Layers applied, at most: Docker refuses to build more than 127, so a
/// manifest with thousands is hostile, and each would be a row in the report.
const MAX_LAYERS: usize = 1024;
/// Missing or unreadable layers reported one by one; the rest are counted.
const MAX_LAYER_DIAGS: usize = 10;

/// What `--image` names: a file or directory, or an image in the local engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    Path(PathBuf),
    Engine(String),
}

impl Input {
    /// An existing path is an archive or layout; anything else is NAME:TAG,
    /// unless it can only be a path (`./x`, `/x`, `x.tar`...): a typo in a
    /// file name must not turn into a question to the Docker engine.
    pub fn parse(spec: &str) -> Result<Input, Error> {
        let path = Path::new(spec);
        if std::fs::symlink_metadata(path).is_ok() {
            return Ok(Input::Path(PathBuf::from(spec)));
        }
        if looks_like_path(spec) {
            return Err(Error::NotAnImage(format!(
                "{spec}: no such file or directory"
            )));
        }
        Ok(Input::Engine(spec.to_string()))
    }

    fn shown(&self) -> String {
        match self {
            Input::Path(p) => p.display().to_string(),
            Input::Engine(n) => n.clone(),
        }
    }
}

/// Whether `spec` cannot be an image reference (`[registry/]name[:tag]`,
/// lower case, no leading dot or slash) and so must name a file.
fn looks_like_path(spec: &str) -> bool {
    let lower = spec.to_ascii_lowercase();
    spec.starts_with(['/', '.', '~'])
        || spec.contains('\\')
        || [".tar", ".tgz", ".gz", ".zst", ".json", ".oci"]
            .iter()
            .any(|x| lower.ends_with(x))
}

/// An image unpacked into a temporary directory, with what was learned on
/// the way. The directory is deleted when this is dropped.
pub struct Unpacked {
    /// Holds `rootfs/` (and an exported or decompressed archive).
    _work: tempfile::TempDir,
    /// Removes `_work` if a signal stops wasmfit (destructors do not run).
    _on_signal: crate::interrupt::Registration,
    pub root: PathBuf,
    pub info: ImageInfo,
    pub facts: Vec<Fact>,
    pub diagnostics: Vec<Diagnostic>,
    pub scope: scope::Scope,
}

/// Unpacks an image. Fails only when there is no image to speak of; broken
/// layers and refused entries are diagnostics.
pub fn unpack(input: &Input, limits: Limits) -> Result<Unpacked, Error> {
    let work = tempfile::Builder::new()
        .prefix("wasmfit-image-")
        .tempdir()
        .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
    let on_signal = crate::interrupt::remove_dir(work.path());
    let mut diagnostics = Vec::new();
    let mut limits = limits;
    if let Some(room) = space::clamp(work.path(), limits.max_bytes) {
        diagnostics.push(Diagnostic::new(
            DiagKind::Note,
            input.shown(),
            format!(
                "the temporary directory's file system has room for {room} bytes, less than the {}-byte unpack limit (--max-unpacked-bytes); a larger image is unpacked in part",
                limits.max_bytes
            ),
        ));
        limits.max_bytes = room;
    }
    let archive = match input {
        Input::Path(p) => p.clone(),
        Input::Engine(name) => {
            let dest = work.path().join("exported.tar");
            export::export(name, &dest, limits.max_input)?;
            dest
        }
    };
    let archive = check_and_inflate(&archive, work.path(), limits.max_input)?;
    let store = Store::open(&archive)?;
    let located = store.locate_image()?;
    let config: Config = store.json(&located.config.name)?;
    for n in &located.notes {
        diagnostics.push(Diagnostic::new(DiagKind::Note, input.shown(), n.clone()));
    }
    let root = work.path().join("rootfs");
    std::fs::create_dir(&root).map_err(|e| Error::io(&root, e))?;

    let created_by = layer_history(&config, located.layers.len());
    if created_by.iter().all(Option::is_none) && !config.history.is_empty() {
        diagnostics.push(Diagnostic::new(
            DiagKind::Note,
            input.shown(),
            "the config's history does not line up with the layers; COPY'd files are found by directory only",
        ));
    }
    let mut unpacker = layers::Unpacker::new(&root, limits);
    let mut layers = Vec::new();
    let mut copied = Vec::new();
    let mut unreadable = 0usize;
    if located.layers.len() > MAX_LAYERS {
        diagnostics.push(Diagnostic::new(
            DiagKind::Malformed,
            input.shown(),
            format!(
                "the manifest lists {} layers; only the first {MAX_LAYERS} were applied (Docker builds at most 127)",
                located.layers.len()
            ),
        ));
    }
    for (i, blob) in located.layers.iter().take(MAX_LAYERS).enumerate() {
        let how = created_by.get(i).cloned().flatten();
        let copy = how.as_deref().is_some_and(is_app_copy);
        let id = short_id(&blob.name);
        let stats = match store.open_blob(&blob.name) {
            Ok(r) => unpacker.apply(&id, r, copy),
            Err(e) => {
                unreadable += 1;
                if unreadable <= MAX_LAYER_DIAGS {
                    diagnostics.push(Diagnostic::new(
                        DiagKind::Unreadable,
                        format!("image layer {id}"),
                        e.to_string(),
                    ));
                }
                Default::default()
            }
        };
        copied.extend(stats.files);
        layers.push(Layer {
            id: blob.name.clone(),
            size: blob.size.or_else(|| store.size(&blob.name)).unwrap_or(0),
            unpacked: stats.bytes,
            entries: stats.entries,
            created_by: how.map(|h| clip(&h)),
        });
    }
    if unreadable > MAX_LAYER_DIAGS {
        diagnostics.push(Diagnostic::new(
            DiagKind::Unreadable,
            input.shown(),
            format!(
                "and {} more layers are missing or unreadable",
                unreadable - MAX_LAYER_DIAGS
            ),
        ));
    }
    diagnostics.append(&mut unpacker.take_diagnostics());

    let c = &config.config;
    let run = scope::RunSpec {
        entrypoint: &c.entrypoint,
        cmd: &c.cmd,
        workdir: &c.working_dir,
        env: &c.env,
    };
    let scope = scope::Scope::build(&root, &run, &copied);
    let base_os = osinfo::os_release(&root);
    let packages = osinfo::packages(&root);
    let (os_surface, files) = scope::os_surface(&root, &scope, unpacker.setuid);

    let mut facts = evidence::config_facts(&config, located.base_name.as_deref());
    let wanted = evidence::installed_by_history(&config.history);
    facts.extend(evidence::package_facts(&packages, &wanted));
    if let (Some(os), None) = (&base_os, &located.base_name) {
        let userland: Vec<String> = os_surface
            .shells
            .iter()
            .chain(&os_surface.package_managers)
            .cloned()
            .collect();
        facts.extend(evidence::os_base_fact(os, &packages, &userland));
    }
    let info = ImageInfo {
        source: input.shown(),
        format: located.format,
        tags: located.tags.clone(),
        id: Some(
            located
                .config
                .name
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .trim_end_matches(".json")
                .to_string(),
        )
        .filter(|s| !s.is_empty()),
        os: config.os.clone(),
        architecture: config.architecture.clone(),
        size: layers.iter().map(|l| l.size).sum(),
        unpacked_size: unpacker.bytes,
        files,
        layers,
        base_os,
        packages,
        // The config is untrusted too: its lists are cut and its strings
        // clipped before they reach a report.
        entrypoint: c
            .entrypoint
            .iter()
            .take(MAX_ARGS)
            .map(|a| clip(a))
            .collect(),
        cmd: c.cmd.iter().take(MAX_ARGS).map(|a| clip(a)).collect(),
        workdir: clip(&c.working_dir),
        user: clip(&c.user),
        exposed_ports: c
            .exposed_ports
            .keys()
            .take(MAX_ARGS)
            .map(|p| clip(p))
            .collect(),
        env: c
            .env
            .iter()
            .take(MAX_ARGS)
            .map(|e| clip(e.split('=').next().unwrap_or("")))
            .collect(),
        entrypoint_files: scope
            .entrypoint_files
            .iter()
            .map(|f| scope::shown(f))
            .collect(),
        service_paths: scope
            .paths
            .iter()
            .take(MAX_ARGS * 4)
            .map(|p| scope::shown(p))
            .collect(),
        os_surface,
    };
    Ok(Unpacked {
        _work: work,
        _on_signal: on_signal,
        root,
        info,
        facts,
        diagnostics,
        scope,
    })
}

/// Unpacks an image and scans its final filesystem: the service's paths
/// with the normal scanner, the image's config and package database as
/// extra facts. The report's paths are paths in the image.
pub fn scan(
    input: &Input,
    opts: &crate::scan::Options,
    rules: &RuleSet,
    limits: Limits,
    progress: crate::scan::Progress,
) -> Result<Report, Error> {
    let u = unpack(input, limits)?;
    let mut o = opts.clone();
    // A .gitignore inside an image says what git tracks, not what ships.
    o.discover.gitignore = false;
    o.extra_facts.extend(u.facts.iter().cloned());
    o.discover.filter = Some(std::sync::Arc::new(u.scope.clone()));
    let mut report =
        crate::scan::scan(&u.root, &o, rules, progress).map_err(|e| Error::io(&u.root, e))?;
    report.root = input.shown();
    // Discovery reports on every file it walks; in an image, what it says
    // about the OS part (its symlinks, its skipped trees, a header too big
    // to read) would bury the service's own diagnostics. The OS surface
    // counts that part instead.
    let in_scope = |p: &str| u.scope.contains(p.trim_end_matches('/'));
    report.diagnostics.retain(|d| match d.kind {
        DiagKind::Symlink | DiagKind::Skipped => in_scope(&d.path),
        _ => crate::input::discover::Filter::context_of(&u.scope, &d.path).is_some(),
    });
    report.inventory.skipped.retain(|p| in_scope(p));
    report.diagnostics.extend(u.diagnostics.iter().cloned());
    report.diagnostics.sort();
    report.diagnostics.dedup();
    report.image = Some(u.info.clone());
    Ok(report)
}

/// The `created_by` of each layer, when the history lines up with them.
fn layer_history(config: &Config, layers: usize) -> Vec<Option<String>> {
    let real: Vec<&archive::History> = config.history.iter().filter(|h| !h.empty_layer).collect();
    if real.len() == layers {
        real.into_iter()
            .map(|h| Some(h.created_by.clone()))
            .collect()
    } else {
        vec![None; layers]
    }
}

/// A COPY or ADD that put the application somewhere, as opposed to a base
/// image's root filesystem (`ADD file:… in /`, `ADD rootfs.tar.xz /`).
fn is_app_copy(created_by: &str) -> bool {
    let s = created_by.trim();
    let s = s.strip_prefix("/bin/sh -c #(nop)").unwrap_or(s).trim();
    let s = s.strip_suffix("# buildkit").unwrap_or(s).trim();
    let mut words = s.split_whitespace();
    let instruction = words.next().unwrap_or("");
    if !matches!(instruction, "COPY" | "ADD") {
        return false;
    }
    let args: Vec<&str> = words
        .filter(|w| !w.starts_with("--") && *w != "in")
        .collect();
    let Some((dest, sources)) = args.split_last() else {
        return false;
    };
    let dest = dest.trim_matches(|c| c == '"' || c == ']' || c == '[' || c == ',');
    let rootfs = instruction == "ADD"
        && dest == "/"
        && sources.iter().any(|src| {
            let src = src.trim_matches(|c| c == '"' || c == '[' || c == ',');
            src.starts_with("file:")
                || [".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst"]
                    .iter()
                    .any(|x| src.ends_with(x))
        });
    !dest.is_empty() && !rootfs
}

fn short_id(name: &str) -> String {
    let last = name
        .trim_end_matches("/layer.tar")
        .rsplit('/')
        .next()
        .unwrap_or(name);
    last.chars().take(12).collect()
}

/// Checks that a file given as an image is one before anything large is
/// written: a tar (the `ustar` magic every `docker save` and OCI tar has),
/// or a gzip'd or zstd-compressed tar. `docker save | gzip` is common: it is
/// read once without writing, to see that it is a tar holding an image
/// manifest, and only then decompressed into the work directory (bounded)
/// so its blobs can be read in place. Nothing from the file is quoted in
/// errors.
fn check_and_inflate(path: &Path, work: &Path, max: u64) -> Result<PathBuf, Error> {
    if path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::NotAnImage("not a regular file or directory".into()));
    }
    let mut head = Vec::with_capacity(512);
    std::fs::File::open(path)
        .and_then(|f| f.take(512).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    // The caller names the file; nothing from inside it is quoted.
    let not_image = |what: &str| {
        Error::NotAnImage(format!(
            "{what}; an image is a `docker save` tar, an OCI layout (directory or tar), or either gzip'd or zstd-compressed"
        ))
    };
    if is_tar(&head) {
        return Ok(path.to_path_buf());
    }
    let codec = if head.starts_with(&[0x1f, 0x8b]) {
        Codec::Gzip
    } else if head.starts_with(&zstd::MAGIC) {
        Codec::Zstd
    } else {
        return Err(not_image("not a tar archive"));
    };
    let name = codec.name();
    let open = || -> Result<_, Error> {
        let f = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| Error::io(path, e))?);
        let stream: Box<dyn Read> = match codec {
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(f)),
            Codec::Zstd => Box::new(zstd::Decoder::new(f)),
        };
        Ok(stream.take(max + 1))
    };
    let too_big = || {
        Error::NotAnImage(format!(
            "decompresses to more than {max} bytes (--max-image-bytes)"
        ))
    };
    let broken = || not_image(&format!("broken {name} stream"));
    // First pass, nothing written: a tar that names an image manifest.
    let mut first = [0u8; 512];
    let mut peek = open()?;
    let got = read_full(&mut peek, &mut first).map_err(|_| broken())?;
    if !is_tar(&first[..got]) {
        return Err(not_image(&format!(
            "a {name} stream of something that is not a tar archive"
        )));
    }
    let mut counted = CountingReader {
        inner: open()?,
        n: 0,
    };
    let mut manifest = false;
    let mut entries = 0usize;
    let walked = tarwalk::walk::<_, std::io::Error, _>(&mut counted, |named, _| {
        entries += 1;
        if entries > archive::MAX_OUTER_ENTRIES {
            return Err(std::io::Error::other("too many entries"));
        }
        let name = named.path.to_string_lossy();
        let name = name.trim_start_matches("./");
        manifest |= name == "manifest.json" || name == "index.json";
        Ok(())
    });
    if counted.n > max {
        return Err(too_big());
    }
    if walked.is_err() {
        return Err(not_image(&format!(
            "a broken or oversized tar inside the {name} stream"
        )));
    }
    if !manifest {
        return Err(not_image(&format!(
            "a tar in a {name} stream, without manifest.json or index.json"
        )));
    }
    // Second pass: the same bytes, now known to be an image, to disk.
    let dest = work.join("outer.tar");
    let mut out = std::fs::File::create(&dest).map_err(|e| Error::io(&dest, e))?;
    let n = std::io::copy(&mut open()?, &mut out).map_err(|_| broken())?;
    if n > max {
        return Err(too_big());
    }
    Ok(dest)
}

/// How an image archive is compressed.
#[derive(Clone, Copy)]
enum Codec {
    Gzip,
    Zstd,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zstd => "zstd",
        }
    }
}

/// A tar header: the `ustar` magic at offset 257 (POSIX and GNU both).
fn is_tar(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar")
}

/// Reads until `buf` is full or the input ends.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Counts the bytes read through it.
struct CountingReader<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

/// Why an image could not be scanned at all (problems with parts of it are
/// diagnostics in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NotAnImage(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Engine(String),
}

impl Error {
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn app_copies() {
        assert!(super::is_app_copy("COPY app.wasm spin.toml / # buildkit"));
        assert!(super::is_app_copy(
            "/bin/sh -c #(nop) COPY file:85b99 in /app/server "
        ));
        assert!(super::is_app_copy(
            "COPY --from=build /out/app /usr/local/bin/app # buildkit"
        ));
        assert!(!super::is_app_copy(
            "/bin/sh -c #(nop) ADD file:4b03b5f551e3 in / "
        ));
        assert!(!super::is_app_copy(
            "ADD alpine-minirootfs-3.19.1-x86_64.tar.gz / # buildkit"
        ));
        assert!(!super::is_app_copy(
            "RUN /bin/sh -c apt-get install -y ffmpeg # buildkit"
        ));
    }
}
