"""Harness for whole-transaction tests of pam_sspr in a throwaway root sandbox.

Tests import this module and call main() at the bottom:

    import sspr_harness as h
    class T(h.SandboxTest):
        def test_x(self):
            h.setup_system()
            h.add_user("alice", "Old-Password-1")
            s = h.Session("alice")
            s.expect("ECHO_OFF", "Password: ")
            ...
    if __name__ == "__main__":
        h.main()

Everything that changes the system (useradd, /etc/pam.d, /etc/sspr) refuses
to run outside the sandbox made by tests/sandbox/sandbox.sh: main() re-enters
the sandbox by itself when started directly as root, and exits 77 (automake
SKIP) when that is impossible.

The system under test is the REAL installed pam_sspr.so and sspr-helper
(copied into the sandbox from $SSPR_STAGE), driven by tests/pam/pamdrive in
$SSPR_BUILDDIR. TOTP codes come from the real `oathtool`, never from Python.
Every read has a timeout: a hung module or helper fails the test.
"""

import hashlib
import os
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import unittest

# ---------------------------------------------------------------------------
# Constants: the user-visible strings of the UX spec.
# ---------------------------------------------------------------------------
SERVICE = "sspr-test"
PASSWORD_PROMPT = "Password: "
HINT_ENTER = "Forgot your password? Press Enter at the password prompt to reset it."
# the same after a wrong password at a greeter (an ERROR: issue 14)
HINT_GREETER = ("Wrong password. Forgot it? Leave the password empty and press Enter "
                "to reset it.")
OFFER = "Reset your password? Type y: "
# before the code prompt (no menu): it says what to type, since a greeter
# may show this message instead of the prompt (issue 14)
INTRO = "To reset your password, type a code from your authenticator app or a recovery code."
# before the menu, at a terminal (a greeter gets the one-line menu instead)
INTRO_MENU = "To reset your password, first confirm it is you."
CODE_PROMPT = "App or recovery code: "
CODE_PROMPT2 = "Second code (another method): "
BAD_CODE = "That code is not valid."
# the default lockout (900 s), said right after it started; the reset ends
# with it, so it carries the last words too (one message: issue 14)
LOCKED = "Too many failed attempts. Try again in 15 minutes or ask your administrator."
# a lockout that only an administrator ends (max_consecutive)
LOCKED_FOREVER = ("Too many failed attempts. Password reset stays blocked until your "
                  "administrator unlocks it.")
# after the last gate failed, for every name alike (issue 9 item 14), joined
# to the gate's last message (bad_code_end()) unless that one already says
# what to do (LOCKED, SEND_CAP_END, ...)
ASK_ADMIN = "If you cannot confirm it is you, ask your administrator."
# an empty code: the reset stops, no try counted (issue 9 item 6); an ERROR,
# which gnome-shell shows even though the authentication fails next
CANCELLED = "Nothing was entered, so the password reset stops here."
CONFIG_INVALID = ("Password reset is not available right now (SSPR-E101). "
                  "Your administrator can look this code up.")
# One method used up in the window (max_failures_per_method); others still work:
# at the shared code prompt (no menu), and (METHOD_LOCKED_MENU % label) with a menu.
METHOD_LOCKED = ("Authenticator app codes are blocked for 15 minutes after too many wrong "
                 "ones. You can still use a recovery code.")
METHOD_LOCKED_MENU = "%s are blocked for 15 minutes after too many wrong ones. Choose another way."
NEW_PW = "New password: "
RETYPE_PW = "Retype new password: "
MISMATCH = "The passwords do not match."
DONE = "Your password has been changed. Sign in again with your new password."
UNAVAILABLE = ("Password reset is not available right now. "
               "Try again later or ask your administrator.")
NOT_CHANGED = "Your password was not changed."
# the end of the new-password tries, after the last refusal's reason
LAST_TRY = "Last try used: your password was not changed. Start the reset again."
IGNORE_MARK = "SSPR-RETURNED-IGNORE"

HELPER = "/usr/sbin/sspr-helper"
CONF_DIR = "/etc/sspr"
CONF = "/etc/sspr/sspr.conf"
STATE_DIR = "/var/lib/sspr"
TEST_BIN_DIR = "/usr/lib/sspr-test"    # root-owned 0755 all the way up
MARK_DIR = "/run/sspr-test"
HELPER_MARKER = MARK_DIR + "/helper-started"
FAST_CONFIG = "[throttle]\nfailure_delay = 0\n"

DEFAULT_TIMEOUT = float(os.environ.get("SSPR_TEST_TIMEOUT", "20"))

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("SSPR_SRCDIR") or os.path.dirname(os.path.dirname(HERE))
BUILDDIR = os.environ.get("SSPR_BUILDDIR") or os.getcwd()
SANDBOX_SH = os.path.join(SRCDIR, "tests", "sandbox", "sandbox.sh")


class HarnessError(AssertionError):
    """A failure of the system under test, with the transcript attached."""


# ---------------------------------------------------------------------------
# Sandbox guard
# ---------------------------------------------------------------------------
def _mount_fstypes():
    types = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            mnt = left.split()[4]
            types[mnt] = right.split()[0]
    return types


def in_sandbox():
    """True only inside sandbox.sh: SSPR_SANDBOX=1 and /etc, /usr, /var are overlays."""
    if os.environ.get("SSPR_SANDBOX") != "1":
        return False
    try:
        t = _mount_fstypes()
    except OSError:
        return False
    return all(t.get(d) == "overlay" for d in ("/etc", "/usr", "/var", "/home", "/root"))


def require_sandbox():
    if not in_sandbox():
        raise RuntimeError("refusing to change the system outside the sandbox "
                           "(run through tests/sandbox/sandbox.sh)")


def skip_exit(why):
    print("SKIP: " + why)
    sys.stdout.flush()
    sys.exit(77)


