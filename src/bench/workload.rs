//! The requests the bench sends and how it checks the answers, shared by
//! every side so each gets exactly the same bytes.
//!
//! The workload is the user's: `--request FILE` gives stdio request lines
//! (sent in turn, over and over) or one HTTP request (method and path,
//! headers, body); `--expect` says what a good answer is. The defaults work
//! for any service: generated JSON lines with one answer line each for
//! stdio, `GET /` with a 2xx status for http. `--expect id` is the strict
//! contract of the samples: the generated numbered documents are sent and
//! each answer must echo its `"id"`.

use crate::model::bench::Workload;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, Instant};

/// Largest request file read.
pub const MAX_REQUEST_FILE: u64 = 16 * 1024 * 1024;

/// What a good answer is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// stdio: any line; http: any complete response.
    Line,
    /// http: a status from 200 to 299.
    #[serde(rename = "2xx")]
    Status2xx,
    /// The answer to request `i` carries `"id":i` (generated requests).
    Id,
    /// The answer line (stdio) or body (http) matches this regex.
    Regex(String),
}

impl Expect {
    /// `line`, `2xx`, `id`, or anything else as a regex.
    pub fn parse(text: &str) -> Result<Expect, String> {
        match text {
            "line" => Ok(Expect::Line),
            "2xx" => Ok(Expect::Status2xx),
            "id" => Ok(Expect::Id),
            re => regex::Regex::new(re)
                .map(|_| Expect::Regex(re.to_string()))
                .map_err(|e| {
                    format!("--expect {re:?} is not `line`, `2xx`, `id` or a valid regex: {e}")
                }),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Expect::Line => "any answer line".to_string(),
            Expect::Status2xx => "HTTP status 2xx".to_string(),
            Expect::Id => "each answer echoes its request's \"id\"".to_string(),
            Expect::Regex(r) => format!("answers match /{r}/"),
        }
    }
}

/// The requests of one bench run and the check of their answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    pub workload: Workload,
    /// stdio: the request lines (each with its newline); empty means the
    /// generated numbered documents.
    pub lines: Vec<Vec<u8>>,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// http: the body; `None` means the generated numbered document.
    pub body: Option<Vec<u8>>,
    pub expect: Expect,
    /// Where the requests came from, for the results.
    pub source: String,
}

impl Requests {
    /// The defaults for a workload: generated lines with one answer line
    /// each, or `GET /` with a 2xx.
    pub fn default_for(workload: Workload) -> Requests {
        match workload {
            Workload::Stdio => Requests {
                workload,
                lines: Vec::new(),
                method: String::new(),
                path: String::new(),
                headers: Vec::new(),
                body: None,
                expect: Expect::Line,
                source: "generated JSON lines".to_string(),
            },
            Workload::Http => Requests {
                workload,
                lines: Vec::new(),
                method: "GET".to_string(),
                path: "/".to_string(),
                headers: Vec::new(),
                body: Some(Vec::new()),
                expect: Expect::Status2xx,
                source: "GET /".to_string(),
            },
        }
    }

