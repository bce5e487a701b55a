#!/usr/bin/python3
"""Self-service unlock of a pam_faillock lock (issue 13, part 3), end to end:
the real login on a pty, the real pam_faillock in the stack Debian users
write for it (preauth required before pam_unix, authfail and authsucc after
pam_sspr), its tally in /run/faillock.

- Three wrong passwords lock the account (pam_faillock's default deny = 3).
  At the next sign-in the user presses Enter, confirms with a code, keeps
  the password, and then signs in with the old one. The unlock is audited
  and mailed ("was unlocked").
- Choosing a new password instead lifts the lock too.
- An account an admin locked (`usermod -L`) stays locked: no code passes,
  the tally and the '!' stay.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import h  # noqa: E402

LOCKED_NOTE = re.compile(r"The account is locked due to 3 failed logins\.")
LOCKED_OUT = "Your account is locked after too many failed sign-in attempts."
ASK_UNLOCK = "Unlock it and keep your current password? [Y/n] "
UNLOCKED = "Your account has been unlocked. Sign in again with your password."
TALLY_DIR = "/run/faillock"


def faillock_stack():
    """common-auth as a Debian admin writes it for pam_faillock, with the
    pam_sspr line the profile adds: preauth first (required, so that a
    locked user still reaches the password prompt), authfail after pam_sspr
    (a refused password or a reset attempt is counted), authsucc last."""
    text = e2e.install_stack()
    out = []
    for line in text.splitlines():
        m = re.match(r"^auth\s+\[success=(\d+) default=ignore\]\s+pam_unix\.so(.*)$", line)
        if m:
            out.append("auth required pam_faillock.so preauth")
            out.append("auth [success=2 default=ignore] pam_unix.so%s" % m.group(2))
            continue
        if re.match(r"^auth\s+\[success=\d+ default=ignore\]\s+pam_sspr\.so", line):
            out.append("auth [success=1 default=ignore] pam_sspr.so")
            out.append("auth [default=die] pam_faillock.so authfail")
            out.append("auth sufficient pam_faillock.so authsucc")
            continue
        out.append(line)
    h.write_file("/etc/pam.d/common-auth", "\n".join(out) + "\n")
    h.write_file("/etc/security/faillock.conf", "deny = 3\nunlock_time = 600\n")


def tally_count(user):
    try:
        return os.path.getsize(os.path.join(TALLY_DIR, user)) // 64
    except FileNotFoundError:
        return 0


class Faillock(e2e.E2ETest):

    def setUp(self):
        super().setUp()
        faillock_stack()
        self.log = h.Syslog2()
        self.addCleanup(self.log.close)

    def wrong_passwords(self, user, n=3):
        t = e2e.login()
        for i in range(n):
            if i:
                t.expect(e2e.LOGIN_PROMPT)
            t.send(user)
            t.expect(h.PASSWORD_PROMPT)
            t.send("Wrong-%d-password" % i)
            t.expect(e2e.LOGIN_INCORRECT)
        t.close()
        self.assertGreaterEqual(tally_count(user), n)

    def locked_sign_in(self, user, code, choice_prompt=False):
        """To the question after the gate: a fresh login, the lock note,
        Enter, y, the code."""
        t = e2e.login()
        t.send(user)
        t.expect(LOCKED_NOTE)
        t.expect(h.PASSWORD_PROMPT)
        t.send("")
        t.expect(h.OFFER)
        t.send("y")
        t.expect(h.INTRO_MENU if choice_prompt else h.INTRO)
        if choice_prompt:
            t.expect(h.CHOICE)
            t.send("")
        t.expect(h.CODE_PROMPT)
        t.send(code)
        return t

    def signs_in(self, user, password):
        t = e2e.login()
        t.send(user)
        t.expect(h.PASSWORD_PROMPT)
        t.send(password)
        e2e.login_shell_check(t, user)

    def refused(self, user, password):
        t = e2e.login()
        t.send(user)
        t.expect(h.PASSWORD_PROMPT)
        t.send(password)
        t.expect(e2e.LOGIN_INCORRECT)
        t.close()

    def test_unlock_keeps_the_password(self):
        sink = h.start_smtp_sink()
        h.write_config(h.make_config(email=h.email_section(sink.url)))
        user, old, secret, _ = e2e.new_user("fl")
        h.enroll_email(user, user + "@example.com")
        before = h.shadow_entry(user)
        self.wrong_passwords(user)
        # locked: even the right password is refused now
        self.refused(user, old)

        t = self.locked_sign_in(user, h.fresh_totp(secret), choice_prompt=True)
        t.expect(LOCKED_OUT)
        t.expect(ASK_UNLOCK)
        t.send("")
        t.expect(UNLOCKED)
        t.expect(e2e.LOGIN_INCORRECT)
        t.close()
        self.assertEqual(h.shadow_entry(user), before)
        # the attempt that unlocked is counted by authfail, as any failed sign-in
        self.assertLessEqual(tally_count(user), 1)
        self.signs_in(user, old)
        self.assertEqual(tally_count(user), 0)   # authsucc cleared it

        events = [r["event"] for r in h.audit_records(self.log.text())
                  if r.get("user") == user]
        self.assertIn("unlock", events)
        self.assertNotIn("writeback", events)
        mails = [m for m in sink.wait_mails(1) if "unlocked" in m.subject]
        self.assertEqual(len(mails), 1, [m.subject for m in sink.mails()])
        self.assertEqual(mails[0].rcpts, [user + "@example.com"])
        self.assertIn("Your password was not changed.", mails[0].body)

    def test_new_password_instead_also_unlocks(self):
        user, old, secret, _ = e2e.new_user("fr")
        new = h.strong_password()
        self.wrong_passwords(user)
        t = self.locked_sign_in(user, h.fresh_totp(secret))
        t.expect(LOCKED_OUT)
        t.expect(ASK_UNLOCK)
        t.send("n")
        t.expect(h.NEW_PW)
        t.send(new)
        t.expect(h.RETYPE_PW)
        t.send(new)
        t.expect(h.DONE)
        t.expect(e2e.LOGIN_INCORRECT)
        t.close()
        self.refused(user, old)
        self.signs_in(user, new)

    def test_not_locked_asks_nothing_more(self):
        user, _, secret, _ = e2e.new_user("fn")
        new = h.strong_password()
        t = e2e.login()
        t.send(user)
        t.expect(h.PASSWORD_PROMPT)
        t.send("")
        t.expect(h.OFFER)
        t.send("y")
        t.expect(h.CODE_PROMPT)
        t.send(h.fresh_totp(secret))
        t.expect(h.NEW_PW)
        self.assertNotIn(LOCKED_OUT, t.screen())
        t.send(new)
        t.expect(h.RETYPE_PW)
        t.send(new)
        t.expect(h.DONE)
        t.close()

    def test_admin_lock_stays(self):
        user, old, secret, _ = e2e.new_user("fa")
        self.wrong_passwords(user)
        h.run(["usermod", "-L", user])
        locked = h.shadow_entry(user)
        self.assertTrue(locked.split(":")[1].startswith("!"))
        t = e2e.login()
        t.send(user)
        t.expect(LOCKED_NOTE)
        t.expect(h.PASSWORD_PROMPT)
        t.send("")
        t.expect(h.OFFER)
        t.send("y")
        t.expect(h.INTRO)
        for _ in range(3):   # a right code: it never passes for this account
            t.expect(h.CODE_PROMPT)
            t.send(h.totp_now(secret))
        t.expect(h.ASK_ADMIN)
        t.expect(e2e.LOGIN_INCORRECT)
        t.close()
        self.assertNotIn(LOCKED_OUT, t.screen())
        self.assertNotIn(UNLOCKED, t.screen())
        self.assertEqual(h.shadow_entry(user), locked)
        self.assertGreaterEqual(tally_count(user), 3)
        # the tally cleared by an admin: usermod -L still keeps the user out
        h.run(["faillock", "--user", user, "--reset"])
        self.refused(user, old)
        events = [r["event"] for r in h.audit_records(self.log.text()) if r.get("user") == user]
        self.assertNotIn("unlock", events)


if __name__ == "__main__":
    e2e.main(tools=("login", "faillock"))
