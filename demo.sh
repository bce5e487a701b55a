#!/bin/sh
# Try pam_sspr: a sandbox with a user who "forgot" their password.
#   as root: ./demo.sh (or sudo ./demo.sh)   (see demo/demo.sh --help)
exec "$(dirname "$0")/demo/demo.sh" "$@"
