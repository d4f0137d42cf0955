//! What a Rust file names in code (the crates and modules its paths start
//! with) and whether it holds code that runs without its module being named.
//!
//! The import graph (analyze::reach) follows a workspace library's `mod`
//! declarations only to the modules someone names: a service that uses
//! `shop_core::money` does not run `shop_core::shell`. These two facts are
//! what that needs: the paths, and the modules that must be kept anyway.

use super::{is_ident_byte, leading_ident as ident};
use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::LazyLock;

/// Marks, among a Rust file's declarations, code that can run with no path
/// naming its module: a macro, a symbol exported to the linker, a
/// registration run at start-up, or methods and trait impls added to a type
/// declared elsewhere (called on a value, with no path).
pub const RUNS_UNNAMED: &str = "(runs unnamed)";

/// Distinct paths kept per file, at most.
const MAX_PATHS: usize = 2_000;

/// Paths read per file, at most, before duplicates are dropped.
const MAX_RAW_PATHS: usize = 100_000;

/// The most bytes an item keyword's line holds before it (indentation,
/// `pub(in a::b)`, `unsafe`).
const MAX_ITEM_PREFIX: usize = 256;

/// The longest `use` group read, in bytes.
const MAX_GROUP: usize = 4_096;

/// What makes a file's code run with no path naming its module; a
/// `macro_rules!` is used by name only, with no module path, by the modules
/// after it (`#[macro_use] mod macros;`) or exported.
const MARKS: [&str; 8] = [
    "macro_rules!",
    "#[no_mangle",
    "#[unsafe(no_mangle",
    "#[export_name",
    "#[unsafe(export_name",
    "#[ctor",
    "#[distributed_slice",
    "submit!",
];

/// The keywords of the items `runs_unnamed` weighs.
const ITEM_WORDS: [&str; 6] = ["impl", "struct", "enum", "union", "type", "trait"];

static ITEMS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(MARKS.iter().chain(ITEM_WORDS.iter()))
        .expect("rust items")
});

/// The paths `code` writes, as their first part (`shop_core`) and their
/// first two (`shop_core::money`): each item of a `use` group
/// (`shop_core::{money, db::Pool}`) is one, and a glob is `shop_core::*`.
/// `std`, `core`, `alloc`, `crate`, `self` and `super` are left out. Sorted,
/// no duplicates.
pub fn paths(code: &str) -> Vec<String> {
    // Borrowed from `code` until the end: a file writes the same few paths
    // thousands of times. (root, "") is a root with no module after it.
    let mut seen: Vec<(&str, &str)> = Vec::new();
    // The end of the last group read: paths inside it are its items'.
    let mut read_to = 0;
    let bytes = code.as_bytes();
    for colons in memchr::memmem::find_iter(bytes, b"::") {
        if seen.len() >= MAX_RAW_PATHS {
            break;
        }
        // The lowercase identifier right before `::`, which nothing but a
        // non-path byte precedes (`a::b::c` gives `a` only).
        let mut start = colons;
        while start > 0 && matches!(bytes[start - 1], b'a'..=b'z' | b'0'..=b'9' | b'_') {
            start -= 1;
        }
        if start == colons
            || start < read_to
            || bytes[start].is_ascii_digit()
            || (start > 0
                && (bytes[start - 1] == b':'
                    || is_ident_byte(bytes[start - 1])
                    || bytes[start - 1] >= 0x80))
        {
            continue;
        }
        let name = &code[start..colons];
        if matches!(name, "std" | "core" | "alloc" | "crate" | "self" | "super") {
            continue;
        }
        let root_end = colons;
        let rest = &code[root_end + 2..];
        if let Some(group) = rest.strip_prefix('{') {
            let (items, len) = group_items(group);
            push(&mut seen, (name, ""));
            for item in items.into_iter().filter(|i| module_like(i)) {
                push(&mut seen, (name, item));
            }
            read_to = root_end + 3 + len;
        } else if rest.starts_with('*') {
            push(&mut seen, (name, "*"));
        } else {
            let second = ident(rest).filter(|i| module_like(i)).unwrap_or("");
            push(&mut seen, (name, second));
        }
    }
    seen.sort_unstable();
    seen.dedup();
    // Every root, then its modules: `a`, `a::b`.
    let mut out: Vec<String> = Vec::new();
    let mut last_root = None;
    for (root, second) in seen {
        if out.len() >= MAX_PATHS {
            break;
        }
        if last_root != Some(root) {
            out.push(root.to_string());
            last_root = Some(root);
        }
        if !second.is_empty() {
            out.push(format!("{root}::{second}"));
        }
    }
    out.sort();
    out
}

