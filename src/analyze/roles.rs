//! Non-service artefacts by role: CI folders, packaging, build tool
//! wrappers, end-to-end and BDD tests, database migrations, Rake tasks,
//! spec helpers, fixtures, guest root filesystems, generated kernel
//! headers, frontend packages bundled for the browser, Go files built only
//! for another operating system, and Dockerfiles named for one of those
//! jobs. Each gets a context and a reason a reader
//! can check, so a `subprocess` in a CI script or a `Runtime.exec` in
//! `maven-wrapper.jar` is listed but never charged to the service.
//!
//! The path decides, as for `Context::of_path`; this refines that first
//! guess with roles it cannot tell apart (a CI folder from a build script,
//! a Cypress folder from service code) and says why. One role needs a
//! manifest: a frontend package bundled for the browser
//! (`frontend_package`), and one: the packages Composer installs into the
//! `config.vendor-dir` a composer.json names (`composer_vendored`), both
//! applied by the scan before files are parsed.

use crate::model::artifact::ArtifactKind;
use crate::model::context::Context;
use crate::model::language::Language;
use crate::model::service::Role;

/// The role of one path: the directory (ending in `/`) or file that has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Assigned {
    pub path: String,
    pub context: Context,
    pub reason: &'static str,
}

impl Assigned {
    pub(crate) fn role(&self) -> Role {
        Role {
            path: self.path.clone(),
            context: self.context,
            reason: self.reason.to_string(),
        }
    }

    /// The reason evidence under this path carries.
    pub(crate) fn evidence_reason(&self) -> String {
        format!("{} ({})", self.reason, self.path)
    }
}

const CI: &str = "CI configuration and the scripts it runs";
const PACKAGING: &str = "packaging for another channel (.deb, .rpm, snap, installer)";
const DEVCONTAINER: &str = "development container";
const DEV_DIR: &str = "development tooling and environment (a top-level dev directory: local compose files, code generators, helper scripts)";
const E2E: &str = "end-to-end tests";
const MIGRATIONS: &str =
    "database migrations (run once per release by the migration tool, not by the service)";
const RAKE_TASK: &str = "Rake tasks (run by hand or by deploy tooling, as Makefile targets are)";
const OTHER_PLATFORM: &str =
    "Go file built only for another platform (its name's GOOS suffix is neither linux nor wasip1)";
const BDD: &str = "BDD step definitions and support code";
const SPEC_HELPER: &str = "test and spec helpers";
const FIXTURES: &str = "test fixtures and data";
const WRAPPER: &str = "build tool wrapper (downloads and runs the build tool)";
const YARN: &str = "the package manager's own files (Yarn's checked-in release, plugins and cache)";
const GUEST: &str = "guest or VM root filesystem: runs in the guest, not as the service";
const KERNEL_HEADER: &str = "generated kernel type header";
const TEST_IMAGE: &str = "test image (Dockerfile named for tests)";
const DEV_IMAGE: &str = "development image (Dockerfile named for development)";
const DOCS_IMAGE: &str = "documentation image";
const PACKAGING_IMAGE: &str = "packaging image (builds a package, not the service)";
const CI_IMAGE: &str = "CI image";
const BUILD_IMAGE: &str = "build image (Dockerfile named for building, not shipping)";
const BASE_IMAGE: &str =
    "base image (Dockerfile named `base`: the service's image is built FROM it by tag; not a service of its own)";
const BASE_DIR_IMAGE: &str =
    "base image (Dockerfile in a folder named `base`: the service's image is built FROM it by tag; not a service of its own)";
const WEB_INSTALLER: &str = "web installer (run once to check the host and write the configuration before the application is set up; an image is configured by its build and environment)";
const TEST_COMPOSE: &str = "test compose file (named for tests)";
const DEV_COMPOSE: &str = "development compose file (named for development, or the local override)";

