//! Deployable units: what in a tree ships, and whether there is anything
//! to judge at all.
//!
//! A unit is a Dockerfile that builds a service (one a compose service
//! `build:`s, or any Dockerfile in service context, the conventional root
//! one first), with the files its `COPY`/`ADD` instructions take from the
//! build context as its scope. Compose services that only run an `image:`
//! are neighbours: listed, never charged to a service. A tree with no
//! container is one unit, the whole tree, as before units existed.
//!
//! Each piece of evidence belongs to the unit whose scope holds its path
//! most narrowly; a compose setting to the unit its compose service builds;
//! a Dockerfile line to the unit it builds.

use crate::analyze::entries::{command, Target};
use crate::analyze::finding::Hit;
use crate::input::present::Present;
use crate::model::artifact::{Artifact, ArtifactKind};
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Fact, FactKind, Location};
use crate::model::finding::Finding;
use crate::model::language::Language;
use crate::model::path::dir_of;
use crate::model::service::{ComposeRef, EntryKind, EntryPoint, Neighbour, ServiceKind};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One compose service, from its settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ComposeService {
    pub file: String,
    pub name: String,
    pub line: Option<u32>,
    pub context: Context,
    /// The build context as written (`.`, `./api`).
    pub build: Option<String>,
    pub dockerfile: Option<String>,
    pub image: Option<String>,
    pub image_line: Option<u32>,
    pub command: Option<String>,
    /// Every setting, for what a neighbour asks of the host.
    pub settings: Vec<(String, String)>,
}

/// The compose services named by `facts` (the `Compose` facts of every
/// compose file), in the order they are written.
pub(crate) fn compose_services(facts: &[Fact]) -> Vec<ComposeService> {
    let mut out: Vec<ComposeService> = Vec::new();
    for f in facts {
        let FactKind::Compose {
            service,
            key,
            value,
        } = &f.kind
        else {
            continue;
        };
        let i = match out
            .iter()
            .position(|c| c.file == f.at.path && &c.name == service)
        {
            Some(i) => i,
            None => {
                out.push(ComposeService {
                    file: f.at.path.clone(),
                    name: service.clone(),
                    line: f.at.line,
                    context: f.context,
                    build: None,
                    dockerfile: None,
                    image: None,
                    image_line: None,
                    command: None,
                    settings: Vec::new(),
                });
                out.len() - 1
            }
        };
        let c = &mut out[i];
        c.line = match (c.line, f.at.line) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match key.as_str() {
            "build" => c.build = Some(value.clone()),
            "build.dockerfile" => c.dockerfile = Some(value.clone()),
            "image" => {
                c.image = Some(value.clone());
                c.image_line = f.at.line;
            }
            "command" | "entrypoint" if c.command.is_none() => c.command = Some(value.clone()),
            _ => {}
        }
        c.settings.push((key.clone(), value.clone()));
    }
    out
}

