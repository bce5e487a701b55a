#!/usr/bin/python3
"""The new password (docs/security.md 16): asked twice, the project's own checks
(length, banned list, not the user name, no control characters), the
system's pam_pwquality really enforced for the root-run helper, at most
max_tries attempts, nothing changed when all fail, no silent truncation."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

BANNED_FILE = "/etc/sspr/banned-test.txt"
BANNED_WORD = "Harborlight-Quince"      # strong-looking, pwquality would take it
CONFIG = ("[throttle]\nfailure_delay = 0\nmax_failures = 20\n"
          "[password]\nbanned_file = %s\n" % BANNED_FILE)
PWQUALITY_REJECTS = "abcdefghijklmnop"   # >= 12, not banned; cracklib: too systematic
ANY_REASON = re.compile(r".{8,}")


class PasswordPolicy(h.SandboxTest):

    def setUp(self):
        super().setUp()
        h.write_file(BANNED_FILE, "# test list\n%s\n" % BANNED_WORD.lower(), mode=0o644)
        h.write_config(CONFIG)

    def start(self, user):
        """A user with TOTP, walked to the first "New password: " prompt
        (not yet answered). Returns (session, old password, shadow line)."""
        old = h.strong_password()
        h.add_user(user, old)
        secret = h.enroll_totp(user)
        s = h.start_reset(user)
        s.answer(h.fresh_totp(secret))
        return s, old, h.shadow_entry(user)

    def refused(self, s, pw, reason=ANY_REASON, retype=None):
        """Enter pw (twice) and expect an ERROR with a reason; returns it."""
        h.set_new_password(s, pw, retype)
        return s.expect("ERROR", reason)

    def finish_ok(self, s, user, pw):
        h.set_new_password(s, pw)
        s.expect("INFO", h.DONE)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth(user, pw), "PAM_SUCCESS")

    def test_mismatch_then_ok(self):
        s, old, _ = self.start("pp1")
        new = h.strong_password()
        self.refused(s, new, h.MISMATCH, retype=new + "x")
        self.finish_ok(s, "pp1", new)
        self.assertEqual(h.pam_auth("pp1", old), "PAM_AUTH_ERR")

    def test_too_short(self):
        s, _, _ = self.start("pp2")
        why = self.refused(s, "Aq7!x2Lm")   # 8 < min_length 12
        self.assertRegex(why, r"12|short|least")
        self.finish_ok(s, "pp2", h.strong_password())

    def test_banned_list(self):
        s, _, _ = self.start("pp3")
        self.refused(s, BANNED_WORD)
        self.refused(s, BANNED_WORD.upper() + "2026!")   # case, trailing digits/punctuation
        self.finish_ok(s, "pp3", h.strong_password())

    def test_shipped_banned_list(self):
        h.write_config("[throttle]\nfailure_delay = 0\n")   # default banned_file
        s, _, _ = self.start("pp4")
        self.refused(s, "password1234")  # pwquality let this one through on Debian 12
        self.finish_ok(s, "pp4", h.strong_password())

    def test_user_name(self):
        user = "pplongusername"
        s, _, _ = self.start(user)
        self.refused(s, user)
        self.refused(s, "Xy7-" + user.upper() + "-Qz")
        self.finish_ok(s, user, h.strong_password())

    def test_pwquality_enforced_for_root_helper(self):
        s, _, _ = self.start("pp5")
        why = self.refused(s, PWQUALITY_REJECTS)
        self.assertIn("BAD PASSWORD", why, "expected pam_pwquality's message relayed")
        self.finish_ok(s, "pp5", h.strong_password())

    def test_control_characters(self):
        s, _, _ = self.start("pp6")
        bad = "Aq7-" + os.urandom(4).hex() + "\x01" + "-Zk9"
        hexed = "!HEX " + bad.encode().hex()
        h.set_new_password(s, hexed, hexed)
        s.expect("ERROR", ANY_REASON)
        self.finish_ok(s, "pp6", h.strong_password())

    def test_three_failures_change_nothing(self):
        s, old, shadow = self.start("pp7")
        new = h.strong_password()
        self.refused(s, new, h.MISMATCH, retype=new + "1")
        self.refused(s, "short1!A")
        self.refused(s, PWQUALITY_REJECTS)
        s.expect("ERROR", h.NOT_CHANGED)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.shadow_entry("pp7"), shadow)
        self.assertEqual(h.pam_auth("pp7", old), "PAM_SUCCESS")
        self.assertEqual(h.pam_auth("pp7", new), "PAM_AUTH_ERR")

    def test_600_bytes_not_truncated(self):
        s, old, shadow = self.start("pp8")
        long_pw = ("Aq7-" + os.urandom(300).hex())[:600]
        s.expect("ECHO_OFF", h.NEW_PW)
        s.answer(long_pw)
        # the module refuses an over-long answer (PAM_MAX_RESP_SIZE) or the
        # helper does: either way never a silent cut to 512
        rc, seen = s.until_result(answers=[long_pw] * 6)
        self.assertNeverSuccess(rc, s)
        self.assertNotIn(("INFO", h.DONE), seen, "a 600-byte password was accepted")
        self.assertEqual(h.shadow_entry("pp8"), shadow)
        # and no truncated form of it works either
        for n in (512, 511, 256, 128):
            self.assertEqual(h.pam_auth("pp8", long_pw[:n]), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("pp8", old), "PAM_SUCCESS")

    def test_512_bytes_all_or_nothing(self):
        s, old, shadow = self.start("pp9")
        pw = ("Aq7-" + os.urandom(300).hex())[:512]
        h.set_new_password(s, pw)
        k, t = s.read()
        if (k, t) == ("INFO", h.DONE):
            self.assertEqual(s.result(), "PAM_AUTH_ERR")
            self.assertEqual(h.pam_auth("pp9", pw), "PAM_SUCCESS")
            self.assertEqual(h.pam_auth("pp9", pw[:511]), "PAM_AUTH_ERR",
                             "a truncated password works")
        else:
            rc, _ = s.until_result(answers=["!CONV_ERR"] * 6)
            self.assertNeverSuccess(rc, s)
            self.assertEqual(h.shadow_entry("pp9"), shadow)
            self.assertEqual(h.pam_auth("pp9", old), "PAM_SUCCESS")

    def test_abandon_at_password_prompt(self):
        s, old, shadow = self.start("ppa")
        s.expect("ECHO_OFF", h.NEW_PW)
        s.answer("!CONV_ERR")
        rc, _ = s.until_result()
        self.assertNeverSuccess(rc, s)
        self.assertEqual(h.shadow_entry("ppa"), shadow)
        self.assertEqual(h.pam_auth("ppa", old), "PAM_SUCCESS")

    def test_same_as_old_password(self):
        # recorded, not required: reusing the forgotten password is allowed
        # by some policies; it must at least not break anything
        s, old, _ = self.start("ppb")
        h.set_new_password(s, old)
        rc, seen = s.until_result(answers=[h.strong_password()] * 2)
        self.assertNeverSuccess(rc, s)


if __name__ == "__main__":
    h.main()
