//! Whether a Cargo `[target.X.dependencies]` table applies to the service.
//!
//! The service runs in a Linux container today and as a Wasm component
//! tomorrow; neither builds the dependencies of a `cfg(windows)` or an
//! `x86_64-apple-darwin` table, while a `cfg(target_os = "wasi")` table is
//! the Wasm build's own. A table applies when it may apply to either build.
//! `cfg` expressions are evaluated in three-valued logic: a predicate wasmfit
//! cannot decide (`feature = "x"`, a custom `--cfg`, the CPU) is unknown, and
//! unknown counts as "applies", so a dependency is only set aside when the
//! expression is surely false for both.

/// The two builds a service has.
#[derive(Clone, Copy, PartialEq)]
enum Build {
    /// A Linux container (x86_64 or aarch64, glibc or musl).
    Linux,
    /// wasm32-wasip1/wasip2 (or wasm32-unknown-unknown).
    Wasm,
}

/// Whether `key` (a `cfg(...)` expression or a target triple) may apply to
/// the Linux or the Wasm build.
pub(crate) fn applies_to_service(key: &str) -> bool {
    applies(key, Build::Linux) || applies(key, Build::Wasm)
}

fn applies(key: &str, build: Build) -> bool {
    let key = key.trim();
    match key.strip_prefix("cfg(").and_then(|k| k.strip_suffix(')')) {
        Some(expr) => {
            let mut p = Parser {
                s: expr.as_bytes(),
                i: 0,
                depth: 0,
                bad: false,
                build,
            };
            let v = p.expr();
            p.skip_ws();
            // Not understood, so it may apply.
            if p.bad || p.i != p.s.len() {
                return true;
            }
            v != Some(false)
        }
        None => triple(key, build) != Some(false),
    }
}

/// Whether a target triple names this build, another one, or is unknown.
fn triple(t: &str, build: Build) -> Option<bool> {
    let t = t.to_ascii_lowercase();
    let wasm = t.starts_with("wasm32") || t.starts_with("wasm64");
    if build == Build::Wasm || wasm {
        return Some(build == Build::Wasm && wasm);
    }
    if t.contains("linux") && !t.contains("android") {
        return Some(true);
    }
    OTHER_OS
        .iter()
        .chain(&["apple", "darwin", "none"])
        .any(|o| t.contains(o))
        .then_some(false)
}

/// `target_os` values of neither build.
const OTHER_OS: [&str; 24] = [
    "windows",
    "macos",
    "ios",
    "tvos",
    "watchos",
    "visionos",
    "android",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "solaris",
    "illumos",
    "haiku",
    "redox",
    "fuchsia",
    "emscripten",
    "hermit",
    "uefi",
    "vxworks",
    "horizon",
    "espidf",
    "aix",
    "hurd",
];

/// The value of one `cfg` predicate for `build`, or None when unknown.
fn predicate(build: Build, name: &str, value: Option<&str>) -> Option<bool> {
    let linux = build == Build::Linux;
    match (name, value) {
        ("unix", None) => Some(linux),
        ("windows", None) => Some(false),
        ("target_family", Some(v)) => Some(if linux { v == "unix" } else { v == "wasm" }),
        ("target_os", Some(v)) => match v {
            "linux" => Some(linux),
            "wasi" => Some(!linux),
            "unknown" | "none" if !linux => None,
            v if OTHER_OS.contains(&v) || v == "unknown" || v == "none" => Some(false),
            _ => None,
        },
        ("target_vendor", Some("apple" | "pc" | "fortanix")) => Some(false),
        ("target_env", Some(v)) => match v {
            "gnu" | "musl" if linux => None,
            "gnu" | "musl" | "msvc" | "sgx" => Some(false),
            _ => None,
        },
        ("target_arch", Some(v)) => {
            if v.starts_with("wasm") {
                Some(!linux)
            } else if linux {
                None
            } else {
                Some(false)
            }
        }
        _ => None,
    }
}

