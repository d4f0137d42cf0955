#!/usr/bin/env bash
# Measures wasmfit against the hand-labelled real-world corpus in ../shared/corpus:
# per-trait precision and recall over the yes/no cells (weak cells excluded) and
# verdict agreement, for each corpus file and for all of them combined. Nothing
# here knows the answers: it fetches the artefacts, scans each row with
# `wasmfit scan --format json`, and compares with the TSVs (by default dev.tsv,
# the unpacked packages, and dev2.tsv, whole GitHub repositories).
#
# usage: scripts/corpus-accuracy.sh [--json FILE] [TSV...]
#   TSV           corpus files to measure (default: $CORPUS_DIR/dev.tsv and dev2.tsv)
#   --json FILE   also write the same figures as JSON (per row, per file, combined),
#                 to diff before/after a change
#   CORPUS_DIR    where ../shared/corpus lives (default: ../shared/corpus beside the repo)
#   CORPUS_CACHE  where artefacts are unpacked, one <id>/ per row (default: target/corpus-cache);
#                 the scan reports go to $CORPUS_CACHE/reports/<id>.json
#   MIRRORS       folder of bare git mirrors, <owner>+<name>/repo, for the github rows
#                 (dev2.tsv): missing rows are exported with $CORPUS_DIR/fetch-github.
#                 Unset: github rows not yet in the cache are skipped, each with a line saying so.
#   WASMFIT       the binary to run (default: builds target/release/wasmfit)
# Other rows (debian, pypi, crates) are fetched with $CORPUS_DIR/fetch, one row at a time,
# so a row that can no longer be downloaded is reported and the others still come.
# Trait -> rule: fork_exec=WF101, raw_syscall=WF201, gpu=WF301, ebpf=WF401,
# raw_net_or_kernel=WF501..WF508. A trait is "yes" when a finding of its rule is
# counted (service context, not suppressed, not info). `expected_verdict` may list
# alternatives separated by `|`; any of them agrees. When a report has a `services`
# array, the verdict is the one of the service marked `primary: true` (else the
# first); findings are always the report's top-level `findings`.
# Rows without a report are listed and left out of the figures.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS_DIR:-$repo/../shared/corpus}
json_out=
tsvs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --json) json_out=${2:?--json needs a FILE}; shift 2 ;;
    --json=*) json_out=${1#--json=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (usage: $0 [--json FILE] [TSV...])" >&2; exit 2 ;;
    *) tsvs+=("$1"); shift ;;
  esac