/// A FROM instruction's arguments read as (the image or earlier stage it
/// starts from, the stage's own name): `--platform=.. app AS app-plus`.
pub(crate) fn from_stage(args: &str) -> (Option<String>, Option<String>) {
    let words = instruction_words(args);
    let words: Vec<&String> = words.iter().filter(|w| !w.starts_with("--")).collect();
    let name = match words.as_slice() {
        [_, as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
        _ => None,
    };
    (words.first().map(|w| w.to_string()), name)
}

/// `base` joined with `rel`, `.` and `..` folded, `/`-separated, no leading
/// `./`; the root is the empty string. `None` when it leaves the root or is
/// absolute.
pub(crate) fn join(base: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in base.split('/').chain(rel.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            _ => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Build tools whose run in an image means it compiles or installs a
/// project from its manifest.
const BUILD_TOOLS: [&str; 18] = [
    "go", "cargo", "npm", "yarn", "pnpm", "bun", "pip", "pip3", "poetry", "uv", "mvn", "gradle",
    "dotnet", "mix", "bundle", "composer", "make", "tinygo",
];

/// Whether a `RUN` of the Dockerfile runs a build tool (`go build`, `npm
/// ci`, `./gradlew`, `make`): the image builds code from a project.
fn builds_code(kept: &[Fact], dockerfile: &str) -> bool {
    kept.iter()
        .filter(|f| f.at.path == dockerfile)
        .any(|f| match &f.kind {
            FactKind::Instruction { instruction, args } if instruction == "RUN" => {
                crate::parse::dockerfile::shell::commands(args)
                    .iter()
                    .flatten()
                    .map(|w| w.text.rsplit('/').next().unwrap_or(&w.text))
                    .any(|w| BUILD_TOOLS.contains(&w) || w == "gradlew" || w == "mvnw")
            }
            _ => false,
        })
}

/// For a folder that holds no manifest at any depth, the nearest folder
/// above it with a manifest of its own (`""` for the root); `None` when the
/// folder holds a project itself or no folder above it does.
fn project_above(artifacts: &[Artifact], dir: &str) -> Option<String> {
    let manifest_dirs: Vec<&str> = artifacts
        .iter()
        .filter(|a| matches!(a.kind, ArtifactKind::Manifest(_)))
        .map(|a| dir_of(&a.rel))
        .collect();
    let inside = format!("{dir}/");
    if manifest_dirs
        .iter()
        .any(|m| *m == dir || m.starts_with(&inside))
    {
        return None;
    }
    let mut up = dir;
    while let Some((parent, _)) = up.rsplit_once('/') {
        if manifest_dirs.contains(&parent) {
            return Some(parent.to_string());
        }
        up = parent;
    }
    manifest_dirs.contains(&"").then(String::new)
}

/// A deployable unit, before it is judged.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Unit {
    pub name: String,
    pub kind: ServiceKind,
    /// Its directory (`.` for the root).
    pub root: String,
    /// Path prefixes that are its files: `""` for the whole tree, `app/`
    /// for a directory, `wsgi.py` for one file.
    pub scope: Vec<String>,
    pub dockerfile: Option<String>,
    /// Other Dockerfiles that build the same files (a variant image).
    pub also_built_by: Vec<String>,
    pub compose: Option<ComposeRef>,
    /// Every compose service that builds it, in the file that names them.
    pub compose_services: Vec<(String, String)>,
    pub entry_points: Vec<EntryPoint>,
    pub neighbours: Vec<Neighbour>,
    pub notes: Vec<String>,
    pub primary: bool,
    /// The image copies a program built before `docker build` (`COPY
    /// bin/app /app`, `COPY dist/ .`) whose code the tree cannot place:
    /// its scope does not show which of the tree's code ships.
    pub prebuilt: bool,
}

impl Unit {
    /// A unit in directory `dir` (`""` for the root) with nothing known
    /// yet about what else builds it or how it starts.
    fn new(
        name: String,
        kind: ServiceKind,
        dir: &str,
        scope: Vec<String>,
        dockerfile: Option<String>,
    ) -> Unit {
        Unit {
            name,
            kind,
            root: if dir.is_empty() { "." } else { dir }.to_string(),
            scope,
            dockerfile,
            also_built_by: Vec::new(),
            compose: None,
            compose_services: Vec::new(),
            entry_points: Vec::new(),
            neighbours: Vec::new(),
            notes: Vec::new(),
            primary: false,
            prebuilt: false,
        }
    }

    /// How narrowly the unit's scope holds `path`: the length of the
    /// longest matching prefix, or `None` when it does not.
    fn holds(&self, path: &str) -> Option<usize> {
        self.scope
            .iter()
            .filter(|p| {
                p.is_empty()
                    || path == p.as_str()
                    || p.ends_with('/') && path.starts_with(p.as_str())
            })
            .map(|p| p.len())
            .max()
    }
}

/// Which Dockerfile a compose service builds, relative to the scan root,
/// and its build context directory (`""` for the root).
pub(crate) fn built_dockerfile(
    c: &ComposeService,
    exists: &dyn Fn(&str) -> bool,
) -> Option<(String, String)> {
    let build = c.build.as_deref()?;
    // A remote build context (a git URL, an archive URL) is not the tree.
    if build.contains("://") || build.starts_with("git@") || build.starts_with("github.com/") {
        return None;
    }
    let ctx = join(dir_of(&c.file), build)?;
    let file = match &c.dockerfile {
        Some(d) => join(&ctx, d)?,
        None => {
            let containerfile = join(&ctx, "Containerfile")?;
            let dockerfile = join(&ctx, "Dockerfile")?;
            if !exists(&dockerfile) && exists(&containerfile) {
                containerfile
            } else {
                dockerfile
            }
        }
    };
    Some((file, ctx))
}

/// What the unit planner reads.
pub(crate) struct Inputs<'a> {
    pub artifacts: &'a [Artifact],
    /// Kept facts: Dockerfile instructions and base images among them.
    pub kept: &'a [Fact],
    pub compose: &'a [ComposeService],
    /// The scan root's directory name, for a unit at the root.
    pub root_name: &'a str,
    /// Every path the walk kept, read or not.
    pub present: &'a Present,
}

/// Finds the deployable units. Never empty: without a container the whole
/// tree is one unit.
pub(crate) fn plan(inp: &Inputs, diagnostics: &mut Vec<Diagnostic>) -> Vec<Unit> {
    let files: HashSet<&str> = inp.artifacts.iter().map(|a| a.rel.as_str()).collect();
    let dirs: HashSet<&str> = inp
        .artifacts
        .iter()
        .flat_map(|a| a.rel.match_indices('/').map(move |(i, _)| &a.rel[..i]))
        .collect();
    let exists = |p: &str| files.contains(p);
    let mut units: Vec<Unit> = Vec::new();
    // Image-only compose services are third-party software beside the
    // service, except the tree's own published image (named like the tree
    // or one of its built services), and except in a tree that holds no
    // code at all: a deployment repository ships exactly those images.
    let built: Vec<&str> = inp
        .compose
        .iter()
        .filter(|c| c.build.is_some())
        .map(|c| c.name.as_str())
        .collect();
    let deployment_only = !inp.artifacts.iter().any(|a| {
        a.context.counts()
            && matches!(
                a.kind,
                ArtifactKind::Source(_)
                    | ArtifactKind::Binary(_)
                    | ArtifactKind::Wasm
                    | ArtifactKind::Archive(_)
                    | ArtifactKind::Dockerfile
            )
    });
    let own_image = |c: &ComposeService| {
        deployment_only
            || c.image.as_deref().is_some_and(|i| {
                let repo = image_name(i);
                repo == inp.root_name.to_ascii_lowercase()
                    || built.iter().any(|b| b.to_ascii_lowercase() == repo)
            })
    };
    let own_images: Vec<(String, String)> = inp
        .compose
        .iter()
        .filter(|c| c.build.is_none() && c.image.is_some() && c.context.counts() && own_image(c))
        .map(|c| (c.file.clone(), c.name.clone()))
        .collect();
    let neighbours: Vec<Neighbour> = neighbours(inp.compose)
        .into_iter()
        .filter(|n| {
            !own_images
                .iter()
                .any(|(f, s)| f == &n.compose && s == &n.name)
        })
        .collect();
    // Where several compose services build one Dockerfile (a demo worker
    // and the server from the same image), the unit is the one named like
    // the tree, when there is one; otherwise the first.
    let mut own: Vec<&ComposeService> = inp.compose.iter().filter(|c| c.context.counts()).collect();
    own.sort_by_key(|c| !c.name.eq_ignore_ascii_case(inp.root_name));
    for c in own {
        let Some(build) = &c.build else { continue };
        let Some((dockerfile, ctx)) = built_dockerfile(c, &exists) else {
            diagnostics.push(Diagnostic::new(
                DiagKind::Note,
                &c.file,
                format!(
                    "compose service `{}` builds from `{build}`, outside the scanned tree (a parent directory or a URL): it is not judged as a service",
                    c.name
                ),
            ));
            continue;
        };
        // A build context inside an installed package (Laravel Sail's
        // `./vendor/laravel/sail/runtimes/8.4`): a development environment
        // a dependency ships, not the tree's own image.
        if ctx
            .split('/')
            .any(|p| matches!(p, "vendor" | "node_modules" | "site-packages"))
        {
            diagnostics.push(Diagnostic::new(
                DiagKind::Note,
                &c.file,
                format!(
                    "compose service `{}` builds from `{ctx}`, inside an installed package: a development environment a dependency ships, not judged as a service",
                    c.name
                ),
            ));
            continue;
        }
        // What the compose file builds is not the service when the
        // Dockerfile kept a non-service role (`dev/docker/Dockerfile`: a
        // developer environment; `scan::compose_prepass` lifts the roles
        // a name alone gave).
        if let Some(d) = inp
            .artifacts
            .iter()
            .find(|a| a.rel == dockerfile && !a.context.counts())
        {
            diagnostics.push(Diagnostic::new(
                DiagKind::Note,
                &c.file,
                format!(
                    "compose service `{}` builds `{dockerfile}`, {} code: it is not judged as a service",
                    c.name, d.context
                ),
            ));
            continue;
        }
        if let Some(u) = units
            .iter_mut()
            .find(|u| u.dockerfile.as_deref() == Some(dockerfile.as_str()))
        {
            u.compose_services.push((c.file.clone(), c.name.clone()));
            continue;
        }
        let unit = Unit::new(
            c.name.clone(),
            ServiceKind::Container,
            &ctx,
            Vec::new(),
            Some(dockerfile.clone()),
        );
        let mut u = Unit {
            compose: Some(ComposeRef {
                file: c.file.clone(),
                service: c.name.clone(),
                line: c.line,
            }),
            compose_services: vec![(c.file.clone(), c.name.clone())],
            neighbours: neighbours
                .iter()
                .filter(|n| n.compose == c.file)
                .cloned()
                .collect(),
            ..unit
        };
        if exists(&dockerfile) {
            let copied = copy_scope(inp.kept, inp.present, &dockerfile, &ctx, &files, &dirs);
            u.notes.extend(copied.notes());
            u.prebuilt = copied.prebuilt();
            u.scope = copied.paths;
            u.entry_points = entry_points(inp.kept, &dockerfile, &u, inp.artifacts);
        } else {
            diagnostics.push(Diagnostic::new(
                DiagKind::Note,
                &c.file,
                format!(
                    "compose service `{}` builds `{dockerfile}`, which is not in the tree: judged on its whole build context",
                    c.name
                ),
            ));
            u.notes.push(format!(
                "`{dockerfile}` is missing: the whole build context `{}` is judged",
                u.root
            ));
            u.scope = vec![prefix(&ctx)];
        }
        if let Some(cmd) = &c.command {
            u.entry_points.push(EntryPoint {
                kind: EntryKind::Compose,
                path: None,
                declared_in: Location::line(&c.file, c.line.unwrap_or(1), cmd),
                main: true,
            });
        }
        add(&mut units, u);
    }
    // Dockerfiles in service context no compose service builds: the root
    // one first, then by path.
    let mut standalone: Vec<&Artifact> = inp
        .artifacts
        .iter()
        .filter(|a| a.kind == ArtifactKind::Dockerfile && a.context.counts())
        .filter(|a| {
            !units.iter().any(|u| {
                u.dockerfile.as_deref() == Some(a.rel.as_str()) || u.also_built_by.contains(&a.rel)
            })
        })
        .collect();
    standalone.sort_by_key(|a| (a.rel.contains('/'), a.rel.clone()));
    for a in standalone {
        let dir = dir_of(&a.rel).to_string();
        // `docker build -f docker/Dockerfile .` is common: when the COPY
        // sources are not under the Dockerfile's directory but are under
        // the root, the root is the build context.
        let mut ctx = dir.clone();
        let mut scope = copy_scope(inp.kept, inp.present, &a.rel, &ctx, &files, &dirs);
        // A directory that only holds Docker files (`docker/`, `deploy/`)
        // is not a service: its Dockerfiles build from the directory that
        // holds it, the root or a part (`frontend/docker/Dockerfile`).
        let holder = matches!(
            dir.rsplit('/')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
                .as_str(),
            "docker"
                | ".docker"
                | "dockerfiles"
                | "docker-files"
                | "deploy"
                | "deployment"
                | "container"
                | "containers"
                | "build"
                | "image"
                | "images"
        );
        if holder {
            // From the part that holds the folder, or from the root when
            // the COPY sources are named from there (`COPY
            // backend/package.json` in `backend/docker/Dockerfile`): the
            // context where fewer of them are missing.
            let parent = dir_of(&dir);
            ctx = parent.to_string();
            scope = copy_scope(inp.kept, inp.present, &a.rel, parent, &files, &dirs);
            if !parent.is_empty() {
                let at_root = copy_scope(inp.kept, inp.present, &a.rel, "", &files, &dirs);
                if at_root.built.len() < scope.built.len() {
                    ctx = String::new();
                    scope = at_root;
                }
            }
        } else if !dir.is_empty() {
            let only_dir = scope
                .paths
                .iter()
                .all(|p| p == &format!("{dir}/") || p == &a.rel);
            let at_root = copy_scope(inp.kept, inp.present, &a.rel, "", &files, &dirs);
            // Sources the folder lacks that the root holds (`COPY
            // pyproject.toml wger/ ...` in `extras/docker/production/`,
            // beside a README of its own): built from the root.
            let fewer_missing = at_root.built.len() < scope.built.len();
            if fewer_missing
                || (only_dir && at_root.paths.iter().any(|p| p != &a.rel && !p.is_empty()))
            {
                ctx = String::new();
                scope = at_root;
            } else if let Some(project) = (only_dir && builds_code(inp.kept, &a.rel))
                .then(|| project_above(inp.artifacts, &dir))
                .flatten()
            {
                // `COPY . .` then `go build` from a folder that holds no
                // project (`packaging/docker/alpine/`): the build runs from
                // the nearest folder above that does, `docker build -f
                // packaging/docker/alpine/Dockerfile .`. An image that
                // builds nothing (`COPY . /usr/share/nginx/html`) keeps its
                // folder.
                ctx = project;
                scope = copy_scope(inp.kept, inp.present, &a.rel, &ctx, &files, &dirs);
            }
        }
        let base = if ctx.is_empty() {
            inp.root_name.to_string()
        } else {
            ctx.rsplit('/').next().unwrap_or(&ctx).to_string()
        };
        let mut name = base.clone();
        if units.iter().any(|u| u.name == name) {
            name = format!("{base}:{}", a.rel.rsplit('/').next().unwrap_or(&a.rel));
        }
        let dockerfile = Some(a.rel.clone());
        let notes: Vec<String> = scope.notes().collect();
        let prebuilt = scope.prebuilt();
        let mut u = Unit::new(name, ServiceKind::Container, &ctx, scope.paths, dockerfile);
        u.notes.extend(notes);
        u.prebuilt = prebuilt;
        u.entry_points = entry_points(inp.kept, &a.rel, &u, inp.artifacts);
        add(&mut units, u);
    }
    if units.is_empty() {
        let mut tree = whole_tree(inp.root_name);
        tree[0].neighbours = neighbours;
        tree[0].compose_services = own_images;
        return tree;
    }
    // The primary: the root's Dockerfile, else the first compose service
    // built from the tree, else the unit that holds the most code.
    let code: Vec<&str> = inp
        .artifacts
        .iter()
        .filter(|a| a.context.counts() && matches!(a.kind, ArtifactKind::Source(_)))
        .map(|a| a.rel.as_str())
        .collect();
    let primary = units
        .iter()
        .position(|u| u.root == "." && u.dockerfile.as_deref().is_some_and(|d| !d.contains('/')))
        .or_else(|| units.iter().position(|u| u.compose.is_some()))
        .or_else(|| {
            (0..units.len()).max_by_key(|&i| {
                let held = code.iter().filter(|p| units[i].holds(p).is_some()).count();
                (held, std::cmp::Reverse(i))
            })
        })
        .unwrap_or(0);
    units[primary].primary = true;
    units[primary].compose_services.extend(own_images);
    if units[primary].neighbours.is_empty() {
        units[primary].neighbours = neighbours;
    }
    units
}

/// Adds a unit, or, when an earlier unit already takes exactly the same
/// files (a variant image of the same code, a worker built from the web
/// image's context), folds it into that one: the same files cannot have two
/// verdicts.
fn add(units: &mut Vec<Unit>, u: Unit) {
    let mine = outermost(u.scope.iter().filter(|p| Some(*p) != u.dockerfile.as_ref()));
    let same = units.iter().position(|o| {
        let theirs = outermost(
            o.scope
                .iter()
                .filter(|p| Some(*p) != o.dockerfile.as_ref() && !o.also_built_by.contains(p)),
        );
        o.root == u.root && theirs == mine
    });
    let Some(i) = same else {
        units.push(u);
        return;
    };
    let o = &mut units[i];
    if let Some(d) = u.dockerfile {
        o.notes.push(format!(
            "`{d}` builds the same files{}: judged with this service",
            u.compose
                .as_ref()
                .map(|c| format!(" (compose service `{}`)", c.service))
                .unwrap_or_default()
        ));
        o.scope.push(d.clone());
        o.also_built_by.push(d);
    }
    o.prebuilt |= u.prebuilt;
    o.compose_services.extend(u.compose_services);
    for e in u.entry_points {
        if !o.entry_points.contains(&e) {
            o.entry_points.push(e);
        }
    }
}

/// A scope's prefixes without those inside another of them, sorted: two
/// images that both `COPY ./ /app/` take the same files whatever scripts
/// each copies besides (`docker/web/init` is inside `""`).
fn outermost<'s>(scope: impl Iterator<Item = &'s String>) -> Vec<&'s String> {
    let all: Vec<&String> = scope.collect();
    let inside =
        |p: &str, q: &str| p != q && (q.is_empty() || q.ends_with('/') && p.starts_with(q));
    let mut out: Vec<&String> = all
        .iter()
        .copied()
        .filter(|p| !all.iter().any(|q| inside(p, q)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The whole tree as one unit, as before units existed.
pub(crate) fn whole_tree(name: &str) -> Vec<Unit> {
    let scope = vec![String::new()];
    let unit = Unit::new(name.to_string(), ServiceKind::Tree, "", scope, None);
    vec![Unit {
        primary: true,
        ..unit
    }]
}

fn prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    }
}

