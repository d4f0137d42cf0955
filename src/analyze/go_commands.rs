//! Go packages walked a declaration at a time: a package of cobra
//! commands, where the image runs one command (`CMD ["server"]`, or the
//! root one when it names none) and the other commands are side programs
//! that ship beside it; and any package of a tree whose shipping Go code
//! holds a blocker's or a major's evidence, where a helper only a side
//! program calls (`utils.Command`, used by the build scripts' program) is
//! not on the service's path although the service imports its package.
//!
//! The import graph takes a Go package as one node, since the compiler
//! does. In a package of commands that puts `shiori open` (which starts a
//! browser) on the path of `shiori server`. Here such a package's
//! top-level declarations are nodes of their own (`parse::go_names`),
//! joined by the names they use: a function reaches the declarations of
//! the names it uses, the imports it uses, and through an import the
//! declarations of the exported names it uses through that import's name
//! (`utils.Trim` reaches `Trim`, not the `Command` of a `cobra.Command`
//! beside it); code that runs at load (`func init()`) is reached with its
//! package. A command file that defines no command the image's command
//! line names, and neither starts a command tree nor adds another file's
//! commands, is cut from that walk and becomes a side entry point: what
//! only it reaches is `optional`, down to the function a piece of evidence
//! sits in.
//!
//! Commands are cut only where the unit's command line is known (an
//! image's entry that starts the Go program); a package is walked a
//! declaration at a time only when every Go file of it was read
//! (scan::go_files). Names within a package are matched without types, so
//! a name used for something else still joins two declarations: the walk
//! errs towards reaching more.

use crate::analyze::reach::{Chain, Entry, File, Placed};
use crate::model::fact::Location;
use crate::model::language::Language;
use crate::model::path::dir_of;
use crate::parse::go_names::{Decl, GoFile};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Declarations of one name in a package joined directly; past this, a
/// use steps to them through one shared node.
const MAX_DIRECT: usize = 8;

/// Marks a Go file whose package is walked a declaration at a time.
pub(crate) const FILE_LEVEL: &str = "(go declarations)";

/// What the walk needs: the command line the image starts the program
/// with (every word of it), and each Go file's declarations.
#[derive(Clone, Copy)]
pub(crate) struct Commands<'a> {
    pub argv: &'a [String],
    pub files: &'a HashMap<String, Box<GoFile>>,
}

/// Gives `FILE_LEVEL` to the Go files of each package whose files were
/// all read; to a package that defines a cobra command only when the
/// image's command line is known (`commands_known`), since which of its
/// commands runs follows from that line.
pub(crate) fn mark(files: &mut [File], go: &HashMap<String, Box<GoFile>>, commands_known: bool) {
    let mut commands: HashSet<String> = HashSet::new();
    let mut unread: HashSet<String> = HashSet::new();
    for f in files.iter().filter(|f| f.language == Language::Go) {
        let dir = dir_of(&f.rel).to_string();
        match go.get(&f.rel) {
            None => {
                unread.insert(dir);
            }
            Some(g) if !g.commands.is_empty() => {
                commands.insert(dir);
            }
            Some(_) => {}
        }
    }
    if go.is_empty() {
        return;
    }
    for f in files.iter_mut().filter(|f| f.language == Language::Go) {
        let dir = dir_of(&f.rel);
        if (commands_known || !commands.contains(dir)) && !unread.contains(dir) {
            f.declares.push(FILE_LEVEL.to_string());
        }
    }
}

