#!/usr/bin/env bash
# Install what building, testing and the demo need, from Debian 12's archive.
# Run as root. Safe to run again: a run with everything present changes nothing.
#
# Nothing installed here may run on this machine, or change how it signs
# people in, afterwards: the demo and the tests start their own sshd, slapd,
# sssd, Samba and LightDM inside a throwaway sandbox. So
#   - packages are installed under a /usr/sbin/policy-rc.d that refuses every
#     service start (exit 101), removed again when this script ends, also on
#     failure or Ctrl-C (an existing policy-rc.d is left as it is);
#   - every systemd unit and init script of a package this run installed
#     (dependencies included) is disabled again, and stopped if it runs, and
#     the links its maintainer scripts made (lightdm as display manager) go;
#   - /etc/nsswitch.conf, /etc/pam.d/common-* (libnss-sss, libpam-sss and
#     winbind edit them), /etc/krb5.conf and /etc/samba/smb.conf are put back
#     as they were, and the PAM profiles those packages brought are marked
#     disabled for pam-auth-update, so a later run of it leaves them off.
# Packages that were installed before are not touched.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root (it uses apt-get)" >&2
    exit 1
fi

# Build, unit and whole-transaction tests, the demo (with recommends, as an
# admin's apt-get would: pam_pwquality's dictionary, cracklib-runtime, is
# only a recommendation of libcrack2).
packages=(
    build-essential autoconf automake libtool pkg-config
    # languages: the po/ tools (autopoint for ./autogen.sh, msgfmt/xgettext for
    # the build and `make update-po`), and the locale sources the tests
    # generate de_DE.UTF-8 from inside their sandbox (never on the machine)
    gettext autopoint locales
    libpam0g-dev libcurl4-openssl-dev libjansson-dev libsodium-dev
    liboath-dev libqrencode-dev libinih-dev libunistring-dev libldap-dev libpwquality-dev
    libcmocka-dev oathtool python3 python3-pexpect python3-aiosmtpd openssl
    libpam-pwquality cracklib-runtime libpam-modules libpam-runtime passwd login util-linux
    iproute2 openssh-server openssh-client expect tmux procps strace sudo
    binutils groff-base man-db
    # fuzzing (fuzz/run.sh): clang with libFuzzer and the sanitizer runtimes
    clang libclang-rt-14-dev
)
# The graphical greeter tests (tests/greeter): LightDM, its GTK greeter and
# the GObject bindings for a scripted greeter, a virtual X server, the tools
# that drive and photograph it, dbus. Without recommends (they pull in a
# whole Xorg, plymouth, udev and an initramfs): the three the GTK greeter
# looks right with are named.
greeter_packages=(
    lightdm lightdm-gtk-greeter gir1.2-lightdm-1 python3-gi
    xvfb xauth x11-utils xdotool imagemagick dbus
    desktop-base adwaita-icon-theme gnome-themes-extra
)
# Building and checking the Debian package (debian/, tests/package): without
# recommends (devscripts recommends a whole toolbox; the test needs dch).
packaging_packages=(
    debhelper dh-autoreconf devscripts lintian fakeroot
)
# Directory servers and clients for the LDAP and Active Directory tests
# (tests/directory): slapd, sssd, a Samba AD DC, Kerberos tools.
directory_packages=(
    slapd ldap-utils
    sssd sssd-ldap sssd-ad sssd-tools libpam-sss libnss-sss
    samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind ldb-tools
    krb5-user
)

