//! Container images: `docker save` archives and OCI layouts assembled here
//! with the `tar` crate from a static binary compiled by gcc, hostile layers
//! (path traversal, absolute names, symlinks pointing out, bombs), and a
//! real `docker save` of a FROM scratch image when an engine is reachable.
//!
//! A missing toolchain or engine skips with a visible `SKIPPED:` line
//! (`tests/support`), a failure under `WASMFIT_REQUIRE_TOOLS=1` (CI).

mod support;

use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use wasmfit::image::{self, Input, Limits};

/// A static program that forks and execs, built once per test.
fn static_binary(test: &str, dir: &Path) -> Option<Vec<u8>> {
    let src = dir.join("server.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\n#include <unistd.h>\n#include <sys/wait.h>\n\
         int main(void) { pid_t p = fork(); if (p == 0) { execlp(\"ls\", \"ls\", (char *)0); _exit(1); }\n\
         waitpid(p, 0, 0); puts(\"ok\"); return 0; }\n",
    )
    .unwrap();
    let out = dir.join("server");
    let ok = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        support::skip(test, support::STATIC_GCC_WHY);
        return None;
    }
    std::fs::read(out).ok()
}

/// A tar entry with a raw name: the tar crate's builder refuses `..` and
/// absolute names, which is exactly what hostile layers contain.
enum E<'a> {
    File(&'a str, &'a [u8], u32),
    Dir(&'a str),
    Link(&'a str, &'a str),
}

fn tar_of(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        let (name, data, link): (&str, &[u8], Option<&str>) = match e {
            E::File(n, d, mode) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                (n, d, None)
            }
            E::Dir(n) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                (n, &[], None)
            }
            E::Link(n, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                (n, &[], Some(t))
            }
        };
        h.set_size(data.len() as u64);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(t) = link {
            h.as_old_mut().linkname[..t.len()].copy_from_slice(t.as_bytes());
        }
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn sha(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

const OS_RELEASE: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n";
const DPKG: &[u8] = b"Package: libc6\nStatus: install ok installed\n\nPackage: bash\nStatus: install ok installed\n\nPackage: ffmpeg\nStatus: install ok installed\n\nPackage: removed\nStatus: deinstall ok config-files\n";

/// The three layers of the test image, the last one hostile.
fn layers(bin: &[u8], escape_to: &str) -> Vec<Vec<u8>> {
    let base = tar_of(&[
        E::Dir("etc"),
        E::File("usr/lib/os-release", OS_RELEASE, 0o644),
        E::Link("etc/os-release", "../usr/lib/os-release"),
        E::File("bin/sh", bin, 0o755),
        E::File("usr/lib/x86_64-linux-gnu/libfake.so.1", bin, 0o644),
        E::File("usr/bin/tool", bin, 0o4755),
        E::File("tmp/secret.txt", b"lower", 0o644),
        E::File("opt/old/file", b"lower", 0o644),
    ]);
    let run = tar_of(&[E::File("var/lib/dpkg/status", DPKG, 0o644)]);
    let app = tar_of(&[
        E::Dir("app"),
        E::File("app/server", bin, 0o755),
        E::File("app/tests/test_server.py", b"import subprocess\n", 0o644),
        E::File("tmp/.wh.secret.txt", b"", 0o644),
        E::File("opt/old/.wh..wh..opq", b"", 0o644),
        E::File("opt/old/new", b"upper", 0o644),
        E::File("../../../../../escaped-by-dotdot", b"pwned", 0o644),
        E::File("/escaped-absolute", b"pwned", 0o644),
        E::Link("app/out", escape_to),
        E::File("app/out/escaped-through-symlink", b"pwned", 0o644),
    ]);
    vec![base, run, gzip(&app)]
}

fn config() -> serde_json::Value {
    serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "API_TOKEN=hunter2"],
            "Entrypoint": ["/app/server"],
            "Cmd": null,
            "WorkingDir": "/app",
            "User": "1000",
            "ExposedPorts": {"8080/tcp": {}}
        },
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:0123456789abcdef in / "},
            {"created_by": "/bin/sh -c apt-get update && apt-get install -y ffmpeg"},
            {"created_by": "COPY server /app/server # buildkit"},
            {"created_by": "ENTRYPOINT [\"/app/server\"]", "empty_layer": true}
        ],
        "rootfs": {"type": "layers", "diff_ids": []}
    })
}

