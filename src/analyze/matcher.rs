//! The matching engine: every rule indexed once per kind, then applied to
//! each file's code view and facts in one pass.
//!
//! Code rules (source and string patterns, import modules) are kept per
//! language and built on first use behind a literal prefilter
//! (`code_rules`). Names (symbols, syscalls, packages) go into hash maps;
//! the regexes over facts compile the first time a fact needs them.

use crate::analyze::code_rules::{CodePat, CodeRules, Spec};
use crate::analyze::finding::Hit;
use crate::model::context::Context;
use crate::model::fact::{Ecosystem, Fact, FactKind, Location};
use crate::model::finding::Source;
use crate::model::language::Language;
use crate::parse::lex::CodeView;
use crate::rules::version::Range;
use crate::rules::{Confidence, Matcher, RuleSet};
use regex::{Regex, RegexSet};
use std::collections::HashMap;
use std::sync::OnceLock;

pub use crate::analyze::code_rules::Candidates;

/// A regex compiled the first time it is needed.
struct LazyRe {
    pattern: String,
    re: OnceLock<Option<Regex>>,
}

impl Pat {
    fn new(pattern: &str, by: Named) -> Pat {
        Pat {
            by,
            re: LazyRe::new(pattern),
        }
    }
}

impl Named {
    fn of(p: &CodePat) -> Named {
        Named {
            rule: p.rule,
            block: p.block,
            confidence: p.confidence,
        }
    }
}

impl LazyRe {
    fn new(pattern: &str) -> LazyRe {
        LazyRe {
            pattern: pattern.to_string(),
            re: OnceLock::new(),
        }
    }

    fn is_match(&self, hay: &str) -> bool {
        // Patterns were validated on load; one that still fails to compile
        // matches nothing rather than taking the scan down.
        self.re
            .get_or_init(|| Regex::new(&self.pattern).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(hay))
    }
}

/// One pattern over facts and the rule it belongs to.
struct Pat {
    by: Named,
    re: LazyRe,
}

/// A set of patterns answered with one scan, compiled on first use.
#[derive(Default)]
struct PatSet {
    set: OnceLock<Option<RegexSet>>,
    pats: Vec<SetPat>,
}

struct SetPat {
    by: Named,
    pattern: String,
}

impl PatSet {
    fn extend(&mut self, patterns: &[String], by: Named) {
        self.pats.extend(patterns.iter().map(|p| SetPat {
            by,
            pattern: p.clone(),
        }));
    }

    /// Indices of the patterns that match anywhere in `hay`.
    fn matching(&self, hay: &str) -> Vec<usize> {
        if self.pats.is_empty() {
            return Vec::new();
        }
        let set = self
            .set
            .get_or_init(|| RegexSet::new(self.pats.iter().map(|p| p.pattern.as_str())).ok());
        match set {
            Some(s) => s.matches(hay).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Calls `f` with the origin of every pattern that matches `hay`.
    fn each(&self, hay: &str, mut f: impl FnMut(Named)) {
        for i in self.matching(hay) {
            f(self.pats[i].by);
        }
    }
}

enum NamePat {
    Exact(String),
    Prefix(String),
}

impl NamePat {
    fn new(s: &str) -> NamePat {
        match s.strip_suffix('*') {
            Some(p) => NamePat::Prefix(p.to_string()),
            None => NamePat::Exact(s.to_string()),
        }
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            NamePat::Exact(e) => e == s,
            NamePat::Prefix(p) => s.starts_with(p.as_str()),
        }
    }
}

struct DepEntry {
    /// Its block is None for `[[package]]` knowledge, which belongs to no
    /// block.
    by: Named,
    versions: Option<Range>,
    features: Vec<String>,
    note: Option<String>,
}

/// Where a hit comes from: the rule, which `[[rule.match]]` block of it,
/// and how sure a match of it is.
#[derive(Clone, Copy)]
struct Named {
    rule: usize,
    block: Option<u16>,
    confidence: Confidence,
}

/// All rules, compiled.
pub struct Engine<'r> {
    pub rules: &'r RuleSet,
    code: CodeRules,
    imports: HashMap<Language, Vec<(NamePat, Named)>>,
    deps: HashMap<(Ecosystem, String), Vec<DepEntry>>,
    dockerfile: Vec<(Option<String>, Pat)>,
    base_images: Vec<(bool, Pat)>,
    os_packages: Vec<(NamePat, Named)>,
    /// Per (rule, block): the library packages that make an os-package
    /// hit a binding's (`Matcher::OsPackage::binding`).
    bindings: HashMap<(usize, u16), Vec<NamePat>>,
    compose: Vec<(String, Vec<LazyRe>, Named)>,
    symbols: HashMap<String, Vec<Named>>,
    functions: PatSet,
    libraries: PatSet,
    syscalls: HashMap<String, Vec<Named>>,
    sections: HashMap<String, Vec<Named>>,
    wasm_imports: PatSet,
    devices: PatSet,
    files: PatSet,
}

