//! Lock-file dependency graphs, and the walk that gives every entry the
//! context of the roots that pull it in.
//!
//! A package reached from a runtime root is runtime; one reached only from
//! dev roots is dev; one reached only through optional edges is optional.
//! Along a path the least shipping context wins, and over all paths the most
//! shipping one (a bottleneck path over `Context`'s order, which runs from
//! `service` to what ships least). With one bucket per context every node is
//! settled once and every edge followed once: the walk is linear in the
//! lock's size, and cycles cost nothing.
//!
//! Used by the lock parsers that carry their own roots (pnpm, uv) and by
//! `analyze::scopes` for locks whose roots are in a manifest.

use crate::model::context::Context;
use crate::model::fact::Ecosystem;
use std::collections::HashMap;

/// Entries per lock file that get a graph; a bigger lock keeps its file's
/// context (it still counts) and says so.
pub const MAX_NODES: usize = 200_000;
/// Edges per lock file, likewise.
pub const MAX_EDGES: usize = 2_000_000;

/// Adjacency lists, bounded.
#[derive(Debug, Default)]
pub struct Graph {
    edges: Vec<Vec<(u32, bool)>>,
    count: usize,
    truncated: bool,
}

impl Graph {
    pub fn new(nodes: usize) -> Graph {
        let truncated = nodes > MAX_NODES;
        Graph {
            edges: vec![Vec::new(); nodes.min(MAX_NODES)],
            count: 0,
            truncated,
        }
    }

    pub fn len(&self) -> usize {
        self.edges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.edges.is_empty()
    }

    /// Adds `from -> to`; `optional` marks a dependency that is installed
    /// only when someone opts in.
    pub fn add(&mut self, from: usize, to: usize, optional: bool) {
        if from >= self.edges.len() || to >= self.edges.len() {
            return;
        }
        if self.count >= MAX_EDGES {
            self.truncated = true;
            return;
        }
        self.count += 1;
        self.edges[from].push((to as u32, optional));
    }

    /// Whether a cap was hit: the walk's answer is then incomplete and must
    /// not be used to take evidence out of the service.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The most shipping context each node is reached with from `roots`
    /// (None: not reached).
    pub fn reach(&self, roots: &[(usize, Context)]) -> Vec<Option<Context>> {
        let rank = |c: Context| Context::ALL.iter().position(|&x| x == c).unwrap_or(0);
        let optional = rank(Context::Optional);
        let mut settled: Vec<Option<Context>> = vec![None; self.edges.len()];
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); Context::ALL.len()];
        for &(node, ctx) in roots {
            if node < self.edges.len() {
                buckets[rank(ctx)].push(node);
            }
        }
        for b in 0..buckets.len() {
            while let Some(node) = buckets[b].pop() {
                if settled[node].is_some() {
                    continue;
                }
                settled[node] = Some(Context::ALL[b]);
                for &(to, opt) in &self.edges[node] {
                    let to = to as usize;
                    if settled[to].is_none() {
                        let next = if opt { b.max(optional) } else { b };
                        buckets[next].push(to);
                    }
                }
            }
        }
        settled
    }
}

/// Finds entries by key, or by name where a lock names a dependency without
/// saying which version (Gemfile.lock, Cargo.lock's unambiguous entries).
#[derive(Debug)]
pub struct Index {
    ecosystem: Ecosystem,
    by_key: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
}

impl Index {
    pub fn new(ecosystem: Ecosystem) -> Index {
        Index {
            ecosystem,
            by_key: HashMap::new(),
            by_name: HashMap::new(),
        }
    }

    pub fn insert(&mut self, key: &str, name: &str, idx: usize) {
        self.by_key.entry(key.to_string()).or_insert(idx);
        self.by_name
            .entry(self.ecosystem.normalize(name))
            .or_default()
            .push(idx);
    }

    /// The entry with this key, else every entry with this name.
    pub fn resolve(&self, key_or_name: &str) -> Vec<usize> {
        if let Some(&i) = self.by_key.get(key_or_name) {
            return vec![i];
        }
        self.named(key_or_name).to_vec()
    }

