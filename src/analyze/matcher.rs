//! The matching engine: every rule compiled once into per-kind indexes, then
//! applied to each file's code view and facts in one pass.
//!
//! Source patterns of all rules for a language go into one `RegexSet`, so a
//! file is scanned once to learn which patterns occur at all; only those are
//! then run again to find their lines. Names (symbols, syscalls, packages) go
//! into hash maps.

use crate::analyze::finding::Hit;
use crate::model::context::Context;
use crate::model::fact::{Ecosystem, Fact, FactKind, Location};
use crate::model::finding::Source;
use crate::model::language::Language;
use crate::parse::lex::CodeView;
use crate::parse::source::{in_spans, line_text};
use crate::rules::version::Range;
use crate::rules::{Confidence, Matcher, RuleSet};
use regex::{Regex, RegexSet};
use std::collections::HashMap;

/// One compiled pattern and the rule it belongs to.
struct Pat {
    rule: usize,
    /// Which `[[rule.match]]` block of the rule this came from.
    block: Option<u16>,
    re: Regex,
    confidence: Confidence,
}

/// A set of patterns answered with one scan, then located one by one.
#[derive(Default)]
struct PatSet {
    set: Option<RegexSet>,
    pats: Vec<Pat>,
}

impl PatSet {
    fn push(&mut self, rule: usize, block: Option<u16>, re: &str, confidence: Confidence) {
        // Patterns were validated on load; one that still fails is skipped
        // rather than taking the scan down.
        if let Ok(re) = Regex::new(re) {
            self.pats.push(Pat {
                rule,
                block,
                re,
                confidence,
            });
        }
    }

    fn build(&mut self) {
        self.set = RegexSet::new(self.pats.iter().map(|p| p.re.as_str())).ok();
    }

