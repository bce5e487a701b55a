"""End-to-end helpers: the real sshd, ssh and login programs in the sandbox.

Builds on tests/pam/sspr_harness.py (sandbox guard, users, enrolment, TOTP
codes from oathtool, the user-visible strings) and adds:

  install_stack()   Debian's own /etc/pam.d/common-auth with the one
                    pam_sspr line added after pam_unix (and the kiosk line
                    before it when asked); every PAM service that includes
                    common-auth (sshd, login) then offers the reset.
  Sshd              a real /usr/sbin/sshd on 127.0.0.1:<free port>.
  Term              a pexpect-driven program on a pty (ssh, login) whose
                    failures carry the whole screen transcript.
  ssh(), login()    spawn those two the way a user would; walk_reset() takes
                    an ssh from its Password: prompt through a whole reset.
  SmtpSink          a tiny SMTP server on loopback that keeps the mails
                    (for the email gate, once it exists).

Each test file runs in its own sandbox (PY_LOG_COMPILER is sandbox.sh), so
users, ports and /etc changes never meet another test file's.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pam"))
import sspr_harness as h  # noqa: E402

try:
    import pexpect
except ImportError:  # reported as a SKIP by main()
    pexpect = None

TIMEOUT = float(os.environ.get("SSPR_E2E_TIMEOUT", "20"))
KIOSK_USER = "reset"
ACCOUNT_PROMPT = "Account to reset: "
LOGIN_INCORRECT = "Login incorrect"
SSH_DENIED = "Permission denied"
SSHD = "/usr/sbin/sshd"
# the minimal environment a user's terminal would give the client programs
CLIENT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "dumb", "LANG": "C.UTF-8",
              "HOME": "/root"}


# ---------------------------------------------------------------------------
# The PAM stack: Debian's common-auth plus our line(s)
# ---------------------------------------------------------------------------
_PRISTINE = {}


def _pristine(path):
    if path not in _PRISTINE:
        with open(path) as f:
            _PRISTINE[path] = f.read()
    return _PRISTINE[path]


def common_auth_with_sspr(text, args="", kiosk=None, nodelay=True):
    """Debian's common-auth text with pam_sspr added the way README says:
    after the pam_unix line whose success=N becomes N+1 (and, for kiosk,
    its own line before pam_unix)."""
    out, done = [], False
    for line in text.splitlines():
        m = re.match(r"^(auth\s+)\[success=(\d+)(\s+default=ignore\])(\s+pam_unix\.so)(.*)$", line)
        if m and not done:
            if kiosk:
                out.append("auth [ignore=ignore default=die] pam_sspr.so kiosk_user=%s" % kiosk)
            opts = m.group(5)
            if nodelay and "nodelay" not in opts:
                opts += " nodelay"
            n = int(m.group(2))
            out.append("%s[success=%d%s%s%s" % (m.group(1), n + 1, m.group(3), m.group(4), opts))
            out.append("auth [success=%d default=ignore] pam_sspr.so %s" % (n, args))
            done = True
        else:
            out.append(line)
    if not done:
        raise h.HarnessError("no 'auth [success=N default=ignore] pam_unix.so' line in "
                             "common-auth:\n" + text)
    return "\n".join(out) + "\n"


def install_stack(args="", kiosk=None, nodelay=True):
    """Rewrite the sandbox's /etc/pam.d/common-auth (from the pristine copy).

    nodelay: pam_unix's ~2 s failure delay and login's pam_faildelay are
    taken out so that the many deliberate failures stay fast; nothing else
    in Debian's sshd/login services changes."""
    h.require_sandbox()
    text = common_auth_with_sspr(_pristine("/etc/pam.d/common-auth"), args, kiosk, nodelay)
    h.write_file("/etc/pam.d/common-auth", text)
    login = _pristine("/etc/pam.d/login")
    if nodelay:
        login = "\n".join(l for l in login.splitlines()
                          if not re.match(r"^\s*auth\s+\S+\s+pam_faildelay\.so", l)) + "\n"
    h.write_file("/etc/pam.d/login", login)
    return text


