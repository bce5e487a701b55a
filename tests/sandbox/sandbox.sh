#!/bin/sh
# Throwaway root sandbox for whole-system tests of pam_sspr.
#
#   sandbox.sh [--keep] COMMAND ARGS...
#
# Runs COMMAND as root in new mount, network, PID, UTS and IPC namespaces
# where /etc, /usr, /var, /home and /root are overlays over the real
# directories (writes land in a scratch upper layer), /tmp, /run and /dev
# are fresh, the loopback interface is up, and the staged build in
# $SSPR_STAGE (a `make install DESTDIR=...` tree) is copied over /.
# Everything is gone when COMMAND exits; the real system is not written.
#
#   --keep   keep the upper layers on disk and print where they are
#            (default: they live on a tmpfs and vanish with the namespace)
#
# Environment:
#   SSPR_STAGE          staged install tree to copy in (optional; skipped if unset)
#   SSPR_SANDBOX_TMP    where the scratch directory goes (default /tmp; must not
#                       be under /etc /usr /var /home /root)
#   SSPR_SANDBOX_HOST_PTS=1  bind the host's /dev/pts instead of a new devpts
#                       instance (for an interactive demo on your own terminal)
# Inside, COMMAND sees SSPR_SANDBOX=1 and SSPR_SANDBOX_DIR=<scratch dir> (a host
# path, for messages: inside it is hidden by the fresh /tmp).
#
# Exit status: COMMAND's status; 77 (automake SKIP) when not root or when
# namespaces/overlayfs are not usable; 99 (automake hard error) when the
# sandbox itself could not be set up after the probes passed.

set -eu

SKIP_MSG="SKIP: needs root and unshare (mount/net/pid namespaces)"
OVERLAID="/etc /usr /var /home /root"

