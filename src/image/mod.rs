//! Container images as evidence: unpack a `docker save` archive or an OCI
//! layout into a temporary directory wasmfit owns, scan its final filesystem
//! with the normal scanner, and report what the image carries.
//!
//! Everything in an image is hostile until proven otherwise: layer entries
//! are checked one by one, symlinks are created but never followed while
//! writing, and sizes are bounded before anything is decompressed.

pub mod model;

pub use model::ImageInfo;
