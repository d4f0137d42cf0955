//! Operator switches in Python services: settings that turn a feature on
//! (`SHELL_ENABLED = envbool("SHELL_ENABLED", "False")` in a Django
//! settings module), and the code that runs only while one is on (`if not
//! settings.SHELL_ENABLED: raise ...` ahead of the rest of a function, or
//! the body of `if settings.SHELL_ENABLED:`).
//!
//! This module only reads one file; `analyze::switches` decides, once
//! every file is read, which settings the tree leaves off by default.

use std::sync::LazyLock;

use regex::Regex;

/// A module-level assignment of an upper-case name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    pub line: u32,
    /// Its value is off unless the environment says otherwise: `False`,
    /// or a lookup whose default is `False`, `"false"`, `"0"`, `"no"`,
    /// `"off"`. Anything else (a number, `True`, a computed value) is not.
    pub off: bool,
}

/// Lines (1-based, inclusive) that run only while a setting is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    pub first: u32,
    pub last: u32,
    pub name: String,
    /// The `if` that gates them.
    pub line: u32,
}

/// `NAME = value` or `NAME: type = value` at the start of a line.
static ASSIGN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Z][A-Z0-9_]*)[ \t]*(?::[^=\n]*)?=[ \t]*([^=\n].*)$").expect("setting")
});
/// `if settings.NAME:` / `if not settings.NAME:` / `if settings.NAME and ...:`.
static IF_SETTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^if[ \t]+(not[ \t]+)?(?:[A-Za-z_][\w.]*\.)?(?:settings|config|conf)\.([A-Z][A-Z0-9_]*)[ \t]*(and\b[^:]*)?:[ \t]*(.*)$",
    )
    .expect("if setting")
});
/// A value that is off: `False`, or a default among the arguments.
static OFF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)^False$|[(,][ \t]*(?:default[ \t]*=[ \t]*)?(?:False|"(?:false|0|no|off)"|'(?:false|0|no|off)')[ \t]*[),]"#)
        .expect("off value")
});

/// The upper-case names a file assigns at module level, and whether each
/// value is off by default. The value is read from the raw `text` (the
/// defaults are string literals, which the code view blanks); `code`, the
/// code view of the same bytes, tells an assignment from a line inside a
/// docstring.
pub fn settings(text: &str, code: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let at = offset;
        offset += line.len();
        if !line.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
            || !code.as_bytes().get(at).is_some_and(u8::is_ascii_uppercase)
        {
            continue;
        }
        let Some(c) = ASSIGN.captures(line.trim_end_matches(['\n', '\r'])) else {
            continue;
        };
        let value = c[2].trim_end();
        let value = value.split(" #").next().unwrap_or(value).trim_end();
        out.push(Setting {
            name: c[1].to_string(),
            line: i as u32 + 1,
            off: OFF.is_match(value) && !negates(value) && !numeric(value),
        });
    }
    out
}

/// A number read from the environment: its `"0"` is a count, not a switch.
fn numeric(value: &str) -> bool {
    value.contains("int(") || value.contains("float(")
}

/// Whether a value turns its lookup around (`not env(...)`) or names
/// `True` as a bare word: then a `False` inside it is not the default.
fn negates(value: &str) -> bool {
    let mut outside = String::with_capacity(value.len());
    let mut quote = None;
    for ch in value.chars() {
        match quote {
            Some(q) if ch == q => quote = None,
            Some(_) => {}
            None if ch == '"' || ch == '\'' => quote = Some(ch),
            None => outside.push(ch),
        }
    }
    let negated = crate::parse::words(&outside).any(|w| w == "True" || w == "not");
    negated
}

/// The spans of a Python file's code view (strings and comments blanked)
/// that run only while a setting is on.
pub fn gates(view: &Indented) -> Vec<Gate> {
    let code = view.code();
    if !code.contains("settings.") && !code.contains("config.") && !code.contains("conf.") {
        return Vec::new();
    }
    let lines = view.lines();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some((indent, text)) = *l else {
            continue;
        };
        let Some(c) = IF_SETTING.captures(text) else {
            continue;
        };
        let negated = c.get(1).is_some();
        let name = c[2].to_string();
        let inline = c.get(4).map_or("", |m| m.as_str());
        // The if's own block: the lines after it indented deeper.
        let block_end = end_of_block(lines, i + 1, indent);
        if !negated {
            let (first, last) = if inline.is_empty() {
                (i + 1, block_end)
            } else {
                (i, i + 1)
            };
            if last > first {
                out.push(gate(first, last, &name, i));
            }
            continue;
        }
        // `if not settings.X: raise/return`: the rest of the enclosing
        // block runs only when X is on. An `and` is not an exit for all,
        // and a module does not stop at a raise the way a function does.
        if c.get(3).is_some() || indent == 0 {
            continue;
        }
        let exits = if inline.is_empty() {
            only_exit(&lines[i + 1..block_end])
        } else {
            is_exit(inline)
        };
        if !exits {
            continue;
        }
        let rest_end = end_of_block(lines, block_end, indent.saturating_sub(1));
        if rest_end > block_end {
            out.push(gate(block_end, rest_end, &name, i));
        }
    }
    out
}

fn gate(first: usize, last_exclusive: usize, name: &str, at: usize) -> Gate {
    Gate {
        first: first as u32 + 1,
        last: last_exclusive as u32,
        name: name.to_string(),
        line: at as u32 + 1,
    }
}

/// A Python code view and its lines with their indentation, split the
/// first time a pass needs them: the passes over one file (optional
/// imports, platform branches, setting gates) share one split, and a file
/// none of them gets past its literal check for is never split.
pub struct Indented<'a> {
    code: &'a str,
    lines: std::cell::OnceCell<Vec<Option<(usize, &'a str)>>>,
}

