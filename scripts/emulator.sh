#!/usr/bin/env bash
# Sourced helper: start_emulator [args...] builds and starts the Coze emulator on a free port,
# sets EMULATOR_URL and EMULATOR_PID, and stops it when the calling shell exits.
start_emulator() {
  cargo build -q -p coze-emulator
  local log
  log=$(mktemp -t coze-emulator.XXXXXX)
  target/debug/coze-emulator --port "${EMULATOR_PORT:-0}" "$@" >"$log" 2>"$log.err" &
  EMULATOR_PID=$!
  trap 'kill "$EMULATOR_PID" 2>/dev/null; wait "$EMULATOR_PID" 2>/dev/null; true' EXIT
  for _ in $(seq 1 100); do
    EMULATOR_URL=$(sed -n 's/^COZE_EMULATOR_URL=//p' "$log" | head -1)
    [ -n "$EMULATOR_URL" ] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$log" "$log.err" >&2; echo "emulator exited" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$EMULATOR_URL" ] || { echo "emulator did not start" >&2; return 1; }
  EMULATOR_LOG=$log
  export EMULATOR_URL EMULATOR_PID EMULATOR_LOG
}
