//! The suitability score, the verdict and the effort estimate.
//!
//! The formula is deliberately simple enough to check by hand, and every
//! point taken off is listed in the report:
//!
//! - Each counted finding (service context, not suppressed, not info) takes
//!   off `weight(severity) x factor(confidence)`: blocker 50, major 15,
//!   minor 5; high 1.0, medium 0.75, low 0.5.
//! - A finding whose only evidence in its context is lock-file entries or
//!   go.mod `// indirect` requirements (no direct manifest declaration,
//!   import, code, binary or image) is at most a minor,
//!   whatever its rule's severity (`analyze::finding` sets it, and
//!   `lock_only` on the finding says why): a lock file lists packages for
//!   every platform and feature set, so a package somewhere in the
//!   dependency tree that can do something is a reason to look, not a
//!   blocker and not porting work by itself. Lock entries are low
//!   confidence, and a low-confidence lock-only finding is not counted at
//!   all: it is listed with its context and moves neither score nor verdict.
//! - A finding whose only evidence in its context is packages the image
//!   installs (`installed_only`) at low confidence (git, openssh-client) is
//!   not counted either: a tool that ships is not a run of it, and nothing
//!   else shows the service starting it.
//! - A blocker whose only evidence in its context is background-job code
//!   (`app/jobs/`, `app/workers/`, a `*_job` file, a package's `tasks.py`)
//!   is a major (`job_only`): a worker the job queue runs beside the
//!   service needs it, and the worker can stay in a container while the
//!   service moves.
//! - The raw score is `100 - sum`, floored at 0.
//! - The verdict: `stay` when a counted blocker has at least medium
//!   confidence or the raw score is under 40; else `porting` when a counted
//!   major (or a low-confidence blocker) remains or the score is under 75;
//!   else `good-fit`.
//! - The score is then held inside its verdict's band (good-fit 75-100,
//!   porting 40-74, stay 0-39) so the number and the word never disagree;
//!   the cap is listed as a deduction of its own.
//! - Subscores per category are `100 - that category's deductions`.
//! - Effort is the sum of the counted findings' effort, in person-days.
//! - A tree with no service code and no counted finding gets `unknown` and
//!   score 0 (`analyze::units::nothing_to_judge` says why in one line).

use crate::analyze::finding::round1;
use crate::model::finding::Finding;
use crate::model::score::{Deduction, Score, Verdict};
use crate::rules::{Category, Confidence, Severity};
use std::collections::BTreeMap;

pub fn weight(s: Severity) -> f64 {
    match s {
        Severity::Blocker => 50.0,
        Severity::Major => 15.0,
        Severity::Minor => 5.0,
        Severity::Info => 0.0,
    }
}

pub fn factor(c: Confidence) -> f64 {
    match c {
        Confidence::High => 1.0,
        Confidence::Medium => 0.75,
        Confidence::Low => 0.5,
    }
}

pub fn score(findings: &[Finding]) -> Score {
    let mut deductions = Vec::new();
    let mut by_cat: BTreeMap<Category, f64> = BTreeMap::new();
    let mut effort_by_category: BTreeMap<Category, f64> = BTreeMap::new();
    let mut blocker = false;
    let mut major = false;
    for f in findings.iter().filter(|f| f.counted) {
        let points = weight(f.severity) * factor(f.confidence);
        *by_cat.entry(f.category).or_default() += points;
        *effort_by_category.entry(f.category).or_default() += f.effort;
        blocker |= f.severity == Severity::Blocker && f.confidence >= Confidence::Medium;
        // A blocker wasmfit is unsure of still needs a person to look.
        major |= matches!(f.severity, Severity::Major | Severity::Blocker);
        deductions.push(Deduction {
            rule_id: f.rule_id.clone(),
            points,
            reason: format!(
                "{} {} ({} confidence{}): {}",
                f.severity,
                f.rule_id,
                f.confidence,
                if f.lock_only {
                    ", lock-file evidence only"
                } else if f.job_only {
                    ", background jobs only"
                } else {
                    ""
                },
                f.title
            ),
        });
    }
    let total: f64 = deductions.iter().map(|d| d.points).sum();
    let raw = (100.0 - total).clamp(0.0, 100.0).round() as u8;
    let verdict = if blocker || raw < 40 {
        Verdict::Stay
    } else if major || raw < 75 {
        Verdict::Porting
    } else {
        Verdict::GoodFit
    };
    let (lo, hi) = verdict.band();
    let score = raw.clamp(lo, hi);
    if score != raw {
        let why = match verdict {
            Verdict::Stay => "a blocker keeps the score in the stay band (0-39)",
            Verdict::Porting => "a major finding keeps the score in the porting band (40-74)",
            Verdict::GoodFit | Verdict::Unknown => "held in the good-fit band",
        };
        deductions.push(Deduction {
            rule_id: "cap".into(),
            points: f64::from(raw) - f64::from(score),
            reason: why.into(),
        });
    }
    let subscores = Category::ALL
        .iter()
        .map(|c| {
            (
                *c,
                (100.0 - by_cat.get(c).copied().unwrap_or(0.0))
                    .clamp(0.0, 100.0)
                    .round() as u8,
            )
        })
        .collect();
    let effort_days = round1(effort_by_category.values().sum());
    for v in effort_by_category.values_mut() {
        *v = round1(*v);
    }
    Score {
        score,
        verdict,
        deductions,
        subscores,
        effort_days,
        effort_by_category,
    }
}

/// Turns a score into the verdict for a tree with nothing to judge
/// (`analyze::units::nothing_to_judge`): `unknown`, score 0, never a pass.
pub fn unknown(s: &mut Score) {
    s.verdict = Verdict::Unknown;
    s.score = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: &str, sev: Severity, conf: Confidence) -> Finding {
        Finding {
            confidence: conf,
            counted: sev != Severity::Info,
            effort: 2.0,
            ..Finding::sample(id, sev, Vec::new())
        }
    }

    #[test]
    fn no_findings_is_a_good_fit() {
        let s = score(&[]);
        assert_eq!((s.score, s.verdict), (100, Verdict::GoodFit));
    }

    #[test]
    fn a_blocker_means_stay_and_caps_the_score() {
        let s = score(&[f("WF101", Severity::Blocker, Confidence::High)]);
        assert_eq!(s.verdict, Verdict::Stay);
        assert_eq!(s.score, 39);
        assert_eq!(s.deductions.last().unwrap().rule_id, "cap");
        assert_eq!(s.deductions.last().unwrap().points, 11.0);
    }

    #[test]
    fn a_major_means_porting() {
        let s = score(&[
            f("WF902", Severity::Major, Confidence::High),
            f("WF702", Severity::Info, Confidence::High),
        ]);
        assert_eq!((s.score, s.verdict), (74, Verdict::Porting));
        assert_eq!(s.effort_days, 2.0);
    }

    #[test]
    fn minors_add_up_to_porting() {
        let many: Vec<Finding> = (0..6)
            .map(|i| f(&format!("WF70{i}"), Severity::Minor, Confidence::High))
            .collect();
        let s = score(&many);
        assert_eq!((s.score, s.verdict), (70, Verdict::Porting));
        assert_eq!(s.subscores[&Category::Process], 70);
    }

    #[test]
    fn low_confidence_blocker_does_not_force_stay() {
        let s = score(&[f("WF301", Severity::Blocker, Confidence::Low)]);
        assert_eq!(s.verdict, Verdict::Porting);
        assert_eq!(s.score, 74);
    }
}
