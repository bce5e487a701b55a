#!/usr/bin/python3
"""Kiosk mode: a pseudo user typed at login: asks which account to reset,
runs the same flow, and is never let in (DESIGN.md, README)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

KIOSK_PROMPT = "Account to reset: "
KIOSK_STACK = """\
auth [ignore=ignore default=die] pam_sspr.so kiosk_user=reset {args}
auth [success=2 default=ignore] pam_unix.so nullok
auth [success=1 default=ignore] pam_sspr.so {args}
auth requisite pam_deny.so
auth required pam_permit.so
account required pam_unix.so
"""


class Kiosk(h.SandboxTest):

    def setUp(self):
        super().setUp()
        h.setup_system(stack=KIOSK_STACK,
                       config_text="[throttle]\nfailure_delay = 0\nmax_failures = 20\n")

    def kiosk(self, account):
        s = h.Session("reset")
        s.expect("ECHO_ON", KIOSK_PROMPT)
        s.answer(account)
        return s

    def test_kiosk_reset(self):
        old = h.strong_password()
        h.add_user("ki1", old)
        secret = h.enroll_totp("ki1")
        new = h.strong_password()
        s = self.kiosk("ki1")
        s.expect("INFO", h.INTRO)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.set_new_password(s, new)
        s.expect("INFO", h.DONE)
        self.assertNeverSuccess(s.result(), s)
        self.assertEqual(h.pam_auth("ki1", new), "PAM_SUCCESS")
        self.assertEqual(h.pam_auth("ki1", old), "PAM_AUTH_ERR")

    def test_kiosk_user_never_let_in(self):
        # even when an account named like the pseudo user exists with an
        # empty password (nullok would let it in further down the stack)
        h.add_user("reset", None)
        h.run(["passwd", "-d", "reset"])
        for answer in ("", "reset", "root", "!CONV_ERR", "!NULL_RESP", "!NULL_ANSWER"):
            s = self.kiosk(answer)
            rc, _ = s.until_result(answers=["000000"] * 4)
            self.assertNeverSuccess(rc, s)

    def test_kiosk_unknown_account_looks_the_same(self):
        h.add_user("ki2", h.strong_password())
        h.enroll_totp("ki2")
        s1 = self.kiosk("ki2")
        s1.until_result(answers=["000000"] * 3)
        s2 = self.kiosk("ki-nobody")
        s2.until_result(answers=["000000"] * 3)
        self.assertEqual(s1.received(), s2.received())
        s3 = self.kiosk("bad:name\\x01")
        s3.until_result(answers=["000000"] * 3)
        self.assertEqual(s1.received(), s3.received())

    def test_other_users_unaffected(self):
        pw = h.strong_password()
        h.add_user("ki3", pw)
        self.assertEqual(h.pam_auth("ki3", pw), "PAM_SUCCESS")
        s = h.Session("ki3")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("wrong")
        s.expect("INFO", h.HINT_ENTER)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")


if __name__ == "__main__":
    h.main()
