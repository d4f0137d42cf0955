//! One language's code rules (source patterns and string patterns), built
//! the first time a file of that language appears.
//!
//! A scan of a tree without C never compiles a C pattern, and a file is
//! first searched once for the literals its patterns cannot match without
//! (aho-corasick over the raw bytes, `literals`); only the patterns whose
//! literals occur are compiled (once, on first need) and run. Most files
//! contain none. Imports and the parser's own sites (raw syscalls, device
//! nodes) are not in the search: every source file is lexed and parsed for
//! the reachability walk anyway, and their literals (module names as short
//! as `c` for cgo's `import "C"`, `sc`, `fs`) matched so often that they
//! made the search most of its own cost.
//!
//! Source patterns run over the code view, which is ASCII (the lexer blanks
//! every other byte), so they are compiled as byte regexes without Unicode:
//! `\b`, `\w` and `(?i)` mean the same on ASCII text, and the lazy DFA
//! never has to fall back to the much slower PikeVM for a Unicode word
//! boundary.

use crate::analyze::literals;
use crate::model::language::Language;
use crate::rules::Confidence;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use std::sync::OnceLock;

/// Enough DFA cache that a large pattern does not thrash and give up.
const DFA_CACHE: usize = 8 << 20;

/// One pattern of a rule, compiled on first use.
pub(crate) struct CodePat {
    pub rule: usize,
    /// Which `[[rule.match]]` block of the rule this came from.
    pub block: Option<u16>,
    pub confidence: Confidence,
    pattern: String,
    re: OnceLock<Option<CodeRe>>,
}

/// A compiled pattern: ASCII byte regex when the pattern allows it, the
/// Unicode one otherwise (a pattern that names a non-ASCII character).
enum CodeRe {
    Ascii(regex::bytes::Regex),
    Unicode(regex::Regex),
}

impl CodePat {
    pub fn new(rule: usize, block: Option<u16>, pattern: &str, confidence: Confidence) -> CodePat {
        CodePat {
            rule,
            block,
            confidence,
            pattern: pattern.to_string(),
            re: OnceLock::new(),
        }
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    fn compiled(&self, ascii: bool) -> Option<&CodeRe> {
        self.re
            .get_or_init(|| {
                if ascii {
                    let b = regex::bytes::RegexBuilder::new(&self.pattern)
                        .unicode(false)
                        .dfa_size_limit(DFA_CACHE)
                        .build();
                    if let Ok(re) = b {
                        return Some(CodeRe::Ascii(re));
                    }
                }
                // Patterns were validated on load; one that still fails to
                // compile is skipped rather than taking the scan down.
                regex::RegexBuilder::new(&self.pattern)
                    .dfa_size_limit(DFA_CACHE)
                    .build()
                    .ok()
                    .map(CodeRe::Unicode)
            })
            .as_ref()
    }

    /// Start offsets of the matches in an ASCII code view.
    pub fn starts_in_code(&self, code: &str) -> Vec<usize> {
        match self.compiled(true) {
            Some(CodeRe::Ascii(re)) => re.find_iter(code.as_bytes()).map(|m| m.start()).collect(),
            Some(CodeRe::Unicode(re)) => re.find_iter(code).map(|m| m.start()).collect(),
            None => Vec::new(),
        }
    }
}

/// What the prefilter says a file may match.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Indices into `LangRules::code`, ascending.
    pub code: Vec<usize>,
    /// Indices into `LangRules::strings`, ascending.
    pub strings: Vec<usize>,
}

impl Candidates {
    pub fn is_empty(&self) -> bool {
        self.code.is_empty() && self.strings.is_empty()
    }
}

#[derive(Clone, Copy)]
enum Target {
    Code(usize),
    Str(usize),
    /// A non-ASCII character that `(?i)` folds onto an ASCII letter: string
    /// contents are not ASCII-only, so every string pattern stays possible.
    AllStrings,
}

/// The patterns of one language as added, before anything is compiled.
#[derive(Default)]
pub(crate) struct Spec {
    pub code: Vec<CodePat>,
    pub strings: Vec<CodePat>,
}

/// One language's code rules with their prefilter.
pub(crate) struct LangRules {
    pub code: Vec<CodePat>,
    pub strings: Vec<CodePat>,
    string_set: OnceLock<Option<regex::RegexSet>>,
    ac: Option<AhoCorasick>,
    /// For each prefilter literal, what it makes possible.
    targets: Vec<Vec<Target>>,
    /// Candidates whatever the bytes (patterns without a usable literal).
    always: Candidates,
}

