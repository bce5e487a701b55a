#!/usr/bin/python3
"""demo.sh --check: walk the demo's on-screen instructions without a person.

Runs inside the demo sandbox after demo/inside.sh set it up: `demo-code`
gives a code, `ssh demo@localhost` resets the password (Enter, y, code, new
password twice) and signs in with it at the next prompt, `login demo` gets a
shell with it, and kiosk mode (`login`, then `reset`) resets it again with a
recovery code; newbie (not registered) signs in over ssh, registers an
authenticator app when asked, and later resets with it at the console;
Ctrl-C works in the demo's shell; and `sspr-helper doctor` (with and
without a user) finds nothing wrong with the demo's installation. Exit 0
when all of that works, 1 otherwise.
"""
import os
import re
import subprocess
import sys
import time

import pexpect

DIR = os.environ.get("SSPR_DEMO_DIR", "/root/sspr-demo")
ENV = {"PATH": "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "dumb", "HOME": "/root",
       "LANG": "C.UTF-8"}
for _k in ("LD_PRELOAD", "ASAN_OPTIONS"):   # set by inside.sh for a sanitizer build
    if os.environ.get(_k):
        ENV[_k] = os.environ[_k]
log = []


class Log:
    def write(self, s):
        log.append(s)

    def flush(self):
        pass


def spawn(cmd, *args):
    c = pexpect.spawn(cmd, list(args), env=ENV, encoding="utf-8", timeout=20,
                      codec_errors="replace")
    c.logfile_read = Log()
    return c


def new_password():
    # cracklib calls more than four neighbours one apart "systematic" (random
    # hex gets there now and then): letters and others alternating, never a
    # neighbour one apart, as tests/pam/sspr_harness.py's strong_password
    import secrets
    letters, others = "ACEGJLNQSUWYbdfhkmprtvxz", "3579#%+=@"
    out = []
    for i in range(10):
        pool = letters if i % 2 == 0 else others
        ch = secrets.choice(pool)
        while out and abs(ord(ch) - ord(out[-1])) == 1:
            ch = secrets.choice(pool)
        out.append(ch)
    return "Sunny-%s-Pw!" % "".join(out)


def code_now():
    out = subprocess.run(["demo-code"], env=ENV, capture_output=True, text=True, check=True)
    m = re.fullmatch(r"(\d{6})\n", out.stdout)
    assert m, "demo-code printed %r" % out.stdout
    assert "new code in" in out.stderr
    return m.group(1)


def shell_is(c, user):
    c.expect(r"[$#] $")
    c.sendline("echo CHECK-$(id -un)-OK; exit")
    c.expect(r"CHECK-(\w+)-OK")
    assert c.match.group(1) == user, c.match.group(1)
    c.expect(pexpect.EOF)


def shell_is_demo(c):
    shell_is(c, "demo")


def app_code(key, at=None):
    """What the app shows for key: now through the demo's `app-code`, or at
    another time (a code works once: a reset right after registering needs
    the next step's code)."""
    if at is None:
        out = subprocess.run(["app-code", key], env=ENV, capture_output=True, text=True,
                             check=True).stdout
    else:
        out = subprocess.run(["oathtool", "--totp", "-b", "-N", "@%d" % int(at), key],
                             env=ENV, capture_output=True, text=True, check=True).stdout
    m = re.fullmatch(r"(\d{6})\n", out)
    assert m, "app-code printed %r" % out
    return m.group(1)


SET_UP = "Password reset is set up."


DEMO_PROMPT = re.escape("[sspr-demo]") + r"\S* root# "


def demo_shell():
    c = spawn("bash", "--rcfile", os.path.join(DIR, "bashrc"), "-i")
    c.expect(DEMO_PROMPT)
    return c


