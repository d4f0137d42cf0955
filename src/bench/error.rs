//! The one error type of the bench: which step failed, what happened, and the
//! tail of the build or container log, so the user sees the cause without
//! re-running anything. The CLI maps every `BenchError` to exit status 2.

use std::fmt;

/// The step of the bench that failed, named as the user would look for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Input,
    Toolchain,
    NativeBuild,
    WasmBuild,
    ImageBuild,
    Container,
    Native,
    Wasm,
    Interrupted,
}

impl Step {
    pub fn name(self) -> &'static str {
        match self {
            Step::Input => "reading the service",
            Step::Toolchain => "finding the toolchain",
            Step::NativeBuild => "building the native binary",
            Step::WasmBuild => "building the Wasm port",
            Step::ImageBuild => "building the container image",
            Step::Container => "running the container",
            Step::Native => "running the native binary",
            Step::Wasm => "running the Wasm port",
            Step::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug)]
pub struct BenchError {
    pub step: Step,
    pub message: String,
    /// The last lines of the relevant log (compiler, docker build, container).
    pub log_tail: Vec<String>,
    /// The signal that interrupted the run (`Step::Interrupted`).
    pub signal: Option<i32>,
}

impl BenchError {
    pub fn new(step: Step, message: impl Into<String>) -> BenchError {
        BenchError {
            step,
            message: message.into(),
            log_tail: Vec::new(),
            signal: None,
        }
    }

    pub fn with_signal(mut self, signal: i32) -> BenchError {
        self.signal = Some(signal);
        self
    }

    /// Keeps the last `LOG_TAIL_LINES` non-empty lines of `log`.
    pub fn with_log(mut self, log: &str) -> BenchError {
        self.log_tail = tail_lines(log, LOG_TAIL_LINES);
        self
    }
}

/// How many log lines an error carries: enough for a compiler error and its
/// location, short enough to read in a terminal.
pub const LOG_TAIL_LINES: usize = 15;

pub fn tail_lines(log: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.chars().take(400).collect())
        .collect()
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Step::Interrupted => write!(f, "interrupted: {}", self.message)?,
            step => write!(f, "{} failed: {}", step.name(), self.message)?,
        }
        if !self.log_tail.is_empty() {
            write!(f, "\nlast lines of the log:")?;
            for line in &self.log_tail {
                write!(f, "\n  | {line}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for BenchError {}

pub type BenchResult<T> = Result<T, BenchError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_step_and_log_tail() {
        let e = BenchError::new(Step::WasmBuild, "cargo exited with status 101")
            .with_log("a\n\nb\nc\n");
        let text = e.to_string();
        assert!(text.starts_with("building the Wasm port failed: cargo exited"));
        assert!(text.contains("  | b\n  | c"));
    }

    #[test]
    fn tail_keeps_last_lines() {
        let log: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let t = tail_lines(&log, 3);
        assert_eq!(t, vec!["line 37", "line 38", "line 39"]);
    }
}
