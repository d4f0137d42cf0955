//! Scanned text made harmless where it is shown. Anything from a scanned
//! tree, or from a saved report (which anyone can write), may hold control
//! characters: ESC sequences that erase lines, move the cursor or set a
//! terminal's title, carriage returns and backspaces that overwrite what a
//! reviewer reads, and Unicode bidi overrides that show code in another
//! order than it runs. They are shown as escapes (`\x1b`, `\u{202e}`),
//! like `cat -v` or Rust's `escape_debug`, never passed through.

use super::Report;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters never written as they are: C0 controls but tab, DEL, C1
/// controls, and the bidi embeddings, overrides, isolates and marks.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{8}'
            | '\u{a}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// Appends the escape that shows `c`: `\x1b` below U+0100, `\u{202e}`
/// above.
pub fn push_visible(out: &mut String, c: char) {
    let n = c as u32;
    let _ = if n < 0x100 {
        write!(out, "\\x{n:02x}")
    } else {
        write!(out, "\\u{{{n:x}}}")
    };
}

/// `s` with every unsafe character shown as its escape.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The report with every string in it made `visible`, for renderers that
/// print many of its fields as they are (the text format): escaping the
/// report once, field names and map keys included, leaves no field to
/// forget, today or when a field is added. Enum values are identifiers and
/// come back unchanged.
pub fn report(r: &Report) -> std::io::Result<Cow<'_, Report>> {
    let mut v = serde_json::to_value(r)?;
    if !escape_all(&mut v) {
        return Ok(Cow::Borrowed(r));
    }
    Ok(Cow::Owned(serde_json::from_value(v)?))
}

/// Escapes every string and key in `v`; whether anything changed.
fn escape_all(v: &mut Value) -> bool {
    match v {
        Value::String(s) => match visible(s) {
            Cow::Owned(e) => {
                *s = e;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |c, x| escape_all(x) | c),
        Value::Object(map) => {
            let mut changed = false;
            if map.keys().any(|k| k.chars().any(is_unsafe)) {
                let old = std::mem::take(map);
                for (k, x) in old {
                    map.insert(visible(&k).into_owned(), x);
                }
                changed = true;
            }
            map.values_mut().fold(changed, |c, x| escape_all(x) | c)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_controls_and_bidi_as_escapes() {
        assert_eq!(visible("a\u{1b}[2Kb"), "a\\x1b[2Kb");
        assert_eq!(visible("x\ry\u{8}\u{7f}\u{9b}"), "x\\x0dy\\x08\\x7f\\x9b");
        assert_eq!(visible("\u{202e}abc\u{2066}"), "\\u{202e}abc\\u{2066}");
        assert_eq!(visible("line\nnext"), "line\\x0anext");
        assert!(matches!(visible("plain\ttab é"), Cow::Borrowed(_)));
    }
}
