//! The commands a shell script hands its process to (`exec gunicorn
//! app:app`, or a server it runs in the foreground), so that an image whose `ENTRYPOINT` is a start-up script is
//! followed to the program the script really runs.

use crate::model::context::Context;
use crate::model::fact::{Fact, FactKind, Location};
use crate::model::service::EntryKind;
use crate::parse::lex::CodeView;

/// At most this many `exec` lines per script: a start-up script has one or
/// a few (one per branch); more is not a start-up script.
const MAX_EXECS: usize = 16;
/// Longer lines are not a command worth resolving.
const MAX_LINE: usize = 1_000;

/// An `Entry` fact (`EntryKind::Exec`) for each line that starts with
/// `exec` followed by a command, in code (not in a comment or a heredoc).
/// `exec` alone or with only redirections (`exec >log 2>&1`) changes the
/// shell's own descriptors and starts nothing.
pub fn exec_lines(view: &CodeView, rel: &str, text: &str, context: Context) -> Vec<Fact> {
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        let start = offset;
        offset += line.len() + 1;
        if out.len() >= MAX_EXECS {
            break;
        }
        if line.len() > MAX_LINE {
            continue;
        }
        let Some((col, rest)) = exec_column(line)
            .map(|col| (col, &line[col + "exec".len()..]))
            .or_else(|| server_line(line))
        else {
            continue;
        };
        let at = start + col;
        if !view.is_code(text, at) {
            continue;
        }
        // `exec gunicorn app:app; fi`: the command ends at the next list
        // operator.
        let end = [";", "&&", "||"]
            .iter()
            .filter_map(|op| rest.find(op))
            .min()
            .unwrap_or(rest.len());
        let command = rest[..end].trim();
        let first = command.split_whitespace().next().unwrap_or("");
        let redirect = first.starts_with(['>', '<', '&'])
            || (first.starts_with(|c: char| c.is_ascii_digit()) && first.contains(['>', '<']));
        if first.is_empty() || redirect {
            continue;
        }
        out.push(Fact::new(
            FactKind::Entry {
                entry: EntryKind::Exec,
                target: command.to_string(),
                main: true,
            },
            Location::line(rel, (i + 1) as u32, line),
            context,
        ));
    }
    out
}

/// Servers and process managers that run until the container stops, with
/// `PYTHON_SERVERS`: a script that starts one in the foreground without
/// `exec` (its last line, or a branch's) still hands the container's life
/// to it.
const SERVERS: [&str; 2] = ["supervisord", "php-fpm"];

/// Python's WSGI and ASGI servers: each loads the application a word of
/// its command line names (`analyze::units::resolve_command`).
pub const PYTHON_SERVERS: [&str; 6] = [
    "gunicorn",
    "uvicorn",
    "uwsgi",
    "hypercorn",
    "daphne",
    "granian",
];

/// A line that starts one of `SERVERS` in the foreground (`gunicorn
/// wger.wsgi:application --bind :8000`), as its column and the command.
/// One sent to the background (`... &`) runs beside the script instead.
fn server_line(line: &str) -> Option<(usize, &str)> {
    let t = line.trim_start();
    let col = line.len() - t.len();
    let first = t.split_whitespace().next()?;
    let program = first.rsplit('/').next().unwrap_or(first);
    let server = SERVERS.contains(&program)
        || PYTHON_SERVERS.contains(&program)
        || program.starts_with("php-fpm");
    (server && !t.trim_end().ends_with('&')).then_some((col, t))
}

/// Where `exec CMD` starts in a line: at its start, or after `&&`, `||`
/// or `;` (`umask 0 && exec gunicorn app.wsgi`).
fn exec_column(line: &str) -> Option<usize> {
    let is_exec = |from: usize| {
        let t = line[from..].trim_start();
        let col = line.len() - t.len();
        t.strip_prefix("exec")
            .is_some_and(|r| r.starts_with([' ', '\t']))
            .then_some(col)
    };
    if let Some(col) = is_exec(0) {
        return Some(col);
    }
    let b = line.as_bytes();
    (0..b.len()).find_map(|i| {
        let sep = match b[i] {
            b';' => 1,
            b'&' | b'|' if b.get(i + 1) == Some(&b[i]) => 2,
            _ => return None,
        };
        is_exec(i + sep)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::language::Language;

    fn targets(text: &str) -> Vec<(u32, String)> {
        let view = crate::parse::lex::lex(Language::Shell, text);
        exec_lines(&view, "boot.sh", text, Context::Service)
            .into_iter()
            .map(|f| match f.kind {
                FactKind::Entry { target, .. } => (f.at.line.unwrap(), target),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn exec_lines_are_the_commands_a_script_becomes() {
        let script = "#!/bin/sh\nset -e\nflask db upgrade\nif [ \"$DEBUG\" ]; then\n  exec flask run\nfi\nexec gunicorn -b :5000 app:app\n";
        assert_eq!(
            targets(script),
            [
                (5, "flask run".to_string()),
                (7, "gunicorn -b :5000 app:app".to_string())
            ]
        );
        // After a list operator, and up to the next one.
        let script = "#!/bin/sh\numask 0 && exec gunicorn --bind :80 recipes.wsgi\n[ -n \"$X\" ] || exec worker --fast; echo unreachable\necho \"a; exec b\"\nexecutor && execfoo\n";
        assert_eq!(
            targets(script),
            [
                (2, "gunicorn --bind :80 recipes.wsgi".to_string()),
                (3, "worker --fast".to_string())
            ]
        );
    }

    #[test]
    fn a_server_in_the_foreground_is_the_command_without_exec() {
        let script = "#!/bin/bash\npython3 manage.py migrate\nif [[ \"$USE_GUNICORN\" == \"True\" ]]; then\n    gunicorn wger.wsgi:application --bind 0.0.0.0:$PORT\nelse\n    python3 manage.py runserver\nfi\n/usr/local/bin/uvicorn api:app &\necho gunicorn is up\n# gunicorn old:app\n";
        assert_eq!(
            targets(script),
            [(
                4,
                "gunicorn wger.wsgi:application --bind 0.0.0.0:$PORT".to_string()
            )]
        );
    }

    #[test]
    fn redirections_comments_and_other_words_are_not_commands() {
        let script = "exec >/var/log/boot.log 2>&1\nexec 2>&1\n# exec gunicorn app:app\nexecute_migrations\necho \"exec node x.js\"\nexec\n";
        assert!(targets(script).is_empty(), "{:?}", targets(script));
    }
}