/// The words of the command line a unit's image starts its Go program
/// with (`ENTRYPOINT`, `CMD`, a compose `command:`), when the image starts
/// the Go program itself: one of its main entry points resolves to a Go
/// file (`go run main.go`), or the program it runs is named like a cobra
/// command of the tree (`/usr/bin/shiori`, the root command `shiori`).
/// Which command runs then follows from the words (`unselected`);
/// `None` when the image starts something else (a script, a supervisor),
/// whose command line is not the program's.
pub(crate) fn command_line(
    u: &crate::analyze::units::Unit,
    files: &[File],
    go: &HashMap<String, Box<GoFile>>,
) -> Option<Vec<String>> {
    use crate::model::service::EntryKind;
    let image: Vec<&crate::model::service::EntryPoint> = u
        .entry_points
        .iter()
        .filter(|e| e.main && matches!(e.kind, EntryKind::Dockerfile | EntryKind::Compose))
        .collect();
    let words: Vec<Vec<String>> = image
        .iter()
        .map(|e| crate::analyze::entries::command_words(&e.declared_in.snippet))
        .collect();
    let runs_go_file = image.iter().any(|e| {
        e.path.as_ref().is_some_and(|p| {
            files
                .iter()
                .any(|f| &f.rel == p && f.language == Language::Go)
        })
    });
    let program = words
        .first()
        .and_then(|w| crate::analyze::entries::program(w))
        .map(|p| p.rsplit('/').next().unwrap_or(p));
    let named_command =
        program.is_some_and(|p| go.values().any(|g| g.commands.iter().any(|c| c == p)));
    (runs_go_file || named_command).then(|| words.into_iter().flatten().collect())
}

/// Whether the file's package is walked a declaration at a time.
pub(crate) fn file_level(f: &File) -> bool {
    f.language == Language::Go && f.declares.iter().any(|d| d == FILE_LEVEL)
}

/// The node an entry point in `f` starts from: the whole file (all its
/// declarations) where its package is walked a declaration at a time.
pub(crate) fn whole(f: &File) -> Option<String> {
    file_level(f).then(|| format!("{}#*", f.rel))
}

fn decl_node(rel: &str, i: usize) -> String {
    format!("{rel}#{i}")
}

/// One package walked a declaration at a time.
struct Package<'a> {
    files: Vec<(&'a str, &'a GoFile)>,
}

