//! Statements that start a line (`(?m)^[ \t]*use ...`), found by checking
//! each line's first word literally and running the pattern only there.
//!
//! Such a pattern gives the regex engine no literal to skip ahead with, so
//! its lazy DFA reads every byte of every file it runs on. A pass over the
//! newlines (memchr) that compares the first word of each line with the
//! words the pattern can start with finds the few lines where a statement
//! can begin; the pattern, anchored at each of them, decides as before. The
//! matches are the ones a search of the whole text finds: every match of a
//! line-anchored pattern starts at a line start, and the words are derived
//! from the pattern itself, so no line where it matches is passed over.

use regex::Regex;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A line-anchored pattern with the words its matches start with.
pub(crate) struct LineStart {
    /// What a line holds after its leading blanks wherever the pattern can
    /// match at its start: one of these, as a prefix.
    words: Vec<Vec<u8>>,
    /// The first bytes of `words`: most lines start with none of them, and
    /// are passed over without comparing a word.
    first: [u64; 4],
    /// The pattern, anchored at the start of the text it is given.
    anchored: Regex,
}

/// One match: the whole statement and group 1, by offset in the text.
pub(crate) struct Statement<'t> {
    pub start: usize,
    pub whole: &'t str,
    pub group_start: usize,
    pub group: &'t str,
}

impl LineStart {
    /// `None` unless `pattern` is `^` (multi-line), optional blanks, then
    /// something whose every match starts with one of a few non-blank
    /// literals.
    pub(crate) fn new(pattern: &str) -> Option<LineStart> {
        let hir = regex_syntax::ParserBuilder::new()
            .build()
            .parse(pattern)
            .ok()?;
        let HirKind::Concat(parts) = hir.kind() else {
            return None;
        };
        let (first, mut rest) = parts.split_first()?;
        if !matches!(first.kind(), HirKind::Look(Look::StartLF)) {
            return None;
        }
        if rest.first().is_some_and(blanks) {
            rest = &rest[1..];
        }
        let seq = Extractor::new()
            .kind(ExtractKind::Prefix)
            .extract(&Hir::concat(rest.to_vec()));
        let words: Vec<Vec<u8>> = seq
            .literals()?
            .iter()
            .map(|l| l.as_bytes().to_vec())
            .collect();
        // A word that could be empty or start with a blank would be passed
        // over by skipping the line's blanks first.
        if words.is_empty()
            || words
                .iter()
                .any(|w| w.first().is_none_or(|b| matches!(b, b' ' | b'\t')))
        {
            return None;
        }
        let anchored = Regex::new(&format!(r"\A(?:{pattern})")).ok()?;
        let mut first = [0u64; 4];
        for w in &words {
            first[usize::from(w[0] >> 6)] |= 1 << (w[0] & 63);
        }
        Some(LineStart {
            words,
            first,
            anchored,
        })
    }

    /// The matches in `text`, in order, not overlapping (as `captures_iter`
    /// over the whole text gives them); those without group 1 are left out.
    /// `lines` are the text's lines.
    pub(crate) fn find<'t>(&self, text: &'t str, lines: &Lines, out: &mut Vec<Statement<'t>>) {
        let bytes = text.as_bytes();
        let starts = lines.starts;
        // A match may run past its own line (`pub(\ncrate) use`); a line
        // that starts inside it cannot start another.
        let mut free_from = 0;
        for (i, (&start, &head)) in starts.iter().zip(lines.heads()).enumerate() {
            let end = starts
                .get(i + 1)
                .map_or(bytes.len(), |&next| next - 1)
                .min(bytes.len());
            if start > end {
                break;
            }
            if start >= free_from && self.fits(&bytes[head.min(end)..end]) {
                if let Some(c) = self.anchored.captures(&text[start..]) {
                    let whole = c.get(0).expect("group 0");
                    free_from = start + whole.end();
                    if let Some(g) = c.get(1) {
                        out.push(Statement {
                            start: start + whole.start(),
                            whole: &text[start + whole.start()..start + whole.end()],
                            group_start: start + g.start(),
                            group: &text[start + g.start()..start + g.end()],
                        });
                    }
                }
            }
        }
    }

    /// Whether the line (past its leading blanks) starts with a word.
    fn fits(&self, line: &[u8]) -> bool {
        line.first()
            .is_some_and(|&b| self.first[usize::from(b >> 6)] & (1 << (b & 63)) != 0)
            && self
                .words
                .iter()
                .any(|w| crate::parse::lex::prefix(line, w))
    }
}

