//! `wasmfit.toml`: a repository's own settings, so that what CI checks is
//! written down next to the code instead of in a pipeline file.
//!
//! Two phases, as in cargo-deny: serde reads the file exactly as written
//! (unknown keys are errors, values keep their spans), then `parse` checks
//! what serde cannot (score ranges, glob syntax, rule directories exist) and
//! `apply` checks rule ids against the loaded rules. Every mistake names the
//! file and line. Precedence is CLI > config > defaults; the CLI does the
//! merging, this module only reads.

use crate::analyze::suppress::PathRules;
pub use crate::model::target::Target;
use crate::rules::{RuleSet, Severity};
use ignore::gitignore::GitignoreBuilder;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file looked for at the root of the scanned path.
pub const FILE_NAME: &str = "wasmfit.toml";

/// A config is a page of settings; anything larger is not one.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// What the gate checks; `None` switches a check off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Thresholds {
    pub fail_under: Option<u8>,
    pub fail_on: Option<Severity>,
}

impl Thresholds {
    pub fn is_set(&self) -> bool {
        self.fail_under.is_some() || self.fail_on.is_some()
    }
}

/// A broken config: the file, the line when known, and what is wrong.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

// --- phase one: the file as written -------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    target: Option<Spanned<Target>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    gate: RawGate,
    #[serde(default)]
    suppress: Vec<Spanned<RawSuppress>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRules {
    #[serde(default)]
    off: Vec<Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, Spanned<Severity>>,
    #[serde(default)]
    dirs: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawGate {
    #[serde(default)]
    fail_under: Option<Spanned<i64>>,
    #[serde(default)]
    fail_on: Option<Spanned<Severity>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppress {
    rule: Spanned<String>,
    path: Spanned<String>,
    reason: Spanned<String>,
}

// --- phase two: checked ---------------------------------------------------

/// A checked config. `Config::default()` is what a repository without a
/// `wasmfit.toml` gets.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Where it was read from; `None` when there was no file.
    pub file: Option<PathBuf>,
    pub target: Target,
    /// Gitignore-style patterns, relative to the config file's directory
    /// (see `base`).
    pub exclude: Vec<String>,
    /// The scanned directory's path from the config file's directory,
    /// `/`-separated, empty when they are the same: a `wasmfit.toml` at
    /// the repository root read for a scan of `services/api` has base
    /// `services/api`, and its path patterns are matched against
    /// `services/api/...`. Empty for a `--config` file that is not above
    /// the scanned path, whose patterns are relative to the scanned path.
    pub base: String,
    /// Extra rule directories, resolved against the config file's directory.
    pub rule_dirs: Vec<PathBuf>,
    pub gate: Thresholds,
    pub suppress: PathRules,
    /// Rule ids with the line that named them, checked in `apply`.
    off: Vec<(String, usize)>,
    severity: Vec<(String, Severity, usize)>,
    suppressed_rules: Vec<(String, usize)>,
}

impl Config {
    /// The config for a scan of `scan_path`: the `--config` file when given
    /// (it must exist), else the nearest `wasmfit.toml` at or above the
    /// scanned directory within its repository (see `locate`), else the
    /// defaults.
    ///
    /// A `wasmfit.toml` found that way is as untrusted as the tree it sits
    /// in: it must be a regular file (not a symlink), and the paths it names
    /// must stay inside its own directory. Only `--config` and `--rules` may
    /// reach elsewhere.
    pub fn find(scan_path: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let (file, confined) = match explicit {
            Some(f) => (f.to_path_buf(), false),
            None => match locate(scan_path) {
                Some(f) => {
                    if std::fs::symlink_metadata(&f).is_ok_and(|m| m.file_type().is_symlink()) {
                        return Err(ConfigError {
                            file: f.display().to_string(),
                            line: None,
                            message: "a symbolic link; the config of a scanned tree must be a regular file in it (use --config FILE for one elsewhere)".into(),
                        });
                    }
                    (f, true)
                }
                None => return Ok(Config::default()),
            },
        };
        let text = crate::input::bounded::read_string(&file, MAX_CONFIG_BYTES).map_err(|e| {
            ConfigError {
                file: file.display().to_string(),
                line: None,
                message: format!("cannot read config: {e}"),
            }
        })?;
        let base = file.parent().unwrap_or(Path::new("."));
        let confine = confined.then_some(base);
        let mut c = Config::parse_with(&file.display().to_string(), base, confine, &text)?;
        c.base = scan_base(&file, scan_path).unwrap_or_default();
        c.suppress.set_base(&c.base);
        c.file = Some(file);
        Ok(c)
    }

    /// Reads a config's text; `label` names it in errors and `base` is the
    /// directory rule directories are relative to.
    pub fn parse(label: &str, base: &Path, text: &str) -> Result<Config, ConfigError> {
        Config::parse_with(label, base, None, text)
    }

    /// `parse`, refusing rule directories outside `confine` when it is set
    /// (a config that came with the scanned tree).
    fn parse_with(
        label: &str,
        base: &Path,
        confine: Option<&Path>,
        text: &str,
    ) -> Result<Config, ConfigError> {
        let err = |offset: usize, message: String| ConfigError {
            file: label.to_string(),
            line: Some(line_of(text, offset)),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: label.to_string(),
            line: Some(e.span().map_or(1, |s| line_of(text, s.start))),
            // serde says "field"; in a TOML file people call them keys.
            message: e
                .message()
                .trim()
                .replacen("unknown field", "unknown key", 1),
        })?;
        let mut c = Config {
            target: raw.target.map(Spanned::into_inner).unwrap_or_default(),
            ..Config::default()
        };
        for p in raw.exclude {
            check_glob(p.get_ref()).map_err(|m| err(p.span().start, format!("exclude: {m}")))?;
            c.exclude.push(p.into_inner());
        }
        for d in raw.rules.dirs {
            let dir = base.join(d.get_ref());
            if let Some(root) = confine {
                // Resolved, symlinks and `..` included, before anything in
                // it is read; the message names the key, not what is there.
                let inside = dir
                    .canonicalize()
                    .ok()
                    .zip(root.canonicalize().ok())
                    .is_some_and(|(d, r)| d.starts_with(r));
                if !inside {
                    return Err(err(
                        d.span().start,
                        format!(
                            "rules.dirs: `{}` is not a directory inside the scanned tree; a repository's config may only name rule directories in the repository (use --rules DIR for others)",
                            crate::model::fact::clip(d.get_ref())
                        ),
                    ));
                }
            }
            if !dir.is_dir() {
                return Err(err(
                    d.span().start,
                    format!(
                        "rules.dirs: `{}` is not a directory ({})",
                        d.get_ref(),
                        dir.display()
                    ),
                ));
            }
            c.rule_dirs.push(dir);
        }
        c.off = raw
            .rules
            .off
            .into_iter()
            .map(|s| (line_of(text, s.span().start), s))
            .map(|(l, s)| (s.into_inner(), l))
            .collect();
        for (id, sev) in raw.rules.severity {
            c.severity
                .push((id, *sev.get_ref(), line_of(text, sev.span().start)));
        }
        if let Some(n) = raw.gate.fail_under {
            let v = *n.get_ref();
            let score = u8::try_from(v).ok().filter(|s| *s <= 100);
            c.gate.fail_under = Some(score.ok_or_else(|| {
                err(
                    n.span().start,
                    format!("gate.fail-under: {v} is not a score from 0 to 100"),
                )
            })?);
        }
        c.gate.fail_on = raw.gate.fail_on.map(Spanned::into_inner);
        for s in raw.suppress {
            let at = s.span().start;
            let s = s.into_inner();
            if s.reason.get_ref().trim().is_empty() {
                return Err(err(
                    s.reason.span().start,
                    "suppress: a reason is required".into(),
                ));
            }
            c.suppress
                .push(
                    s.rule.get_ref(),
                    s.path.get_ref(),
                    s.reason.get_ref().trim(),
                )
                .map_err(|m| err(s.path.span().start, format!("suppress.path: {m}")))?;
            c.suppressed_rules
                .push((s.rule.into_inner(), line_of(text, at)));
        }
        Ok(c)
    }

    /// Checks the rule ids the config names and applies `[rules]`: re-grades
    /// first, then turns rules off. Call before the engine is built.
    pub fn apply(&self, rules: &mut RuleSet) -> Result<(), ConfigError> {
        let named = self
            .off
            .iter()
            .map(|(id, l)| (id, *l, "rules.off"))
            .chain(
                self.severity
                    .iter()
                    .map(|(id, _, l)| (id, *l, "rules.severity")),
            )
            .chain(
                self.suppressed_rules
                    .iter()
                    .map(|(id, l)| (id, *l, "suppress.rule")),
            );
        for (id, line, key) in named {
            if rules.get(id).is_none() {
                return Err(ConfigError {
                    file: self.label(),
                    line: Some(line),
                    message: format!("{key}: unknown rule `{id}` (see `wasmfit rules`)"),
                });
            }
        }
        for (id, sev, _) in &self.severity {
            if let Some(i) = rules.index(id) {
                rules.rules[i].severity = *sev;
            }
        }
        if !self.off.is_empty() {
            let off: Vec<&str> = self.off.iter().map(|(id, _)| id.as_str()).collect();
            rules.remove(&off);
        }
        Ok(())
    }

    fn label(&self) -> String {
        self.file
            .as_ref()
            .map_or_else(|| FILE_NAME.to_string(), |f| f.display().to_string())
    }
}