/// The role of `rel` (relative to the scan root, `/`-separated), when it is
/// one of the non-service roles. The outermost directory with a role wins:
/// everything under `.github/` is CI, whatever it is named.
pub(crate) fn classify(rel: &str) -> Option<Assigned> {
    let lower = rel.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    let (file, dirs) = parts.split_last()?;
    let dir_role = |i: usize, context, reason| Assigned {
        path: format!(
            "{}/",
            rel.split('/').take(i + 1).collect::<Vec<_>>().join("/")
        ),
        context,
        reason,
    };
    for (i, d) in dirs.iter().enumerate() {
        let next = dirs.get(i + 1).copied();
        let found = match (*d, next) {
            (
                ".github" | ".gitlab" | ".circleci" | ".buildkite" | ".woodpecker" | ".drone"
                | ".azure-pipelines" | ".teamcity" | "ci" | ".ci",
                _,
            ) => Some((Context::Ci, CI)),
            // `packaging/docker/alpine/Dockerfile` is the image channel, the
            // service itself: only the other channels are packaging.
            (
                "packaging",
                Some("docker" | "container" | "containers" | "oci" | "image" | "images"),
            ) => None,
            (
                "packaging" | "debian" | "rpm" | "snap" | "flatpak" | "appimage" | "homebrew"
                | "chocolatey" | "nsis" | "wix" | "installer" | "installers",
                _,
            ) => Some((Context::Packaging, PACKAGING)),
            (".devcontainer", _) => Some((Context::Dev, DEVCONTAINER)),
            // Only at the top: a `dev` package deeper down may be code.
            (
                "dev" | ".dev" | "development" | "devtools" | "dev-tools" | "devenv" | "dev-env",
                _,
            ) if i == 0 => Some((Context::Dev, DEV_DIR)),
            ("cypress" | "playwright" | "selenium" | "e2e" | "e2e-tests" | "end-to-end", _) => {
                Some((Context::Test, E2E))
            }
            // `tests_e2e/`, `e2e_tests/`, `web-e2e/`, `end2end/`.
            (d, _) if name_words(d).any(|w| w == "e2e" || w == "end2end") => {
                Some((Context::Test, E2E))
            }
            // `db/migrate/`, `migrations/`, `app/migrations/`, `old_migrations/`.
            (d, _) if name_words(d).any(|w| matches!(w, "migrate" | "migrations")) => {
                Some((Context::Build, MIGRATIONS))
            }
            ("fixtures" | "__fixtures__" | "testdata" | "test-data", _) => {
                Some((Context::Test, FIXTURES))
            }
            ("rootfs" | "initramfs" | "initrd" | "sysroot" | "guest-rootfs", _) => {
                Some((Context::Vendored, GUEST))
            }
            ("features", Some("step_definitions" | "steps" | "support")) => {
                return Some(dir_role(i + 1, Context::Test, BDD));
            }
            ("spec" | "test" | "tests", Some("support" | "helpers")) => {
                return Some(dir_role(i + 1, Context::Test, SPEC_HELPER));
            }
            (".mvn" | "gradle", Some("wrapper")) => {
                return Some(dir_role(i + 1, Context::Build, WRAPPER));
            }
            // Yarn Berry's checked-in release, plugins, SDKs and cache.
            (".yarn", _) => Some((Context::Build, YARN)),
            _ => None,
        };
        if let Some((context, reason)) = found {
            return Some(dir_role(i, context, reason));
        }
    }
    let cased = rel.rsplit('/').next().unwrap_or(rel);
    // `docker/base/Dockerfile`: the folder names the image a base.
    let in_base_dir = dirs
        .last()
        .is_some_and(|d| name_words(d).any(|w| w == "base"));
    let dockerfile = file.contains("dockerfile") || file.contains("containerfile");
    let (context, reason) = match file_role(file, cased) {
        None if dockerfile && in_base_dir => (Context::Build, BASE_DIR_IMAGE),
        found => found?,
    };
    Some(Assigned {
        path: rel.to_string(),
        context,
        reason,
    })
}