/// A file's lines as line-anchored patterns read them: where each starts
/// (the lexer's table, so the newlines are found once per file, not once
/// per pattern) and, found on first need and then shared by every
/// pattern, where its text begins past its blanks.
pub(crate) struct Lines<'a> {
    bytes: &'a [u8],
    starts: &'a [usize],
    heads: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Lines<'a> {
    /// `starts`: the offset of every line's start in `bytes`, 0 first.
    pub(crate) fn new(bytes: &'a [u8], starts: &'a [usize]) -> Lines<'a> {
        Lines {
            bytes,
            starts,
            heads: std::cell::OnceCell::new(),
        }
    }

    /// Where each line begins past its blanks: its end when it holds only
    /// blanks.
    fn heads(&self) -> &[usize] {
        self.heads.get_or_init(|| {
            let bytes = self.bytes;
            self.starts
                .iter()
                .map(|&s| {
                    let s = s.min(bytes.len());
                    s + bytes[s..]
                        .iter()
                        .position(|b| !matches!(b, b' ' | b'\t'))
                        .unwrap_or(bytes.len() - s)
                })
                .collect()
        })
    }
}

/// `[ \t]*`: the blanks a statement may be indented by.
fn blanks(h: &Hir) -> bool {
    let HirKind::Repetition(r) = h.kind() else {
        return false;
    };
    if r.min != 0 || r.max.is_some() {
        return false;
    }
    match r.sub.kind() {
        HirKind::Class(Class::Bytes(c)) => c
            .ranges()
            .iter()
            .all(|r| (r.start()..=r.end()).all(|b| matches!(b, b' ' | b'\t'))),
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .all(|r| (r.start()..=r.end()).all(|ch| matches!(ch, ' ' | '\t'))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Found = Vec<(usize, String, String)>;

    /// (start, whole, group) of every match, the way the line scan finds
    /// them and the way a search of the whole text does.
    fn both(pattern: &str, text: &str) -> (Found, Found) {
        let ls = LineStart::new(pattern).expect("line-anchored");
        let mut found = Vec::new();
        let view = crate::parse::lex::lex(crate::model::language::Language::Rust, text);
        ls.find(
            text,
            &Lines::new(text.as_bytes(), view.line_starts()),
            &mut found,
        );
        let scanned = found
            .iter()
            .map(|s| (s.start, s.whole.to_string(), s.group.to_string()))
            .collect();
        let whole = Regex::new(pattern)
            .unwrap()
            .captures_iter(text)
            .filter_map(|c| {
                let (w, g) = (c.get(0)?, c.get(1)?);
                Some((w.start(), w.as_str().to_string(), g.as_str().to_string()))
            })
            .collect();
        (scanned, whole)
    }

    #[test]
    fn same_matches_as_a_search_of_the_whole_text() {
        let rust = r"(?m)^[ \t]*(?:pub(?:\([^)]*\))?[ \t]+)?use[ \t]+((?:::)?[\w]+(?:::[\w]+)*)";
        let c = r#"(?m)^[ \t]*#[ \t]*include[ \t]*[<"]([^>"\n]+)[>"]"#;
        let erl = r#"(?m)^-include(?:_lib)?\("([^"\n]+)"\)"#;
        let texts = [
            "use a::b;\n  pub use c;\n\tpub(crate) use d::e;\nfn f() { use g; }\n//use h;\nreuse i;\n",
            "pub(\ncrate) use x;\nuse y;",
            "pub(crate)\r\nuse z;\r\n  use   w::v;\r\n",
            "",
            "\n\n\nuse last",
            "# include <a.h>\n#include\"b.h\"\n  #  include <c>\n#define X\n",
            "-include(\"a.hrl\").\n -include_lib(\"b.hrl\").\n-include_lib(\"c/d.hrl\").\n",
        ];
        for p in [rust, c, erl] {
            for t in texts {
                let (scanned, whole) = both(p, t);
                assert_eq!(scanned, whole, "{p} on {t:?}");
            }
        }
        assert_eq!(both(rust, texts[0]).0.len(), 3);
        assert_eq!(both(c, texts[5]).0.len(), 3);
        assert_eq!(both(erl, texts[6]).0.len(), 2);
    }

    #[test]
    fn only_line_anchored_patterns_with_a_first_word() {
        assert!(LineStart::new(r"(?m)^[ \t]*import[ \t]+(\w+)").is_some());
        assert!(LineStart::new(r"\brequire\(([^)]*)\)").is_none());
        assert!(LineStart::new(r"(?m)^[ \t]*(\w+)").is_none());
        assert!(LineStart::new(r"(?m)^(?:x)?[ \t]*y").is_none());
    }
}
