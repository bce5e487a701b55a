"""Building blocks for the registration-at-sign-in tests (tests/pam/test_register.py).

Registration runs in the `account` stage of the REAL installed pam_sspr.so,
after a normal password login:

    account required pam_unix.so
    account [success=ok perm_denied=die default=ignore] pam_sspr.so

A Login is one pamdrive transaction with `--op auth,acct`: the password is
answered, the auth RESULT must be PAM_SUCCESS, and then everything the
account stage says is read with read_step() (messages up to the next prompt
or RESULT), each read with a timeout (sspr_harness.Session.read).

Kept apart from sspr_harness.py so that several people can extend the
harness at once; everything here uses only the harness's public helpers.
"""
import ctypes
import ctypes.util
import email
import email.policy
import json
import os
import pwd
import re
import socket
import subprocess
import tempfile
import time
import fcntl

import sspr_harness as h

# ---------------------------------------------------------------------------
# The UX strings of registration (sspr-helper/register.c)
# ---------------------------------------------------------------------------
INTRO_1 = ("Set up password reset: register 1 way to prove it is you, so you can reset a "
           "forgotten password yourself at the login prompt.")
INTRO_2 = ("Set up password reset: register 2 ways to prove it is you, so you can reset a "
           "forgotten password yourself at the login prompt.")
# The first thing registration sends is always a prompt with the explanation
# inside it (no INFO before it), so a conversation that cannot prompt (SSH
# public-key logins) sees nothing at all.
OFFER_REG = "Set it up now? [Y/n] "
REQUIRED_START = ("Your administrator requires this before you can sign in. "
                  "Press Enter to start: ")
MENU_HEAD = "Methods you can register:"
NUMBER_PROMPT = "Number (Enter to stop): "
TOTP_INTRO = ("Add this account to your authenticator app: scan the QR code, or enter the key "
              "by hand (time-based, 6 digits).")
# One INFO: the key in groups of 4, then the otpauth:// URI as text.
KEY_RE = re.compile(r"Key: ((?:[A-Z2-7]{1,4} )*[A-Z2-7]{1,4})\nOr as a link: (otpauth://totp/\S+)")
# asked without echo, like reset codes (issue 9 item 12)
TOTP_PROMPT = "Code shown in the app: "
TOTP_BAD = ("That code does not match. Check the app's clock and the key, then try the code "
            "it shows now.")
TOTP_OK = "Authenticator app registered."
RECOVERY_RE = re.compile(r"Your recovery codes \(each works once\):((?:\n  \S+)+)")
RECOVERY_NOTE = ("They are shown only now. Write them down or keep them in a password manager, "
                 "away from this computer.")
SAVED_PROMPT = 'Type "saved" once you have stored them: '
RECOVERY_OK = "Recovery codes registered."
EMAIL_PROMPT = "Email address: "
EMAIL_SENT_RE = re.compile(r"A confirmation code has been sent to (\S+)\.")
CONFIRM_PROMPT = "Confirmation code: "
CONFIRM_BAD = "That code does not match."
EMAIL_OK = "Email address registered."
SET_UP = ("Password reset is set up. If you forget your password, press Enter at the "
          "password prompt.")
MUST_FINISH = "You must finish setting up password reset before you can sign in."
NOT_YET = "Password reset is not set up yet. You will be asked again at your next sign-in."
RECONFIRM_HEAD = "Password reset: you can prove it is you with"
RECONFIRM_QUESTION = "Are these still yours and working? [Y/n] "
RECONFIRM_RE = re.compile(r"Password reset: you can prove it is you with((?: \[[^\]]+\])+)\.\n"
                          + re.escape(RECONFIRM_QUESTION))
DISOWNED = "Your old methods were removed. Register new ones now."

LABELS = {"totp": "authenticator app", "recovery": "recovery codes", "email": "email address",
          "sms": "mobile phone (text messages)", "questions": "security questions"}


def menu(*methods):
    return MENU_HEAD + "".join("\n  %d) %s" % (i + 1, LABELS[m]) for i, m in enumerate(methods))


def intro(n):
    return INTRO_1 if n == 1 else INTRO_2


