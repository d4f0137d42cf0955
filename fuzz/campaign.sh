#!/usr/bin/env bash
# The fuzz campaign: builds the targets with libFuzzer's coverage
# instrumentation (what `cargo fuzz build` does, without needing cargo-fuzz;
# debug assertions and overflow checks on, so arithmetic on hostile sizes
# that would wrap in a release build panics here), then runs each target for
# a time budget and prints executions and crashes. Not part of CI.
#
# usage: fuzz/campaign.sh [SECONDS_PER_TARGET] [TARGET...]
#   default: 180 seconds for every target listed in fuzz/Cargo.toml.
#   RUNS=N in the environment also stops a target after N executions
#   (whichever comes first), e.g. RUNS=1000000 fuzz/campaign.sh 1800 lexer.
# Needs a nightly toolchain (`rustup toolchain install nightly`).
# Corpora live in fuzz/corpus/TARGET (seed binaries with fuzz/seed.sh);
# crashes are written to fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-180}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"/\1/p' Cargo.toml | grep -v '^wasmfit-fuzz$')
fi
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
 -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
bins=()
for t in "${targets[@]}"; do bins+=(--bin "$t"); done
nice -n 19 cargo +nightly build --release --target "$triple" "${bins[@]}"
# Seeds for the text parsers, from this repository (only into empty corpora).
seed() { # seed TARGET PREFIX_BYTE FILE...
  local t=$1 prefix=$2; shift 2
  mkdir -p "corpus/$t"
  for f in "$@"; do
    local out="corpus/$t/$(printf '%s' "$prefix$f" | sha1sum | cut -c1-16)"
    if [ -n "$prefix" ]; then { printf "\\x$(printf %02x "$prefix")"; cat "$f"; } >"$out"; else cp "$f" "$out"; fi
  done
}
empty() { [ -z "$(ls -A "corpus/$1" 2>/dev/null)" ]; }
if empty dockerfile; then seed dockerfile "" $(find ../samples ../tests -name 'Dockerfile*' -size -64k); fi
if empty compose; then seed compose "" $(find ../samples ../tests -name '*compose*.y*ml' -size -64k); fi
if empty config; then seed config "" $(find ../samples ../tests -name 'wasmfit.toml' -size -64k); fi
if empty manifest; then
  # The first byte picks the kind, in ManifestKind::ALL order.
  i=0
  for n in Cargo.toml Cargo.lock go.mod package.json package-lock.json yarn.lock pnpm-lock.yaml \
    requirements.txt pyproject.toml Pipfile Pipfile.lock pom.xml build.gradle '*.csproj' mix.exs \
    mix.lock Gemfile Gemfile.lock composer.json composer.lock poetry.lock uv.lock packages.lock.json; do
    seed manifest "$i" $(find ../samples ../tests -name "$n" -size -64k | head -3)
    i=$((i + 1))
  done
fi
if empty lexer; then
  # The first byte picks the language, in Language::ALL order.
  i=0
  for x in go rs py js ts java kt c cpp cs ex erl rb php sh; do
    seed lexer "$i" $(find ../samples ../src -name "*.$x" -size -32k | head -3)
    i=$((i + 1))
  done
fi
if empty suppress; then seed suppress "" $(grep -rl 'wasmfit:' ../samples ../tests --include='*.py' | head -5); fi
if empty report_json && [ -x ../target/debug/wasmfit ]; then
  mkdir -p corpus/report_json
  for s in ../samples/*/; do
    ../target/debug/wasmfit scan -q -f json "$s" >"corpus/report_json/$(basename "$s").json" || true
  done
fi

for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="artifacts/$t/run.log"
  # -rss_limit_mb bounds memory: an input that needs more is a finding.
  nice -n 19 "target/$triple/release/$t" "corpus/$t" -max_total_time="$secs" ${RUNS:+-runs="$RUNS"} \
    -rss_limit_mb=2048 -timeout=10 -artifact_prefix="artifacts/$t/" -print_final_stats=1 \
    >"$log" 2>&1 || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "artifacts/$t" -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' | wc -l)
  took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  corpus=$(find "corpus/$t" -type f | wc -l)
  echo "$t: ${execs:-?} executions in ${took:-$secs}s, corpus $corpus inputs, $crashes crash/oom/timeout inputs"
done
