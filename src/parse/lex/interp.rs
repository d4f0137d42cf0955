//! String interpolation for the lexer: which strings have holes (`${...}`,
//! `#{...}`, `{...}`, `$name`), where a hole opens, and where a format
//! spec after `:` or `!` starts, per language.
//!
//! The text of a hole is code (`f"{os.system('ls')}"` runs `os.system`), so
//! the lexer keeps it visible. It keeps a stack of frames, a string's
//! literal part or a hole's code; the functions here decide from a few bytes
//! around an offset, so lexing stays linear.

use crate::model::language::Language;

/// The deepest stack of frames (a string in a hole in a string...). A
/// string nested deeper opens no holes (its text stays string), so a
/// hostile file cannot grow the stack.
pub(super) const MAX_NESTING: usize = 32;

/// Where the lexer is inside interpolated strings.
#[derive(Clone, Copy, Debug)]
pub(super) enum Frame {
    Str(Str),
    Hole(Hole),
}

/// The literal part of a string.
#[derive(Clone, Copy, Debug)]
pub(super) struct Str {
    pub kind: StrKind,
    /// Open delimiters inside a Ruby `%Q(...)`, which nest.
    pub nest: u32,
}

/// The code of a hole, which ends at the `}` that balances its opener.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hole {
    /// Brackets opened inside the hole and not yet closed.
    pub depth: u32,
    pub spec: Spec,
}

