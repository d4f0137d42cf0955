//! Go: the cobra commands a file defines, and, for the files of a tree
//! that defines some, each top-level declaration's lines and the names its
//! code uses, and the name each import is used by.
//!
//! A Go package is one unit to the compiler, so the import graph
//! (analyze::reach) takes a package's files together. A command-line
//! program built on cobra breaks that: `shiori server` runs the `server`
//! command's code, and the `open` command beside it in the same package
//! (which starts a browser) never runs in the image. Walking such a
//! package a declaration at a time, by the names declarations use, is
//! what tells the two apart (analyze::go_commands). The reading is
//! lexical (the code view, gofmt's layout): a use is a name, not a
//! resolved reference.

use crate::parse::lex::CodeView;
use memchr::memmem;

/// Declared by a file that defines a cobra command, before the command's
/// name: `cobra:server` (the first word of its `Use:`).
pub const COMMAND: &str = "cobra:";

/// Distinct names kept per file, at most.
const MAX_USES: usize = 4_096;
/// Names read per file, at most, before duplicates are dropped.
const MAX_RAW_NAMES: usize = 200_000;
/// How far past `Use:` its string may start, in bytes.
const MAX_USE_GAP: usize = 64;
/// The longest `AddCommand(...)` argument list read, in bytes.
const MAX_ARGS: usize = 4_096;
/// The longest command literal read, in bytes.
const MAX_LITERAL: usize = 65_536;

/// The cobra commands `view` defines, as `cobra:server`; empty for a file
/// that defines none. Cheap: a byte search first.
pub fn commands(view: &CodeView) -> Vec<String> {
    let mut out: Vec<String> = literals(view)
        .into_iter()
        .map(|(name, _)| format!("{COMMAND}{name}"))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Each cobra command literal's name (the first word of its `Use:`) and
/// whether it runs something itself (a `Run:` or `RunE:` field; a command
/// without one only prints its help).
fn literals(view: &CodeView) -> Vec<(String, bool)> {
    let code = view.code.as_bytes();
    let mut out = Vec::new();
    for at in memmem::find_iter(code, b"cobra.Command{") {
        let Some(u) = memmem::find(&code[at..], b"Use:").map(|i| at + i) else {
            continue;
        };
        // The literal's own `Use:`: no other command literal between.
        if memmem::find(&code[at + 1..u], b"cobra.Command{").is_some() {
            continue;
        }
        let Some(s) = view.strings.iter().find(|s| s.start > u) else {
            continue;
        };
        // `Use: "server"`: the string is the field's value itself (`Use:
        // name,` names the command by a variable, unknown here).
        let between = &code[u + "Use:".len()..s.start - 1];
        if s.start - u > MAX_USE_GAP
            || !between.iter().all(u8::is_ascii_whitespace)
            || !matches!(code[s.start - 1], b'"' | b'`')
        {
            continue;
        }
        if let Some(name) = s.text.split_whitespace().next() {
            let open = at + "cobra.Command".len();
            out.push((name.to_string(), runs(literal(code, open))));
        }
    }
    out
}

/// The bytes of the composite literal whose `{` is at `open`, to its
/// matching `}`.
fn literal(code: &[u8], open: usize) -> &[u8] {
    &code[open..super::block_end(code, open + 1, open + MAX_LITERAL)]
}

/// A `Run:` or `RunE:` field in a command literal.
fn runs(literal: &[u8]) -> bool {
    [&b"Run:"[..], b"RunE:"].iter().any(|field| {
        memmem::find_iter(literal, field)
            .any(|i| i > 0 && !(literal[i - 1].is_ascii_alphanumeric() || literal[i - 1] == b'_'))
    })
}

/// Whether the file adds commands it does not define itself to a command
/// (`rootCmd.AddCommand(serveCmd())`); one that adds its own
/// (`func init() { rootCmd.AddCommand(scanCmd) }`) only registers it.
fn adds_others(view: &CodeView, declared: &[&str]) -> bool {
    memmem::find_iter(view.code.as_bytes(), b".AddCommand(").any(|at| {
        let start = at + ".AddCommand(".len();
        let end = view.code.len().min(start + MAX_ARGS);
        let args = view.code.get(start..end).unwrap_or("");
        let args = args.split(')').next().unwrap_or(args);
        identifiers(args).any(|n| !declared.contains(&n))
    })
}

/// One top-level declaration of a Go file: a function, a method, a type,
/// or a `var`/`const` (a group is one), its lines and the names its code
/// uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decl {
    /// What it declares: a function's name; a method's name and the type
    /// it is on (what makes it callable); every name of a group.
    pub names: Vec<String>,
    pub first: u32,
    pub last: u32,
    /// The distinct names its code uses, sorted.
    pub uses: Vec<String>,
    /// The distinct exported names it uses through a package
    /// (`utils.Command`, as `utils.Command`), sorted: what an import of
    /// that package reaches, where a bare `Command` may be another
    /// package's (`cobra.Command`).
    pub selected: Vec<String>,
    /// It runs when the package loads: `func init()`, or a call whose
    /// value is thrown away (`var _ = register()`).
    pub init: bool,
}

