#!/usr/bin/env bash
# Runs `wasmfit bench` on the bench samples, keeps each table and JSON, and
# cross-checks its figures with independent tools on the same artefacts.
# The cross-checks run in ROUNDS interleaved rounds (default 5): in each
# round a short `wasmfit bench` of the sample, then the tool, so both meet
# the same machine load; each figure is the median of the rounds' medians.
#   - process cold start: scripts/first-line.py times a fresh native
#     process and a fresh Wasm host process running the .cwasm to their
#     first answer line, the event wasmfit's clock ends at, the two
#     interleaved as wasmfit interleaves them (hyperfine's
#     start to exit, with stdin /dev/null, is printed for reference); for
#     the container it times `docker run -i --network none IMAGE` to its
#     first answer line,
#     less the docker CLI's own start (`docker container inspect`, timed in
#     the same rounds), since wasmfit's clock covers the API calls and not a
#     CLI process;
#   - HTTP throughput: wrk (the same connection count, and the same CPU
#     split as wasmfit: the server on the first half of the CPUs, wrk with
#     one thread per CPU of the other half) against the native server and
#     the Wasm host of every HTTP sample (Go's serves its wasip1 module as
#     WAGI, CGI over WASI).
# A cross-check passes when wasmfit's figure is within 20% of the tool's.
# Exit status 1 when one does not. Extra arguments go to every full
# `wasmfit bench` call (e.g. --runs 3 --duration 500ms); CROSSCHECK_ONLY=1
# skips the full runs and uses the JSON they left in BENCH_OUT; SAMPLES
# narrows the full runs.
# Needs: a Docker engine, hyperfine, wrk, taskset (util-linux), gcc, clang with wasi-libc, Go
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

# SAMPLES (space-separated) narrows the full runs to some samples, e.g. to
# refresh one row; the cross-checks still cover every sample's JSON.
read -r -a samples <<< "${SAMPLES:-bench-stdio-c bench-stdio-rust bench-stdio-go bench-http-rust bench-http-c bench-http-go}"
if [ -z "${CROSSCHECK_ONLY:-}" ]; then
    for s in "${samples[@]}"; do
        echo "== $s ($(uptime | sed 's/.*load/load/'))"
        "$bin" bench "samples/$s" --json-out "$out/$s.json" "$@" | tee "$out/$s.txt"
        echo
    done
fi
rounds=${ROUNDS:-5}
# The short bench of a round: full cold starts, the other rows cut down.
short=(--cold-runs 10 --request-runs 5 --runs 3 --duration 1s --warmup 300ms
       --density-budget 64MiB --density-max 2 --wasm-density-max 2 -q)

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
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
for s in bench-stdio-c bench-stdio-rust bench-stdio-go; do
    j="$out/$s.json"
    echo "== cross-check $s: $rounds interleaved rounds ($(uptime | sed 's/.*load/load/'))"
    native=$(field "$j" "d['native']['artifact']['path']")
    cwasm=$(field "$j" "d['wasm']['artifact']['precompiled_path']")
    kind=$(field "$j" "d['service']['wasm_kind']")
    ctx=$(mktemp -d)
    cp "$native" "$ctx/service"
    printf 'FROM scratch\nCOPY service /service\nENTRYPOINT ["/service"]\n' > "$ctx/Dockerfile"
    docker build -q --label "$label" -t "wasmfit-crosscheck/$s:$$" "$ctx" >/dev/null
    rm -rf "$ctx"
    probe=$(docker create --label "$label" "wasmfit-crosscheck/$s:$$")
    declare -A ours=() theirs=() hf=()
    for r in $(seq "$rounds"); do
        # Each clock is checked on its own: native and Wasm in one short
        # bench, the container in another, so dockerd's clean-up after a
        # container run does not land in the next native start (in a full
        # run it does, on every side alike).
        "$bin" bench "samples/$s" "${short[@]}" --sides native,wasm --json-out "$out/$s.r$r.json" >/dev/null
        "$bin" bench "samples/$s" "${short[@]}" --sides container --json-out "$out/$s.r$r.c.json" >/dev/null
        for side in native wasm; do
            ours[$side]+=" $(field "$out/$s.r$r.json" "d['$side']['process_cold_start_ms']['median']")"
        done
        ours[container]+=" $(field "$out/$s.r$r.c.json" "d['container']['process_cold_start_ms']['median']")"
        # The same event as wasmfit's clock, a fresh process to its first
        # answer line, timed by first-line.py (Python's Popen, so its own
        # spawn cost is on the tool's side).
        # Native and Wasm host starts interleaved, the first rotating every
        # round, as wasmfit's rounds interleave its sides: a start right
        # after the other side's differs from one back to back (docs/bench.md).
        scripts/first-line.py --warmup 2 --runs 20 --input "$out/one.txt" -- "$native" -- \
            "$bin" __bench-helper wasm stdio "$cwasm" --kind "$kind" --slots 16 > "$out/$s.fl$r.json"
        theirs[native]+=" $(field "$out/$s.fl$r.json" "d[0]['first_line_ms']['median']")"
        theirs[wasm]+=" $(field "$out/$s.fl$r.json" "d[1]['first_line_ms']['median']")"
        # hyperfine 1.15 has no --input: with no shell and stdin from
        # /dev/null each process reads end-of-input and exits; start to
        # exit, printed for reference (a different event, not checked).
        hyperfine -N --warmup 2 --runs 20 --export-json "$out/$s.hf$r.json" \
            "$native" \
            "$bin __bench-helper wasm stdio $cwasm --kind $kind --slots 16" >/dev/null 2>&1
        hf[native]+=" $(field "$out/$s.hf$r.json" "d['results'][0]['median']*1000")"
        hf[wasm]+=" $(field "$out/$s.hf$r.json" "d['results'][1]['median']*1000")"
        # The same `docker run` as wasmfit's API calls, timed to its first
        # answer line; the CLI alone (its start and one API round trip) is
        # timed interleaved and comes off.
        scripts/first-line.py --warmup 1 --runs 10 --input "$out/one.txt" \
            --baseline "docker container inspect $probe" -- \
            docker run -i --label "$label" --network none "wasmfit-crosscheck/$s:$$" > "$out/$s.fl$r.c.json"
        theirs[container]+=" $(field "$out/$s.fl$r.c.json" "d['first_line_ms']['median'] - d['baseline_ms']['median']")"
    done
    # shellcheck disable=SC2086
    echo "  for reference, hyperfine start to exit at end-of-input: native $(median ${hf[native]}) ms, Wasm host $(median ${hf[wasm]}) ms"
    cleanup
    for side in native wasm container; do
        tool="first-line.py: a fresh process to its first answer line"; [ "$side" = container ] && tool="first-line.py: docker run to its first answer line, minus the CLI's own start"
        # shellcheck disable=SC2086
        within "$s $side process cold start ms ($tool; median of $rounds round medians)" \
            "$(median ${ours[$side]})" "$(median ${theirs[$side]})" || failed+=("$s $side cold start")
    done
    unset ours theirs hf
