//! docker-compose / compose files -> `Compose` facts for the settings that
//! tie a service to the Linux kernel or the host (privileged, cap_add,
//! devices, host namespaces, GPU reservations, volumes), and a `BaseImage`
//! fact per `image:` so a GPU image named only in compose is still seen.
//!
//! The YAML is read with serde-saphyr into a generic tree that keeps every
//! node's line, under a tight budget: compose files are small, and an alias
//! bomb or a pathological nesting must fail fast with a diagnostic instead of
//! eating memory. Anchors and `<<` merge keys are expanded by the parser;
//! `extends` within the same file is resolved here.

use super::Output;
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Fact, FactKind, Location};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Spanned};
use std::collections::HashSet;

/// Keys whose scalar value is reported as is.
const SCALAR_KEYS: [&str; 7] = [
    "privileged",
    "network_mode",
    "pid",
    "ipc",
    "runtime",
    "userns_mode",
    "image",
];

/// Keys whose list items are reported one by one.
const LIST_KEYS: [&str; 4] = ["cap_add", "security_opt", "devices", "volumes"];

const GPU_KEY: &str = "deploy.resources.reservations.devices";

/// How deep `extends` chains are followed.
const MAX_EXTENDS: usize = 8;

/// A YAML node with the location of each child.
#[derive(Debug)]
enum Node {
    Null,
    Scalar(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

type Entry = (Spanned<Node>, Spanned<Node>);

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Scalar(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Scalar(v))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Node, E> {
                Ok(Node::Scalar(String::from_utf8_lossy(v).into_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    entries.push(entry);
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(NodeVisitor)
    }
}

impl Node {
    fn scalar(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    fn entries(&self) -> &[Entry] {
        match self {
            Node::Map(m) => m,
            _ => &[],
        }
    }

    fn get(&self, key: &str) -> Option<&Spanned<Node>> {
        self.entries()
            .iter()
            .find(|(k, _)| k.value.scalar() == Some(key))
            .map(|(_, v)| v)
    }

    /// Scalars and lists of scalars, comma-joined (`capabilities: [gpu]`).
    fn flat(&self) -> Option<String> {
        match self {
            Node::Scalar(s) => Some(s.clone()),
            Node::Seq(items) => {
                let parts: Vec<String> = items.iter().filter_map(|i| i.value.flat()).collect();
                Some(parts.join(","))
            }
            _ => None,
        }
    }
}

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: 400_000,
            max_nodes: 100_000,
            // Real compose files nest about ten levels. Each level costs
            // tens of KB of stack in a debug build, and scans run on worker
            // threads with 2 MB stacks.
            max_depth: 24,
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_documents: 4,
            max_total_scalar_bytes: 16 * 1024 * 1024,
            max_merge_keys: 10_000,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_replay_stack_depth: 16,
        },
        duplicate_keys: DuplicateKeyPolicy::LastWins,
    }
}

pub fn parse(rel: &str, text: &str, context: Context) -> Output {
    let mut out = Output::default();
    if text.trim().is_empty() {
        return out;
    }
    let doc: Spanned<Node> = match serde_saphyr::from_str_with_options(text, options()) {
        Ok(doc) => doc,
        Err(e) => {
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            out.diagnostics.push(Diagnostic::new(
                DiagKind::Malformed,
                rel,
                crate::model::fact::clip(&format!("invalid compose YAML: {first}")),
            ));
            return out;
        }
    };
    let root = &doc.value;
    let services: &[Entry] = match root.get("services") {
        Some(s) => s.value.entries(),
        // Compose file format v1: services at the top level.
        None if root.get("version").is_none() => root.entries(),
        None => &[],
    };
    let mut emit = Emitter {
        rel,
        lines: text.split('\n').collect(),
        out: &mut out,
    };
    for (name, body) in services {
        let Some(service) = name.value.scalar() else {
            continue;
        };
        if !matches!(body.value, Node::Map(_)) {
            continue;
        }
        let entries = with_extends(services, service, &body.value);
        let ctx = profile_context(&body.value).unwrap_or(context);
        for (key, value) in entries {
            emit.setting(service, key, value, ctx);
        }
    }
    out
}

/// The service's entries with those of the services it `extends` (same
/// file) underneath; keys set on the service win. Cycles and long chains
/// stop at `MAX_EXTENDS`.
fn with_extends<'n>(services: &'n [Entry], name: &str, body: &'n Node) -> Vec<&'n Entry> {
    let mut result: Vec<&Entry> = body.entries().iter().collect();
    let mut seen: HashSet<&str> = HashSet::new();
    seen.insert(name);
    let mut current = body;
    for _ in 0..MAX_EXTENDS {
        let Some(ext) = current.get("extends") else {
            break;
        };
        // `extends: base` or `extends: { service: base }`; a `file:` points
        // elsewhere and cannot be followed from here.
        let base_name = match &ext.value {
            Node::Scalar(s) => Some(s.as_str()),
            Node::Map(_) if ext.value.get("file").is_none() => {
                ext.value.get("service").and_then(|s| s.value.scalar())
            }
            _ => None,
        };
        let Some(base_name) = base_name else {
            break;
        };
        if !seen.insert(base_name) {
            break;
        }
        let Some((_, base)) = services
            .iter()
            .find(|(k, _)| k.value.scalar() == Some(base_name))
        else {
            break;
        };
        for entry in base.value.entries() {
            let key = entry.0.value.scalar();
            if !result.iter().any(|(k, _)| k.value.scalar() == key) {
                result.push(entry);
            }
        }
        current = &base.value;
    }
    result
}

/// Services only started under test or development profiles do not ship.
fn profile_context(body: &Node) -> Option<Context> {
    let Node::Seq(profiles) = &body.get("profiles")?.value else {
        return None;
    };
    let names: Vec<String> = profiles
        .iter()
        .filter_map(|p| p.value.scalar())
        .map(str::to_ascii_lowercase)
        .collect();
    let dev_only = !names.is_empty()
        && names.iter().all(|n| {
            matches!(
                n.as_str(),
                "test"
                    | "tests"
                    | "testing"
                    | "ci"
                    | "e2e"
                    | "dev"
                    | "development"
                    | "debug"
                    | "tools"
                    | "local"
                    | "docs"
                    | "lint"
            )
        });
    dev_only.then_some(Context::Test)
}

struct Emitter<'a> {
    rel: &'a str,
    lines: Vec<&'a str>,
    out: &'a mut Output,
}