done
[ ${#tsvs[@]} -gt 0 ] || tsvs=("$corpus/dev.tsv" "$corpus/dev2.tsv")
for tsv in "${tsvs[@]}"; do [ -f "$tsv" ] || { echo "no such TSV: $tsv" >&2; exit 2; }; done
cache=${CORPUS_CACHE:-$repo/target/corpus-cache}
if [ -z "${WASMFIT:-}" ]; then
  (cd "$repo" && cargo build --release -q --bin wasmfit)
  WASMFIT=$repo/target/release/wasmfit
fi
mkdir -p "$cache" "$cache/reports"

for tsv in "${tsvs[@]}"; do
  name=$(basename "$tsv")
  # Rows from packages registries: one row at a time through `fetch`.
  while IFS=$'\t' read -r id source _rest; do
    [ "$id" = id ] || [ -z "$id" ] || [ "$source" = github ] || [ -d "$cache/$id" ] && continue
    one=$(mktemp)
    { head -n 1 "$tsv"; awk -F'\t' -v id="$id" '$1 == id' "$tsv"; } > "$one"
    "$corpus/fetch" "$cache" "$one" >&2 || echo "$name $id: fetch failed, row skipped" >&2
    rm -f "$one"
  done < "$tsv"
  # Whole repositories: fetch-github from the mirrors, when there are any.
  if awk -F'\t' 'NR > 1 && $2 == "github" {found = 1} END {exit !found}' "$tsv"; then
    if [ -n "${MIRRORS:-}" ]; then
      MIRRORS=$MIRRORS "$corpus/fetch-github" "$cache" "$tsv" >&2 \
        || echo "$name: fetch-github left some rows out (see above)" >&2
    else
      while IFS=$'\t' read -r id source _rest; do
        if [ "$source" = github ] && [ ! -d "$cache/$id" ]; then
          echo "$name $id: not in $cache and MIRRORS is not set (fetch-github needs it), row skipped" >&2
        fi
      done < "$tsv"
    fi
  fi
  while IFS=$'\t' read -r id _rest; do
    [ "$id" = id ] || [ -z "$id" ] && continue
    report=$cache/reports/$id.json
    rm -f "$report"
    [ -d "$cache/$id" ] || continue  # the fetch step above said why
    # Exit 1 is a gate (a wasmfit.toml in the scanned tree may set one); the report is still written.
    rc=0; "$WASMFIT" scan "$cache/$id" --format json -q -o "$report" || rc=$?
    if [ "$rc" -gt 1 ] || [ ! -s "$report" ]; then
      echo "$name $id: scan failed (exit $rc)" >&2; rm -f "$report"
    fi
  done < "$tsv"
done

python3 - "$cache/reports" "$json_out" "${tsvs[@]}" <<'PY'
import csv, json, math, os, sys
reports, json_out, tsvs = sys.argv[1], sys.argv[2], sys.argv[3:]
traits = {
    "fork_exec": {"WF101"}, "raw_syscall": {"WF201"}, "gpu": {"WF301"}, "ebpf": {"WF401"},
    "raw_net_or_kernel": {f"WF50{i}" for i in range(1, 9)},
}
verdicts = {"good_fit": "good-fit", "possible_with_porting": "porting", "stay_on_containers": "stay"}


def new_stats():
    return {"traits": {t: {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "weak": 0, "weak_fired": 0} for t in traits},
            "verdict": {"agree": 0, "total": 0}, "rows": 0, "scored": 0}


def add(into, s):
    for t in traits:
        for k in ("tp", "fp", "fn", "tn", "weak", "weak_fired"):
            into["traits"][t][k] += s["traits"][t][k]
    for k in ("agree", "total"):
        into["verdict"][k] += s["verdict"][k]
    into["rows"] += s["rows"]; into["scored"] += s["scored"]


def ratio(a, b):
    return a / b if b else None


def finish(s):
    for c in s["traits"].values():
        c["precision"] = ratio(c["tp"], c["tp"] + c["fp"])
        c["recall"] = ratio(c["tp"], c["tp"] + c["fn"])
    s["verdict"]["rate"] = ratio(s["verdict"]["agree"], s["verdict"]["total"])
    return s


def verdict_of(r):
    """(verdict, service name or None) from a report; tolerates a future `services` array."""
    services = r.get("services")
    if isinstance(services, list) and services:
        svc = next((s for s in services if isinstance(s, dict) and s.get("primary") is True), services[0])
        if isinstance(svc, dict):
            return str(svc.get("verdict", "unknown")), svc.get("name")
    return str(r.get("verdict", "unknown")), None


def measure(tsv):
    rows = list(csv.DictReader(open(tsv, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE))
    s = new_stats()
    out = []
    for row in rows:
        rid = row["id"]
        s["rows"] += 1
        expected = [v.strip() for v in (row.get("expected_verdict") or "").split("|") if v.strip()]
        rec = {"id": rid, "expected": expected}
        path = os.path.join(reports, rid + ".json")
        if not os.path.exists(path):
            rec["status"] = "no report"; out.append(rec); continue
        try:
            r = json.load(open(path))
            findings = r.get("findings") or []
            fired = {f.get("rule_id") for f in findings if isinstance(f, dict) and f.get("counted")}
            got_v, service = verdict_of(r)
        except (ValueError, AttributeError, TypeError) as e:
            rec["status"] = f"bad report ({e.__class__.__name__})"; out.append(rec); continue
        rec["status"] = "ok"
        s["scored"] += 1
        cells = {}
        for t, rules in traits.items():
            got = bool(fired & rules)
            want = (row.get(t) or "").strip()
            if want == "weak":
                key = "weak"
                s["traits"][t]["weak"] += 1; s["traits"][t]["weak_fired"] += got
            elif want in ("yes", "no"):
                key = {(True, True): "tp", (True, False): "fn", (False, True): "fp", (False, False): "tn"}[(want == "yes", got)]
                s["traits"][t][key] += 1
            else:
                key = "unlabelled"
            cells[t] = {"want": want, "got": got, "outcome": key}
        ok = got_v in {verdicts.get(v, v) for v in expected}
        s["verdict"]["total"] += 1; s["verdict"]["agree"] += ok
        rec.update(verdict=got_v, service=service, agree=ok, cells=cells, score=r.get("score"),
                   rules_counted=sorted(x for x in fired if x))
        out.append(rec)
    return finish(s), out


def fmt(x, w):
    return f"{x:{w}.2f}" if x is not None else f"{'-':>{w}}"


def table(s, indent="  "):
    lines = [f"{indent}trait               precision  recall   tp fp fn tn weak(fired)"]
    for t, c in s["traits"].items():
        lines.append(f"{indent}{t:19} {fmt(c['precision'], 9)} {fmt(c['recall'], 7)}   "
                     f"{c['tp']:2} {c['fp']:2} {c['fn']:2} {c['tn']:2} {c['weak']:4}({c['weak_fired']})")
    v = s["verdict"]
    lines.append(f"{indent}verdict agreement: {v['agree']}/{v['total']} = {fmt(v['rate'], 1).strip()}"
                 + (f"   ({s['rows'] - s['scored']} of {s['rows']} rows without a report)" if s["scored"] < s["rows"] else ""))
    return "\n".join(lines)


combined = new_stats()
files = []
for tsv in tsvs:
    s, rows = measure(tsv)
    add(combined, s)
    name = os.path.basename(tsv)
    files.append({"tsv": name, "path": os.path.abspath(tsv), **s, "per_row": rows})
    print(f"== {name}")
    print("per row:")
    for rec in rows:
        exp = "|".join(verdicts.get(v, v) for v in rec["expected"]) or "?"
        if rec["status"] != "ok":
            print(f"  {rec['id']:10} {rec['status']:8} expected {exp}"); continue
        verdict = rec["verdict"] + (f" [{rec['service']}]" if rec["service"] else "")
        marks = []
        for t, c in rec["cells"].items():
            if c["outcome"] == "weak":
                marks.append(f"{t}=weak({'y' if c['got'] else 'n'})")
            elif c["outcome"] in ("fp", "fn"):
                marks.append(f"{t}={c['outcome'].upper()}")
        print(f"  {rec['id']:10} verdict {verdict:8} expected {exp:16} {'ok ' if rec['agree'] else 'MISS'} {' '.join(marks)}".rstrip())
    print()
    print(table(s))
    print()
finish(combined)
if len(files) > 1:
    print("== combined (" + " + ".join(f["tsv"] for f in files) + ")")
    print(table(combined))

if json_out:
    def clean(o):  # JSON has no NaN; None stands for "no cases"
        if isinstance(o, float) and math.isnan(o):
            return None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list):
            return [clean(v) for v in o]
        return o
    doc = {"trait_rules": {t: sorted(r) for t, r in traits.items()}, "files": files, "combined": combined}
    with open(json_out, "w") as f:
        json.dump(clean(doc), f, indent=2)
        f.write("\n")
PY
