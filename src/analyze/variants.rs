//! A Dockerfile's last stage that only adds to an earlier runnable stage
//! is a variant image (a `-plus` or `-full` flavour): what it adds is
//! optional.
//!
//! `FROM app AS app-plus` followed by `RUN apt-get install chromium`, with
//! no CMD or ENTRYPOINT of its own, runs the same program as `app`, which
//! already ships on its own: the browser serves a feature the variant's
//! users opt into. The service's code is judged wherever it is; only the
//! variant's own instructions stop counting, so a blocker the code shows
//! still counts through the code.

use crate::analyze::finding::Hit;
use crate::analyze::units::from_stage;
use crate::model::context::Context;
use crate::model::fact::{Fact, FactKind};
use std::collections::BTreeMap;

/// A variant stage: where its FROM is, its name and the stage it adds to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Variant {
    pub path: String,
    pub from_line: u32,
    pub name: String,
    pub parent: String,
}

/// One shipping stage of a Dockerfile, read from its kept instructions.
struct Stage {
    line: u32,
    image: String,
    name: Option<String>,
    runs: bool,
}

/// The variant stages among `kept`'s Dockerfiles. Only the shipping
/// lineage's instructions count, so the stages read here are the last one
/// and those it is built FROM. A stage a compose service builds by name
/// (`build.target`, among `targets`) is what that service ships, not an
/// option.
pub(crate) fn find(kept: &[Fact], targets: &[&str]) -> Vec<Variant> {
    let mut by_file: BTreeMap<&str, Vec<(u32, &str, &str)>> = BTreeMap::new();
    for f in kept {
        let FactKind::Instruction { instruction, args } = &f.kind else {
            continue;
        };
        if !f.context.counts() || !matches!(instruction.as_str(), "FROM" | "CMD" | "ENTRYPOINT") {
            continue;
        }
        let Some(line) = f.at.line else { continue };
        by_file
            .entry(f.at.path.as_str())
            .or_default()
            .push((line, instruction, args));
    }
    let mut out = Vec::new();
    for (path, mut ins) in by_file {
        ins.sort_by_key(|i| i.0);
        let mut stages: Vec<Stage> = Vec::new();
        for (line, instruction, args) in ins {
            if instruction == "FROM" {
                let (image, name) = from_stage(args);
                let image = image.unwrap_or_default();
                stages.push(Stage {
                    line,
                    image,
                    name,
                    runs: false,
                });
            } else if let Some(s) = stages.last_mut() {
                s.runs = true;
            }
        }
        let Some((last, earlier)) = stages.split_last() else {
            continue;
        };
        if last.runs
            || last
                .name
                .as_deref()
                .is_some_and(|n| targets.iter().any(|t| t.eq_ignore_ascii_case(n)))
        {
            continue;
        }
        // The stage it adds to, and whether that stage (or one it is built
        // on) says what to run: then the image runs without the variant.
        let stage_named = |n: &str| {
            earlier
                .iter()
                .rposition(|s| s.name.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(n)))
        };
        let Some(parent) = stage_named(&last.image) else {
            continue;
        };
        let mut at = Some(parent);
        let mut runs = false;
        for _ in 0..earlier.len() {
            let Some(i) = at else { break };
            runs |= earlier[i].runs;
            at = stage_named(&earlier[i].image).filter(|&j| j < i);
        }
        if runs {
            out.push(Variant {
                path: path.to_string(),
                from_line: last.line,
                name: last.name.clone().unwrap_or_else(|| "the last stage".into()),
                parent: last.image.clone(),
            });
        }
    }
    out
}

