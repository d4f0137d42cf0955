//! The minimal WIT world a service needs, from the WASI interfaces its
//! findings name (rules say which interface replaces each capability).

use crate::model::finding::Finding;
use crate::model::plan::World;
use crate::model::report::Container;
use crate::model::service::Service;
use crate::rules::Capability;
use std::collections::BTreeSet;

/// The WASI 0.2 packages are stable and every 0.2 host accepts 0.2.0
/// imports; the proposals that are not in 0.2 yet are drafts, named by the
/// version the hosts (Spin 3, wasmCloud 1, wasmtime's `-S keyvalue`) ship.
fn version(package: &str) -> &'static str {
    match package {
        "wasi:keyvalue" | "wasi:config" | "wasi:messaging" | "wasi:blobstore" => "0.2.0-draft",
        _ => "0.2.0",
    }
}

/// What every language's standard library reaches for, as the
/// `wasi:http/proxy` world grants it: clocks, randomness, stdout/stderr.
const BASE: [&str; 5] = [
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
];

/// What a command imports beyond `BASE` (`wasi:cli/command` less the
/// filesystem and sockets, which only findings grant).
const COMMAND: [&str; 8] = [
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];

/// Interfaces every world uses through the ones it names (streams for
/// stdout, pollables for clocks): wit-parser adds them to the world, so a
/// component importing them stays inside it.
pub(crate) const IMPLIED: [&str; 3] = ["wasi:io/error", "wasi:io/poll", "wasi:io/streams"];

/// WIT keywords, which a plain identifier may not be.
const KEYWORDS: [&str; 30] = [
    "as",
    "bool",
    "borrow",
    "char",
    "constructor",
    "enum",
    "export",
    "f32",
    "f64",
    "flags",
    "func",
    "future",
    "import",
    "include",
    "interface",
    "list",
    "option",
    "own",
    "package",
    "record",
    "resource",
    "result",
    "s16",
    "s32",
    "s64",
    "s8",
    "static",
    "stream",
    "string",
    "tuple",
];
const MORE_KEYWORDS: [&str; 11] = [
    "type",
    "u16",
    "u32",
    "u64",
    "u8",
    "use",
    "variant",
    "with",
    "world",
    "async",
    "error-context",
];

/// A WIT identifier from a service name: lowercase words of letters and
/// digits joined by `-`, each starting with a letter.
pub fn ident(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.starts_with(|c: char| c.is_ascii_digit()) {
                format!("x{w}")
            } else {
                w.to_string()
            }
        })
        .collect();
    let id = if words.is_empty() {
        "service".to_string()
    } else {
        words.join("-")
    };
    if KEYWORDS.contains(&id.as_str()) || MORE_KEYWORDS.contains(&id.as_str()) {
        format!("{id}-service")
    } else {
        id
    }
}

/// `wasi:http/incoming-handler` -> `wasi:http/incoming-handler@0.2.0`.
fn versioned(interface: &str) -> String {
    let package = interface.split('/').next().unwrap_or(interface);
    format!("{interface}@{}", version(package))
}

pub(crate) fn world(
    name: &str,
    service: &Service,
    counted: &[&Finding],
    container: Option<&Container>,
) -> World {
    let mut imports: BTreeSet<&str> = BASE.into_iter().collect();
    let mut exports: BTreeSet<&str> = BTreeSet::new();
    let http_server = service.shape.iter().any(|s| s == "http-server")
        || counted
            .iter()
            .any(|f| f.capability == Capability::HttpServer);
    if http_server {
        exports.insert("wasi:http/incoming-handler");
    }
    if container.is_some_and(|c| !c.env.is_empty()) {
        imports.insert("wasi:cli/environment");
    }
    if container.is_some_and(|c| !c.volumes.is_empty()) {
        imports.insert("wasi:filesystem/types");
        imports.insert("wasi:filesystem/preopens");
    }
    for f in counted {
        match f.wasi.as_str() {
            "wasi:http/incoming-handler" => {
                exports.insert("wasi:http/incoming-handler");
            }
            // A listener of its own is what the HTTP export replaces.
            "wasi:sockets/tcp" if http_server => {}
            "wasi:sockets/tcp" => {
                imports.extend([
                    "wasi:sockets/network",
                    "wasi:sockets/instance-network",
                    "wasi:sockets/tcp",
                    "wasi:sockets/tcp-create-socket",
                ]);
            }
            "wasi:filesystem/types" => {
                imports.extend(["wasi:filesystem/types", "wasi:filesystem/preopens"]);
            }
            "wasi:cli/command" => {
                exports.insert("wasi:cli/run");
            }
            w if w.ends_with("/incoming-handler") => {
                exports.insert(w);
            }
            w if w.starts_with("wasi:") && w.contains('/') => {
                imports.insert(w);
            }
            _ => {}
        }
    }
    // A component with no export does nothing: a service that is neither
    // an HTTP handler nor a message handler is a command.
    if exports.is_empty() {
        exports.insert("wasi:cli/run");
    }
    // A command gets what `wasi:cli/command` gives every program: its
    // arguments and exit code, stdin, and the terminal queries libc makes.
    if exports.contains("wasi:cli/run") {
        imports.extend(COMMAND);
    }
    let imports: Vec<String> = imports.into_iter().map(versioned).collect();
    let exports: Vec<String> = exports.into_iter().map(versioned).collect();
    let package = format!("wasmfit:{name}");
    let mut wit = format!(
        "// The minimal world for service `{}`, derived by wasmfit from its findings.\n\
         // Build against it, then check: wasm-tools component targets wit {name}.wasm\n\
         package {package};\n\nworld {name} {{\n",
        comment(&service.name)
    );
    for i in &imports {
        wit.push_str(&format!("  import {i};\n"));
    }
    for e in &exports {
        wit.push_str(&format!("  export {e};\n"));
    }
    wit.push_str("}\n");
    World {
        package,
        name: name.to_string(),
        imports,
        exports,
        wit,
    }
}

/// A service name inside a `//` comment: one line, printable.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(80)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_wit_identifiers() {
        assert_eq!(ident("flagd-lite"), "flagd-lite");
        assert_eq!(ident("My_Service.v2"), "my-service-v2");
        assert_eq!(ident("2fa"), "x2fa");
        assert_eq!(ident("world"), "world-service");
        assert_eq!(ident("../.."), "service");
    }

    #[test]
    fn drafts_keep_their_version() {
        assert_eq!(
            versioned("wasi:keyvalue/store"),
            "wasi:keyvalue/store@0.2.0-draft"
        );
        assert_eq!(
            versioned("wasi:http/outgoing-handler"),
            "wasi:http/outgoing-handler@0.2.0"
        );
    }
}
