#!/usr/bin/python3
"""demo.sh --check: walk the demo's on-screen instructions without a person.

Runs inside the demo sandbox after demo/inside.sh set it up: `demo-code`
gives a code, `ssh demo@localhost` resets the password (Enter, y, code, new
password twice) and signs in with it at the next prompt, `login demo` gets a
shell with it, and kiosk mode (`login`, then `reset`) resets it again with a
recovery code; and Ctrl-C works in the demo's shell. Exit 0 when all of
that works, 1 otherwise.
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
    return "Sunny-%s-Pw!" % os.urandom(5).hex()


def code_now():
    out = subprocess.run(["demo-code"], env=ENV, capture_output=True, text=True, check=True)
    m = re.fullmatch(r"(\d{6})\n", out.stdout)
    assert m, "demo-code printed %r" % out.stdout
    assert "new code in" in out.stderr
    return m.group(1)


def shell_is_demo(c):
    c.expect(r"[$#] $")
    c.sendline("echo CHECK-$(id -un)-OK; exit")
    c.expect(r"CHECK-(\w+)-OK")
    assert c.match.group(1) == "demo", c.match.group(1)
    c.expect(pexpect.EOF)


def demo_shell_ctrl_c():
    """The demo's interactive shell: SIGINT and SIGQUIT are not ignored for
    what runs in it, and Ctrl-C ends a program (issue 9 item 6)."""
    c = spawn("bash", "--rcfile", os.path.join(DIR, "bashrc"), "-i")
    prompt = re.escape("[sspr-demo]") + r"\S* root# "
    c.expect(prompt)
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


def main():
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
    c.expect(re.escape("Reset it now? [y/N] "))
    c.sendline("y")
    c.expect(r"Verification code \(authenticator app or recovery code\): ")
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
    c.expect(r"Verification code \(authenticator app or recovery code\): ")
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
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, pexpect.ExceptionPexpect, subprocess.CalledProcessError) as e:
        print("FAIL: %s: %s\n--- screen ---\n%s" % (type(e).__name__, e, "".join(log)[-3000:]))
        sys.exit(1)
