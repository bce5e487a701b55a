#!/bin/sh
# The README's screenshot of a reset at a graphical greeter: the real
# lightdm-gtk-greeter on Xvfb, in the throwaway sandbox, driven by xdotool to
# the verification-code prompt (tests/greeter/screenshot.py), saved as
# docs/img/greeter-reset.png (1024x768, reduced to a palette PNG).
#
#   sudo scripts/greeter-screenshot.sh [BUILDDIR] [--stage user|password|offer|code] [--out FILE]
#
# BUILDDIR (default ./build) must have the staged install (make check, or
# make tests/stage.stamp). Needs root (the sandbox) and the greeter packages
# from scripts/install-deps.sh. Exit 77 when that is missing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
out=$top/docs/img/greeter-reset.png
stage=code
while [ $# -gt 0 ]; do
    case "$1" in
    --stage) stage=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -*) echo "greeter-screenshot: unknown option $1" >&2; exit 2 ;;
    *) build=$(cd "$1" && pwd); shift ;;
    esac
done
if [ ! -d "$build/tests/stage" ]; then
    echo "greeter-screenshot: no staged install in $build/tests/stage" \
        "(run make tests/stage.stamp there)" >&2
    exit 1
fi
tmp=$(mktemp /tmp/greeter-screenshot.XXXXXX)
trap 'rm -f "$tmp"' EXIT
rc=0
SSPR_STAGE=$build/tests/stage SSPR_BUILDDIR=$build SSPR_SRCDIR=$top \
    sh "$top/tests/sandbox/sandbox.sh" /usr/bin/python3 -B \
    "$top/tests/greeter/screenshot.py" --stage "$stage" >"$tmp" || rc=$?
if [ "$rc" -ne 0 ]; then
    # a SKIP message from the sandbox lands on stdout
    head -c 300 "$tmp" | grep -a SKIP >&2 || true
    echo "greeter-screenshot: failed (status $rc)" >&2
    exit "$rc"
fi
case "$(head -c 8 "$tmp" | od -An -c | tr -d ' ')" in
*PNG*) ;;
*) echo "greeter-screenshot: the sandbox did not produce a PNG" >&2; exit 1 ;;
esac
mkdir -p "$(dirname "$out")"
# a palette image keeps the file small (the greeter is flat colours and text)
convert "$tmp" -strip -colors 128 "PNG8:$out"
echo "greeter-screenshot: wrote $out ($(wc -c <"$out") bytes)"