/// What a `:` (or Python's `!`) at the top of a hole starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Spec {
    /// Nothing: it is code.
    None,
    /// A format spec, which may hold holes of its own (`{x:>{width}}`).
    Python,
    /// A format spec (`{total:N2}`).
    CSharp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct StrKind {
    pub end: End,
    pub escape: Escape,
    /// Whether a newline is part of the string; otherwise it ends an
    /// unterminated one, so one missing quote does not swallow a file.
    pub multiline: bool,
    pub holes: Holes,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    Quote(u8),
    Triple(u8),
    /// A bracket pair that nests inside the string (Ruby `%Q(a (b) c)`).
    Pair(u8, u8),
    /// A format spec, which ends at the hole's `}`.
    Brace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Escape {
    Backslash,
    /// A backslash escapes the next byte, but not a `{`: `f"\{x}"` is a
    /// backslash and a hole.
    Python,
    /// `""` is a quote (C# verbatim strings).
    Doubled,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Holes {
    None,
    /// `${...}` (JavaScript and TypeScript templates).
    DollarBrace,
    /// `${...}` and `$name` (Kotlin).
    Kotlin,
    /// `#{...}` (Ruby, Elixir).
    HashBrace,
    /// `n` braces open a hole; with one, `{{` is a literal brace (Python
    /// f-strings, C# `$"..."`, and C# raw strings with `n` dollars).
    Braces {
        n: u8,
        spec: Spec,
    },
    /// `{$...}`, `${...}`, `$name` and `$name->prop` (PHP).
    Php,
}

/// How the string at an offset is delimited.
#[derive(Clone, Copy, Debug)]
pub(super) enum Delim {
    Quote(u8),
    Triple(u8),
    /// C#'s `@"`.
    Verbatim,
}

/// What starts at an offset of a string's literal part.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Opening {
    None,
    /// A hole: the literal ends at `at`, the opener's bytes stay code, and
    /// the hole's code starts at `code`.
    Hole {
        at: usize,
        code: usize,
        spec: Spec,
    },
    /// A bare name (`$name`), code from `at` to `end`; the literal goes on
    /// after it.
    Name {
        at: usize,
        end: usize,
    },
    /// Literal braces (`{{`) up to this offset.
    Literal(usize),
}

const fn kind(end: End, escape: Escape, multiline: bool, holes: Holes) -> StrKind {
    StrKind {
        end,
        escape,
        multiline,
        holes,
    }
}

/// The kind of a string with holes opening at `i` (its first delimiter
/// byte), or `None` when it has none and the plain string paths apply.
pub(super) fn string_at(lang: Language, b: &[u8], i: usize, delim: Delim) -> Option<StrKind> {
    use Escape::Backslash;
    use Language::*;
    let csharp = Holes::Braces {
        n: 1,
        spec: Spec::CSharp,
    };
    let python = Holes::Braces {
        n: 1,
        spec: Spec::Python,
    };
    match (lang, delim) {
        (JavaScript | TypeScript, Delim::Quote(b'`')) => {
            Some(kind(End::Quote(b'`'), Backslash, true, Holes::DollarBrace))
        }
        (Python, Delim::Quote(q)) if f_prefix(b, i) => {
            Some(kind(End::Quote(q), Escape::Python, false, python))
        }
        (Python, Delim::Triple(q)) if f_prefix(b, i) => {
            Some(kind(End::Triple(q), Escape::Python, true, python))
        }
        (Kotlin, Delim::Quote(b'"')) => {
            Some(kind(End::Quote(b'"'), Backslash, false, Holes::Kotlin))
        }
        // Raw strings: no escapes, but holes.
        (Kotlin, Delim::Triple(b'"')) => {
            Some(kind(End::Triple(b'"'), Escape::None, true, Holes::Kotlin))
        }
        (CSharp, Delim::Verbatim) if i > 0 && b[i - 1] == b'$' => {
            Some(kind(End::Quote(b'"'), Escape::Doubled, true, csharp))
        }
        (CSharp, Delim::Quote(b'"')) => match dollars_before(b, i) {
            0 => None,
            n if i > n && b[i - n - 1] == b'@' => {
                Some(kind(End::Quote(b'"'), Escape::Doubled, true, csharp))
            }
            _ => Some(kind(End::Quote(b'"'), Backslash, false, csharp)),
        },
        // Raw strings: `$$"""` needs `{{` to open a hole.
        (CSharp, Delim::Triple(b'"')) => match dollars_before(b, i) {
            0 => None,
            n => Some(kind(
                End::Triple(b'"'),
                Escape::None,
                true,
                Holes::Braces {
                    n: n as u8,
                    spec: Spec::CSharp,
                },
            )),
        },
        (Ruby, Delim::Quote(q @ (b'"' | b'`'))) => {
            Some(kind(End::Quote(q), Backslash, q == b'`', Holes::HashBrace))
        }
        // Charlists interpolate as strings do.
        (Elixir, Delim::Quote(q @ (b'"' | b'\''))) => {
            Some(kind(End::Quote(q), Backslash, false, Holes::HashBrace))
        }
        (Elixir, Delim::Triple(q)) => Some(kind(End::Triple(q), Backslash, true, Holes::HashBrace)),
        // PHP strings run over lines.
        (Php, Delim::Quote(q @ (b'"' | b'`'))) => {
            Some(kind(End::Quote(q), Backslash, true, Holes::Php))
        }
        _ => None,
    }
}

/// The bytes of a string that may end it, escape the next byte or open a
/// hole; every other byte is text. At most five (PHP: `\\`, the quote,
/// newline, `$`, `{`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Stops {
    bytes: [u8; 5],
    len: usize,
    table: [bool; 256],
}

impl Stops {
    fn set(&mut self, c: u8) {
        self.table[c as usize] = true;
        if !self.bytes[..self.len].contains(&c) && self.len < self.bytes.len() {
            self.bytes[self.len] = c;
            self.len += 1;
        }
    }

    /// The first stop byte at or after `from`, or `b.len()`. memchr's
    /// vector search covers up to three bytes, which is every string kind
    /// but the interpolating single-line ones.
    pub(super) fn skip(&self, b: &[u8], from: usize) -> usize {
        let rest = &b[from.min(b.len())..];
        let found = match self.bytes[..self.len] {
            [a] => memchr::memchr(a, rest),
            [a, c] => memchr::memchr2(a, c, rest),
            [a, c, d] => memchr::memchr3(a, c, d, rest),
            _ => rest.iter().position(|&x| self.table[x as usize]),
        };
        found.map_or(b.len(), |p| from + p)
    }
}

