//! Hostile input, one test per defect class, so each stays closed: parser
//! bombs, config that reaches outside the scanned tree, FIFOs where a file
//! is expected, image bombs and non-images, uncapped diagnostics, binaries
//! hidden by one bad byte, garbage that looks like Wasm, signals during an
//! image scan, file names that are not what they seem. Each test builds its
//! hostile input itself and asserts a bounded outcome: time, exit code,
//! diagnostic text, what is left on disk.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};
use wasmfit::image::{self, Input, Limits};
use wasmfit::model::diag::DiagKind;

fn wasmfit() -> Command {
    let mut c = Command::cargo_bin("wasmfit").unwrap();
    c.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("NO_COLOR", "1");
    c
}

/// Runs a command that must fail with exit 2 and returns its stderr.
fn exit_2(c: &mut Command) -> String {
    let out = c.timeout(Duration::from_secs(60)).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    err
}

fn json_scan(dir: &Path) -> Value {
    json_of(wasmfit().args(["scan", "-q", "-f", "json"]).arg(dir))
}

/// Runs a command that must succeed and reads its output as JSON.
fn json_of(c: &mut Command) -> Value {
    let out = c.timeout(Duration::from_secs(120)).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn diagnostics(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{}: {}", d["path"], d["message"]))
        .collect()
}

// --- 1. variable expansion bombs ------------------------------------------

#[test]
fn dockerfile_arg_doubling_is_bounded_in_size() {
    // 60 lines of `ARG An=${An-1}${An-1}`: 2^60 bytes if expanded.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("ARG A0=ab\n");
    for i in 1..60 {
        text.push_str(&format!("ARG A{i}=${{A{p}}}${{A{p}}}\n", p = i - 1));
    }
    text.push_str("FROM ${A59}\nRUN true\n");
    assert!(text.len() < 1500);
    std::fs::write(dir.path().join("Dockerfile"), text).unwrap();
    let started = Instant::now();
    let out = wasmfit()
        .args(["scan", "-q", "-f", "json"])
        .arg(dir.path())
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(started.elapsed() < Duration::from_secs(30));
    // The report stays small: the expanded image name is cut.
    assert!(out.stdout.len() < 256 << 10, "{} bytes", out.stdout.len());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = diagnostics(&report);
    assert!(
        diags.iter().any(|d| d.contains("over its budget")),
        "{diags:?}"
    );
}

// --- 2. config from the scanned tree stays in the tree ---------------------

/// A tree and, next to it, a directory of "secrets" shaped like rule files.
fn tree_and_secrets() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let top = tempfile::tempdir().unwrap();
    let secrets = top.path().join("secrets");
    std::fs::create_dir(&secrets).unwrap();
    std::fs::write(
        secrets.join("creds.toml"),
        "password = \"TOPSECRET-hunter2\"\n",
    )
    .unwrap();
    let repo = top.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::write(repo.join("app.py"), "import os\n").unwrap();
    (top, repo, secrets)
}

#[test]
fn repo_config_cannot_name_rule_dirs_outside_the_tree() {
    let (_top, repo, secrets) = tree_and_secrets();
    let attempts = [
        secrets.display().to_string(),
        "../secrets".to_string(),
        "/etc".to_string(),
        "sub/../../secrets".to_string(),
    ];
    for dirs in attempts {
        std::fs::write(
            repo.join("wasmfit.toml"),
            format!("target = \"wasmtime\"\n[rules]\ndirs = [{dirs:?}]\n"),
        )
        .unwrap();
        let err = exit_2(wasmfit().args(["scan", "-q"]).arg(&repo));
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("wasmfit.toml:3: rules.dirs"), "{err}");
        assert!(err.contains("inside the scanned tree"), "{err}");
        assert!(!err.contains("TOPSECRET"), "{err}");
    }
    // A symlink in the tree that leads out is refused the same way.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secrets, repo.join("rules-link")).unwrap();
        std::fs::write(
            repo.join("wasmfit.toml"),
            "[rules]\ndirs = [\"rules-link\"]\n",
        )
        .unwrap();
        let err = exit_2(wasmfit().args(["scan", "-q"]).arg(&repo));
        assert!(err.contains("wasmfit.toml:2: rules.dirs"), "{err}");
        assert!(!err.contains("TOPSECRET"), "{err}");
    }
    // The same directory named on the command line is the user's choice.
    std::fs::remove_file(repo.join("wasmfit.toml")).unwrap();
    let err = exit_2(
        wasmfit()
            .args(["scan", "-q", "--rules"])
            .arg(&secrets)
            .arg(&repo),
    );
    assert!(err.contains("creds.toml"), "{err}");
}

