//! Files an image's `HEALTHCHECK` runs: the container runtime's probe,
//! started beside the service, not the service.
//!
//! `HEALTHCHECK CMD extra/healthcheck` (a Go program of the tree) or `CMD
//! /usr/local/bin/healthcheck.sh` ships in the image, but it answers the
//! container runtime's question, "is the service up?", which a Wasm host
//! asks its own way (an HTTP probe of the component). What it does, such
//! as reading `/proc/uptime` or spawning `curl`, is not the service's.

use crate::analyze::finding::Hit;
use crate::analyze::units::{ends_with_path, file_by_tail, instruction_words};
use crate::model::artifact::{Artifact, ArtifactKind};
use crate::model::context::Context;
use crate::model::fact::{Fact, FactKind};

/// Most HEALTHCHECK words looked up: a generated one must not make this
/// a search per word of a long shell line.
const MAX_WORDS: usize = 32;

/// The tree's source files the HEALTHCHECK instructions among `kept` run,
/// each with where the instruction is (`docker/Dockerfile:40`).
pub(crate) fn files(kept: &[Fact], artifacts: &[Artifact]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for f in kept {
        let FactKind::Instruction { instruction, args } = &f.kind else {
            continue;
        };
        if instruction != "HEALTHCHECK" || !f.context.counts() {
            continue;
        }
        // `--interval=30s CMD ["node", "healthcheck.js"]`, `CMD curl -f
        // http://localhost/ || exit 1`, `NONE`.
        let mut rest = args.trim();
        while rest.starts_with("--") {
            rest = rest
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r.trim_start());
        }
        let Some(cmd) = rest.strip_prefix("CMD") else {
            continue;
        };
        let at = format!("{}:{}", f.at.path, f.at.line.unwrap_or(0));
        for w in instruction_words(cmd).iter().take(MAX_WORDS) {
            if let Some(file) = source_file(w, artifacts) {
                if !out.iter().any(|(p, _)| *p == file) {
                    out.push((file, at.clone()));
                }
            }
        }
    }
    out
}

/// The source file a word of the command names: a path of the tree, or
/// its longest tail the tree holds (`/app/extra/healthcheck.js`), or a
/// program built from one (`extra/healthcheck` from `healthcheck.go`).
fn source_file(word: &str, artifacts: &[Artifact]) -> Option<String> {
    if !word.contains('/') && !word.contains('.') {
        return None;
    }
    file_by_tail(artifacts, word, |a, tail| {
        if !matches!(a.kind, ArtifactKind::Source(_)) {
            return false;
        }
        // A program built from a file keeps its directory: a bare name
        // (`/app/lldap`) is not any `lldap.rs` of the tree.
        let stem = a.rel.rsplit_once('.').map_or(a.rel.as_str(), |(s, _)| s);
        ends_with_path(&a.rel, tail) || tail.contains('/') && ends_with_path(stem, tail)
    })
}

/// Evidence in the health check's files is the probe's, not the service's:
/// optional, with the reason.
pub(crate) fn apply(checks: &[(String, String)], hits: &mut [Hit]) {
    for h in hits.iter_mut() {
        let e = &mut h.evidence;
        if e.context != Context::Service {
            continue;
        }
        if let Some((_, at)) = checks.iter().find(|(p, _)| *p == e.at.path) {
            e.context = Context::Optional;
            e.reason = Some(format!(
                "the image's health check (HEALTHCHECK at {at}): the container runtime runs it beside the service, and a Wasm host probes the service its own way"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fact::Location;
    use crate::model::language::Language;

    fn art(rel: &str) -> Artifact {
        Artifact {
            path: rel.into(),
            rel: rel.into(),
            kind: ArtifactKind::Source(Language::from_file_name(rel).unwrap()),
            context: Context::Service,
            size: 1,
        }
    }

    fn check(args: &str) -> Fact {
        Fact::new(
            FactKind::Instruction {
                instruction: "HEALTHCHECK".into(),
                args: args.into(),
            },
            Location::line("docker/Dockerfile", 40, ""),
            Context::Service,
        )
    }

    #[test]
    fn the_files_a_healthcheck_runs() {
        let arts = [
            art("extra/healthcheck.go"),
            art("docker/healthcheck.sh"),
            art("server/health.js"),
            art("server/main.js"),
        ];
        let run = |args: &str| files(&[check(args)], &arts);
        let at = "docker/Dockerfile:40".to_string();
        assert_eq!(
            run("--interval=60s --retries=5 CMD extra/healthcheck"),
            [("extra/healthcheck.go".to_string(), at.clone())]
        );
        assert_eq!(
            run("CMD [\"/usr/local/bin/docker/healthcheck.sh\"]"),
            [("docker/healthcheck.sh".to_string(), at.clone())]
        );
        assert_eq!(
            run("CMD node /app/server/health.js || exit 1"),
            [("server/health.js".to_string(), at)]
        );
        // The service's own binary with a subcommand is no file of the
        // tree, though a module shares its name.
        let arts = [art("src/lldap.rs"), art("src/main.rs")];
        assert!(files(&[check("CMD [\"/app/lldap\", \"healthcheck\"]")], &arts).is_empty());
        let arts = [art("extra/healthcheck.go")];
        let run = |args: &str| files(&[check(args)], &arts);
        // A probe of the service itself, or none, names no file of it.
        assert!(run("CMD curl -f http://localhost:3000/ || exit 1").is_empty());
        assert!(run("NONE").is_empty());
        // A relative path is where it says, not any file with that tail.
        assert!(run("CMD node other/health.js").is_empty());
    }
}
