//! What kind of service a path holds, for the bench: its language (from its
//! manifest first, as the scan classifies manifests (`ManifestKind`), then
//! from file extensions via `crate::model::language`), whether it is
//! already Wasm, its workload shape, the port an HTTP service uses and the
//! base images it needs. Dockerfile facts come from the scan's own parser
//! (`parse::dockerfile`): stages, ARG substitution and EXPOSE as it reads
//! them.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::model::artifact::ManifestKind;
use crate::model::bench::Workload;
use crate::model::context::Context;
use crate::model::fact::FactKind;
use crate::model::language::Language;
use std::path::{Path, PathBuf};

/// What the bench builds and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    /// Built from source with the language's toolchain.
    Source(Language),
    /// Already a Wasm module or component: benchmarked as it is.
    Wasm(PathBuf),
}

#[derive(Clone, Debug)]
pub struct Service {
    pub dir: PathBuf,
    pub name: String,
    pub kind: ServiceKind,
    pub dockerfile: Option<PathBuf>,
    pub workload: Workload,
    /// The port the HTTP service listens on inside its container.
    pub port: u16,
}

impl Service {
    pub fn language_id(&self) -> &'static str {
        match &self.kind {
            ServiceKind::Source(l) => l.id(),
            ServiceKind::Wasm(_) => "wasm",
        }
    }
}

/// The default port of an HTTP service when its Dockerfile exposes none.
pub const DEFAULT_PORT: u16 = 8080;

/// Reads `path` (a service directory or a `.wasm` file). `workload`
/// overrides the detected shape.
pub fn detect(path: &Path, workload: Option<Workload>) -> BenchResult<Service> {
    let meta = std::fs::metadata(path).map_err(|e| {
        BenchError::new(Step::Input, format!("cannot read {}: {e}", path.display()))
    })?;
    let (dir, kind) = if meta.is_file() {
        if !is_wasm_file(path) {
            return Err(BenchError::new(
                Step::Input,
                format!(
                    "{} is a file but not a Wasm binary; pass a service directory or a .wasm file",
                    path.display()
                ),
            ));
        }
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        (dir, ServiceKind::Wasm(path.to_path_buf()))
    } else {
        let kind = language_of(path).ok_or_else(|| {
            BenchError::new(
                Step::Input,
                format!(
                    "no buildable service found in {} (looked for Cargo.toml, go.mod, C/C++ or Python sources, or a .wasm file)",
                    path.display()
                ),
            )
        })?;
        (path.to_path_buf(), kind)
    };
    let dockerfile = ["Dockerfile", "dockerfile", "Containerfile"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file());
    let exposed = dockerfile
        .as_deref()
        .and_then(|d| read_dockerfile(d).ok())
        .and_then(|text| exposed_port(&text));
    let workload = workload.unwrap_or(if exposed.is_some() {
        Workload::Http
    } else {
        Workload::Stdio
    });
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "service".to_string());
    Ok(Service {
        dir,
        name,
        kind,
        dockerfile,
        workload,
        port: exposed.unwrap_or(DEFAULT_PORT),
    })
}

/// The language a manifest kind builds, for the kinds the bench knows.
fn manifest_language(kind: ManifestKind) -> Option<Language> {
    match kind {
        ManifestKind::CargoToml => Some(Language::Rust),
        ManifestKind::GoMod => Some(Language::Go),
        ManifestKind::Pyproject | ManifestKind::Requirements | ManifestKind::Pipfile => {
            Some(Language::Python)
        }
        _ => None,
    }
}

/// Manifests decide first: a Go module with a C helper file is a Go service.
fn language_of(dir: &Path) -> Option<ServiceKind> {
    let files = top_files(dir);
    let mut by_manifest: Vec<Language> = files
        .iter()
        .filter(|f| f.parent() == Some(dir))
        .filter_map(|f| ManifestKind::from_file_name(&f.file_name()?.to_string_lossy()))
        .filter_map(manifest_language)
        .collect();
    // Rust, then Go, then Python when several manifests sit together.
    by_manifest.sort_by_key(|l| match l {
        Language::Rust => 0,
        Language::Go => 1,
        _ => 2,
    });
    if let Some(l) = by_manifest.first() {
        return Some(ServiceKind::Source(*l));
    }
    let mut found = None;
    for f in &files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        match name.as_deref().and_then(Language::from_file_name) {
            Some(Language::Cpp) if !f.to_string_lossy().ends_with(".h") => {
                found = Some(Language::Cpp)
            }
            Some(l @ (Language::C | Language::Go | Language::Rust | Language::Python))
                if found.is_none() =>
            {
                found = Some(l)
            }
            _ => {}
        }
    }
    if let Some(l) = found {
        return Some(ServiceKind::Source(l));
    }
    files
        .into_iter()
        .find(|f| is_wasm_file(f))
        .map(ServiceKind::Wasm)
}

