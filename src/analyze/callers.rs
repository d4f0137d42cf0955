//! Who calls the function a piece of Python evidence sits in: when every
//! caller, followed up the call graph, is background-job code, the
//! evidence is the job worker's.
//!
//! `singlefile.py` spawns a browser in `create_snapshot`; `assets.py`
//! calls it from `_create_html_snapshot`, which only `create_snapshot`
//! calls, which only `tasks.py`'s queued task calls. The import graph
//! reaches `singlefile.py` from the request path (a view imports
//! `assets`), but no request runs the spawn: the job queue's worker does,
//! and a worker can stay in a container while the service moves. That
//! makes the finding porting work, as `analyze::finding` already says of
//! evidence in job files.
//!
//! The walk is conservative: a caller at module level (run at import,
//! registered by a decorator), a function nothing is seen to call (a view
//! a URL table names, a callback) or a bound reached ends it with no
//! answer, and the evidence stays as it was.

use crate::analyze::finding::{is_job_path, Hit};
use crate::analyze::reach::{File, Outcome, Placed};
use crate::model::context::Context;
use crate::model::fact::Location;
use crate::model::finding::Source;
use crate::parse::calls::Calls;
use crate::rules::{Category, Rule};
use std::collections::{HashMap, HashSet, VecDeque};

/// Functions visited per piece of evidence, at most.
const MAX_NODES: usize = 512;

/// A function: its file and its index among that file's defs.
type Node<'a> = (&'a str, u32);

/// Marks the evidence in `files` that only background jobs call.
pub(crate) fn apply(
    rules: &[Rule],
    files: &[File],
    calls: &HashMap<String, Box<Calls>>,
    outcome: &Outcome,
    hits: &mut [Hit],
) {
    let native: HashSet<usize> = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.category == Category::Native)
        .map(|(i, _)| i)
        .collect();
    // Code that ships and runs: a caller in an unreachable file is none.
    let shipping: HashSet<&str> = files
        .iter()
        .filter(|f| !matches!(outcome.placed.get(&f.rel), Some(Placed::Unreachable)))
        .map(|f| f.rel.as_str())
        .collect();
    // The function each piece of service evidence sits in, looked up once.
    let def_of: Vec<Option<u32>> = hits
        .iter()
        .map(|h| {
            let e = &h.evidence;
            if e.context != Context::Service {
                return None;
            }
            calls.get(&e.at.path)?.def_at(e.at.line?)
        })
        .collect();
    let mut memo: HashMap<Node, Option<Vec<Location>>> = HashMap::new();
    // The evidence only jobs reach, with the calls that show it.
    let mut chains: Vec<(usize, Vec<Location>)> = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        let e = &h.evidence;
        let Some(def) = def_of[i].filter(|_| !is_job_path(&e.at.path)) else {
            continue;
        };
        let node = (e.at.path.as_str(), def);
        let found = memo
            .entry(node)
            .or_insert_with(|| jobs_only(node, calls, &outcome.importers, &shipping));
        if let Some(chain) = found {
            chains.push((i, chain.clone()));
        }
    }
    // An import at module level serves the file's functions: when every
    // function of the file with evidence of the same rule is the jobs',
    // so is the import.
    let mut is_marked = vec![false; hits.len()];
    for (i, _) in &chains {
        is_marked[*i] = true;
    }
    let mut by_file_rule: HashMap<(&str, usize), bool> = HashMap::new();
    for (i, h) in hits.iter().enumerate() {
        if def_of[i].is_some() {
            *by_file_rule
                .entry((h.evidence.at.path.as_str(), h.rule))
                .or_insert(true) &= is_marked[i];
        }
    }
    // Not for native code: importing an extension loads it, in whatever
    // process imports the module.
    let mut imports = Vec::new();
    for (i, h) in hits.iter().enumerate() {
        let e = &h.evidence;
        if e.source != Source::Import || is_marked[i] || native.contains(&h.rule) {
            continue;
        }
        if by_file_rule.get(&(e.at.path.as_str(), h.rule)) == Some(&true) {
            imports.push(i);
        }
    }
    for (i, chain) in chains {
        let steps: Vec<String> = chain
            .iter()
            .map(|l| format!("{}:{}", l.path, l.line.unwrap_or(0)))
            .collect();
        mark(
            &mut hits[i],
            format!(
                "only background jobs call it ({}): the job queue's worker runs it, not the request path",
                steps.join(" -> ")
            ),
        );
    }
    for i in imports {
        mark(
            &mut hits[i],
            "imported for functions only background jobs call: the job queue's worker needs it, not the request path".into(),
        );
    }
}

