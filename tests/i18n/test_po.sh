#!/bin/sh
# The translations (po/*.po), no root needed: tests/i18n/test_po.py.
set -u
srcdir=${SSPR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v msgfmt >/dev/null 2>&1 || { echo "SKIP: msgfmt not installed (gettext)"; exit 77; }
SSPR_SRCDIR=$srcdir exec python3 -B "$srcdir/tests/i18n/test_po.py"
