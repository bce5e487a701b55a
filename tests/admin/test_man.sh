#!/bin/sh
# The man pages render without a single warning: groff -man -ww -z, and
# man -l at 80 columns. Any output on stderr is a failure.
set -u
srcdir=${SSPR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v groff >/dev/null 2>&1 || { echo "SKIP: groff not installed"; exit 77; }
fail=0
for page in pam_sspr.8 sspr-helper.8 sspr.conf.5; do
    f=$srcdir/docs/man/$page
    if [ ! -s "$f" ]; then
        echo "FAIL: $f missing or empty"; fail=1; continue
    fi
    out=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$f" 2>&1)
    if [ -n "$out" ]; then
        echo "FAIL: groff warnings for $page:"; echo "$out"; fail=1
    else
        echo "ok: groff -man -ww -z $page"
    fi
    if command -v man >/dev/null 2>&1; then
        out=$(LC_ALL=C.UTF-8 MANWIDTH=80 MAN_KEEP_STDERR=1 man --warnings=w -l "$f" 2>&1 >/dev/null)
        if [ -n "$out" ]; then
            echo "FAIL: man -l warnings for $page:"; echo "$out"; fail=1
        else
            echo "ok: man -l $page"
        fi
        # no line wider than 80 columns in the rendered page (ASCII rendering)
        wide=$(LC_ALL=C MANWIDTH=80 man -l "$f" 2>/dev/null | sed 's/.\x08//g' |
               awk 'length($0) > 80 { print NR": "$0 }' | head -5)
        if [ -n "$wide" ]; then
            echo "FAIL: $page renders lines wider than 80 columns:"; echo "$wide"; fail=1
        fi
    fi
    # NAME section in the form whatis/apropos need
    if ! grep -q '^\.SH NAME' "$f"; then echo "FAIL: $page has no NAME section"; fail=1; fi
done

# sspr.conf(5) documents every key show-config knows, in its [section]
helper=${SSPR_BUILDDIR:-.}/sspr-helper/sspr-helper
if [ -x "$helper" ]; then
    keys=$("$helper" --config=/nonexistent/sspr.conf show-config 2>/dev/null |
           awk '/^\[/ { s = $0; next } / = / { print s " " $1 }')
    if [ -z "$keys" ]; then
        echo "FAIL: show-config printed no keys"; fail=1
    fi
    n=0
    while read -r section key; do
        n=$((n + 1))
        if ! awk -v sec=".SH \"$section\"" -v k=".B $key" '
                $0 == sec { on = 1; next }
                /^\.SH / { on = 0 }
                on && $0 == k { found = 1 }
                END { exit !found }' "$srcdir/docs/man/sspr.conf.5"; then
            echo "FAIL: sspr.conf.5 does not document $section $key"; fail=1
        fi
    done <<EOK
$keys
EOK
    echo "ok: sspr.conf.5 checked against $n keys of show-config"
else
    echo "note: $helper not built, key check skipped"
fi
exit $fail
