#!/usr/bin/env bash
# Scan throughput on a large real tree: files/s and MB/s, from wasmfit's own
# JSON summary (release build). Default tree: the local cargo registry sources.
# usage: scripts/bench-scan.sh [TREE] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-$HOME/.cargo/registry/src}
runs=${2:-3}
cargo build --release -q
bin=target/release/wasmfit
[ -d "$tree" ] || { echo "no such tree: $tree" >&2; exit 2; }
echo "tree: $tree  cores: $(nproc)  runs: $runs"
for i in $(seq "$runs"); do
  start=$(date +%s%N)
  # --no-default-excludes: vendored trees are the point of a throughput test.
  /usr/bin/time -f "%M" -o /tmp/wasmfit-bench-rss "$bin" scan "$tree" --no-default-excludes --no-gitignore -q -f json -o /tmp/wasmfit-bench.json
  end=$(date +%s%N)
  python3 - "$start" "$end" <<'PY'
import json, sys
start, end = int(sys.argv[1]), int(sys.argv[2])
r = json.load(open("/tmp/wasmfit-bench.json"))
s = r["summary"]
wall = (end - start) / 1e9
rss = int(open("/tmp/wasmfit-bench-rss").read().split()[-1]) / 1024
print(f"files {s['files']:>7}  {s['bytes']/1e6:8.1f} MB  wall {wall:6.2f} s  "
      f"{s['files']/wall:8.0f} files/s  {s['bytes']/1e6/wall:6.1f} MB/s  peak RSS {rss:.0f} MiB  "
      f"findings {len(r['findings'])}")
PY
done
