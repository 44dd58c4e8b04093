#!/usr/bin/env bash
# What the search-quality benchmark needs beyond the project's own setup: Optuna (the TPE baseline)
# and matplotlib (the plot) for Debian's /usr/bin/python3, the one with torch. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
missing=()
/usr/bin/python3 -c 'import optuna' >/dev/null 2>&1 || missing+=(python3-optuna)
/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1 || missing+=(python3-matplotlib)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench setup: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else
    echo "bench setup: need root to install ${missing[*]}; run: sudo apt-get install ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  /usr/bin/python3 -c 'import optuna, matplotlib' || { echo "bench setup: installed but optuna/matplotlib still do not import" >&2; exit 1; }
fi
