//! Dockerfiles and Containerfiles -> `BaseImage`, `Instruction`, `OsPackage`
//! and `Runtime` facts.
//!
//! What ships is the final stage and the stages it is built `FROM`; a tool
//! installed in a builder stage and left behind does not run in production.
//! So the parser resolves stages first (global `ARG`s substituted into
//! `FROM`, `FROM builder` resolved to builder's image) and only then decides
//! each fact's context: the final stage's lineage keeps the file's context,
//! other stages are `Build`.

mod lex;
mod packages;
pub(crate) mod shell;

use super::Output;
use crate::model::context::Context;
use crate::model::diag::{DiagKind, Diagnostic};
use crate::model::fact::{Fact, FactKind, Location, RuntimeClue};
use std::collections::{HashMap, HashSet};

/// Runtime hint weights: the shipping image decides the runtime, a builder
/// image only hints (a runtime's `image-weight` in rules/runtimes.toml can
/// say otherwise: TinyGo decides Go vs TinyGo wherever it appears).
const FINAL_WEIGHT: u32 = 20;
const BUILD_WEIGHT: u32 = 5;

/// Problems reported per file, at most: garbage would otherwise yield one
/// per line.
const MAX_DIAGNOSTICS: usize = 10;

const INSTRUCTIONS: [&str; 18] = [
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// Shells whose heredoc bodies are shell scripts worth reading for installs.
const SHELLS: [&str; 7] = ["sh", "bash", "ash", "dash", "zsh", "ksh", "busybox"];

struct Stage {
    name: Option<String>,
    /// The image after ARG substitution, or the base of the stage it names.
    image: String,
    /// The earlier stage this one is built `FROM`.
    parent: Option<usize>,
    line: u32,
}

/// A fact whose context waits until the final stage is known.
struct Pending {
    stage: Option<usize>,
    kind: FactKind,
    at: Location,
}

pub fn parse(rel: &str, text: &str, context: Context) -> Output {
    let lexed = lex::lex(text);
    let source: Vec<&str> = text.split('\n').collect();
    let snippet = |line: u32| {
        source
            .get((line as usize).saturating_sub(1))
            .copied()
            .unwrap_or("")
    };
    let mut problems: Vec<(u32, String)> = lexed
        .problems
        .into_iter()
        .map(|p| (p.line, p.message))
        .collect();
    let mut globals = Vars::new(lexed.escape);
    let mut stages: Vec<Stage> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();

    for ins in &lexed.instructions {
        let keyword = ins.keyword.to_ascii_uppercase();
        let current = stages.len().checked_sub(1);
        if !INSTRUCTIONS.contains(&keyword.as_str()) {
            problems.push((
                ins.line,
                format!("unknown instruction `{}`", clip_word(&ins.keyword)),
            ));
            continue;
        }
        let args = ins.args();
        // A FROM belongs to the stage it opens.
        let owner = if keyword == "FROM" {
            Some(stages.len())
        } else {
            current
        };
        pending.push(Pending {
            stage: owner,
            kind: FactKind::Instruction {
                instruction: keyword.clone(),
                args: one_line(args, &ins.heredocs),
            },
            at: Location::line(rel, ins.line, snippet(ins.line)),
        });
        let was_cut = globals.cut;
        match keyword.as_str() {
            "ARG" if current.is_none() => declare_args(args, &mut globals),
            "ARG" => {}
            "FROM" => match from(args, &mut globals, &stages) {
                Some((image, name, parent)) => stages.push(Stage {
                    name,
                    image,
                    parent,
                    line: ins.line,
                }),
                None => problems.push((ins.line, "FROM without an image".to_string())),
            },
            _ if current.is_none() => {
                problems.push((ins.line, format!("{keyword} before the first FROM")));
            }
            "RUN" => {
                for (manager, name, line) in run_packages(ins) {
                    pending.push(Pending {
                        stage: current,
                        kind: FactKind::OsPackage {
                            manager: manager.to_string(),
                            name,
                        },
                        at: Location::line(rel, line, snippet(line)),
                    });
                }
            }
            "ONBUILD" => {
                let inner = lex::onbuild_keyword(args);
                if !INSTRUCTIONS.contains(&inner.as_str()) || inner == "ONBUILD" {
                    problems.push((
                        ins.line,
                        format!("ONBUILD of unknown instruction `{}`", clip_word(&inner)),
                    ));
                }
            }
            _ => {}
        }
        if globals.cut && !was_cut {
            problems.push((ins.line, expansion_cut()));
        }
    }
    if stages.is_empty() && !lexed.instructions.is_empty() {
        problems.push((1, "no FROM instruction".to_string()));
    }

    // The final stage and every stage it is built FROM.
    let mut lineage = HashSet::new();
    let mut next = stages.len().checked_sub(1);
    while let Some(i) = next {
        if !lineage.insert(i) {
            break;
        }
        next = stages.get(i).and_then(|s| s.parent);
    }
    let stage_context = |stage: Option<usize>| match stage {
        Some(i) if !lineage.contains(&i) => Context::Build,
        _ => context,
    };

    let mut out = Output::default();
    let last = stages.len().checked_sub(1);
    for (i, stage) in stages.iter().enumerate() {
        let at = Location::line(rel, stage.line, snippet(stage.line));
        let is_final = Some(i) == last;
        // `FROM builder` is not a new image: the stage it names already
        // reported it. Only the final stage reports it again, to say it ships.
        if stage.parent.is_some() && !is_final {
            continue;
        }
        out.facts.push(Fact::new(
            FactKind::BaseImage {
                image: stage.image.clone(),
                stage: stage.name.clone(),
                is_final,
            },
            at.clone(),
            stage_context(Some(i)),
        ));
        // Which runtime an image means is knowledge (rules/runtimes.toml);
        // the parser only says which image, and how much its stage weighs.
        // Runtime hints keep the file's context: their weight already says
        // how much a builder image counts.
        let kind = FactKind::Runtime {
            clue: RuntimeClue::Image(stage.image.clone()),
            weight: if is_final { FINAL_WEIGHT } else { BUILD_WEIGHT },
        };
        out.facts.push(Fact::new(kind, at, context));
    }
    for p in pending {
        let ctx = stage_context(p.stage);
        out.facts.push(Fact::new(p.kind, p.at, ctx));
    }
    problems.sort_by_key(|p| p.0);
    for (line, message) in problems.into_iter().take(MAX_DIAGNOSTICS) {
        out.diagnostics.push(Diagnostic::new(
            DiagKind::Malformed,
            rel,
            format!("line {line}: {message}"),
        ));
    }
    out
}

/// `ARG NAME`, `ARG NAME=default`, several per line. Defaults may use the
/// ARGs declared before them.
fn declare_args(args: &str, globals: &mut Vars) {
    for decl in args.split_whitespace() {
        let (name, default) = match decl.split_once('=') {
            Some((n, d)) => (n, Some(globals.substitute(unquote(d), 0))),
            None => (decl, None),
        };
        if !name.is_empty() {
            globals.values.insert(name.to_string(), default);
        }
    }
}

/// `FROM [--platform=..] image [AS name]` -> (resolved image, stage name,
/// the earlier stage it names).
fn from(
    args: &str,
    globals: &mut Vars,
    stages: &[Stage],
) -> Option<(String, Option<String>, Option<usize>)> {
    let mut words = args.split_whitespace().skip_while(|w| w.starts_with("--"));
    let raw = words.next()?;
    let name = match (words.next(), words.next()) {
        (Some(kw), Some(name)) if kw.eq_ignore_ascii_case("as") => Some(name.to_string()),
        _ => None,
    };
    let image = globals.substitute(raw, 0);
    let parent = stages.iter().rposition(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&image))
    });
    let resolved = match parent {
        Some(p) => stages[p].image.clone(),
        None => image,
    };
    Some((resolved, name, parent))
}