# ---------------------------------------------------------------------------
# Small process helpers
# ---------------------------------------------------------------------------
def run(argv, input=None, check=True, timeout=DEFAULT_TIMEOUT, env=None):
    """Run a command, return CompletedProcess (text). Fails loudly."""
    try:
        p = subprocess.run(argv, input=input, capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise HarnessError("command timed out after %ss: %r" % (timeout, argv))
    if check and p.returncode != 0:
        raise HarnessError("command failed (%d): %r\nstdout: %s\nstderr: %s"
                           % (p.returncode, argv, p.stdout, p.stderr))
    return p


def write_file(path, text, mode=0o644, uid=0, gid=0):
    require_sandbox()
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    tmp = path + ".sspr-tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    try:
        os.write(fd, text.encode() if isinstance(text, str) else text)
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    os.rename(tmp, path)


# ---------------------------------------------------------------------------
# System setup
# ---------------------------------------------------------------------------
NORMAL_STACK = """\
auth [success=2 default=ignore] pam_unix.so nullok
auth [success=1 default=ignore] pam_sspr.so {args}
auth requisite pam_deny.so
auth required pam_permit.so
account required pam_unix.so
password required pam_unix.so
"""

# Shows pam_sspr's own return code: SUCCESS -> done (PAM_SUCCESS), IGNORE ->
# an INFO line IGNORE_MARK then PAM_AUTH_ERR, anything else -> that code.
EXPOSE_STACK = """\
auth [success=done default=ignore] pam_unix.so nullok
auth [success=done ignore=ignore default=die] pam_sspr.so {args}
auth requisite pam_echo.so """ + IGNORE_MARK + """
auth requisite pam_deny.so
account required pam_unix.so
"""


def setup_system(config_text=FAST_CONFIG, module_args="", stack=NORMAL_STACK,
                 service=SERVICE, root_password=None):
    """Write /etc/sspr/sspr.conf (0600 root) and /etc/pam.d/<service>.

    module_args: the pam_sspr arguments (e.g. "trigger=reset timeout=2").
    stack: NORMAL_STACK (the Debian stacking), EXPOSE_STACK, or any text with
    an optional {args} placeholder.
    The sandbox's root gets a random password so that an empty password never
    logs root in through nullok.
    """
    require_sandbox()
    os.makedirs(CONF_DIR, mode=0o755, exist_ok=True)
    os.chown(CONF_DIR, 0, 0)
    os.chmod(CONF_DIR, 0o755)
    if config_text is None:
        if os.path.exists(CONF):
            os.unlink(CONF)
    else:
        write_file(CONF, config_text, mode=0o600)
    write_file("/etc/pam.d/" + service, stack.replace("{args}", module_args), mode=0o644)
    os.makedirs(MARK_DIR, mode=0o755, exist_ok=True)
    if root_password is None:
        root_password = "Root-" + os.urandom(12).hex()
    run(["chpasswd"], input="root:%s\n" % root_password)


def write_config(config_text):
    write_file(CONF, config_text, mode=0o600)


def add_user(name, password, groups=(), shell="/bin/bash", locked=False,
             expired=False, uid=None, home=True):
    """Create a local account inside the sandbox.

    password None leaves the account without one ("!" from useradd);
    expired=True sets the account expiry date in the past (chage -E 1);
    expired="password" forces a password change instead (chage -d 0).
    """
    require_sandbox()
    for g in groups:
        if run(["getent", "group", g], check=False).returncode != 0:
            run(["groupadd", g])
    argv = ["useradd", "-s", shell]
    argv += ["-m"] if home else ["-M"]
    if uid is not None:
        argv += ["-u", str(uid)]
    if groups:
        argv += ["-G", ",".join(groups)]
    argv.append(name)
    run(argv)
    if password is not None:
        run(["chpasswd"], input="%s:%s\n" % (name, password))
    if locked:
        run(["usermod", "-L", name])
    if expired is True:
        run(["chage", "-E", "1", name])
    elif expired == "password":
        run(["chage", "-d", "0", name])
    return name


def strong_password(tag=None):
    """A fresh password that pam_pwquality (cracklib) and the project's checks
    accept: 18 random characters, letters and digits/symbols alternating (so
    no user name of two or more letters can appear in it, whatever the case),
    no two neighbours one apart (cracklib calls runs like "6787" systematic).
    tag is accepted for readability of call sites and ignored."""
    import secrets
    letters, others = "ACEGJLNQSUWYbdfhkmprtvxz", "3579#%+=@"
    out = []
    for i in range(18):
        pool = letters if i % 2 == 0 else others
        c = secrets.choice(pool)
        while out and abs(ord(c) - ord(out[-1])) <= 1:
            c = secrets.choice(pool)
        out.append(c)
    return "".join(out)


def shadow_entry(name):
    with open("/etc/shadow") as f:
        for line in f:
            if line.split(":", 1)[0] == name:
                return line.rstrip("\n")
    return None


def helper_cmd(*args, check=True, input=None):
    return run([HELPER] + list(args), check=check, input=input)


def enroll_totp(user):
    """`sspr-helper enroll USER --totp`; returns the base32 secret from the otpauth URI."""
    p = helper_cmd("enroll", user, "--totp")
    m = re.search(r"otpauth://totp/\S*?[?&]secret=([A-Za-z2-7]+=*)", p.stdout)
    if not m:
        raise HarnessError("no otpauth://totp/...secret= line in enroll output:\n" + p.stdout)
    return m.group(1).upper().rstrip("=")


def enroll_recovery(user):
    """`sspr-helper enroll USER --recovery-codes`; returns the list of codes."""
    p = helper_cmd("enroll", user, "--recovery-codes")
    codes = [l.strip() for l in p.stdout.splitlines() if l.strip()]
    if not codes:
        raise HarnessError("enroll --recovery-codes printed no codes")
    return codes


def unlock(user):
    return helper_cmd("unlock", user)


def totp_now(secret, offset_steps=0):
    """The TOTP code for now + offset_steps*30 s, from the real oathtool."""
    argv = ["oathtool", "--totp", "-b"]
    if offset_steps:
        argv += ["-N", "@%d" % (int(time.time()) + 30 * offset_steps)]
    argv.append(secret)
    code = run(argv).stdout.strip()
    if not re.fullmatch(r"\d{6}", code):
        raise HarnessError("oathtool gave %r" % code)
    return code


def totp_at_step(secret, step):
    code = run(["oathtool", "--totp", "-b", "-N", "@%d" % (step * 30 + 1), secret]).stdout.strip()
    if not re.fullmatch(r"\d{6}", code):
        raise HarnessError("oathtool gave %r" % code)
    return code


_last_step = {}


def fresh_totp(secret):
    """A valid code for a step not used before in this test process.

    The helper refuses a step at or before the last accepted one (no replay)
    and accepts at most +-1 step. Uses now, then now+1; waits for the next
    step when both are used up.
    """
    while True:
        now = int(time.time()) // 30
        last = _last_step.get(secret, -10)
        for step in (now, now + 1):
            if step > last:
                # stay clear of the far edge of the +-1 window
                if step == now + 1 and (time.time() % 30) < 2:
                    continue
                _last_step[secret] = step
                return totp_at_step(secret, step)
        time.sleep(30 - (time.time() % 30) + 0.5)


def wait_step_margin(min_left=5.0):
    """Sleep into the next 30 s step when fewer than min_left seconds remain,
    so that codes computed now keep their distance in steps until used."""
    left = 30 - (time.time() % 30)
    if left < min_left:
        time.sleep(left + 0.5)
    return int(time.time()) // 30


def wrong_code(secret=None):
    """Six digits that are not valid for secret around now (+-2 steps)."""
    bad = set()
    if secret:
        bad = {totp_now(secret, k) for k in (-2, -1, 0, 1, 2)}
    for cand in ("000000", "123456", "999999", "314159", "271828"):
        if cand not in bad:
            return cand
    raise HarnessError("could not find a wrong code")


# ---------------------------------------------------------------------------
# Helper wrappers (to see whether the helper ran, or make it misbehave)
# ---------------------------------------------------------------------------
def _test_bin(name, body):
    require_sandbox()
    os.makedirs(TEST_BIN_DIR, mode=0o755, exist_ok=True)
    os.chown(TEST_BIN_DIR, 0, 0)
    os.chmod(TEST_BIN_DIR, 0o755)
    path = os.path.join(TEST_BIN_DIR, name)
    write_file(path, body, mode=0o755)
    return path


def marker_wrapper():
    """A root-owned wrapper that records each start, then execs the real helper.

    Use as module argument helper=<returned path>; helper_started() tells.
    """
    os.makedirs(MARK_DIR, mode=0o755, exist_ok=True)
    return _test_bin("helper-marker",
                     "#!/bin/sh\n"
                     "echo \"$$ $*\" >> %s\n"
                     "exec %s \"$@\"\n" % (HELPER_MARKER, HELPER))


def helper_started():
    return os.path.exists(HELPER_MARKER)


def helper_start_count():
    if not os.path.exists(HELPER_MARKER):
        return 0
    with open(HELPER_MARKER) as f:
        return len([l for l in f if l.strip()])


def clear_marker():
    if os.path.exists(HELPER_MARKER):
        os.unlink(HELPER_MARKER)


def hung_helper():
    """A helper that never says anything (for module arg timeout=N)."""
    return _test_bin("helper-hung", "#!/bin/sh\nexec sleep 600\n")


def exit_helper(status=0, stdout_bytes=b""):
    """A helper that writes raw bytes (e.g. a bad frame) and exits."""
    body = "#!/bin/sh\n"
    if stdout_bytes:
        body += "printf '%s'\n" % "".join("\\%03o" % b for b in stdout_bytes)
    body += "exit %d\n" % status
    return _test_bin("helper-exit%d" % status, body)


def helper_pids():
    """PIDs of running `sspr-helper pam` processes (our PID namespace only)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) >= 2 and argv[0].endswith(b"sspr-helper") and argv[1] == b"pam":
            pids.append(int(d))
    return pids


def deliver_pids():
    """PIDs of running sspr-deliver processes (background sends, probes)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if argv0.endswith(b"sspr-deliver"):
            pids.append(int(d))
    return pids


def wait_background(timeout=DEFAULT_TIMEOUT):
    """Wait until no helper (nor a background send it started) runs any more:
    a code is sent in the background, after the conversation has moved on."""
    end = time.monotonic() + timeout
    while helper_pids() or deliver_pids():
        if time.monotonic() > end:
            raise HarnessError("helper or sspr-deliver still running after %ss" % timeout)
        time.sleep(0.01)


def kill_helper(timeout=5.0):
    """SIGKILL the running `sspr-helper pam`; returns its pid."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pids = helper_pids()
        if pids:
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            return pids[0]
        time.sleep(0.05)
    raise HarnessError("no `sspr-helper pam` process to kill")


# ---------------------------------------------------------------------------
# State snapshots
# ---------------------------------------------------------------------------
def snapshot(path=STATE_DIR):
    """{relative path: (mode, uid, size, mtime_ns, sha256)} of a tree."""
    snap = {}
    if not os.path.lexists(path):
        return snap
    for root, dirs, files in os.walk(path):
        for n in sorted(dirs + files):
            p = os.path.join(root, n)
            st = os.lstat(p)
            digest = ""
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            snap[os.path.relpath(p, path)] = (st.st_mode, st.st_uid, st.st_size,
                                             st.st_mtime_ns, digest)
    st = os.lstat(path)
    snap["."] = (st.st_mode, st.st_uid, st.st_mtime_ns)
    return snap


# ---------------------------------------------------------------------------
# Syslog capture (the sandbox has a private /dev with a free /dev/log)
# ---------------------------------------------------------------------------
class Syslog:
    """Collects datagrams sent to /dev/log while running."""

    def __init__(self, path="/dev/log"):
        require_sandbox()
        self.path = path
        self.lines = []
        self._lock = threading.Lock()
        if os.path.lexists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self._stop = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self._stop:
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if r:
                data = self.sock.recv(65536)
                with self._lock:
                    self.lines.append(data.decode("utf-8", "replace"))

    def text(self, settle=0.3):
        time.sleep(settle)
        with self._lock:
            return "\n".join(self.lines)

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


# ---------------------------------------------------------------------------
# Sessions: pamdrive over pipes
# ---------------------------------------------------------------------------
def pamdrive_path():
    p = os.path.join(BUILDDIR, "tests", "pam", "pamdrive")
    if not os.access(p, os.X_OK):
        raise HarnessError("pamdrive not built at %s (make check builds it)" % p)
    return p


def unescape(text):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "n":
                out.append("\n"); i += 2; continue
            if n == "r":
                out.append("\r"); i += 2; continue
            if n == "t":
                out.append("\t"); i += 2; continue
            if n == "\\":
                out.append("\\"); i += 2; continue
            if n == "x" and i + 3 < len(text):
                out.append(chr(int(text[i + 2:i + 4], 16))); i += 4; continue
        out.append(c)
        i += 1
    return "".join(out)


PROMPTS = ("ECHO_OFF", "ECHO_ON")
_live_sessions = []
MESSAGES = ("INFO", "ERROR")


class Session:
    """One PAM transaction run by pamdrive.

    transcript: list of (dir, kind, text); dir "<" for lines from pamdrive
    (kind ECHO_OFF, ECHO_ON, INFO, ERROR, RESULT, ...), ">" for our answers
    (kind "ANSWER").
    """

    def __init__(self, user, service=SERVICE, op="auth", rhost="127.0.0.1", tty=None,
                 extra=(), timeout=DEFAULT_TIMEOUT, env=None):
        self.user = user
        self.timeout = timeout
        self.transcript = []
        self.stamps = []          # time.monotonic() of each transcript entry
        self.result_name = None
        self.result_code = None
        argv = [pamdrive_path(), service, user, "--op", op]
        if rhost:
            argv += ["--rhost", rhost]
        if tty:
            argv += ["--tty", tty]
        argv += ["--timeout", str(int(timeout * 4) + 10)] + list(extra)
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, close_fds=True, env=env)
        _live_sessions.append(self)
        self._buf = b""
        self._eof = False
        self.started = time.monotonic()

    # -- low level ---------------------------------------------------------
    def _fail(self, msg):
        self.close(kill=True)
        raise HarnessError("%s\n--- transcript (%s) ---\n%s\n--- stderr ---\n%s"
                           % (msg, " ".join(self.argv[1:3]), self.format_transcript(),
                              getattr(self, "stderr_text", "")))

    def format_transcript(self):
        return "\n".join("%s %s %r" % t for t in self.transcript)

    def read(self, timeout=None):
        """Next line from pamdrive as (kind, text); fails on timeout or EOF."""
        timeout = self.timeout if timeout is None else timeout
        end = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            if self._eof:
                self._fail("pamdrive ended without a RESULT line (exit %s)" % self.proc.poll())
            left = end - time.monotonic()
            if left <= 0:
                self._fail("timed out after %.1fs waiting for output" % timeout)
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self._eof = True
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        line = line.decode("utf-8", "replace")
        kind, _, text = line.partition(" ")
        text = unescape(text)
        self.transcript.append(("<", kind, text))
        self.stamps.append(time.monotonic())
        if kind == "RESULT":
            name, _, num = text.partition(" ")
            self.result_name, self.result_code = name, int(num) if num.isdigit() else None
        return kind, text

    def expect(self, kind, text=None, timeout=None):
        """The next line must be KIND with this text.

        text: a str is compared exactly; a compiled regex must fullmatch;
        None accepts any text. Returns the text.
        """
        k, t = self.read(timeout)
        if k != kind or not _text_matches(t, text):
            self._fail("expected %s %r, got %s %r" % (kind, _show(text), k, t))
        return t

    def answer(self, text):
        """Send one answer line (see pamdrive.c for !CONV_ERR, !NULL_RESP, ...)."""
        if "\n" in text:
            raise ValueError("answers are one line; use !HEX for odd bytes")
        self.transcript.append((">", "ANSWER", text))
        self.stamps.append(time.monotonic())
        try:
            self.proc.stdin.write(text.encode() + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._fail("pamdrive closed its stdin")

    def result(self, timeout=None):
        """The next line must be RESULT; returns the PAM code name. Reaps pamdrive."""
        k, t = self.read(timeout)
        if k != "RESULT":
            self._fail("expected RESULT, got %s %r" % (k, t))
        self.close()
        return self.result_name

    def until_result(self, answers=None, timeout=None):
        """Read to the RESULT line. Prompts are answered from answers (a list,
        consumed in order); with none left, a prompt fails the test.
        Returns (result name, [(kind, text) of everything read])."""
        answers = list(answers or [])
        seen = []
        while True:
            k, t = self.read(timeout)
            seen.append((k, t))
            if k == "RESULT":
                self.close()
                return self.result_name, seen
            if k in PROMPTS:
                if not answers:
                    self.answer("!CONV_ERR")
                    self._fail("unexpected prompt %s %r" % (k, t))
                self.answer(answers.pop(0))

    def seconds_between(self, first, last):
        """Time from the first transcript entry equal to first (a (dir, kind,
        text) tuple) to the first later entry equal to last."""
        i = self.transcript.index(first)
        j = self.transcript.index(last, i + 1)
        return self.stamps[j] - self.stamps[i]

    def received(self):
        """The lines from pamdrive, without our answers: for comparisons."""
        return [(k, t) for d, k, t in self.transcript if d == "<"]

    def close(self, kill=False):
        if self.proc.poll() is None and kill:
            self.proc.kill()
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        self.proc.stdin = None  # communicate() must not touch it again
        try:
            out, err = self.proc.communicate(timeout=10)
            self.stderr_text = err.decode("utf-8", "replace")
            # what pamdrive printed after RESULT (--show-locale's LOCALE line)
            self.after_result = (self._buf + (out or b"")).decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise HarnessError("pamdrive did not exit after RESULT")
        self.elapsed = time.monotonic() - self.started
        if not kill and self.proc.returncode != 0:
            raise HarnessError("pamdrive exited %d: %s" % (self.proc.returncode, self.stderr_text))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.close(kill=True)
        return False


def _text_matches(t, want):
    if want is None:
        return True
    if isinstance(want, re.Pattern):
        return want.fullmatch(t) is not None
    return t == want


def _show(want):
    return want.pattern if isinstance(want, re.Pattern) else want


def pam_auth(user, password, service=SERVICE, **kw):
    """One-shot auth with a password: returns the PAM code name.

    Answers the password prompt; any further prompt is answered "n"/refused
    so the call never hangs. The Session is available as pam_auth.last.
    """
    s = Session(user, service=service, **kw)
    s.expect("ECHO_OFF", PASSWORD_PROMPT)
    s.answer(password)
    while True:
        k, t = s.read()
        if k == "RESULT":
            s.close()
            pam_auth.last = s
            return s.result_name
        if k in PROMPTS:
            s.answer("n" if t == OFFER else "!CONV_ERR")


pam_auth.last = None


# ---------------------------------------------------------------------------
# Flow building blocks (the UX spec, step by step)
# ---------------------------------------------------------------------------
def start_reset(user, service=SERVICE, trigger=None, **kw):
    """Open a session and walk to the first code prompt.

    Empty password + "y" at the offer, or the trigger word when given.
    """
    s = Session(user, service=service, **kw)
    s.expect("ECHO_OFF", PASSWORD_PROMPT)
    if trigger:
        s.answer(trigger)
    else:
        s.answer("")
        s.expect("ECHO_ON", OFFER)
        s.answer("y")
    s.expect("INFO", INTRO)
    s.expect("ECHO_OFF", CODE_PROMPT)
    return s


def set_new_password(s, password, retype=None):
    """At a "New password: " prompt: answer it twice."""
    s.expect("ECHO_OFF", NEW_PW)
    s.answer(password)
    s.expect("ECHO_OFF", RETYPE_PW)
    s.answer(password if retype is None else retype)


def full_reset(user, code, new_password, **kw):
    """A whole successful reset; returns the Session (already finished)."""
    s = start_reset(user, **kw)
    s.answer(code)
    set_new_password(s, new_password)
    s.expect("INFO", DONE)
    rc = s.result()
    if rc != "PAM_AUTH_ERR":
        raise HarnessError("a finished reset must end with PAM_AUTH_ERR, got %s\n%s"
                           % (rc, s.format_transcript()))
    return s


# ---------------------------------------------------------------------------
# Test base class and runner
# ---------------------------------------------------------------------------
class SandboxTest(unittest.TestCase):
    """Each test starts from the sandbox's pristine system (per file), with
    FAST_CONFIG and the normal stack written; tests may override both."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        require_sandbox()
        for p in (HELPER,):
            if not os.path.exists(p):
                raise HarnessError("%s is not installed in the sandbox (SSPR_STAGE=%s)"
                                   % (p, os.environ.get("SSPR_STAGE")))

    def setUp(self):
        setup_system()
        clear_marker()
        # a delivery channel marked failing by an earlier test is host-wide
        # state: start each test with working channels
        for name in ("delivery-status.json",):
            try:
                os.unlink(os.path.join(STATE_DIR, name))
            except FileNotFoundError:
                pass

    def tearDown(self):
        # a failed test leaves sessions behind: kill them, close their pipes
        while _live_sessions:
            s = _live_sessions.pop()
            if s.proc.poll() is None:
                s.proc.kill()
            for f in (s.proc.stdin, s.proc.stdout, s.proc.stderr):
                try:
                    if f:
                        f.close()
                except OSError:
                    pass
            try:
                s.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        # servers started by the test (SMTP sink, SMS gateway)
        stop_servers()

    def assertNeverSuccess(self, rc, s=None):
        if rc == "PAM_SUCCESS":
            self.fail("PAM_SUCCESS where it must never happen"
                      + ("\n" + s.format_transcript() if s else ""))

    def assertNotIgnored(self, s):
        """With EXPOSE_STACK: the module did not return PAM_IGNORE."""
        if ("INFO", IGNORE_MARK) in s.received():
            self.fail("pam_sspr returned PAM_IGNORE on the reset path\n"
                      + s.format_transcript())


def _find_module():
    for d in ("/lib/x86_64-linux-gnu/security", "/usr/lib/x86_64-linux-gnu/security",
              "/lib64/security", "/lib/security", "/usr/lib/security"):
        if os.path.exists(os.path.join(d, "pam_sspr.so")):
            return os.path.join(d, "pam_sspr.so")
    return None


def main():
    """Run the calling file's tests: exit 0 pass, 1 fail, 77 skip."""
    if not in_sandbox():
        if os.geteuid() != 0:
            skip_exit("needs root and unshare (mount/net/pid namespaces)")
        # Started by hand: re-enter through the sandbox.
        os.environ.setdefault("SSPR_BUILDDIR", BUILDDIR)
        os.environ.setdefault("SSPR_SRCDIR", SRCDIR)
        os.environ.setdefault("SSPR_STAGE", os.path.join(os.environ["SSPR_BUILDDIR"],
                                                         "tests", "stage"))
        script = os.path.abspath(sys.modules["__main__"].__file__)
        os.execv("/bin/sh", ["/bin/sh", SANDBOX_SH, sys.executable, "-B", script]
                 + sys.argv[1:])
    for tool in ("oathtool", "useradd", "chpasswd"):
        if run(["sh", "-c", "command -v " + tool], check=False).returncode != 0:
            skip_exit("%s not installed" % tool)
    sys.stdout.reconfigure(line_buffering=True)
    print("sandbox: %s, module: %s, helper: %s, builddir: %s"
          % (os.environ.get("SSPR_SANDBOX_DIR"), _find_module(),
             HELPER if os.path.exists(HELPER) else "(missing)", BUILDDIR))
    prog = unittest.main(module="__main__", exit=False, verbosity=2,
                         argv=[sys.argv[0]] + sys.argv[1:])
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun > 0 and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0)