def offer_prompt(n=1):
    """The first prompt under register_at_login = offer (n ways still needed)."""
    return intro(n) + "\n" + OFFER_REG


def require_prompt(n=1):
    """The first prompt under register_at_login = require (any answer goes on)."""
    return intro(n) + "\n" + REQUIRED_START


def reconfirm_prompt(*methods):
    """The reconfirmation prompt listing the registered methods (in menu order)."""
    return (RECONFIRM_HEAD + "".join(" [%s]" % LABELS[m] for m in methods)
            + ".\n" + RECONFIRM_QUESTION)


# ---------------------------------------------------------------------------
# System setup
# ---------------------------------------------------------------------------
REG_STACK = """\
auth [success=2 default=ignore] pam_unix.so nullok
auth [success=1 default=ignore] pam_sspr.so {args}
auth requisite pam_deny.so
auth required pam_permit.so
account required pam_unix.so
account [success=ok perm_denied=die default=ignore] pam_sspr.so register_services=sspr-test {args}
password required pam_unix.so
"""

# The same account line with the module's default register_services (login,
# sshd, remote): a service like this test one (or cron, sudo, a greeter) is
# skipped.
REG_STACK_DEFAULT_SERVICES = REG_STACK.replace(" register_services=sspr-test", "")


def reg_config(register_at_login=None, reconfirm_days=None, policy_extra="", extra=""):
    """FAST_CONFIG plus a [policy] section for registration (None: the default)."""
    pol = ""
    if register_at_login is not None:
        pol += "register_at_login = %s\n" % register_at_login
    if reconfirm_days is not None:
        pol += "reconfirm_days = %d\n" % reconfirm_days
    pol += policy_extra
    text = h.FAST_CONFIG
    if pol:
        text += "[policy]\n" + pol
    return text + extra


def email_section(port):
    return ("[email]\nsmtp_url = smtp://127.0.0.1:%d\nstarttls = off\n"
            "from = sspr@sspr-sandbox.invalid\n" % port)


def setup_register(config_text=None, module_args=""):
    h.setup_system(config_text if config_text is not None else reg_config(),
                   module_args=module_args, stack=REG_STACK)


# ---------------------------------------------------------------------------
# Records in /var/lib/sspr
# ---------------------------------------------------------------------------
def uid_of(user):
    return pwd.getpwnam(user).pw_uid


def record_path(user):
    return os.path.join(h.STATE_DIR, "user-%d.json" % uid_of(user))


def read_record(user):
    """The user's record as a dict, or None when there is none."""
    try:
        with open(record_path(user)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def age_registration(user, days):
    """Set the record's "registered" stamp `days` days into the past.

    Only that one field changes; the write happens under the record's lock
    (user-<uid>.lock, flock as the helper takes it), through a temp file
    renamed over the record, root-owned, mode 0600.
    """
    h.require_sandbox()
    path = record_path(user)
    lock = os.path.join(h.STATE_DIR, "user-%d.lock" % uid_of(user))
    lfd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lfd, fcntl.LOCK_EX)
        with open(path) as f:
            rec = json.load(f)
        if "registered" not in rec:
            raise h.HarnessError("record of %s has no \"registered\" stamp: %r" % (user, rec))
        rec["registered"] = int(time.time()) - days * 86400
        h.write_file(path, json.dumps(rec), mode=0o600)
    finally:
        fcntl.flock(lfd, fcntl.LOCK_UN)
        os.close(lfd)
    return rec["registered"]