#[cfg(unix)]
#[test]
fn repo_config_that_is_a_symlink_out_is_refused_unread() {
    let (_top, repo, secrets) = tree_and_secrets();
    std::os::unix::fs::symlink(secrets.join("creds.toml"), repo.join("wasmfit.toml")).unwrap();
    let err = exit_2(wasmfit().args(["scan", "-q"]).arg(&repo));
    assert!(err.contains("wasmfit.toml"), "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!err.contains("TOPSECRET"), "{err}");
}

#[test]
fn repo_rule_dir_inside_the_tree_still_works() {
    let (_top, repo, _secrets) = tree_and_secrets();
    std::fs::create_dir(repo.join("rules")).unwrap();
    std::fs::write(repo.join("wasmfit.toml"), "[rules]\ndirs = [\"rules\"]\n").unwrap();
    let report = json_scan(&repo);
    assert!(report["findings"].is_array());
}

// --- 12. FIFOs where a file is expected ------------------------------------

#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(unix)]
#[test]
fn baseline_and_config_naming_a_fifo_fail_fast() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    if !mkfifo(&fifo) {
        support::skip(
            "baseline_and_config_naming_a_fifo_fail_fast",
            "mkfifo failed",
        );
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    std::fs::write(repo.path().join("app.py"), "import os\n").unwrap();
    for flag in ["--baseline", "--config", "--bench-results"] {
        let started = Instant::now();
        let err = exit_2(
            wasmfit()
                .args(["scan", "-q", "--fail-under", "0", flag])
                .arg(&fifo)
                .arg(repo.path()),
        );
        assert!(started.elapsed() < Duration::from_secs(20), "{flag}");
        assert!(err.contains("not a regular file"), "{flag}: {err}");
    }
    let err = exit_2(wasmfit().arg("report").arg(&fifo));
    assert!(err.contains("not a regular file"), "{err}");
}

// --- 4 and 14. image inputs -------------------------------------------------

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// A tar of `(name, bytes)` regular files.
fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

/// `scan --image IMAGE` with FLAGS and TMPDIR=`tmp`, which must fail with
/// exit 2: its stderr.
fn image_error(tmp: &Path, image: &Path, flags: &[&str]) -> String {
    exit_2(
        wasmfit()
            .env("TMPDIR", tmp)
            .args(["scan", "-q"])
            .args(flags)
            .arg("--image")
            .arg(image),
    )
}

/// Files left in `dir` whose name starts with `prefix`.
fn leftovers(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[test]
fn gzip_of_zeros_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // 64 MiB of zeros in well under 1 MiB: no tar, no manifest.
    let zeros = gzip(&vec![0u8; 64 << 20]);
    assert!(zeros.len() < 1 << 20);
    let p = dir.path().join("image.tar.gz");
    std::fs::write(&p, &zeros).unwrap();
    let err = image_error(tmp.path(), &p, &[]);
    assert!(err.contains("not a tar archive"), "{err}");
    assert_eq!(leftovers(tmp.path(), "wasmfit-"), Vec::<String>::new());
    // A gzip'd tar of a big file but no image manifest: read, never written.
    let big = gzip(&tar_of(&[("zeros", &vec![0u8; 32 << 20])]));
    std::fs::write(&p, &big).unwrap();
    let e = image::unpack(&Input::Path(p.clone()), Limits::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("without manifest.json"), "{e}");
    // Over the flag's budget: refused with the flag named.
    let err = image_error(tmp.path(), &p, &["--max-image-bytes", "1000000"]);
    assert!(err.contains("--max-image-bytes"), "{err}");
    assert_eq!(leftovers(tmp.path(), "wasmfit-"), Vec::<String>::new());
}

/// A `docker save` archive with the given layer blobs (any bytes).
fn docker_archive(layers: &[(&str, Vec<u8>)], extra_missing: usize) -> Vec<u8> {
    let mut names: Vec<String> = layers.iter().map(|(n, _)| n.to_string()).collect();
    for i in 0..extra_missing {
        names.push(format!("missing{i}/layer.tar"));
    }
    let manifest = serde_json::json!([{ "Config": "cfg.json", "Layers": names }]).to_string();
    let config = br#"{"config":{"Entrypoint":["/app/server"]}}"#;
    let mut files: Vec<(&str, &[u8])> = vec![("cfg.json", config)];
    for (n, b) in layers {
        files.push((n, b));
    }
    files.push(("manifest.json", manifest.as_bytes()));
    tar_of(&files)
}

#[test]
fn one_huge_file_in_a_layer_is_not_unpacked() {
    let dir = tempfile::tempdir().unwrap();
    let layer = gzip(&tar_of(&[
        ("app/server", b"#!/bin/sh\n"),
        ("app/zeros", &vec![0u8; 8 << 20]),
    ]));
    let p = dir.path().join("img.tar");
    std::fs::write(&p, docker_archive(&[("l1/layer.tar", layer)], 0)).unwrap();
    let limits = Limits {
        max_file_bytes: 1 << 20,
        ..Limits::default()
    };
    let u = image::unpack(&Input::Path(p), limits).unwrap();
    assert!(u.root.join("app/server").is_file());
    assert!(!u.root.join("app/zeros").exists());
    assert!(u.info.unpacked_size < 1 << 20);
    assert!(
        u.diagnostics
            .iter()
            .any(|d| d.kind == DiagKind::TooLarge && d.message.contains("app/zeros")),
        "{:?}",
        u.diagnostics
    );
}

#[test]
fn missing_layer_diagnostics_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("img.tar");
    std::fs::write(&p, docker_archive(&[], 100_000)).unwrap();
    let started = Instant::now();
    let u = image::unpack(&Input::Path(p), Limits::default()).unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(u.diagnostics.len() <= 20, "{}", u.diagnostics.len());
    assert!(
        u.diagnostics
            .iter()
            .any(|d| d.message.contains("more layers")),
        "{:?}",
        u.diagnostics
    );
    assert!(u.info.layers.len() <= 1024);
}

