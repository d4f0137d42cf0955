//! Renderers: the only code besides the CLI that writes output.

pub mod json;
pub mod model;
pub mod text;

pub use model::Report;