impl<'a> Indented<'a> {
    pub fn new(code: &'a str) -> Indented<'a> {
        Indented {
            code,
            lines: std::cell::OnceCell::new(),
        }
    }

    pub fn code(&self) -> &'a str {
        self.code
    }

    pub fn lines(&self) -> &[Option<(usize, &'a str)>] {
        self.lines.get_or_init(|| indented_lines(self.code))
    }
}

/// (indent, text) of each non-blank line of a code view; None for blank
/// ones.
pub(crate) fn indented_lines(code: &str) -> Vec<Option<(usize, &str)>> {
    code.lines()
        .map(|l| {
            let t = l.trim_start();
            (!t.trim_end().is_empty()).then(|| (l.len() - t.len(), t.trim_end()))
        })
        .collect()
}

/// The index past the last line, from `from`, that is blank or indented
/// deeper than `indent` (trailing blank lines excluded).
pub(crate) fn end_of_block(lines: &[Option<(usize, &str)>], from: usize, indent: usize) -> usize {
    let mut end = from;
    for (j, l) in lines.iter().enumerate().skip(from) {
        match l {
            None => continue,
            Some((n, _)) if *n > indent => end = j + 1,
            Some(_) => break,
        }
    }
    end
}

/// A block that holds one `raise` or `return` and its continuation lines.
pub(crate) fn only_exit(block: &[Option<(usize, &str)>]) -> bool {
    let mut body = block.iter().flatten();
    let Some((indent, first)) = body.next() else {
        return false;
    };
    is_exit(first) && body.all(|(n, t)| n > indent || t.starts_with([')', ']', '}']))
}

fn is_exit(stmt: &str) -> bool {
    ["raise", "return"].iter().any(|k| {
        stmt == *k
            || stmt
                .strip_prefix(k)
                .is_some_and(|r| r.starts_with([' ', '(']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn off(text: &str) -> Vec<(String, bool)> {
        let code = crate::parse::lex::lex(crate::model::language::Language::Python, text).code;
        settings(text, &code)
            .into_iter()
            .map(|s| (s.name, s.off))
            .collect()
    }

    #[test]
    fn defaults_that_are_off() {
        let text = "SHELL_ENABLED = envbool(\"SHELL_ENABLED\", \"False\")\n\
                    DEBUG = False\n\
                    PDF = env.bool('PDF', default=False)\n\
                    LEGACY = os.getenv(\"LEGACY\", \"0\") == \"1\"\n\
                    SIGNUP: bool = os.environ.get('SIGNUP', 'false').lower() == 'true'\n";
        assert!(off(text).iter().all(|(_, o)| *o), "{:?}", off(text));
        assert_eq!(off(text).len(), 5);
    }

    #[test]
    fn defaults_that_are_not_off() {
        let text = "REGISTRATION_OPEN = envbool(\"REGISTRATION_OPEN\", \"True\")\n\
                    DEBUG = True\n\
                    WORKERS = int(os.getenv(\"WORKERS\", \"0\")) or 4\n\
                    STRICT = not env.bool('LAX', default=False)\n\
                    PORT = 8000\n\
                    HOOKS = os.environ.get('HOOKS')\n\
                    X == False\n\
                    lower = False\n\
                    \"\"\"\nIN_DOCSTRING = False\n\"\"\"\n";
        let got = off(text);
        assert!(got.iter().all(|(_, o)| !*o), "{got:?}");
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "REGISTRATION_OPEN",
                "DEBUG",
                "WORKERS",
                "STRICT",
                "PORT",
                "HOOKS"
            ]
        );
    }

    #[test]
    fn an_early_exit_gates_the_rest_of_the_function() {
        let code = "def notify(self):\n\
                    \x20   if not settings.SHELL_ENABLED:\n\
                    \x20       raise TransportError(\n\
                    \x20           \"off\"\n\
                    \x20       )\n\
                    \n\
                    \x20   code = os.system(cmd)\n\
                    \x20   return code\n\
                    \n\
                    def other():\n\
                    \x20   os.system(cmd)\n";
        let g = gates(&Indented::new(code));
        assert_eq!(
            g,
            [Gate {
                first: 6,
                last: 8,
                name: "SHELL_ENABLED".into(),
                line: 2
            }]
        );
    }

    #[test]
    fn an_if_block_and_a_one_line_if_are_gated() {
        let code = "if settings.DEBUG:\n    run()\n    more()\nelse:\n    other()\n\
                    if conf.PROFILE: start()\n";
        let g = gates(&Indented::new(code));
        assert_eq!(g.len(), 2);
        assert_eq!((g[0].first, g[0].last, g[0].name.as_str()), (2, 3, "DEBUG"));
        assert_eq!(
            (g[1].first, g[1].last, g[1].name.as_str()),
            (6, 6, "PROFILE")
        );
    }

    #[test]
    fn checks_that_do_not_gate() {
        // Not an exit: the function goes on either way.
        let a = "def f():\n    if not settings.X:\n        log()\n    os.system(c)\n";
        // An `and` makes the exit conditional on more than the setting.
        let b = "def f():\n    if not settings.X and y:\n        return\n    os.system(c)\n";
        // Work after the exit inside the block.
        let c = "def f():\n    if not settings.X:\n        return\n        cleanup()\n    os.system(c)\n";
        // A lower-case attribute is not a setting.
        let d = "if settings.enabled:\n    run()\n";
        // An `or` does not gate.
        let e = "if settings.X or y:\n    run()\n";
        for code in [a, b, c, d, e] {
            assert!(gates(&Indented::new(code)).is_empty(), "{code}");
        }
    }
}