    /// Indices of the patterns that match anywhere in `hay`.
    fn matching(&self, hay: &str) -> Vec<usize> {
        match &self.set {
            Some(s) => s.matches(hay).into_iter().collect(),
            None => Vec::new(),
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
    rule: usize,
    /// None for `[[package]]` knowledge, which belongs to no block.
    block: Option<u16>,
    versions: Option<Range>,
    features: Vec<String>,
    note: Option<String>,
    confidence: Confidence,
}

struct Named {
    rule: usize,
    block: Option<u16>,
    confidence: Confidence,
}

/// All rules, compiled.
pub struct Engine<'r> {
    pub rules: &'r RuleSet,
    source: HashMap<Language, PatSet>,
    strings: HashMap<Language, PatSet>,
    imports: HashMap<Language, Vec<(NamePat, Named)>>,
    deps: HashMap<(Ecosystem, String), Vec<DepEntry>>,
    dockerfile: Vec<(Option<String>, Pat)>,
    base_images: Vec<(bool, Pat)>,
    os_packages: Vec<(NamePat, Named)>,
    compose: Vec<(String, Vec<Regex>, Named)>,
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
        let mut e = Engine {
            rules,
            source: HashMap::new(),
            strings: HashMap::new(),
            imports: HashMap::new(),
            deps: HashMap::new(),
            dockerfile: Vec::new(),
            base_images: Vec::new(),
            os_packages: Vec::new(),
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
                e.add(idx, u16::try_from(block).ok(), m);
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
                    rule: idx,
                    block: None,
                    versions: p.versions.as_deref().and_then(|v| Range::parse(v).ok()),
                    features: p.features.clone(),
                    note: Some(note),
                    confidence: Confidence::Medium,
                });
        }
        for set in e.source.values_mut().chain(e.strings.values_mut()) {
            set.build();
        }
        for set in [
            &mut e.functions,
            &mut e.libraries,
            &mut e.wasm_imports,
            &mut e.devices,
            &mut e.files,
        ] {
            set.build();
        }
        e
    }

    fn add(&mut self, rule: usize, block: Option<u16>, m: &Matcher) {
        let confidence = m.confidence();
        let named = || Named {
            rule,
            block,
            confidence,
        };
        match m {
            Matcher::Source {
                languages,
                patterns,
                ..
            }
            | Matcher::String {
                languages,
                patterns,
                ..
            } => {
                let target = if matches!(m, Matcher::Source { .. }) {
                    &mut self.source
                } else {
                    &mut self.strings
                };
                for lang in languages.iter().flat_map(|l| l.family()) {
                    let set = target.entry(*lang).or_default();
                    for p in patterns {
                        set.push(rule, block, p, confidence);
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
                            .push((NamePat::new(module), named()));
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
                            rule,
                            block,
                            versions: versions.as_deref().and_then(|v| Range::parse(v).ok()),
                            features: features.clone(),
                            note: None,
                            confidence,
                        });
                }
            }
            Matcher::Dockerfile {
                instruction,
                patterns,
                ..
            } => {
                for p in patterns {
                    if let Ok(re) = Regex::new(p) {
                        let instr = instruction.as_ref().map(|i| i.to_ascii_uppercase());
                        self.dockerfile.push((
                            instr,
                            Pat {
                                rule,
                                block,
                                re,
                                confidence,
                            },
                        ));
                    }
                }
            }
            Matcher::BaseImage {
                patterns,
                final_only,
                ..
            } => {
                for p in patterns {
                    if let Ok(re) = Regex::new(p) {
                        self.base_images.push((
                            *final_only,
                            Pat {
                                rule,
                                block,
                                re,
                                confidence,
                            },
                        ));
                    }
                }
            }
            Matcher::OsPackage { names, .. } => {
                for n in names {
                    self.os_packages.push((NamePat::new(n), named()));
                }
            }
            Matcher::Compose { key, values, .. } => {
                let res = values.iter().filter_map(|v| Regex::new(v).ok()).collect();
                self.compose.push((key.clone(), res, named()));
            }
            Matcher::Symbol { names, .. } => {
                for n in names {
                    self.symbols.entry(n.clone()).or_default().push(named());
                }
            }
            Matcher::Syscall { names, .. } => {
                for n in names {
                    self.syscalls.entry(n.clone()).or_default().push(named());
                }
            }
            Matcher::Section { names, .. } => {
                for n in names {
                    self.sections.entry(n.clone()).or_default().push(named());
                }
            }
            Matcher::Function { patterns, .. } => patterns
                .iter()
                .for_each(|p| self.functions.push(rule, block, p, confidence)),
            Matcher::Library { patterns, .. } => patterns
                .iter()
                .for_each(|p| self.libraries.push(rule, block, p, confidence)),
            Matcher::WasmImport { patterns, .. } => patterns
                .iter()
                .for_each(|p| self.wasm_imports.push(rule, block, p, confidence)),
            Matcher::Device { patterns, .. } => patterns
                .iter()
                .for_each(|p| self.devices.push(rule, block, p, confidence)),
            Matcher::File { patterns, .. } => patterns
                .iter()
                .for_each(|p| self.files.push(rule, block, p, confidence)),
        }
    }

    fn hit(
        &self,
        (rule, block): (usize, Option<u16>),
        at: Location,
        context: Context,
        source: Source,
        confidence: Confidence,
    ) -> Hit {
        let mut h = Hit::new(
            &self.rules.rules[rule],
            rule,
            at,
            context,
            source,
            confidence,
        );
        h.matcher = block;
        h
    }

    /// Source and string patterns over one lexed file. One hit per rule per
    /// line: three patterns of the same rule on one line are one place.
    pub fn match_code(
        &self,
        rel: &str,
        text: &str,
        view: &CodeView,
        context: Context,
        out: &mut Vec<Hit>,
    ) {
        let test_spans = crate::parse::source::test_spans(view);
        let ctx_at = |off: usize| {
            if in_spans(&test_spans, off) {
                Context::Test
            } else {
                context
            }
        };
        let mut seen: std::collections::HashSet<(usize, u32)> = std::collections::HashSet::new();
        if let Some(set) = self.source.get(&view.language) {
            for i in set.matching(&view.code) {
                let p = &set.pats[i];
                for m in p.re.find_iter(&view.code) {
                    let line = view.line_of(m.start());
                    if seen.insert((p.rule, line)) {
                        let at = Location::line(rel, line, line_text(text, view, line));
                        out.push(self.hit(
                            (p.rule, p.block),
                            at,
                            ctx_at(m.start()),
                            Source::Code,
                            p.confidence,
                        ));
                    }
                }
            }
        }
        if let Some(set) = self.strings.get(&view.language) {
            for s in &view.strings {
                for i in set.matching(&s.text) {
                    let p = &set.pats[i];
                    let line = view.line_of(s.start);
                    if seen.insert((p.rule, line)) {
                        let at = Location::line(rel, line, line_text(text, view, line));
                        out.push(self.hit(
                            (p.rule, p.block),
                            at,
                            ctx_at(s.start),
                            Source::String,
                            p.confidence,
                        ));
                    }
                }
            }
        }
    }

    /// Every matcher kind that reads facts.
    pub fn match_fact(&self, fact: &Fact, out: &mut Vec<Hit>) {
        let at = || fact.at.clone();
        let ctx = fact.context;
        match &fact.kind {
            FactKind::Import { language, module } => {
                for (pat, n) in self.imports.get(language).into_iter().flatten() {
                    if pat.matches(module) {
                        out.push(self.hit(
                            (n.rule, n.block),
                            at(),
                            ctx,
                            Source::Import,
                            n.confidence,
                        ));
                    }
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
                    // A package only a lock file names is usually transitive:
                    // present, but rarely the code path the service relies on.
                    let confidence = if is_lock_file(&fact.at.path) {
                        Confidence::Low
                    } else {
                        e.confidence
                    };
                    let mut h =
                        self.hit((e.rule, e.block), at(), ctx, Source::Dependency, confidence);
                    h.evidence.note = e.note.clone();
                    out.push(h);
                }
            }
            FactKind::BaseImage {
                image, is_final, ..
            } => {
                for (final_only, p) in &self.base_images {
                    if (*is_final || !final_only) && p.re.is_match(image) {
                        out.push(self.hit(
                            (p.rule, p.block),
                            at(),
                            ctx,
                            Source::Dockerfile,
                            p.confidence,
                        ));
                    }
                }
            }
            FactKind::OsPackage { name, .. } => {
                for (pat, n) in &self.os_packages {
                    if pat.matches(name) {
                        out.push(self.hit(
                            (n.rule, n.block),
                            at(),
                            ctx,
                            Source::Dockerfile,
                            n.confidence,
                        ));
                    }
                }
            }
            FactKind::Instruction { instruction, args } => {
                for (want, p) in &self.dockerfile {
                    if want.as_ref().is_none_or(|w| w == instruction) && p.re.is_match(args) {
                        out.push(self.hit(
                            (p.rule, p.block),
                            at(),
                            ctx,
                            Source::Dockerfile,
                            p.confidence,
                        ));
                    }
                }
            }
            FactKind::Compose { key, value, .. } => {
                for (k, values, n) in &self.compose {
                    if k == key && (values.is_empty() || values.iter().any(|v| v.is_match(value))) {
                        out.push(self.hit(
                            (n.rule, n.block),
                            at(),
                            ctx,
                            Source::Compose,
                            n.confidence,
                        ));
                    }
                }
            }
            FactKind::Symbol { name } => {
                for n in self
                    .symbols
                    .get(normalize_symbol(name))
                    .into_iter()
                    .flatten()
                {
                    out.push(self.hit((n.rule, n.block), at(), ctx, Source::Binary, n.confidence));
                }
            }
            FactKind::Syscall { name } => {
                // A site with a line is a call by number in source code.
                let source = if fact.at.line.is_some() {
                    Source::Code
                } else {
                    Source::Binary
                };
                // `*` in a rule matches every resolved syscall site; a rule
                // that also names this syscall still gets one hit.
                let mut done = std::collections::HashSet::new();
                let named = self.syscalls.get(name).into_iter().flatten();
                for n in named.chain(self.syscalls.get("*").into_iter().flatten()) {
                    if done.insert(n.rule) {
                        out.push(self.hit((n.rule, n.block), at(), ctx, source, n.confidence));
                    }
                }
            }
            FactKind::Section { name } => {
                for n in self.sections.get(name).into_iter().flatten() {
                    out.push(self.hit((n.rule, n.block), at(), ctx, Source::Binary, n.confidence));
                }
            }
            FactKind::Function { name } => {
                self.match_set(&self.functions, name, fact, Source::Binary, out)
            }
            FactKind::Library { name } => {
                self.match_set(&self.libraries, name, fact, Source::Binary, out)
            }
            FactKind::WasmImport { module, name } => {
                let key = if name.is_empty() {
                    module.clone()
                } else {
                    format!("{module}/{name}")
                };
                self.match_set(&self.wasm_imports, &key, fact, Source::Wasm, out)
            }
            FactKind::File { name } => self.match_set(&self.files, name, fact, Source::File, out),
            FactKind::Device { path } => {
                let source = if fact.at.line.is_some() {
                    Source::Code
                } else {
                    Source::Binary
                };
                self.match_set(&self.devices, path, fact, source, out)
            }
            FactKind::Runtime { .. } => {}
        }
    }

    fn match_set(&self, set: &PatSet, hay: &str, fact: &Fact, source: Source, out: &mut Vec<Hit>) {
        for i in set.matching(hay) {
            let p = &set.pats[i];
            out.push(self.hit(
                (p.rule, p.block),
                fact.at.clone(),
                fact.context,
                source,
                p.confidence,
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_normalisation() {
        assert_eq!(normalize_symbol("_fork"), "fork");
        assert_eq!(normalize_symbol("fork@GLIBC_2.2.5"), "fork");
        assert_eq!(normalize_symbol("__libc_start_main"), "__libc_start_main");
    }
}