fn mark(h: &mut Hit, reason: String) {
    h.evidence.jobs_only = true;
    h.evidence.reason = Some(reason);
}

/// The callers of `start`, followed up: `Some(chain)` (the calls from a
/// job's function down to it) when every path up ends in a function of
/// background-job code that nothing outside the job code runs directly,
/// `None` when one does not or cannot be followed.
fn jobs_only(
    start: Node,
    calls: &HashMap<String, Box<Calls>>,
    importers: &HashMap<String, Vec<String>>,
    shipping: &HashSet<&str>,
) -> Option<Vec<Location>> {
    let mut queue: VecDeque<Node> = VecDeque::from([start]);
    // Each function reached, with the call site in it that leads down.
    let mut came: HashMap<Node, Option<(Node, Location)>> = HashMap::from([(start, None)]);
    let mut root: Option<Node> = None;
    while let Some((rel, def)) = queue.pop_front() {
        let c = calls.get(rel)?;
        let name = c.defs.get(def as usize)?.name.as_str();
        let job = is_job_path(rel);
        let mut callers = 0;
        for (g, u) in uses_of(rel, name, calls, importers, shipping) {
            // Recursion; `task.delay(...)` queues the job rather than
            // running it: the worker runs it.
            if (g == rel && u.within == Some(def)) || u.queued {
                continue;
            }
            let Some(within) = u.within else {
                // Module level: in a job file, the job queue's own
                // registration; elsewhere it runs at import or registers
                // the function with something that calls it.
                if is_job_path(g) {
                    continue;
                }
                return None;
            };
            callers += 1;
            let caller = (g, within);
            if !came.contains_key(&caller) {
                if came.len() >= MAX_NODES {
                    return None;
                }
                came.insert(caller, Some(((rel, def), Location::line(g, u.line, ""))));
                queue.push_back(caller);
            }
        }
        // What nothing calls is started from outside: the job queue for
        // a job's function, a URL table or a framework for anything else.
        if callers == 0 {
            if !job {
                return None;
            }
            root.get_or_insert((rel, def));
        }
    }
    // Down from the job to the evidence's function.
    let mut at = root?;
    let mut chain = Vec::new();
    while let Some(Some((below, site))) = came.get(&at) {
        chain.push(site.clone());
        at = *below;
    }
    Some(chain)
}

/// Where the def `name` of `rel` is used: in `rel` itself by its bare
/// name, and in the shipping files that import `rel`, as `module.name`
/// (through any alias of the module) or as a name imported from it.
fn uses_of<'a>(
    rel: &'a str,
    name: &'a str,
    calls: &'a HashMap<String, Box<Calls>>,
    importers: &'a HashMap<String, Vec<String>>,
    shipping: &'a HashSet<&str>,
) -> impl Iterator<Item = (&'a str, &'a crate::parse::calls::Use)> + 'a {
    let stem = module_name(rel);
    let own = calls
        .get(rel)
        .into_iter()
        .flat_map(move |c| c.uses.iter().map(move |u| (rel, u)))
        .filter(move |(_, u)| u.qualifier.is_empty() && u.name == name);
    let others = importers
        .get(rel)
        .into_iter()
        .flatten()
        .filter(move |g| shipping.contains(g.as_str()))
        .filter_map(move |g| calls.get(g).map(|c| (g.as_str(), c)))
        .flat_map(move |(g, c)| {
            c.uses.iter().filter_map(move |u| {
                let hit = if u.qualifier.is_empty() {
                    c.binds
                        .iter()
                        .any(|b| b.from && b.name == u.name && b.target == name)
                } else {
                    u.name == name
                        && (u.qualifier == stem
                            || c.binds
                                .iter()
                                .any(|b| b.name == u.qualifier && b.target == stem))
                };
                hit.then_some((g, u))
            })
        });
    own.chain(others)
}

