//! Analysis: from facts to a verdict. `matcher` applies the rules to facts
//! and code, `linker` follows binaries to the libraries they load,
//! `suppress` applies the user's suppressions, `scopes` gives lock entries
//! the scope of the manifest declarations that pull them in, `finding`
//! merges hits per root cause, `runtime` weighs runtime hints, `score`
//! computes the score, verdict and effort, `signals` evaluates the
//! decision framework, `roles` recognises non-service artefacts, `units` finds what
//! ships, `entries` resolves the entry points manifests declare (`scripts`
//! follows the package-manager commands that run a package.json script),
//! `reach` walks the import graph from its entry points (`go_commands`
//! a Go package of cobra commands a file at a time), `healthcheck`
//! sets apart what an image's HEALTHCHECK runs, `selfupdate`
//! recognises code that updates the installation from its own checkout,
//! `dev_imports` code that loads a development-only package on demand, and
//! `optional_code` code a file runs only without a package or on another
//! system.
//! Nothing here reads files or prints.

pub(crate) mod callers;
mod code_rules;
pub(crate) mod dev_imports;
pub(crate) mod entries;
pub mod finding;
pub(crate) mod go_commands;
pub(crate) mod healthcheck;
pub mod library_mods;
pub mod linker;
pub(crate) mod literals;
pub mod matcher;
pub mod members;
pub(crate) mod optional_code;
pub mod reach;
pub mod roles;
pub mod runtime;
pub mod scopes;
pub mod score;
pub(crate) mod scripts;
pub(crate) mod selfupdate;
pub mod signals;
pub mod suppress;
pub mod switches;
pub(crate) mod unimported;
pub mod units;
pub(crate) mod variants;
