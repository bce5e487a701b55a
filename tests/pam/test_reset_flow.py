#!/usr/bin/python3
"""Successful resets end to end: TOTP, recovery code, admin with two gates;
the new password works, the old one does not; nothing secret is logged."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402


class ResetFlow(h.SandboxTest):

    def test_totp_reset_exact_transcript(self):
        old = h.strong_password("Old")
        new = h.strong_password("New")
        h.add_user("rf1", old)
        secret = h.enroll_totp("rf1")
        self.assertRegex(secret, r"^[A-Z2-7]{32,}$", "TOTP secret under 160 bits")
        shadow_before = h.shadow_entry("rf1")
        code = h.fresh_totp(secret)

        s = h.Session("rf1")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("")
        s.expect("ECHO_ON", h.OFFER)
        s.answer("y")
        s.expect("INFO", h.INTRO)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(code)
        s.expect("ECHO_OFF", h.NEW_PW)
        s.answer(new)
        s.expect("ECHO_OFF", h.RETYPE_PW)
        s.answer(new)
        s.expect("INFO", h.DONE)
        # never logged in by the reset itself
        self.assertEqual(s.result(), "PAM_AUTH_ERR")

        self.assertNotEqual(h.shadow_entry("rf1"), shadow_before)
        self.assertEqual(h.pam_auth("rf1", new), "PAM_SUCCESS")
        self.assertEqual(h.pam_auth("rf1", old), "PAM_AUTH_ERR")

    def test_reset_keeps_hash_scheme_and_aging_fields(self):
        h.add_user("rf2", h.strong_password())
        secret = h.enroll_totp("rf2")
        before = h.shadow_entry("rf2").split(":")
        h.full_reset("rf2", h.fresh_totp(secret), h.strong_password())
        after = h.shadow_entry("rf2").split(":")
        self.assertEqual(before[1][:3], after[1][:3], "hash scheme changed")
        self.assertNotEqual(before[1], after[1])
        # expiry fields untouched; never unlocked or emptied
        self.assertEqual(before[3:], after[3:])
        self.assertFalse(after[1].startswith("!"))

    def test_recovery_code_reset(self):
        h.add_user("rf3", h.strong_password())
        codes = h.enroll_recovery("rf3")
        self.assertGreaterEqual(len(codes), 5)
        self.assertEqual(len(set(codes)), len(codes), "duplicate recovery codes")
        for c in codes:
            # >= 64 bits: e.g. 13+ base32 chars or 16+ hex digits (separators ignored)
            self.assertGreaterEqual(len(re.sub(r"[^0-9A-Za-z]", "", c)), 13, c)
        new = h.strong_password()
        h.full_reset("rf3", codes[0], new)
        self.assertEqual(h.pam_auth("rf3", new), "PAM_SUCCESS")
        # a different code still works afterwards
        new2 = h.strong_password()
        h.full_reset("rf3", codes[1], new2)
        self.assertEqual(h.pam_auth("rf3", new2), "PAM_SUCCESS")

    def test_reenroll_recovery_invalidates_old_codes(self):
        h.add_user("rf4", h.strong_password())
        old_codes = h.enroll_recovery("rf4")
        new_codes = h.enroll_recovery("rf4")
        self.assertFalse(set(old_codes) & set(new_codes))
        s = h.start_reset("rf4")
        s.answer(old_codes[0])
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(new_codes[0])
        s.expect("ECHO_OFF", h.NEW_PW)
        s.answer("!CONV_ERR")
        self.assertNeverSuccess(s.result())

    def test_recovery_code_case_and_spacing(self):
        # A user copying a code may change case or add spaces; this only
        # records what the helper does, both outcomes are safe.
        h.add_user("rf5", h.strong_password())
        codes = h.enroll_recovery("rf5")
        s = h.start_reset("rf5")
        s.answer(" " + codes[0].lower() + " ")
        k, t = s.read()
        s.answer("!CONV_ERR")
        rc, _ = s.until_result()
        self.assertNeverSuccess(rc)
        print("  (lower-case, padded recovery code: %s)"
              % ("accepted" if (k, t) == ("ECHO_OFF", h.NEW_PW) else "refused"))

    def test_admin_needs_two_different_methods(self):
        h.add_user("rfadm", h.strong_password(), groups=("sudo",))
        secret = h.enroll_totp("rfadm")
        codes = h.enroll_recovery("rfadm")
        new = h.strong_password()
        s = h.start_reset("rfadm")
        s.answer(h.fresh_totp(secret))
        s.expect("ECHO_OFF", h.CODE_PROMPT2)
        s.answer(codes[0])
        h.set_new_password(s, new)
        s.expect("INFO", h.DONE)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("rfadm", new), "PAM_SUCCESS")

    def test_admin_same_method_twice_refused(self):
        h.add_user("rfadm2", h.strong_password(), groups=("sudo",))
        h.enroll_totp("rfadm2")
        codes = h.enroll_recovery("rfadm2")
        shadow = h.shadow_entry("rfadm2")
        s = h.start_reset("rfadm2")
        s.answer(codes[0])
        s.expect("ECHO_OFF", h.CODE_PROMPT2)
        s.answer(codes[1])  # a second recovery code is not a different method
        k, t = s.read()
        self.assertEqual((k, t), ("ERROR", h.BAD_CODE), s.format_transcript())
        s.expect("ECHO_OFF", h.CODE_PROMPT2)
        s.answer("!CONV_ERR")
        rc, _ = s.until_result()
        self.assertNeverSuccess(rc)
        self.assertEqual(h.shadow_entry("rfadm2"), shadow)

    def test_admin_with_one_method_cannot_reset(self):
        h.add_user("rfadm3", h.strong_password(), groups=("sudo",))
        secret = h.enroll_totp("rfadm3")
        shadow = h.shadow_entry("rfadm3")
        s = h.start_reset("rfadm3")
        s.answer(h.fresh_totp(secret))
        rc, seen = s.until_result(answers=[h.wrong_code(secret)] * 5)
        self.assertNeverSuccess(rc, s)
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen)
        self.assertEqual(h.shadow_entry("rfadm3"), shadow)

    def test_nothing_secret_in_syslog(self):
        log = h.Syslog()
        try:
            old = h.strong_password("Old")
            new = h.strong_password("New")
            h.add_user("rf6", old)
            secret = h.enroll_totp("rf6")
            code = h.fresh_totp(secret)
            h.full_reset("rf6", code, new)
            wrong = h.wrong_code(secret)
            s = h.start_reset("rf6")
            s.answer(wrong)
            s.expect("ERROR", h.BAD_CODE)
            s.expect("ECHO_OFF", h.CODE_PROMPT)
            s.answer("!CONV_ERR")
            s.until_result()
            text = log.text()
        finally:
            log.close()
        self.assertTrue(text, "nothing reached syslog (is /dev/log captured?)")
        for secret_text in (old, new, code, wrong, secret):
            self.assertNotIn(secret_text, text, "a secret reached syslog")
        # the audit trail is there, with the user and the service
        self.assertIn("rf6", text)
        self.assertIn("sspr-test", text)

    def test_reset_clears_throttle(self):
        h.write_config(h.FAST_CONFIG.replace("[throttle]\n", "[throttle]\nmax_failures = 3\n"))
        h.add_user("rf7", h.strong_password())
        secret = h.enroll_totp("rf7")
        s = h.start_reset("rf7")
        s.answer(h.wrong_code(secret))
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.wrong_code(secret))
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.set_new_password(s, h.strong_password())
        s.expect("INFO", h.DONE)
        s.result()
        # two failures before the reset no longer count: two more are fine
        s = h.start_reset("rf7")
        s.answer(h.wrong_code(secret))
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.wrong_code(secret))
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer("!CONV_ERR")
        self.assertNeverSuccess(s.until_result()[0])


if __name__ == "__main__":
    h.main()
