//! Every path the walk kept, files and directories alike, as compact
//! hashes: later stages ask whether a path a Dockerfile names is in the
//! tree without holding every name (most files are never read).

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

/// Paths relative to the root, `/`-separated, no trailing `/`. A 64-bit
/// hash per path: 8 bytes a file, and a false "present" needs a collision
/// between two paths of one tree.
#[derive(Clone, Debug, Default)]
pub struct Present {
    hashes: HashSet<u64>,
}

impl Present {
    fn key(rel: &str) -> u64 {
        BuildHasherDefault::<DefaultHasher>::default().hash_one(rel.trim_end_matches('/'))
    }

    pub fn insert(&mut self, rel: &str) {
        self.hashes.insert(Self::key(rel));
    }

    /// Whether the walk kept `rel` (a file or a directory).
    pub fn contains(&self, rel: &str) -> bool {
        self.hashes.contains(&Self::key(rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_directories_are_present_once_inserted() {
        let mut p = Present::default();
        p.insert("config.toml.sample");
        p.insert("static/");
        assert!(p.contains("config.toml.sample"));
        assert!(p.contains("static"));
        assert!(p.contains("static/"));
        assert!(!p.contains("listmonk"));
        assert!(!p.contains("config.toml"));
    }
}
