#!/bin/sh
# The sandbox's command must get the signal dispositions of a foreground
# job: sandbox.sh starts unshare in the background of a non-interactive
# shell, which ignores SIGINT and SIGQUIT for it, and ignored signals stay
# ignored through exec: Ctrl-C did nothing in the demo (issue 9 item 6).
# Checks SigIgn of the command and of a program it starts, for SIGINT (bit
# 1) and SIGQUIT (bit 2), and that SIGINT really ends such a program.
# Exit 0 pass, 1 fail, 77 skip (not root / no namespaces).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sandbox="$here/sandbox.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root and unshare (mount/net/pid namespaces)"; exit 77; }

rc=0
# shellcheck disable=SC2016 # expanded inside the sandbox
out=$(SSPR_STAGE='' "$sandbox" /bin/sh -c '
    sed -n "s/^SigIgn:[[:space:]]*/command /p" /proc/$$/status
    sh -c "sed -n \"s/^SigIgn:[[:space:]]*/child /p\" /proc/\$\$/status"
    sh -c "kill -INT \$\$; echo survived" || echo "int-status $?"
') || rc=$?
[ "$rc" = 77 ] && exit 77
if [ "$rc" != 0 ]; then
    echo "FAIL: the sandbox command failed ($rc): $out"
    exit 1
fi
echo "$out"
fail=0
for who in command child; do
    mask=$(echo "$out" | sed -n "s/^$who //p")
    [ -n "$mask" ] || { echo "FAIL: no SigIgn for the $who"; fail=1; continue; }
    if [ $((0x$mask & 0x6)) != 0 ]; then
        echo "FAIL: the $who ignores SIGINT or SIGQUIT (SigIgn $mask)"
        fail=1
    fi
done
# a program that gets SIGINT ends (status 130), as on Ctrl-C; the demo's
# --check presses Ctrl-C in its interactive shell as well
if ! echo "$out" | grep -qx "int-status 130"; then
    echo "FAIL: SIGINT did not end a program in the sandbox"
    fail=1
fi
[ "$fail" = 0 ] && echo "PASS: SIGINT and SIGQUIT have their default action in the sandbox"
exit "$fail"
