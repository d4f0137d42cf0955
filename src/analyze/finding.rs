//! Findings: rule hits merged per root cause, with all their evidence.
//!
//! The root cause is the capability a rule names. A Dockerfile that installs
//! ffmpeg, a `subprocess.run(["ffmpeg", ...])` and an `ffmpeg-python`
//! dependency are one problem (the service spawns programs), so they are one
//! finding with three pieces of evidence, not three findings.

use crate::model::context::Context;
use crate::model::fact::Location;
use crate::model::finding::{Evidence, Finding, Source};
use crate::rules::{Confidence, Rule, Severity};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A rule hit before merging.
#[derive(Clone, Debug)]
pub struct Hit {
    pub rule: usize,
    /// The `[[rule.match]]` block (by position in the rule) that fired; None
    /// for package knowledge, runtimes and links. Lets the fixture suite
    /// prove every block fires.
    pub matcher: Option<u16>,
    pub evidence: Evidence,
}

impl Hit {
    /// `_rule` names the rule whose id the evidence's fingerprint takes,
    /// computed in `merge` for the evidence a finding keeps.
    pub fn new(
        _rule: &Rule,
        rule_index: usize,
        at: Location,
        context: Context,
        source: Source,
        confidence: Confidence,
    ) -> Hit {
        Hit {
            rule: rule_index,
            matcher: None,
            evidence: Evidence {
                at,
                context,
                source,
                confidence,
                note: None,
                transitive: false,
                // Hashed in `build`, for the evidence a finding keeps.
                fingerprint: String::new(),
                suppressed: None,
                reason: None,
                chain: Vec::new(),
                jobs_only: false,
                installed: false,
            },
        }
    }
}

#[cfg(test)]
impl Hit {
    /// A hit of the built-in rule `id` at `at`, for tests of the passes
    /// that re-context hits.
    pub(crate) fn of_rule(
        rules: &crate::rules::RuleSet,
        id: &str,
        at: Location,
        context: Context,
        source: Source,
        confidence: Confidence,
    ) -> Hit {
        let idx = rules.index(id).expect(id);
        Hit::new(&rules.rules[idx], idx, at, context, source, confidence)
    }
}

