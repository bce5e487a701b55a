#!/usr/bin/env bash
# pam_sspr benchmarks (docs/benchmarks.md). As root:
#
#   bench/run.sh [BUILDDIR]
#
# Without BUILDDIR: the source tree itself when it is configured in place
# (./configure was run there), else build-bench/ (configured and built here
# if missing; on a fresh clone autogen.sh runs first). With BUILDDIR: that
# build directory, configured here if it has no Makefile yet. Builds
# (make, make bench), stages `make install` into BUILDDIR/bench-run/, and
# runs bench/inside.sh in the throwaway sandbox (tests/sandbox/sandbox.sh).
# Prints each measurement against its baseline from the same run and
# PASS/MISS per target; exits 1 only when a measurement could not be taken.
#
# Environment (defaults): BENCH_ROUNDS (200) normal-path rounds,
# BENCH_STARTUP_ROUNDS (40), BENCH_PROMPT_ROUNDS (60), BENCH_RESET_ROUNDS (20),
# BENCH_PARALLEL_ROUNDS (10), BENCH_MAIL_ROUNDS (3), BENCH_GC_RECORDS (10000),
# BENCH_GC_ROUNDS (3), BENCH_GC_FLOW_RECORDS (20000), BENCH_GC_FLOWS (160),
# BENCH_LDAP_ROUNDS (20), BENCH_LDAP_WRONG (10), BENCH_TRACE_PASSES (1: the
# "where the time goes" passes after sections 3, 6 and 8; 0: none),
# BENCH_ONLY (sections to run, e.g. "3 6"; default all),
# BENCH_DISK (1: /var/lib/sspr bind-mounted from BUILDDIR/bench-run/state
# and the sandbox's writable layers, so /etc/shadow, on the build
# directory's disk, so that fsync costs what it costs; 0: all on a tmpfs).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd -P)
die() { echo "bench/run.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (it uses a namespace sandbox)"
[ $# -le 1 ] || die "usage: bench/run.sh [BUILDDIR]"

inplace=0
[ -f "$top/config.status" ] && inplace=1
if [ $# -eq 1 ]; then
    mkdir -p "$1"
    build=$(cd "$1" && pwd -P)
elif [ "$inplace" = 1 ]; then
    build=$top # configured in place: configure refuses any other build directory
else
    build=$top/build-bench
fi

if [ ! -f "$build/Makefile" ]; then
    # autoconf refuses a second, out-of-tree build of a source tree that is
    # configured in place ("source directory already configured")
    [ "$inplace" = 0 ] || [ "$build" = "$top" ] ||
        die "$top is configured in place, so configure refuses to build in $build; run bench/run.sh without an argument to use the in-place build, or 'make distclean' in $top first"
    echo "== configuring $build"
    mkdir -p "$build"
    [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null)
    (cd "$build" && "$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var >/dev/null)
fi
src=$(sed -n 's/^abs_top_srcdir = //p' "$build/Makefile")
[ "$(cd "$src" 2>/dev/null && pwd -P)" = "$top" ] ||
    die "$build is a build of $src, not of $top"

echo "== building (make, make bench) in $build"
make -C "$build" -j"$(nproc)" >/dev/null
make -C "$build" bench >/dev/null
out=$build/bench-run
rm -rf "$out"
mkdir -p "$out"
make -C "$build" install DESTDIR="$out/stage" >/dev/null

keep=()
if [ "${BENCH_DISK:-1}" = 1 ]; then
    case "$out/" in
    /etc/* | /usr/* | /var/* | /home/* | /root/*)
        echo "== $out lies under a directory the sandbox overlays: its writable layers stay on a tmpfs"
        ;;
    *)
        keep=(--keep)
        export SSPR_SANDBOX_TMP=$out
        ;;
    esac
fi
export SSPR_STAGE=$out/stage SSPR_BUILDDIR=$build SSPR_SRCDIR=$top BENCH_DISK=${BENCH_DISK:-1}
rc=0
/bin/sh "$top/tests/sandbox/sandbox.sh" "${keep[@]}" /bin/bash "$top/bench/inside.sh" 2> >(grep -v '^sandbox.sh: kept upper layers' >&2) || rc=$?
rm -rf "$out"/sspr-sandbox.* "$out/state" "$out/disk" "$out/slapd-db" "$out/ldapstate"
exit "$rc"
