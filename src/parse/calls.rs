//! Python's call graph, file by file: the top-level functions and classes
//! a file defines, the names its imports bind, and where it uses them.
//!
//! `analyze::callers` joins the files along the import graph to ask who
//! calls the function a piece of evidence sits in. The reading is lexical
//! (the code view, strings and comments blanked), so it is cheap and
//! approximate: a use is a name, called or passed, not a resolved call.

use crate::parse::lex::CodeView;
use rustc_hash::{FxHashMap, FxHashSet};

/// A top-level `def` or `class`, from its first decorator to its last line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Def {
    pub name: String,
    pub first: u32,
    pub last: u32,
}

/// A name an import binds: `import a.b as c` binds `c` to `b`, `from m
/// import f` binds `f` to `f` (`from` is true: a name inside a module).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    pub name: String,
    pub target: String,
    pub from: bool,
}

/// A use of a bound name or of the file's own top-level name: inside
/// which def (`None`: module level), after which qualifier (`assets` in
/// `assets.create`, empty for a bare name), first seen on `line`.
/// Distinct per (def, qualifier, name, queued).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Use {
    pub within: Option<u32>,
    pub qualifier: String,
    pub name: String,
    pub line: u32,
    /// Followed by a job queue's enqueue method (`send_email.delay(...)`,
    /// `.apply_async`, `.s`): the worker runs it, not this code.
    pub queued: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calls {
    pub defs: Vec<Def>,
    pub binds: Vec<Bind>,
    pub uses: Vec<Use>,
}

impl Calls {
    /// The top-level def `line` is in.
    pub fn def_at(&self, line: u32) -> Option<u32> {
        let i = self.defs.partition_point(|d| d.first <= line);
        let d = self.defs.get(i.checked_sub(1)?)?;
        (line <= d.last).then_some((i - 1) as u32)
    }
}

/// Per file, at most: a generated module must not make the graph grow
/// without bound.
const MAX_DEFS: usize = 4_096;
const MAX_BINDS: usize = 1_024;
const MAX_USES: usize = 8_192;
/// The methods that put a function on a job queue instead of calling it:
/// Celery's (`delay`, `apply_async`, `s`, `si`, `signature`) and
/// Dramatiq's `send_with_options`. Not names many other objects have
/// (`send`, `schedule`): a call taken for a queued one would hide a caller.
const ENQUEUE: [&str; 6] = [
    "delay",
    "apply_async",
    "s",
    "si",
    "signature",
    "send_with_options",
];

/// Parts of a dotted name read, at most.
const MAX_PARTS: usize = 8;

fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn ident_byte(b: u8) -> bool {
    ident_start(b) || b.is_ascii_digit()
}

