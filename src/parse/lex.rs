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
//! comments and strings start and end, and where code starts again inside a
//! string: an interpolation (`${...}`, `f"{...}"`, `#{...}`) is code, so it
//! stays visible, and each literal part around it is a string of its own
//! (`interp`).

mod heredoc;
mod interp;

use crate::model::language::Language;
use interp::{Delim, End, Escape, Frame, Hole, Opening, Str, StrKind};
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
    /// Spans of functions a framework runs only as command-line commands
    /// (Flask's `cli`), set by the source parser: a side program's code.
    pub command_spans: Vec<Range<usize>>,
    line_starts: Vec<usize>,
}

impl CodeView {
    /// The byte offset of every line's start, 0 first.
    pub fn line_starts(&self) -> &[usize] {
        &self.line_starts
    }

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

    /// Whether `offset` is inside a command-line command's function.
    pub fn in_command(&self, offset: usize) -> bool {
        self.command_spans.iter().any(|r| r.contains(&offset))
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
            // `s.gsub(/[`'"]/)`: a quote in a regex literal opens nothing.
            js_regex: true,
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
/// `hay.starts_with(needle)` for the short tokens of a lexer (`//`, `/*`,
/// `use`): compared byte by byte in place, where `starts_with` calls
/// `memcmp` once per special byte of every file.
#[inline]
pub(crate) fn prefix(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay.iter().zip(needle).all(|(a, b)| a == b)
}

pub fn lex(lang: Language, src: &str) -> CodeView {
    let syn = syntax(lang);
    let mut lx = Lexer {
        lang,
        syn,
        src,
        b: src.as_bytes(),
        code: src.as_bytes().to_vec(),
        strings: Vec::new(),
        comments: Vec::new(),
        prev_code: b'\n',
        stack: Vec::new(),
        stops: Vec::new(),
        heredocs: Vec::new(),
        unterminated: false,
    };
    let top = special_bytes(lang, &syn, false);
    let in_hole = special_bytes(lang, &syn, true);
    let mut i = 0;
    // A PHP file starts in HTML: a template's text before its first tag.
    if lang == Language::Php && !src.starts_with("<?") && !src.starts_with("#!") {
        i = lx.inline_html(0);
    }
    while i < src.len() {
        i = match lx.stack.last().copied() {
            Some(Frame::Str(s)) => lx.string_part(s, i),
            Some(Frame::Hole(_)) => lx.code(i, &in_hole),
            None => lx.code(i, &top),
        };
    }
    let Lexer {
        code,
        strings,
        comments,
        ..
    } = lx;
    let mut line_starts = vec![0];
    line_starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
    // Only spaces replaced bytes and the rest was ASCII code, so this holds.
    let code = String::from_utf8(code).unwrap_or_default();
    CodeView {
        language: lang,
        code,
        strings,
        comments,
        test_spans: Vec::new(),
        command_spans: Vec::new(),
        line_starts,
    }
}

struct Lexer<'a> {
    lang: Language,
    syn: Syntax,
    src: &'a str,
    b: &'a [u8],
    code: Vec<u8>,
    strings: Vec<StrLit>,
    comments: Vec<Range<usize>>,
    /// The last significant code byte, for telling a JS regex literal from
    /// a division.
    prev_code: u8,
    /// The interpolated strings and holes the lexer is inside; empty in
    /// plain code.
    stack: Vec<Frame>,
    /// `interp::stops` of each kind of string met so far.
    stops: Vec<(StrKind, interp::Stops)>,
    /// Ruby and PHP heredocs opened on the current line, whose bodies
    /// start on the next one.
    heredocs: Vec<heredoc::Heredoc>,
    /// A shell heredoc of this file had no terminator: `<<` is not taken
    /// for one anymore.
    unterminated: bool,
}

impl Lexer<'_> {
    /// Lexes code from `i`: a run of plain code, then the one comment,
    /// string, literal or bracket that stops it. Returns where to go on.
    fn code(&mut self, mut i: usize, special: &[bool; 256]) -> usize {
        let (b, syn) = (self.b, self.syn);
        // Fast path: bytes that cannot start a comment, string or literal
        // are plain code and stay as they are.
        let run = i;
        loop {
            while i < b.len() && !special[b[i] as usize] {
                i += 1;
            }
            // Rust's `r` and `b` start something only as a raw string
            // (`r"`, `r#"`, `br"`): any other one is a letter of a word, and
            // going round the whole dispatch below for each would stop this
            // loop on most words.
            if syn.rust_raw && i < b.len() && matches!(b[i], b'r' | b'b') && !may_open_raw(b, i) {
                i += 1;
                continue;
            }
            break;
        }
        if i > run && syn.js_regex {
            if let Some(&last) = b[run..i].iter().rev().find(|c| !c.is_ascii_whitespace()) {
                self.prev_code = last;
            }
        }
        if i == b.len() {
            return i;
        }
        let c = b[i];
        // The end of a line that opened heredocs: their bodies follow.
        if c == b'\n' && !self.heredocs.is_empty() {
            return self.heredoc_bodies(i + 1);
        }
        if c == b'<' && self.heredocs.len() < heredoc::MAX_PENDING {
            let opened = match self.lang {
                Language::Ruby => heredoc::opener(b, i),
                Language::Php => heredoc::php_opener(b, i),
                Language::Shell if !self.unterminated => heredoc::shell_opener(b, i),
                _ => None,
            };
            if let Some((doc, next)) = opened {
                self.heredocs.push(doc);
                return next;
            }
        }
        // PHP's closing tag: what follows, up to the next opening tag, is
        // inline HTML (a template's text, whose "don't" opens no string).
        if c == b'?' && self.lang == Language::Php && b[i..].starts_with(b"?>") {
            return self.inline_html(i + 2);
        }
        // Inside a hole, brackets find the hole's end. None of these bytes
        // starts a comment, string or literal in any language.
        if let Some(Frame::Hole(h)) = self.stack.last_mut() {
            match c {
                b'{' | b'(' | b'[' => h.depth = h.depth.saturating_add(1),
                // The brace that balances the opener: back to the string.
                b'}' if h.depth == 0 => {
                    self.stack.pop();
                    return i + 1;
                }
                b'}' | b')' | b']' => h.depth = h.depth.saturating_sub(1),
                b':' | b'!' if h.depth == 0 => {
                    if let Some(kind) = interp::spec_at(h.spec, b, i) {
                        self.stack.pop();
                        return self.open_string(kind, i + 1);
                    }
                }
                _ => {}
            }
            if matches!(c, b'{' | b'}' | b'(' | b')' | b'[' | b']' | b':' | b'!') {
                return self.plain_code(i);
            }
        }
        // Line comments.
        if let Some(tok) = syn
            .line_comment
            .iter()
            .find(|t| prefix(&b[i..], t.as_bytes()))
        {
            let ok = !syn.hash_needs_space
                || i == 0
                || b[i - 1].is_ascii_whitespace()
                || b[i - 1] == b';';
            if ok && !(tok == &"#" && self.lang == Language::Php && b.get(i + 1) == Some(&b'[')) {
                let end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |p| i + p);
                blank(&mut self.code, i, end);
                self.comments.push(i..end);
                return end;
            }
        }
        // Block comments.
        if let Some((open, close)) = syn.block_comment {
            let at_open = if open.starts_with('\n') {
                (i == 0 && prefix(b, &open.as_bytes()[1..])) || prefix(&b[i..], open.as_bytes())
            } else {
                prefix(&b[i..], open.as_bytes())
            };
            if at_open {
                let end = block_end(b, i + open.len(), open, close, syn.nested_blocks);
                blank(&mut self.code, i, end);
                self.comments.push(i..end);
                return end;
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
                return self.plain_string(content, end, close.len());
            }
        }
        // C# verbatim strings: @"..." with "" as the escaped quote.
        if syn.csharp_verbatim && c == b'@' && b.get(i + 1) == Some(&b'"') {
            if let Some(kind) = interp::string_at(self.lang, b, i, Delim::Verbatim) {
                return self.open_string(kind, i + 2);
            }
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
            return self.plain_string(content, j, 1);
        }
        // Triple-quoted strings.
        if syn.triple_quotes
            && (b[i..].starts_with(b"\"\"\"")
                || (syn.single_quote_is_string && b[i..].starts_with(b"'''")))
        {
            if let Some(kind) = interp::string_at(self.lang, b, i, Delim::Triple(c)) {
                return self.open_string(kind, i + 3);
            }
            let delim = &b[i..i + 3];
            let content = i + 3;
            let end = find_escaped(b, content, delim).unwrap_or(b.len());
            return self.plain_string(content, end, 3);
        }
        // JS regex literals, so that a quote inside /['"]/ does not open a string.
        if syn.js_regex && c == b'/' && b"(,=:[!&|?{};".contains(&self.prev_code) {
            if let Some(end) = regex_literal_end(b, i) {
                blank(&mut self.code, i + 1, end);
                self.prev_code = b'/';
                return end + 1;
            }
        }
        // Ruby's percent literals: %Q(...), %w[...], %x{...}.
        if c == b'%' && self.lang == Language::Ruby {
            if let Some((kind, content)) = interp::percent_literal(b, i) {
                return self.open_string(kind, content);
            }
        }
        let is_quote = c == b'"'
            || (c == b'\'' && syn.single_quote_is_string)
            || (c == b'`' && syn.backtick_strings);
        if is_quote {
            if let Some(kind) = interp::string_at(self.lang, b, i, Delim::Quote(c)) {
                return self.open_string(kind, i + 1);
            }
            let content = i + 1;
            let raw = c == b'`' && self.lang == Language::Go;
            // PHP strings of either quote run over lines (SQL, templates).
            let multiline = c == b'`' || self.lang == Language::Php;
            let end = string_end(b, content, c, raw, multiline);
            return self.plain_string(content, end, 1);
        }
        if c == b'\'' && syn.char_literals {
            // A char literal is short ('a', '\n', '\u{1F600}'); anything else
            // is a Rust lifetime or a stray quote and stays code.
            if let Some(end) = char_literal_end(b, i + 1) {
                blank(&mut self.code, i + 1, end);
                self.prev_code = b'"';
                return end + 1;
            }
        }
        self.plain_code(i)
    }

    /// The bodies of the heredocs opened on the line before `from`, one
    /// after the other. A body is a string; in an interpolating one,
    /// `#{...}` (Ruby) or `{$...}` (PHP) stays code. The terminator lines
    /// stay as they are. Returns where code goes on: after the last
    /// terminator line (after a PHP terminator, on its line).
    fn heredoc_bodies(&mut self, from: usize) -> usize {
        let mut at = from.min(self.b.len());
        for doc in std::mem::take(&mut self.heredocs) {
            let (end, next) = heredoc::body(self.b, at, &doc);
            // A shell `<<` with no terminator line anywhere was not a
            // heredoc (`$((a<<B))`): what follows is code, and no later
            // `<<` of the file is taken for one, so a file of them is
            // still read once.
            if doc.shell && end == self.b.len() {
                self.unterminated = true;
                break;
            }
            let holes = if doc.interpolates {
                heredoc::holes(self.b, at, end, doc.php)
            } else {
                Vec::new()
            };
            // What opens a hole before its code: `#{`, or PHP's `{`.
            let opener = if doc.php { 1 } else { 2 };
            let mut lit = at;
            for h in holes {
                self.literal(lit, h.code.start.saturating_sub(opener), true);
                lit = (h.code.end + 1).min(end);
                for q in h.strings {
                    self.literal(q.start, q.end, true);
                }
            }
            self.literal(lit, end, true);
            at = next;
        }
        self.prev_code = b'"';
        at
    }

    /// PHP inline HTML from `from` up to the next `<?` (`<?php`, `<?=`),
    /// blanked as a comment is: it is output, not code. Returns where the
    /// code goes on: at that tag.
    fn inline_html(&mut self, from: usize) -> usize {
        let end = find(self.b, from, b"<?").unwrap_or(self.b.len());
        blank(&mut self.code, from, end);
        if from < end {
            self.comments.push(from..end);
        }
        end
    }

    /// One byte of code at `i` that starts nothing.
    fn plain_code(&mut self, i: usize) -> usize {
        let c = self.b[i];
        if !c.is_ascii_whitespace() {
            self.prev_code = c;
        }
        if c >= 0x80 {
            // Keep the view ASCII so that every offset is a char boundary.
            self.code[i] = b' ';
        }
        i + 1
    }

    /// A string without holes, its text `content..end`, closed by
    /// `close_len` bytes.
    fn plain_string(&mut self, content: usize, end: usize, close_len: usize) -> usize {
        push_string(&mut self.strings, self.src, content, end);
        blank(&mut self.code, content, end);
        self.prev_code = b'"';
        (end + close_len).min(self.b.len())
    }

    /// Enters a string with holes whose text starts at `content`.
    fn open_string(&mut self, kind: StrKind, content: usize) -> usize {
        self.stack.push(Frame::Str(Str { kind, nest: 0 }));
        content.min(self.b.len())
    }

    /// Lexes the literal part of the string on top of the stack from
    /// `from` up to its end, a hole or a name. Each literal part is a
    /// string of its own in `strings`.
    fn string_part(&mut self, s: Str, from: usize) -> usize {
        let b = self.b;
        let kind = s.kind;
        let mut nest = s.nest;
        let may_open = self.stack.len() < interp::MAX_NESTING;
        // A format spec is formatting, not a string of the program.
        let record = kind.end != End::Brace;
        let stops = self.stops(kind);
        let mut j = from;
        while j < b.len() {
            // Bytes that cannot end the string, escape or open a hole are
            // skipped without the checks below: with memchr when there are
            // at most three such bytes (most strings), else by the table.
            j = stops.skip(b, j);
            let Some(&c) = b.get(j) else {
                break;
            };
            if c == b'\\' {
                match kind.escape {
                    Escape::Backslash => {
                        j += 2;
                        continue;
                    }
                    Escape::Python if b.get(j + 1) != Some(&b'{') => {
                        j += 2;
                        continue;
                    }
                    _ => {}
                }
            }
            match kind.end {
                End::Quote(q) if c == q => {
                    if kind.escape == Escape::Doubled && b.get(j + 1) == Some(&q) {
                        j += 2;
                        continue;
                    }
                    return self.end_string(from, j, j + 1, record);
                }
                End::Triple(q) if c == q && b[j..].starts_with(&[q, q, q]) => {
                    return self.end_string(from, j, j + 3, record);
                }
                End::Pair(open, _) if c == open => nest = nest.saturating_add(1),
                End::Pair(_, close) if c == close => {
                    if nest == 0 {
                        return self.end_string(from, j, j + 1, record);
                    }
                    nest -= 1;
                }
                // The hole's `}` after a format spec stays code.
                End::Brace if c == b'}' => return self.end_string(from, j, j + 1, record),
                _ => {}
            }
            if c == b'\n' && !kind.multiline {
                return self.end_string(from, j, j, record);
            }
            if may_open {
                let (at, next, hole) = match interp::opening(kind.holes, b, j) {
                    Opening::None => (None, j + 1, None),
                    Opening::Literal(to) => (None, to, None),
                    Opening::Name { at, end } => (Some(at), end, None),
                    Opening::Hole { at, code, spec } => (Some(at), code, Some(spec)),
                };
                if let Some(at) = at {
                    self.literal(from, at, record);
                    if let Some(Frame::Str(top)) = self.stack.last_mut() {
                        top.nest = nest;
                    }
                    if let Some(spec) = hole {
                        self.stack.push(Frame::Hole(Hole { depth: 0, spec }));
                        self.prev_code = b'{';
                    }
                    return next;
                }
                j = next;
                continue;
            }
            j += 1;
        }
        self.end_string(from, b.len(), b.len(), record)
    }

    /// The bytes `string_part` must look at in strings of `kind`, built
    /// once per kind and file.
    fn stops(&mut self, kind: StrKind) -> interp::Stops {
        if let Some((_, t)) = self.stops.iter().find(|(k, _)| *k == kind) {
            return *t;
        }
        let t = interp::stops(kind);
        self.stops.push((kind, t));
        t
    }

    /// Blanks a literal part `from..to` and records it as a string.
    fn literal(&mut self, from: usize, to: usize, record: bool) {
        let to = to.min(self.b.len());
        if record && from < to {
            push_string(&mut self.strings, self.src, from, to);
        }
        blank(&mut self.code, from, to);
    }

    /// Ends the string on top of the stack: its last literal part is
    /// `from..to`, and lexing goes on at `next`.
    fn end_string(&mut self, from: usize, to: usize, next: usize, record: bool) -> usize {
        self.literal(from, to, record);
        self.stack.pop();
        self.prev_code = b'"';
        next.min(self.b.len())
    }
}

