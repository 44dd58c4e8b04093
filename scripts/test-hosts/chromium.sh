#!/usr/bin/env bash
# Installs Debian's chromium for the webview tests (test/webview/*.test.ts drive it headless with
# playwright-core; no browser is downloaded by npm). Does nothing when /usr/bin/chromium exists.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then exit 0; fi

# shellcheck source=../debianPackages.sh
. "$(dirname "$0")/../debianPackages.sh"
debian_install chromium.sh chromium
[ -x "$CHROMIUM" ] || { echo "chromium.sh: chromium installed but $CHROMIUM is missing" >&2; exit 1; }
