#!/bin/bash
# Runs inside the sandbox (bench/run.sh): makes the users, the PAM stacks
# and the configuration, then runs bench/sspr-bench for each measurement
# (docs/benchmarks.md says what each one measures and how). A target that
# is missed prints MISS and is not a failure; a measurement that could not
# be taken is, and makes the exit status 1.
set -uo pipefail
[ "${SSPR_SANDBOX:-}" = 1 ] || { echo "inside.sh: only through bench/run.sh" >&2; exit 1; }
bench=$SSPR_BUILDDIR/bench/sspr-bench
probes=$SSPR_BUILDDIR/bench/probes
helper=/usr/sbin/sspr-helper
state=/var/lib/sspr
run=/run/sspr-bench
rounds=${BENCH_ROUNDS:-200}               # normal path
srounds=${BENCH_STARTUP_ROUNDS:-40}       # start-up breakdown
prounds=${BENCH_PROMPT_ROUNDS:-60}        # first prompt, cancel, RSS
rrounds=${BENCH_RESET_ROUNDS:-20}         # full resets
parrounds=${BENCH_PARALLEL_ROUNDS:-10}    # 16-way rounds
mrounds=${BENCH_MAIL_ROUNDS:-3}           # flows that send a code mail
gcn=${BENCH_GC_RECORDS:-10000}
gcrounds=${BENCH_GC_ROUNDS:-3}
gcflowrecs=${BENCH_GC_FLOW_RECORDS:-20000}
gcflows=${BENCH_GC_FLOWS:-160}
lrounds=${BENCH_LDAP_ROUNDS:-20}          # LDAP vs local resets
lwrong=${BENCH_LDAP_WRONG:-10}            # LDAP wrong-code flows
tracing=${BENCH_TRACE_PASSES:-1}          # the "where the time goes" passes
tracepre=$SSPR_BUILDDIR/bench/tracepre.so
keepdir=$SSPR_BUILDDIR/bench-run # kept after the sandbox: the libraries, the fsync trace, the summary
mkdir -p "$run" "$keepdir"
export BENCH_SUMMARY=$run/summary
: >"$BENCH_SUMMARY"
failed=0

# measure WHAT COMMAND...: run one measurement; a failure is counted, the
# run goes on with the next one
measure() {
    local what=$1
    shift
    if ! "$@"; then
        echo "!! could not measure: $what"
        echo "FAIL  $what: could not be measured" >>"$BENCH_SUMMARY"
        failed=$((failed + 1))
    fi
}
info() { echo "info  $*" | tee -a "$BENCH_SUMMARY"; }
# traced WHAT COMMAND...: run a command with bench/tracepre.so preloaded
# (through /etc/ld.so.preload, the sandbox's own) into a fresh trace
# directory, then `bench/trace.py WHAT` over it. Only for the "where the
# time goes" passes: the measured rounds never run with it.
# shellcheck disable=SC2317 # called through measure
traced() {
    local what=$1
    shift
    if [ "$tracing" != 1 ] || [ ! -f "$tracepre" ] || ! command -v python3 >/dev/null; then
        echo "  (no traced pass: BENCH_TRACE_PASSES=0, or bench/tracepre.so or python3 missing)"
        return 0
    fi
    rm -rf "$run/trace"
    mkdir -p "$run/trace"
    chmod 1777 "$run/trace" # sspr-ldap runs as nobody
    echo "$tracepre" >/etc/ld.so.preload
    BENCH_TRACE=1 BENCH_SUMMARY=/dev/null "$@" >"$run/traced.out" 2>&1
    local rc=$?
    rm -f /etc/ld.so.preload
    if [ "$rc" -ne 0 ]; then
        cat "$run/traced.out"
        return 1
    fi
    python3 "$SSPR_SRCDIR/bench/trace.py" "$what" "$run/trace"
}
# BENCH_ONLY="3 6": run only those sections
want() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }

