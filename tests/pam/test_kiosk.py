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


# The pseudo user must fail whatever follows the kiosk line: here nothing
# but pam_permit, which lets everyone in whom the kiosk line lets through.
PERMIT_AFTER_KIOSK = """\
auth [ignore=ignore default=die] pam_sspr.so kiosk_user=reset {args}
auth required pam_permit.so
account required pam_permit.so
"""
LOGIN_PROMPT = "login:"   # libpam's own default


def passwordless_reset_account():
    """An account named like the pseudo user, with no password at all:
    pam_unix nullok lets it in without a prompt if the kiosk line does not
    stop it (issue 9 item 3)."""
    if h.run(["getent", "passwd", "reset"], check=False).returncode != 0:
        h.add_user("reset", None)
    h.run(["passwd", "-d", "reset"])


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
        passwordless_reset_account()
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

    def test_null_user_pseudo_user_typed_at_login_prompt(self):
        # An application that lets PAM ask for the name (pam_start with a
        # NULL user: /bin/login, greeters): the kiosk line comes first, so
        # it must ask itself, and stop the pseudo user there.
        passwordless_reset_account()
        for account in ("", "ki-nobody", "!CONV_ERR"):
            s = h.Session("!NULL", extra=["--show-user"])
            s.expect("ECHO_ON", LOGIN_PROMPT)
            s.answer("reset")
            s.expect("ECHO_ON", KIOSK_PROMPT)
            s.answer(account)
            rc, seen = s.until_result(answers=["000000"] * 4)
            self.assertNeverSuccess(rc, s)
            self.assertNotIn(("ECHO_ON", LOGIN_PROMPT), seen, s.format_transcript())

    def test_null_user_login_prompt_fails(self):
        # no name at all (the conversation fails at login:): nothing passes
        passwordless_reset_account()
        for answer in ("!CONV_ERR", "!NULL_RESP", "!NULL_ANSWER"):
            s = h.Session("!NULL")
            s.expect("ECHO_ON", LOGIN_PROMPT)
            s.answer(answer)
            rc, _ = s.until_result(answers=[])
            self.assertNeverSuccess(rc, s)

    def test_pseudo_user_stopped_whatever_follows(self):
        # only pam_permit after the kiosk line: the pseudo user still fails,
        # with PAM_USER set by the application or asked for by the module
        passwordless_reset_account()
        h.setup_system(stack=PERMIT_AFTER_KIOSK,
                       config_text="[throttle]\nfailure_delay = 0\nmax_failures = 20\n")
        for user in ("reset", "!NULL"):
            s = h.Session(user)
            if user == "!NULL":
                s.expect("ECHO_ON", LOGIN_PROMPT)
                s.answer("reset")
            s.expect("ECHO_ON", KIOSK_PROMPT)
            s.answer("")
            self.assertEqual(s.result(), "PAM_AUTH_ERR", s.format_transcript())

    def test_null_user_other_user_unaffected(self):
        # another name typed at the module's login: prompt: PAM_IGNORE at
        # once, no helper, and pam_unix does not ask for the name again
        pw = h.strong_password()
        h.add_user("ki4", pw)
        wrapper = h.marker_wrapper()
        stack = KIOSK_STACK.replace("kiosk_user=reset {args}",
                                    "kiosk_user=reset helper=" + wrapper)
        h.setup_system(stack=stack, module_args="",
                       config_text="[throttle]\nfailure_delay = 0\n")
        s = h.Session("!NULL", extra=["--show-user"])
        s.expect("ECHO_ON", LOGIN_PROMPT)
        s.answer("ki4")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer(pw)
        s.expect("USER", "ki4")
        self.assertEqual(s.result(), "PAM_SUCCESS", s.format_transcript())
        self.assertFalse(h.helper_started(), "the kiosk line started the helper")

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
