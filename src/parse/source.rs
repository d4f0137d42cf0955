//! Source files: the code view for pattern rules, and the imports.
//!
//! Imports are read from the original text (the module name of
//! `require("child_process")` is inside a string), but only where the match
//! starts in code, so an `import` in a comment or docstring is not one.

use super::Output;
use crate::model::context::Context;
use crate::model::fact::{Fact, FactKind, Location};
use crate::model::language::Language;
use crate::model::service::EntryKind;
use crate::parse::lex::{self, CodeView};
use crate::parse::line_start::{LineStart, Lines, Statement};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::Regex;
use std::sync::LazyLock;

/// Import statements per language; group 1 is the module (or a list of them
/// for Python's `import a, b` and Go's import blocks).
static IMPORTS: LazyLock<Vec<(Language, Find)>> = LazyLock::new(|| {
    use Language::*;
    let table: &[(Language, &str)] = &[
        (
            Python,
            r"(?m)^[ \t]*import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)",
        ),
        (Python, r"(?m)^[ \t]*from[ \t]+([\w.]+)[ \t]+import\b"),
        (Go, r#"(?m)^[ \t]*import[ \t]+(?:[\w.]+[ \t]+)?"([^"\n]+)""#),
        (Go, r"(?s)\bimport[ \t]*\(([^)]*)\)"),
        (
            JavaScript,
            r#"\brequire[ \t]*\([ \t]*['"`]([^'"`\n]+)['"`][ \t]*\)"#,
        ),
        (
            JavaScript,
            r#"(?m)^[ \t]*(?:import|export)\b[^'";\n]*?(?:\bfrom[ \t]*)?['"]([^'"\n]+)['"]"#,
        ),
        (JavaScript, r#"\bimport[ \t]*\([ \t]*['"]([^'"\n]+)['"]"#),
        (
            Rust,
            r"(?m)^[ \t]*(?:pub(?:\([^)]*\))?[ \t]+)?use[ \t]+((?:::)?[\w]+(?:::[\w]+)*)",
        ),
        (Rust, r"(?m)^[ \t]*extern[ \t]+crate[ \t]+(\w+)"),
        // `mod x;` (not `mod x { .. }`): the child module's file, reported
        // as `self::x`.
        (
            Rust,
            r"(?m)^[ \t]*(?:pub(?:\([^)]*\))?[ \t]+)?mod[ \t]+(\w+)[ \t]*;",
        ),
        (Java, r"(?m)^[ \t]*import[ \t]+(?:static[ \t]+)?([\w.]+)"),
        (C, r#"(?m)^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]"#),
        (
            CSharp,
            r"(?m)^[ \t]*(?:global[ \t]+)?using[ \t]+(?:static[ \t]+)?([\w.]+)[ \t]*;",
        ),
        (
            Elixir,
            r"(?m)^[ \t]*(?:alias|import|use|require)[ \t]+([\w.:]+)",
        ),
        (Erlang, r#"(?m)^-include(?:_lib)?\("([^"\n]+)"\)"#),
        (
            Ruby,
            r#"(?m)^[ \t]*require(?:_relative)?[ \t]*\(?[ \t]*['"]([^'"\n]+)['"]"#,
        ),
        (Php, r"(?m)^[ \t]*use[ \t]+([\w\\]+)"),
        // `require __DIR__ . '/x.php'`, `include_once 'lib/x.php'`: a
        // literal path (the snippet says whether it is `__DIR__`'s).
        (
            Php,
            r#"\b(?:require|include)(?:_once)?\b[ \t]*\(?[ \t]*(?:(?:__DIR__|dirname[ \t]*\([ \t]*__FILE__[ \t]*\))[ \t]*\.[ \t]*)?['"]([^'"\n$]+)['"]"#,
        ),
    ];
    table.iter().map(|(l, p)| (*l, Find::new(p))).collect()
});

/// How the statements of one import pattern are found.
enum Find {
    /// A statement that starts a line (most of them): only the lines whose
    /// first word it can start with are tried (`parse::line_start`).
    Line(LineStart),
    /// Anywhere (`require(...)`, Go's `import (...)` blocks): the regex over
    /// the text, behind a gate of the literals one of which every match
    /// contains (`analyze::literals`, compared ASCII case-insensitively, a
    /// superset of the exact match), so a file without them is not read
    /// by the regex at all.
    Anywhere(Regex, Option<AhoCorasick>),
}

impl Find {
    fn new(pattern: &str) -> Find {
        match LineStart::new(pattern) {
            Some(l) => Find::Line(l),
            None => Find::Anywhere(Regex::new(pattern).expect("import regex"), needs(pattern)),
        }
    }

    fn statements<'t>(&self, text: &'t str, lines: &Lines, out: &mut Vec<Statement<'t>>) {
        match self {
            Find::Line(l) => l.find(text, lines, out),
            Find::Anywhere(re, needs) => {
                if needs.as_ref().is_some_and(|ac| !ac.is_match(text)) {
                    return;
                }
                out.extend(re.captures_iter(text).filter_map(|c| {
                    let (whole, group) = (c.get(0)?, c.get(1)?);
                    Some(Statement {
                        start: whole.start(),
                        whole: whole.as_str(),
                        group_start: group.start(),
                        group: group.as_str(),
                    })
                }));
            }
        }
    }
}

/// A searcher for the literals every match of `pattern` contains, or None
/// when it has none (the regex then runs on every file).
fn needs(pattern: &str) -> Option<AhoCorasick> {
    let lits = crate::analyze::literals::required(pattern)?;
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(&lits)
        .ok()
}

static GO_BLOCK_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""([^"\n]+)""#).expect("go import item"));

/// Whether a Go file's build constraint (before its `package` clause)
/// requires the `tools` tag: `//go:build tools`, `// +build tools`.
fn go_tools_file(text: &str) -> bool {
    for line in text.lines().take(64) {
        let line = line.trim();
        if line.starts_with("package ") {
            return false;
        }
        // `//go:build` ors with `||`; the older `// +build` with spaces
        // and ands with `,`. Only a constraint that always needs `tools`
        // counts.
        if let Some(expr) = line.strip_prefix("//go:build") {
            return !expr.contains("||")
                && expr
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '!'))
                    .any(|w| w == "tools");
        }
        if let Some(expr) = line.strip_prefix("// +build") {
            let terms: Vec<&str> = expr.split_whitespace().collect();
            return terms.len() == 1 && terms[0].split(',').any(|w| w == "tools");
        }
    }
    false
}

/// Lexes a source file and extracts its imports.
pub fn parse(lang: Language, rel: &str, text: &str, context: Context) -> (CodeView, Output) {
    parse_code(lang, rel, text, context, true)
}

/// Lexes a source file, marks its test-only spans, and extracts its imports
/// when `imports` says a rule could use them.
pub fn parse_code(
    lang: Language,
    rel: &str,
    text: &str,
    context: Context,
    imports: bool,
) -> (CodeView, Output) {
    // A Go file built only with the `tools` tag pins build tools in go.mod;
    // no build of the service compiles it.
    let context = if lang == Language::Go && context.counts() && go_tools_file(text) {
        Context::Build
    } else {
        context
    };
    let mut view = lex::lex(lang, text);
    if lang == Language::Rust {
        view.test_spans = rust_test_modules(&view.code);
    }
    if lang == Language::Python {
        view.command_spans = crate::parse::cli_commands::flask_command_spans(text);
    }
    let mut out = Output::default();
    if lang == Language::Shell {
        out.facts = crate::parse::shell_exec::exec_lines(&view, rel, text, context);
    }
    let mut found = Vec::new();
    let lines = Lines::new(text.as_bytes(), view.line_starts());
    for (l, find) in IMPORTS.iter() {
        if !imports || !l.family().contains(&lang) {
            continue;
        }
        found.clear();
        find.statements(text, &lines, &mut found);
        for s in &found {
            let (whole, m, m_start) = (s.whole, s.group, s.group_start);
            let stmt_start = s.start + (whole.len() - whole.trim_start().len());
            if !view.is_code(text, stmt_start) {
                continue;
            }
            // TypeScript erases a type-only import: it loads nothing.
            if matches!(lang, Language::JavaScript | Language::TypeScript)
                && type_only(&text[stmt_start..])
            {
                continue;
            }
            let modules: Vec<(usize, String)> = if lang == Language::Go && whole.contains('(') {
                GO_BLOCK_ITEM
                    .captures_iter(m)
                    .filter_map(|c| {
                        c.get(1)
                            .map(|g| (m_start + g.start(), g.as_str().to_string()))
                    })
                    .filter(|(off, _)| !inside(&view.comments, *off))
                    .collect()
            } else if lang == Language::Python && m.contains(',') {
                m.split(',')
                    .map(|s| (m_start, s.trim().to_string()))
                    .collect()
            } else if lang == Language::Rust && super::rust_paths::is_mod(&text[s.start..m_start]) {
                vec![(m_start, format!("self::{m}"))]
            } else if let Some(group) = (lang == Language::Rust
                && ["crate", "self", "super"].contains(&m.split("::").next().unwrap_or(m)))
            .then(|| text[m_start + m.len()..].strip_prefix("::{"))
            .flatten()
            {
                // `use crate::{api::Context, db};`: each item is a path to
                // a module of the tree. (Another crate's group stays one
                // import, as rules match it; its items are in the file's
                // paths, parse::rust_paths.)
                let base = normalize(lang, m);
                let (items, _) = super::rust_paths::group_items(group);
                let mut paths: Vec<(usize, String)> = items
                    .iter()
                    .filter(|i| **i != "*")
                    .map(|i| (m_start, format!("{base}::{i}")))
                    .collect();
                if paths.is_empty() || items.contains(&"*") {
                    paths.push((m_start, base));
                }
                paths
            } else {
                vec![(m_start, normalize(lang, m))]
            };
            for (off, module) in modules {
                if module.is_empty() {
                    continue;
                }
                let line = view.line_of(off);
                let ctx = if view.in_test(off) {
                    Context::Test
                } else {
                    context
                };
                let first_line = view.line_text(text, line);
                // `from . import (\n a,\n b,\n)`: the names are on the
                // lines after; the snippet carries them, as the import
                // graph reads the names from it (analyze::reach).
                let joined = (lang == Language::Python)
                    .then(|| python_continued(first_line, text, s.start + whole.len()))
                    .flatten();
                let snippet = joined.as_deref().unwrap_or(first_line);
                out.facts.push(Fact::new(
                    FactKind::Import {
                        language: lang,
                        module,
                    },
                    Location::line(rel, line, snippet),
                    ctx,
                ));
            }
        }
    }
    if imports && lang == Language::Rust {
        for (off, path) in rust_included_files(&view) {
            let line = view.line_of(off);
            let ctx = if view.in_test(off) {
                Context::Test
            } else {
                context
            };
            out.facts.push(Fact::new(
                FactKind::Import {
                    language: lang,
                    module: path,
                },
                Location::line(rel, line, view.line_text(text, line)),
                ctx,
            ));
        }
    }
    // Raw syscalls by number and device nodes, named for what they are.
    out.facts
        .extend(crate::parse::source_sites::facts(rel, text, &view, context));
    out.facts.sort_by_key(|f| f.at.line);
    (view, out)
}

/// `import type { A } from "m"`, `export type { A } from "m"`, `import {
/// type A, type B } from "m"`: TypeScript's imports of types only, which
/// it erases. `import type from "m"` imports a default named `type`.
fn type_only(stmt: &str) -> bool {
    let Some(rest) = stmt
        .strip_prefix("import")
        .or_else(|| stmt.strip_prefix("export"))
    else {
        return false;
    };
    let rest = rest.trim_start();
    if let Some(after) = rest.strip_prefix("type") {
        let after = after.trim_start();
        return after.starts_with(['{', '*'])
            || crate::parse::leading_ident(after).is_some_and(|w| w != "from");
    }
    let Some(inner) = rest
        .strip_prefix('{')
        .and_then(|r| r.split_once('}'))
        .map(|(i, _)| i)
    else {
        return false;
    };
    let items: Vec<&str> = inner
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect();
    !items.is_empty() && items.iter().all(|i| i.starts_with("type "))
}

/// `include!("x.rs")` and `#[path = "x.rs"]` with a literal path: files a
/// Rust file takes in by their path, relative to its own directory. Each
/// is an import whose module is that path (`/` and `.` never appear in a
/// `use` path, so the import graph tells the two apart). Where the path is
/// computed (`include!(concat!(env!("OUT_DIR"), ...))`) it names a build
/// output, not a file of the tree.
fn rust_included_files(view: &CodeView) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for re in [&*RS_INCLUDE, &*RS_PATH_ATTR] {
        for m in re.find_iter(&view.code) {
            let Some(s) = string_at(view, m.end()) else {
                continue;
            };
            if s.text.is_empty() || s.text.len() > 1024 {
                continue;
            }
            out.push((m.start(), s.text.clone()));
            if out.len() >= MAX_INCLUDED {
                return out;
            }
        }
    }
    out
}

/// The string literal whose contents start at `offset`: the code view
/// keeps the quotes, so a regex ending in `"` ends where it starts
/// (strings are in source order).
fn string_at(view: &CodeView, offset: usize) -> Option<&crate::parse::lex::StrLit> {
    let at = view.strings.partition_point(|s| s.start < offset);
    view.strings.get(at).filter(|s| s.start == offset)
}

/// Literal `include!` and `#[path]` files read per Rust file, at most.
const MAX_INCLUDED: usize = 256;

static RS_INCLUDE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\binclude!\s*\(\s*""#).expect("include!"));
static RS_PATH_ATTR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"#\[\s*path\s*=\s*""#).expect("path attribute"));

/// How far a parenthesised or backslash-continued Python import is read
/// for its names: a longer one is cut there.
const MAX_CONTINUED: usize = 4096;

/// The whole statement on one line when a Python `from x import` goes on
/// past its first line (`import (` without its `)`, or a trailing `\`),
/// read from `rest` (the text after `import`): its names with comments
/// dropped and whitespace folded. `None` when the first line holds it all.
fn python_continued(first_line: &str, text: &str, rest: usize) -> Option<String> {
    let code_end = |l: &str| l.split('#').next().unwrap_or("").trim_end().to_string();
    let head = code_end(first_line);
    let paren = head.contains('(') && !head.contains(')');
    if !paren && !head.ends_with('\\') {
        return None;
    }
    let tail = text.get(rest..)?;
    let tail = &tail[..tail.floor_char_boundary(MAX_CONTINUED)];
    // The first line's own names are in `head`; read from the next line.
    let (_, after) = tail.split_once('\n')?;
    let mut names = Vec::new();
    for l in after.lines() {
        let code = code_end(l);
        let done = if paren {
            code.contains(')')
        } else {
            !code.ends_with('\\')
        };
        let piece = code.split(')').next().unwrap_or("");
        names.push(piece.trim_end_matches('\\').trim().to_string());
        if done {
            break;
        }
    }
    let head = head.trim_end_matches('\\').trim_end();
    let names = names
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Some(if paren {
        format!("{head}{names})")
    } else {
        format!("{head} {names}")
    })
}

static DYNAMIC_IMPORT: LazyLock<Vec<(Language, Regex)>> = LazyLock::new(|| {
    use Language::*;
    let table: &[(Language, &str)] = &[
        // Django's loaders, which import the settings module by a dotted
        // name in a string, are followed by name instead (`declarations`,
        // analyze::reach).
        (Python, r"\bimportlib\.import_module\s*\(|\b__import__\s*\("),
        // Strings keep their quotes in the code view: a name that does
        // not start with one is computed.
        (
            JavaScript,
            r#"\brequire\s*\(\s*[^'"`\s)]|\bimport\s*\(\s*[^'"`\s)]"#,
        ),
        // A computed require, `autoload`, and Rails' autoloader (Zeitwerk),
        // which loads constants by name with no require at all.
        (
            Ruby,
            r#"\brequire(?:_relative)?\b[ \t]*\(?[ \t]*[^'"\s(]|\bautoload\b|\bZeitwerk\b|\bRails\.application\b"#,
        ),
        // A computed include, and class autoloaders.
        (
            Php,
            r"\b(?:require|include)(?:_once)?\b[ \t]*\(?[ \t]*\$|\bspl_autoload_register\b",
        ),
        // Reflection, and ASP.NET's controllers and pages, found by
        // scanning the assembly.
        (
            CSharp,
            r"\bActivator\.CreateInstance\b|\bAssembly\.(?:Load\w*|GetExecutingAssembly)\b|\bType\.GetType\s*\(|\b(?:AddControllers\w*|MapControllers|AddMvc\w*|AddRazorPages|MapRazorPages)\b",
        ),
        // `apply/3`, modules built from strings, and Phoenix controllers,
        // whose view module is found by name.
        (
            Elixir,
            r"\bapply\s*\(|\bModule\.concat\b|\bString\.to_(?:existing_)?atom\b|\bPhoenix\.Controller\b|\buse\s+\w+Web\s*,\s*:controller\b",
        ),
        // Reflection, service loaders, and frameworks that find classes
        // by scanning (a Spring Boot application is walked as a package
        // scan instead, analyze::reach).
        (
            Java,
            r"\bClass\.forName\s*\(|\bServiceLoader\.load\b|@ComponentScan\b|\bscanBasePackages\b|\bMicronaut\.run\b|@QuarkusMain\b",
        ),
    ];
    table
        .iter()
        .map(|(l, p)| (*l, Regex::new(p).expect("dynamic import regex")))
        .collect()
});

/// Whether the file imports by a computed name (`importlib.import_module(x)`,
/// `require(name)`, `import(url)`): an import graph cannot follow it.
pub fn dynamic_imports(view: &CodeView) -> bool {
    if view.language == Language::Rust {
        // A file taken in by a path computed from the package's own
        // directory. A literal `include!("x.rs")` or `#[path = "x.rs"]`
        // is an import of that file (`rust_included_files`), and one
        // computed from `OUT_DIR` is a build output, not a tree file.
        return RS_COMPUTED_INCLUDE
            .find_iter(&view.code)
            .any(|m| string_at(view, m.end()).is_some_and(|s| s.text == "CARGO_MANIFEST_DIR"));
    }
    DYNAMIC_IMPORT
        .iter()
        .filter(|(l, _)| l.family().contains(&view.language))
        .any(|(_, re)| re.is_match(&view.code))
}

static RS_COMPUTED_INCLUDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\binclude!\s*\(\s*concat!\s*\(\s*env!\s*\(\s*""#).expect("computed include")
});

/// A configuration key whose string value names a package the library
/// loads itself: knex's `client: 'better-sqlite3'`, TypeORM's `type:
/// 'mysql'`, Sequelize's `dialect: 'sqlite'`. Matched on the code view, where
/// string contents are blank but the quotes stay.
static NAMING_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(?:client|driver|dialect|type|adapter)[ \t]*:[ \t]*(['"])"#)
        .expect("naming key")
});

/// The package names a JavaScript or TypeScript file gives as the value of
/// a driver-naming key (`NAMING_KEY`): a library requires them by that
/// name, so the declaration is used though no import names it
/// (`analyze::unimported`). Only the shape of an npm name is kept; whether
/// it is a package is the manifest's to say.
pub fn named_packages(view: &CodeView, text: &str) -> Vec<String> {
    if !matches!(view.language, Language::JavaScript | Language::TypeScript) {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for c in NAMING_KEY.captures_iter(&view.code) {
        let Some(q) = c.get(1) else { continue };
        let rest = text.get(q.end()..).unwrap_or("");
        let quote = q.as_str().chars().next().unwrap_or('\'');
        let Some(end) = rest.find([quote, '\n']) else {
            continue;
        };
        let name = &rest[..end];
        let npm_shaped = (1..=214).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"@/._-".contains(&b))
            && !name.starts_with(['.', '_', '/']);
        if npm_shaped && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}

static CS_NAMESPACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*namespace[ \t]+([A-Za-z_][\w.]*)").expect("namespace")
});
static EX_MODULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?m)^[ \t]*(?:defmodule[ \t]+([A-Z][\w.]*)|defimpl\b[^\n]*\bfor:[ \t]*([A-Z][\w.]*))",
    )
    .expect("defmodule")
});
static EX_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z]\w*(?:\.[A-Z]\w*)*").expect("module reference"));
/// Django's loaders; the command line's is also `DJANGO_CLI`.
static PY_DJANGO_LOADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(get_wsgi_application|get_asgi_application|execute_from_command_line)\s*\(")
        .expect("django loader")
});
static PY_INSTALLED_APPS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^INSTALLED_APPS[ \t]*\+?=").expect("installed apps"));