/// The nearest `wasmfit.toml` in the scanned directory or above it, up to
/// the repository root (the directory holding `.git`), as clippy.toml and
/// rustfmt.toml are found; so a scan of `services/api` in a monorepo gets
/// the root's settings. Outside a repository only the scanned directory's
/// own file counts: a parent directory is not the project's to configure.
/// Only regular files count, never a symlink (its target could be any file
/// on the host).
pub fn locate(scan_path: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(scan_path).ok()?;
    let dir = if abs.is_dir() {
        abs
    } else {
        abs.parent()?.to_path_buf()
    };
    let top = crate::input::repo::root_of(&dir)
        .unwrap_or(&dir)
        .to_path_buf();
    for d in dir.ancestors() {
        let f = d.join(FILE_NAME);
        // A symlink is returned too, so `find` refuses it with a message
        // rather than silently scanning without the tree's config.
        if std::fs::symlink_metadata(&f).is_ok_and(|m| m.is_file() || m.file_type().is_symlink()) {
            return Some(f);
        }
        if d == top {
            break;
        }
    }
    None
}

/// The scanned directory relative to the config file's directory, when
/// the config sits at or above it.
fn scan_base(config: &Path, scan_path: &Path) -> Option<String> {
    let cdir = std::fs::canonicalize(config).ok()?.parent()?.to_path_buf();
    let abs = std::fs::canonicalize(scan_path).ok()?;
    let dir = if abs.is_dir() {
        abs
    } else {
        abs.parent()?.to_path_buf()
    };
    let rel = dir.strip_prefix(&cdir).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// A gitignore pattern written relative to a directory `base` below the
/// config file's directory, rewritten relative to the config file's
/// directory: `--exclude gen/` for a scan of `services/api` becomes
/// `services/api/**/gen/`, so flags and `wasmfit.toml` patterns are
/// matched the same way.
pub fn rebase_pattern(base: &str, pattern: &str) -> String {
    if base.is_empty() {
        return pattern.to_string();
    }
    let (neg, p) = match pattern.strip_prefix('!') {
        Some(rest) => ("!", rest),
        None => ("", pattern),
    };
    let body = p.trim_end_matches('/');
    let anchored = p.starts_with('/') || body.contains('/');
    let p = p.trim_start_matches('/');
    if anchored {
        format!("{neg}/{base}/{p}")
    } else {
        format!("{neg}/{base}/**/{p}")
    }
}

fn check_glob(p: &str) -> Result<(), String> {
    let mut b = GitignoreBuilder::new("");
    b.add_line(None, p).map_err(|e| e.to_string())?;
    b.build().map(|_| ()).map_err(|e| e.to_string())
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The commented file `wasmfit init` writes. Every setting is shown with its
/// default, commented out, so the file documents itself; a test checks that
/// it parses.
pub fn template(target: Target) -> String {
    format!(
        r#"# wasmfit.toml: settings for `wasmfit scan` in this repository.
# Command-line flags win over this file; this file wins over the defaults.
# Docs: wasmfit --help, wasmfit rules, wasmfit explain WF101.

# The Wasm platform you would move to: wasmtime, spin, wasmcloud or runwasi.
target = "{target}"

# Paths to leave out of the scan (gitignore syntax, relative to this file's
# directory when wasmfit scans it). vendor/, node_modules/, target/ and other
# build trees are skipped already.
# exclude = ["scripts/", "docs/**/*.py"]

[rules]
# Rules to turn off entirely (ids from `wasmfit rules`).
# off = ["WF702"]
# Extra rule files: every *.toml in these directories, relative to this file.
# dirs = ["wasmfit-rules"]

# Re-grade rules: blocker, major, minor or info.
[rules.severity]
# WF601 = "minor"

[gate]
# Fail (exit 1) when the score is below this. With --baseline or
# --baseline-ref, only when the change also lowered the score.
# fail-under = 60
# Fail on any counted finding of this severity or worse (blocker, major,
# minor). With a baseline, only on evidence new since the baseline.
# fail-on = "blocker"

# Suppress a rule for paths (gitignore syntax). The reason is required and is
# shown in every report; suppressed findings do not count.
# For one line, write a comment instead: `wasmfit: ignore[WF101] reason`.
# [[suppress]]
# rule = "WF101"
# path = "scripts/**"
# reason = "operator scripts, not part of the service"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse("wasmfit.toml", Path::new("."), text)
    }

    fn err(text: &str) -> String {
        parse(text).expect_err("should fail").to_string()
    }

    #[test]
    fn empty_is_defaults() {
        let c = parse("").expect("empty config");
        assert_eq!(c.target, Target::Wasmtime);
        assert!(!c.gate.is_set());
        assert!(c.exclude.is_empty() && c.suppress.is_empty());
    }

    #[test]
    fn full_config() {
        let c = parse(
            r#"
target = "spin"
exclude = ["scripts/", "*.gen.go"]
[rules]
off = ["WF702"]
[rules.severity]
WF601 = "minor"
[gate]
fail-under = 60
fail-on = "blocker"
[[suppress]]
rule = "WF101"
path = "tools/**"
reason = "dev tools"
"#,
        )
        .expect("valid config");
        assert_eq!(c.target, Target::Spin);
        assert_eq!(c.exclude, vec!["scripts/", "*.gen.go"]);
        assert_eq!(c.gate.fail_under, Some(60));
        assert_eq!(c.gate.fail_on, Some(Severity::Blocker));
        assert_eq!(c.off, vec![("WF702".to_string(), 5)]);
        assert_eq!(c.severity, vec![("WF601".to_string(), Severity::Minor, 7)]);
        assert!(!c.suppress.is_empty());
    }

    #[test]
    fn unknown_keys_name_the_line() {
        assert_eq!(
            err("target = \"spin\"\n\nfoo = 1\n").split(',').next(),
            Some("wasmfit.toml:3: unknown key `foo`")
        );
        let e = err("[gate]\nfail-under = 50\nfail_on = \"major\"\n");
        assert!(
            e.starts_with("wasmfit.toml:3: unknown key `fail_on`"),
            "{e}"
        );
        let e = err("[[suppress]]\nrule = \"WF101\"\npath = \"x\"\nreason = \"r\"\nwhy = 1\n");
        assert!(e.starts_with("wasmfit.toml:5: unknown key `why`"), "{e}");
    }

    #[test]
    fn bad_values_name_the_line() {
        let e = err("target = \"lambda\"\n");
        assert!(
            e.starts_with("wasmfit.toml:1: unknown variant `lambda`"),
            "{e}"
        );
        let e = err("[rules.severity]\nWF601 = \"critical\"\n");
        assert!(e.starts_with("wasmfit.toml:2:"), "{e}");
        assert!(e.contains("critical"), "{e}");
        let e = err("[gate]\n\nfail-under = 101\n");
        assert_eq!(
            e,
            "wasmfit.toml:3: gate.fail-under: 101 is not a score from 0 to 100"
        );
        let e = err("[gate]\nfail-under = -1\n");
        assert!(e.starts_with("wasmfit.toml:2: gate.fail-under"), "{e}");
        let e = err("[rules]\ndirs = [\"no/such/dir\"]\n");
        assert!(
            e.starts_with("wasmfit.toml:2: rules.dirs: `no/such/dir` is not a directory"),
            "{e}"
        );
        let e = err("[[suppress]]\nrule = \"WF101\"\npath = \"x\"\nreason = \"  \"\n");
        assert_eq!(e, "wasmfit.toml:4: suppress: a reason is required");
        let e = err("[[suppress]]\nrule = \"WF101\"\npath = \"x\"\n");
        assert!(e.contains("missing field `reason`"), "{e}");
        let e = err("exclude = [\"ok\", \"a{b\"]\n");
        assert!(e.starts_with("wasmfit.toml:1: exclude:"), "{e}");
    }

    #[test]
    fn template_parses_for_every_target() {
        for t in [
            Target::Wasmtime,
            Target::Spin,
            Target::Wasmcloud,
            Target::Runwasi,
        ] {
            let c = parse(&template(t)).expect("template parses");
            assert_eq!(c.target, t);
            assert!(!c.gate.is_set(), "the template sets no gate by default");
        }
        // Uncommenting every example still gives a valid file (bar the
        // example rule directory, which does not exist here).
        let on: String = template(Target::Wasmtime)
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") || rest.starts_with('[') => rest,
                _ => l,
            })
            .filter(|l| !l.starts_with("dirs"))
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&on).expect("uncommented template parses");
        assert_eq!(c.gate.fail_under, Some(60));
        assert_eq!(c.off.len(), 1);
    }
}
