#!/usr/bin/env bash
# Fleet throughput: services per minute and peak memory of `wasmfit fleet
# scan`, every service scanned (--rescan), release build. The clock covers
# the whole command: listing the inputs, hashing their content, scanning,
# writing reports, entries and the manifest. CPU seconds (user + sys) are
# printed too: on a shared machine the wall clock measures the neighbours,
# and services per CPU-minute is what sizes a fleet of workers.
# usage: scripts/bench-fleet.sh LIST [RUNS] [JOBS]
#   LIST  a fleet list file (one service path a line)
#   RUNS  timed runs (default 3); JOBS  --jobs (default 0: one per core)
#   WASMFIT  the binary (default: builds target/release/wasmfit)
set -euo pipefail
cd "$(dirname "$0")/.."
list=${1:?usage: $0 LIST [RUNS] [JOBS]}
runs=${2:-3}
jobs=${3:-0}
if [ -z "${WASMFIT:-}" ]; then cargo build --release -q; WASMFIT=target/release/wasmfit; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
n=$(grep -cv '^\s*\(#\|$\)' "$list")
echo "list: $list  services: $n  cores: $(nproc)  jobs: $jobs  runs: $runs"
for i in $(seq "$runs"); do
  start=$(date +%s%N)
  /usr/bin/time -f "%M %U %S" -o "$out/rss" "$WASMFIT" fleet scan "$list" --out "$out/fleet" --rescan --jobs "$jobs" -q
  end=$(date +%s%N)
  python3 - "$start" "$end" "$out" <<'PY'
import json, sys
start, end, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
m = json.load(open(f"{out}/fleet/manifest.json"))
c = m["counts"]
wall = (end - start) / 1e9
rss_kib, user, sys_ = open(f"{out}/rss").read().split()[-3:]
rss = int(rss_kib) / 1024
cpu = float(user) + float(sys_)
slowest = max((e["elapsed_ms"] for e in m["services"]), default=0) / 1000
print(f"services {c['services']:>5} scanned {c['scanned']:>5} failed {c['failed']:>3}  wall {wall:7.2f} s  "
      f"{c['services'] / wall * 60:7.1f} services/min  cpu {cpu:.2f} s ({c['services'] / cpu * 60:.0f} services/cpu-min)  "
      f"peak RSS {rss:.0f} MiB  slowest service {slowest:.2f} s")
PY
done
