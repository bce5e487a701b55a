#!/usr/bin/python3
"""Photograph the real lightdm-gtk-greeter during a reset (for the README).

    scripts/greeter-screenshot.sh [BUILDDIR]     (writes docs/img/greeter-reset.png)

Inside the sandbox (the wrapper enters it): the staged pam_sspr in
common-auth, a user with an authenticator app, a private system bus, Xvfb
1024x768, LightDM with Debian's own GTK greeter, and then what a person
would do, typed with xdotool: the user name, Enter at the password prompt
(empty), "y" at the offer. When the helper asks for the verification code
the whole screen is taken with `import -window root` and written as PNG to
stdout (everything else goes to stderr). --stage NAME stops earlier
(user, password, offer, code, new, retype, done) to see each step.
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import greeter as g  # noqa: E402
from greeter import e2e, h  # noqa: E402

USER = "alex"
STAGES = ("user", "password", "offer", "code", "new", "retype", "done")
GTK_GREETER = "lightdm-gtk-greeter"


def log(msg):
    sys.stderr.write("greeter-screenshot: %s\n" % msg)
    sys.stderr.flush()


def x(*argv, check=True):
    return h.run(list(argv), check=check, env=dict(os.environ, DISPLAY=g.DISPLAY))


def greeter_window():
    p = x("xdotool", "search", "--onlyvisible", "--class", GTK_GREETER, check=False)
    ids = p.stdout.split()
    return ids[-1] if ids else None


def pam_messages():
    """How many conversation calls LightDM's session child made so far."""
    try:
        with open(g.LIGHTDM_LOG) as f:
            return f.read().count("message(s) from PAM")
    except FileNotFoundError:
        return 0


def type_line(win, text):
    x("xdotool", "windowfocus", "--sync", win)
    if text:
        x("xdotool", "type", "--delay", "30", text)
    x("xdotool", "key", "Return")


def settle(timeout=5.0):
    """Wait until two screen grabs in a row are the same (GTK drew everything)."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        img = subprocess.run(["import", "-window", "root", "-display", g.DISPLAY, "rgb:-"],
                             capture_output=True).stdout
        if img and img == last:
            return
        last = img
        time.sleep(0.2)


class GtkGreeterRun:
    """LightDM with Debian's lightdm-gtk-greeter on the display, driven by
    xdotool the way a person types. The PAM side is the sandbox's (set up
    by the caller: common-auth with pam_sspr, the user enrolled)."""

    def __init__(self):
        wrapper = g.install_files()
        g._setup_run_dir()
        self.proc, self.stderr_log = g.start_lightdm(
            g.lightdm_conf(greeter=GTK_GREETER, session_wrapper=wrapper))
        self.win = g._wait(greeter_window, "the GTK greeter's window", interval=0.2,
                           detail=self.log_tail)
        # it starts with authenticate(NULL): PAM's "login:" is conversation call 1
        self.wait_calls(1)
        self.stage = "user"

    def log_tail(self):
        return "\n" + g._tail(g.LIGHTDM_LOG)

    def wait_calls(self, n):
        g._wait(lambda: pam_messages() >= n, "PAM conversation call %d" % n,
                detail=self.log_tail)

    def walk(self, user, code, new_password, until):
        """Type from the current stage on, until stage `until` shows. code: a
        function giving a fresh authenticator code when it is needed."""
        # what to type, how many PAM conversation calls LightDM has seen
        # after it (an info and a prompt are two) and the stage that shows
        # then; after the reset the greeter authenticates again (Password: is 9)
        steps = [("user", user, 2, "password"), ("password", "", 3, "offer"),
                 ("offer", "y", 5, "code"), ("code", code, 6, "new"),
                 ("new", new_password, 7, "retype"), ("retype", new_password, 9, "done")]
        for at, text, calls, next_stage in steps:
            if self.stage == until:
                return
            if self.stage != at:
                continue
            type_line(self.win, text() if callable(text) else text)
            self.wait_calls(calls)
            self.stage = next_stage
        if self.stage != until:
            raise h.HarnessError("cannot walk from stage %s to %s" % (self.stage, until))

    def png(self):
        settle()
        return subprocess.run(["import", "-window", "root", "-display", g.DISPLAY, "png:-"],
                              capture_output=True, check=True).stdout

    def stop(self):
        g.stop_lightdm(self.proc)


def need_tools():
    for tool in ("lightdm", GTK_GREETER, "Xvfb", "xdotool", "import", "dbus-daemon"):
        if h.run(["sh", "-c", "command -v " + tool], check=False).returncode != 0:
            h.skip_exit("%s is not installed (scripts/install-deps.sh)" % tool)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", choices=STAGES, default="code")
    args = ap.parse_args()
    h.require_sandbox()
    need_tools()
    h.run(["hostname", "workstation"])  # the sandbox's own UTS namespace: shown in the top bar
    h.setup_system()
    e2e.install_stack()
    h.add_user(USER, h.strong_password())
    h.run(["chfn", "-f", "Alex Example", USER])
    secret = h.enroll_totp(USER)
    display = g.Display()
    run = None
    try:
        run = GtkGreeterRun()
        log("greeter window %s" % run.win)
        run.walk(USER, lambda: h.fresh_totp(secret), h.strong_password(), args.stage)
        if args.stage in ("code", "new", "retype") and not h.helper_pids():
            raise h.HarnessError("no sspr-helper runs at stage %s" % args.stage)
        png = run.png()
        sys.stdout.buffer.write(png)
        sys.stdout.flush()
        log("took %d bytes of PNG at stage %s" % (len(png), args.stage))
    finally:
        if run:
            run.stop()
        display.close()


if __name__ == "__main__":
    main()
