//! Code that runs on one operating system only: the body of `if
//! sys.platform == "win32":` in Python, of `if (process.platform ===
//! 'darwin') {` in JavaScript and TypeScript, `if runtime.GOOS ==
//! "windows" {` in Go, `if cfg!(target_os = "macos") {` in Rust.
//!
//! A service in a Linux container never runs a Windows or macOS branch.
//! A Wasm port does not run a Linux branch either (CPython reports
//! `sys.platform == "wasi"`, Go `GOOS=wasip1`), and a branch picked by
//! platform means the code has a path without it. Either way the branch is
//! not what the port must replace. This module only reads one file; the
//! scan gives the hits inside such spans their context
//! (`analyze::optional_code::platform_only`).

use crate::model::language::Language;
use crate::parse::lex::CodeView;
use crate::parse::switches::{end_of_block, only_exit, Indented};
use regex::Regex;
use std::sync::LazyLock;

/// Lines (1-based, inclusive) that run only on `platform`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformGate {
    pub first: u32,
    pub last: u32,
    /// The test that picks the platform.
    pub line: u32,
    /// As the code names it: `win32`, `darwin`, `nt`, `linux`.
    pub platform: String,
    /// Linux: the container runs it, a Wasm port does not.
    pub linux: bool,
}

impl PlatformGate {
    pub fn holds(&self, line: u32) -> bool {
        (self.first..=self.last).contains(&line)
    }

    /// Why the evidence inside is not counted.
    pub fn reason(&self) -> String {
        if self.linux {
            format!(
                "runs only on Linux (line {}): a Wasm port takes the code's other path",
                self.line
            )
        } else {
            format!(
                "runs only on {} (line {}): never in a Linux container or a Wasm port",
                self.platform, self.line
            )
        }
    }
}

/// `if sys.platform == "win32":`, `elif sys.platform.startswith("linux"):`,
/// `if os.name == 'nt':`, `if platform.system() == "Darwin":` on one line.
static PY_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(?:el)?if[ \t]+\(?[ \t]*(?:sys\.platform[ \t]*==[ \t]*|sys\.platform\.startswith\([ \t]*|os\.name[ \t]*==[ \t]*|platform\.system\(\)[ \t]*==[ \t]*)["']([A-Za-z0-9_]+)["'][ \t]*\)?[ \t]*\)?[ \t]*:[ \t]*(?:#.*)?$"#,
    )
    .expect("python platform test")
});

/// `if (process.platform === 'win32') {`, `if (os.platform() == "darwin") {`.
static JS_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bif[ \t]*\([ \t]*(?:process\.platform|(?:os\.)?platform\(\))[ \t]*===?[ \t]*["'`]([A-Za-z0-9_]+)["'`][ \t]*\)[ \t]*\{"#,
    )
    .expect("js platform test")
});

/// `if runtime.GOOS == "windows" {`.
static GO_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bif[ \t]+runtime\.GOOS[ \t]*==[ \t]*"([A-Za-z0-9_]+)"[ \t]*\{"#)
        .expect("go platform test")
});

/// `if cfg!(windows) {`, `if cfg!(target_os = "macos") {`.
static RUST_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bif[ \t]+cfg!\([ \t]*(?:target_os[ \t]*=[ \t]*"([A-Za-z0-9_]+)"|(windows))[ \t]*\)[ \t]*\{"#,
    )
    .expect("rust platform test")
});

/// Which platform a name means: `Some(true)` for Linux, `Some(false)` for
/// another system, `None` for a name that also holds on WASI (`posix`,
/// `wasi`) or is unknown.
fn linux(name: &str) -> Option<bool> {
    match name.to_ascii_lowercase().as_str() {
        "linux" | "linux2" => Some(true),
        "win32" | "windows" | "nt" | "cygwin" | "msys" | "darwin" | "macos" | "freebsd"
        | "openbsd" | "netbsd" | "aix" | "sunos" | "android" | "ios" => Some(false),
        _ => None,
    }
}

/// The platform-only spans of a Python file. `text` is the raw file (the
/// platform names are string literals, which `code` blanks); `code` tells
/// a test from a line inside a docstring, and its indentation the block.
pub fn python(text: &str, view: &Indented) -> Vec<PlatformGate> {
    let code = view.code();
    if !code.contains("platform") && !code.contains("os.name") {
        return Vec::new();
    }
    let lines = view.lines();
    let raw: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some((indent, stmt)) = *l else {
            continue;
        };
        if !stmt.starts_with("if") && !stmt.starts_with("elif")
            || !(stmt.contains("platform") || stmt.contains("os.name"))
        {
            continue;
        }
        let Some(c) = raw.get(i).and_then(|r| PY_TEST.captures(r.trim())) else {
            continue;
        };
        let Some(is_linux) = linux(&c[1]) else {
            continue;
        };
        let end = end_of_block(lines, i + 1, indent);
        if end <= i + 1 {
            continue;
        }
        // A Linux branch whose alternative only fails is what the service
        // needs: there is no other path.
        if is_linux && alternative_fails(lines, end, indent) {
            continue;
        }
        out.push(PlatformGate {
            first: i as u32 + 2,
            last: end as u32,
            line: i as u32 + 1,
            platform: c[1].to_string(),
            linux: is_linux,
        });
    }
    out
}

