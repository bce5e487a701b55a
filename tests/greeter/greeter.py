"""A real LightDM, headless, in the sandbox: harness for tests/greeter.

    import greeter as g
    class T(g.GreeterTest):
        def test_x(self):
            user, old, secret, _ = g.e2e.new_user("gr")
            run = g.LightDMRun([g.authenticate(user), g.prompt("secret", "Password: ", old),
                                g.complete(True), g.start_session()])
            run.wait_done()
            run.wait_session(user)

Inside the sandbox (tests/sandbox/sandbox.sh: /etc /usr /var /home overlaid,
/run a tmpfs, own network and PID namespaces) it starts

  - a private `dbus-daemon --system` (LightDM's session child gives up
    without a system bus),
  - `Xvfb :77 -nolisten tcp` (the sandbox has its own network namespace, so
    the abstract X socket cannot meet another sandbox's),
  - for each run, /etc/lightdm/lightdm.conf (the greeter library reads only
    that path, so `lightdm -c` is not enough) with a seat of type xremote on
    that display, greeter-session = the scripted greeter
    (tests/greeter/scripted_greeter.py, copied root-owned into the sandbox
    because it runs as the `lightdm` user), user-session = a tiny session
    that writes /run/sspr-greeter/sessions/<user> and waits, and then
    `lightdm -d`.

PAM: LightDM's service is `lightdm` (Debian's /etc/pam.d/lightdm includes
common-auth); e2e.install_stack() puts the pam_sspr line after pam_unix
there, exactly as for sshd and login.

Every wait polls with a deadline; a failure message carries the greeter's
transcript and the tail of LightDM's log.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2e  # noqa: E402
from e2e import h  # noqa: E402

TIMEOUT = float(os.environ.get("SSPR_GREETER_TIMEOUT", "30"))
DISPLAY_NUMBER = 77
DISPLAY = ":%d" % DISPLAY_NUMBER
RUN_DIR = "/run/sspr-greeter"
SESSION_DIR = RUN_DIR + "/sessions"
SCRIPT = RUN_DIR + "/script.json"
TRANSCRIPT = RUN_DIR + "/transcript.jsonl"
GREETER_NAME = "sspr-scripted"
SESSION_NAME = "sspr-test-session"
LIGHTDM = "/usr/sbin/lightdm"
LIGHTDM_LOG = "/var/log/lightdm/lightdm.log"
TOOLS = ("lightdm", "Xvfb", "dbus-daemon", "xdpyinfo")
# what the greeter library shows for PAM's own user prompt (authenticate(None))
LOGIN_PROMPT = "login:"


# ---------------------------------------------------------------------------
# Script steps (see scripted_greeter.py)
# ---------------------------------------------------------------------------
def authenticate(user):
    return {"op": "authenticate", "user": user}


def prompt(kind, text, answer=None, regex=False, cancel=False, answer_file=None):
    s = {"op": "prompt", "type": kind, "text": text, "regex": regex}
    if cancel:
        s["cancel"] = True
    elif answer_file:
        s["answer_file"] = answer_file
    else:
        s["answer"] = "" if answer is None else answer
    return s


def secret(text, answer):
    return prompt("secret", text, answer)


def question(text, answer):
    return prompt("question", text, answer)


def info(text, regex=False):
    return {"op": "message", "type": "info", "text": text, "regex": regex}


def error(text, regex=False):
    return {"op": "message", "type": "error", "text": text, "regex": regex}


def complete(authenticated):
    return {"op": "complete", "authenticated": authenticated}


def barrier(name):
    return {"op": "barrier", "name": name}


def start_session(name=SESSION_NAME):
    return {"op": "start_session", "session": name}


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------
def _wait(cond, what, timeout=TIMEOUT, interval=0.05, detail=lambda: ""):
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise h.HarnessError("timed out after %.0fs waiting for %s%s"
                                 % (timeout, what, detail()))
        time.sleep(interval)


def _stop(proc, timeout=5.0):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tail(path, lines=60):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no %s)" % path


class Display:
    """The private system bus and the X server, shared by the runs of one test class."""

    def __init__(self):
        h.require_sandbox()
        os.makedirs("/run/dbus", mode=0o755, exist_ok=True)
        self.dbus_log = "/run/sspr-greeter-dbus.log"
        with open(self.dbus_log, "w") as log:
            self.dbus = subprocess.Popen(["dbus-daemon", "--system", "--nofork", "--nopidfile"],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.xvfb_log = "/run/sspr-greeter-xvfb.log"
        with open(self.xvfb_log, "w") as log:
            self.xvfb = subprocess.Popen(["Xvfb", DISPLAY, "-nolisten", "tcp", "-screen", "0",
                                          "1024x768x24", "-noreset"],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            _wait(lambda: self._check("dbus", self.dbus, self.dbus_log)
                  and os.path.exists("/run/dbus/system_bus_socket"), "the system bus socket")
            _wait(lambda: self._check("Xvfb", self.xvfb, self.xvfb_log)
                  and subprocess.run(["xdpyinfo", "-display", DISPLAY], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL).returncode == 0,
                  "Xvfb on %s" % DISPLAY, interval=0.1)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _check(name, proc, log):
        if proc.poll() is not None:
            raise h.HarnessError("%s exited %s:\n%s" % (name, proc.returncode, _tail(log)))
        return True

    def close(self):
        _stop(self.xvfb)
        _stop(self.dbus)


def install_files():
    """The scripted greeter, the test session and their .desktop files (root-owned,
    readable by the lightdm user), and the directory the greeter writes to."""
    h.require_sandbox()
    with open(os.path.join(HERE, "scripted_greeter.py")) as f:
        greeter = h._test_bin("scripted_greeter.py", f.read())
    session = h._test_bin("greeter-session",
                          "#!/bin/sh\n"
                          "# the user's session: proves it ran, as whom, on which display\n"
                          "echo \"user=$(id -un) uid=$(id -u) pid=$$ display=$DISPLAY\" \\\n"
                          "    >> %s/\"$(id -un)\"\n"
                          "exec sleep %d\n" % (SESSION_DIR, int(TIMEOUT * 4)))
    wrapper = h._test_bin("greeter-session-wrapper", "#!/bin/sh\nexec \"$@\"\n")
    h.write_file("/usr/share/xgreeters/%s.desktop" % GREETER_NAME,
                 "[Desktop Entry]\nName=sspr scripted greeter\nType=Application\n"
                 "Exec=/usr/bin/python3 -B %s %s %s\n" % (greeter, SCRIPT, TRANSCRIPT))
    h.write_file("/usr/share/xsessions/%s.desktop" % SESSION_NAME,
                 "[Desktop Entry]\nName=sspr test session\nType=Application\nExec=%s\n" % session)
    return wrapper


def session_line(user):
    """What the test session of user wrote, or None if it did not run."""
    try:
        with open(os.path.join(SESSION_DIR, user)) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def lightdm_conf(greeter=GREETER_NAME, session_wrapper=None):
    lines = [
        "# written by tests/greeter/greeter.py inside the sandbox",
        "[LightDM]",
        "start-default-seat=true",
        "dbus-service=false",
        "logind-check-graphical=false",
        "[Seat:*]",
        "type=xremote",
        "xserver-display-number=%d" % DISPLAY_NUMBER,
        "greeter-session=%s" % greeter,
        "user-session=%s" % SESSION_NAME,
        "allow-guest=false",
    ]
    if session_wrapper:
        lines.append("session-wrapper=%s" % session_wrapper)
    return "\n".join(lines) + "\n"


def _setup_run_dir():
    lightdm = h.run(["getent", "passwd", "lightdm"], check=False).stdout.split(":")
    if len(lightdm) < 4:
        raise h.HarnessError("no lightdm user (apt-get install lightdm)")
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    os.makedirs(SESSION_DIR)
    os.chown(RUN_DIR, int(lightdm[2]), int(lightdm[3]))
    os.chmod(RUN_DIR, 0o755)
    os.chmod(SESSION_DIR, 0o1733)


def start_lightdm(conf_text, log_name="lightdm-stderr.log"):
    """Write lightdm.conf and start `lightdm -d`; returns (proc, stderr log path)."""
    h.write_file("/etc/lightdm/lightdm.conf", conf_text)
    shutil.rmtree("/var/log/lightdm", ignore_errors=True)
    os.makedirs("/var/log/lightdm", mode=0o755)
    log = os.path.join(RUN_DIR + "-logs", log_name)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "w") as f:
        proc = subprocess.Popen([LIGHTDM, "-d"], stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                                start_new_session=True)
    return proc, log


def stop_lightdm(proc, pids=(), timeout=10.0):
    """SIGTERM lightdm (it stops the greeter and the sessions), then SIGKILL
    whatever of pids (greeter, sessions) is still there."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def processes():
    """[(pid, argv)] of the sandbox's processes."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        out.append((int(d), argv))
    return out


# ---------------------------------------------------------------------------
# One LightDM run with the scripted greeter
# ---------------------------------------------------------------------------
class LightDMRun:
    """lightdm -d with the scripted greeter following `script`."""

    def __init__(self, script, timeout=TIMEOUT):
        self.script = script
        self.timeout = timeout
        self.t0 = time.monotonic()
        wrapper = install_files()
        _setup_run_dir()
        with open(SCRIPT, "w") as f:
            json.dump(script, f, indent=1)
        os.chmod(SCRIPT, 0o644)
        self.proc, self.log = start_lightdm(lightdm_conf(session_wrapper=wrapper))
        _live.append(self)
        self.wait_event(lambda e: e["event"] == "start", "the scripted greeter to start")
        self.started = time.monotonic() - self.t0

    # -- transcript ------------------------------------------------------
    def events(self):
        try:
            with open(TRANSCRIPT) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for l in lines:
            try:
                out.append(json.loads(l))
            except ValueError:
                pass  # a line being written
        return out

    def shown(self):
        """What the user saw, in order: [(kind, type, text)] for prompts and messages."""
        return [(e["event"], e["type"], e["text"]) for e in self.events()
                if e["event"] in ("prompt", "message")]

    def format_transcript(self):
        return "\n".join(json.dumps(e) for e in self.events())

    def details(self):
        return ("\n--- greeter transcript ---\n%s\n--- lightdm -d (tail) ---\n%s"
                "--- %s (tail) ---\n%s" % (self.format_transcript(), _tail(self.log, 40),
                                           LIGHTDM_LOG, _tail(LIGHTDM_LOG, 40)))

    def fail(self, why):
        raise h.HarnessError(why + self.details())

    def check_sane(self):
        evs = self.events()
        errors = [e for e in evs if e["event"] == "error"]
        if errors:
            self.fail("the scripted greeter stopped: %s" % errors[0]["why"])
        if sum(1 for e in evs if e["event"] == "start") > 1:
            self.fail("LightDM started the greeter more than once")
        if self.proc.poll() is not None:
            self.fail("lightdm exited with status %s" % self.proc.returncode)

    def wait_event(self, pred, what, timeout=None):
        """The first event matching pred (a function of the event dict)."""
        def look():
            for e in self.events():
                if pred(e):
                    return e
            self.check_sane()
            return None
        try:
            return _wait(look, what, timeout or self.timeout)
        except h.HarnessError as e:
            if "timed out" in str(e):
                self.fail(str(e))
            raise

    def wait_done(self, timeout=None):
        """The greeter came to the end of its script."""
        self.wait_event(lambda e: e["event"] == "done", "the greeter to finish its script",
                        timeout)
        self.elapsed = time.monotonic() - self.t0
        return self.events()

    def wait_barrier(self, name):
        return self.wait_event(lambda e: e["event"] == "barrier" and e["name"] == name,
                               "the greeter to reach barrier %s" % name)

    def release(self, name, content=""):
        """Let the greeter go on from barrier name; content is the answer of a
        prompt that names it as its answer_file."""
        with open(TRANSCRIPT + "." + name, "w") as f:
            f.write(content)

    def wait_session(self, user, timeout=None):
        """The test session of user ran (it wrote its file); returns its line."""
        def look():
            self.check_sane()
            return session_line(user)
        try:
            return _wait(look, "the session of %s to start" % user, timeout or self.timeout)
        except h.HarnessError as e:
            self.fail(str(e))

    def session_started(self, user):
        return session_line(user) is not None

    def pids(self):
        """The greeter's and the sessions' pids (from the transcript and the session files)."""
        pids = [e["pid"] for e in self.events() if e["event"] == "start"]
        for n in os.listdir(SESSION_DIR) if os.path.isdir(SESSION_DIR) else ():
            with open(os.path.join(SESSION_DIR, n)) as f:
                pids += [int(m) for m in re.findall(r"\bpid=(\d+)", f.read())]
        return pids

    def stop(self):
        if self in _live:
            _live.remove(self)
        stop_lightdm(self.proc, self.pids())


_live = []


def stop_all():
    while _live:
        _live.pop().stop()


# ---------------------------------------------------------------------------
# Test base and runner
# ---------------------------------------------------------------------------
class GreeterTest(e2e.E2ETest):
    """E2ETest (users, the common-auth stack with pam_sspr) plus the display."""

    display = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.display = Display()

    @classmethod
    def tearDownClass(cls):
        if cls.display:
            cls.display.close()
        super().tearDownClass()

    def tearDown(self):
        stop_all()
        super().tearDown()


def main(extra_tools=()):
    if h.in_sandbox() and e2e._sanitizer_preload():
        # seen with lightdm 1.26: started with the ASan/UBSan runtimes in
        # LD_PRELOAD (which its session child needs to dlopen an instrumented
        # pam_sspr.so) the daemon hangs before its first log line
        h.skip_exit("sanitizer build: lightdm does not start with the ASan runtime preloaded; "
                    "the greeter tests run in the plain build")
    e2e.main(tools=TOOLS + tuple(extra_tools))