/// The stop bytes of a string of `kind`.
pub(super) fn stops(kind: StrKind) -> Stops {
    let mut t = Stops {
        bytes: [0; 5],
        len: 0,
        table: [false; 256],
    };
    let mut set = |c: u8| t.set(c);
    if matches!(kind.escape, Escape::Backslash | Escape::Python) {
        set(b'\\');
    }
    match kind.end {
        End::Quote(q) | End::Triple(q) => set(q),
        End::Pair(open, close) => {
            set(open);
            set(close);
        }
        End::Brace => set(b'}'),
    }
    if !kind.multiline {
        set(b'\n');
    }
    match kind.holes {
        Holes::None => {}
        Holes::DollarBrace | Holes::Kotlin => set(b'$'),
        Holes::HashBrace => set(b'#'),
        Holes::Braces { .. } => set(b'{'),
        Holes::Php => {
            set(b'$');
            set(b'{');
        }
    }
    t
}

/// Whether the quote at `i` follows a Python string prefix with an `f`
/// (`f`, `rf`, `fr` in any case) that is not the tail of a name.
fn f_prefix(b: &[u8], i: usize) -> bool {
    let mut j = i;
    while j > 0 && i - j < 3 && b[j - 1].is_ascii_alphabetic() {
        j -= 1;
    }
    let p = &b[j..i];
    p.len() <= 2
        && !(j > 0 && (b[j - 1].is_ascii_alphanumeric() || b[j - 1] == b'_'))
        && p.iter().any(|c| c.eq_ignore_ascii_case(&b'f'))
        && p.iter()
            .all(|c| matches!(c.to_ascii_lowercase(), b'f' | b'r'))
}

/// The `$` signs right before `i` (C#), at most a few.
fn dollars_before(b: &[u8], i: usize) -> usize {
    b[..i]
        .iter()
        .rev()
        .take(8)
        .take_while(|&&c| c == b'$')
        .count()
}

/// A Ruby percent literal at `i` (`%Q(..)`, `%q[..]`, `%W{..}`, `%w<..>`,
/// `%I|..|`, `%x(..)`): its kind and where its text starts. Upper case and
/// `%x` interpolate.
pub(super) fn percent_literal(b: &[u8], i: usize) -> Option<(StrKind, usize)> {
    let (&t, &d) = (b.get(i + 1)?, b.get(i + 2)?);
    if !matches!(t, b'Q' | b'q' | b'W' | b'w' | b'I' | b'i' | b'x')
        || !matches!(d, b'(' | b'[' | b'{' | b'<' | b'|' | b'!' | b'/' | b'^')
        || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'_' | b')' | b']')))
    {
        return None;
    }
    let end = match d {
        b'(' => End::Pair(b'(', b')'),
        b'[' => End::Pair(b'[', b']'),
        b'{' => End::Pair(b'{', b'}'),
        b'<' => End::Pair(b'<', b'>'),
        q => End::Quote(q),
    };
    let holes = if matches!(t, b'Q' | b'W' | b'I' | b'x') {
        Holes::HashBrace
    } else {
        Holes::None
    };
    Some((kind(end, Escape::Backslash, true, holes), i + 3))
}

