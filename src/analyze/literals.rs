//! The literals a pattern cannot match without: the prefilter's vocabulary.
//!
//! Every match of a pattern starts with one of its prefix literals (or ends
//! with one of its suffix literals), so a file whose bytes contain none of
//! them cannot match it, and the lexer, the pattern and the import capture
//! never need to look at that file. Literals are lower-cased (the prefilter
//! compares ASCII case-insensitively, a superset of both `(?i)` and exact
//! patterns) and cut at whitespace, because the code view turns comments,
//! string contents and non-ASCII bytes into spaces: a piece without spaces
//! that occurs in the code view occurs at the same offset in the raw bytes.

use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use regex_syntax::hir::{Capture, Class, Hir, HirKind, Repetition};

/// Even one byte (`&` in a shell pattern) rules out the files without it.
const MIN_LEN: usize = 1;

/// The literals one of which every match of `pattern` contains, or `None`
/// when the pattern has no usable literal (it is then run on every file of
/// its language).
pub(crate) fn required(pattern: &str) -> Option<Vec<String>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    best(&fold(&hir))
}

/// The best of the literal sets that every match of `hir` must contain one
/// of: the longest shortest literal, then the fewest literals.
fn best(hir: &Hir) -> Option<Vec<String>> {
    let mut sets = Vec::new();
    candidates(hir, &mut sets);
    sets.into_iter().max_by_key(|lits| {
        let shortest = lits.iter().map(String::len).min().unwrap_or(0);
        (shortest, std::cmp::Reverse(lits.len()))
    })
}

/// Literal sets that every match of `hir` contains one of: its prefixes,
/// its suffixes, the prefixes of every tail of a concatenation (the word in
/// `(?:^|[^\w.])(?:fork|exec)\s*\(`), whatever one part of a
/// concatenation requires, and the union of what each alternative requires.
fn candidates(hir: &Hir, out: &mut Vec<Vec<String>>) {
    out.extend(extract(ExtractKind::Prefix, hir));
    out.extend(extract(ExtractKind::Suffix, hir));
    match hir.kind() {
        HirKind::Concat(subs) => {
            for i in 1..subs.len() {
                out.extend(extract(
                    ExtractKind::Prefix,
                    &Hir::concat(subs[i..].to_vec()),
                ));
            }
            for sub in subs {
                candidates(sub, out);
            }
        }
        HirKind::Capture(c) => candidates(&c.sub, out),
        HirKind::Repetition(r) if r.min >= 1 => candidates(&r.sub, out),
        HirKind::Alternation(subs) => {
            let mut union = Vec::new();
            for sub in subs {
                match best(sub) {
                    Some(lits) => union.extend(lits),
                    None => return,
                }
            }
            union.sort();
            union.dedup();
            out.push(union);
        }
        _ => {}
    }
}

fn extract(kind: ExtractKind, hir: &Hir) -> Option<Vec<String>> {
    let mut ex = Extractor::new();
    ex.kind(kind)
        .limit_class(16)
        .limit_repeat(8)
        .limit_literal_len(64)
        .limit_total(4096);
    pieces(&ex.extract(hir))
}

/// `hir` with every one-letter case class (`(?i)a` is `[Aa]`) turned back
/// into the lower-case letter, so a case-insensitive word yields one
/// literal instead of two to the power of its length. Sound because the
/// prefilter compares case-insensitively anyway.
fn fold(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Class(c) => match letter(c) {
            Some(l) => Hir::literal([l]),
            None => hir.clone(),
        },
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            min: r.min,
            max: r.max,
            greedy: r.greedy,
            sub: Box::new(fold(&r.sub)),
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            index: c.index,
            name: c.name.clone(),
            sub: Box::new(fold(&c.sub)),
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(fold).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(fold).collect()),
        _ => hir.clone(),
    }
}

/// The ASCII letter a class stands for when it holds only that letter's two
/// cases (plus the non-ASCII characters Unicode folds onto `k` and `s`).
fn letter(class: &Class) -> Option<u8> {
    let mut ascii: Vec<u8> = Vec::new();
    let mut push = |lo: u32, hi: u32| -> Option<()> {
        if hi - lo > 2 {
            return None;
        }
        for c in lo..=hi {
            match u8::try_from(c) {
                Ok(b) if b.is_ascii() => ascii.push(b),
                Ok(_) => return None,
                // U+017F LONG S and U+212A KELVIN SIGN fold onto s and k.
                Err(_) if c == 0x17f || c == 0x212a => {}
                Err(_) => return None,
            }
        }
        Some(())
    };
    match class {
        Class::Unicode(u) => {
            for r in u.iter() {
                push(r.start() as u32, r.end() as u32)?;
            }
        }
        Class::Bytes(b) => {
            for r in b.iter() {
                push(r.start() as u32, r.end() as u32)?;
            }
        }
    }
    match ascii.as_slice() {
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(b) && a != b => {
            Some(a.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// The longest whitespace-free piece of each literal, lower-cased; `None`
/// when the sequence is infinite or one piece is too short.
fn pieces(seq: &Seq) -> Option<Vec<String>> {
    let lits = seq.literals()?;
    if lits.is_empty() {
        return None;
    }
    let mut out: Vec<String> = Vec::with_capacity(lits.len());
    for lit in lits {
        let lower = lit.as_bytes().to_ascii_lowercase();
        let piece = lower
            .split(|b| b.is_ascii_whitespace())
            .max_by_key(|p| p.len())
            .unwrap_or(&[]);
        if piece.len() < MIN_LEN {
            return None;
        }
        // A piece cut inside a multi-byte character is still a byte
        // sequence the file must contain; the prefilter works on bytes.
        out.push(String::from_utf8_lossy(piece).into_owned());
    }
    out.sort();
    out.dedup();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_suffixes_and_none() {
        assert_eq!(
            required(r"(?i)\bsubprocess\.run\b"),
            Some(vec!["subprocess.run".to_string()])
        );
        assert_eq!(
            required(r"\bexec\.Command(Context)?\s*\("),
            Some(vec!["exec.command".to_string()])
        );
        // No prefix literal, but every match ends with one.
        assert_eq!(
            required(r"\w+\.fork\(\)"),
            Some(vec![".fork()".to_string()])
        );
        assert_eq!(
            required(r"(?:libcuda|cudart)"),
            Some(vec!["cudart".to_string(), "libcuda".to_string()])
        );
        // Whitespace may be a blanked comment in the code view: cut there.
        assert_eq!(required(r"go func"), Some(vec!["func".to_string()]));
        // Inside: the word after a context class.
        assert_eq!(
            required(r"(?m)(?:^|[^\w.>:])v?fork\s*\(\s*\)"),
            Some(vec!["fork".to_string()])
        );
        assert_eq!(
            required(r"(?m)(?:^|[^\w.:])(?:system|exec)(?:[ \t]*\(|[ \t]+x)"),
            Some(vec!["exec".to_string(), "system".to_string()])
        );
        assert_eq!(required(r"\w+\s*"), None);
        assert_eq!(required(r"[a-z]"), None);
        assert_eq!(required(r"a?b*"), None);
        assert_eq!(required(r"("), None);
    }
}
