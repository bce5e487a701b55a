"""`sspr-helper enroll USER --totp` never replaces an authenticator app
silently (issue 9 item 10): on a terminal it asks, otherwise it wants
--replace and changes nothing without it; `--replace` is taken out by the
dispatcher for any gate, so the table-driven options still work. In a
throwaway root sandbox with the real installed helper."""

import os
import re
import subprocess

import pexpect

from admin_util import h

URI_RE = re.compile(r"otpauth://totp/\S*?[?&]secret=([A-Z2-7]+)")
ASKED = re.compile(r"(\w+) already has an authenticator app \(enrolled "
                   r"(\d{4}-\d\d-\d\d \d\d:\d\d UTC)\)\. Replace it\? The old app stops "
                   r"working\. \[y/N\] ")


def record_path(user):
    uid = int(h.run(["id", "-u", user]).stdout)
    return os.path.join(h.STATE_DIR, "user-%d.json" % uid)


def record(user):
    with open(record_path(user), "rb") as f:
        return f.read()


def enroll(*args, stdin=subprocess.DEVNULL):
    return subprocess.run([h.HELPER, "enroll"] + list(args), stdin=stdin, capture_output=True,
                          text=True, timeout=h.DEFAULT_TIMEOUT)


def on_terminal(*args):
    c = pexpect.spawn(h.HELPER, ["enroll"] + list(args), encoding="utf-8",
                      timeout=h.DEFAULT_TIMEOUT, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                                      "TERM": "dumb", "LANG": "C.UTF-8"})
    return c


class EnrollReplace(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h.setup_system()

    def fresh(self, name):
        h.add_user(name, h.strong_password())
        secret = h.enroll_totp(name)
        return secret, record(name)

    def test_first_enrollment_needs_no_replace(self):
        h.add_user("en1", h.strong_password())
        p = enroll("en1", "--totp")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, URI_RE)
        self.assertIn("Authenticator app enrolled for en1", p.stderr)

    def test_not_a_terminal_needs_replace(self):
        secret, before = self.fresh("en2")
        p = enroll("en2", "--totp")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stdout, "", "a new secret was printed")
        self.assertIn("en2 already has an authenticator app (enrolled ", p.stderr)
        self.assertIn("nothing was changed", p.stderr)
        self.assertIn("sspr-helper enroll en2 --totp --replace", p.stderr)
        self.assertEqual(record("en2"), before, "the record changed")
        # the old app still works: a reset with its code passes the gate
        s = h.start_reset("en2")
        s.answer(h.fresh_totp(secret))
        s.expect("ECHO_OFF", h.NEW_PW)
        s.close(kill=True)

    def test_replace_flag_either_place(self):
        secret, before = self.fresh("en3")
        p = enroll("en3", "--totp", "--replace")
        self.assertEqual(p.returncode, 0, p.stderr)
        new = URI_RE.search(p.stdout).group(1)
        self.assertNotEqual(new, secret)
        self.assertIn("Authenticator app replaced for en3", p.stderr)
        self.assertIn("The old app no longer works", p.stderr)
        self.assertNotEqual(record("en3"), before)
        p = enroll("en3", "--replace", "--totp")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotEqual(URI_RE.search(p.stdout).group(1), new)

    def test_terminal_asks_and_no_keeps_it(self):
        _, before = self.fresh("en4")
        for answer in ("n", "", "whatever"):
            c = on_terminal("en4", "--totp")
            c.expect(ASKED)
            self.assertEqual(c.match.group(1), "en4")
            c.sendline(answer)
            c.expect("Not replaced: en4 keeps the authenticator app")
            c.expect(pexpect.EOF)
            c.close()
            self.assertEqual(c.exitstatus, 1, answer)
            self.assertNotIn("otpauth://", c.before)
            self.assertEqual(record("en4"), before, "answer %r changed the record" % answer)

    def test_terminal_yes_replaces(self):
        secret, before = self.fresh("en5")
        c = on_terminal("en5", "--totp")
        c.expect(ASKED)
        c.sendline("y")
        c.expect(URI_RE)
        self.assertNotEqual(c.match.group(1), secret)
        c.expect("Authenticator app replaced for en5")
        c.expect(pexpect.EOF)
        c.close()
        self.assertEqual(c.exitstatus, 0)
        self.assertNotEqual(record("en5"), before)

    def test_terminal_with_replace_does_not_ask(self):
        self.fresh("en6")
        c = on_terminal("en6", "--totp", "--replace")
        i = c.expect([ASKED, URI_RE])
        self.assertEqual(i, 1, "asked although --replace was given")
        c.expect(pexpect.EOF)
        c.close()
        self.assertEqual(c.exitstatus, 0)

    def test_replace_with_other_gates_and_usage(self):
        h.add_user("en7", h.strong_password())
        first = h.enroll_recovery("en7")
        p = enroll("en7", "--recovery-codes", "--replace")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotEqual(p.stdout.split(), first)
        p = enroll("en7", "--email", "en7@example.com", "--replace")
        self.assertEqual(p.returncode, 0, p.stderr)
        for bad in (["en7", "--replace"], ["en7", "--totp", "--replace", "--replace"],
                    ["en7", "--totp", "extra"], ["en7", "--replace", "--email"]):
            p = enroll(*bad)
            self.assertEqual(p.returncode, 2, bad)
            self.assertIn("usage: sspr-helper enroll USER", p.stderr)
            self.assertIn("--replace", p.stderr)


if __name__ == "__main__":
    h.main()
