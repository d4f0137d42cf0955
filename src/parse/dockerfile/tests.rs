//! Dockerfile parser tests on realistic files and on broken input.

use super::*;
use crate::model::fact::RuntimeClue;

fn images(out: &Output) -> Vec<(String, Option<String>, bool, Context, u32)> {
    out.facts
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::BaseImage {
                image,
                stage,
                is_final,
            } => Some((
                image.clone(),
                stage.clone(),
                *is_final,
                f.context,
                f.at.line.unwrap_or(0),
            )),
            _ => None,
        })
        .collect()
}

fn packages(out: &Output) -> Vec<(String, Context, u32)> {
    out.facts
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::OsPackage { name, .. } => {
                Some((name.clone(), f.context, f.at.line.unwrap_or(0)))
            }
            _ => None,
        })
        .collect()
}

/// The base images stages report as runtime hints, with their weight
/// (which runtime an image means is rules/runtimes.toml's, tested there).
fn runtimes(out: &Output) -> Vec<(String, u32)> {
    out.facts
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::Runtime {
                clue: RuntimeClue::Image(image),
                weight,
            } => Some((image.clone(), *weight)),
            _ => None,
        })
        .collect()
}

fn instructions(out: &Output) -> Vec<(String, String, Context)> {
    out.facts
        .iter()
        .filter_map(|f| match &f.kind {
            FactKind::Instruction { instruction, args } => {
                Some((instruction.clone(), args.clone(), f.context))
            }
            _ => None,
        })
        .collect()
}

const GO_MULTISTAGE: &str = r#"# syntax=docker/dockerfile:1.7
ARG GO_VERSION=1.22
ARG BASE=gcr.io/distroless/static-debian12
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -o /out/api ./cmd/api

FROM ${BASE:-alpine:3.19} AS runtime
COPY --from=build /out/api /api
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/api"]
"#;

#[test]
fn go_multistage() {
    let out = parse("Dockerfile", GO_MULTISTAGE, Context::Service);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(
        images(&out),
        [
            (
                "golang:1.22-bookworm".into(),
                Some("build".into()),
                false,
                Context::Build,
                4
            ),
            (
                "gcr.io/distroless/static-debian12".into(),
                Some("runtime".into()),
                true,
                Context::Service,
                11
            ),
        ]
    );
    assert_eq!(
        packages(&out),
        [
            ("git".into(), Context::Build, 5),
            ("ca-certificates".into(), Context::Build, 5)
        ]
    );
    assert_eq!(
        runtimes(&out),
        [
            ("golang:1.22-bookworm".to_string(), 5),
            ("gcr.io/distroless/static-debian12".to_string(), 20)
        ]
    );
    let ins = instructions(&out);
    assert_eq!(ins.len(), 12);
    assert!(ins.contains(&("EXPOSE".into(), "8080".into(), Context::Service)));
    assert!(ins.contains(&(
        "FROM".into(),
        "${BASE:-alpine:3.19} AS runtime".into(),
        Context::Service
    )));
    assert!(ins.contains(&(
        "FROM".into(),
        "--platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build".into(),
        Context::Build
    )));
    assert!(ins.contains(&("USER".into(), "nonroot:nonroot".into(), Context::Service)));
    assert!(ins.contains(&("ARG".into(), "GO_VERSION=1.22".into(), Context::Service)));
    assert!(ins.contains(&(
        "RUN".into(),
        "--mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 go build -o /out/api ./cmd/api".into(),
        Context::Build
    )));
    let from = out
        .facts
        .iter()
        .find(|f| matches!(&f.kind, FactKind::BaseImage { is_final: true, .. }))
        .unwrap();
    assert_eq!(from.at.snippet, "FROM ${BASE:-alpine:3.19} AS runtime");
}

