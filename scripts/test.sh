#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need, builds, typechecks, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
npx tsc -p . --noEmit
shopt -s nullglob
node --import tsx --test --test-reporter=spec test/unit/*.test.ts test/e2e/*.test.ts test/webview/*.test.ts test/vscode/*.test.ts
