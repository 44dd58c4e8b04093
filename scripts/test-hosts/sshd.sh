#!/usr/bin/env bash
# A "remote" training host on this machine for test/e2e/sshExecutor.test.ts: Debian's openssh-server
# listening on 127.0.0.1 only, key authentication only, a test user to log in as. Needs root.
#
#   sshd.sh start   install openssh-server if missing, create the user and keys, start sshd, wait until a
#                   login works; prints the path of an ssh client config (Host alias bilevel-test) last
#   sshd.sh stop    stop the sshd this script started
#   sshd.sh install only install the Debian packages (npm test does it before any test runs)
#
# Idempotent: `start` with sshd already answering only prints the path. Everything (keys, config, pid,
# log) lives under $BILEVEL_SSHD_DIR; the system's /etc/ssh and any sshd already running are left alone.
set -euo pipefail

DIR=${BILEVEL_SSHD_DIR:-/tmp/bilevel-sshd}
PORT=${BILEVEL_SSHD_PORT:-2222}
TEST_USER=${BILEVEL_SSHD_USER:-arssh}
ALIAS=bilevel-test
CONF=$DIR/sshd_config
CLIENT_CONF=$DIR/ssh_config

say() { echo "sshd.sh: $*" >&2; }
die() { say "$*"; exit 1; }
# shellcheck source=../debianPackages.sh
. "$(dirname "$0")/../debianPackages.sh"

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

login_works() {
  [ -f "$CLIENT_CONF" ] && timeout 10 ssh -F "$CLIENT_CONF" -o BatchMode=yes -o ConnectTimeout=3 "$ALIAS" true </dev/null >/dev/null 2>&1
}

install_packages() {
  if [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null && command -v git >/dev/null; then
    return 0
  fi
  debian_install sshd.sh openssh-server openssh-client git || exit 1
  [ -x /usr/sbin/sshd ] || die "openssh-server installed but /usr/sbin/sshd is missing"
}

create_user() {
  if ! id "$TEST_USER" >/dev/null 2>&1; then
    say "creating the user $TEST_USER"
    useradd --create-home --shell /bin/bash "$TEST_USER"
  fi
  # useradd leaves the password "!" (locked), and sshd without PAM refuses even key logins to a locked
  # account; "*" means "no password can match" without counting as locked.
  usermod -p '*' "$TEST_USER"
}

write_keys_and_config() {
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  [ -f "$DIR/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C bilevel-test-host -f "$DIR/host_ed25519"
  [ -f "$DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C bilevel-test-client -f "$DIR/id_ed25519"

  local home ssh_dir
  home=$(getent passwd "$TEST_USER" | cut -d: -f6)
  ssh_dir=$home/.ssh
  mkdir -p "$ssh_dir"
  cp "$DIR/id_ed25519.pub" "$ssh_dir/authorized_keys"
  chown -R "$TEST_USER:" "$ssh_dir"
  chmod 700 "$ssh_dir" && chmod 600 "$ssh_dir/authorized_keys"
  # StrictModes refuses keys under a home that others may write to.
  chmod go-w "$home"

  cat >"$CONF" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_ed25519
PidFile $DIR/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $TEST_USER
StrictModes yes
# Tests open a few connections at once (git push, the run, checks).
MaxStartups 50:30:100
MaxSessions 50
Subsystem sftp internal-sftp
EOF

  cat >"$CLIENT_CONF" <<EOF
# Written by scripts/test-hosts/sshd.sh: a throwaway host on loopback with a throwaway key.
Host $ALIAS
  HostName 127.0.0.1
  Port $PORT
  User $TEST_USER
  IdentityFile $DIR/id_ed25519
  IdentitiesOnly yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
EOF
  chmod 600 "$DIR/id_ed25519" "$CLIENT_CONF"
}

stop() {
  local pidfile=$DIR/sshd.pid
  if pid_alive "$pidfile"; then
    local pid
    pid=$(cat "$pidfile")
    # Only the listener: sessions of a test still running end with their connections.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    say "stopped sshd"
  fi
  rm -f "$pidfile"
}

start() {
  [ "$(id -u)" = 0 ] || die "needs root (installs openssh-server, creates the user $TEST_USER, runs sshd)"
  # Test files may run at once, each calling start: one at a time, the later ones find it running.
  exec 9>"$DIR.lock"
  flock -w 900 9 || die "another start holds $DIR.lock"
  if pid_alive "$DIR/sshd.pid" && login_works; then
    echo "$CLIENT_CONF"
    return 0
  fi
  install_packages
  create_user
  write_keys_and_config
  stop
  # The privilege-separation directory sshd insists on (normally made by its systemd unit).
  mkdir -p /run/sshd && chmod 755 /run/sshd
  /usr/sbin/sshd -t -f "$CONF" || die "sshd rejects $CONF"
  # Daemonizes once listening; its messages go to the log, not to the caller's pipes.
  # 9>&-: the daemon must not keep start's lock.
  /usr/sbin/sshd -f "$CONF" -E "$DIR/sshd.log" </dev/null 9>&-
  for _ in $(seq 100); do
    if login_works; then
      echo "$CLIENT_CONF"
      return 0
    fi
    sleep 0.1
  done
  say "no login to $TEST_USER@127.0.0.1:$PORT within 10 s"
  tail -n 20 "$DIR/sshd.log" >&2 || true
  exit 1
}

case "${1:-}" in
  install) [ "$(id -u)" = 0 ] || die "needs root (installs openssh-server)"; install_packages ;;
  start) start ;;
  stop) stop ;;
  *) die "usage: sshd.sh install|start|stop" ;;
esac
