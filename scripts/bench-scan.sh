#!/usr/bin/env bash
# Scan speed and memory: a benchmark, not a test. Interleaved runs of wasmfit
# and ripgrep on the same trees; prints min / median / spread of the wall
# time, CPU time (user+sys), peak RSS (from /usr/bin/time), files/s and MB/s,
# and the wasmfit / ripgrep ratio.
#
# Trees:
#   registry  the local cargo registry sources (or $TREE), vs
#             `rg -c --no-ignore --no-unicode -e P...` with the code patterns
#             wasmfit applies to Rust files (the count is printed), given to
#             ripgrep the way wasmfit compiles them: case as written (a
#             pattern that wants case-insensitivity says `(?i)`) and ASCII
#             classes and word boundaries (wasmfit matches an ASCII code view
#             with Unicode off). With `-i` or Unicode on, the same set is
#             ripgrep's slow case (a Unicode `\b` leaves its DFA for the
#             PikeVM: 157 s CPU against 1 s here), which measures nothing
#             about wasmfit.
#   deep      a generated tree 1,000 directories deep with 2,000 files and a
#             .gitignore at the top (the walk must stay linear in depth)
#   bigc      one generated 4 MB C file, and the same bytes as a .py file
#   empty     an empty directory (start-up cost), with hyperfine
#   scale     peak RSS and CPU on 1x, 2x and 4x copies of $TREE (hard links,
#             `cp -al`: separate paths, no symlinks, no extra disk), one run
#             each per round: memory must stay flat as the tree grows. Not in
#             the default set (it scans about 1.6 GB per round).
#
# usage: scripts/bench-scan.sh [RUNS]
#   RUNS    runs per command per tree (default 5)
#   WASMFIT the wasmfit binary to measure (default: builds target/release/wasmfit)
#   BEFORE  a second wasmfit binary (e.g. built from main) measured the same
#           way, interleaved, for before/after figures
#   TREE    the large tree (default ~/.cargo/registry/src)
#   ONLY    space-separated subset of: registry deep bigc empty scale
#   SCALE_DIR where the scale copies go (default: a temporary directory)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
tree=${TREE:-$HOME/.cargo/registry/src}
only=${ONLY:-registry deep bigc empty}
if [ -z "${WASMFIT:-}" ]; then
  cargo build --release -q --bin wasmfit
  WASMFIT=$PWD/target/release/wasmfit
fi
after=$WASMFIT
before=${BEFORE:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"

# One timed run: prints "wall user sys maxrss_kib" on one line.
timed() {
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    rc=$?
    # rg exits 1 when nothing matched; anything else is a failure.
    [ "$rc" = 1 ] && [ "$1" = rg ] || { cat "$work/err" >&2; exit "$rc"; }
  }
  tail -n1 "$work/time"
}

# stats NAME FILES BYTES < lines of "wall user sys rss"
stats() {
  python3 -c '
import sys, statistics as st
name, files, nbytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
wall = sorted(r[0] for r in rows); cpu = sorted(r[1] + r[2] for r in rows); rss = max(r[3] for r in rows) / 1024
med = st.median(wall)
rate = f"  {files/med:8.0f} files/s  {nbytes/1e6/med:7.1f} MB/s" if med > 0 and files else ""
print(f"{name:<22} wall min {wall[0]:6.2f}s med {med:6.2f}s spread {wall[-1]-wall[0]:5.2f}s  "
      f"cpu med {st.median(cpu):6.2f}s  peak RSS {rss:6.0f} MiB{rate}")
print(med, st.median(cpu), file=open(sys.argv[4], "w"))
' "$@"
}

# interleave LABEL FILES BYTES -- CMD_A... -- CMD_B... [-- CMD_C...]
# Runs each command once per round, RUNS rounds, and prints the stats.
interleave() {
  local label=$1 files=$2 bytes=$3; shift 3
  local cmds=() cur=""
  for a in "$@"; do
    if [ "$a" = "--" ]; then [ -n "$cur" ] && cmds+=("$cur"); cur=""; else cur+="${cur:+$'\x1f'}$a"; fi
  done
  [ -n "$cur" ] && cmds+=("$cur")
  local n=${#cmds[@]}
  for ((k = 0; k < n; k++)); do : >"$work/rows.$k"; done
  for ((r = 0; r < runs; r++)); do
    for ((k = 0; k < n; k++)); do
      IFS=$'\x1f' read -r -a argv <<<"${cmds[$k]}"
      timed "${argv[@]}" >>"$work/rows.$k"
    done
  done
  for ((k = 0; k < n; k++)); do
    IFS=$'\x1f' read -r -a argv <<<"${cmds[$k]}"
    local who
    case "${argv[0]}" in
      rg) who=ripgrep ;;
      "$after") who="wasmfit (this tree)" ;;
      *) who="wasmfit (BEFORE)" ;;
    esac
    stats "$label: $who" "$files" "$bytes" "$work/med.$k" <"$work/rows.$k"
  done
}

ratio() { # ratio FILE_A FILE_B LABEL
  python3 -c '
import sys
a = open(sys.argv[1]).read().split(); b = open(sys.argv[2]).read().split()
print(f"  {sys.argv[3]}: wall {float(a[0])/float(b[0]):.2f}x, cpu {float(a[1])/float(b[1]):.2f}x")
' "$@"
}

scan_args=(scan --no-default-excludes --no-gitignore -q -f json -o "$work/out.json")

if [[ " $only " == *" registry "* ]]; then
  [ -d "$tree" ] || { echo "no such tree: $tree" >&2; exit 2; }
  # The code patterns wasmfit runs on a Rust file, for ripgrep.
  python3 - rules >"$work/patterns" <<'PY'
