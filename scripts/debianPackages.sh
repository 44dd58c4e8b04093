# Sourced, not run: `debian_install WHO PACKAGE...` installs Debian packages for the scripts that
# need them (setup, the bench, the test hosts). One place for the rules they share:
# - root, or passwordless sudo; otherwise one line saying what to run by hand;
# - no daemon starts from a package's postinst (a policy-rc.d that says no, as Docker images ship):
#   the test hosts run their own, with their own config;
# - several installs run at once (test files in parallel): wait for dpkg's lock instead of failing;
# - the package lists are refreshed only when an install fails without them.

debian_install() {
  local who=$1
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$who: $* missing and this is not a Debian/Ubuntu system; install them by hand" >&2
    return 1
  fi
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo); else
      echo "$who: installing $* needs root; run: sudo apt-get install -y --no-install-recommends $*" >&2
      return 1
    fi
  fi
  echo "$who: installing Debian packages: $*" >&2
  local policy=/usr/sbin/policy-rc.d added_policy=
  if [ ! -e $policy ]; then
    "${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' >$policy && chmod +x $policy" && added_policy=1
  fi
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300) rc=0
  if ! "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null; then
    "${apt[@]}" update -qq && "${apt[@]}" install -y -qq --no-install-recommends "$@" >/dev/null || rc=$?
  fi
  [ -z "$added_policy" ] || "${sudo[@]}" rm -f $policy
  return $rc
}