done

# The CPU split wasmfit bench uses (src/bench/cpus.rs): the first half of
# this process's CPUs (at least one) for the server, the rest for the load
# generator; wrk gets the same split, one thread per generator CPU.
IFS=';' read -r server_cpus load_cpus load_n < <(python3 -c '
import os
c = sorted(os.sched_getaffinity(0))
k = max(1, len(c) // 2)
j = lambda l: ",".join(map(str, l))
print(j(c[:k]), j(c[k:]), len(c) - k, sep=";") if len(c) > 1 else print(";;2")')
# Command prefixes that confine a process to those CPUs (none with one CPU).
# A prefix and not a shell function: a server started in the background
# must be the process whose id `$!` holds, or `kill` would miss it.
server_pin=(); load_pin=()
if [ -n "$server_cpus" ]; then
    server_pin=(taskset -c "$server_cpus"); load_pin=(taskset -c "$load_cpus")
fi
for s in bench-http-rust bench-http-c bench-http-go; do
    j="$out/$s.json"
    conns=$(field "$j" "d['config']['connections']")
    echo "== cross-check $s: wrk -t$load_n -c$conns, GET /, server on CPU ${server_cpus:-any}, wrk on CPU ${load_cpus:-any}, $rounds interleaved rounds ($(uptime | sed 's/.*load/load/'))"
    declare -A ours=() theirs=()
    sides=(native); [ "$(field "$j" "d.get('wasm') is not None")" = True ] && sides+=(wasm)
    for r in $(seq "$rounds"); do
        "$bin" bench "samples/$s" "${short[@]}" --sides "$(IFS=,; echo "${sides[*]}")" \
            --connections "$conns" --json-out "$out/$s.r$r.json" >/dev/null
        for side in "${sides[@]}"; do
            ours[$side]+=" $(field "$out/$s.r$r.json" "d['$side']['throughput_rps']['median']")"
            port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
            if [ "$side" = native ]; then
                PORT=$port "${server_pin[@]}" "$(field "$j" "d['native']['artifact']['path']")" 2>/dev/null & pid=$!
            else
                PORT=$port "${server_pin[@]}" "$bin" __bench-helper wasm http "$(field "$j" "d['wasm']['artifact']['precompiled_path']")" --kind "$(field "$j" "d['service']['wasm_kind']")" --slots 16 & pid=$!
            fi
            for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.05; done
            theirs[$side]+=" $("${load_pin[@]}" wrk -t"$load_n" -c"$conns" -d3s "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}')"
            kill $pid; wait $pid 2>/dev/null || true
        done
    done
    for side in "${sides[@]}"; do
        # shellcheck disable=SC2086
        within "$s $side throughput req/s (wrk; median of $rounds round medians)" \
            "$(median ${ours[$side]})" "$(median ${theirs[$side]})" || failed+=("$s $side throughput")
    done
    unset ours theirs
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "MISSED (more than 20% apart): ${failed[*]}"
    exit 1
fi
echo "every cross-check within 20%"
