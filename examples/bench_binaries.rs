//! Benchmark of the native-binary analyser: every ELF/PE/Mach-O file under
//! the given directories (default `/usr/bin` and
//! `/usr/lib/x86_64-linux-gnu`) is memory-mapped, parsed once and matched
//! against the built-in rules, in parallel as a scan does. Prints files/s
//! and MB/s. Run in release: `cargo run --release --example bench_binaries
//! [DIR...]`. Not a test: timings depend on the machine.

use rayon::prelude::*;
use std::time::Instant;
use wasmfit::analyze::matcher::Engine;
use wasmfit::model::artifact::ArtifactKind;
use wasmfit::rules::RuleSet;

fn main() {
    let mut dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        dirs = vec!["/usr/bin".into(), "/usr/lib/x86_64-linux-gnu".into()];
    }
    let rules = RuleSet::builtin().expect("built-in rules");
    let engine = Engine::new(&rules);
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for d in &dirs {
        for e in walkdir::WalkDir::new(d)
            .follow_links(false)
            .into_iter()
            .flatten()
        {
            if !e.file_type().is_file() {
                continue;
            }
            let size = e.metadata().map(|m| m.len()).unwrap_or(0);
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(mut a) =
                wasmfit::input::discover::classify(e.path(), &name, size, &mut diags)
            {
                if matches!(a.kind, ArtifactKind::Binary(_)) && size <= 512 << 20 {
                    a.rel = e.path().display().to_string();
                    files.push(a);
                }
            }
        }
    }
    let bytes: u64 = files.iter().map(|a| a.size).sum();
    for threads in [1, rayon::current_num_threads()] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let started = Instant::now();
        let (facts, hits, malformed) = pool.install(|| {
            files
                .par_iter()
                .map(|a| {
                    let r = wasmfit::parse::binary::analyze(a, &engine.rules.runtimes.binary)
                        .unwrap_or_default();
                    let mut hits = Vec::new();
                    for f in &r.output.facts {
                        engine.match_fact(f, &mut hits);
                    }
                    (
                        r.output.facts.len(),
                        hits.len(),
                        usize::from(!r.output.diagnostics.is_empty()),
                    )
                })
                .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
        });
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{threads} thread(s): {} binaries, {:.1} MB in {:.2} s: {:.0} files/s, {:.0} MB/s ({facts} facts, {hits} rule hits, {malformed} with diagnostics)",
            files.len(),
            bytes as f64 / 1e6,
            secs,
            files.len() as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    }
}