/// `docker save` layout: manifest.json, config, `<id>/layer.tar`; the last
/// layer is reached through a symlink, as docker does for shared layers.
fn docker_archive(layers: &[Vec<u8>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    };
    let cfg = serde_json::to_vec(&config()).unwrap();
    add("cfg.json", &cfg);
    add("l1/layer.tar", &layers[0]);
    add("l2/layer.tar", &layers[1]);
    add("real/layer.tar", &layers[2]);
    let manifest = serde_json::json!([{"Config": "cfg.json", "RepoTags": ["test/app:1"], "Layers": ["l1/layer.tar", "l2/layer.tar", "l3/layer.tar"]}]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "l3/layer.tar", "../real/layer.tar")
        .unwrap();
    b.into_inner().unwrap()
}

/// OCI layout directory: an index with an attestation, a foreign platform
/// whose blobs are absent, and the amd64 image.
fn oci_layout(dir: &Path, layers: &[Vec<u8>]) {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| -> (String, usize) {
        let d = sha(data);
        std::fs::write(blobs.join(&d), data).unwrap();
        (format!("sha256:{d}"), data.len())
    };
    let (cfg_digest, cfg_size) = put(&serde_json::to_vec(&config()).unwrap());
    let layer_descs: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            let (d, n) = put(l);
            serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
        })
        .collect();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg_size},
        "layers": layer_descs,
        "annotations": {"org.opencontainers.image.base.name": "docker.io/library/debian:bookworm"}
    });
    let (m_digest, m_size) = put(&serde_json::to_vec(&manifest).unwrap());
    let (att_digest, att_size) = put(b"{\"schemaVersion\":2,\"layers\":[]}");
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", "a".repeat(64)), "size": 10,
             "platform": {"os": "linux", "architecture": "arm64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": att_digest, "size": att_size,
             "platform": {"os": "unknown", "architecture": "unknown"},
             "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": m_digest, "size": m_size,
             "platform": {"os": "linux", "architecture": "amd64"},
             "annotations": {"io.containerd.image.name": "docker.io/test/app:oci"}}
        ]
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(
        dir.join("oci-layout"),
        b"{\"imageLayoutVersion\":\"1.0.0\"}",
    )
    .unwrap();
}

/// Rules the image tests match with: what WF101 and WF951 need from an
/// image (a symbol, an installed package, the os-release marker).
fn rules() -> wasmfit::rules::RuleSet {
    let text = r#"
[[rule]]
id = "WF101"
title = "Spawns other programs"
category = "process"
capability = "process-spawn"
severity = "blocker"
effort = 5
message = "Spawns programs."
remediation = "Do not."
wasi = "none"
match = [
  { kind = "symbol", names = ["fork", "execve", "execvp", "execlp"] },
  { kind = "os-package", names = ["ffmpeg"] },
]

[[rule]]
id = "WF951"
title = "Image carries an OS userland"
category = "container"
capability = "container"
severity = "info"
effort = 0
message = "The image ships an OS."
remediation = "A component ships none."
wasi = "none"
match = [{ kind = "base-image", patterns = ['(?:^|/)debian(?::|$)'] }]
"#;
    let mut l = wasmfit::rules::Loader::default();
    l.add_file("image-test-rules.toml", text).unwrap();
    l.finish().unwrap()
}

