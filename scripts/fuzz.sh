#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/) for a bounded time, one after another, and
# prints a summary: target, seconds, inputs executed. Exits non-zero if any target fails; the
# failing input is saved under fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [seconds_per_target]   default 60
#   scripts/fuzz.sh --smoke                12 s per target (the test command's quick pass)
#
# Needs the nightly toolchain (installed if missing) and cargo-fuzz (installed if missing).
# Corpora grow in fuzz/corpus/<target> (git-ignored); fuzz/seeds/<target> is the committed seed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

case "${1:-60}" in
  --smoke) seconds=12 ;;
  *[!0-9]* | "") echo "usage: scripts/fuzz.sh [seconds_per_target | --smoke]" >&2; exit 2 ;;
  *) seconds=$1 ;;
esac

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz: installing the nightly toolchain"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked || cargo install cargo-fuzz
fi

# No targets listed (a broken fuzz/Cargo.toml, a renamed directory) would "pass" without fuzzing.
targets=$(cd fuzz && cargo +nightly fuzz list)
if [ -z "$targets" ]; then
  echo "fuzz: FAILED: \`cargo fuzz list\` lists no targets (fuzz/Cargo.toml [[bin]])" >&2
  exit 1
fi

# Safe Rust: no sanitizer (about twice the speed); overflow checks and debug assertions on.
flags=(--sanitizer none --debug-assertions)
start=$(date +%s)
(cd fuzz && cargo +nightly fuzz build "${flags[@]}")
echo "fuzz: build took $(($(date +%s) - start)) s"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
rows=()
for t in $targets; do
  mkdir -p "fuzz/corpus/$t" "fuzz/seeds/$t"
  echo "fuzz: $t for ${seconds}s"
  t0=$(date +%s)
  status=ok
  # -timeout: one input taking over 10 s counts as a hang.
  (cd fuzz && cargo +nightly fuzz run "${flags[@]}" "$t" "$PWD/corpus/$t" "$PWD/seeds/$t" -- \
    -max_total_time="$seconds" -timeout=10 -print_final_stats=1) >"$logs/$t" 2>&1 || status=FAILED
  elapsed=$(($(date +%s) - t0))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t" | tail -1)
  if [ "$status" != ok ]; then
    failed+=("$t")
    echo "---- $t failed ----"
    # The panic (or libFuzzer's own report) and where the input went; all of it if neither is there.
    grep -E -A6 'panicked at|ERROR: libFuzzer' "$logs/$t" | grep -v '^ *[0-9]*: \|^ *at ' || tail -n 40 "$logs/$t"
    grep -E 'Test unit written|Failing input|artifacts/' "$logs/$t" | tail -n 2 || true
    echo "----"
  fi
  rows+=("$(printf '%-12s %8s %12s  %s' "$t" "$elapsed" "${execs:-?}" "$status")")
done

printf '\n%-12s %8s %12s  %s\n' target seconds execs result
printf '%s\n' "${rows[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
