//! Services: the deployable units of a repository, each judged on its own.
//!
//! A repository often holds more than the service: a packaging Dockerfile,
//! an e2e test image, a docs site, a side CLI, third-party images in a
//! compose file. wasmfit first finds what ships (a Dockerfile's shipping
//! stage, a compose service built from the tree, a Procfile line, a
//! manifest's entry point), then judges each service only on the code its
//! entry points reach. How services are found is `analyze::units`; how code
//! is reached is `analyze::reach`. This is the shape a report carries.

use crate::model::fact::Location;
use crate::model::finding::Finding;
use crate::model::runtime::Runtimes;
use crate::model::score::{Score, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How a service was found, which says how sure wasmfit is of its bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceKind {
    /// A Dockerfile builds it: the conventional root `Dockerfile`, one in a
    /// service directory, or one a compose service `build:`s.
    Container,
    /// A `Procfile` process (`web: gunicorn app:app`).
    Process,
    /// A manifest names an entry point (package.json `main`/`bin`/`start`,
    /// `[project.scripts]`, Go `package main`, Cargo `[[bin]]`, a Maven or
    /// Gradle main class, a `.csproj` Exe or Web SDK, `mix.exs` `mod:`,
    /// `config.ru`, composer `bin`), and no container.
    Program,
    /// No entry point at all: a library, judged on its non-test code.
    Library,
    /// The service model could not be built (or nothing was found to build
    /// it from): the whole tree is one service, as before services existed.
    Tree,
}

impl ServiceKind {
    pub fn id(self) -> &'static str {
        match self {
            ServiceKind::Container => "container",
            ServiceKind::Process => "process",
            ServiceKind::Program => "program",
            ServiceKind::Library => "library",
            ServiceKind::Tree => "tree",
        }
    }
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// What names an entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// The shipping stage's `ENTRYPOINT`/`CMD`.
    Dockerfile,
    /// A compose service's `command:`/`entrypoint:`.
    Compose,
    /// A `Procfile` line.
    Procfile,
    /// package.json `main`.
    PackageMain,
    /// package.json `bin`.
    PackageBin,
    /// package.json `scripts.start` (or the script a CMD runs).
    PackageScript,
    /// pyproject `[project.scripts]`, setup.py/setup.cfg `console_scripts`.
    PythonScript,
    /// A WSGI/ASGI module named to gunicorn, uvicorn, uwsgi, hypercorn,
    /// daphne (`app.wsgi:application`).
    Wsgi,
    /// A Python file run as a program (`python app.py`, `python -m pkg`,
    /// `if __name__ == "__main__"` at a service root, Django `manage.py`).
    PythonMain,
    /// Go `package main` with `func main`.
    GoMain,
    /// Cargo `[[bin]]`, `src/main.rs`, `src/bin/*.rs`.
    CargoBin,
    /// A JVM main class (Maven/Gradle `mainClass`, `static void main`).
    JvmMain,
    /// A Spring Boot application (`@SpringBootApplication`, the Boot plugin).
    SpringBoot,
    /// A `.csproj` with `OutputType` Exe or the Web SDK (`Program.cs`).
    Dotnet,
    /// `mix.exs` `mod:` (an OTP application).
    MixApplication,
    /// A Rack `config.ru` (Rails, Sinatra).
    Rack,
    /// composer.json `bin`, or a PHP front controller a container serves.
    Php,
    /// A C/C++ program (`int main`) built by the tree's build files.
    CMain,
    /// Named by a `main`-like convention only (`main.py`, `server.js`,
    /// `index.js` at a service root).
    Convention,
    /// A command a shell script hands its process to (`exec gunicorn
    /// app:app`). Only a fact: the image's entry point that runs the
    /// script is resolved through it (`analyze::units`), and takes the kind
    /// of what it finds.
    Exec,
}

