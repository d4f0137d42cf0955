//! The CI gate: decides from a report (and optionally a baseline report)
//! whether a change may merge, and says why in one line.
//!
//! Pure logic over two `Report` values, so it can be tested without a scan
//! and a saved JSON report works as well as a fresh scan of the merge base.
//!
//! Semantics, as documented in the README:
//! - `fail_on = S` without a baseline fails on any counted finding (service
//!   context, not suppressed) of severity S or worse.
//! - With a baseline it fails only on evidence that is new: evidence of a
//!   counted finding of severity S or worse, not suppressed, in service
//!   context, whose fingerprint is not among the baseline's unsuppressed
//!   evidence of that rule. Fingerprints hash the rule, the path and the
//!   matched text, never the line number, so moved code is not new code.
//! - `fail_under = N` without a baseline fails when the score is below N.
//!   With a baseline it fails only when the score is below N *and* below the
//!   baseline's score: a change never fails for a score it did not lower.

pub mod baseline;

pub use crate::config::Thresholds;
use crate::model::finding::{Evidence, Finding, Source};
use crate::model::Report;
use crate::rules::Severity;
use std::collections::{BTreeMap, HashSet};

/// One piece of evidence that made the gate fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offender {
    pub rule_id: String,
    pub severity: Severity,
    pub path: String,
    pub line: Option<u32>,
    pub source: Source,
    pub fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateOutcome {
    pub passed: bool,
    /// Short phrases, one per failed check, e.g.
    /// `1 new blocker (WF101 at app.py:12)` or `score 39 < 60`.
    pub reasons: Vec<String>,
    /// Every piece of evidence that failed `fail_on` (new evidence when
    /// there is a baseline, all counted evidence otherwise).
    pub new_findings: Vec<Offender>,
}

impl GateOutcome {
    /// The one line the CLI prints on failure (without the `wasmfit:` prefix).
    pub fn summary(&self) -> String {
        if self.passed {
            "gate passed".to_string()
        } else {
            format!("gate failed: {}", self.reasons.join("; "))
        }
    }
}

/// Evaluates the thresholds on `current`, against `baseline` when given.
///
/// A report with several services is judged service by service, each
/// against the baseline's service of the same name (or the baseline's
/// primary when it had none), and each failed check names its service.
pub fn evaluate(current: &Report, baseline: Option<&Report>, t: &Thresholds) -> GateOutcome {
    let mut reasons = Vec::new();
    let mut offenders = Vec::new();
    let several = current.services.len() > 1;
    let subjects: Vec<Subject> = if several {
        current
            .services
            .iter()
            .map(|s| Subject {
                primary: s.primary,
                name: Some(&s.name),
                findings: &s.findings,
                score: s.score,
                verdict: s.verdict,
                reason: s.verdict_reason.as_deref(),
            })
            .collect()
    } else {
        vec![Subject {
            primary: true,
            name: None,
            findings: &current.findings,
            score: current.score,
            verdict: current.verdict,
            reason: current.verdict_reason.as_deref(),
        }]
    };
    for sub in subjects {
        let base = baseline.map(|b| match sub.name.and_then(|n| b.service(n)) {
            Some(s) => (s.findings.as_slice(), s.score),
            None => (b.findings.as_slice(), b.score),
        });
        let label = |r: String| match sub.name {
            Some(n) => format!("service {n}: {r}"),
            None => r,
        };
        // Nothing judged is not a pass: a gate that asks for a verdict fails
        // when there is none.
        if t.is_set() && sub.primary && sub.verdict == crate::model::score::Verdict::Unknown {
            reasons.push(label(format!(
                "verdict unknown ({})",
                sub.reason.unwrap_or("nothing to judge")
            )));
        }
        if let Some(worst) = t.fail_on {
            let mut mine = Vec::new();
            for f in sub
                .findings
                .iter()
                .filter(|f| f.counted && f.severity <= worst)
            {
                mine.extend(offending(f, base.map(|b| b.0)));
            }
            if !mine.is_empty() {
                reasons.push(label(describe(&mine, baseline.is_some())));
            }
            offenders.extend(mine);
        }
        if let Some(min) = t.fail_under {
            match base {
                None if sub.score < min => {
                    reasons.push(label(format!("score {} < {min}", sub.score)))
                }
                Some((_, old)) if sub.score < min && sub.score < old => reasons.push(label(
                    format!("score {} < {min} (down from {old})", sub.score),
                )),
                _ => {}
            }
        }
    }
    GateOutcome {
        passed: reasons.is_empty(),
        reasons,
        new_findings: offenders,
    }
}