    /// Builds the requests from the flags. `file` is `--request`; `expect`
    /// is `--expect`. Errors are one line naming the file and line.
    pub fn from_flags(
        workload: Workload,
        file: Option<&Path>,
        expect: Option<&str>,
    ) -> Result<Requests, String> {
        let mut r = Requests::default_for(workload);
        if let Some(path) = file {
            let text = read_bounded(path)?;
            match workload {
                Workload::Stdio => {
                    r.lines = stdio_lines(&text);
                    if r.lines.is_empty() {
                        return Err(format!("{}:1: no request line in the file", path.display()));
                    }
                    r.source = format!("{} request line(s) from {}", r.lines.len(), path.display());
                }
                Workload::Http => {
                    parse_http(&mut r, &text)
                        .map_err(|(line, e)| format!("{}:{line}: {e}", path.display()))?;
                    r.source = format!("{} {} from {}", r.method, r.path, path.display());
                }
            }
        }
        if let Some(e) = expect {
            r.expect = Expect::parse(e)?;
        }
        if r.expect == Expect::Id {
            match workload {
                Workload::Stdio if !r.lines.is_empty() => {
                    return Err(
                        "--expect id checks the generated numbered requests; with --request FILE use --expect line or --expect REGEX"
                            .to_string(),
                    )
                }
                Workload::Stdio => {}
                Workload::Http => {
                    // The samples' contract: numbered JSON documents posted
                    // to the file's path, or to /transform.
                    if file.is_none() {
                        r.method = "POST".to_string();
                        r.path = "/transform".to_string();
                    }
                    r.body = None;
                    if !r.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
                        r.headers.push(("content-type".to_string(), "application/json".to_string()));
                    }
                    r.source = format!("generated numbered JSON documents, {} {}", r.method, r.path);
                }
            }
        }
        Ok(r)
    }

    /// stdio request `i`, with its newline.
    pub fn line(&self, i: u64) -> Vec<u8> {
        if self.lines.is_empty() {
            generated(i).into_bytes()
        } else {
            self.lines[(i % self.lines.len() as u64) as usize].clone()
        }
    }

    /// stdio requests `start..start + n`, concatenated.
    pub fn stream(&self, start: u64, n: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity(n as usize * 56);
        for i in start..start + n {
            out.extend_from_slice(&self.line(i));
        }
        out
    }

    /// http body of request `i`.
    pub fn body(&self, i: u64) -> Vec<u8> {
        match &self.body {
            Some(b) => b.clone(),
            None => generated(i).trim_end().as_bytes().to_vec(),
        }
    }

    /// Checks answer `i`: `status` is `None` for stdio. The error says what
    /// was wrong and which flag fits a service that answers otherwise.
    pub fn check(&self, i: u64, status: Option<u16>, answer: &[u8]) -> Result<(), String> {
        let shown = || {
            let end = answer.len().min(200);
            format!("{:?}", String::from_utf8_lossy(&answer[..end]))
        };
        if let Some(s) = status {
            if self.expect != Expect::Line && !(200..300).contains(&s) {
                return Err(format!(
                    "{} {} answered HTTP {s}: {}; pass --request FILE with a method and path the service serves, or --expect line to accept any status",
                    self.method,
                    self.path,
                    shown()
                ));
            }
        }
        match &self.expect {
            Expect::Line | Expect::Status2xx => Ok(()),
            Expect::Id if answers(answer, i) => Ok(()),
            Expect::Id => Err(format!(
                "the answer to request {i} does not echo \"id\":{i}: {}; for a service that answers otherwise drop --expect id (stdio: one line per request) or pass --expect REGEX",
                shown()
            )),
            Expect::Regex(re) => {
                let ok = regex::bytes::Regex::new(re)
                    .map(|r| r.is_match(answer))
                    .unwrap_or(false);
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "the answer to request {i} does not match --expect /{re}/: {}",
                        shown()
                    ))
                }
            }
        }
    }

    /// In words, for the results.
    pub fn describe(&self) -> String {
        self.source.clone()
    }
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !meta.is_file() {
        return Err(format!("{}: not a file", path.display()));
    }
    if meta.len() > MAX_REQUEST_FILE {
        return Err(format!(
            "{}: {} bytes, more than the {} MiB a request file may hold",
            path.display(),
            meta.len(),
            MAX_REQUEST_FILE >> 20
        ));
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Non-empty lines, each given back its newline.
fn stdio_lines(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(|l| {
            let mut v = l.to_vec();
            v.push(b'\n');
            v
        })
        .collect()
}

/// `METHOD /path [HTTP/1.1]`, header lines, a blank line, the body.
fn parse_http(r: &mut Requests, text: &[u8]) -> Result<(), (usize, String)> {
    let mut rest = text;
    let mut line_no = 0;
    let next_line = |rest: &mut &[u8]| -> Option<String> {
        if rest.is_empty() {
            return None;
        }
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let line = String::from_utf8_lossy(&rest[..end])
            .trim_end_matches('\r')
            .to_string();
        *rest = &rest[(end + 1).min(rest.len())..];
        Some(line)
    };
    let first = loop {
        line_no += 1;
        match next_line(&mut rest) {
            None => return Err((line_no, "no request line (`METHOD /path`)".to_string())),
            Some(l) if l.trim().is_empty() => continue,
            Some(l) => break l,
        }
    };
    let mut words = first.split_whitespace();
    let method = words.next().unwrap_or_default();
    let path = words.next().unwrap_or_default();
    if method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_alphabetic())
        || !path.starts_with('/')
        || path.bytes().any(|b| b.is_ascii_control())
    {
        return Err((
            line_no,
            format!("expected `METHOD /path`, found {:?}", clip(&first)),
        ));
    }
    r.method = method.to_ascii_uppercase();
    r.path = path.to_string();
    r.headers.clear();
    loop {
        line_no += 1;
        match next_line(&mut rest) {
            None => break,
            Some(l) if l.is_empty() => break,
            Some(l) => {
                let Some((name, value)) = l.split_once(':') else {
                    return Err((
                        line_no,
                        format!("expected `Name: value`, found {:?}", clip(&l)),
                    ));
                };
                let name = name.trim();
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err((line_no, format!("bad header name {:?}", clip(name))));
                }
                // The client sets these itself.
                if ["content-length", "host", "transfer-encoding", "connection"]
                    .iter()
                    .any(|h| name.eq_ignore_ascii_case(h))
                {
                    continue;
                }
                r.headers.push((name.to_string(), value.trim().to_string()));
            }
        }
    }
    r.body = Some(rest.to_vec());
    Ok(())
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Generated request number `i` as one line (with its newline).
pub fn generated(i: u64) -> String {
    format!(
        "{{\"id\":{i},\"name\":\"user-{i}\",\"values\":[{},{},{},5]}}\n",
        i % 7,
        i % 11,
        i % 13
    )
}

