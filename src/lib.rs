//! wasmfit tells, service by service, whether to move from Docker containers
//! to WebAssembly (wasmtime, WASI 0.2), shows the evidence, and guards the
//! decision in CI.
//!
//! Data flows one way: `discover` finds artefacts, `parse` turns each into
//! `facts`, `matcher` applies `rules` to facts, `finding` merges hits per root
//! cause, `score` weighs findings, and `report` renders. Only `report` and
//! `cli` print.

pub mod artifact;
pub mod bench;
pub mod cli;
pub mod config;
pub mod context;
pub mod diag;
pub mod discover;
pub mod facts;
pub mod finding;
pub mod gate;
pub mod image;
pub mod language;
pub mod lex;
pub mod linker;
pub mod matcher;
pub mod parse;
pub mod report;
pub mod rules;
pub mod runtime;
pub mod scan;
pub mod score;
pub mod signals;
pub mod suppress;
