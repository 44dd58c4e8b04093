#!/bin/sh
# The ssh executor's check of a host (see sshExecutor.ts), run as `sh -c <this> bilevel-ssh <remoteDir> <marker>`.
# Prints one line "<marker> <verdict> [detail]". POSIX sh, since bash is one of the things it checks for.
dir=$1 m=$2
case $dir in "~") dir=$HOME ;; "~/"*) dir=$HOME/${dir#"~/"} ;; esac
report() { printf '%s %s\n' "$m" "$*"; exit 0; }
for tool in bash git setsid; do
  command -v "$tool" >/dev/null 2>&1 || report missing-tool "$tool"
done
[ -e "$dir" ] || report no-dir
[ -d "$dir" ] || report not-dir
cd -- "$dir" 2>/dev/null || report no-access
inside=$(git rev-parse --is-inside-work-tree 2>&1) || report not-git "$(printf '%s\n' "$inside" | tail -n 1)"
[ "$inside" = true ] || report not-git "a bare repository has no working copy to run in"
prefix=$(git rev-parse --show-prefix 2>&1) || report git-failed "$(printf '%s\n' "$prefix" | tail -n 1)"
[ -z "$prefix" ] || report not-top "$(git rev-parse --show-toplevel)"
changes=$(git status --porcelain --untracked-files=no 2>&1) || report git-failed "$(printf '%s\n' "$changes" | tail -n 1)"
[ -z "$changes" ] || report dirty $(printf '%s\n' "$changes" | head -n 5 | cut -c4-)
report ok