const PYTHON_FFMPEG: &str = r#"FROM python:3.12-slim AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ffmpeg=7:5.1* \
      imagemagick \
 && rm -rf /var/lib/apt/lists/*

FROM base AS builder
RUN apt-get install -y build-essential
RUN pip wheel -r requirements.txt -w /wheels

FROM base
COPY --from=builder /wheels /wheels
RUN <<EOF
set -e
pip install /wheels/*
apt-get install -y git
EOF
RUN python3 <<PY
import subprocess
subprocess.run(["apt-get", "install", "-y", "chromium"])
PY
RUN ["apt-get", "install", "-y", "ghostscript"]
CMD ["python", "app.py"]
"#;

#[test]
fn final_stage_lineage() {
    let out = parse("Dockerfile", PYTHON_FFMPEG, Context::Service);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(
        images(&out),
        [
            (
                "python:3.12-slim".into(),
                Some("base".into()),
                false,
                Context::Service,
                1
            ),
            ("python:3.12-slim".into(), None, true, Context::Service, 12),
        ]
    );
    assert_eq!(
        packages(&out),
        [
            ("ffmpeg".into(), Context::Service, 4),
            ("imagemagick".into(), Context::Service, 5),
            ("build-essential".into(), Context::Build, 9),
            ("git".into(), Context::Service, 17),
            ("ghostscript".into(), Context::Service, 23),
        ]
    );
    assert_eq!(
        runtimes(&out),
        [
            ("python:3.12-slim".to_string(), 5),
            ("python:3.12-slim".to_string(), 20)
        ]
    );
    let ins = instructions(&out);
    let heredoc = ins.iter().find(|i| i.1.starts_with("<<EOF")).unwrap();
    assert_eq!(
        heredoc.1,
        "<<EOF set -e; pip install /wheels/*; apt-get install -y git"
    );
    let py = ins.iter().find(|i| i.1.starts_with("python3")).unwrap();
    assert!(py.1.contains("subprocess.run"), "{}", py.1);
    let first_run = &ins[1];
    assert_eq!(
        first_run.1,
        "apt-get update && apt-get install -y --no-install-recommends ffmpeg=7:5.1* imagemagick && rm -rf /var/lib/apt/lists/*"
    );
    let pkg = out
        .facts
        .iter()
        .find(|f| matches!(&f.kind, FactKind::OsPackage { name, .. } if name == "imagemagick"))
        .unwrap();
    assert_eq!(pkg.at.snippet, "imagemagick \\");
}

#[test]
fn runtime_weights() {
    let text = "FROM tinygo/tinygo:0.31.2 AS build\nRUN tinygo build -o app.wasm -target=wasi .\nFROM scratch\nCOPY --from=build /src/app.wasm /app.wasm\n";
    let out = parse("Dockerfile", text, Context::Service);
    // A builder weighs less than the stage that ships; TinyGo's own weight
    // is rules/runtimes.toml's `image-weight`.
    assert_eq!(
        runtimes(&out),
        [
            ("tinygo/tinygo:0.31.2".to_string(), 5),
            ("scratch".to_string(), 20)
        ]
    );
    let out = parse(
        "Dockerfile",
        "FROM pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime\nRUN pip install fastapi\n",
        Context::Service,
    );
    assert_eq!(
        runtimes(&out),
        [(
            "pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime".to_string(),
            20
        )]
    );
    let out = parse("Dockerfile", "FROM eclipse-temurin:21-jre\n", Context::Test);
    assert_eq!(runtimes(&out), [("eclipse-temurin:21-jre".to_string(), 20)]);
    assert_eq!(out.facts[0].context, Context::Test);
}

#[test]
fn arg_substitution() {
    let mut vars = Vars::new('\\');
    vars.values.insert("A".to_string(), Some("x".to_string()));
    vars.values.insert("EMPTY".to_string(), Some(String::new()));
    vars.values.insert("UNSET".to_string(), None);
    let mut s = |t: &str| vars.substitute(t, 0);
    assert_eq!(s("$A:1"), "x:1");
    assert_eq!(s("${A}-y"), "x-y");
    assert_eq!(s("${UNSET:-d}"), "d");
    assert_eq!(s("${EMPTY:-d}"), "d");
    assert_eq!(s("${EMPTY-d}"), "");
    assert_eq!(s("${NOPE-d}"), "d");
    assert_eq!(s("${A:+alt}"), "alt");
    assert_eq!(s("${UNSET:+alt}"), "");
    assert_eq!(s("${NOPE:-${A}}"), "x");
    assert_eq!(s("\\$A"), "$A");
    assert_eq!(s("${broken"), "${broken");
    assert_eq!(s("$"), "$");
    let text = "ARG REGISTRY=docker.io\nARG IMAGE=${REGISTRY}/nvidia/cuda\nARG TAG=\"12.4.1-runtime\"\nFROM ${IMAGE}:${TAG}\n";
    let out = parse("Dockerfile", text, Context::Service);
    assert_eq!(images(&out)[0].0, "docker.io/nvidia/cuda:12.4.1-runtime");
}

#[test]
fn escape_directive_and_windows() {
    let text = "# escape=`\nFROM mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022\nRUN powershell -Command `\n    Write-Host hello\nWORKDIR C:\\app\n";
    let out = parse("Dockerfile", text, Context::Service);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(
        runtimes(&out),
        [(
            "mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022".to_string(),
            20
        )]
    );
    let ins = instructions(&out);
    assert_eq!(ins[1].1, "powershell -Command Write-Host hello");
    assert_eq!(ins[2].1, "C:\\app");
}

#[test]
fn copy_heredocs_and_onbuild() {
    let text = "FROM nginx:1.25\nCOPY <<-EOF /etc/nginx/conf.d/a.conf <<B /b\n\tserver { listen 80; }\n\tEOF\nb\nB\nONBUILD RUN apt-get install -y ffmpeg\nlabel maintainer=x\n";
    let out = parse("Dockerfile", text, Context::Service);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let ins = instructions(&out);
    assert_eq!(
        ins[1].1,
        "<<-EOF /etc/nginx/conf.d/a.conf <<B /b server { listen 80; } b"
    );
    assert_eq!(ins[2].0, "ONBUILD");
    assert_eq!(ins[3].0, "LABEL");
    assert!(packages(&out).is_empty(), "ONBUILD runs in child images");
}

#[test]
fn malformed_input_keeps_going() {
    let text = "FROM alpine:3.19\nFORM typo\nRUN apk add curl\nRUN <<EOF\napk add git\n";
    let out = parse("Dockerfile", text, Context::Service);
    let msgs: Vec<_> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "line 2: unknown instruction `FORM`",
            "line 4: unterminated heredoc <<EOF"
        ]
    );
    assert!(out
        .diagnostics
        .iter()
        .all(|d| d.kind == DiagKind::Malformed));
    assert_eq!(
        packages(&out)
            .iter()
            .map(|p| p.0.as_str())
            .collect::<Vec<_>>(),
        ["curl", "git"]
    );

    let out = parse(
        "Dockerfile",
        "FROM alpine\nRUN apk add \\",
        Context::Service,
    );
    assert_eq!(out.diagnostics.len(), 1);
    assert!(out.diagnostics[0].message.contains("continuation"));

    let out = parse(
        "Dockerfile",
        "RUN apt-get install -y x\nFROM\n",
        Context::Service,
    );
    assert_eq!(out.diagnostics.len(), 3, "{:?}", out.diagnostics);
}

#[test]
fn garbage_never_panics() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let seeds = [GO_MULTISTAGE, PYTHON_FFMPEG];
    for round in 0..400 {
        let mut bytes = seeds[round % 2].as_bytes().to_vec();
        for _ in 0..(next() % 16) {
            if bytes.is_empty() {
                break;
            }
            let i = (next() as usize) % bytes.len();
            let pool = b"\\`<$-{}\"'\n#[]=";
            match next() % 3 {
                0 => bytes[i] = pool[(next() as usize) % pool.len()],
                1 => bytes[i] = (next() & 0xff) as u8,
                _ => bytes.truncate(i),
            }
        }
        if round % 8 == 0 {
            bytes = (0..(next() % 2048))
                .map(|_| (next() & 0xff) as u8)
                .collect();
        }
        let out = parse(
            "Dockerfile",
            &String::from_utf8_lossy(&bytes),
            Context::Service,
        );
        assert!(out.diagnostics.len() <= MAX_DIAGNOSTICS);
    }
}

#[test]
fn huge_inputs_stay_linear() {
    let start = std::time::Instant::now();
    let huge_line = format!("FROM alpine\nRUN apk add {}\n", "pkg ".repeat(500_000));
    let out = parse("Dockerfile", &huge_line, Context::Service);
    assert_eq!(packages(&out).len(), 500_000);
    let many = "FROM alpine\n".to_string() + &"RUN <<EOF\n  EOF\n".repeat(100_000);
    let _ = parse("Dockerfile", &many, Context::Service);
    let conts = "FROM alpine\nRUN a \\\n".to_string() + &"b \\\n".repeat(200_000) + "c\n";
    let _ = parse("Dockerfile", &conts, Context::Service);
    let heredocs = "FROM alpine\nRUN ".to_string() + &"<<A ".repeat(50_000) + "\n";
    let _ = parse("Dockerfile", &heredocs, Context::Service);
    // A hang guard, not a speed target (that is a benchmark's job): a
    // quadratic parser takes hours on these inputs, a linear one seconds,
    // even in a debug build on a loaded machine.
    assert!(
        start.elapsed().as_secs() < 180,
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn doubling_args_are_cut_at_the_budget() {
    // Each line doubles the value: 60 lines would be 2^60 bytes.
    let mut text = String::from("ARG A0=xy\n");
    for i in 1..60 {
        text.push_str(&format!("ARG A{i}=${{A{p}}}${{A{p}-1}}\n", p = i - 1));
    }
    text.push_str("FROM ${A59}\n");
    let started = std::time::Instant::now();
    let out = parse("Dockerfile", &text, Context::Service);
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    let image = &images(&out)[0].0;
    assert!(image.len() <= MAX_VALUE, "{}", image.len());
    assert!(image.starts_with("xyxy"), "{}", &image[..8]);
    let diags: Vec<_> = out.diagnostics.iter().map(|d| &d.message).collect();
    assert!(
        diags.iter().any(|m| m.contains("over its budget")),
        "{diags:?}"
    );
}

#[test]
fn many_args_share_one_budget() {
    // Thousands of maximal values: the file-wide budget stops expanding.
    let big = "z".repeat(MAX_VALUE);
    let mut text = format!("ARG B={big}\n");
    for i in 0..2000 {
        text.push_str(&format!("ARG C{i}=$B\n"));
    }
    text.push_str("FROM $C1999\n");
    let out = parse("Dockerfile", &text, Context::Service);
    // Unexpanded once the budget is spent: kept as written.
    assert_eq!(images(&out)[0].0, "$C1999");
}