impl EntryKind {
    pub fn id(self) -> &'static str {
        match self {
            EntryKind::Dockerfile => "dockerfile",
            EntryKind::Compose => "compose",
            EntryKind::Procfile => "procfile",
            EntryKind::PackageMain => "package-main",
            EntryKind::PackageBin => "package-bin",
            EntryKind::PackageScript => "package-script",
            EntryKind::PythonScript => "python-script",
            EntryKind::Wsgi => "wsgi",
            EntryKind::PythonMain => "python-main",
            EntryKind::GoMain => "go-main",
            EntryKind::CargoBin => "cargo-bin",
            EntryKind::JvmMain => "jvm-main",
            EntryKind::SpringBoot => "spring-boot",
            EntryKind::Dotnet => "dotnet",
            EntryKind::MixApplication => "mix-application",
            EntryKind::Rack => "rack",
            EntryKind::Php => "php",
            EntryKind::CMain => "c-main",
            EntryKind::Convention => "convention",
            EntryKind::Exec => "exec",
        }
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// One way the service starts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryPoint {
    pub kind: EntryKind,
    /// The code file it starts from, relative to the scan root, when it
    /// resolves to one in the tree (a CMD that runs an OS binary does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Where the entry point is named: the Dockerfile line, the manifest.
    pub declared_in: Location,
    /// Whether the service runs it on its main path (`true`), or it is a
    /// side command that ships beside it (a second `main`, a management
    /// command, a `bin` that is not the server): code only a side entry
    /// reaches is `optional`.
    #[serde(default = "yes")]
    pub main: bool,
}

fn yes() -> bool {
    true
}

/// Where a compose file names the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComposeRef {
    /// The compose file, relative to the scan root.
    pub file: String,
    /// The service's key in it.
    pub service: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// A third-party image that runs beside the service (a database, a proxy, a
/// test browser): listed, never charged to the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neighbour {
    /// The compose service's key.
    pub name: String,
    /// The image it runs, as written.
    pub image: String,
    /// The compose file, relative to the scan root.
    pub compose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// What it asks of the host that the service would otherwise be charged
    /// for (`mounts /var/run/docker.sock`, `ipc: host`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How much of the service's code the import graph could follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReachStatus {
    /// Every file was placed: reached from an entry point, or not.
    Complete,
    /// Some files could not be placed (dynamic imports, reflection, DI
    /// frameworks, a bound hit): those are judged as before, whole-file.
    Partial,
    /// No graph: no entry point resolved to code, or the language has no
    /// resolver. Everything in the service's scope counts as before.
    None,
}

/// The reachability walk's outcome for one service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reachability {
    pub status: ReachStatus,
    /// Code files in the service's scope.
    pub files: usize,
    /// Of those, reached from a main entry point.
    pub reached: usize,
    /// Reached only from a side entry point, or only behind an opt-in switch.
    pub optional: usize,
    /// Reached from no entry point.
    pub unreachable: usize,
    /// Placed whole-file because the graph could not decide (see `notes`).
    pub undecided: usize,
}

/// What counted and what did not, for one service.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceSummary {
    /// Findings that move the score, by severity.
    pub counted: BTreeMap<String, usize>,
    /// Findings whose evidence is all outside the service's counted context.
    pub not_counted: usize,
    pub suppressed: usize,
    pub effort_days: f64,
}

/// One deployable unit and its verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    /// A name from where it was found: the compose service key, the
    /// Procfile process, the Dockerfile's directory, the manifest's package
    /// name, or the scan root's directory name.
    pub name: String,
    pub kind: ServiceKind,
    /// Its directory, relative to the scan root (`.` for the root).
    pub root: String,
    /// The service the repository's root Dockerfile, compose file or
    /// manifest ships; the report's top-level verdict, score and findings
    /// are this service's. Exactly one service is primary.
    pub primary: bool,
    pub entry_points: Vec<EntryPoint>,
    /// The Dockerfile that builds it, relative to the scan root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compose: Option<ComposeRef>,
    /// Third-party images that run beside it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub neighbours: Vec<Neighbour>,
    /// Its runtime, from its entry points and shipping image first.
    pub runtime: Runtimes,
    /// `http-server`, `cli`, `worker`.
    #[serde(default)]
    pub shape: Vec<String>,
    pub verdict: Verdict,
    /// Why the verdict is `unknown`, in one line; absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict_reason: Option<String>,
    pub score: u8,
    pub scoring: Score,
    /// Every finding, with each piece of evidence in this service's context
    /// (`service`, `optional`, `unreachable`, `neighbour`...).
    pub findings: Vec<Finding>,
    pub summary: ServiceSummary,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reachability: Option<Reachability>,
    /// What wasmfit could not decide, and how it fell back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A path (a file or a directory ending in `/`) whose role is not the
/// service's, and why: listed once so that every piece of evidence under it
/// need not repeat the reason.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Role {
    pub path: String,
    pub context: crate::model::context::Context,
    pub reason: String,
}
