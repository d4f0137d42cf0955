//! Input: finding what to scan. The walk over a tree (`discover`) classifies
//! each file as source, manifest, Dockerfile, compose file, binary, Wasm or
//! archive, gives it a context from its path, and says what was left out.
//! Container images are an input too, unpacked by `crate::image` and then
//! walked like a tree.

pub mod bounded;
pub mod discover;
pub mod excerpt;
pub(crate) mod ignore_files;
pub mod present;
pub mod repo;
