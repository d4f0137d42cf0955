//! A small lexer that blanks comments and string contents out of source code.
//!
//! Matching on raw text is where keyword scanners lose precision: `cuda` in a
//! TODO comment, `bpf` in a base64 blob, `exec` in a log message. The lexer
//! keeps byte offsets and line structure intact (every blanked byte becomes a
//! space, newlines stay), so a match in the code view maps straight back to
//! the original line, and the original text still provides snippets.
//!
//! It is deliberately a lexer, not a parser: it has to be fast, total and
//! forgiving on code that does not compile, and it only needs to know where
//! comments and strings start and end.

use crate::model::language::Language;
use std::ops::Range;

/// A string literal's contents and where they start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrLit {
    pub start: usize,
    pub text: String,
}

/// Source with comments and string contents blanked.
#[derive(Clone, Debug)]
pub struct CodeView {
    pub language: Language,
    /// Same byte length as the original; blanked bytes are spaces.
    pub code: String,
    pub strings: Vec<StrLit>,
    pub comments: Vec<Range<usize>>,
    /// Spans of test-only code inside the file (Rust `#[cfg(test)]`
    /// modules), set by the source parser.
    pub test_spans: Vec<Range<usize>>,
    line_starts: Vec<usize>,
}

impl CodeView {
    /// 1-based line number of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        let idx = self.line_starts.partition_point(|&s| s <= offset);
        idx.max(1) as u32
    }

    /// Byte range of a 1-based line (without the newline).
    pub fn line_range(&self, line: u32, len: usize) -> Range<usize> {
        let i = (line.max(1) - 1) as usize;
        let start = self.line_starts.get(i).copied().unwrap_or(len);
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(len, |&e| e.saturating_sub(1));
        start..end.max(start)
    }

    /// The text of a 1-based line of the original source.
    pub fn line_text<'a>(&self, original: &'a str, line: u32) -> &'a str {
        let r = self.line_range(line, original.len());
        original.get(r).unwrap_or("")
    }

    /// Whether `offset` is inside test-only code.
    pub fn in_test(&self, offset: usize) -> bool {
        self.test_spans.iter().any(|r| r.contains(&offset))
    }

    /// Whether the byte at `offset` is code (not inside a comment or string).
    pub fn is_code(&self, original: &str, offset: usize) -> bool {
        let (a, b) = (self.code.as_bytes(), original.as_bytes());
        offset < a.len()
            && offset < b.len()
            && a[offset] == b[offset]
            && !b[offset].is_ascii_whitespace()
    }
}

#[derive(Clone, Copy)]
struct Syntax {
    line_comment: &'static [&'static str],
    block_comment: Option<(&'static str, &'static str)>,
    nested_blocks: bool,
    single_quote_is_string: bool,
    char_literals: bool,
    backtick_strings: bool,
    triple_quotes: bool,
    rust_raw: bool,
    csharp_verbatim: bool,
    js_regex: bool,
    hash_needs_space: bool,
}

const BASE: Syntax = Syntax {
    line_comment: &["//"],
    block_comment: Some(("/*", "*/")),
    nested_blocks: false,
    single_quote_is_string: false,
    char_literals: true,
    backtick_strings: false,
    triple_quotes: false,
    rust_raw: false,
    csharp_verbatim: false,
    js_regex: false,
    hash_needs_space: false,
};

fn syntax(lang: Language) -> Syntax {
    use Language::*;
    match lang {
        Go => Syntax {
            backtick_strings: true,
            ..BASE
        },
        Rust => Syntax {
            nested_blocks: true,
            rust_raw: true,
            ..BASE
        },
        C | Cpp => BASE,
        Java | Kotlin => Syntax {
            triple_quotes: true,
            ..BASE
        },
        CSharp => Syntax {
            csharp_verbatim: true,
            triple_quotes: true,
            ..BASE
        },
        JavaScript | TypeScript => Syntax {
            single_quote_is_string: true,
            char_literals: false,
            backtick_strings: true,
            js_regex: true,
            ..BASE
        },
        Python => Syntax {
            line_comment: &["#"],
            block_comment: None,
            single_quote_is_string: true,
            char_literals: false,
            triple_quotes: true,
            ..BASE
        },
        Ruby => Syntax {
            line_comment: &["#"],
            block_comment: Some(("\n=begin", "\n=end")),
            single_quote_is_string: true,
            char_literals: false,
            backtick_strings: true,
            ..BASE
        },
        Elixir => Syntax {
            line_comment: &["#"],
            block_comment: None,
            single_quote_is_string: true,
            char_literals: false,
            triple_quotes: true,
            ..BASE
        },
        Erlang => Syntax {
            line_comment: &["%"],
            block_comment: None,
            single_quote_is_string: true,
            char_literals: false,
            ..BASE
        },
        Php => Syntax {
            line_comment: &["//", "#"],
            single_quote_is_string: true,
            char_literals: false,
            backtick_strings: true,
            ..BASE
        },
        Shell => Syntax {
            line_comment: &["#"],
            block_comment: None,
            single_quote_is_string: true,
            char_literals: false,
            hash_needs_space: true,
            ..BASE
        },
    }
}

