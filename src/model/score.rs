//! The score, the verdict and the deductions behind them, as a report
//! carries them. How they are computed is `analyze::score`.

use crate::model::finding::Finding;
use crate::model::vocab::{Capability, Category, Severity};
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

/// What the headline may promise, from the counted findings beside it. The
/// verdict's sentence must never contradict a finding the same report
/// counts:
///
/// - `good-fit` says "with little or no change" only when no counted
///   finding asks for a change. When the runtime itself needs one (Go's
///   upstream toolchain builds no components and no wasi:http, an
///   interpreter must be a Wasm port), the headline says the fit holds
///   after that runtime change; other minor findings make it "after the
///   minor changes listed".
/// - `porting` with a counted major runtime finding (the JVM or .NET, whose
///   toolchains do not build a framework-based service into a component)
///   says a partial rewrite, as that finding does, not "within reach".
/// - The score is not touched: the band already follows the verdict, and
///   the runtime rule's severity is what moves it (`analyze::score`).
pub fn headline(verdict: Verdict, findings: &[Finding]) -> &'static str {
    let counted = |f: &&Finding| f.counted && f.severity != Severity::Info;
    let runtime = |f: &&Finding| f.capability == Capability::Runtime;
    match verdict {
        Verdict::GoodFit if findings.iter().filter(counted).any(|f| runtime(&f)) => {
            "Good fit, after a runtime change: the code fits WASI 0.2, but its runtime builds a component only with the change listed below."
        }
        Verdict::GoodFit if findings.iter().any(|f| counted(&f)) => {
            "Good fit: this service can run on wasmtime with WASI 0.2 after the minor changes listed below."
        }
        Verdict::GoodFit => {
            "Good fit: this service can run on wasmtime with WASI 0.2 with little or no change."
        }
        Verdict::Porting
            if findings
                .iter()
                .filter(counted)
                .any(|f| runtime(&f) && f.severity <= Severity::Major) =>
        {
            "Porting, with a partial rewrite: this service's runtime cannot yet build it into a WASI 0.2 component (see the runtime finding)."
        }
        Verdict::Porting => "Porting: Wasm is within reach, after the work listed below.",
        Verdict::Stay => {
            "Stay on containers: what this service needs has no WASI 0.2 equivalent yet."
        }
        Verdict::Unknown => "Unknown: there is nothing here to judge.",
    }
}
