//! Suppressions: `wasmfit: ignore[WF101] reason` comments in scanned files,
//! and `[[suppress]]` entries in `wasmfit.toml`.
//!
//! A suppression marks evidence, it never deletes it: suppressed evidence
//! stays in every report with its reason, and `finding::merge` keeps a
//! finding whose evidence is all suppressed out of the score. A reason is
//! required, because an unexplained suppression is how a blocker quietly
//! ships; one without a reason suppresses nothing and says so in a
//! diagnostic.
//!
//! The comment applies to evidence on its own line, and, when it stands on
//! a line of its own, to the line after it. In source files only real
//! comments count (the lexer decides), so a string that happens to contain
//! the marker does not suppress anything.

use crate::analyze::finding::Hit;
use crate::model::artifact::{Artifact, ArtifactKind};
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::finding::Source;
use crate::rules::RuleSet;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use regex::Regex;
use std::sync::LazyLock;

const MARKER: &str = "wasmfit:";
/// Problems with suppression comments reported per file, at most.
const MAX_DIAGNOSTICS: usize = 20;

static SUPPRESSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"wasmfit:[ \t]*ignore\[([^\]\n]*)\]([^\n]*)").expect("static regex")
});

/// One `wasmfit: ignore[...]` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Marker {
    line: u32,
    rules: Vec<String>,
    reason: String,
    /// Nothing but whitespace before the comment: it also covers the next line.
    own_line: bool,
}

impl Marker {
    fn covers(&self, line: u32) -> bool {
        line == self.line || (self.own_line && line == self.line + 1)
    }
}

/// The suppression comments of one file, read while its text is at hand
/// and applied in the scan's one suppression pass (`apply_all`).
#[derive(Clone, Debug)]
pub struct FileMarkers {
    path: String,
    markers: Vec<Marker>,
}

/// Reads the suppression comments of one text file, and reports the ones
/// that are malformed or have no reason.
pub fn read_markers(
    rules: &RuleSet,
    a: &Artifact,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<FileMarkers> {
    // Nearly no file has a marker; this is the whole cost for them.
    if !text.contains(MARKER) {
        return None;
    }
    let before = diags.len();
    let markers = markers(rules, a, text, diags);
    // A file of thousands of broken markers says so in a few lines.
    if diags.len() - before > MAX_DIAGNOSTICS {
        let more = diags.len() - before - MAX_DIAGNOSTICS;
        diags.truncate(before + MAX_DIAGNOSTICS);
        diags.push(Diagnostic::new(
            DiagKind::Note,
            &a.rel,
            format!("and {more} more problems with suppressions in this file"),
        ));
    }
    (!markers.is_empty()).then(|| FileMarkers {
        path: a.rel.clone(),
        markers,
    })
}

/// The one suppression pass, over every hit the scan produced: comments in
/// files first, then `[[suppress]]` entries for what they left.
pub fn apply_all(rules: &RuleSet, files: &[FileMarkers], config: &PathRules, hits: &mut [Hit]) {
    if !files.is_empty() {
        let by_path: std::collections::HashMap<&str, &FileMarkers> =
            files.iter().map(|f| (f.path.as_str(), f)).collect();
        let mut per_file: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, h) in hits.iter_mut().enumerate() {
            let Some((path, fm)) = by_path.get_key_value(h.evidence.at.path.as_str()) else {
                continue;
            };
            per_file.entry(*path).or_default().push(i);
            let e = &mut h.evidence;
            let (Some(line), None) = (e.at.line, &e.suppressed) else {
                continue;
            };
            let id = rules.rules[h.rule].id.as_str();
            if let Some(m) = fm
                .markers
                .iter()
                .find(|m| m.covers(line) && m.rules.iter().any(|r| r == id))
            {
                e.suppressed = Some(m.reason.clone());
            }
        }
        for idx in per_file.values() {
            follow_imports(hits, idx);
        }
    }
    config.apply(rules, hits);
}