# ---------------------------------------------------------------------------
# Issue 3: the method menu, email and SMS codes, questions, notices, audit
# ---------------------------------------------------------------------------
MENU_HEAD = "How do you want to confirm it is you?"
OPT_CODE = "Authenticator app or recovery code"
OPT_EMAIL = "A code sent to your email"
OPT_SMS = "A code sent to your phone by text message"
OPT_QUESTIONS = "Security questions"
CHOICE = "Choice [1]: "
# a greeter's menu: one line that says what to type, and its prompt (issue 14)
CHOICE_GREETER = "Number (Enter for 1): "
CH_CODE = "an app or recovery code"
CH_EMAIL = "an email code"
CH_SMS = "a text message code"
CH_QUESTIONS = "security questions"
BAD_CHOICE = "Choose one of the numbers shown."
EMAIL_PROMPT = "Code from the email: "
SMS_PROMPT = "Code from the text message: "
EMAIL_DOWN = ("Email could not be sent right now (SSPR-E301). "
              "Choose another way or ask your administrator.")
SMS_DOWN = ("The text message could not be sent right now (SSPR-E303). "
            "Choose another way or ask your administrator.")
SEND_CAP = "Too many codes were sent recently. Try again later."
# the same on the reset path, where the reset ends with it
SEND_CAP_END = ("Too many codes were sent recently. Try again later or ask your "
                "administrator.")