/// True when `response` answers request `id`.
pub fn answers(response: &[u8], id: u64) -> bool {
    let needle = format!("\"id\":{id}");
    let text = String::from_utf8_lossy(response);
    text.match_indices(&needle).any(|(at, _)| {
        // `"id":1` must not match `"id":12`.
        !text[at + needle.len()..].starts_with(|c: char| c.is_ascii_digit())
    })
}

/// How much of the output is kept to check the answers and show errors.
const HEAD_BYTES: usize = 4096;

/// Watches an output stream: counts lines, notes when the first one and
/// chosen ones complete, and keeps the first few KiB. The same code reads
/// every side's output, on a thread of its own (never the guest's).
#[derive(Debug)]
pub struct LineClock {
    pub lines: u64,
    pub first_line_at: Option<Instant>,
    /// When the latest line completed.
    pub last_line_at: Option<Instant>,
    /// (line count to wait for, when it was reached)
    marks: Vec<(u64, Option<Instant>)>,
    /// Throughput window: (warm-up line count, length after it).
    window: Option<(u64, Duration)>,
    pub head: Vec<u8>,
}

impl LineClock {
    pub fn new(marks: &[u64]) -> LineClock {
        LineClock {
            lines: 0,
            first_line_at: None,
            last_line_at: None,
            marks: marks.iter().map(|&m| (m, None)).collect(),
            window: None,
            head: Vec::new(),
        }
    }

    /// A clock for a throughput run: the window opens when `warmup` lines
    /// are answered and closes `duration` later (or when the input runs out).
    pub fn windowed(warmup: u64, duration: Duration) -> LineClock {
        let mut c = LineClock::new(&[warmup]);
        c.window = Some((warmup, duration));
        c
    }