/// An import is evidence only through what uses it: when every other piece
/// of a rule's evidence in the file is suppressed, its imports are too, so
/// one comment at the call site is enough. `idx` are the file's hits.
fn follow_imports(hits: &mut [Hit], idx: &[usize]) {
    let mut reasons: Vec<(usize, Option<String>)> = Vec::new();
    for h in idx
        .iter()
        .map(|&i| &hits[i])
        .filter(|h| h.evidence.source != Source::Import)
    {
        let entry = match reasons.iter_mut().find(|(r, _)| *r == h.rule) {
            Some(e) => e,
            None => {
                reasons.push((h.rule, h.evidence.suppressed.clone()));
                continue;
            }
        };
        if h.evidence.suppressed.is_none() {
            entry.1 = None;
        }
    }
    for &i in idx {
        let rule = hits[i].rule;
        let e = &mut hits[i].evidence;
        if e.source != Source::Import || e.suppressed.is_some() {
            continue;
        }
        if let Some((_, Some(reason))) = reasons.iter().find(|(r, _)| *r == rule) {
            e.suppressed = Some(format!("{reason} (import used only by suppressed lines)"));
        }
    }
}

/// Every valid marker in comments of `text`, with diagnostics for the others.
fn markers(rules: &RuleSet, a: &Artifact, text: &str, diags: &mut Vec<Diagnostic>) -> Vec<Marker> {
    let view = match a.kind {
        ArtifactKind::Source(lang) => Some(crate::parse::lex::lex(lang, text)),
        _ => None,
    };
    let mut out = Vec::new();
    let (mut line, mut counted_to, mut line_start) = (1u32, 0usize, 0usize);
    for cap in SUPPRESSION.captures_iter(text) {
        let (Some(whole), Some(ids), Some(rest)) = (cap.get(0), cap.get(1), cap.get(2)) else {
            continue;
        };
        let at = whole.start();
        // Line and line start follow the matches forward: one pass.
        let gap = &text[counted_to..at];
        line += gap.bytes().filter(|&b| b == b'\n').count() as u32;
        if let Some(i) = gap.rfind('\n') {
            line_start = counted_to + i + 1;
        }
        counted_to = at;
        let own_line = match &view {
            // The code view blanks comments, so "only blanks before the
            // marker" means the comment is alone on its line.
            Some(v) => {
                // Comments come in order: a binary search, so a file of a
                // million commented markers is not a million squared.
                let i = v.comments.partition_point(|c| c.end <= at);
                if !v.comments.get(i).is_some_and(|c| c.contains(&at)) {
                    continue;
                }
                v.code
                    .get(line_start..at)
                    .is_some_and(|s| s.trim().is_empty())
            }
            None => match comment_opener(&text[line_start..at]) {
                Some(p) => text[line_start..line_start + p].trim().is_empty(),
                None => continue,
            },
        };
        let note =
            |msg: String| Diagnostic::new(DiagKind::Note, &a.rel, format!("line {line}: {msg}"));
        let ids: Vec<String> = ids
            .as_str()
            .split(',')
            .map(|s| s.trim().to_string())
            .collect();
        if let Some(bad) = ids.iter().find(|i| !valid_id(i)) {
            diags.push(note(format!(
                "malformed suppression: `{}` is not a rule id (write `wasmfit: ignore[WF101] reason`); not applied",
                crate::model::fact::clip(bad)
            )));
            continue;
        }
        let reason = reason(rest.as_str());
        if reason.is_empty() {
            diags.push(note(format!(
                "suppression without a reason (write `wasmfit: ignore[{}] why it is fine`); not applied",
                ids.join(",")
            )));
            continue;
        }
        for id in ids.iter().filter(|i| rules.get(i).is_none()) {
            diags.push(note(format!(
                "suppression names {id}, which is not a loaded rule"
            )));
        }
        out.push(Marker {
            line,
            rules: ids,
            reason,
            own_line,
        });
    }
    out
}