# ---------------------------------------------------------------------------
# A login through auth and account
# ---------------------------------------------------------------------------
class Login(h.Session):
    """pamdrive --op auth,acct: password first, then the account stage."""

    def __init__(self, user, password, **kw):
        super().__init__(user, op="auth,acct", **kw)
        self.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        self.answer(password)
        self.expect("RESULT", "PAM_SUCCESS 0")
        self.result_name = None      # the account stage's result comes next
        self.result_code = None

    def read_step(self, timeout=None):
        """Messages up to the next prompt or RESULT.

        Returns (messages, (kind, text)): messages is a list of (kind, text)
        INFO/ERROR lines; the last element is the prompt or RESULT line.
        """
        msgs = []
        while True:
            k, t = self.read(timeout)
            if k in h.MESSAGES:
                msgs.append((k, t))
                continue
            if k == "RESULT":
                self.close()
            return msgs, (k, t)

    def step_to(self, kind, text, timeout=None):
        """read_step() whose last line must be (kind, text); returns the messages."""
        msgs, last = self.read_step(timeout)
        if last[0] != kind or not h._text_matches(last[1], text):
            self._fail("expected %s %r after the messages, got %s %r"
                       % (kind, h._show(text), last[0], last[1]))
        return msgs

    def acct_result(self, timeout=None):
        """Read to the account RESULT (no prompt allowed); returns (name, messages)."""
        msgs, last = self.read_step(timeout)
        if last[0] != "RESULT":
            self.answer("!CONV_ERR")
            self._fail("expected the account RESULT, got %s %r" % last)
        return self.result_name, msgs


def login_no_prompts(test, user, password):
    """A login whose account stage must say nothing at all and pass."""
    s = Login(user, password)
    rc, msgs = s.acct_result()
    test.assertEqual(msgs, [], "the account stage said something:\n" + s.format_transcript())
    test.assertEqual(rc, "PAM_SUCCESS", s.format_transcript())
    return s


# ---------------------------------------------------------------------------
# Registering each method (at the point where its first line is next)
# ---------------------------------------------------------------------------
def key_from(msgs):
    """The base32 secret from the "Key: ABCD EFGH ...\nOr as a link: ..." INFO among msgs."""
    for k, t in msgs:
        if k == "INFO":
            m = KEY_RE.fullmatch(t)
            if m:
                return m.group(1).replace(" ", "")
    raise h.HarnessError("no 'Key: ...' INFO line in %r" % (msgs,))


def uri_from(msgs):
    """The otpauth:// URI shown as text after the key ("Or as a link: ...")."""
    for k, t in msgs:
        if k == "INFO":
            m = KEY_RE.fullmatch(t)
            if m:
                return m.group(2)
    raise h.HarnessError("no 'Key: ...\\nOr as a link: ...' INFO line in %r" % (msgs,))


def qr_text(msgs):
    """The QR code drawn between TOTP_INTRO and the Key line, as one text."""
    out, inside = [], False
    for k, t in msgs:
        if k == "INFO" and t == TOTP_INTRO:
            inside = True
            continue
        if inside and k == "INFO" and KEY_RE.fullmatch(t):
            break
        if inside:
            out.append(t)
    return "\n".join(out)


class _QRcode(ctypes.Structure):
    _fields_ = [("version", ctypes.c_int), ("width", ctypes.c_int),
                ("data", ctypes.POINTER(ctypes.c_ubyte))]


def render_qr(text):
    """The terminal drawing sspr-helper makes of text (qr.c), with the same
    libqrencode (QR_ECLEVEL_M, 8-bit mode), so a drawing can be checked for
    what it encodes. None when libqrencode cannot be loaded."""
    name = ctypes.util.find_library("qrencode") or "libqrencode.so.4"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    lib.QRcode_encodeString.restype = ctypes.POINTER(_QRcode)
    lib.QRcode_encodeString.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                        ctypes.c_int, ctypes.c_int]
    lib.QRcode_free.argtypes = [ctypes.POINTER(_QRcode)]
    qr = lib.QRcode_encodeString(text.encode(), 0, 1, 2, 1)
    if not qr:
        return None
    w = qr.contents.width
    data = qr.contents.data

    def dark(x, y):
        if x < 0 or y < 0 or x >= w or y >= w:
            return False
        return bool(data[y * w + x] & 1)

    lines = []
    for y in range(-2, w + 2, 2):
        row = []
        for x in range(-2, w + 2):
            top, bottom = not dark(x, y), not dark(x, y + 1)
            row.append("\u2588" if top and bottom else "\u2580" if top
                       else "\u2584" if bottom else " ")
        lines.append("".join(row))
    lib.QRcode_free(qr)
    return "\n".join(lines)