/// Lexes `src` as `lang`. Total: any input yields a view, unterminated
/// strings and comments simply run to the end.
pub fn lex(lang: Language, src: &str) -> CodeView {
    let syn = syntax(lang);
    let b = src.as_bytes();
    let mut code = b.to_vec();
    let mut strings = Vec::new();
    let mut comments = Vec::new();
    let mut i = 0;
    // The last significant code byte, for telling a JS regex literal from a
    // division.
    let mut prev_code: u8 = b'\n';
    let special = special_bytes(&syn);
    while i < b.len() {
        // Fast path: bytes that cannot start a comment, string or literal
        // are plain code and stay as they are.
        let run = i;
        while i < b.len() && !special[b[i] as usize] {
            i += 1;
        }
        if i > run {
            if syn.js_regex {
                if let Some(&last) = b[run..i].iter().rev().find(|c| !c.is_ascii_whitespace()) {
                    prev_code = last;
                }
            }
            if i == b.len() {
                break;
            }
        }
        let c = b[i];
        // Line comments.
        if let Some(tok) = syn
            .line_comment
            .iter()
            .find(|t| b[i..].starts_with(t.as_bytes()))
        {
            let ok = !syn.hash_needs_space
                || i == 0
                || b[i - 1].is_ascii_whitespace()
                || b[i - 1] == b';';
            if ok && !(tok == &"#" && lang == Language::Php && b.get(i + 1) == Some(&b'[')) {
                let end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |p| i + p);
                blank(&mut code, i, end);
                comments.push(i..end);
                i = end;
                continue;
            }
        }
        // Block comments.
        if let Some((open, close)) = syn.block_comment {
            let at_open = if open.starts_with('\n') {
                (i == 0 && b.starts_with(&open.as_bytes()[1..]))
                    || b[i..].starts_with(open.as_bytes())
            } else {
                b[i..].starts_with(open.as_bytes())
            };
            if at_open {
                let end = block_end(b, i + open.len(), open, close, syn.nested_blocks);
                blank(&mut code, i, end);
                comments.push(i..end);
                i = end;
                continue;
            }
        }
        // Rust raw strings: r"..", r#".."#, br#".."#.
        if syn.rust_raw
            && (c == b'r' || (c == b'b' && b.get(i + 1) == Some(&b'r')))
            && !ident_before(b, i)
        {
            let mut j = i + if c == b'b' { 2 } else { 1 };
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) == Some(&b'"') {
                let content = j + 1;
                let mut close = Vec::with_capacity(hashes + 1);
                close.push(b'"');
                close.extend(std::iter::repeat_n(b'#', hashes));
                let end = find(b, content, &close).unwrap_or(b.len());
                push_string(&mut strings, src, content, end);
                blank(&mut code, content, end);
                i = (end + close.len()).min(b.len());
                prev_code = b'"';
                continue;
            }
        }
        // C# verbatim strings: @"..." with "" as the escaped quote.
        if syn.csharp_verbatim && c == b'@' && b.get(i + 1) == Some(&b'"') {
            let content = i + 2;
            let mut j = content;
            while j < b.len() {
                if b[j] == b'"' {
                    if b.get(j + 1) == Some(&b'"') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            push_string(&mut strings, src, content, j);
            blank(&mut code, content, j);
            i = (j + 1).min(b.len());
            prev_code = b'"';
            continue;
        }
        // Triple-quoted strings.
        if syn.triple_quotes
            && (b[i..].starts_with(b"\"\"\"")
                || (syn.single_quote_is_string && b[i..].starts_with(b"'''")))
        {
            let delim = &b[i..i + 3];
            let content = i + 3;
            let end = find_escaped(b, content, delim).unwrap_or(b.len());
            push_string(&mut strings, src, content, end);
            blank(&mut code, content, end);
            i = (end + 3).min(b.len());
            prev_code = b'"';
            continue;
        }
        // JS regex literals, so that a quote inside /['"]/ does not open a string.
        if syn.js_regex && c == b'/' && b"(,=:[!&|?{};".contains(&prev_code) {
            if let Some(end) = regex_literal_end(b, i) {
                blank(&mut code, i + 1, end);
                i = end + 1;
                prev_code = b'/';
                continue;
            }
        }
        let is_quote = c == b'"'
            || (c == b'\'' && syn.single_quote_is_string)
            || (c == b'`' && syn.backtick_strings);
        if is_quote {
            let content = i + 1;
            let raw = c == b'`' && lang == Language::Go;
            let end = string_end(b, content, c, raw);
            push_string(&mut strings, src, content, end);
            blank(&mut code, content, end);
            i = (end + 1).min(b.len());
            prev_code = b'"';
            continue;
        }
        if c == b'\'' && syn.char_literals {
            // A char literal is short ('a', '\n', '\u{1F600}'); anything else
            // is a Rust lifetime or a stray quote and stays code.
            if let Some(end) = char_literal_end(b, i + 1) {
                blank(&mut code, i + 1, end);
                i = end + 1;
                prev_code = b'"';
                continue;
            }
        }
        if !c.is_ascii_whitespace() {
            prev_code = c;
        }
        if c >= 0x80 {
            // Keep the view ASCII so that every offset is a char boundary.
            code[i] = b' ';
        }
        i += 1;
    }
    let mut line_starts = vec![0];
    line_starts.extend(memchr::memchr_iter(b'\n', b).map(|i| i + 1));
    // Only spaces replaced bytes and the rest was ASCII code, so this holds.
    let code = String::from_utf8(code).unwrap_or_default();
    CodeView {
        language: lang,
        code,
        strings,
        comments,
        test_spans: Vec::new(),
        line_starts,
    }
}