# The state directory on the build directory's own file system (a bind
# mount, no overlay in between), as /var/lib/sspr is on a real system.
diskdir=/var/lib/sspr-bench-disk
if [ "${BENCH_DISK:-1}" = 1 ]; then
    mkdir -p "$SSPR_BUILDDIR/bench-run/state" "$SSPR_BUILDDIR/bench-run/disk"
    chmod 0700 "$SSPR_BUILDDIR/bench-run/state"
    mount --bind "$SSPR_BUILDDIR/bench-run/state" "$state" || { echo "inside.sh: bind mount on $state failed" >&2; exit 1; }
    diskdir=$SSPR_BUILDDIR/bench-run/disk
fi

echo "== machine: $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "== load average $(cut -d" " -f1-3 /proc/loadavg) at the start; kernel $(uname -r); $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"'); $(ldd --version | head -1)"
echo "== state directory $state on $(df --output=fstype "$state" | tail -1); /etc/shadow on $(df --output=fstype /etc | tail -1) (its upper layer on $(df --output=fstype "${SSPR_SANDBOX_DIR:-/}" 2>/dev/null | tail -1))"

# ---- configuration, stacks, users -------------------------------------------------
# Failures are fast here (no throttle delay, pam_unix nodelay) and high
# enough limits that 16 wrong codes at once are all judged (and counted).
throttle='[throttle]
failure_delay = 0
max_failures = 20
max_failures_per_method = 20
max_consecutive = 100
max_sends_per_hour = 50'
printf '%s\n' "$throttle" >/etc/sspr/sspr.conf
printf '%s\n[email]\nsmtp_url = smtp://127.0.0.1:2525\nstarttls = off\nfrom = sspr@bench.invalid\ntimeout = 10\n' \
    "$throttle" >/etc/sspr/bench-mail.conf
chmod 0600 /etc/sspr/sspr.conf /etc/sspr/bench-mail.conf
echo "root:$(head -c 18 /dev/urandom | base64)" | chpasswd

# a helper that leaves a mark if the normal path ever starts it
mkdir -p /usr/lib/sspr-bench
cat >/usr/lib/sspr-bench/marker <<'M'
#!/bin/sh
echo started >>/run/sspr-bench/helper-started
exec /usr/sbin/sspr-helper "$@"
M
chmod 0755 /usr/lib/sspr-bench/marker

