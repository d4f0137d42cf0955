//! placeholder
use super::Output;
use crate::context::Context;
pub fn parse(_rel: &str, _text: &str, _context: Context) -> Output { Output::default() }
