//! Reads rule files and checks them, turning every mistake into an error that
//! names the file and line.

use super::model::{Matcher, Origin, Package, RawFile, Rule, RuntimeTier};
use super::version::Range;
use super::RuleSet;
use std::collections::HashMap;
use std::path::Path;

/// A broken rule file: always the file, the line and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Accumulates files, then checks cross-file facts (duplicate ids, packages
/// pointing at rules) once everything is read.
#[derive(Default)]
pub struct Loader {
    rules: Vec<Rule>,
    packages: Vec<(Package, Origin)>,
    runtimes: Vec<(RuntimeTier, Origin)>,
    seen: HashMap<String, Origin>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

impl Loader {
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| RuleError {
            file: file.to_string(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        let err = |offset: usize, message: String| RuleError {
            file: file.to_string(),
            line: line_of(text, offset),
            message,
        };
        for spanned in raw.rule {
            let at = spanned.span().start;
            let r = spanned.into_inner();
            let id_at = r.id.span().start;
            let id = r.id.into_inner();
            let origin = Origin {
                file: file.to_string(),
                line: line_of(text, id_at),
            };
            if !valid_id(&id) {
                return Err(err(
                    id_at,
                    format!("rule id `{id}` is not of the form WF123"),
                ));
            }
            if let Some(prev) = self.seen.get(&id) {
                return Err(err(
                    id_at,
                    format!(
                        "duplicate rule id `{id}` (first defined at {}:{})",
                        prev.file, prev.line
                    ),
                ));
            }
            if !(r.effort.is_finite() && r.effort >= 0.0) {
                return Err(err(
                    at,
                    format!("rule {id}: effort must be a number of days >= 0"),
                ));
            }
            if r.wasi.trim().is_empty() {
                return Err(err(
                    at,
                    format!("rule {id}: `wasi` must name an interface or say \"none\""),
                ));
            }
            for m in &r.matchers {
                check_matcher(m).map_err(|m| err(at, format!("rule {id}: {m}")))?;
            }
            self.seen.insert(id.clone(), origin.clone());
            self.rules.push(Rule {
                id,
                title: r.title,
                category: r.category,
                capability: r.capability,
                severity: r.severity,
                effort: r.effort,
                message: r.message,
                remediation: r.remediation,
                wasi: r.wasi,
                references: r.references,
                description: r.description,
                example: r.example,
                instead: r.instead,
                matchers: r.matchers,
                positive: r.positive,
                negative: r.negative,
                origin,
            });
        }
        for spanned in raw.package {
            let at = spanned.span().start;
            let p = spanned.into_inner();
            if let Some(v) = &p.versions {
                Range::parse(v).map_err(|m| err(at, format!("package {}: {m}", p.name)))?;
            }
            let origin = Origin {
                file: file.to_string(),
                line: line_of(text, at),
            };
            self.packages.push((p, origin));
        }
        for spanned in raw.runtime {
            let at = spanned.span().start;
            let origin = Origin {
                file: file.to_string(),
                line: line_of(text, at),
            };
            self.runtimes.push((spanned.into_inner(), origin));
        }
        Ok(())
    }

    /// Reads every `*.toml` under `dir` (sorted, so errors are stable).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), RuleError> {
        let io_err = |p: &Path, e: &dyn std::fmt::Display| RuleError {
            file: p.display().to_string(),
            line: 1,
            message: e.to_string(),
        };
        if !dir.is_dir() {
            return Err(io_err(dir, &"not a directory of rule files"));
        }
        let mut files: Vec<_> = walkdir::WalkDir::new(dir)
            .follow_links(false)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "toml")
            })
            .map(|e| e.into_path())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|e| io_err(&f, &e))?;
            self.add_file(&f.display().to_string(), &text)?;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<RuleSet, RuleError> {
        let by_id: HashMap<String, usize> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        for (p, o) in &self.packages {
            if !by_id.contains_key(&p.rule) {
                return Err(RuleError {
                    file: o.file.clone(),
                    line: o.line,
                    message: format!("package {}: rule `{}` does not exist", p.name, p.rule),
                });
            }
        }
        let mut seen_rt: HashMap<&str, &Origin> = HashMap::new();
        for (t, o) in &self.runtimes {
            if !by_id.contains_key(&t.rule) {
                return Err(RuleError {
                    file: o.file.clone(),
                    line: o.line,
                    message: format!("runtime {}: rule `{}` does not exist", t.id, t.rule),
                });
            }
            if let Some(prev) = seen_rt.insert(&t.id, o) {
                return Err(RuleError {
                    file: o.file.clone(),
                    line: o.line,
                    message: format!(
                        "duplicate runtime `{}` (first at {}:{})",
                        t.id, prev.file, prev.line
                    ),
                });
            }
        }
        let mut packages: Vec<Package> = self.packages.into_iter().map(|(p, _)| p).collect();
        packages.sort_by(|a, b| (a.ecosystem, &a.name).cmp(&(b.ecosystem, &b.name)));
        Ok(RuleSet {
            rules: self.rules,
            by_id,
            packages,
            runtimes: self.runtimes.into_iter().map(|(t, _)| t).collect(),
        })
    }
}

