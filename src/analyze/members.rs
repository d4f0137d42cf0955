//! Cargo workspace members a service does not run: what they declare is
//! not what the service ships.
//!
//! A workspace builds one image's binary from one member, but every
//! member's Cargo.toml and the one Cargo.lock sit in the tree: a pty proxy
//! or a desktop client beside the server declares packages the server
//! never links. Once the import walk has placed the service's files
//! (analyze::reach), a member none of whose Rust files a main entry point
//! reaches gives its declarations the place of its code (`unreachable`, or
//! `optional` when only a side entry point reaches it), with the reason;
//! and the lock's entries are walked again from the declarations
//! (analyze::scopes), so a package only such members pull in follows them.
//! The member's Cargo.toml is placed as its code is, so its runtime hint is
//! not the service's either. A member with a file the walk left undecided,
//! or none placed, is left as it is; nothing here makes evidence count more.

use crate::analyze::finding::Hit;
use crate::analyze::reach::Placed;
use crate::model::artifact::ManifestKind;
use crate::model::context::Context;
use crate::model::fact::{Fact, FactKind, Scope};
use crate::model::finding::Source;
use crate::model::path::dir_of as dir;
use std::collections::{HashMap, HashSet};

/// Re-contexts the unit's Cargo dependency evidence of the members its
/// entry points do not reach. `kept` are the unit's facts, `placed` the
/// walk's verdict per file.
pub(crate) fn apply(
    service: &str,
    manifests: &[&str],
    kept: &[&Fact],
    placed: &mut HashMap<String, Placed>,
    hits: &mut [Hit],
) {
    // Nothing left out by the walk (a tree with no image: every file
    // undecided), nothing to do.
    if !placed
        .values()
        .any(|p| matches!(p, Placed::Optional(_) | Placed::Unreachable))
    {
        return;
    }
    let cargo: Vec<&Fact> = kept
        .iter()
        .copied()
        .filter(|f| matches!(f.kind, FactKind::Dependency(_)))
        .filter(|f| {
            matches!(
                ManifestKind::of_path(&f.at.path),
                Some(ManifestKind::CargoToml | ManifestKind::CargoLock)
            )
        })
        .collect();
    if cargo.is_empty() {
        return;
    }
    let mut dirs: Vec<&str> = manifests
        .iter()
        .filter(|p| ManifestKind::of_path(p) == Some(ManifestKind::CargoToml))
        .map(|p| dir(p))
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    let members = places(&dirs, placed);
    if members.is_empty() {
        return;
    }
    // The manifest sits where its code does: what the service's runtime is
    // made of does not count it (scan drops placed-away runtime hints).
    for (d, ctx) in &members {
        let manifest = if d.is_empty() {
            "Cargo.toml".to_string()
        } else {
            format!("{d}/Cargo.toml")
        };
        let place = match ctx {
            Context::Optional => Placed::Optional(Default::default()),
            _ => Placed::Unreachable,
        };
        placed.entry(manifest).or_insert(place);
    }
    // The members' declarations in their code's place, and the lock walked
    // again from them.
    let before: Vec<Fact> = cargo.iter().map(|f| (*f).clone()).collect();
    let mut after = before.clone();
    // `[workspace.dependencies]` are every member's: they follow the
    // members' uses (analyze::scopes), not the root package's code.
    let workspace: HashSet<(&str, Option<u32>)> = cargo
        .iter()
        .filter(|f| matches!(&f.kind, FactKind::Dependency(d) if d.scope == Scope::Workspace))
        .map(|f| (f.at.path.as_str(), f.at.line))
        .collect();
    for f in after.iter_mut() {
        if ManifestKind::of_path(&f.at.path) != Some(ManifestKind::CargoToml)
            || workspace.contains(&(f.at.path.as_str(), f.at.line))
        {
            continue;
        }
        if let Some(ctx) = members.get(dir(&f.at.path)) {
            if f.context < *ctx {
                f.context = *ctx;
            }
        }
    }
    let was = crate::analyze::scopes::contexts(&before);
    let now = crate::analyze::scopes::contexts(&after);
    for h in hits.iter_mut() {
        let e = &mut h.evidence;
        if e.source != Source::Dependency || !e.context.counts() {
            continue;
        }
        let path = e.at.path.as_str();
        let kind = ManifestKind::of_path(path);
        let member = members
            .get(dir(path))
            .filter(|_| kind == Some(ManifestKind::CargoToml))
            .filter(|_| !workspace.contains(&(path, e.at.line)));
        let (ctx, reason) = if let Some(ctx) = member {
            (*ctx, member_reason(service, dir(path), *ctx))
        } else if matches!(
            kind,
            Some(ManifestKind::CargoLock | ManifestKind::CargoToml)
        ) {
            // A lock entry or a workspace declaration the walk from the
            // members' declarations now places elsewhere.
            let Some(line) = e.at.line else { continue };
            let Some(ctx) = now.get(path).and_then(|m| m.get(&line)).copied() else {
                continue;
            };
            if was.get(path).and_then(|m| m.get(&line)) == Some(&ctx) {
                continue;
            }
            (
                ctx,
                format!(
                    "only workspace members that service {service} does not run on its main path use it"
                ),
            )
        } else {
            continue;
        };
        // Only ever less: what the walk decided stays the floor.
        if ctx > e.context && matches!(ctx, Context::Optional | Context::Unreachable) {
            e.context = ctx;
            e.reason = Some(reason);
        }
    }
}

