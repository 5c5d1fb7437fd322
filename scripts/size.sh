#!/usr/bin/env bash
# What the package weighs and where it goes: gzip -9 sizes of the release package (as the build's
# size gate counts them), then the biggest items and per-module totals of the same build with its
# name section kept (twiggy). Run it before and after a change to see what the change costs.
#
#   scripts/size.sh [top_n]      default 25
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh >/dev/null
top=${1:-25}
if ! command -v twiggy >/dev/null; then
  echo "size: installing twiggy (cargo install, ~2 min)"
  cargo install twiggy --locked --quiet || cargo install twiggy --quiet
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "=== release package (gzip -9)"
COZE_WASM_PKG_DIR="$out/release" python3 scripts/build.py | grep '^size:'
COZE_WASM_NAMED=1 COZE_WASM_PKG_DIR="$out/named" python3 scripts/build.py >/dev/null
wasm="$out/named/web/coze_wasm_bg.wasm"

echo
echo "=== top $top items (named build; sizes before gzip)"
twiggy top -n "$top" "$wasm"

echo
echo "=== per module (named build; bytes before gzip, share of the code and data)"
twiggy top -n 100000 --format csv "$wasm" | python3 -c '
import csv, re, sys
rows = list(csv.DictReader(sys.stdin))
totals = {}
for row in rows:
    name = row["Name"]
    m = re.match(r"^(?:<)?([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)?)", name)
    key = m.group(1) if m and "::" in name else ("data" if name.startswith("data[") else "other: " + name.split("[")[0][:24])
    totals[key] = totals.get(key, 0) + int(row["ShallowSize"])
total = sum(totals.values())
for key, size in sorted(totals.items(), key=lambda kv: -kv[1])[:30]:
    print(f"{size:>8}  {100 * size / total:5.1f}%  {key}")
print(f"{total:>8}  100.0%  total")
'
