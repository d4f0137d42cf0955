//! What kind of artefact a file is, decided once at discovery so every later
//! stage dispatches on a value instead of re-sniffing names.

use crate::model::context::Context;
use crate::model::language::Language;
use serde::{Deserialize, Serialize};

/// Dependency manifests and lock files wasmfit reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestKind {
    CargoToml,
    CargoLock,
    GoMod,
    PackageJson,
    PackageLock,
    YarnLock,
    PnpmLock,
    Requirements,
    Pyproject,
    Pipfile,
    PipfileLock,
    PomXml,
    Gradle,
    Csproj,
    MixExs,
    MixLock,
    Gemfile,
    GemfileLock,
    ComposerJson,
    ComposerLock,
    PoetryLock,
    UvLock,
    /// NuGet's `packages.lock.json`.
    NugetLock,
}

impl ManifestKind {
    pub const ALL: [ManifestKind; 23] = [
        ManifestKind::CargoToml,
        ManifestKind::CargoLock,
        ManifestKind::GoMod,
        ManifestKind::PackageJson,
        ManifestKind::PackageLock,
        ManifestKind::YarnLock,
        ManifestKind::PnpmLock,
        ManifestKind::Requirements,
        ManifestKind::Pyproject,
        ManifestKind::Pipfile,
        ManifestKind::PipfileLock,
        ManifestKind::PomXml,
        ManifestKind::Gradle,
        ManifestKind::Csproj,
        ManifestKind::MixExs,
        ManifestKind::MixLock,
        ManifestKind::Gemfile,
        ManifestKind::GemfileLock,
        ManifestKind::ComposerJson,
        ManifestKind::ComposerLock,
        ManifestKind::PoetryLock,
        ManifestKind::UvLock,
        ManifestKind::NugetLock,
    ];

    /// Lock files: they name transitive packages too.
    pub fn is_lock(self) -> bool {
        matches!(
            self,
            ManifestKind::CargoLock
                | ManifestKind::PackageLock
                | ManifestKind::YarnLock
                | ManifestKind::PnpmLock
                | ManifestKind::PipfileLock
                | ManifestKind::MixLock
                | ManifestKind::GemfileLock
                | ManifestKind::ComposerLock
                | ManifestKind::PoetryLock
                | ManifestKind::UvLock
                | ManifestKind::NugetLock
        )
    }

    /// The manifest kind of a file, from its path (`/`-separated).
    pub fn of_path(path: &str) -> Option<ManifestKind> {
        ManifestKind::from_file_name(path.rsplit('/').next().unwrap_or(path))
    }

    /// Whether `path` names a lock file.
    pub fn is_lock_path(path: &str) -> bool {
        ManifestKind::of_path(path).is_some_and(ManifestKind::is_lock)
    }

    /// The manifest whose declarations are the roots of this lock file's
    /// graph, when the lock does not say itself which roots are dev-only.
    pub fn manifest_of_lock(self) -> Option<ManifestKind> {
        Some(match self {
            ManifestKind::CargoLock => ManifestKind::CargoToml,
            ManifestKind::YarnLock => ManifestKind::PackageJson,
            ManifestKind::GemfileLock => ManifestKind::Gemfile,
            ManifestKind::MixLock => ManifestKind::MixExs,
            ManifestKind::PoetryLock => ManifestKind::Pyproject,
            ManifestKind::NugetLock => ManifestKind::Csproj,
            _ => return None,
        })
    }

    /// The manifest kind of a file, from its name.
    pub fn from_file_name(name: &str) -> Option<ManifestKind> {
        let lower = name.to_ascii_lowercase();
        Some(match lower.as_str() {
            "cargo.toml" => ManifestKind::CargoToml,
            "cargo.lock" => ManifestKind::CargoLock,
            "go.mod" => ManifestKind::GoMod,
            "package.json" => ManifestKind::PackageJson,
            "package-lock.json" | "npm-shrinkwrap.json" => ManifestKind::PackageLock,
            "yarn.lock" => ManifestKind::YarnLock,
            "pnpm-lock.yaml" => ManifestKind::PnpmLock,
            "pyproject.toml" => ManifestKind::Pyproject,
            "pipfile" => ManifestKind::Pipfile,
            "pipfile.lock" => ManifestKind::PipfileLock,
            "pom.xml" => ManifestKind::PomXml,
            "build.gradle" | "build.gradle.kts" => ManifestKind::Gradle,
            "mix.exs" => ManifestKind::MixExs,
            "mix.lock" => ManifestKind::MixLock,
            "gemfile" => ManifestKind::Gemfile,
            "gemfile.lock" => ManifestKind::GemfileLock,
            "composer.json" => ManifestKind::ComposerJson,
            "composer.lock" => ManifestKind::ComposerLock,
            "poetry.lock" => ManifestKind::PoetryLock,
            "uv.lock" => ManifestKind::UvLock,
            "packages.lock.json" => ManifestKind::NugetLock,
            _ if lower.ends_with(".csproj") || lower.ends_with(".fsproj") => ManifestKind::Csproj,
            _ if lower.starts_with("requirements") && lower.ends_with(".txt") => {
                ManifestKind::Requirements
            }
            // dev-requirements.txt, test_requirements.txt, prod.requirements.txt
            _ if ["-", "_", "."]
                .iter()
                .any(|sep| lower.ends_with(&format!("{sep}requirements.txt"))) =>
            {
                ManifestKind::Requirements
            }
            _ => return None,
        })
    }
}

/// Executable formats, told apart by magic bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BinaryFormat {
    Elf,
    Pe,
    MachO,
}

/// Archives that carry code: jars, wheels, Python bytecode, BEAM files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeArchive {
    Jar,
    JvmClass,
    Pyc,
    Beam,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "detail", rename_all = "kebab-case")]
pub enum ArtifactKind {
    Source(Language),
    Manifest(ManifestKind),
    Dockerfile,
    Compose,
    Binary(BinaryFormat),
    Wasm,
    Archive(CodeArchive),
    /// A file whose name alone is a signal (`binding.gyp`,
    /// `supervisord.conf`, `spin.toml`): matched by `file` rules only.
    Marker,
}

/// One file to analyse.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// Absolute or root-joined path to read.
    pub path: std::path::PathBuf,
    /// Path relative to the scan root, `/`-separated, for reports.
    pub rel: String,
    pub kind: ArtifactKind,
    pub context: Context,
    pub size: u64,
}
