//! The scan pipeline: discover, parse and match every file in parallel, then
//! merge, detect the runtime, score and assemble the report.
//!
//! Each file is read, parsed and matched by one worker, and only its hits and
//! a few small facts survive it, so memory stays proportional to what was
//! found, not to the size of the tree.

use crate::analyze::finding::{self, Hit};
use crate::analyze::matcher::Engine;
use crate::analyze::runtime;
use crate::analyze::score;
use crate::analyze::selfupdate;
use crate::analyze::signals;
use crate::analyze::suppress::{self, FileMarkers};
use crate::input::discover::{self, Discovery};
use crate::model::artifact::{Artifact, ArtifactKind, ManifestKind};
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Fact, FactKind, FileImports, Location, RuntimeClue};
use crate::model::finding::Source;
use crate::model::language::Language;
use crate::model::report::{Container, Inventory, Report, Summary, Tool, SCHEMA_VERSION};
use crate::model::service::{Service, ServiceSummary};
use crate::parse::{self, Output};
use crate::rules::{Capability, Confidence, RuleSet};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub discover: discover::Options,
    /// `[[suppress]]` entries from `wasmfit.toml`.
    pub suppress: crate::analyze::suppress::PathRules,
    /// Facts from outside the tree (an image's config and package
    /// database), matched like the tree's own.
    pub extra_facts: Vec<Fact>,
}

/// What one file left behind after it was matched, until the merge takes
/// it apart (a chunk of files at a time, `ordered::map_merge`). What the
/// merge keeps of it is held to the end, so the rare large parts are boxed
/// and every list is cut to its length (`FileResult::trim`).
#[derive(Default)]
struct FileResult {
    hits: Vec<Hit>,
    kept: Vec<Fact>,
    diagnostics: Vec<Diagnostic>,
    source_bytes: u64,
    /// What a `.wasm` was found to be, for the report's `wasm` list.
    wasm: Option<Box<crate::parse::wasm::WasmInfo>>,
    /// A native binary's description and link data (parse::binary).
    binary: Option<Box<crate::parse::binary::Binary>>,
    /// A source file's imports, for the reachability walk.
    imports: FileImports,
    /// A source file that was read, so a hint of its language's runtime
    /// (`runtime_hint`, made when a unit's runtime is weighed rather than
    /// held per file).
    hint: bool,
    /// The file starts a program by itself (`func main`, `__main__`).
    entry: Option<crate::model::service::EntryKind>,
    /// It imports by a computed name.
    dynamic: bool,
    /// Packages it names as a library's driver (`client: 'pg'`,
    /// `parse::source::named_packages`).
    named: Vec<String>,
    /// What it declares and names where imports do not say it all
    /// (`parse::source::declarations`).
    names: Names,
    /// A Python file's functions and the names it uses
    /// (`parse::calls`), for who calls what.
    calls: Option<Box<crate::parse::calls::Calls>>,
    /// Its `wasmfit: ignore[...]` comments, applied in the one suppression
    /// pass once the hits of every producer are in.
    markers: Option<FileMarkers>,
    /// A shipping Python file's module-level settings, and the spans that
    /// run only while one is on (kept only where it has counted evidence),
    /// for `analyze::switches`.
    settings: Vec<crate::parse::switches::Setting>,
    gates: Vec<crate::parse::switches::Gate>,
    /// Packages a JS/TS file loads on demand where it has counted import
    /// evidence, for `analyze::dev_imports`.
    lazy: Vec<crate::analyze::dev_imports::LazyLoad>,
}

impl FileResult {
    /// Gives back the room the lists grew into. A file's facts are built
    /// in one vector of every fact it yields and the few kept are filtered
    /// out of it in place, which would otherwise hold the whole buffer
    /// until the scan ends.
    fn trim(mut self) -> FileResult {
        self.hits.shrink_to_fit();
        self.kept.shrink_to_fit();
        self.diagnostics.shrink_to_fit();
        self.imports.shrink_to_fit();
        self.settings.shrink_to_fit();
        self
    }
}

/// Called with (files done, files total) as the scan goes.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

pub fn scan(
    root: &Path,
    opts: &Options,
    rules: &RuleSet,
    progress: Progress,
) -> std::io::Result<Report> {
    scan_with(root, opts, &Engine::new(rules), progress)
}

