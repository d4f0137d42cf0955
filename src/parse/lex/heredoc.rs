//! Ruby, PHP and shell heredocs for the lexer: where one opens (Ruby
//! `<<~SQL`, `<<-'EOS'`, `<<HTML`, `` <<~`CMD` ``; PHP `<<<SQL`, `<<<"SQL"`
//! and the nowdoc `<<<'SQL'`; shell `<<EOF`, `<<-EOF`, `<< 'EOF'`,
//! `<<\EOF`) and where its body, which starts on the next line, ends.
//!
//! A heredoc body is a string (SQL with backquoted identifiers, a help text
//! that says "run `rails db:prepare`"), so without this its words would be
//! matched as code. `class << self` and `a << b` are code: a heredoc opener
//! has no space after `<<`, and a bare one (no `~` or `-`) names an
//! upper-case terminator, as Ruby style has it. The body of a backquoted
//! heredoc is a shell command: its opener stays code (`` `CMD` ``, which the
//! command rules see), and its text is blanked like any other string.
//!
//! PHP's `<<<` cannot be anything but a heredoc. Since PHP 7.3 its closing
//! identifier may be indented and followed by more code on its line
//! (`SQL;`, `SQL)`), so the body ends at the first line whose first word
//! is the identifier. Its holes are `{$...}` (PHP's complex syntax).

use std::ops::Range;

/// The most heredocs one line may open; more are left as code, so a
/// hostile line cannot grow the list.
pub(super) const MAX_PENDING: usize = 16;

/// The longest terminator looked for.
const MAX_ID: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Heredoc {
    /// The terminator's bytes in the source.
    pub id: Range<usize>,
    /// `<<~` or `<<-`: the terminator may be indented.
    pub indented: bool,
    /// `#{...}` (Ruby) or `{$...}` (PHP) opens a hole (not in a
    /// `<<~'EOS'` body or a PHP nowdoc).
    pub interpolates: bool,
    /// PHP: the terminator is the first word of its line, whatever follows.
    pub php: bool,
    /// Shell: a body with no terminator means the `<<` was a shift.
    pub shell: bool,
}

