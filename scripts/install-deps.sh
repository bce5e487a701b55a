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

# ---------------------------------------------------------------------------
# Directory servers for the LDAP/AD backend tests (tests/directory/).
#
# These are SERVER packages: their maintainer scripts start daemons, enable
# services and edit the host's /etc. The tests run every server inside their
# own sandbox (tests/sandbox/sandbox.sh), never on the host, so here:
#   - a /usr/sbin/policy-rc.d that exits 101 keeps invoke-rc.d from starting
#     anything (a policy-rc.d that was already there is put back afterwards);
#   - /etc/nsswitch.conf (libnss-sss and libnss-winbind add entries) and
#     /etc/pam.d/common-* (libpam-sss and libpam-winbind enable their profiles)
#     are put back, and those profiles marked disabled for pam-auth-update;
#     /etc/krb5.conf and /etc/samba/smb.conf written by krb5-config and
#     samba-common are removed when they were not there before;
#   - every service unit or SysV rc link the packages enabled is removed.
# The host keeps the installed files and nothing else. Only a run that
# installs something does this; a run with everything present changes nothing.
# ---------------------------------------------------------------------------
directory_packages=(
    slapd ldap-utils libldap-dev
    sssd sssd-ldap sssd-ad sssd-tools libpam-sss libnss-sss
    samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind ldb-tools
    krb5-user
)
dir_missing=()
for p in "${directory_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || dir_missing+=("$p")
done
if [ "${#dir_missing[@]}" -gt 0 ]; then
    echo "install-deps: installing directory servers (no daemon started): ${dir_missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    snap=$(mktemp -d /tmp/sspr-install-deps.XXXXXXXX)
    # What the maintainer scripts may change, as it is now.
    host_files=(/etc/nsswitch.conf /etc/krb5.conf /etc/samba/smb.conf
        /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password
        /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive)
    for f in "${host_files[@]}"; do
        if [ -e "$f" ]; then
            mkdir -p "$snap${f%/*}" && cp -a "$f" "$snap$f"
        fi
    done
    links_before=$snap/links-before
    find /etc/systemd/system /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d \
        /etc/rc5.d /etc/rc6.d /etc/rcS.d -type l 2>/dev/null | sort >"$links_before"
    prc=/usr/sbin/policy-rc.d
    if [ -e "$prc" ]; then mv "$prc" "$snap/policy-rc.d.saved"; fi
    restore_policy() {
        rm -f "$prc"
        if [ -e "$snap/policy-rc.d.saved" ]; then mv "$snap/policy-rc.d.saved" "$prc"; fi
    }
    trap restore_policy EXIT
    printf '#!/bin/sh\n# sspr install-deps: no daemon may start while packages install\nexit 101\n' >"$prc"
    chmod 0755 "$prc"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    # the packages this run brings in (the missing ones and their dependencies)
    mapfile -t dir_new < <(apt-get -s install "${dir_missing[@]}" 2>/dev/null |
        sed -n 's/^Inst \([^ ]*\) .*/\1/p')
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${dir_missing[@]}" >/dev/null
    restore_policy
    trap - EXIT

    # Files the packages wrote or edited: back to what they were (absent ones removed).
    for f in "${host_files[@]}"; do
        if [ -e "$snap$f" ]; then
            cmp -s "$snap$f" "$f" 2>/dev/null || {
                echo "install-deps: restoring $f"
                cp -a "$snap$f" "$f"
            }
        elif [ -e "$f" ]; then
            echo "install-deps: removing $f (written by the packages; the tests use their own)"
            rm -f "$f"
        fi
    done
    # PAM profiles these packages brought (libpam-sss's sss, libpam-winbind's
    # winbind): their postinst enabled them with pam-auth-update. The files are
    # back as they were; now tell pam-auth-update they are DISABLED, so its
    # state (/var/lib/pam) matches the files and a later `pam-auth-update
    # --package` (any package's postinst, or the tests' own) leaves them off.
    # (`--remove` would forget the profile instead, and the next --package run
    # would enable it again as a new default.)
    profiles=()
    for p in "${dir_new[@]}"; do
        while read -r f; do
            profiles+=("${f##*/}")
        done < <(dpkg -L "$p" 2>/dev/null | grep -E '^/usr/share/pam-configs/[^/]+$' || true)
    done
    if [ "${#profiles[@]}" -gt 0 ]; then
        echo "install-deps: pam-auth-update --disable ${profiles[*]}"
        pam-auth-update --disable "${profiles[@]}"
        for f in /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password \
            /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive; do
            if [ -e "$snap$f" ] && ! cmp -s "$snap$f" "$f"; then
                echo "install-deps: restoring $f after pam-auth-update"
                cp -a "$snap$f" "$f"
            fi
        done
    fi
    # Services these packages enabled: the new symlinks (systemd wants/alias
    # links, SysV rc links) that name a unit or init script shipped by a
    # package this run installed. Links made meanwhile by someone else's
    # install of other packages are left alone.
    names=$snap/names
    : >"$names"
    for p in "${dir_new[@]}"; do
        dpkg -L "$p" 2>/dev/null | grep -E '^(/usr)?/lib/systemd/system/[^/]+$|^/etc/init\.d/[^/]+$' |
            sed 's,.*/,,' >>"$names" || true
    done
    find /etc/systemd/system /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d \
        /etc/rc5.d /etc/rc6.d /etc/rcS.d -type l 2>/dev/null | sort >"$snap/links-after"
    comm -13 "$links_before" "$snap/links-after" | while read -r l; do
        base=${l##*/}
        case "$l" in /etc/rc?.d/*) base=${base#[SK][0-9][0-9]} ;; esac
        target=$(readlink "$l")
        if grep -qxF -e "$base" -e "${target##*/}" "$names"; then
            echo "install-deps: disabling $l"
            rm -f "$l"
        fi
    done
    # ...and deb-systemd-helper's record that they are enabled, so that a
    # later upgrade of the package does not enable them again.
    grep -E '\.(service|socket|timer)$' "$names" | sort -u | while read -r u; do
        deb-systemd-helper disable "$u" >/dev/null 2>&1 || true
    done
    rm -rf "$snap"
fi
# None of these daemons may be left running on the host (no systemd here to
# ask: look at the processes).
for d in slapd sssd samba smbd nmbd winbindd krb5kdc; do
    if pgrep -x "$d" >/dev/null 2>&1; then
        echo "install-deps: WARNING: $d is running on the host; the tests start their own" >&2
    fi
done