/// Whether the `else:` that ends the `elif` chain after a block (ending
/// before `at`, at `indent`) only raises or returns: then no other system
/// gets past the test.
fn alternative_fails(lines: &[Option<(usize, &str)>], mut at: usize, indent: usize) -> bool {
    loop {
        while matches!(lines.get(at), Some(None)) {
            at += 1;
        }
        match lines.get(at).copied().flatten() {
            Some((n, t)) if n == indent && t.starts_with("elif") => {
                at = end_of_block(lines, at + 1, indent);
            }
            Some((n, "else:")) if n == indent => {
                let end = end_of_block(lines, at + 1, indent);
                return only_exit(&lines[at + 1..end]);
            }
            _ => return false,
        }
    }
}

/// The platform-only `{...}` blocks of a JavaScript, TypeScript, Go or Rust
/// file.
pub fn braced(text: &str, view: &CodeView) -> Vec<PlatformGate> {
    let re: &Regex = match view.language {
        Language::JavaScript | Language::TypeScript => &JS_TEST,
        Language::Go => &GO_TEST,
        Language::Rust => &RUST_TEST,
        _ => return Vec::new(),
    };
    if !view.code.contains("platform") && !view.code.contains("GOOS") && !view.code.contains("cfg!")
    {
        return Vec::new();
    }
    let code = view.code.as_bytes();
    let mut out = Vec::new();
    for c in re.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let Some(name) = c.get(1).or_else(|| c.get(2)).map(|m| m.as_str()) else {
            continue;
        };
        // The test is code, not text in a comment or a string.
        if code.get(whole.start()..whole.start() + 2) != Some(b"if") {
            continue;
        }
        let Some(is_linux) = linux(name) else {
            continue;
        };
        let end = crate::parse::block_end(code, whole.end(), code.len());
        let (line, last) = (
            view.line_of(whole.start()),
            view.line_of(end.saturating_sub(1)),
        );
        if last <= line {
            continue;
        }
        out.push(PlatformGate {
            first: line + 1,
            last,
            line,
            platform: name.to_string(),
            linux: is_linux,
        });
    }
    out
}

/// `#[cfg(windows)]`, `#[cfg(target_os = "macos")]`, `#[cfg(any(windows,
/// target_vendor = "apple"))]`: the item after it is built for those
/// systems only.
static RUST_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"#\[cfg\((?:any\()?([^\]\n]*?)\)?\)\]"#).expect("rust cfg attribute")
});

/// One predicate of a `cfg` attribute: the system it names, `None` for
/// anything else (`unix`, `feature = "x"`, `not(...)`: `not(unix)` holds
/// on WASI).
fn rust_system(pred: &str) -> Option<&str> {
    let pred = pred.trim();
    if pred == "windows" {
        return Some("windows");
    }
    let (key, value) = pred.split_once('=')?;
    let value = value.trim().trim_matches('"');
    match key.trim() {
        "target_os" | "target_family" => Some(value),
        "target_vendor" if value == "apple" => Some("macos"),
        _ => None,
    }
}