/// Rewires `edges` for the packages walked a declaration at a time:
/// declarations join the imports and the declarations they use, imports
/// into those packages reach only what the importer uses. Returns the
/// command files the command line does not run, as side entry points.
pub(crate) fn edges(
    files: &[File],
    go: Commands,
    edges: &mut HashMap<String, Vec<(String, Location)>>,
    notes: &mut Vec<String>,
) -> Vec<Entry> {
    let mut packages: HashMap<&str, Package> = HashMap::new();
    for f in files.iter().filter(|f| file_level(f)) {
        if let Some(g) = go.files.get(&f.rel) {
            packages
                .entry(dir_of(&f.rel))
                .or_insert_with(|| Package { files: Vec::new() })
                .files
                .push((f.rel.as_str(), g));
        }
    }
    if packages.is_empty() {
        return Vec::new();
    }
    let cut = unselected(&packages, go.argv);
    // Per package, each name's declarations (files the command line does
    // not run left out), and the declarations that run at load. A cut
    // file's `init()` runs too, but in a command file it registers the
    // command (`rootCmd.AddCommand(scanCmd)`), whose code runs only when
    // the command line names it: the side walk from the file reaches it.
    let mut declared: HashMap<(&str, &str), Vec<(&str, usize)>> = HashMap::new();
    let mut at_load: HashMap<&str, Vec<(&str, usize)>> = HashMap::new();
    for (dir, p) in &packages {
        for (rel, g) in p.files.iter().filter(|(rel, _)| !cut.contains(rel)) {
            for (i, d) in g.decls.iter().enumerate() {
                for n in &d.names {
                    declared
                        .entry((dir, n.as_str()))
                        .or_default()
                        .push((rel, i));
                }
                if d.init {
                    at_load.entry(dir).or_default().push((rel, i));
                }
            }
        }
    }
    // Shared steps keep the graph linear in the names used: every
    // declaration of a package (`go-all:`), its load-time code
    // (`go-init:`), and each name more than a few declarations share
    // (`go-name:`, a method name many types have).
    for (dir, p) in &packages {
        let all: Vec<(String, Location)> = p
            .files
            .iter()
            .filter(|(rel, _)| !cut.contains(rel))
            .flat_map(|(rel, g)| {
                g.decls.iter().enumerate().map(move |(i, d)| {
                    let name = d.names.first().map_or("", String::as_str);
                    (decl_node(rel, i), Location::file(rel, name))
                })
            })
            .collect();
        edges.insert(format!("go-all:{dir}"), all);
        if let Some(init) = at_load.get(dir) {
            let steps = init
                .iter()
                .map(|(rel, i)| (decl_node(rel, *i), Location::file(rel, "runs at load")))
                .collect();
            edges.insert(format!("go-init:{dir}"), steps);
        }
    }
    for ((dir, name), decls) in declared.iter().filter(|(_, d)| d.len() > MAX_DIRECT) {
        let steps = decls
            .iter()
            .map(|(rel, i)| (decl_node(rel, *i), Location::file(rel, name)))
            .collect();
        edges.insert(format!("go-name:{dir}:{name}"), steps);
    }
    // The nodes a use of `name` in package `dir` steps to.
    let named = |dir: &str, name: &str| -> Vec<String> {
        match declared.get(&(dir, name)) {
            Some(d) if d.len() > MAX_DIRECT => vec![format!("go-name:{dir}:{name}")],
            Some(d) => d.iter().map(|(rel, i)| decl_node(rel, *i)).collect(),
            None => Vec::new(),
        }
    };
    let init_of = |dir: &str| at_load.contains_key(dir).then(|| format!("go-init:{dir}"));

    // A file's imports go to the declarations that use them; an import no
    // declaration is seen to use (`_`, a name read wrongly) stays with the
    // file, which every one of its declarations reaches.
    for p in packages.values() {
        for (rel, g) in &p.files {
            let Some(out) = edges.remove(*rel) else {
                continue;
            };
            let mut kept = Vec::new();
            for (target, at) in out {
                let name = at
                    .line
                    .and_then(|l| g.imports.iter().find(|(line, _)| *line == l))
                    .map(|(_, n)| n.as_str())
                    .filter(|n| !n.is_empty() && *n != ".");
                let users: Vec<usize> = match name {
                    Some(n) if !g.uses_all => g
                        .decls
                        .iter()
                        .enumerate()
                        .filter(|(_, d)| d.uses.iter().any(|u| u == n))
                        .map(|(i, _)| i)
                        .collect(),
                    _ => Vec::new(),
                };
                if users.is_empty() {
                    kept.push((target, at));
                    continue;
                }
                for i in users {
                    edges
                        .entry(decl_node(rel, i))
                        .or_default()
                        .push((target.clone(), at.clone()));
                }
            }
            if !kept.is_empty() {
                edges.insert(rel.to_string(), kept);
            }
        }
    }

    // Imports into such a package: the declarations of the exported names
    // the importer uses, and what runs at load.
    let go_dirs: HashMap<&str, Vec<&str>> = files
        .iter()
        .filter(|f| f.language == Language::Go)
        .fold(HashMap::new(), |mut m, f| {
            m.entry(dir_of(&f.rel)).or_default().push(f.rel.as_str());
            m
        });
    // One list of every declaration of a node (a package, a file, one
    // declaration), joined: `None` where a file of it may use any name.
    let lists_of = |node: &str, list: fn(&Decl) -> &Vec<String>| -> Option<HashSet<&str>> {
        let decls_of = |rel: &str| -> Option<Vec<&Vec<String>>> {
            let g = go.files.get(rel).filter(|g| !g.uses_all)?;
            Some(g.decls.iter().map(list).collect())
        };
        let lists: Vec<&Vec<String>> = if let Some(dir) = node.strip_prefix("go:") {
            let mut all = Vec::new();
            for rel in go_dirs.get(dir)? {
                all.extend(decls_of(rel)?);
            }
            all
        } else if let Some((rel, i)) = node.rsplit_once('#') {
            let g = go.files.get(rel).filter(|g| !g.uses_all)?;
            vec![list(g.decls.get(i.parse::<usize>().ok()?)?)]
        } else {
            decls_of(node)?
        };
        Some(lists.into_iter().flatten().map(String::as_str).collect())
    };
    // The names a node uses, and its `pkg.Name` selectors.
    let uses = |node: &str| lists_of(node, |d| &d.uses);
    let selected = |node: &str| lists_of(node, |d| &d.selected);
    // The name the import at `at` is used by in its file (none for `_`
    // and `.`).
    let alias = |at: &Location| -> Option<&str> {
        let g = go.files.get(&at.path)?;
        let line = at.line?;
        let (_, name) = g.imports.iter().find(|(l, _)| *l == line)?;
        Some(name.as_str()).filter(|n| !n.is_empty() && *n != ".")
    };
    for (source, out) in edges.iter_mut() {
        if !out.iter().any(|(t, _)| split(t, &packages).is_some()) {
            continue;
        }
        let used = uses(source);
        let selectors = selected(source);
        let mut next = Vec::with_capacity(out.len());
        for (target, at) in out.drain(..) {
            let Some(dir) = split(&target, &packages) else {
                next.push((target, at));
                continue;
            };
            // Through the import's own name where the importer was read
            // (`utils.Command` reaches utils' `Command`, a `cobra.Command`
            // beside it does not); else any exported name it uses.
            let through = alias(&at).zip(selectors.as_ref());
            let targets: BTreeSet<String> = match (&used, through) {
                (Some(_), Some((a, sel))) => sel
                    .iter()
                    .filter_map(|q| q.strip_prefix(a)?.strip_prefix('.'))
                    .flat_map(|n| named(dir, n))
                    .chain(init_of(dir))
                    .collect(),
                (Some(names), None) => names
                    .iter()
                    .filter(|n| n.starts_with(|c: char| c.is_ascii_uppercase()))
                    .flat_map(|n| named(dir, n))
                    .chain(init_of(dir))
                    .collect(),
                (None, _) => BTreeSet::from([format!("go-all:{dir}")]),
            };
            next.extend(targets.into_iter().map(|t| (t, at.clone())));
        }
        *out = next;
    }

    // Within a package: a declaration reaches its file's leftover imports,
    // the declarations of the names it uses; a whole file (an entry point,
    // a side command) all its declarations and what runs at load.
    for (dir, p) in &packages {
        for (rel, g) in &p.files {
            let mut whole: Vec<(String, Location)> = Vec::new();
            for (i, d) in g.decls.iter().enumerate() {
                let name = d.names.first().map_or("", String::as_str);
                let node = decl_node(rel, i);
                whole.push((node.clone(), Location::file(rel, name)));
                let mut out = vec![(rel.to_string(), Location::file(rel, name))];
                if g.uses_all {
                    let why = "uses any name of its package";
                    out.push((format!("go-all:{dir}"), Location::file(rel, why)));
                } else {
                    let mut seen: HashSet<String> = HashSet::new();
                    for u in &d.uses {
                        for t in named(dir, u) {
                            if t != node && seen.insert(t.clone()) {
                                out.push((t, Location::file(rel, u)));
                            }
                        }
                    }
                }
                edges.entry(node).or_default().extend(out);
            }
            if let Some(init) = init_of(dir) {
                whole.push((init, Location::file(rel, "runs at load")));
            }
            edges.insert(format!("{rel}#*"), whole);
        }
    }

    if !cut.is_empty() {
        let mut names: Vec<&str> = packages
            .values()
            .flat_map(|p| p.files.iter())
            .filter(|(rel, _)| cut.contains(rel))
            .flat_map(|(_, g)| g.commands.iter().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        let shown: Vec<&str> = names.iter().take(6).copied().collect();
        notes.push(format!(
            "commands the image does not run are side programs: {}{}",
            shown.join(", "),
            if names.len() > shown.len() {
                " and more"
            } else {
                ""
            }
        ));
    }
    let mut side: Vec<&str> = cut.into_iter().collect();
    side.sort_unstable();
    side.into_iter()
        .map(|rel| Entry {
            rel: rel.to_string(),
            main: false,
            scans: false,
        })
        .collect()
}

/// Where each declaration (and each import, by the declarations that use
/// it) of a file walked a declaration at a time was placed by the walks
/// from the main (`main`) and side (`side`) entry points: (first line,
/// last line, placement), per file.
pub(crate) fn spans(
    files: &[File],
    go: &HashMap<String, Box<GoFile>>,
    main: &HashMap<String, Chain>,
    side: &HashMap<String, Chain>,
) -> HashMap<String, Vec<(u32, u32, Placed)>> {
    let mut out = HashMap::new();
    for f in files.iter().filter(|f| file_level(f)) {
        let Some(g) = go.get(&f.rel) else { continue };
        let place = |i: usize| {
            let node = decl_node(&f.rel, i);
            match (main.get(&node), side.get(&node)) {
                (Some(chain), _) => Placed::Reached(chain.clone()),
                (None, Some(chain)) => Placed::Optional(chain.clone()),
                (None, None) => Placed::Unreachable,
            }
        };
        let decls: Vec<Placed> = (0..g.decls.len()).map(place).collect();
        let mut spans: Vec<(u32, u32, Placed)> = g
            .decls
            .iter()
            .zip(&decls)
            .map(|(d, p)| (d.first, d.last, p.clone()))
            .collect();
        for (line, name) in g.imports.iter().filter(|(_, n)| !n.is_empty() && n != ".") {
            if g.uses_all {
                break;
            }
            let best = g
                .decls
                .iter()
                .zip(&decls)
                .filter(|(d, _)| d.uses.iter().any(|u| u == name))
                .map(|(_, p)| p)
                .min_by_key(|p| rank(p));
            if let Some(p) = best {
                spans.push((*line, *line, p.clone()));
            }
        }
        out.insert(f.rel.clone(), spans);
    }
    out
}

/// Reached before optional before unreachable.
fn rank(p: &Placed) -> u8 {
    match p {
        Placed::Reached(_) => 0,
        Placed::Optional(_) => 1,
        Placed::Undecided => 2,
        Placed::Unreachable => 3,
    }
}

/// The command files the command line does not run. Where it names a
/// command after the program (`shiori server`), those that define only
/// other commands; where it names none, those that define only
/// subcommands, when the root command runs something itself (a root
/// with no `Run` prints its help: the image's commands come from `docker
/// run`, any of them). A file that starts a command tree or adds another
/// file's commands, or defines the command the program is named for, is
/// the root's and stays. Nothing is cut when no such file is known and the
/// line names no command: which command runs is then unknown.
fn unselected<'a>(packages: &HashMap<&str, Package<'a>>, argv: &[String]) -> HashSet<&'a str> {
    fn base(w: &str) -> &str {
        w.rsplit('/').next().unwrap_or(w)
    }
    let program = crate::analyze::entries::program(argv).map(|p| base(p).to_string());
    let after: HashSet<&str> = argv
        .iter()
        .map(String::as_str)
        .skip_while(|w| Some(base(w)) != program.as_deref())
        .skip(1)
        .collect();
    let command_files: Vec<(&str, &GoFile)> = packages
        .values()
        .flat_map(|p| p.files.iter().copied())
        .filter(|(_, g)| !g.commands.is_empty())
        .collect();
    let is_program = |c: &String| program.as_deref() == Some(c.as_str());
    let root = |g: &GoFile| g.executes || g.parent || g.commands.iter().any(is_program);
    let named = |g: &GoFile| g.commands.iter().any(|c| after.contains(c.as_str()));
    let any_named = command_files.iter().any(|(_, g)| named(g));
    if !any_named {
        // The program's own command, else the one a file starts.
        let root_runs = if command_files
            .iter()
            .any(|(_, g)| g.commands.iter().any(is_program))
        {
            command_files
                .iter()
                .any(|(_, g)| g.running.iter().any(is_program))
        } else {
            command_files
                .iter()
                .any(|(_, g)| g.executes && !g.running.is_empty())
        };
        if !root_runs {
            return HashSet::new();
        }
    }
    command_files
        .into_iter()
        .filter(|(_, g)| !root(g) && !named(g))
        .map(|(rel, _)| rel)
        .collect()
}