skip() {
    echo "$SKIP_MSG"
    [ $# -gt 0 ] && echo "sandbox.sh: $*" >&2
    exit 77
}

die() {
    echo "sandbox.sh: $*" >&2
    exit 99
}

# ---------------------------------------------------------------------------
# Inside the namespaces (we are PID 1 of the new PID namespace).
# ---------------------------------------------------------------------------
inner() {
    work=$SSPR_SANDBOX_DIR
    keep=$1
    shift

    # nothing we mount may leak back to the host, whatever the host's default
    mount --make-rprivate / || die "cannot make / private"

    if [ "$keep" = 0 ]; then
        # upper layers in memory: nothing reaches the disk, nothing to clean up
        mount -t tmpfs -o mode=0700 sspr-sandbox "$work" || die "tmpfs on $work"
    fi

    for d in $OVERLAID; do
        [ -d "$d" ] || continue
        n=$(echo "$d" | tr / _)
        mkdir -p "$work/upper$n" "$work/work$n"
        mount -t overlay "sspr-overlay$n" \
            -o "lowerdir=$d,upperdir=$work/upper$n,workdir=$work/work$n" "$d" ||
            die "overlay on $d failed"
    done

    # needs $work, which the fresh /tmp below will hide
    setup_dev

    mount -t tmpfs -o mode=0755,nosuid,nodev sspr-run /run || die "tmpfs on /run"
    mkdir -p /run/lock /run/sshd /run/user
    chmod 1777 /run/lock
    chmod 0755 /run/sshd

    # The host's /tmp is about to be hidden by a fresh tmpfs: keep a handle on
    # it so that build/source/stage directories living under /tmp stay visible.
    hosttmp=/run/.sspr-hosttmp
    mkdir -p "$hosttmp"
    mount --bind /tmp "$hosttmp" || die "bind /tmp"
    mount -t tmpfs -o mode=1777,nosuid,nodev sspr-tmp /tmp || die "tmpfs on /tmp"
    for p in "${SSPR_STAGE:-}" "${SSPR_BUILDDIR:-}" "${SSPR_SRCDIR:-}" "$PWD"; do
        case "$p" in
        /tmp/?*)
            rel=${p#/tmp/}
            top=${rel%%/*}
            if [ -e "$hosttmp/$top" ] && ! mountpoint -q "/tmp/$top" 2>/dev/null; then
                if [ -d "$hosttmp/$top" ]; then mkdir -p "/tmp/$top"; else : >"/tmp/$top"; fi
                mount --bind "$hosttmp/$top" "/tmp/$top" || die "bind /tmp/$top"
            fi
            ;;
        esac
    done
    umount "$hosttmp" && rmdir "$hosttmp"

    ip link set lo up || die "ip link set lo up"
    hostname sspr-sandbox 2>/dev/null || true

    if [ -n "${SSPR_STAGE:-}" ]; then
        install_stage "$SSPR_STAGE"
        with_package_dependencies
    fi

    # Paths looked up before the mounts point at the old inodes: re-resolve.
    cd "$PWD" 2>/dev/null || cd /

    export SSPR_SANDBOX=1
    # COMMAND runs as a child, not exec'd: PID 1 stays a shell that reaps.
    # If the outer unshare dies, --kill-child SIGKILLs us and the kernel
    # kills everything else in the PID namespace.
    rc=0
    "$@" || rc=$?
    exit "$rc"
}

# What installing the package brings besides its own files: it depends on
# libpam-pwquality, whose postinst turns its pam-auth-update profile on. A
# machine may have the package without the profile (scripts/install-deps.sh
# turns off the profiles of what it installs, so that nothing changes how
# the machine itself signs people in); inside, the stack is an installed
# system's.
with_package_dependencies() {
    [ -f /usr/share/pam-configs/pwquality ] && [ -x /usr/sbin/pam-auth-update ] || return 0
    grep -q '^[^#]*pam_pwquality\.so' /etc/pam.d/common-password 2>/dev/null && return 0
    DEBIAN_FRONTEND=noninteractive pam-auth-update --enable pwquality >/dev/null 2>&1 ||
        die "pam-auth-update --enable pwquality failed"
}

# A private /dev: the device nodes programs need, a new devpts instance (so
# ptys made inside belong to the sandbox) and a free /dev/log for tests that
# capture syslog. The host's /dev (a devtmpfs) is never written.
setup_dev() {
    dev="$work/dev"
    mkdir -p "$dev"
    mount -t tmpfs -o mode=0755,nosuid,noexec sspr-dev "$dev" || die "tmpfs for /dev"
    for n in null zero full random urandom tty; do
        [ -e "/dev/$n" ] || continue
        : >"$dev/$n"
        mount --bind "/dev/$n" "$dev/$n" || die "bind /dev/$n"
    done
    mkdir -p "$dev/pts" "$dev/shm"
    chmod 1777 "$dev/shm"
    mount -t tmpfs -o mode=1777,nosuid,nodev sspr-shm "$dev/shm" || die "tmpfs /dev/shm"
    if [ "${SSPR_SANDBOX_HOST_PTS:-0}" = 1 ] ||
        ! mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 sspr-devpts "$dev/pts" 2>/dev/null; then
        mount --rbind /dev/pts "$dev/pts" || die "bind /dev/pts"
        # A bind-mounted /dev/ptmx node fails to open on some kernels
        # (ENOENT); the devpts instance's own ptmx always works.
        if [ -e "$dev/pts/ptmx" ]; then
            ln -s pts/ptmx "$dev/ptmx"
        else
            : >"$dev/ptmx"
            mount --bind /dev/ptmx "$dev/ptmx" || die "bind /dev/ptmx"
        fi
    else
        ln -s pts/ptmx "$dev/ptmx"
    fi
    ln -s /proc/self/fd "$dev/fd"
    ln -s /proc/self/fd/0 "$dev/stdin"
    ln -s /proc/self/fd/1 "$dev/stdout"
    ln -s /proc/self/fd/2 "$dev/stderr"
    mount --move "$dev" /dev || die "move new /dev into place"
}

# Copy a DESTDIR tree over /. Only directories that are overlaid (or the
# usr-merge symlinks into them) may be written.
install_stage() {
    stage=$1
    [ -d "$stage" ] || die "SSPR_STAGE=$stage is not a directory (run make check, or make install DESTDIR=...)"
    entries=
    for e in "$stage"/* "$stage"/.[!.]*; do
        [ -e "$e" ] || continue
        b=${e##*/}
        case "/$b" in
        /etc | /usr | /var | /home | /root) ;;
        /lib | /lib32 | /lib64 | /libx32 | /bin | /sbin)
            # must be a usr-merge symlink on this host, else we would write the real disk
            [ -L "/$b" ] || die "stage has /$b but /$b is not a symlink into /usr here"
            ;;
        *) die "stage has /$b, which is outside the overlaid directories" ;;
        esac
        entries="$entries $b"
    done
    [ -n "$entries" ] || die "SSPR_STAGE=$stage is empty"
    # shellcheck disable=SC2086 # entries are plain top-level names
    tar -C "$stage" -cf - $entries |
        tar -C / --keep-directory-symlink --no-overwrite-dir --same-owner -xpf - ||
        die "copying $stage into the sandbox failed"
}