/// `scan` with an engine compiled once, for callers that scan many trees.
pub fn scan_with(
    root: &Path,
    opts: &Options,
    engine: &Engine,
    progress: Progress,
) -> std::io::Result<Report> {
    let rules = engine.rules;
    let started = Instant::now();
    let Discovery {
        mut artifacts,
        mut diagnostics,
        skipped,
        present,
    } = discover::discover(root, &opts.discover)?;
    let mut role_of = assign_roles(&mut artifacts);
    assign_frontends(&mut artifacts, &mut role_of);
    assign_web_assets(&mut artifacts, &mut role_of);
    assign_composer_roles(&mut artifacts, &mut role_of);
    let (compose_facts, composed, promoted) = compose_prepass(&mut artifacts, &mut role_of);
    let total = artifacts.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let mut file_hits = Vec::new();
    let mut kept = Vec::new();
    let mut languages: BTreeMap<String, u64> = BTreeMap::new();
    let mut service_source_bytes = 0;
    let mut wasm = Vec::new();
    let mut code = Code::default();
    let mut markers = Vec::new();
    let mut hinted = Vec::with_capacity(artifacts.len());
    let mut binaries_found = Vec::new();
    let mut settings = Vec::new();
    let mut gates = std::collections::HashMap::new();
    let mut lazy = std::collections::HashMap::new();
    // Each chunk of files is merged before the next is read, so
    // only one chunk's results wait in memory (ordered.rs).
    crate::ordered::map_merge(
        &artifacts,
        |a| {
            let r = analyze(engine, a).trim();
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, total);
            r
        },
        |i, r| {
            let a = &artifacts[i];
            hinted.push(r.hint);
            binaries_found.extend(r.binary);
            wasm.extend(r.wasm.map(|w| *w));
            markers.extend(r.markers);
            // Each file's imports stay in the record the worker built:
            // moving them into one tree-wide vector allocated a second copy.
            if !r.imports.is_empty() {
                code.imports.push(r.imports);
            }
            if let Some(k) = r.entry {
                code.entries.insert(a.rel.clone(), k);
            }
            if r.dynamic {
                code.dynamic.insert(a.rel.clone());
            }
            code.named.extend(r.named);
            settings.extend(r.settings.into_iter().map(|s| (a.rel.clone(), s)));
            if !r.gates.is_empty() {
                gates.insert(a.rel.clone(), r.gates);
            }
            if !r.lazy.is_empty() {
                lazy.insert(a.rel.clone(), r.lazy);
            }
            if !r.names.is_empty() {
                code.names.insert(a.rel.clone(), r.names);
            }
            if let Some(c) = r.calls {
                code.calls.insert(a.rel.clone(), c);
            }
            file_hits.extend(r.hits);
            kept.extend(r.kept);
            diagnostics.extend(r.diagnostics);
            if let ArtifactKind::Source(l) = a.kind {
                if a.context.counts() {
                    *languages.entry(l.id().to_string()).or_default() += r.source_bytes;
                    service_source_bytes += r.source_bytes;
                }
            }
        },
    );

    // Whether shipping Go code holds evidence that can decide the verdict
    // (a blocker's or a major's): its packages are then walked a
    // declaration at a time (analyze::go_commands). That reads every Go
    // file again and holds each declaration's names and place (a tree of
    // 1,061 Go files: peak RSS 53 -> 72 MiB, wall 0.17 -> 0.25 s), so a
    // tree with only minor or descriptive evidence is not.
    let go_evidence = file_hits.iter().any(|h| {
        h.evidence.context.counts()
            && h.evidence.source == crate::model::finding::Source::Code
            && h.evidence.at.path.ends_with(".go")
            && matches!(
                rules.rules[h.rule].severity,
                crate::rules::Severity::Blocker | crate::rules::Severity::Major
            )
    });
    go_files(&artifacts, go_evidence, &mut code);

    // Needed libraries are followed through the tree once every binary is
    // known; what entry points reach are facts like any other, matched here
    // like the facts of files (linker.rs). Their hits come first, as they
    // always have.
    let linked = crate::analyze::linker::post_pass(binaries_found.iter().map(|b| &**b));
    drop(binaries_found);
    let binaries = linked.infos;
    let mut hits = Vec::new();
    for f in &linked.facts {
        engine.match_fact(f, &mut hits);
    }
    // Code that runs only while a setting the tree leaves off is on is
    // optional (analyze::switches).
    crate::analyze::switches::apply(&settings, &gates, &mut file_hits);
    drop((settings, gates));
    if hits.is_empty() {
        hits = file_hits;
    } else {
        hits.append(&mut file_hits);
    }
    // An image's facts are one build's, as a Dockerfile's are: a tool it
    // installs beside its library's development files is there for a
    // binding.
    let mut image_hits = Vec::new();
    for f in &opts.extra_facts {
        engine.match_fact(f, &mut image_hits);
        if keep(f) {
            kept.push(f.clone());
        }
    }
    engine.lower_bindings(&opts.extra_facts, &mut image_hits);
    hits.append(&mut image_hits);
    for s in &skipped {
        diagnostics.push(Diagnostic::new(
            DiagKind::Skipped,
            s.as_str(),
            "skipped: vendored, generated or ignored tree (scan it with --no-default-excludes / --no-gitignore)",
        ));
    }

    // Evidence under a path with a role says which role, once per piece.
    for h in &mut hits {
        if let Some(r) = role_of.get(&h.evidence.at.path) {
            if h.evidence.context == r.context && h.evidence.reason.is_none() {
                h.evidence.reason = Some(r.evidence_reason());
            }
        }
    }

    // What an image's HEALTHCHECK runs is the runtime's probe, not the
    // service (analyze::healthcheck).
    let checks = crate::analyze::healthcheck::files(&kept, &artifacts);
    crate::analyze::healthcheck::apply(&checks, &mut hits);
    // What a variant image's last stage adds to a runnable stage is the
    // variant's (analyze::variants).
    let targets: Vec<&str> = composed
        .iter()
        .filter(|c| c.context.counts())
        .flat_map(|c| c.settings.iter())
        .filter(|(k, _)| k == "build.target")
        .map(|(_, v)| v.as_str())
        .collect();
    crate::analyze::variants::apply(&crate::analyze::variants::find(&kept, &targets), &mut hits);

    // Lock entries take the scope of the manifest declarations that pull
    // them in, which needs every manifest of the tree (analyze::scopes).
    crate::analyze::scopes::apply(&kept, &mut hits, &mut diagnostics);
    // npm declarations that no code imports and no script runs are not
    // what ships (analyze::unimported).
    // A computed import in a build script or a test cannot load what ships.
    let shipping_dynamic: std::collections::HashSet<String> = artifacts
        .iter()
        .filter(|a| a.context.counts() && code.dynamic.contains(&a.rel))
        .map(|a| a.rel.clone())
        .collect();
    // Code that loads a development-only package on demand runs only in a
    // development setup (analyze::dev_imports).
    crate::analyze::dev_imports::apply(&kept, &lazy, &mut hits);
    drop(lazy);
    crate::analyze::unimported::apply(
        &kept,
        code.imports.iter().flat_map(FileImports::iter),
        &shipping_dynamic,
        &code.named,
        &mut hits,
    );
    let go_contexts: std::collections::HashMap<&str, Context> = artifacts
        .iter()
        .filter(|a| matches!(a.kind, ArtifactKind::Source(Language::Go)))
        .map(|a| (a.rel.as_str(), a.context))
        .collect();
    crate::analyze::unimported::go(
        &kept,
        code.imports.iter().flat_map(FileImports::iter),
        &go_contexts,
        &mut hits,
    );
    drop(go_contexts);

    // What ships: one unit per Dockerfile that builds a service, compose
    // neighbours beside them, or the whole tree (analyze::units).
    let name = root_name(root);
    let mut units = if opts.extra_facts.is_empty() {
        crate::analyze::units::plan(
            &crate::analyze::units::Inputs {
                artifacts: &artifacts,
                kept: &kept,
                compose: &composed,
                root_name: &name,
                present: &present,
            },
            &mut diagnostics,
        )
    } else {
        // An image is one service: its own scope decided what is in it.
        crate::analyze::units::whole_tree(&name)
    };
    for u in &mut units {
        if let Some(note) = u.dockerfile.as_ref().and_then(|d| promoted.get(d)) {
            u.notes.push(note.clone());
        }
    }
    let owners = crate::analyze::units::Owners::new(&units, &composed, &compose_facts, &artifacts);
    let npm_manifests: std::collections::HashSet<&str> = artifacts
        .iter()
        .filter(|a| a.rel == "package.json" || a.rel.ends_with("/package.json"))
        .map(|a| a.rel.as_str())
        .collect();
    let mut services = Vec::new();
    let mut containers = Vec::new();
    for (i, u) in units.iter().enumerate() {
        // Views, not copies: the whole-tree unit owns every fact and file,
        // and a copy of each per unit was the post-pass's peak. Only the
        // runtime hints of its source files are made here, for this unit.
        let hints: Vec<Fact> = artifacts
            .iter()
            .zip(&hinted)
            .filter(|(a, h)| **h && owners.owns(i, &a.rel, None))
            .filter_map(|(a, _)| runtime_hint(a))
            .collect();
        let unit_kept: Vec<&Fact> = kept
            .iter()
            .filter(|f| owners.owns(i, &f.at.path, f.at.line))
            .chain(&hints)
            .collect();
        let unit_artifacts: Vec<&Artifact> = artifacts
            .iter()
            .filter(|a| owners.owns(i, &a.rel, None))
            .collect();
        let mut unit_hits = owners.hits_for(i, &hits);
        // A Node package only an earlier stage builds is the build's.
        if let Some(df) = &u.dockerfile {
            let built = crate::analyze::units::built_packages(&kept, df, &u.root, &npm_manifests);
            for h in unit_hits.iter_mut() {
                let e = &mut h.evidence;
                if e.context != Context::Service || e.at.path == *df {
                    continue;
                }
                if let Some((_, why)) = built
                    .iter()
                    .find(|(d, _)| e.at.path.starts_with(d.as_str()))
                {
                    e.context = Context::Build;
                    e.reason = Some(why.clone());
                }
            }
        }
        let mut u = u.clone();
        let reach = if opts.extra_facts.is_empty() {
            Some(reach_unit(
                &rules.rules,
                &mut u,
                &unit_kept,
                &unit_artifacts,
                &code,
                &mut unit_hits,
                &mut diagnostics,
            ))
        } else {
            None
        };
        // The runtime is the one of the code the service runs: a file no
        // main entry point reaches is no hint of it.
        let mut unit_kept = unit_kept;
        if let Some(o) = &reach {
            unit_kept.retain(|f| {
                !matches!(f.kind, FactKind::Runtime { .. })
                    || !matches!(
                        o.placed.get(&f.at.path),
                        Some(crate::analyze::reach::Placed::Unreachable)
                            | Some(crate::analyze::reach::Placed::Optional(_))
                    )
            });
        }
        let mut judged = judge(
            rules,
            opts,
            &u,
            &unit_kept,
            &unit_artifacts,
            &markers,
            &mut unit_hits,
        );
        judged.reachability = reach.map(|o| o.reachability);
        containers.push(container(&unit_kept));
        services.push(judged);
    }
    let p = services.iter().position(|s| s.primary).unwrap_or(0);
    let primary = services[p].clone();
    let container = containers.swap_remove(p);
    let inventory = inventory(&artifacts, skipped, languages);
    let inputs = signals::Inputs {
        dockerfiles: inventory.dockerfiles.clone(),
        compose_files: inventory.compose_files.clone(),
        service_source_bytes,
        plugin_hosts: signals::plugin_hosts(rules, &kept),
    };
    let signals = signals::evaluate(rules, &primary.findings, &primary.runtime, &inputs);
    diagnostics.sort();
    diagnostics.dedup();
    let summary = Summary {
        counted: primary.summary.counted.clone(),
        not_counted: primary.summary.not_counted,
        suppressed: primary.summary.suppressed,
        effort_days: primary.summary.effort_days,
        files: artifacts.len(),
        bytes: artifacts.iter().map(|a| a.size).sum(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    // Renderers never read the tree: the lines around the evidence are
    // read now, while the tree is the one just scanned.
    let all_findings: Vec<crate::model::finding::Finding> = services
        .iter()
        .flat_map(|s| s.findings.iter().cloned())
        .collect();
    let excerpts = crate::input::excerpt::capture(root, &all_findings);
    Ok(Report {
        schema_version: SCHEMA_VERSION.to_string(),
        tool: Tool {
            name: "wasmfit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            rules: rules.rules.len(),
        },
        root: crate::model::path::from_os(root.as_os_str()),
        verdict: primary.verdict,
        verdict_reason: primary.verdict_reason.clone(),
        score: primary.score,
        summary,
        runtime: primary.runtime.clone(),
        shape: primary.shape.clone(),
        findings: primary.findings.clone(),
        scoring: primary.scoring.clone(),
        signals,
        inventory,
        container,
        diagnostics,
        bench: None,
        image: None,
        wasm,
        binaries,
        target: None,
        services,
        roles: roles_listed(&role_of),
        excerpts,
        repository: None,
        plan: None,
    })
}

/// What the reachability walk needs from the parse: imports, the files
/// that start a program, the files that import by computed names.
#[derive(Default)]
struct Code {
    /// Per file, in file order.
    imports: Vec<FileImports>,
    entries: std::collections::HashMap<String, crate::model::service::EntryKind>,
    dynamic: std::collections::HashSet<String>,
    /// Packages shipping code names as a library's driver.
    named: std::collections::HashSet<String>,
    names: std::collections::HashMap<String, Names>,
    /// Python files' functions and uses, for `analyze::callers`.
    calls: std::collections::HashMap<String, Box<crate::parse::calls::Calls>>,
    /// In a tree that defines cobra commands or whose shipping Go code has
    /// a blocker's or a major's evidence, each shipping Go file's
    /// declarations (`go_files`).
    go: std::collections::HashMap<String, Box<crate::parse::go_names::GoFile>>,
}

/// A file's declared and referred names (`parse::source::declarations`)
/// in one string, one per line: held per file to the end of the scan, a
/// `String` per short name was an allocation each (about 4 MiB of the heap
/// a scan of the registry tree keeps, beside 5.5 for imports and 8.4 for
/// kept facts, measured with mallinfo2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Names {
    text: String,
    declares: u32,
    refers: u32,
}