/// The members (by directory) that no main entry point reaches: their
/// Rust files, those under no deeper member, are all unreachable or
/// optional (`optional` if any is).
fn places<'a>(dirs: &[&'a str], placed: &HashMap<String, Placed>) -> HashMap<&'a str, Context> {
    let members: HashSet<&str> = dirs.iter().copied().collect();
    // Per member: (reached or undecided, optional, unreachable) files.
    let mut counts: HashMap<&str, (usize, usize, usize)> = HashMap::new();
    for (rel, p) in placed.iter().filter(|(rel, _)| rel.ends_with(".rs")) {
        // The nearest member at or above the file.
        let mut d = dir(rel);
        let owner = loop {
            if let Some(m) = members.get(d) {
                break Some(*m);
            }
            if d.is_empty() {
                break None;
            }
            d = dir(d);
        };
        let Some(owner) = owner else { continue };
        let c = counts.entry(owner).or_default();
        match p {
            Placed::Reached(_) | Placed::Undecided => c.0 += 1,
            Placed::Optional(_) => c.1 += 1,
            Placed::Unreachable => c.2 += 1,
        }
    }
    counts
        .into_iter()
        .filter_map(
            |(d, (live, optional, unreachable))| match (live, optional, unreachable) {
                (0, 0, 0) => None,
                (0, 0, _) => Some((d, Context::Unreachable)),
                (0, _, _) => Some((d, Context::Optional)),
                _ => None,
            },
        )
        .collect()
}