fn valid_id(id: &str) -> bool {
    id.len() >= 5
        && id.len() <= 8
        && id.starts_with("WF")
        && id[2..].bytes().all(|b| b.is_ascii_digit())
}

fn check_matcher(m: &Matcher) -> Result<(), String> {
    for p in m.regexes() {
        // Parsing is the whole check: compiling every pattern here cost a
        // scan most of its start-up, and patterns compile when first used.
        regex_syntax::Parser::new()
            .parse(p)
            .map_err(|e| format!("bad regex `{p}`: {}", first_line(&e.to_string())))?;
    }
    match m {
        Matcher::Dependency {
            versions: Some(v), ..
        } => Range::parse(v).map(|_| ()),
        Matcher::Source {
            languages,
            patterns,
            ..
        }
        | Matcher::String {
            languages,
            patterns,
            ..
        } if languages.is_empty() || patterns.is_empty() => {
            Err("a source matcher needs languages and patterns".into())
        }
        _ => Ok(()),
    }
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
[[rule]]
id = "WF999"
title = "t"
category = "process"
capability = "process-spawn"
severity = "major"
effort = 1
message = "m"
remediation = "r"
wasi = "none"
"#;

    #[test]
    fn unknown_field_names_file_and_line() {
        let text = format!("{RULE}colour = \"red\"\n");
        let e = Loader::default().add_file("x.toml", &text).unwrap_err();
        assert_eq!(e.file, "x.toml");
        assert_eq!(e.line, 12, "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn duplicate_id_across_files() {
        let mut l = Loader::default();
        l.add_file("a.toml", RULE).unwrap();
        let e = l.add_file("b.toml", RULE).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("b.toml", 3));
        assert!(e.to_string().contains("duplicate rule id `WF999`"), "{e}");
        assert!(e.to_string().contains("a.toml:3"), "{e}");
    }

    #[test]
    fn bad_regex_and_unknown_matcher_kind() {
        let bad = format!(
            "{RULE}[[rule.match]]\nkind = \"source\"\nlanguages = [\"go\"]\npatterns = [\"(\"]\n"
        );
        let e = Loader::default().add_file("x.toml", &bad).unwrap_err();
        assert!(e.message.contains("bad regex"), "{e}");
        let kind = format!("{RULE}[[rule.match]]\nkind = \"telepathy\"\n");
        let e = Loader::default().add_file("x.toml", &kind).unwrap_err();
        assert!(e.message.contains("telepathy"), "{e}");
        assert_eq!(e.line, 13, "{e}");
    }

    #[test]
    fn package_must_name_a_rule() {
        let mut l = Loader::default();
        l.add_file(
            "p.toml",
            "[[package]]\necosystem = \"pypi\"\nname = \"torch\"\nrule = \"WF000\"\nreason = \"x\"\n",
        )
        .unwrap();
        let e = l.finish().err().unwrap();
        assert!(e.to_string().starts_with("p.toml:1: package torch"), "{e}");
    }
}