#[test]
fn image_flag_naming_a_missing_file_is_not_an_engine_lookup() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["typo.tar", "./image", "images/app.tar.gz"] {
        let err = exit_2(
            wasmfit()
                .current_dir(dir.path())
                .args(["scan", "-q", "--image", name]),
        );
        assert!(err.contains("no such file"), "{name}: {err}");
        assert!(!err.contains("Docker"), "{name}: {err}");
    }
}

#[test]
fn image_flag_naming_a_web_page_does_not_echo_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("some.html");
    std::fs::write(
        &p,
        "<html><body>SECRET-PAGE-CONTENT ".repeat(40) + "</body></html>",
    )
    .unwrap();
    let err = exit_2(wasmfit().args(["scan", "-q", "--image"]).arg(&p));
    assert!(err.contains("not a tar archive"), "{err}");
    assert!(!err.contains("SECRET-PAGE-CONTENT"), "{err}");
    assert!(!err.contains("<html>"), "{err}");
}

// --- 11. one bad byte must not hide a binary ---------------------------------

#[test]
fn a_bad_utf8_byte_in_an_elf_string_table_keeps_the_evidence() {
    let gcc = require_tool!(
        "a_bad_utf8_byte_in_an_elf_string_table_keeps_the_evidence",
        &["gcc", "cc"],
        "a C compiler (gcc) builds the test binary"
    );
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("spawn.c");
    std::fs::write(
        &src,
        "#include <unistd.h>\nint main(void) { return fork() > 0 ? 0 : execlp(\"ls\", \"ls\", (char*)0); }\n",
    )
    .unwrap();
    let bin = dir.path().join("spawn");
    let ok = std::process::Command::new(gcc)
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .status()
        .unwrap();
    assert!(ok.success());
    std::fs::remove_file(&src).unwrap();
    let mut bytes = std::fs::read(&bin).unwrap();
    // Break a name that is not evidence, in every table that holds it.
    let needle = b"__libc_start_main";
    let mut hits = 0;
    let mut i = 0;
    while let Some(at) = bytes[i..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + i)
    {
        bytes[at + 3] = 0xff;
        hits += 1;
        i = at + needle.len();
    }
    assert!(hits > 0);
    let a = wasmfit::parse::binary::parse_bytes(
        &bytes,
        "bin/spawn",
        wasmfit::model::artifact::BinaryFormat::Elf,
        wasmfit::model::context::Context::Service,
        &knowledge(),
    );
    let names: Vec<String> = a
        .output
        .facts
        .iter()
        .filter_map(|f| match &f.kind {
            wasmfit::model::fact::FactKind::Symbol { name } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert!(names.iter().any(|n| n == "fork"), "{names:?}");
    assert!(
        a.output
            .diagnostics
            .iter()
            .any(|d| d.message.contains("not UTF-8")),
        "{:?}",
        a.output.diagnostics
    );
}

// --- 13. garbage after the Wasm magic -----------------------------------------

#[test]
fn garbage_with_a_wasm_magic_is_not_a_wasm_build() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend((0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 | 0x80));
    std::fs::write(dir.path().join("app.wasm"), &m).unwrap();
    let report = json_scan(dir.path());
    let diags = diagnostics(&report);
    assert!(
        diags.iter().any(|d| d.contains("malformed Wasm")),
        "{diags:?}"
    );
    let runtimes = report["runtime"].to_string();
    assert!(!runtimes.contains("\"wasm\""), "{runtimes}");
}

// --- 14. a jar entry too large to read ---------------------------------------

/// A zip holding deflated `(name, bytes)` entries.
fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let mut d = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        d.write_all(data).unwrap();
        let packed = d.finish().unwrap();
        let local = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&8u16.to_le_bytes()); // deflate
            v.extend_from_slice(&[0; 4]); // time, date
            v.extend_from_slice(&[0; 4]); // crc (not checked)
            v.extend_from_slice(&(packed.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment len, disk, internal attrs
        central.extend_from_slice(&[0; 4]); // external attrs
        central.extend_from_slice(&local.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn a_jar_class_too_large_to_read_is_reported() {
    let jar = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Main-Class: app.Main\n"),
        ("app/Huge.class", &vec![0u8; 17 << 20]),
    ]);
    let out = wasmfit::parse::archive::parse_bytes(
        &jar,
        "app.jar",
        wasmfit::model::artifact::CodeArchive::Jar,
        wasmfit::model::context::Context::Service,
    );
    let diags: Vec<&str> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        diags
            .iter()
            .any(|d| d.contains("not read") && d.contains("app/Huge.class")),
        "{diags:?}"
    );
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// The evidence paths of a JSON report's findings of `rule`.
fn evidence_of(report: &Value, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["path"].as_str().map(str::to_string))
        .collect()
}