/// Service evidence a variant stage adds (after its FROM line) becomes
/// optional, with the reason.
pub(crate) fn apply(variants: &[Variant], hits: &mut [Hit]) {
    for h in hits.iter_mut() {
        let e = &mut h.evidence;
        if e.context != Context::Service {
            continue;
        }
        let Some(line) = e.at.line else { continue };
        if let Some(v) = variants
            .iter()
            .find(|v| v.path == e.at.path && line > v.from_line)
        {
            e.context = Context::Optional;
            e.reason = Some(format!(
                "added only in `{}`, a variant of the runnable stage `{}` (FROM at {}:{}): the image runs the same program without it",
                v.name, v.parent, v.path, v.from_line
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fact::Location;

    fn ins(line: u32, instruction: &str, args: &str, context: Context) -> Fact {
        Fact::new(
            FactKind::Instruction {
                instruction: instruction.into(),
                args: args.into(),
            },
            Location::line("docker/Dockerfile", line, ""),
            context,
        )
    }

    #[test]
    fn a_last_stage_adding_to_a_runnable_stage_is_a_variant() {
        use Context::{Build, Service};
        let kept = [
            ins(
                1,
                "FROM",
                "--platform=$BUILDPLATFORM node:22 AS assets",
                Build,
            ),
            ins(9, "CMD", "[\"node\"]", Build),
            ins(10, "FROM", "python:3.13-slim AS app", Service),
            ins(20, "CMD", "[\"./bootstrap.sh\"]", Service),
            ins(30, "FROM", "app AS app-plus", Service),
        ];
        let v = find(&kept, &[]);
        assert_eq!(
            v,
            [Variant {
                path: "docker/Dockerfile".into(),
                from_line: 30,
                name: "app-plus".into(),
                parent: "app".into(),
            }]
        );
        // Through a stage that runs nothing itself.
        let mut chained = kept.to_vec();
        chained[4] = ins(25, "FROM", "app AS base-plus", Service);
        chained.push(ins(30, "FROM", "base-plus AS full", Service));
        assert_eq!(find(&chained, &[])[0].name, "full");
        // A compose service that builds the variant by name ships it.
        assert!(find(&kept, &["APP-PLUS"]).is_empty());
        assert_eq!(find(&kept, &["app"]).len(), 1);
    }

    #[test]
    fn a_last_stage_that_runs_or_adds_to_nothing_runnable_is_not() {
        use Context::{Build, Service};
        // Its own CMD: it is the program.
        let own = [
            ins(1, "FROM", "python:3.13 AS app", Service),
            ins(5, "CMD", "app", Service),
            ins(9, "FROM", "app AS prod", Service),
            ins(12, "ENTRYPOINT", "[\"gunicorn\"]", Service),
        ];
        assert!(find(&own, &[]).is_empty());
        // A base stage that runs nothing: the last stage completes it.
        let base = [
            ins(1, "FROM", "python:3.13 AS base", Service),
            ins(9, "FROM", "base AS prod", Service),
        ];
        assert!(find(&base, &[]).is_empty());
        // Built on an image, not a stage; a CMD only a builder stage has.
        let image = [
            ins(1, "FROM", "golang AS build", Build),
            ins(4, "CMD", "go", Build),
            ins(9, "FROM", "build", Service),
        ];
        assert!(find(&image, &[]).is_empty());
    }

    #[test]
    fn only_the_variants_own_service_evidence_becomes_optional() {
        use crate::model::finding::Source;
        use crate::rules::{Confidence, RuleSet};
        let rules = RuleSet::builtin().expect("rules");
        let hit = |path: &str, line: u32, context: Context| {
            Hit::of_rule(
                &rules,
                "WF101",
                Location::line(path, line, ""),
                context,
                Source::Image,
                Confidence::High,
            )
        };
        let v = [Variant {
            path: "docker/Dockerfile".into(),
            from_line: 30,
            name: "app-plus".into(),
            parent: "app".into(),
        }];
        let mut hits = [
            hit("docker/Dockerfile", 32, Context::Service),
            hit("docker/Dockerfile", 30, Context::Service),
            hit("docker/Dockerfile", 12, Context::Service),
            hit("Dockerfile", 32, Context::Service),
            hit("docker/Dockerfile", 33, Context::Build),
        ];
        apply(&v, &mut hits);
        let ctx: Vec<Context> = hits.iter().map(|h| h.evidence.context).collect();
        use Context::{Build, Optional, Service};
        assert_eq!(ctx, [Optional, Service, Service, Service, Build]);
        assert!(hits[0]
            .evidence
            .reason
            .as_deref()
            .unwrap()
            .contains("variant"));
    }
}
