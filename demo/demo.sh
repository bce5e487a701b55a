#!/usr/bin/env bash
# The pam_sspr demo: "Forgot your password?" at a real login and ssh prompt,
# in a throwaway sandbox. Run from the top of the source tree as root
# (./demo.sh in a root shell, or sudo ./demo.sh):
#
#   ./demo.sh            install packages, build, open the sandbox
#   ./demo.sh --check    the same without a terminal: sets the sandbox up,
#                        walks the on-screen instructions with pexpect
#                        (ssh and login), exits 0 / 1 (77 when it cannot run)
#
# Options: --no-deps (skip apt-get), --rebuild (configure and build afresh).
# Environment: SSPR_STAGE=DIR uses an existing `make install DESTDIR=DIR`
# tree instead of building (the test suite does this); SSPR_DEMO_BUILD=DIR
# is where the build goes (default: build-demo/ in the source tree).
#
# The sandbox (tests/sandbox/sandbox.sh) has private mount, network and PID
# namespaces with overlays over /etc /usr /var /home /root: the demo users, the
# PAM lines, the sshd on 127.0.0.1 all vanish when you leave it. The machine
# keeps only the packages apt-get installed (no service of theirs enabled or
# running: scripts/install-deps.sh) and the build directory.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
check=0 deps=1 rebuild=0
for a in "$@"; do
    case "$a" in
    --check) check=1 ;;
    --no-deps) deps=0 ;;
    --rebuild) rebuild=1 ;;
    -h | --help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option $a (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
[ -t 1 ] || say() { printf '==> %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
    if [ $check = 1 ]; then echo "SKIP: the demo needs root"; exit 77; fi
    echo "The demo needs root (it builds a sandbox with namespaces): run $0 as root" \
        "(in a root shell, or with sudo)" >&2
    exit 1
fi

# ---- 1. packages --------------------------------------------------------------------
if [ $check = 0 ] && [ $deps = 1 ]; then
    say "Checking the packages the demo needs (apt-get installs what is missing)"
    "$top/scripts/install-deps.sh"
fi
for tool in unshare oathtool sshd login python3; do
    command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
    if ! command -v "$tool" >/dev/null 2>&1; then
        if [ $check = 1 ]; then echo "SKIP: $tool not installed"; exit 77; fi
        echo "demo.sh: $tool is missing; run scripts/install-deps.sh" >&2
        exit 1
    fi
done
if [ $check = 1 ] && ! /usr/bin/python3 -c 'import pexpect' 2>/dev/null; then
    echo "SKIP: python3-pexpect not installed"; exit 77
fi

# ---- 2. build and stage ---------------------------------------------------------------
if [ -n "${SSPR_STAGE:-}" ]; then
    stage=$SSPR_STAGE
    [ -x "$stage/usr/sbin/sspr-helper" ] ||
        { echo "demo.sh: SSPR_STAGE=$stage has no usr/sbin/sspr-helper" >&2; exit 1; }
else
    build=${SSPR_DEMO_BUILD:-$top/build-demo}
    stage=$build/stage
    log=$build/build.log
    mkdir -p "$build"
    : >"$log"
    step() { # message, command...
        local msg=$1; shift
        say "$msg"
        if ! "$@" >>"$log" 2>&1; then
            echo "demo.sh: that failed; the end of $log:" >&2
            tail -25 "$log" >&2
            exit 1
        fi
    }
    if [ ! -x "$top/configure" ]; then
        step "Generating the build system (autogen.sh)" sh -c "cd '$top' && ./autogen.sh"
    fi
    if [ $rebuild = 1 ] || [ ! -f "$build/Makefile" ]; then
        step "Configuring in ${build#"$top"/}" sh -c "cd '$build' && '$top/configure' \
            --prefix=/usr --sysconfdir=/etc --localstatedir=/var"
    fi
    step "Building pam_sspr.so and sspr-helper (make -j$(nproc))" make -C "$build" -j"$(nproc)"
    step "Staging the install (make install DESTDIR=${stage#"$top"/})" \
        sh -c "rm -rf '$stage' && make -C '$build' install DESTDIR='$stage'"
fi

# ---- 3. the sandbox ---------------------------------------------------------------
export SSPR_STAGE=$stage SSPR_SRCDIR=$top
if [ $check = 1 ]; then
    exec /bin/sh "$top/tests/sandbox/sandbox.sh" /bin/bash "$top/demo/inside.sh" --check
fi
say "Opening the sandbox (nothing you do inside it touches this machine)"
# the user's own terminal must be visible inside for login and ssh
export SSPR_SANDBOX_HOST_PTS=1
rc=0
/bin/sh "$top/tests/sandbox/sandbox.sh" /bin/bash "$top/demo/inside.sh" || rc=$?
if [ $rc = 77 ]; then
    echo "demo.sh: this machine cannot run the sandbox (namespaces or overlayfs missing)." >&2
    exit 1
fi
say "Sandbox closed: the demo user, its password, the sshd and the PAM lines are gone."
exit $rc