/// Recursive descent over `all(..)`, `any(..)`, `not(..)`, `name` and
/// `name = "value"`, nesting bounded.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
    /// A syntax error or nesting beyond `MAX_DEPTH`.
    bad: bool,
    build: Build,
}

const MAX_DEPTH: usize = 32;

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.skip_ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> &str {
        self.skip_ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i]).unwrap_or("")
    }

    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != b'"' {
            self.i += 1;
        }
        let v = std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .to_string();
        self.i = (self.i + 1).min(self.s.len());
        Some(v)
    }

    /// The expression's value; a syntax error sets `bad`.
    fn expr(&mut self) -> Option<bool> {
        let name = self.ident().to_string();
        if name.is_empty() || self.depth > MAX_DEPTH {
            self.bad = true;
            return None;
        }
        if matches!(name.as_str(), "all" | "any" | "not") && self.eat(b'(') {
            self.depth += 1;
            let mut vals = Vec::new();
            if !self.eat(b')') {
                loop {
                    vals.push(self.expr());
                    if self.bad {
                        break;
                    }
                    if self.eat(b',') {
                        // A trailing comma before `)` is allowed.
                        if self.eat(b')') {
                            break;
                        }
                        continue;
                    }
                    if !self.eat(b')') {
                        self.bad = true;
                    }
                    break;
                }
            }
            self.depth -= 1;
            if self.bad {
                return None;
            }
            return match name.as_str() {
                "all" => {
                    if vals.contains(&Some(false)) {
                        Some(false)
                    } else if vals.iter().all(|v| *v == Some(true)) {
                        Some(true)
                    } else {
                        None
                    }
                }
                "any" => {
                    if vals.contains(&Some(true)) {
                        Some(true)
                    } else if vals.iter().all(|v| *v == Some(false)) {
                        Some(false)
                    } else {
                        None
                    }
                }
                _ => match vals.as_slice() {
                    [v] => v.map(|b| !b),
                    _ => None,
                },
            };
        }
        let value = if self.eat(b'=') { self.string() } else { None };
        predicate(self.build, &name, value.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::applies_to_service as applies;

    #[test]
    fn cfg_expressions() {
        for (key, want) in [
            ("cfg(unix)", true),
            ("cfg(windows)", false),
            ("cfg(not(windows))", true),
            ("cfg(target_os = \"linux\")", true),
            ("cfg(target_os = \"macos\")", false),
            (
                "cfg(any(target_os = \"macos\", target_os = \"ios\"))",
                false,
            ),
            (
                "cfg(any(target_os = \"macos\", target_os = \"linux\"))",
                true,
            ),
            ("cfg(all(unix, not(target_os = \"macos\")))", true),
            ("cfg(all(windows, target_env = \"msvc\"))", false),
            // The Wasm build's own dependencies.
            ("cfg(target_arch = \"wasm32\")", true),
            ("cfg(target_os = \"wasi\")", true),
            (
                "cfg(all(target_arch = \"wasm32\", target_os = \"unknown\"))",
                true,
            ),
            ("cfg(all(target_arch = \"wasm32\", windows))", false),
            ("cfg(any(windows, target_os = \"wasi\"))", true),
            ("cfg(target_vendor = \"pc\")", false),
            ("cfg(not(target_arch = \"wasm32\"))", true),
            ("cfg(target_family = \"wasm\")", true),
            ("cfg(tokio_unstable)", true),
            ("cfg(all(feature = \"x\", windows))", false),
            ("cfg(any(feature = \"x\", windows))", true),
            ("cfg(target_vendor = \"apple\")", false),
            ("cfg(all(", true),
            ("cfg(not(unix)", true),
            ("cfg(", true),
            ("x86_64-pc-windows-msvc", false),
            ("aarch64-apple-darwin", false),
            ("x86_64-unknown-linux-gnu", true),
            ("wasm32-wasip2", true),
            ("cfg(target_env = \"msvc\")", false),
            ("riscv64gc-unknown-custom", true),
        ] {
            assert_eq!(applies(key), want, "{key}");
        }
        let deep = format!("cfg({}unix{})", "not(".repeat(500), ")".repeat(500));
        assert!(applies(&deep));
    }
}