/// Bounds on ARG expansion. Depth alone does not bound it: each line of
/// `ARG A1=${A0}${A0}` doubles the value, so 60 lines of 20 bytes would
/// build an exabyte. One value is cut at `MAX_VALUE` bytes (image names and
/// versions are far shorter), and a file may produce `MAX_EXPANSION` bytes
/// in all, after which text is kept as written.
const MAX_VALUE: usize = 4 << 10;
const MAX_EXPANSION: usize = 1 << 20;

/// Global ARGs and the expansion budget of one file.
struct Vars {
    values: HashMap<String, Option<String>>,
    escape: char,
    /// Bytes expansions may still produce in this file.
    budget: usize,
    /// Set once a value was cut or left unexpanded for lack of budget.
    cut: bool,
}

impl Vars {
    fn new(escape: char) -> Vars {
        Vars {
            values: HashMap::new(),
            escape,
            budget: MAX_EXPANSION,
            cut: false,
        }
    }

    fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned().flatten()
    }

    /// Appends `piece` to `out` within `MAX_VALUE` and the file's budget;
    /// false (and `cut` set) when it did not fit whole.
    fn push(&mut self, out: &mut String, piece: &str) -> bool {
        let room = MAX_VALUE.saturating_sub(out.len()).min(self.budget);
        let fits = piece.len() <= room;
        let mut n = piece.len().min(room);
        while !piece.is_char_boundary(n) {
            n -= 1;
        }
        out.push_str(&piece[..n]);
        self.budget -= n;
        if !fits {
            self.cut = true;
        }
        fits
    }

    /// Expands `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
    /// `${VAR:+alt}` and `${VAR+alt}` from global ARGs. Unset names expand
    /// to nothing, as in Docker; the escape character before `$` keeps it
    /// literal. Nested defaults are followed a few levels deep; the result
    /// is bounded (see `MAX_VALUE`).
    fn substitute(&mut self, s: &str, depth: u8) -> String {
        // Text as written costs no budget: the file already holds it.
        if depth > 4 || !s.contains('$') {
            return clip_to(s, MAX_VALUE).to_string();
        }
        if self.budget == 0 {
            self.cut = true;
            return clip_to(s, MAX_VALUE).to_string();
        }
        let mut out = String::with_capacity(s.len().min(MAX_VALUE));
        let mut rest = s;
        while let Some(at) = rest.find('$') {
            if !self.push(&mut out, &rest[..at]) {
                return out;
            }
            // `\$` (or `` `$ `` with `# escape=``) is a literal dollar.
            if out.ends_with(self.escape) {
                out.pop();
                out.push('$');
                rest = &rest[at + 1..];
                continue;
            }
            let after = &rest[at + 1..];
            let expanded = if let Some(inner_start) = after.strip_prefix('{') {
                let Some(close) = matching_brace(inner_start) else {
                    self.push(&mut out, &rest[at..]);
                    return out;
                };
                let inner = &inner_start[..close];
                rest = &inner_start[close + 1..];
                let name_len = inner
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(inner.len());
                let (name, op) = inner.split_at(name_len);
                let value = self.get(name);
                match op {
                    "" => value.unwrap_or_default(),
                    _ if op.starts_with(":-") => match value {
                        Some(v) if !v.is_empty() => v,
                        _ => self.substitute(&op[2..], depth + 1),
                    },
                    _ if op.starts_with(":+") => match value {
                        Some(v) if !v.is_empty() => self.substitute(&op[2..], depth + 1),
                        _ => String::new(),
                    },
                    _ if op.starts_with('-') => match value {
                        Some(v) => v,
                        None => self.substitute(&op[1..], depth + 1),
                    },
                    _ if op.starts_with('+') => match value {
                        Some(_) => self.substitute(&op[1..], depth + 1),
                        None => String::new(),
                    },
                    _ => value.unwrap_or_default(),
                }
            } else {
                let name_len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                rest = &after[name_len..];
                if name_len == 0 {
                    "$".to_string()
                } else {
                    self.get(&after[..name_len]).unwrap_or_default()
                }
            };
            if !self.push(&mut out, &expanded) {
                return out;
            }
        }
        self.push(&mut out, rest);
        out
    }
}

