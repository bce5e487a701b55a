#!/usr/bin/env bash
# Install what building, testing and the demo need, from Debian 12's archive.
# Safe to run again: apt-get skips what is already there.
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
    # fuzzing (fuzz/run.sh): clang with libFuzzer and the sanitizer runtimes
    clang libclang-rt-14-dev
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # With recommends, as an admin's apt-get would: pam_pwquality's dictionary
    # (cracklib-runtime) is only a recommendation of libcrack2.
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
