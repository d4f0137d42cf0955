//! Finding the manifest, config and layer blobs of an image, whether it is a
//! `docker save` tar, an OCI layout tar, or either of them unpacked into a
//! directory.
//!
//! The outer tar is indexed once (names, offsets, sizes) and blobs are then
//! read in place by seeking, so a multi-gigabyte archive is never copied.
//! Every name that comes from the archive or its JSON is checked before it
//! touches the filesystem: only a directory layout reads files by name, and
//! then only inside that directory.

use super::Error;
use crate::model::image::ImageFormat;
use serde::Deserialize;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// JSON documents (manifests, configs) larger than this are not images.
const MAX_JSON: u64 = 8 << 20;
/// A `docker save` tar holds a few entries per layer; more than this many is
/// not an image archive (or is a hostile one).
pub(crate) const MAX_OUTER_ENTRIES: usize = 100_000;

/// One file inside the outer tar.
#[derive(Clone, Debug)]
pub struct TarEntry {
    offset: u64,
    size: u64,
    /// Link target, and whether it is a hard link (relative to the archive
    /// root) rather than a symlink (relative to the link's directory).
    /// `docker save` links duplicate layers.
    link: Option<(String, bool)>,
}

/// Where blobs are read from.
pub enum Store {
    Dir {
        root: PathBuf,
    },
    Tar {
        file: PathBuf,
        entries: HashMap<String, TarEntry>,
    },
}

/// A blob to read: its name in the store and, when known, its declared size.
#[derive(Clone, Debug)]
pub struct Blob {
    pub name: String,
    pub size: Option<u64>,
}

/// What the manifest says, resolved to blobs.
pub struct Located {
    pub format: ImageFormat,
    pub config: Blob,
    pub layers: Vec<Blob>,
    pub tags: Vec<String>,
    /// `org.opencontainers.image.base.name`, when the builder recorded it.
    pub base_name: Option<String>,
    pub notes: Vec<String>,
}

