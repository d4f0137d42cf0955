//! Facts an image gives beyond its files: the config's ENTRYPOINT, EXPOSE,
//! USER and ENV as Dockerfile instructions, OS packages the build installed
//! on purpose, the runtime the official base images announce in their
//! environment, and the distribution it is built on.
//!
//! They go through the same rules as a Dockerfile's, so an image and the
//! Dockerfile that built it give the same findings.

use super::archive::{Config, History};
use crate::model::context::Context;
use crate::model::fact::{Fact, FactKind, Location, RuntimeClue};
use crate::model::image::{OsRelease, Packages};
use std::collections::BTreeSet;

/// Where config facts point: not a file in the image, the image's config.
pub const CONFIG_PATH: &str = "(image config)";

/// Value-bearing words in a variable's name that suggest a secret.
const SECRET_WORDS: &[&str] = &[
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASS",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
];

fn redact(env: &str) -> String {
    let (k, _) = env.split_once('=').unwrap_or((env, ""));
    let upper = k.to_ascii_uppercase();
    if SECRET_WORDS.iter().any(|w| upper.contains(w)) {
        format!("{k}=<redacted>")
    } else {
        env.to_string()
    }
}

/// Arguments longer than this are cut: an image config is untrusted, and
/// ENTRYPOINT and USER are copied into the report's container summary.
const MAX_ARGS_LEN: usize = 4096;

fn instr(instruction: &str, mut args: String, snippet: &str) -> Fact {
    if args.len() > MAX_ARGS_LEN {
        let mut end = MAX_ARGS_LEN;
        while !args.is_char_boundary(end) {
            end -= 1;
        }
        args.truncate(end);
    }
    Fact::new(
        FactKind::Instruction {
            instruction: instruction.into(),
            args,
        },
        Location::file(CONFIG_PATH, snippet),
        Context::Service,
    )
}

/// Facts from the image config.
pub fn config_facts(config: &Config, base_name: Option<&str>) -> Vec<Fact> {
    let c = &config.config;
    let mut out = Vec::new();
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
    if !c.entrypoint.is_empty() {
        out.push(instr(
            "ENTRYPOINT",
            json(&c.entrypoint),
            &format!("ENTRYPOINT {}", json(&c.entrypoint)),
        ));
    }
    if !c.cmd.is_empty() {
        out.push(instr("CMD", json(&c.cmd), &format!("CMD {}", json(&c.cmd))));
    }
    if !c.exposed_ports.is_empty() {
        let ports: Vec<&str> = c
            .exposed_ports
            .keys()
            .take(256)
            .map(String::as_str)
            .collect();
        out.push(instr(
            "EXPOSE",
            ports.join(" "),
            &format!("EXPOSE {}", ports.join(" ")),
        ));
    }
    if !c.user.is_empty() {
        out.push(instr("USER", c.user.clone(), &format!("USER {}", c.user)));
    }
    if !c.working_dir.is_empty() {
        out.push(instr(
            "WORKDIR",
            c.working_dir.clone(),
            &format!("WORKDIR {}", c.working_dir),
        ));
    }
    for v in c.volumes.keys().take(100) {
        out.push(instr("VOLUME", v.clone(), &format!("VOLUME {v}")));
    }
    for e in c.env.iter().take(500) {
        let shown = redact(e);
        out.push(instr("ENV", shown.clone(), &format!("ENV {shown}")));
        let name = e.split('=').next().unwrap_or("");
        // The shipping base image's runtime weighs 20 in a Dockerfile; the
        // environment an official image sets (PYTHON_VERSION) is that base
        // image. Which variables name a runtime is rules/runtimes.toml's.
        if !name.is_empty() {
            out.push(Fact::new(
                FactKind::Runtime {
                    clue: RuntimeClue::Env(name.to_string()),
                    weight: 20,
                },
                Location::file(CONFIG_PATH, &format!("ENV {shown}")),
                Context::Service,
            ));
        }
    }
    if let Some(b) = base_name {
        out.push(Fact::new(
            FactKind::BaseImage {
                image: b.to_string(),
                stage: None,
                is_final: true,
            },
            Location::file(
                CONFIG_PATH,
                &format!("base image {b} (org.opencontainers.image.base.name)"),
            ),
            Context::Service,
        ));
    }
    out
}