fn member_reason(service: &str, dir: &str, ctx: Context) -> String {
    let at = if dir.is_empty() { "." } else { dir };
    if ctx == Context::Optional {
        format!("declared by the crate at {at}, which only a side entry point of service {service} reaches")
    } else {
        format!(
            "declared by the crate at {at}, whose code no entry point of service {service} reaches"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::manifest;

    /// The manifests of `samples/rust-workspace-ledger`.
    fn facts() -> Vec<Fact> {
        let files = [
            (
                "Cargo.lock",
                include_str!("../../samples/rust-workspace-ledger/Cargo.lock"),
            ),
            (
                "Cargo.toml",
                include_str!("../../samples/rust-workspace-ledger/Cargo.toml"),
            ),
            (
                "crates/server/Cargo.toml",
                include_str!("../../samples/rust-workspace-ledger/crates/server/Cargo.toml"),
            ),
            (
                "crates/pty/Cargo.toml",
                include_str!("../../samples/rust-workspace-ledger/crates/pty/Cargo.toml"),
            ),
            (
                "crates/cli/Cargo.toml",
                include_str!("../../samples/rust-workspace-ledger/crates/cli/Cargo.toml"),
            ),
        ];
        let mut out = Vec::new();
        for (path, text) in files {
            let kind = ManifestKind::of_path(path).expect(path);
            out.extend(manifest::parse(kind, path, text, Context::Service).facts);
        }
        out
    }

    /// By (path, package name): the hit's context and reason.
    type Contexts = HashMap<(String, String), (Context, Option<String>)>;

    /// The context of each dependency hit after the pass, by path and name,
    /// and whether the pty member's manifest was placed.
    fn run(placed: &[(&str, Placed)]) -> (Contexts, bool) {
        let facts = facts();
        let kept: Vec<&Fact> = facts.iter().collect();
        let mut placed: HashMap<String, Placed> = placed
            .iter()
            .map(|(r, p)| (r.to_string(), p.clone()))
            .collect();
        let rules = crate::rules::RuleSet::builtin().expect("rules");
        let mut hits: Vec<Hit> = facts
            .iter()
            .map(|f| {
                Hit::new(
                    &rules.rules[0],
                    0,
                    f.at.clone(),
                    f.context,
                    Source::Dependency,
                    crate::rules::Confidence::Low,
                )
            })
            .collect();
        // A member with no dependencies still owns its files.
        let manifests = [
            "Cargo.toml",
            "Cargo.lock",
            "crates/server/Cargo.toml",
            "crates/pty/Cargo.toml",
            "crates/cli/Cargo.toml",
            "crates/common/Cargo.toml",
            "crates/tool/Cargo.toml",
        ];
        apply("srv", &manifests, &kept, &mut placed, &mut hits);
        let manifest_placed = placed.contains_key("crates/pty/Cargo.toml");
        let contexts = facts
            .iter()
            .zip(hits)
            .filter_map(|(f, h)| match &f.kind {
                FactKind::Dependency(d) => Some((
                    (f.at.path.clone(), d.name.clone()),
                    (h.evidence.context, h.evidence.reason),
                )),
                _ => None,
            })
            .collect();
        (contexts, manifest_placed)
    }

    #[test]
    fn members_the_service_does_not_run_take_their_codes_place() {
        use Context::*;
        let reached = || Placed::Reached(Default::default());
        let (out, pty_placed) = run(&[
            ("crates/server/src/main.rs", reached()),
            ("crates/pty/src/main.rs", Placed::Unreachable),
            (
                "crates/cli/src/main.rs",
                Placed::Optional(Default::default()),
            ),
            ("crates/cli/src/watch.rs", Placed::Unreachable),
            ("crates/tool/src/main.rs", Placed::Unreachable),
        ]);
        let ctx = |p: &str, n: &str| {
            out.get(&(p.to_string(), n.to_string()))
                .unwrap_or_else(|| panic!("{p} {n}: {:?}", out.keys()))
                .0
        };
        assert_eq!(ctx("crates/server/Cargo.toml", "axum"), Service);
        assert_eq!(ctx("crates/pty/Cargo.toml", "portable-pty"), Unreachable);
        assert_eq!(ctx("crates/cli/Cargo.toml", "notify"), Optional);
        assert_eq!(ctx("Cargo.lock", "axum"), Service);
        assert_eq!(ctx("Cargo.lock", "portable-pty"), Unreachable);
        assert_eq!(ctx("Cargo.lock", "notify"), Optional);
        // Only the CLI's notify pulls it in.
        assert_eq!(ctx("Cargo.lock", "inotify"), Optional);
        // The server's tokio pulls it in too: the more shipping one.
        assert_eq!(ctx("Cargo.lock", "libc"), Service);
        // The workspace's declaration follows its members' uses.
        assert_eq!(ctx("Cargo.toml", "portable-pty"), Unreachable);
        // Its manifest is placed with it (its runtime hint is not the
        // service's).
        assert!(pty_placed);
        let why = &out[&(
            "crates/pty/Cargo.toml".to_string(),
            "portable-pty".to_string(),
        )]
            .1;
        assert!(
            why.as_deref().is_some_and(|w| w.contains("crates/pty")),
            "{why:?}"
        );

        // A member the server also runs keeps its evidence counted; so does
        // one with a file the walk left undecided.
        let (out, pty_placed_again) = run(&[
            ("crates/server/src/main.rs", reached()),
            ("crates/pty/src/main.rs", Placed::Unreachable),
            ("crates/pty/src/pty.rs", reached()),
            ("crates/cli/src/main.rs", Placed::Unreachable),
            ("crates/cli/src/dyn.rs", Placed::Undecided),
        ]);
        let ctx = |p: &str, n: &str| out[&(p.to_string(), n.to_string())].0;
        assert_eq!(ctx("crates/pty/Cargo.toml", "portable-pty"), Service);
        assert_eq!(ctx("Cargo.lock", "portable-pty"), Service);
        assert_eq!(ctx("crates/cli/Cargo.toml", "notify"), Service);
        assert_eq!(ctx("Cargo.lock", "inotify"), Service);
        assert_eq!(ctx("Cargo.toml", "portable-pty"), Service);
        assert!(!pty_placed_again);
    }
}