/// What the gate judges: the report, or one of its services.
struct Subject<'a> {
    /// The repository's answer: only its `unknown` fails the gate (a
    /// compose service built from a config-only directory has nothing to
    /// judge, and that is not the change's fault).
    primary: bool,
    name: Option<&'a str>,
    findings: &'a [Finding],
    score: u8,
    verdict: crate::model::score::Verdict,
    reason: Option<&'a str>,
}

/// The evidence of a counted finding that fails the gate.
fn offending(f: &Finding, baseline: Option<&[Finding]>) -> Vec<Offender> {
    let live = f
        .evidence
        .iter()
        .filter(|e| e.suppressed.is_none() && e.context.counts());
    let Some(b) = baseline else {
        return live.map(|e| offender(f, e)).collect();
    };
    let Some(old) = b.iter().find(|o| o.rule_id == f.rule_id) else {
        return live.map(|e| offender(f, e)).collect();
    };
    let known: HashSet<&str> = old
        .evidence
        .iter()
        .filter(|e| e.suppressed.is_none())
        .map(|e| e.fingerprint.as_str())
        .collect();
    // A baseline finding with more evidence than it lists was cut at
    // MAX_EVIDENCE: an unlisted fingerprint may well be old. Only call it new
    // when the finding has grown.
    let cut = old.evidence_total > old.evidence.len();
    if cut && f.evidence_total <= old.evidence_total {
        return Vec::new();
    }
    live.filter(|e| !known.contains(e.fingerprint.as_str()))
        .map(|e| offender(f, e))
        .collect()
}

fn offender(f: &Finding, e: &Evidence) -> Offender {
    Offender {
        rule_id: f.rule_id.clone(),
        severity: f.severity,
        path: e.at.path.clone(),
        line: e.at.line,
        source: e.source,
        fingerprint: e.fingerprint.clone(),
    }
}

/// `1 new blocker (WF101 at app.py:12 +1 more), 1 new major (WF601 at w.go:3)`:
/// counted per rule, each with its first place.
fn describe(offenders: &[Offender], new: bool) -> String {
    // Severity order, then rule order, with each rule's places.
    let mut by_sev: BTreeMap<Severity, BTreeMap<&str, Vec<&Offender>>> = BTreeMap::new();
    for o in offenders {
        by_sev
            .entry(o.severity)
            .or_default()
            .entry(o.rule_id.as_str())
            .or_default()
            .push(o);
    }
    let mut parts = Vec::new();
    for (sev, rules) in by_sev {
        let n = rules.len();
        let plural = if n == 1 { "" } else { "s" };
        let adj = if new { "new " } else { "" };
        let mut shown: Vec<String> = rules
            .iter()
            .take(MAX_SHOWN)
            .map(|(id, places)| {
                // Name a use rather than the import that serves it: the
                // call is the line to look at.
                let first = places
                    .iter()
                    .find(|o| o.source != Source::Import)
                    .unwrap_or(&places[0]);
                let at = match first.line {
                    Some(l) => format!("{}:{l}", first.path),
                    None => first.path.clone(),
                };
                match places.len() {
                    1 => format!("{id} at {at}"),
                    k => format!("{id} at {at} +{} more", k - 1),
                }
            })
            .collect();
        if n > MAX_SHOWN {
            shown.push(format!("{} more", n - MAX_SHOWN));
        }
        parts.push(format!("{n} {adj}{sev}{plural} ({})", shown.join(", ")));
    }
    parts.join(", ")
}

