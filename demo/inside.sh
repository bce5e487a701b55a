#!/bin/bash
# Runs INSIDE the demo sandbox (started by demo/demo.sh through
# tests/sandbox/sandbox.sh). Sets up the system the demo shows, prints the
# instructions and opens a shell; --check walks the instructions with
# pexpect instead (demo/check.py) and exits with its status.
set -euo pipefail

if [ "${SSPR_SANDBOX:-}" != 1 ]; then
    echo "inside.sh: run through demo.sh, never on its own (it changes /etc)" >&2
    exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
check=0
[ "${1:-}" = --check ] && check=1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
demo_dir=/root/sspr-demo
mkdir -p "$demo_dir" && chmod 0700 "$demo_dir"

# ---- a sanitizer build (the test suite's ASan pass): system programs can load
# the instrumented pam_sspr.so only with the runtimes preloaded (and libcrypt,
# whose crypt_r ASan intercepts at start-up)
mod=
for m in /lib/*/security/pam_sspr.so /usr/lib/*/security/pam_sspr.so; do
    [ -e "$m" ] && mod=$m && break
done
san=$(ldd "$mod" 2>/dev/null | awk '$1 ~ /^lib(asan|ubsan)\.so/ {print $3}' | sort | tr '\n' ':')
if [ -n "$san" ]; then
    crypt=
    [ -e /lib/x86_64-linux-gnu/libcrypt.so.1 ] && crypt=/lib/x86_64-linux-gnu/libcrypt.so.1
    export LD_PRELOAD="$san$crypt"
    export ASAN_OPTIONS=detect_leaks=0
fi

# ---- PAM: Debian's common-auth plus the pam_sspr lines (README "Enable it") ----
# the offer after pam_unix, and kiosk mode: `reset` typed at login:
awk '
    !done && /^auth[ \t]+\[success=[0-9]+ default=ignore\][ \t]+pam_unix\.so/ {
        match($0, /success=[0-9]+/)
        n = substr($0, RSTART + 8, RLENGTH - 8) + 0
        print "auth [ignore=ignore default=die] pam_sspr.so kiosk_user=reset"
        sub(/success=[0-9]+/, "success=" (n + 1))
        print
        print "auth [success=" n " default=ignore] pam_sspr.so"
        done = 1
        next
    }
    { print }
    END { if (!done) exit 1 }
' /etc/pam.d/common-auth >/etc/pam.d/common-auth.sspr ||
    { echo "inside.sh: no pam_unix line in /etc/pam.d/common-auth" >&2; exit 1; }
mv /etc/pam.d/common-auth.sspr /etc/pam.d/common-auth
chmod 0644 /etc/pam.d/common-auth
# registration at sign-in: the account line (where pam-auth-update puts it,
# after Debian's own lines); register_at_login = offer is the default
grep -q pam_sspr.so /etc/pam.d/common-account ||
    echo "account [success=ok perm_denied=die default=ignore] pam_sspr.so" >>/etc/pam.d/common-account

# ---- the demo user: a password nobody knows, an authenticator app, recovery codes ----
# root gets an unknown password too, so nothing can sign in as root by accident
for u in root demo; do
    [ $u = demo ] && ! getent passwd demo >/dev/null && useradd -m -s /bin/bash -c "Demo User" demo
    echo "$u:$(head -c 24 /dev/urandom | base64 | tr -d '/+=')" | chpasswd
