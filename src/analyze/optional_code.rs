//! Code a file holds that the shipped service can run without, found in
//! the file alone: what it has only through an import whose failure it
//! catches (`parse::optional_imports`), and branches that run on one
//! operating system only (`parse::platform_gates`). Each gets the
//! `optional` context with its reason: listed, not counted.

use crate::analyze::finding::Hit;
use crate::model::context::Context;
use crate::model::finding::Source;
use crate::parse;

/// Gives the `optional` context to what a file has only through imports it
/// can run without (`parse::optional_imports`): a rule's hits in the file,
/// when every import of that rule here sits in such a `try:` body, and the
/// code that names what those imports bind. A code hit that names none of
/// them (`os.system` beside an optional `import sh`) keeps its context.
pub(crate) fn guarded_imports(hits: &mut [Hit], guarded: &[parse::optional_imports::Guarded]) {
    if guarded.is_empty() {
        return;
    }
    let guard = |h: &Hit| {
        let line = h.evidence.at.line?;
        guarded.iter().find(|g| g.holds(line))
    };
    let mut rules: Vec<(usize, Vec<&parse::optional_imports::Guarded>)> = Vec::new();
    let mut unguarded: Vec<usize> = Vec::new();
    for h in hits.iter().filter(|h| h.evidence.source == Source::Import) {
        match guard(h) {
            Some(g) => match rules.iter_mut().find(|(r, _)| *r == h.rule) {
                Some((_, gs)) => gs.push(g),
                None => rules.push((h.rule, vec![g])),
            },
            None => unguarded.push(h.rule),
        }
    }
    rules.retain(|(r, _)| !unguarded.contains(r));
    for h in hits.iter_mut() {
        let Some((_, gs)) = rules.iter().find(|(r, _)| *r == h.rule) else {
            continue;
        };
        if !h.evidence.context.counts() {
            continue;
        }
        let g = if h.evidence.source == Source::Import {
            guard(h)
        } else {
            let line = &h.evidence.at.snippet;
            gs.iter()
                .copied()
                .find(|g| parse::names_any(line, &g.names))
        };
        if let Some(g) = g {
            h.evidence.context = Context::Optional;
            h.evidence.reason = Some(format!(
                "imported where `except ImportError` (line {}) carries on without it",
                g.handler
            ));
        }
    }
}

/// Gives the `optional` context to counted evidence inside a branch that
/// runs on one operating system only (`parse::platform_gates`).
pub(crate) fn platform_only(hits: &mut [Hit], gates: &[parse::platform_gates::PlatformGate]) {
    if gates.is_empty() {
        return;
    }
    for h in hits.iter_mut().filter(|h| h.evidence.context.counts()) {
        let Some(line) = h.evidence.at.line else {
            continue;
        };
        // The innermost gate: the last one opened before the line.
        if let Some(g) = gates
            .iter()
            .filter(|g| g.holds(line))
            .max_by_key(|g| g.line)
        {
            h.evidence.context = Context::Optional;
            h.evidence.reason = Some(g.reason());
        }
    }
}
