//! Runtime knowledge from `rules/runtimes.toml`, compiled for lookup: which
//! runtime a base image, an environment variable, a source language or a
//! manifest's ecosystem means.

use super::model::RuntimeTier;
use crate::model::fact::{Ecosystem, RuntimeClue};
use crate::model::language::Language;
use crate::model::runtime::{BinaryKnowledge, RuntimeId};
use std::collections::HashMap;

/// One `images` entry: exact or prefix (`python3*`), over the repository
/// (when it has a `/`) or its last part.
#[derive(Debug)]
struct ImagePat {
    text: String,
    prefix: bool,
}

impl ImagePat {
    fn new(s: &str) -> ImagePat {
        let s = s.trim().to_ascii_lowercase();
        match s.strip_suffix('*') {
            Some(p) => ImagePat {
                text: p.to_string(),
                prefix: true,
            },
            None => ImagePat {
                text: s,
                prefix: false,
            },
        }
    }

    fn matches(&self, s: &str) -> bool {
        if self.prefix {
            s.starts_with(&self.text)
        } else {
            s == self.text
        }
    }
}

/// Every runtime tier with its recognition tables.
#[derive(Debug, Default)]
pub struct Runtimes {
    pub tiers: Vec<RuntimeTier>,
    by_id: HashMap<RuntimeId, usize>,
    languages: HashMap<Language, RuntimeId>,
    ecosystems: HashMap<Ecosystem, RuntimeId>,
    env: HashMap<String, RuntimeId>,
    /// Entries with a `/`, tried first: a named repository says more than
    /// a last part that many repositories share.
    repo_images: Vec<(ImagePat, RuntimeId)>,
    last_images: Vec<(ImagePat, RuntimeId)>,
    /// What the binary reader needs to tell the runtime's own evidence
    /// from the service's.
    pub binary: BinaryKnowledge,
}

impl Runtimes {
    /// Builds the tables. A language, ecosystem, variable or image claimed
    /// by two runtimes is an error naming both (the caller adds file and
    /// line).
    pub fn new(tiers: Vec<RuntimeTier>) -> Result<Runtimes, (usize, String)> {
        let mut r = Runtimes::default();
        let mut claimed: HashMap<String, RuntimeId> = HashMap::new();
        for (i, t) in tiers.iter().enumerate() {
            if r.by_id.insert(t.id, i).is_some() {
                return Err((i, format!("duplicate runtime `{}`", t.id)));
            }
            let mut claim = |what: String| match claimed.insert(what.clone(), t.id) {
                Some(prev) if prev != t.id => Err((
                    i,
                    format!("runtime {}: {what} already belongs to runtime {prev}", t.id),
                )),
                _ => Ok(()),
            };
            for l in &t.languages {
                claim(format!("language {l}"))?;
                r.languages.insert(*l, t.id);
            }
            for e in &t.ecosystems {
                claim(format!("ecosystem {e}"))?;
                r.ecosystems.insert(*e, t.id);
            }
            for v in &t.env {
                if v.trim().is_empty() {
                    return Err((i, format!("runtime {}: empty `env` entry", t.id)));
                }
                claim(format!("variable {v}"))?;
                r.env.insert(v.clone(), t.id);
            }
            for im in &t.images {
                let pat = ImagePat::new(im);
                if pat.text.is_empty() || pat.text.contains('*') {
                    return Err((
                        i,
                        format!(
                            "runtime {}: image `{im}` must be a name with at most a trailing `*`",
                            t.id
                        ),
                    ));
                }
                claim(format!("image `{}`", im.to_ascii_lowercase()))?;
                if pat.text.contains('/') {
                    r.repo_images.push((pat, t.id));
                } else {
                    r.last_images.push((pat, t.id));
                }
            }
        }
        let internals = |id| {
            tiers
                .iter()
                .find(|t| t.id == id)
                .map(|t| t.internals.clone())
                .unwrap_or_default()
        };
        r.binary = BinaryKnowledge {
            go: internals(RuntimeId::Go),
            rust: internals(RuntimeId::Rust),
            c: internals(RuntimeId::CCpp),
        };
        r.tiers = tiers;
        Ok(r)
    }

    /// The first runtime of the vocabulary without an entry.
    pub fn missing(&self) -> Option<RuntimeId> {
        RuntimeId::ALL
            .into_iter()
            .find(|id| !self.by_id.contains_key(id))
    }

    pub fn get(&self, id: RuntimeId) -> Option<&RuntimeTier> {
        self.by_id.get(&id).map(|&i| &self.tiers[i])
    }

    /// The runtime a clue means and the weight it carries, or None when
    /// the clue names nothing known (an OS image, an unrelated variable).
    pub fn resolve(&self, clue: &RuntimeClue, weight: u32) -> Option<(RuntimeId, u32)> {
        match clue {
            RuntimeClue::Id(id) => Some((*id, weight)),
            RuntimeClue::Language(l) => self.languages.get(l).map(|&id| (id, weight)),
            RuntimeClue::Ecosystem(e) => self.ecosystems.get(e).map(|&id| (id, weight)),
            RuntimeClue::Env(v) => self.env.get(v.as_str()).map(|&id| (id, weight)),
            RuntimeClue::Image(image) => {
                let id = self.of_image(image)?;
                let w = self.get(id).and_then(|t| t.image_weight).unwrap_or(weight);
                Some((id, w))
            }
        }
    }