/// What `declares` holds for a Python file that starts Django's loaders,
/// which import the settings module by the dotted name in a string.
pub const DJANGO_LOADER: &str = "django:loader";
/// What `declares` holds for a Django settings module (it lists
/// `INSTALLED_APPS`, whose packages Django imports by name).
pub const DJANGO_SETTINGS: &str = "django:settings";
/// What `declares` holds for Django's command line (`manage.py`): it runs
/// the management commands and the migrations, which the server does not.
pub const DJANGO_CLI: &str = "django:cli";

/// Python: the dotted module names written in strings (`"shop.settings"`,
/// `"shop.apps.ShopConfig"`, Celery's `include=[...]`): frameworks import
/// them by name. In a Django settings module, bare names too (an
/// `INSTALLED_APPS` entry may be just the package).
fn python_names(view: &CodeView, settings: bool) -> Vec<String> {
    let ident = |p: &str| {
        p.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let mut refers: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for s in &view.strings {
        if seen.len() >= MAX_REFERENCES {
            break;
        }
        let t = s.text.as_str();
        let dotted = t.contains('.') && t.split('.').all(ident);
        if t.len() <= 200 && (dotted || (settings && ident(t))) && seen.insert(t) {
            refers.push(t.to_string());
        }
    }
    refers
}

/// Distinct module references read per file, at most.
const MAX_REFERENCES: usize = 2_000;

/// What a file declares and names, where imports do not say it all: the
/// namespaces a C# file declares; the modules an Elixir file defines (and
/// the types it implements a protocol for) and every module it names in
/// code (Elixir calls `Shop.Repo.insert` and lists supervisor children
/// with no `alias`); the first one or two parts of every path a Rust file
/// writes in code (`other_crate::f()` needs no `use`), and whether it holds
/// code that runs unnamed (parse::rust_paths). Both lists sorted, no
/// duplicates.
pub fn declarations(view: &CodeView) -> (Vec<String>, Vec<String>) {
    let code = &view.code;
    let (mut declares, mut refers): (Vec<String>, Vec<String>) = match view.language {
        Language::CSharp => (
            CS_NAMESPACE
                .captures_iter(code)
                .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
                .collect(),
            Vec::new(),
        ),
        Language::Elixir => {
            let declares = EX_MODULE
                .captures_iter(code)
                .filter_map(|c| c.get(1).or(c.get(2)).map(|m| m.as_str().to_string()))
                .collect();
            let mut refers: Vec<String> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for m in EX_REFERENCE.find_iter(code) {
                if seen.len() >= MAX_REFERENCES {
                    break;
                }
                if seen.insert(m.as_str()) {
                    refers.push(m.as_str().to_string());
                }
            }
            (declares, refers)
        }
        Language::Rust => {
            let declares = if super::rust_paths::runs_unnamed(code) {
                vec![super::rust_paths::RUNS_UNNAMED.to_string()]
            } else {
                Vec::new()
            };
            (declares, super::rust_paths::paths(code))
        }
        Language::Python => {
            let settings = PY_INSTALLED_APPS.is_match(code);
            let mut declares = Vec::new();
            if settings {
                declares.push(DJANGO_SETTINGS.to_string());
            }
            for c in PY_DJANGO_LOADER.captures_iter(code) {
                declares.push(DJANGO_LOADER.to_string());
                if c.get(1)
                    .is_some_and(|m| m.as_str() == "execute_from_command_line")
                {
                    declares.push(DJANGO_CLI.to_string());
                }
            }
            (declares, python_names(view, settings))
        }
        // The cobra commands it defines; the rest of a Go file's names are
        // read only where a package holds commands (scan::go_names).
        Language::Go => (super::go_names::commands(view), Vec::new()),
        _ => return (Vec::new(), Vec::new()),
    };
    declares.sort();
    declares.dedup();
    refers.sort();
    (declares, refers)
}

static ENTRY: LazyLock<Vec<(Language, Regex)>> = LazyLock::new(|| {
    use Language::*;
    let table: &[(Language, &str)] = &[
        (Go, r"(?m)^func[ \t]+main[ \t]*\([ \t]*\)"),
        (Rust, r"(?m)^(?:async[ \t]+)?fn[ \t]+main[ \t]*\("),
        (
            Java,
            r"\bstatic[ \t]+void[ \t]+main[ \t]*\(|\bfun[ \t]+main[ \t]*\(",
        ),
        (C, r"(?m)^[ \t]*(?:int|void)[ \t]+main[ \t]*\("),
        (
            CSharp,
            r"\bstatic[ \t]+(?:async[ \t]+)?(?:void|int|Task(?:<int>)?)[ \t]+Main[ \t]*\(",
        ),
    ];
    table
        .iter()
        .map(|(l, p)| (*l, Regex::new(p).expect("entry regex")))
        .collect()
});

static SPRING_BOOT_APP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@SpringBootApplication\b").expect("spring boot app"));
static GO_PACKAGE_MAIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^package[ \t]+main\b").expect("package main"));
static PY_MAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^if[ \t]+__name__[ \t]*==[ \t]*['"]__main__['"]"#).expect("py main")
});

