#!/usr/bin/env bash
# Runs `wasmfit bench` on the bench samples, keeps each table and JSON, and
# cross-checks its figures with independent tools on the same artefacts:
#   - process cold start: hyperfine on the native binary and on a fresh
#     Wasm host process running the .cwasm, each fed one request line from a
#     file; for the container, scripts/first-line.py times
#     `docker run -i --network none IMAGE` to its first answer line, the
#     event wasmfit's clock ends at, less the docker CLI's own start
#     (`docker container inspect`, timed in the same rounds), since
#     wasmfit's clock covers the API calls and not a CLI process (hyperfine,
#     which can only time the CLI to its exit, is printed beside it with the
#     CLI's start and the wait for the container to stop measured apart);
#   - HTTP throughput: wrk against the native server and the Wasm host of
#     every HTTP sample (Go's has no Wasm side: no wasi:http in GOOS=wasip1).
# A cross-check passes when wasmfit's median is within 20% of the tool's.
# Exit status 1 when one does not. Extra arguments go to every `wasmfit
# bench` call (e.g. --runs 3 --duration 500ms).
# Needs: a Docker engine, hyperfine, wrk, gcc, clang with wasi-libc, Go
# (GOOS=wasip1), rustup targets wasm32-wasip1 and wasm32-wasip2 (which
# also ships the wasm-component-ld that links the C wasi:http component).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${BENCH_OUT:-target/bench-results}
mkdir -p "$out"
cargo build --release --features bench --bin wasmfit
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/wasmfit
export PATH=$PATH:/usr/lib/go-1.23/bin
label="wasmfit.bench.run=crosscheck-$$"
cleanup() {
    docker ps -aq --filter "label=$label" | xargs -r docker rm -f >/dev/null 2>&1 || true
    docker images -aq --filter "label=$label" | xargs -r docker rmi -f >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM HUP

samples=(bench-stdio-c bench-stdio-rust bench-stdio-go bench-http-rust bench-http-c bench-http-go)
for s in "${samples[@]}"; do
    echo "== $s"
    "$bin" bench "samples/$s" --json-out "$out/$s.json" "$@" | tee "$out/$s.txt"
    echo
done

failed=()
within() { # name wasmfit tool
    python3 - "$@" <<'PY'
import sys
name, ours, theirs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
dev = abs(ours - theirs) / theirs
print(f"  {name}: wasmfit {ours:.3f}, tool {theirs:.3f}: {dev*100:.0f}% apart")
sys.exit(0 if dev <= 0.20 else 1)
PY
}
field() { python3 -c "import json,sys; d=json.load(open('$1')); print(eval(sys.argv[1]))" "$2"; }

printf '{"id":0,"name":"user-0","values":[0,0,0,5]}\n' > "$out/one.txt"
for s in bench-stdio-c bench-stdio-rust bench-stdio-go; do
    j="$out/$s.json"
    echo "== cross-check $s"
    native=$(field "$j" "d['native']['artifact']['path']")
    cwasm=$(field "$j" "d['wasm']['artifact']['precompiled_path']")
    kind=$(field "$j" "d['service']['wasm_kind']")
    # hyperfine 1.15 has no --input: each command runs under `sh -c` with
    # stdin redirected, and the same shell with `true` is the baseline
    # subtracted from both.
    hyperfine -N --warmup 3 --runs 30 --export-json "$out/$s.hf.json" \
        "sh -c 'true < $out/one.txt'" \
        "sh -c '$native < $out/one.txt'" \
        "sh -c '$bin __bench-helper wasm stdio $cwasm --kind $kind --slots 16 < $out/one.txt'" >/dev/null
    ctx=$(mktemp -d)
    cp "$native" "$ctx/service"
    printf 'FROM scratch\nCOPY service /service\nENTRYPOINT ["/service"]\n' > "$ctx/Dockerfile"
    docker build -q --label "$label" -t "wasmfit-crosscheck/$s:$$" "$ctx" >/dev/null
    rm -rf "$ctx"
    hyperfine -N --warmup 2 --runs 15 --export-json "$out/$s.hf-docker.json" \
        "sh -c 'docker run -i --label $label --network none wasmfit-crosscheck/$s:$$ < $out/one.txt'" >/dev/null
    # The same `docker run`, timed to its first answer line; the baseline is
    # the CLI alone (its start and one API round trip), interleaved.
    probe=$(docker create --label "$label" "wasmfit-crosscheck/$s:$$")
    scripts/first-line.py --warmup 2 --runs 15 --input "$out/one.txt" \
        --baseline "docker container inspect $probe" -- \
        docker run -i --label "$label" --network none "wasmfit-crosscheck/$s:$$" > "$out/$s.fl-docker.json"
    cleanup
    python3 - "$out/$s.hf-docker.json" "$out/$s.fl-docker.json" <<'PY'
import json, sys
hf = json.load(open(sys.argv[1]))['results'][0]['median'] * 1000
fl = json.load(open(sys.argv[2]))
first, exit_, cli = (fl[k]['median'] for k in ('first_line_ms', 'exit_ms', 'baseline_ms'))
print(f"  docker run (hyperfine, CLI to exit): {hf:.1f} ms = first answer line {first:.1f} ms"
      f" + wait for the container to stop {exit_ - first:.1f} ms + rest {hf - exit_:.1f} ms;"
      f" the CLI alone (docker container inspect) takes {cli:.1f} ms")
PY
    for side in native wasm docker; do
        key=$side; [ "$side" = docker ] && key=container
        ours=$(field "$j" "d['$key']['process_cold_start_ms']['median']")
        if [ "$side" = docker ]; then
            # wasmfit's clock has no CLI process in it (its bollard calls are
            # the CLI's API calls): the CLI's own start, timed interleaved as
            # `docker container inspect`, comes off the tool's figure, as
            # `sh -c true` comes off hyperfine's for the other sides.
            theirs=$(field "$out/$s.fl-docker.json" "d['first_line_ms']['median'] - d['baseline_ms']['median']")
            within "$s docker process cold start ms (first-line.py: docker run to its first answer line, minus the CLI's own start)" "$ours" "$theirs" || failed+=("$s $side cold start")
            continue
        else
            i=1; [ "$side" = wasm ] && i=2
            theirs=$(field "$out/$s.hf.json" "(d['results'][$i]['median'] - d['results'][0]['median'])*1000")
        fi
        within "$s $side process cold start ms (hyperfine)" "$ours" "$theirs" || failed+=("$s $side cold start")
    done
done

for s in bench-http-rust bench-http-c bench-http-go; do
    j="$out/$s.json"
    echo "== cross-check $s (wrk, GET /)"
    conns=$(field "$j" "d['config']['connections']")
    for side in native wasm; do
        [ "$(field "$j" "d.get('$side') is not None")" = True ] || continue
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        if [ "$side" = native ]; then
            native=$(field "$j" "d['native']['artifact']['path']")
            PORT=$port "$native" 2>/dev/null & pid=$!
        else
            cwasm=$(field "$j" "d['wasm']['artifact']['precompiled_path']")
            PORT=$port "$bin" __bench-helper wasm http "$cwasm" --kind component --slots 16 & pid=$!
        fi
        for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.05; done
        rps=$(wrk -t2 -c"$conns" -d5s "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}')
        kill $pid; wait $pid 2>/dev/null || true
        ours=$(field "$j" "d['$side']['throughput_rps']['median']")
        within "$s $side throughput req/s (wrk)" "$ours" "$rps" || failed+=("$s $side throughput")
    done
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "MISSED (more than 20% apart): ${failed[*]}"
    exit 1
fi
echo "every cross-check within 20%"