import sys, glob, tomllib
seen = []
for f in sorted(glob.glob(sys.argv[1] + "/**/*.toml", recursive=True)):
    try:
        d = tomllib.load(open(f, "rb"))
    except Exception:
        continue
    for r in d.get("rule", []):
        for m in r.get("match", []):
            if m.get("kind") in ("source", "string") and "rust" in m.get("languages", []):
                for p in m.get("patterns", []):
                    if p not in seen:
                        seen.append(p)
print("\n".join(seen))
PY
  rg_args=(rg -c --no-ignore --no-unicode)
  while IFS= read -r p; do rg_args+=(-e "$p"); done <"$work/patterns"
  "$after" "${scan_args[@]}" "$tree"
  read -r files bytes < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["files"], s["bytes"])' "$work/out.json")
  echo "== registry: $tree ($files files, $((bytes / 1000000)) MB read by wasmfit; ripgrep with the same $(wc -l <"$work/patterns") patterns, case as written, --no-unicode)"
  set -- -- "$after" "${scan_args[@]}" "$tree" -- "${rg_args[@]}" "$tree"
  [ -n "$before" ] && set -- "$@" -- "$before" "${scan_args[@]}" "$tree"
  interleave registry "$files" "$bytes" "$@"
  ratio "$work/med.0" "$work/med.1" "wasmfit / ripgrep"
  [ -n "$before" ] && ratio "$work/med.2" "$work/med.1" "BEFORE / ripgrep"
fi

if [[ " $only " == *" deep "* ]]; then
  d=$work/deep
  python3 - "$d" <<'PY'
import os, sys
root = sys.argv[1]
p = root
os.makedirs(p)
open(os.path.join(root, ".gitignore"), "w").write("*.log\nbuild/\n")
for i in range(1000):
    p = os.path.join(p, "d")
    if i % 100 == 99:
        os.makedirs(p, exist_ok=True)
        for j in range(200):
            open(os.path.join(p, f"f{j}.py"), "w").write("import os\nprint(os.getcwd())\n")
os.makedirs(p, exist_ok=True)
PY
  echo "== deep: 1,000 levels, 2,000 files, .gitignore at the top"
  set -- -- "$after" scan -q -f json -o "$work/out.json" "$d"
  [ -n "$before" ] && set -- "$@" -- "$before" scan -q -f json -o "$work/out.json" "$d"
  interleave deep 2000 64000 "$@"
  rm -rf "$d"
fi

if [[ " $only " == *" bigc "* ]]; then
  mkdir -p "$work/c" "$work/py"
  python3 - "$work/c/big.c" <<'PY'
import sys
lines = []
i = 0
size = 0
while size < 4 << 20:
    l = (f"static int handler_{i}(struct request *req, const char *name) {{\n"
         f"    /* dispatch table entry {i} */\n"
         f"    if (req->len > {i % 977}) return lookup_{i % 31}(req, name, \"key-{i}\");\n"
         f"    return 0;\n}}\n")
    lines.append(l); size += len(l); i += 1
open(sys.argv[1], "w").write("#include <stdio.h>\n" + "".join(lines))
PY
  cp "$work/c/big.c" "$work/py/big.py"
  sz=$(stat -c %s "$work/c/big.c")
  echo "== bigc: one $((sz / 1000)) kB C file, and the same bytes as .py"
  interleave "big .c" 1 "$sz" -- "$after" "${scan_args[@]}" "$work/c"
  interleave "same bytes as .py" 1 "$sz" -- "$after" "${scan_args[@]}" "$work/py"
  [ -n "$before" ] && interleave "big .c BEFORE" 1 "$sz" -- "$before" "${scan_args[@]}" "$work/c"
  rm -rf "$work/c" "$work/py"
fi

if [[ " $only " == *" empty "* ]]; then
  mkdir -p "$work/empty"
  echo "== empty directory"
  cmds=("$after scan -q -f json -o /dev/null $work/empty")
  [ -n "$before" ] && cmds+=("$before scan -q -f json -o /dev/null $work/empty")
  hyperfine -N --warmup 3 --runs 30 --style basic "${cmds[@]}" 2>&1 | grep -E 'Time|Range|Benchmark'
  /usr/bin/time -f '  peak RSS %M KiB' "$after" scan -q -f json -o /dev/null "$work/empty"
fi

if [[ " $only " == *" scale "* ]]; then
  [ -d "$tree" ] || { echo "no such tree: $tree" >&2; exit 2; }
  sd=${SCALE_DIR:-$work/scale}
  mkdir -p "$sd"
  # x1 is a plain copy; x2 and x4 are hard-linked copies of it.
  [ -d "$sd/x1" ] || cp -r "$tree" "$sd/x1"
  for n in 2 4; do
    [ -d "$sd/x$n" ] && continue
    mkdir -p "$sd/x$n"
    for ((i = 1; i <= n; i++)); do cp -al "$sd/x1" "$sd/x$n/c$i"; done
  done
  echo "== scale: 1x, 2x, 4x copies of $tree under $sd"
  for n in 1 2 4; do
    "$after" "${scan_args[@]}" "$sd/x$n"
    read -r files bytes < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["files"], s["bytes"])' "$work/out.json")
    echo "  x$n: $files files, $((bytes / 1000000)) MB"
    set -- -- "$after" "${scan_args[@]}" "$sd/x$n"
    [ -n "$before" ] && set -- "$@" -- "$before" "${scan_args[@]}" "$sd/x$n"
    interleave "x$n" "$files" "$bytes" "$@"
  done
  # Copies in a SCALE_DIR of the caller's are kept for the next run.
  if [ -z "${SCALE_DIR:-}" ]; then rm -rf "$sd"; fi
fi