fn json_image_scan(tmp: &Path, image: &Path, flags: &[&str]) -> Value {
    json_of(
        wasmfit()
            .env("TMPDIR", tmp)
            .args(["scan", "-q", "-f", "json"])
            .args(flags)
            .arg("--image")
            .arg(image),
    )
}

#[test]
fn a_zstd_layer_and_a_zstd_archive_are_read_and_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let code = b"import subprocess\nsubprocess.run(['ffmpeg', '-i', 'in.mp4'])\n";
    let layer = zstd(&tar_of(&[
        ("app/server", b"#!/bin/sh\nexec python3 /app/main.py\n"),
        ("app/main.py", code),
    ]));
    assert!(layer.starts_with(&image::zstd::MAGIC));
    let archive = docker_archive(&[("l1/layer.tar", layer)], 0);
    // The layer inside a plain tar, and the whole archive as a zstd stream
    // (`docker save | zstd`).
    let plain = dir.path().join("img.tar");
    std::fs::write(&plain, &archive).unwrap();
    let packed = dir.path().join("img.tar.zst");
    std::fs::write(&packed, zstd(&archive)).unwrap();
    for p in [&plain, &packed] {
        let report = json_image_scan(tmp.path(), p, &[]);
        let paths = evidence_of(&report, "WF101");
        assert!(
            paths.iter().any(|p| p.ends_with("app/main.py")),
            "{}: no WF101 from the zstd layer: {paths:?}\n{:?}",
            p.display(),
            diagnostics(&report)
        );
        let diags = diagnostics(&report).join("\n");
        assert!(!diags.contains("zstd"), "{diags}");
        assert_eq!(report["image"]["layers"][0]["entries"], 2, "{report}");
        assert_eq!(leftovers(tmp.path(), "wasmfit-"), Vec::<String>::new());
    }
}

