//! The WASI 0.2 WIT packages (`wit/deps`, see `wit/README.md`), embedded so
//! a build that needs the world's dependencies resolved (componentize-py
//! ships none) has them without a download.

use std::path::Path;

/// The version of the embedded packages.
pub const VERSION: &str = "0.2.12";

/// `(package directory, file name, text)` of every embedded package.
pub const PACKAGES: [(&str, &str, &str); 7] = [
    ("cli", "cli.wit", include_str!("../../wit/deps/cli/cli.wit")),
    (
        "clocks",
        "clocks.wit",
        include_str!("../../wit/deps/clocks/clocks.wit"),
    ),
    (
        "filesystem",
        "filesystem.wit",
        include_str!("../../wit/deps/filesystem/filesystem.wit"),
    ),
    (
        "http",
        "http.wit",
        include_str!("../../wit/deps/http/http.wit"),
    ),
    ("io", "io.wit", include_str!("../../wit/deps/io/io.wit")),
    (
        "random",
        "random.wit",
        include_str!("../../wit/deps/random/random.wit"),
    ),
    (
        "sockets",
        "sockets.wit",
        include_str!("../../wit/deps/sockets/sockets.wit"),
    ),
];

/// The world with its WASI 0.2 imports and exports named at the embedded
/// version: a plan names them at 0.2.0, which every host accepts, but a
/// WIT resolver wants the version it has (0.2 minor versions only add).
/// Draft packages keep their version.
pub fn pinned(wit: &str) -> String {
    wit.replace("@0.2.0;", &format!("@{VERSION};"))
}

/// Writes `NAME.wit` (the pinned world) and `deps/` into `dir`.
pub fn write(dir: &Path, name: &str, wit: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(format!("{name}.wit")), pinned(wit))?;
    for (package, file, text) in PACKAGES {
        let d = dir.join("deps").join(package);
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join(file), text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_package_is_at_the_embedded_version() {
        for (package, _, text) in PACKAGES {
            let head = text.lines().find(|l| l.starts_with("package ")).unwrap();
            assert_eq!(head, format!("package wasi:{package}@{VERSION};"));
        }
    }

    #[test]
    fn pinning_leaves_drafts_alone() {
        let w =
            "import wasi:http/outgoing-handler@0.2.0;\nimport wasi:keyvalue/store@0.2.0-draft;\n";
        assert_eq!(
            pinned(w),
            "import wasi:http/outgoing-handler@0.2.12;\nimport wasi:keyvalue/store@0.2.0-draft;\n"
        );
    }
}
