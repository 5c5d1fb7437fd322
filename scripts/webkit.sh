#!/usr/bin/env bash
# The end-to-end tests in WebKitGTK: MiniBrowser driven by WebKitWebDriver (webkit2gtk-driver),
# which needs an X display, so everything runs under `xvfb-run -a`. Classic WebDriver only (no
# BiDi in WebKitGTK 2.50's driver): tests/e2e/lib/webkit.mjs says what that costs, and each test
# prints what it skips there and why. The wasm-bindgen suites' WebKit lane is scripts/suites.sh webkit.
# Run after `python3 scripts/build.py`. Uses $EMULATOR_URL when set, else each test starts one.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in WebKitWebDriver xvfb-run; do
  command -v "$tool" >/dev/null || { echo "webkit.sh: $tool is missing (apt-get install webkit2gtk-driver xvfb)" >&2; exit 2; }
done
xvfb-run -a sh -c '
  status=0
  node tests/e2e/run.mjs webkit || status=1
  node tests/e2e/two-tabs.mjs webkit || status=1
  node tests/e2e/device.mjs webkit || status=1
  node tests/e2e/element-firefox.mjs webkit || status=1
  exit $status'