/// Whether the file starts a program by itself, and how: Go `package main`
/// with `func main()`, a Python `if __name__ == "__main__":` block, a
/// package `__main__.py` or a `wsgi.py`/`asgi.py` module (what a WSGI or
/// ASGI server loads), Rust `fn main` in `main.rs` or `src/bin/`, a Spring
/// Boot application class, a JVM or .NET `main`, a C `main`, a Rack
/// `config.ru`. Only code counts, not a comment.
pub fn entry_marker(view: &CodeView, rel: &str, text: &str) -> Option<EntryKind> {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    let code = |re: &Regex, hay: &str| re.find_iter(hay).any(|m| view.is_code(text, m.start()));
    let found = |lang: Language| {
        ENTRY
            .iter()
            .filter(|(l, _)| l.family().contains(&lang))
            .any(|(_, re)| code(re, &view.code))
    };
    match view.language {
        Language::Go => {
            (code(&GO_PACKAGE_MAIN, &view.code) && found(Language::Go)).then_some(EntryKind::GoMain)
        }
        Language::Python if matches!(file, "wsgi.py" | "asgi.py") => Some(EntryKind::Wsgi),
        Language::Python => (file == "__main__.py"
            || PY_MAIN
                .find_iter(text)
                .any(|m| view.is_code(text, m.start())))
        .then_some(EntryKind::PythonMain),
        Language::Ruby => (file == "config.ru").then_some(EntryKind::Rack),
        Language::Java | Language::Kotlin if code(&SPRING_BOOT_APP, &view.code) => {
            Some(EntryKind::SpringBoot)
        }
        Language::Rust => ((file == "main.rs" || rel.contains("src/bin/"))
            && found(Language::Rust))
        .then_some(EntryKind::CargoBin),
        Language::Java | Language::Kotlin => found(Language::Java).then_some(EntryKind::JvmMain),
        Language::C | Language::Cpp => found(Language::C).then_some(EntryKind::CMain),
        Language::CSharp => found(Language::CSharp).then_some(EntryKind::Dotnet),
        _ => None,
    }
}

