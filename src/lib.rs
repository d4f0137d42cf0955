//! wasmfit tells, service by service, whether to move from Docker containers
//! to WebAssembly (wasmtime, WASI 0.2), shows the evidence, and guards the
//! decision in CI.
//!
//! Data flows one way (ARCHITECTURE.md has the picture):
//! `input` finds artefacts, `parse` turns each into facts, `analyze` applies
//! `rules` to facts, merges hits into findings per root cause and scores
//! them, `scan` wires those stages together into a `model::Report`, and
//! `report` renders it. `model` is the floor every stage stands on and
//! imports nothing above it. Only `report` and `cli` print.

pub mod analyze;
pub mod bench;
pub mod cli;
pub mod config;
pub mod fleet;
pub mod gate;
pub mod image;
pub mod input;
pub mod interrupt;
pub mod model;
pub mod ordered;
pub mod parse;
pub mod plan;
pub mod report;
pub mod rules;
pub mod scan;