/// A heredoc opener at `i` (its first `<`): the heredoc and the offset
/// after the opener.
pub(super) fn opener(b: &[u8], i: usize) -> Option<(Heredoc, usize)> {
    if !b[i..].starts_with(b"<<") || (i > 0 && b[i - 1] == b'<') {
        return None;
    }
    let mut j = i + 2;
    let indented = matches!(b.get(j), Some(b'~' | b'-'));
    if indented {
        j += 1;
    }
    match *b.get(j)? {
        q @ (b'\'' | b'"' | b'`') => {
            let start = j + 1;
            let len = b[start..]
                .iter()
                .take(MAX_ID + 1)
                .position(|&c| c == q || c == b'\n')?;
            if len == 0 || len > MAX_ID || b[start + len] != q {
                return None;
            }
            let doc = Heredoc {
                id: start..start + len,
                indented,
                interpolates: q != b'\'',
                php: false,
                shell: false,
            };
            Some((doc, start + len + 1))
        }
        c if c.is_ascii_alphabetic() || c == b'_' => {
            let len = b[j..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            let id = &b[j..j + len];
            // `x <<y` and `class <<self` are a shift and a singleton class;
            // a bare heredoc names a constant-like terminator.
            if len > MAX_ID || (!indented && id.iter().any(u8::is_ascii_lowercase)) {
                return None;
            }
            let doc = Heredoc {
                id: j..j + len,
                indented,
                interpolates: true,
                php: false,
                shell: false,
            };
            Some((doc, j + len))
        }
        _ => None,
    }
}

/// A PHP heredoc or nowdoc opener at `i` (its first `<`): `<<<ID`,
/// `<<<"ID"` or `<<<'ID'` (spaces may follow `<<<`), and the offset after
/// it. The body starts on the next line.
pub(super) fn php_opener(b: &[u8], i: usize) -> Option<(Heredoc, usize)> {
    if !b[i..].starts_with(b"<<<") {
        return None;
    }
    let mut j = i + 3;
    while matches!(b.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    let quote = match b.get(j)? {
        q @ (b'\'' | b'"') => {
            j += 1;
            Some(*q)
        }
        _ => None,
    };
    let len = identifier(b, j)?;
    let mut next = j + len;
    if let Some(q) = quote {
        if b.get(next) != Some(&q) {
            return None;
        }
        next += 1;
    }
    let doc = Heredoc {
        id: j..j + len,
        indented: true,
        interpolates: quote != Some(b'\''),
        php: true,
        shell: false,
    };
    Some((doc, next))
}

/// A shell heredoc opener at `i` (its first `<`): `<<WORD` or `<<-WORD`
/// (tabs before the terminator), spaces allowed before the word, which may
/// be quoted or escaped; and the offset after it. The body is text: a
/// help screen's "test & build" is not a background job. (An unquoted
/// body expands `$(...)`, which is not read as code here.) `<<<` is a
/// here-string. A bare word with lower-case letters is taken for a shift
/// (`$((a<<b))`); quoted or escaped, any word.
pub(super) fn shell_opener(b: &[u8], i: usize) -> Option<(Heredoc, usize)> {
    if !b[i..].starts_with(b"<<") || b.get(i + 2) == Some(&b'<') || (i > 0 && b[i - 1] == b'<') {
        return None;
    }
    let mut j = i + 2;
    let indented = b.get(j) == Some(&b'-');
    if indented {
        j += 1;
    }
    while matches!(b.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    let quote = match b.get(j)? {
        q @ (b'\'' | b'"') => Some(*q),
        b'\\' => Some(b'\\'),
        _ => None,
    };
    if quote.is_some() {
        j += 1;
    }
    let len = identifier(b, j)?;
    let id = &b[j..j + len];
    if quote.is_none() && id.iter().any(u8::is_ascii_lowercase) {
        return None;
    }
    let mut next = j + len;
    if let Some(q @ (b'\'' | b'"')) = quote {
        if b.get(next) != Some(&q) {
            return None;
        }
        next += 1;
    }
    let doc = Heredoc {
        id: j..j + len,
        indented,
        interpolates: false,
        php: false,
        shell: true,
    };
    Some((doc, next))
}

/// The length of the terminator word at `j` (letters, digits, `_`, not
/// starting with a digit, at most `MAX_ID` long), if there is one.
fn identifier(b: &[u8], j: usize) -> Option<usize> {
    let len = b
        .get(j..)?
        .iter()
        .take(MAX_ID + 1)
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    (len > 0 && len <= MAX_ID && !b[j].is_ascii_digit()).then_some(len)
}

/// The body of `doc` starting at `from` (a line start): where the body
/// ends (the terminator line's start) and where the next body, or the
/// code, starts (after the terminator line). Without a terminator the
/// body runs to the end, as an unterminated string does.
pub(super) fn body(b: &[u8], from: usize, doc: &Heredoc) -> (usize, usize) {
    let id = &b[doc.id.clone()];
    let mut line = from;
    while line < b.len() {
        let eol = memchr::memchr(b'\n', &b[line..]).map_or(b.len(), |p| line + p);
        let mut t = &b[line..eol];
        if doc.indented {
            t = t.trim_ascii_start();
        }
        if doc.php && t.starts_with(id) {
            // `SQL;` or `SQL)` ends it and the rest of the line is code;
            // `SQLX` does not.
            let after = t.get(id.len()).copied();
            if !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80) {
                let at = eol - t.len() + id.len();
                return (line, at);
            }
        } else if t.trim_ascii_end() == id {
            return (line, (eol + 1).min(b.len()));
        }
        line = eol + 1;
    }
    (b.len(), b.len())
}

/// One hole of an interpolating body: its code, and the contents of the
/// quoted strings in that code (`#{'## Use `x`' if y}`), which are text.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Hole {
    pub code: Range<usize>,
    pub strings: Vec<Range<usize>>,
}

/// The holes of an interpolating body `from..to`: the code between each
/// `#{` (Ruby) or `{` of `{$` (PHP) and the `}` that balances it, with the
/// strings inside it found on the same walk.
pub(super) fn holes(b: &[u8], from: usize, to: usize, php: bool) -> Vec<Hole> {
    let mut out = Vec::new();
    let mut j = from;
    while j + 1 < to {
        let opens = if php {
            b[j] == b'{' && b[j + 1] == b'$'
        } else {
            b[j] == b'#' && b[j + 1] == b'{'
        };
        match b[j] {
            b'\\' => j += 2,
            _ if opens => {
                // PHP's hole starts at its `$`, which is code.
                let code = if php { j + 1 } else { j + 2 };
                let mut strings = Vec::new();
                let mut depth = 0u32;
                let mut k = code;
                while k < to {
                    match b[k] {
                        // A brace in a string of the hole's code is text.
                        q @ (b'\'' | b'"') => {
                            if let Some(close) = quote_end(b, k, to, q) {
                                strings.push(k + 1..close);
                                k = close;
                            }
                        }
                        b'{' => depth += 1,
                        b'}' if depth == 0 => break,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    k += 1;
                }
                out.push(Hole {
                    code: code..k,
                    strings,
                });
                j = k + 1;
            }
            _ => j += 1,
        }
    }
    out
}

/// The closing quote of the string opened by the quote `q` at `open`,
/// before `to`, past backslash escapes.
fn quote_end(b: &[u8], open: usize, to: usize, q: u8) -> Option<usize> {
    let mut k = open + 1;
    while k < to {
        match b[k] {
            b'\\' => k += 1,
            c if c == q => return Some(k),
            b'\n' => return None,
            _ => {}
        }
        k += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(src: &str) -> Option<(String, bool, bool)> {
        let b = src.as_bytes();
        let i = src.find("<<")?;
        opener(b, i).map(|(d, _)| (src[d.id].to_string(), d.indented, d.interpolates))
    }

    #[test]
    fn openers() {
        assert_eq!(open("x = <<~SQL"), Some(("SQL".into(), true, true)));
        assert_eq!(open("x = <<-'EOS'"), Some(("EOS".into(), true, false)));
        assert_eq!(open("x = <<HTML.strip"), Some(("HTML".into(), false, true)));
        assert_eq!(open("x = <<~`CMD`"), Some(("CMD".into(), true, true)));
        assert_eq!(open("x = <<~eos"), Some(("eos".into(), true, true)));
        // Code, not heredocs.
        assert_eq!(open("class << self"), None);
        assert_eq!(open("class <<self"), None);
        assert_eq!(open("list << item"), None);
        assert_eq!(open("list <<item"), None);
        assert_eq!(open("1 << 4"), None);
        assert_eq!(open("x <<~ 'a'"), None);
        assert_eq!(open("x = <<~'unterminated"), None);
    }

    #[test]
    fn body_ends_at_its_terminator_line() {
        let src = "  a\n  SQLX\n  SQL  \nrest";
        let doc = Heredoc {
            id: 0..0,
            indented: true,
            interpolates: true,
            php: false,
            shell: false,
        };
        let b = format!("SQL{src}");
        let doc = Heredoc { id: 0..3, ..doc };
        let (end, next) = body(b.as_bytes(), 3, &doc);
        assert_eq!(&b[3..end], "  a\n  SQLX\n");
        assert_eq!(&b[next..], "rest");
        // A bare heredoc's terminator starts its line.
        let flat = Heredoc {
            indented: false,
            ..doc
        };
        assert_eq!(body(b.as_bytes(), 3, &flat), (b.len(), b.len()));
    }

    fn open_php(src: &str) -> Option<(String, bool)> {
        let b = src.as_bytes();
        let i = src.find("<<<")?;
        php_opener(b, i).map(|(d, _)| (src[d.id].to_string(), d.interpolates))
    }

    #[test]
    fn php_openers() {
        assert_eq!(open_php("$q = <<<SQL"), Some(("SQL".into(), true)));
        assert_eq!(open_php("$q = <<< \"EOT\""), Some(("EOT".into(), true)));
        assert_eq!(open_php("$q = <<<'SQL'"), Some(("SQL".into(), false)));
        assert_eq!(open_php("$q = <<<'SQL"), None);
        assert_eq!(open_php("$q = <<<1X"), None);
        assert_eq!(open_php("$q = <<<"), None);
    }

    #[test]
    fn php_body_ends_at_its_first_word() {
        let b = "SQL\n  a `x`\n  SQLX\n    SQL;\nrest".as_bytes();
        let doc = Heredoc {
            id: 0..3,
            indented: true,
            interpolates: false,
            php: true,
            shell: false,
        };
        let (end, next) = body(b, 4, &doc);
        assert_eq!(&b[4..end], b"  a `x`\n  SQLX\n");
        assert_eq!(&b[next..], b";\nrest");
    }

    #[test]
    fn holes_balance_braces() {
        let b = br"a #{x.map { |y| y }} \#{not} #{z}";
        let h: Vec<&[u8]> = holes(b, 0, b.len(), false)
            .into_iter()
            .map(|h| &b[h.code])
            .collect();
        assert_eq!(h, vec![&b"x.map { |y| y }"[..], &b"z"[..]]);
        let b = br"a {$o->f(['k' => 1])} {not} $x {$y}";
        let h = holes(b, 0, b.len(), true);
        let code: Vec<&[u8]> = h.iter().map(|h| &b[h.code.clone()]).collect();
        assert_eq!(code, vec![&b"$o->f(['k' => 1])"[..], &b"$y"[..]]);
        let strings: Vec<&[u8]> = h[0].strings.iter().map(|r| &b[r.clone()]).collect();
        assert_eq!(strings, vec![&b"k"[..]]);
        assert!(h[1].strings.is_empty());
    }
}
