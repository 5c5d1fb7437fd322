#!/usr/bin/env bash
# The whole test suite from a fresh machine: installs the toolchain (skipping what is there),
# then runs native tests, the browser suites (Chromium, Firefox, WebKitGTK, and Node for the
# DOM-free part, against the emulator), the built
# package's checks (types, consumers) and the end-to-end tests (Chromium, Firefox, WebKitGTK). Starts and stops its own emulator on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/emulator.sh

step() { printf '\n=== [%s s] %s\n' "$SECONDS" "$*"; }
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step "native: cargo test --workspace, and the core as the page build compiles it"
cargo test --workspace --quiet
# The core as the page build compiles it (no `server` feature: no JWT or client-secret flows).
cargo test --quiet --no-default-features --lib

step "fuzz: bounded smoke pass of every cargo-fuzz target (scripts/fuzz.sh --smoke)"
./scripts/fuzz.sh --smoke

step "emulator"
start_emulator
echo "emulator at $EMULATOR_URL"

# The same wasm-bindgen-test suites in each browser, and their DOM-free part in Node.
for lane in chromium firefox webkit node; do
  step "wasm-bindgen-test in $lane (scripts/suites.sh $lane)"
  ./scripts/suites.sh "$lane"
done

step "package: scripts/build.py (release wasm, size gate)"
python3 scripts/build.py

step "types: tsc against the built package"
./scripts/typecheck.sh pkg

step "boundary: malformed input at every export, in Node and headless Chromium"
node tests/boundary/run.mjs

step "examples: examples/maker-setup.mjs and examples/jwt-server.mjs against the emulator"
node tests/examples/run.mjs

step "consumers: npm pack, publint, attw, Vite / esbuild / plain page / Node / Worker"
CONSUMERS_SKIP_BUILD=1 ./scripts/consumers.sh

step "webChatAuth against a stand-in for Coze's Web Chat SDK (tests/webchat/run.mjs)"
node tests/webchat/run.mjs

step "end-to-end in Chromium (Playwright) and Firefox (geckodriver): the demo; two tabs sharing one login; the device-login page"
node tests/e2e/run.mjs
node tests/e2e/two-tabs.mjs
node tests/e2e/device.mjs

step "end-to-end: <coze-chat> on www/embed.html in Chromium (login, Markdown, Stop, refresh, attachments, errors, axe-core, strict CSP) and Firefox (login, reply, attachment, logout)"
node tests/e2e/element.mjs
node tests/e2e/element-firefox.mjs

step "end-to-end in WebKitGTK (scripts/webkit.sh, under xvfb-run): the demo, two tabs, the device-login page, <coze-chat>'s login/reply/attachment/logout"
./scripts/webkit.sh

step "all tests passed"