impl Names {
    fn new(declares: &[String], refers: &[String]) -> Names {
        let all: Vec<&str> = declares.iter().chain(refers).map(String::as_str).collect();
        Names {
            text: all.join("\n"),
            declares: declares.len() as u32,
            refers: refers.len() as u32,
        }
    }

    fn is_empty(&self) -> bool {
        self.declares == 0 && self.refers == 0
    }

    /// The declared names, without copying them.
    fn declared(&self) -> impl Iterator<Item = &str> {
        self.text.split('\n').take(self.declares as usize)
    }

    /// The two lists back.
    fn lists(&self) -> (Vec<String>, Vec<String>) {
        let mut all = self.text.split('\n').map(str::to_string);
        let declares = all.by_ref().take(self.declares as usize).collect();
        let refers = all.take(self.refers as usize).collect();
        (declares, refers)
    }
}

/// Go files read again for their declarations, at most: a package of
/// commands is walked a declaration at a time only when each of its files
/// was.
const MAX_GO_FILES: usize = 5_000;

/// Every shipping Go file's declarations and the names they use, read
/// again once the parse is done, and only in a tree that defines a cobra
/// command or whose shipping Go code holds a blocker's or a major's
/// evidence (`evidence`): walking packages a declaration at a time needs
/// them (analyze::go_commands), and no other tree holds them.
fn go_files(artifacts: &[Artifact], evidence: bool, code: &mut Code) {
    let go: Vec<&Artifact> = artifacts
        .iter()
        .filter(|a| a.context.counts() && matches!(a.kind, ArtifactKind::Source(Language::Go)))
        .collect();
    let commands = go.iter().any(|a| {
        code.names.get(&a.rel).is_some_and(|n| {
            n.declared()
                .any(|d| d.starts_with(parse::go_names::COMMAND))
        })
    });
    if !(commands || evidence) || go.len() > MAX_GO_FILES {
        return;
    }
    let mut held = 0usize;
    crate::ordered::map_merge(
        &go,
        |a| {
            // The parse reported what was wrong with the file already.
            let text = read_text(a, &mut Vec::new())?;
            let view = parse::lex::lex(Language::Go, &text);
            Some(Box::new(parse::go_names::file(&view)))
        },
        |i, file| {
            if let Some(f) = file.filter(|_| held <= MAX_GO_NAMES) {
                held += f
                    .decls
                    .iter()
                    .map(|d| 1 + d.names.len() + d.uses.len())
                    .sum::<usize>();
                code.go.insert(go[i].rel.clone(), f);
            }
        },
    );
    // Past the bound, no package is walked a declaration at a time: held
    // to the end of the scan, a generated tree's names would grow without
    // limit.
    if held > MAX_GO_NAMES {
        code.go = Default::default();
    }
}

/// Declarations, their names and the names they use, held for all of a
/// tree's Go files at most.
const MAX_GO_NAMES: usize = 2_000_000;