/// A Go file's commands, declarations and imports, for walking a package
/// of commands a declaration at a time (analyze::go_commands).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GoFile {
    /// The cobra commands it defines (`server`, the first word of `Use:`).
    pub commands: Vec<String>,
    /// Those of them that run something themselves (`Run:`, `RunE:`).
    pub running: Vec<String>,
    /// It starts a command tree (`.Execute()`).
    pub executes: bool,
    /// It adds commands another file defines to its own.
    pub parent: bool,
    pub decls: Vec<Decl>,
    /// Each import's line and the name code uses it by (`exec` for
    /// `"os/exec"`, the alias when one is given; empty for `_`, `.` for a
    /// package imported into the file's own names).
    pub imports: Vec<(u32, String)>,
    /// Its names were too many to keep, or it imports a package into its
    /// own names (`import . "x"`): any of its code may use any name.
    pub uses_all: bool,
}

impl GoFile {
    /// The declaration `line` is in.
    pub fn decl_at(&self, line: u32) -> Option<usize> {
        let i = self.decls.partition_point(|d| d.first <= line);
        let d = self.decls.get(i.checked_sub(1)?)?;
        (line <= d.last).then_some(i - 1)
    }
}

/// Reads a Go file's declarations, imports and commands.
pub fn file(view: &CodeView) -> GoFile {
    let literals = literals(view);
    let names = |running: bool| -> Vec<String> {
        let mut v: Vec<String> = literals
            .iter()
            .filter(|(_, r)| *r || !running)
            .map(|(n, _)| n.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut out = GoFile {
        commands: names(false),
        running: names(true),
        ..GoFile::default()
    };
    let code = view.code.as_str();
    // Each top-level declaration's start: (byte, line, names, init).
    let mut starts: Vec<(usize, u32, Vec<String>, bool)> = Vec::new();
    let mut group: Option<&str> = None;
    let mut in_imports = false;
    let mut offset = 0;
    for (n, line) in code.split_inclusive('\n').enumerate() {
        let at = offset;
        offset += line.len();
        let line_no = n as u32 + 1;
        let body = line.trim_end_matches(['\n', '\r']);
        if in_imports {
            if body.starts_with(')') {
                in_imports = false;
            } else {
                out.imports.extend(import_spec(view, at, body, line_no));
            }
            continue;
        }
        if let Some(keyword) = group {
            if body.starts_with(')') {
                group = None;
            } else if let Some(rest) = body.strip_prefix('\t') {
                if let Some(last) = starts.last_mut() {
                    if !rest.starts_with(['\t', ' ']) {
                        last.2.extend(spec_names(keyword, rest));
                    }
                    last.3 |= keyword == "var" && blank_call(rest);
                }
            }
            continue;
        }
        if let Some(rest) = body.strip_prefix("import ") {
            if rest.trim_start().starts_with('(') {
                in_imports = true;
            } else {
                out.imports.extend(import_spec(view, at, rest, line_no));
            }
            continue;
        }
        let Some((keyword, rest)) = body.split_once(' ') else {
            continue;
        };
        let rest = rest.trim_start();
        match keyword {
            "func" => {
                let mut names = Vec::new();
                if let Some(recv) = rest.strip_prefix('(') {
                    if let Some((recv, after)) = recv.split_once(')') {
                        let ty = recv.rsplit([' ', '*']).next().unwrap_or("");
                        names.extend(first_identifier(ty.split('[').next().unwrap_or(ty)));
                        names.extend(first_identifier(after.trim_start()));
                    }
                } else {
                    names.extend(first_identifier(rest));
                }
                let init = rest.starts_with("init(");
                starts.push((at, line_no, names, init));
            }
            "type" | "var" | "const" => {
                if rest.starts_with('(') {
                    group = Some(keyword);
                    starts.push((at, line_no, Vec::new(), false));
                } else {
                    let init = keyword == "var" && blank_call(rest);
                    starts.push((at, line_no, spec_names(keyword, rest), init));
                }
            }
            _ => {}
        }
    }
    let lines = code.split_inclusive('\n').count() as u32;
    let mut raw = 0usize;
    for (i, (at, first, names, init)) in starts.iter().enumerate() {
        let (end, last) = match starts.get(i + 1) {
            Some((next, line, ..)) => (*next, line - 1),
            None => (code.len(), lines.max(*first)),
        };
        let mut uses: Vec<&str> = identifiers(&code[*at..end]).collect();
        raw += uses.len();
        uses.sort_unstable();
        uses.dedup();
        let mut selected: Vec<&str> = selectors(&code[*at..end]).collect();
        selected.sort_unstable();
        selected.dedup();
        let mut names: Vec<String> = names.iter().filter(|n| *n != "_").cloned().collect();
        names.sort();
        names.dedup();
        out.decls.push(Decl {
            names,
            first: *first,
            last,
            uses: uses.into_iter().map(str::to_string).collect(),
            selected: selected.into_iter().map(str::to_string).collect(),
            init: *init,
        });
    }
    if !out.commands.is_empty() {
        let code = view.code.as_bytes();
        out.executes = [&b".Execute()"[..], b".ExecuteC()", b".ExecuteContext("]
            .iter()
            .any(|n| memmem::find(code, n).is_some());
        let declared: Vec<&str> = out
            .decls
            .iter()
            .flat_map(|d| d.names.iter().map(String::as_str))
            .collect();
        out.parent = adds_others(view, &declared);
    }
    out.uses_all |= out.imports.iter().any(|(_, n)| n == ".");
    let kept: usize = out
        .decls
        .iter()
        .map(|d| d.uses.len() + d.selected.len())
        .sum();
    if raw > MAX_RAW_NAMES || kept > MAX_USES {
        out.uses_all = true;
        for d in &mut out.decls {
            d.uses = Vec::new();
            d.selected = Vec::new();
        }
    }
    out
}

/// One import spec on a line (`"os/exec"`, `fp "path/filepath"`): its line
/// and the name code uses it by.
fn import_spec(view: &CodeView, line_start: usize, body: &str, line: u32) -> Option<(u32, String)> {
    let quote = body.find('"')?;
    let alias = body[..quote].trim();
    let start = line_start
        + (body.as_ptr() as usize - view.code[line_start..].as_ptr() as usize)
        + quote
        + 1;
    let path = view
        .strings
        .iter()
        .find(|s| s.start == start)?
        .text
        .as_str();
    let name = match alias {
        "" => package_name(path),
        a => a.to_string(),
    };
    Some((line, if name == "_" { String::new() } else { name }))
}

/// The name a package is used by when its import gives none: its path's
/// last part, without a major version part (`/v2`), a `.v3` suffix or a
/// `go-` prefix.
fn package_name(path: &str) -> String {
    let mut parts = path.rsplit('/');
    let mut last = parts.next().unwrap_or(path);
    if last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit()) {
        last = parts.next().unwrap_or(last);
    }
    let last = last.split(".v").next().unwrap_or(last);
    let last = last.strip_prefix("go-").unwrap_or(last);
    last.replace(['-', '.'], "_")
}

/// `_ = f(...)`, `_ T = pkg.New()`: a call whose value is thrown away, run
/// when the package loads (a composite literal or a function value is no
/// call). A named variable's value is made at load too, but what it holds
/// runs where code uses the name, which joins that code to it anyway.
fn blank_call(spec: &str) -> bool {
    let spec = spec.trim_start();
    spec.strip_prefix('_')
        .is_some_and(|r| r.starts_with([' ', '\t', ',']))
        && spec.split_once('=').is_some_and(|(_, value)| {
            value.contains('(') && !value.trim_start().starts_with("func")
        })
}

/// The names one spec declares: `a, b = 1, 2` and `x, y int` declare two
/// (a type spec, one).
fn spec_names(keyword: &str, spec: &str) -> Vec<String> {
    if keyword == "type" {
        return first_identifier(spec).into_iter().collect();
    }
    let names = spec.split('=').next().unwrap_or(spec);
    names
        .split(',')
        .filter_map(|n| first_identifier(n.trim_start()))
        .collect()
}

fn first_identifier(s: &str) -> Option<String> {
    super::leading_ident(s).map(str::to_string)
}

/// The identifiers in code, in order, keywords left out.
/// `pkg.Name` selectors whose second name is exported, as written: the
/// first name may be an import's (it is matched against one later), and
/// a chain (`a.b.C`) gives its last pair.
fn selectors(code: &str) -> impl Iterator<Item = &str> {
    let b = code.as_bytes();
    memchr::memchr_iter(b'.', b).filter_map(move |dot| {
        let mut start = dot;
        while start > 0 && super::is_ident_byte(b[start - 1]) {
            start -= 1;
        }
        let first = *b.get(start)?;
        if start == dot || !(first.is_ascii_lowercase() || first == b'_') {
            return None;
        }
        if !b.get(dot + 1)?.is_ascii_uppercase() {
            return None;
        }
        let mut end = dot + 1;
        while end < b.len() && super::is_ident_byte(b[end]) {
            end += 1;
        }
        Some(&code[start..end])
    })
}

fn identifiers(code: &str) -> impl Iterator<Item = &str> {
    let b = code.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_alphabetic() || c == b'_' {
                let start = i;
                while i < b.len() && super::is_ident_byte(b[i]) {
                    i += 1;
                }
                let word = &code[start..i];
                if !KEYWORDS.contains(&word) {
                    return Some(word);
                }
            } else if c.is_ascii_digit() {
                // `0x1f`, `1e9`: a number's letters are not names.
                while i < b.len() && (super::is_ident_byte(b[i]) || b[i] == b'.') {
                    i += 1;
                }
            } else {
                i += 1;
            }
        }
        None
    })
}