/// A Dockerfile's text, bounded like every scanned file.
pub fn read_dockerfile(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > 4 * 1024 * 1024 {
        return Err(std::io::Error::other("larger than 4 MiB"));
    }
    std::fs::read_to_string(path)
}

fn dockerfile_facts(text: &str) -> Vec<FactKind> {
    crate::parse::dockerfile::parse("Dockerfile", text, Context::Service)
        .facts
        .into_iter()
        .map(|f| f.kind)
        .collect()
}

/// Base images a Dockerfile pulls: every `FROM` image (after ARG
/// substitution) that is neither `scratch` nor an earlier stage.
pub fn dockerfile_bases(text: &str) -> Vec<String> {
    let mut bases: Vec<String> = Vec::new();
    for fact in dockerfile_facts(text) {
        if let FactKind::BaseImage { image, .. } = fact {
            if !image.eq_ignore_ascii_case("scratch") && !bases.contains(&image) {
                bases.push(image);
            }
        }
    }
    bases
}

/// Files directly in `dir` and in `dir/src`, sorted for a stable choice.
pub fn top_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for d in [dir.to_path_buf(), dir.join("src")] {
        if let Ok(entries) = std::fs::read_dir(&d) {
            out.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    out.sort();
    out
}

/// True for a file starting with the Wasm magic (module or component).
pub fn is_wasm_file(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .map(|_| &magic == b"\0asm")
        .unwrap_or(false)
}

/// The first TCP port an `EXPOSE` instruction names (`EXPOSE 8080`,
/// `8080/tcp`), as the scan's Dockerfile parser reads the instructions.
pub fn exposed_port(dockerfile: &str) -> Option<u16> {
    dockerfile_facts(dockerfile)
        .into_iter()
        .find_map(|fact| match fact {
            FactKind::Instruction { instruction, args } if instruction == "EXPOSE" => {
                args.split_whitespace().find_map(|w| {
                    let (port, proto) = w.split_once('/').unwrap_or((w, "tcp"));
                    if proto.eq_ignore_ascii_case("tcp") {
                        port.parse().ok()
                    } else {
                        None
                    }
                })
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expose_lines() {
        assert_eq!(exposed_port("FROM x\nEXPOSE 8080\n"), Some(8080));
        assert_eq!(exposed_port("FROM x\nexpose 53/udp 9000/tcp"), Some(9000));
        assert_eq!(exposed_port("FROM x\nEXPOSE $PORT"), None);
        assert_eq!(exposed_port("FROM scratch"), None);
    }

    #[test]
    fn bases_skip_scratch_and_stages() {
        let df = "ARG V=1.95\nFROM --platform=linux/amd64 rust:$V AS build\nRUN x\nFROM build AS again\nFROM scratch\nCOPY --from=build /a /a\nFROM alpine:3\n";
        assert_eq!(dockerfile_bases(df), vec!["rust:1.95", "alpine:3"]);
        assert!(dockerfile_bases("FROM scratch\n").is_empty());
        assert_eq!(
            dockerfile_bases("FROM golang AS build\nFROM build\n"),
            vec!["golang"]
        );
    }

    #[test]
    fn manifests_decide_language() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("go.mod"), "module x\n").unwrap();
        std::fs::write(dir.path().join("helper.c"), "int x;\n").unwrap();
        let s = detect(dir.path(), None).unwrap();
        assert_eq!(s.kind, ServiceKind::Source(Language::Go));
        assert_eq!(s.workload, Workload::Stdio);
    }

    #[test]
    fn c_sources_and_http_from_expose() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.c"), "int main(){}\n").unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\nEXPOSE 9090\n").unwrap();
        let s = detect(dir.path(), None).unwrap();
        assert_eq!(s.kind, ServiceKind::Source(Language::C));
        assert_eq!((s.workload, s.port), (Workload::Http, 9090));
    }

    #[test]
    fn empty_dir_and_non_wasm_file_are_input_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(detect(dir.path(), None).unwrap_err().step, Step::Input);
        let f = dir.path().join("x.txt");
        std::fs::write(&f, "hello").unwrap();
        assert_eq!(detect(&f, None).unwrap_err().step, Step::Input);
        assert_eq!(
            detect(&dir.path().join("missing"), None).unwrap_err().step,
            Step::Input
        );
    }

    #[test]
    fn wasm_file_is_benchmarked_as_is() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("svc.wasm");
        std::fs::write(&f, b"\0asm\x01\0\0\0").unwrap();
        assert_eq!(detect(&f, None).unwrap().kind, ServiceKind::Wasm(f.clone()));
        assert_eq!(detect(dir.path(), None).unwrap().kind, ServiceKind::Wasm(f));
    }
}
