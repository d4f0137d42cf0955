//! Renderers: the only code besides the CLI that writes output.

pub mod bench;
pub mod excerpt;
pub mod flat;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod paths;
pub mod sarif;
pub mod tables;
pub mod text;
pub mod view;

pub use model::Report;
