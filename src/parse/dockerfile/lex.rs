//! Dockerfile lexing: parser directives, comments, line continuations with
//! the file's escape character, and heredoc bodies, into instructions whose
//! text remembers which source line every byte came from.
//!
//! This is where other Dockerfile parsers break (hadolint on heredocs,
//! dockerfile-parser on `# escape=`), so it follows BuildKit's rules rather
//! than a grammar: directives only at the very top, comment and empty lines
//! dropped inside a continuation, a heredoc is any shell word `<<WORD` or
//! `<<-WORD` in RUN, COPY or ADD, several per line allowed, bodies read in
//! order after the instruction.

/// Text joined from several source lines, with a map back to those lines.
#[derive(Debug, Default, Clone)]
pub(crate) struct Mapped {
    pub text: String,
    /// (byte offset in `text`, source line) at the start of each piece.
    segs: Vec<(usize, u32)>,
}

impl Mapped {
    /// Appends a continuation piece. Whitespace around the join collapses to
    /// one space (Docker keeps it verbatim, which only matters for display);
    /// pieces that touch without whitespace stay touching, as in Docker.
    fn push_joined(&mut self, piece: &str, line: u32) {
        let needs_space = !self.text.is_empty()
            && (self.text.ends_with(char::is_whitespace) || piece.starts_with(char::is_whitespace));
        let trimmed_end = self.text.trim_end().len();
        self.text.truncate(trimmed_end);
        if needs_space {
            self.text.push(' ');
        }
        self.segs.push((self.text.len(), line));
        self.text.push_str(piece.trim_start());
    }

    /// Appends a heredoc body line verbatim, newline-separated.
    fn push_line(&mut self, piece: &str, line: u32) {
        if !self.segs.is_empty() {
            self.text.push('\n');
        }
        self.segs.push((self.text.len(), line));
        self.text.push_str(piece);
    }

