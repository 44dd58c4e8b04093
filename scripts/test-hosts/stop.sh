#!/usr/bin/env bash
# Stops every daemon the tests started and left running (npm run test:hosts:stop): the loopback sshd
# (scripts/test-hosts/sshd.sh) and the one-node Slurm cluster's slurmd, slurmctld and munged
# (scripts/test-hosts/slurm.sh). code-server and Chromium never outlive the test that started them.
set -euo pipefail
cd "$(dirname "$0")"
bash sshd.sh stop
bash slurm.sh stop
