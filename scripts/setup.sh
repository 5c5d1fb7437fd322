#!/usr/bin/env bash
# Installs everything the demo and the tests need, skipping what is already there.
# Safe to run again; prints one line per tool. Sourced by test.sh and demo.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1
# The CLI must equal Cargo.lock's wasm-bindgen, or tests fail with a schema-version error.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || { echo "setup: wasm-bindgen not found in Cargo.lock" >&2; exit 1; }

say() { printf 'setup: %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# Release packages build std for size on nightly (see wasm-pack.toml [release]), so nightly with
# rust-src and the wasm32 target is installed before the first build. Without it the build would
# fall back to stable and gate at the looser budget: fatal in CI (build.py refuses it there too),
# a warning elsewhere (e.g. offline).
nightly_missing() {
  say "WARNING: $1"
  if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then exit 1; fi
}
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  say "installing the nightly toolchain with rust-src and wasm32-unknown-unknown (size-tuned release build)"
  rustup toolchain install nightly --profile minimal --component rust-src --target wasm32-unknown-unknown ||
    nightly_missing "could not install nightly; the release build falls back to stable (larger .wasm)"
fi
if rustup run nightly rustc --version >/dev/null 2>&1; then
  if ! rustup component list --toolchain nightly --installed | grep -q '^rust-src'; then
    say "adding rust-src to nightly (build-std for the release package)"
    rustup component add rust-src --toolchain nightly || nightly_missing "no rust-src for nightly"
  fi
  if ! rustup target list --toolchain nightly --installed | grep -qx wasm32-unknown-unknown; then
    say "adding wasm32-unknown-unknown to nightly"
    rustup target add wasm32-unknown-unknown --toolchain nightly || nightly_missing "no wasm32 target for nightly"
  fi
fi

APT_UPDATED=""
apt_install() {
  local SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  [ -n "$APT_UPDATED" ] || { $SUDO apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing chromium + chromium-driver (apt)"
  apt_install chromium chromium-driver
fi

if ! command -v firefox-esr >/dev/null; then
  say "installing firefox-esr (apt)"
  apt_install firefox-esr
fi

# WebKitGTK's WebDriver (it drives MiniBrowser) and a virtual display for it: scripts/suites.sh webkit
# (wasm-bindgen-test) and scripts/webkit.sh (end-to-end) run it under xvfb-run.
if ! command -v WebKitWebDriver >/dev/null || ! command -v xvfb-run >/dev/null; then
  say "installing webkit2gtk-driver + xvfb (apt)"
  apt_install webkit2gtk-driver xvfb
fi

# A CJK font, so headless screenshots show Chinese text instead of empty boxes (the element's and
# the demo's font stacks name Noto Sans CJK as the fallback).
# (fc-list's output is captured whole: `fc-list | grep -q` fails under pipefail when grep stops early.)
case "$(fc-list : family 2>/dev/null)" in
  *"Noto Sans CJK"*) ;;
  *) say "installing fonts-noto-cjk (apt)"; apt_install fonts-noto-cjk ;;
esac

if [ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $WASM_PACK_VERSION" ]; then
  say "installing wasm-pack $WASM_PACK_VERSION (cargo install, ~2 min)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --quiet
fi

# From crates.io: nothing here can download a driver from GitHub.
if [ "$(geckodriver --version 2>/dev/null | sed -n 1p)" != "geckodriver $GECKODRIVER_VERSION" ]; then
  say "installing geckodriver $GECKODRIVER_VERSION (cargo install, ~2 min)"
  cargo install geckodriver --version "$GECKODRIVER_VERSION" --locked --quiet
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (cargo install, ~3 min)"
  # --locked fails here (a locked transitive version is missing from the registry): fall back.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --quiet --force ||
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --quiet --force
fi

# npm tools (binaryen's wasm-opt, playwright-core, typescript ...), pinned by package-lock.json.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev tools"
  npm ci --no-audit --no-fund --loglevel=error
fi
# npm's binaryen first: Debian's wasm-opt 108 silently corrupts wasm-bindgen 0.2.130 output.
export PATH="$PWD/node_modules/.bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
# Not exported as GECKODRIVER: wasm-bindgen-test-runner prefers it over CHROMEDRIVER; test.sh picks
# the browser per run.
GECKODRIVER_PATH=$(command -v geckodriver)
export GECKODRIVER_PATH
say "ready: $(wasm-pack --version), wasm-bindgen $WASM_BINDGEN_VERSION, wasm-opt $(wasm-opt --version | awk '{print $3}')"
say "browsers: $(chromium --version 2>/dev/null | head -1 | cut -d' ' -f1-2), $(firefox-esr --version 2>/dev/null | sed 's/^Mozilla //') + $(geckodriver --version 2>/dev/null | sed -n 1p), WebKitGTK $(dpkg-query -W -f='${Version}' libwebkit2gtk-4.1-0 2>/dev/null | cut -d- -f1)"
