#!/usr/bin/env bash
# Installs Debian's chromium for the webview tests (test/webview/*.test.ts drive it headless with
# playwright-core; no browser is downloaded by npm). Does nothing when /usr/bin/chromium exists.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then exit 0; fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium.sh: $CHROMIUM is missing and this is not a Debian/Ubuntu system; install Chromium there by hand" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else
  echo "chromium.sh: $CHROMIUM is missing and installing it needs root; run: sudo apt-get install -y --no-install-recommends chromium" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "chromium.sh: installing Debian's chromium" >&2
# Refresh the package lists only when apt does not know the package yet.
if ! apt-cache show chromium >/dev/null 2>&1; then $SUDO apt-get update -qq; fi
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[ -x "$CHROMIUM" ] || { echo "chromium.sh: chromium installed but $CHROMIUM is missing" >&2; exit 1; }