def register_newbie(banner):
    """As the banner says, in the demo's shell: newbie signs in over ssh with
    the password shown, is offered registration (the account line), chooses
    the authenticator app, presses Ctrl-Z, runs `app-code KEY`, `fg`, types
    the code and gets a shell. Returns the key and when its code was typed."""
    pw = open(os.path.join(DIR, "newbie-password")).read().strip()
    assert pw in banner and "newbie" in banner, "banner lacks newbie's password"
    c = demo_shell()
    c.sendline("ssh newbie@localhost")
    c.expect(r"\(newbie@localhost\) Password: ")
    c.sendline(pw)
    c.expect(re.escape("Set it up now? [Y/n] "))
    c.sendline("y")
    c.expect(r"(\d)\) authenticator app")
    choice = c.match.group(1)
    c.expect(re.escape("Number (Enter to stop): "))
    c.sendline(choice)
    c.expect(r"Key: ((?:[A-Z2-7]{1,4} )*[A-Z2-7]{1,4})\r?\n")
    key = c.match.group(1)
    c.expect(re.escape("Code shown in the app: "))
    c.sendcontrol("z")
    c.expect(DEMO_PROMPT)
    c.sendline("app-code " + key)
    c.expect(r"\n(\d{6})\r?\n")
    code = c.match.group(1)
    assert code == app_code(key) or code == app_code(key, at=time.time() - 30), code
    c.expect(DEMO_PROMPT)
    c.sendline("fg")
    c.expect(re.escape("Code shown in the app: "))
    mark = len("".join(log))
    typed = time.time()
    c.sendline(code)
    c.expect("Authenticator app registered.")
    c.expect(re.escape(SET_UP))
    # over sshd the helper ends with one more prompt, so its messages travel
    # with a prompt (sshd prints what follows the last prompt twice)
    c.expect(re.escape("Press Enter to continue."))
    c.sendline("")
    c.expect(r"newbie@\S+:~\$ $")
    shown = "".join(log)[mark:].count(SET_UP)
    assert shown == 1, "the confirmation was shown %d times" % shown
    c.sendline("echo CHECK-$(id -un)-OK; exit")
    c.expect(r"CHECK-(\w+)-OK")
    assert c.match.group(1) == "newbie", c.match.group(1)
    c.expect(DEMO_PROMPT)
    c.sendline("exit")
    c.expect(pexpect.EOF)
    return key, typed


def reset_newbie(key, registered_at):
    """At the console: Enter, y, the app's next code, a new password; then
    newbie signs in with it (and is not asked to register again)."""
    pw = new_password()
    c = spawn("login", "newbie")
    c.expect("Password: ")
    c.sendline("")
    c.expect(re.escape("Reset your password? Type y: "))
    c.sendline("y")
    c.expect(r"App or recovery code: ")
    c.sendline(app_code(key, at=max(time.time(), registered_at + 30)))
    c.expect("New password: ")
    c.sendline(pw)
    c.expect("Retype new password: ")
    c.sendline(pw)
    c.expect("Sign in again with your new password")
    c.expect("Login incorrect")
    c.expect("login: ")
    c.sendline("newbie")
    c.expect("Password: ")
    c.sendline(pw)
    shell_is(c, "newbie")


def demo_shell_ctrl_c():
    """The demo's interactive shell: SIGINT and SIGQUIT are not ignored for
    what runs in it, and Ctrl-C ends a program (issue 9 item 6)."""
    c = demo_shell()
    prompt = DEMO_PROMPT
    c.sendline("grep '^SigIgn' /proc/self/status")
    c.expect(r"SigIgn:\s+([0-9a-f]+)")
    mask = int(c.match.group(1), 16)
    assert mask & 0x6 == 0, "programs in the demo shell ignore SIGINT/SIGQUIT (SigIgn %x)" % mask
    c.expect(prompt)
    c.sendline("sleep 60")
    time.sleep(0.5)
    c.sendintr()                      # Ctrl-C
    c.expect(prompt, timeout=5)
    c.sendline("echo ctrl-c-status=$?")
    c.expect(r"ctrl-c-status=(\d+)")
    assert c.match.group(1) == "130", "sleep was not ended by Ctrl-C: %s" % c.match.group(1)
    c.expect(prompt)
    c.sendline("exit")
    c.expect(pexpect.EOF)


DOCTOR_LINE = re.compile(r"^(PASS|WARN|FAIL)  (?:SSPR-E\d{3} )?\S")