/// `file` is the lower-cased name, `cased` the name as it is on disk.
fn file_role(file: &str, cased: &str) -> Option<(Context, &'static str)> {
    Some(match file {
        "mvnw" | "mvnw.cmd" | "gradlew" | "gradlew.bat" | "maven-wrapper.jar"
        | "gradle-wrapper.jar" => (Context::Build, WRAPPER),
        ".travis.yml"
        | "jenkinsfile"
        | "azure-pipelines.yml"
        | ".drone.yml"
        | "appveyor.yml"
        | "cloudbuild.yaml"
        | "bitbucket-pipelines.yml" => (Context::Ci, CI),
        _ if file.starts_with(".gitlab-ci") => (Context::Ci, CI),
        "spec_helper.rb" | "rails_helper.rb" | "test_helper.rb" | "test_helper.exs"
        | "setuptests.js" | "setuptests.ts" | "jest.setup.js" | "jest.setup.ts" => {
            (Context::Test, SPEC_HELPER)
        }
        "snapcraft.yaml" | "pkgbuild" => (Context::Packaging, PACKAGING),
        _ if file.ends_with(".rake") => (Context::Build, RAKE_TASK),
        "install.php" | "installer.php" => (Context::Optional, WEB_INSTALLER),
        _ if go_other_platform(file) => (Context::Optional, OTHER_PLATFORM),
        _ if file.starts_with("playwright.config.") || file.starts_with("cypress.config.") => {
            (Context::Test, E2E)
        }
        _ if [".cy.js", ".cy.ts", ".cy.jsx", ".cy.tsx"]
            .iter()
            .any(|s| file.ends_with(s)) =>
        {
            (Context::Test, E2E)
        }
        _ if file.starts_with("vmlinux") && file.ends_with(".h") => {
            (Context::Vendored, KERNEL_HEADER)
        }
        _ if file.contains("dockerfile") || file.contains("containerfile") => {
            return dockerfile_role(cased)
        }
        _ if file.contains("compose") && (file.ends_with(".yml") || file.ends_with(".yaml")) => {
            return compose_role(cased)
        }
        _ => return None,
    })
}

/// The reason files of a frontend package carry (`frontend_package`).
pub(crate) const FRONTEND: &str =
    "frontend bundled for the browser: its code runs in the browser, its Node scripts (dev server, certificates, codegen) at development or build time";

const WEB_ASSET: &str = "static web asset: the service serves it, and its code runs in the browser";

/// JavaScript and Wasm under a directory a web framework serves as files
/// (`static/`, `public/`, `wwwroot/`, `assets/`): a Django app's vendored
/// pdf.js and its `.wasm`, a Rails app's `public/` bundle. The service
/// hands them to browsers; they never run in it. TypeScript is compiled
/// before anything serves it, so a `.ts` file there is server code (a
/// NestJS `integrations/static/` module), and so is a served-looking
/// directory inside the server's own code (`routes/public/`).
pub(crate) fn web_asset(rel: &str, kind: ArtifactKind) -> Option<Assigned> {
    let browser_code = matches!(
        kind,
        ArtifactKind::Source(Language::JavaScript) | ArtifactKind::Wasm
    ) && !rel.ends_with(".ts");
    if !browser_code {
        return None;
    }
    let mut dirs: Vec<&str> = rel.split('/').collect();
    dirs.pop();
    let server_code = |d: &&str| {
        matches!(
            d.to_ascii_lowercase().as_str(),
            "routes"
                | "controllers"
                | "handlers"
                | "api"
                | "server"
                | "modules"
                | "integrations"
                | "middleware"
                | "middlewares"
        )
    };
    // `assets/` also holds what a plugin host loads itself: only its
    // scripts are the browser's.
    let i = dirs
        .iter()
        .position(|d| match d.to_ascii_lowercase().as_str() {
            "static" | "public" | "wwwroot" | "staticfiles" | "static_root" => true,
            "assets" => kind != ArtifactKind::Wasm,
            _ => false,
        })?;
    if dirs[..i].iter().any(server_code) {
        return None;
    }
    Some(Assigned {
        path: format!("{}/", dirs[..=i].join("/")),
        context: Context::Dev,
        reason: WEB_ASSET,
    })
}

/// The reason files of a package Composer installs into the tree carry
/// (`composer_vendored`).
pub(crate) const COMPOSER_VENDOR: &str =
    "third-party package Composer installs into the config.vendor-dir its composer.json names (a copy of someone else's code, as vendor/ is)";