/// The distribution an image is built on, as a base-image fact read from
/// its os-release (`debian:12`), for images that still carry a userland (a
/// shell or a package manager): distroless images have an os-release too,
/// but nothing to run in it. Base-image rules (WF951) then treat the image
/// like a Dockerfile `FROM debian:12`.
pub fn os_base_fact(os: &OsRelease, packages: &[Packages], userland: &[String]) -> Option<Fact> {
    if userland.is_empty() || os.id.is_empty() {
        return None;
    }
    let image = if os.version_id.is_empty() {
        os.id.clone()
    } else {
        format!("{}:{}", os.id, os.version_id)
    };
    let count: usize = packages.iter().map(|p| p.count).sum();
    let label = if os.pretty_name.is_empty() {
        image.clone()
    } else {
        os.pretty_name.clone()
    };
    Some(Fact::new(
        FactKind::BaseImage {
            image,
            stage: None,
            is_final: true,
        },
        Location::file(
            "etc/os-release",
            &format!("{label}: {count} OS packages, {}", userland.join(" ")),
        ),
        Context::Service,
    ))
}

/// Package names a history RUN line installs with an OS package manager.
pub fn installed_by_history(history: &[History]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for h in history {
        let words: Vec<&str> = h.created_by.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            let w = words[i].trim_start_matches('(');
            let verb = words.get(i + 1).copied().unwrap_or("");
            let installs = matches!(
                (w, verb),
                ("apt-get" | "apt" | "aptitude", "install")
                    | ("apk", "add")
                    | (
                        "yum" | "dnf" | "microdnf" | "tdnf" | "zypper",
                        "install" | "in"
                    )
            );
            if !installs {
                i += 1;
                continue;
            }
            i += 2;
            while i < words.len() {
                let t = words[i];
                if matches!(t, "&&" | "||" | ";" | "|" | "\\") || t.ends_with(';') {
                    break;
                }
                if !t.starts_with('-') && !t.contains('$') && !t.contains('/') {
                    let name = t
                        .split(['=', '>', '<'])
                        .next()
                        .unwrap_or(t)
                        .trim_matches(['\'', '"']);
                    if !name.is_empty() {
                        out.insert(name.to_string());
                    }
                }
                i += 1;
            }
        }
    }
    out
}

/// OsPackage facts for the packages the image's own build installed on
/// purpose and that are still installed. The rest of the OS (the base
/// image's packages and what came in as dependencies) is counted in the
/// image summary, not matched: a shell or coreutils in the base is not
/// something the service chose to spawn.
pub fn package_facts(packages: &[Packages], wanted: &BTreeSet<String>) -> Vec<Fact> {
    let mut out = Vec::new();
    for db in packages {
        for n in db.names.iter().filter(|n| wanted.contains(*n)) {
            out.push(Fact::new(
                FactKind::OsPackage {
                    manager: db.manager.clone(),
                    name: n.clone(),
                },
                Location::file(
                    &db.database,
                    &format!("{} package {n}, installed by the image's build", db.manager),
                ),
                Context::Service,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_installs() {
        let h = |s: &str| History {
            created_by: s.into(),
            empty_layer: false,
        };
        let got = installed_by_history(&[
            h("RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends ffmpeg curl=7.88 && rm -rf /var/lib/apt/lists/* # buildkit"),
            h("/bin/sh -c apk add --no-cache imagemagick"),
            h("/bin/sh -c pip install flask"),
        ]);
        assert_eq!(
            got.into_iter().collect::<Vec<_>>(),
            vec!["curl", "ffmpeg", "imagemagick"]
        );
    }

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(redact("API_TOKEN=abc"), "API_TOKEN=<redacted>");
        assert_eq!(redact("PYTHON_VERSION=3.12.1"), "PYTHON_VERSION=3.12.1");
    }
}
