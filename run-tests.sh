#!/usr/bin/env bash
# The whole test suite from a clean tree: install dependencies, build with
# -Werror, run `make -j2 check` (unit, module, whole-PAM-transaction tests;
# the root-only ones run in private namespaces and never touch this
# machine's accounts), then the same suite under ASan/UBSan, then every
# libFuzzer target for a bounded time (clang, --enable-fuzzing, fuzz/run.sh).
#   sudo ./run-tests.sh                 everything
#   SSPR_SKIP_ASAN=1 ./run-tests.sh     skip the sanitizer pass
#   SSPR_SKIP_FUZZ=1 ./run-tests.sh     skip the fuzzing pass
#   SSPR_FUZZ_SECONDS=N ./run-tests.sh  fuzz each target N s (default 60)
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD
[ "$(id -u)" -eq 0 ] && scripts/install-deps.sh
./autogen.sh >/dev/null

run_suite() { # name, configure flags...
    local name=$1; shift
    local dir="$top/build-$name"
    rm -rf "$dir"; mkdir -p "$dir"
    (cd "$dir" && "$top/configure" --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
        --enable-werror "$@" >configure.out && make -j2 >make.out 2>&1 || { tail -40 make.out; exit 1; })
    echo "== $name: make -j2 check"
    local rc=0
    (cd "$dir" && make -j2 check >check.out 2>&1) || rc=$?
    sed -n '/^====/,$p' "$dir/check.out" | grep -E '^(#|=|FAIL|ERROR|SKIP)' || true
    if [ $rc -ne 0 ]; then
        for log in $(grep -lE '^(FAIL|ERROR)' $(find "$dir/tests" -name '*.log') 2>/dev/null); do
            echo "---- $log"; tail -60 "$log"
        done
    fi
    return $rc
}

run_fuzz() { # every fuzz target for SSPR_FUZZ_SECONDS; one test per target
    local dir="$top/build-fuzz"
    rm -rf "$dir"; mkdir -p "$dir"
    echo "== fuzz: make -j2 fuzz-targets, fuzz/run.sh (${SSPR_FUZZ_SECONDS:-60} s per target)"
    (cd "$dir" && "$top/configure" CC=clang --enable-fuzzing >configure.out 2>&1 &&
        make -j2 fuzz-targets >make.out 2>&1) || {
        tail -20 "$dir/configure.out"; [ -f "$dir/make.out" ] && tail -40 "$dir/make.out"
        return 1
    }
    local rc=0
    "$top/fuzz/run.sh" "$dir" "${SSPR_FUZZ_SECONDS:-60}" 2>&1 | tee "$dir/fuzz.out" || rc=$?
    return $rc
}

status=0
ran=(build-plain)
run_suite plain || status=1
if [ "${SSPR_SKIP_ASAN:-0}" != 1 ]; then
    ran+=(build-asan)
    run_suite asan --enable-sanitizers || status=1
fi
fuzzed=0
if [ "${SSPR_SKIP_FUZZ:-0}" != 1 ]; then
    fuzzed=1
    run_fuzz || status=1
fi
# One closing line for CI, summed over the passes that ran (not over stale
# output of a pass skipped this time).
pass=0; fail=0; skip=0
for d in "${ran[@]}"; do
    [ -f "$d/check.out" ] || continue
    p=$(sed -n 's/^# PASS: *//p' "$d/check.out" | tail -1); pass=$((pass + ${p:-0}))
    f=$(sed -n 's/^# FAIL: *//p' "$d/check.out" | tail -1); fail=$((fail + ${f:-0}))
    e=$(sed -n 's/^# ERROR: *//p' "$d/check.out" | tail -1); fail=$((fail + ${e:-0}))
    s=$(sed -n 's/^# SKIP: *//p' "$d/check.out" | tail -1); skip=$((skip + ${s:-0}))
done
if [ $fuzzed -eq 1 ] && [ -f build-fuzz/fuzz.out ]; then
    p=$(sed -n 's/^fuzz: \([0-9]*\) passed, [0-9]* failed$/\1/p' build-fuzz/fuzz.out | tail -1)
    f=$(sed -n 's/^fuzz: [0-9]* passed, \([0-9]*\) failed$/\1/p' build-fuzz/fuzz.out | tail -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
fi
[ $status -eq 0 ] || [ $fail -gt 0 ] || fail=1
echo "$pass passed, $fail failed, $skip skipped"
exit $status
