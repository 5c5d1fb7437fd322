#!/usr/bin/env bash
# Benchmark coze-wasm against @coze/api and eventsource-parser in one headless-Chromium run:
# size, per-event cost, latency, memory and start-up. Prints tables and writes
# bench/results/latest.json. Not part of the tests. See BENCHMARKS.md.
#
#   scripts/bench.sh [--record] [--quick] [--profile]
#     --record   append this run to BENCHMARKS.md (bench/record.mjs)
#     --quick    small stream, few runs: checks the harness in ~20 s (cannot be recorded)
#     --profile  also take CPU profiles of ours chat.stream and SseParser and print their top functions
#
# Sets up what it needs (scripts/setup.sh; bench/'s npm peers with `npm ci` when missing),
# rebuilds the package into bench/.pkg (never pkg/), then runs bench/run.mjs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

record=0
run_args=()
for arg in "$@"; do
  case "$arg" in
    --record) record=1 ;;
    --quick | --profile) run_args+=("$arg") ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$record" = 1 ] && [[ " ${run_args[*]-} " == *" --quick "* ]]; then
  echo "bench: a --quick run is a harness check; it cannot be recorded" >&2
  exit 2
fi

# shellcheck source=setup.sh
source scripts/setup.sh

if [ ! -d bench/node_modules ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  echo "bench: installing the peers (@coze/api, axios, eventsource-parser) in bench/"
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi

# The library may change under us: always rebuild. An over-budget build is still benchmarked.
build_log=$(mktemp)
trap 'rm -f "$build_log"' EXIT
if ! COZE_WASM_PKG_DIR="$PWD/bench/.pkg" python3 scripts/build.py 2>&1 | tee "$build_log"; then
  if grep -q "over the size budget" "$build_log" && [ -f bench/.pkg/index.js ]; then
    echo "bench: the build is over its size budget; benchmarking it anyway"
  else
    echo "bench: the build failed" >&2
    exit 1
  fi
fi

node bench/run.mjs "${run_args[@]}"
if [ "$record" = 1 ]; then
  node bench/record.mjs bench/results/latest.json
fi
