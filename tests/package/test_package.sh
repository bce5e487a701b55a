#!/bin/sh
# The Debian package, with the real tools: dpkg-buildpackage (twice, two
# versions), lintian, apt-get, pam-auth-update, dpkg. Everything happens in a
# throwaway sandbox (tests/sandbox/sandbox.sh) WITHOUT the staged install: the
# source tree is copied into the sandbox's /tmp, built there, and the .debs
# installed over the sandbox's overlays of /etc /usr /var (dpkg's database
# included). See package_inside.py for the steps.
# Exit 0 pass, 1 fail, 77 skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${SSPR_SRCDIR:-$(cd "$here/../.." && pwd)}
builddir=${SSPR_BUILDDIR:-$PWD}
# Debian's python3 (what configure's PYTHON3 finds first): its python3-aiosmtpd
# runs the SMTP server, not a python3 that happens to come first in PATH
python=/usr/bin/python3
[ -x "$python" ] || python=python3

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the sandbox)"; exit 77; }
missing=
for tool in dpkg-buildpackage dh dh_autoreconf dch lintian apt-get dpkg-checkbuilddeps \
    pam-auth-update adduser "$python"; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    echo "SKIP: not installed:$missing (scripts/install-deps.sh installs debhelper," \
        "dh-autoreconf, devscripts, lintian)"
    exit 77
fi
# The package is built from the sources with Debian's flags, whatever this
# build tree was configured with: one run per suite is enough.
if grep -q '^SAN_LDFLAGS = .*-fsanitize' "$builddir/Makefile" 2>/dev/null; then
    echo "SKIP: sanitizer build tree (the package test runs in the plain build)"
    exit 77
fi
if [ ! -x "$builddir/tests/pam/pamdrive" ]; then
    echo "FAIL: $builddir/tests/pam/pamdrive not built (make check builds it)"
    exit 1
fi
if ! (cd "$srcdir" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
    echo "SKIP: build dependencies missing: $(cd "$srcdir" && dpkg-checkbuilddeps 2>&1)"
    exit 77
fi

SSPR_STAGE='' SSPR_SRCDIR=$srcdir SSPR_BUILDDIR=$builddir \
    exec "$srcdir/tests/sandbox/sandbox.sh" "$python" -B "$here/package_inside.py" "$@"
