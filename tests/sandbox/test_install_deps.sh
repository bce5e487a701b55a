#!/bin/sh
# scripts/install-deps.sh leaves no service of what it installed enabled or
# running, and its policy-rc.d never outlives it (issue 9 item 13). Inside a
# sandbox (the host's packages are never touched): openssh-server is purged,
# its .deb put into apt's cache (downloaded once into the build directory:
# the sandbox has no network), and the script installs it again
#   1. with apt-get failing:      the policy-rc.d is gone afterwards
#   2. interrupted by SIGINT:     the same
#   3. for real:                  ssh.service not enabled, no sysvinit start
#                                 links, no sshd running, no policy-rc.d left
#   4. under an existing policy-rc.d: that one is kept as it was
#   5. with names dpkg has never heard of (a fresh machine): still installs
# Exit 0 pass, 1 fail, 77 skip (not root, no namespaces, no .deb).
# shellcheck disable=SC2016,SC2317 # fake programs' text; check() calls the helpers
set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
    echo "SKIP: not Debian"
    exit 77
fi

if [ "${1:-}" != --inside ]; then
    cache=${SSPR_BUILDDIR:-$PWD}/tests/debs
    mkdir -p "$cache"
    if ! ls "$cache"/openssh-server_*.deb >/dev/null 2>&1; then
        (cd "$cache" && apt-get download openssh-server >/dev/null 2>&1) ||
            { echo "SKIP: cannot download openssh-server (no network?)"; exit 77; }
    fi
    deb=$(find "$cache" -name 'openssh-server_*.deb' | head -1)
    SSPR_STAGE='' SSPR_BUILDDIR="$cache" exec "$here/sandbox.sh" /bin/sh "$0" --inside "$deb"
fi

deb=$2
fail=0
check() { # description, then a command that must succeed
    what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
no_policy() { [ ! -e /usr/sbin/policy-rc.d ]; }
not_enabled() {
    st=$(systemctl is-enabled ssh.service 2>/dev/null || true)
    [ "$st" != enabled ] && [ "$st" != enabled-runtime ]
}
no_start_links() { ! ls /etc/rc[2-5].d/S*ssh >/dev/null 2>&1; }
no_sshd() { ! pgrep -x sshd >/dev/null; }

rm -f /usr/sbin/policy-rc.d # the sandbox's copy of the host's, if any
dpkg --purge openssh-server >/dev/null 2>&1 || { echo "FAIL: cannot purge openssh-server"; exit 1; }
cp "$deb" /var/cache/apt/archives/
mkdir -p /tmp/fake

printf '#!/bin/sh\n[ "$1" = update ] && exit 0\nexit 100\n' >/tmp/fake/apt-get
chmod 0755 /tmp/fake/apt-get
PATH=/tmp/fake:$PATH "$srcdir/scripts/install-deps.sh" >/dev/null 2>&1
check "apt-get failed: no policy-rc.d left" no_policy

printf '#!/bin/sh\n[ "$1" = update ] && exit 0\nexec sleep 30\n' >/tmp/fake/apt-get
PATH=/tmp/fake:$PATH env --default-signal=INT "$srcdir/scripts/install-deps.sh" >/dev/null 2>&1 &
pid=$!
sleep 1
check "while apt-get runs: a policy-rc.d refusing starts" sh -c '/usr/sbin/policy-rc.d ssh start; [ $? = 101 ]'
kill -INT "$pid" $(pgrep -P "$pid") 2>/dev/null
wait "$pid"
check "interrupted: no policy-rc.d left" no_policy

out=$("$srcdir/scripts/install-deps.sh" 2>&1)
rc=$?
echo "$out" | grep -v '^W: ' | sed 's/^/  | /'
check "installed: exit 0" [ "$rc" = 0 ]
check "installed: openssh-server is there" dpkg-query -W openssh-server
check "installed: no policy-rc.d left" no_policy
check "installed: ssh.service not enabled" not_enabled
check "installed: no sysvinit start links for ssh" no_start_links
check "installed: no sshd running" no_sshd

dpkg --purge openssh-server >/dev/null 2>&1
printf '#!/bin/sh\n# the admin s own\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d
sum=$(cksum </usr/sbin/policy-rc.d)
"$srcdir/scripts/install-deps.sh" >/dev/null 2>&1
check "an existing policy-rc.d is kept" [ "$(cksum </usr/sbin/policy-rc.d 2>/dev/null)" = "$sum" ]
check "under it: ssh.service not enabled" not_enabled

# 5. A fresh machine's dpkg has never heard of most of the names: dpkg-query
#    -W then exits 1 (with pipefail, that once ended the script before it
#    installed anything). A wrapper adds a name nobody knows to every query.
dpkg --purge openssh-server >/dev/null 2>&1
rm -f /usr/sbin/policy-rc.d
printf '#!/bin/sh\nif [ "$1" = -W ] && [ $# -gt 2 ]; then set -- "$@" sspr-no-such-package; fi\nexec /usr/bin/dpkg-query "$@"\n' >/tmp/fake/dpkg-query
chmod 0755 /tmp/fake/dpkg-query
rm -f /tmp/fake/apt-get
PATH=/tmp/fake:$PATH "$srcdir/scripts/install-deps.sh" >/dev/null 2>&1
check "a name dpkg does not know: openssh-server is installed all the same" \
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' openssh-server 2>/dev/null)" = "ii " ]
exit "$fail"
