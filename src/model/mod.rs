//! The data model every stage shares: what a file is (`artifact`), what a
//! parser learned (`fact`), what a rule concluded (`finding`), and the
//! report that carries it all to the renderers (`report`), with the
//! descriptions of images, binaries, Wasm modules and bench results it
//! embeds. This module is the floor of the crate: it imports nothing from
//! the stages above it, so any stage may import it.

pub mod artifact;
pub mod bench;
pub mod binary;
pub mod context;
pub mod diag;
pub mod fact;
pub mod finding;
pub mod image;
pub mod language;
pub mod path;
pub mod report;
pub mod runtime;
pub mod score;
pub mod service;
pub mod signal;
pub mod target;
pub mod vocab;
pub mod wasm;

pub use report::Report;