    /// The source line of byte `offset`.
    pub fn line_at(&self, offset: usize) -> u32 {
        let idx = self.segs.partition_point(|&(start, _)| start <= offset);
        match idx.checked_sub(1).and_then(|i| self.segs.get(i)) {
            Some(&(_, line)) => line,
            None => self.segs.first().map_or(1, |&(_, line)| line),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Heredoc {
    pub body: Mapped,
}

#[derive(Debug)]
pub(crate) struct Instruction {
    /// The keyword as written (`run`, `RUN`).
    pub keyword: String,
    /// First source line.
    pub line: u32,
    /// The whole instruction joined on one line; `args_start` is where the
    /// arguments begin.
    pub joined: Mapped,
    pub args_start: usize,
    pub heredocs: Vec<Heredoc>,
}

impl Instruction {
    pub fn args(&self) -> &str {
        self.joined.text.get(self.args_start..).unwrap_or("")
    }
}

/// A problem found while lexing, with its line.
pub(crate) struct Problem {
    pub line: u32,
    pub message: String,
}

pub(crate) struct Lexed {
    pub escape: char,
    pub instructions: Vec<Instruction>,
    pub problems: Vec<Problem>,
}

pub(crate) fn lex(text: &str) -> Lexed {
    let mut lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    // The final newline ends the last line; it does not start another.
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let mut problems = Vec::new();
    let mut escape = '\\';
    let mut i = 0;

    // Parser directives: `# key=value` lines at the very top. The first line
    // that is anything else (even an empty line or a plain comment) ends them.
    while let Some(line) = lines.get(i) {
        let Some((key, value)) = directive(line) else {
            break;
        };
        if key == "escape" {
            match value {
                "\\" => escape = '\\',
                "`" => escape = '`',
                other => problems.push(Problem {
                    line: line_no(i),
                    message: format!("invalid escape directive `{other}`: must be ` or \\"),
                }),
            }
        }
        i += 1;
    }

    let mut instructions = Vec::new();
    while i < lines.len() {
        let first = lines[i].trim_start();
        if first.is_empty() || first.starts_with('#') {
            i += 1;
            continue;
        }
        let start_line = line_no(i);
        let mut joined = Mapped::default();
        let mut current = lines[i];
        let mut current_line = start_line;
        loop {
            let trimmed = current.trim_end();
            if let Some(body) = trimmed.strip_suffix(escape) {
                joined.push_joined(body, current_line);
                i += 1;
                // Inside a continuation, comment lines and empty lines are
                // dropped (BuildKit), not ends of the instruction.
                while i < lines.len() {
                    let t = lines[i].trim_start();
                    if t.is_empty() || t.starts_with('#') {
                        i += 1;
                    } else {
                        break;
                    }
                }
                let Some(next) = lines.get(i) else {
                    problems.push(Problem {
                        line: current_line,
                        message: "line continuation at the end of the file".to_string(),
                    });
                    break;
                };
                current = next;
                current_line = line_no(i);
            } else {
                joined.push_joined(current, current_line);
                i += 1;
                break;
            }
        }
        joined.text.truncate(joined.text.trim_end().len());
        let keyword_end = joined
            .text
            .find(char::is_whitespace)
            .unwrap_or(joined.text.len());
        let keyword = joined.text[..keyword_end].to_string();
        let rest = &joined.text[keyword_end..];
        let args_start = joined.text.len() - rest.trim_start().len();

        let mut heredocs = Vec::new();
        if takes_heredocs(&keyword, &joined.text[args_start..]) {
            for word in heredoc_words(&joined.text[args_start..]) {
                let (body, end, found) = read_heredoc(&lines, i, &word);
                if !found {
                    problems.push(Problem {
                        line: start_line,
                        message: format!("unterminated heredoc <<{}", word.word),
                    });
                }
                i = end;
                heredocs.push(Heredoc { body });
            }
        }
        instructions.push(Instruction {
            keyword,
            line: start_line,
            joined,
            args_start,
            heredocs,
        });
    }
    Lexed {
        escape,
        instructions,
        problems,
    }
}

fn line_no(idx: usize) -> u32 {
    u32::try_from(idx + 1).unwrap_or(u32::MAX)
}

/// `# escape=\`` -> ("escape", "`"); keys are words, compared lowercase.
fn directive(line: &str) -> Option<(String, &str)> {
    let body = line.trim_start().strip_prefix('#')?;
    let (key, value) = body.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.trim()))
}

/// The instruction an ONBUILD's arguments begin with, upper-cased.
pub(super) fn onbuild_keyword(args: &str) -> String {
    let word = args.split_whitespace().next().unwrap_or("");
    word.to_ascii_uppercase()
}

/// RUN, COPY and ADD take heredocs, also behind ONBUILD.
fn takes_heredocs(keyword: &str, args: &str) -> bool {
    let k = keyword.to_ascii_uppercase();
    match k.as_str() {
        "RUN" | "COPY" | "ADD" => true,
        "ONBUILD" => matches!(onbuild_keyword(args).as_str(), "RUN" | "COPY" | "ADD"),
        _ => false,
    }
}

struct HeredocWord {
    word: String,
    strip_tabs: bool,
}

/// Shell words of the form `[n]<<[-]WORD` (WORD possibly quoted), in order.
/// Quoted strings are skipped so `echo "<<EOF"` is not a heredoc.
fn heredoc_words(args: &str) -> Vec<HeredocWord> {
    let mut out = Vec::new();
    let bytes = args.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' | b'"' => {
                let q = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' && q == b'"' { 2 } else { 1 };
                }
                i += 1;
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') && bytes.get(i + 2) != Some(&b'<') => {
                // Only at a word start, optionally after an fd number.
                let mut s = i;
                while s > 0 && bytes[s - 1].is_ascii_digit() {
                    s -= 1;
                }
                let at_word_start = s == 0 || bytes[s - 1].is_ascii_whitespace();
                let mut j = i + 2;
                let strip_tabs = bytes.get(j) == Some(&b'-');
                if strip_tabs {
                    j += 1;
                }
                let end = args[j..]
                    .find(|c: char| {
                        c.is_whitespace()
                            || c == ';'
                            || c == '&'
                            || c == '|'
                            || c == '<'
                            || c == '>'
                    })
                    .map_or(args.len(), |e| j + e);
                let raw = &args[j..end];
                let word = raw.trim_matches(|c| c == '"' || c == '\'');
                if at_word_start && !word.is_empty() {
                    out.push(HeredocWord {
                        word: word.to_string(),
                        strip_tabs,
                    });
                }
                i = end.max(i + 2);
            }
            _ => i += 1,
        }
    }
    out
}