/// Reads a Python file's view; `None` for a file with no top-level def.
pub fn python(view: &CodeView) -> Option<Box<Calls>> {
    let code = view.code.as_bytes();
    let mut calls = Calls::default();
    // Each logical line: (start offset, end offset, indentation, line).
    let lines = logical_lines(code);
    // Pass 1: defs and binds.
    let mut decorated: Option<u32> = None;
    let mut open: Option<usize> = None;
    for l in &lines {
        let text = &view.code[l.start..l.end];
        let body = text.trim_start();
        if l.indent == 0 {
            open = None;
            if body.starts_with('@') {
                decorated.get_or_insert(l.line);
                continue;
            }
            let head = body.strip_prefix("async ").map_or(body, str::trim_start);
            let name = head
                .strip_prefix("def ")
                .or_else(|| head.strip_prefix("class "))
                .map(|r| {
                    let r = r.trim_start();
                    let n = r.bytes().take_while(|&b| ident_byte(b)).count();
                    &r[..n]
                })
                .filter(|n| !n.is_empty());
            if let Some(name) = name {
                if calls.defs.len() < MAX_DEFS {
                    calls.defs.push(Def {
                        name: name.to_string(),
                        first: decorated.unwrap_or(l.line),
                        last: l.last,
                    });
                    open = Some(calls.defs.len() - 1);
                }
            }
            decorated = None;
        } else if let Some(i) = open {
            calls.defs[i].last = l.last;
        }
        if body.starts_with("import ") || body.starts_with("from ") {
            binds(body, &mut calls.binds);
        }
    }
    if calls.defs.is_empty() {
        return None;
    }
    // Pass 2: uses of bound names and of the file's own defs.
    let names = Names::new(&calls);
    let mut seen: FxHashSet<(Option<u32>, &str, &str, bool)> = FxHashSet::default();
    let mut uses = Vec::new();
    let mut parts: Vec<&str> = Vec::with_capacity(MAX_PARTS);
    for l in &lines {
        let text = &view.code[l.start..l.end];
        let body = text.trim_start();
        if body.starts_with("import ") || body.starts_with("from ") {
            continue;
        }
        let within = calls.def_at(l.line);
        let bytes = text.as_bytes();
        let mut i = 0;
        let (mut counted_to, mut newlines) = (0, 0);
        while i < bytes.len() && uses.len() < MAX_USES {
            // Only a byte that starts one of the names can start a use.
            if !names.first[bytes[i] as usize]
                || (i > 0 && (ident_byte(bytes[i - 1]) || bytes[i - 1] == b'.'))
            {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < bytes.len() && ident_byte(bytes[j]) {
                j += 1;
            }
            let first = &text[i..j];
            let start = i;
            i = j;
            let (dotted, bare) = names.get(first);
            if !dotted && !bare {
                continue;
            }
            // A def's own name where it is defined is no use of it.
            let before = text[..start].trim_end();
            if before.ends_with("def") || before.ends_with("class") {
                let kw = if before.ends_with("def") { 3 } else { 5 };
                let k = before.len() - kw;
                if k == 0 || !ident_byte(before.as_bytes()[k - 1]) {
                    continue;
                }
            }
            // A dotted name: its parts (a bare name's too, for the
            // enqueue method after it).
            parts.clear();
            parts.push(first);
            while parts.len() < MAX_PARTS
                && j + 1 < bytes.len()
                && bytes[j] == b'.'
                && ident_start(bytes[j + 1])
            {
                let s = j + 1;
                j = s;
                while j < bytes.len() && ident_byte(bytes[j]) {
                    j += 1;
                }
                parts.push(&text[s..j]);
            }
            i = j;
            // Counted forward from the last use, so a long logical line
            // (a data literal over thousands of lines) stays linear.
            newlines += count_newlines(&bytes[counted_to..start]);
            counted_to = start;
            let line = l.line + newlines;
            let queued_after = |k: usize| parts.get(k).is_some_and(|p| ENQUEUE.contains(p));
            if dotted {
                for (k, w) in parts.windows(2).enumerate() {
                    let queued = queued_after(k + 2);
                    if seen.insert((within, w[0], w[1], queued)) {
                        uses.push(Use {
                            within,
                            qualifier: w[0].to_string(),
                            name: w[1].to_string(),
                            line,
                            queued,
                        });
                    }
                }
            }
            let queued = queued_after(1);
            if bare && seen.insert((within, "", first, queued)) {
                uses.push(Use {
                    within,
                    qualifier: String::new(),
                    name: first.to_string(),
                    line,
                    queued,
                });
            }
        }
    }
    calls.uses = uses;
    Some(Box::new(calls))
}

/// The names a use can start with, and what each may be: a bound name
/// (read with its dotted parts), a bare one (a name imported from a
/// module, or the file's own def). Most identifiers are neither, so a
/// table of first bytes and lengths turns them away before any hashing.
struct Names<'a> {
    first: [bool; 256],
    lengths: u64,
    kinds: FxHashMap<&'a str, (bool, bool)>,
}