/// Which bytes can start something the lexer must look at: a comment, a
/// string, a character or regex literal, or a non-ASCII byte to blank.
/// Every other byte is plain code, skipped without a comparison.
/// Inside a hole, brackets count too (the hole ends at the brace that
/// balances its opener), and so do the bytes that start a format spec.
fn special_bytes(lang: Language, syn: &Syntax, in_hole: bool) -> [bool; 256] {
    let mut t = [false; 256];
    if in_hole {
        for c in b"{}()[]:!" {
            t[*c as usize] = true;
        }
    }
    if lang == Language::Ruby {
        t[b'%' as usize] = true;
    }
    if matches!(lang, Language::Ruby | Language::Php | Language::Shell) {
        // Heredoc openers, and the line ends where their bodies start.
        t[b'<' as usize] = true;
        t[b'\n' as usize] = true;
    }
    if lang == Language::Php {
        // The closing tag `?>`.
        t[b'?' as usize] = true;
    }
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

/// Whether the `r` or `b` at `i` may open a Rust raw string: `r"`, `r#`,
/// `br"` or `br#` after no identifier byte (`r#name` is a raw identifier,
/// which the raw-string code then leaves as code).
fn may_open_raw(b: &[u8], i: usize) -> bool {
    let after = match b[i] {
        b'b' if b.get(i + 1) == Some(&b'r') => i + 2,
        b'r' => i + 1,
        _ => return false,
    };
    matches!(b.get(after), Some(b'"' | b'#')) && !ident_before(b, i)
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
fn string_end(b: &[u8], from: usize, quote: u8, raw: bool, multiline: bool) -> usize {
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

    fn texts(lang: Language, src: &str) -> Vec<String> {
        lex(lang, src).strings.into_iter().map(|s| s.text).collect()
    }

    /// `code` shows `visible` as it is in `src`, and none of `hidden`.
    fn shows(lang: Language, src: &str, visible: &[&str], hidden: &[&str]) {
        let c = code(lang, src);
        for v in visible {
            assert!(c.contains(v), "{lang}: {v:?} not code in {c:?}");
        }
        for h in hidden {
            assert!(!c.contains(h), "{lang}: {h:?} is code in {c:?}");
        }
    }

    #[test]
    fn js_template_holes_are_code() {
        for lang in [Language::JavaScript, Language::TypeScript] {
            let src =
                "const out = `run ${require(\"child_process\").spawnSync(\"ffmpeg\")} now`; go()";
            shows(
                lang,
                src,
                &["require(\"             \").spawnSync(\"      \")", "; go()"],
                &["run", "now", "child_process"],
            );
            assert_eq!(
                texts(lang, src),
                ["run ", "child_process", "ffmpeg", " now"]
            );
            // Nested templates, braces and a string holding a brace; a
            // regex literal in a hole.
            let src = "t = `a ${ok ? `b ${x.y()} c` : {k: \"}\"}.k} d ${/}/.test(s)} e`; z()";
            shows(
                lang,
                src,
                &["x.y()", "{k: \" \"}.k", ".test(s)", "; z()"],
                &["a ", " b ", " c", " d ", " e"],
            );
            // Escaped and in plain quotes: text.
            for src in [
                "s = `\\${child_process.exec(x)}`",
                "s = \"${child_process.exec(x)}\"",
                "s = '${child_process.exec(x)}'",
            ] {
                shows(lang, src, &["s = "], &["exec"]);
            }
        }
    }

    #[test]
    fn python_f_string_holes_are_code() {
        let py = Language::Python;
        for src in [
            "x = f\"{os.system('ffmpeg')}\"",
            "x = F'{os.system(\"ffmpeg\")}'",
            "x = rf\"{os.system('ffmpeg')}\"",
            "x = fR'{os.system(\"ffmpeg\")}'",
            "x = f\"\"\"\nlog {os.system('ffmpeg')}\n\"\"\"",
            "x = f'''{os.system('ffmpeg')}'''",
            "x = f\"\\{os.system('ffmpeg')}\"",
        ] {
            shows(py, src, &["os.system("], &["ffmpeg"]);
        }
        let src = "x = f\"run {os.system('ffmpeg')} now\"";
        assert_eq!(texts(py, src), ["run ", "ffmpeg", " now"]);
        // `{{` is a brace; a format spec is text, with holes of its own;
        // `!=` is code, `!r` a conversion.
        shows(
            py,
            "x = f\"{{os.system(a)}} {v:system{width}} {a != b} {c!r:>9}\"",
            &["v", "width", "a != b", "c!"],
            &["os.system", "system", ">9"],
        );
        // Brackets in a hole: a slice, a dict, a call.
        shows(
            py,
            "x = f\"{d[1:2]} { {'k': f(1)}['k'] } end\"",
            &["d[1:2]", ": f(1)}['"],
            &["end"],
        );
        // No f: text.
        for src in [
            "x = \"{os.system('ffmpeg')}\"",
            "x = r\"{os.system('ffmpeg')}\"",
            "x = b'{os.system(1)}'",
            "x = \"\"\"{os.system(1)}\"\"\"",
            "x = elif\"{os.system(1)}\"",
        ] {
            shows(py, src, &["x = "], &["os.system"]);
        }
    }

    #[test]
    fn kotlin_templates_are_code() {
        let kt = Language::Kotlin;
        shows(
            kt,
            "val s = \"out: ${ProcessBuilder(\"ls\").start()} by $user.\"",
            &["ProcessBuilder(\"  \").start()", "$user"],
            &["out", " by"],
        );
        shows(
            kt,
            "val s = \"\"\"\n  ${Runtime.getRuntime().exec(cmd)}\n\"\"\"",
            &["Runtime.getRuntime().exec(cmd)"],
            &[],
        );
        for src in [
            "val s = \"\\${Runtime.getRuntime().exec(cmd)}\"",
            "val s = \"$ 5 ${'$'}exec\"",
        ] {
            shows(kt, src, &["val s = "], &["exec"]);
        }
        // Java has no templates.
        shows(
            Language::Java,
            "String s = \"${Runtime.getRuntime().exec(cmd)} $user\";",
            &["String s = "],
            &["exec", "user"],
        );
    }

    #[test]
    fn csharp_interpolated_strings_are_code() {
        let cs = Language::CSharp;
        for src in [
            "var s = $\"run {Process.Start(\"ffmpeg\")}\";",
            "var s = $@\"run\n{Process.Start(\"ffmpeg\")}\";",
            "var s = @$\"run \"\"{Process.Start(\"ffmpeg\")}\"\"\";",
            "var s = $\"\"\"\n  run {Process.Start(\"ffmpeg\")}\n  \"\"\";",
            "var s = $$\"\"\"{literal} {{Process.Start(\"ffmpeg\")}}\"\"\";",
        ] {
            shows(
                cs,
                src,
                &["Process.Start(\""],
                &["run", "ffmpeg", "literal"],
            );
        }
        // `{{` is a brace; a format spec after `:` is text, `::` is code.
        shows(
            cs,
            "var s = $\"{{Process.Start(x)}} {total:Process} {global::System.Math.PI}\";",
            &["total", "global::System.Math.PI"],
            &["Process"],
        );
        for src in [
            "var s = \"{Process.Start(x)}\";",
            "var s = @\"{Process.Start(x)}\";",
        ] {
            shows(cs, src, &["var s = "], &["Process"]);
        }
    }

    #[test]
    fn ruby_interpolation_is_code() {
        let rb = Language::Ruby;
        for src in [
            r##"out = "run #{system("ffmpeg")} now""##,
            r##"out = `run #{system("ffmpeg")} now`"##,
            r##"out = %Q(run (a) #{system("ffmpeg")} now)"##,
            r##"out = %W[run #{system("ffmpeg")} now]"##,
            r##"out = %x{run #{system("ffmpeg")} now}"##,
        ] {
            shows(rb, src, &["system(\""], &["run", "ffmpeg", "now"]);
        }
        for src in [
            r##"out = '#{system("ffmpeg")}'"##,
            r##"out = "\#{system(cmd)}""##,
            r##"out = %q(#{system(cmd)})"##,
            r##"out = %w[#{system(cmd)}]"##,
        ] {
            shows(rb, src, &["out = "], &["system"]);
        }
        // A percent literal's own brackets nest; modulo is code.
        shows(
            rb,
            "a = %q(x (y) z) + b % (c)",
            &["+ b % (c)"],
            &["x", "y", "z"],
        );
    }

    #[test]
    fn shell_heredoc_bodies_are_text() {
        let sh = Language::Shell;
        // A help screen: "test & build" is no background job; the code
        // after the terminator is code again.
        let src = "help() {\n    cat <<EOF\nall : test & build all themes\nrun : exec ./server\nEOF\n}\nserver &\n";
        shows(
            sh,
            src,
            &["cat <<EOF", "EOF\n}\nserver &"],
            &["test &", "exec ./server"],
        );
        // <<-, a quoted and an escaped word, a space before the word.
        let src = "cat <<-'END'\n\tnohup x &\n\tEND\ncat << \\usage\nexec y\nusage\ncat <<\"E2\"\nfork\nE2\nz &\n";
        shows(
            sh,
            src,
            &["cat <<-'END'", "z &"],
            &["nohup", "exec y", "fork"],
        );
        // A shift, a here-string, and a `<<` with no terminator line are
        // code, and so is everything after them.
        let src = "echo $((a<<b))\ngrep x <<< \"$v\"\nexec ./run\n";
        assert!(code(sh, src).contains("exec ./run"));
        let src = "x=$((1 <<NOPE))\nexec ./run &\ncat <<EOF\nnot read as a heredoc\nEOF\n";
        assert_eq!(code(sh, src), src);
    }

    #[test]
    fn ruby_regex_literals_hold_quotes_and_backticks() {
        let rb = Language::Ruby;
        // A backtick or quote in a regex opens no command or string: the
        // comment after it is still a comment, the call after it code.
        let src = "s.gsub(/\\(?:([\\d+&`'\\\\]|k<\\w+>))/) { x }\n# run `ls` here\nspawn(y)\n";
        shows(rb, src, &["s.gsub(/", "{ x }", "spawn(y)"], &["ls", "run"]);
        // Division is not a regex.
        shows(
            rb,
            "a = b / c / d\nrun(`ls`)\n",
            &["a = b / c / d"],
            &["ls"],
        );
    }

    #[test]
    fn ruby_heredoc_holes_keep_their_strings_text() {
        let rb = Language::Ruby;
        let src = "description <<~MD\n  #{'## Include `xmpp4r` {in} your Gemfile' if missing?}\n  The `port`.\nMD\nsystem(z)\n";
        shows(
            rb,
            src,
            &["if missing?", "system(z)"],
            &["xmpp4r", "Gemfile", "port"],
        );
        let v = lex(rb, src);
        assert!(
            v.strings.iter().any(|s| s.text.contains("xmpp4r")),
            "{:?}",
            v.strings
        );
    }

    #[test]
    fn ruby_heredoc_bodies_are_strings() {
        let rb = Language::Ruby;
        // SQL with backquoted names and a help text naming a command are
        // text; the code around them, and on the opener's line, is code.
        let src = "def stats\n  execute <<~SQL.tr(\"\\n\", \" \")\n    insert into `stats` (`date`)\n    select system('x')\n  SQL\n  done(1)\nend\n";
        shows(
            rb,
            src,
            &["execute <<~SQL.tr(", "  SQL\n  done(1)"],
            &["`stats`", "system", "insert"],
        );
        let v = lex(rb, src);
        assert!(
            v.strings
                .iter()
                .any(|s| s.text.contains("insert into `stats`")),
            "{:?}",
            v.strings
        );
        // Two on one line, a quoted one without holes, a bare one.
        let src = "raise(<<-A, <<'B')\n  run `rails db:prepare`\n  A\n#{system('b')}\nB\nx = <<HTML\n<p>`ls`</p>\nHTML\ny = 2\n";
        shows(
            rb,
            src,
            &["raise(<<-A, <<'B')", "y = 2"],
            &["rails", "system", "<p>", "`ls`"],
        );
        // Holes stay code; an escaped one does not open.
        let src = "msg = <<~EOS\n  #{system(\"ffmpeg\")} and \\#{spawn(x)}\nEOS\n";
        shows(rb, src, &["#{system(\""], &["spawn", "and"]);
        // A backquoted heredoc is a command: its opener stays code.
        let src = "out = <<~`CMD`\n  ls -l\nCMD\n";
        shows(rb, src, &["<<~`CMD`"], &["ls -l"]);
        // Shifts and singleton classes are code, and so is what follows.
        let src =
            "class << self\n  def a; list << item; list <<item; 1 << 2; end\nend\nsystem(x)\n";
        assert_eq!(code(rb, src), src);
        // The next line after a comment on the opener's line is the body.
        let src = "q = <<~SQL # the query\n  `id` system\nSQL\n";
        shows(rb, src, &["q = <<~SQL", "SQL\n"], &["the query", "system"]);
    }

    #[test]
    fn php_heredoc_bodies_are_strings() {
        let php = Language::Php;
        // SQL with backquoted names in a nowdoc is text, not PHP's backtick
        // operator; the code after the closing identifier is code again.
        let src = "<?php\n$sql = <<<'SQL'\nINSERT INTO `_category`(kind)\nSELECT system('x')\nSQL;\n$stm = exec('ls');\n";
        shows(
            php,
            src,
            &["$sql = <<<'SQL'", "SQL;\n$stm = exec('  ');"],
            &["`_category`", "system", "INSERT"],
        );
        // An indented closing identifier (PHP 7.3+) inside a call; holes of
        // a heredoc stay code, plain `$x` and other braces are text.
        let src = "<?php\n  f(<<<SQL\n    UPDATE `_feed` SET {$this->q(shell_exec('x'))} $n\n    SQL, 1);\n  g();\n";
        shows(
            php,
            src,
            &["f(<<<SQL", "$this->q(shell_exec(' '))", "SQL, 1);\n  g();"],
            &["`_feed`", "UPDATE", "$n"],
        );
        // A backquoted command outside a heredoc is still code.
        shows(php, "<?php\n$o = `ls -l`;\n", &["$o = `"], &["ls -l"]);
        // `<` and `<<` are comparisons and shifts.
        let src = "<?php\nif ($a < $b << 2) { exec($c); }\n";
        assert_eq!(code(php, src), src);
    }

    #[test]
    fn php_strings_span_lines_and_inline_html_is_text() {
        let php = Language::Php;
        // A single- or double-quoted string runs over lines.
        let src = "<?php\n$sql = 'DO $$\nm := (SELECT MAX(id) FROM `_entrytmp`);\nEND $$;';\n$o = \"a\n`b` {$x}\n\";\nexec($c);\n";
        shows(
            php,
            src,
            &["$sql = '", "$x", "exec($c);"],
            &["`_entrytmp`", "SELECT", "`b`"],
        );
        // Text around and between PHP tags is HTML, not code: its
        // apostrophes open no string and its words are not matched.
        let src = "<p>Don't run `ls` here</p>\n<?php exec($a); ?>\n<p>It's system(x)</p>\n<?= shell_exec($b) ?>\n";
        shows(
            php,
            src,
            &["<?php exec($a); ?>", "<?= shell_exec($b) ?>"],
            &["Don't", "`ls`", "It's", "system(x)"],
        );
        // `?` in code is a ternary or a nullsafe call.
        let src = "<?php\n$a = $b ? $c?->d() : ($e ?? 1);\n";
        assert_eq!(code(php, src), src);
    }

    #[test]
    fn php_interpolation_is_code() {
        let php = Language::Php;
        shows(
            php,
            r#"<?php $s = "run {$r->run(shell_exec('ffmpeg'))} ${cmd} $o->name now";"#,
            &["$r->run(shell_exec('      '))", "cmd", "$o->name"],
            &["run {", "now"],
        );
        shows(php, "<?php $s = `ls {$dir}`;", &["$dir"], &["ls"]);
        for src in [
            r#"<?php $s = '{$r->run(shell_exec(x))}';"#,
            r#"<?php $s = "\{$r->run(shell_exec(x))}";"#,
        ] {
            shows(php, src, &["$s = "], &["shell_exec"]);
        }
    }

    #[test]
    fn elixir_interpolation_is_code() {
        let ex = Language::Elixir;
        for src in [
            r##"s = "run #{System.cmd("ffmpeg", [])} now""##,
            r##"s = 'run #{System.cmd("ffmpeg", [])} now'"##,
            "s = \"\"\"\nrun #{System.cmd(\"ffmpeg\", [])} now\n\"\"\"",
        ] {
            shows(ex, src, &["System.cmd(\""], &["run", "ffmpeg", "now"]);
        }
        shows(ex, r##"s = "\#{System.cmd(x)}""##, &["s = "], &["System"]);
        // Erlang strings do not interpolate.
        shows(
            Language::Erlang,
            r##"S = "#{os:cmd(x)}""##,
            &["S = "],
            &["os:cmd"],
        );
    }

    /// Holes inside holes inside strings, far deeper than any program:
    /// bounded, and the text after it is still lexed.
    #[test]
    fn deep_and_broken_interpolation_is_total() {
        let nested = |n: usize| "`${".repeat(n) + &"}`".repeat(n) + "; exec(x)";
        assert!(code(Language::JavaScript, &nested(20)).ends_with("`; exec(x)"));
        code(Language::JavaScript, &nested(20_000));
        let deep = "f\"{".repeat(5_000) + "x";
        code(Language::Python, &deep);
        for (lang, src) in [
            (Language::JavaScript, "`${"),
            (Language::JavaScript, "`${ `${ /"),
            (Language::Python, "f\"{"),
            (Language::Python, "f\"{x:"),
            (Language::Python, "f'{x!"),
            (Language::Python, "f\"\"\"{{{"),
            (Language::Kotlin, "\"$"),
            (Language::Kotlin, "\"\"\"${"),
            (Language::CSharp, "$\"{"),
            (Language::CSharp, "$$\"\"\"{{"),
            (Language::CSharp, "@$\""),
            (Language::CSharp, "$@\"{x:"),
            (Language::Ruby, "\"#{"),
            (Language::Ruby, "%Q("),
            (Language::Ruby, "%"),
            (Language::Ruby, "%Q"),
            (Language::Php, "\"{$"),
            (Language::Php, "\"$a->"),
            (Language::Elixir, "'#{"),
        ] {
            code(lang, src);
            code(lang, &format!("{src}é\n}}\"é"));
        }
        // A hole that is never closed leaves the rest of the file code.
        shows(
            Language::Python,
            "a = f\"{x\nb = os.system(c)",
            &["b = os.system(c)"],
            &[],
        );
    }
}
