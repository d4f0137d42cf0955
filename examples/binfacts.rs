//! Prints the facts wasmfit's binary analyser reads from one file, one per
//! line (`kind context name | snippet`): a developer's view of what the
//! rules get to match. `cargo run --example binfacts -- FILE`.

use wasmfit::model::artifact::ArtifactKind;
use wasmfit::model::context::Context;
use wasmfit::model::fact::FactKind;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: binfacts FILE");
        std::process::exit(2);
    };
    let p = std::path::Path::new(&path);
    let mut diags = Vec::new();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(mut a) = wasmfit::input::discover::classify(p, &name, 0, &mut diags) else {
        eprintln!("{path}: not a file wasmfit reads");
        std::process::exit(1);
    };
    a.rel = path.clone();
    a.context = Context::Service;
    if !matches!(a.kind, ArtifactKind::Binary(_) | ArtifactKind::Archive(_)) {
        eprintln!("{path}: not a binary or code archive ({:?})", a.kind);
        std::process::exit(1);
    }
    let Some(r) = wasmfit::parse::binary::analyze(&a, &knowledge()) else {
        return;
    };
    for f in &r.output.facts {
        let (kind, name) = match &f.kind {
            FactKind::Symbol { name } => ("symbol", name.clone()),
            FactKind::Function { name } => ("function", name.clone()),
            FactKind::Library { name } => ("library", name.clone()),
            FactKind::Syscall { name } => ("syscall", name.clone()),
            FactKind::Section { name } => ("section", name.clone()),
            FactKind::Dependency(d) => (
                "dependency",
                format!(
                    "{}:{} {}",
                    d.ecosystem,
                    d.name,
                    d.version.clone().unwrap_or_default()
                ),
            ),
            FactKind::Runtime { clue, weight } => ("runtime", format!("{clue:?} ({weight})")),
            FactKind::Device { path } => ("device", path.clone()),
            other => ("other", format!("{other:?}")),
        };
        println!("{kind:10} {:16} {name} | {}", f.context.id(), f.at.snippet);
    }
    for d in &r.output.diagnostics {
        println!("diagnostic {:?}: {}", d.kind, d.message);
    }
    if let Some(b) = r.binary {
        println!(
            "info {}",
            serde_json::to_string(&b.info).unwrap_or_default()
        );
    }
}

/// The runtime knowledge the scan hands the binary reader (rules/runtimes.toml).
fn knowledge() -> wasmfit::parse::binary::BinaryKnowledge {
    wasmfit::rules::RuleSet::builtin()
        .expect("built-in rules load")
        .runtimes
        .binary
}