#[test]
fn a_zstd_layer_bomb_stops_at_the_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // 64 MiB of zeros in a few KiB of zstd.
    let zeros = vec![0u8; 8 << 20];
    let files: Vec<(String, &[u8])> = (0..8).map(|i| (format!("app/z{i}"), &zeros[..])).collect();
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (n.as_str(), *d)).collect();
    let layer = zstd(&tar_of(&files));
    assert!(layer.len() < 1 << 20, "{}", layer.len());
    let p = dir.path().join("img.tar");
    std::fs::write(&p, docker_archive(&[("l1/layer.tar", layer)], 0)).unwrap();
    // Written bytes: --max-unpacked-bytes stops the unpack with a diagnostic.
    let report = json_image_scan(tmp.path(), &p, &["--max-unpacked-bytes", "20000000"]);
    let diags = diagnostics(&report).join("\n");
    assert!(
        diags.contains("over the 20000000-byte limit for unpacked files"),
        "{diags}"
    );
    assert!(report["image"]["unpacked_size"].as_u64().unwrap() <= 20_000_000);
    assert_eq!(leftovers(tmp.path(), "wasmfit-"), Vec::<String>::new());
    // Decompressed bytes: --max-image-bytes stops it too, whether or not
    // the bytes are written.
    let report = json_image_scan(tmp.path(), &p, &["--max-image-bytes", "30000000"]);
    let diags = diagnostics(&report).join("\n");
    assert!(diags.contains("over the decompression limit"), "{diags}");
    assert_eq!(leftovers(tmp.path(), "wasmfit-"), Vec::<String>::new());
    // The same bomb as a whole zstd archive: refused before it is written.
    let packed = dir.path().join("img.tar.zst");
    std::fs::write(&packed, zstd(&tar_of(&files))).unwrap();
    let err = image_error(tmp.path(), &packed, &["--max-image-bytes", "30000000"]);
    assert!(err.contains("--max-image-bytes"), "{err}");
    std::fs::write(&packed, zstd(&zeros)).unwrap();
    let err = image_error(tmp.path(), &packed, &[]);
    assert!(
        err.contains("zstd stream of something that is not a tar"),
        "{err}"
    );
    assert_eq!(leftovers(tmp.path(), "wasmfit-"), Vec::<String>::new());
}

// --- 3. signals during an image scan ------------------------------------------

/// A gzip'd `docker save` archive whose one layer holds many small source
/// files: unpacking and scanning it takes long enough to be interrupted.
#[cfg(unix)]
fn slow_image(dir: &Path) -> std::path::PathBuf {
    let body = b"import subprocess\nsubprocess.run(['ls'])\n".repeat(20);
    let names: Vec<String> = (0..20_000)
        .map(|i| format!("app/m{}/f{i}.py", i % 100))
        .collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &body[..])).collect();
    let layer = gzip(&tar_of(&files));
    let p = dir.join("slow.tar.gz");
    std::fs::write(&p, gzip(&docker_archive(&[("l1/layer.tar", layer)], 0))).unwrap();
    p
}

#[cfg(unix)]
#[test]
fn a_signal_during_an_image_scan_removes_the_temporary_directory() {
    let dir = tempfile::tempdir().unwrap();
    let image = slow_image(dir.path());
    let bin = assert_cmd::cargo::cargo_bin("wasmfit");
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let tmp = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new(&bin)
            .env("TMPDIR", tmp.path())
            .args(["scan", "-q", "-f", "json", "--image"])
            .arg(&image)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the temporary directory and some files in it.
        let started = Instant::now();
        let mut seen = false;
        while started.elapsed() < Duration::from_secs(60) {
            let work = leftovers(tmp.path(), "wasmfit-image-");
            if let Some(w) = work.first() {
                let root = tmp.path().join(w).join("rootfs/app");
                if root.is_dir() {
                    seen = true;
                    break;
                }
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            seen,
            "SIG{signal}: the scan ended before it could be stopped"
        );
        let killed = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{signal}");
        assert_eq!(
            leftovers(tmp.path(), "wasmfit-"),
            Vec::<String>::new(),
            "SIG{signal} left files behind"
        );
    }
}