/// The name a Python file is imported by: its stem, or its package's
/// name for an `__init__.py`.
fn module_name(rel: &str) -> &str {
    let file = rel.rsplit('/').next().unwrap_or(rel);
    let stem = file.strip_suffix(".py").unwrap_or(file);
    if stem == "__init__" {
        let dir = crate::model::path::dir_of(rel);
        dir.rsplit('/').next().unwrap_or(dir)
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::language::Language;
    use crate::rules::{Confidence, RuleSet};

    fn file(rel: &str) -> File {
        File {
            rel: rel.into(),
            language: Language::Python,
            dynamic: false,
            declares: Vec::new(),
            refers: Vec::new(),
        }
    }

    struct Tree {
        files: Vec<File>,
        calls: HashMap<String, Box<Calls>>,
        outcome: Outcome,
    }

    /// Files with their sources, and who imports whom.
    fn tree(srcs: &[(&str, &str)], imports: &[(&str, &str)]) -> Tree {
        let mut importers: HashMap<String, Vec<String>> = HashMap::new();
        for (from, to) in imports {
            importers
                .entry(to.to_string())
                .or_default()
                .push(from.to_string());
        }
        Tree {
            files: srcs.iter().map(|(r, _)| file(r)).collect(),
            calls: srcs
                .iter()
                .filter_map(|(r, s)| {
                    crate::parse::calls::python(&crate::parse::lex::lex(Language::Python, s))
                        .map(|c| (r.to_string(), c))
                })
                .collect(),
            outcome: Outcome {
                reachability: crate::model::service::Reachability {
                    status: crate::model::service::ReachStatus::Complete,
                    files: srcs.len(),
                    reached: srcs.len(),
                    optional: 0,
                    unreachable: 0,
                    undecided: 0,
                },
                placed: HashMap::new(),
                notes: Vec::new(),
                importers,
                spans: HashMap::new(),
            },
        }
    }

    fn rules() -> RuleSet {
        RuleSet::builtin().expect("rules")
    }

    fn spawn_hits(lines: &[(u32, Source)]) -> Vec<Hit> {
        let rules = rules();
        let idx = rules.index("WF101").expect("WF101");
        lines
            .iter()
            .map(|(l, s)| {
                Hit::new(
                    &rules.rules[idx],
                    idx,
                    Location::line("shop/snap.py", *l, ""),
                    Context::Service,
                    *s,
                    Confidence::High,
                )
            })
            .collect()
    }

    const SNAP: &str = "\
import subprocess

def create(url):
    subprocess.run([\"single-file\", url])
";
    const ASSETS: &str = "\
from shop import snap

def _html(asset):
    snap.create(asset.url)

def create_snapshot(asset):
    _html(asset)

def upload(asset):
    asset.save()
";

    /// The spawn in `snap.py`, `assets.py` calling it, and a job file and
    /// a views file that import `assets.py`.
    fn shop(tasks: &str, views: &str) -> Tree {
        tree(
            &[
                ("shop/snap.py", SNAP),
                ("shop/assets.py", ASSETS),
                ("shop/tasks.py", tasks),
                ("shop/views.py", views),
            ],
            &[
                ("shop/assets.py", "shop/snap.py"),
                ("shop/tasks.py", "shop/assets.py"),
                ("shop/views.py", "shop/assets.py"),
            ],
        )
    }

    #[test]
    fn evidence_only_jobs_call_is_the_jobs() {
        let tasks = "\
from shop import assets

@huey.periodic_task()
def run_pending():
    for a in pending():
        assets.create_snapshot(a)
";
        let views = "from shop import assets as asset_actions\n\ndef upload(request):\n    asset_actions.upload(request.asset)\n";
        let t = shop(tasks, views);
        let mut hits = spawn_hits(&[(4, Source::Code), (1, Source::Import)]);
        apply(&rules().rules, &t.files, &t.calls, &t.outcome, &mut hits);
        assert!(hits.iter().all(|h| h.evidence.jobs_only), "{hits:?}");
        let reason = hits[0].evidence.reason.as_deref().unwrap();
        assert!(
            reason.contains("shop/tasks.py:6 -> shop/assets.py:7 -> shop/assets.py:4"),
            "{reason}"
        );
    }

    #[test]
    fn a_job_the_request_path_runs_directly_is_not_only_the_jobs() {
        let tasks = "from shop import assets\n\n@shared_task\ndef snapshot(a):\n    assets.create_snapshot(a)\n";
        let files = |views: &str| {
            let mut t = shop(tasks, views);
            t.files.push(file("shop/urls.py"));
            t
        };
        let run = |t: &Tree| {
            let mut hits = spawn_hits(&[(4, Source::Code)]);
            apply(&rules().rules, &t.files, &t.calls, &t.outcome, &mut hits);
            hits[0].evidence.jobs_only
        };
        // Queued from a view: the worker runs it.
        for call in [
            "snapshot.delay(a)",
            "snapshot.apply_async((a,))",
            "snapshot.s(a)",
        ] {
            let views =
                format!("from shop.tasks import snapshot\n\ndef save(request, a):\n    {call}\n");
            let mut t = files(&views);
            t.outcome
                .importers
                .entry("shop/tasks.py".into())
                .or_default()
                .push("shop/views.py".into());
            assert!(run(&t), "{call}");
        }
        // Called directly from a view: it runs on the request path.
        let views = "from shop.tasks import snapshot\n\ndef save(request, a):\n    snapshot(a)\n";
        let mut t = files(views);
        t.outcome
            .importers
            .entry("shop/tasks.py".into())
            .or_default()
            .push("shop/views.py".into());
        assert!(!run(&t));
    }

    #[test]
    fn a_request_path_caller_or_an_unknown_one_keeps_the_evidence() {
        // A view calls it too.
        let views = "from shop import assets as asset_actions\n\ndef snapshot(request):\n    asset_actions.create_snapshot(request.asset)\n";
        let tasks = "from shop import assets\n\ndef run(a):\n    assets.create_snapshot(a)\n";
        let t = shop(tasks, views);
        let mut hits = spawn_hits(&[(4, Source::Code), (1, Source::Import)]);
        apply(&rules().rules, &t.files, &t.calls, &t.outcome, &mut hits);
        assert!(hits.iter().all(|h| !h.evidence.jobs_only));
        // Nobody is seen to call it (a URL table may): no answer.
        let t = tree(&[("shop/snap.py", SNAP)], &[]);
        let mut hits = spawn_hits(&[(4, Source::Code)]);
        apply(&rules().rules, &t.files, &t.calls, &t.outcome, &mut hits);
        assert!(!hits[0].evidence.jobs_only);
        // A job file that does not import it does not call it.
        let tasks = "def run(a):\n    snap.create(a)\n";
        let t = tree(&[("shop/snap.py", SNAP), ("shop/tasks.py", tasks)], &[]);
        let mut hits = spawn_hits(&[(4, Source::Code)]);
        apply(&rules().rules, &t.files, &t.calls, &t.outcome, &mut hits);
        assert!(!hits[0].evidence.jobs_only);
        // Called at module level of request-path code.
        let app = "from shop import snap\n\ndef noop():\n    pass\n\nsnap.create('warmup')\n";
        let t = tree(
            &[("shop/snap.py", SNAP), ("shop/app.py", app)],
            &[("shop/app.py", "shop/snap.py")],
        );
        let mut hits = spawn_hits(&[(4, Source::Code)]);
        apply(&rules().rules, &t.files, &t.calls, &t.outcome, &mut hits);
        assert!(!hits[0].evidence.jobs_only);
    }

    #[test]
    fn module_names() {
        assert_eq!(module_name("shop/services/assets.py"), "assets");
        assert_eq!(module_name("shop/services/__init__.py"), "services");
        assert_eq!(module_name("app.py"), "app");
    }
}