stack() { # NAME [pam_sspr arguments]
    if [ $# -eq 1 ]; then
        printf '%s\n' 'auth [success=1 default=ignore] pam_unix.so nullok nodelay' \
            'auth requisite pam_deny.so' 'auth required pam_permit.so' >"/etc/pam.d/$1"
    else
        printf '%s\n' 'auth [success=2 default=ignore] pam_unix.so nullok nodelay' \
            "auth [success=1 default=ignore] pam_sspr.so $2" \
            'auth requisite pam_deny.so' 'auth required pam_permit.so' >"/etc/pam.d/$1"
    fi
}
stack bench-base
stack bench-sspr "helper=/usr/lib/sspr-bench/marker"
stack bench-trigger ""
stack bench-mail "config=/etc/sspr/bench-mail.conf"

newpw() { echo "Bench-$(head -c 9 /dev/urandom | base64 | tr -d '/+')-1x"; }
enroll_totp() { # USER [--config=FILE] -> "USER SECRET" on stdout
    local s
    s=$("$helper" ${2:+"$2"} enroll "$1" --totp 2>"$run/enroll.err" | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' | head -1)
    [ -n "$s" ] || { echo "inside.sh: no TOTP secret for $1: $(cat "$run/enroll.err")" >&2; return 1; }
    echo "$1 $s"
}
pw=$(newpw)
useradd -m -s /bin/bash benchu && echo "benchu:$pw" | chpasswd
enroll_totp benchu >"$run/totp-all" || exit 1
: >"$run/totp-pool"
for i in $(seq -w 0 15); do
    useradd -m -s /bin/bash "benchp$i" && echo "benchp$i:$(newpw)" | chpasswd
    enroll_totp "benchp$i" >>"$run/totp-pool" || exit 1
done
cat "$run/totp-pool" >>"$run/totp-all"
useradd -m -s /bin/bash benchmail && echo "benchmail:$(newpw)" | chpasswd
"$helper" --config=/etc/sspr/bench-mail.conf enroll benchmail --email benchmail@bench.invalid \
    >/dev/null 2>&1 || echo "inside.sh: enrolling benchmail's address failed" >&2
echo "== users: benchu, benchp00..15 (TOTP), benchmail (email); $(getent shadow benchu | cut -d: -f2 | cut -c1-3) hashes"

# ---- 1. normal path ---------------------------------------------------------------
if want 1; then
echo
echo "== 1. normal path: pam_authenticate, pam_unix alone vs with pam_sspr ($rounds rounds)"
measure "normal path" "$bench" normal bench-base bench-sspr benchu "$pw" "wrong-$pw" "$rounds"
if [ -e "$run/helper-started" ]; then
    n=$(wc -l <"$run/helper-started")
    echo "  processes started by pam_sspr on the normal path: $n"
    echo "MISS  normal path starts no process          $n started (marker helper)" >>"$BENCH_SUMMARY"
else
    echo "  processes started by pam_sspr on the normal path: 0 (the marker helper never ran)"
fi
if command -v strace >/dev/null; then
    for p in "$pw" "wrong-$pw"; do
        strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$run/strace" \
            "$bench" once bench-sspr benchu "$p" >/dev/null
        n=$(grep -cvE '^[0-9]+ +execve\("'"$bench"'"' "$run/strace" || true)
        echo "  strace -f, one transaction ($([ "$p" = "$pw" ] && echo right || echo wrong) password): $n clone/fork/exec calls"
    done
fi
fi

# ---- 2. where the first prompt's time goes ----------------------------------------
if want 2; then
echo
echo "== 2. helper start-up, taken apart ($srounds rounds)"
measure "start-up breakdown" "$bench" startup "$helper" "$probes" bench-trigger benchu "$srounds"
all=$(ldd "$helper" | awk '/=>/ {print $1}' | sort)
echo "  the helper names $(readelf -d "$helper" | grep -c NEEDED) libraries and loads $(echo "$all" | wc -l) (+ ld.so, vdso): $(echo "$all" | sed 's/\.so.*//' | tr '\n' ' ')"
if [ -x "$probes/probe-nocurl" ]; then
    nocurl=$(ldd "$probes/probe-nocurl" 2>/dev/null | awk '/=>/ {print $1}' | sort)
    only=$(comm -23 <(echo "$all") <(echo "$nocurl"))
    echo "  $(echo "$only" | grep -c .) of them only because of libcurl: $(echo "$only" | tr '\n' ' ')"
    bn=0
    for l in $only; do
        f=$(ldd "$helper" | awk -v l="$l" '$1 == l {print $3}')
        readelf -d "$f" 2>/dev/null | grep -qE 'FLAGS.*(BIND_NOW|NOW)' && bn=$((bn + 1))
    done
    echo "  of those, $bn are linked with BIND_NOW/-z now themselves (readelf -d FLAGS)"
fi
echo "  the probes' own memory at the top of main (VmHWM / RssAnon / RssFile, kB):"
for p in probe-now probe-lazy probe-libc probe-nocurl probe-curl-now probe-curl-lazy; do
    [ -x "$probes/$p" ] || continue
    printf '    %-16s %s\n' "$p" "$("$probes/$p" rss | awk '{printf "%s ", $2}')"
done
fi

# ---- 3. first prompt, cancel, memory --------------------------------------------------
if want 3; then
echo
echo "== 3. \"y\" -> first prompt, cancel, helper memory ($prounds rounds)"
export BENCH_LIBS_FILE=$keepdir/helper-libs.txt
measure "first prompt" "$bench" prompt bench-trigger benchu "$prounds"
echo " where it goes: the same flows with each step time-stamped (bench/tracepre.so):"
measure "first prompt, traced" traced prompt "$bench" prompt bench-trigger benchu 30
cp /etc/nsswitch.conf "$run/nsswitch.conf"
sed -i -E 's/^(passwd|group|shadow):.*/\1: files/' /etc/nsswitch.conf
echo " the same with nsswitch.conf's passwd, group and shadow: files only (no systemd module):"
measure "first prompt, traced, files only" traced prompt "$bench" prompt bench-trigger benchu 30
cp "$run/nsswitch.conf" /etc/nsswitch.conf
fi

# ---- 4. full reset ------------------------------------------------------------------
if want 4; then
echo
echo "== 4. full TOTP reset vs in-process pam_chauthtok on sspr-passwd ($rrounds rounds)"
measure "disk" "$bench" disk "$diskdir" 30
measure "full reset" "$bench" reset bench-trigger sspr-passwd benchu "$run/totp-pool" "$rrounds" "$diskdir"
fi

# ---- 5. fsyncs ------------------------------------------------------------------------
if want 5; then
echo
echo "== 5. fsyncs (strace -f -y -e trace=fsync,fdatasync,syncfs,sync_file_range, one flow each)"
if command -v strace >/dev/null &&
    strace -f -qq -y -e trace=fsync,fdatasync,syncfs,sync_file_range -o "$run/fsync.trace" \
        "$bench" fsyncs bench-trigger sspr-passwd benchu "$run/totp-pool" >/dev/null; then
    # real syncs between the markers fsync(-100) .. fsync(-107) (bench/b_reset.c);
    # -y names each fd's file: what was synced, in order, per segment
    awk '
        /fsync\(-1[0-9][0-9]\)/ { match($0, /fsync\(-1[0-9][0-9]\)/); seg = substr($0, RSTART + 7, 3) + 0; next }
        /(fsync|fdatasync|syncfs|sync_file_range)\([0-9]/ {
            n[seg]++
            f = $0; sub(/^[^<]*</, "", f); sub(/>.*$/, "", f)
            sub(/\.tmp\.[a-z0-9]+$/, ".tmp", f); sub(/^.*\//, "", f)
            what[seg] = what[seg] (what[seg] == "" ? "" : ", ") f
        }
        function line(label, k) { printf "  %-52s %d  %s\n", label, n[k], what[k] }
        END {
            line("reset: helper start .. code prompt", 100)
            line("reset: code prompt .. \"New password\" prompt", 101)
            printf "  %-52s %d\n", "reset: up to \"New password\"", n[100] + n[101]
            line("reset: \"New password\" .. pam_authenticate returns", 102)
            printf "  %-52s %d\n", "reset: whole flow", n[100] + n[101] + n[102]
            line("wrong code: answer .. flow ends (cancel)", 104)
            line("in-process pam_chauthtok (baseline)", 106)
            printf "%d %d %d %d\n", n[100] + n[101], n[100] + n[101] + n[102], n[104], n[106] > "/dev/stderr"
        }' "$run/fsync.trace" 2>"$run/fsync.counts"
    read -r up whole wrong base <"$run/fsync.counts"
    info "fsyncs: $up up to \"New password\", $whole for a whole reset, $wrong per wrong code; pam_chauthtok alone $base"
else
    echo "!! could not measure: fsyncs (strace missing or the flows failed)"
    echo "FAIL  fsyncs: could not be measured" >>"$BENCH_SUMMARY"
    failed=$((failed + 1))
fi
fi

# ---- 6. parallel wrong codes ----------------------------------------------------------
if want 6; then
echo
echo "== 6. 16 wrong codes at once: one user vs 16 users ($parrounds rounds)"
measure "disk" "$bench" disk "$diskdir" 30
measure "16-way verdicts" "$bench" parallel bench-trigger "$helper" "$state" benchu "$run/totp-all" "$parrounds"
echo " where it goes: 3 more same-user rounds with the helpers' locks time-stamped (bench/tracepre.so):"
measure "16-way, traced" traced locks env BENCH_PARALLEL_SAME_ONLY=1 "$bench" parallel bench-trigger "$helper" "$state" benchu "$run/totp-all" 3
fi

# ---- 7. delivery ------------------------------------------------------------------------
if want 7; then
echo
echo "== 7. delivery: who talks to the mail server, and its memory ($mrounds flows)"
deliver=$(cd "$SSPR_STAGE" && find . -name sspr-deliver -type f 2>/dev/null | head -1 | sed 's/^\.//')
measure "delivery" "$bench" mail bench-mail benchmail 2525 "$mrounds" "${deliver:-/usr/libexec/sspr-deliver}"
fi

# ---- 8. gc ------------------------------------------------------------------------------
if want 8; then
echo
echo "== 8. gc of stale unknown-name records ($gcn records, $gcrounds rounds), and flows meanwhile"
measure "disk" "$bench" disk "$diskdir" 30
measure "gc" "$bench" gc "$helper" "$state" "$gcn" "$gcrounds"
if [ "$tracing" = 1 ]; then
    # where a sweep's time goes: its system calls by wall time (strace -T,
    # one sweep of fewer records: the cost is per record), and the same
    # sweep of all of them with the state directory on a tmpfs
    gct=${BENCH_GC_TRACE_RECORDS:-3000}
    echo " where it goes: a sweep of $gct under strace -f -T, its system calls by wall time:"
    if "$bench" gcfill "$state" "$gct" >/dev/null &&
        strace -f -qq -T -o "$run/gc.strace" "$helper" gc >/dev/null 2>&1; then
        awk '/ <[0-9.]+>$/ {
                line = $0; sub(/^[0-9]+ +/, "", line)
                name = line; sub(/\(.*/, "", name)
                t = $NF; gsub(/[<>]/, "", t)
                if (name == "unlinkat")
                    name = (line ~ /\.lock"/) ? "unlinkat a lock file" : "unlinkat a bucket record"
                else if (name == "openat" && line ~ /O_CREAT/)
                    name = (line ~ /\.lock"/) ? "openat a bucket lock (O_CREAT)" : "openat a new bucket record"
                s[name] += t; c[name]++
            }
            END { for (k in s) printf "%.6f %d %s\n", s[k], c[k], k }' "$run/gc.strace" | sort -rn >"$run/gc.sorted"
        awk -v n="$gct" '{ all += $1 } END { printf "  %-34s %7.3f s, %.1f us per record\n", "all system calls", all, 1e6 * all / n }' "$run/gc.sorted"
        head -7 "$run/gc.sorted" | awk '{ t = $1; c = $2; $1 = ""; $2 = ""; sub(/^  /, ""); printf "  %-34s %7.3f s  %6d calls  %6.1f us each\n", $0, t, c, 1e6 * t / c }'
    fi
    mkdir -p "$run/tmpfs-state"
    if mount -t tmpfs -o mode=0700 sspr-bench-gc "$run/tmpfs-state" && mount --bind "$run/tmpfs-state" "$state"; then
        echo " the same $gcn-record sweeps with the state directory on a tmpfs (no disk):"
        BENCH_SUMMARY=/dev/null "$bench" gc "$helper" "$state" "$gcn" "$gcrounds" | grep -E '^  (sspr-helper gc|  )'
        umount "$state"
        umount "$run/tmpfs-state"
    fi
fi
measure "flows with stale records" "$bench" gcflows bench-trigger "$state" "$gcflowrecs" "$gcflows"
fi
# ---- 9. LDAP backend ----------------------------------------------------------------
# A real slapd in this sandbox (bench/ldap_slapd.py, through
# tests/directory/slapd.py), its database on the same disk as the state
# directory; directory users (no /etc/passwd line) with an authenticator
# app, reset through their own PAM service (config=, backend = ldap).
if want 9; then
echo
echo "== 9. LDAP backend (backend = ldap) against a real slapd, beside the local store ($lrounds rounds)"
if [ ! -x /usr/sbin/slapd ] || ! command -v ldapsearch >/dev/null || ! command -v python3 >/dev/null; then
    echo "  skipped: needs slapd, ldap-utils and python3 (apt-get install slapd ldap-utils)"
    echo "SKIP  LDAP section: slapd, ldap-utils or python3 missing" >>"$BENCH_SUMMARY"
else
    ldapdb='' ldapstate=/var/lib/sspr-ldap
    mkdir -p "$ldapstate"
    chmod 0700 "$ldapstate"
    if [ "${BENCH_DISK:-1}" = 1 ]; then
        ldapdb=$SSPR_BUILDDIR/bench-run/slapd-db
        mkdir -p "$SSPR_BUILDDIR/bench-run/ldapstate"
        chmod 0700 "$SSPR_BUILDDIR/bench-run/ldapstate"
        mount --bind "$SSPR_BUILDDIR/bench-run/ldapstate" "$ldapstate"
    fi
    printf '%s\n' "$throttle" >"$run/throttle.conf"
    lusers="benchlu $(seq -f 'benchl%02g' 0 15 | tr '\n' ' ')"
    # shellcheck disable=SC2086 # one word per user
    if python3 "$SSPR_SRCDIR/bench/ldap_slapd.py" "$run/ldap.env" /etc/sspr/bench-ldap.conf \
        "$ldapstate" "$ldapdb" "$run/throttle.conf" $lusers; then
        # shellcheck disable=SC1091 # written just now
        . "$run/ldap.env"
        echo "  slapd $(/usr/sbin/slapd -VV 2>&1 | sed -n 's/.*slapd \([0-9.]*\).*/\1/p' | head -1), back_mdb in ${LDAP_DB} ($(df --output=fstype "$LDAP_DB" | tail -1)), StartTLS on $LDAP_URI, log: -d stats"
        stack bench-ldap "config=/etc/sspr/bench-ldap.conf"
        : >"$run/ldap-all"
        ok=1
        for u in $lusers; do
            enroll_totp "$u" --config=/etc/sspr/bench-ldap.conf >>"$run/ldap-all" || ok=0
        done
        grep -v '^benchlu ' "$run/ldap-all" >"$run/ldap-pool"
        if [ "$ok" = 1 ]; then
            measure "disk" "$bench" disk "$diskdir" 30
            sldap=$(cd "$SSPR_STAGE" && find . -name sspr-ldap -type f | head -1 | sed 's/^\.//')
            echo "  sspr-ldap ($sldap) loads $(ldd "$sldap" | grep -c '=>') libraries: $(ldd "$sldap" | awk '/=>/ {sub(/\.so.*/, "", $1); printf "%s ", $1}')"
            measure "LDAP resets" "$bench" ldap bench-trigger bench-ldap "$run/totp-pool" "$run/ldap-pool" \
                "$LDAP_LOG" "$lrounds" "$lwrong" "$helper" /etc/sspr/bench-ldap.conf "$sldap"
            echo " where the directory user's first prompt goes: 20 flows (\"y\", cancel at the code prompt) time-stamped (bench/tracepre.so):"
            measure "LDAP first prompt, traced" traced ldap "$bench" prompt bench-ldap benchlu 20
            cat >"$run/ldap-failures" <<F
#!/bin/sh
# the f= of USER's ssprThrottle value, as the directory holds it
LDAPCONF=/dev/null LDAPRC=/dev/null/none ldapsearch -x -o nettimeout=10 -H '$LDAP_LDAPI' \\
    -D '$LDAP_ADMIN_DN' -w '$LDAP_ADMIN_PW' -LLL -o ldif-wrap=no -b "uid=\$1,$LDAP_PEOPLE" -s base \\
    ssprThrottle | sed -n 's/^ssprThrottle: .* f=\([0-9]*\) .*/\1/p'
F
            chmod 0700 "$run/ldap-failures"
            echo " 16 wrong codes at once, directory users ($parrounds rounds):"
            measure "LDAP 16-way verdicts" env BENCH_HELPER_CONFIG=/etc/sspr/bench-ldap.conf \
                BENCH_FAILURES_CMD="$run/ldap-failures" BENCH_SLAPD_LOG="$LDAP_LOG" \
                "$bench" parallel bench-ldap "$helper" "$ldapstate" benchlu "$run/ldap-all" "$parrounds"
        else
            echo "!! could not measure: LDAP (enrolling the directory users failed)"
            echo "FAIL  LDAP: enrolling the directory users failed" >>"$BENCH_SUMMARY"
            failed=$((failed + 1))
        fi
        cp "$LDAP_LOG" "$keepdir/slapd.log"
        kill "$LDAP_PID" 2>/dev/null
    else
        echo "!! could not measure: LDAP (slapd did not start)"
        echo "FAIL  LDAP: slapd did not start" >>"$BENCH_SUMMARY"
        failed=$((failed + 1))
    fi
fi
fi
echo
echo "== summary (each against its baseline in this run)"
cat "$BENCH_SUMMARY"
cp "$BENCH_SUMMARY" "$keepdir/summary.txt"
[ -f "$run/fsync.trace" ] && cp "$run/fsync.trace" "$keepdir/fsync.trace"
[ "$failed" -eq 0 ] || { echo "== $failed measurement(s) could not be taken"; exit 1; }
exit 0
