//! Flask's command-line commands (`@app.cli.command()`, a blueprint's
//! `cli`, an `AppGroup`): code that runs when someone types `flask
//! translate update`, never when the WSGI server serves a request, so what
//! it does is a side program's, not the service's.
//!
//! Plain click commands are not marked: in a command-line tool they are
//! the program itself, and nothing in the file tells the two apart.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// Why evidence inside such a command is `optional`.
pub const REASON: &str =
    "a Flask CLI command: it runs when someone invokes `flask <command>`, not when the server serves";

/// `@<object>.command(` / `@<object>.group(`: the decorated object's path
/// and which of the two it is.
static DECORATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[ \t]*@([A-Za-z_][\w.]*)\.(command|group)\b").expect("cli decorator")
});
/// `name = AppGroup(` (Flask's group of commands).
static APP_GROUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z_]\w*)[ \t]*=[ \t]*(?:[\w.]*\.)?AppGroup\(").expect("app group")
});
static DEF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([ \t]*)(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)").expect("def"));

/// The byte spans of the functions Flask runs as CLI commands or groups,
/// from their `def` line to the end of their body.
pub fn flask_command_spans(text: &str) -> Vec<Range<usize>> {
    if !text.contains(".cli.") && !text.contains("AppGroup") {
        return Vec::new();
    }
    let mut groups: HashSet<&str> = HashSet::new();
    let mut spans = Vec::new();
    // The current decorator stack: whether one of it makes a Flask command,
    // and whether that one is a group.
    let mut pending: Option<bool> = None;
    // An open command body: its `def` indentation and where it starts.
    let mut open: Option<(usize, usize)> = None;
    let mut last_code_end = 0;
    // Open parentheses of a decorator whose arguments go on.
    let mut depth = 0i32;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let stripped = body.trim_start();
        if stripped.is_empty() || stripped.starts_with('#') {
            continue;
        }
        let indent = body.len() - stripped.len();
        if let Some((def_indent, from)) = open {
            if indent <= def_indent {
                spans.push(from..last_code_end);
                open = None;
            }
        }
        last_code_end = start + body.len();
        if let Some(c) = APP_GROUP.captures(body) {
            groups.insert(c.get(1).map_or("", |m| m.as_str()));
            continue;
        }
        if let Some(c) = DECORATOR.captures(body) {
            let object = c.get(1).map_or("", |m| m.as_str());
            let is_group = c.get(2).is_some_and(|m| m.as_str() == "group");
            if object.ends_with(".cli") || groups.contains(object) {
                pending = Some(pending.unwrap_or(false) || is_group);
            }
            depth = parens(body);
            continue;
        }
        if stripped.starts_with('@') {
            depth = parens(body);
            continue;
        }
        // The rest of a decorator's arguments, over several lines.
        if depth > 0 {
            depth += parens(body);
            continue;
        }
        if let Some(c) = DEF.captures(body) {
            if let Some(is_group) = pending.take() {
                let name = c.get(2).map_or("", |m| m.as_str());
                if is_group {
                    groups.insert(name);
                }
                if open.is_none() {
                    open = Some((indent, start));
                }
            }
            continue;
        }
        pending = None;
    }
    if let Some((_, from)) = open {
        spans.push(from..last_code_end);
    }
    spans
}

/// Opened minus closed parentheses on a line.
fn parens(line: &str) -> i32 {
    line.bytes().fold(0, |n, b| match b {
        b'(' => n + 1,
        b')' => n - 1,
        _ => n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(usize, usize)> {
        let line = |off: usize| text[..off].matches('\n').count() + 1;
        flask_command_spans(text)
            .into_iter()
            .map(|r| (line(r.start), line(r.end)))
            .collect()
    }

    #[test]
    fn flask_commands_groups_and_their_subcommands() {
        let src = "\
import os
import click
from flask import Blueprint
bp = Blueprint('cli', __name__)

@bp.cli.group()
def translate():
    pass


@translate.command()
@click.argument('lang')
def init(lang):
    if os.system('pybabel init'):
        raise RuntimeError('x')

    os.remove('messages.pot')

def helper():
    os.system('not a command')

seed = AppGroup('seed')

@seed.command('users')
def users():
    os.system('pg_restore')

@bp.cli.command(
    'reindex',
)
def reindex():
    os.system('reindex')
";
        assert_eq!(lines(src), [(7, 8), (13, 17), (25, 26), (31, 32)]);
    }

    #[test]
    fn other_decorators_and_plain_click_are_not_flask_commands() {
        let src = "\
import click
@click.command()
def main():
    os.system('git status')

@app.route('/')
def index():
    return 'ok'

@bot.command()
async def ping(ctx):
    os.system('x')

app.cli.add_command(main)
";
        assert!(lines(src).is_empty(), "{:?}", lines(src));
        // The `.cli.` prefilter: a file without Flask's CLI is not read.
        assert!(flask_command_spans("def f():\n    pass\n").is_empty());
    }
}