/// The longest prefix of `s` of at most `max` bytes.
fn clip_to(s: &str, max: usize) -> &str {
    let mut n = s.len().min(max);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

fn expansion_cut() -> String {
    format!(
        "variable expansion over its budget ({MAX_VALUE} bytes a value, {MAX_EXPANSION} a file); values were cut"
    )
}

/// Offset of the `}` closing a `${`, counting nested `${...}`.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|x| x.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

fn clip_word(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Packages installed by a RUN instruction: shell form, exec form, and
/// heredoc bodies run by a shell. Returns (manager, package, source line).
fn run_packages(ins: &lex::Instruction) -> Vec<(&'static str, String, u32)> {
    let args = ins.args();
    // RUN flags (`--mount=...`, `--network=none`) come first.
    let mut script_start = 0;
    for word in args.split_whitespace() {
        if !word.starts_with("--") {
            break;
        }
        let Some(pos) = args[script_start..].find(word) else {
            break;
        };
        script_start += pos + word.len();
    }
    let script = &args[script_start..];
    let base = ins.args_start + script_start;
    let mut found = Vec::new();

    if script.trim_start().starts_with('[') {
        if let Ok(argv) = serde_json::from_str::<Vec<String>>(script.trim()) {
            // ["sh", "-c", "apt-get install ..."] is a shell form in disguise.
            let program = argv.first().map(|p| p.rsplit('/').next().unwrap_or(""));
            let cmds = if program.is_some_and(|p| SHELLS.contains(&p))
                && argv.get(1).is_some_and(|a| a == "-c")
            {
                shell::commands(argv.get(2).map_or("", String::as_str))
            } else {
                let words = argv
                    .into_iter()
                    .map(|text| shell::Word {
                        dynamic: text.contains('$'),
                        text,
                        offset: 0,
                    })
                    .collect();
                vec![words]
            };
            for cmd in &cmds {
                for p in packages::installs(cmd) {
                    found.push((p.manager, p.name, ins.line));
                }
            }
            return found;
        }
    }

    let cmds = shell::commands(script);
    for cmd in &cmds {
        for p in packages::installs(cmd) {
            found.push((p.manager, p.name, ins.joined.line_at(base + p.word.offset)));
        }
    }
    // Heredoc bodies are scripts when the RUN command is a shell or is empty
    // (BuildKit runs a bare heredoc with the default shell, or with the
    // interpreter its shebang names).
    let program = cmds
        .first()
        .and_then(|c| c.first())
        .map(|w| w.text.rsplit('/').next().unwrap_or("").to_string());
    let runs_shell = program.as_deref().is_none_or(|p| SHELLS.contains(&p));
    if runs_shell {
        for doc in &ins.heredocs {
            let body = &doc.body.text;
            if let Some(shebang) = body.lines().next().and_then(|l| l.strip_prefix("#!")) {
                let interp = shebang.split_whitespace().collect::<Vec<_>>();
                let named = match interp.as_slice() {
                    [env, prog, ..] if env.ends_with("/env") => prog,
                    [prog, ..] => prog,
                    [] => "",
                };
                let named = named.rsplit('/').next().unwrap_or("");
                if !SHELLS.contains(&named) {
                    continue;
                }
            }
            for cmd in shell::commands(body) {
                for p in packages::installs(&cmd) {
                    found.push((p.manager, p.name, doc.body.line_at(p.word.offset)));
                }
            }
        }
    }
    found
}

/// The arguments with heredoc bodies appended, on one line: the form the
/// `dockerfile` matchers read.
fn one_line(args: &str, heredocs: &[lex::Heredoc]) -> String {
    let mut out = args.to_string();
    for doc in heredocs {
        let mut body = String::new();
        for line in doc
            .body
            .text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            if !body.is_empty() {
                // Shell continuations and operators join with a space; other
                // line ends become `;` so the line still reads as a script.
                let open = ["&&", "||", "|", ";", "{", "(", " do", " then", "\\"]
                    .iter()
                    .any(|end| body.ends_with(end));
                if body.ends_with('\\') {
                    body.pop();
                }
                body.push_str(if open { " " } else { "; " });
            }
            body.push_str(line);
        }
        if !body.is_empty() {
            out.push(' ');
            out.push_str(body.trim_end_matches('\\').trim_end());
        }
    }
    out
}

#[cfg(test)]
mod tests;