done
# ---- the second demo user: knows their password, has registered nothing yet ----
getent passwd newbie >/dev/null || useradd -m -s /bin/bash -c "New Demo User" newbie
newbie_pw="Blue-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')-Kite"
echo "newbie:$newbie_pw" | chpasswd
printf '%s\n' "$newbie_pw" >"$demo_dir/newbie-password"
uri=$(sspr-helper enroll demo --totp 2>/dev/null | grep -o 'otpauth://[^ ]*' | head -1)
secret=$(printf '%s\n' "$uri" | sed -n 's/.*[?&]secret=\([A-Za-z2-7]*\).*/\1/p')
[ -n "$secret" ] || { echo "inside.sh: enrolling demo for TOTP failed" >&2; exit 1; }
sspr-helper enroll demo --recovery-codes 2>/dev/null >"$demo_dir/recovery-codes"
printf '%s\n' "$secret" >"$demo_dir/totp-secret"
printf '%s\n' "$uri" >"$demo_dir/otpauth-uri"
chmod 0600 "$demo_dir"/*

# `demo-code`: the authenticator app on your phone, in a command
cat >/usr/local/bin/demo-code <<EOF
#!/bin/sh
# The demo user's current authenticator code (what a phone app would show).
code=\$(oathtool --totp -b "\$(cat $demo_dir/totp-secret)") || exit 1
left=\$((30 - \$(date +%s) % 30))
echo "\$code"
echo "(the app shows a new code in \$left s; a code works once, for about a minute)" >&2
EOF
chmod 0755 /usr/local/bin/demo-code

# `app-code KEY`: what an authenticator app shows for a key (the one newbie
# gets when registering; spaces are fine)
cat >/usr/local/bin/app-code <<'EOF'
#!/bin/sh
# The current code of an authenticator app set up with KEY (base32).
[ $# -gt 0 ] || { echo "usage: app-code KEY   (the key shown when registering)" >&2; exit 2; }
exec oathtool --totp -b "$*"
EOF
chmod 0755 /usr/local/bin/app-code

# ---- time for a reset: console login gives up after LOGIN_TIMEOUT (Debian: 60 s),
# sshd after LoginGraceTime (120 s); a reset can take longer (sspr-helper doctor
# says so, docs/troubleshooting.md "Sign-in timeouts")
sed -i '/^[[:space:]]*LOGIN_TIMEOUT[[:space:]]/d' /etc/login.defs
echo "LOGIN_TIMEOUT 300" >>/etc/login.defs

# ---- sshd on localhost (this sandbox has its own network: port 22 is free) ----
mkdir -p /run/sshd /run/sspr-demo
ssh-keygen -q -t ed25519 -N "" -C sspr-demo -f /run/sspr-demo/host_key
cat >/run/sspr-demo/sshd_config <<EOF
Port 22
ListenAddress 127.0.0.1
ListenAddress ::1
HostKey /run/sspr-demo/host_key
PidFile /run/sspr-demo/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
PermitRootLogin no
PrintMotd no
UseDNS no
LoginGraceTime 300
EOF
/usr/sbin/sshd -f /run/sspr-demo/sshd_config -E /run/sspr-demo/sshd.log
# the client knows the sandbox's host key and goes straight to the password
mkdir -p /etc/ssh/ssh_config.d
echo "localhost,127.0.0.1,::1 $(cut -d' ' -f1,2 /run/sspr-demo/host_key.pub)" >/etc/ssh/ssh_known_hosts
cat >/etc/ssh/ssh_config.d/00-sspr-demo.conf <<EOF
Host localhost 127.0.0.1 ::1
    PreferredAuthentications keyboard-interactive
    PubkeyAuthentication no
    GSSAPIAuthentication no
EOF

export SSPR_DEMO_DIR=$demo_dir

# ---- the shell the user gets (--check opens it too: Ctrl-C must work there) ----
cat >"$demo_dir/bashrc" <<EOF
[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc
help() { "$here/banner.sh"; }
PS1='\[\e[1;36m\][sspr-demo]\[\e[0m\] root# '
PROMPT_COMMAND='history -a'
"$here/banner.sh"
EOF
if [ $check = 1 ]; then
    exec /usr/bin/python3 -B "$here/check.py"
fi
cd /root
# the shell's own status (the last command typed) says nothing about the demo
TERM=${TERM:-xterm} HOME=/root bash --rcfile "$demo_dir/bashrc" -i || true
exit 0