    /// True once `expect` lines arrived or the throughput window closed.
    pub fn done(&self, expect: u64) -> bool {
        if self.lines >= expect {
            return true;
        }
        match (self.window, self.last_line_at) {
            (Some((w, d)), Some(last)) => self
                .mark(w)
                .is_some_and(|start| last.duration_since(start) >= d),
            _ => false,
        }
    }

    /// Answers per second inside the window (from its opening to the last
    /// line seen: the real elapsed window, not the configured one).
    pub fn window_rate(&self) -> Option<f64> {
        let (w, _) = self.window?;
        rate(self.lines.checked_sub(w)?, self.mark(w), self.last_line_at)
    }

    /// The window's rate for a run that sent `sent` request lines, or why
    /// there is none. More answer lines than requests (beyond a few, for a
    /// banner) mean the service writes without reading: what the window
    /// would count is its output speed, not answers. A flood usually
    /// overshoots by a whole read buffer, and when a read happens to end
    /// near the count, the window has no length instead.
    pub fn window_rate_of(&self, sent: u64) -> Result<f64, &'static str> {
        if self.flooded(sent) {
            return Err(FLOODED);
        }
        self.window_rate().ok_or(NO_WINDOW)
    }

    /// More answer lines than the `sent` requests, beyond a banner's worth.
    pub fn flooded(&self, sent: u64) -> bool {
        self.lines > sent.saturating_add(EXTRA_LINES)
    }

    /// Counts the lines of output read after the last expected answer (the
    /// flood check's tail): the count only, so the window still ends at the
    /// last expected answer.
    pub fn observe_tail(&mut self, bytes: &[u8]) {
        self.lines += memchr::memchr_iter(b'\n', bytes).count() as u64;
    }

    pub fn observe(&mut self, bytes: &[u8]) {
        if self.head.len() < HEAD_BYTES {
            let take = bytes.len().min(HEAD_BYTES - self.head.len());
            self.head.extend_from_slice(&bytes[..take]);
        }
        let new = memchr::memchr_iter(b'\n', bytes).count() as u64;
        if new == 0 {
            return;
        }
        let now = Instant::now();
        self.lines += new;
        self.last_line_at = Some(now);
        if self.first_line_at.is_none() {
            self.first_line_at = Some(now);
        }
        for (mark, at) in &mut self.marks {
            if at.is_none() && self.lines >= *mark {
                *at = Some(now);
            }
        }
    }

    /// When line `mark` (given to `new`) completed.
    pub fn mark(&self, mark: u64) -> Option<Instant> {
        self.marks
            .iter()
            .find(|(m, _)| *m == mark)
            .and_then(|(_, at)| *at)
    }

    /// The first line of output, for checks and error messages.
    pub fn first_line(&self) -> &[u8] {
        let end = self
            .head
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(self.head.len());
        &self.head[..end]
    }

    /// Checks the answer lines kept in `head` (up to a few KiB) against
    /// `requests`, numbered from 0.
    pub fn check(&self, requests: &Requests) -> Result<(), String> {
        let complete = match self.head.iter().rposition(|&b| b == b'\n') {
            Some(end) => &self.head[..end],
            None => return Err("no complete answer line".to_string()),
        };
        for (i, line) in complete.split(|&b| b == b'\n').enumerate().take(16) {
            requests.check(i as u64, None, line)?;
        }
        Ok(())
    }
}

/// Why a throughput window has no length: every answer line arrived in the
/// same read, which a service answering request by request does not do.
pub const NO_WINDOW: &str = "the measured window has no length: every answer line arrived at once \
     (does the service write lines without reading its requests? it must answer each request line \
     with one line; see --request, --expect)";

/// Answer lines beyond the requests sent that a run tolerates (a banner, a
/// trailing summary) before calling the output a flood.
const EXTRA_LINES: u64 = 16;

/// Why a throughput window is refused when the service answered more lines
/// than it was sent.
pub const FLOODED: &str = "the service wrote more answer lines than the request lines it was sent \
     (does the service write lines without reading its requests? it must answer each request line \
     with one line; see --request, --expect)";

