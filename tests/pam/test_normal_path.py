#!/usr/bin/python3
"""The normal password path never involves the helper (docs/security.md 2), and the
offer/hint wording at the password prompt (UX spec)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402


class NormalPath(h.SandboxTest):

    def setUp(self):
        super().setUp()
        self.wrap = h.marker_wrapper()
        h.setup_system(module_args="helper=" + self.wrap)

    def test_correct_password_no_helper(self):
        h.add_user("np1", "Np1-Correct-Pass")
        secret = h.enroll_totp("np1")
        self.assertTrue(secret)
        before = h.snapshot()
        self.assertEqual(h.pam_auth("np1", "Np1-Correct-Pass"), "PAM_SUCCESS",
                         h.pam_auth.last.format_transcript())
        # only the password prompt and the result: no hint, no offer
        self.assertEqual(h.pam_auth.last.received(),
                         [("ECHO_OFF", h.PASSWORD_PROMPT), ("RESULT", "PAM_SUCCESS 0")])
        self.assertFalse(h.helper_started(), "helper ran on a correct password")
        self.assertEqual(h.snapshot(), before, "/var/lib/sspr changed on a normal login")

    def test_wrong_password_hint_no_helper(self):
        h.add_user("np2", "Np2-Correct-Pass")
        h.enroll_totp("np2")
        before = h.snapshot()
        s = h.Session("np2")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("not-the-password")
        s.expect("INFO", h.HINT_ENTER)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertFalse(h.helper_started(), "helper ran on a wrong password")
        self.assertEqual(h.snapshot(), before)

    def test_wrong_password_unknown_user_same_hint(self):
        s = h.Session("nosuchuser")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("whatever")
        s.expect("INFO", h.HINT_ENTER)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertFalse(h.helper_started())

    def test_empty_password_decline(self):
        h.add_user("np3", "Np3-Correct-Pass")
        before = h.snapshot()
        for no in ("n", "", "no", "N", "maybe"):
            s = h.Session("np3")
            s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
            s.answer("")
            s.expect("ECHO_ON", h.OFFER)
            s.answer(no)
            self.assertEqual(s.result(), "PAM_AUTH_ERR", "answer %r" % no)
        self.assertFalse(h.helper_started(), "helper ran although the offer was declined")
        self.assertEqual(h.snapshot(), before)

    def test_empty_password_accept_starts_helper(self):
        h.add_user("np4", "Np4-Correct-Pass")
        h.enroll_totp("np4")
        s = h.start_reset("np4")
        self.assertTrue(h.helper_started(), "helper did not run after 'y'")
        s.answer("!CONV_ERR")
        self.assertNeverSuccess(s.result())

    def test_yes_variants(self):
        h.add_user("np5", "Np5-Correct-Pass")
        for yes in ("Y", "yes", " y ", "YES"):
            h.clear_marker()
            s = h.Session("np5")
            s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
            s.answer("")
            s.expect("ECHO_ON", h.OFFER)
            s.answer(yes)
            s.expect("INFO", h.INTRO)
            s.expect("ECHO_OFF", h.CODE_PROMPT)
            self.assertTrue(h.helper_started(), "answer %r" % yes)
            s.answer("!CONV_ERR")
            self.assertNeverSuccess(s.result())

    def test_trigger_word(self):
        h.setup_system(module_args="helper=%s trigger=reset" % self.wrap)
        h.add_user("np6", "Np6-Correct-Pass")
        secret = h.enroll_totp("np6")
        s = h.start_reset("np6", trigger="reset")  # no offer question
        self.assertTrue(h.helper_started())
        s.answer(h.fresh_totp(secret))
        new = h.strong_password()
        h.set_new_password(s, new)
        s.expect("INFO", h.DONE)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("np6", new), "PAM_SUCCESS")

    def test_trigger_word_not_a_prefix(self):
        h.setup_system(module_args="helper=%s trigger=reset" % self.wrap)
        h.add_user("np7", "Np7-Correct-Pass")
        for word in ("rese", "resetx", "RESET", " reset"):
            s = h.Session("np7")
            s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
            s.answer(word)
            k, t = s.read()
            self.assertEqual(k, "INFO", s.format_transcript())
            self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertFalse(h.helper_started(), "helper ran for a word that is not the trigger")

    def test_trigger_still_offers_on_empty(self):
        h.setup_system(module_args="helper=%s trigger=reset" % self.wrap)
        h.add_user("np8", "Np8-Correct-Pass")
        s = h.Session("np8")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("")
        s.expect("ECHO_ON", h.OFFER)
        s.answer("n")
        self.assertEqual(s.result(), "PAM_AUTH_ERR")

    def test_user_with_empty_password_nullok(self):
        # nullok: an account with an empty password logs in with Enter and
        # never sees the offer (pam_unix succeeds first).
        h.add_user("np9", None)
        h.run(["passwd", "-d", "np9"])
        s = h.Session("np9")
        rc, seen = s.until_result(answers=[""])
        self.assertEqual(rc, "PAM_SUCCESS", s.format_transcript())
        self.assertNotIn(("ECHO_ON", h.OFFER), seen)
        self.assertFalse(h.helper_started())


if __name__ == "__main__":
    h.main()