/// Entry points the unit's manifests declare (analyze::entries), then
/// those its files declare themselves (`func main`, a `__main__` block):
/// main entry points when nothing else names a file, side ones otherwise;
/// then the import walk places every code file and the unit's hits get its
/// verdict (analyze::reach).
fn reach_unit(
    rules: &[crate::rules::Rule],
    u: &mut crate::analyze::units::Unit,
    kept: &[&Fact],
    artifacts: &[&Artifact],
    code: &Code,
    hits: &mut [Hit],
    diagnostics: &mut Vec<Diagnostic>,
) -> crate::analyze::reach::Outcome {
    use crate::analyze::reach;
    use crate::model::service::EntryPoint;
    // A Cargo library's root declares the name code uses it by.
    // A file a manifest makes a crate root holds its modules beside it.
    let mut crates: std::collections::HashMap<String, Vec<String>> = Default::default();
    for f in kept {
        if let FactKind::Crate { name, root, bins } = &f.kind {
            let dir = crate::model::path::dir_of(&f.at.path);
            if let Some(rel) = crate::analyze::units::join(dir, root) {
                let names = crates.entry(rel).or_default();
                names.push(name.clone());
                names.push(reach::CRATE_ROOT.to_string());
            }
            for (_, path) in bins {
                if let Some(rel) = crate::analyze::units::join(dir, path) {
                    crates
                        .entry(rel)
                        .or_default()
                        .push(reach::CRATE_ROOT.to_string());
                }
            }
        }
    }
    // A Go module's root package is the directory of its go.mod.
    let go_modules: Vec<(&str, &str)> = kept
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::GoModule { path } => {
                Some((crate::model::path::dir_of(&f.at.path), path.as_str()))
            }
            _ => None,
        })
        .collect();
    let files: Vec<reach::File> = artifacts
        .iter()
        .filter(|a| a.context.counts())
        .filter_map(|a| match a.kind {
            ArtifactKind::Source(language) => {
                let (mut declares, refers) =
                    code.names.get(&a.rel).map(Names::lists).unwrap_or_default();
                if language == Language::Rust {
                    declares.extend(crates.get(&a.rel).into_iter().flatten().cloned());
                }
                if language == Language::Go {
                    let dir = crate::model::path::dir_of(&a.rel);
                    declares.extend(
                        go_modules
                            .iter()
                            .filter(|(d, _)| *d == dir)
                            .map(|(_, m)| format!("{}{m}", reach::GO_MODULE)),
                    );
                }
                Some(reach::File {
                    rel: a.rel.clone(),
                    language,
                    dynamic: code.dynamic.contains(&a.rel),
                    declares,
                    refers,
                })
            }
            _ => None,
        })
        .collect();
    let code_files: std::collections::HashSet<&str> =
        files.iter().map(|f| f.rel.as_str()).collect();
    crate::analyze::entries::cargo_binaries(u, kept, &code_files);
    crate::analyze::entries::go_binaries(u, &code.entries, &code_files);
    let declared_by_manifests = crate::analyze::entries::add_declared(u, kept, artifacts);
    diagnostics.extend(declared_by_manifests.diagnostics);
    let named = u.entry_points.iter().any(|e| e.path.is_some());
    let mut declared: Vec<&String> = files
        .iter()
        .map(|f| &f.rel)
        .filter(|r| code.entries.contains_key(*r))
        .collect();
    declared.sort();
    for rel in declared {
        if u.entry_points.iter().any(|e| e.path.as_ref() == Some(rel)) {
            continue;
        }
        u.entry_points.push(EntryPoint {
            kind: code.entries[rel],
            path: Some(rel.clone()),
            declared_in: Location::file(rel, "declares a program entry point"),
            main: !named,
        });
    }
    crate::analyze::entries::django_web_entry(u, &files);
    let entries: Vec<reach::Entry> = u
        .entry_points
        .iter()
        .filter_map(|e| {
            e.path.as_ref().map(|p| reach::Entry {
                rel: p.clone(),
                main: e.main,
                scans: e.kind == crate::model::service::EntryKind::SpringBoot,
            })
        })
        .collect();
    let entries = if declared_by_manifests.degraded {
        Vec::new()
    } else {
        entries
    };
    // A Go package of cobra commands runs only the command the image's
    // command line names (analyze::go_commands).
    let argv = Some(&code.go)
        .filter(|go| !go.is_empty())
        .and_then(|go| crate::analyze::go_commands::command_line(u, &files, go));
    let mut files = files;
    crate::analyze::go_commands::mark(&mut files, &code.go, argv.is_some());
    let mut outcome = reach::walk_with(
        &files,
        code.imports.iter().flat_map(FileImports::iter),
        &entries,
        (!code.go.is_empty()).then(|| crate::analyze::go_commands::Commands {
            argv: argv.as_deref().unwrap_or_default(),
            files: &code.go,
        }),
    );
    // What ships from an image or runs from a Procfile is what its entry
    // points reach; a program a manifest names may also be a library.
    if !matches!(
        u.kind,
        crate::model::service::ServiceKind::Container | crate::model::service::ServiceKind::Process
    ) {
        outcome.advisory();
    }
    reach::apply(&outcome, &u.name, hits);
    // A go.mod requirement only unreached code imports is not in the binary
    // (analyze::unimported).
    crate::analyze::unimported::go_unreached(
        kept,
        code.imports.iter().flat_map(FileImports::iter),
        &outcome,
        &u.name,
        hits,
    );
    // What workspace members the service does not run declare is not
    // what it ships (analyze::members).
    let manifests: Vec<&str> = artifacts.iter().map(|a| a.rel.as_str()).collect();
    crate::analyze::members::apply(&u.name, &manifests, kept, &mut outcome.placed, hits);
    // Evidence in a function only background jobs call is the worker's
    // (analyze::callers).
    crate::analyze::callers::apply(rules, &files, &code.calls, &outcome, hits);
    u.notes.extend(outcome.notes.iter().cloned());
    outcome
}

/// One unit's verdict from its own hits, facts and files: its runtime,
/// findings, score, shape, and `unknown` when it holds nothing to judge.
/// Its hits, the runtime's among them, go through the one suppression
/// pass here.
fn judge(
    rules: &RuleSet,
    opts: &Options,
    u: &crate::analyze::units::Unit,
    kept: &[&Fact],
    artifacts: &[&Artifact],
    markers: &[FileMarkers],
    hits: &mut Vec<Hit>,
) -> Service {
    let mut notes = Vec::new();
    let (runtimes, counted_runtime) = service_runtime(rules, u, kept, artifacts, &mut notes);
    if let Some(p) = runtimes.primary.as_ref().filter(|_| counted_runtime) {
        if let Some(idx) = rules.index(&p.rule_id) {
            for at in &p.evidence {
                let conf = if p.weight >= 10 {
                    Confidence::High
                } else {
                    Confidence::Medium
                };
                hits.push(Hit::new(
                    &rules.rules[idx],
                    idx,
                    at.clone(),
                    Context::Service,
                    Source::Runtime,
                    conf,
                ));
            }
        }
    }
    suppress::apply_all(rules, markers, &opts.suppress, hits);
    let findings = finding::merge(&rules.rules, std::mem::take(hits));
    let mut scoring = score::score(&findings);
    let verdict_reason =
        crate::analyze::units::nothing_to_judge(artifacts, opts.extra_facts.len(), &findings);
    if verdict_reason.is_some() {
        score::unknown(&mut scoring);
    }
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.counted) {
        *counted.entry(f.severity.to_string()).or_default() += 1;
    }
    Service {
        name: u.name.clone(),
        kind: u.kind,
        root: u.root.clone(),
        primary: u.primary,
        entry_points: u.entry_points.clone(),
        dockerfile: u.dockerfile.clone(),
        compose: u.compose.clone(),
        neighbours: u.neighbours.clone(),
        runtime: runtimes,
        shape: shape(&findings),
        verdict: scoring.verdict,
        verdict_reason,
        score: scoring.score,
        summary: ServiceSummary {
            counted,
            not_counted: findings.iter().filter(|f| !f.context.counts()).count(),
            suppressed: findings.iter().filter(|f| f.suppressed).count(),
            effort_days: scoring.effort_days,
        },
        scoring,
        findings,
        reachability: None,
        notes: u.notes.iter().cloned().chain(notes).collect(),
    }
}

