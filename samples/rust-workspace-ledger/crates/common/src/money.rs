use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount in cents; no floats near money.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cents(pub i64);

impl Cents {
    /// "12.34" or "-0.5" to cents.
    pub fn parse(s: &str) -> Option<Cents> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
        let neg = whole.starts_with('-');
        let whole: i64 = whole.trim_start_matches('-').parse().ok()?;
        let frac: i64 = format!("{frac:0<2}").get(..2)?.parse().ok()?;
        let v = whole * 100 + frac;
        Some(Cents(if neg { -v } else { v }))
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", self.0.abs() / 100, self.0.abs() % 100)
    }
}
