//! What a hostile repository or a hostile saved report can do to the people
//! and tools that read wasmfit's output, one test per defect: terminal
//! escape sequences and bidi overrides in file names and code, HTML and
//! broken table rows in Markdown, characters XML forbids in JUnit, a
//! report too large to read, and colour forced or refused by the
//! environment. Each builds its hostile input itself.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// Sequences a repository would like to send to a reviewer's terminal:
/// erase the line, move the cursor up, set the window title, a carriage
/// return and backspaces to overwrite what was printed, and a bidi
/// override that shows text in another order.
const HOSTILE: &str = "\u{1b}[2K\u{1b}[1A\u{1b}]0;pwned\u{7}\r\u{8}\u{8}\u{9b}31m\u{202e}\u{2066}";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn wasmfit() -> Command {
    let mut c = Command::cargo_bin("wasmfit").unwrap();
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("GITHUB_SHA")
        .env_remove("CI_COMMIT_SHA");
    c
}

fn stdout(c: &mut Command) -> String {
    let out = c.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

/// Characters that must not reach a terminal or a page as they are (text
/// output keeps newlines and tabs).
fn unsafe_char(c: char) -> bool {
    let n = c as u32;
    (n < 0x20 && c != '\n' && c != '\t')
        || (0x7f..=0x9f).contains(&n)
        || (0x202a..=0x202e).contains(&n)
        || (0x2066..=0x2069).contains(&n)
        || matches!(n, 0x61c | 0x200e | 0x200f)
}

fn unsafe_chars(s: &str) -> Vec<(usize, char)> {
    s.char_indices().filter(|(_, c)| unsafe_char(*c)).collect()
}

/// The text without wasmfit's own colour sequences (`ESC [ params m`).
fn without_colour(s: &str) -> (String, usize) {
    let sgr = regex::Regex::new("\u{1b}\\[[0-9;]*m").unwrap();
    let n = sgr.find_iter(s).count();
    (sgr.replace_all(s, "").into_owned(), n)
}

/// A tree whose file name and code carry escape sequences.
fn hostile_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let code = format!(
        "import subprocess\n\nsubprocess.run([\"ffmpeg\"])  # {HOSTILE} done\nsubprocess.run(['{HOSTILE}'])\n"
    );
    let name = if cfg!(unix) { "a\u{1b}[2K.py" } else { "a.py" };
    std::fs::write(dir.path().join(name), code).unwrap();
    dir
}

#[test]
fn text_output_does_not_pass_escape_sequences_from_file_names_and_code() {
    let dir = hostile_tree();
    let plain = stdout(wasmfit().env("NO_COLOR", "1").arg("scan").arg(dir.path()));
    assert!(plain.contains("WF101"), "the call was not found:\n{plain}");
    assert_eq!(unsafe_chars(&plain), [], "{plain:?}");
    // What was there is shown, escaped.
    assert!(plain.contains("\\x1b[2K"), "{plain}");
    assert!(plain.contains("\\u{202e}"), "{plain}");
    if cfg!(unix) {
        assert!(plain.contains("a\\x1b[2K.py:3"), "{plain}");
    }

    let colour = stdout(
        wasmfit()
            .args(["scan", "--color", "always"])
            .arg(dir.path()),
    );
    let (rest, sequences) = without_colour(&colour);
    assert!(sequences > 0, "no colour at all");
    assert_eq!(unsafe_chars(&rest), [], "{colour:?}");
}

#[test]
fn bidi_overrides_in_code_are_shown_not_applied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.py"),
        "import subprocess\nsubprocess.run(cmd) # \u{202e} }nruter \u{2066}\n",
    )
    .unwrap();
    for format in ["text", "markdown", "junit"] {
        let out = stdout(wasmfit().args(["scan", "-f", format]).arg(dir.path()));
        assert!(
            !out.contains('\u{202e}') && !out.contains('\u{2066}'),
            "{format}: {out}"
        );
        assert!(
            out.contains("\\u{202e}"),
            "{format}: the override is not shown"
        );
    }
}