/// The service's runtime: the one of its main entry points when they name
/// files (an entry point outweighs every other hint together, so bundled C
/// headers do not make a Go tool a C program, nor a frontend make a Python
/// API a Node one), else the weighed hints of its own files and image. A
/// unit with no service code still gets the runtime of its examples or
/// tests, reported but not counted (`false`).
fn service_runtime(
    rules: &RuleSet,
    u: &crate::analyze::units::Unit,
    kept: &[&Fact],
    artifacts: &[&Artifact],
    notes: &mut Vec<String>,
) -> (crate::model::runtime::Runtimes, bool) {
    let total: u32 = kept
        .iter()
        .filter_map(|f| match f.kind {
            FactKind::Runtime { weight, .. } if f.context.counts() => Some(weight),
            _ => None,
        })
        .sum();
    // Only runtime facts are hints (runtime::detect skips the rest): the
    // unit's other facts are not copied.
    let mut hints: Vec<Fact> = kept
        .iter()
        .filter(|f| matches!(f.kind, FactKind::Runtime { .. }))
        .map(|f| (*f).clone())
        .collect();
    let mut seen = std::collections::HashSet::new();
    for e in u.entry_points.iter().filter(|e| e.main) {
        let Some(path) = &e.path else { continue };
        let Some(lang) = artifacts
            .iter()
            .find(|a| &a.rel == path)
            .and_then(|a| match a.kind {
                ArtifactKind::Source(l) => Some(l),
                _ => None,
            })
        else {
            continue;
        };
        if seen.insert(lang) {
            hints.push(Fact::new(
                FactKind::Runtime {
                    clue: RuntimeClue::Language(lang),
                    weight: total + 1,
                },
                Location::file(path, "the service's entry point"),
                Context::Service,
            ));
        }
    }
    let found = runtime::detect(rules, &hints);
    if found.primary.is_some() {
        return (found, true);
    }
    let side: Vec<Fact> = kept
        .iter()
        .filter(|f| matches!(f.context, Context::Example | Context::Test))
        .filter(|f| matches!(f.kind, FactKind::Runtime { .. }))
        .map(|f| {
            let mut f = (*f).clone();
            f.context = Context::Service;
            f
        })
        .collect();
    let fallback = runtime::detect(rules, &side);
    if let Some(p) = &fallback.primary {
        notes.push(format!(
            "runtime {} from examples and tests only: reported, not counted",
            p.name
        ));
    }
    (fallback, false)
}

/// Gives each file with a non-service role (CI, packaging, e2e, build
/// wrapper...) that role's context, where the context came from the path
/// alone (an image's filter decides its own), and returns the roles by file.
fn assign_roles(
    artifacts: &mut [Artifact],
) -> std::collections::HashMap<String, crate::analyze::roles::Assigned> {
    let mut out = std::collections::HashMap::new();
    for a in artifacts.iter_mut() {
        if a.context != Context::of_path(&a.rel) {
            continue;
        }
        if let Some(r) = crate::analyze::roles::classify(&a.rel) {
            a.context = r.context;
            out.insert(a.rel.clone(), r);
        }
    }
    out
}

/// Gives browser code in a directory the service serves as files
/// (`roles::web_asset`) its role, where nothing else gave it one: a
/// frontend package's reason, or a build script's context, says more.
fn assign_web_assets(
    artifacts: &mut [Artifact],
    role_of: &mut std::collections::HashMap<String, crate::analyze::roles::Assigned>,
) {
    for a in artifacts
        .iter_mut()
        .filter(|a| a.context == Context::Service)
    {
        if let Some(r) = crate::analyze::roles::web_asset(&a.rel, a.kind) {
            a.context = r.context;
            role_of.insert(a.rel.clone(), r);
        }
    }
}

/// Gives the files of each frontend package (`roles::frontend_package`: a
/// package.json that bundles for the browser and runs nothing on Node) the
/// development context, before they are parsed, so that its Node-side
/// helpers (a dev-server script that spawns `dotnet dev-certs`) are not the
/// service's. Only below the scanned root, and only where the package's
/// directory holds no other ecosystem's manifest, Dockerfile or compose
/// file: a directory that builds its own image or another language's
/// program is a service of its own.
fn assign_frontends(
    artifacts: &mut [Artifact],
    role_of: &mut std::collections::HashMap<String, crate::analyze::roles::Assigned>,
) {
    let parent = |rel: &str| rel.rsplit_once('/').map(|(d, _)| d.to_string());
    let mut dirs: Vec<String> = json_manifests(artifacts, ManifestKind::PackageJson)
        .into_iter()
        .filter(|(_, pkg)| crate::analyze::roles::frontend_package(pkg))
        .filter_map(|(a, _)| parent(&a.rel))
        .collect();
    // Directories that build their own image or another language's
    // program: one pass over the files, not one per package.
    let own: std::collections::HashSet<String> = artifacts
        .iter()
        .filter(|a| match a.kind {
            ArtifactKind::Manifest(k) => !matches!(
                k,
                ManifestKind::PackageJson
                    | ManifestKind::PackageLock
                    | ManifestKind::YarnLock
                    | ManifestKind::PnpmLock
            ),
            ArtifactKind::Dockerfile | ArtifactKind::Compose => true,
            _ => false,
        })
        .filter_map(|a| parent(&a.rel))
        .collect();
    dirs.retain(|dir| !own.contains(dir));
    if dirs.is_empty() {
        return;
    }
    let dirs: std::collections::HashSet<String> = dirs.into_iter().collect();
    for a in artifacts.iter_mut().filter(|a| a.context.counts()) {
        // The innermost frontend package holding the file names it.
        let Some(dir) = ancestors(&a.rel).filter(|d| dirs.contains(*d)).last() else {
            continue;
        };
        let prefix = format!("{dir}/");
        a.context = Context::Dev;
        role_of.insert(
            a.rel.clone(),
            crate::analyze::roles::Assigned {
                path: prefix,
                context: Context::Dev,
                reason: crate::analyze::roles::FRONTEND,
            },
        );
    }
}

/// The manifests of `kind` in a counting context, read as JSON. One that
/// cannot be read or parsed is left out here; its parser reports it.
fn json_manifests(
    artifacts: &[Artifact],
    kind: ManifestKind,
) -> Vec<(&Artifact, serde_json::Value)> {
    artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Manifest(kind) && a.context.counts())
        .filter_map(|a| {
            let mut ignored = Vec::new();
            let pkg = read_text(a, &mut ignored).and_then(|t| serde_json::from_str(&t).ok())?;
            Some((a, pkg))
        })
        .collect()
}

