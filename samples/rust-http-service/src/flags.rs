//! Flag definitions and evaluation.

use serde::{Deserialize, Serialize};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flag {
    pub key: String,
    pub enabled: bool,
    /// Percentage of subjects (0-100) that see the flag on when enabled.
    #[serde(default = "full_rollout")]
    pub rollout: u8,
    #[serde(default)]
    pub allow: Vec<String>,
}

fn full_rollout() -> u8 {
    100
}

#[derive(Debug, Serialize)]
pub struct Evaluation {
    pub key: String,
    pub on: bool,
    pub reason: &'static str,
}

impl Flag {
    /// Deterministic per-subject bucketing, so a user keeps the same answer.
    pub fn evaluate(&self, subject: &str) -> Evaluation {
        let (on, reason) = if !self.enabled {
            (false, "disabled")
        } else if self.allow.iter().any(|s| s == subject) {
            (true, "allow-list")
        } else {
            let mut h = DefaultHasher::new();
            (&self.key, subject).hash(&mut h);
            ((h.finish() % 100) < u64::from(self.rollout), "rollout")
        };
        Evaluation { key: self.key.clone(), on, reason }
    }
}