/// The items of a Rust file that `#[cfg(...)]` builds only for systems
/// other than Linux (and WASI): their evidence never ships in a Linux
/// image or a Wasm port.
pub fn rust_items(text: &str, view: &CodeView) -> Vec<PlatformGate> {
    if !view.code.contains("#[cfg(") {
        return Vec::new();
    }
    let code = view.code.as_bytes();
    let mut out = Vec::new();
    for c in RUST_ATTR.captures_iter(text) {
        let whole = c.get(0).expect("match");
        if code.get(whole.start()) != Some(&b'#') {
            continue;
        }
        let systems: Option<Vec<&str>> = c[1].split(',').map(rust_system).collect();
        let Some(systems) = systems.filter(|s| !s.is_empty()) else {
            continue;
        };
        if systems.iter().any(|s| linux(s) != Some(false)) {
            continue;
        }
        // The item: up to its `;` or through its `{...}` body.
        let rest = &code[whole.end()..];
        let Some(stop) = rest.iter().position(|&b| b == b'{' || b == b';') else {
            continue;
        };
        let end = if rest[stop] == b'{' {
            crate::parse::block_end(code, whole.end() + stop + 1, code.len())
        } else {
            whole.end() + stop + 1
        };
        let line = view.line_of(whole.start());
        out.push(PlatformGate {
            first: line,
            last: view.line_of(end.saturating_sub(1)),
            line,
            platform: systems.join(", "),
            linux: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::language::Language;

    fn py(src: &str) -> Vec<(u32, u32, String, bool)> {
        let view = crate::parse::lex::lex(Language::Python, src);
        python(src, &Indented::new(&view.code))
            .into_iter()
            .map(|g| (g.first, g.last, g.platform, g.linux))
            .collect()
    }

    fn braces(lang: Language, src: &str) -> Vec<(u32, u32, String, bool)> {
        let view = crate::parse::lex::lex(lang, src);
        braced(src, &view)
            .into_iter()
            .map(|g| (g.first, g.last, g.platform, g.linux))
            .collect()
    }

    #[test]
    fn python_branches_for_one_system() {
        let src = "import sys\nif sys.platform == \"win32\":\n    import ctypes\n    k = ctypes.WinDLL('kernel32')\nelse:\n    import fcntl\n\nif sys.platform == 'linux':\n    import ctypes\n    r = ctypes.CDLL(None).renameat2\n\ndef f():\n    if os.name == 'nt':\n        os.startfile(p)\n    elif sys.platform.startswith('darwin'):\n        subprocess.run(['open', p])\n";
        assert_eq!(
            py(src),
            vec![
                (3, 4, "win32".to_string(), false),
                (9, 10, "linux".to_string(), true),
                (14, 14, "nt".to_string(), false),
                (16, 16, "darwin".to_string(), false),
            ]
        );
    }

    #[test]
    fn python_tests_that_do_not_pick_a_foreign_branch() {
        // The other branch, a name WASI shares, a docstring, an else that
        // fails without Linux.
        let src = "if sys.platform != 'win32':\n    import fcntl\nif os.name == 'posix':\n    import fcntl\n\"\"\"\nif sys.platform == 'win32':\n    x = 1\n\"\"\"\nif sys.platform == 'linux':\n    import pyinotify\nelse:\n    raise RuntimeError('Linux only')\n";
        assert!(py(src).is_empty(), "{:?}", py(src));
        // Through an `elif` for another system to the failing `else:`: the
        // Linux branch stays, the macOS one is that system's.
        let src = "if sys.platform == 'linux':\n    import pyinotify\nelif sys.platform == 'darwin':\n    import fsevents\nelse:\n    raise RuntimeError('Linux or macOS')\n";
        assert_eq!(py(src), vec![(4, 4, "darwin".to_string(), false)]);
    }

    #[test]
    fn javascript_branches_for_one_system() {
        let src = "const cp = require('child_process');\nif (process.platform === 'win32') {\n  cp.execSync('taskkill /pid ' + pid);\n}\n// if (process.platform === 'darwin') {\nif (process.platform !== 'win32') {\n  x();\n}\n";
        assert_eq!(
            braces(Language::JavaScript, src),
            vec![(3, 4, "win32".to_string(), false)]
        );
    }

    #[test]
    fn go_and_rust_branches_for_one_system() {
        let go = "func open(p string) error {\n\tif runtime.GOOS == \"windows\" {\n\t\treturn exec.Command(\"cmd\", \"/c\", \"start\", p).Run()\n\t}\n\tif runtime.GOOS == \"wasip1\" {\n\t\treturn nil\n\t}\n\treturn exec.Command(\"xdg-open\", p).Run()\n}\n";
        assert_eq!(
            braces(Language::Go, go),
            vec![(3, 4, "windows".to_string(), false)]
        );
        let rs = "fn open() {\n    if cfg!(target_os = \"macos\") {\n        Command::new(\"open\").spawn();\n    } else if cfg!(windows) {\n        Command::new(\"cmd\").spawn();\n    }\n}\n";
        let attrs = "#[cfg(windows)]\nimpl From<OwnedSocket> for TcpListener {\n    fn from(s: OwnedSocket) -> Self {\n        TcpListener::from_std(From::from(s))\n    }\n}\n#[cfg(any(target_os = \"macos\", target_os = \"ios\"))]\nuse libc::kqueue;\n#[cfg(not(unix))]\nfn a() { signal(); }\n#[cfg(unix)]\nfn b() { signal(); }\n#[cfg(any(windows, target_os = \"linux\"))]\nfn c() {}\n";
        let view = crate::parse::lex::lex(Language::Rust, attrs);
        let got: Vec<(u32, u32, String)> = rust_items(attrs, &view)
            .into_iter()
            .map(|g| (g.first, g.last, g.platform))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, 6, "windows".to_string()),
                (7, 8, "macos, ios".to_string())
            ]
        );
        assert_eq!(
            braces(Language::Rust, rs),
            vec![
                (3, 4, "macos".to_string(), false),
                (5, 6, "windows".to_string(), false)
            ]
        );
    }
}
