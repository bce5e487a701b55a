#!/usr/bin/env bash
# pam_sspr benchmarks (docs/benchmarks.md). As root, from the source tree:
#
#   sudo bench/run.sh [BUILDDIR]
#
# BUILDDIR: an existing configured build (default: build-bench/, configured
# and built here if missing). Builds bench/sspr-bench, stages `make install`,
# and runs bench/inside.sh in the throwaway sandbox (tests/sandbox/sandbox.sh),
# where it makes real users and PAM stacks. Prints the measurements and the
# ratios of this one run. Environment: BENCH_ROUNDS (normal path, default 300),
# BENCH_TRIGGER_ROUNDS (default 50), BENCH_STORE_USERS (default "100 100000"),
# BENCH_STORE_DIR (where the store bench writes; default BUILDDIR, on disk).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: run as root (it uses a namespace sandbox)" >&2; exit 1; }
build=$(cd "${1:-$top/build-bench}" 2>/dev/null && pwd || echo "${1:-$top/build-bench}")
if [ ! -f "$build/Makefile" ]; then
    echo "== configuring $build"
    mkdir -p "$build"
    [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null)
    (cd "$build" && "$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var >/dev/null)
fi
echo "== building (make bench) in $build"
make -C "$build" -j"$(nproc)" >/dev/null
make -C "$build" bench >/dev/null
rm -rf "$build/bench-stage"
make -C "$build" install DESTDIR="$build/bench-stage" >/dev/null
export SSPR_STAGE=$build/bench-stage SSPR_BUILDDIR=$build SSPR_SRCDIR=$top
exec /bin/sh "$top/tests/sandbox/sandbox.sh" /bin/bash "$top/bench/inside.sh"