# ---------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------
_seq = [0]


def new_user(tag="u", password=None, totp=True, recovery=False):
    """A fresh account (names are unique within the sandbox).
    Returns (name, password, totp secret or None, recovery codes or None)."""
    _seq[0] += 1
    name = "%s%d" % (tag, _seq[0])
    password = password or h.strong_password("Old")
    h.add_user(name, password)
    secret = h.enroll_totp(name) if totp else None
    codes = h.enroll_recovery(name) if recovery else None
    return name, password, secret, codes


# ---------------------------------------------------------------------------
# Terminal programs
# ---------------------------------------------------------------------------
class Term:
    """A program on a pty. expect() failures show everything it printed."""

    def __init__(self, argv, timeout=TIMEOUT, env=None):
        self.argv = argv
        self.log = []
        self.child = pexpect.spawn(argv[0], argv[1:], env=env or CLIENT_ENV, encoding="utf-8",
                                   codec_errors="replace", timeout=timeout, dimensions=(50, 200))
        self.child.logfile_read = self
        _live.append(self)

    # logfile protocol
    def write(self, s):
        self.log.append(s)

    def flush(self):
        pass

    def screen(self):
        return "".join(self.log)

    def fail(self, why):
        self.close()
        raise h.HarnessError("%s\n--- %s ---\n%s\n--- end ---"
                             % (why, " ".join(self.argv), self.screen()))

    def expect(self, pattern, timeout=-1):
        """pattern: a str (matched literally) or compiled regex, or a list of them;
        returns the index matched."""
        pats = pattern if isinstance(pattern, list) else [pattern]
        pats = [re.escape(p) if isinstance(p, str) else p for p in pats]
        try:
            return self.child.expect(pats, timeout=timeout)
        except pexpect.TIMEOUT:
            self.fail("timed out waiting for %r" % [getattr(p, "pattern", p) for p in pats])
        except pexpect.EOF:
            self.fail("program ended while waiting for %r"
                      % [getattr(p, "pattern", p) for p in pats])

    def send(self, line):
        self.child.sendline(line)

    def expect_eof(self, timeout=-1):
        try:
            self.child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            self.fail("program did not end")
        self.child.close()
        return self.child.exitstatus

    def since(self, marker):
        """What the program printed after the last occurrence of marker."""
        s = self.screen()
        i = s.rfind(marker)
        return s[i + len(marker):] if i >= 0 else s

    def close(self):
        if self.child.isalive():
            self.child.close(force=True)


_live = []


def close_all():
    while _live:
        _live.pop().close()