/// Where a comment starts in the text before a marker, for files without a
/// lexer: `#` (Dockerfile, YAML, TOML, requirements), `//` (go.mod, Gradle),
/// `<!--` (XML manifests), `/*`.
fn comment_opener(before: &str) -> Option<usize> {
    ["#", "//", "<!--", "/*"]
        .iter()
        .filter_map(|o| before.find(o))
        .min()
}

/// The reason: the rest of the comment, without closers and separators.
fn reason(rest: &str) -> String {
    let mut r = rest;
    for closer in ["*/", "-->"] {
        if let Some(i) = r.find(closer) {
            r = &r[..i];
        }
    }
    r.trim()
        .trim_start_matches([':', '-', '—', '–'])
        .trim()
        .to_string()
}

fn valid_id(id: &str) -> bool {
    id.len() >= 5
        && id.len() <= 8
        && id.starts_with("WF")
        && id[2..].bytes().all(|b| b.is_ascii_digit())
}

/// `[[suppress]]` entries from `wasmfit.toml`: a rule, a gitignore-style
/// path pattern and a reason. They apply to any evidence, including
/// binaries and files that cannot carry a comment.
#[derive(Clone, Debug, Default)]
pub struct PathRules {
    entries: Vec<PathRule>,
    /// The scan root's path from the directory the patterns are relative
    /// to (a `wasmfit.toml` above the scanned directory); empty for the
    /// scan root itself.
    base: String,
}

#[derive(Clone, Debug)]
struct PathRule {
    rule: String,
    reason: String,
    matcher: Gitignore,
}

