#!/usr/bin/env bash
# Runs `wasmfit bench` on the bench samples with full run counts, prints each
# table, keeps the JSON, and checks the bench targets:
#   - Wasm cold start median under 1 ms for the C and Rust stdio samples
#   - container cold start measured and its ratio to Wasm printed
#   - Wasm steady throughput at least 75% of native for the C or Rust sample
#   - wasmfit's own per-request overhead measured and stated
# Exit status 1 when a target is missed. Extra arguments go to every
# `wasmfit bench` call (e.g. --runs 3 --duration 1s).
# Needs: a Docker engine, Go (GOOS=wasip1), clang with wasi-libc, rustup
# targets wasm32-wasip1 and wasm32-wasip2.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${BENCH_OUT:-target/bench-results}
mkdir -p "$out"
cargo build --release --features bench --bin wasmfit
bin=target/release/wasmfit

samples=(bench-stdio-c bench-stdio-rust bench-stdio-go bench-http-rust)
for s in "${samples[@]}"; do
    echo "== $s"
    "$bin" bench "samples/$s" --json-out "$out/$s.json" "$@"
    echo
done

python3 - "$out" "${samples[@]}" <<'PY'
import json, sys
out, samples = sys.argv[1], sys.argv[2:]
results = {s: json.load(open(f"{out}/{s}.json")) for s in samples}
missed = []

def target(r, name):
    return next(t for t in r["targets"] if t["name"] == name)

for s in ("bench-stdio-c", "bench-stdio-rust"):
    t = target(results[s], "Wasm cold start")
    print(f"{s}: Wasm cold start {t['measured']} (target: {t['target']})")
    if t["met"] is not True:
        missed.append(f"{s}: Wasm cold start")

shares = []
for s in ("bench-stdio-c", "bench-stdio-rust"):
    t = target(results[s], "Wasm steady throughput")
    print(f"{s}: Wasm throughput {t['measured']}")
    shares.append(t["met"] is True)
if not any(shares):
    missed.append("Wasm throughput >= 75% of native for the C or Rust sample")

for s, r in results.items():
    t = target(r, "Container cold start")
    print(f"{s}: container cold start {t['measured']}")
    if t["met"] is not True:
        missed.append(f"{s}: container cold start")
    if r["service"]["workload"] == "stdio":
        t = target(r, "Measuring overhead")
        print(f"{s}: wasmfit overhead {t['measured']}")
        if t["met"] is not True:
            missed.append(f"{s}: measuring overhead")

if missed:
    print("MISSED: " + "; ".join(missed))
    sys.exit(1)
print("all bench targets met")
PY
