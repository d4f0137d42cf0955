//! build.gradle and build.gradle.kts dependency lines.
//!
//! Gradle files are programs; evaluating them is out of the question, but
//! dependencies are written in a few regular shapes (`implementation
//! "g:a:v"`, `implementation("g:a:v")`, `implementation group: 'g', name:
//! 'a'`), which a line regex reads exactly. Version catalog references
//! (`libs.netty`) cannot be resolved from the build file and are skipped.

use super::{Dep, Sink};
use crate::model::fact::{Ecosystem, Scope};
use regex::Regex;
use std::sync::LazyLock;

/// `conf "g:a:v"`, `conf('g:a:v')`, `conf(platform("g:a:v"))`.
static STRING_NOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*([A-Za-z][A-Za-z0-9]*)\s*\(?\s*(?:(?:platform|enforcedPlatform|testFixtures)\s*\(\s*)?["']([^"'\s$]+:[^"'\s]+)["']"#,
    )
    .expect("static regex")
});

/// `conf group: 'g', name: 'a', version: 'v'` and the Kotlin
/// `conf(group = "g", name = "a", version = "v")`.
static MAP_NOTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^\s*([A-Za-z][A-Za-z0-9]*)\s*\(?\s*group\s*[:=]\s*["']([^"']+)["']\s*,\s*name\s*[:=]\s*["']([^"']+)["'](?:\s*,\s*version\s*[:=]\s*["']([^"']+)["'])?"#,
    )
    .expect("static regex")
});

pub(crate) fn build_gradle(sink: &mut Sink) {
    sink.runtime(Ecosystem::Maven);
    let text = sink.text;
    let mut in_block_comment = false;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        let mut line = raw;
        if in_block_comment {
            match line.find("*/") {
                Some(end) => {
                    in_block_comment = false;
                    line = &line[end + 2..];
                }
                None => continue,
            }
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if let Some(start) = trimmed.strip_prefix("/*") {
            if !start.contains("*/") {
                in_block_comment = true;
            }
            continue;
        }
        if let Some(c) = MAP_NOTATION.captures(line) {
            let (conf, group, name) = (&c[1], &c[2], &c[3]);
            if let Some(scope) = configuration_scope(conf) {
                let version = c.get(4).map(|m| m.as_str());
                let dep = Dep::new(Ecosystem::Maven, format!("{group}:{name}"))
                    .version(version)
                    .scope(scope);
                sink.dep(dep, line_no);
            }
            continue;
        }
        if let Some(c) = STRING_NOTATION.captures(line) {
            let Some(scope) = configuration_scope(&c[1]) else {
                continue;
            };
            // g:a[:v[:classifier]][@ext]
            let coord = c[2].split('@').next().unwrap_or("");
            let mut parts = coord.split(':');
            let (Some(group), Some(name)) = (parts.next(), parts.next()) else {
                continue;
            };
            if group.is_empty() || name.is_empty() {
                continue;
            }
            let version = parts.next().filter(|v| !v.is_empty());
            let dep = Dep::new(Ecosystem::Maven, format!("{group}:{name}"))
                .version(version)
                .scope(scope);
            sink.dep(dep, line_no);
        }
    }
}

