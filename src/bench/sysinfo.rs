//! What the figures were measured on (CPU, memory, kernel), and the memory
//! readings the density figures come from, read from /proc on Linux.

use crate::model::bench::Machine;

pub fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map(|(_, v)| v.trim().to_string());
    let memory_bytes = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| kib_field(&m, "MemTotal:"))
        .map(|kib| kib * 1024);
    Machine {
        os: std::env::consts::OS.to_string(),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|s| s.trim().to_string()),
        arch: std::env::consts::ARCH.to_string(),
        cpu_model,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_bytes,
        load_start: load_average(),
        load_end: None,
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut v = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some([v.next()??, v.next()??, v.next()??])
}

/// Total PSS of the Docker engine's own processes (dockerd, containerd),
/// for the growth a container fill causes; 0 when none is visible.
pub fn engine_pss() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|c| matches!(c.trim(), "dockerd" | "containerd"))
                .unwrap_or(false)
        })
        .filter_map(pss_bytes)
        .sum()
}

/// A `Name:   1234 kB` field of a /proc file, in KiB.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Proportional set size of a process in bytes: its private pages plus its
/// share of pages mapped by several processes. Summed over processes this
/// counts shared libraries and binaries once, which is what "memory added
/// per instance" should mean. Falls back to RSS where smaps_rollup is missing.
pub fn pss_bytes(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok();
    if let Some(kib) = rollup.as_deref().and_then(|t| kib_field(t, "Pss:")) {
        return Some(kib * 1024);
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    kib_field(&status, "VmRSS:").map(|kib| kib * 1024)
}

/// Resident memory of this process in bytes (private and shared pages).
pub fn self_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_field(&status, "VmRSS:").map(|kib| kib * 1024)
}

/// Processes whose command line contains all of `needles`, as pids.
pub fn pids_with_cmdline(needles: &[&str]) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|raw| {
                    let cmd = String::from_utf8_lossy(&raw).replace('\0', " ");
                    needles.iter().all(|n| cmd.contains(n))
                })
                .unwrap_or(false)
        })
        .collect()
}

/// gzip -6 size of a byte stream, without keeping the compressed bytes.
pub struct GzipCounter {
    encoder: flate2::write::GzEncoder<Counter>,
}

struct Counter(u64);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Default for GzipCounter {
    fn default() -> Self {
        GzipCounter {
            encoder: flate2::write::GzEncoder::new(Counter(0), flate2::Compression::new(6)),
        }
    }
}

impl GzipCounter {
    pub fn feed(&mut self, bytes: &[u8]) {
        use std::io::Write;
        // Writing to a counter cannot fail.
        let _ = self.encoder.write_all(bytes);
    }

    pub fn finish(self) -> u64 {
        self.encoder.finish().map(|c| c.0).unwrap_or(0)
    }
}

/// gzip -6 size of a file.
pub fn gzip_size(path: &std::path::Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let mut g = GzipCounter::default();
    g.feed(&bytes);
    Some(g.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_has_cpus() {
        let m = machine();
        assert!(m.cpus >= 1);
        if cfg!(target_os = "linux") {
            assert!(m.load_start.is_some());
        }
        assert!(!m.arch.is_empty());
    }

    #[test]
    fn own_memory_is_readable_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(self_rss_bytes().unwrap() > 0);
            assert!(pss_bytes(std::process::id()).unwrap() > 0);
        }
    }

    #[test]
    fn gzip_counts_compressed_bytes() {
        let mut g = GzipCounter::default();
        g.feed(&[b'a'; 100_000]);
        let n = g.finish();
        assert!(n > 0 && n < 1000);
    }
}
