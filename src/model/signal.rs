//! One answer of the decision framework ("pick Wasm if", "pick Docker
//! if") with its evidence. The framework is evaluated in `analyze::signals`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Wasm,
    Docker,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub id: String,
    pub side: Side,
    /// The framework's wording.
    pub text: String,
    pub holds: bool,
    /// Why it holds or not, with paths.
    pub evidence: Vec<String>,
}