/// Reads a heredoc body from line index `start`. Returns the body, the index
/// after the terminator, and whether the terminator was found (else the body
/// runs to the end of the file). BuildKit wants the terminator alone on its
/// line; surrounding spaces are forgiven here, since a body line that is
/// exactly the word is meant as the end anyway, and one pass keeps the scan
/// linear.
fn read_heredoc(lines: &[&str], start: usize, word: &HeredocWord) -> (Mapped, usize, bool) {
    let mut body = Mapped::default();
    for (k, line) in lines.iter().enumerate().skip(start) {
        let l = if word.strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if l.trim() == word.word {
            return (body, k + 1, true);
        }
        body.push_line(l, line_no(k));
    }
    (body, lines.len(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_and_comments() {
        let text = "FROM alpine\nRUN apk add \\\n    # a comment inside\n\n    curl \\\n    git\nCMD [\"sh\"]\n";
        let l = lex(text);
        assert!(l.problems.is_empty());
        assert_eq!(l.instructions.len(), 3);
        let run = &l.instructions[1];
        assert_eq!(run.args(), "apk add curl git");
        assert_eq!(run.line, 2);
        let git = run.joined.text.find("git").unwrap();
        assert_eq!(run.joined.line_at(git), 6);
        let curl = run.joined.text.find("curl").unwrap();
        assert_eq!(run.joined.line_at(curl), 5);
    }

    #[test]
    fn escape_directive() {
        let text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir c:\\ `\n    && echo done\n";
        let l = lex(text);
        assert_eq!(l.escape, '`');
        assert_eq!(l.instructions.len(), 2);
        assert_eq!(l.instructions[1].args(), "dir c:\\ && echo done");
    }

    #[test]
    fn directives_only_at_top() {
        let l = lex("# comment\n# escape=`\nFROM x\nRUN a \\\n b\n");
        assert_eq!(l.escape, '\\');
        assert_eq!(l.instructions[1].args(), "a b");
    }

    #[test]
    fn heredocs() {
        let text = "FROM x\nRUN <<EOF\napt-get update\napt-get install -y ffmpeg\nEOF\nCOPY <<-\"A\" /a <<B /b\n\tone\n\tA\ntwo\nB\nRUN python3 <<PY\nprint(1)\nPY\nCMD x\n";
        let l = lex(text);
        assert!(l.problems.is_empty());
        let kw: Vec<_> = l.instructions.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(kw, ["FROM", "RUN", "COPY", "RUN", "CMD"]);
        let run = &l.instructions[1];
        assert_eq!(
            run.heredocs[0].body.text,
            "apt-get update\napt-get install -y ffmpeg"
        );
        let at = run.heredocs[0].body.text.find("ffmpeg").unwrap();
        assert_eq!(run.heredocs[0].body.line_at(at), 4);
        let copy = &l.instructions[2];
        assert_eq!(copy.heredocs.len(), 2);
        assert_eq!(copy.heredocs[0].body.text, "one");
        assert_eq!(copy.heredocs[1].body.text, "two");
        assert_eq!(l.instructions[3].heredocs[0].body.text, "print(1)");
    }

    #[test]
    fn broken_input() {
        let l = lex("FROM x\nRUN <<EOF\necho hi\n");
        assert_eq!(l.problems.len(), 1);
        assert_eq!(l.instructions[1].heredocs[0].body.text, "echo hi");
        let l = lex("FROM x\nRUN echo \\");
        assert_eq!(l.problems.len(), 1);
        let l = lex("FROM x\nRUN echo \"<<EOF\" && cat <<<word\nCMD y\n");
        assert!(l.instructions[1].heredocs.is_empty());
        assert_eq!(l.instructions.len(), 3);
    }
}