impl<'r> Engine<'r> {
    pub fn new(rules: &'r RuleSet) -> Engine<'r> {
        let mut specs: HashMap<Language, Spec> = HashMap::new();
        let mut e = Engine {
            rules,
            code: CodeRules::default(),
            imports: HashMap::new(),
            deps: HashMap::new(),
            dockerfile: Vec::new(),
            base_images: Vec::new(),
            os_packages: Vec::new(),
            bindings: HashMap::new(),
            compose: Vec::new(),
            symbols: HashMap::new(),
            functions: PatSet::default(),
            libraries: PatSet::default(),
            syscalls: HashMap::new(),
            sections: HashMap::new(),
            wasm_imports: PatSet::default(),
            devices: PatSet::default(),
            files: PatSet::default(),
        };
        for (idx, rule) in rules.rules.iter().enumerate() {
            for (block, m) in rule.matchers.iter().enumerate() {
                e.add(idx, u16::try_from(block).ok(), m, &mut specs);
            }
        }
        for p in &rules.packages {
            let Some(idx) = rules.index(&p.rule) else {
                continue;
            };
            let note = match &p.replacement {
                Some(r) => format!("{}: {} Instead: {}", p.name, p.reason, r),
                None => format!("{}: {}", p.name, p.reason),
            };
            e.deps
                .entry((p.ecosystem, p.ecosystem.normalize(&p.name)))
                .or_default()
                .push(DepEntry {
                    by: Named {
                        rule: idx,
                        block: None,
                        confidence: Confidence::Medium,
                    },
                    versions: p.versions.as_deref().and_then(|v| Range::parse(v).ok()),
                    features: p.features.clone(),
                    note: Some(note),
                });
        }
        let mut specs: Vec<(Language, Spec)> = specs.into_iter().collect();
        specs.sort_by_key(|(l, _)| *l);
        e.code = CodeRules::new(specs);
        e
    }

    fn add(
        &mut self,
        rule: usize,
        block: Option<u16>,
        m: &Matcher,
        specs: &mut HashMap<Language, Spec>,
    ) {
        let confidence = m.confidence();
        let named = Named {
            rule,
            block,
            confidence,
        };
        match m {
            Matcher::Source { .. } | Matcher::String { .. } => {
                let (languages, patterns) = m.code().unwrap_or_default();
                for lang in languages.iter().flat_map(|l| l.family()) {
                    let spec = specs.entry(*lang).or_default();
                    let target = if matches!(m, Matcher::Source { .. }) {
                        &mut spec.code
                    } else {
                        &mut spec.strings
                    };
                    for p in patterns {
                        target.push(CodePat::new(rule, block, p, confidence));
                    }
                }
            }
            Matcher::Import {
                languages, modules, ..
            } => {
                for lang in languages.iter().flat_map(|l| l.family()) {
                    for module in modules {
                        self.imports
                            .entry(*lang)
                            .or_default()
                            .push((NamePat::new(module), named));
                    }
                }
            }
            Matcher::Dependency {
                ecosystem,
                names,
                versions,
                features,
                ..
            } => {
                for n in names {
                    self.deps
                        .entry((*ecosystem, ecosystem.normalize(n)))
                        .or_default()
                        .push(DepEntry {
                            by: named,
                            versions: versions.as_deref().and_then(|v| Range::parse(v).ok()),
                            features: features.clone(),
                            note: None,
                        });
                }
            }
            Matcher::Dockerfile {
                instruction,
                patterns,
                ..
            } => {
                let instr = instruction.as_ref().map(|i| i.to_ascii_uppercase());
                self.dockerfile
                    .extend(patterns.iter().map(|p| (instr.clone(), Pat::new(p, named))));
            }
            Matcher::BaseImage {
                patterns,
                final_only,
                ..
            } => {
                self.base_images
                    .extend(patterns.iter().map(|p| (*final_only, Pat::new(p, named))));
            }
            Matcher::OsPackage { names, binding, .. } => {
                self.os_packages
                    .extend(names.iter().map(|n| (NamePat::new(n), named)));
                if let (Some(block), false) = (named.block, binding.is_empty()) {
                    let pats = binding.iter().map(|b| NamePat::new(b)).collect();
                    self.bindings.insert((named.rule, block), pats);
                }
            }
            Matcher::Compose { key, values, .. } => {
                let res = values.iter().map(|v| LazyRe::new(v)).collect();
                self.compose.push((key.clone(), res, named));
            }
            Matcher::Symbol { names, .. } => index_names(&mut self.symbols, names, named),
            Matcher::Syscall { names, .. } => index_names(&mut self.syscalls, names, named),
            Matcher::Section { names, .. } => index_names(&mut self.sections, names, named),
            Matcher::Function { patterns, .. } => self.functions.extend(patterns, named),
            Matcher::Library { patterns, .. } => self.libraries.extend(patterns, named),
            Matcher::WasmImport { patterns, .. } => self.wasm_imports.extend(patterns, named),
            Matcher::Device { patterns, .. } => self.devices.extend(patterns, named),
            Matcher::File { patterns, .. } => self.files.extend(patterns, named),
        }
    }

    fn hit(&self, by: Named, at: Location, context: Context, source: Source) -> Hit {
        let rule = &self.rules.rules[by.rule];
        let mut h = Hit::new(rule, by.rule, at, context, source, by.confidence);
        h.matcher = by.block;
        h
    }

    /// What a source file's raw bytes may match; empty when nothing can,
    /// and the file then needs no lexing, no patterns and no imports.
    pub fn candidates(&self, lang: Language, raw: &[u8]) -> Candidates {
        self.code
            .get(lang)
            .map(|c| c.candidates(raw))
            .unwrap_or_default()
    }

    /// The code patterns that have no literal to prefilter on and run on
    /// every file of their language, as (rule id, pattern). Building every
    /// language's index, this is for tests and diagnostics.
    pub fn unfiltered_patterns(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let langs: Vec<Language> = self.code.languages().collect();
        for lang in langs {
            if let Some(c) = self.code.get(lang) {
                for p in c.unfiltered() {
                    let id = self.rules.rules[p.rule].id.clone();
                    out.push((id, p.pattern().to_string()));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Source and string patterns over one lexed file, the ones the
    /// prefilter left possible. One hit per rule per line: three patterns
    /// of the same rule on one line are one place.
    pub fn match_code(
        &self,
        rel: &str,
        text: &str,
        view: &CodeView,
        context: Context,
        cands: &Candidates,
        out: &mut Vec<Hit>,
    ) {
        let Some(lang) = self.code.get(view.language) else {
            return;
        };
        // Test code is tests'; a Flask CLI command's body is a side
        // program's, with the reason said (parse::cli_commands).
        let hit_at = |by: Named, at: Location, off: usize, source: Source| {
            if view.in_test(off) {
                self.hit(by, at, Context::Test, source)
            } else if context.counts() && view.in_command(off) {
                let mut h = self.hit(by, at, Context::Optional, source);
                h.evidence.reason = Some(crate::parse::cli_commands::REASON.to_string());
                h
            } else {
                self.hit(by, at, context, source)
            }
        };
        let mut seen: std::collections::HashSet<(usize, u32)> = std::collections::HashSet::new();
        for &i in &cands.code {
            let p = &lang.code[i];
            for start in p.starts_in_code(&view.code) {
                let line = view.line_of(start);
                let line_start = view.line_range(line, view.code.len()).start;
                if defines(&view.code[line_start.min(start)..start]) {
                    continue;
                }
                if seen.insert((p.rule, line)) {
                    let at = Location::line(rel, line, view.line_text(text, line));
                    out.push(hit_at(Named::of(p), at, start, Source::Code));
                }
            }
        }
        if cands.strings.is_empty() {
            return;
        }
        for s in &view.strings {
            for i in lang.strings_matching(&s.text) {
                if cands.strings.binary_search(&i).is_err() {
                    continue;
                }
                let p = &lang.strings[i];
                let line = view.line_of(s.start);
                if seen.insert((p.rule, line)) {
                    let at = Location::line(rel, line, view.line_text(text, line));
                    out.push(hit_at(Named::of(p), at, s.start, Source::String));
                }
            }
        }
    }

    /// Lowers to low confidence each image package hit whose tool the same
    /// build installs beside its library's development files (`imagemagick`
    /// with `libmagickwand-dev`): the tool came along for a binding built
    /// against the library, which the native-extension rule reports, and is
    /// not shown to run. `facts` are one build's: a Dockerfile's, or a
    /// scanned image's history and package database.
    pub fn lower_bindings(&self, facts: &[Fact], hits: &mut [Hit]) {
        if self.bindings.is_empty() {
            return;
        }
        let installed: Vec<&str> = facts
            .iter()
            .filter_map(|f| match &f.kind {
                FactKind::OsPackage { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        for h in hits.iter_mut().filter(|h| h.evidence.installed) {
            let Some(libs) = h.matcher.and_then(|b| self.bindings.get(&(h.rule, b))) else {
                continue;
            };
            if let Some(lib) = installed.iter().find(|n| libs.iter().any(|l| l.matches(n))) {
                h.evidence.confidence = Confidence::Low;
                h.evidence.reason = Some(format!(
                    "installed beside `{lib}`, its library's development files: there for a binding built against the library, not shown to run"
                ));
            }
        }
    }

    /// Every matcher kind that reads facts.
    pub fn match_fact(&self, fact: &Fact, out: &mut Vec<Hit>) {
        let mut emit = |by: Named, source| {
            out.push(self.hit(by, fact.at.clone(), fact.context, source));
        };
        // A site with a line is a call by number, or a device path, in
        // source code; one without is in a binary.
        let site = if fact.at.line.is_some() {
            Source::Code
        } else {
            Source::Binary
        };
        match &fact.kind {
            FactKind::Import { language, module } => {
                let named = self.imports.get(language).into_iter().flatten();
                for (_, n) in named.filter(|(pat, _)| pat.matches(module)) {
                    emit(*n, Source::Import);
                }
            }
            FactKind::Dependency(d) => {
                let key = (d.ecosystem, d.ecosystem.normalize(&d.name));
                for e in self.deps.get(&key).into_iter().flatten() {
                    if let (Some(r), Some(v)) = (&e.versions, &d.version) {
                        if !r.contains(v) {
                            continue;
                        }
                    }
                    // Feature-gated knowledge (tokio's `net`) applies only
                    // where the manifest says which features are on.
                    if !e.features.is_empty() && !d.features.iter().any(|f| e.features.contains(f))
                    {
                        continue;
                    }
                    // A package only a lock file names, or one go.mod
                    // requires `// indirect`, is transitive: present, but
                    // rarely the code path the service relies on.
                    let mut by = e.by;
                    let transitive = d.indirect || is_lock_file(&fact.at.path);
                    if transitive {
                        by.confidence = Confidence::Low;
                    }
                    let mut h = self.hit(by, fact.at.clone(), fact.context, Source::Dependency);
                    h.evidence.note = e.note.clone();
                    h.evidence.transitive = transitive;
                    out.push(h);
                }
            }
            FactKind::BaseImage {
                image, is_final, ..
            } => {
                for (final_only, p) in &self.base_images {
                    if (*is_final || !final_only) && p.re.is_match(image) {
                        emit(p.by, Source::Dockerfile);
                    }
                }
            }
            FactKind::OsPackage { name, .. } => {
                for (_, n) in self.os_packages.iter().filter(|(pat, _)| pat.matches(name)) {
                    let mut h = self.hit(*n, fact.at.clone(), fact.context, Source::Dockerfile);
                    h.evidence.installed = true;
                    out.push(h);
                }
            }
            FactKind::Instruction { instruction, args } => {
                for (want, p) in &self.dockerfile {
                    if want.as_ref().is_none_or(|w| w == instruction) && p.re.is_match(args) {
                        emit(p.by, Source::Dockerfile);
                    }
                }
            }
            FactKind::Compose { key, value, .. } => {
                for (k, values, n) in &self.compose {
                    if k == key && (values.is_empty() || values.iter().any(|v| v.is_match(value))) {
                        emit(*n, Source::Compose);
                    }
                }
            }
            FactKind::Symbol { name } => {
                let named = self.symbols.get(normalize_symbol(name));
                named
                    .into_iter()
                    .flatten()
                    .for_each(|n| emit(*n, Source::Binary));
            }
            FactKind::Syscall { name } => {
                // `*` in a rule matches every resolved syscall site; a rule
                // that also names this syscall still gets one hit.
                let mut done = std::collections::HashSet::new();
                let named = self.syscalls.get(name).into_iter().flatten();
                for n in named.chain(self.syscalls.get("*").into_iter().flatten()) {
                    if done.insert(n.rule) {
                        emit(*n, site);
                    }
                }
            }
            FactKind::Section { name } => {
                let named = self.sections.get(name);
                named
                    .into_iter()
                    .flatten()
                    .for_each(|n| emit(*n, Source::Binary));
            }
            FactKind::Function { name } => self.functions.each(name, |by| emit(by, Source::Binary)),
            FactKind::Library { name } => self.libraries.each(name, |by| emit(by, Source::Binary)),
            FactKind::WasmImport { module, name } => {
                let key = if name.is_empty() {
                    module.clone()
                } else {
                    format!("{module}/{name}")
                };
                self.wasm_imports.each(&key, |by| emit(by, Source::Wasm))
            }
            FactKind::File { name } => self.files.each(name, |by| emit(by, Source::File)),
            FactKind::Device { path } => self.devices.each(path, |by| emit(by, site)),
            // Entry points say how a program starts, for the service
            // model (analyze::entries); no rule reads them.
            FactKind::Runtime { .. }
            | FactKind::Entry { .. }
            | FactKind::Script { .. }
            | FactKind::Crate { .. }
            | FactKind::GoModule { .. } => {}
        }
    }
}

/// Adds every name of a matcher block to a by-name index.
fn index_names(index: &mut HashMap<String, Vec<Named>>, names: &[String], by: Named) {
    for n in names {
        index.entry(n.clone()).or_default().push(by);
    }
}

fn is_lock_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    crate::model::artifact::ManifestKind::from_file_name(name).is_some_and(|k| k.is_lock())
}

/// `_fork` (Mach-O) and `fork@GLIBC_2.2.5` (ELF versioned) are `fork`.
fn normalize_symbol(name: &str) -> &str {
    let name = name.split('@').next().unwrap_or(name);
    name.strip_prefix('_')
        .filter(|s| !s.starts_with('_'))
        .unwrap_or(name)
}

/// Whether the code before a match on its line ends with a keyword that
/// defines a function (`public function exec(`, `def system(`, `fn
/// spawn(`): a pattern for a call must not match the definition of a
/// function of the same name, which runs nothing.
fn defines(before: &str) -> bool {
    const KEYWORDS: [&str; 6] = ["function", "def", "fn", "func", "fun", "sub"];
    let t = before.trim_end();
    KEYWORDS.iter().any(|k| {
        t.strip_suffix(k).is_some_and(|rest| {
            !rest.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_normalisation() {
        assert_eq!(normalize_symbol("_fork"), "fork");
        assert_eq!(normalize_symbol("fork@GLIBC_2.2.5"), "fork");
        assert_eq!(normalize_symbol("__libc_start_main"), "__libc_start_main");
    }

    #[test]
    fn a_definition_is_not_a_call() {
        for yes in [
            "\tpublic function",
            "def",
            "  pub fn ",
            "func",
            "private fun",
            "sub",
        ] {
            assert!(defines(yes), "{yes:?}");
        }
        for no in [
            "",
            "return",
            "$x =",
            "echo",
            "defunct",
            "$fn",
            "my_def",
            "const fn =",
        ] {
            assert!(!defines(no), "{no:?}");
        }
    }
}
