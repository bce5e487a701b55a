#!/bin/sh
# The demo's instructions (printed when the sandbox opens, and by `help`).
d=${SSPR_DEMO_DIR:-/root/sspr-demo}
if [ -t 1 ]; then
    b=$(printf '\033[1m') c=$(printf '\033[1;36m') y=$(printf '\033[1;33m') n=$(printf '\033[0m')
else
    b='' c='' y='' n=''
fi
secret=$(cat "$d/totp-secret" 2>/dev/null)
shown=$d
# shellcheck disable=SC2088 # shown to the user, not expanded
case $d in /root/*) shown="~/${d#/root/}" ;; esac
codes=$(head -2 "$d/recovery-codes" 2>/dev/null | tr '\n' ' ')
newbie_pw=$(cat "$d/newbie-password" 2>/dev/null)
cat <<EOF

${b}pam_sspr demo: "Forgot your password?" at the Linux login prompt${n}
You are root in a throwaway sandbox. The user ${b}demo${n} has forgotten their password
(nobody knows it), but registered an authenticator app and recovery codes.

  authenticator secret  ${y}${secret}${n}   (any TOTP app; or just run ${c}demo-code${n})
  recovery codes        ${y}${codes}${n}
                        (each works once; all ten: ${c}cat $shown/recovery-codes${n})

${b}Reset demo's password over SSH${n}
  1. ${c}demo-code${n}              the code demo's app shows right now (good for about a minute)
  2. ${c}ssh demo@localhost${n}     at ${b}Password:${n} just press ${b}Enter${n}, answer ${b}y${n}, type the code,
                            then a new password twice (12+ characters, not a common one)
  3. at the next ${b}Password:${n} type the new password: you are demo. ${c}exit${n} comes back here.

${b}Or at the console${n}   ${c}login demo${n} (the same steps), or ${c}login${n} and type ${b}reset${n} at
  "login:" (kiosk mode: it asks which account to reset and never lets "reset" in).
  login keeps asking until you sign in; Ctrl-D at its prompt a few times gives up.
  A wrong password says how to reset; ${c}sspr-helper show demo${n} shows the registration.

${b}Register at sign-in${n}   the user ${b}newbie${n} knows their password (${y}${newbie_pw}${n}) but has
  registered nothing yet. ${c}ssh newbie@localhost${n}, type that password, answer ${b}y${n} to
  "Set it up now?" and choose the authenticator app. Scan the QR code with a phone app, or
  press ${b}Ctrl-Z${n}, run ${c}app-code KEY${n} with the key shown, ${c}fg${n}, and type the code it prints.
  Then ${c}exit${n}, and reset newbie's password as above with the app's next code.

${c}help${n} shows this again.  ${c}exit${n} leaves the sandbox and removes everything.
EOF