impl<'a> Names<'a> {
    fn new(calls: &'a Calls) -> Names<'a> {
        let mut n = Names {
            first: [false; 256],
            lengths: 0,
            kinds: FxHashMap::default(),
        };
        let all = calls
            .binds
            .iter()
            .map(|b| (b.name.as_str(), true, b.from))
            .chain(calls.defs.iter().map(|d| (d.name.as_str(), false, true)));
        for (name, dotted, bare) in all {
            let Some(&b) = name.as_bytes().first() else {
                continue;
            };
            n.first[b as usize] = true;
            n.lengths |= 1 << name.len().min(63);
            let k = n.kinds.entry(name).or_insert((false, false));
            k.0 |= dotted;
            k.1 |= bare;
        }
        n
    }

    /// (dotted, bare) for an identifier.
    fn get(&self, ident: &str) -> (bool, bool) {
        let b = ident.as_bytes()[0];
        if !self.first[b as usize] || self.lengths & (1 << ident.len().min(63)) == 0 {
            return (false, false);
        }
        self.kinds.get(ident).copied().unwrap_or((false, false))
    }
}

fn count_newlines(b: &[u8]) -> u32 {
    b.iter().filter(|&&c| c == b'\n').count() as u32
}

struct Logical {
    start: usize,
    end: usize,
    indent: usize,
    line: u32,
    last: u32,
}

/// The logical lines of the view: a line with open brackets or a trailing
/// backslash goes on to the next; blank ones are left out.
fn logical_lines(code: &[u8]) -> Vec<Logical> {
    // The bytes that matter: a newline and the brackets. The code view
    // blanks strings and comments, so the rest is skipped a byte at a time
    // with one table lookup.
    const SPECIAL: [bool; 256] = {
        let mut t = [false; 256];
        let mut k = 0;
        let bytes = b"\n()[]{}";
        while k < bytes.len() {
            t[bytes[k] as usize] = true;
            k += 1;
        }
        t
    };
    let mut out = Vec::new();
    let (mut start, mut start_line) = (0, 1u32);
    let mut line = 1u32;
    let mut depth: u32 = 0;
    let mut i = 0;
    loop {
        while i < code.len() && !SPECIAL[code[i] as usize] {
            i += 1;
        }
        let end_of_line = i == code.len() || code[i] == b'\n';
        if end_of_line {
            let continued = depth > 0 || (i > 0 && code[i - 1] == b'\\');
            if !continued || i == code.len() {
                let text = &code[start..i];
                if text.iter().any(|b| !b.is_ascii_whitespace()) {
                    let indent = text
                        .iter()
                        .take_while(|&&b| b == b' ' || b == b'\t')
                        .count();
                    // A line that ends the text after a newline still
                    // counts as the line before it.
                    let last = if i > start && code[i - 1] == b'\n' {
                        line - 1
                    } else {
                        line
                    };
                    out.push(Logical {
                        start,
                        end: i,
                        indent,
                        line: start_line,
                        last,
                    });
                }
                start = i + 1;
                start_line = line + 1;
                depth = 0;
            }
            if i == code.len() {
                break;
            }
            line += 1;
        } else {
            match code[i] {
                b'(' | b'[' | b'{' => depth += 1,
                _ => depth = depth.saturating_sub(1),
            }
        }
        i += 1;
    }
    out
}

/// The names an import statement binds.
fn binds(stmt: &str, out: &mut Vec<Bind>) {
    let flat: String = stmt
        .chars()
        .map(|c| {
            if matches!(c, '(' | ')' | '\\' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    let (from, list) = match flat.strip_prefix("from ") {
        Some(rest) => match rest.split_once(" import ") {
            Some((_, names)) => (true, names),
            None => return,
        },
        None => (false, flat.strip_prefix("import ").unwrap_or("")),
    };
    for item in list.split(',') {
        if out.len() >= MAX_BINDS {
            return;
        }
        let words: Vec<&str> = item.split_whitespace().collect();
        let (path, alias) = match words.as_slice() {
            [p] => (*p, None),
            [p, kw, a] if *kw == "as" => (*p, Some(*a)),
            _ => continue,
        };
        if path == "*" || path.is_empty() {
            continue;
        }
        let last = path.rsplit('.').next().unwrap_or(path);
        let (name, target) = match alias {
            Some(a) => (a, last),
            // `import a.b` binds `a`; uses read `a.b.f`.
            None if !from => {
                let first = path.split('.').next().unwrap_or(path);
                (first, first)
            }
            None => (path, path),
        };
        out.push(Bind {
            name: name.to_string(),
            target: target.to_string(),
            from,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::language::Language;

    fn read(src: &str) -> Calls {
        let view = crate::parse::lex::lex(Language::Python, src);
        *python(&view).expect("defs")
    }

    fn uses(c: &Calls) -> Vec<(Option<&str>, &str, &str, u32)> {
        c.uses
            .iter()
            .map(|u| {
                (
                    u.within.map(|i| c.defs[i as usize].name.as_str()),
                    u.qualifier.as_str(),
                    u.name.as_str(),
                    u.line,
                )
            })
            .collect()
    }

    #[test]
    fn defs_binds_and_uses() {
        let src = "\
import subprocess
import os.path
from shop.services import (
    assets as asset_actions,
    mail,
)
from .snap import create_snapshot as snap

\"\"\"A docstring naming mail.send() is text.\"\"\"

@huey.periodic_task(crontab(minute=\"*\"))
def schedule():
    for a in pending():
        run_one(a)

def run_one(a):
    asset_actions.create_snapshot(a)  # mail.send() in a comment
    snap(a, os.path.join(\"x\", \"y\"))
    subprocess.run([\"ls\"])

class Worker:
    def go(self):
        return run_one(
            mail.send)

if __name__ == \"__main__\":
    schedule()
";
        let c = read(src);
        let defs: Vec<(&str, u32, u32)> = c
            .defs
            .iter()
            .map(|d| (d.name.as_str(), d.first, d.last))
            .collect();
        assert_eq!(
            defs,
            [
                ("schedule", 11, 14),
                ("run_one", 16, 19),
                ("Worker", 21, 24)
            ]
        );
        let binds: Vec<(&str, &str, bool)> = c
            .binds
            .iter()
            .map(|b| (b.name.as_str(), b.target.as_str(), b.from))
            .collect();
        assert_eq!(
            binds,
            [
                ("subprocess", "subprocess", false),
                ("os", "os", false),
                ("asset_actions", "assets", true),
                ("mail", "mail", true),
                ("snap", "create_snapshot", true),
            ]
        );
        let u = uses(&c);
        assert!(u.contains(&(Some("schedule"), "", "run_one", 14)), "{u:?}");
        assert!(u.contains(&(Some("run_one"), "asset_actions", "create_snapshot", 17)));
        assert!(u.contains(&(Some("run_one"), "", "snap", 18)));
        assert!(u.contains(&(Some("run_one"), "os", "path", 18)));
        assert!(u.contains(&(Some("run_one"), "path", "join", 18)));
        assert!(u.contains(&(Some("run_one"), "subprocess", "run", 19)));
        assert!(u.contains(&(Some("Worker"), "", "run_one", 23)));
        assert!(u.contains(&(Some("Worker"), "mail", "send", 24)));
        assert!(u.contains(&(None, "", "schedule", 27)));
        assert!(c.uses.iter().all(|u| !u.queued));
        // Text and comments name nothing; a def's own name is no use of it.
        assert!(!u.iter().any(|x| x.0.is_none() && x.2 == "send"));
        assert!(!u.iter().any(|x| x.0 == Some("run_one") && x.2 == "send"));
        assert!(!u.iter().any(|x| x.2 == "Worker"));
        assert_eq!(c.def_at(17), Some(1));
        assert_eq!(c.def_at(26), None);
        assert_eq!(c.def_at(3), None);
    }

    #[test]
    fn a_call_a_job_queue_runs_is_queued() {
        let c = read(
            "from shop import tasks\nfrom shop.tasks import mail\n\ndef save(a):\n    tasks.render.delay(a)\n    mail.apply_async((a,))\n    tasks.render(a)\n",
        );
        let q: Vec<(&str, &str, bool)> = c
            .uses
            .iter()
            .map(|u| (u.qualifier.as_str(), u.name.as_str(), u.queued))
            .collect();
        assert!(q.contains(&("tasks", "render", true)), "{q:?}");
        assert!(q.contains(&("", "mail", true)));
        assert!(q.contains(&("tasks", "render", false)));
        assert!(!q.contains(&("", "mail", false)));
    }

    #[test]
    fn a_file_without_defs_has_no_graph() {
        let view = crate::parse::lex::lex(Language::Python, "import os\nos.system('x')\n");
        assert!(python(&view).is_none());
    }
}
