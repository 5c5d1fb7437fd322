#!/usr/bin/env bash
# Type-checks an already built package; builds nothing. Compiles tests/types/*.ts against the
# package's index.d.ts twice (bundler resolution, and NodeNext through package.json "exports",
# with exactOptionalPropertyTypes), then checks that the declared value exports are exactly the
# runtime exports of node.js, index.js and auto.js (tests/types/exports.mjs).
# Usage: scripts/typecheck.sh [pkg-dir]   (default: $COZE_WASM_PKG_DIR, else pkg/)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PKG_DIR=${1:-${COZE_WASM_PKG_DIR:-pkg}}
[ -f "$PKG_DIR/index.d.ts" ] || { echo "typecheck: no built package in $PKG_DIR (run python3 scripts/build.py)" >&2; exit 1; }
PKG_DIR=$(cd "$PKG_DIR" && pwd)
TSC=node_modules/.bin/tsc
[ -x "$TSC" ] || { echo "typecheck: $TSC is missing (run scripts/setup.sh)" >&2; exit 1; }

# A scratch copy of tests/types whose node_modules/coze-wasm is the package, so the imports
# resolve the way a consumer's do (no path mapping), and parallel runs don't share a link.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp tests/types/*.ts tests/types/*.json "$work/"
mkdir "$work/node_modules"
ln -s "$PKG_DIR" "$work/node_modules/coze-wasm"

status=0
for config in tsconfig.json tsconfig.node.json; do
  if (cd "$work" && "$OLDPWD/$TSC" -p "$config" --pretty false >tsc.out 2>&1); then
    echo "typecheck: tests/types/$config ok"
  else
    sed -E "s#^([A-Za-z0-9_.-]+\.ts\()#tests/types/\1#" "$work/tsc.out"
    echo "typecheck: tests/types/$config FAILED" >&2
    status=1
  fi
done
node tests/types/exports.mjs "$PKG_DIR" || status=1
exit $status