/// The scope a dependency configuration implies, or None when the word is
/// not a dependency configuration at all (`id`, `version`, `maven`...).
/// A configuration of a test source set (`testImplementation`,
/// `integrationTestRuntimeOnly`, `androidTestApi`) is test-only;
/// `developmentOnly` and Android `debug*` are development-only; compile-only
/// code, annotation processors and build-script classpath are build-only.
fn configuration_scope(conf: &str) -> Option<Scope> {
    let lower = conf.to_ascii_lowercase();
    const SUFFIXES: [&str; 8] = [
        "compileonlyapi",
        "implementation",
        "compileonly",
        "runtimeonly",
        "annotationprocessor",
        "compile",
        "runtime",
        "api",
    ];
    let prefix = SUFFIXES.iter().find_map(|s| lower.strip_suffix(s));
    let whole = matches!(
        lower.as_str(),
        "kapt" | "ksp" | "classpath" | "developmentonly" | "providedcompile" | "providedruntime"
    );
    if prefix.is_none() && !whole {
        return None;
    }
    let prefix = prefix.unwrap_or("");
    Some(if prefix.contains("test") {
        Scope::Test
    } else if lower == "developmentonly" || prefix.starts_with("debug") {
        Scope::Dev
    } else if whole
        || lower.ends_with("annotationprocessor")
        || lower.ends_with("compileonly")
        || lower.ends_with("compileonlyapi")
    {
        // Build tooling and compile-time-only code (Lombok, processors),
        // and what the servlet container provides: never on the service's
        // own runtime classpath.
        Scope::Build
    } else {
        Scope::Runtime
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::model::artifact::ManifestKind;
    use crate::model::context::Context;

    const GRADLE: &str = r#"plugins {
    id 'org.springframework.boot' version '3.2.5'
    id 'java'
}

dependencies {
    implementation 'org.springframework.boot:spring-boot-starter-web'
    implementation "io.netty:netty-transport-native-epoll:4.1.109.Final:linux-x86_64"
    implementation group: 'org.bytedeco', name: 'javacv-platform', version: '1.5.10'
    runtimeOnly("org.postgresql:postgresql:42.7.3")
    implementation(platform("org.springframework.cloud:spring-cloud-dependencies:2023.0.1"))
    compileOnly 'org.projectlombok:lombok:1.18.32'
    // implementation 'com.example:commented-out:1.0'
    /*
    implementation 'com.example:block-commented:1.0'
    */
    implementation libs.jackson.databind
    implementation "com.github.jnr:jnr-ffi:$jnrVersion"
    testImplementation 'org.junit.jupiter:junit-jupiter:5.10.2'
    implementation(group = "net.java.dev.jna", name = "jna", version = "5.14.0")
    developmentOnly 'org.springframework.boot:spring-boot-devtools'
    integrationTestRuntimeOnly "io.methvin:directory-watcher:0.18.0"
    annotationProcessor 'org.mapstruct:mapstruct-processor:1.5.5.Final'
    kapt("com.google.dagger:dagger-compiler:2.51")
}
"#;

    #[test]
    fn dependency_lines() {
        let out = service(ManifestKind::Gradle, "build.gradle", GRADLE);
        let rows = deps(&out);
        let names: Vec<_> = rows.iter().map(|r| (r.0.as_str(), r.4)).collect();
        assert_eq!(
            names,
            [
                ("org.springframework.boot:spring-boot-starter-web", 7),
                ("io.netty:netty-transport-native-epoll", 8),
                ("org.bytedeco:javacv-platform", 9),
                ("org.postgresql:postgresql", 10),
                ("org.springframework.cloud:spring-cloud-dependencies", 11),
                ("org.projectlombok:lombok", 12),
                ("com.github.jnr:jnr-ffi", 18),
                ("org.junit.jupiter:junit-jupiter", 19),
                ("net.java.dev.jna:jna", 20),
                ("org.springframework.boot:spring-boot-devtools", 21),
                ("io.methvin:directory-watcher", 22),
                ("org.mapstruct:mapstruct-processor", 23),
                ("com.google.dagger:dagger-compiler", 24),
            ]
        );
        let get = |n: &str| rows.iter().find(|r| r.0 == n).cloned().expect(n);
        assert_eq!(
            get("io.netty:netty-transport-native-epoll").1.as_deref(),
            Some("4.1.109.Final")
        );
        assert_eq!(get("org.projectlombok:lombok").3, Context::Build);
        assert_eq!(get("org.junit.jupiter:junit-jupiter").3, Context::Test);
        assert_eq!(
            get("org.springframework.cloud:spring-cloud-dependencies").3,
            Context::Service
        );
        assert_eq!(get("org.postgresql:postgresql").3, Context::Service);
        assert_eq!(
            get("org.springframework.boot:spring-boot-devtools").3,
            Context::Dev
        );
        assert_eq!(get("io.methvin:directory-watcher").3, Context::Test);
        assert_eq!(get("org.mapstruct:mapstruct-processor").3, Context::Build);
        assert_eq!(get("com.google.dagger:dagger-compiler").3, Context::Build);
        assert_eq!(
            get("com.github.jnr:jnr-ffi").1.as_deref(),
            Some("$jnrVersion")
        );
        assert_eq!(runtimes(&out), vec![("maven".to_string(), 10)]);
        no_panic(ManifestKind::Gradle, GRADLE);
    }
}
