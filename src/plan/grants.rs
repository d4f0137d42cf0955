//! Host grants: what the host must give the component, as wasmtime flags
//! and Spin settings, from the world and what the container had.

use crate::model::finding::Finding;
use crate::model::plan::{EnvVar, Grants, Mount, World};
use crate::model::report::Report;
use crate::model::service::Service;
use crate::rules::Capability;
use std::collections::BTreeSet;

/// The port a wasi:http host listens on when nothing says otherwise
/// (`wasmtime serve`'s and Spin's default).
pub const DEFAULT_PORT: u16 = 8080;

/// Outgoing hosts kept per plan: a list, not a dump of every URL.
const MAX_HOSTS: usize = 20;

pub(crate) fn grants(
    report: &Report,
    _service: &Service,
    counted: &[&Finding],
    world: &World,
    notes: &mut Vec<String>,
) -> Grants {
    let has = |i: &str| {
        world
            .imports
            .iter()
            .chain(&world.exports)
            .any(|w| w.starts_with(i))
    };
    let container = report.container.as_ref();
    let compose = container.and_then(|c| c.compose.as_ref());
    // The Dockerfile's ENV, then the compose file's environment, which
    // overrides it when it runs the container.
    let mut env: Vec<EnvVar> = container.map(|c| c.env.clone()).unwrap_or_default();
    for v in compose.map(|c| c.env.as_slice()).unwrap_or_default() {
        env.retain(|e| e.name != v.name);
        env.push(v.clone());
    }
    let mut g = Grants {
        env: env.clone(),
        ..Grants::default()
    };
    if has("wasi:http/incoming-handler") {
        let exposed = container
            .and_then(|c| c.exposed.iter().find_map(|p| port(p)))
            .or_else(|| compose.and_then(|c| c.ports.iter().find_map(|p| port(p))));
        g.port = Some(exposed.unwrap_or_else(|| {
            notes.push(format!(
                "no EXPOSE in the shipping stage and no compose port: the HTTP handler is planned on port {DEFAULT_PORT}"
            ));
            DEFAULT_PORT
        }));
    }
    let client = counted
        .iter()
        .any(|f| f.capability == Capability::HttpClient)
        || has("wasi:http/outgoing-handler");
    if client {
        g.wasmtime.push("-S http".into());
        let mut hosts = BTreeSet::new();
        let texts = counted
            .iter()
            .filter(|f| f.capability == Capability::HttpClient)
            .flat_map(|f| f.evidence.iter().map(|e| e.at.snippet.as_str()))
            .chain(env.iter().map(|v| v.value.as_str()));
        for t in texts {
            hosts.extend(urls(t));
        }
        g.allowed_outbound_hosts = hosts.into_iter().take(MAX_HOSTS).collect();
        if g.allowed_outbound_hosts.is_empty() {
            notes.push("the service makes outgoing HTTP calls but no URL was found in its code or ENV: list the hosts it calls in allowed_outbound_hosts".into());
        }
    }
    if has("wasi:keyvalue") {
        g.wasmtime.push("-S keyvalue".into());
        g.key_value_stores.push("default".into());
    }
    if has("wasi:sockets") {
        g.wasmtime.push("-S inherit-network".into());
        g.wasmtime.push("-S tcp".into());
    }
    if has("wasi:filesystem") {
        for v in container.map(|c| c.volumes.as_slice()).unwrap_or_default() {
            for guest in volume_paths(v) {
                let host = format!(
                    "./{}",
                    guest
                        .trim_matches('/')
                        .replace('/', "-")
                        .trim_start_matches('.')
                );
                g.files.push(Mount { host, guest });
            }
        }
        if g.files.is_empty() {
            notes.push("the service uses the filesystem but the Dockerfile declares no VOLUME: preopen the directories it reads (--dir host::guest)".into());
        }
        for m in &g.files {
            g.wasmtime.push(format!(
                "--dir {}",
                shell_quote(&format!("{}::{}", m.host, m.guest))
            ));
        }
    }
    for v in &env {
        g.wasmtime.push(format!(
            "--env {}",
            shell_quote(&format!("{}={}", v.name, v.value))
        ));
    }
    g
}

/// A word a POSIX shell reads back as `s`: the flags are pasted into a
/// shell and written to commands.sh, and their values come from the
/// scanned tree.
pub(crate) fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// `8080/tcp` -> 8080.
fn port(exposed: &str) -> Option<u16> {
    exposed
        .split('/')
        .next()?
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 0)
}

/// `["/data", "/cache"]` or `/data /cache`.
fn volume_paths(v: &str) -> Vec<String> {
    v.trim_matches(|c| c == '[' || c == ']')
        .split([',', ' '])
        .map(|p| p.trim().trim_matches('"').to_string())
        .filter(|p| p.starts_with('/') && !p.contains(".."))
        .collect()
}

/// `https://api.example.com:8443/path` -> `https://api.example.com:8443`,
/// as Spin writes hosts; only literal hosts (no templates, no localhost).
pub(crate) fn urls(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for scheme in ["https://", "http://"] {
        let mut rest = text;
        while let Some(i) = rest.find(scheme) {
            let after = &rest[i + scheme.len()..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == ':'))
                .unwrap_or(after.len());
            let host = after[..end].trim_end_matches(['.', ':']);
            let bare = host.split(':').next().unwrap_or("");
            if bare.contains('.')
                && bare != "localhost"
                && !bare.starts_with("127.")
                && bare.len() <= 253
            {
                out.push(format!("{scheme}{host}"));
            }
            rest = &after[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_scheme_host_and_port() {
        assert_eq!(
            urls(r#"requests.get("https://api.example.com:8443/v1/x?a=1")"#),
            vec!["https://api.example.com:8443"]
        );
        assert_eq!(
            urls("http://localhost:8080/ and http://${HOST}/"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn volumes_in_both_forms() {
        assert_eq!(
            volume_paths(r#"["/data", "/cache"]"#),
            vec!["/data", "/cache"]
        );
        assert_eq!(
            volume_paths("/data /var/lib/x"),
            vec!["/data", "/var/lib/x"]
        );
        assert!(volume_paths("/../etc").is_empty());
    }

    #[test]
    fn shell_words_are_quoted() {
        assert_eq!(shell_quote("RUST_LOG=info"), "RUST_LOG=info");
        assert_eq!(shell_quote("A=$(rm -rf ~)"), "'A=$(rm -rf ~)'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn ports_from_expose() {
        assert_eq!(port("8080/tcp"), Some(8080));
        assert_eq!(port("$PORT"), None);
    }
}