def doctor_passes(*user):
    """`sspr-helper doctor [USER]` inside the demo: no FAIL (issue 9 item 9:
    it must read the running sshd's configuration, not /etc/ssh's), one
    line per check when piped. Returns its output."""
    p = subprocess.run(["sspr-helper", "doctor"] + list(user), env=ENV, capture_output=True,
                       text=True)
    lines = p.stdout.splitlines()
    assert lines and re.fullmatch(r"0 failed, \d+ warnings?", lines[-1]), \
        "doctor %s (exit %d):\n%s%s" % (" ".join(user), p.returncode, p.stdout, p.stderr)
    for line in lines[:-1]:
        assert DOCTOR_LINE.match(line), "doctor printed %r" % line
    assert p.returncode == 0, "doctor exited %d:\n%s" % (p.returncode, p.stdout)
    return p.stdout


def main():
    out = doctor_passes()
    # the demo's sshd runs with -f /run/sspr-demo/sshd_config: that is the one checked
    assert re.search(r"(?m)^PASS  sshd \(pid \d+, -f /run/sspr-demo/sshd_config\): UsePAM yes, "
                     r"KbdInteractiveAuthentication yes", out), out
    # and neither login nor sshd gives up in the middle of a reset (issue 9 item 8)
    assert re.search(r"(?m)^PASS  login: LOGIN_TIMEOUT 300 s", out), out
    assert re.search(r"(?m)^PASS  sshd \(pid \d+, -f /run/sspr-demo/sshd_config\): "
                     r"LoginGraceTime 300 s", out), out
    doctor_passes("demo")
    print("ok: sspr-helper doctor and doctor demo: 0 failed")

    demo_shell_ctrl_c()
    print("ok: Ctrl-C ends a program in the demo shell (SIGINT, SIGQUIT not ignored)")

    banner = subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                          "banner.sh")], capture_output=True, text=True,
                            env=dict(ENV, SSPR_DEMO_DIR=DIR)).stdout
    secret = open(os.path.join(DIR, "totp-secret")).read().strip()
    codes = open(os.path.join(DIR, "recovery-codes")).read().split()
    assert secret in banner and codes[0] in banner, "banner lacks the secret or the codes"
    assert len(codes) == 10, codes

    # ssh, as the banner says
    pw = new_password()
    c = spawn("ssh", "demo@localhost")
    c.expect(r"\(demo@localhost\) Password: ")
    c.sendline("")
    c.expect(re.escape("Reset your password? Type y: "))
    c.sendline("y")
    c.expect(r"App or recovery code: ")
    c.sendline(code_now())
    c.expect("New password: ")
    c.sendline(pw)
    c.expect("Retype new password: ")
    c.sendline(pw)
    c.expect("Sign in again with your new password")
    c.expect(r"\(demo@localhost\) Password: ")
    c.sendline(pw)
    shell_is_demo(c)
    print("ok: ssh demo@localhost: reset with demo-code, then signed in")

    # the console
    c = spawn("login", "demo")
    c.expect("Password: ")
    c.sendline(pw)
    shell_is_demo(c)
    print("ok: login demo with the new password")

    # kiosk: `login`, then `reset`, with a recovery code
    pw2 = new_password()
    c = spawn("login")
    c.expect("login: ")
    c.sendline("reset")
    c.expect("Account to reset: ")
    c.sendline("demo")
    c.expect(r"App or recovery code: ")
    c.sendline(codes[0])
    c.expect("New password: ")
    c.sendline(pw2)
    c.expect("Retype new password: ")
    c.sendline(pw2)
    c.expect("Sign in again with your new password")
    c.expect("Login incorrect")
    c.expect("login: ")
    c.sendline("demo")
    c.expect("Password: ")
    c.sendline(pw2)
    shell_is_demo(c)
    print("ok: kiosk reset (login: reset) with a recovery code, then login demo")

    # registration at sign-in, then a reset with what was registered
    key, typed = register_newbie(banner)
    print("ok: ssh newbie@localhost: registered an authenticator app at sign-in")
    reset_newbie(key, typed)
    print("ok: login newbie: reset with that app, then signed in (no second registration)")
    doctor_passes("newbie")
    print("ok: sspr-helper doctor newbie: 0 failed once newbie registered")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, pexpect.ExceptionPexpect, subprocess.CalledProcessError) as e:
        print("FAIL: %s: %s\n--- screen ---\n%s" % (type(e).__name__, e, "".join(log)[-3000:]))
        sys.exit(1)
