//! Parsers: one per artefact kind, each turning bytes into `Fact`s.
//!
//! A parser never decides what is good or bad for Wasm; that is the rules'
//! job. It only says what is there, where, and what it could not read.

pub mod archive;
pub mod binary;
pub mod compose;
pub mod dockerfile;
pub mod manifest;
pub mod source;
pub mod wasm;

use crate::diag::Diagnostic;
use crate::facts::Fact;

/// What one parser produced for one file.
#[derive(Debug, Default)]
pub struct Output {
    pub facts: Vec<Fact>,
    pub diagnostics: Vec<Diagnostic>,
}