/// Whether a statement (its line, or its text up to the module's name) is
/// a `mod x;` declaration, not a `use`: the parser reports both as
/// imports, and only the first declares a child module.
pub fn is_mod(statement: &str) -> bool {
    statement
        .split(|c: char| c.is_whitespace() || c == ';')
        .take_while(|w| *w != "use")
        .any(|w| w == "mod")
}

/// Adds a path unless it is the one just added (a file writes the same
/// path many times in a row; fewer to sort).
fn push<'t>(seen: &mut Vec<(&'t str, &'t str)>, path: (&'t str, &'t str)) {
    if seen.last() != Some(&path) {
        seen.push(path);
    }
}

/// Whether a path's second part may be a module (`money`, `*`), not a type
/// or a constant (`Pool`, `MAX`): modules are snake_case.
fn module_like(part: &str) -> bool {
    part == "*" || part.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
}

/// The first part of each item of a `use` group whose `{` is already read:
/// `money, db::{Pool, Tx}, self, *}` gives `money`, `db`, `*` (`self` is
/// the crate, already named), and the bytes read.
pub fn group_items(group: &str) -> (Vec<&str>, usize) {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut end = group.len().min(MAX_GROUP);
    let bytes = group.as_bytes();
    for i in 0..end {
        match bytes[i] {
            b'{' => depth += 1,
            b'}' if depth == 0 => {
                items.push(&group[start..i]);
                end = i;
                break;
            }
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    let items = items
        .into_iter()
        .filter_map(|item| {
            let item = item.trim_start();
            if item.starts_with('*') {
                Some("*")
            } else {
                ident(item).filter(|i| *i != "self")
            }
        })
        .collect();
    (items, end)
}

/// Whether `code` holds something that runs with no path naming its
/// module (see `RUNS_UNNAMED`). A `impl` whose type the file does not
/// declare is one: the methods it adds are called on values the caller
/// got from elsewhere.
pub fn runs_unnamed(code: &str) -> bool {
    // One pass of one searcher over the file (SIMD-prefiltered): the marks
    // end it at once; the keywords give the types the file declares and
    // where each `impl` block starts.
    let mut declared: Vec<&str> = Vec::new();
    let mut impls: Vec<usize> = Vec::new();
    let bytes = code.as_bytes();
    // The start of the current line, found from the last match on: one
    // read of the text however long its lines.
    let (mut line_start, mut seen_to) = (0, 0);
    for m in ITEMS.find_iter(code) {
        let word = m.pattern().as_usize();
        if word < MARKS.len() {
            return true;
        }
        if let Some(i) = memchr::memrchr(b'\n', &bytes[seen_to..m.start()]) {
            line_start = seen_to + i + 1;
        }
        seen_to = m.start();
        let after = &code[m.end()..];
        let boundary_before = m.start() == 0 || !is_ident_byte(bytes[m.start() - 1]);
        if !boundary_before || after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        // Only an item: the line before it holds nothing but indentation, a
        // visibility or `unsafe` (not `-> impl Trait`, not `let x: T`).
        if m.start() - line_start > MAX_ITEM_PREFIX {
            continue;
        }
        let before = without_visibility(code[line_start..m.start()].trim_start()).trim_end();
        let item = before.is_empty() || before == "unsafe";
        if !item {
            continue;
        }
        if ITEM_WORDS[word - MARKS.len()] == "impl" {
            impls.push(m.end());
        } else if let Some(name) = ident(after.trim_start()) {
            declared.push(name);
        }
    }
    // A trait declared here must be in scope to be called: its module is
    // named where it is.
    impls.into_iter().any(|at| match impl_names(&code[at..]) {
        Some((tr, ty)) => !declared.contains(&ty) && tr.is_none_or(|t| !declared.contains(&t)),
        None => true,
    })
}

/// `t` after a leading `pub`, `pub(crate)`, `pub(in a::b)` and its space.
fn without_visibility(t: &str) -> &str {
    let Some(rest) = t.strip_prefix("pub") else {
        return t;
    };
    let rest = match rest.strip_prefix('(') {
        Some(inner) => match inner.find(')') {
            Some(i) => &inner[i + 1..],
            None => return t,
        },
        None => rest,
    };
    if rest.starts_with([' ', '\t']) {
        rest.trim_start()
    } else {
        t
    }
}

/// The trait (if any) and the type an `impl` (already read) is for: `<T: X>
/// a::Trait<T> for b::Ty<T> where ... {` gives `Trait` and `Ty`; None when
/// it cannot be read.
fn impl_names(after: &str) -> Option<(Option<&str>, &str)> {
    let head = &after[..after.len().min(MAX_GROUP)];
    let head = &head[..head.find('{')?];
    // Skip the impl's own generic parameters.
    let mut s = head.trim_start();
    if s.starts_with('<') {
        let mut depth = 0usize;
        let mut end = None;
        for (i, b) in s.bytes().enumerate() {
            match b {
                b'<' => depth += 1,
                b'>' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        s = &s[end?..];
    }
    let s = s.split(" where").next().unwrap_or(s);
    let (tr, ty) = match s.rfind(" for ") {
        Some(i) => (Some(last_name(&s[..i])?), &s[i + 5..]),
        None => (None, s),
    };
    Some((tr, last_name(ty)?))
}

/// The name a type or trait path ends with: `&mut a::Ty<T>` gives `Ty`.
fn last_name(s: &str) -> Option<&str> {
    let s = s
        .trim_start()
        .trim_start_matches(['&', '!'])
        .trim_start_matches("mut ")
        .trim_start_matches("dyn ")
        .trim_start();
    let path = s.split('<').next().unwrap_or(s).trim_end();
    ident(path.rsplit("::").next().unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_give_crates_and_their_first_modules() {
        let code = "use shop_core::{money, db::{Pool, Tx}, self};\nuse other::*;\nfn main() {\n    shop_core::shell::run();\n    crate::a::b();\n    Vec::<u8>::new();\n    std::fs::read(\"x\");\n}\n";
        assert_eq!(
            paths(code),
            [
                "other",
                "other::*",
                "shop_core",
                "shop_core::db",
                "shop_core::money",
                "shop_core::shell"
            ]
        );
        assert!(paths("fn main() {}\n").is_empty());
        // An unclosed group gives the items read before the text ends.
        assert_eq!(paths("use a::{b, c"), ["a", "a::b"]);
    }

    #[test]
    fn mod_declarations_are_told_from_uses() {
        assert!(is_mod("pub mod shell;"));
        assert!(is_mod("#[cfg(unix)] pub(crate) mod shell;"));
        assert!(is_mod("pub(crate) mod "));
        assert!(!is_mod("use self::shell::Shell;"));
        assert!(!is_mod("pub use crate::r#mod;"));
    }

    #[test]
    fn code_that_runs_unnamed() {
        // Its own types' methods and impls run only through their name.
        let own = "pub enum Shell { Bash }\nimpl Shell {\n    fn run() {}\n}\nimpl std::fmt::Display for Shell {\n    fn fmt() {}\n}\nimpl<T: Into<u8>> From<T> for Shell where T: Copy {\n}\n";
        assert!(!runs_unnamed(own));
        assert!(!runs_unnamed("fn f() {}\n"));
        assert!(!runs_unnamed(
            "pub(crate) struct Row;\nunsafe impl Send for Row {}\n"
        ));
        // `implement` is not `impl`, nor is a return type.
        assert!(!runs_unnamed("fn implement() {}\n"));
        assert!(!runs_unnamed("fn f() -> impl Iterator<Item = u8> {\n}\n"));
        // Far into a line (minified text) nothing starts an item.
        let long = format!("{}impl Pool {{}}\n", " ".repeat(MAX_ITEM_PREFIX + 1));
        assert!(!runs_unnamed(&long));
        assert!(runs_unnamed(&format!(
            "struct A;\n{}",
            &long[MAX_ITEM_PREFIX - 3..]
        )));
        // Methods added to a type declared elsewhere run on its values.
        assert!(runs_unnamed(
            "impl crate::db::Pool {\n    fn spawn() {}\n}\n"
        ));
        assert!(runs_unnamed(
            "struct A;\nimpl<'a> From<&'a A> for super::Row<'a> {\n}\n"
        ));
        assert!(runs_unnamed("impl<T> Spawn for T {}\n"));
        // A trait declared here is called only where it is imported.
        assert!(!runs_unnamed(
            "pub trait Spawn {}\nimpl<T> Spawn for T {}\n"
        ));
        assert!(runs_unnamed(
            "#[macro_export]\nmacro_rules! m { () => {} }\n"
        ));
        assert!(runs_unnamed("macro_rules! local { () => {} }\n"));
        assert!(runs_unnamed("#[no_mangle]\npub extern \"C\" fn f() {}\n"));
        assert!(runs_unnamed("inventory::submit! { Plugin }\n"));
    }
}
