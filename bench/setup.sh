#!/usr/bin/env bash
# What the search-quality benchmark needs beyond the project's own setup: Optuna (the TPE baseline)
# and matplotlib (the plot) for Debian's /usr/bin/python3, the one with torch. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../scripts/debianPackages.sh
. scripts/debianPackages.sh
bash scripts/setup.sh
missing=()
/usr/bin/python3 -c 'import optuna' >/dev/null 2>&1 || missing+=(python3-optuna)
/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1 || missing+=(python3-matplotlib)
if [ ${#missing[@]} -gt 0 ]; then
  debian_install "bench setup" "${missing[@]}"
  /usr/bin/python3 -c 'import optuna, matplotlib' || { echo "bench setup: installed but optuna/matplotlib still do not import" >&2; exit 1; }
fi
