#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for test/e2e/slurmExecutor.test.ts: Debian's slurm-wlm and
# munge, slurmctld + slurmd run directly (no systemd), everything under $BILEVEL_SLURM_DIR. Needs root.
#
#   slurm.sh start   install if missing, start munged/slurmctld/slurmd, wait until the node is idle;
#                    prints SLURM_CONF=<path> last (clients need it: the config is not /etc/slurm's)
#   slurm.sh stop    stop the daemons this script started
#   slurm.sh install only install the Debian packages (npm test does it before any test runs)
#
# Idempotent: `start` on a healthy cluster only prints the path. The config is private (not
# /etc/slurm/slurm.conf) so that a machine that is a real cluster node keeps its own. No slurmdbd, so
# `sacct` does not work here: final job states come from `scontrol show job` (MinJobAge keeps them).
set -euo pipefail

DIR=${BILEVEL_SLURM_DIR:-/tmp/bilevel-slurm}
CONF=$DIR/slurm.conf
NODE=$(hostname -s)
export SLURM_CONF=$CONF

say() { echo "slurm.sh: $*" >&2; }
die() { say "$*"; exit 1; }
# shellcheck source=../debianPackages.sh
. "$(dirname "$0")/../debianPackages.sh"

# Alive and not a zombie (in a container whose pid 1 does not reap, a dead daemon stays one).
alive() { [ -r "/proc/$1/stat" ] && [ "$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat")" != Z ]; }
pid_alive() { [ -f "$1" ] && alive "$(cat "$1")"; }

node_idle() {
  [ -f "$CONF" ] || return 1
  local state
  state=$(timeout 10 sinfo -h -n "$NODE" -o %t 2>/dev/null) || return 1
  # `idle`, or `mix`/`alloc` while a test's job is running: the node is up either way.
  case "$state" in idle* | mix* | alloc*) return 0 ;; *) return 1 ;; esac
}

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return 0
  fi
  debian_install slurm.sh slurm-wlm munge || exit 1
}

start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    say "creating a munge key"
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  fi
  chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge
  chmod 700 /etc/munge && chmod 600 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  # 9>&-: a daemon must not keep start's lock.
  runuser -u munge -- /usr/sbin/munged 9>&-
  for _ in $(seq 50); do
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
      cp /run/munge/munged.pid "$DIR/munged.pid" 2>/dev/null || true
      return 0
    fi
    sleep 0.1
  done
  die "munged did not start (see /var/log/munge/munged.log)"
}

write_config() {
  mkdir -p "$DIR/state" "$DIR/spool"
  # The CPU topology as slurmd sees it (a node configured otherwise may be refused), but RealMemory
  # well under the machine's: slurmd drains a node that has less than configured.
  local hardware
  hardware=$(slurmd -C 2>/dev/null | head -n 1 | grep -oE '(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore)=[0-9]+' | tr '\n' ' ') || true
  [ -n "$hardware" ] || hardware="CPUs=$(nproc) "
  cat >"$CONF" <<EOF
ClusterName=bilevel-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
# Listen on the configured addresses (127.0.0.1 above and below) instead of every interface.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
# No cgroups in a container: track processes by their parent chain, bind nothing.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Schedule a submitted batch job at once, not on the default 3 s cadence meant for high submission rates.
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# Finished jobs stay visible to scontrol for 5 minutes: that is where the tests read final states.
MinJobAge=300
# SIGTERM to SIGKILL on scancel or a time limit: short, so that cancelled test jobs go quickly.
KillWait=2
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$NODE NodeAddr=127.0.0.1 ${hardware}RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
# MaxTime=1 minute: a job asking for more pends forever (PartitionTimeLimit).
PartitionName=short Nodes=ALL MaxTime=1 State=UP
EOF
}

stop_daemon() {
  local name=$1 pidfile=$DIR/$1.pid
  if pid_alive "$pidfile"; then
    local pid
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    say "stopped $name"
  fi
  rm -f "$pidfile"
}

stop() {
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
}

start() {
  [ "$(id -u)" = 0 ] || die "needs root (installs packages, runs slurmctld and slurmd as root)"
  # Test files may run at once, each calling start: one at a time, the later ones find it running.
  exec 9>"$DIR.lock"
  flock -w 900 9 || die "another start holds $DIR.lock"
  if pid_alive "$DIR/slurmctld.pid" && pid_alive "$DIR/slurmd.pid" && node_idle; then
    echo "SLURM_CONF=$CONF"
    return 0
  fi
  install_packages
  stop_daemon slurmd
  stop_daemon slurmctld
  mkdir -p "$DIR"
  start_munge
  write_config
  # A fresh state each start (-c): no jobs recovered from an earlier cluster with another config.
  rm -rf "$DIR/state" "$DIR/spool" && mkdir -p "$DIR/state" "$DIR/spool"
  # Both daemonize; their output goes to their log files, not to the caller's pipes.
  setsid slurmctld -c -f "$CONF" </dev/null >>"$DIR/daemons.out" 2>&1 9>&-
  setsid slurmd -f "$CONF" -N "$NODE" </dev/null >>"$DIR/daemons.out" 2>&1 9>&-
  for _ in $(seq 300); do
    if node_idle; then
      echo "SLURM_CONF=$CONF"
      return 0
    fi
    sleep 0.1
  done
  say "the node did not become idle within 30 s"
  sinfo -N -l >&2 || true
  tail -n 20 "$DIR/slurmctld.log" "$DIR/slurmd.log" "$DIR/daemons.out" >&2 || true
  exit 1
}

case "${1:-}" in
  install) [ "$(id -u)" = 0 ] || die "needs root (installs slurm-wlm and munge)"; install_packages ;;
  start) start ;;
  stop) stop ;;
  *) die "usage: slurm.sh install|start|stop" ;;
esac
