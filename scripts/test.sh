#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs the toolchain (skipping what is there),
# then runs native tests, the browser suite (headless Chromium against the emulator) and the
# end-to-end tests. Starts and stops its own emulator on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/emulator.sh

step() { printf '\n=== %s\n' "$*"; }
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step "native: cargo test --workspace"
cargo test --workspace --quiet

step "emulator"
start_emulator
echo "emulator at $EMULATOR_URL"

step "browser: wasm-bindgen-test in headless Chromium"
export COZE_EMULATOR_URL=$EMULATOR_URL
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-60}
cargo test --target wasm32-unknown-unknown --test browser

if [ -f scripts/build.py ]; then
  step "package: scripts/build.py"
  python3 scripts/build.py
fi

if [ -f tests/e2e/run.mjs ]; then
  step "end-to-end: Playwright"
  node tests/e2e/run.mjs
fi

step "all tests passed"
