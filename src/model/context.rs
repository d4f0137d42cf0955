//! Where a piece of evidence sits in the project, and whether it counts.
//!
//! A `subprocess` call in a test helper or a `Command` in `build.rs` never
//! runs in the deployed service, so it must not move the verdict. The context
//! is decided from the path alone, before any file is read, so every stage
//! agrees on it.

use serde::{Deserialize, Serialize};

/// The role of a file (or of a span inside one) in the project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    /// Code and configuration that ship and run as the service.
    Service,
    /// Ships, but runs only when an operator opts in (a dev mode, a
    /// disabled-by-default feature, a side command): reported, weighed less.
    Optional,
    /// Service code that no entry point of the service reaches.
    Unreachable,
    /// Development-only dependencies and tooling (devDependencies, live
    /// reload, dev containers).
    Dev,
    /// Tests, fixtures, benchmarks.
    Test,
    /// Build scripts and tooling: build.rs, xtask, Makefiles, CI files.
    Build,
    /// Examples and samples shipped beside the code.
    Example,
    /// Documentation.
    Docs,
    /// What a language runtime does for itself inside a binary (Go runtime
    /// syscalls, Rust std's futex): present, but not the service's choice.
    RuntimeInternal,
    /// CI configuration and the scripts it runs.
    Ci,
    /// Packaging for other channels: .deb/.rpm, snaps, AppImages, installers.
    Packaging,
    /// Third-party code copied into the tree, and generated files.
    Vendored,
    /// A neighbour of the service: a third-party image in a compose file
    /// (a database, a proxy) that runs beside it but is not its code.
    Neighbour,
}

impl Context {
    pub const ALL: [Context; 13] = [
        Context::Service,
        Context::Optional,
        Context::Unreachable,
        Context::Dev,
        Context::Test,
        Context::Build,
        Context::Example,
        Context::Docs,
        Context::RuntimeInternal,
        Context::Ci,
        Context::Packaging,
        Context::Vendored,
        Context::Neighbour,
    ];

    /// Only service evidence moves the score and the verdict.
    pub fn counts(self) -> bool {
        self == Context::Service
    }

    pub fn id(self) -> &'static str {
        match self {
            Context::Service => "service",
            Context::Test => "test",
            Context::Build => "build",
            Context::Example => "example",
            Context::Docs => "docs",
            Context::RuntimeInternal => "runtime-internal",
            Context::Optional => "optional",
            Context::Unreachable => "unreachable",
            Context::Dev => "dev",
            Context::Ci => "ci",
            Context::Packaging => "packaging",
            Context::Vendored => "vendored",
            Context::Neighbour => "neighbour",
        }
    }

    /// The context of a file from its path relative to the scan root
    /// (`/`-separated). Directory names win over file names because a
    /// `helpers.py` under `tests/` is test code whatever it is called.
    pub fn of_path(rel: &str) -> Context {
        let lower = rel.to_ascii_lowercase();
        let mut parts: Vec<&str> = lower.split('/').collect();
        let file = parts.pop().unwrap_or("");
        // Maven/Gradle source roots: below `src/main/java` the directories are
        // package names (`com/example/orders`), not project layout.
        if let Some(i) = parts.windows(2).position(|w| w == ["src", "main"]) {
            parts.truncate(i);
        }
        for (i, dir) in parts.iter().enumerate() {
            // Go leaves `_`-prefixed directories out of every build, and
            // other ecosystems borrow the spelling: `_examples/` is
            // examples.
            let dir = if matches!(
                dir.trim_start_matches('_'),
                "example" | "examples" | "demo" | "demos"
            ) {
                dir.trim_start_matches('_')
            } else {
                dir
            };
            match dir {
                "test" | "tests" | "__tests__" | "spec" | "specs" | "testdata" | "test-data"
                | "testing" | "fixtures" | "__mocks__" | "bench" | "benches" | "benchmarks"
                | "e2e" | "it" | "integration-tests" | "fuzz" | "fuzzing" | "fuzzers"
                | "fuzz_targets" => return Context::Test,
                "example" | "examples" | "demo" | "demos" => return Context::Example,
                "doc" | "docs" | "documentation" => return Context::Docs,
                // Tooling folders are named in lower case; `Tools/` or
                // `Scripts/` capitalised inside another folder is a
                // namespace of the application (PHP PSR-4
                // `app/Entities/Tools`, C# `Services/Tools`, Unity's
                // `Assets/Scripts`), code that ships. At the top, a
                // solution's `Tools/` is still tooling.
                "xtask" | "scripts" | "script" | "tools" | "tooling" | "ci" | ".github"
                | ".gitlab" | ".circleci" | "buildscripts" | "hack"
                    if i == 0
                        || !rel
                            .split('/')
                            .nth(i)
                            .is_some_and(|w| w.starts_with(char::is_uppercase)) =>
                {
                    return Context::Build
                }
                // `push-examples/`, `code_examples/`, `examples-go/`
                d if d.ends_with("-examples")
                    || d.ends_with("_examples")
                    || d.starts_with("examples-")
                    || d.starts_with("examples_") =>
                {
                    return Context::Example
                }
                _ => {}
            }
        }
        // Mix tasks (`lib/mix/tasks/app.seed.ex`) run under `mix`, which a
        // release does not include: project tooling.
        if lower.contains("lib/mix/tasks/") {
            return Context::Build;
        }
        // Maven/Gradle layout: src/test/java/...
        if lower.contains("src/test/") {
            return Context::Test;
        }
        if is_test_file(file) {
            return Context::Test;
        }
        if is_build_file(file) {
            return Context::Build;
        }
        // invoke's `tasks.py` sits at the project's root; one inside a
        // package is Celery's, huey's or RQ's background tasks, code that
        // ships (`analyze::finding` weighs it as job code).
        if file == "tasks.py" && parts.is_empty() {
            return Context::Build;
        }
        if file.ends_with(".md") || file.ends_with(".rst") || file.ends_with(".adoc") {
            return Context::Docs;
        }
        Context::Service
    }
}

