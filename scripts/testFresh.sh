#!/usr/bin/env bash
# npm run test:fresh: the whole suite as a first run would see it (the way to prove that npm test
# installs everything it needs). It stops the test hosts, deletes their state (sshd keys, the Slurm
# spool), and points BILEVEL_TEST_CACHE at a new empty directory, so code-server and its Node are
# installed again from the npm registry. Debian packages already installed stay installed. Runs
# through .ci/run, so the watchdog applies; extra arguments go to npm test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-hosts/stop.sh
rm -rf "${BILEVEL_SSHD_DIR:-/tmp/bilevel-sshd}" "${BILEVEL_SLURM_DIR:-/tmp/bilevel-slurm}"
BILEVEL_TEST_CACHE=$(mktemp -d /tmp/bilevel-test-cache.XXXXXX)
export BILEVEL_TEST_CACHE
echo "test:fresh: caches in $BILEVEL_TEST_CACHE" >&2
exec bash .ci/run "$@"
