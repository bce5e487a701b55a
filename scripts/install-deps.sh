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
)
# The graphical greeter tests (tests/greeter): LightDM with its GTK greeter
# and the GObject bindings for a scripted greeter, a virtual X server, the
# tools that drive and photograph it, and dbus (a private system bus inside
# the sandbox). These packages ship services (lightdm's display manager,
# dbus): they are installed under a policy-rc.d that forbids starting
# anything, so no display manager or bus runs on this machine afterwards.
# Without recommends (they pull in a whole Xorg, plymouth, udev and an
# initramfs): the three that the GTK greeter looks right with are named.
greeter_packages=(
    lightdm lightdm-gtk-greeter gir1.2-lightdm-1 python3-gi
    xvfb xauth x11-utils xdotool imagemagick dbus
    desktop-base adwaita-icon-theme gnome-themes-extra
)

not_installed() { # package names -> the ones dpkg does not have
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

export DEBIAN_FRONTEND=noninteractive
updated=0
apt_install() { # apt-get options and package names
    [ "$updated" = 1 ] || { apt-get update -qq; updated=1; }
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

mapfile -t missing < <(not_installed "${packages[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    # With recommends, as an admin's apt-get would: pam_pwquality's
    # dictionary (cracklib-runtime) is only a recommendation of libcrack2.
    apt_install "${missing[@]}"
fi

mapfile -t missing < <(not_installed "${greeter_packages[@]}")
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing (greeter tests, no services started) ${missing[*]}"
    guard=/usr/sbin/policy-rc.d
    own_guard=0
    if [ ! -e "$guard" ]; then
        printf '#!/bin/sh\n# install-deps.sh: start no service while installing\nexit 101\n' >"$guard"
        chmod 0755 "$guard"
        own_guard=1
    fi
    # removed again whatever happens (a guard that was there before stays)
    trap 'if [ "$own_guard" = 1 ]; then rm -f "$guard"; fi' EXIT
    new_lightdm=$(not_installed lightdm)
    apt_install --no-install-recommends "${missing[@]}"
    if [ "$own_guard" = 1 ]; then rm -f "$guard"; fi
    own_guard=0
    trap - EXIT
    # lightdm's postinst enables it as this machine's display manager (the
    # systemd alias display-manager.service and the SysV links): installed
    # only for the tests, it must not start at the next boot.
    if [ -n "$new_lightdm" ]; then
        deb-systemd-helper disable lightdm.service >/dev/null 2>&1 || true
        if [ "$(readlink /etc/systemd/system/display-manager.service 2>/dev/null)" = \
            /lib/systemd/system/lightdm.service ]; then
            rm -f /etc/systemd/system/display-manager.service
        fi
        update-rc.d lightdm disable >/dev/null 2>&1 || true
        echo "install-deps: lightdm installed for the tests only, not enabled as display manager"
    fi
fi
