//! Disjoint CPUs for an HTTP server and its load generator.
//!
//! On a small machine a server and the generator that loads it take CPU
//! time from each other, so the rate measures how the scheduler shares the
//! cores as much as the server: two generators of different cost (wasmfit's,
//! wrk) then report very different rates for the same server. Giving each
//! its own CPUs makes the figure the server's on the CPUs it was given, and
//! every side of a run gets the same split.

use std::process::Command;

/// Which CPUs the server and the load generator may run on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuSplit {
    pub server: Vec<usize>,
    pub load: Vec<usize>,
}

impl CpuSplit {
    /// Splits `cpus`: the first half (at least one) for the server, the
    /// rest for the generator. `None` with fewer than two CPUs, where there
    /// is nothing to split.
    pub fn new(cpus: &[usize]) -> Option<CpuSplit> {
        if cpus.len() < 2 {
            return None;
        }
        let (server, load) = cpus.split_at((cpus.len() / 2).max(1));
        Some(CpuSplit {
            server: server.to_vec(),
            load: load.to_vec(),
        })
    }

    /// The split of the CPUs this process may run on.
    pub fn of_this_process() -> Option<CpuSplit> {
        CpuSplit::new(&allowed())
    }

    /// In words, for the report.
    pub fn describe(&self) -> String {
        format!(
            "server on CPU {}, load generator on CPU {}",
            list(&self.server),
            list(&self.load)
        )
    }
}

/// CPUs as a comma-separated list (Docker's `cpuset_cpus` format).
pub fn list(cpus: &[usize]) -> String {
    cpus.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The CPUs this process may run on (empty when that cannot be read).
#[cfg(target_os = "linux")]
pub fn allowed() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, and the call only
    // writes into the set of the size it is given.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let ok =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if ok != 0 {
        return Vec::new();
    }
    (0..libc::CPU_SETSIZE as usize)
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
        .collect()
}

#[cfg(not(target_os = "linux"))]
pub fn allowed() -> Vec<usize> {
    Vec::new()
}

/// Makes the command's process run only on `cpus` (nothing when empty).
#[cfg(target_os = "linux")]
pub fn pin(cmd: &mut Command, cpus: &[usize]) {
    use std::os::unix::process::CommandExt;
    if cpus.is_empty() {
        return;
    }
    // The set is built here, in the parent: the child between fork and exec
    // only makes the one system call, which is async-signal-safe.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus.iter().filter(|&&c| c < libc::CPU_SETSIZE as usize) {
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    // SAFETY: the closure allocates nothing and calls only sched_setaffinity.
    unsafe {
        cmd.pre_exec(move || {
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
pub fn pin(_cmd: &mut Command, _cpus: &[usize]) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_in_halves_with_the_server_first() {
        assert_eq!(CpuSplit::new(&[0]), None);
        assert_eq!(CpuSplit::new(&[]), None);
        let two = CpuSplit::new(&[0, 1]).unwrap();
        assert_eq!((two.server, two.load), (vec![0], vec![1]));
        let three = CpuSplit::new(&[2, 5, 7]).unwrap();
        assert_eq!((three.server, three.load), (vec![2], vec![5, 7]));
        let four = CpuSplit::new(&[0, 1, 2, 3]).unwrap();
        assert_eq!(
            four.describe(),
            "server on CPU 0,1, load generator on CPU 2,3"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pinned_child_runs_only_on_its_cpus() {
        let Some(&first) = allowed().first() else {
            eprintln!("skipped: this process's CPUs cannot be read");
            return;
        };
        let mut cmd = Command::new("grep");
        cmd.args(["Cpus_allowed_list", "/proc/self/status"]);
        pin(&mut cmd, &[first]);
        let out = cmd.output().expect("grep runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            text.split_whitespace().last(),
            Some(first.to_string().as_str()),
            "{text}"
        );
    }
}
