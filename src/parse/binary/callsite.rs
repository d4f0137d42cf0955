//! What the instruction decoders (`x86`, `arm64`) find: raw syscall sites
//! with the number loaded before them, and calls to functions worth reading
//! with the constant arguments they pass.

use std::collections::HashMap;

/// A function whose calls are worth reading, and which arguments to read
/// (0-based; Go wrappers take the number as their first argument).
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub args: &'static [usize],
    /// Go's internal ABI (first argument in RAX on x86-64).
    pub go_abi: bool,
}

#[derive(Default)]
pub struct Targets {
    pub list: Vec<Target>,
    /// Call destination (stub or function entry) -> index in `list`.
    pub by_addr: HashMap<u64, usize>,
    /// Import slot (GOT) -> index in `list`.
    pub by_slot: HashMap<u64, usize>,
}

impl Targets {
    pub fn add(&mut self, t: Target, addr: Option<u64>, slot: Option<u64>) -> usize {
        let i = self.list.len();
        self.list.push(t);
        if let Some(a) = addr {
            self.by_addr.insert(a, i);
        }
        if let Some(s) = slot {
            self.by_slot.insert(s, i);
        }
        i
    }

    pub fn is_empty(&self) -> bool {
        self.by_addr.is_empty() && self.by_slot.is_empty()
    }
}

#[derive(Clone, Debug)]
pub struct RawSite {
    pub addr: u64,
    pub nr: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct CallSite {
    pub addr: u64,
    pub target: usize,
    /// One value per entry of the target's `args`.
    pub values: Vec<Option<u64>>,
}
