#!/usr/bin/env bash
# Installs what the loop and the tests need: npm packages, and a Python that can import torch
# (Debian's python3-torch when none is found, with OpenBLAS: Debian's reference BLAS makes CPU
# training ~20x slower). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=debianPackages.sh
. scripts/debianPackages.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

have_torch() {
  for py in python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import torch' >/dev/null 2>&1; then return 0; fi
  done
  return 1
}

missing=()
have_torch || missing+=(python3-torch)
if command -v dpkg >/dev/null && ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then missing+=(libopenblas0-pthread); fi

if [ ${#missing[@]} -gt 0 ]; then
  debian_install setup "${missing[@]}"
  have_torch || { echo "setup: python3-torch installed but torch still does not import" >&2; exit 1; }
fi