fn check_unpacked(u: &image::Unpacked, escape_dir: &Path) {
    let r = &u.root;
    assert!(r.join("app/server").is_file());
    assert!(!r.join("tmp/secret.txt").exists(), "whiteout applied");
    assert!(
        !r.join("opt/old/file").exists(),
        "opaque directory hides lower files"
    );
    assert!(r.join("opt/old/new").is_file());
    assert!(
        std::fs::read_dir(escape_dir).unwrap().next().is_none(),
        "nothing written through the symlink to the outside"
    );
    let parent = r.parent().unwrap();
    for name in ["escaped-by-dotdot", "escaped-absolute"] {
        assert!(
            !parent.join(name).exists() && !r.join(name).exists(),
            "{name}"
        );
    }
    let msgs: Vec<&str> = u.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(
        msgs.iter().any(|m| m.contains("path traversal")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.contains("absolute path")), "{msgs:?}");
    let i = &u.info;
    assert_eq!(i.layers.len(), 3);
    assert_eq!(i.base_os.as_ref().unwrap().id, "debian");
    assert_eq!(i.packages.len(), 1);
    assert_eq!(i.packages[0].count, 3);
    assert_eq!(i.entrypoint_files, vec!["/app/server"]);
    assert!(
        i.service_paths.contains(&"/app".to_string()),
        "{:?}",
        i.service_paths
    );
    assert_eq!(i.os_surface.setuid, 1);
    assert!(i.os_surface.shells.contains(&"/bin/sh".to_string()));
    assert!(i.os_surface.executables >= 2, "{:?}", i.os_surface);
    assert_eq!(i.env, vec!["PATH", "API_TOKEN"]);
}

fn check_report(report: &wasmfit::model::Report, source: &str) {
    assert_eq!(report.root, source);
    let f = |id: &str| report.findings.iter().find(|f| f.rule_id == id);
    let spawn = f("WF101").expect("WF101 from the binary and the package");
    assert!(spawn.counted);
    assert!(
        spawn.evidence.iter().any(|e| e.at.path == "app/server"),
        "{:?}",
        spawn.evidence
    );
    assert!(
        spawn
            .evidence
            .iter()
            .any(|e| e.at.path == "var/lib/dpkg/status" && e.at.snippet.contains("ffmpeg")),
        "{:?}",
        spawn.evidence
    );
    // The OS's own programs are not the service's evidence.
    assert!(
        !spawn
            .evidence
            .iter()
            .any(|e| e.at.path == "usr/bin/tool" || e.at.path == "bin/sh"),
        "{:?}",
        spawn.evidence
    );
    // From the OCI base-name annotation, or else from os-release.
    let os = f("WF951").expect("WF951: the image carries Debian with a shell");
    assert!(
        matches!(
            os.evidence[0].at.path.as_str(),
            "etc/os-release" | "(image config)"
        ),
        "{:?}",
        os.evidence
    );
    // Tests inside the app directory stay tests.
    assert!(!report.findings.iter().any(|f| f.evidence.iter().any(|e| e
        .at
        .path
        .starts_with("app/tests/")
        && e.context.counts())));
    let info = report.image.as_ref().unwrap();
    assert_eq!(info.layers.len(), 3);
    // Secrets in the config's environment never reach the report.
    let json = serde_json::to_string(report).unwrap();
    assert!(!json.contains("hunter2"));
    assert!(
        !json.contains("wasmfit-image-"),
        "no temporary paths in the report"
    );
    let text =
        wasmfit::report::Renderer::to_string(&wasmfit::report::text::Text { color: false }, report)
            .unwrap();
    assert!(text.contains("IMAGE"), "{text}");
    assert!(text.contains("Debian GNU/Linux 12"), "{text}");
}

#[test]
fn docker_save_layout_built_in_the_test() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = static_binary("docker_save_layout_built_in_the_test", dir.path()) else {
        return;
    };
    let outside = tempfile::tempdir().unwrap();
    let archive = dir.path().join("image.tar");
    std::fs::write(
        &archive,
        docker_archive(&layers(&bin, &outside.path().display().to_string())),
    )
    .unwrap();
    let input = Input::Path(archive.clone());
    let u = image::unpack(&input, Limits::default()).unwrap();
    check_unpacked(&u, outside.path());
    assert_eq!(u.info.tags, vec!["test/app:1"]);
    assert_eq!(
        u.info.format,
        wasmfit::model::image::ImageFormat::DockerArchive
    );
    let tmp_root = u.root.clone();
    drop(u);
    assert!(!tmp_root.exists(), "the temporary root is removed");
    let report = image::scan(
        &input,
        &Default::default(),
        &rules(),
        Limits::default(),
        &|_, _| {},
    )
    .unwrap();
    check_report(&report, &archive.display().to_string());

    // The same archive gzip'd, as `docker save | gzip` writes it.
    let gz = dir.path().join("image.tar.gz");
    std::fs::write(&gz, gzip(&std::fs::read(&archive).unwrap())).unwrap();
    let u = image::unpack(&Input::Path(gz), Limits::default()).unwrap();
    check_unpacked(&u, outside.path());
}

