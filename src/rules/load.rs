//! Reads rule files and checks them, turning every mistake into an error that
//! names the file and line.

use super::model::{
    CapabilityClass, Matcher, Origin, Package, PluginHost, RawFile, Rule, RuntimeTier, TargetHost,
};
use super::runtimes::Runtimes;
use super::version::Range;
use super::RuleSet;
use std::collections::HashMap;
use std::path::Path;

/// Rule files larger than this are refused unread (the built-in ones are a
/// few dozen KiB each).
const MAX_RULE_FILE: u64 = 8 << 20;

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
    targets: Vec<(TargetHost, Origin)>,
    capabilities: Vec<(CapabilityClass, Origin)>,
    plugin_hosts: Vec<PluginHost>,
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
            let mut matchers = Vec::with_capacity(r.matchers.len());
            let mut matcher_lines = Vec::with_capacity(r.matchers.len());
            for m in r.matchers {
                let m_at = m.span().start;
                let m = m.into_inner();
                check_matcher(&m).map_err(|e| err(m_at, format!("rule {id}: {e}")))?;
                matcher_lines.push(line_of(text, m_at));
                matchers.push(m);
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
                severity_why: r.severity_why,
                matchers,
                matcher_lines,
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
        for spanned in raw.target {
            let at = spanned.span().start;
            let t = spanned.into_inner();
            let origin = Origin {
                file: file.to_string(),
                line: line_of(text, at),
            };
            if let Some((_, prev)) = self.targets.iter().find(|(p, _)| p.id == t.id) {
                return Err(err(
                    at,
                    format!(
                        "duplicate target `{}` (first at {}:{})",
                        t.id, prev.file, prev.line
                    ),
                ));
            }
            self.targets.push((t, origin));
        }
        for spanned in raw.capability {
            let at = spanned.span().start;
            let c = spanned.into_inner();
            if let Some((_, prev)) = self.capabilities.iter().find(|(p, _)| p.id == c.id) {
                return Err(err(
                    at,
                    format!(
                        "duplicate capability `{}` (first at {}:{})",
                        c.id, prev.file, prev.line
                    ),
                ));
            }
            let origin = Origin {
                file: file.to_string(),
                line: line_of(text, at),
            };
            self.capabilities.push((c, origin));
        }
        for spanned in raw.plugin_host {
            let at = spanned.span().start;
            let p = spanned.into_inner();
            if p.names.iter().any(|n| n.trim().is_empty()) {
                return Err(err(at, "plugin-host: empty name".into()));
            }
            self.plugin_hosts.push(p);
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
            // Symlinks were left out by the walk; a rule file is a page of
            // TOML, so a huge one is refused before it is read.
            let len = std::fs::metadata(&f).map_err(|e| io_err(&f, &e))?.len();
            if len > MAX_RULE_FILE {
                return Err(io_err(
                    &f,
                    &format!("larger than {MAX_RULE_FILE} bytes; not a rule file"),
                ));
            }
            let text = std::fs::read_to_string(&f).map_err(|e| io_err(&f, &e))?;
            self.add_file(&f.display().to_string(), &text)?;
        }
        Ok(())
    }

    /// Checks that the knowledge covers the whole vocabulary: every runtime
    /// id, target and capability has its entry. The built-in rules always
    /// do; a partial set (a test's, a user's rule directory alone) need not.
    pub fn finish_complete(self) -> Result<RuleSet, RuleError> {
        let set = self.finish()?;
        let missing = |file: &str, message: String| RuleError {
            file: file.into(),
            line: 1,
            message,
        };
        if let Some(id) = set.runtimes.missing() {
            return Err(missing(
                "rules/runtimes.toml",
                format!("runtime `{id}` has no [[runtime]] entry"),
            ));
        }
        if let Some(t) = crate::model::target::Target::ALL
            .into_iter()
            .find(|t| set.target(*t).is_none())
        {
            return Err(missing(
                "rules/targets.toml",
                format!("target `{t}` has no [[target]] entry"),
            ));
        }
        if let Some(c) = crate::model::vocab::Capability::ALL
            .iter()
            .find(|c| !set.capabilities.iter().any(|k| k.id == **c))
        {
            return Err(missing(
                "rules/capabilities.toml",
                format!("capability `{c}` has no [[capability]] entry"),
            ));
        }
        Ok(set)
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
        for (t, o) in &self.runtimes {
            if !by_id.contains_key(&t.rule) {
                return Err(RuleError {
                    file: o.file.clone(),
                    line: o.line,
                    message: format!("runtime {}: rule `{}` does not exist", t.id, t.rule),
                });
            }
        }
        let origins: Vec<Origin> = self.runtimes.iter().map(|(_, o)| o.clone()).collect();
        let runtimes = Runtimes::new(self.runtimes.into_iter().map(|(t, _)| t).collect()).map_err(
            |(i, message)| {
                let o = origins.get(i).or(origins.last());
                RuleError {
                    file: o.map_or_else(|| "rules/runtimes.toml".into(), |o| o.file.clone()),
                    line: origins.get(i).map_or(1, |o| o.line),
                    message,
                }
            },
        )?;
        // In vocabulary order, so that lookups are stable.
        let mut targets = Vec::new();
        for t in crate::model::target::Target::ALL {
            if let Some((h, _)) = self.targets.iter().find(|(h, _)| h.id == t) {
                targets.push(h.clone());
            }
        }
        let mut capabilities = Vec::new();
        for c in crate::model::vocab::Capability::ALL {
            if let Some((k, _)) = self.capabilities.iter().find(|(k, _)| k.id == *c) {
                capabilities.push(k.clone());
            }
        }
        let mut packages: Vec<Package> = self.packages.into_iter().map(|(p, _)| p).collect();
        packages.sort_by(|a, b| (a.ecosystem, &a.name).cmp(&(b.ecosystem, &b.name)));
        Ok(RuleSet {
            rules: self.rules,
            by_id,
            packages,
            runtimes,
            targets,
            capabilities,
            plugin_hosts: self.plugin_hosts,
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
        _ => match m.code() {
            Some((languages, patterns)) if languages.is_empty() || patterns.is_empty() => {
                Err("a source matcher needs languages and patterns".into())
            }
            _ => Ok(()),
        },
    }
}

fn first_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

/// The TOML of a rule that loads, for tests: the fields every rule needs,
/// with placeholder text, after a blank line.
#[cfg(test)]
pub(crate) fn test_rule(id: &str, category: &str, capability: &str, severity: &str) -> String {
    format!(
        "\n[[rule]]\nid = \"{id}\"\ntitle = \"t\"\ncategory = \"{category}\"\n\
         capability = \"{capability}\"\nseverity = \"{severity}\"\neffort = 1\n\
         message = \"m\"\nremediation = \"r\"\nwasi = \"none\"\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule that loads; its `[[rule]]` is on line 2, its id on line 3.
    fn rule() -> String {
        test_rule("WF999", "process", "process-spawn", "major")
    }

    #[test]
    fn unknown_field_names_file_and_line() {
        let text = format!("{}colour = \"red\"\n", rule());
        let e = Loader::default().add_file("x.toml", &text).unwrap_err();
        assert_eq!(e.file, "x.toml");
        assert_eq!(e.line, 12, "{e}");
        assert!(e.message.contains("unknown field"), "{e}");
    }

    #[test]
    fn duplicate_id_across_files() {
        let mut l = Loader::default();
        l.add_file("a.toml", &rule()).unwrap();
        let e = l.add_file("b.toml", &rule()).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("b.toml", 3));
        assert!(e.to_string().contains("duplicate rule id `WF999`"), "{e}");
        assert!(e.to_string().contains("a.toml:3"), "{e}");
    }

    #[test]
    fn bad_regex_and_unknown_matcher_kind() {
        let bad = format!(
            "{}[[rule.match]]\nkind = \"source\"\nlanguages = [\"go\"]\npatterns = [\"(\"]\n",
            rule()
        );
        let e = Loader::default().add_file("x.toml", &bad).unwrap_err();
        assert!(e.message.contains("bad regex"), "{e}");
        let kind = format!("{}[[rule.match]]\nkind = \"telepathy\"\n", rule());
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

    #[test]
    fn match_block_errors_name_the_block_line() {
        let bad = format!(
            "{}\n[[rule.match]]\nkind = \"source\"\nlanguages = [\"go\"]\npatterns = [\"x\"]\n\n[[rule.match]]\nkind = \"source\"\nlanguages = [\"go\"]\npatterns = [\"(\"]\n",
            rule()
        );
        let e = Loader::default().add_file("x.toml", &bad).unwrap_err();
        assert!(e.message.contains("bad regex"), "{e}");
        assert_eq!(e.line, 18, "{e}");
    }

    #[test]
    fn runtime_ids_are_checked() {
        let tier = |id: &str| {
            format!(
                "[[runtime]]\nid = \"{id}\"\nname = \"n\"\ntier = \"strong\"\nrule = \"WF999\"\nnote = \"x\"\n"
            )
        };
        let e = Loader::default()
            .add_file("r.toml", &tier("cobol"))
            .unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("r.toml", 2), "{e}");
        assert!(e.message.contains("cobol"), "{e}");
        // Every id of the vocabulary needs an entry.
        let mut l = Loader::default();
        l.add_file("a.toml", &rule()).unwrap();
        l.add_file("r.toml", &tier("rust")).unwrap();
        let e = l.finish_complete().err().unwrap();
        assert!(e.message.contains("has no [[runtime]] entry"), "{e}");
    }

    #[test]
    fn an_image_claimed_by_two_runtimes_is_an_error() {
        let mut l = Loader::default();
        let text = crate::rules::builtin::BUILTIN
            .iter()
            .find(|(n, _)| n.ends_with("runtimes.toml"))
            .unwrap()
            .1
            .replace("images = [\"gcc\"", "images = [\"python\", \"gcc\"");
        for (name, t) in crate::rules::builtin::BUILTIN {
            let t = if name.ends_with("runtimes.toml") {
                text.as_str()
            } else {
                t
            };
            l.add_file(name, t).unwrap();
        }
        let e = l.finish().err().unwrap();
        assert!(
            e.to_string().contains("image `python` already belongs"),
            "{e}"
        );
        assert!(e.file.ends_with("runtimes.toml"), "{e}");
    }

    #[test]
    fn target_interfaces_come_from_data() {
        use crate::model::target::Target;
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let t = |t| rules.target(t).unwrap();
        assert!(t(Target::Spin).offers("wasi:http/incoming-handler"));
        assert!(t(Target::Spin).offers("wasi:keyvalue/store@0.2.0-draft"));
        assert!(!t(Target::Spin).offers("wasi:sockets/tcp"));
        assert!(t(Target::Wasmtime).offers("wasi:sockets/tcp"));
        assert!(t(Target::Wasmtime).offers("wasi:cli/run"));
        assert!(!t(Target::Wasmcloud).offers("none"));
        let e = Loader::default()
            .add_file("t.toml", "[[target]]\nid = \"lambda\"\nname = \"x\"\n")
            .unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }
}