fn is_test_file(file: &str) -> bool {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    file.ends_with("_test.go")
        || file.starts_with("test_") && file.ends_with(".py")
        || file.ends_with("_test.py")
        || file == "conftest.py"
        || stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with("_spec")
        || stem.ends_with("_test")
        || (file.ends_with(".java") || file.ends_with(".kt") || file.ends_with(".cs"))
            && (stem.ends_with("test") || stem.ends_with("tests"))
        || file.ends_with("_test.exs")
        // `run_basic_tests.sh`, `test_cli_opts.sh`: a word of the name, not
        // a part of one (`latest.sh`).
        || (file.ends_with(".sh") || file.ends_with(".bash"))
            && stem.split(['_', '-', '.']).any(|w| w == "test" || w == "tests")
}

fn is_build_file(file: &str) -> bool {
    matches!(
        file,
        "build.rs"
            | "makefile"
            | "gnumakefile"
            | "cmakelists.txt"
            | "setup.py"
            | "noxfile.py"
            | "fabfile.py"
            | "gulpfile.js"
            | "gruntfile.js"
            | "webpack.config.js"
            | "rollup.config.js"
            | "vite.config.ts"
            | "vite.config.js"
            | "jest.config.js"
            | "rakefile"
            | "build.sh"
            | "install.sh"
            | "configure"
            | "justfile"
    ) || file.ends_with(".mk")
        || file.ends_with(".cmake")
}

impl std::fmt::Display for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_paths() {
        let cases = [
            ("main.go", Context::Service),
            ("cmd/api/main.go", Context::Service),
            ("backend/_example/memory_store/main.go", Context::Example),
            ("_demos/app.py", Context::Example),
            ("_internal/app.py", Context::Service),
            ("app/run_basic_tests.sh", Context::Test),
            ("app/test_cli_opts.sh", Context::Test),
            ("scripts/latest.sh", Context::Build),
            ("docker/latest.sh", Context::Service),
            ("attest.sh", Context::Service),
            ("handler_test.go", Context::Test),
            ("tests/helpers.py", Context::Test),
            ("app/test_views.py", Context::Test),
            ("src/test/java/com/x/AppTest.java", Context::Test),
            ("src/App.test.tsx", Context::Test),
            ("build.rs", Context::Build),
            ("xtask/src/main.rs", Context::Build),
            ("Makefile", Context::Build),
            ("tasks.py", Context::Build),
            ("bookmarks/services/tasks.py", Context::Service),
            ("examples/demo.rs", Context::Example),
            ("extra/push-examples/go/index.go", Context::Example),
            ("docs/guide.md", Context::Docs),
            ("fuzz/fuzz_targets/parse.rs", Context::Test),
            ("fuzz/Jellyfin.Api.Fuzz/Program.cs", Context::Test),
            ("tools/gen.py", Context::Build),
            ("cmd/tools/gen.go", Context::Build),
            ("app/Entities/Tools/PdfGenerator.php", Context::Service),
            ("Assets/Scripts/Player.cs", Context::Service),
            ("Tools/CodeGen/Program.cs", Context::Build),
            ("lib/mix/tasks/app.seed.ex", Context::Build),
            ("lib/app/tasks/cleanup.ex", Context::Service),
            ("README.md", Context::Docs),
            ("benches/scan.rs", Context::Test),
            ("src/contest.py", Context::Service),
            ("src/latest.rs", Context::Service),
            (
                "src/main/java/com/example/orders/App.java",
                Context::Service,
            ),
            (
                "src/main/java/com/example/orders/AppTest.java",
                Context::Test,
            ),
        ];
        for (path, want) in cases {
            assert_eq!(Context::of_path(path), want, "{path}");
        }
    }
}