# ---------------------------------------------------------------------------
# Outside: probe, make the scratch directory, enter the namespaces.
# ---------------------------------------------------------------------------
if [ "${1:-}" = "--sspr-inner" ]; then
    shift
    inner "$@"
fi

keep=0
if [ "${1:-}" = "--keep" ]; then
    keep=1
    shift
fi
if [ $# -lt 1 ]; then
    echo "usage: $0 [--keep] COMMAND ARGS..." >&2
    exit 2
fi

[ "$(id -u)" = 0 ] || skip "not root"
for tool in unshare mount ip tar mountpoint; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not found"
done
grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null ||
    skip "overlayfs not available"
unshare --mount --net --pid --fork --mount-proc --propagation private true 2>/dev/null ||
    skip "unshare --mount --net --pid does not work here"

base=${SSPR_SANDBOX_TMP:-/tmp}
for d in $OVERLAID; do
    case "$base/" in "$d"/*) die "SSPR_SANDBOX_TMP=$base lies under $d, which gets overlaid" ;; esac
done
work=$(mktemp -d "$base/sspr-sandbox.XXXXXXXX") || die "mktemp in $base"
chmod 0700 "$work"

# Probe overlayfs with this upper location before committing to it.
# shellcheck disable=SC2016 # expanded by the inner sh
if ! unshare --mount --propagation private sh -c '
    w=$1; mkdir -p "$w/pl" "$w/pu" "$w/pw" "$w/pm"
    mount -t tmpfs -o mode=0700 probe "$w/pu" && mkdir "$w/pu/u" "$w/pu/w" &&
    mount -t overlay probe -o "lowerdir=$w/pl,upperdir=$w/pu/u,workdir=$w/pu/w" "$w/pm"
' probe "$work" 2>/dev/null; then
    rm -rf "$work"
    skip "overlayfs mount failed (upper on tmpfs under $base)"
fi
rm -rf "$work/pl" "$work/pu" "$work/pw" "$work/pm"

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [ "$keep" = 1 ]; then
        echo "sandbox.sh: kept upper layers in $work (remove with: rm -rf '$work')" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

self=$0
case "$self" in /*) ;; *) self="$PWD/$self" ;; esac

# unshare ignores SIGTERM while it waits for its child, so run it in the
# background and SIGKILL it on TERM/HUP (--kill-child then tears the whole
# namespace down). SIGINT from a terminal reaches COMMAND directly (same
# process group); here it is only noted. A background job of a
# non-interactive shell gets /dev/null as stdin: pass the real one via fd 3.
# It also starts with SIGINT and SIGQUIT ignored, which would stay ignored
# through every exec down to COMMAND and what it runs (Ctrl-C would do
# nothing in the demo's shell): env puts them back to their defaults, as a
# foreground job has them (unshare blocks SIGINT itself while it waits).
dflt=
if env --default-signal=INT,QUIT true 2>/dev/null; then
    dflt="env --default-signal=INT,QUIT"
fi
exec 3<&0
# shellcheck disable=SC2086 # $dflt is empty or a command and its option
SSPR_SANDBOX_DIR=$work $dflt unshare --mount --net --pid --uts --ipc --fork --mount-proc \
    --propagation private --kill-child \
    /bin/sh "$self" --sspr-inner "$keep" "$@" <&3 3<&- &
upid=$!
exec 3<&-
killed=
trap 'killed=143; kill -KILL $upid 2>/dev/null' TERM
trap 'killed=129; kill -KILL $upid 2>/dev/null' HUP
trap ':' INT
rc=0
wait "$upid" || rc=$?
# wait returns early (>128) when a trapped signal arrives: wait for real
while kill -0 "$upid" 2>/dev/null; do
    rc=0
    wait "$upid" || rc=$?
done
[ -n "$killed" ] && rc=$killed
exit "$rc"