not_installed() { # package names -> the ones dpkg does not have (one dpkg-query)
    local have
    # dpkg-query exits 1 when it has never heard of one of the names (a
    # fresh machine): with pipefail that would end the script here
    have=$({ dpkg-query -W -f='${Status} ${Package}\n' "$@" 2>/dev/null || true; } |
        awk '$1 == "install" && $3 == "installed" {print $4}')
    printf '%s\n' "$@" | grep -vxF -e "$have" -e '' || true
}
mapfile -t missing < <(not_installed "${packages[@]}")
mapfile -t missing_greeter < <(not_installed "${greeter_packages[@]}")
mapfile -t missing_directory < <(not_installed "${directory_packages[@]}")
mapfile -t missing_packaging < <(not_installed "${packaging_packages[@]}")
[ $((${#missing[@]} + ${#missing_greeter[@]} + ${#missing_directory[@]} +
    ${#missing_packaging[@]})) -gt 0 ] || exit 0

installed() {
    dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 == "ii" {print $2}' | sort
}
service_links() {
    find /etc/systemd/system /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d \
        /etc/rc5.d /etc/rc6.d /etc/rcS.d -type l 2>/dev/null | sort
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

# What the packages' maintainer scripts may change on this machine, as it is now.
host_files=(/etc/nsswitch.conf /etc/krb5.conf /etc/samba/smb.conf
    /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password
    /etc/pam.d/common-session /etc/pam.d/common-session-noninteractive)
for f in "${host_files[@]}"; do
    if [ -e "$f" ]; then
        mkdir -p "$work/files${f%/*}" && cp -a "$f" "$work/files$f"
    fi
done
installed >"$work/before"
service_links >"$work/links-before"

export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq ||
    echo "install-deps: warning: apt-get update failed; using the package lists there are" >&2
apt_install() { # apt-get options and package names
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    apt_install "${missing[@]}"
fi
if [ "${#missing_greeter[@]}" -gt 0 ]; then
    echo "install-deps: installing (greeter tests) ${missing_greeter[*]}"
    apt_install --no-install-recommends "${missing_greeter[@]}"
fi
if [ "${#missing_packaging[@]}" -gt 0 ]; then
    echo "install-deps: installing (package build) ${missing_packaging[*]}"
    apt_install --no-install-recommends "${missing_packaging[@]}"
fi
if [ "${#missing_directory[@]}" -gt 0 ]; then
    echo "install-deps: installing (directory tests) ${missing_directory[*]}"
    apt_install "${missing_directory[@]}"
fi

# ---- undo what this run's packages did to the machine ----------------------
installed >"$work/after"
comm -13 "$work/before" "$work/after" >"$work/new"

# Files they wrote or edited: back to what they were (new ones removed).
for f in "${host_files[@]}"; do
    if [ -e "$work/files$f" ]; then
        cmp -s "$work/files$f" "$f" 2>/dev/null || {
            echo "install-deps: restoring $f"
            cp -a "$work/files$f" "$f"
        }
    elif [ -e "$f" ]; then
        echo "install-deps: removing $f (written by the packages; the tests use their own)"
        rm -f "$f"
    fi
done
# Their PAM profiles (sss, winbind) were enabled by their postinst: the files
# are back as they were; tell pam-auth-update they are DISABLED, so its state
# matches and a later `pam-auth-update --package` leaves them off. (`--remove`
# would forget them, and the next run would enable them again as new.)
profiles=()
while read -r pkg; do
    while read -r f; do
        profiles+=("${f##*/}")
    done < <(dpkg-query -L "$pkg" 2>/dev/null | grep -E '^/usr/share/pam-configs/[^/]+$' || true)
done <"$work/new"
if [ "${#profiles[@]}" -gt 0 ]; then
    echo "install-deps: pam-auth-update --disable ${profiles[*]}"
    pam-auth-update --disable "${profiles[@]}"
    for f in /etc/pam.d/common-*; do
        if [ -e "$work/files$f" ] && ! cmp -s "$work/files$f" "$f"; then
            cp -a "$work/files$f" "$f"
        fi
    done
fi

# Their services: none enabled or running.
systemd_running=0
[ -d /run/systemd/system ] && systemd_running=1
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
done <"$work/new"
for unit in "${units[@]}"; do
    if command -v systemctl >/dev/null 2>&1; then
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
    fi
    # deb-systemd-helper's record, so that an upgrade does not enable it again
    deb-systemd-helper disable "$unit" >/dev/null 2>&1 || true
done
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
# Links their maintainer scripts made beyond that (lightdm's
# display-manager.service alias): the new ones naming a unit or script of
# this run's packages. Links made meanwhile for other packages stay.
printf '%s\n' "${units[@]}" "${scripts[@]}" >"$work/names"
service_links >"$work/links-after"
comm -13 "$work/links-before" "$work/links-after" | while read -r l; do
    base=${l##*/}
    case "$l" in
    /etc/rc?.d/K*) continue ;; # "do not start" links (update-rc.d disable) stay
    /etc/rc?.d/*) base=${base#S[0-9][0-9]} ;;
    esac
    target=$(readlink "$l")
    if grep -qxF -e "$base" -e "${target##*/}" "$work/names"; then
        rm -f "$l"
        echo "install-deps: removed $l"
    fi
done

if [ "${#left[@]}" -gt 0 ]; then
    echo "install-deps: disabled (not running): ${left[*]}"
    echo "install-deps: the demo and the tests start their own servers in a sandbox;" \
        "for sshd on this machine: systemctl enable --now ssh"
fi
for d in sshd slapd sssd samba smbd nmbd winbindd lightdm; do
    if pgrep -x "$d" >/dev/null 2>&1 && [ "$systemd_running" = 0 ]; then
        echo "install-deps: warning: $d is running on this machine (not started by this script)" >&2
    fi
done
