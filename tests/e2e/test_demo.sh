#!/bin/sh
# The demo's non-interactive self-test: `demo.sh --check` with the staged
# install of this build (no apt-get, no second build). It sets the demo
# sandbox up exactly as `sudo ./demo.sh` does and walks the on-screen
# instructions (ssh, login, kiosk) with pexpect. 77 (SKIP) without root.
srcdir=${SSPR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -n "${SSPR_STAGE:-}" ] || { echo "SKIP: SSPR_STAGE not set (run through make check)"; exit 77; }
exec "$srcdir/demo/demo.sh" --check --no-deps
