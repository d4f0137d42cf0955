#!/usr/bin/env bash
# Checks that two wasmfit binaries report the same thing: scans each TREE
# with both (same flags) and diffs the JSON reports, leaving out only what
# must differ between runs (elapsed time) or binaries (the schema version a
# new field bumps). Exit 1 on any difference.
#
# usage: scripts/diff-findings.sh OLD_BIN NEW_BIN TREE... [-- SCAN_FLAGS...]
#   e.g. scripts/diff-findings.sh /tmp/wasmfit-main target/release/wasmfit samples/*/
set -euo pipefail
old=${1:?usage: $0 OLD_BIN NEW_BIN TREE... [-- SCAN_FLAGS...]}
new=${2:?usage: $0 OLD_BIN NEW_BIN TREE... [-- SCAN_FLAGS...]}
shift 2
trees=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do trees+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
flags=("$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for t in "${trees[@]}"; do
  for side in old new; do
    bin=$old; [ $side = new ] && bin=$new
    # Exit 1 is the gate failing, which is a result like any other.
    "$bin" scan "$t" -q -f json -o "$work/$side.json" "${flags[@]}" || [ $? = 1 ]
    python3 - "$work/$side.json" <<'PY'
import json, sys
p = sys.argv[1]
r = json.load(open(p))
r.get("summary", {}).pop("elapsed_ms", None)
r.pop("schema_version", None)
json.dump(r, open(p, "w"), indent=1, sort_keys=True)
PY
  done
  if diff -q "$work/old.json" "$work/new.json" >/dev/null; then
    echo "same     $t ($(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["findings"]), "findings,", sum(len(f.get("evidence",[])) for f in r["findings"]), "evidence")' "$work/new.json"))"
  else
    echo "DIFFERS  $t"
    diff "$work/old.json" "$work/new.json" | head -40 || true
    status=1
  fi
done
exit $status
