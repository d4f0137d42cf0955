//! What the server and the client share.

pub mod money;
pub mod shell;