const KEYWORDS: [&str; 25] = [
    "break",
    "case",
    "chan",
    "const",
    "continue",
    "default",
    "defer",
    "else",
    "fallthrough",
    "for",
    "func",
    "go",
    "goto",
    "if",
    "import",
    "interface",
    "map",
    "package",
    "range",
    "return",
    "select",
    "struct",
    "switch",
    "type",
    "var",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::language::Language;

    fn view(src: &str) -> CodeView {
        crate::parse::lex::lex(Language::Go, src)
    }

    #[test]
    fn cobra_commands_roots_and_parents() {
        let root = "package cmd\n\nfunc RootCmd() *cobra.Command {\n\tc := &cobra.Command{\n\t\tUse:   \"shop\",\n\t}\n\tc.AddCommand(serveCmd(), openCmd())\n\treturn c\n}\n";
        assert_eq!(commands(&view(root)), ["cobra:shop"]);
        let f = file(&view(root));
        assert_eq!(f.commands, ["shop"]);
        assert!(f.parent && !f.executes, "{f:?}");
        // A command that registers itself is no parent.
        let own = "package cmd\n\nvar scanCmd = &cobra.Command{\n\tUse: \"scan [dir]\",\n\tRun: func(c *cobra.Command, a []string) {},\n}\n\nfunc init() {\n\trootCmd.AddCommand(scanCmd)\n}\n";
        let f = file(&view(own));
        assert_eq!(f.commands, ["scan"]);
        assert!(!f.parent, "{f:?}");
        let exec = "package main\n\nvar root = &cobra.Command{Use: \"tool\"}\n\nfunc main() { root.Execute() }\n";
        assert!(file(&view(exec)).executes);
        // Which commands run something, and which only print their help.
        assert_eq!(file(&view(own)).running, ["scan"]);
        assert!(file(&view(root)).running.is_empty());
        let hooks = "package cmd\n\nvar root = &cobra.Command{\n\tUse: \"tool\",\n\tPersistentPostRun: func(c *cobra.Command, a []string) {},\n}\nvar run = &cobra.Command{Use: \"run\", RunE: runIt}\n";
        assert_eq!(file(&view(hooks)).running, ["run"]);
        // No command literal: nothing, whatever else the file says.
        let none = "package cmd\n\n// cobra.Command{Use: \"x\"}\nfunc run(c *cobra.Command) { c.Execute() }\n";
        assert!(commands(&view(none)).is_empty());
        // A command named by a variable: the next string is its help text.
        let var = "package cmd\n\nvar c = &cobra.Command{\n\tUse:   name,\n\tShort: \"Speaks the protocol\",\n}\n";
        assert!(commands(&view(var)).is_empty());
        let raw = "package cmd\n\nvar c = &cobra.Command{Use: `serve [flags]`}\n";
        assert_eq!(commands(&view(raw)), ["cobra:serve"]);
        assert!(!file(&view(none)).executes);
    }

    #[test]
    fn selectors_are_exported_names_through_a_lower_case_name() {
        let code = "x := utils.Command(a.b.C, Local.Type, s.field, 1.5E3, _x.Y)";
        let got: Vec<&str> = selectors(code).collect();
        assert_eq!(got, ["utils.Command", "b.C", "_x.Y"]);
    }

    #[test]
    fn declarations_their_lines_names_and_uses() {
        let src = "package cmd\n\nimport (\n\t\"os/exec\"\n\tfp \"path/filepath\"\n\t_ \"embed\"\n\t\"github.com/acme/go-yaml/v2\"\n)\n\nvar (\n\tverbose = false\n\tcache   map[string]int\n)\n\nconst limit = 3\n\ntype Server struct{ n int }\n\nfunc (s *Server) Start() error { return helper(s.n) }\n\nfunc openBrowser(url string) error {\n\treturn exec.Command(\"xdg-open\", url).Run()\n}\n";
        let f = file(&view(src));
        assert_eq!(
            f.imports,
            [
                (4, "exec".to_string()),
                (5, "fp".to_string()),
                (6, String::new()),
                (7, "yaml".to_string())
            ]
        );
        let names: Vec<&[String]> = f.decls.iter().map(|d| d.names.as_slice()).collect();
        assert_eq!(
            names,
            [
                &["cache".to_string(), "verbose".to_string()][..],
                &["limit".to_string()],
                &["Server".to_string()],
                &["Server".to_string(), "Start".to_string()],
                &["openBrowser".to_string()],
            ]
        );
        let multi = file(&view(
            "package cmd\n\nvar a, b = 1, 2\n\nconst (\n\tx, y int = 1, 2\n)\n",
        ));
        assert_eq!(multi.decls[0].names, ["a", "b"]);
        assert_eq!(multi.decls[1].names, ["x", "y"]);
        let open = &f.decls[4];
        assert_eq!((open.first, open.last), (21, 23));
        assert_eq!(f.decl_at(22), Some(4));
        assert_eq!(f.decl_at(4), None);
        for u in ["exec", "Command", "url"] {
            assert!(open.uses.iter().any(|x| x == u), "{u} in {:?}", open.uses);
        }
        assert!(
            !open.uses.iter().any(|x| x == "func" || x == "xdg"),
            "{:?}",
            open.uses
        );
        assert!(f.decls[3].uses.iter().any(|x| x == "helper"));
        assert!(!f.decls.iter().any(|d| d.init));
    }

    #[test]
    fn code_that_runs_at_load() {
        let init = |src: &str| file(&view(src)).decls.iter().any(|d| d.init);
        assert!(init("package cmd\n\nfunc init() { register() }\n"));
        assert!(init("package cmd\n\nvar _ = register(\"x\")\n"));
        assert!(init("package cmd\n\nvar (\n\t_ = register()\n)\n"));
        assert!(!init("package cmd\n\nvar client = http.NewClient()\n"));
        assert!(!init(
            "package cmd\n\nvar root = &cobra.Command{Use: \"x\"}\nvar f = func() { run() }\n"
        ));
    }

    #[test]
    fn too_many_names_or_a_dot_import_use_them_all() {
        let mut src = String::from("package big\n\nfunc f() {\n");
        for i in 0..(MAX_USES + 10) {
            src.push_str(&format!("\tv{i} := 1\n"));
        }
        src.push_str("}\n");
        let f = file(&view(&src));
        assert!(f.uses_all);
        assert!(f.decls.iter().all(|d| d.uses.is_empty()));
        let dot = file(&view(
            "package cmd\n\nimport . \"acme/util\"\n\nfunc f() { g() }\n",
        ));
        assert!(dot.uses_all);
        assert!(!file(&view("package cmd\n\nfunc f() { g() }\n")).uses_all);
    }
}