#[test]
fn oci_layout_directory_and_tar() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = static_binary("oci_layout_directory_and_tar", dir.path()) else {
        return;
    };
    let outside = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    let ls: Vec<Vec<u8>> = layers(&bin, &outside.path().display().to_string())
        .into_iter()
        .map(|l| if l[0] == 0x1f { l } else { gzip(&l) })
        .collect();
    oci_layout(&layout, &ls);
    let u = image::unpack(&Input::Path(layout.clone()), Limits::default()).unwrap();
    check_unpacked(&u, outside.path());
    assert_eq!(u.info.format, wasmfit::model::image::ImageFormat::OciLayout);
    assert_eq!(u.info.tags, vec!["docker.io/test/app:oci"]);
    let report = image::scan(
        &Input::Path(layout.clone()),
        &Default::default(),
        &rules(),
        Limits::default(),
        &|_, _| {},
    )
    .unwrap();
    check_report(&report, &layout.display().to_string());
    let container = report
        .container
        .as_ref()
        .expect("the base image annotation makes a container summary");
    assert_eq!(
        container.base_images,
        vec!["docker.io/library/debian:bookworm"]
    );
    assert_eq!(container.user.as_deref(), Some("1000"));
    assert_eq!(container.exposed, vec!["8080/tcp"]);

    // The layout as a tar.
    let tarred = dir.path().join("layout.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&tarred).unwrap());
    b.append_dir_all(".", &layout).unwrap();
    b.finish().unwrap();
    drop(b);
    let u = image::unpack(&Input::Path(tarred), Limits::default()).unwrap();
    check_unpacked(&u, outside.path());
}