/// A fingerprint that survives reformatting and moved lines.
pub fn fingerprint(rule_id: &str, at: &Location) -> String {
    let folded: String = at.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut h = Sha256::new();
    for part in [
        rule_id,
        &at.path,
        &folded,
        at.symbol.as_deref().unwrap_or(""),
        at.library.as_deref().unwrap_or(""),
        at.section.as_deref().unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    short_hex(h)
}

/// The first 8 bytes of a digest in hex: short enough to read, long enough
/// not to collide within one report.
fn short_hex(h: Sha256) -> String {
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Evidence beyond this many places is counted, not listed: a report is for
/// reading, and a vendored copy of libc can match thousands of times.
pub const MAX_EVIDENCE: usize = 50;

/// Merges hits into findings, one per rule, sorted blockers first.
pub fn merge(rules: &[Rule], hits: Vec<Hit>) -> Vec<Finding> {
    let mut by_rule: BTreeMap<usize, Vec<Evidence>> = BTreeMap::new();
    for h in hits {
        by_rule.entry(h.rule).or_default().push(h.evidence);
    }
    let mut out: Vec<Finding> = by_rule
        .into_iter()
        .map(|(idx, ev)| build(&rules[idx], ev))
        .collect();
    out.sort_by(|a, b| {
        (b.counted, a.severity, a.context, &a.rule_id)
            .cmp(&(a.counted, b.severity, b.context, &b.rule_id))
    });
    out
}

fn build(rule: &Rule, mut ev: Vec<Evidence>) -> Finding {
    ev.sort_by(|a, b| {
        (
            a.suppressed.is_some(),
            a.context,
            &a.at.path,
            a.at.line,
            a.source,
            &a.at.symbol,
        )
            .cmp(&(
                b.suppressed.is_some(),
                b.context,
                &b.at.path,
                b.at.line,
                b.source,
                &b.at.symbol,
            ))
    });
    // One line of source read by two matchers (`use std::process::Command;`
    // by a code pattern and by an import rule) is one place, not two kinds
    // of evidence agreeing: it is listed once, at the higher confidence.
    let source_text = |s: Source| matches!(s, Source::Code | Source::String | Source::Import);
    ev.dedup_by(|a, b| {
        let same = a.at.path == b.at.path
            && a.at.line == b.at.line
            && a.at.symbol == b.at.symbol
            && a.at.library == b.at.library
            && a.at.section == b.at.section
            && a.suppressed.is_some() == b.suppressed.is_some()
            && a.context == b.context
            && (a.source == b.source || (source_text(a.source) && source_text(b.source)))
            && a.at.line.is_some();
        if same {
            b.confidence = b.confidence.max(a.confidence);
        }
        same
    });
    let live: Vec<&Evidence> = ev.iter().filter(|e| e.suppressed.is_none()).collect();
    let suppressed = live.is_empty();
    let pool: Vec<&Evidence> = if suppressed {
        ev.iter().collect()
    } else {
        live
    };
    let context = pool
        .iter()
        .map(|e| e.context)
        .min()
        .unwrap_or(Context::Service);
    let in_ctx: Vec<&&Evidence> = pool.iter().filter(|e| e.context == context).collect();
    let mut confidence = in_ctx
        .iter()
        .map(|e| e.confidence)
        .max()
        .unwrap_or(Confidence::Low);
    // Independent kinds of evidence agreeing (code and image, dependency and
    // binary) is the strongest sign there is.
    let kinds: std::collections::BTreeSet<Source> = in_ctx.iter().map(|e| e.source).collect();
    if kinds.len() >= 2 && confidence == Confidence::Medium {
        confidence = Confidence::High;
    }
    // Lock-file entries alone say that some package in the dependency tree
    // can do this, not that the service does. A lock file is written for
    // every platform and feature set at once (Cargo.lock lists Windows-only
    // crates on Linux, a package lock the optional native builds), so an
    // entry may never be built for the service's target: such a finding is
    // a reason to look (a minor), and decides neither a blocker nor a
    // porting verdict by itself.
    let lock_only = !in_ctx.is_empty()
        && in_ctx
            .iter()
            .all(|e| e.source == Source::Dependency && e.transitive);
    // And at low confidence (a lock entry's own) it is not counted at all:
    // the package may never be built for the service's target, so counting
    // it would charge the service for the tree's other platforms and
    // features. It stays listed, with its context, as a reason to look.
    // A package the image installs is a tool that ships, not a run of it.
    // The low-confidence ones (git, openssh-client, xvfb) are installed for
    // many reasons besides being started by the service (a build step, a
    // health check, an operator's shell); when nothing else in the context
    // shows the service running anything (no code, import, dependency or
    // binary evidence), the finding is a reason to look, listed like a
    // low-confidence lock entry and not counted.
    let installed_only = !in_ctx.is_empty() && in_ctx.iter().all(|e| e.installed);
    let counted = context.counts()
        && !suppressed
        && rule.severity != Severity::Info
        && !((lock_only || installed_only) && confidence == Confidence::Low);
    // A capability only background jobs use (`app/jobs/`, a `*_job` file)
    // is needed by a worker the job queue runs beside the service, off the
    // request path: the worker can stay in a container while the service
    // moves, so it is porting work (split the job off), at most a major,
    // and not a reason for the whole service to stay.
    // Marked only where it lowers the rule's severity (a queue-worker info
    // finding in job code is not "at most a major").
    let job_only = !lock_only
        && rule.severity == Severity::Blocker
        && !in_ctx.is_empty()
        && in_ctx
            .iter()
            .all(|e| e.jobs_only || is_job_path(&e.at.path));
    // Severities are ordered most severe first: `max` is "at most".
    let severity = if lock_only {
        rule.severity.max(Severity::Minor)
    } else if job_only {
        rule.severity.max(Severity::Major)
    } else {
        rule.severity
    };
    let sites = in_ctx.len().max(1) as f64;
    // Effort grows with the number of places to change, but sub-linearly:
    // the tenth call site of the same API costs less than the first.
    let effort = round1(rule.effort * (1.0 + sites.ln() * 0.5).min(3.0));
    let total = ev.len();
    ev.truncate(MAX_EVIDENCE);
    for e in ev.iter_mut().filter(|e| e.fingerprint.is_empty()) {
        e.fingerprint = fingerprint(&rule.id, &e.at);
    }
    let mut h = Sha256::new();
    h.update(rule.id.as_bytes());
    for e in &ev {
        h.update(e.fingerprint.as_bytes());
    }
    let fp = short_hex(h);
    Finding {
        rule_id: rule.id.clone(),
        title: rule.title.clone(),
        capability: rule.capability,
        category: rule.category,
        severity,
        context,
        confidence,
        counted,
        lock_only,
        job_only,
        installed_only,
        suppressed,
        message: rule.message.clone(),
        remediation: rule.remediation.clone(),
        wasi: rule.wasi.clone(),
        effort,
        fingerprint: fp,
        evidence: ev,
        evidence_total: total,
    }
}

/// Whether `path` is background-job code: under a `jobs` directory
/// (Rails' `app/jobs/`, `jobs/`), under `app/workers/` (Sidekiq's
/// convention), a file named for a job (`restic_job.rb`,
/// `cleanup_job.py`), or a package's `tasks.py` (Celery, huey and RQ's
/// convention; a root `tasks.py` is invoke's, build context already).
pub(crate) fn is_job_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let Some((file, dirs)) = parts.split_last() else {
        return false;
    };
    let stem = file.split('.').next().unwrap_or(file);
    dirs.contains(&"jobs")
        || dirs.windows(2).any(|w| w == ["app", "workers"])
        || (stem.ends_with("_job") && file.contains('.'))
        || (*file == "tasks.py" && !dirs.is_empty())
}

pub fn round1(x: f64) -> f64 {
    // `+ 0.0` turns the -0.0 an empty float sum starts from into 0.0.
    (x * 10.0).round() / 10.0 + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::score;
    use crate::model::score::Verdict;
    use crate::rules::RuleSet;

    fn hit(rules: &RuleSet, id: &str, path: &str, ctx: Context, source: Source) -> Hit {
        let mut h = Hit::of_rule(
            rules,
            id,
            Location::line(path, 3, "x"),
            ctx,
            source,
            Confidence::Low,
        );
        // What the matcher says of lock entries.
        h.evidence.transitive = source == Source::Dependency
            && crate::model::artifact::ManifestKind::is_lock_path(path);
        h
    }

    /// A line two matchers read is one place at the better confidence, and
    /// not two kinds of evidence that raise the finding's confidence.
    #[test]
    fn one_line_read_twice_is_one_place() {
        let rules = RuleSet::builtin().expect("rules");
        let svc = Context::Service;
        let at = |source, confidence| {
            let mut h = hit(&rules, "WF101", "src/boot.rs", svc, source);
            h.evidence.confidence = confidence;
            h
        };
        let f = merge(
            &rules.rules,
            vec![
                at(Source::Import, Confidence::Medium),
                at(Source::Code, Confidence::Low),
            ],
        );
        assert_eq!(f[0].evidence.len(), 1);
        assert_eq!(f[0].evidence[0].confidence, Confidence::Medium);
        assert_eq!(f[0].confidence, Confidence::Medium);
        // Another line, or a lock entry and an import of the same name, are
        // two places; different kinds agreeing raise the confidence.
        let mut other = at(Source::Code, Confidence::Medium);
        other.evidence.at = Location::line("src/boot.rs", 9, "x");
        let f = merge(
            &rules.rules,
            vec![at(Source::Import, Confidence::Medium), other],
        );
        assert_eq!(f[0].evidence.len(), 2);
        assert_eq!(f[0].confidence, Confidence::High);
        let mut dep = at(Source::Dependency, Confidence::Medium);
        dep.evidence.at = Location::line("src/boot.rs", 3, "x");
        let f = merge(
            &rules.rules,
            vec![at(Source::Import, Confidence::Medium), dep],
        );
        assert_eq!(f[0].evidence.len(), 2);
    }

    #[test]
    fn a_low_confidence_image_package_alone_is_not_counted() {
        let rules = RuleSet::builtin().expect("rules");
        let svc = Context::Service;
        let installed = |id: &str, confidence: Confidence| {
            let mut h = Hit::of_rule(
                &rules,
                id,
                Location::line("Dockerfile", 4, "RUN apt-get install -y git"),
                svc,
                Source::Dockerfile,
                confidence,
            );
            h.evidence.installed = true;
            h
        };
        // git in the image, nothing that runs it: listed, not counted.
        let f = merge(&rules.rules, vec![installed("WF101", Confidence::Low)]);
        assert!(f[0].installed_only && !f[0].counted);
        assert_eq!(f[0].severity, Severity::Blocker);
        assert_eq!(score::score(&f).verdict, Verdict::GoodFit);
        // A package the service is known to run (ffmpeg, medium or high):
        // counted as the rule says.
        let f = merge(&rules.rules, vec![installed("WF101", Confidence::Medium)]);
        assert!(f[0].installed_only && f[0].counted);
        // Code that spawns beside it: the code decides.
        let f = merge(
            &rules.rules,
            vec![
                installed("WF101", Confidence::Low),
                hit(&rules, "WF101", "src/main.rs", svc, Source::Code),
            ],
        );
        assert!(!f[0].installed_only && f[0].counted);
        // Evidence outside the service context does not make the case.
        let f = merge(
            &rules.rules,
            vec![
                installed("WF101", Confidence::Low),
                hit(&rules, "WF101", "tests/run.rs", Context::Test, Source::Code),
            ],
        );
        assert!(f[0].installed_only && !f[0].counted);
    }

    #[test]
    fn lock_only_is_not_counted_and_job_only_is_at_most_a_major() {
        let rules = RuleSet::builtin().expect("rules");
        let blocker = "WF101";
        assert_eq!(
            rules.rules[rules.index(blocker).unwrap()].severity,
            Severity::Blocker
        );
        let svc = Context::Service;
        let dep = Source::Dependency;

        // Only lock entries (two lock files): a minor, listed, not counted.
        let f = merge(
            &rules.rules,
            vec![
                hit(&rules, blocker, "Cargo.lock", svc, dep),
                hit(&rules, blocker, "web/pnpm-lock.yaml", svc, dep),
                // Code evidence in a test does not make the service's case.
                hit(
                    &rules,
                    blocker,
                    "tests/watch.rs",
                    Context::Test,
                    Source::Code,
                ),
            ],
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].lock_only);
        assert!(!f[0].counted);
        assert_eq!(f[0].context, svc);
        assert_eq!(f[0].severity, Severity::Minor);
        let s = score::score(&f);
        assert_eq!(s.verdict, Verdict::GoodFit);
        assert!(s.deductions.is_empty(), "{:?}", s.deductions);

        // A manifest declaration, an import or code evidence beside it: the
        // rule's own severity.
        for (path, source) in [
            ("Cargo.toml", dep),
            ("src/main.rs", Source::Import),
            ("src/main.rs", Source::Code),
            ("app.bin", Source::Binary),
        ] {
            let f = merge(
                &rules.rules,
                vec![
                    hit(&rules, blocker, "Cargo.lock", svc, dep),
                    hit(&rules, blocker, path, svc, source),
                ],
            );
            assert!(!f[0].lock_only, "{path}");
            assert!(f[0].counted, "{path}");
            assert_eq!(f[0].severity, Severity::Blocker, "{path}");
        }

        // Background-job code only: a major, counted; job and request-path
        // code together: the rule's blocker.
        let spawn = "WF101";
        let job = |path: &str| hit(&rules, spawn, path, svc, Source::Code);
        let f = merge(
            &rules.rules,
            vec![
                job("app/jobs/backup_job.rb"),
                job("lib/cleanup_job.py"),
                job("shop/orders/tasks.py"),
            ],
        );
        assert!(f[0].job_only && f[0].counted);
        assert_eq!(f[0].severity, Severity::Major);
        assert_eq!(score::score(&f).verdict, Verdict::Porting);
        for other in [
            "app/controllers/x_controller.rb",
            "app/jobs.rb",
            "jobsite/run.py",
            "shop/orders/task_views.py",
        ] {
            let f = merge(
                &rules.rules,
                vec![job("app/jobs/backup_job.rb"), job(other)],
            );
            assert!(!f[0].job_only, "{other}");
            assert_eq!(f[0].severity, Severity::Blocker, "{other}");
        }

        // Lock entries that do not ship are not counted at all.
        let f = merge(
            &rules.rules,
            vec![hit(&rules, blocker, "Cargo.lock", Context::Dev, dep)],
        );
        assert!(!f[0].counted);
        assert_eq!(score::score(&f).verdict, Verdict::GoodFit);
    }
}