/// Gives the files of the packages Composer installs into a
/// `config.vendor-dir` of the tree (`roles::composer_vendored`) the
/// vendored context, before they are parsed: a copy of someone else's code
/// is not the service, as the `vendor/` the walk skips is not. And the
/// console commands of the PHP framework a composer.json requires
/// (`roles::console_commands`) the optional context: programs of their
/// own beside the web service.
fn assign_composer_roles(
    artifacts: &mut [Artifact],
    role_of: &mut std::collections::HashMap<String, crate::analyze::roles::Assigned>,
) {
    use crate::analyze::roles::{console_commands, COMPOSER_VENDOR, CONSOLE_COMMAND};
    let mut prefixes: Vec<(String, Context, &'static str)> = Vec::new();
    for (a, pkg) in json_manifests(artifacts, ManifestKind::ComposerJson) {
        let dir = crate::model::path::dir_of(&a.rel);
        let under = |p: &str| {
            let p = p.trim_end_matches('/');
            if dir.is_empty() {
                format!("{p}/")
            } else {
                format!("{dir}/{p}/")
            }
        };
        for p in crate::analyze::roles::composer_vendored(&pkg) {
            prefixes.push((
                under(&p).to_ascii_lowercase(),
                Context::Vendored,
                COMPOSER_VENDOR,
            ));
        }
        if let Some(p) = console_commands(&pkg) {
            prefixes.push((
                under(p).to_ascii_lowercase(),
                Context::Optional,
                CONSOLE_COMMAND,
            ));
        }
    }
    if prefixes.is_empty() {
        return;
    }
    for a in artifacts.iter_mut().filter(|a| a.context.counts()) {
        let lower = a.rel.to_ascii_lowercase();
        let Some((prefix, context, reason)) = prefixes
            .iter()
            .find(|(p, _, _)| lower.starts_with(p.as_str()))
        else {
            continue;
        };
        a.context = *context;
        role_of.insert(
            a.rel.clone(),
            crate::analyze::roles::Assigned {
                path: a.rel[..prefix.len()].to_string(),
                context: *context,
                reason,
            },
        );
    }
}

/// The directories above a relative path, outermost first: `a/b/c.js`
/// gives `a`, then `a/b`.
fn ancestors(rel: &str) -> impl Iterator<Item = &str> {
    rel.match_indices('/').map(move |(i, _)| &rel[..i])
}

/// Reads the compose files before anything else: a Dockerfile a compose
/// service builds ships, whatever its name says (`Dockerfile.dev` built by
/// the main compose file is the service's image), so it must be parsed in
/// service context. Returns the compose facts, the compose services, and
/// the note for each Dockerfile whose role was lifted.
#[allow(clippy::type_complexity)]
fn compose_prepass(
    artifacts: &mut [Artifact],
    role_of: &mut std::collections::HashMap<String, crate::analyze::roles::Assigned>,
) -> (
    Vec<Fact>,
    Vec<crate::analyze::units::ComposeService>,
    std::collections::HashMap<String, String>,
) {
    let mut facts = Vec::new();
    for a in artifacts.iter().filter(|a| a.kind == ArtifactKind::Compose) {
        // Diagnostics come from the main pass, which parses it again.
        let mut ignored = Vec::new();
        if let Some(text) = read_text(a, &mut ignored) {
            let out = parse::compose::parse(&a.rel, &text, a.context);
            facts.extend(
                out.facts
                    .into_iter()
                    .filter(|f| matches!(f.kind, FactKind::Compose { .. })),
            );
        }
    }
    let composed = crate::analyze::units::compose_services(&facts);
    let files: std::collections::HashSet<String> =
        artifacts.iter().map(|a| a.rel.clone()).collect();
    let exists = |p: &str| files.contains(p);
    let mut promoted = std::collections::HashMap::new();
    for c in composed.iter().filter(|c| c.context.counts()) {
        let Some((dockerfile, _)) = crate::analyze::units::built_dockerfile(c, &exists) else {
            continue;
        };
        let Some(role) = role_of.get(&dockerfile) else {
            continue;
        };
        // A Dockerfile in a developer-environment folder (`dev/`,
        // `.devcontainer/`) is that environment whoever builds it; a compose
        // file that builds it is one too (`analyze::units` says so).
        if role.context == Context::Dev && role.path.ends_with('/') {
            continue;
        }
        let note = format!(
            "`{dockerfile}` looks like a {} but compose service `{}` ({}) builds it, so it ships",
            role.reason, c.name, c.file
        );
        if let Some(a) = artifacts.iter_mut().find(|a| a.rel == dockerfile) {
            a.context = Context::Service;
        }
        role_of.remove(&dockerfile);
        promoted.insert(dockerfile, note);
    }
    (facts, composed, promoted)
}

/// Each role once, by the directory or file that has it.
fn roles_listed(
    role_of: &std::collections::HashMap<String, crate::analyze::roles::Assigned>,
) -> Vec<crate::model::service::Role> {
    let mut v: Vec<_> = role_of.values().map(|r| r.role()).collect();
    v.sort();
    v.dedup();
    v
}

/// A service's name when nothing better names it: the scanned directory's.
fn root_name(root: &Path) -> String {
    std::fs::canonicalize(root)
        .ok()
        .as_deref()
        .unwrap_or(root)
        .file_name()
        // As paths are (`model::path`): a name that is not UTF-8 is shown
        // with escapes, not with U+FFFD.
        .map(crate::model::path::from_os)
        .unwrap_or_else(|| "service".into())
}

/// The rule hits one file produces on its own (before linking, lock-file
/// scopes and merging): what the fixture suite checks block by block.
pub fn file_hits(engine: &Engine, a: &Artifact) -> Vec<Hit> {
    analyze(engine, a).hits
}

/// Reads, parses and matches one file.
fn analyze(engine: &Engine, a: &Artifact) -> FileResult {
    let mut r = FileResult::default();
    let name = a.rel.rsplit('/').next().unwrap_or(&a.rel).to_string();
    let file_fact = Fact::new(
        FactKind::File { name },
        Location::file(&a.rel, &a.rel),
        a.context,
    );
    engine.match_fact(&file_fact, &mut r.hits);
    let text_kind = matches!(
        a.kind,
        ArtifactKind::Source(_)
            | ArtifactKind::Manifest(_)
            | ArtifactKind::Dockerfile
            | ArtifactKind::Compose
    );
    if !text_kind {
        // Binaries, Wasm and code archives are read by their own analysers.
        match a.kind {
            ArtifactKind::Wasm => {
                let (out, info) = parse::wasm::analyze(a);
                for f in &out.facts {
                    engine.match_fact(f, &mut r.hits);
                }
                r.diagnostics.extend(out.diagnostics);
                r.kept = out.facts.into_iter().filter(keep).collect();
                r.wasm = info.map(Box::new);
            }
            ArtifactKind::Binary(_) | ArtifactKind::Archive(_) => {
                if let Some(b) = parse::binary::analyze(a, &engine.rules.runtimes.binary) {
                    for f in &b.output.facts {
                        engine.match_fact(f, &mut r.hits);
                    }
                    r.diagnostics.extend(b.output.diagnostics);
                    r.kept = b.output.facts.into_iter().filter(keep).collect();
                    r.binary = b.binary.map(Box::new);
                }
            }
            // A Procfile, setup.cfg, uWSGI ini or supervisord.conf says how the
            // service starts.
            ArtifactKind::Marker => {
                let name = a.rel.rsplit('/').next().unwrap_or(&a.rel);
                if matches!(name, "Procfile" | "setup.cfg" | "supervisord.conf")
                    || parse::manifest::is_uwsgi_ini(name)
                {
                    if let Some(out) = read_text(a, &mut r.diagnostics).and_then(|text| {
                        parse::manifest::launch_file(name, &a.rel, &text, a.context)
                    }) {
                        r.diagnostics.extend(out.diagnostics);
                        r.kept = out.facts.into_iter().filter(keep).collect();
                    }
                }
            }
            _ => {}
        }
        return r;
    }
    let text = match read_text(a, &mut r.diagnostics) {
        Some(t) => t,
        None => return r,
    };
    // A source file's view, kept to tell whether it is a self-updater and
    // where its settings gate code; and whether its own code spawns.
    let mut source_view = None;
    let mut spawns_in_code = false;
    let out: Output = match a.kind {
        ArtifactKind::Source(lang) => {
            r.source_bytes = text.len() as u64;
            // The reachability walk needs every file's imports and entry
            // marker, so every source file is lexed; the literal prefilter
            // decides which patterns run at all.
            let cands = engine.candidates(lang, text.as_bytes());
            let (view, out) = parse::source::parse(lang, &a.rel, &text, a.context);
            if !cands.code.is_empty() || !cands.strings.is_empty() {
                engine.match_code(&a.rel, &text, &view, a.context, &cands, &mut r.hits);
            }
            r.entry = parse::source::entry_marker(&view, &a.rel, &text);
            r.dynamic = parse::source::dynamic_imports(&view);
            // Only shipping code's driver names say a package is used.
            if a.context.counts() {
                r.named = parse::source::named_packages(&view, &text);
            }
            let (declares, refers) = parse::source::declarations(&view);
            r.names = Names::new(&declares, &refers);
            let python = lang == Language::Python && a.context.counts();
            if python {
                r.calls = parse::calls::python(&view);
                r.settings = parse::switches::settings(&text, &view.code);
            }
            r.hint = true;
            spawns_in_code = r.hits.iter().any(|h| is_spawn(engine, h));
            source_view = Some((view, python));
            out
        }
        ArtifactKind::Manifest(kind) => parse::manifest::parse(kind, &a.rel, &text, a.context),
        ArtifactKind::Dockerfile => parse::dockerfile::parse(&a.rel, &text, a.context),
        ArtifactKind::Compose => parse::compose::parse(&a.rel, &text, a.context),
        _ => Output::default(),
    };
    for f in &out.facts {
        engine.match_fact(f, &mut r.hits);
    }
    if let ArtifactKind::Source(Language::JavaScript | Language::TypeScript) = a.kind {
        r.lazy = crate::analyze::dev_imports::file_loads(&text, &out.facts, &r.hits);
    }
    if a.kind == ArtifactKind::Dockerfile {
        engine.lower_bindings(&out.facts, &mut r.hits);
    }
    // The passes below only move counted evidence, and a Python file's
    // share one split of its lines (made only if one of them needs it).
    let counted = |hits: &[Hit]| hits.iter().any(|h| h.evidence.context.counts());
    let indented = source_view
        .as_ref()
        .filter(|(view, _)| view.language == Language::Python)
        .map(|(view, _)| parse::switches::Indented::new(&view.code));
    if let (Some((_, true)), Some(lines)) = (&source_view, &indented) {
        if counted(&r.hits) {
            let guarded = parse::optional_imports::python(lines);
            crate::analyze::optional_code::guarded_imports(&mut r.hits, &guarded);
        }
    }
    if let Some((view, _)) = source_view.as_ref() {
        if counted(&r.hits) {
            let gates = match (view.language, &indented) {
                (Language::Python, Some(lines)) => parse::platform_gates::python(&text, lines),
                (Language::Rust, _) => {
                    let mut gates = parse::platform_gates::braced(&text, view);
                    gates.extend(parse::platform_gates::rust_items(&text, view));
                    gates
                }
                _ => parse::platform_gates::braced(&text, view),
            };
            crate::analyze::optional_code::platform_only(&mut r.hits, &gates);
        }
    }
    if let Some((view, _)) = source_view.as_ref().filter(|_| spawns_in_code) {
        if selfupdate::is_self_updater(&a.rel, view) {
            optional_spawns(engine, &mut r.hits, selfupdate::REASON);
        } else if selfupdate::is_version_stamp(&a.rel, view) {
            optional_spawns(engine, &mut r.hits, selfupdate::VERSION_REASON);
        }
    }
    r.diagnostics.extend(out.diagnostics);
    r.markers = suppress::read_markers(engine.rules, a, &text, &mut r.diagnostics);
    // A source file's imports go to the reachability walk, compactly
    // (`FileImports`); no import is ever kept (`keep`).
    let source = matches!(a.kind, ArtifactKind::Source(_));
    for f in out.facts {
        match &f.kind {
            FactKind::Import { language, module } if source => {
                if r.imports.is_empty() {
                    r.imports = FileImports::new(&f.at.path, *language);
                }
                r.imports
                    .push(f.at.line.unwrap_or(0), module, &f.at.snippet);
            }
            _ if keep(&f) => r.kept.push(slim(f)),
            _ => {}
        }
    }
    // Spans only matter where there is counted evidence to place in them.
    if let (Some((_, true)), Some(lines)) = (&source_view, &indented) {
        if counted(&r.hits) {
            r.gates = parse::switches::gates(lines);
        }
    }
    r
}

/// The runtime hint a source file is (which runtime a language means is
/// rules/runtimes.toml's). Not held per file while the tree is scanned: one
/// per source file grew memory with the tree, and the file's artefact says
/// all it holds.
fn runtime_hint(a: &Artifact) -> Option<Fact> {
    let ArtifactKind::Source(lang) = a.kind else {
        return None;
    };
    Some(Fact::new(
        FactKind::Runtime {
            clue: RuntimeClue::Language(lang),
            weight: 1,
        },
        Location::file(&a.rel, &format!("{} source", lang)),
        a.context,
    ))
}

/// Facts needed after matching: runtime hints, the container's shape, and
/// dependencies (for the scopes of lock entries).
/// Whether a hit is a process spawn.
fn is_spawn(engine: &Engine, h: &Hit) -> bool {
    engine.rules.rules[h.rule].capability == Capability::ProcessSpawn
}

/// Gives a file's process spawns, where they would count, the `optional`
/// context and `reason` (the file is a side path such as a self-updater).
fn optional_spawns(engine: &Engine, hits: &mut [Hit], reason: &str) {
    for h in hits.iter_mut() {
        if is_spawn(engine, h) && h.evidence.context.counts() {
            h.evidence.context = Context::Optional;
            h.evidence.reason = Some(reason.to_string());
        }
    }
}

fn keep(f: &Fact) -> bool {
    match &f.kind {
        FactKind::Runtime { .. }
        | FactKind::BaseImage { .. }
        | FactKind::OsPackage { .. }
        | FactKind::Dependency(_)
        | FactKind::Entry { .. }
        | FactKind::Script { .. }
        | FactKind::Crate { .. }
        | FactKind::GoModule { .. } => true,
        // The kept instructions: those a unit is recognised by (in any
        // context; a builder stage's `RUN go build` says the image builds
        // a project, `units::builds_code`), and every instruction of a
        // shipping stage, which the migration plan lists when it has no
        // Wasm counterpart (bounded in `container`).
        FactKind::Instruction { instruction, .. } => {
            f.context.counts()
                || matches!(
                    instruction.as_str(),
                    "EXPOSE"
                        | "VOLUME"
                        | "USER"
                        | "ENTRYPOINT"
                        | "CMD"
                        | "COPY"
                        | "ADD"
                        | "WORKDIR"
                        | "RUN"
                )
        }
        // How the compose file runs what the tree builds, for the plan.
        FactKind::Compose { key, .. } => {
            f.context.counts()
                && (COMPOSE_RUN_KEYS.contains(&key.as_str())
                    || key.starts_with("deploy.resources.limits."))
        }
        _ => false,
    }
}

/// A kept dependency without what only its own file's matching read: its
/// line's text, version and features. The passes over the whole tree
/// (scopes, workspace members, unimported packages, plugin hosts) read its
/// name, ecosystem, scope, lock place and location, and every manifest's
/// declarations are held to the end of the scan, so the rest was the
/// largest part of what a tree of many manifests keeps.
fn slim(mut f: Fact) -> Fact {
    if let FactKind::Dependency(d) = &mut f.kind {
        d.version = None;
        d.features = Vec::new();
        f.at.snippet = String::new();
    }
    f
}

fn read_text(a: &Artifact, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let bytes = match std::fs::read(&a.path) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::new(DiagKind::Unreadable, &a.rel, e.to_string()));
            return None;
        }
    };
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(Diagnostic::new(
                DiagKind::NotUtf8,
                &a.rel,
                format!(
                    "not valid UTF-8 (first bad byte at {}); read with replacement characters",
                    e.utf8_error().valid_up_to()
                ),
            ));
            Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}