    /// Every entry with this name.
    pub fn named(&self, name: &str) -> &[usize] {
        self.by_name
            .get(&self.ecosystem.normalize(name))
            .map_or(&[], Vec::as_slice)
    }

    /// The entry with exactly this key.
    pub fn key(&self, key: &str) -> Option<usize> {
        self.by_key.get(key).copied()
    }
}

/// One entry as a parser or `analyze::scopes` sees it.
pub struct Node<'a> {
    pub key: &'a str,
    pub name: &'a str,
    pub requires: &'a [String],
    pub optional: &'a [String],
}

/// The graph and index of a lock's entries, edges resolved within the file.
pub fn build(ecosystem: Ecosystem, nodes: &[Node]) -> (Graph, Index) {
    let mut index = Index::new(ecosystem);
    for (i, n) in nodes.iter().enumerate().take(MAX_NODES) {
        index.insert(n.key, n.name, i);
    }
    let mut graph = Graph::new(nodes.len());
    for (i, n) in nodes.iter().enumerate().take(MAX_NODES) {
        for (list, opt) in [(n.requires, false), (n.optional, true)] {
            for r in list {
                for to in index.resolve(r) {
                    graph.add(i, to, opt);
                }
            }
        }
    }
    (graph, index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_shipping_path_wins_and_optional_edges_cap() {
        // 0 -> 1 -> 2 -> 0 (cycle); 3 -opt-> 4; 5 (dev root) -> 2, 6.
        let mut g = Graph::new(7);
        g.add(0, 1, false);
        g.add(1, 2, false);
        g.add(2, 0, false);
        g.add(3, 4, true);
        g.add(5, 2, false);
        g.add(5, 6, false);
        let got = g.reach(&[
            (0, Context::Service),
            (3, Context::Service),
            (5, Context::Dev),
        ]);
        assert_eq!(
            got,
            [
                Some(Context::Service),
                Some(Context::Service),
                Some(Context::Service),
                Some(Context::Service),
                Some(Context::Optional),
                Some(Context::Dev),
                Some(Context::Dev),
            ]
        );
        // A dev root through an optional edge stays dev.
        let mut g = Graph::new(2);
        g.add(0, 1, true);
        assert_eq!(g.reach(&[(0, Context::Dev)])[1], Some(Context::Dev));
        assert_eq!(Graph::new(1).reach(&[])[0], None);
    }

    #[test]
    fn caps_are_reported() {
        let g = Graph::new(MAX_NODES + 1);
        assert!(g.truncated());
        assert_eq!(g.len(), MAX_NODES);
        let mut g = Graph::new(2);
        for _ in 0..=MAX_EDGES {
            g.add(0, 1, false);
        }
        assert!(g.truncated());
        // Out-of-range edges are ignored, not a panic.
        g.add(7, 9, false);
        assert_eq!(g.reach(&[(9, Context::Service)]).len(), 2);
    }

    #[test]
    fn long_chains_do_not_recurse() {
        let n = 100_000;
        let mut g = Graph::new(n);
        for i in 1..n {
            g.add(i - 1, i, false);
        }
        assert_eq!(g.reach(&[(0, Context::Test)])[n - 1], Some(Context::Test));
    }

    #[test]
    fn index_resolves_keys_then_names() {
        let reqs: Vec<String> = vec!["b".into(), "c 2.0".into(), "missing".into()];
        let nodes = [
            Node {
                key: "a 1.0",
                name: "a",
                requires: &reqs,
                optional: &[],
            },
            Node {
                key: "b 1.0",
                name: "b",
                requires: &[],
                optional: &[],
            },
            Node {
                key: "c 1.0",
                name: "c",
                requires: &[],
                optional: &[],
            },
            Node {
                key: "c 2.0",
                name: "c",
                requires: &[],
                optional: &[],
            },
        ];
        let (g, idx) = build(Ecosystem::Crates, &nodes);
        assert_eq!(idx.resolve("c"), [2, 3]);
        assert_eq!(idx.key("c 2.0"), Some(3));
        let got = g.reach(&[(0, Context::Service)]);
        assert_eq!(
            got,
            [
                Some(Context::Service),
                Some(Context::Service),
                None,
                Some(Context::Service)
            ]
        );
    }
}