/// The repository name of an image reference, lower case, without
/// registry, owner, tag or digest: `ghcr.io/acme/shop-api:1.2` -> `shop-api`.
fn image_name(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last).to_ascii_lowercase()
}

/// Compose services that run an image and build nothing: third-party
/// software beside the service.
fn neighbours(compose: &[ComposeService]) -> Vec<Neighbour> {
    compose
        .iter()
        .filter(|c| c.build.is_none())
        .filter_map(|c| {
            let image = c.image.clone()?;
            let mut notes: Vec<String> = Vec::new();
            for (k, v) in &c.settings {
                let note = match k.as_str() {
                    "privileged" if matches!(v.as_str(), "true" | "yes") => "privileged".into(),
                    "network_mode" | "pid" | "ipc" if v == "host" => format!("{k}: host"),
                    "cap_add" => format!("cap_add {v}"),
                    "devices" => format!("device {v}"),
                    "volumes" if v.contains("docker.sock") => {
                        "mounts the Docker socket".to_string()
                    }
                    "volumes"
                        if ["/proc", "/sys", "/dev", "/lib/modules"].iter().any(|p| {
                            v.starts_with(&format!("{p}:")) || v.starts_with(&format!("{p}/"))
                        }) =>
                    {
                        format!("mounts {}", v.split(':').next().unwrap_or(v))
                    }
                    _ => continue,
                };
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
            // A database in `.devcontainer/` or a docs example runs beside a
            // developer or a reader, not beside the deployed service.
            if !c.context.counts() {
                notes.push(format!("from a {} compose file", c.context));
            }
            Some(Neighbour {
                name: c.name.clone(),
                image,
                compose: c.file.clone(),
                line: c.image_line.or(c.line),
                notes,
            })
        })
        .collect()
}

/// What a Dockerfile takes from its build context.
#[derive(Debug, Default, PartialEq)]
struct CopyScope {
    /// Scope prefixes: the Dockerfile, and each source file or directory.
    paths: Vec<String>,
    /// Sources the tree does not hold, with the directory taken for each.
    built: Vec<(String, String)>,
}

impl CopyScope {
    /// Whether a build output it copies is a program or a bundle (no
    /// source file's extension: `bin/app`, `dist/`), not generated code
    /// (`searx/version_frozen.py`).
    fn prebuilt(&self) -> bool {
        self.built.iter().any(|(src, _)| {
            let file = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
            Language::from_file_name(file).is_none()
        })
    }

    /// Notes for the unit: what was taken for each build output.
    fn notes(&self) -> impl Iterator<Item = String> + '_ {
        self.built.iter().map(|(src, dir)| {
            format!(
                "`{src}` is not in the tree: a build output made before the image is built, judged by the code it is made from (`{}`)",
                if dir.is_empty() { "." } else { dir }
            )
        })
    }
}

/// The Dockerfile's `COPY`/`ADD` sources (not `--from` another stage or an
/// image, not URLs) under the build context `ctx`, as scope prefixes, plus
/// the Dockerfile itself. `COPY . .`, a glob at the context's top or a
/// variable means the whole context; a source the walk did not see (a
/// build output, or ignored) means the nearest directory it did.
fn copy_scope(
    kept: &[Fact],
    present: &Present,
    dockerfile: &str,
    ctx: &str,
    files: &HashSet<&str>,
    dirs: &HashSet<&str>,
) -> CopyScope {
    let mut out = CopyScope {
        paths: vec![dockerfile.to_string()],
        built: Vec::new(),
    };
    let mut any = false;
    for f in kept.iter().filter(|f| f.at.path == dockerfile) {
        let FactKind::Instruction { instruction, args } = &f.kind else {
            continue;
        };
        let sources = match instruction.as_str() {
            "COPY" | "ADD" => context_sources(args),
            "RUN" => bind_sources(args),
            _ => continue,
        };
        for src in &sources {
            if src.contains("://") || src.starts_with("git@") {
                continue;
            }
            any = true;
            // A glob or a variable: the directory before it.
            let cut = src.find(['*', '?', '[', '$']).unwrap_or(src.len());
            let fixed = &src[..cut];
            let fixed = if cut < src.len() {
                dir_of(fixed)
            } else {
                fixed
            };
            let Some(p) = join(ctx, fixed) else {
                continue;
            };
            if p.is_empty() || dirs.contains(p.as_str()) {
                out.paths.push(prefix(&p));
            } else if files.contains(p.as_str()) || present.contains(&p) {
                // A file no stage reads (`config.toml.sample`) or a
                // directory of them (`static/`) holds no code: in scope,
                // but it changes nothing.
                out.paths.push(p);
            } else {
                // Not in the tree: made before `docker build` runs (`COPY
                // listmonk .` after `go build -o listmonk ./cmd`, `COPY
                // dist/ .`, `COPY target/release/app /`). It is made from
                // the code around it: the nearest directory the tree
                // holds, at most the whole context.
                let mut d = dir_of(&p);
                while !d.is_empty() && d != ctx && !dirs.contains(d) {
                    d = dir_of(d);
                }
                let inside = ctx.is_empty() || d == ctx || d.starts_with(&prefix(ctx));
                let d = if inside { d } else { ctx };
                out.paths.push(prefix(d));
                out.built.push((p.clone(), prefix(d)));
            }
        }
    }
    // No COPY at all (an image assembled from packages): the build
    // context, as before.
    if !any {
        out.paths.push(prefix(ctx));
    }
    out.paths.sort();
    out.paths.dedup();
    out.built.sort();
    out.built.dedup();
    out
}

/// Node packages a multi-stage Dockerfile copies only into a stage before
/// the shipping one, when the shipping stage runs no Node: a frontend
/// bundled by `yarn build` in a `node` builder stage whose output the
/// service serves as files. Its dependencies (a bundler's `execa`) run only
/// in the build. Each is the package's directory (ending in `/`) with the
/// reason its evidence carries. `ctx` is the build context (`.` or a
/// directory); `manifests` the tree's package.json paths.
pub(crate) fn built_packages(
    kept: &[Fact],
    dockerfile: &str,
    ctx: &str,
    manifests: &HashSet<&str>,
) -> Vec<(String, String)> {
    let ctx = if ctx == "." { "" } else { ctx };
    let mine: Vec<&Fact> = kept.iter().filter(|f| f.at.path == dockerfile).collect();
    let final_runs_node = mine.iter().any(|f| {
        matches!(&f.kind, FactKind::BaseImage { image, is_final: true, .. }
            if ["node", "bun", "deno"].iter().any(|n| image_name(image).contains(n)))
    });
    // Every stage's FROM is a base image fact; the shipping stage's says
    // so. A COPY after its line is the shipping stage's.
    let stages = mine
        .iter()
        .filter(|f| matches!(f.kind, FactKind::BaseImage { .. }))
        .count();
    let shipping_from = mine.iter().find_map(|f| match f.kind {
        FactKind::BaseImage { is_final: true, .. } => f.at.line,
        _ => None,
    });
    let Some(shipping_from) = shipping_from else {
        return Vec::new();
    };
    if final_runs_node || stages < 2 {
        return Vec::new();
    }
    // (package directory or path, in the shipping stage, COPY line) for
    // every COPY from the context.
    let mut copied: Vec<(String, bool, u32)> = Vec::new();
    for f in &mine {
        let FactKind::Instruction { instruction, args } = &f.kind else {
            continue;
        };
        let line = f.at.line.unwrap_or(0);
        match instruction.as_str() {
            "COPY" | "ADD" => {
                for src in &context_sources(args) {
                    let Some(p) = join(ctx, src.trim_end_matches('/')) else {
                        continue;
                    };
                    // The package's directory: copied whole, or its
                    // manifest and lock file copied first.
                    let parent = dir_of(&p);
                    let lockish = p.ends_with("/package.json")
                        || p.ends_with(".lock")
                        || p.ends_with("-lock.json")
                        || p.ends_with("-lock.yaml");
                    let dir = if lockish
                        && !parent.is_empty()
                        && manifests.contains(format!("{parent}/package.json").as_str())
                    {
                        parent.to_string()
                    } else {
                        // A package's directory, or anything else: kept
                        // as it is, so a shipping-stage copy of the whole
                        // context keeps every package in.
                        p
                    };
                    copied.push((dir, line > shipping_from, line));
                }
            }
            _ => {}
        }
    }
    let covers = |outer: &str, inner: &str| {
        outer.is_empty() || inner == outer || inner.starts_with(&prefix(outer))
    };
    let mut out: Vec<(String, String)> = Vec::new();
    for (dir, shipped, line) in &copied {
        // The whole context, a package at its root, or one the shipping
        // stage copies too (or a directory around it) ships as it is.
        if dir.is_empty()
            || dir == ctx
            || *shipped
            || !manifests.contains(format!("{}package.json", prefix(dir)).as_str())
            || copied
                .iter()
                .any(|(d, shipped, _)| *shipped && (covers(d, dir) || covers(dir, d)))
            || out.iter().any(|(d, _)| *d == prefix(dir))
        {
            continue;
        }
        out.push((
            prefix(dir),
            format!(
                "a Node package built in an earlier stage of {dockerfile} (COPY at line {line}): the shipping stage takes only what the build made and runs no Node"
            ),
        ));
    }
    out
}

/// The sources a COPY or ADD takes from the build context (none for
/// `--from=stage`): every word but the flags and the destination.
fn context_sources(args: &str) -> Vec<String> {
    copy_parts(args).map_or(Vec::new(), |(sources, _)| sources)
}

/// What a RUN reads from the build context through BuildKit bind mounts
/// (`RUN --mount=type=bind,source=.,target=/src go build`; `source`
/// defaults to the context's top): the build sees those files as if a
/// COPY had put them there. A mount `from` another stage or image reads
/// none.
fn bind_sources(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    for flag in args.split_whitespace().take_while(|w| w.starts_with("--")) {
        let Some(spec) = flag.strip_prefix("--mount=") else {
            continue;
        };
        let mut bind = false;
        let mut source = ".";
        let mut from = false;
        for part in spec.split(',') {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            match k {
                "type" => bind = v == "bind",
                "source" | "src" => source = v,
                "from" => from = true,
                _ => {}
            }
        }
        if bind && !from {
            out.push(source.trim_matches(['"', '\'']).to_string());
        }
    }
    out
}

