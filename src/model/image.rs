//! What an image scan reports about the image itself, beside the findings:
//! how big it is, what OS it carries and how many packages come with it.
//!
//! These numbers are the supply-chain surface a Wasm artefact does not ship,
//! so they stand next to the verdict rather than inside a rule.

use serde::{Deserialize, Serialize};

/// The two on-disk layouts `docker save` and OCI tools produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageFormat {
    /// `manifest.json` + config + layer tars (`docker save`, older engines).
    DockerArchive,
    /// `oci-layout` + `index.json` + `blobs/` (directory or tar; newer engines).
    OciLayout,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// The blob digest or the path inside the archive.
    pub id: String,
    /// Bytes as stored (compressed when the layer is).
    pub size: u64,
    /// Bytes and entries it unpacked to.
    pub unpacked: u64,
    pub entries: u64,
    /// The instruction that made it, from the config's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// `/etc/os-release` (or `/usr/lib/os-release`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pretty_name: String,
}

/// Installed OS packages from one package database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packages {
    /// `dpkg`, `apk` or `rpm`.
    pub manager: String,
    /// The database read, as a path in the image.
    pub database: String,
    pub count: usize,
    /// False when the count is a best effort (rpm's sqlite and Berkeley DB
    /// databases are read heuristically, not with an rpm library).
    pub exact: bool,
    /// Package names, sorted (cut at 2000).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

/// What the image carries besides the service: the part a Wasm component
/// does not ship.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsSurface {
    /// Regular files outside the service's paths.
    pub files: u64,
    pub bytes: u64,
    /// ELF executables and shared libraries among them.
    pub executables: u64,
    pub shared_libraries: u64,
    /// Files with the setuid or setgid bit in the layer tars.
    pub setuid: u64,
    /// Shells present (`/bin/sh`, `/bin/bash`, `/bin/busybox`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shells: Vec<String>,
    /// Package managers present (`/usr/bin/apt-get`, `/sbin/apk`...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub package_managers: Vec<String>,
}

/// Everything an image scan learned about the image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The archive, directory or `NAME:TAG` that was scanned.
    pub source: String,
    pub format: ImageFormat,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The config blob's digest: the image id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub architecture: String,
    /// Layer bytes as stored, summed.
    pub size: u64,
    /// Bytes written to the final filesystem.
    pub unpacked_size: u64,
    pub files: u64,
    pub layers: Vec<Layer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_os: Option<OsRelease>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Packages>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workdir: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// Names of the environment variables the config sets (values are left
    /// out: they may hold secrets).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// The ENTRYPOINT/CMD program and the files it names, resolved in the image.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint_files: Vec<String>,
    /// Paths scanned as the service (the rest is the OS userland).
    pub service_paths: Vec<String>,
    pub os_surface: OsSurface,
}
