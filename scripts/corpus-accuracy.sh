#!/usr/bin/env bash
# Measures wasmfit against the hand-labelled real-world corpus in ../shared/corpus:
# per-trait precision and recall over the yes/no cells (weak cells excluded) and
# verdict agreement. Nothing here knows the answers: it fetches the artefacts,
# scans each row with `wasmfit scan --format json`, and compares with dev.tsv.
#
# usage: scripts/corpus-accuracy.sh [TSV]
#   CORPUS_DIR    where ../shared/corpus lives (default: ../shared/corpus beside the repo)
#   CORPUS_CACHE  where artefacts are unpacked (default: target/corpus-cache)
#   WASMFIT       the binary to run (default: builds target/release/wasmfit)
# Trait -> rule: fork_exec=WF101, raw_syscall=WF201, gpu=WF301, ebpf=WF401,
# raw_net_or_kernel=WF501..WF508. A trait is "yes" when a finding of its rule is
# counted (service context, not suppressed, not info).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS_DIR:-$repo/../shared/corpus}
tsv=${1:-$corpus/dev.tsv}
cache=${CORPUS_CACHE:-$repo/target/corpus-cache}
if [ -z "${WASMFIT:-}" ]; then
  (cd "$repo" && cargo build --release -q --bin wasmfit)
  WASMFIT=$repo/target/release/wasmfit
fi
mkdir -p "$cache" "$cache/reports"
"$corpus/fetch" "$cache" "$tsv" >&2
while IFS=$'\t' read -r id _rest; do
  [ "$id" = id ] && continue
  [ -d "$cache/$id" ] || { echo "missing $id (not fetched)" >&2; continue; }
  "$WASMFIT" scan "$cache/$id" --format json -q -o "$cache/reports/$id.json"
done < "$tsv"
python3 - "$tsv" "$cache/reports" <<'PY'
import csv, json, os, sys
tsv, reports = sys.argv[1], sys.argv[2]
traits = {
    "fork_exec": {"WF101"}, "raw_syscall": {"WF201"}, "gpu": {"WF301"}, "ebpf": {"WF401"},
    "raw_net_or_kernel": {f"WF50{i}" for i in range(1, 9)},
}
verdicts = {"good_fit": "good-fit", "possible_with_porting": "porting", "stay_on_containers": "stay"}
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
stats = {t: {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "weak": 0} for t in traits}
agree, total, lines = 0, 0, []
for row in rows:
    path = os.path.join(reports, row["id"] + ".json")
    if not os.path.exists(path):
        lines.append(f"{row['id']:10} no report"); continue
    r = json.load(open(path))
    fired = {f["rule_id"] for f in r["findings"] if f.get("counted")}
    cells = []
    for t, rules in traits.items():
        got = bool(fired & rules)
        want = row[t]
        if want == "weak":
            stats[t]["weak"] += 1; cells.append(f"{t}=weak({'y' if got else 'n'})"); continue
        key = {(True, True): "tp", (True, False): "fn", (False, True): "fp", (False, False): "tn"}[(want == "yes", got)]
        stats[t][key] += 1
        if key in ("fp", "fn"):
            cells.append(f"{t}={key.upper()}")
    total += 1
    ok = verdicts.get(row["expected_verdict"]) == r["verdict"]
    agree += ok
    lines.append(f"{row['id']:10} verdict {r['verdict']:8} expected {verdicts.get(row['expected_verdict'], '?'):8} {'ok ' if ok else 'MISS'} {' '.join(cells)}")
print("per row:")
print("\n".join("  " + l for l in lines))
print("\ntrait               precision  recall   tp fp fn tn weak")
for t, s in stats.items():
    p = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else float("nan")
    rc = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else float("nan")
    print(f"{t:19} {p:9.2f} {rc:7.2f}   {s['tp']:2} {s['fp']:2} {s['fn']:2} {s['tn']:2} {s['weak']:4}")
print(f"\nverdict agreement: {agree}/{total} = {agree / total if total else 0:.2f}")
PY
