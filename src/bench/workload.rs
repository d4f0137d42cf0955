//! The requests the bench sends and how it reads the answers, shared by all
//! three sides so each gets exactly the same bytes.
//!
//! stdio: one JSON request per line in, one response line out. The response
//! to request `i` must carry `"id":i` (any service that echoes the id
//! qualifies; the samples also upper-case the name and sum the values).
//! http: the same JSON document as the body of `POST /transform`.

use std::time::{Duration, Instant};

/// Request number `i` as one line (with its newline).
pub fn request(i: u64) -> String {
    format!(
        "{{\"id\":{i},\"name\":\"user-{i}\",\"values\":[{},{},{},5]}}\n",
        i % 7,
        i % 11,
        i % 13
    )
}

/// Requests `start..start + n`, concatenated.
pub fn requests(start: u64, n: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize * 56);
    for i in start..start + n {
        out.extend_from_slice(request(i).as_bytes());
    }
    out
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
/// the native pipe, the container's attach stream and the Wasm stdout, so
/// the three sides pay the same for being observed.
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
    /// line seen).
    pub fn window_rate(&self) -> Option<f64> {
        let (w, _) = self.window?;
        rate(self.lines.checked_sub(w)?, self.mark(w), self.last_line_at)
    }

    pub fn observe(&mut self, bytes: &[u8]) {
        if self.head.len() < HEAD_BYTES {
            let take = bytes.len().min(HEAD_BYTES - self.head.len());
            self.head.extend_from_slice(&bytes[..take]);
        }
        let new = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
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

    /// Checks that the first line answers `first_id`.
    pub fn check_first(&self, first_id: u64) -> Result<(), String> {
        if answers(self.first_line(), first_id) {
            Ok(())
        } else {
            Err(format!(
                "the first response does not answer request {first_id}: {:?}",
                String::from_utf8_lossy(self.first_line())
            ))
        }
    }
}

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
/// memory with no service in between. Requests are generated before a run
/// starts, so their cost is outside every measured window. Returns
/// nanoseconds per request.
pub fn harness_overhead_ns(n: u64) -> f64 {
    let answers = requests(0, n);
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

    #[test]
    fn requests_are_lines_and_answers_match_ids() {
        let r = request(12);
        assert!(r.ends_with('\n') && r.matches('\n').count() == 1);
        assert!(answers(
            br#"{"id":12,"name":"USER-12","sum":16,"count":4}"#,
            12
        ));
        assert!(!answers(br#"{"id":123}"#, 12));
        assert!(!answers(br#"{"error":"bad request"}"#, 12));
        assert_eq!(requests(0, 3).iter().filter(|&&b| b == b'\n').count(), 3);
    }

    #[test]
    fn line_clock_marks_and_first_line() {
        let mut c = LineClock::new(&[2, 3]);
        c.observe(b"{\"id\":0}\n{\"id\"");
        assert!(c.first_line_at.is_some() && c.mark(2).is_none());
        c.observe(b":1}\n{\"id\":2}\n");
        assert_eq!(c.lines, 3);
        assert!(c.mark(2).is_some() && c.mark(3).is_some());
        assert!(c.check_first(0).is_ok());
        assert!(c.check_first(5).is_err());
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
    fn plan_is_bounded() {
        assert_eq!(plan(f64::NAN, Duration::ZERO, Duration::ZERO), (100, 1000));
        let (w, m) = plan(10_000.0, Duration::from_millis(500), Duration::from_secs(2));
        assert_eq!((w, m), (5000, 40_000));
        assert_eq!(
            plan(1e9, Duration::from_secs(1), Duration::from_secs(1)),
            (1_000_000, 4_000_000)
        );
    }

    #[test]
    fn overhead_is_positive() {
        assert!(harness_overhead_ns(10_000) > 0.0);
    }
}