#[test]
fn hostile_and_broken_images_are_diagnostics_or_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Not an image at all.
    let junk = dir.path().join("junk.tar");
    std::fs::write(
        &junk,
        b"this is not a tar archive at all, not even close............",
    )
    .unwrap();
    assert!(image::unpack(&Input::Path(junk), Limits::default()).is_err());
    // A digest that tries to climb out of blobs/.
    let layout = dir.path().join("evil-layout");
    std::fs::create_dir_all(&layout).unwrap();
    std::fs::write(layout.join("index.json"), br#"{"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../../../../etc/passwd","size":1}]}"#).unwrap();
    let e = image::unpack(&Input::Path(layout), Limits::default())
        .err()
        .unwrap();
    assert!(
        e.to_string().contains("no manifest") || e.to_string().contains("invalid digest"),
        "{e}"
    );

    // A compression bomb: 64 MiB of zeros in a few KiB, with a 1 MiB budget.
    let mut big = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(64 << 20);
    h.set_mode(0o644);
    big.append_data(&mut h, "zeros", std::io::repeat(0).take_bytes(64 << 20))
        .unwrap();
    let bomb = gzip(&big.into_inner().unwrap());
    assert!(bomb.len() < 1 << 20);
    let ok_layer = tar_of(&[E::File("app/ok", b"fine", 0o644)]);
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, data).unwrap();
    };
    add("cfg.json", br#"{"config":{"Entrypoint":["/app/ok"]}}"#);
    add("a/layer.tar", &ok_layer);
    add("b/layer.tar", &bomb);
    add("c/layer.tar", b"truncated garbage that is not a tar");
    add("manifest.json", br#"[{"Config":"cfg.json","Layers":["a/layer.tar","b/layer.tar","c/layer.tar","missing/layer.tar"]}]"#);
    let archive = dir.path().join("bomb.tar");
    std::fs::write(&archive, b.into_inner().unwrap()).unwrap();
    let limits = Limits {
        max_bytes: 1 << 20,
        max_entries: 1000,
        max_input: 1 << 30,
        ..Limits::default()
    };
    let u = image::unpack(&Input::Path(archive.clone()), limits).unwrap();
    assert!(u.root.join("app/ok").is_file());
    assert!(u.info.unpacked_size <= 1 << 20);
    assert!(
        u.diagnostics
            .iter()
            .any(|d| d.kind == wasmfit::model::diag::DiagKind::TooLarge),
        "{:?}",
        u.diagnostics
    );
    assert!(
        u.diagnostics.iter().any(|d| d.message.contains("missing")),
        "{:?}",
        u.diagnostics
    );
    // Every prefix of the archive: an error or a partial image, never a panic.
    let bytes = std::fs::read(&archive).unwrap();
    for cut in (0..bytes.len()).step_by(997) {
        let p = dir.path().join("cut.tar");
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let _ = image::unpack(&Input::Path(p), limits);
    }
}

trait TakeBytes: Sized {
    fn take_bytes(self, n: u64) -> std::io::Take<Self>;
}

impl<R: std::io::Read> TakeBytes for R {
    fn take_bytes(self, n: u64) -> std::io::Take<R> {
        self.take(n)
    }
}

/// A real `docker build` of a FROM scratch image and `docker save`, then
/// the same image straight from the engine through bollard.
#[test]
fn real_docker_save_and_engine_export() {
    let test = "real_docker_save_and_engine_export";
    if !support::docker_available() {
        support::skip(test, support::DOCKER_WHY);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = static_binary(test, dir.path()) else {
        return;
    };
    let ctx = dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("server"), &bin).unwrap();
    std::fs::write(ctx.join("Dockerfile"), "FROM scratch\nCOPY server /app/server\nWORKDIR /app\nEXPOSE 8080\nENTRYPOINT [\"/app/server\"]\n").unwrap();
    let tag = format!("wasmfit-test/image-scan:{}", std::process::id());
    let built = Command::new("docker")
        .args(["build", "-q", "-t", &tag])
        .arg(&ctx)
        .output()
        .unwrap();
    if !built.status.success() {
        support::skip(
            test,
            &format!(
                "docker build failed: {}",
                String::from_utf8_lossy(&built.stderr)
            ),
        );
        return;
    }
    let saved = dir.path().join("saved.tar");
    let ok = Command::new("docker")
        .args(["save", "-o"])
        .arg(&saved)
        .arg(&tag)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let results = [Input::Path(saved), Input::Engine(tag.clone())].map(|input| {
        image::scan(
            &input,
            &Default::default(),
            &rules(),
            Limits::default(),
            &|_, _| {},
        )
    });
    let _ = Command::new("docker").args(["rmi", "-f", &tag]).output();
    for r in results {
        let report = r.unwrap();
        let info = report.image.as_ref().unwrap();
        assert_eq!(info.entrypoint_files, vec!["/app/server"]);
        assert!(
            info.tags.iter().any(|t| t == &tag || t.ends_with(&tag)),
            "{:?}",
            info.tags
        );
        assert!(info.base_os.is_none());
        assert_eq!(
            info.os_surface.files, 0,
            "FROM scratch carries no OS: {:?}",
            info.os_surface
        );
        let spawn = report
            .findings
            .iter()
            .find(|f| f.rule_id == "WF101")
            .expect("fork/exec in the static binary");
        assert!(spawn.evidence.iter().all(|e| e.at.path == "app/server"));
        assert!(!report.findings.iter().any(|f| f.rule_id == "WF951"));
    }
}

/// `--image NAME:TAG` with no engine says where it looked and what to do.
#[test]
fn no_engine_is_a_clear_usage_error() {
    let out = assert_cmd::Command::cargo_bin("wasmfit")
        .unwrap()
        .args(["scan", "--image", "no-such/image:tag", "-q"])
        .env("DOCKER_HOST", "unix:///nonexistent/wasmfit-test.sock")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "no Docker engine reachable at DOCKER_HOST=unix:///nonexistent/wasmfit-test.sock"
        ),
        "{err}"
    );
    assert!(err.contains("docker save"), "{err}");
}

