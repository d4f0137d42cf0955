//! Version ranges for package knowledge (`>=1.0, <2`), lenient about how each
//! ecosystem writes versions (`v0.12.3`, `^1.2`, `==2.1.0`, `~> 3.0`).
//!
//! Only the leading dotted numbers matter here: the question is "is this the
//! release line that gained a wasip1 backend", not full semver precedence.

use std::cmp::Ordering;

#[derive(Clone, Debug, PartialEq)]
pub struct Range {
    bounds: Vec<(Op, Vec<u64>)>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

impl Range {
    pub fn parse(s: &str) -> Result<Range, String> {
        let mut bounds = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (op, rest) = if let Some(r) = part.strip_prefix(">=") {
                (Op::Ge, r)
            } else if let Some(r) = part.strip_prefix("<=") {
                (Op::Le, r)
            } else if let Some(r) = part.strip_prefix('>') {
                (Op::Gt, r)
            } else if let Some(r) = part.strip_prefix('<') {
                (Op::Lt, r)
            } else if let Some(r) = part.strip_prefix('=') {
                (Op::Eq, r.trim_start_matches('='))
            } else {
                (Op::Eq, part)
            };
            let v = numbers(rest).ok_or_else(|| format!("not a version bound: `{part}`"))?;
            bounds.push((op, v));
        }
        if bounds.is_empty() {
            return Err(format!("empty version range `{s}`"));
        }
        Ok(Range { bounds })
    }

    /// Whether the version written in a manifest falls in the range. A
    /// version wasmfit cannot read (`*`, a git URL) is taken as matching:
    /// the package is there, its version is unknown.
    pub fn contains(&self, written: &str) -> bool {
        let Some(v) = numbers(written) else {
            return true;
        };
        self.bounds.iter().all(|(op, b)| {
            let ord = cmp(&v, b);
            match op {
                Op::Lt => ord == Ordering::Less,
                Op::Le => ord != Ordering::Greater,
                Op::Gt => ord == Ordering::Greater,
                Op::Ge => ord != Ordering::Less,
                Op::Eq => ord == Ordering::Equal,
            }
        })
    }
}

/// The first run of dotted numbers in `s`: `^1.2` -> [1, 2], `v0.12.3` ->
/// [0, 12, 3], `~> 3.0` -> [3, 0].
fn numbers(s: &str) -> Option<Vec<u64>> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let rest = &s[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let v: Vec<u64> = rest[..end]
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect();
    (!v.is_empty()).then_some(v)
}

/// Compares on the shorter length: `1.2` equals `1.2.7` (a requirement of
/// `1.2` admits every 1.2.x).
fn cmp(a: &[u64], b: &[u64]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.cmp(y) {
            Ordering::Equal => continue,
            o => return o,
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = Range::parse(">=0.8, <1").unwrap();
        assert!(r.contains("0.8.11"));
        assert!(r.contains("^0.9"));
        assert!(!r.contains("1.0.2"));
        assert!(!r.contains("0.7"));
        assert!(r.contains("*"));
        assert!(Range::parse("").is_err());
        assert!(Range::parse(">=x").is_err());
        assert!(Range::parse("<2").unwrap().contains("v1.21.0"));
        assert!(Range::parse("==2.1.0").unwrap().contains("2.1.0"));
    }
}
