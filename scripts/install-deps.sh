#!/usr/bin/env bash
# Install what building, testing and the demo need, from Debian 12's archive.
# Run as root. Safe to run again: apt-get skips what is already there.
#
# Nothing installed here may run on this machine afterwards: the demo and the
# tests start their own sshd inside a throwaway sandbox. openssh-server would
# start sshd on port 22 and enable it at boot on a systemd Debian, so
#   - packages are installed under a /usr/sbin/policy-rc.d that refuses every
#     service start (exit 101), removed again when this script ends, also on
#     failure or Ctrl-C (an existing policy-rc.d is left as it is);
#   - every systemd unit and init script of a package this run installed
#     (dependencies included) is disabled again, and stopped if it runs.
# Packages that were installed before are not touched.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root (it uses apt-get)" >&2
    exit 1
fi
packages=(
    # build
    build-essential autoconf automake libtool pkg-config
    libpam0g-dev libcurl4-openssl-dev libjansson-dev libsodium-dev
    liboath-dev libqrencode-dev libinih-dev libunistring-dev
    # tests
    libcmocka-dev oathtool python3 python3-pexpect python3-aiosmtpd openssl
    libpam-pwquality cracklib-runtime libpam-modules libpam-runtime passwd login util-linux
    iproute2 openssh-server openssh-client expect tmux procps strace
    binutils groff-base man-db
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -gt 0 ] || exit 0

installed() {
    dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 == "ii" {print $2}' | sort
}

policy=/usr/sbin/policy-rc.d
policy_text='#!/bin/sh
# Written by pam_sspr scripts/install-deps.sh while it installs packages:
# no service may start. Removed when it ends.
exit 101
'
ours=0
work=$(mktemp -d /tmp/sspr-install-deps.XXXXXX)
tmp_policy=$policy.sspr-$$
cleanup() {
    if [ "$ours" = 1 ] && [ "$(cat "$policy" 2>/dev/null)" = "$(printf '%s' "$policy_text")" ]; then
        rm -f "$policy"
    fi
    rm -f "$tmp_policy"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

installed >"$work/before"
printf '%s' "$policy_text" >"$tmp_policy"
chmod 0755 "$tmp_policy"
# ln refuses to replace an existing file: another policy stays in charge
if ln "$tmp_policy" "$policy" 2>/dev/null; then
    ours=1
    rm -f "$tmp_policy"
elif [ ! -e "$policy" ]; then
    echo "install-deps: cannot write $policy; not installing anything" >&2
    exit 1
else
    rc=0
    "$policy" ssh start >/dev/null 2>&1 || rc=$?
    if [ "$rc" = 101 ]; then
        echo "install-deps: $policy already refuses service starts; using it"
    else
        echo "install-deps: warning: the existing $policy allows service starts;" \
            "what starts is stopped again below" >&2
    fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || echo "install-deps: warning: apt-get update failed; using the package lists there are" >&2
# With recommends, as an admin's apt-get would: pam_pwquality's dictionary
# (cracklib-runtime) is only a recommendation of libcrack2.
apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null

# What this run installed: leave none of its services enabled or running.
installed >"$work/after"
systemd_running=0
[ -d /run/systemd/system ] && systemd_running=1
have_systemctl=0
command -v systemctl >/dev/null 2>&1 && have_systemctl=1
units=() scripts=() left=()
while read -r pkg; do
    while read -r f; do
        case "$f" in
        /lib/systemd/system/*@.* | /usr/lib/systemd/system/*@.*) ;; # templates
        /lib/systemd/system/*.service | /lib/systemd/system/*.socket | \
            /lib/systemd/system/*.timer | /lib/systemd/system/*.path | \
            /usr/lib/systemd/system/*.service | /usr/lib/systemd/system/*.socket | \
            /usr/lib/systemd/system/*.timer | /usr/lib/systemd/system/*.path)
            units+=("${f##*/}") ;;
        /etc/init.d/?*) scripts+=("${f##*/}") ;;
        esac
    done < <(dpkg-query -L "$pkg" 2>/dev/null || true)
done < <(comm -13 "$work/before" "$work/after")

if [ "$have_systemctl" = 1 ]; then
    for unit in "${units[@]}"; do
        if [ "$systemd_running" = 1 ] && systemctl is-active --quiet "$unit" 2>/dev/null; then
            systemctl stop "$unit" || true
            left+=("$unit (stopped)")
        fi
        case "$(systemctl is-enabled "$unit" 2>/dev/null || true)" in
        enabled | enabled-runtime)
            # also without a running systemd (it only edits the links); this
            # also removes the sysvinit links of a script of the same name
            systemctl disable --quiet "$unit" 2>/dev/null || true
            left+=("$unit")
            ;;
        esac
    done
fi
for name in "${scripts[@]}"; do
    if [ "$systemd_running" = 0 ] && "/etc/init.d/$name" status >/dev/null 2>&1; then
        "/etc/init.d/$name" stop >/dev/null 2>&1 || true # an existing policy let it start
        left+=("$name (stopped)")
    fi
    if compgen -G "/etc/rc[2-5].d/S[0-9][0-9]$name" >/dev/null; then
        update-rc.d "$name" disable >/dev/null 2>&1 || true
        left+=("/etc/init.d/$name")
    fi
done

if [ "${#left[@]}" -gt 0 ]; then
    echo "install-deps: disabled (not running): ${left[*]}"
    echo "install-deps: the demo and the tests start their own sshd in a sandbox;" \
        "for one on this machine: systemctl enable --now ssh"
fi