/// An image that ships a Wasm component (the runwasi / Spin way) is reported
/// as Wasm with the built-in rules: WF001, the wasm runtime, `report.wasm`.
/// `wasmfit scan --image` of a `docker save` archive of one layer with
/// the config `cfg`; the scan must succeed.
fn scan_one_layer(cfg: &serde_json::Value, layer: Vec<u8>) -> wasmfit::model::Report {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [
        ("cfg.json", serde_json::to_vec(cfg).unwrap()),
        ("l/layer.tar", layer),
        (
            "manifest.json",
            br#"[{"Config":"cfg.json","RepoTags":["test/one:1"],"Layers":["l/layer.tar"]}]"#
                .to_vec(),
        ),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("image.tar");
    std::fs::write(&archive, b.into_inner().unwrap()).unwrap();
    let out = assert_cmd::Command::cargo_bin("wasmfit")
        .unwrap()
        .args(["scan", "-q", "-f", "json", "--image"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn image_that_ships_wasm_is_wasm_ready() {
    let component = wat::parse_str(
        r#"(component (import "wasi:http/types@0.2.3" (instance)) (instance $h) (export "wasi:http/incoming-handler@0.2.3" (instance $h)))"#,
    )
    .unwrap();
    let layer = tar_of(&[
        E::File("app.wasm", &component, 0o644),
        E::File("spin.toml", b"spin_manifest_version = 2\n", 0o644),
    ]);
    let cfg = serde_json::json!({
        "config": {"Entrypoint": ["/"], "Cmd": null},
        "history": [{"created_by": "COPY app.wasm spin.toml / # buildkit"}]
    });
    let report = scan_one_layer(&cfg, layer);
    assert_eq!(report.wasm.len(), 1);
    assert_eq!(report.wasm[0].path, "app.wasm");
    assert_eq!(report.wasm[0].worlds[0].world, "wasi:http/proxy");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule_id == "WF001" && f.context.counts()),
        "{:?}",
        report
            .findings
            .iter()
            .map(|f| &f.rule_id)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        report.runtime.primary.as_ref().map(|p| p.id.as_str()),
        Some("wasm")
    );
    let info = report.image.unwrap();
    assert_eq!(info.os_surface.files, 0);
    assert!(
        info.service_paths.contains(&"/app.wasm".to_string()),
        "{:?}",
        info.service_paths
    );
}

/// An image whose build installs ImageMagick beside libmagickwand-dev got
/// the tool with a binding built against the library: listed, not counted,
/// as in a Dockerfile. Installed alone, it is a tool the image ships to
/// run, and counts.
#[test]
fn image_tool_installed_for_its_library_binding_is_listed_not_counted() {
    let wf101 = |packages: &[&str]| {
        let status: String = packages
            .iter()
            .map(|p| format!("Package: {p}\nStatus: install ok installed\n\n"))
            .collect();
        let layer = tar_of(&[
            E::File("usr/lib/os-release", OS_RELEASE, 0o644),
            E::File("var/lib/dpkg/status", status.as_bytes(), 0o644),
            E::File(
                "app/app.rb",
                b"require 'rmagick'\nputs Magick::Version\n",
                0o644,
            ),
        ]);
        let cfg = serde_json::json!({
            "config": {"Entrypoint": ["ruby", "/app/app.rb"], "Cmd": null, "WorkingDir": "/app"},
            "history": [
                {"created_by": format!("/bin/sh -c apt-get update && apt-get install -y {}", packages.join(" "))},
                {"created_by": "COPY app.rb /app/ # buildkit"}
            ]
        });
        scan_one_layer(&cfg, layer)
            .findings
            .into_iter()
            .find(|f| f.rule_id == "WF101")
            .expect("WF101 listed")
    };
    let f = wf101(&["imagemagick", "libmagickwand-dev"]);
    assert!(!f.counted, "{f:#?}");
    let e = &f.evidence[0];
    assert_eq!(e.confidence, wasmfit::rules::Confidence::Low, "{f:#?}");
    assert!(
        e.reason
            .as_deref()
            .unwrap_or_default()
            .contains("libmagickwand-dev"),
        "{f:#?}"
    );
    let f = wf101(&["imagemagick"]);
    assert!(f.counted, "{f:#?}");
}
