#!/usr/bin/env bash
# Seeds the corpora of the Wasm and image fuzz targets with small real inputs
# built on this machine (corpus/ is not in git). usage: fuzz/seed-wasm-image.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/{wasm_parse,image_layer,image_archive}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Wasm: a C module (clang + wasi-libc) and Rust wasip1/wasip2 builds.
printf '#include <stdio.h>\nint main(void){puts("hi");return 0;}\n' > "$tmp/a.c"
clang-19 --target=wasm32-wasi -O2 "$tmp/a.c" -o corpus/wasm_parse/c-wasip1.wasm 2>/dev/null || true
mkdir -p "$tmp/r/src"
printf '[package]\nname="r"\nversion="0.1.0"\nedition="2021"\n[workspace]\n[profile.release]\nopt-level="z"\npanic="abort"\n' > "$tmp/r/Cargo.toml"
printf 'fn main(){ println!("{:?}", std::env::var("X")); }\n' > "$tmp/r/src/main.rs"
for t in wasm32-wasip1 wasm32-wasip2; do
  (cd "$tmp/r" && cargo build -q --release --target $t 2>/dev/null && cp target/$t/release/r.wasm "$OLDPWD/corpus/wasm_parse/rust-$t.wasm") || true
done
# Layers and archives: python's tarfile writes what docker save writes.
python3 - "$tmp" <<'PY'
import io, json, gzip, sys, tarfile, hashlib, os
tmp = sys.argv[1]
def tar(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, kind, data in entries:
            i = tarfile.TarInfo(name)
            if kind == "dir": i.type = tarfile.DIRTYPE
            elif kind == "sym": i.type = tarfile.SYMTYPE; i.linkname = data; data = b""
            elif kind == "hard": i.type = tarfile.LNKTYPE; i.linkname = data; data = b""
            i.size = len(data)
            t.addfile(i, io.BytesIO(data))
    return b.getvalue()
l1 = tar([("etc", "dir", b""), ("etc/os-release", "file", b"ID=debian\nVERSION_ID=12\n"), ("bin/sh", "file", b"\x7fELF"), ("lib", "sym", "usr/lib"), ("usr/lib/x.so.1", "file", b"\x7fELF")])
l2 = tar([("app/server", "file", b"\x7fELF\x02\x01\x01"), ("app/.wh.old", "file", b""), ("etc/.wh..wh..opq", "file", b""), ("app/link", "sym", "/etc"), ("app/hard", "hard", "app/server"), ("long/" + "d" * 150 + "/f", "file", b"x")])
open("corpus/image_layer/plain.tar", "wb").write(l1)
open("corpus/image_layer/whiteouts.tar.gz", "wb").write(gzip.compress(l2))
cfg = json.dumps({"config": {"Entrypoint": ["/app/server"], "Env": ["PATH=/bin"], "WorkingDir": "/app"}, "history": [{"created_by": "ADD x /"}, {"created_by": "COPY server /app/server # buildkit"}]}).encode()
arch = tar([("cfg.json", "file", cfg), ("a/layer.tar", "file", l1), ("b/layer.tar", "file", gzip.compress(l2)), ("manifest.json", "file", json.dumps([{"Config": "cfg.json", "RepoTags": ["t:1"], "Layers": ["a/layer.tar", "b/layer.tar"]}]).encode())])
open("corpus/image_archive/docker-save.tar", "wb").write(arch)
def d(b): return "sha256:" + hashlib.sha256(b).hexdigest()
blobs = {}
def put(b): blobs["blobs/sha256/" + d(b)[7:]] = b; return {"digest": d(b), "size": len(b), "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
m = json.dumps({"schemaVersion": 2, "config": put(cfg), "layers": [put(gzip.compress(l1)), put(gzip.compress(l2))]}).encode()
md = put(m); md["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
idx = json.dumps({"schemaVersion": 2, "manifests": [md]}).encode()
oci = tar([("oci-layout", "file", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", "file", idx)] + [(k, "file", v) for k, v in blobs.items()])
open("corpus/image_archive/oci.tar", "wb").write(oci)
PY
echo "seeded: $(find corpus/wasm_parse corpus/image_layer corpus/image_archive -type f | wc -l) files"
