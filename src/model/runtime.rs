//! The runtimes a scan detected and their Wasm support tiers. Detection
//! itself is `analyze::runtime`.

use crate::model::fact::Location;
use crate::model::vocab::Tier;
use serde::{Deserialize, Serialize};

/// One detected runtime and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detected {
    pub id: String,
    pub name: String,
    pub tier: Tier,
    pub weight: u32,
    pub note: String,
    pub toolchain: String,
    pub rule_id: String,
    /// Up to a few places that show it.
    pub evidence: Vec<Location>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Runtimes {
    /// The runtime the service runs on, if any evidence says.
    pub primary: Option<Detected>,
    /// Every runtime seen in service context, heaviest first.
    pub detected: Vec<Detected>,
}