/// What opens at `j` in the literal part of a string with `holes`.
pub(super) fn opening(holes: Holes, b: &[u8], j: usize) -> Opening {
    let next = b.get(j + 1).copied().unwrap_or(0);
    let hole = |len: usize| Opening::Hole {
        at: j,
        code: j + len,
        spec: Spec::None,
    };
    match (holes, b[j]) {
        (Holes::DollarBrace | Holes::Kotlin | Holes::Php, b'$') if next == b'{' => hole(2),
        (Holes::HashBrace, b'#') if next == b'{' => hole(2),
        (Holes::Kotlin, b'$') if ident_start(next) => Opening::Name {
            at: j,
            end: ident_end(b, j + 1),
        },
        // `{$x->f()}`: the `$` is the hole's first byte of code.
        (Holes::Php, b'{') if next == b'$' => hole(1),
        (Holes::Php, b'$') if ident_start(next) => {
            let mut end = ident_end(b, j + 1);
            if b[end..].starts_with(b"->") && b.get(end + 2).is_some_and(|&c| ident_start(c)) {
                end = ident_end(b, end + 2);
            }
            Opening::Name { at: j, end }
        }
        (Holes::Braces { n, spec }, b'{') => {
            let n = n.max(1) as usize;
            let run = b[j..].iter().take_while(|&&c| c == b'{').count();
            // One brace: pairs are literal, an odd one opens. More: the
            // last `n` of a long enough run open.
            if (n == 1 && run % 2 == 1) || (n > 1 && run >= n) {
                Opening::Hole {
                    at: j + run - n,
                    code: j + run,
                    spec,
                }
            } else {
                Opening::Literal(j + run)
            }
        }
        _ => Opening::None,
    }
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn ident_end(b: &[u8], from: usize) -> usize {
    from + b[from..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count()
}

/// The format spec a `:` or `!` at `i`, at the top of a hole, starts: its
/// text is literal (`{x:>10}`, `{x!r}`), up to the hole's `}`.
pub(super) fn spec_at(spec: Spec, b: &[u8], i: usize) -> Option<StrKind> {
    let next = b.get(i + 1).copied().unwrap_or(0);
    let holes = match (spec, b[i]) {
        (Spec::Python, b':') => Holes::Braces {
            n: 1,
            spec: Spec::None,
        },
        (Spec::Python, b'!') if next != b'=' => Holes::Braces {
            n: 1,
            spec: Spec::None,
        },
        // `global::Name` is code.
        (Spec::CSharp, b':') if next != b':' && (i == 0 || b[i - 1] != b':') => Holes::None,
        _ => return None,
    };
    Some(kind(End::Brace, Escape::None, false, holes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_prefixes() {
        for (src, f) in [
            ("f'x'", true),
            ("rf'x'", true),
            ("Fr'x'", true),
            ("x = F'x'", true),
            ("r'x'", false),
            ("b'x'", false),
            ("'x'", false),
            ("elif'x'", false),
            ("self'x'", false),
            ("_f'x'", false),
            ("rrf'x'", false),
        ] {
            let q = src.find('\'').unwrap();
            assert_eq!(f_prefix(src.as_bytes(), q), f, "{src}");
        }
    }

    #[test]
    fn brace_runs() {
        let braces = |n, spec| Holes::Braces { n, spec };
        let (one, two) = (braces(1, Spec::Python), braces(2, Spec::CSharp));
        assert_eq!(opening(one, b"{{x", 0), Opening::Literal(2));
        assert_eq!(opening(two, b"{x", 0), Opening::Literal(1));
        // The last brace(s) of a run open the hole; the code starts after.
        for (holes, text, hole_at) in [(one, &b"{{{x}"[..], 2), (two, b"{{{x", 1)] {
            assert!(
                matches!(opening(holes, text, 0), Opening::Hole { at, code: 3, .. } if at == hole_at),
                "{holes:?}"
            );
        }
    }

    #[test]
    fn csharp_dollars_and_verbatim() {
        let k =
            |src: &str, d| string_at(Language::CSharp, src.as_bytes(), src.find('"').unwrap(), d);
        assert!(k("x = \"a\"", Delim::Quote(b'"')).is_none());
        assert_eq!(
            k("x = $\"a\"", Delim::Quote(b'"')).unwrap().escape,
            Escape::Backslash
        );
        assert_eq!(
            k("x = @$\"a\"", Delim::Quote(b'"')).unwrap().escape,
            Escape::Doubled
        );
        assert_eq!(
            k("x = $$\"\"\"a\"\"\"", Delim::Triple(b'"')).unwrap().holes,
            Holes::Braces {
                n: 2,
                spec: Spec::CSharp
            }
        );
    }
}