/// The directories, relative to a composer.json's own, of the packages it
/// installs when its `config.vendor-dir` is not the default `vendor/` (which
/// the walk skips): `<vendor-dir>/<vendor>/<name>` for each package of
/// `require` and `require-dev`. Such a tree (`"vendor-dir": "./"` in
/// `lib/composer.json`) holds the application's own code beside the
/// packages, so only the packages' directories are named. A vendor-dir
/// outside the manifest's directory names nothing.
pub(crate) fn composer_vendored(pkg: &serde_json::Value) -> Vec<String> {
    let Some(dir) = pkg.pointer("/config/vendor-dir").and_then(|d| d.as_str()) else {
        return Vec::new();
    };
    let dir = dir.trim_start_matches("./").trim_end_matches('/');
    let parts: Vec<&str> = dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if dir.starts_with('/') || dir.contains('\\') || parts.contains(&"..") {
        return Vec::new();
    }
    let mut out: Vec<String> = ["require", "require-dev"]
        .iter()
        .filter_map(|section| pkg.get(section).and_then(|d| d.as_object()))
        .flat_map(|d| d.keys())
        // `php`, `ext-json` are platform requirements, not packages.
        .filter(|name| {
            let mut p = name.split('/');
            matches!((p.next(), p.next(), p.next()), (Some(a), Some(b), None)
                if !a.is_empty() && !b.is_empty() && a != ".." && b != "..")
        })
        .map(|name| {
            let mut path = parts.clone();
            path.push(name.as_str());
            path.join("/").to_ascii_lowercase()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

pub(crate) const CONSOLE_COMMAND: &str = "console command: the framework's command line (bin/console, artisan) or its scheduler runs it, not a web request";

/// Where a PHP framework keeps the commands of its command line, relative
/// to the composer.json that requires it: Symfony's `src/Command/`,
/// Laravel's `app/Console/Commands/`. The front controller never loads
/// them; an operator, a cron job or the scheduler runs them as programs of
/// their own.
pub(crate) fn console_commands(pkg: &serde_json::Value) -> Option<&'static str> {
    let requires = |name: &str| {
        ["require", "require-dev"]
            .iter()
            .any(|s| pkg.get(s).and_then(|d| d.get(name)).is_some())
    };
    // Not symfony/console alone: a command-line tool built on it (no web
    // front controller) is its commands.
    if requires("laravel/framework") {
        Some("app/Console/Commands/")
    } else if requires("symfony/framework-bundle") {
        Some("src/Command/")
    } else {
        None
    }
}

/// Programs that bundle code for the browser or serve it while developing.
const BROWSER_BUNDLERS: [&str; 9] = [
    "vite",
    "webpack",
    "webpack-dev-server",
    "react-scripts",
    "ng",
    "vue-cli-service",
    "parcel",
    "snowpack",
    "rollup",
];

/// Programs that run a Node server (or a Node program) from a script.
const NODE_RUNNERS: [&str; 15] = [
    "node",
    "ts-node",
    "tsx",
    "nodemon",
    "pm2",
    "pm2-runtime",
    "forever",
    "next",
    "nuxt",
    "remix-serve",
    "nest",
    "bun",
    "deno",
    "vite-node",
    "react-router-serve",
];

/// Server frameworks whose presence in `dependencies` means the package
/// runs on Node, whatever its scripts bundle.
const NODE_SERVERS: [&str; 8] = [
    "express",
    "fastify",
    "koa",
    "@hapi/hapi",
    "@nestjs/core",
    "next",
    "nuxt",
    "@remix-run/node",
];

/// Frameworks that render on a server as well as in the browser (their
/// server code runs on Node after a `vite build`): in `dependencies` or
/// `devDependencies` (SvelteKit and its adapters are dev dependencies),
/// the package is not a browser-only frontend.
const SERVER_RENDERING: [&str; 10] = [
    "@sveltejs/kit",
    "@remix-run/dev",
    "@react-router/dev",
    "@angular/ssr",
    "@angular/platform-server",
    "@solidjs/start",
    "@tanstack/react-start",
    "@builder.io/qwik-city",
    "vike",
    "astro",
];

/// Whether a package.json describes a frontend bundled for the browser: a
/// script bundles with a browser bundler or runs its dev server, and
/// nothing in it runs on Node: no script runs `node` or a Node server, no
/// `main` or `bin` names a program or library entry, no server framework
/// is a dependency, and no framework that also renders on a server
/// (SvelteKit, Angular SSR, Astro...) is one. Such a package ships as
/// static files another process serves; its Node-side files (a dev-server
/// helper that spawns `dotnet dev-certs`, a proxy config) run only on a
/// developer's machine or in the build.
pub(crate) fn frontend_package(pkg: &serde_json::Value) -> bool {
    if pkg.get("main").is_some() || pkg.get("bin").is_some() {
        return false;
    }
    let names = |section: &str| -> Vec<String> {
        pkg.get(section)
            .and_then(|d| d.as_object())
            .map(|d| d.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (deps, dev_deps) = (names("dependencies"), names("devDependencies"));
    let runs_on_node = deps.iter().any(|k| NODE_SERVERS.contains(&k.as_str()))
        || deps
            .iter()
            .chain(&dev_deps)
            .any(|k| SERVER_RENDERING.contains(&k.as_str()));
    if runs_on_node {
        return false;
    }
    let Some(scripts) = pkg.get("scripts").and_then(|s| s.as_object()) else {
        return false;
    };
    let mut bundles = false;
    for cmd in scripts.values().filter_map(|v| v.as_str()) {
        for program in script_programs(cmd) {
            if NODE_RUNNERS.contains(&program) {
                return false;
            }
            bundles |= BROWSER_BUNDLERS.contains(&program);
        }
    }
    bundles
}

/// The program of each command of a package.json script: the first word
/// after environment assignments and `cross-env`, per `&&`, `||`, `;` or
/// `|` part, without its directory (`./node_modules/.bin/vite` is `vite`).
fn script_programs(cmd: &str) -> impl Iterator<Item = &str> {
    cmd.split(['&', '|', ';']).filter_map(|part| {
        part.split_whitespace()
            .find(|w| !w.contains('=') && *w != "cross-env" && *w != "env")
            .map(|w| w.rsplit('/').next().unwrap_or(w))
    })
}

/// Whether a Go file's name restricts it to an operating system that is
/// neither Linux nor WASI (`tun_darwin.go`, `udp_windows_amd64.go`): the Go
/// tool builds it only for that GOOS, so it never ships in a Linux
/// container or a Wasm component, as a Cargo dependency for Windows does
/// not. Test files keep their test context.
fn go_other_platform(file: &str) -> bool {
    const OTHER_GOOS: [&str; 15] = [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "windows",
        "zos",
    ];
    const GOARCH: [&str; 14] = [
        "386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
        "ppc64le", "riscv64", "s390x", "wasm",
    ];
    let Some(stem) = file.strip_suffix(".go") else {
        return false;
    };
    if stem.ends_with("_test") {
        return false;
    }
    let mut parts: Vec<&str> = stem.split('_').collect();
    if parts.len() > 2 && GOARCH.contains(parts.last().unwrap_or(&"")) {
        parts.pop();
    }
    parts.len() > 1 && OTHER_GOOS.contains(parts.last().unwrap_or(&""))
}

/// The words of a directory name (`tests_e2e` -> `tests`, `e2e`).
fn name_words(d: &str) -> impl Iterator<Item = &str> {
    d.split(['-', '_', '.']).filter(|w| !w.is_empty())
}

/// A Dockerfile named for a job other than shipping the service
/// (`Dockerfile.e2e`, `playwright.Dockerfile`, `Dockerfile-deb`). A compose
/// service that builds one makes it the service's again (`analyze::units`).
fn dockerfile_role(file: &str) -> Option<(Context, &'static str)> {
    for word in cased_words(file) {
        let role = match word.as_str() {
            "test" | "tests" | "e2e" | "playwright" | "cypress" | "selenium" | "integration"
            | "acceptance" => (Context::Test, TEST_IMAGE),
            "dev" | "devel" | "develop" | "development" | "devcontainer" | "local" => {
                (Context::Dev, DEV_IMAGE)
            }
            "docs" | "doc" | "mkdocs" | "sphinx" => (Context::Docs, DOCS_IMAGE),
            // Not `debian`: `Dockerfile.debian` beside `Dockerfile.alpine`
            // names the base image's distribution, not a package build.
            "deb" | "rpm" | "package" | "packaging" | "snap" | "appimage" => {
                (Context::Packaging, PACKAGING_IMAGE)
            }
            "ci" => (Context::Ci, CI_IMAGE),
            "builder" | "build" | "buildenv" | "toolchain" => (Context::Build, BUILD_IMAGE),
            "base" => (Context::Build, BASE_IMAGE),
            _ => continue,
        };
        return Some(role);
    }
    None
}

/// The lower-cased words of a file name, split at `.`, `-`, `_` and at
/// camel-case humps: `BuildHealthCheck.Dockerfile` is build, health,
/// check, dockerfile; `E2ETests` is e2e, tests.
fn cased_words(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(['.', '-', '_']).flat_map(|part| {
        let chars: Vec<char> = part.chars().collect();
        let mut words = Vec::new();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let hump = c.is_ascii_uppercase()
                && (prev.is_some_and(|p| p.is_ascii_lowercase())
                    || (prev.is_some_and(|p| p.is_ascii_uppercase())
                        && next.is_some_and(|n| n.is_ascii_lowercase())));
            if hump {
                words.push(std::mem::take(&mut word));
            }
            word.push(c.to_ascii_lowercase());
        }
        words.push(word);
        words.into_iter().filter(|w| !w.is_empty())
    })
}

/// A compose file named for a job other than running the service
/// (`docker-compose.e2e.yml`, `compose.dev.yaml`), or the override file
/// Compose merges in on developer machines.
fn compose_role(file: &str) -> Option<(Context, &'static str)> {
    if cased_words(file).any(|w| w == "override") {
        return Some((Context::Dev, DEV_COMPOSE));
    }
    let (context, _) = dockerfile_role(file)?;
    Some((
        context,
        match context {
            Context::Test => TEST_COMPOSE,
            Context::Dev => DEV_COMPOSE,
            Context::Docs => DOCS_IMAGE,
            Context::Packaging => PACKAGING_IMAGE,
            _ => CI_IMAGE,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(rel: &str) -> Option<(Context, String)> {
        classify(rel).map(|a| (a.context, a.path))
    }

    #[test]
    fn roles_by_directory_name_the_outermost_directory() {
        let cases = [
            (".github/workflows/release.sh", Context::Ci, ".github/"),
            ("ci/run.py", Context::Ci, "ci/"),
            ("packaging/deb/build.sh", Context::Packaging, "packaging/"),
            ("debian/rules", Context::Packaging, "debian/"),
            (".devcontainer/Dockerfile", Context::Dev, ".devcontainer/"),
            ("dev/docker-compose.yml", Context::Dev, "dev/"),
            ("dev/code-generation/gen.py", Context::Dev, "dev/"),
            ("web/cypress/support/e2e.js", Context::Test, "web/cypress/"),
            (
                "features/step_definitions/x.rb",
                Context::Test,
                "features/step_definitions/",
            ),
            ("spec/support/helpers.rb", Context::Test, "spec/support/"),
            (
                ".mvn/wrapper/maven-wrapper.jar",
                Context::Build,
                ".mvn/wrapper/",
            ),
            (
                "gradle/wrapper/gradle-wrapper.jar",
                Context::Build,
                "gradle/wrapper/",
            ),
            (
                "guest/rootfs/usr/bin/init.sh",
                Context::Vendored,
                "guest/rootfs/",
            ),
            ("pkg/testdata/a.go", Context::Test, "pkg/testdata/"),
            (
                "bookmarks/tests_e2e/e2e_test_login.py",
                Context::Test,
                "bookmarks/tests_e2e/",
            ),
            (
                "web/e2e_tests/login.spec.js",
                Context::Test,
                "web/e2e_tests/",
            ),
            ("apps/web-e2e/src/app.cy.ts", Context::Test, "apps/web-e2e/"),
            (
                "db/migrate/20240101_add_x.rb",
                Context::Build,
                "db/migrate/",
            ),
            (
                "db/old_migrations/2023_x.rb",
                Context::Build,
                "db/old_migrations/",
            ),
            (
                "orders/migrations/0001_initial.py",
                Context::Build,
                "orders/migrations/",
            ),
        ];
        for (rel, c, path) in cases {
            assert_eq!(ctx(rel), Some((c, path.to_string())), "{rel}");
        }
        // The image channel of `packaging/` ships the service itself.
        assert_eq!(ctx("packaging/docker/alpine/Dockerfile"), None);
        assert_eq!(
            ctx("packaging/rpm/Dockerfile"),
            Some((Context::Packaging, "packaging/".to_string()))
        );
    }

    #[test]
    fn roles_by_file_name() {
        let cases = [
            ("mvnw", Context::Build),
            ("gradlew", Context::Build),
            (".yarn/releases/yarn-4.6.0.cjs", Context::Build),
            (".gitlab-ci.yml", Context::Ci),
            ("Jenkinsfile", Context::Ci),
            ("spec/spec_helper.rb", Context::Test),
            ("playwright.config.ts", Context::Test),
            ("bpf/vmlinux.h", Context::Vendored),
            ("bpf/vmlinux_x86.h", Context::Vendored),
            ("Dockerfile.e2e", Context::Test),
            ("playwright.Dockerfile", Context::Test),
            ("Dockerfile-deb", Context::Packaging),
            ("docker/Dockerfile.dev", Context::Dev),
            ("Dockerfile.docs", Context::Docs),
            ("docker/builder-go.dockerfile", Context::Build),
            ("docker/debian-base.dockerfile", Context::Build),
            ("Dockerfile.base", Context::Build),
            // Words in camel case count as words.
            ("docker/BuildHealthCheck.Dockerfile", Context::Build),
            ("docker/E2ETests.Dockerfile", Context::Test),
            ("extras/docker/base/Dockerfile", Context::Build),
            ("images/python-base/Dockerfile", Context::Build),
            ("docker-compose.e2e.yml", Context::Test),
            ("compose.dev.yaml", Context::Dev),
            ("docker-compose.override.yml", Context::Dev),
            ("lib/tasks/build.rake", Context::Build),
            ("overlay/tun_darwin.go", Context::Optional),
            ("udp/udp_windows_amd64.go", Context::Optional),
            ("sys/ioctl_freebsd_arm64.go", Context::Optional),
            ("app/install.php", Context::Optional),
            ("installer.php", Context::Optional),
        ];
        for (rel, c) in cases {
            assert_eq!(ctx(rel).map(|x| x.0), Some(c), "{rel}");
        }
        // A distribution's name is the base image's flavour.
        for rel in [
            "Dockerfile.debian",
            "docker/Dockerfile.django-debian",
            "Dockerfile",
            "database/Dockerfile",
            "base/settings.py",
        ] {
            assert_eq!(ctx(rel), None, "{rel}");
        }
    }

    #[test]
    fn console_commands_by_the_framework_composer_requires() {
        let pkg = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        assert_eq!(
            console_commands(&pkg(r#"{"require": {"symfony/framework-bundle": "7.*"}}"#)),
            Some("src/Command/")
        );
        assert_eq!(
            console_commands(&pkg(r#"{"require": {"laravel/framework": "^11"}}"#)),
            Some("app/Console/Commands/")
        );
        assert_eq!(
            console_commands(&pkg(r#"{"require": {"slim/slim": "^4"}}"#)),
            None
        );
        assert_eq!(
            console_commands(&pkg(r#"{"require": {"symfony/console": "^7"}}"#)),
            None
        );
    }

    #[test]
    fn composer_packages_in_a_vendor_dir_of_its_own() {
        let pkg = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        let req = r#""require": {"php": ">=8.1", "ext-json": "*", "PHPMailer/PHPMailer": "6.9.1", "simplepie/simplepie": "dev-x"}, "require-dev": {"phpunit/phpunit": "^10"}"#;
        assert_eq!(
            composer_vendored(&pkg(&format!(
                r#"{{{req}, "config": {{"vendor-dir": "./"}}}}"#
            ))),
            [
                "phpmailer/phpmailer",
                "phpunit/phpunit",
                "simplepie/simplepie"
            ]
        );
        assert_eq!(
            composer_vendored(&pkg(&format!(
                r#"{{{req}, "config": {{"vendor-dir": "lib/third"}}}}"#
            )))[0],
            "lib/third/phpmailer/phpmailer"
        );
        // The default vendor/ (skipped by the walk), or a vendor-dir
        // outside the manifest's directory: nothing here.
        for s in [
            format!("{{{req}}}"),
            format!(r#"{{{req}, "config": {{"vendor-dir": "../shared"}}}}"#),
            format!(r#"{{{req}, "config": {{"vendor-dir": "/opt/php"}}}}"#),
            r#"{"config": {"vendor-dir": "./"}}"#.to_string(),
        ] {
            assert!(composer_vendored(&pkg(&s)).is_empty(), "{s}");
        }
    }

    #[test]
    fn frontend_packages_bundle_for_the_browser() {
        let pkg = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
        for s in [
            r#"{"scripts": {"start": "vite", "build": "tsc && vite build"}}"#,
            r#"{"scripts": {"start": "ng serve", "build": "ng build"}, "dependencies": {"@angular/core": "^20"}}"#,
            r#"{"scripts": {"start": "cross-env PORT=3000 react-scripts start"}}"#,
            r#"{"scripts": {"dev": "./node_modules/.bin/webpack serve"}}"#,
        ] {
            assert!(frontend_package(&pkg(s)), "{s}");
        }
        for s in [
            // Runs on Node: a server script, a server framework, a program
            // or library entry.
            r#"{"scripts": {"build": "vite build", "start": "node server/server.js"}}"#,
            r#"{"scripts": {"build": "vite build && NODE_ENV=production node dist/x.js"}}"#,
            r#"{"scripts": {"build": "next build", "start": "next start"}}"#,
            r#"{"scripts": {"build": "vite build"}, "dependencies": {"express": "^5"}}"#,
            r#"{"main": "dist/index.js", "scripts": {"build": "rollup -c"}}"#,
            r#"{"bin": {"x": "cli.js"}, "scripts": {"build": "webpack"}}"#,
            // Renders on a server too (SvelteKit's node adapter, Angular SSR).
            r#"{"scripts": {"dev": "vite dev", "build": "vite build"}, "devDependencies": {"@sveltejs/kit": "^2"}}"#,
            r#"{"scripts": {"start": "ng serve"}, "dependencies": {"@angular/ssr": "^20"}}"#,
            // No bundler: nothing says it is a frontend.
            r#"{"scripts": {"test": "jest", "lint": "eslint ."}}"#,
            r#"{"name": "x"}"#,
        ] {
            assert!(!frontend_package(&pkg(s)), "{s}");
        }
    }

    #[test]
    fn browser_code_under_a_served_directory_is_a_web_asset() {
        let js = ArtifactKind::Source(Language::JavaScript);
        let a = web_asset("cookbook/static/pdfjs/web/pdf.mjs", js).expect("asset");
        assert_eq!(
            (a.path.as_str(), a.context),
            ("cookbook/static/", Context::Dev)
        );
        assert!(web_asset(
            "cookbook/static/pdfjs/web/wasm/qcms_bg.wasm",
            ArtifactKind::Wasm
        )
        .is_some());
        assert!(web_asset("public/js/app.js", js).is_some());
        // Server code, or code outside a served directory, is not.
        assert!(web_asset("server/index.js", js).is_none());
        assert!(web_asset("static/convert.py", ArtifactKind::Source(Language::Python)).is_none());
        assert!(web_asset("src/public.js", js).is_none());
        assert!(web_asset("assets/plugins/filter.wasm", ArtifactKind::Wasm).is_none());
        let ts = ArtifactKind::Source(Language::TypeScript);
        assert!(web_asset("apps/server/src/integrations/static/static.module.ts", ts).is_none());
        assert!(web_asset("src/routes/public/index.js", js).is_none());
        assert!(web_asset("src/main/resources/static/js/app.js", js).is_some());
    }

    #[test]
    fn service_paths_have_no_role() {
        for rel in [
            "Dockerfile",
            "Containerfile",
            "api/Dockerfile",
            "Dockerfile.prod",
            "src/main.rs",
            "pkg/server/server.go",
            "app/features/flags.py",
            "src/ci_helpers.py",
            "include/linux.h",
            "app/models/spec.rb",
            "docker-compose.yml",
            "compose.prod.yaml",
            // Words that merely contain the role's word.
            "app/migrator/run.go",
            "src/be2e/x.go",
            "app/models/migration_status.rb",
            "lib/tasks.rb",
            // A `dev` package below the top is code.
            "internal/dev/server.go",
            "src/devices/gpu.c",
            // Built for Linux or WASI, for every platform, or a test.
            "overlay/tun_linux.go",
            "net/poll_wasip1.go",
            "udp/udp_linux_amd64.go",
            "cmd/windows.go",
            "arch/amd64.go",
            "sys/unix_amd64.go",
            "tun_windows_test.go",
            // Named like an installer, but not one.
            "app/Controllers/installController.php",
            "src/install.py",
        ] {
            assert_eq!(ctx(rel), None, "{rel}");
        }
    }
}