/// Rules named per severity in the summary line; the rest are counted, so
/// the line stays one line.
const MAX_SHOWN: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::Context;
    use crate::model::fact::Location;
    use crate::model::score::Verdict;

    fn ev(path: &str, line: u32, snippet: &str) -> Evidence {
        let at = Location::line(path, line, snippet);
        Evidence {
            fingerprint: crate::analyze::finding::fingerprint("WF101", &at),
            ..Evidence::sample(at)
        }
    }

    /// A WF101 blocker with this evidence.
    fn wf101(evidence: Vec<Evidence>) -> Finding {
        Finding::sample("WF101", Severity::Blocker, evidence)
    }

    fn report(score: u8, findings: Vec<Finding>) -> Report {
        let v = serde_json::json!({
            "schema_version": crate::model::report::SCHEMA_VERSION,
            "tool": {"name": "wasmfit", "version": "0", "rules": 0},
            "root": ".",
            "verdict": "porting",
            "score": score,
            "summary": {"counted": {}, "not_counted": 0, "suppressed": 0, "effort_days": 0.0,
                        "files": 0, "bytes": 0, "elapsed_ms": 0},
            "runtime": {"primary": null, "detected": []},
            "shape": [],
            "findings": [],
            "scoring": {"score": score, "verdict": "porting", "deductions": [], "subscores": {},
                        "effort_days": 0.0, "effort_by_category": {}},
            "signals": [],
            "inventory": {"kinds": {}, "languages": {}, "skipped": [], "dockerfiles": [],
                          "compose_files": [], "manifests": [], "binaries": [], "wasm": []},
            "diagnostics": []
        });
        let mut r: Report = serde_json::from_value(v).expect("fixture report");
        r.verdict = Verdict::Porting;
        r.findings = findings;
        r
    }

    fn fail_on(s: Severity) -> Thresholds {
        Thresholds {
            fail_on: Some(s),
            fail_under: None,
        }
    }

    #[test]
    fn unknown_verdict_fails_any_threshold_and_passes_none() {
        let mut r = report(0, Vec::new());
        r.verdict = Verdict::Unknown;
        r.verdict_reason = Some("no service code under empty/".into());
        let out = evaluate(&r, None, &fail_on(Severity::Blocker));
        assert!(!out.passed);
        assert!(out
            .summary()
            .contains("verdict unknown (no service code under empty/)"));
        assert!(evaluate(&r, None, &Thresholds::default()).passed);
    }

    #[test]
    fn no_thresholds_always_pass() {
        let r = report(10, vec![wf101(vec![ev("a.py", 1, "x")])]);
        let o = evaluate(&r, None, &Thresholds::default());
        assert!(o.passed);
        assert!(o.reasons.is_empty());
    }

    #[test]
    fn fail_on_without_baseline_counts_at_or_above() {
        let r = report(
            60,
            vec![
                wf101(vec![ev("app.py", 12, "subprocess.run(x)")]),
                Finding::sample("WF601", Severity::Major, vec![ev("w.py", 3, "Thread()")]),
            ],
        );
        let o = evaluate(&r, None, &fail_on(Severity::Blocker));
        assert_eq!(o.summary(), "gate failed: 1 blocker (WF101 at app.py:12)");
        let o = evaluate(&r, None, &fail_on(Severity::Major));
        assert_eq!(o.new_findings.len(), 2);
        assert_eq!(
            o.reasons,
            vec!["1 blocker (WF101 at app.py:12), 1 major (WF601 at w.py:3)"]
        );
        let o = evaluate(&r, None, &fail_on(Severity::Minor));
        assert!(!o.passed);
    }

    #[test]
    fn uncounted_and_suppressed_evidence_never_fail() {
        let mut f = wf101(vec![ev("app.py", 1, "x")]);
        f.counted = false;
        let r = report(90, vec![f]);
        assert!(evaluate(&r, None, &fail_on(Severity::Info)).passed);

        let mut e = ev("app.py", 1, "x");
        e.suppressed = Some("needed".into());
        let mut f = wf101(vec![e, ev("t/app.py", 2, "y")]);
        f.evidence[1].context = Context::Test;
        let r = report(90, vec![f]);
        assert!(evaluate(&r, None, &fail_on(Severity::Blocker)).passed);
    }

    #[test]
    fn baseline_matches_by_fingerprint_not_line() {
        let old = report(40, vec![wf101(vec![ev("app.py", 12, "subprocess.run(x)")])]);
        // The same call moved down 30 lines and re-indented: not new.
        let moved = report(
            40,
            vec![wf101(vec![ev("app.py", 42, "  subprocess.run(x)")])],
        );
        assert!(evaluate(&moved, Some(&old), &fail_on(Severity::Blocker)).passed);
        // A second call is.
        let added = report(
            40,
            vec![wf101(vec![
                ev("app.py", 42, "subprocess.run(x)"),
                ev("app.py", 50, "subprocess.run(y)"),
            ])],
        );
        let o = evaluate(&added, Some(&old), &fail_on(Severity::Blocker));
        assert_eq!(
            o.summary(),
            "gate failed: 1 new blocker (WF101 at app.py:50)"
        );
        assert_eq!(o.new_findings.len(), 1);
    }

    #[test]
    fn suppressed_in_baseline_is_not_known() {
        let mut e = ev("app.py", 12, "subprocess.run(x)");
        e.suppressed = Some("r".into());
        let old = report(90, vec![wf101(vec![e])]);
        let now = report(40, vec![wf101(vec![ev("app.py", 12, "subprocess.run(x)")])]);
        assert!(!evaluate(&now, Some(&old), &fail_on(Severity::Blocker)).passed);
    }

    #[test]
    fn truncated_baseline_only_fails_when_the_finding_grew() {
        let mut old = wf101(vec![ev("a.py", 1, "a")]);
        old.evidence_total = 80;
        let old = report(10, vec![old]);
        let mut now = wf101(vec![ev("b.py", 1, "b")]);
        now.evidence_total = 80;
        assert!(
            evaluate(
                &report(10, vec![now.clone()]),
                Some(&old),
                &fail_on(Severity::Blocker)
            )
            .passed
        );
        now.evidence_total = 81;
        assert!(
            !evaluate(
                &report(10, vec![now]),
                Some(&old),
                &fail_on(Severity::Blocker)
            )
            .passed
        );
    }

    #[test]
    fn fail_under_with_and_without_baseline() {
        let t = Thresholds {
            fail_under: Some(60),
            fail_on: None,
        };
        assert_eq!(
            evaluate(&report(39, vec![]), None, &t).summary(),
            "gate failed: score 39 < 60"
        );
        assert!(evaluate(&report(60, vec![]), None, &t).passed);
        // Already under the threshold and not lowered: passes.
        assert!(evaluate(&report(39, vec![]), Some(&report(39, vec![])), &t).passed);
        assert!(evaluate(&report(45, vec![]), Some(&report(39, vec![])), &t).passed);
        // Lowered, and under: fails. Lowered but still above: passes.
        let o = evaluate(&report(39, vec![]), Some(&report(80, vec![])), &t);
        assert_eq!(o.reasons, vec!["score 39 < 60 (down from 80)"]);
        assert!(evaluate(&report(70, vec![]), Some(&report(80, vec![])), &t).passed);
    }

    #[test]
    fn both_reasons_in_one_line() {
        let r = report(39, vec![wf101(vec![ev("app.py", 12, "x")])]);
        let t = Thresholds {
            fail_under: Some(60),
            fail_on: Some(Severity::Blocker),
        };
        assert_eq!(
            evaluate(&r, Some(&report(80, vec![])), &t).summary(),
            "gate failed: 1 new blocker (WF101 at app.py:12); score 39 < 60 (down from 80)"
        );
    }

    #[test]
    fn the_summary_names_a_use_not_the_import() {
        let mut import = ev("app.py", 1, "import subprocess");
        import.source = Source::Import;
        let r = report(
            39,
            vec![wf101(vec![import, ev("app.py", 9, "subprocess.run(x)")])],
        );
        let o = evaluate(&r, None, &fail_on(Severity::Blocker));
        assert_eq!(o.reasons, vec!["1 blocker (WF101 at app.py:9 +1 more)"]);
    }

    #[test]
    fn many_rules_are_counted_not_listed() {
        let fs = (1..=5)
            .map(|i| {
                Finding::sample(
                    &format!("WF10{i}"),
                    Severity::Blocker,
                    vec![ev("a.py", i, "x"), ev("a.py", i + 10, "y")],
                )
            })
            .collect();
        let o = evaluate(&report(0, fs), None, &fail_on(Severity::Blocker));
        assert_eq!(
            o.reasons[0],
            "5 blockers (WF101 at a.py:1 +1 more, WF102 at a.py:2 +1 more, WF103 at a.py:3 +1 more, 2 more)"
        );
    }
}