/// The parts of an image config wasmfit reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    pub architecture: String,
    pub os: String,
    pub config: RunConfig,
    pub history: Vec<History>,
    pub rootfs: RootFs,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(deserialize_with = "null_default")]
    pub env: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub entrypoint: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub cmd: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub working_dir: String,
    #[serde(deserialize_with = "null_default")]
    pub user: String,
    #[serde(deserialize_with = "null_default")]
    pub exposed_ports: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(deserialize_with = "null_default")]
    pub volumes: std::collections::BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct History {
    pub created_by: String,
    pub empty_layer: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RootFs {
    pub diff_ids: Vec<String>,
}

/// `null` in JSON (Docker writes `"Cmd": null`) reads as the default.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl Store {
    /// Opens a directory layout or indexes a tar.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.is_dir() {
            let root = path.canonicalize().map_err(|e| Error::io(path, e))?;
            return Ok(Store::Dir { root });
        }
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut entries = HashMap::new();
        // The tar crate quotes header fields in its errors; they come from
        // the file, so only a short, printable form of the error is shown.
        let broken = |e: std::io::Error| {
            let why: String = e
                .to_string()
                .chars()
                .take(120)
                .map(|c| {
                    if c.is_ascii_graphic() || c == ' ' {
                        c
                    } else {
                        '?'
                    }
                })
                .collect();
            Error::NotAnImage(format!(
                "{}: not a readable tar archive: {why}",
                path.display()
            ))
        };
        super::tarwalk::walk(file, |named, entry| {
            if entries.len() >= MAX_OUTER_ENTRIES {
                return Err(std::io::Error::other(format!(
                    "more than {MAX_OUTER_ENTRIES} entries; not an image archive"
                )));
            }
            let Some(name) = clean(&named.path) else {
                return Ok(());
            };
            let kind = entry.header().entry_type();
            let link = match (&named.link, kind.is_symlink(), kind.is_hard_link()) {
                (Some(l), true, _) | (Some(l), _, true) => {
                    Some((l.to_string_lossy().into_owned(), kind.is_hard_link()))
                }
                _ => None,
            };
            if kind.is_file() || link.is_some() {
                entries.insert(
                    name,
                    TarEntry {
                        offset: entry.raw_file_position(),
                        size: entry.size(),
                        link,
                    },
                );
            }
            Ok(())
        })
        .map_err(broken)?;
        Ok(Store::Tar {
            file: path.to_path_buf(),
            entries,
        })
    }

    fn has(&self, name: &str) -> bool {
        self.locate(name).is_some()
    }

    /// Resolves a name to something readable: a checked path inside the
    /// directory, or a tar entry after following at most a few links.
    fn locate(&self, name: &str) -> Option<(Option<PathBuf>, Option<TarEntry>)> {
        let name = clean(Path::new(name))?;
        match self {
            Store::Dir { root } => {
                let p = root.join(&name).canonicalize().ok()?;
                // A symlink inside the layout must not lead out of it.
                (p.starts_with(root) && p.is_file()).then_some((Some(p), None))
            }
            Store::Tar { entries, .. } => {
                let mut cur = name;
                for _ in 0..8 {
                    let e = entries.get(&cur)?;
                    match &e.link {
                        None => return Some((None, Some(e.clone()))),
                        Some((target, hard)) => {
                            let joined = if *hard {
                                PathBuf::from(target)
                            } else {
                                Path::new(&cur)
                                    .parent()
                                    .unwrap_or(Path::new(""))
                                    .join(target)
                            };
                            cur = clean_lexical(&joined)?;
                        }
                    }
                }
                None
            }
        }
    }

    /// The stored size of a blob.
    pub fn size(&self, name: &str) -> Option<u64> {
        match self.locate(name)? {
            (Some(p), _) => std::fs::metadata(p).ok().map(|m| m.len()),
            (_, Some(e)) => Some(e.size),
            _ => None,
        }
    }

    /// A reader over one blob, bounded to its size.
    pub fn open_blob(&self, name: &str) -> Result<Box<dyn Read + Send>, Error> {
        let missing = || Error::NotAnImage(format!("blob `{name}` is missing from the image"));
        match (self, self.locate(name).ok_or_else(missing)?) {
            (_, (Some(p), _)) => {
                let f = File::open(&p).map_err(|e| Error::io(&p, e))?;
                Ok(Box::new(f))
            }
            (Store::Tar { file, .. }, (_, Some(e))) => {
                let mut f = File::open(file).map_err(|er| Error::io(file, er))?;
                f.seek(SeekFrom::Start(e.offset))
                    .map_err(|er| Error::io(file, er))?;
                Ok(Box::new(f.take(e.size)))
            }
            _ => Err(missing()),
        }
    }

    /// Reads a small JSON blob, refusing anything over `MAX_JSON`.
    pub fn json<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, Error> {
        let mut buf = Vec::new();
        self.open_blob(name)?
            .take(MAX_JSON + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::NotAnImage(format!("`{name}`: {e}")))?;
        if buf.len() as u64 > MAX_JSON {
            return Err(Error::NotAnImage(format!(
                "`{name}` is over {MAX_JSON} bytes; not an image manifest"
            )));
        }
        serde_json::from_slice(&buf).map_err(|e| Error::NotAnImage(format!("`{name}`: {e}")))
    }

    /// Finds the image in the store: `manifest.json` when present (every
    /// `docker save`, old and new), otherwise the OCI `index.json`.
    pub fn locate_image(&self) -> Result<Located, Error> {
        if self.has("manifest.json") {
            return self.docker_manifest();
        }
        if self.has("index.json") {
            return self.oci_index();
        }
        Err(Error::NotAnImage(
            "neither manifest.json (docker save) nor index.json (OCI layout) found".into(),
        ))
    }

    fn docker_manifest(&self) -> Result<Located, Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Entry {
            config: String,
            #[serde(default, deserialize_with = "null_default")]
            repo_tags: Vec<String>,
            #[serde(default)]
            layers: Vec<String>,
        }
        let list: Vec<Entry> = self.json("manifest.json")?;
        let mut notes = Vec::new();
        if list.len() > 1 {
            notes.push(format!(
                "the archive holds {} images; the first one was scanned",
                list.len()
            ));
        }
        let first = list
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotAnImage("manifest.json lists no image".into()))?;
        let blob = |n: String| Blob {
            size: self.size(&n),
            name: n,
        };
        Ok(Located {
            format: if self.has("oci-layout") {
                ImageFormat::OciLayout
            } else {
                ImageFormat::DockerArchive
            },
            config: blob(first.config),
            layers: first.layers.into_iter().map(blob).collect(),
            tags: first.repo_tags,
            base_name: None,
            notes,
        })
    }

    fn oci_index(&self) -> Result<Located, Error> {
        let index: Index = self.json("index.json")?;
        let mut tags = Vec::new();
        let mut notes = Vec::new();
        let manifest = self.pick_manifest(&index, 0, &mut tags, &mut notes)?;
        let base_name = manifest
            .annotations
            .get("org.opencontainers.image.base.name")
            .cloned();
        Ok(Located {
            format: ImageFormat::OciLayout,
            config: self.descriptor_blob(&manifest.config)?,
            layers: manifest
                .layers
                .iter()
                .map(|d| self.descriptor_blob(d))
                .collect::<Result<_, _>>()?,
            tags,
            base_name,
            notes,
        })
    }

    /// Walks an index to one image manifest: the host's platform when the
    /// index lists several, never an attestation.
    fn pick_manifest(
        &self,
        index: &Index,
        depth: usize,
        tags: &mut Vec<String>,
        notes: &mut Vec<String>,
    ) -> Result<Manifest, Error> {
        if depth > 4 {
            return Err(Error::NotAnImage(
                "image indexes nested more than 4 deep".into(),
            ));
        }
        let arch = host_arch();
        let mut candidates: Vec<&Descriptor> = index
            .manifests
            .iter()
            .filter(|d| {
                d.annotations
                    .get("vnd.docker.reference.type")
                    .is_none_or(|t| t != "attestation-manifest")
            })
            .filter(|d| d.platform.as_ref().is_none_or(|p| p.os != "unknown"))
            .filter(|d| self.has(&blob_path(&d.digest).unwrap_or_default()))
            .collect();
        candidates.sort_by_key(|d| match &d.platform {
            Some(p) if p.os == "linux" && p.architecture == arch => 0,
            None => 1,
            Some(_) => 2,
        });
        let d = candidates.first().ok_or_else(|| {
            Error::NotAnImage("index.json lists no manifest whose blob is present".into())
        })?;
        if candidates.len() > 1 {
            notes.push(format!(
                "the index lists {} images; {} was scanned",
                candidates.len(),
                d.digest
            ));
        }
        for key in [
            "io.containerd.image.name",
            "org.opencontainers.image.ref.name",
        ] {
            if let Some(t) = d.annotations.get(key) {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
        }
        let path = blob_path(&d.digest)?;
        let is_index = d.media_type.contains("index") || d.media_type.contains("manifest.list");
        if is_index {
            let inner: Index = self.json(&path)?;
            return self.pick_manifest(&inner, depth + 1, tags, notes);
        }
        let m: Manifest = self.json(&path)?;
        if m.manifests.is_some() {
            // An index served under a manifest media type.
            let inner: Index = self.json(&path)?;
            return self.pick_manifest(&inner, depth + 1, tags, notes);
        }
        Ok(m)
    }

    fn descriptor_blob(&self, d: &Descriptor) -> Result<Blob, Error> {
        Ok(Blob {
            name: blob_path(&d.digest)?,
            size: Some(d.size),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Index {
    manifests: Vec<Descriptor>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Descriptor {
    media_type: String,
    digest: String,
    size: u64,
    platform: Option<Platform>,
    annotations: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Platform {
    os: String,
    architecture: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Manifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
    annotations: HashMap<String, String>,
    manifests: Option<Vec<Descriptor>>,
}

/// `sha256:abc…` to `blobs/sha256/abc…`, refusing anything that is not a
/// plain algorithm and hex digest (a digest is a path component here).
pub fn blob_path(digest: &str) -> Result<String, Error> {
    let bad = || {
        Error::NotAnImage(format!(
            "invalid digest `{}`",
            crate::model::fact::clip(digest)
        ))
    };
    let (algo, hex) = digest.split_once(':').ok_or_else(bad)?;
    let algo_ok = !algo.is_empty()
        && algo.len() <= 32
        && algo
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let hex_ok = (16..=256).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !(algo_ok && hex_ok) {
        return Err(bad());
    }
    Ok(format!("blobs/{algo}/{hex}"))
}

/// A name from an archive as a relative `/`-joined path, or `None` when it
/// climbs out (`..`) or is absolute.
fn clean(p: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Like `clean`, but `..` pops a component (for link targets inside the
/// outer tar) as long as it stays inside the archive.
fn clean_lexical(p: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => parts.clear(),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The OCI name of the architecture wasmfit runs on.
fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked() {
        assert_eq!(
            blob_path("sha256:0123456789abcdef0123").unwrap(),
            "blobs/sha256/0123456789abcdef0123"
        );
        assert!(blob_path("sha256:../../etc/passwd").is_err());
        assert!(blob_path("../x:0123456789abcdef0123").is_err());
        assert!(blob_path("nocolon").is_err());
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean(Path::new("./a/b")), Some("a/b".into()));
        assert_eq!(clean(Path::new("/etc/passwd")), None);
        assert_eq!(clean(Path::new("a/../../b")), None);
        assert_eq!(
            clean_lexical(Path::new("a/../b/layer.tar")),
            Some("b/layer.tar".into())
        );
        assert_eq!(clean_lexical(Path::new("../x")), None);
    }

    #[test]
    fn config_nulls_read_as_empty() {
        let c: Config = serde_json::from_str(r#"{"config":{"Cmd":null,"Entrypoint":["/app"],"Env":null,"ExposedPorts":{"8080/tcp":{}}},"history":[{"created_by":"COPY x /app"}]}"#).unwrap();
        assert!(c.config.cmd.is_empty());
        assert_eq!(c.config.entrypoint, vec!["/app"]);
        assert_eq!(c.config.exposed_ports.keys().next().unwrap(), "8080/tcp");
    }
}
