//! Line numbers for JSON object keys, because serde_json keeps no spans.
//!
//! One linear pass over the text tracks the path of object keys and records
//! the line of every key whose parent key is one the caller cares about
//! (`dependencies`, `packages`, `develop`...). That keeps memory proportional
//! to the dependencies, not to the whole document, and lookups O(1).

use std::collections::HashMap;

/// Key path (keys joined by `\0`) -> 1-based line of its first occurrence.
pub(crate) struct KeyLines {
    lines: HashMap<String, u32>,
}

const SEP: char = '\0';

impl KeyLines {
    /// Scans `text`, recording keys whose immediate parent key is in
    /// `parents`. Keys directly under the root are always recorded.
    pub fn scan(text: &str, parents: &[&str]) -> KeyLines {
        let bytes = text.as_bytes();
        let mut lines = HashMap::new();
        // One entry per open `{` or `[`: the key currently being read in that
        // object (None for arrays and before the first key).
        let mut stack: Vec<Option<String>> = Vec::new();
        let mut line: u32 = 1;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line = line.saturating_add(1),
                b'{' | b'[' => stack.push(None),
                b'}' | b']' => {
                    stack.pop();
                }
                b'"' => {
                    let start_line = line;
                    let (raw, end, newlines) = read_string(bytes, i + 1);
                    line = line.saturating_add(newlines);
                    i = end;
                    // A key is a string followed by `:`.
                    let mut j = end;
                    while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if j < bytes.len() && bytes[j] == b':' {
                        let key = unescape(raw);
                        let parent = stack
                            .iter()
                            .rev()
                            .skip(1)
                            .find_map(|k| k.as_deref())
                            .unwrap_or("");
                        if stack.len() <= 1 || parents.contains(&parent) {
                            let mut path = String::new();
                            let n = stack.len().saturating_sub(1);
                            for k in stack.iter().take(n).flatten() {
                                path.push_str(k);
                                path.push(SEP);
                            }
                            path.push_str(&key);
                            lines.entry(path).or_insert(start_line);
                        }
                        if let Some(top) = stack.last_mut() {
                            *top = Some(key);
                        }
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        KeyLines { lines }
    }

    /// The line of the key at `path` (outermost key first).
    pub fn get(&self, path: &[&str]) -> Option<u32> {
        self.lines.get(&path.join(&SEP.to_string())).copied()
    }
}

/// Reads a JSON string body starting after its opening quote. Returns the raw
/// body, the offset after the closing quote, and the newlines inside (only
/// in malformed input).
fn read_string(bytes: &[u8], start: usize) -> (&[u8], usize, u32) {
    let mut i = start;
    let mut newlines = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => {
                newlines += 1;
                i += 2;
            }
            b'\\' => i += 2,
            b'"' => return (&bytes[start..i], i + 1, newlines),
            b'\n' => {
                // JSON strings cannot hold a raw newline: the file is broken.
                // Stop here so one stray quote does not swallow the file.
                newlines += 1;
                return (&bytes[start..i], i + 1, newlines);
            }
            _ => i += 1,
        }
    }
    (&bytes[start.min(bytes.len())..], bytes.len(), newlines)
}

fn unescape(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    if !s.contains('\\') {
        return s.into_owned();
    }
    // Only the escapes that occur in package names; \uXXXX is rare enough
    // that a miss just loses a line number.
    s.replace("\\/", "/")
        .replace("\\\"", "\"")
        .replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys() {
        let text = r#"{
  "name": "x",
  "dependencies": {
    "express": "^4",
    "@types/node": "1"
  },
  "devDependencies": {"jest": "29"},
  "packages": {
    "": {"dependencies": {"express": "^4"}},
    "node_modules/express": {"version": "4.18.2"}
  }
}"#;
        let k = KeyLines::scan(text, &["dependencies", "devDependencies", "packages"]);
        assert_eq!(k.get(&["dependencies", "express"]), Some(4));
        assert_eq!(k.get(&["dependencies", "@types/node"]), Some(5));
        assert_eq!(k.get(&["devDependencies", "jest"]), Some(7));
        assert_eq!(k.get(&["packages", "node_modules/express"]), Some(10));
        assert_eq!(k.get(&["packages", "", "dependencies", "express"]), Some(9));
        assert_eq!(k.get(&["name"]), Some(2));
        assert_eq!(
            k.get(&["packages", "node_modules/express", "version"]),
            None
        );
    }

    #[test]
    fn survives_broken_input() {
        let _ = KeyLines::scan("{\"a\": \"b\\", &[]);
        let _ = KeyLines::scan("]]]}}}{\"", &["a"]);
        let _ = KeyLines::scan(&"[".repeat(100_000), &[]);
    }
}