/// A COPY or ADD from the build context: its sources and its destination
/// (`None` for `--from=stage` or no destination).
fn copy_parts(args: &str) -> Option<(Vec<String>, String)> {
    let words = instruction_words(args);
    if words.iter().any(|w| w.starts_with("--from")) {
        return None;
    }
    let mut words: Vec<String> = words.into_iter().filter(|w| !w.starts_with("--")).collect();
    let dest = words.pop()?;
    Some((words, dest))
}

/// The words of an instruction's arguments: a JSON array, or
/// whitespace-separated shell words with quotes removed.
pub(crate) fn instruction_words(args: &str) -> Vec<String> {
    let t = args.trim();
    // Flags may come before the JSON form: `COPY --chown=1:1 ["a", "/b/"]`.
    let mut flags = Vec::new();
    let mut rest = t;
    while rest.starts_with("--") {
        let (flag, after) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        flags.push(flag.to_string());
        rest = after.trim_start();
    }
    if rest.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(rest) {
            flags.extend(v);
            return flags;
        }
    }
    t.split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']).to_string())
        .collect()
}

/// The shipping stage's `ENTRYPOINT`/`CMD`, resolved to a file of the unit
/// when it names one (`python app.py`, `gunicorn wsgi:app`, `node
/// server.js`).
fn entry_points(
    kept: &[Fact],
    dockerfile: &str,
    u: &Unit,
    artifacts: &[Artifact],
) -> Vec<EntryPoint> {
    let mut last: Option<&Fact> = None;
    let mut entry: Option<&Fact> = None;
    for f in kept
        .iter()
        .filter(|f| f.at.path == dockerfile && f.context.counts())
    {
        if let FactKind::Instruction { instruction, .. } = &f.kind {
            match instruction.as_str() {
                "CMD" => last = Some(f),
                "ENTRYPOINT" => entry = Some(f),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    let renamed = renamed_copies(kept, dockerfile, u, artifacts);
    for f in [entry, last].into_iter().flatten() {
        let FactKind::Instruction { args, .. } = &f.kind else {
            continue;
        };
        // `COPY docker/entry.sh /app/run.sh` then `ENTRYPOINT ["/app/run.sh"]`:
        // the image's path is the tree's file under another name.
        let words: Vec<String> = instruction_words(args)
            .into_iter()
            .map(|w| renamed.files.get(&w).cloned().unwrap_or(w))
            .collect();
        let (kind, path) = resolve_command(&words, u, artifacts);
        if path.is_none() {
            let followed = through_scripts(&words, kept, u, artifacts, 0);
            if !followed.is_empty() {
                out.extend(followed);
                continue;
            }
            // `npm run start:prod`, `node dist/main`: through the package
            // script it runs, to the source of the build output it names.
            // Where the command runs: the tree's directory a COPY put at
            // the shipping stage's WORKDIR (`COPY ./packages/api .`), or
            // the build context.
            let dir = match &renamed.workdir {
                Some(d) => d.as_str(),
                None if u.root == "." => "",
                None => u.root.as_str(),
            };
            let cmd = unwrapped(&words);
            if let (Target::File(p), via) = command(cmd, dir, u, kept, artifacts, 0) {
                out.push(EntryPoint {
                    kind: if via.is_some() {
                        EntryKind::PackageScript
                    } else {
                        kind
                    },
                    path: Some(p),
                    declared_in: via.unwrap_or_else(|| f.at.clone()),
                    main: true,
                });
                continue;
            }
        }
        out.push(EntryPoint {
            kind,
            path,
            declared_in: f.at.clone(),
            main: true,
        });
    }
    out
}

/// Where a Dockerfile put the tree's files in the image (`renamed_copies`).
#[derive(Default)]
struct ImagePaths {
    /// Image path (absolute, and as the last WORKDIR sees it) to the
    /// tree's file, for files copied under another name.
    files: HashMap<String, String>,
    /// The tree's directory copied to the shipping stage's WORKDIR.
    workdir: Option<String>,
}

/// Most ENV and WORKDIR instructions read while following COPY
/// destinations: a generated Dockerfile must not make this long.
const MAX_IMAGE_STEPS: usize = 512;

/// Files a Dockerfile copies into the image under another path, by the
/// path they have there, absolute (`COPY docker/entry.sh $HOME/run.sh`
/// with `ENV HOME=/app`: `/app/run.sh`) and as its shipping stage's last
/// WORKDIR sees it (`./run.sh`), mapped to the tree's file. Only a single
/// file copied to a path that names a file: a directory copy keeps names.
/// A directory copied to the WORKDIR it is then (`COPY ./packages/api .`)
/// is the tree's directory the image's command runs in, when that is still
/// the WORKDIR at the end.
fn renamed_copies(kept: &[Fact], dockerfile: &str, u: &Unit, artifacts: &[Artifact]) -> ImagePaths {
    let ctx = if u.root == "." { "" } else { u.root.as_str() };
    /// Variables in the order set, a later one shadowing an earlier.
    type Env = Vec<(String, String)>;
    let mut env: Env = Vec::new();
    let mut workdir = String::from("/");
    let mut stage: Option<String> = None;
    let mut stages: Vec<(String, Env, String)> = Vec::new();
    let mut dirs_at: Vec<(String, String)> = Vec::new();
    let mut out = ImagePaths::default();
    let expand = |v: &str, env: &[(String, String)]| -> String {
        let mut v = v.to_string();
        for (k, val) in env.iter().rev() {
            v = v
                .replace(&format!("${{{k}}}"), val)
                .replace(&format!("${k}"), val);
        }
        v
    };
    let absolute = |p: &str, wd: &str| -> Option<String> {
        let joined = if p.starts_with('/') {
            p.to_string()
        } else {
            format!("{}/{p}", wd.trim_end_matches('/'))
        };
        join("", joined.trim_start_matches('/')).map(|j| format!("/{j}"))
    };
    let instructions = kept
        .iter()
        .filter(|f| f.at.path == dockerfile)
        .take(MAX_IMAGE_STEPS);
    for f in instructions {
        let FactKind::Instruction { instruction, args } = &f.kind else {
            continue;
        };
        match instruction.as_str() {
            "FROM" => {
                // A new stage starts afresh, or from the earlier stage it
                // names (`FROM base AS production`), with its environment.
                let (base, name) = from_stage(args);
                if let Some(name) = stage.take() {
                    stages.push((name, env.clone(), workdir.clone()));
                }
                let parent = base.and_then(|base| {
                    stages
                        .iter()
                        .rev()
                        .find(|(n, ..)| n.eq_ignore_ascii_case(&base))
                });
                (env, workdir) = match parent {
                    Some((_, e, w)) => (e.clone(), w.clone()),
                    None => (Vec::new(), "/".into()),
                };
                stage = Some(name.unwrap_or_default());
            }
            "ENV" => {
                let words = instruction_words(args);
                if words.len() == 2 && !words[0].contains('=') {
                    env.push((words[0].clone(), expand(&words[1], &env)));
                } else {
                    for w in words {
                        if let Some((k, v)) = w.split_once('=') {
                            let v = expand(v.trim_matches(['"', '\'']), &env);
                            env.push((k.to_string(), v));
                        }
                    }
                }
            }
            "WORKDIR" => {
                let w = expand(args.trim(), &env);
                if let Some(a) = absolute(&w, &workdir) {
                    workdir = a;
                }
            }
            "COPY" | "ADD" => {
                let Some((sources, dest)) = copy_parts(args) else {
                    continue;
                };
                let [src] = sources.as_slice() else {
                    continue;
                };
                let Some(rel) = join(ctx, src) else { continue };
                let Some(at) = absolute(&expand(&dest, &env), &workdir) else {
                    continue;
                };
                if at == workdir {
                    let dir_prefix = prefix(&rel);
                    if !rel.is_empty() && artifacts.iter().any(|a| a.rel.starts_with(&dir_prefix)) {
                        dirs_at.push((workdir.clone(), rel.clone()));
                    }
                }
                let names_a_file = !dest.ends_with('/') && dest != ".";
                let is_file = artifacts.iter().any(|a| a.rel == rel);
                if names_a_file && is_file && rel.rsplit('/').next() != at.rsplit('/').next() {
                    out.files.insert(at, rel);
                }
            }
            _ => {}
        }
    }
    out.workdir = dirs_at
        .iter()
        .rev()
        .find(|(w, _)| *w == workdir)
        .map(|(_, d)| d.clone());
    // The command may name the file from the last WORKDIR.
    let dir = format!("{}/", workdir.trim_end_matches('/'));
    let from_workdir: Vec<(String, String)> = out
        .files
        .iter()
        .filter_map(|(dest, rel)| {
            let tail = dest.strip_prefix(&dir)?;
            Some([
                (format!("./{tail}"), rel.clone()),
                (tail.to_string(), rel.clone()),
            ])
        })
        .flatten()
        .collect();
    out.files.extend(from_workdir);
    out
}

/// How deep start-up scripts are followed (`entrypoint.sh` running
/// `start.sh` running the server): deeper is not start-up anymore, and a
/// script that runs itself must not loop.
const MAX_SCRIPT_DEPTH: usize = 3;

/// Programs that start the command after them as the same process: a user
/// switch (with the user after it) or an init shim.
const WRAPPERS: [(&str, usize); 7] = [
    ("gosu", 1),
    ("su-exec", 1),
    ("s6-setuidgid", 1),
    ("tini", 0),
    ("dumb-init", 0),
    ("sh", 0),
    ("bash", 0),
];

/// The words after the wrappers a command line starts with (`gosu app`,
/// `tini --`, `sh`) and their options.
fn unwrapped(words: &[String]) -> &[String] {
    let mut rest = words;
    while let Some(first) = rest.first() {
        let program = first.rsplit('/').next().unwrap_or(first);
        let Some((_, args)) = WRAPPERS.iter().find(|(w, _)| *w == program) else {
            break;
        };
        rest = &rest[1..];
        while rest.first().is_some_and(|w| w.starts_with('-')) {
            rest = &rest[1..];
        }
        rest = &rest[(*args).min(rest.len())..];
    }
    rest
}

/// Entry points found by following a command that runs one of the unit's
/// shell scripts to the commands the script `exec`s (parse::shell_exec),
/// uWSGI with one of its ini files to the application the file loads, or
/// supervisord to the programs its configuration keeps running,
/// each named at its line in the script or file; empty when the command
/// runs no script of the unit or none of its `exec` lines resolves to a
/// file.
fn through_scripts(
    words: &[String],
    kept: &[Fact],
    u: &Unit,
    artifacts: &[Artifact],
    depth: usize,
) -> Vec<EntryPoint> {
    if depth >= MAX_SCRIPT_DEPTH {
        return Vec::new();
    }
    let shell = ArtifactKind::Source(Language::Shell);
    let words = unwrapped(words);
    let program = words.first().map(|w| w.rsplit('/').next().unwrap_or(w));
    let marker = |k| k == ArtifactKind::Marker;
    let script = if program == Some("uwsgi") {
        // `uwsgi uwsgi.ini`, `uwsgi --ini /etc/app/uwsgi.ini`: the
        // configuration names the application (parse::manifest::entries).
        words
            .iter()
            .skip(1)
            .find(|w| w.ends_with(".ini"))
            .and_then(|w| unit_file(u, artifacts, w, marker))
    } else if program == Some("supervisord") {
        // `supervisord -c /etc/supervisord.conf` runs the programs the
        // file lists; a path built from a variable (`-c "$CONF"`), or
        // none, is the unit's own supervisord.conf.
        words
            .windows(2)
            .find(|w| matches!(w[0].as_str(), "-c" | "--configuration"))
            .and_then(|w| unit_file(u, artifacts, &w[1], marker))
            .or_else(|| unit_file(u, artifacts, "supervisord.conf", marker))
    } else {
        words
            .first()
            .and_then(|w| unit_file(u, artifacts, w, |k| k == shell))
    };
    let Some(script) = script else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for f in kept.iter().filter(|f| f.at.path == script) {
        let FactKind::Entry {
            entry: EntryKind::Exec,
            target,
            ..
        } = &f.kind
        else {
            continue;
        };
        let cmd = instruction_words(target);
        let cmd = unwrapped(&cmd);
        // `exec "$@"` runs what the image passes (its CMD), resolved as
        // the image's own entry point.
        if cmd.first().is_none_or(|w| w.starts_with('$')) {
            continue;
        }
        match resolve_command(cmd, u, artifacts) {
            (kind, Some(path)) => out.push(EntryPoint {
                kind,
                path: Some(path),
                declared_in: f.at.clone(),
                main: true,
            }),
            _ => out.extend(through_scripts(cmd, kept, u, artifacts, depth + 1)),
        }
    }
    out
}

/// The unit's file of a kind `keep` accepts whose path ends with `tail`
/// (`./boot.sh`, `/app/main.py`), the shortest if several: WORKDIR and
/// COPY destinations rarely change the last components.
fn unit_file<A: std::borrow::Borrow<Artifact>>(
    u: &Unit,
    artifacts: &[A],
    tail: &str,
    keep: impl Fn(ArtifactKind) -> bool,
) -> Option<String> {
    file_by_tail(artifacts, tail, |a, tail| {
        keep(a.kind) && u.holds(&a.rel).is_some() && ends_with_path(&a.rel, tail)
    })
}

/// The shortest path among `artifacts` that `names` says `path` names
/// (given `path` without its `./` or leading `/`). A path in the image
/// (`/usr/local/app/entrypoint.sh`, `/app/main.py`) starts with where COPY
/// put the tree, which the tree does not have: for an absolute `path`, the
/// longest tail of it that names a file.
pub(crate) fn file_by_tail<A: std::borrow::Borrow<Artifact>>(
    artifacts: &[A],
    path: &str,
    names: impl Fn(&Artifact, &str) -> bool,
) -> Option<String> {
    let absolute = path.starts_with('/');
    let mut tail = path.trim_start_matches("./").trim_start_matches('/');
    loop {
        if tail.is_empty() {
            return None;
        }
        let found = artifacts
            .iter()
            .map(std::borrow::Borrow::borrow)
            .filter(|a: &&Artifact| names(a, tail))
            .map(|a| a.rel.clone())
            .min_by_key(|r| r.len());
        match tail.split_once('/') {
            Some((_, rest)) if found.is_none() && absolute => tail = rest,
            _ => return found,
        }
    }
}

/// `rel` is `tail` or ends with it as whole path parts.
pub(crate) fn ends_with_path(rel: &str, tail: &str) -> bool {
    rel.strip_suffix(tail)
        .is_some_and(|head| head.is_empty() || head.ends_with('/'))
}

/// Servers that run a Rack application (Rails, Sinatra, Hanami) from its
/// rackup file.
const RACK_SERVERS: [&str; 8] = [
    "puma",
    "unicorn",
    "unicorn_rails",
    "rackup",
    "thin",
    "falcon",
    "iodine",
    "passenger",
];

/// What a command line starts, as a file of the unit when it names one.
pub(crate) fn resolve_command<A: std::borrow::Borrow<Artifact>>(
    words: &[String],
    u: &Unit,
    artifacts: &[A],
) -> (EntryKind, Option<String>) {
    let program = words
        .first()
        .map(|w| w.rsplit('/').next().unwrap_or(w).to_string())
        .unwrap_or_default();
    let find = |tail: &str| unit_file(u, artifacts, tail, |k| matches!(k, ArtifactKind::Source(_)));
    let is_wsgi = |p: &str| crate::parse::shell_exec::PYTHON_SERVERS.contains(&p);
    // `python -m uvicorn main:app` runs the server like `uvicorn main:app`.
    if program.starts_with("python") {
        if let Some(i) = words.iter().position(|w| w == "-m") {
            if words.get(i + 1).is_some_and(|m| is_wsgi(m)) {
                return resolve_command(&words[i + 1..], u, artifacts);
            }
        }
    }
    // FastAPI's CLI, `fastapi run [path]`: without a path it loads the
    // first of main.py, app.py, api.py, then the same under app/.
    if program == "fastapi" && words.get(1).is_some_and(|w| w == "run" || w == "dev") {
        let named = words.iter().skip(2).find(|w| w.ends_with(".py"));
        let p = match named {
            Some(w) => find(w),
            None => [
                "main.py",
                "app.py",
                "api.py",
                "app/main.py",
                "app/app.py",
                "app/api.py",
            ]
            .iter()
            .find_map(|c| find(c)),
        };
        return (EntryKind::Wsgi, p);
    }
    if is_wsgi(&program) {
        // The value of an option that names a file of its own (gunicorn's
        // `-c gunicorn.conf.py`) is not the application.
        let configs = ["-c", "--config", "--log-config", "--env-file"];
        let after_config = |i: usize| configs.contains(&words[i - 1].as_str());
        let positional = words
            .iter()
            .enumerate()
            .skip(1)
            .filter(|&(i, w)| !w.starts_with('-') && !after_config(i))
            .map(|(_, w)| w);
        for w in positional {
            // `uwsgi --wsgi-file app.py`
            if w.ends_with(".py") {
                if let Some(p) = find(w) {
                    return (EntryKind::Wsgi, Some(p));
                }
                continue;
            }
            let module = w.split(':').next().unwrap_or(w);
            if module.contains('=') || module.is_empty() {
                continue;
            }
            let file = format!("{}.py", module.replace('.', "/"));
            if let Some(p) = find(&file) {
                return (EntryKind::Wsgi, Some(p));
            }
        }
        return (EntryKind::Wsgi, None);
    }
    // `bundle exec puma -C config/puma.rb`: Bundler runs the command.
    if program == "bundle" && words.get(1).is_some_and(|w| w == "exec") {
        return resolve_command(&words[2..], u, artifacts);
    }
    // A Rack server loads the application from a rackup file, `config.ru`
    // in its directory unless one is named; `-C config/puma.rb` (or
    // unicorn's `-c`) is the server's own configuration, not the app.
    // `rails server` starts the same way.
    let rails_server =
        program == "rails" && words.get(1).is_some_and(|w| w == "server" || w == "s");
    if rails_server || RACK_SERVERS.contains(&program.as_str()) {
        let named = words.iter().skip(1).find(|w| w.ends_with(".ru"));
        return (
            EntryKind::Rack,
            find(named.map_or("config.ru", |w| w.as_str())),
        );
    }
    if program.starts_with("python") {
        if let Some(i) = words.iter().position(|w| w == "-m") {
            if let Some(m) = words.get(i + 1) {
                let base = m.replace('.', "/");
                let p =
                    find(&format!("{base}/__main__.py")).or_else(|| find(&format!("{base}.py")));
                return (EntryKind::PythonMain, p);
            }
        }
    }
    for w in words.iter().filter(|w| !w.starts_with('-')) {
        let code = [
            ".py", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".rb", ".ru",
            ".php", ".pl", ".ex", ".exs", ".go",
        ]
        .iter()
        .any(|e| w.ends_with(e));
        if code {
            if let Some(p) = find(w) {
                let kind = if w.ends_with(".py") {
                    EntryKind::PythonMain
                } else if w.ends_with(".php") {
                    EntryKind::Php
                } else if w.ends_with(".ru") {
                    EntryKind::Rack
                } else {
                    EntryKind::Dockerfile
                };
                return (kind, Some(p));
            }
        }
    }
    (EntryKind::Dockerfile, None)
}

/// Why there is nothing to judge, or `None` when there is: a tree with no
/// code in the service's context (no source, binary, Wasm or code archive)
/// and no counted finding from its manifests, Dockerfiles or image facts
/// has no service to give a verdict on. A score of 100 for an empty
/// directory would be a pass nobody earned.
pub(crate) fn nothing_to_judge<A: std::borrow::Borrow<Artifact>>(
    artifacts: &[A],
    extra_facts: usize,
    findings: &[Finding],
) -> Option<String> {
    let artifacts: Vec<&Artifact> = artifacts.iter().map(std::borrow::Borrow::borrow).collect();
    let code = |a: &&Artifact| {
        matches!(
            a.kind,
            ArtifactKind::Source(_)
                | ArtifactKind::Binary(_)
                | ArtifactKind::Wasm
                | ArtifactKind::Archive(_)
        )
    };
    if extra_facts > 0
        || findings.iter().any(|f| f.counted)
        || artifacts
            .iter()
            .copied()
            .filter(code)
            .any(|a| a.context.counts())
    {
        return None;
    }
    if artifacts.is_empty() {
        return Some("no service code: no file wasmfit reads was found".into());
    }
    let mut by_context: BTreeMap<Context, usize> = BTreeMap::new();
    for a in artifacts.iter().copied().filter(code) {
        *by_context.entry(a.context).or_default() += 1;
    }
    let files = artifacts.len();
    let plural = if files == 1 { "" } else { "s" };
    if by_context.is_empty() {
        return Some(format!(
            "no service code: {files} file{plural} read, none of them code (source, binary, Wasm)"
        ));
    }
    let parts: Vec<String> = by_context.iter().map(|(c, n)| format!("{n} {c}")).collect();
    Some(format!(
        "no service code: {files} file{plural} read, the code among them is not the service's ({})",
        parts.join(", ")
    ))
}

/// Where a piece of evidence belongs, for one unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The unit's own: kept as it is.
    Own,
    /// Another unit's: left out of this one.
    Other,
    /// A neighbour of this unit (a third-party image beside it): listed in
    /// context `neighbour` with this reason, never counted.
    Neighbour(String),
    /// No unit's: the primary unit lists it, not counted.
    Nobody,
}

/// Decides, for each unit, which evidence is its own.
pub(crate) struct Owners<'a> {
    units: &'a [Unit],
    compose: &'a [ComposeService],
    /// (compose file, line) -> the compose services whose settings are
    /// written there (several when one `extends` another).
    compose_at: HashMap<(String, u32), Vec<usize>>,
    dockerfiles: HashSet<String>,
    /// Per unit: whether it holds part of the tree (not all of it), that
    /// part includes source code, and it copies no program built before
    /// the image (`Unit::prebuilt`). A lone image that copies code from
    /// the tree says what ships; one that copies none (it downloads a
    /// release, or installs packages) says nothing about the tree's code.
    ships_code: Vec<bool>,
    /// Dependency manifests no unit's files take, by the units that ship
    /// code beneath them: a `requirements.txt` beside `searx/` lists what
    /// the code an image copies needs, wherever the image installs it
    /// (a builder image, a wheel built beforehand).
    manifest_for: HashMap<String, Vec<usize>>,
}

impl<'a> Owners<'a> {
    pub(crate) fn new(
        units: &'a [Unit],
        compose: &'a [ComposeService],
        compose_facts: &[Fact],
        artifacts: &[Artifact],
    ) -> Owners<'a> {
        let mut compose_at: HashMap<(String, u32), Vec<usize>> = HashMap::new();
        for f in compose_facts {
            let (FactKind::Compose { service, .. }, Some(line)) = (&f.kind, f.at.line) else {
                continue;
            };
            if let Some(i) = compose
                .iter()
                .position(|c| c.file == f.at.path && &c.name == service)
            {
                let v = compose_at.entry((f.at.path.clone(), line)).or_default();
                if !v.contains(&i) {
                    v.push(i);
                }
            }
        }
        let dockerfiles = artifacts
            .iter()
            .filter(|a| a.kind == ArtifactKind::Dockerfile)
            .map(|a| a.rel.clone())
            .collect();
        // Manifests no unit's files take, and for each unit the code it
        // ships: whether there is any beyond entry scripts (`COPY entry.sh
        // /` is not the program) in a part of the tree, and every directory
        // above it.
        let loose: Vec<&Artifact> = artifacts
            .iter()
            .filter(|a| matches!(a.kind, ArtifactKind::Manifest(_)))
            .filter(|a| units.iter().all(|u| u.holds(&a.rel).is_none()))
            .collect();
        let mut ships_code = Vec::with_capacity(units.len());
        let mut manifest_for: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            let code = artifacts.iter().filter(|a| {
                matches!(a.kind, ArtifactKind::Source(_))
                    && a.context.counts()
                    && u.holds(&a.rel).is_some()
            });
            let mut program = false;
            let mut above: HashSet<&str> = HashSet::new();
            for a in code {
                program |= a.kind != ArtifactKind::Source(Language::Shell);
                if loose.is_empty() {
                    continue;
                }
                let mut d = dir_of(&a.rel);
                while above.insert(d) && !d.is_empty() {
                    d = dir_of(d);
                }
            }
            ships_code.push(program && !u.prebuilt && !u.scope.iter().any(|p| p.is_empty()));
            for m in loose.iter().filter(|m| above.contains(dir_of(&m.rel))) {
                manifest_for.entry(m.rel.clone()).or_default().push(i);
            }
        }
        Owners {
            units,
            compose,
            compose_at,
            dockerfiles,
            ships_code,
            manifest_for,
        }
    }

    /// Where the evidence at `path:line` belongs for unit `i`.
    pub(crate) fn place(&self, i: usize, path: &str, line: Option<u32>) -> Place {
        let u = &self.units[i];
        if let Some(services) = line.and_then(|l| self.compose_at.get(&(path.to_string(), l))) {
            let named = |u: &Unit, c: &ComposeService| {
                u.compose_services
                    .iter()
                    .any(|(f, n)| f == &c.file && n == &c.name)
            };
            let cs: Vec<&ComposeService> = services.iter().map(|&k| &self.compose[k]).collect();
            if cs.iter().any(|c| named(u, c)) {
                return Place::Own;
            }
            if cs
                .iter()
                .any(|c| self.units.iter().any(|other| named(other, c)))
            {
                return Place::Other;
            }
            for c in &cs {
                if let Some(n) = u
                    .neighbours
                    .iter()
                    .find(|n| n.compose == c.file && n.name == c.name)
                {
                    return Place::Neighbour(format!(
                        "third-party image `{}` run beside the service by {} (`{}`), not its code",
                        n.image, n.compose, n.name
                    ));
                }
            }
            if cs.iter().all(|c| c.build.is_none() && c.image.is_some()) {
                return Place::Other;
            }
            return Place::Nobody;
        }
        if self.dockerfiles.contains(path) {
            let builds = |u: &Unit| {
                u.dockerfile.as_deref() == Some(path) || u.also_built_by.iter().any(|d| d == path)
            };
            return match self.units.iter().position(builds) {
                Some(j) if j == i => Place::Own,
                Some(_) => Place::Other,
                None => Place::Nobody,
            };
        }
        let best = self
            .units
            .iter()
            .enumerate()
            .filter_map(|(j, u)| u.holds(path).map(|n| (n, std::cmp::Reverse(j))))
            .max()
            .map(|(_, std::cmp::Reverse(j))| j);
        match best {
            Some(j) if j == i => Place::Own,
            Some(_) => Place::Other,
            None if self
                .manifest_for
                .get(path)
                .is_some_and(|us| us.contains(&i)) =>
            {
                Place::Own
            }
            None => Place::Nobody,
        }
    }

    /// Unit `i`'s hits: its own as they are, its neighbours' in context
    /// `neighbour`, and, for the primary unit, what belongs to no unit
    /// (counted evidence there becomes `unreachable`: nothing ships it).
    /// A lone unit whose files hold no code leaves the rest as it is: its
    /// image does not show which of the tree's code ships.
    pub(crate) fn hits_for(&self, i: usize, hits: &[Hit]) -> Vec<Hit> {
        let primary = self.units[i].primary;
        let single = self.units.len() == 1 && !self.ships_code[i];
        let mut out = Vec::new();
        for h in hits {
            let e = &h.evidence;
            match self.place(i, &e.at.path, e.at.line) {
                Place::Own => out.push(h.clone()),
                Place::Other => {}
                Place::Neighbour(why) => {
                    let mut h = h.clone();
                    h.evidence.context = Context::Neighbour;
                    h.evidence.reason = Some(why);
                    out.push(h);
                }
                Place::Nobody if primary => {
                    let mut h = h.clone();
                    if h.evidence.context.counts() && !single {
                        h.evidence.context = Context::Unreachable;
                        h.evidence.reason = Some(
                            "in no service's files: no Dockerfile copies it and no service builds it"
                                .into(),
                        );
                    }
                    out.push(h);
                }
                Place::Nobody => {}
            }
        }
        out
    }

    /// Whether unit `i` judges a fact at `path:line` as its own (for its
    /// runtime and container).
    pub(crate) fn owns(&self, i: usize, path: &str, line: Option<u32>) -> bool {
        self.place(i, path, line) == Place::Own
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::language::Language;

    fn art(rel: &str, kind: ArtifactKind) -> Artifact {
        Artifact {
            path: rel.into(),
            rel: rel.into(),
            kind,
            context: Context::of_path(rel),
            size: 1,
        }
    }

    #[test]
    fn image_names() {
        assert_eq!(image_name("ghcr.io/acme/shop-api:1.2"), "shop-api");
        assert_eq!(image_name("postgres:16-alpine"), "postgres");
        assert_eq!(image_name("registry:5000/x/y@sha256:ab"), "y");
    }

    fn compose_fact(service: &str, key: &str, value: &str, line: u32) -> Fact {
        Fact::new(
            FactKind::Compose {
                service: service.into(),
                key: key.into(),
                value: value.into(),
            },
            Location::line("docker-compose.yml", line, ""),
            Context::Service,
        )
    }

    /// A Dockerfile instruction of service context at `line`.
    fn instruction(dockerfile: &str, instruction: &str, args: &str, line: u32) -> Fact {
        Fact::new(
            FactKind::Instruction {
                instruction: instruction.into(),
                args: args.into(),
            },
            Location::line(dockerfile, line, ""),
            Context::Service,
        )
    }

    fn plan_of(arts: &[Artifact], facts: &[Fact], root: &str) -> Vec<Unit> {
        plan_with(arts, &[], facts, root).0
    }

    /// The units and diagnostics for `arts`, the kept Dockerfile facts
    /// `kept` and the compose facts `facts`.
    fn plan_with(
        arts: &[Artifact],
        kept: &[Fact],
        facts: &[Fact],
        root: &str,
    ) -> (Vec<Unit>, Vec<Diagnostic>) {
        let compose = compose_services(facts);
        let mut diags = Vec::new();
        let units = plan(
            &Inputs {
                artifacts: arts,
                kept,
                compose: &compose,
                root_name: root,
                present: &Present::default(),
            },
            &mut diags,
        );
        (units, diags)
    }

    #[test]
    fn third_party_images_are_neighbours_but_the_trees_own_image_is_not() {
        let facts = [
            compose_fact("api", "image", "ghcr.io/acme/shop:2", 3),
            compose_fact("db", "image", "postgres:16", 5),
            compose_fact("proxy", "image", "traefik:v3", 7),
            compose_fact(
                "proxy",
                "volumes",
                "/var/run/docker.sock:/var/run/docker.sock",
                8,
            ),
        ];
        let arts = [art("app.py", ArtifactKind::Source(Language::Python))];
        let units = plan_of(&arts, &facts, "shop");
        assert_eq!(units.len(), 1);
        let names: Vec<&str> = units[0]
            .neighbours
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(names, ["db", "proxy"]);
        assert_eq!(units[0].neighbours[1].notes, ["mounts the Docker socket"]);
        assert_eq!(
            units[0].compose_services,
            [("docker-compose.yml".to_string(), "api".to_string())]
        );

        // A developer environment's database says where it runs.
        let mut dev = compose_fact("db", "image", "postgres:16", 3);
        dev.at.path = ".devcontainer/docker-compose.yml".into();
        dev.context = Context::Dev;
        let units = plan_of(&arts, &[dev], "shop");
        assert_eq!(units[0].neighbours[0].notes, ["from a dev compose file"]);
    }

    #[test]
    fn a_tree_of_only_a_compose_file_ships_its_images() {
        let facts = [compose_fact(
            "agent",
            "image",
            "registry.example.com/agent:1",
            3,
        )];
        let arts = [art("docker-compose.yml", ArtifactKind::Compose)];
        let units = plan_of(&arts, &facts, "deploy");
        assert!(units[0].neighbours.is_empty());
        assert_eq!(units[0].compose_services.len(), 1);
    }

    #[test]
    fn compose_builds_make_units_and_equal_scopes_fold_into_one() {
        let facts = [
            compose_fact("web", "build", ".", 3),
            compose_fact("worker", "build", ".", 6),
            compose_fact("worker", "build.dockerfile", "Dockerfile.worker", 6),
            compose_fact("site", "build", "./site", 9),
            compose_fact("cron", "build", ".", 12),
            compose_fact("cron", "build.dockerfile", "Dockerfile.cron", 12),
        ];
        let arts = [
            art("Dockerfile", ArtifactKind::Dockerfile),
            art("Dockerfile.worker", ArtifactKind::Dockerfile),
            art("Dockerfile.cron", ArtifactKind::Dockerfile),
            art("app.py", ArtifactKind::Source(Language::Python)),
            art("site/index.js", ArtifactKind::Source(Language::JavaScript)),
        ];
        let units = plan_of(&arts, &facts, "shop");
        let names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
        // No COPY facts: each unit takes its build context; web and worker
        // take the same one and are one unit, and so does a third image of
        // the same context after the first two folded.
        assert_eq!(names, ["web", "site"]);
        assert_eq!(
            units[0].also_built_by,
            ["Dockerfile.worker", "Dockerfile.cron"]
        );
        assert_eq!(units[0].compose_services.len(), 3);
        assert!(units[0].primary);
        assert_eq!(units[1].root, "site");
        // site's files are its own, the rest the web unit's.
        let compose = compose_services(&facts);
        let owners = Owners::new(&units, &compose, &facts, &arts);
        assert_eq!(owners.place(1, "site/index.js", Some(1)), Place::Own);
        assert_eq!(owners.place(0, "site/index.js", Some(1)), Place::Other);
        assert_eq!(owners.place(0, "app.py", Some(1)), Place::Own);
        assert_eq!(owners.place(0, "docker-compose.yml", Some(6)), Place::Own);
        assert_eq!(owners.place(1, "docker-compose.yml", Some(6)), Place::Other);
    }

    #[test]
    fn a_compose_service_building_a_developer_environment_is_not_a_service() {
        let facts = [
            compose_fact("app", "build", ".", 3),
            compose_fact("app", "build.dockerfile", "dev/docker/Dockerfile", 3),
            compose_fact("db", "image", "mysql:8", 9),
        ];
        let mut dev = art("dev/docker/Dockerfile", ArtifactKind::Dockerfile);
        dev.context = Context::Dev;
        let arts = [
            dev,
            art("app/Http/Kernel.php", ArtifactKind::Source(Language::Php)),
        ];
        let (units, diags) = plan_with(&arts, &[], &facts, "books");
        // The code is judged as the tree, not through the dev image.
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].kind, ServiceKind::Tree);
        assert!(
            diags
                .iter()
                .any(|d| d.message.contains("`dev/docker/Dockerfile`, dev code")),
            "{diags:?}"
        );
        // The same compose file building a service Dockerfile makes a unit.
        let arts = [
            art("dev/docker/Dockerfile", ArtifactKind::Dockerfile),
            art("app/Http/Kernel.php", ArtifactKind::Source(Language::Php)),
        ];
        let units = plan_of(&arts, &facts, "books");
        assert_eq!(units[0].kind, ServiceKind::Container);
    }

    #[test]
    fn remote_build_contexts_are_not_the_tree() {
        let facts = [compose_fact(
            "app",
            "build",
            "https://github.com/acme/app.git#main",
            3,
        )];
        let arts = [art("app.php", ArtifactKind::Source(Language::Php))];
        let (units, diags) = plan_with(&arts, &[], &facts, "x");
        assert_eq!(units[0].kind, ServiceKind::Tree);
        assert!(
            diags[0].message.contains("outside the scanned tree"),
            "{diags:?}"
        );
    }

    #[test]
    fn dockerfiles_in_a_docker_folder_build_from_the_root_and_the_biggest_unit_is_primary() {
        let arts = [
            art("docker/Dockerfile", ArtifactKind::Dockerfile),
            art("agent/Dockerfile", ArtifactKind::Dockerfile),
            art("agent/x.go", ArtifactKind::Source(Language::Go)),
            art("main.go", ArtifactKind::Source(Language::Go)),
            art("pkg/a.go", ArtifactKind::Source(Language::Go)),
            art("web/docker/Dockerfile", ArtifactKind::Dockerfile),
            art(
                "web/src/index.ts",
                ArtifactKind::Source(Language::TypeScript),
            ),
        ];
        let units = plan_of(&arts, &[], "nebula");
        // A part's own docker folder builds from that part.
        let web = units
            .iter()
            .find(|u| u.dockerfile.as_deref() == Some("web/docker/Dockerfile"))
            .unwrap();
        assert_eq!((web.name.as_str(), web.root.as_str()), ("web", "web"));
        let d = units
            .iter()
            .find(|u| u.dockerfile.as_deref() == Some("docker/Dockerfile"))
            .unwrap();
        assert_eq!((d.name.as_str(), d.root.as_str()), ("nebula", "."));
        assert!(d.primary);
        assert!(!units.iter().find(|u| u.root == "agent").unwrap().primary);
    }

    #[test]
    fn a_docker_folder_builds_from_where_its_copy_sources_are() {
        let copy = |df: &str, args: &str, line: u32| instruction(df, "COPY", args, line);
        let kept = [
            // Named from the monorepo's root.
            copy(
                "backend/docker/Dockerfile",
                "backend/package.json backend/package.json",
                3,
            ),
            copy("backend/docker/Dockerfile", "backend/src backend/src", 4),
            // Named from the part.
            copy("web/docker/Dockerfile", "src ./src", 3),
        ];
        let arts = [
            art("backend/docker/Dockerfile", ArtifactKind::Dockerfile),
            art(
                "backend/package.json",
                ArtifactKind::Manifest(ManifestKind::PackageJson),
            ),
            art(
                "backend/src/main.ts",
                ArtifactKind::Source(Language::TypeScript),
            ),
            art("web/docker/Dockerfile", ArtifactKind::Dockerfile),
            art(
                "web/src/index.ts",
                ArtifactKind::Source(Language::TypeScript),
            ),
        ];
        let (units, _) = plan_with(&arts, &kept, &[], "mono");
        let root_of = |d: &str| {
            units
                .iter()
                .find(|u| u.dockerfile.as_deref() == Some(d))
                .map(|u| (u.root.clone(), u.notes.len()))
        };
        assert_eq!(root_of("backend/docker/Dockerfile"), Some((".".into(), 0)));
        assert_eq!(root_of("web/docker/Dockerfile"), Some(("web".into(), 0)));
    }

    #[test]
    fn a_nested_dockerfile_builds_from_the_root_when_the_root_holds_what_it_copies() {
        let copy = |df: &str, args: &str, line: u32| instruction(df, "COPY", args, line);
        let prod = "extras/docker/production/Dockerfile";
        let own = "services/api/Dockerfile";
        let kept = [
            // Named from the root; the folder has a README of its own.
            copy(prod, "pyproject.toml README.md /src/", 3),
            copy(prod, "shop/version.py /src/shop/", 4),
            copy(prod, ". /src", 5),
            // Named from its own folder, whose build output is missing in
            // both places: it keeps its folder.
            copy(own, "package.json ./", 3),
            copy(own, "dist/ ./dist/", 4),
        ];
        let arts = [
            art(prod, ArtifactKind::Dockerfile),
            art("extras/docker/production/README.md", ArtifactKind::Marker),
            art(
                "pyproject.toml",
                ArtifactKind::Manifest(ManifestKind::Pyproject),
            ),
            art("README.md", ArtifactKind::Marker),
            art("shop/version.py", ArtifactKind::Source(Language::Python)),
            art(own, ArtifactKind::Dockerfile),
            art(
                "services/api/package.json",
                ArtifactKind::Manifest(ManifestKind::PackageJson),
            ),
            art(
                "services/api/src/main.ts",
                ArtifactKind::Source(Language::TypeScript),
            ),
        ];
        let (units, _) = plan_with(&arts, &kept, &[], "shop");
        let root_of = |d: &str| {
            units
                .iter()
                .find(|u| u.dockerfile.as_deref() == Some(d))
                .map(|u| u.root.clone())
        };
        assert_eq!(root_of(prod), Some(".".into()));
        assert_eq!(root_of(own), Some("services/api".into()));
    }

    #[test]
    fn a_dockerfile_in_a_folder_without_a_project_builds_from_the_project_above() {
        let arts = [
            art("go.mod", ArtifactKind::Manifest(ManifestKind::GoMod)),
            art("main.go", ArtifactKind::Source(Language::Go)),
            art(
                "packaging/docker/alpine/Dockerfile",
                ArtifactKind::Dockerfile,
            ),
            art(
                "ui/package.json",
                ArtifactKind::Manifest(ManifestKind::PackageJson),
            ),
            art("ui/deploy/web/Dockerfile", ArtifactKind::Dockerfile),
            art("ui/index.js", ArtifactKind::Source(Language::JavaScript)),
            art("agent/go.mod", ArtifactKind::Manifest(ManifestKind::GoMod)),
            art("agent/Dockerfile", ArtifactKind::Dockerfile),
        ];
        let run = |df: &str, args: &str| instruction(df, "RUN", args, 4);
        let kept = [
            run(
                "packaging/docker/alpine/Dockerfile",
                "go build -o /bin/flux .",
            ),
            run("ui/deploy/web/Dockerfile", "npm ci && npm run build"),
            run("agent/Dockerfile", "CGO_ENABLED=0 go build ./..."),
            run("site/Dockerfile", "apk add --no-cache nginx"),
        ];
        let mut arts = arts.to_vec();
        arts.push(art("site/Dockerfile", ArtifactKind::Dockerfile));
        let (units, _) = plan_with(&arts, &kept, &[], "flux");
        let root_of = |d: &str| {
            units
                .iter()
                .find(|u| {
                    u.dockerfile.as_deref() == Some(d) || u.also_built_by.iter().any(|b| b == d)
                })
                .map(|u| u.root.clone())
        };
        assert_eq!(
            root_of("packaging/docker/alpine/Dockerfile").as_deref(),
            Some(".")
        );
        assert_eq!(root_of("ui/deploy/web/Dockerfile").as_deref(), Some("ui"));
        // A folder with its own project builds from itself.
        assert_eq!(root_of("agent/Dockerfile").as_deref(), Some("agent"));
        // An image that builds nothing (static files for nginx) keeps its
        // folder.
        assert_eq!(root_of("site/Dockerfile").as_deref(), Some("site"));
        assert!(builds_code(&kept, "ui/deploy/web/Dockerfile"));
        assert!(!builds_code(&kept, "site/Dockerfile"));
        assert_eq!(project_above(&arts, "agent"), None);
        assert_eq!(
            project_above(&arts, "packaging/docker/alpine").as_deref(),
            Some("")
        );
    }

    #[test]
    fn joins_fold_dots_and_refuse_to_leave_the_root() {
        assert_eq!(join("a/b", "../c").as_deref(), Some("a/c"));
        assert_eq!(join("", "./api").as_deref(), Some("api"));
        assert_eq!(join("", "."), Some(String::new()));
        assert_eq!(join("a", "../../x"), None);
        assert_eq!(join("", "/etc"), None);
    }

    #[test]
    fn a_build_through_a_bind_mount_takes_the_code_it_mounts() {
        // The UI stage copies `ui/`; the Go stage mounts the whole context.
        let df = "Dockerfile";
        let kept = [
            instruction(df, "COPY", "ui/ ./", 3),
            instruction(
                df,
                "RUN",
                "--mount=type=bind,source=. --mount=type=cache,target=/go/pkg/mod go build -o /out/app .",
                7,
            ),
        ];
        let arts = [
            art(df, ArtifactKind::Dockerfile),
            art("go.mod", ArtifactKind::Manifest(ManifestKind::GoMod)),
            art("main.go", ArtifactKind::Source(Language::Go)),
            art(
                "ui/src/index.ts",
                ArtifactKind::Source(Language::TypeScript),
            ),
        ];
        let (units, _) = plan_with(&arts, &kept, &[], "app");
        let u = units
            .iter()
            .find(|u| u.dockerfile.as_deref() == Some(df))
            .unwrap();
        assert_eq!(u.holds("main.go"), Some(0), "{:?}", u.scope);
        // Without the mount, only the UI is the image's.
        let (units, _) = plan_with(&arts, &kept[..1], &[], "app");
        let u = units
            .iter()
            .find(|u| u.dockerfile.as_deref() == Some(df))
            .unwrap();
        assert_eq!(u.holds("main.go"), None, "{:?}", u.scope);
    }

    #[test]
    fn bind_mounts_read_the_context_like_a_copy() {
        assert_eq!(
            bind_sources(
                "--mount=type=bind,source=. --mount=type=cache,target=/root/.cache go build ."
            ),
            ["."]
        );
        assert_eq!(bind_sources("--mount=type=bind,target=/src make"), ["."]);
        assert_eq!(
            bind_sources("--mount=type=bind,src=cmd/api,target=/src go build"),
            ["cmd/api"]
        );
        // Another stage's files, a cache, or a mount named after the
        // command: nothing from the context.
        assert!(
            bind_sources("--mount=type=bind,from=ui,source=/build,target=./ui/build go build")
                .is_empty()
        );
        assert!(bind_sources("--mount=type=cache,target=/go/pkg/mod go mod download").is_empty());
        assert!(bind_sources("echo --mount=type=bind,source=.").is_empty());
    }

    #[test]
    fn instruction_words_read_flags_before_the_json_form() {
        assert_eq!(
            instruction_words(r#"--chown=1000:1000 ["pyproject.toml", "uv.lock", "/src/"]"#),
            ["--chown=1000:1000", "pyproject.toml", "uv.lock", "/src/"]
        );
        assert_eq!(instruction_words(r#"["a b", "/c"]"#), ["a b", "/c"]);
        assert_eq!(
            instruction_words("--link a.txt 'b c'"),
            ["--link", "a.txt", "b", "c"]
        );
        // Not JSON after all: shell words, as before.
        assert_eq!(
            instruction_words("--chown=1 [a /b"),
            ["--chown=1", "[a", "/b"]
        );
    }

    #[test]
    fn wrappers_are_taken_off_a_command() {
        let w = |s: &str| instruction_words(s);
        let rest = |s: &str| unwrapped(&w(s)).to_vec();
        assert_eq!(rest("tini -- node server.js"), w("node server.js"));
        assert_eq!(rest("/sbin/tini -s -- ./start.sh"), w("./start.sh"));
        assert_eq!(rest("gosu app:app su-exec 1000 bash run.sh"), w("run.sh"));
        assert_eq!(rest("gunicorn app:app"), w("gunicorn app:app"));
        assert!(rest("gosu").is_empty());
    }

    #[test]
    fn commands_resolve_to_entry_files() {
        let arts = [
            art("api/main.py", ArtifactKind::Source(Language::Python)),
            art("api/pkg/wsgi.py", ArtifactKind::Source(Language::Python)),
            art(
                "api/gunicorn.conf.py",
                ArtifactKind::Source(Language::Python),
            ),
            art(
                "api/pkg/__main__.py",
                ArtifactKind::Source(Language::Python),
            ),
            art("web/server.js", ArtifactKind::Source(Language::JavaScript)),
            art("api/tool.go", ArtifactKind::Source(Language::Go)),
        ];
        let mut u = whole_tree("x").remove(0);
        u.scope = vec!["api/".into()];
        let w = |s: &str| instruction_words(s);
        assert_eq!(
            resolve_command(&w(r#"["uvicorn", "main:app", "--port", "80"]"#), &u, &arts),
            (EntryKind::Wsgi, Some("api/main.py".into()))
        );
        assert_eq!(
            resolve_command(&w("gunicorn -w 2 pkg.wsgi:application"), &u, &arts),
            (EntryKind::Wsgi, Some("api/pkg/wsgi.py".into()))
        );
        // gunicorn's configuration file is not the application.
        assert_eq!(
            resolve_command(
                &w("gunicorn -c /srv/api/gunicorn.conf.py --worker-tmp-dir /dev/shm pkg.wsgi"),
                &u,
                &arts
            ),
            (EntryKind::Wsgi, Some("api/pkg/wsgi.py".into()))
        );
        assert_eq!(
            resolve_command(&w("python3 -m uvicorn pkg.wsgi:app --port 80"), &u, &arts),
            (EntryKind::Wsgi, Some("api/pkg/wsgi.py".into()))
        );
        assert_eq!(
            resolve_command(&w("python -m pkg"), &u, &arts),
            (EntryKind::PythonMain, Some("api/pkg/__main__.py".into()))
        );
        assert_eq!(
            resolve_command(&w(r#"["go", "run", "tool.go"]"#), &u, &arts),
            (EntryKind::Dockerfile, Some("api/tool.go".into()))
        );
        assert_eq!(
            resolve_command(&w(r#"["fastapi", "run", "--workers", "4"]"#), &u, &arts),
            (EntryKind::Wsgi, Some("api/main.py".into()))
        );
        assert_eq!(
            resolve_command(&w("fastapi run pkg/wsgi.py"), &u, &arts),
            (EntryKind::Wsgi, Some("api/pkg/wsgi.py".into()))
        );
        assert_eq!(
            resolve_command(&w("fastapi deploy"), &u, &arts),
            (EntryKind::Dockerfile, None)
        );
        // A path in the image: the part the tree holds.
        assert_eq!(
            resolve_command(&w("python /srv/app/main.py"), &u, &arts),
            (EntryKind::PythonMain, Some("api/main.py".into()))
        );
        assert_eq!(
            resolve_command(&w("python srv/app/main.py"), &u, &arts),
            (EntryKind::Dockerfile, None)
        );
        // Out of the unit's scope: not its entry.
        assert_eq!(
            resolve_command(&w("node server.js"), &u, &arts),
            (EntryKind::Dockerfile, None)
        );
    }

    #[test]
    fn rack_servers_start_the_rackup_file() {
        let arts = [
            art("config.ru", ArtifactKind::Source(Language::Ruby)),
            art("admin.ru", ArtifactKind::Source(Language::Ruby)),
            art("config/puma.rb", ArtifactKind::Source(Language::Ruby)),
        ];
        let u = whole_tree("x").remove(0);
        let w = |s: &str| instruction_words(s);
        let rack = |s: &str| resolve_command(&w(s), &u, &arts);
        // The server's own configuration is not the application.
        assert_eq!(
            rack("bundle exec puma -C config/puma.rb"),
            (EntryKind::Rack, Some("config.ru".into()))
        );
        assert_eq!(
            rack(r#"["bundle", "exec", "rails", "s", "-b", "0.0.0.0"]"#),
            (EntryKind::Rack, Some("config.ru".into()))
        );
        assert_eq!(
            rack("rackup admin.ru -p 9292"),
            (EntryKind::Rack, Some("admin.ru".into()))
        );
        // Bundler running anything else is not a Rack server.
        assert_eq!(
            rack("bundle exec rake db:migrate"),
            (EntryKind::Dockerfile, None)
        );
        assert_eq!(rack("rails console"), (EntryKind::Dockerfile, None));
    }

    #[test]
    fn scopes_compare_by_their_outermost_prefixes() {
        let s = |v: &[&str]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        // Two images that copy the whole context plus their own scripts take
        // the same files.
        let a = s(&["", "docker/web/init"]);
        let b = s(&["docker/worker/run.sh", ""]);
        assert_eq!(outermost(a.iter()), outermost(b.iter()));
        assert_eq!(outermost(a.iter()), [""]);
        // A folder and a file inside it: the folder.
        let c = s(&["api/", "api/main.py", "web/"]);
        assert_eq!(outermost(c.iter()), ["api/", "web/"]);
        // `api` (a file) does not hold `api2/x`; different scopes stay apart.
        let d = s(&["api", "api2/x"]);
        assert_eq!(outermost(d.iter()), ["api", "api2/x"]);
        assert_ne!(outermost(c.iter()), outermost(d.iter()));
    }

    #[test]
    fn an_empty_tree_has_nothing_to_judge() {
        let why = nothing_to_judge::<Artifact>(&[], 0, &[]).expect("unknown");
        assert!(why.starts_with("no service code"), "{why}");
    }

    #[test]
    fn docs_tests_and_examples_are_not_service_code() {
        let arts = [
            art("README.md", ArtifactKind::Marker),
            art("tests/test_x.py", ArtifactKind::Source(Language::Python)),
            art("examples/demo.go", ArtifactKind::Source(Language::Go)),
        ];
        let why = nothing_to_judge(&arts, 0, &[]).expect("unknown");
        assert!(why.contains("1 test") && why.contains("1 example"), "{why}");
    }

    #[test]
    fn service_code_or_image_facts_are_something_to_judge() {
        let arts = [art("app.py", ArtifactKind::Source(Language::Python))];
        assert_eq!(nothing_to_judge(&arts, 0, &[]), None);
        assert_eq!(nothing_to_judge::<Artifact>(&[], 3, &[]), None);
    }
}