fn inventory(
    artifacts: &[Artifact],
    skipped: Vec<String>,
    languages: BTreeMap<String, u64>,
) -> Inventory {
    let mut inv = Inventory {
        skipped,
        languages,
        ..Inventory::default()
    };
    for a in artifacts {
        let key = match a.kind {
            ArtifactKind::Source(l) => format!("source:{}", l.id()),
            ArtifactKind::Manifest(_) => {
                inv.manifests.push(a.rel.clone());
                "manifest".into()
            }
            ArtifactKind::Dockerfile => {
                inv.dockerfiles.push(a.rel.clone());
                "dockerfile".into()
            }
            ArtifactKind::Compose => {
                inv.compose_files.push(a.rel.clone());
                "compose".into()
            }
            ArtifactKind::Binary(f) => {
                inv.binaries.push(a.rel.clone());
                format!(
                    "binary:{}",
                    serde_json::to_value(f)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                )
            }
            ArtifactKind::Wasm => {
                inv.wasm.push(a.rel.clone());
                "wasm".into()
            }
            ArtifactKind::Archive(_) => "archive".into(),
            ArtifactKind::Marker => "marker".into(),
        };
        *inv.kinds.entry(key).or_default() += 1;
    }
    inv
}

/// The service's shape from the shape rules that fired in service context.
fn shape(findings: &[crate::model::finding::Finding]) -> Vec<String> {
    let mut s: Vec<String> = findings
        .iter()
        .filter(|f| f.context.counts() && !f.suppressed)
        .filter(|f| {
            matches!(
                f.capability,
                Capability::HttpServer | Capability::Cli | Capability::Worker
            )
        })
        .map(|f| f.capability.to_string())
        .collect();
    s.sort();
    s.dedup();
    s
}

