//! What WASI knows about an import or export name: which host grant it
//! needs, which standard world it belongs to, and whether wasmtime can
//! provide it at all.
//!
//! Kept as small tables so a new WASI release is a data change here, not a
//! change to the parser.

/// Core-module import modules that are WASI preview 1.
pub const PREVIEW1_MODULES: &[&str] = &["wasi_snapshot_preview1", "wasi_unstable"];

/// Splits `wasi:http/types@0.2.0` into `("wasi:http/types", Some("0.2.0"))`.
pub fn split_version(name: &str) -> (&str, Option<&str>) {
    match name.split_once('@') {
        Some((n, v)) => (n, Some(v)),
        None => (name, None),
    }
}

/// Whether a name looks like a WIT interface (`ns:pkg/iface`), as opposed to
/// a plain function or type import.
pub fn is_interface(name: &str) -> bool {
    let (n, _) = split_version(name);
    n.split_once(':')
        .is_some_and(|(ns, rest)| !ns.is_empty() && rest.contains('/'))
}

/// What a host must grant (and the wasmtime CLI flag that grants it) for a
/// WASI preview 1 function.
pub fn preview1_grant(func: &str) -> Option<&'static str> {
    Some(match func {
        "args_get" | "args_sizes_get" => "args",
        "environ_get" | "environ_sizes_get" => "env",
        "clock_res_get" | "clock_time_get" | "poll_oneoff" => "clocks",
        "random_get" => "random",
        "proc_exit" => "exit",
        "sock_accept" | "sock_recv" | "sock_send" | "sock_shutdown" => "network",
        "fd_read"
        | "fd_write"
        | "fd_close"
        | "fd_seek"
        | "fd_fdstat_get"
        | "fd_fdstat_set_flags"
        | "fd_sync"
        | "fd_tell" => "stdio",
        f if f.starts_with("path_") || f.starts_with("fd_") => "filesystem",
        _ => return None,
    })
}

/// The grant a WASI 0.2 interface needs, from its unversioned name.
pub fn interface_grant(iface: &str) -> Option<&'static str> {
    let (pkg, name) = iface.split_once('/')?;
    Some(match (pkg, name) {
        ("wasi:filesystem", _) => "filesystem",
        ("wasi:sockets", "ip-name-lookup") => "dns",
        ("wasi:sockets", _) => "network",
        ("wasi:http", "outgoing-handler") => "outbound-http",
        ("wasi:http", "incoming-handler") => "inbound-http",
        ("wasi:cli", "environment") => "env",
        ("wasi:cli", "exit") => "exit",
        ("wasi:cli", n) if n.starts_with("terminal") || n.starts_with("std") => "stdio",
        ("wasi:clocks", _) => "clocks",
        ("wasi:random", _) => "random",
        ("wasi:keyvalue", _) => "keyvalue",
        ("wasi:config", _) => "config",
        ("wasi:nn", _) => "nn",
        ("wasi:tls", _) => "tls",
        _ => return None,
    })
}

/// How the wasmtime CLI gives a guest each grant; `None` when it always does.
pub fn grant_flag(grant: &str) -> Option<&'static str> {
    Some(match grant {
        "filesystem" => "--dir HOST_DIR::GUEST_DIR (preopened directories only)",
        "network" => "-S inherit-network (wasi:sockets) or --tcplisten ADDR (preview 1 sockets)",
        "dns" => "-S allow-ip-name-lookup",
        "outbound-http" => "-S http (wasmtime run) or wasmtime serve",
        "inbound-http" => "wasmtime serve --addr ADDR",
        "env" => "--env NAME=VALUE or -S inherit-env",
        "keyvalue" => "-S keyvalue (experimental)",
        "config" => "-S config (experimental)",
        "nn" => "-S nn (experimental)",
        "tls" => "-S tls (experimental)",
        _ => return None,
    })
}

/// Interfaces (unversioned) the `wasi:cli/command` world imports in WASI 0.2.
const CLI_IMPORTS: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/ip-name-lookup",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
];

/// Interfaces (unversioned) the `wasi:http/proxy` world imports in WASI 0.2.
const PROXY_IMPORTS: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:http/types",
    "wasi:http/outgoing-handler",
];

/// The standard worlds, by the export that defines them.
pub const WORLDS: &[(&str, &str, &[&str])] = &[
    ("wasi:cli/run", "wasi:cli/command", CLI_IMPORTS),
    (
        "wasi:http/incoming-handler",
        "wasi:http/proxy",
        PROXY_IMPORTS,
    ),
];

/// Whether `wasmtime run` (with `-S http`) or `wasmtime serve` provides an
/// interface: every WASI 0.2 interface of the cli and http worlds.
pub fn wasmtime_provides(iface: &str) -> bool {
    CLI_IMPORTS.contains(&iface) || PROXY_IMPORTS.contains(&iface)
}

/// Which host can satisfy an import wasmtime does not provide out of the
/// box, and why. `None` when wasmtime provides it.
pub fn host_of_interface(iface: &str) -> Option<&'static str> {
    if wasmtime_provides(iface) {
        return None;
    }
    let ns = iface.split(':').next().unwrap_or("");
    Some(match ns {
        "wasi" => match interface_grant(iface).and_then(grant_flag) {
            Some(f) if f.contains("experimental") => "wasmtime, experimental (see grant flag)",
            _ => "a host implementing this WASI proposal (not in wasmtime's CLI)",
        },
        "fermyon" | "spin" => "Spin",
        "wasmcloud" => "wasmCloud",
        "wasmedge" => "WasmEdge",
        _ => "a custom host (your own embedding must implement it)",
    })
}

/// Which host can satisfy a core-module import outside WASI preview 1.
pub fn host_of_core_import(module: &str, name: &str, shared_memory: bool) -> &'static str {
    match (module, name) {
        ("wasi", "thread-spawn") => {
            "wasmtime, experimental: -S threads (wasi-threads, core modules only)"
        }
        ("env", "memory") if shared_memory => {
            "wasmtime, experimental: -S threads (imported shared memory)"
        }
        ("env", "memory") => "none: an imported memory the embedder must create",
        ("env", n)
            if n.starts_with("emscripten_")
                || n.starts_with("__syscall")
                || n.starts_with("invoke_") =>
        {
            "none: Emscripten JavaScript glue"
        }
        ("env", _) => "none: embedder-defined host function (Emscripten or custom)",
        ("GOT.mem" | "GOT.func", _) => "none: dynamic linking (dylink side module)",
        (m, _) if m.contains("wbindgen") || m.ends_with(".js") || m == "wbg" => {
            "none: wasm-bindgen JavaScript glue (browser/Node target, not WASI)"
        }
        _ => "none: custom host module",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables() {
        assert_eq!(
            split_version("wasi:http/types@0.2.3"),
            ("wasi:http/types", Some("0.2.3"))
        );
        assert!(is_interface("wasi:cli/run@0.2.0"));
        assert!(!is_interface("env"));
        assert!(!is_interface("run"));
        assert_eq!(preview1_grant("path_open"), Some("filesystem"));
        assert_eq!(preview1_grant("fd_prestat_get"), Some("filesystem"));
        assert_eq!(preview1_grant("fd_write"), Some("stdio"));
        assert_eq!(interface_grant("wasi:sockets/tcp"), Some("network"));
        assert_eq!(interface_grant("wasi:io/streams"), None);
        assert!(host_of_interface("wasi:http/outgoing-handler").is_none());
        assert_eq!(host_of_interface("fermyon:spin/key-value"), Some("Spin"));
        assert!(host_of_core_import("env", "emscripten_memcpy_js", false).starts_with("none"));
    }
}