    /// The runtime a base image reference implies (`python:3.12-slim` ->
    /// python), by repository with the registry, tag and digest removed.
    pub fn of_image(&self, image: &str) -> Option<RuntimeId> {
        let lower = image.trim().to_ascii_lowercase();
        let (registry, path) = split_registry(repository(&lower));
        let path = path.strip_prefix("library/").unwrap_or(path);
        let full = match registry {
            Some(r) => format!("{r}/{path}"),
            None => path.to_string(),
        };
        // The repository, then every trailing part that starts after a `/`.
        let tails = std::iter::once(full.as_str())
            .chain(full.match_indices('/').map(|(i, _)| &full[i + 1..]));
        for tail in tails {
            if let Some((_, id)) = self.repo_images.iter().find(|(p, _)| p.matches(tail)) {
                return Some(*id);
            }
        }
        let last = path.rsplit('/').next().unwrap_or(path);
        self.last_images
            .iter()
            .find(|(p, _)| p.matches(last))
            .map(|(_, id)| *id)
    }
}

/// `registry/path:tag@digest` -> `registry/path`.
fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        // A colon after the last slash is a tag; before it, a registry port.
        Some(colon) if !no_digest[colon..].contains('/') => &no_digest[..colon],
        _ => no_digest,
    }
}

/// Splits off the registry: the first component when it has a `.` or `:`
/// or is `localhost` (Docker's own rule). Docker Hub counts as none.
fn split_registry(repo: &str) -> (Option<&str>, &str) {
    match repo.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            let registry = if first == "docker.io" || first == "index.docker.io" {
                None
            } else {
                Some(first)
            };
            (registry, rest)
        }
        _ => (None, repo),
    }
}

#[cfg(test)]
mod tests {
    use crate::model::fact::{Ecosystem, RuntimeClue};
    use crate::model::language::Language;
    use crate::model::runtime::RuntimeId;
    use crate::rules::RuleSet;

    #[test]
    fn maps_images() {
        let rules = RuleSet::builtin().unwrap();
        let cases = [
            ("python:3.12-slim", Some("python")),
            ("docker.io/library/python:3.12@sha256:abc", Some("python")),
            ("pypy:3.10", Some("python")),
            ("node:20-alpine", Some("node")),
            ("eclipse-temurin:21-jre", Some("jvm")),
            ("maven:3.9-eclipse-temurin-21", Some("jvm")),
            ("registry.access.redhat.com/ubi9/openjdk-17", Some("jvm")),
            ("mcr.microsoft.com/dotnet/aspnet:8.0", Some("dotnet")),
            ("elixir:1.16", Some("beam")),
            (
                "hexpm/elixir:1.16.2-erlang-26.2.4-alpine-3.19.1",
                Some("beam"),
            ),
            ("ruby:3.3", Some("ruby")),
            ("php:8.3-fpm", Some("php")),
            ("golang:1.22", Some("go")),
            ("rust:1.78-slim", Some("rust")),
            ("gcc:13", Some("c-cpp")),
            ("tinygo/tinygo:0.31.2", Some("tinygo")),
            (
                "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime",
                Some("python"),
            ),
            ("gcr.io/distroless/python3-debian12", Some("python")),
            ("gcr.io/distroless/java17-debian12", Some("jvm")),
            ("gcr.io/distroless/nodejs20-debian12", Some("node")),
            ("gcr.io/distroless/static-debian12", None),
            ("gcr.io/distroless/base", None),
            ("localhost:5000/golang:1.22", Some("go")),
            ("nvidia/cuda:12.4.1-runtime-ubuntu22.04", None),
            ("ubuntu:22.04", None),
            ("scratch", None),
        ];
        for (image, want) in cases {
            let got = rules.runtimes.of_image(image).map(|r| r.id());
            assert_eq!(got, want, "{image}");
        }
    }

    #[test]
    fn resolves_every_clue_kind() {
        let rt = &RuleSet::builtin().unwrap().runtimes;
        let r = |c: RuntimeClue| rt.resolve(&c, 7);
        assert_eq!(
            r(RuntimeClue::Env("PYTHON_VERSION".into())),
            Some((RuntimeId::Python, 7))
        );
        assert_eq!(r(RuntimeClue::Env("PATH".into())), None);
        assert_eq!(
            r(RuntimeClue::Language(Language::Kotlin)),
            Some((RuntimeId::Jvm, 7))
        );
        assert_eq!(r(RuntimeClue::Language(Language::Shell)), None);
        assert_eq!(
            r(RuntimeClue::Ecosystem(Ecosystem::Packagist)),
            Some((RuntimeId::Php, 7))
        );
        // A TinyGo image decides the runtime in any stage.
        assert_eq!(
            r(RuntimeClue::Image("tinygo/tinygo:0.34.0".into())),
            Some((RuntimeId::Tinygo, 25))
        );
        assert_eq!(
            r(RuntimeClue::Id(RuntimeId::Wasm)),
            Some((RuntimeId::Wasm, 7))
        );
    }

    #[test]
    fn binary_knowledge_comes_from_the_runtime_entries() {
        let b = &RuleSet::builtin().unwrap().runtimes.binary;
        assert!(b.rust.syscalls.iter().any(|s| s == "futex"));
        assert!(b.rust.imports.iter().any(|s| s == "sigaltstack"));
        assert!(b.rust.signal_packages.iter().any(|s| s == "signal-hook"));
        assert!(b.go.imports.iter().any(|s| s == "getaddrinfo"));
        assert!(b.go.syscalls.is_empty());
        assert!(b.rust.functions.iter().any(|s| s == "std::"));
        assert!(b.go.packages.iter().any(|s| s == "runtime"));
        assert!(b
            .go
            .syscall_wrappers
            .iter()
            .any(|s| s == "syscall.Syscall6"));
        assert!(b.c.is_library("/usr/lib/libc.so.6"));
        assert!(!b.c.is_library("libssl.so.3"));
        let ioctl = b.c.harmless.iter().find(|h| h.function == "ioctl");
        assert!(ioctl.is_some_and(|h| h.values.iter().any(|v| v.value == 0x5413)));
    }
}
