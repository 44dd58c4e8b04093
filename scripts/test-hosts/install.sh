#!/usr/bin/env bash
# Installs everything the test hosts need before any test runs (npm test calls it), so that no test's
# time limit has to cover a package install or a code-server build: Debian's chromium, openssh-server,
# slurm-wlm and munge, and code-server on its own Node (into $BILEVEL_TEST_CACHE, default
# /opt/bilevel-test). Safe to run again: what is there is reused. Needs root.
set -euo pipefail
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "install.sh: the test hosts need root (packages, the user arssh, sshd and Slurm daemons)" >&2; exit 1; }
started=$(date +%s)
bash chromium.sh
bash sshd.sh install
bash slurm.sh install
bash code-server.sh >/dev/null
echo "test hosts: installed or found in $(($(date +%s) - started)) s" >&2