impl PathRules {
    /// Adds one entry; the error is the pattern's problem, for the config's
    /// own error message.
    pub fn push(&mut self, rule: &str, pattern: &str, reason: &str) -> Result<(), String> {
        let mut b = GitignoreBuilder::new("");
        b.add_line(None, pattern).map_err(|e| e.to_string())?;
        let matcher = b.build().map_err(|e| e.to_string())?;
        self.entries.push(PathRule {
            rule: rule.to_string(),
            reason: format!("{reason} (config: {pattern})"),
            matcher,
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Patterns are relative to the directory `base` levels above the scan
    /// root (see `PathRules::base`).
    pub fn set_base(&mut self, base: &str) {
        self.base = base.trim_matches('/').to_string();
    }

    /// Marks hits that an entry covers and no comment has suppressed yet.
    fn apply(&self, rules: &RuleSet, hits: &mut [Hit]) {
        if self.entries.is_empty() {
            return;
        }
        for h in hits.iter_mut() {
            if h.evidence.suppressed.is_some() {
                continue;
            }
            let id = rules.rules[h.rule].id.as_str();
            let path = h.evidence.at.path.trim_start_matches('/');
            let path = match self.base.as_str() {
                "" => std::borrow::Cow::Borrowed(path),
                base => std::borrow::Cow::Owned(format!("{base}/{path}")),
            };
            if let Some(p) = self
                .entries
                .iter()
                .find(|p| p.rule == id && matches(&p.matcher, &path))
            {
                h.evidence.suppressed = Some(p.reason.clone());
            }
        }
    }
}

/// Whether the path or any directory above it matches. Done by hand
/// because `Gitignore::matched_path_or_any_parents` panics on paths it does
/// not consider under its root, and image paths start with `/`.
fn matches(g: &Gitignore, path: &str) -> bool {
    let path = path.trim_start_matches('/');
    if g.matched(path, false).is_ignore() {
        return true;
    }
    let mut dir = path;
    while let Some(i) = dir.rfind('/') {
        dir = &dir[..i];
        if g.matched(dir, true).is_ignore() {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::context::Context;
    use crate::model::fact::Location;
    use crate::model::language::Language;
    use crate::rules::load::test_rule;
    use crate::rules::Confidence;

    fn rules() -> RuleSet {
        let mut l = crate::rules::Loader::default();
        let rules = test_rule("WF101", "process", "process-spawn", "blocker")
            + &test_rule("WF601", "concurrency", "threads", "major");
        l.add_file("t.toml", &rules).expect("test rules");
        l.finish().expect("test rules")
    }

    fn artifact(rel: &str, kind: ArtifactKind) -> Artifact {
        Artifact {
            path: rel.into(),
            rel: rel.into(),
            kind,
            context: Context::Service,
            size: 1,
        }
    }

    fn hit(rules: &RuleSet, id: &str, path: &str, line: u32) -> Hit {
        Hit::of_rule(
            rules,
            id,
            Location::line(path, line, "x"),
            Context::Service,
            Source::Code,
            Confidence::High,
        )
    }

    /// The one pass over the hits of one text file.
    fn apply(
        rules: &RuleSet,
        a: &Artifact,
        text: &str,
        hits: &mut [Hit],
        diags: &mut Vec<Diagnostic>,
    ) {
        let files: Vec<FileMarkers> = read_markers(rules, a, text, diags).into_iter().collect();
        apply_all(rules, &files, &PathRules::default(), hits);
    }

    fn run(
        rel: &str,
        kind: ArtifactKind,
        text: &str,
        at: &[(&str, u32)],
    ) -> (Vec<Option<String>>, Vec<Diagnostic>) {
        let rules = rules();
        let a = artifact(rel, kind);
        let mut hits: Vec<Hit> = at.iter().map(|(id, l)| hit(&rules, id, rel, *l)).collect();
        let mut diags = Vec::new();
        apply(&rules, &a, text, &mut hits, &mut diags);
        (
            hits.into_iter().map(|h| h.evidence.suppressed).collect(),
            diags,
        )
    }

    const PY: ArtifactKind = ArtifactKind::Source(Language::Python);

    #[test]
    fn same_line_and_line_before() {
        let text = "import subprocess\n# wasmfit: ignore[WF101] runs our own helper, replaced in Q3\nsubprocess.run(x)\nsubprocess.run(y)  # wasmfit: ignore[WF101]: vetted\nsubprocess.run(z)\n";
        let (s, d) = run(
            "app.py",
            PY,
            text,
            &[("WF101", 3), ("WF101", 4), ("WF101", 5)],
        );
        assert_eq!(s[0].as_deref(), Some("runs our own helper, replaced in Q3"));
        assert_eq!(s[1].as_deref(), Some("vetted"));
        // A trailing comment does not reach the next line.
        assert_eq!(s[2], None);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn only_the_named_rules() {
        let text =
            "t = Thread(target=lambda: subprocess.run(x))  # wasmfit: ignore[WF601, WF999] fine\n";
        let (s, d) = run("app.py", PY, text, &[("WF101", 1), ("WF601", 1)]);
        assert_eq!(s, vec![None, Some("fine".into())]);
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message.contains("WF999, which is not a loaded rule"),
            "{d:?}"
        );
    }

    #[test]
    fn several_rules_in_one_marker() {
        let text = "# wasmfit: ignore[WF101,WF601] both are fine here\nx()\n";
        let (s, _) = run("app.py", PY, text, &[("WF101", 2), ("WF601", 2)]);
        assert!(s.iter().all(Option::is_some));
    }

    #[test]
    fn a_reason_is_required() {
        let text = "subprocess.run(x)  # wasmfit: ignore[WF101]\n";
        let (s, d) = run("app.py", PY, text, &[("WF101", 1)]);
        assert_eq!(s, vec![None]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].path, "app.py");
        assert!(
            d[0].message
                .starts_with("line 1: suppression without a reason"),
            "{d:?}"
        );
    }

    #[test]
    fn malformed_ids_are_reported() {
        let (s, d) = run(
            "app.py",
            PY,
            "x()  # wasmfit: ignore[subprocess] because\n",
            &[("WF101", 1)],
        );
        assert_eq!(s, vec![None]);
        assert!(d[0].message.contains("malformed suppression"), "{d:?}");
    }

    #[test]
    fn strings_are_not_comments() {
        let text = "print(\"wasmfit: ignore[WF101] not a comment\")\nsubprocess.run(x)\n";
        let (s, d) = run("app.py", PY, text, &[("WF101", 1), ("WF101", 2)]);
        assert_eq!(s, vec![None, None]);
        assert!(d.is_empty());
    }

    #[test]
    fn block_comments_lose_their_closer() {
        let text = "/* wasmfit: ignore[WF101] needed for the CLI mode */\nexec.Command(\"git\")\n";
        let (s, _) = run(
            "main.go",
            ArtifactKind::Source(Language::Go),
            text,
            &[("WF101", 2)],
        );
        assert_eq!(s[0].as_deref(), Some("needed for the CLI mode"));
    }

    #[test]
    fn dockerfile_comments() {
        let text = "FROM python:3.12\n# wasmfit: ignore[WF101] ffmpeg only in the batch image\nRUN apt-get install -y ffmpeg\nENV X=\"wasmfit: ignore[WF101] not a comment\"\nRUN apt-get install -y git\n";
        let (s, _) = run(
            "Dockerfile",
            ArtifactKind::Dockerfile,
            text,
            &[("WF101", 3), ("WF101", 5)],
        );
        assert_eq!(s[0].as_deref(), Some("ffmpeg only in the batch image"));
        assert_eq!(s[1], None);
    }

    #[test]
    fn imports_follow_their_suppressed_uses() {
        let rules = rules();
        let a = artifact("app.py", PY);
        let text = "import subprocess\nsubprocess.run(x)  # wasmfit: ignore[WF101] vetted\n";
        let mut hits = vec![
            hit(&rules, "WF101", "app.py", 1),
            hit(&rules, "WF101", "app.py", 2),
        ];
        hits[0].evidence.source = Source::Import;
        apply(&rules, &a, text, &mut hits, &mut Vec::new());
        assert_eq!(
            hits[0].evidence.suppressed.as_deref(),
            Some("vetted (import used only by suppressed lines)")
        );
        // One live use keeps the import live.
        let text = "import subprocess\nsubprocess.run(x)  # wasmfit: ignore[WF101] vetted\nsubprocess.run(y)\n";
        hits.push(hit(&rules, "WF101", "app.py", 3));
        hits[0].evidence.suppressed = None;
        hits[1].evidence.suppressed = None;
        apply(&rules, &a, text, &mut hits, &mut Vec::new());
        assert_eq!(hits[0].evidence.suppressed, None);
        assert!(hits[1].evidence.suppressed.is_some());
    }

    #[test]
    fn other_files_hits_are_untouched() {
        let rules = rules();
        let a = artifact("app.py", PY);
        let mut hits = vec![hit(&rules, "WF101", "other.py", 1)];
        apply(
            &rules,
            &a,
            "x()  # wasmfit: ignore[WF101] ok\n",
            &mut hits,
            &mut Vec::new(),
        );
        assert_eq!(hits[0].evidence.suppressed, None);
    }

    #[test]
    fn path_rules() {
        let rules = rules();
        let mut p = PathRules::default();
        p.push("WF101", "scripts/**", "ops scripts, not the service")
            .expect("pattern");
        p.push("WF601", "/worker.py", "single thread pool")
            .expect("pattern");
        let mut hits = vec![
            hit(&rules, "WF101", "scripts/deploy/run.py", 1),
            hit(&rules, "WF101", "app.py", 1),
            hit(&rules, "WF601", "worker.py", 1),
            hit(&rules, "WF601", "sub/worker.py", 1),
            hit(&rules, "WF101", "/usr/bin/scripts/x", 1),
        ];
        p.apply(&rules, &mut hits);
        let s: Vec<bool> = hits
            .iter()
            .map(|h| h.evidence.suppressed.is_some())
            .collect();
        assert_eq!(s, vec![true, false, true, false, false]);
        assert_eq!(
            hits[0].evidence.suppressed.as_deref(),
            Some("ops scripts, not the service (config: scripts/**)")
        );
    }

    #[test]
    fn reason_trimming() {
        assert_eq!(reason(" — because -->"), "because");
        assert_eq!(reason(":"), "");
        assert_eq!(reason("   */"), "");
    }
}
