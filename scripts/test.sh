#!/usr/bin/env bash
# The one test command (npm test): installs what the tests need, builds, typechecks, runs every test
# (or only the files given: npm test -- test/unit/foo.test.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run build
npx tsc -p . --noEmit
bash scripts/test-hosts/install.sh
# Node 20 runs each file as one top-level test, so this bounds a whole file (and every test in it): a
# hang fails that file after 20 minutes instead of stalling the suite. The longest file takes about
# 2 minutes on 2 cores.
TEST_TIMEOUT_MS=${BILEVEL_TEST_TIMEOUT_MS:-1200000}
shopt -s nullglob
reporters=(--test-reporter=spec --test-reporter-destination=stdout)
if [ -n "${BILEVEL_TEST_PROGRESS:-}" ]; then
  reporters+=(--test-reporter=./scripts/testProgressReporter.mjs --test-reporter-destination=/dev/null)
fi
# `npm test -- test/unit/foo.test.ts` runs only the files named.
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(test/unit/*.test.ts test/e2e/*.test.ts test/webview/*.test.ts test/vscode/*.test.ts)
node --import tsx --test --test-timeout="$TEST_TIMEOUT_MS" "${reporters[@]}" "${files[@]}"