/// Which bytes can start something the lexer must look at: a comment, a
/// string, a character or regex literal, or a non-ASCII byte to blank.
/// Every other byte is plain code, skipped without a comparison.
fn special_bytes(syn: &Syntax) -> [bool; 256] {
    let mut t = [false; 256];
    for tok in syn.line_comment {
        t[tok.as_bytes()[0] as usize] = true;
    }
    if let Some((open, _)) = syn.block_comment {
        let o = open.as_bytes();
        t[o[0] as usize] = true;
        if o[0] == b'\n' && o.len() > 1 {
            // A block opener at the very start of the file has no newline.
            t[o[1] as usize] = true;
        }
    }
    for q in [b'"', b'\'', b'`'] {
        t[q as usize] = true;
    }
    if syn.rust_raw {
        t[b'r' as usize] = true;
        t[b'b' as usize] = true;
    }
    if syn.csharp_verbatim {
        t[b'@' as usize] = true;
    }
    if syn.js_regex {
        t[b'/' as usize] = true;
    }
    for c in t.iter_mut().skip(0x80) {
        *c = true;
    }
    t
}

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from > b.len() {
        return None;
    }
    memchr::memmem::find(&b[from..], pat).map(|p| from + p)
}

fn find_escaped(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    let mut j = from;
    while j < b.len() {
        j += memchr::memchr2(b'\\', pat[0], &b[j..])?;
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j..].starts_with(pat) {
            return Some(j);
        }
        j += 1;
    }
    None
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn blank(code: &mut [u8], from: usize, to: usize) {
    let to = to.min(code.len());
    for c in &mut code[from.min(to)..to] {
        if *c != b'\n' {
            *c = b' ';
        }
    }
}

fn push_string(out: &mut Vec<StrLit>, src: &str, start: usize, end: usize) {
    let end = end.min(src.len());
    if start <= end {
        if let Some(text) = src.get(start..end) {
            out.push(StrLit {
                start,
                text: text.to_string(),
            });
        }
    }
}

fn block_end(b: &[u8], from: usize, open: &str, close: &str, nested: bool) -> usize {
    let (open, close) = (open.as_bytes(), close.as_bytes());
    if !nested {
        return find(b, from, close).map_or(b.len(), |p| p + close.len());
    }
    let mut depth = 1;
    let mut j = from;
    while j < b.len() {
        match memchr::memchr2(open[0], close[0], &b[j..]) {
            Some(p) => j += p,
            None => break,
        }
        if b[j..].starts_with(close) {
            depth -= 1;
            j += close.len();
            if depth == 0 || !nested {
                return j;
            }
            continue;
        }
        if nested && b[j..].starts_with(open) {
            depth += 1;
            j += open.len();
            continue;
        }
        j += 1;
    }
    b.len()
}

