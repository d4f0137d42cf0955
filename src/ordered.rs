//! Parallel map whose results are merged in input order, a chunk at a time.
//!
//! A scan holds one result per file until it is merged; collecting them all
//! first held every result at once, and a second copy while the merge moved
//! them into the tree-wide lists. Here the items go through the rayon pool
//! a chunk at a time and each chunk's results are merged before the next
//! starts, so only one chunk of results waits in memory however large the
//! tree. (Streaming each result through a channel as it finished held less
//! still, but the wake-up per file doubled the scan's system time.)

use rayon::prelude::*;

/// Items per chunk: enough that the pool's idle tail at each chunk's end is
/// small next to the chunk (a few ms on two cores), few enough that their
/// results are a small part of what the scan keeps.
const CHUNK: usize = 1024;

/// Calls `work` on every item on the rayon pool and `merge` on each result
/// in the items' order, on the calling thread. Deterministic: `merge` sees
/// exactly the sequence a sequential map would give.
pub fn map_merge<T, R, W, M>(items: &[T], work: W, mut merge: M)
where
    T: Sync,
    R: Send,
    W: Fn(&T) -> R + Sync,
    M: FnMut(usize, R),
{
    let mut base = 0;
    for chunk in items.chunks(CHUNK) {
        let results: Vec<R> = chunk.par_iter().map(&work).collect();
        for (i, r) in results.into_iter().enumerate() {
            merge(base + i, r);
        }
        base += chunk.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_merged_in_input_order() {
        let items: Vec<u64> = (0..5_000).collect();
        let mut seen = Vec::new();
        // Uneven work, so workers finish out of order.
        map_merge(
            &items,
            |&x| {
                if x % 97 == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                }
                x * 2
            },
            |i, r| {
                assert_eq!(r, items[i] * 2);
                seen.push(i);
            },
        );
        assert_eq!(seen, (0..5_000).collect::<Vec<usize>>());
    }

    #[test]
    fn no_items_merges_nothing() {
        let mut n = 0;
        map_merge(&Vec::<u8>::new(), |_| 1u8, |_, _| n += 1);
        assert_eq!(n, 0);
    }
}
