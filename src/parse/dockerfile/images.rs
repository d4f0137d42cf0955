//! Which language runtime a base image implies (`python:3.12-slim` ->
//! python, `eclipse-temurin:21-jre` -> jvm), by repository name with the
//! registry, tag and digest removed.

/// The runtime id of an image reference, as in `rules/runtimes.toml`.
pub(crate) fn runtime_of(image: &str) -> Option<&'static str> {
    let lower = image.trim().to_ascii_lowercase();
    let repo = repository(&lower);
    let (registry, path) = split_registry(repo);
    let path = path.strip_prefix("library/").unwrap_or(path);
    let last = path.rsplit('/').next().unwrap_or(path);

    if registry == Some("mcr.microsoft.com") && path.starts_with("dotnet/") {
        return Some("dotnet");
    }
    if path.starts_with("distroless/") || registry == Some("gcr.io") && path.contains("distroless")
    {
        return match last {
            l if l.starts_with("python") => Some("python"),
            l if l.starts_with("java") => Some("jvm"),
            l if l.starts_with("nodejs") => Some("node"),
            _ => None,
        };
    }
    match path {
        "tinygo/tinygo" | "tinygo/tinygo-dev" => return Some("tinygo"),
        // ML framework images ship a Python runtime (and CUDA, which GPU
        // rules see separately).
        "pytorch/pytorch"
        | "tensorflow/tensorflow"
        | "nvidia/pytorch"
        | "nvidia/tensorflow"
        | "huggingface/transformers-pytorch-gpu" => return Some("python"),
        "oven/bun" | "denoland/deno" => return Some("node"),
        "lukemathwalker/cargo-chef" | "clux/muslrust" | "messense/rust-musl-cross" => {
            return Some("rust")
        }
        "hexpm/elixir" | "hexpm/erlang" | "bitwalker/alpine-elixir" | "bitwalker/alpine-erlang" => {
            return Some("beam")
        }
        _ => {}
    }
    let runtime = match last {
        "python" | "pypy" | "miniconda3" | "anaconda3" | "micromamba" => "python",
        l if l.starts_with("python3") || l.starts_with("python-3") => "python",
        "node" | "nodejs" => "node",
        l if l.starts_with("nodejs-") => "node",
        "eclipse-temurin"
        | "openjdk"
        | "amazoncorretto"
        | "maven"
        | "gradle"
        | "tomcat"
        | "jetty"
        | "ibmjava"
        | "ibm-semeru-runtimes"
        | "sapmachine"
        | "sbt"
        | "clojure"
        | "jdk"
        | "jre"
        | "java"
        | "liberica-openjdk-alpine"
        | "liberica-openjdk-debian"
        | "zulu-openjdk"
        | "zulu-openjdk-alpine"
        | "graalvm-ce"
        | "wildfly"
        | "open-liberty"
        | "websphere-liberty" => "jvm",
        l if l.starts_with("openjdk-") || l.starts_with("jdk-") || l.starts_with("graalvm") => {
            "jvm"
        }
        "elixir" | "erlang" => "beam",
        "ruby" | "rails" => "ruby",
        "php" | "composer" | "wordpress" => "php",
        l if l.starts_with("php-") => "php",
        "golang" | "go" => "go",
        "rust" => "rust",
        "gcc" | "clang" | "alpine-gcc" | "llvm" => "c-cpp",
        "tinygo" => "tinygo",
        _ => return None,
    };
    Some(runtime)
}

/// `registry/path:tag@digest` -> `registry/path`.
fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        // A colon after the last slash is a tag; before it, a registry port.
        Some(colon) if !no_digest[colon..].contains('/') => &no_digest[..colon],
        _ => no_digest,
    }
}

/// Splits off the registry: the first component when it has a `.` or `:`
/// or is `localhost` (Docker's own rule).
fn split_registry(repo: &str) -> (Option<&str>, &str) {
    match repo.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            let registry = if first == "docker.io" || first == "index.docker.io" {
                None
            } else {
                Some(first)
            };
            (registry, rest)
        }
        _ => (None, repo),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_images() {
        let cases = [
            ("python:3.12-slim", Some("python")),
            ("docker.io/library/python:3.12@sha256:abc", Some("python")),
            ("pypy:3.10", Some("python")),
            ("node:20-alpine", Some("node")),
            ("eclipse-temurin:21-jre", Some("jvm")),
            ("maven:3.9-eclipse-temurin-21", Some("jvm")),
            ("registry.access.redhat.com/ubi9/openjdk-17", Some("jvm")),
            ("mcr.microsoft.com/dotnet/aspnet:8.0", Some("dotnet")),
            ("elixir:1.16", Some("beam")),
            (
                "hexpm/elixir:1.16.2-erlang-26.2.4-alpine-3.19.1",
                Some("beam"),
            ),
            ("ruby:3.3", Some("ruby")),
            ("php:8.3-fpm", Some("php")),
            ("golang:1.22", Some("go")),
            ("rust:1.78-slim", Some("rust")),
            ("gcc:13", Some("c-cpp")),
            ("tinygo/tinygo:0.31.2", Some("tinygo")),
            (
                "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime",
                Some("python"),
            ),
            ("gcr.io/distroless/python3-debian12", Some("python")),
            ("gcr.io/distroless/static-debian12", None),
            ("localhost:5000/golang:1.22", Some("go")),
            ("nvidia/cuda:12.4.1-runtime-ubuntu22.04", None),
            ("ubuntu:22.04", None),
            ("scratch", None),
        ];
        for (image, want) in cases {
            assert_eq!(runtime_of(image), want, "{image}");
        }
    }
}