fn container(kept: &[&Fact]) -> Option<Container> {
    let mut c = Container::default();
    let mut any = false;
    for f in kept
        .iter()
        .filter(|f| f.context.counts() || matches!(f.kind, FactKind::BaseImage { .. }))
    {
        match &f.kind {
            FactKind::BaseImage {
                image, is_final, ..
            } => {
                any = true;
                let list = if *is_final && f.context.counts() {
                    &mut c.base_images
                } else {
                    &mut c.build_images
                };
                if !list.contains(image) {
                    list.push(image.clone());
                }
            }
            FactKind::Instruction { instruction, args } => {
                if c.instructions.len() < crate::model::report::MAX_INSTRUCTIONS {
                    c.instructions
                        .push(crate::model::report::ShippedInstruction {
                            instruction: instruction.clone(),
                            args: crate::model::fact::clip(args),
                            at: f.at.clone(),
                        });
                }
                match instruction.as_str() {
                    "EXPOSE" => c
                        .exposed
                        .extend(args.split_whitespace().map(str::to_string)),
                    "VOLUME" => c.volumes.push(args.clone()),
                    "USER" => c.user = Some(args.clone()),
                    "ENTRYPOINT" | "CMD"
                        if c.entrypoint.is_none() || instruction == "ENTRYPOINT" =>
                    {
                        c.entrypoint = Some(args.clone())
                    }
                    "ENV" => {
                        let room = MAX_ENV.saturating_sub(c.env.len());
                        c.env.extend(env_pairs(args).into_iter().take(room));
                    }
                    "HEALTHCHECK" => c.healthcheck = Some(crate::model::fact::clip(args)),
                    _ => {}
                }
            }
            FactKind::OsPackage { name, .. } if !c.os_packages.contains(name) => {
                c.os_packages.push(name.clone())
            }
            _ => {}
        }
    }
    c.compose = compose_settings(kept);
    any.then_some(c)
}

/// Compose settings a migration plan carries over.
const COMPOSE_RUN_KEYS: [&str; 4] = ["build", "ports", "environment", "healthcheck"];

/// The settings of the first compose service the tree builds.
fn compose_settings(kept: &[&Fact]) -> Option<crate::model::report::ComposeSettings> {
    let settings = || {
        kept.iter()
            .copied()
            .filter(|f| f.context.counts())
            .filter_map(Fact::compose)
    };
    let (built, _, _) = settings().find(|(_, key, _)| *key == "build")?;
    let mut c = crate::model::report::ComposeSettings {
        service: built.to_string(),
        ..Default::default()
    };
    for (_, key, value) in settings().filter(|(service, _, _)| *service == built) {
        match key {
            "ports" if !c.ports.iter().any(|p| p == value) => c.ports.push(value.to_string()),
            "environment" if c.env.len() < MAX_ENV => {
                if let Some((k, v)) = value.split_once('=') {
                    let mut value = v.to_string();
                    value.truncate(floor_boundary(&value, MAX_ENV_VALUE));
                    c.env.push(crate::model::plan::EnvVar {
                        name: k.to_string(),
                        value,
                    });
                }
            }
            "healthcheck" => c.healthcheck = Some(crate::model::fact::clip(value)),
            "deploy.resources.limits.cpus" => c.cpus = Some(crate::model::fact::clip(value)),
            "deploy.resources.limits.memory" => c.memory = Some(crate::model::fact::clip(value)),
            _ => {}
        }
    }
    Some(c)
}

/// Environment variables kept from a Dockerfile, at most, and the longest
/// value: they are copied into every deployment manifest of a plan.
const MAX_ENV: usize = 100;
const MAX_ENV_VALUE: usize = 4096;

/// `ENV A=1 B="two words"` or the legacy `ENV A one value`.
fn env_pairs(args: &str) -> Vec<crate::model::plan::EnvVar> {
    let var = |name: &str, value: &str| {
        let mut value = unquote(value).to_string();
        value.truncate(floor_boundary(&value, MAX_ENV_VALUE));
        crate::model::plan::EnvVar {
            name: name.to_string(),
            value,
        }
    };
    let args = args.trim();
    let first = args.split_whitespace().next().unwrap_or("");
    if !first.contains('=') {
        let rest = args[first.len()..].trim();
        return if first.is_empty() {
            Vec::new()
        } else {
            vec![var(first, rest)]
        };
    }
    shell_words(args)
        .iter()
        .filter_map(|w| w.split_once('='))
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| var(k, v))
        .collect()
}

/// The largest char boundary of `s` at or below `max`.
fn floor_boundary(s: &str, max: usize) -> usize {
    let mut end = max.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Splits on whitespace outside double or single quotes.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '\'') => {
                quote = Some(c);
                cur.push(c);
            }
            (Some(q), _) if c == q => {
                quote = None;
                cur.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_back_both_lists() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<String>>();
        for (d, r) in [
            (v(&["Shop.Repo", "Shop"]), v(&["Ecto", "Shop.Repo.insert"])),
            (v(&[]), v(&["std", "tokio"])),
            (v(&["Only"]), v(&[])),
            (v(&[""]), v(&["", "x"])),
        ] {
            let n = Names::new(&d, &r);
            assert!(!n.is_empty());
            assert_eq!(n.lists(), (d, r));
        }
        assert!(Names::new(&[], &[]).is_empty());
    }

    fn pairs(args: &str) -> Vec<(String, String)> {
        env_pairs(args)
            .into_iter()
            .map(|v| (v.name, v.value))
            .collect()
    }

    #[test]
    fn env_in_both_forms() {
        let p = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            pairs("FLAGD_ADDR=0.0.0.0:8080 RUST_LOG=info"),
            vec![p("FLAGD_ADDR", "0.0.0.0:8080"), p("RUST_LOG", "info")]
        );
        assert_eq!(
            pairs(r#"A="two words" B='x=y'"#),
            vec![p("A", "two words"), p("B", "x=y")]
        );
        assert_eq!(
            pairs("PATH_PREFIX /srv/app data"),
            vec![p("PATH_PREFIX", "/srv/app data")]
        );
        assert!(pairs("").is_empty());
    }
}
