//! What kind of service a path holds, for the bench: its language (from its
//! manifest first, then from file extensions via `crate::model::language`), whether
//! it is already Wasm, its workload shape and the port an HTTP service uses.

use crate::bench::error::{BenchError, BenchResult, Step};
use crate::model::bench::Workload;
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
        .and_then(|d| std::fs::read_to_string(d).ok())
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

/// Manifests decide first: a Go module with a C helper file is a Go service.
fn language_of(dir: &Path) -> Option<ServiceKind> {
    if dir.join("Cargo.toml").is_file() {
        return Some(ServiceKind::Source(Language::Rust));
    }
    if dir.join("go.mod").is_file() {
        return Some(ServiceKind::Source(Language::Go));
    }
    if dir.join("pyproject.toml").is_file() || dir.join("requirements.txt").is_file() {
        return Some(ServiceKind::Source(Language::Python));
    }
    let files = top_files(dir);
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

/// The first TCP port an `EXPOSE` line names (`EXPOSE 8080`, `8080/tcp`).
pub fn exposed_port(dockerfile: &str) -> Option<u16> {
    dockerfile.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if !words.next()?.eq_ignore_ascii_case("EXPOSE") {
            return None;
        }
        words.find_map(|w| {
            let (port, proto) = w.split_once('/').unwrap_or((w, "tcp"));
            if proto.eq_ignore_ascii_case("tcp") {
                port.parse().ok()
            } else {
                None
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expose_lines() {
        assert_eq!(exposed_port("FROM x\nEXPOSE 8080\n"), Some(8080));
        assert_eq!(exposed_port("expose 53/udp 9000/tcp"), Some(9000));
        assert_eq!(exposed_port("EXPOSE $PORT"), None);
        assert_eq!(exposed_port("FROM scratch"), None);
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