/// The package directory of a `go:DIR` node walked a declaration at a
/// time.
fn split<'a>(node: &str, packages: &HashMap<&'a str, Package>) -> Option<&'a str> {
    let dir = node.strip_prefix("go:")?;
    packages.get_key_value(dir).map(|(d, _)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::reach::walk_with;
    use crate::model::fact::{Fact, FactKind};

    const MAIN: &str = "package main\n\nimport \"github.com/acme/shop/internal/cmd\"\n\nfunc main() { cmd.Root().Execute() }\n";
    const ROOT: &str = "package cmd\n\nfunc Root() *cobra.Command {\n\tc := &cobra.Command{Use: \"shop\"}\n\tc.AddCommand(serverCmd(), openCmd())\n\tsetup()\n\treturn c\n}\n\nfunc setup() { Prettify(\"x\") }\n";
    const SERVER: &str = "package cmd\n\nimport \"github.com/acme/shop/internal/web\"\n\nfunc serverCmd() *cobra.Command {\n\treturn &cobra.Command{Use: \"server\", Run: func(c *cobra.Command, a []string) { web.Listen() }}\n}\n";
    const OPEN: &str = "package cmd\n\nfunc openCmd() *cobra.Command {\n\treturn &cobra.Command{Use: \"open [ids]\", Run: func(c *cobra.Command, a []string) { openBrowser(a[0]) }}\n}\n";
    // A helper file the server uses part of: the spawn is in the part
    // only `open` calls.
    const UTILS: &str = "package cmd\n\nimport (\n\t\"os/exec\"\n\t\"strings\"\n)\n\nfunc openBrowser(url string) error {\n\treturn exec.Command(\"xdg-open\", url).Run()\n}\n\nfunc Prettify(s string) string { return strings.TrimSpace(s) }\n";
    const WEB: &str = "package web\n\nfunc Listen() {}\n";

    struct Tree {
        files: Vec<File>,
        go: HashMap<String, Box<GoFile>>,
        imports: Vec<Fact>,
    }

    fn tree(sources: &[(&str, &str)]) -> Tree {
        let mut files = Vec::new();
        let mut go = HashMap::new();
        let mut imports = Vec::new();
        for (rel, src) in sources {
            let view = crate::parse::lex::lex(Language::Go, src);
            let g = crate::parse::go_names::file(&view);
            for (line, _) in &g.imports {
                let text = src.lines().nth(*line as usize - 1).unwrap();
                let module = text.split('"').nth(1).unwrap();
                imports.push(Fact::new(
                    FactKind::Import {
                        language: Language::Go,
                        module: module.into(),
                    },
                    Location::line(rel, *line, text),
                    crate::model::context::Context::Service,
                ));
            }
            go.insert(rel.to_string(), Box::new(g));
            files.push(File {
                rel: rel.to_string(),
                language: Language::Go,
                dynamic: false,
                declares: Vec::new(),
                refers: Vec::new(),
            });
        }
        mark(&mut files, &go, true);
        Tree { files, go, imports }
    }

    fn shop() -> Vec<(&'static str, &'static str)> {
        vec![
            ("main.go", MAIN),
            ("internal/cmd/root.go", ROOT),
            ("internal/cmd/server.go", SERVER),
            ("internal/cmd/open.go", OPEN),
            ("internal/cmd/utils.go", UTILS),
            ("internal/web/web.go", WEB),
        ]
    }

    /// Where the line of `rel` is placed: its declaration's placement, else
    /// the file's.
    fn at(t: &Tree, argv: &[&str], rel: &str, line: u32) -> Placed {
        let entries = [Entry {
            rel: "main.go".into(),
            main: true,
            scans: false,
        }];
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let go = Commands {
            argv: &argv,
            files: &t.go,
        };
        let out = walk_with(&t.files, &t.imports, &entries, Some(go));
        out.placed_at(rel, Some(line)).cloned().unwrap()
    }

    fn reached(p: &Placed) -> bool {
        matches!(p, Placed::Reached(_))
    }

    fn optional(p: &Placed) -> bool {
        matches!(p, Placed::Optional(_))
    }

    /// A package of helpers is walked a declaration at a time too, and an
    /// import reaches what the importer names through it: `exec.Command`
    /// beside `utils.Trim` does not reach utils' `Command`.
    #[test]
    fn an_import_reaches_the_names_used_through_it() {
        const UTILS: &str = "package utils\n\nimport (\n\t\"os/exec\"\n\t\"strings\"\n)\n\nfunc Command(name string) *exec.Cmd {\n\treturn exec.Command(name)\n}\n\nfunc Trim(s string) string { return strings.TrimSpace(s) }\n";
        let main = |call: &str| {
            format!("package main\n\nimport (\n\t\"os/exec\"\n\n\t\"github.com/acme/auth/internal/utils\"\n)\n\nfunc main() {{\n\t_ = exec.Command(\"true\")\n\t{call}\n}}\n")
        };
        let trim = main("utils.Trim(\" x \")");
        let t = tree(&[("main.go", &trim), ("internal/utils/utils.go", UTILS)]);
        assert!(reached(&at(&t, &[], "internal/utils/utils.go", 12)));
        assert_eq!(
            at(&t, &[], "internal/utils/utils.go", 9),
            Placed::Unreachable
        );
        // The import only `Command` uses goes with it.
        assert_eq!(
            at(&t, &[], "internal/utils/utils.go", 4),
            Placed::Unreachable
        );
        let command = main("utils.Command(\"x\")");
        let t = tree(&[("main.go", &command), ("internal/utils/utils.go", UTILS)]);
        assert!(reached(&at(&t, &[], "internal/utils/utils.go", 9)));
        assert!(reached(&at(&t, &[], "internal/utils/utils.go", 4)));
    }

    #[test]
    fn the_command_the_image_runs_is_reached_and_the_others_are_side_programs() {
        let t = tree(&shop());
        let argv = ["/usr/bin/shop", "server"];
        assert!(reached(&at(&t, &argv, "internal/cmd/root.go", 4)));
        assert!(reached(&at(&t, &argv, "internal/cmd/server.go", 6)));
        assert!(reached(&at(&t, &argv, "internal/web/web.go", 3)));
        // The helper the root uses is the service's; the spawn beside it,
        // and its import, only `shop open` runs.
        assert!(reached(&at(&t, &argv, "internal/cmd/utils.go", 12)));
        assert!(reached(&at(&t, &argv, "internal/cmd/utils.go", 5)));
        assert!(optional(&at(&t, &argv, "internal/cmd/open.go", 4)));
        let spawn = at(&t, &argv, "internal/cmd/utils.go", 9);
        let Placed::Optional(chain) = &spawn else {
            panic!("{spawn:?}")
        };
        assert_eq!(chain.to_vec()[0].path, "internal/cmd/open.go");
        assert!(optional(&at(&t, &argv, "internal/cmd/utils.go", 4)));
    }

    #[test]
    fn a_command_the_running_one_calls_is_reached() {
        let server = SERVER.replace("web.Listen() }", "web.Listen(); openBrowser(\"/\") }");
        let mut sources = shop();
        sources[2].1 = &server;
        let t = tree(&sources);
        let argv = ["shop", "server"];
        assert!(reached(&at(&t, &argv, "internal/cmd/utils.go", 9)));
        assert!(optional(&at(&t, &argv, "internal/cmd/open.go", 4)));
    }

    #[test]
    fn no_named_command_runs_the_root_and_init_code_always_runs() {
        // The root command runs something itself.
        let root = ROOT.replace(
            "Use: \"shop\"}",
            "Use: \"shop\", Run: func(c *cobra.Command, a []string) {}}",
        );
        let mut sources = shop();
        sources[1].1 = &root;
        sources.push((
            "internal/cmd/setup.go",
            "package cmd\n\nfunc init() { register() }\n\nfunc register() {}\n",
        ));
        let t = tree(&sources);
        let argv = ["/usr/bin/shop"];
        assert!(reached(&at(&t, &argv, "internal/cmd/root.go", 4)));
        assert!(reached(&at(&t, &argv, "internal/cmd/setup.go", 5)));
        assert!(optional(&at(&t, &argv, "internal/cmd/server.go", 6)));
        assert!(optional(&at(&t, &argv, "internal/cmd/open.go", 4)));
        assert!(optional(&at(&t, &argv, "internal/web/web.go", 3)));
    }

    #[test]
    fn a_root_that_only_prints_its_help_takes_its_command_from_docker_run() {
        // `ENTRYPOINT ["shop"]` and nothing after: `docker run shop open`
        // may run any command.
        let t = tree(&shop());
        assert!(reached(&at(
            &t,
            &["/usr/bin/shop"],
            "internal/cmd/open.go",
            4
        )));
        assert!(reached(&at(
            &t,
            &["/usr/bin/shop"],
            "internal/cmd/utils.go",
            9
        )));
        // A flag is not a command.
        assert!(reached(&at(
            &t,
            &["shop", "--verbose"],
            "internal/cmd/open.go",
            4
        )));
    }

    #[test]
    fn without_a_known_root_or_a_named_command_nothing_is_cut() {
        // Commands that register themselves beside a root with no marker:
        // which one runs is unknown.
        let open = "package cmd\n\nvar openCmd = &cobra.Command{Use: \"open\", Run: func(c *cobra.Command, a []string) { openBrowser() }}\n\nfunc init() { rootCmd.AddCommand(openCmd) }\n\nfunc openBrowser() { exec.Command(\"x\").Run() }\n";
        let root = "package cmd\n\nvar rootCmd = &cobra.Command{Use: \"shop\"}\n\nfunc Root() *cobra.Command { return rootCmd }\n";
        let t = tree(&[
            ("main.go", MAIN),
            ("internal/cmd/root.go", root),
            ("internal/cmd/open.go", open),
        ]);
        assert!(reached(&at(
            &t,
            &["go", "run", "main.go"],
            "internal/cmd/open.go",
            7
        )));
    }

    #[test]
    fn a_name_many_declare_is_one_shared_step() {
        // 300 files each declare `String` and use it: joined directly, that
        // is 90,000 edges; through the shared step, two per file.
        let mut sources: Vec<(String, String)> = (0..300)
            .map(|i| {
                (
                    format!("internal/cmd/t{i}.go"),
                    format!("package cmd\n\ntype T{i} struct{{}}\n\nfunc (t T{i}) String() string {{ return fmt.Sprint(t.String) }}\n"),
                )
            })
            .collect();
        sources.push(("internal/cmd/root.go".into(), ROOT.to_string()));
        let refs: Vec<(&str, &str)> = sources
            .iter()
            .map(|(r, s)| (r.as_str(), s.as_str()))
            .collect();
        let t = tree(&refs);
        let mut graph: HashMap<String, Vec<(String, Location)>> = HashMap::new();
        let argv = vec!["shop".to_string()];
        let go = Commands {
            argv: &argv,
            files: &t.go,
        };
        edges(&t.files, go, &mut graph, &mut Vec::new());
        let total: usize = graph.values().map(Vec::len).sum();
        assert!(total < 5_000, "{total} edges");
        assert_eq!(graph["go-name:internal/cmd:String"].len(), 300);
    }

    #[test]
    fn an_unread_file_keeps_its_package_whole() {
        let mut t = tree(&shop());
        t.go.remove("internal/cmd/root.go");
        for f in t.files.iter_mut() {
            f.declares.clear();
        }
        mark(&mut t.files, &t.go, true);
        // Its package is walked whole; the packages read in full are not.
        for f in &t.files {
            assert_eq!(
                file_level(f),
                !f.rel.starts_with("internal/cmd/"),
                "{}",
                f.rel
            );
        }
        assert!(reached(&at(
            &t,
            &["shop", "server"],
            "internal/cmd/utils.go",
            9
        )));
    }
}
