//! The command line's inputs as services: directories, git working trees,
//! image archives and files listing any of them, each with a unique name,
//! an identity key and the shard it belongs to.
//!
//! Every worker of a sharded run expands the same inputs the same way, so
//! names (collisions included) and shards agree across workers without
//! them talking to each other.

use super::{InputKind, Shard};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Lines read from one list file, at most: a bound on untrusted input.
const MAX_LIST_LINES: usize = 1_000_000;

/// One service to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub name: String,
    /// The path scanned: as given, or a list line joined to the list's
    /// directory.
    pub path: PathBuf,
    /// `ARG 2` or `services.txt:14`.
    pub given_at: String,
    pub kind: InputKind,
    /// The absolute path (symlinks resolved when it exists).
    pub key: String,
    /// Why it cannot be scanned, found while expanding (a list line naming
    /// a missing path): recorded as a failure, never dropped.
    pub problem: Option<String>,
}

/// An input given again: scanned once, listed in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duplicate {
    pub input: String,
    pub given_at: String,
    /// The service it repeats.
    pub same_as: String,
}

#[derive(Debug, Default)]
pub struct Expanded {
    /// Sorted by name.
    pub inputs: Vec<Input>,
    pub duplicates: Vec<Duplicate>,
}

impl Expanded {
    /// The inputs of one shard.
    pub fn shard(self, shard: Option<Shard>) -> Expanded {
        let Some(s) = shard else {
            return self;
        };
        Expanded {
            inputs: self
                .inputs
                .into_iter()
                .filter(|i| shard_of(&i.key, s.count) == s.index)
                .collect(),
            duplicates: self.duplicates,
        }
    }
}

/// The shard a key belongs to: the first 8 bytes of its SHA-256, modulo
/// the count. Stable across machines, runs and wasmfit versions.
pub fn shard_of(key: &str, count: u32) -> u32 {
    let h = Sha256::digest(key.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(b) % u64::from(count.max(1))) as u32
}

/// Expands the command line's inputs. An argument that does not exist or a
/// list that cannot be read is the user's to fix (`Err`, one line); a list
/// line naming something unscannable becomes an input with a `problem`.
pub fn expand(args: &[PathBuf]) -> Result<Expanded, String> {
    let mut raw: Vec<Input> = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        let at = format!("ARG {}", i + 1);
        let meta = std::fs::metadata(arg).map_err(|e| format!("{}: {e}", arg.display()))?;
        if meta.is_file() && !is_image_file(arg) {
            read_list(arg, &mut raw)?;
        } else {
            raw.push(classify(arg, at));
        }
    }
    Ok(dedup_and_name(raw))
}

/// Reads a list: one path a line, `#` starts a comment, relative paths are
/// relative to the list's directory.
fn read_list(list: &Path, out: &mut Vec<Input>) -> Result<(), String> {
    let bytes = std::fs::read(list).map_err(|e| format!("{}: {e}", list.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!(
            "{}: not a directory, an image archive or a UTF-8 list of paths",
            list.display()
        )
    })?;
    let base = list.parent().unwrap_or(Path::new(""));
    for (n, line) in text.lines().enumerate().take(MAX_LIST_LINES) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("{}:{}", list.display(), n + 1);
        let p = Path::new(line);
        let path = if p.is_absolute() || base.as_os_str().is_empty() {
            p.to_path_buf()
        } else {
            base.join(p)
        };
        let mut input = classify(&path, at.clone());
        if input.problem.is_none()
            && std::fs::metadata(&path).is_ok_and(|m| m.is_file())
            && input.kind != InputKind::Image
        {
            input.problem = Some(format!(
                "{at}: {}: not a directory or an image archive (lists do not nest)",
                path.display()
            ));
        }
        out.push(input);
    }
    Ok(())
}

/// What a path is. Never fails: a path that cannot be scanned gets a
/// `problem`.
fn classify(path: &Path, given_at: String) -> Input {
    let key = key(path);
    let mut input = Input {
        name: String::new(),
        path: path.to_path_buf(),
        given_at: given_at.clone(),
        kind: InputKind::Directory,
        key,
        problem: None,
    };
    match std::fs::metadata(path) {
        Err(e) => input.problem = Some(format!("{given_at}: {}: {e}", path.display())),
        Ok(m) if m.is_file() => {
            if is_image_file(path) {
                input.kind = InputKind::Image;
            }
        }
        Ok(_) => {
            if path.join("oci-layout").is_file() {
                input.kind = InputKind::Image;
            } else if std::fs::symlink_metadata(path.join(".git")).is_ok() {
                input.kind = InputKind::Git;
            } else if is_bare_repository(path) {
                input.kind = InputKind::Git;
                input.problem = Some(format!(
                    "{given_at}: {}: a bare git repository has no files to scan; scan a checkout of it",
                    path.display()
                ));
            }
        }
    }
    input
}