# ---------------------------------------------------------------------------
# sshd
# ---------------------------------------------------------------------------
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sshd:
    """A real sshd on 127.0.0.1:<free port> with its own config and host key.

    password_auth: also accept the plain `password` method (PAM through
    sshd's password conversation). keyboard-interactive is always on.
    pubkey: also accept keys in ~/.ssh/authorized_keys (see add_key)."""

    def __init__(self, password_auth=False, kbd_interactive=True, pubkey=False):
        h.require_sandbox()
        if not os.access(SSHD, os.X_OK):
            raise h.HarnessError("%s not installed (apt-get install openssh-server)" % SSHD)
        self.dir = "/run/sspr-e2e-sshd-%d" % os.getpid()
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir, mode=0o700)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege separation dir
        key = os.path.join(self.dir, "ssh_host_ed25519_key")
        h.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "sspr-e2e", "-f", key])
        self.port = free_port()
        self.config = os.path.join(self.dir, "sshd_config")
        h.write_file(self.config, "\n".join([
            "Port %d" % self.port,
            "ListenAddress 127.0.0.1",
            "HostKey " + key,
            "PidFile " + os.path.join(self.dir, "sshd.pid"),
            "UsePAM yes",
            "KbdInteractiveAuthentication %s" % ("yes" if kbd_interactive else "no"),
            "PasswordAuthentication %s" % ("yes" if password_auth else "no"),
            "PubkeyAuthentication %s" % ("yes" if pubkey else "no"),
            "PermitRootLogin no",
            "PermitEmptyPasswords no",
            "AuthenticationMethods any",
            "LoginGraceTime 60",
            "MaxAuthTries 6",
            "PrintMotd no",
            "UseDNS no",
            "Subsystem sftp internal-sftp",
            "",
        ]), mode=0o600)
        h.run([SSHD, "-t", "-f", self.config])
        self.log_path = os.path.join(self.dir, "sshd.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", self.config],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=log, close_fds=True)
        self._wait_port()

    def _wait_port(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise h.HarnessError("sshd exited %d:\n%s" % (self.proc.returncode, self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise h.HarnessError("sshd did not listen on port %d:\n%s" % (self.port, self.log()))

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ssh(sshd, user, command="id", method="keyboard-interactive", prompts=1, timeout=TIMEOUT):
    """The real ssh client, as a user would run it (a fresh connection).

    prompts: NumberOfPasswordPrompts, i.e. how many authentication attempts
    the client makes before it gives up with "Permission denied"."""
    argv = ["/usr/bin/ssh", "-F", "/dev/null", "-p", str(sshd.port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=" + method,
            "-o", "PubkeyAuthentication=no", "-o", "GSSAPIAuthentication=no",
            "-o", "NumberOfPasswordPrompts=%d" % prompts,
            "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=0",
            "%s@127.0.0.1" % user]
    if command:
        argv.append(command)
    return Term(argv, timeout=timeout)


def add_key(user):
    """An ed25519 key pair for user: the public half in ~user/.ssh/authorized_keys,
    the private one (root's, for the client) returned as a path."""
    import pwd
    pw = pwd.getpwnam(user)
    key = "/run/sspr-e2e-key-%s" % user
    for p in (key, key + ".pub"):
        if os.path.exists(p):
            os.unlink(p)
    h.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", user, "-f", key])
    d = os.path.join(pw.pw_dir, ".ssh")
    os.makedirs(d, mode=0o700, exist_ok=True)
    with open(key + ".pub") as f:
        h.write_file(os.path.join(d, "authorized_keys"), f.read(), mode=0o600,
                     uid=pw.pw_uid, gid=pw.pw_gid)
    os.chown(d, pw.pw_uid, pw.pw_gid)
    return key


def ssh_key(sshd, user, key, command, timeout=TIMEOUT):
    """ssh with a key (no password asked), a pty (-tt) for command, as a user
    signed in over SSH with a key would run it."""
    argv = ["/usr/bin/ssh", "-tt", "-F", "/dev/null", "-p", str(sshd.port), "-i", key,
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes",
            "-o", "PreferredAuthentications=publickey", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
            "%s@127.0.0.1" % user, command]
    return Term(argv, timeout=timeout)


def as_user(user, argv, timeout=TIMEOUT):
    """argv run by user (real and effective ids, groups) on a fresh pty, as
    from their shell: setuid programs (passwd, sudo, su) keep their power."""
    return Term(["/usr/bin/setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups",
                 "--"] + list(argv), timeout=timeout)


def ssh_prompt(user, text):
    """ssh shows keyboard-interactive prompts as "(user@host) <prompt>"."""
    return "(%s@127.0.0.1) %s" % (user, text)


def ssh_runs(sshd, user, password, command="id -un"):
    """A fresh ssh logs in with this password and runs command; returns its output."""
    t = ssh(sshd, user, command)
    t.expect(ssh_prompt(user, h.PASSWORD_PROMPT))
    mark = len(t.screen())
    t.send(password)
    status = t.expect_eof()
    out = t.screen()[mark:]
    if status != 0 or SSH_DENIED in out:
        t.fail("ssh as %s with the password did not log in (status %s)" % (user, status))
    return out


def ssh_refused(sshd, user, password):
    """A fresh ssh with this password is refused; returns what it printed."""
    t = ssh(sshd, user, "id")
    t.expect(ssh_prompt(user, h.PASSWORD_PROMPT))
    t.send(password)
    idx = t.expect([ssh_prompt(user, h.OFFER), SSH_DENIED, re.compile(r"uid=\d+")])
    if idx == 0:  # an empty password: decline the offer
        t.send("n")
        idx = t.expect([SSH_DENIED, re.compile(r"uid=\d+")]) + 1
    if idx == 2:
        t.fail("ssh logged %s in, but it must be refused" % user)
    t.expect_eof()
    return t.screen()


def code_and_new_password(t, code, new_password):
    """At a local terminal (login, passwd, sudo, su), from the code prompt:
    the code, then the new password twice."""
    t.expect(h.CODE_PROMPT)
    t.send(code)
    t.expect(h.NEW_PW)
    t.send(new_password)
    t.expect(h.RETYPE_PW)
    t.send(new_password)


def walk_reset(t, user, code, new_password, start="empty"):
    """From a fresh `ssh` at its Password: prompt to the end of a reset.

    start: "empty" (Enter, then y at the offer) or a trigger word."""
    t.expect(ssh_prompt(user, h.PASSWORD_PROMPT))
    if start == "empty":
        t.send("")
        t.expect(ssh_prompt(user, h.OFFER))
        t.send("y")
    else:
        t.send(start)
    t.expect(ssh_prompt(user, h.INTRO))
    t.expect(h.CODE_PROMPT)
    t.send(code)
    t.expect(ssh_prompt(user, h.NEW_PW))
    t.send(new_password)
    t.expect(ssh_prompt(user, h.RETYPE_PW))
    t.send(new_password)
    # the module's last message comes after the last prompt: ssh prints it,
    # then gives up (NumberOfPasswordPrompts=1) -- the user signs in again
    t.expect(h.DONE)
    t.expect(SSH_DENIED)
    if t.expect_eof() == 0:
        t.fail("ssh succeeded right after a reset; the user must sign in again")
    return t.screen()


# ---------------------------------------------------------------------------
# login
# ---------------------------------------------------------------------------
LOGIN_PROMPT = re.compile(r"login: $")


def login(timeout=TIMEOUT):
    """The real /bin/login on a fresh pty, started by root like getty does."""
    t = Term(["/bin/login"], timeout=timeout)
    t.expect(LOGIN_PROMPT)
    return t


def login_shell_check(t, user):
    """After the right password: a shell for user (checked by running id -un)."""
    t.expect(re.compile(r"[$#] $"), timeout=TIMEOUT)
    t.send("echo E2E-$(id -un)-SHELL; exit")
    idx = t.expect([re.compile(r"E2E-(\S+)-SHELL\r?\n")])
    got = t.child.match.group(1)
    if idx != 0 or got != user:
        t.fail("shell runs as %r, expected %r" % (got, user))
    t.expect_eof()


# ---------------------------------------------------------------------------
# SMTP sink (for the email gate; plain SMTP on loopback)
# ---------------------------------------------------------------------------
class SmtpSink:
    """Accepts mail on 127.0.0.1:<port> and keeps (mail from, rcpts, data)."""

    def __init__(self):
        self.port = free_port()
        self.mails = []
        self._next = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        f = conn.makefile("rwb")

        def say(s):
            f.write(s.encode() + b"\r\n")
            f.flush()

        say("220 sspr-e2e ESMTP")
        mail_from, rcpts = None, []
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode("utf-8", "replace").strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    say("250 sspr-e2e")
                elif verb == "MAIL":
                    mail_from, rcpts = cmd[10:].strip(), []
                    say("250 OK")
                elif verb == "RCPT":
                    rcpts.append(cmd[8:].strip())
                    say("250 OK")
                elif verb == "DATA":
                    say("354 go ahead")
                    data = []
                    while True:
                        l = f.readline()
                        if not l or l in (b".\r\n", b".\n"):
                            break
                        data.append(l[1:] if l.startswith(b"..") else l)
                    self.mails.append((mail_from, rcpts,
                                       b"".join(data).decode("utf-8", "replace")))
                    say("250 queued")
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    say("250 OK")
                elif verb == "NOOP":
                    say("250 OK")
                elif verb == "QUIT":
                    say("221 bye")
                    return
                else:
                    say("502 not implemented")
        finally:
            conn.close()

    def wait_mail(self, timeout=TIMEOUT):
        """The next mail not returned before (waits for it)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if len(self.mails) > self._next:
                self._next += 1
                return self.mails[self._next - 1]
            time.sleep(0.05)
        raise h.HarnessError("no mail arrived within %ss" % timeout)

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------
# Test base and runner
# ---------------------------------------------------------------------------
class E2ETest(h.SandboxTest):
    """SandboxTest (FAST_CONFIG, throttle without delays) plus the common-auth
    stack; subclasses set MODULE_ARGS / KIOSK."""

    MODULE_ARGS = ""
    KIOSK = None

    def setUp(self):
        self._t0 = time.monotonic()
        super().setUp()
        install_stack(self.MODULE_ARGS, kiosk=self.KIOSK)

    def tearDown(self):
        close_all()
        super().tearDown()
        sys.stdout.write("(%.1fs) " % (time.monotonic() - self._t0))


def _sanitizer_preload():
    """An --enable-sanitizers build installs an ASan/UBSan-instrumented
    pam_sspr.so, which system programs (sshd, login, chpasswd...) can only
    dlopen with the sanitizer runtimes preloaded. Returns the LD_PRELOAD
    value for this build, or None for a plain build."""
    mod = h._find_module()
    if not mod:
        return None
    p = h.run(["ldd", mod], check=False)
    libs = re.findall(r"^\s*(lib(?:asan|ubsan)\.so\.\d+) => (\S+)", p.stdout, re.M)
    libs.sort(key=lambda l: not l[0].startswith("libasan"))  # ASan must come first
    if not libs:
        return None
    # GCC's ASan intercepts crypt()/crypt_r() and resolves the real ones when
    # it starts; a program that only dlopens libcrypt later (login, through
    # pam_unix) would then call a NULL pointer. Preload libcrypt as well.
    crypt = [p for p in ("/lib/x86_64-linux-gnu/libcrypt.so.1", "/usr/lib64/libcrypt.so.1",
                         "/lib64/libcrypt.so.1") if os.path.exists(p)][:1]
    return ":".join([path for _, path in libs] + crypt)


def main(tools=()):
    if not h.in_sandbox() and os.geteuid() != 0:
        h.skip_exit("end-to-end tests need root and unshare (mount/net/pid namespaces)")
    if h.in_sandbox():
        preload = _sanitizer_preload()
        if preload:
            # every program started from here on (sshd, login, ssh, chpasswd)
            # gets the runtimes; sshd and login pass them on to their children
            os.environ["LD_PRELOAD"] = preload
            os.environ["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:" \
                + os.environ.get("ASAN_OPTIONS", "")
            for k in ("LD_PRELOAD", "ASAN_OPTIONS"):
                CLIENT_ENV[k] = os.environ[k]
            print("sanitizer build: LD_PRELOAD=%s for sshd, login and the tools" % preload)
    if pexpect is None:
        h.skip_exit("python3-pexpect is not installed (scripts/install-deps.sh)")
    for tool in tools:
        if not shutil.which(tool, path=CLIENT_ENV["PATH"]):
            h.skip_exit("%s is not installed (scripts/install-deps.sh)" % tool)
    h.main()