/// Every string of the fixture report that can take it (not the enums)
/// gets the hostile sequences: text output must escape them all.
fn hostile_report() -> String {
    let text = std::fs::read_to_string(repo().join("tests/data/fixture-report.json")).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let mut pointers = Vec::new();
    fn strings(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::String(_) => out.push(at),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| strings(x, format!("{at}/{i}"), out)),
            Value::Object(o) => o.iter().for_each(|(k, x)| {
                let k = k.replace('~', "~0").replace('/', "~1");
                strings(x, format!("{at}/{k}"), out)
            }),
            _ => {}
        }
    }
    strings(&doc, String::new(), &mut pointers);
    let mut changed = 0;
    for p in pointers.iter().filter(|p| *p != "/schema_version") {
        let old = doc.pointer(p).unwrap().clone();
        let new = format!("{}{HOSTILE}", old.as_str().unwrap());
        *doc.pointer_mut(p).unwrap() = Value::String(new);
        if wasmfit::report::json::parse(&doc.to_string()).is_ok() {
            changed += 1;
        } else {
            *doc.pointer_mut(p).unwrap() = old;
        }
    }
    assert!(changed > 100, "only {changed} strings took the sequences");
    doc.to_string()
}

/// A saved report rendered as text, without colour.
fn report_text(file: &Path) -> String {
    stdout(
        wasmfit()
            .env("NO_COLOR", "1")
            .arg("report")
            .arg(file)
            .args(["-f", "text"]),
    )
}

#[test]
fn text_output_escapes_every_string_of_a_saved_report() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.json");
    std::fs::write(&file, hostile_report()).unwrap();
    let plain = report_text(&file);
    assert_eq!(unsafe_chars(&plain), [], "{plain}");
    assert!(plain.matches("\\x1b[2K").count() > 20, "{plain}");
    let colour = stdout(
        wasmfit()
            .arg("report")
            .arg(&file)
            .args(["-f", "text", "--color", "always"]),
    );
    let (rest, sequences) = without_colour(&colour);
    assert!(sequences > 0);
    assert_eq!(unsafe_chars(&rest), [], "{rest}");
}

/// Markdown with its code spans (a run of N backticks to the next run of
/// exactly N) taken out.
fn without_code_spans(md: &str) -> String {
    let b = md.as_bytes();
    let run = |i: usize| b[i..].iter().take_while(|c| **c == b'`').count();
    let mut out = String::new();
    let mut i = 0;
    let mut plain = 0;
    while i < b.len() {
        if b[i] != b'`' {
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let close = loop {
            match b[j..].iter().position(|c| *c == b'`') {
                None => break None,
                Some(k) => {
                    let at = j + k;
                    let m = run(at);
                    if m == n {
                        break Some(at + m);
                    }
                    j = at + m;
                }
            }
        };
        match close {
            Some(end) => {
                out.push_str(&md[plain..i]);
                plain = end;
                i = end;
            }
            None => i += n,
        }
    }
    out.push_str(&md[plain..]);
    out
}

#[test]
fn markdown_cannot_inject_html_or_break_table_rows() {
    let text = std::fs::read_to_string(repo().join("tests/data/fixture-report.json")).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let f = &mut doc["findings"][0];
    f["title"] = Value::from("</details><img src=x onerror=alert(1)> | cell");
    f["remediation"] = Value::from("<!-- hide --> `code` | x\n| forged | row |");
    f["evidence"][0]["snippet"] = Value::from(format!("a | b `` c <b>bold</b> {HOSTILE}"));
    f["evidence"][0]["path"] = Value::from("x|y<i>.py");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.json");
    std::fs::write(&file, doc.to_string()).unwrap();
    let md = stdout(wasmfit().arg("report").arg(&file).args(["-f", "markdown"]));
    // Inside code spans markup is shown as text; everywhere else it must
    // be escaped.
    let lower = without_code_spans(&md).to_ascii_lowercase();
    for bad in ["<img", "<!--", "<b>", "<i>", "onerror=alert(1)>"] {
        assert!(!lower.contains(bad), "{bad} in\n{md}");
    }
    assert_eq!(unsafe_chars(&md), [], "{md}");
    // Every row has as many unescaped pipes as its table's header.
    let pipe = regex::Regex::new(r"(^|[^\\])\|").unwrap();
    let lines: Vec<&str> = md.lines().collect();
    let mut columns = None;
    let mut rows = 0;
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with('|') {
            columns = None;
            continue;
        }
        if lines.get(i + 1).is_some_and(|l| l.starts_with("|---")) {
            columns = Some(pipe.find_iter(line).count());
            continue;
        }
        let want = columns.expect("a row outside a table");
        assert_eq!(
            pipe.find_iter(line).count(),
            want,
            "a row split or joined: {line}"
        );
        rows += usize::from(line.contains("WF101"));
    }
    assert!(rows >= 2, "{md}");
    assert!(!md.lines().any(|l| l.starts_with("| forged")), "{md}");
}

