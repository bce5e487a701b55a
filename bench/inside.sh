#!/bin/bash
# Runs inside the sandbox (bench/run.sh). Sets up users and PAM stacks, then
# runs bench/sspr-bench for each measurement.
set -euo pipefail
[ "${SSPR_SANDBOX:-}" = 1 ] || { echo "inside.sh: only through bench/run.sh" >&2; exit 1; }
bench=$SSPR_BUILDDIR/bench/sspr-bench
rounds=${BENCH_ROUNDS:-300}
trounds=${BENCH_TRIGGER_ROUNDS:-50}
users=${BENCH_STORE_USERS:-100 100000}

echo "== machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "== kernel $(uname -r); $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')"

# failures are fast here: throttle without delays, pam_unix without its ~2 s delay
printf '[throttle]\nfailure_delay = 0\nmax_failures = 20\n' >/etc/sspr/sspr.conf
chmod 0600 /etc/sspr/sspr.conf
echo "root:$(head -c 18 /dev/urandom | base64)" | chpasswd

# a helper that would leave a mark if the normal path ever started it
mkdir -p /usr/lib/sspr-bench /run/sspr-bench
cat >/usr/lib/sspr-bench/marker <<'M'
#!/bin/sh
echo started >>/run/sspr-bench/helper-started
exec /usr/sbin/sspr-helper "$@"
M
chmod 0755 /usr/lib/sspr-bench/marker

cat >/etc/pam.d/bench-base <<'P'
auth [success=1 default=ignore] pam_unix.so nullok nodelay
auth requisite pam_deny.so
auth required pam_permit.so
P
cat >/etc/pam.d/bench-sspr <<'P'
auth [success=2 default=ignore] pam_unix.so nullok nodelay
auth [success=1 default=ignore] pam_sspr.so helper=/usr/lib/sspr-bench/marker
auth requisite pam_deny.so
auth required pam_permit.so
P
cat >/etc/pam.d/bench-trigger <<'P'
auth [success=2 default=ignore] pam_unix.so nullok nodelay
auth [success=1 default=ignore] pam_sspr.so
auth requisite pam_deny.so
auth required pam_permit.so
P

pw="Bench-$(head -c 9 /dev/urandom | base64 | tr -d '/+')-1x"
useradd -m -s /bin/bash benchu
echo "benchu:$pw" | chpasswd
sspr-helper enroll benchu --totp >/dev/null 2>&1
sspr-helper enroll benchu --recovery-codes 2>/dev/null >/run/sspr-bench/codes
hash=$(getent shadow benchu | cut -d: -f2 | cut -c1-3)
echo "== account hash: ${hash} (pam_unix verifies it on every attempt)"

echo
echo "== 1. normal path: pam_authenticate with and without pam_sspr ($rounds rounds, medians)"
"$bench" normal bench-base bench-sspr benchu "$pw" "wrong-$pw" "$rounds"
if [ -e /run/sspr-bench/helper-started ]; then
    echo "   processes started by pam_sspr on the normal path: $(wc -l </run/sspr-bench/helper-started) (MUST be 0)"
else
    echo "   processes started by pam_sspr on the normal path: 0 (marker helper never ran)"
fi
if command -v strace >/dev/null; then
    for p in "$pw" "wrong-$pw"; do
        strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o /run/sspr-bench/strace \
            "$bench" once bench-sspr benchu "$p" >/dev/null
        n=$(grep -cvE '^[0-9]+ +execve\("'"$bench"'"' /run/sspr-bench/strace || true)
        echo "   strace -f, one transaction with pam_sspr ($([ "$p" = "$pw" ] && echo correct || echo wrong) password): $n clone/fork/exec calls"
    done
fi

echo
echo "== 2. trigger to first prompt, helper memory ($trounds offers, then full resets)"
"$bench" trigger bench-trigger benchu "$trounds" /run/sspr-bench/codes

echo
echo "== 3. local store: verification with many enrolled users"
# on the build directory's disk (real fsync), not the sandbox's tmpfs layers
store_base=${BENCH_STORE_DIR:-$SSPR_BUILDDIR}
echo "   state directory on: $(df --output=fstype "$store_base" | tail -1) ($store_base)"
for n in $users; do
    dir=$store_base/bench-store-$n
    rm -rf "$dir"
    "$bench" store "$dir" "$n" 200
    rm -rf "$dir"
done
