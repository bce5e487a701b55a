#!/usr/bin/python3
"""The email gate through the real module and helper (issue 3): a real SMTP
server on loopback (tests/delivery/smtp_sink.py, aiosmtpd) receives the
code, the test reads it from the mail and finishes the reset. The method
menu, wrong codes, codes bound to one flow and used once, masked hints,
code length and lifetime, an SMTP server that is down or refuses the
recipient (docs/security.md 8, 9, 14, 15)."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

MENU = h.menu_text(h.OPT_CODE, h.OPT_EMAIL)


class EmailGate(h.SandboxTest):

    def setUp(self):
        super().setUp()
        self.sink = h.start_smtp_sink()
        self.conf(email=h.email_section(self.sink.url))

    def conf(self, **sections):
        sections.setdefault("throttle", {}).setdefault("max_failures", 10)
        sections["throttle"].setdefault("max_failures_per_method", 10)
        sections["throttle"].setdefault("max_sends_per_hour", 20)
        h.write_config(h.make_config(**sections))

    def user(self, name, addr, totp=False):
        h.add_user(name, h.strong_password())
        h.enroll_email(name, addr)
        return h.enroll_totp(name) if totp else None

    def choose_email(self, user, minutes=10, info=None):
        s = h.start_menu(user, MENU)
        s.answer("2")
        s.expect("INFO", info or h.email_sent(minutes))
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        return s

    # -- the round trip -------------------------------------------------------
    def test_email_code_reset_round_trip(self):
        addr = "em1@example.com"
        old = h.strong_password()
        h.add_user("em1", old)
        h.enroll_email("em1", addr)
        shadow = h.shadow_entry("em1")
        before = len(self.sink.mails())
        s = self.choose_email("em1")
        mail = self.sink.wait_mails(before + 1)[-1]
        self.assertEqual(mail.rcpts, [addr], "code mail to the wrong recipient")
        self.assertIn(addr, mail.to)
        self.assertEqual(mail.mail_from, h.MAIL_FROM, "envelope sender is not [email] from")
        self.assertIn(h.MAIL_FROM, mail.from_, "From: header is not [email] from")
        code = mail.code(8)
        self.assertIn("sspr-sandbox", mail.text(), "host name missing from the code mail")
        self.assertIn("10 minutes", mail.body)
        self.assertEqual(h.shadow_entry("em1"), shadow, "asking for a code changed the account")
        s.answer(code)
        new = h.strong_password()
        h.finish_reset(s, new)
        self.assertEqual(s.received()[:7], [
            ("ECHO_OFF", h.PASSWORD_PROMPT), ("ECHO_ON", h.OFFER), ("INFO", h.INTRO_MENU),
            ("INFO", MENU), ("ECHO_ON", h.CHOICE), ("INFO", h.email_sent(10)),
            ("ECHO_OFF", h.EMAIL_PROMPT)])
        self.assertEqual(h.pam_auth("em1", new), "PAM_SUCCESS")
        self.assertEqual(h.pam_auth("em1", old), "PAM_AUTH_ERR")

    def test_wrong_then_right_code(self):
        self.user("em2", "em2@example.com")
        n = len(self.sink.mails())
        s = self.choose_email("em2")
        code = self.sink.wait_mails(n + 1)[-1].code(8)
        wrong = "12345678" if code != "12345678" else "87654321"
        s.answer(wrong)
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.answer(code)
        h.finish_reset(s, h.strong_password())

    def test_three_wrong_codes_end_the_flow(self):
        self.user("em3", "em3@example.com")
        shadow = h.shadow_entry("em3")
        n = len(self.sink.mails())
        s = self.choose_email("em3")
        code = self.sink.wait_mails(n + 1)[-1].code(8)
        wrong = "12345678" if code != "12345678" else "87654321"
        for i in range(3):
            s.answer(wrong)
            if i < 2:
                s.expect("ERROR", h.BAD_CODE)
                s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.expect("ERROR", h.closing(h.BAD_CODE))
        rc = s.result()
        self.assertEqual(rc, "PAM_AUTH_ERR", s.format_transcript())
        self.assertEqual(h.shadow_entry("em3"), shadow)

    def test_code_only_in_the_flow_that_sent_it(self):
        self.user("em4", "em4@example.com")
        n = len(self.sink.mails())
        a = self.choose_email("em4")
        code_a = self.sink.wait_mails(n + 1)[-1].code(8)
        b = self.choose_email("em4")
        code_b = self.sink.wait_mails(n + 2)[-1].code(8)
        if code_a == code_b:
            self.skipTest("two random codes collided")
        b.answer(code_a)  # flow A's code, typed in flow B
        b.expect("ERROR", h.BAD_CODE)
        b.expect("ECHO_OFF", h.EMAIL_PROMPT)
        b.answer(code_b)
        h.finish_reset(b, h.strong_password())
        self.assertNeverSuccess(h.end_session(a), a)

    def test_code_works_once(self):
        self.user("em5", "em5@example.com")
        n = len(self.sink.mails())
        s = self.choose_email("em5")
        code = self.sink.wait_mails(n + 1)[-1].code(8)
        s.answer(code)
        h.finish_reset(s, h.strong_password())
        shadow = h.shadow_entry("em5")
        n = len(self.sink.mails())
        s2 = self.choose_email("em5")
        code2 = [m for m in self.sink.wait_mails(n + 1)[n:] if "em5@example.com" in m.rcpts]
        self.assertTrue(code2, "no second code mail")
        if code2[-1].code(8) == code:
            self.skipTest("two random codes collided")
        s2.answer(code)  # the code that already reset the password
        s2.expect("ERROR", h.BAD_CODE)
        s2.expect("ECHO_OFF", h.EMAIL_PROMPT)
        self.assertNeverSuccess(h.end_session(s2), s2)
        self.assertEqual(h.shadow_entry("em5"), shadow)

    # -- the menu ---------------------------------------------------------------
    def test_empty_choice_is_option_one(self):
        secret = self.user("em6", "em6@example.com", totp=True)
        n = len(self.sink.mails())
        s = h.start_menu("em6", MENU)
        s.answer("")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())
        # option 1 sends nothing; only the reset notice may arrive
        for m in self.sink.mails()[n:]:
            self.assertNotRegex(m.body, r"(?<![0-9])[0-9]{8}(?![0-9])",
                                "a code mail was sent although option 1 was chosen")

    def test_bad_choices(self):
        secret = self.user("em7", "em7@example.com", totp=True)
        s = h.start_menu("em7", MENU)
        for bad in ("9", "x"):
            s.answer(bad)
            s.expect("ERROR", h.BAD_CHOICE)
            s.expect("ECHO_ON", h.CHOICE)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_three_bad_choices_end_the_flow(self):
        self.user("em8", "em8@example.com", totp=True)
        shadow = h.shadow_entry("em8")
        s = h.start_menu("em8", MENU)
        for i, bad in enumerate(("0", "3", "12")):
            s.answer(bad)
            if i < 2:
                s.expect("ERROR", h.BAD_CHOICE)
                s.expect("ECHO_ON", h.CHOICE)
        s.expect("ERROR", h.closing(h.BAD_CHOICE))
        rc, seen = s.until_result()
        self.assertEqual(rc, "PAM_AUTH_ERR", s.format_transcript())
        self.assertFalse([x for x in seen if x[0] in h.PROMPTS], s.format_transcript())
        self.assertEqual(h.shadow_entry("em8"), shadow)

    def test_menu_same_for_every_account(self):
        # the menu depends on the configuration only: a user without any
        # email address, an unknown name and root see it as well
        h.add_user("em9", h.strong_password())
        h.enroll_totp("em9")
        for who in ("em9", "em-nobody", "root"):
            s = h.start_menu(who, MENU)
            self.assertNeverSuccess(h.end_session(s), s)

    def test_no_menu_without_email_sms_or_questions(self):
        h.write_config(h.FAST_CONFIG)
        h.add_user("em10", h.strong_password())
        secret = h.enroll_totp("em10")
        h.enroll_email("em10", "em10@example.com")
        s = h.start_reset("em10")  # INTRO, then straight to the code prompt
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    # -- hints, digits, lifetime -------------------------------------------------
    def test_masked_hint_only_with_show_hints(self):
        self.conf(email=h.email_section(self.sink.url), policy={"show_hints": "yes"})
        self.user("em11", "jane@example.com")
        n = len(self.sink.mails())
        s = self.choose_email("em11", info=h.hint_sent("j***@example.com", 10))
        s.answer(self.sink.wait_mails(n + 1)[-1].code(8))
        h.finish_reset(s, h.strong_password())
        # an unknown name still gets the generic line
        s = self.choose_email("em-nobody-11")
        self.assertNeverSuccess(h.end_session(s), s)
        # and without show_hints the registered user gets it too
        self.conf(email=h.email_section(self.sink.url))
        s = self.choose_email("em11")
        self.assertNeverSuccess(h.end_session(s), s)

    def test_code_digits_and_lifetime_from_config(self):
        self.conf(email=h.email_section(self.sink.url, code_digits=10, code_lifetime=1200))
        self.user("em12", "em12@example.com")
        n = len(self.sink.mails())
        s = self.choose_email("em12", minutes=20)
        mail = self.sink.wait_mails(n + 1)[-1]
        self.assertIn("20 minutes", mail.body)
        s.answer(mail.code(10))
        h.finish_reset(s, h.strong_password())

    # -- the server is down or refuses -----------------------------------------
    def test_smtp_down_clear_message_and_menu_again(self):
        self.sink.stop()
        self.conf(email=h.email_section("smtp://127.0.0.1:%d" % h.free_port()))
        secret = self.user("em13", "em13@example.com", totp=True)
        h.add_user("em13b", h.strong_password())
        h.enroll_totp("em13b")
        shadow = h.shadow_entry("em13")
        got = {}
        for who in ("em13", "em-nobody-13", "em13b"):
            s = h.start_menu(who, MENU)
            s.answer("2")
            got[who] = h.until_prompt(s)
            self.assertNeverSuccess(h.end_session(s), s)
        seen = got["em13"]
        self.assertEqual(seen[0], ("ERROR", h.EMAIL_DOWN), seen)
        self.assertEqual(seen[1][0], "INFO", seen)
        self.assertIn(seen[1][1], (MENU, h.menu_text(h.OPT_CODE)),
                      "after E301 the menu is shown again")
        self.assertEqual(seen[2], ("ECHO_ON", h.CHOICE))
        self.assertEqual(len(seen), 3, seen)
        self.assertEqual(got["em-nobody-13"], seen, "an unknown name reads differently")
        self.assertEqual(got["em13b"], seen, "a user without email reads differently")
        self.assertEqual(h.shadow_entry("em13"), shadow)
        # choosing another way after the message works
        s = h.start_menu("em13", MENU)
        s.answer("2")
        self.assertEqual(h.until_prompt(s), seen)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_smtp_refusing_recipient_reads_like_unknown_user(self):
        self.sink.stop()
        sink = h.start_smtp_sink("refuse-rcpt")
        self.conf(email=h.email_section(sink.url))
        self.user("em14", "em14@example.com")
        shadow = h.shadow_entry("em14")
        log = h.Syslog()
        try:
            got = {}
            for who in ("em14", "em-nobody-14"):
                s = h.start_menu(who, MENU)
                s.answer("2")
                rc, _ = s.until_result(answers=["12345678"] * 3)
                self.assertEqual(rc, "PAM_AUTH_ERR", s.format_transcript())
                got[who] = s.received()
            text = log.text()
        finally:
            log.close()
        self.assertIn(("INFO", h.email_sent(10)), got["em14"])
        self.assertEqual(got["em14"], got["em-nobody-14"])
        self.assertEqual(sink.mails(), [], "the refusing server stored a message")
        self.assertEqual(h.shadow_entry("em14"), shadow)
        recs = [r for r in h.audit_records(text) if r.get("event") == "send-fail"]
        self.assertTrue([r for r in recs if r.get("user") == "em14" and r.get("method") == "email"],
                        "the refused send was not logged:\n" + text)


if __name__ == "__main__":
    h.main()