#[test]
fn junit_has_no_character_xml_forbids() {
    let dir = hostile_tree();
    let xml = stdout(wasmfit().args(["scan", "-f", "junit"]).arg(dir.path()));
    let bad: Vec<(usize, char)> = xml
        .char_indices()
        .filter(|(_, c)| unsafe_char(*c) && *c != '\r')
        .collect();
    assert_eq!(bad, [], "{xml:?}");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut failures = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == "failure" => {
                failures += 1
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Err(e) => panic!("{e}\n{xml}"),
            _ => {}
        }
    }
    assert_eq!(failures, 1, "the blocker fails:\n{xml}");
    assert!(xml.contains("\\x1b[2K"));
}

fn one_line_exit_2(c: &mut Command) -> String {
    let out = c.assert().code(2).get_output().clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("wasmfit: error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

#[test]
fn report_command_refuses_a_report_over_the_size_limit() {
    let fixture = repo().join("tests/data/fixture-report.json");
    let size = std::fs::metadata(&fixture).unwrap().len();
    let limit = (size - 1).to_string();
    let err = one_line_exit_2(wasmfit().arg("report").arg(&fixture).args([
        "-f",
        "text",
        "--max-report-bytes",
        &limit,
    ]));
    assert!(err.contains("--max-report-bytes"), "{err}");
    // Standard input has no size to look at first: it is cut while read.
    let err = one_line_exit_2(
        wasmfit()
            .args(["report", "-", "-f", "text", "--max-report-bytes", &limit])
            .write_stdin(std::fs::read(&fixture).unwrap()),
    );
    assert!(err.contains("--max-report-bytes"), "{err}");
    // At the limit it is read.
    stdout(wasmfit().arg("report").arg(&fixture).args([
        "-f",
        "text",
        "--max-report-bytes",
        &size.to_string(),
    ]));
}

#[test]
fn colour_follows_the_flag_then_clicolor_force_then_no_color() {
    let fixture = repo().join("tests/data/fixture-report.json");
    let coloured = |flag: Option<&str>, env: &[(&str, &str)]| {
        let mut c = wasmfit();
        c.arg("report").arg(&fixture).args(["-f", "text"]);
        if let Some(f) = flag {
            c.args(["--color", f]);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        stdout(&mut c).contains('\u{1b}')
    };
    // Standard output is a pipe here: no colour unless asked for.
    assert!(!coloured(None, &[]));
    assert!(coloured(None, &[("CLICOLOR_FORCE", "1")]));
    assert!(coloured(
        None,
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    ));
    assert!(!coloured(None, &[("CLICOLOR_FORCE", "0")]));
    assert!(coloured(Some("always"), &[("NO_COLOR", "1")]));
    assert!(!coloured(Some("never"), &[("CLICOLOR_FORCE", "1")]));
    // Colour is for the text format only.
    let mut c = wasmfit();
    c.arg("report")
        .arg(&fixture)
        .args(["-f", "markdown", "--color", "always"]);
    assert!(!stdout(&mut c).contains('\u{1b}'));
}

/// A repository whose scanned directory is not UTF-8 and whose files are
/// named with a backslash and a byte that is not UTF-8: every format names
/// the files that exist, and a saved JSON report, read back, names them
/// again (rendered, and as a baseline).
#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_survive_every_format_and_a_round_trip() {
    use std::os::unix::ffi::OsStrExt;
    let os = |b: &[u8]| std::ffi::OsStr::from_bytes(b).to_os_string();
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let svc = repo.path().join(os(b"svc\xfedir"));
    std::fs::create_dir(&svc).unwrap();
    let code = "import subprocess\nsubprocess.run(['ffmpeg'])\n";
    std::fs::write(svc.join("a\\b.py"), code).unwrap();
    std::fs::write(svc.join(os(b"bad\xffname.py")), code).unwrap();

    let json = stdout(wasmfit().args(["scan", "-f", "json"]).arg(&svc));
    let report: Value = serde_json::from_str(&json).unwrap();
    assert!(!json.contains('\u{fffd}'), "{json}");
    assert_eq!(report["repository"]["base"], "svc\\xFEdir", "{json}");
    let mut paths: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap())
        .filter_map(|e| e["path"].as_str())
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths, ["a\\b.py", "bad\\xFFname.py"], "{json}");
    // The JSON form decodes to the bytes of files that exist.
    for p in &paths {
        let real = wasmfit::model::path::decode(p);
        assert!(svc.join(os(&real)).is_file(), "{p}");
    }

    // SARIF: URIs percent-encode the real bytes, the root's too.
    let sarif = stdout(wasmfit().args(["scan", "-f", "sarif"]).arg(&svc));
    assert!(sarif.contains("svc%FEdir/bad%FFname.py"), "{sarif}");
    assert!(sarif.contains("svc%FEdir/a%5Cb.py"), "{sarif}");
    assert!(!sarif.contains("%EF%BF%BD"), "{sarif}");
    assert!(!sarif.contains("a/b.py"), "{sarif}");
    // Text: a visible escape for the byte, the backslash as it is.
    let text = stdout(wasmfit().env("NO_COLOR", "1").arg("scan").arg(&svc));
    assert!(text.contains("bad\\xFFname.py:2"), "{text}");
    assert!(text.contains("a\\b.py:2"), "{text}");
    assert!(!text.contains('\u{fffd}'), "{text}");

    // Read back: the same names in every format.
    let saved = tempfile::tempdir().unwrap();
    let file = saved.path().join("report.json");
    std::fs::write(&file, &json).unwrap();
    let again = stdout(wasmfit().arg("report").arg(&file).args(["-f", "sarif"]));
    assert!(again.contains("svc%FEdir/bad%FFname.py"), "{again}");
    assert!(again.contains("svc%FEdir/a%5Cb.py"), "{again}");
    let again = report_text(&file);
    assert!(again.contains("bad\\xFFname.py:2"), "{again}");

    // As a baseline it matches the same files: nothing is new.
    let gate = |baseline: &Path| {
        wasmfit()
            .args(["scan", "-q", "--fail-on", "blocker", "--baseline"])
            .arg(baseline)
            .arg(&svc)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(gate(&file), Some(0));
    // A baseline of the tree when the file's name held another byte that is
    // not UTF-8 names another file: that evidence is new and the gate
    // fails. (Shown lossily, both names would be `bad\u{fffd}name.py`.)
    let (real, other) = (
        svc.join(os(b"bad\xffname.py")),
        svc.join(os(b"bad\xfename.py")),
    );
    std::fs::rename(&real, &other).unwrap();
    let before = stdout(wasmfit().args(["scan", "-f", "json"]).arg(&svc));
    std::fs::rename(&other, &real).unwrap();
    assert!(before.contains(r#"bad\\xFEname.py"#), "{before}");
    let renamed = saved.path().join("renamed.json");
    std::fs::write(&renamed, before).unwrap();
    assert_eq!(gate(&renamed), Some(1));
}
