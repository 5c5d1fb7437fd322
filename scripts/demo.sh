#!/usr/bin/env bash
# The demo: builds the package, starts the Coze emulator and serves www/ from a second origin
# (so CORS is real), then waits until Ctrl-C and stops both.
#
#   ./scripts/demo.sh                      → open http://127.0.0.1:8080/
#   EMULATOR_PORT=9787 DEMO_PORT=9080 ./scripts/demo.sh
#   SKIP_BUILD=1 ./scripts/demo.sh         → reuse an existing pkg/ (no rebuild)
set -euo pipefail
cd "$(dirname "$0")/.."

export EMULATOR_PORT=${EMULATOR_PORT:-8787}
DEMO_PORT=${DEMO_PORT:-8080}
if [ "$EMULATOR_PORT" = "$DEMO_PORT" ]; then
  echo "demo: EMULATOR_PORT and DEMO_PORT must differ (both are $DEMO_PORT)" >&2
  exit 2
fi

source scripts/setup.sh
if [ "${SKIP_BUILD:-}" = 1 ] && [ -f pkg/index.js ]; then
  echo "demo: SKIP_BUILD=1, using the existing pkg/"
else
  python3 scripts/build.py
fi

source scripts/emulator.sh
start_emulator --quiet

SERVER_PID=
cleanup() {
  trap - EXIT INT TERM
  echo
  echo "demo: stopping"
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "${EMULATOR_PID:-}" ] && kill "$EMULATOR_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The tests' static server (scripts/static-server.mjs): www/ with the package at /pkg/, correct MIME
# types (.wasm must be application/wasm for streaming compilation), no caching, and each page's
# CSP as a header with frame-ancestors 'none' and nosniff.
node scripts/static-server.mjs "$DEMO_PORT" /pkg/=pkg /=www >/dev/null &
SERVER_PID=$!

DEMO_URL="http://127.0.0.1:$DEMO_PORT"
for _ in $(seq 1 50); do
  curl -fsS -o /dev/null "$DEMO_URL/" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "demo: cannot serve www/ on port $DEMO_PORT (in use? set DEMO_PORT)" >&2; exit 1; }
  sleep 0.1
done
wasm_type=$(curl -fsSI "$DEMO_URL/pkg/web/coze_wasm_bg.wasm" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Tt]ype: //p')
[ "$wasm_type" = application/wasm ] || echo "demo: warning: .wasm is served as '$wasm_type'" >&2

# The page defaults to http://127.0.0.1:8787; ?emulator= also selects it over a saved choice.
OPEN_URL="$DEMO_URL/?emulator=$EMULATOR_URL"

cat <<EOF

  coze-wasm demo is running

    Open $OPEN_URL

    demo page      $DEMO_URL/   (serves www/, with pkg/ at /pkg/)
    <coze-chat>    $DEMO_URL/embed.html?emulator=$EMULATOR_URL
                   (a static shop page: the chat element from one script tag, launcher bubble bottom right)
    Coze emulator  $EMULATOR_URL   (consent page, OAuth and API; client id demo-client.app.coze)

  In the page: "Log in with Coze" → Allow → pick a bot → chat. The Slow Bot is good for trying Stop.
  Device code flow (a TV with no keyboard): $DEMO_URL/device.html?emulator=$EMULATOR_URL
  Press Ctrl-C to stop both servers.

EOF

# Until Ctrl-C, or until either server dies.
wait -n "$EMULATOR_PID" "$SERVER_PID" || true
echo "demo: a server exited" >&2
exit 1
