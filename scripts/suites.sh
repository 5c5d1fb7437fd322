#!/usr/bin/env bash
# The wasm-bindgen-test suites in one lane: chromium | firefox | webkit | node.
#   ./scripts/suites.sh firefox [-- cargo test filter...]
# wasm-bindgen-test-runner picks its driver from GECKODRIVER, SAFARIDRIVER, CHROMEDRIVER (in that
# order), so each lane sets exactly one. WebKitGTK's WebKitWebDriver answers like safaridriver; it
# drives MiniBrowser, which needs an X display (xvfb-run). Node runs tests/node.rs (no DOM).
# Uses $EMULATOR_URL when set (test.sh), else starts an emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
lane=${1:?usage: suites.sh chromium|firefox|webkit|node [cargo test args]}
shift
if [ -z "${EMULATOR_URL:-}" ]; then
  source scripts/setup.sh >/dev/null
  source scripts/emulator.sh
  start_emulator
fi
export COZE_EMULATOR_URL=$EMULATOR_URL
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-60}
suites=(--test browser --test stress --test security --test big_reads)
wrap=()
unset GECKODRIVER SAFARIDRIVER
case $lane in
  chromium) export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver} ;;
  firefox) unset CHROMEDRIVER; export GECKODRIVER=${GECKODRIVER_PATH:-$(command -v geckodriver)} ;;
  webkit) unset CHROMEDRIVER; export SAFARIDRIVER=$(command -v WebKitWebDriver); wrap=(xvfb-run -a) ;;
  node) suites=(--test node) ;;
  *) echo "suites.sh: unknown lane $lane" >&2; exit 2 ;;
esac
"${wrap[@]}" cargo test --target wasm32-unknown-unknown "${suites[@]}" "$@"