impl LangRules {
    pub fn build(spec: Spec) -> LangRules {
        let mut lits: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let mut add = |lit: String, t: Target| match lits.iter().position(|l| *l == lit) {
            Some(i) => targets[i].push(t),
            None => {
                lits.push(lit);
                targets.push(vec![t]);
            }
        };
        let mut always = Candidates::default();
        for (i, p) in spec.code.iter().enumerate() {
            match literals::required(&p.pattern) {
                Some(ls) => ls.into_iter().for_each(|l| add(l, Target::Code(i))),
                None => always.code.push(i),
            }
        }
        for (i, p) in spec.strings.iter().enumerate() {
            match literals::required(&p.pattern) {
                Some(ls) => ls.into_iter().for_each(|l| add(l, Target::Str(i))),
                None => always.strings.push(i),
            }
        }
        if !spec.strings.is_empty() {
            for folded in ["\u{17f}", "\u{212a}"] {
                add(folded.to_string(), Target::AllStrings);
            }
        }
        let ac = (!lits.is_empty())
            .then(|| {
                // A full DFA: the overlapping search walks every byte of
                // every file of the language (a few hundred literals, some
                // of one or two bytes, leave the prefilter little to skip),
                // and one table lookup per byte is about twice as fast as
                // the default contiguous NFA's sparse transitions. Built
                // once per language present, a few hundred kB.
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&lits)
                    .ok()
            })
            .flatten();
        if ac.is_none() {
            // Without an automaton nothing can be ruled out.
            always.code = (0..spec.code.len()).collect();
            always.strings = (0..spec.strings.len()).collect();
        }
        LangRules {
            code: spec.code,
            strings: spec.strings,
            string_set: OnceLock::new(),
            ac,
            targets,
            always,
        }
    }

    /// The patterns without a usable literal, which run on every file.
    pub fn unfiltered(&self) -> impl Iterator<Item = &CodePat> {
        let code = self.always.code.iter().map(|&i| &self.code[i]);
        code.chain(self.always.strings.iter().map(|&i| &self.strings[i]))
    }

    /// What `raw` (a whole file) may match.
    pub fn candidates(&self, raw: &[u8]) -> Candidates {
        let mut code = vec![false; self.code.len()];
        let mut strings = vec![false; self.strings.len()];
        self.always.code.iter().for_each(|&i| code[i] = true);
        self.always.strings.iter().for_each(|&i| strings[i] = true);
        if let Some(ac) = &self.ac {
            let mut seen = vec![false; self.targets.len()];
            let mut left = self.targets.len();
            for m in ac.find_overlapping_iter(raw) {
                let id = m.pattern().as_usize();
                if std::mem::replace(&mut seen[id], true) {
                    continue;
                }
                for t in &self.targets[id] {
                    match *t {
                        Target::Code(i) => code[i] = true,
                        Target::Str(i) => strings[i] = true,
                        Target::AllStrings => strings.iter_mut().for_each(|s| *s = true),
                    }
                }
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        let on = |v: Vec<bool>| {
            v.iter()
                .enumerate()
                .filter(|(_, &b)| b)
                .map(|(i, _)| i)
                .collect()
        };
        Candidates {
            code: on(code),
            strings: on(strings),
        }
    }

    /// Indices of the string patterns matching `text`, from the whole
    /// language's set (compiled the first time a file needs it).
    pub fn strings_matching(&self, text: &str) -> Vec<usize> {
        let set = self.string_set.get_or_init(|| {
            regex::RegexSetBuilder::new(self.strings.iter().map(|p| p.pattern.as_str()))
                .dfa_size_limit(DFA_CACHE)
                .build()
                .ok()
        });
        match set {
            Some(s) => s.matches(text).into_iter().collect(),
            None => Vec::new(),
        }
    }
}

/// Every language's rules, each built on first use.
#[derive(Default)]
pub(crate) struct CodeRules {
    specs: std::sync::Mutex<Vec<(Language, Spec)>>,
    built: Vec<(Language, OnceLock<LangRules>)>,
}

impl CodeRules {
    pub fn new(specs: Vec<(Language, Spec)>) -> CodeRules {
        CodeRules {
            built: specs.iter().map(|(l, _)| (*l, OnceLock::new())).collect(),
            specs: std::sync::Mutex::new(specs),
        }
    }

    /// The rules for `lang`, built now if this is the first file of it.
    pub fn get(&self, lang: Language) -> Option<&LangRules> {
        let (_, cell) = self.built.iter().find(|(l, _)| *l == lang)?;
        Some(cell.get_or_init(|| {
            let spec = self
                .specs
                .lock()
                .ok()
                .and_then(|mut specs| {
                    let i = specs.iter().position(|(l, _)| *l == lang)?;
                    Some(specs.swap_remove(i).1)
                })
                .unwrap_or_default();
            LangRules::build(spec)
        }))
    }

    pub fn languages(&self) -> impl Iterator<Item = Language> + '_ {
        self.built.iter().map(|(l, _)| *l)
    }
}