impl Emitter<'_> {
    fn line_of<T>(&self, node: &Spanned<T>) -> u32 {
        // `defined` is where an aliased or merged value was written, which
        // is the line worth showing.
        let line = if node.defined.line() > 0 {
            node.defined.line()
        } else {
            node.referenced.line()
        };
        u32::try_from(line).unwrap_or(u32::MAX).max(1)
    }

    fn push(&mut self, service: &str, key: &str, value: String, line: u32, ctx: Context) {
        let snippet = self
            .lines
            .get((line as usize).saturating_sub(1))
            .copied()
            .unwrap_or("");
        let at = Location::line(self.rel, line, snippet);
        let kind = FactKind::Compose {
            service: service.to_string(),
            key: key.to_string(),
            value,
        };
        self.out.facts.push(Fact::new(kind, at, ctx));
    }

    fn setting(&mut self, service: &str, key: &Spanned<Node>, value: &Spanned<Node>, ctx: Context) {
        let Some(name) = key.value.scalar() else {
            return;
        };
        let line = self.line_of(key);
        if SCALAR_KEYS.contains(&name) {
            if let Some(v) = value.value.scalar() {
                self.push(service, name, v.to_string(), line, ctx);
                if name == "image" {
                    let snippet = self
                        .lines
                        .get((line as usize).saturating_sub(1))
                        .copied()
                        .unwrap_or("");
                    let kind = FactKind::BaseImage {
                        image: v.to_string(),
                        stage: None,
                        is_final: true,
                    };
                    let at = Location::line(self.rel, line, snippet);
                    self.out.facts.push(Fact::new(kind, at, ctx));
                }
            }
            return;
        }
        if LIST_KEYS.contains(&name) {
            let Node::Seq(items) = &value.value else {
                return;
            };
            for item in items {
                let rendered = match &item.value {
                    Node::Scalar(s) => Some(s.clone()),
                    Node::Map(_) => long_syntax(&item.value),
                    _ => None,
                };
                if let Some(v) = rendered {
                    let line = self.line_of(item);
                    self.push(service, name, v, line, ctx);
                }
            }
            return;
        }
        match name {
            // What the service is built from: the unit it ships
            // (`analyze::units`), not a capability.
            "build" => match &value.value {
                Node::Scalar(dir) => self.push(service, "build", dir.clone(), line, ctx),
                Node::Map(_) => {
                    let get = |k: &str| value.value.get(k).and_then(|v| v.value.scalar());
                    let dir = get("context").unwrap_or(".").to_string();
                    self.push(service, "build", dir, line, ctx);
                    if let Some(file) = get("dockerfile") {
                        self.push(service, "build.dockerfile", file.to_string(), line, ctx);
                    }
                    // The stage it builds, when not the last.
                    if let Some(stage) = get("target") {
                        self.push(service, "build.target", stage.to_string(), line, ctx);
                    }
                }
                _ => {}
            },
            "command" | "entrypoint" => {
                let text = match &value.value {
                    Node::Scalar(s) => Some(s.clone()),
                    Node::Seq(items) => Some(
                        items
                            .iter()
                            .filter_map(|i| i.value.scalar())
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                    _ => None,
                };
                if let Some(t) = text {
                    self.push(service, name, t, line, ctx);
                }
            }
            "deploy" => {
                let limits = value
                    .value
                    .get("resources")
                    .and_then(|r| r.value.get("limits"));
                for key in ["cpus", "memory"] {
                    if let Some(v) = limits.and_then(|l| l.value.get(key)) {
                        if let Some(x) = v.value.scalar() {
                            let line = self.line_of(v);
                            let k = format!("deploy.resources.limits.{key}");
                            self.push(service, &k, x.to_string(), line, ctx);
                        }
                    }
                }
                let devices = value
                    .value
                    .get("resources")
                    .and_then(|r| r.value.get("reservations"))
                    .and_then(|r| r.value.get("devices"));
                if let Some(Node::Seq(items)) = devices.map(|d| &d.value) {
                    for item in items {
                        let line = self.line_of(item);
                        self.push(service, GPU_KEY, device_request(&item.value), line, ctx);
                    }
                }
            }
            // What a migration plan carries over to a Wasm deployment: the
            // ports, environment, health check and limits of a service the
            // tree builds (whether it builds is the `build` arm above).
            "ports" => {
                for item in seq(&value.value) {
                    let port = match &item.value {
                        Node::Scalar(s) => container_port(s),
                        m @ Node::Map(_) => m
                            .get("target")
                            .and_then(|t| t.value.scalar())
                            .map(str::to_string),
                        _ => None,
                    };
                    if let Some(p) = port {
                        let line = self.line_of(item);
                        self.push(service, "ports", p, line, ctx);
                    }
                }
            }
            "environment" => {
                let pairs: Vec<(String, u32)> = match &value.value {
                    Node::Seq(items) => items
                        .iter()
                        .filter_map(|i| {
                            i.value
                                .scalar()
                                .filter(|v| v.contains('='))
                                .map(|v| (v.to_string(), self.line_of(i)))
                        })
                        .collect(),
                    Node::Map(entries) => entries
                        .iter()
                        .filter_map(|(k, v)| {
                            let name = k.value.scalar()?;
                            let val = v.value.scalar().unwrap_or("");
                            Some((format!("{name}={val}"), self.line_of(k)))
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                for (pair, l) in pairs {
                    self.push(service, "environment", pair, l, ctx);
                }
            }
            "healthcheck" => {
                if let Some(test) = value.value.get("test") {
                    let text = match &test.value {
                        Node::Seq(items) => items
                            .iter()
                            .filter_map(|i| i.value.scalar())
                            .collect::<Vec<_>>()
                            .join(" "),
                        Node::Scalar(s) => s.clone(),
                        _ => String::new(),
                    };
                    if !text.is_empty() {
                        self.push(service, "healthcheck", text, line, ctx);
                    }
                }
            }
            // `gpus: all` is the short form of a GPU device reservation.
            "gpus" => match &value.value {
                Node::Scalar(count) => {
                    self.push(
                        service,
                        GPU_KEY,
                        format!("capabilities=gpu count={count}"),
                        line,
                        ctx,
                    );
                }
                Node::Seq(items) => {
                    for item in items {
                        let mut v = device_request(&item.value);
                        if !v.contains("capabilities=") {
                            v = format!("capabilities=gpu {v}").trim_end().to_string();
                        }
                        let line = self.line_of(item);
                        self.push(service, GPU_KEY, v, line, ctx);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
}

fn seq(node: &Node) -> &[Spanned<Node>] {
    match node {
        Node::Seq(items) => items,
        _ => &[],
    }
}

/// The container side of a short-syntax port: `8080`, `80:8080`,
/// `127.0.0.1:80:8080/tcp`, `9000-9001:9000-9001` (its first port).
fn container_port(spec: &str) -> Option<String> {
    let last = spec.rsplit(':').next()?;
    let port = last.split('/').next()?.split('-').next()?.trim();
    port.parse::<u16>().ok().map(|p| p.to_string())
}

/// `driver=nvidia capabilities=gpu count=all`, keys in a fixed order so
/// rules can match the string.
fn device_request(node: &Node) -> String {
    ["driver", "capabilities", "count", "device_ids"]
        .iter()
        .filter_map(|k| {
            node.get(k)
                .and_then(|v| v.value.flat())
                .map(|v| format!("{k}={v}"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Long-syntax volumes and devices, rendered like the short syntax
/// (`source:target[:ro]`) so one rule pattern matches both.
fn long_syntax(node: &Node) -> Option<String> {
    let get = |k: &str| node.get(k).and_then(|v| v.value.scalar());
    let target = get("target");
    let source = get("source");
    let mut out = match (source, target) {
        (Some(s), Some(t)) => format!("{s}:{t}"),
        (Some(s), None) => s.to_string(),
        (None, Some(t)) => t.to_string(),
        (None, None) => return None,
    };
    if let Some(p) = get("permissions") {
        out.push(':');
        out.push_str(p);
    } else if get("read_only") == Some("true") {
        out.push_str(":ro");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(out: &Output) -> Vec<(String, String, String, u32, Context)> {
        out.facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::Compose {
                    service,
                    key,
                    value,
                } => Some((
                    service.clone(),
                    key.clone(),
                    value.clone(),
                    f.at.line.unwrap_or(0),
                    f.context,
                )),
                _ => None,
            })
            .collect()
    }

    fn row(s: &str, k: &str, v: &str, line: u32) -> (String, String, String, u32, Context) {
        (s.into(), k.into(), v.into(), line, Context::Service)
    }

    const COMPOSE: &str = r#"name: inference

x-hardened: &hardened
  security_opt:
    - no-new-privileges:true
  cap_add: [NET_ADMIN, SYS_PTRACE]

services:
  api:
    image: "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime"
    <<: *hardened
    volumes:
      - ./models:/models:ro
      - type: bind
        source: /var/run/docker.sock
        target: /var/run/docker.sock
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu]
  sniffer:
    image: nicolaka/netshoot
    network_mode: host
    pid: "host"
    privileged: true
    devices:
      - /dev/net/tun:/dev/net/tun
  worker:
    extends: api
    image: python:3.12-slim
    gpus: all
  debug:
    image: busybox
    profiles: ["debug"]
    privileged: yes
"#;

    #[test]
    fn realistic_compose() {
        let out = parse("docker-compose.yml", COMPOSE, Context::Service);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let got = settings(&out);
        let api: Vec<_> = got.iter().filter(|r| r.0 == "api").cloned().collect();
        assert_eq!(
            api,
            [
                row(
                    "api",
                    "image",
                    "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime",
                    10
                ),
                row("api", "volumes", "./models:/models:ro", 13),
                row(
                    "api",
                    "volumes",
                    "/var/run/docker.sock:/var/run/docker.sock",
                    14
                ),
                row(
                    "api",
                    GPU_KEY,
                    "driver=nvidia capabilities=gpu count=all",
                    21
                ),
                row("api", "security_opt", "no-new-privileges:true", 5),
                row("api", "cap_add", "NET_ADMIN", 6),
                row("api", "cap_add", "SYS_PTRACE", 6),
            ]
        );
        let sniffer: Vec<_> = got.iter().filter(|r| r.0 == "sniffer").cloned().collect();
        assert_eq!(
            sniffer,
            [
                row("sniffer", "image", "nicolaka/netshoot", 25),
                row("sniffer", "network_mode", "host", 26),
                row("sniffer", "pid", "host", 27),
                row("sniffer", "privileged", "true", 28),
                row("sniffer", "devices", "/dev/net/tun:/dev/net/tun", 30),
            ]
        );
        // `extends: api` brings api's GPU reservation and volumes along.
        let worker: Vec<_> = got.iter().filter(|r| r.0 == "worker").cloned().collect();
        assert!(worker.contains(&row("worker", "image", "python:3.12-slim", 33)));
        assert!(worker.contains(&row("worker", GPU_KEY, "capabilities=gpu count=all", 34)));
        assert!(worker.contains(&row(
            "worker",
            GPU_KEY,
            "driver=nvidia capabilities=gpu count=all",
            21
        )));
        assert_eq!(worker.iter().filter(|r| r.1 == "image").count(), 1);
        let debug: Vec<_> = got.iter().filter(|r| r.0 == "debug").cloned().collect();
        assert!(debug.iter().all(|r| r.4 == Context::Test));
        assert!(debug.iter().any(|r| r.1 == "privileged" && r.2 == "true"));

        let images: Vec<_> = out
            .facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::BaseImage {
                    image, is_final, ..
                } => Some((image.as_str(), *is_final)),
                _ => None,
            })
            .collect();
        assert_eq!(images.len(), 4);
        assert!(images.contains(&("pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime", true)));
        let snippet = &out
            .facts
            .iter()
            .find(|f| f.at.line == Some(28))
            .unwrap()
            .at
            .snippet;
        assert_eq!(snippet, "privileged: true");
    }

    #[test]
    fn version_one_and_empty() {
        let v1 = "web:\n  image: nginx\n  privileged: true\n";
        let got = settings(&parse("fig.yml", v1, Context::Service));
        assert_eq!(got.len(), 2);
        assert!(parse("compose.yaml", "", Context::Service).facts.is_empty());
        assert!(parse("compose.yaml", "services:\n", Context::Service)
            .diagnostics
            .is_empty());
        let cyc = "services:\n  a:\n    extends: b\n  b:\n    extends: a\n    privileged: true\n";
        let got = settings(&parse("compose.yaml", cyc, Context::Service));
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn bad_yaml_is_malformed() {
        let out = parse("compose.yaml", "services:\n  a: [\n", Context::Service);
        assert_eq!(out.diagnostics.len(), 1);
        assert_eq!(out.diagnostics[0].kind, DiagKind::Malformed);

        let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
";
        let start = std::time::Instant::now();
        let out = parse("compose.yaml", bomb, Context::Service);
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.facts.len());
        assert!(start.elapsed().as_secs() < 5);

        let deep = "[".repeat(100_000);
        assert_eq!(
            parse("compose.yaml", &deep, Context::Service)
                .diagnostics
                .len(),
            1
        );
        let deep_block: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(
            parse("compose.yaml", &deep_block, Context::Service)
                .diagnostics
                .len(),
            1
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let mut bytes = COMPOSE.as_bytes().to_vec();
            for _ in 0..(next() % 10) {
                let i = (next() as usize) % bytes.len().max(1);
                if i >= bytes.len() {
                    break;
                }
                let pool = b"&*<:-[]{}\n\t '\"!|>";
                bytes[i] = pool[(next() as usize) % pool.len()];
            }
            if round % 10 == 0 {
                bytes = (0..(next() % 1024))
                    .map(|_| (next() & 0xff) as u8)
                    .collect();
            }
            let _ = parse(
                "compose.yaml",
                &String::from_utf8_lossy(&bytes),
                Context::Service,
            );
        }
        let huge = format!(
            "services:\n  a:\n    image: \"{}\"\n",
            "x".repeat(5_000_000)
        );
        let out = parse("compose.yaml", &huge, Context::Service);
        assert!(out.facts.iter().all(|f| f.at.snippet.len() < 300));
    }
}
