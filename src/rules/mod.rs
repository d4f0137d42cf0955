//! Rules as data: loading the built-in rule files and users' own, and the
//! checked `RuleSet` every later stage reads.

pub mod load;
pub mod model;
pub mod runtimes;
pub mod version;

pub use crate::model::vocab::{Capability, Category, Confidence, Severity, Tier};
pub use load::{Loader, RuleError};
pub use model::{
    CapabilityClass, Covers, Matcher, Package, PluginHost, Rule, RuntimeTier, TargetHost,
};

use std::collections::HashMap;
use std::path::PathBuf;

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The built-in rule files as (path, text): what a fleet run fingerprints
/// to tell reports made with different rules apart.
pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
    builtin::BUILTIN
}

/// Every loaded rule, package entry and runtime tier.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
    pub packages: Vec<Package>,
    pub runtimes: runtimes::Runtimes,
    /// One entry per `model::target::Target`, in that order.
    pub targets: Vec<TargetHost>,
    /// One entry per capability of the vocabulary.
    pub capabilities: Vec<CapabilityClass>,
    pub plugin_hosts: Vec<PluginHost>,
}

impl RuleSet {
    /// The built-in rules plus every `*.toml` in `extra` directories.
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut loader = Loader::default();
        for (name, text) in builtin::BUILTIN {
            loader.add_file(name, text)?;
        }
        for dir in extra {
            loader.add_dir(dir)?;
        }
        loader.finish_complete()
    }

    /// The built-in rules only.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::load(&[])
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    pub fn index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn runtime(&self, id: crate::model::runtime::RuntimeId) -> Option<&RuntimeTier> {
        self.runtimes.get(id)
    }

    /// What a Wasm platform offers (every target has an entry: checked at
    /// load).
    pub fn target(&self, t: crate::model::target::Target) -> Option<&TargetHost> {
        self.targets.iter().find(|h| h.id == t)
    }

    /// How a capability stands against WASI 0.2 (every capability has an
    /// entry: checked at load).
    pub fn covers(&self, c: Capability) -> Covers {
        self.capabilities
            .iter()
            .find(|k| k.id == c)
            .map_or(Covers::None, |k| k.covers)
    }

    /// Whether a dependency runs guest code (rules/plugin-hosts.toml).
    pub fn is_plugin_host(&self, ecosystem: crate::model::fact::Ecosystem, name: &str) -> bool {
        self.plugin_hosts.iter().any(|p| p.matches(ecosystem, name))
    }

    /// Drops rules by id (a config's `[rules] off`). Package entries and
    /// runtime tiers naming a dropped rule stay: runtimes are still detected,
    /// they just no longer produce that rule's finding.
    pub fn remove(&mut self, ids: &[&str]) {
        self.rules.retain(|r| !ids.contains(&r.id.as_str()));
        self.by_id = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    /// Rules sorted by id, for listings.
    pub fn sorted(&self) -> Vec<&Rule> {
        let mut v: Vec<&Rule> = self.rules.iter().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    }
}
