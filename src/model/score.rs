//! The score, the verdict and the deductions behind them, as a report
//! carries them. How they are computed is `analyze::score`.

use crate::model::vocab::Category;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    GoodFit,
    Porting,
    Stay,
    /// Nothing to judge: the path holds no service code (an empty
    /// directory, only documentation). Never a pass: a gate with any
    /// threshold fails on it.
    Unknown,
}

impl Verdict {
    pub fn id(self) -> &'static str {
        match self {
            Verdict::GoodFit => "good-fit",
            Verdict::Porting => "porting",
            Verdict::Stay => "stay",
            Verdict::Unknown => "unknown",
        }
    }

    /// The score band that goes with the verdict.
    pub fn band(self) -> (u8, u8) {
        match self {
            Verdict::GoodFit => (75, 100),
            Verdict::Porting => (40, 74),
            Verdict::Stay => (0, 39),
            Verdict::Unknown => (0, 0),
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deduction {
    /// The rule, or `cap` for the band adjustment.
    pub rule_id: String,
    pub points: f64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub score: u8,
    pub verdict: Verdict,
    pub deductions: Vec<Deduction>,
    pub subscores: BTreeMap<Category, u8>,
    pub effort_days: f64,
    pub effort_by_category: BTreeMap<Category, f64>,
}