/// End of a quoted string (the closing quote's offset). Ordinary strings end
/// at an unescaped newline too, so one missing quote does not swallow a file.
fn string_end(b: &[u8], from: usize, quote: u8, raw: bool) -> usize {
    let multiline = quote == b'`';
    let mut j = from;
    while j < b.len() {
        match memchr::memchr3(b'\\', quote, b'\n', &b[j..]) {
            Some(p) => j += p,
            None => break,
        }
        match b[j] {
            b'\\' if !raw => j += 2,
            c if c == quote => return j,
            b'\n' if !multiline => return j,
            _ => j += 1,
        }
    }
    b.len()
}

fn char_literal_end(b: &[u8], from: usize) -> Option<usize> {
    let first = *b.get(from)?;
    if first == b'\\' {
        let limit = (from + 12).min(b.len());
        return (from + 2..limit).find(|&j| b[j] == b'\'');
    }
    if first == b'\'' || first == b'\n' {
        return None;
    }
    // One UTF-8 character, then the closing quote.
    let width = match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    (b.get(from + width) == Some(&b'\'')).then_some(from + width)
}

fn regex_literal_end(b: &[u8], start: usize) -> Option<usize> {
    if matches!(b.get(start + 1), Some(b'/') | Some(b'*') | None) {
        return None;
    }
    let mut j = start + 1;
    let mut class = false;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'[' => class = true,
            b']' => class = false,
            b'/' if !class => return Some(j),
            b'\n' => return None,
            _ => {}
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(lang: Language, src: &str) -> String {
        let v = lex(lang, src);
        assert_eq!(v.code.len(), src.len());
        v.code
    }

    #[test]
    fn blanks_comments_and_strings_keeping_offsets() {
        let src = "x := exec.Command(\"ffmpeg\") // call exec.Command\n/* cuda */ y";
        let c = code(Language::Go, src);
        assert!(c.contains("exec.Command(\"      \")"));
        assert!(!c.contains("cuda"));
        assert_eq!(c.matches("exec.Command").count(), 1);
        let v = lex(Language::Go, src);
        assert_eq!(v.strings[0].text, "ffmpeg");
        assert_eq!(v.line_of(src.find('y').unwrap()), 2);
    }

    #[test]
    fn python_docstrings_and_hash() {
        let src = "def f():\n    \"\"\"Runs subprocess.run for you.\"\"\"\n    # os.system('x')\n    return '#'\n";
        let c = code(Language::Python, src);
        assert!(!c.contains("subprocess"));
        assert!(!c.contains("os.system"));
        assert!(c.contains("return"));
    }

    #[test]
    fn rust_lifetimes_chars_raw_and_nested_comments() {
        let src = "fn f<'a>(x: &'a str) -> char { let c = '\"'; let r = r#\"a \"quoted\" libc::syscall\"#; /* a /* b */ c */ 'x' }";
        let c = code(Language::Rust, src);
        assert!(c.contains("<'a>"));
        assert!(!c.contains("libc::syscall"));
        assert!(!c.contains(" c */"));
        assert!(c.ends_with("}"));
    }

    #[test]
    fn js_regex_literal_with_quote() {
        let src = "const re = /['\"]/; child_process.exec(cmd);";
        let c = code(Language::JavaScript, src);
        assert!(c.contains("child_process.exec(cmd)"));
    }

    #[test]
    fn shell_hash_inside_word_is_not_comment() {
        let src = "echo ${#arr} # start daemon &\nnginx &\n";
        let c = code(Language::Shell, src);
        assert!(c.contains("${#arr}"));
        assert!(!c.contains("daemon"));
        assert!(c.contains("nginx &"));
    }

    #[test]
    fn non_ascii_and_unterminated_input_is_total() {
        for lang in Language::ALL {
            for src in [
                "\"unterminated",
                "/* open",
                "'",
                "r#\"",
                "é'x'",
                "\u{1F600}`",
                "@\"",
                "'''",
                "/[/",
            ] {
                let v = lex(lang, src);
                assert_eq!(v.code.len(), src.len(), "{lang} {src:?}");
            }
        }
    }
}