/// Requests per second from a measured window: `n` answers between the
/// completion of line `from` and of line `from + n`.
pub fn rate(n: u64, start: Option<Instant>, end: Option<Instant>) -> Option<f64> {
    let secs = end?.checked_duration_since(start?)?.as_secs_f64();
    (secs > 0.0).then(|| n as f64 / secs)
}

/// Request counts prepared for a throughput run: `warmup` requests, then
/// up to `measured` more. The run itself ends when the window's `duration`
/// has passed; the counts only have to be large enough, so they are sized
/// from a calibrated rate with room to spare.
pub fn plan(rate: f64, warmup: Duration, duration: Duration) -> (u64, u64) {
    let rate = if rate.is_finite() && rate > 0.0 {
        rate
    } else {
        1000.0
    };
    let w = (rate * warmup.as_secs_f64()).ceil() as u64;
    let m = (rate * duration.as_secs_f64() * 2.0).ceil() as u64;
    // Floors keep tiny runs meaningful; the caps bound the prepared input
    // (about 60 bytes a request): a service faster than that gets a
    // shorter window, which the rate does not depend on.
    (w.clamp(100, 1_000_000), m.clamp(1_000, 4_000_000))
}

/// What wasmfit's own handling costs per request on the measured path:
/// finding and counting its answer line in the output stream (the same
/// `LineClock` every side uses), timed over `n` answer-sized lines in
/// memory with no service in between. Returns nanoseconds per request.
pub fn harness_overhead_ns(n: u64) -> f64 {
    let r = Requests::default_for(Workload::Stdio);
    let answers = r.stream(0, n);
    let started = Instant::now();
    let mut clock = LineClock::new(&[n / 2, n]);
    for chunk in answers.chunks(64 * 1024) {
        clock.observe(std::hint::black_box(chunk));
    }
    std::hint::black_box(&clock);
    started.elapsed().as_nanos() as f64 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn generated_requests_and_id_answers() {
        let r = generated(12);
        assert!(r.ends_with('\n') && r.matches('\n').count() == 1);
        assert!(answers(
            br#"{"id":12,"name":"USER-12","sum":16,"count":4}"#,
            12
        ));
        assert!(!answers(br#"{"id":123}"#, 12));
        assert!(!answers(br#"{"error":"bad request"}"#, 12));
    }

    #[test]
    fn defaults_accept_any_line_and_any_2xx() {
        let s = Requests::default_for(Workload::Stdio);
        assert!(s.check(0, None, br#"{"greeting":"hello, user-0"}"#).is_ok());
        let h = Requests::default_for(Workload::Http);
        assert_eq!((h.method.as_str(), h.path.as_str()), ("GET", "/"));
        assert!(h.check(0, Some(204), b"").is_ok());
        let e = h.check(0, Some(404), b"no").unwrap_err();
        assert!(e.contains("--request FILE"), "{e}");
    }

    #[test]
    fn strict_id_names_the_flags_to_use() {
        let r = Requests::from_flags(Workload::Stdio, None, Some("id")).unwrap();
        let e = r
            .check(0, None, br#"{"greeting":"hello, user-0"}"#)
            .unwrap_err();
        assert!(e.contains("--expect"), "{e}");
        assert!(r.check(3, None, br#"{"id":3}"#).is_ok());
        let h = Requests::from_flags(Workload::Http, None, Some("id")).unwrap();
        assert_eq!((h.method.as_str(), h.path.as_str()), ("POST", "/transform"));
        assert!(String::from_utf8(h.body(5)).unwrap().contains("\"id\":5"));
    }

    #[test]
    fn regex_expect_and_bad_regex() {
        let r = Requests::from_flags(Workload::Stdio, None, Some("^\\{\"greeting\"")).unwrap();
        assert!(r.check(0, None, br#"{"greeting":"hi"}"#).is_ok());
        assert!(r.check(0, None, br#"{"error":1}"#).is_err());
        assert!(Requests::from_flags(Workload::Stdio, None, Some("(")).is_err());
    }

    #[test]
    fn request_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(dir.path(), "in.txt", "hello\r\n\n  \nworld\n");
        let r = Requests::from_flags(Workload::Stdio, Some(&f), None).unwrap();
        assert_eq!(r.stream(0, 3), b"hello\nworld\nhello\n");
        let f = write(
            dir.path(),
            "req.http",
            "POST /greet HTTP/1.1\ncontent-type: text/plain\nContent-Length: 99\n\nuser-0",
        );
        let r = Requests::from_flags(Workload::Http, Some(&f), None).unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/greet"));
        assert_eq!(
            r.headers,
            vec![("content-type".to_string(), "text/plain".to_string())]
        );
        assert_eq!(r.body(0), b"user-0");
        // Errors name the file and the line.
        let bad = write(dir.path(), "bad.http", "\nGET nopath\n");
        let e = Requests::from_flags(Workload::Http, Some(&bad), None).unwrap_err();
        assert!(e.contains("bad.http:2:"), "{e}");
        let bad = write(dir.path(), "bad2.http", "GET /\nno colon here\n");
        let e = Requests::from_flags(Workload::Http, Some(&bad), None).unwrap_err();
        assert!(e.contains("bad2.http:2:"), "{e}");
        let empty = write(dir.path(), "empty.txt", "\n\n");
        assert!(Requests::from_flags(Workload::Stdio, Some(&empty), None)
            .unwrap_err()
            .contains("empty.txt:1:"));
        assert!(Requests::from_flags(Workload::Stdio, Some(&f), Some("id")).is_err());
    }

    #[test]
    fn line_clock_marks_and_checks() {
        let mut c = LineClock::new(&[2, 3]);
        c.observe(b"{\"id\":0}\n{\"id\"");
        assert!(c.first_line_at.is_some() && c.mark(2).is_none());
        c.observe(b":1}\n{\"id\":2}\n");
        assert_eq!(c.lines, 3);
        assert!(c.mark(2).is_some() && c.mark(3).is_some());
        let strict = Requests::from_flags(Workload::Stdio, None, Some("id")).unwrap();
        assert!(c.check(&strict).is_ok());
        let mut wrong = LineClock::new(&[]);
        wrong.observe(b"{\"id\":5}\n");
        assert!(wrong.check(&strict).is_err());
    }

    #[test]
    fn window_closes_after_its_duration() {
        let mut c = LineClock::windowed(1, Duration::from_millis(20));
        c.observe(b"a\n");
        assert!(!c.done(100));
        std::thread::sleep(Duration::from_millis(25));
        c.observe(b"b\nc\n");
        assert!(c.done(100));
        let r = c.window_rate().unwrap();
        assert!(r > 0.0 && r < 2.0 / 0.02, "{r}");
        assert!(LineClock::windowed(0, Duration::from_secs(9)).done(0));
    }

    #[test]
    fn more_answers_than_requests_is_a_flood_not_a_rate() {
        let mut c = LineClock::windowed(1, Duration::from_millis(1));
        c.observe(b"a\n");
        std::thread::sleep(Duration::from_millis(2));
        c.observe(&b"x\n".repeat(100));
        // 101 lines for 100 requests: a banner's worth, still a rate.
        assert!(c.window_rate_of(100).is_ok());
        // 101 lines for 10 requests: the service writes without reading.
        assert_eq!(c.window_rate_of(10), Err(FLOODED));
    }

    #[test]
    fn plan_is_bounded() {
        assert_eq!(plan(f64::NAN, Duration::ZERO, Duration::ZERO), (100, 1000));
        let (w, m) = plan(10_000.0, Duration::from_millis(500), Duration::from_secs(2));
        assert_eq!((w, m), (5000, 40_000));
    }

    #[test]
    fn overhead_is_positive() {
        assert!(harness_overhead_ns(10_000) > 0.0);
    }
}