fn normalize(lang: Language, module: &str) -> String {
    match lang {
        Language::JavaScript | Language::TypeScript => {
            module.strip_prefix("node:").unwrap_or(module).to_string()
        }
        Language::Rust => module.trim_start_matches("::").to_string(),
        _ => module.to_string(),
    }
}

fn inside(spans: &[std::ops::Range<usize>], off: usize) -> bool {
    spans.iter().any(|r| r.contains(&off))
}

static CFG_TEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{")
        .expect("cfg(test) regex")
});

/// Byte spans of `#[cfg(test)] mod x { ... }` blocks in Rust code, so that a
/// `Command::new` inside unit tests is reported as test code; the whole
/// file when it opens with `#![cfg(test)]` (a module built only for tests,
/// however its parent declares it).
fn rust_test_modules(code: &str) -> Vec<std::ops::Range<usize>> {
    let b = code.as_bytes();
    // An inner attribute stands before the file's first item, on its own
    // line.
    let whole = memchr::memmem::find_iter(b, b"#![cfg(test)]").any(|at| {
        let line = code[..at].rfind('\n').map_or(0, |i| i + 1);
        code[line..at].trim().is_empty()
    });
    if whole {
        return std::iter::once(0..code.len()).collect();
    }
    CFG_TEST
        .find_iter(code)
        .map(|m| m.start()..super::block_end(b, m.end(), b.len()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_tools_files_are_build() {
        let tools = "//go:build tools\n\npackage tools\n\nimport (\n\t_ \"github.com/fsnotify/fsnotify\"\n)\n";
        let (_, out) = parse(Language::Go, "tools.go", tools, Context::Service);
        assert!(!out.facts.is_empty());
        assert!(out.facts.iter().all(|f| f.context == Context::Build));
        let old = tools.replace("//go:build tools", "// +build tools");
        let (_, out) = parse(Language::Go, "tools.go", &old, Context::Service);
        assert!(out.facts.iter().all(|f| f.context == Context::Build));
        let and = tools.replace("//go:build tools", "// +build tools,linux");
        let (_, out) = parse(Language::Go, "tools.go", &and, Context::Service);
        assert!(out.facts.iter().all(|f| f.context == Context::Build));
        for other in [
            "//go:build !tools",
            "//go:build tools || linux",
            "// +build tools linux",
            "// hello tools",
        ] {
            let text = tools.replace("//go:build tools", other);
            let (_, out) = parse(Language::Go, "main.go", &text, Context::Service);
            assert!(
                out.facts.iter().all(|f| f.context == Context::Service),
                "{other}"
            );
        }
    }

    fn imports(lang: Language, src: &str) -> Vec<String> {
        let (_, out) = parse(lang, "f", src, Context::Service);
        out.facts
            .into_iter()
            .filter_map(|f| match f.kind {
                FactKind::Import { module, .. } => Some(module),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn type_only_imports_load_nothing() {
        let src = "import type {ChildProcess} from 'node:child_process';\nexport type { Server } from 'node:net';\nimport { type Worker, type WorkerOptions } from 'node:worker_threads';\nimport type * as cp from 'node:cluster';\nimport { type A, spawn } from 'cross-spawn';\nimport type from 'typelib';\nimport {exec} from 'child_process';\n";
        assert_eq!(
            imports(Language::TypeScript, src),
            ["cross-spawn", "typelib", "child_process"]
        );
    }

    #[test]
    fn per_language_imports() {
        assert_eq!(imports(Language::Python, "import os, subprocess\nfrom a.b import c\n# import nope\n\"\"\"\nimport doc\n\"\"\"\n"), ["os", "subprocess", "a.b"]);
        assert_eq!(
            imports(
                Language::Go,
                "import (\n\t\"fmt\"\n\t// \"os/exec\"\n\tebpf \"github.com/cilium/ebpf\"\n)\n"
            ),
            ["fmt", "github.com/cilium/ebpf"]
        );
        assert_eq!(
            imports(Language::TypeScript, "import { spawn } from 'node:child_process';\nconst x = require(\"sharp\");\n// require('nope')\n"),
            ["child_process", "sharp"]
        );
        assert_eq!(
            imports(
                Language::Rust,
                "use std::process::{Command, Stdio};\nextern crate libc;\n"
            ),
            ["std::process", "libc"]
        );
        assert_eq!(
            imports(
                Language::C,
                "#include <sys/inotify.h>\n// #include <cuda.h>\n"
            ),
            ["sys/inotify.h"]
        );
        assert_eq!(
            imports(Language::Kotlin, "import java.lang.ProcessBuilder\n"),
            ["java.lang.ProcessBuilder"]
        );
        assert_eq!(imports(Language::Ruby, "require 'open3'\n"), ["open3"]);
        assert_eq!(
            imports(
                Language::Rust,
                "mod store;\npub(crate) mod api;\nmod inline { }\n// mod gone;\n"
            ),
            ["self::store", "self::api"]
        );
        assert_eq!(
            imports(
                Language::Rust,
                "use crate::{api::Context, db, *};\nuse super::{x};\nuse ::shop::{self, a};\n"
            ),
            ["crate::api", "crate::db", "crate", "super::x", "shop"]
        );
        assert_eq!(
            imports(
                Language::Php,
                "<?php\nrequire_once __DIR__ . '/lib/db.php';\n$x = include 'views/a.php';\nrequire $dyn;\n// require 'no.php';\n"
            ),
            ["/lib/db.php", "views/a.php"]
        );
    }

    fn view(lang: Language, src: &str) -> CodeView {
        parse(lang, "f", src, Context::Service).0
    }

    #[test]
    fn continued_python_imports_carry_their_names_in_the_snippet() {
        let src = "from . import (\n    admin,  # the admin pages\n    users,\n)\nfrom .x import a, \\\n    b\nfrom y import (c, d)\nimport z\n";
        let (_, out) = parse(
            Language::Python,
            "pkg/routes/__init__.py",
            src,
            Context::Service,
        );
        let got: Vec<(String, u32, String)> = out
            .facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::Import { module, .. } => {
                    Some((module.clone(), f.at.line.unwrap(), f.at.snippet.clone()))
                }
                _ => None,
            })
            .collect();
        let row = |m: &str, l, s: &str| (m.to_string(), l, s.to_string());
        assert_eq!(
            got,
            [
                row(".", 1, "from . import (admin, users,)"),
                row(".x", 5, "from .x import a, b"),
                row("y", 7, "from y import (c, d)"),
                row("z", 8, "import z"),
            ]
        );
        // An unclosed list at the end of the file reads what is there.
        let (_, out) = parse(
            Language::Python,
            "a.py",
            "from . import (\n  a,\n",
            Context::Service,
        );
        assert_eq!(out.facts[0].at.snippet, "from . import (a,)");
    }

    #[test]
    fn declarations_of_namespaces_and_modules() {
        let cs = "using System;\nnamespace Shop.Api;\n// namespace Old;\nclass A {}\n";
        assert_eq!(
            declarations(&view(Language::CSharp, cs)),
            (vec!["Shop.Api".to_string()], vec![])
        );
        let ex = "defmodule Shop.Repo do\n  use Ecto.Repo, otp_app: :shop\n  # Old.Thing\n  def x, do: \"Not.A.Module\"\nend\ndefimpl Jason.Encoder, for: Shop.Order do\nend\n";
        let (declares, refers) = declarations(&view(Language::Elixir, ex));
        assert_eq!(declares, ["Shop.Order", "Shop.Repo"]);
        assert_eq!(
            refers,
            ["Ecto.Repo", "Jason.Encoder", "Shop.Order", "Shop.Repo"]
        );
        let rs = "use std::fs;\nfn main() {\n    shop_core::run();\n    // gone::x();\n    crate::a::b();\n    shop_core::stop();\n}\n";
        assert_eq!(
            declarations(&view(Language::Rust, rs)),
            (
                vec![],
                ["shop_core", "shop_core::run", "shop_core::stop"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            declarations(&view(Language::Python, "class A: pass\n")),
            (vec![], vec![])
        );
        // Django: the loader names the settings module in a string, the
        // settings list apps by name (bare names only count there).
        let wsgi = "import os\nfrom django.core.wsgi import get_wsgi_application\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings.prod\")\napplication = get_wsgi_application()\n";
        assert_eq!(
            declarations(&view(Language::Python, wsgi)),
            (
                vec![DJANGO_LOADER.to_string()],
                vec!["shop.settings.prod".to_string()]
            )
        );
        let settings = "INSTALLED_APPS = [\n    \"orders\",\n    \"django.contrib.admin\",\n]\nROOT_URLCONF = \"shop.urls\"\nTIME_ZONE = \"UTC\"\nVERSION = \"1.2.3\"\n# \"old.module\"\n";
        assert_eq!(
            declarations(&view(Language::Python, settings)),
            (
                vec![DJANGO_SETTINGS.to_string()],
                ["UTC", "django.contrib.admin", "orders", "shop.urls"]
                    .map(String::from)
                    .to_vec()
            )
        );
        // `manage.py` starts the loader and the command line.
        let manage = "import sys\nfrom django.core.management import execute_from_command_line\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"shop.settings\")\nexecute_from_command_line(sys.argv)\n";
        assert_eq!(
            declarations(&view(Language::Python, manage)),
            (
                vec![DJANGO_CLI.to_string(), DJANGO_LOADER.to_string()],
                vec!["shop.settings".to_string()]
            )
        );
        // Elsewhere a bare word in a string is not a module name.
        let other = "MODE = \"orders\"\nlog = getLogger(\"shop.jobs\")\n";
        assert_eq!(
            declarations(&view(Language::Python, other)),
            (vec![], vec!["shop.jobs".to_string()])
        );
    }

    #[test]
    fn entry_markers_by_convention() {
        let marker = |lang, rel: &str, src: &str| {
            let (v, _) = parse(lang, rel, src, Context::Service);
            entry_marker(&v, rel, src)
        };
        assert_eq!(
            marker(
                Language::Python,
                "proj/wsgi.py",
                "application = get_wsgi_application()\n"
            ),
            Some(EntryKind::Wsgi)
        );
        assert_eq!(marker(Language::Python, "proj/views.py", "x = 1\n"), None);
        assert_eq!(
            marker(Language::Ruby, "config.ru", "run App\n"),
            Some(EntryKind::Rack)
        );
        let boot = "@SpringBootApplication\npublic class App {\n  public static void main(String[] a) {}\n}\n";
        assert_eq!(
            marker(Language::Java, "App.java", boot),
            Some(EntryKind::SpringBoot)
        );
        assert_eq!(
            marker(
                Language::Java,
                "App.java",
                &boot.replace("@SpringBootApplication", "// @SpringBootApplication")
            ),
            Some(EntryKind::JvmMain)
        );
    }

    #[test]
    fn driver_names_in_configuration_are_package_names() {
        let src = "const db = knex({\n  client: 'better-sqlite3',\n  connection: { filename: 'x.db' },\n});\nconst ds = new DataSource({ type: \"mysql\", driver: Mod });\nconst t = { type: 'Button Click' };\n// client: 'pg'\n";
        let v = view(Language::TypeScript, src);
        assert_eq!(named_packages(&v, src), ["better-sqlite3", "mysql"]);
        // Other languages' keys are not npm names.
        let py = "DATABASES = {'default': {'client': 'pg'}}\n";
        assert!(named_packages(&view(Language::Python, py), py).is_empty());
    }

    #[test]
    fn dynamic_loading_per_language() {
        let dynamic = |lang, src: &str| dynamic_imports(&view(lang, src));
        assert!(dynamic(
            Language::Python,
            "import importlib\nm = importlib.import_module(name)\n"
        ));
        // Django's loader is followed through the settings module's name
        // (analyze::reach), not given up on.
        assert!(!dynamic(Language::Python, "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"));
        assert!(dynamic(Language::Ruby, "Bundler.require(*Rails.groups)\n"));
        assert!(!dynamic(
            Language::Ruby,
            "require 'json'\nrequire_relative 'app'\n"
        ));
        assert!(dynamic(Language::Php, "<?php\nrequire $path;\n"));
        assert!(!dynamic(
            Language::Php,
            "<?php\nrequire __DIR__ . '/x.php';\n"
        ));
        assert!(dynamic(Language::Java, "Class.forName(name);\n"));
        // A literal path is an edge (below); a build output is not a tree
        // file; a path computed from the package directory is not followed.
        assert!(!dynamic(Language::Rust, "#[path = \"gen.rs\"]\nmod gen;\n"));
        assert!(!dynamic(Language::Rust, "mod gen;\n"));
        assert!(!dynamic(
            Language::Rust,
            "include!(concat!(env!(\"OUT_DIR\"), \"/gen.rs\"));\n"
        ));
        assert!(dynamic(
            Language::Rust,
            "include!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/src/gen.rs\"));\n"
        ));
        assert!(dynamic(
            Language::CSharp,
            "builder.Services.AddControllers();\n"
        ));
        assert!(dynamic(Language::Elixir, "use ShopWeb, :controller\n"));
        assert!(!dynamic(Language::Elixir, "alias Shop.Repo\n"));
    }

    /// The literal gate in front of each import regex lets through every
    /// file that has the statement, and the statement alone.
    #[test]
    fn import_regexes_run_where_their_literal_occurs() {
        assert_eq!(
            imports(
                Language::Rust,
                "pub(crate) use a::b;\nextern crate c;\nmod d;\nfn e() {}\n"
            ),
            ["a::b", "c", "self::d"]
        );
        assert_eq!(imports(Language::Rust, "use a::b;\n"), ["a::b"]);
        // `mod` and `use` only inside other words: no statement, no import.
        assert!(imports(Language::Rust, "fn model() { reuse(); }\n").is_empty());
        // Every import regex is found from line starts or has a literal to
        // gate on.
        assert!(IMPORTS.iter().all(|(_, find)| match find {
            Find::Line(_) => true,
            Find::Anywhere(_, needs) => needs.is_some(),
        }));
        // Every `(?m)^` statement is found from line starts; only
        // `require(`, `import(`, Go's import blocks and PHP's includes run
        // over the whole text.
        let lines = IMPORTS.iter().filter(|(_, f)| matches!(f, Find::Line(_)));
        assert_eq!(lines.count(), 14);
    }

    /// `include!` and `#[path]` with a literal path import that file;
    /// other macros and computed paths import nothing.
    #[test]
    fn rust_literal_includes_are_imports_of_their_file() {
        let src = "#[path = \"auth/send.rs\"]\nmod send;\ninclude!(\"gen/table.rs\");\n\
                   my_include!(\"no.rs\");\ninclude_str!(\"no.txt\");\n\
                   include!(concat!(env!(\"OUT_DIR\"), \"/x.rs\"));\n\
                   const S: &str = \"include!(\\\"no.rs\\\")\";\n";
        assert_eq!(
            imports(Language::Rust, src),
            ["auth/send.rs", "self::send", "gen/table.rs"]
        );
        // Only Rust reads them.
        assert!(imports(Language::C, "include!(\"x.rs\");\n").is_empty());
    }

    #[test]
    fn rust_cfg_test_module_is_test_context() {
        let src = "use std::fs;\n#[cfg(test)]\nmod tests {
\n    use std::process::Command;\n}\n";
        let (_, out) = parse(Language::Rust, "src/lib.rs", src, Context::Service);
        let ctx: Vec<_> = out.facts.iter().map(|f| f.context).collect();
        assert_eq!(ctx, [Context::Service, Context::Test]);
        // A file built only for tests, whatever `mod` line declares it.
        let src = "//! Checks.\n#![cfg(test)]\nuse std::process::Command;\n";
        let (_, out) = parse(Language::Rust, "src/check.rs", src, Context::Service);
        let ctx: Vec<_> = out.facts.iter().map(|f| f.context).collect();
        assert_eq!(ctx, [Context::Test]);
        // Not an attribute of the file: a string, a narrower `cfg`.
        for src in [
            "const A: &str = \"#![cfg(test)]\";\nuse std::process::Command;\n",
            "#![cfg(any(test, feature = \"x\"))]\nuse std::process::Command;\n",
        ] {
            let (_, out) = parse(Language::Rust, "src/check.rs", src, Context::Service);
            let ctx: Vec<_> = out.facts.iter().map(|f| f.context).collect();
            assert_eq!(ctx, [Context::Service], "{src}");
        }
    }
}