def otpauth_uri(user, secret, issuer=None):
    issuer = issuer or socket.gethostname()
    esc = lambda s: "".join(c if c.isascii() and (c.isalnum() or c in "-._~")
                            else "".join("%%%02X" % b for b in c.encode()) for c in s)
    return ("otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=30"
            % (esc(issuer), esc(user), secret, esc(issuer)))


def register_totp(s, code_for=None):
    """At the TOTP INFO lines: read them, answer a code from oathtool.

    code_for(secret) gives the code (default: the current step's code, after
    making sure the step has >= 8 s left). Returns (secret, code, messages).
    """
    msgs = s.step_to("ECHO_OFF", TOTP_PROMPT)
    if ("INFO", TOTP_INTRO) not in msgs:
        s._fail("no TOTP intro before the code prompt")
    secret = key_from(msgs)
    if code_for is None:
        h.wait_step_margin(8)
        code = h.totp_now(secret)
    else:
        code = code_for(secret)
    s.answer(code)
    return secret, code, msgs


def register_recovery(s):
    """At the recovery INFO lines: read the codes, answer "saved"."""
    msgs = s.step_to("ECHO_ON", SAVED_PROMPT)
    codes = None
    for k, t in msgs:
        m = RECOVERY_RE.fullmatch(t) if k == "INFO" else None
        if m:
            codes = [c.strip() for c in m.group(1).split("\n") if c.strip()]
    if not codes:
        s._fail("no recovery codes shown before the 'saved' prompt")
    s.answer("saved")
    return codes, msgs


# ---------------------------------------------------------------------------
# The loopback SMTP server (tests/delivery/smtp_sink.py, aiosmtpd)
# ---------------------------------------------------------------------------
class SmtpSink:
    """tests/delivery/smtp_sink.py on 127.0.0.1 in the sandbox's own network."""

    def __init__(self, mode="plain", timeout=h.DEFAULT_TIMEOUT):
        self.dir = tempfile.mkdtemp(prefix="sspr-smtp-")
        script = os.path.join(h.SRCDIR, "tests", "delivery", "smtp_sink.py")
        self.proc = subprocess.Popen(["/usr/bin/python3", script, "--dir", self.dir,
                                      "--mode", mode],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.port = None
        end = time.monotonic() + timeout
        line = b""
        import select
        while not line.endswith(b"\n"):
            left = end - time.monotonic()
            r, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            if not r:
                self.close()
                raise h.HarnessError("smtp_sink.py did not say its port in %ss" % timeout)
            c = os.read(self.proc.stdout.fileno(), 1)
            if not c:
                err = self.proc.stderr.read().decode("utf-8", "replace")
                self.close()
                raise h.HarnessError("smtp_sink.py ended: " + err)
            line += c
        m = re.fullmatch(rb"PORT (\d+)\n", line)
        if not m:
            self.close()
            raise h.HarnessError("smtp_sink.py said %r" % line)
        self.port = int(m.group(1))
        self.seen = 0

    def wait_mail(self, timeout=h.DEFAULT_TIMEOUT):
        """The next message: (envelope lines, email.message.EmailMessage)."""
        n = self.seen + 1
        env = os.path.join(self.dir, "msg-%d.env" % n)
        eml = os.path.join(self.dir, "msg-%d.eml" % n)
        end = time.monotonic() + timeout
        while not (os.path.exists(env) and os.path.exists(eml)):
            if time.monotonic() > end:
                raise h.HarnessError("no mail #%d within %ss" % (n, timeout))
            time.sleep(0.05)
        self.seen = n
        with open(env) as f:
            envelope = f.read().splitlines()
        with open(eml, "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        return envelope, msg

    def count(self):
        return len([n for n in os.listdir(self.dir) if n.endswith(".eml")])

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass


def mail_text(msg):
    body = msg.get_body(preferencelist=("plain",))
    return (body or msg).get_content()


def code_in_mail(msg, digits=8):
    """The confirmation code: a line holding only `digits` digits."""
    m = re.search(r"^\s*(\d{%d})\s*$" % digits, mail_text(msg), re.M)
    if not m:
        raise h.HarnessError("no %d-digit code line in the mail:\n%s" % (digits, mail_text(msg)))
    return m.group(1)
