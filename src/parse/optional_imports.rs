//! Python imports a module can run without: the body of a `try:` whose
//! `except ImportError:` (or `ModuleNotFoundError`) carries on instead of
//! failing.
//!
//! ```python
//! try:
//!     from watchdog.observers import Observer
//!     ENABLE_CACHING = True
//! except ImportError:
//!     ENABLE_CACHING = False
//! ```
//!
//! The package is an extra the service works without (a cache, a faster
//! parser, a file watcher), so what it brings is not something the port
//! has to replace. This module only reads one file's code view; the scan
//! decides which hits that lowers
//! (`analyze::optional_code::guarded_imports`).

use crate::parse::switches::{end_of_block, Indented};

/// The lines (1-based, inclusive) of a `try:` body whose imports are
/// optional, and the names those imports bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guarded {
    pub first: u32,
    pub last: u32,
    /// The `except` line that lets the import fail.
    pub handler: u32,
    /// Names the body's imports bind (`Observer`, `np`, `watchdog`).
    pub names: Vec<String>,
}

impl Guarded {
    pub fn holds(&self, line: u32) -> bool {
        (self.first..=self.last).contains(&line)
    }
}

/// The optional-import spans of a Python file's code view (strings and
/// comments blanked, so a `try:` in a docstring is not one).
pub fn python(view: &Indented) -> Vec<Guarded> {
    let code = view.code();
    if !code.contains("ImportError") && !code.contains("ModuleNotFoundError") {
        return Vec::new();
    }
    let lines = view.lines();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some((indent, "try:")) = *l else {
            continue;
        };
        let body_end = end_of_block(lines, i + 1, indent);
        if body_end <= i + 1 {
            continue;
        }
        // The handlers follow at the try's own indentation.
        let mut at = body_end;
        let mut handler = None;
        loop {
            while matches!(lines.get(at), Some(None)) {
                at += 1;
            }
            let Some(Some((n, text))) = lines.get(at).copied() else {
                break;
            };
            if n != indent || !text.starts_with("except") {
                break;
            }
            let end = end_of_block(lines, at + 1, indent);
            if catches_import_error(text) && !fails(&lines[at + 1..end]) {
                handler = Some(at);
            }
            at = end;
        }
        let Some(handler) = handler else {
            continue;
        };
        let names: Vec<String> = lines[i + 1..body_end]
            .iter()
            .flatten()
            .flat_map(|(_, t)| bound_names(t))
            .collect();
        if names.is_empty() {
            continue;
        }
        out.push(Guarded {
            first: i as u32 + 2,
            last: body_end as u32,
            handler: handler as u32 + 1,
            names,
        });
    }
    out
}

/// `except ImportError:`, `except (ImportError, OSError) as e:`,
/// `except ModuleNotFoundError:`.
fn catches_import_error(clause: &str) -> bool {
    crate::parse::words(clause).any(|w| w == "ImportError" || w == "ModuleNotFoundError")
}

/// A handler that stops the program anyway (`raise`, `sys.exit(...)`)
/// does not make the import optional.
fn fails(body: &[Option<(usize, &str)>]) -> bool {
    body.iter().flatten().any(|(_, t)| {
        t.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .any(|w| matches!(w, "raise" | "exit" | "sys.exit" | "os._exit" | "quit"))
    })
}

/// The names an import statement binds: `from a.b import C, D as E` binds
/// `C` and `E`; `import a.b` binds `a`; `import a.b as c` binds `c`.
/// Anything else binds nothing.
fn bound_names(stmt: &str) -> Vec<String> {
    let stmt = stmt.trim_end_matches(['\\', ' ']);
    let list = if let Some(rest) = stmt.strip_prefix("from ") {
        match rest.split_once(" import ") {
            Some((_, names)) => names,
            None => return Vec::new(),
        }
    } else if let Some(rest) = stmt.strip_prefix("import ") {
        rest
    } else {
        return Vec::new();
    };
    list.trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace())
        .split(',')
        .filter_map(|item| {
            let mut words = item.split_whitespace();
            let first = words.next()?;
            let name = match (words.next(), words.next()) {
                (Some("as"), Some(alias)) => alias,
                _ => first.split('.').next().unwrap_or(first),
            };
            (name != "*" && crate::parse::leading_ident(name) == Some(name))
                .then(|| name.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(code: &str) -> Vec<(u32, u32, Vec<String>)> {
        python(&Indented::new(code))
            .into_iter()
            .map(|g| (g.first, g.last, g.names))
            .collect()
    }

    #[test]
    fn an_import_whose_failure_is_caught_is_optional() {
        let code = "import os\ntry:\n    from watchdog.observers import Observer\n    ON = True\nexcept ImportError:\n    ON = False\n";
        assert_eq!(spans(code), vec![(3, 4, vec!["Observer".to_string()])]);
        let code = "def f():\n    try:\n        import numpy as np, lxml.etree\n    except (ImportError, OSError):\n        np = None\n";
        assert_eq!(
            spans(code),
            vec![(3, 3, vec!["np".to_string(), "lxml".to_string()])]
        );
        // A second handler may be the import one.
        let code = "try:\n    import ujson\nexcept ValueError:\n    pass\n\nexcept ModuleNotFoundError:\n    ujson = None\n";
        assert_eq!(spans(code), vec![(2, 2, vec!["ujson".to_string()])]);
    }

    #[test]
    fn an_import_the_program_cannot_do_without_is_not() {
        // The handler fails anyway.
        let code = "try:\n    import watchdog\nexcept ImportError:\n    raise SystemExit('install watchdog')\n";
        assert!(spans(code).is_empty());
        let code =
            "try:\n    import watchdog\nexcept ImportError:\n    print('no')\n    sys.exit(1)\n";
        assert!(spans(code).is_empty());
        // Another exception, or no import in the body.
        let code = "try:\n    import watchdog\nexcept KeyError:\n    pass\n";
        assert!(spans(code).is_empty());
        let code = "try:\n    run()\nexcept ImportError:\n    pass\n";
        assert!(spans(code).is_empty());
        // The words only in a string: the code view blanks it.
        let code = "x = '                          '\ntry:\n    import watchdog\nexcept KeyError:\n    pass\n";
        assert!(spans(code).is_empty());
    }
}
