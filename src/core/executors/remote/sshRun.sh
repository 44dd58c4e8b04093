#!/usr/bin/env bash
# One experiment over ssh (see sshExecutor.ts), run as
#   bash --norc --noprofile -c <this> bilevel-ssh <remoteDir> <commit> <command> <graceTicks> <silenceSeconds> <marker> [NAME=value...]
# Checks out the commit and runs the command in its own session and process group (pgid = the pid
# that `setsid` becomes: a background job of a non-interactive shell is never a group leader, so
# setsid does not fork). Then waits for either the command to end or its stdin (the ssh channel) to
# end or go silent, and kills the group. Reports on stderr, each line "<marker> ...":
#   setup <problem>     the checkout failed; nothing ran
#   started <pgid>      printed by the group leader itself, before any output of the command
#   watchdog            stdin ended or went silent: the group is being killed
#   exit code <n> | exit signal <NAME>
# A status above 128 is read as death by a signal, as the shell reports it.
set -u
dir=$1 commit=$2 cmd=$3 grace_ticks=$4 silence=$5 m=$6
shift 6
case $dir in "~") dir=$HOME ;; "~/"*) dir=$HOME/${dir#"~/"} ;; esac
setup_failed() { printf '%s setup %s\n' "$m" "$1" >&2; exit 0; }
cd -- "$dir" 2>/dev/null || setup_failed "cannot enter $dir"
out=$(git -c advice.detachedHead=false checkout --quiet --detach --force "$commit" 2>&1) || setup_failed "git checkout $commit failed: ${out##*$'\n'}"
exec 3<&0
setsid env "$@" bash -c 'printf "%s started %s\n" "$1" "$$" >&2; exec bash -c "$2"' bilevel-run "$m" "$cmd" </dev/null 3<&- &
pgid=$!
# A write to a dead connection must not end this script before it has killed the group.
trap '' PIPE
stop_group() {
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  local i=0
  while [ "$i" -lt "$grace_ticks" ] && kill -0 -- "-$pgid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  kill -KILL -- "-$pgid" 2>/dev/null
  return 0
}
trap 'stop_group; exit 129' HUP
trap 'stop_group; exit 130' INT
trap 'stop_group; exit 143' TERM
{
  while IFS= read -r -t "$silence" -u 3 _; do :; done
  printf '%s watchdog\n' "$m" >&2
  stop_group
} &
watchdog=$!
wait "$pgid"
status=$?
kill "$watchdog" 2>/dev/null
# Whatever the command left running in its group goes too: a stray worker must not hold the GPU.
stop_group
if [ "$status" -gt 128 ] && sig=$(kill -l "$((status - 128))" 2>/dev/null); then
  printf '%s exit signal %s\n' "$m" "$sig" >&2
else
  printf '%s exit code %s\n' "$m" "$status" >&2
fi
