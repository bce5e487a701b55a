#!/usr/bin/env bash
# Run every libFuzzer target of a --enable-fuzzing build for a bounded time.
#   fuzz/run.sh BUILDDIR [SECONDS]     (SECONDS per target, default 60)
# Each target starts from a scratch copy of its committed corpus
# (fuzz/corpus/<target>, never grown by a run) under BUILDDIR/fuzz-run/,
# two targets at a time. One line per target; exit 1 when any target found
# a crash (a broken invariant aborts), a leak, a timeout (a unit running
# 10 s or more) or ran out of memory (the reproducer and the start of its
# report are printed), 2 on bad usage.
set -uo pipefail

usage() {
    echo "usage: fuzz/run.sh BUILDDIR [SECONDS]  (BUILDDIR configured with CC=clang --enable-fuzzing)" >&2
    exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
build=$(cd "$1" 2>/dev/null && pwd) || { echo "fuzz/run.sh: no such build directory: $1" >&2; exit 2; }
secs=${2:-60}
case $secs in '' | *[!0-9]* | 0) echo "fuzz/run.sh: SECONDS must be a positive whole number: $secs" >&2; exit 2 ;; esac
src=$(cd "$(dirname "$0")" && pwd)
jobs=2

# target  max_len  dictionary (fuzz/dict/)
targets=(
    "fuzz_wire       9000  wire"
    "fuzz_config    16384  config"
    "fuzz_record     8192  json"
    "fuzz_names      8192  json"
    "fuzz_template  16384  template"
    "fuzz_import     8192  import"
    "fuzz_pam_stack 12288  pam"
    "fuzz_ldap       8192  ldap"
)

for t in "${targets[@]}"; do
    read -r name _ _ <<<"$t"
    if [ ! -x "$build/fuzz/$name" ]; then
        echo "fuzz/run.sh: $build/fuzz/$name missing: configure with CC=clang --enable-fuzzing, then make fuzz-targets" >&2
        exit 2
    fi
done

# Reports: symbolized stacks, UBSan stops at the first finding, leaks count.
sym=$(command -v llvm-symbolizer 2>/dev/null || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | tail -1)
[ -n "$sym" ] && export ASAN_SYMBOLIZER_PATH=$sym
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

work=$build/fuzz-run
rm -rf "$work"
mkdir -p "$work"

run_one() { # name max_len dict
    local name=$1 len=$2 dict=$3 dir=$work/$1
    mkdir -p "$dir/corpus" "$dir/tmp"
    cp -R "$src/corpus/$name/." "$dir/corpus/"
    # -close_fd_mask=3: the targets' own chatter (import errors) stays out
    # of the log; libFuzzer's and the sanitizers' reports still go there.
    TMPDIR=$dir/tmp SSPR_FUZZ_NOTE=$dir/invariant "$build/fuzz/$name" \
        -max_total_time="$secs" -timeout=10 -report_slow_units=10 -max_len="$len" \
        -rss_limit_mb=2048 \
        -dict="$src/dict/$dict.dict" -close_fd_mask=3 -print_final_stats=1 \
        -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1
    echo $? >"$dir/rc"
}

running=0
for t in "${targets[@]}"; do
    read -r name len dict <<<"$t"
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$name" "$len" "$dict" &
    running=$((running + 1))
done
wait

stat() { # file key
    sed -n "s/^stat::$2: *//p" "$1" | tail -1
}

pass=0
fail=0
failed=()
echo "== fuzz: ${secs} s per target, $jobs at a time ($work)"
for t in "${targets[@]}"; do
    read -r name _ _ <<<"$t"
    dir=$work/$name
    rc=$(cat "$dir/rc" 2>/dev/null || echo 99)
    execs=$(stat "$dir/log" number_of_executed_units)
    rate=$(stat "$dir/log" average_exec_per_sec)
    last=$(grep -E '^#[0-9]+' "$dir/log" | grep -F 'cov:' | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    artifact=$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-* 2>/dev/null | head -1)
    if [ "$rc" = 0 ] && [ -z "$artifact" ]; then
        result=ok
        pass=$((pass + 1))
    else
        case $artifact in
        */leak-*) result=LEAK ;;
        */timeout-* | */slow-unit-*) result=TIMEOUT ;;
        */oom-*) result=OOM ;;
        */crash-*) result=CRASH ;;
        *) [ "$rc" = 70 ] && result=TIMEOUT || result="ERROR($rc)" ;;
        esac
        fail=$((fail + 1))
        failed+=("$name")
    fi
    printf '%-15s %-8s %10s execs %8s/s  cov %-5s ft %-5s corpus %s\n' "$name" "$result" \
        "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"
done

for name in "${failed[@]}"; do
    dir=$work/$name
    artifact=$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-* 2>/dev/null | head -1)
    echo "---- $name: log $dir/log"
    if [ -n "$artifact" ]; then
        echo "reproducer: $artifact ($(wc -c <"$artifact") bytes; base64: $(head -c 300 "$artifact" | base64 -w0))"
        echo "rerun:      TMPDIR=$dir/tmp $build/fuzz/$name $artifact"
    fi
    # what the target said when it broke (its stderr was closed), even when
    # the rerun of the input alone does not break it again
    [ -s "$dir/invariant" ] && echo "when it broke: $(head -3 "$dir/invariant")"
    case $artifact in
    */crash-* | */leak-*)
        # A rerun shows the target's own message (which invariant) first.
        TMPDIR=$dir/tmp timeout 60 "$build/fuzz/$name" -timeout=10 "$artifact" 2>&1 |
            sed -n '/^Running: /,$p' | sed 1d | head -24
        ;;
    *)
        # a timeout (a unit that ran 10 s or more) or an out-of-memory
        grep -m1 -A20 -E 'ALARM|==[0-9]+==|ERROR:|Slowest unit' "$dir/log" || tail -20 "$dir/log"
        ;;
    esac
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$work"
[ "$fail" -eq 0 ]
