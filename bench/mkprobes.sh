#!/bin/sh
# Loader probes for bench/sspr-bench startup (docs/benchmarks.md): the
# empty program bench/ldprobe.c linked against the shared libraries the
# helper itself names (DT_NEEDED, read from the binary), so that exec'ing it
# costs what exec'ing the helper costs before main():
#
#   probe-now        the helper's libraries, -z now (as the helper is linked)
#   probe-lazy       the same, -z lazy
#   probe-libc       libc alone (the same empty program: exec without the
#                    helper's libraries)
# and only while the helper links libcurl (it did before sspr-deliver):
#   probe-nocurl     the helper's libraries without libcurl, -z now
#   probe-curl-now   libcurl alone, -z now
#   probe-curl-lazy  libcurl alone, -z lazy
#
#   mkprobes.sh HELPER LDPROBE_C OUTDIR CC
set -eu
[ $# -eq 4 ] || { echo "usage: mkprobes.sh HELPER LDPROBE_C OUTDIR CC" >&2; exit 2; }
helper=$1 src=$2 out=$3 cc=$4
command -v readelf >/dev/null || { echo "mkprobes.sh: readelf (binutils) is needed" >&2; exit 1; }
needed=$(readelf -d "$helper" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | grep -v '^libc\.so')
[ -n "$needed" ] || { echo "mkprobes.sh: no DT_NEEDED in $helper" >&2; exit 1; }
mkdir -p "$out"
libs() { for l in "$@"; do printf ' -l:%s' "$l"; done; }
curl=$(echo "$needed" | grep '^libcurl' || true)
nocurl=$(echo "$needed" | grep -v '^libcurl' || true)
build() { # NAME BIND LIBS...
    name=$1 bind=$2
    shift 2
    # shellcheck disable=SC2046 # one -l: word per library
    $cc -O2 -fPIE -pie -o "$out/$name.tmp" "$src" -Wl,--no-as-needed -Wl,-z,relro \
        -Wl,-z,"$bind" $(libs "$@") && mv "$out/$name.tmp" "$out/$name"
}
# shellcheck disable=SC2086 # word lists
{
    build probe-now now $needed
    build probe-lazy lazy $needed
    build probe-libc now
    rm -f "$out/probe-nocurl" "$out/probe-curl-now" "$out/probe-curl-lazy"
    if [ -n "$curl" ]; then
        build probe-nocurl now $nocurl
        build probe-curl-now now $curl
        build probe-curl-lazy lazy $curl
    fi
}
echo "mkprobes.sh: $(echo "$needed" | wc -w) libraries named by $helper${curl:+ (with $curl)}"