NOT_HERE = ("Password reset is not offered here. "
            "Ask your administrator where you can reset your password.")
MAIL_FROM = "sspr@example.com"


def email_sent(minutes=10):
    return ("If this account has an email address, a code was sent to it. "
            "It is valid for %d minutes." % minutes)


def sms_sent(minutes=5):
    return ("If this account has a phone number, a code was sent to it by text. "
            "It is valid for %d minutes." % minutes)


def hint_sent(masked, minutes=10):
    return "A code has been sent to %s. It is valid for %d minutes." % (masked, minutes)


def closing(last):
    """The gate's last message with the reset's last words joined to it."""
    return last + " " + ASK_ADMIN


def greeter_menu_text(*labels):
    """The one-line menu a greeter gets, for the CH_* labels in order."""
    items = ["%d for %s" % (i + 1, l) for i, l in enumerate(labels)]
    if len(items) > 1:
        items = [", ".join(items[:-1]) + " or " + items[-1]]
    return "To reset your password, type %s." % items[0]


def menu_text(*labels):
    """The menu INFO text listing labels (OPT_*) in the order given."""
    return MENU_HEAD + "".join("\n  %d) %s" % (i + 1, l) for i, l in enumerate(labels))


def make_config(sections=None, **kw):
    """sspr.conf text from {section: {key: value}} (and/or section=dict
    keywords). [throttle] failure_delay defaults to 0 (FAST_CONFIG)."""
    merged = {"throttle": {"failure_delay": 0}}
    for src in (sections or {}), kw:
        for sec, keys in src.items():
            merged.setdefault(sec, {}).update(keys)
    out = []
    for sec, keys in merged.items():
        out.append("[%s]" % sec)
        for k, v in keys.items():
            out.append("%s = %s" % (k, v))
        out.append("")
    return "\n".join(out)