/// A tar (the `ustar` magic) or gzip file: an image archive.
pub fn is_image_file(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 262];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    head[..n].starts_with(&[0x1f, 0x8b]) || (n >= 262 && &head[257..262] == b"ustar")
}

fn is_bare_repository(path: &Path) -> bool {
    path.join("HEAD").is_file() && path.join("objects").is_dir() && path.join("refs").is_dir()
}

/// The absolute path, symlinks resolved when it exists.
fn key(path: &Path) -> String {
    match std::fs::canonicalize(path) {
        Ok(p) => p.display().to_string(),
        Err(_) => std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
    }
}

/// Drops repeated keys (keeping the first), then names each input after
/// its last path component; names shared by several inputs get a suffix
/// from their key, so every worker names them alike.
fn dedup_and_name(raw: Vec<Input>) -> Expanded {
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    let mut kept: Vec<Input> = Vec::new();
    let mut repeats: Vec<(Input, usize)> = Vec::new();
    for input in raw {
        match first.get(&input.key) {
            Some(&i) => repeats.push((input, i)),
            None => {
                first.insert(input.key.clone(), kept.len());
                kept.push(input);
            }
        }
    }
    let bases: Vec<String> = kept.iter().map(base_name).collect();
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &bases {
        *uses.entry(b.as_str()).or_default() += 1;
    }
    let names: Vec<String> = kept
        .iter()
        .zip(&bases)
        .map(|(i, b)| {
            if uses[b.as_str()] > 1 {
                let h = Sha256::digest(i.key.as_bytes());
                format!("{b}-{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
            } else {
                b.clone()
            }
        })
        .collect();
    for (i, n) in kept.iter_mut().zip(names) {
        i.name = n;
    }
    let duplicates = repeats
        .into_iter()
        .map(|(d, i)| Duplicate {
            input: d.path.display().to_string(),
            given_at: d.given_at,
            same_as: kept[i].name.clone(),
        })
        .collect();
    kept.sort_by(|a, b| a.name.cmp(&b.name));
    Expanded {
        inputs: kept,
        duplicates,
    }
}

/// The last component of the key, without an archive's extension, made
/// safe as a file name.
fn base_name(i: &Input) -> String {
    let last = Path::new(&i.key)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = if i.kind == InputKind::Image {
        [".tar.gz", ".tgz", ".tar"]
            .iter()
            .find_map(|x| last.strip_suffix(x))
            .unwrap_or(&last)
            .to_string()
    } else {
        last
    };
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe.is_empty() {
        "service".into()
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs() {
        assert_eq!(Shard::parse("0/1"), Ok(Shard { index: 0, count: 1 }));
        assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
        for bad in ["3/2", "0/0", "2/2", "-1/2", "a/2", "1", "1/x", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn every_key_lands_in_exactly_one_shard() {
        let keys: Vec<String> = (0..200).map(|i| format!("/srv/svc-{i}")).collect();
        let mut seen = vec![0u32; 4];
        for k in &keys {
            let s = shard_of(k, 4);
            assert!(s < 4);
            assert_eq!(s, shard_of(k, 4), "not stable");
            seen[s as usize] += 1;
        }
        // 200 keys over 4 shards: each gets some.
        assert!(seen.iter().all(|&n| n > 20), "{seen:?}");
    }

    #[test]
    fn lists_duplicates_and_name_collisions() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for p in ["a/api", "b/api", "web"] {
            std::fs::create_dir_all(d.join(p)).unwrap();
        }
        std::fs::write(
            d.join("list.txt"),
            "# services\na/api\n\nb/api\nweb\n./web\nmissing\n",
        )
        .unwrap();
        let e = expand(&[d.join("list.txt")]).unwrap();
        let names: Vec<&str> = e.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names[0].starts_with("api-") && names[1].starts_with("api-"));
        assert_ne!(names[0], names[1]);
        assert_eq!(&names[2..], ["missing", "web"]);
        let missing = &e.inputs[2];
        assert!(missing.problem.as_deref().unwrap().contains("list.txt:7"));
        assert_eq!(e.duplicates.len(), 1);
        assert_eq!(e.duplicates[0].same_as, "web");
        assert!(e.duplicates[0].given_at.ends_with("list.txt:6"));
        // A missing argument is the user's to fix.
        assert!(expand(&[d.join("nope")]).is_err());
    }
}
