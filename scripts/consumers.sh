#!/usr/bin/env bash
# Consumer tests of the published artifact: packs the built package with `npm pack`, requires
# publint --strict and attw to be clean on the tarball, then installs the tarball into scratch
# projects (Vite app, esbuild bundle, plain <script type=module>, Node script, module Web Worker)
# and runs each against the Coze emulator (tests/consumers/run.mjs).
#
#   source scripts/setup.sh; ./scripts/consumers.sh
#
# COZE_WASM_PKG_DIR    the package directory (default pkg/); it is built there first, unless
# CONSUMERS_SKIP_BUILD=1  it has just been built (e.g. by the test command).
# EMULATOR_URL         an emulator already running; otherwise one is started for the run.
# CONSUMERS_ONLY=a,b   run only these consumers (vite, esbuild, plain, node, worker).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
say() { printf 'consumers: %s\n' "$*"; }

export COZE_WASM_PKG_DIR="${COZE_WASM_PKG_DIR:-$PWD/pkg}"
PKG_DIR="$COZE_WASM_PKG_DIR"
if [ "${CONSUMERS_SKIP_BUILD:-0}" != 1 ]; then
  python3 scripts/build.py
fi
[ -f "$PKG_DIR/package.json" ] || { say "$PKG_DIR/package.json is missing (build the package first)" >&2; exit 1; }

WORK=$(mktemp -d -t coze-wasm-consumers.XXXXXX)
OWN_EMULATOR_PID=""
cleanup() {
  # Only the emulator this script started: the caller's (test.sh exports EMULATOR_PID) keeps running.
  if [ -n "$OWN_EMULATOR_PID" ]; then kill "$OWN_EMULATOR_PID" 2>/dev/null || true; wait "$OWN_EMULATOR_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# 1. The tarball npm would publish.
npm pack "$PKG_DIR" --pack-destination "$WORK" --json --loglevel=error >"$WORK/pack.json"
TARBALL=$(node -e '
  const [p] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.error(`consumers: ${p.filename}: ${p.size} bytes packed, ${p.unpackedSize} bytes unpacked, ${p.entryCount} files`);
  console.log(require("path").join(process.argv[2], p.filename));
' "$WORK/pack.json" "$WORK")

# 2. Lints, on the tarball itself. publint must say "All good!" (no suggestion either); attw must find
# no problem. The package is ESM-only on purpose, so attw's cjs-resolves-to-esm (a require() from
# CommonJS resolves to ESM: fine on Node >= 20.19/22.12, a dynamic import() before) is not one.
if ! out=$(publint run --strict "$TARBALL" 2>&1) || ! grep -q 'All good!' <<<"$out"; then
  printf '%s\n' "$out" >&2
  say "FAIL publint --strict" >&2
  exit 1
fi
say "PASS publint --strict"
if ! out=$(attw "$TARBALL" --ignore-rules cjs-resolves-to-esm --format table --no-color 2>&1); then
  printf '%s\n' "$out" >&2
  say "FAIL attw" >&2
  exit 1
fi
printf '%s\n' "$out" | sed -n '/node10\|node16\|bundler\|"coze-wasm/p'
say "PASS attw (ignoring cjs-resolves-to-esm: ESM-only package)"

# 3. The consumers, against the emulator.
if [ -z "${EMULATOR_URL:-}" ]; then
  # shellcheck source=scripts/emulator.sh
  source scripts/emulator.sh
  start_emulator --quiet
  OWN_EMULATOR_PID=$EMULATOR_PID
  trap cleanup EXIT # start_emulator sets its own EXIT trap; ours also removes $WORK
fi
args=("$TARBALL")
[ -z "${CONSUMERS_ONLY:-}" ] || args+=(--only "$CONSUMERS_ONLY")
node tests/consumers/run.mjs "${args[@]}"
