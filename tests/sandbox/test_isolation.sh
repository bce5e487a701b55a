#!/bin/sh
# The sandbox must not write to the real system: run useradd, chpasswd,
# a package-style install and writes under every overlaid directory inside
# it, then check that the host's account files are byte-identical and that
# nothing under /etc /usr /var /home /root is newer than before.
# Exit 0 pass, 1 fail, 77 skip (not root / no namespaces).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
sandbox="$here/sandbox.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root and unshare (mount/net/pid namespaces)"; exit 77; }

marker=$(mktemp /tmp/sspr-isolation.XXXXXX)
sums=$(mktemp /tmp/sspr-isolation-sums.XXXXXX)
scratch=$(mktemp -d /tmp/sspr-isolation-scratch.XXXXXX)
trap 'rm -rf "$marker" "$sums" "$scratch"' EXIT
files="/etc/passwd /etc/shadow /etc/group /etc/gshadow"
# shellcheck disable=SC2086
sha256sum $files >"$sums"
sleep 1.1 # coarse timestamps: make "newer than the marker" unambiguous
touch "$marker"

user="sspriso$$"
rc=0
SSPR_STAGE='' SSPR_SANDBOX_TMP=$scratch "$sandbox" sh -ec "
    useradd -m '$user'
    echo '$user:Isolation-Test-Pass-1' | chpasswd
    usermod -L '$user'
    mkdir -p /etc/sspr /var/lib/sspr /usr/lib/sspr-test /root/.sspr /home/sspr-x
    echo x >/etc/sspr/sspr.conf
    echo x >/usr/lib/sspr-test/x
    echo x >/var/lib/sspr/x
    echo x >/root/.sspr/x
    : >/tmp/in-sandbox-tmp
    : >/run/in-sandbox-run
    grep -q '^$user:' /etc/passwd
    # /dev is private: a socket at /dev/log stays in the sandbox
    python3 -c 'import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(\"/dev/log\")'
    test -S /dev/log
" || rc=$?
if [ "$rc" = 77 ]; then
    exit 77
fi
if [ "$rc" != 0 ]; then
    echo "FAIL: the commands inside the sandbox failed ($rc)"
    exit 1
fi

fail=0
if ! sha256sum --quiet -c "$sums"; then
    echo "FAIL: host account files changed"
    fail=1
fi
if grep -q "^$user:" /etc/passwd; then
    echo "FAIL: $user exists on the host"
    fail=1
fi
# What we wrote inside must not exist on the host (or be older than us).
# Only our own names are checked: other processes may write to the host
# at the same time.
for p in /etc/sspr/sspr.conf /usr/lib/sspr-test/x /var/lib/sspr/x /root/.sspr /home/sspr-x \
    /home/"$user" /tmp/in-sandbox-tmp /run/in-sandbox-run /dev/log; do
    if [ -n "$(find "$p" -maxdepth 0 -newer "$marker" 2>/dev/null)" ]; then
        echo "FAIL: $p was written on the host"
        fail=1
    fi
done
newer=$(find /etc /usr /var /home /root -xdev -newer "$marker" \
    \( -name "*$user*" -o -path '*sspr*' \) 2>/dev/null | head -20)
if [ -n "$newer" ]; then
    echo "FAIL: files changed on the host:"
    echo "$newer"
    fail=1
fi
if [ -n "$(ls -A "$scratch")" ]; then
    echo "FAIL: scratch directory left behind in $scratch:"
    ls -la "$scratch"
    fail=1
fi
[ "$fail" = 0 ] && echo "PASS: host untouched"
exit "$fail"
