//! Just enough POSIX shell to find package installs in a RUN line: split a
//! script into simple commands (`&&`, `||`, `;`, `|`, `&`, newlines,
//! subshells) and each command into unquoted words with their offsets.
//!
//! It does not expand anything: a word with `$` in it is a variable the
//! caller cannot know, and is reported as such so it can be skipped.

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    /// The word with quotes and escapes removed.
    pub text: String,
    /// Byte offset in the script where the word starts.
    pub offset: usize,
    /// Contains an unquoted or double-quoted `$` or a backquote.
    pub dynamic: bool,
}

/// Accumulates words and commands while `commands` walks the script.
#[derive(Default)]
struct Splitter {
    out: Vec<Vec<Word>>,
    cmd: Vec<Word>,
    word: String,
    start: Option<usize>,
    dynamic: bool,
    /// The next word is a redirection target (`> /dev/null`), not an
    /// argument.
    skip_next: bool,
}

impl Splitter {
    fn begin(&mut self, offset: usize) {
        self.start.get_or_insert(offset);
    }

    fn end_word(&mut self) {
        if let Some(offset) = self.start.take() {
            let text = std::mem::take(&mut self.word);
            if self.skip_next {
                self.skip_next = false;
            } else {
                self.cmd.push(Word {
                    text,
                    offset,
                    dynamic: self.dynamic,
                });
            }
            self.dynamic = false;
        }
    }

    fn end_cmd(&mut self) {
        self.end_word();
        self.skip_next = false;
        if !self.cmd.is_empty() {
            self.out.push(std::mem::take(&mut self.cmd));
        }
    }
}

/// Splits `script` into simple commands. Linear in the input.
pub(crate) fn commands(script: &str) -> Vec<Vec<Word>> {
    let mut s = Splitter::default();
    let mut chars = script.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\r' => s.end_word(),
            '\n' | ';' | '&' | '|' | '(' | ')' => s.end_cmd(),
            '\\' => {
                // Line continuation or an escaped character.
                match chars.next() {
                    Some((_, '\n')) | None => {}
                    Some((_, e)) => {
                        s.begin(i);
                        s.word.push(e);
                    }
                }
            }
            '\'' => {
                s.begin(i);
                for (_, q) in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    s.word.push(q);
                }
            }
            '"' => {
                s.begin(i);
                while let Some((_, q)) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some((_, e)) = chars.next() {
                                s.word.push(e);
                            }
                        }
                        '$' | '`' => {
                            s.dynamic = true;
                            s.word.push(q);
                        }
                        _ => s.word.push(q),
                    }
                }
            }
            '#' if s.start.is_none() => {
                // A comment runs to the end of the line.
                for (_, n) in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                s.end_cmd();
            }
            '<' | '>' => {
                // `2>&1`: the fd number belongs to the redirection.
                if s.start.is_some() && s.word.chars().all(|d| d.is_ascii_digit()) {
                    s.start = None;
                    s.word.clear();
                    s.dynamic = false;
                }
                s.end_word();
                // `>&2` names its target inline; `> file` takes the next word.
                let mut amp = false;
                let mut inline_target = false;
                while let Some(&(_, n)) = chars.peek() {
                    match n {
                        '<' | '>' | '|' if !amp => {}
                        '&' if !amp => amp = true,
                        '-' if amp => inline_target = true,
                        d if amp && d.is_ascii_digit() => inline_target = true,
                        _ => break,
                    }
                    chars.next();
                }
                s.skip_next = !inline_target;
            }
            '$' | '`' => {
                s.begin(i);
                s.dynamic = true;
                s.word.push(c);
            }
            _ => {
                s.begin(i);
                s.word.push(c);
            }
        }
    }
    s.end_cmd();
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<Vec<String>> {
        commands(script)
            .into_iter()
            .map(|c| c.into_iter().map(|w| w.text).collect())
            .collect()
    }

    #[test]
    fn splits_commands() {
        assert_eq!(
            texts("apt-get update && apt-get install -y 'a b' c\\ d; echo \"x $Y\" > /dev/null 2>&1 | tee"),
            [
                vec!["apt-get", "update"],
                vec!["apt-get", "install", "-y", "a b", "c d"],
                vec!["echo", "x $Y"],
                vec!["tee"],
            ]
        );
        let cmds = commands("apk add \\\n  curl # the client\nrun");
        assert_eq!(cmds[0].len(), 3);
        assert_eq!(cmds[0][2].offset, 12);
        assert_eq!(cmds[1][0].text, "run");
        assert!(commands("echo $HOME")[0][1].dynamic);
    }

    #[test]
    fn unterminated_quotes_do_not_panic() {
        let _ = commands("echo 'abc");
        let _ = commands("echo \"abc\\");
        let _ = commands("\\");
        let _ = commands("2>");
    }
}