def email_section(url, **extra):
    """[email] keys for a plain loopback SMTP server (starttls = off)."""
    d = {"smtp_url": url, "starttls": "off", "from": MAIL_FROM, "timeout": 5}
    d.update(extra)
    return d


def sms_section(url, **extra):
    d = {"url": url, "timeout": 3, "connect_timeout": 2}
    d.update(extra)
    return d


def free_port():
    """A loopback TCP port nothing listens on (the sandbox has its own
    network namespace, so nobody else takes it meanwhile)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _start_server(argv, logpath, timeout=DEFAULT_TIMEOUT):
    """Start a tests/delivery server; returns (proc, port) from its PORT line."""
    log = open(logpath, "wb")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, close_fds=True)
    log.close()
    end = time.monotonic() + timeout
    buf = b""
    fd = proc.stdout.fileno()
    while b"\n" not in buf:
        left = end - time.monotonic()
        if left <= 0 or proc.poll() is not None:
            proc.kill()
            with open(logpath, "rb") as f:
                err = f.read().decode("utf-8", "replace")
            raise HarnessError("%s did not print its port: %s" % (argv[1], err))
        r, _, _ = select.select([fd], [], [], min(left, 0.2))
        if r:
            chunk = os.read(fd, 4096)
            if not chunk:
                time.sleep(0.05)
            buf += chunk
    m = re.match(rb"PORT (\d+)", buf)
    if not m:
        proc.kill()
        raise HarnessError("%s printed %r" % (argv[1], buf))
    return proc, int(m.group(1))


_live_servers = []


class Mail:
    """One message the SMTP sink accepted."""

    def __init__(self, base):
        import email
        import email.policy
        with open(base + ".eml", "rb") as f:
            self.raw = f.read()
        with open(base + ".env") as f:
            self.envelope = f.read().splitlines()
        self.mail_from = ""
        self.rcpts = []
        for line in self.envelope:
            k, _, v = line.partition(" ")
            if k == "from":
                self.mail_from = v.strip("<>")
            elif k == "rcpt":
                self.rcpts.append(v.strip("<>"))
        self.msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        try:
            part = self.msg.get_body(preferencelist=("plain",)) or self.msg
            self.body = part.get_content()
        except (KeyError, LookupError, AttributeError):
            self.body = self.raw.decode("utf-8", "replace")
        self.subject = str(self.msg.get("Subject", ""))
        self.to = str(self.msg.get("To", ""))
        self.from_ = str(self.msg.get("From", ""))

    def text(self):
        """Headers and body, decoded, for "does it contain X" checks."""
        return self.raw.decode("utf-8", "replace") + "\n" + self.subject + "\n" + self.body

    def code(self, digits=8):
        """The one code of `digits` digits in the body; fails unless exactly one."""
        return only_code(self.body, digits, "mail to %s" % self.rcpts)


def only_code(text, digits, what="message"):
    found = set(re.findall(r"(?<![0-9])([0-9]{%d})(?![0-9])" % digits, text))
    if len(found) != 1:
        raise HarnessError("expected exactly one %d-digit code in the %s, found %r:\n%s"
                           % (digits, what, sorted(found), text))
    return found.pop()


class SmtpSink:
    """tests/delivery/smtp_sink.py (aiosmtpd) on 127.0.0.1, in the sandbox."""

    def __init__(self, mode="plain"):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="sspr-smtp-", dir="/tmp")
        self.mode = mode
        argv = [sys.executable, "-B", os.path.join(SRCDIR, "tests", "delivery", "smtp_sink.py"),
                "--dir", self.dir, "--mode", mode]
        self.proc, self.port = _start_server(argv, os.path.join(self.dir, "server.log"))
        self.url = "smtp://127.0.0.1:%d" % self.port
        _live_servers.append(self)

    def mails(self):
        names = sorted((n for n in os.listdir(self.dir)
                        if n.startswith("msg-") and n.endswith(".eml")),
                       key=lambda n: int(n[4:-4]))
        return [Mail(os.path.join(self.dir, n[:-4])) for n in names
                if os.path.exists(os.path.join(self.dir, n[:-4] + ".env"))]

    def wait_mails(self, count, timeout=DEFAULT_TIMEOUT):
        """At least count messages in all; returns the list."""
        end = time.monotonic() + timeout
        while True:
            got = self.mails()
            if len(got) >= count or time.monotonic() > end:
                if len(got) < count:
                    raise HarnessError("expected %d mail(s), the sink has %d" % (count, len(got)))
                return got
            time.sleep(0.05)

    def mails_to(self, addr):
        return [m for m in self.mails() if addr in m.rcpts]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            self.proc.stdout.close()
        except OSError:
            pass


def start_smtp_sink(mode="plain"):
    return SmtpSink(mode)


class SmsGateway:
    """tests/delivery/sms_gateway.py on 127.0.0.1, in the sandbox. url(path)
    picks the answer: /ok, /503, /slow, /huge, /redirect, /malformed."""

    def __init__(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="sspr-sms-", dir="/tmp")
        self.record = os.path.join(self.dir, "requests.jsonl")
        argv = [sys.executable, "-B", os.path.join(SRCDIR, "tests", "delivery", "sms_gateway.py"),
                "--record", self.record]
        self.proc, self.port = _start_server(argv, os.path.join(self.dir, "server.log"))
        _live_servers.append(self)

    def url(self, path="/ok"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def requests(self):
        import json
        if not os.path.exists(self.record):
            return []
        with open(self.record) as f:
            return [json.loads(l) for l in f if l.strip()]

    def wait_requests(self, count, timeout=DEFAULT_TIMEOUT):
        end = time.monotonic() + timeout
        while True:
            got = self.requests()
            if len(got) >= count or time.monotonic() > end:
                if len(got) < count:
                    raise HarnessError("expected %d SMS request(s), the gateway has %d"
                                       % (count, len(got)))
                return got
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        try:
            self.proc.stdout.close()
        except OSError:
            pass


def start_sms_gateway():
    return SmsGateway()


def sms_fields(req):
    """(phone, text) of a recorded gateway request (json or form body)."""
    import json
    import urllib.parse
    body = req["body"] if req["method"] == "POST" else req["query"]
    ctype = req["headers"].get("content-type", "")
    if "json" in ctype:
        d = json.loads(body)
        return d.get("to"), d.get("text")
    d = urllib.parse.parse_qs(body, keep_blank_values=True)
    return (d.get("to") or d.get("To") or [None])[0], (d.get("text") or d.get("Body") or [None])[0]


def sms_code(req, digits=6):
    return only_code(sms_fields(req)[1] or "", digits, "text message")


def stop_servers():
    while _live_servers:
        _live_servers.pop().stop()


def enroll_email(user, addr):
    return helper_cmd("enroll", user, "--email", addr)


def enroll_phone(user, number):
    return helper_cmd("enroll", user, "--phone", number)


def question_bank():
    """[(number, text)] from `sspr-helper enroll X --questions --list`."""
    p = helper_cmd("enroll", "root", "--questions", "--list")
    out = []
    for line in p.stdout.splitlines():
        n, _, text = line.partition("\t")
        if n.strip().isdigit() and text:
            out.append((int(n), text))
    if not out:
        raise HarnessError("--questions --list printed no questions:\n" + p.stdout)
    return out


def enroll_questions(user, answers):
    """answers: {bank number: answer}; fed as "N<TAB>answer" lines on stdin.
    Returns {question text: answer}."""
    bank = dict(question_bank())
    lines = "".join("%d\t%s\n" % (n, a) for n, a in answers.items())
    helper_cmd("enroll", user, "--questions", input=lines)
    return {bank[n]: a for n, a in answers.items()}


# ---------------------------------------------------------------------------
# Issue 14: languages
# ---------------------------------------------------------------------------
SYSTEM_LOCALE_FILE = "/etc/default/locale"
# The German words of the main path (po/de.po), written out so that a
# catalog that went missing or stale fails a test.
DE = {
    OFFER: "Passwort zurücksetzen? j eingeben: ",
    INTRO: "Zum Zurücksetzen: Code aus Ihrer Authenticator-App oder einen "
           "Wiederherstellungscode eingeben.",
    INTRO_MENU: "Bestätigen Sie zuerst, dass Sie es sind, um Ihr Passwort zurückzusetzen.",
    CODE_PROMPT: "App- oder Wiederherstellungscode: ",
    NEW_PW: "Neues Passwort: ",
    RETYPE_PW: "Neues Passwort wiederholen: ",
    DONE: "Ihr Passwort wurde geändert. Melden Sie sich erneut mit dem neuen Passwort an.",
    BAD_CODE: "Dieser Code ist ungültig.",
    ASK_ADMIN: "Wenn Sie nicht bestätigen können, dass Sie es sind, fragen Sie Ihren "
               "Administrator.",
    MISMATCH: "Die Passwörter stimmen nicht überein.",
    HINT_ENTER: "Passwort vergessen? Drücken Sie bei der Passwortabfrage die Eingabetaste, "
                "um es zurückzusetzen.",
    CANCELLED: "Es wurde nichts eingegeben, daher endet das Zurücksetzen des Passworts hier.",
    MENU_HEAD: "Wie möchten Sie bestätigen, dass Sie es sind?",
    OPT_CODE: "Authenticator-App oder Wiederherstellungscode",
    OPT_EMAIL: "Ein Code an Ihre E-Mail-Adresse",
    CHOICE: "Auswahl [1]: ",
    EMAIL_PROMPT: "Code aus der E-Mail: ",
}
DE_YES = "j"


def de_closing(last):
    return DE[last] + " " + DE[ASK_ADMIN]


def de_menu_text(*labels):
    return DE[MENU_HEAD] + "".join("\n  %d) %s" % (i + 1, DE[l]) for i, l in enumerate(labels))


def de_email_sent(minutes=10):
    return ("Falls für dieses Konto eine E-Mail-Adresse hinterlegt ist, wurde ein Code dorthin "
            "gesendet. Er ist %d Minuten gültig." % minutes)


def installed_locales():
    return set(run(["locale", "-a"]).stdout.split())


def ensure_locale(name="de_DE.UTF-8"):
    """Generate a locale inside the sandbox (localedef writes the sandbox's
    /usr/lib/locale overlay, never the machine's)."""
    require_sandbox()
    lang, _, codeset = name.partition(".")
    if (lang + "." + codeset.lower().replace("-", "")) in installed_locales():
        return
    run(["localedef", "-i", lang, "-f", codeset or "UTF-8", name], timeout=120)
    if (lang + "." + codeset.lower().replace("-", "")) not in installed_locales():
        raise HarnessError("localedef did not make %s" % name)


class GermanSystem:
    """Mixin before a SandboxTest class: de_DE.UTF-8 generated once, and each
    test starts with /etc/default/locale = SYSTEM_LOCALE (None: no file)."""

    SYSTEM_LOCALE = "#  File generated by update-locale\nLANG=de_DE.UTF-8\n"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_locale("de_DE.UTF-8")

    def setUp(self):
        super().setUp()
        set_system_locale(self.SYSTEM_LOCALE)

    def tearDown(self):
        super().tearDown()
        set_system_locale(None)


def set_system_locale(text):
    """/etc/default/locale (the file pam_env and pam_sspr read); None removes it."""
    require_sandbox()
    if text is None:
        try:
            os.unlink(SYSTEM_LOCALE_FILE)
        except FileNotFoundError:
            pass
        return
    write_file(SYSTEM_LOCALE_FILE, text)


def start_menu(user, menu, service=SERVICE, trigger=None, **kw):
    """Open a session and walk to the first "Choice [1]: " prompt; menu is
    the expected menu INFO text (menu_text(...))."""
    s = Session(user, service=service, **kw)
    s.expect("ECHO_OFF", PASSWORD_PROMPT)
    if trigger:
        s.answer(trigger)
    else:
        s.answer("")
        s.expect("ECHO_ON", OFFER)
        s.answer("y")
    s.expect("INFO", INTRO_MENU)
    s.expect("INFO", menu)
    s.expect("ECHO_ON", CHOICE)
    return s


def finish_reset(s, new_password):
    """From the "New password: " prompt to the end of a good reset."""
    set_new_password(s, new_password)
    s.expect("INFO", DONE)
    rc = s.result()
    if rc != "PAM_AUTH_ERR":
        raise HarnessError("a finished reset must end with PAM_AUTH_ERR, got %s\n%s"
                           % (rc, s.format_transcript()))
    return s


def audit_records(text):
    """The sspr-helper audit lines in captured syslog text, as dicts of
    key=value (plus "_pri" and "_raw")."""
    out = []
    for dgram in text.split("\n"):
        m = re.match(r"<(\d+)>.*?sspr-helper\[\d+\]: (event=.*)$", dgram)
        if not m:
            continue
        d = {"_pri": int(m.group(1)), "_raw": m.group(2)}
        for k, v in re.findall(r'(\w[\w-]*)=("(?:[^"\\]|\\.)*"|\S*)', m.group(2)):
            d.setdefault(k, v.strip('"'))
        out.append(d)
    return out


class Syslog2(Syslog):
    """Syslog that keeps datagrams apart (a message with a newline inside
    stays one entry in .datagrams)."""

    def __init__(self, path="/dev/log"):
        self.datagrams = []
        super().__init__(path)

    def _loop(self):
        while not self._stop:
            r, _, _ = select.select([self.sock], [], [], 0.2)
            if r:
                data = self.sock.recv(65536)
                with self._lock:
                    self.datagrams.append(data)
                    self.lines.append(data.decode("utf-8", "replace"))


def until_prompt(s):
    """Messages up to and including the next prompt (or RESULT)."""
    seen = []
    while True:
        k, t = s.read()
        seen.append((k, t))
        if k in PROMPTS or k == "RESULT":
            return seen


def end_session(s):
    """Refuse the current prompt and read to the RESULT line."""
    s.answer("!CONV_ERR")
    rc, _ = s.until_result()
    return rc