// --- 8. file names are reported as they are -----------------------------------

#[cfg(unix)]
#[test]
fn backslashes_and_non_utf8_names_are_reported_losslessly() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let code = "import subprocess\nsubprocess.run(['ffmpeg'])\n";
    std::fs::write(dir.path().join("a\\b.py"), code).unwrap();
    let raw: &[u8] = b"bad\xffname.py";
    std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(raw)), code).unwrap();
    let report = json_scan(dir.path());
    let text = report.to_string();
    // The JSON names both files, escaped where they are not UTF-8.
    assert!(text.contains(r#""a\\b.py""#), "{text}");
    assert!(!text.contains("a/b.py"), "{text}");
    assert!(!text.contains('\u{fffd}'), "{text}");
    let paths: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["path"].as_str().map(str::to_string))
        .collect();
    let escaped = paths
        .iter()
        .find(|p| p.starts_with("bad"))
        .unwrap_or_else(|| panic!("{paths:?}"));
    assert_eq!(escaped, "bad\\xFFname.py");
    // The real bytes are recoverable, and name the file that exists.
    let real = wasmfit::model::path::decode(escaped);
    assert_eq!(real, raw);
    assert!(dir
        .path()
        .join(std::ffi::OsStr::from_bytes(&real))
        .is_file());
    // SARIF URIs percent-encode the real bytes.
    let out = wasmfit()
        .args(["scan", "-q", "-f", "sarif"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif = String::from_utf8(out.stdout).unwrap();
    assert!(sarif.contains("bad%FFname.py"), "{sarif}");
    assert!(sarif.contains("a%5Cb.py"), "{sarif}");
}

#[test]
fn problems_in_layers_are_listed_up_to_a_cap_then_counted() {
    // 1,000 entries that climb out with `..`: each refused, 200 listed.
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..1000 {
        let mut h = tar::Header::new_gnu();
        let name = format!("../escape{i}");
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(1);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, &b"x"[..]).unwrap();
    }
    let layer = b.into_inner().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("img.tar");
    std::fs::write(&p, docker_archive(&[("l1/layer.tar", layer)], 0)).unwrap();
    let u = image::unpack(&Input::Path(p), Limits::default()).unwrap();
    assert!(u.diagnostics.len() <= 210, "{}", u.diagnostics.len());
    assert!(
        u.diagnostics
            .iter()
            .any(|d| d.message.contains("and 800 more problems")),
        "{:?}",
        u.diagnostics.last()
    );
}

// --- suppression comments en masse ---------------------------------------------

#[test]
fn a_file_of_broken_suppressions_is_linear_and_its_diagnostics_capped() {
    // 120,000 commented markers naming a rule that does not exist: each one
    // is a problem, and each once cost a walk over every comment.
    let dir = tempfile::tempdir().unwrap();
    let text = "x = 1  # wasmfit: ignore[WF999] why\n".repeat(110_000);
    assert!(text.len() < 4 << 20);
    std::fs::write(dir.path().join("many.py"), text).unwrap();
    let started = Instant::now();
    let report = json_scan(dir.path());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    let diags: Vec<String> = diagnostics(&report)
        .into_iter()
        .filter(|d| d.contains("many.py"))
        .collect();
    assert!(diags.len() <= 21, "{}", diags.len());
    assert!(
        diags.iter().any(|d| d.contains("and 109980 more problems")),
        "{:?}",
        diags.last()
    );
}

/// The runtime knowledge the scan hands the binary reader (rules/runtimes.toml).
fn knowledge() -> wasmfit::parse::binary::BinaryKnowledge {
    wasmfit::rules::RuleSet::builtin()
        .expect("built-in rules load")
        .runtimes
        .binary
}
