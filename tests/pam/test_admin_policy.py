#!/usr/bin/python3
"""Admin policy and per-service enablement (issue 3, docs/security.md 13): members
of admin_groups need admin_gates = 2 gates of different methods from
admin_methods, never two delivery channels and never questions; a user
finishes with one; a PAM service not in [policy] services is refused before
any code prompt."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

MENU = h.menu_text(h.OPT_CODE, h.OPT_EMAIL)
MENU_ALL = h.menu_text(h.OPT_CODE, h.OPT_EMAIL, h.OPT_SMS)
MENU_Q = h.menu_text(h.OPT_CODE, h.OPT_EMAIL, h.OPT_QUESTIONS)
PHONE = "+4915112345670"


class AdminPolicy(h.SandboxTest):

    def setUp(self):
        super().setUp()
        self.sink = h.start_smtp_sink()
        self.conf()

    def conf(self, **sections):
        sections.setdefault("email", h.email_section(self.sink.url))
        sections.setdefault("throttle", {}).setdefault("max_failures", 10)
        sections["throttle"].setdefault("max_failures_per_method", 10)
        sections["throttle"].setdefault("max_sends_per_hour", 20)
        h.write_config(h.make_config(**sections))

    def email_code(self, n, addr):
        mails = [m for m in self.sink.wait_mails(n + 1)[n:] if addr in m.rcpts]
        self.assertTrue(mails, "no code mail to %s" % addr)
        return mails[-1].code(8)

    def admin(self, name, group="sudo", email=True, recovery=False):
        h.add_user(name, h.strong_password(), groups=(group,))
        secret = h.enroll_totp(name)
        codes = h.enroll_recovery(name) if recovery else None
        if email:
            h.enroll_email(name, name + "@example.com")
        return secret, codes

    # -- users: one gate ----------------------------------------------------------
    def test_user_finishes_with_one_gate_menu(self):
        h.add_user("ap1", h.strong_password())
        secret = h.enroll_totp("ap1")
        s = h.start_menu("ap1", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_user_finishes_with_email_alone(self):
        h.add_user("ap2", h.strong_password())
        h.enroll_email("ap2", "ap2@example.com")
        n = len(self.sink.mails())
        s = h.start_menu("ap2", MENU)
        s.answer("2")
        s.expect("INFO", h.email_sent())
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.answer(self.email_code(n, "ap2@example.com"))
        h.finish_reset(s, h.strong_password())

    # -- admins: two gates ----------------------------------------------------------
    def test_admin_cannot_finish_with_one_gate_no_menu(self):
        h.write_config(h.FAST_CONFIG)
        secret, _ = self.admin("ap3", email=False)
        shadow = h.shadow_entry("ap3")
        s = h.start_reset("ap3")
        s.answer(h.fresh_totp(secret))
        s.expect("ECHO_OFF", h.CODE_PROMPT2)
        self.assertNeverSuccess(h.end_session(s), s)
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), s.received())
        self.assertEqual(h.shadow_entry("ap3"), shadow)

    def test_admin_cannot_finish_with_one_gate_menu(self):
        secret, _ = self.admin("ap4", group="wheel", email=False)
        shadow = h.shadow_entry("ap4")
        s = h.start_menu("ap4", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        # gate 1 passed: the menu again, never the new password
        s.expect("INFO", MENU)
        s.expect("ECHO_ON", h.CHOICE)
        self.assertNeverSuccess(h.end_session(s), s)
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), s.received())
        self.assertEqual(h.shadow_entry("ap4"), shadow)

    def test_admin_email_then_only_option_one(self):
        secret, codes = self.admin("ap5", group="admin", recovery=True)
        n = len(self.sink.mails())
        s = h.start_menu("ap5", MENU)
        s.answer("2")
        s.expect("INFO", h.email_sent())
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.answer(self.email_code(n, "ap5@example.com"))
        # email is a recovery channel, not a second factor: the second menu
        # offers only the authenticator app or a recovery code
        s.expect("INFO", h.menu_text(h.OPT_CODE))
        s.expect("ECHO_ON", h.CHOICE)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        new = h.strong_password()
        h.finish_reset(s, new)
        self.assertEqual(h.pam_auth("ap5", new), "PAM_SUCCESS")

    def test_admin_email_then_sms_not_offered(self):
        gw = h.start_sms_gateway()
        self.conf(sms=h.sms_section(gw.url("/ok")))
        secret, _ = self.admin("ap6")
        h.enroll_phone("ap6", PHONE)
        shadow = h.shadow_entry("ap6")
        n = len(self.sink.mails())
        s = h.start_menu("ap6", MENU_ALL)
        s.answer("2")
        s.expect("INFO", h.email_sent())
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.answer(self.email_code(n, "ap6@example.com"))
        s.expect("INFO", h.menu_text(h.OPT_CODE))
        s.expect("ECHO_ON", h.CHOICE)
        s.answer("2")  # would be SMS in the first menu: not offered now
        s.expect("ERROR", h.BAD_CHOICE)
        s.expect("ECHO_ON", h.CHOICE)
        self.assertNeverSuccess(h.end_session(s), s)
        self.assertEqual(gw.requests(), [], "an SMS was sent for an admin's second gate")
        self.assertEqual(h.shadow_entry("ap6"), shadow)

    def test_admin_totp_then_email(self):
        secret, _ = self.admin("ap7")
        s = h.start_menu("ap7", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        s.expect("INFO", MENU)
        s.expect("ECHO_ON", h.CHOICE)
        n = len(self.sink.mails())
        s.answer("2")
        s.expect("INFO", h.email_sent())
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.answer(self.email_code(n, "ap7@example.com"))
        h.finish_reset(s, h.strong_password())

    def test_admin_totp_then_recovery_through_option_one(self):
        secret, codes = self.admin("ap8", email=False, recovery=True)
        s = h.start_menu("ap8", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        s.expect("INFO", MENU)
        s.expect("ECHO_ON", h.CHOICE)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(codes[0])
        h.finish_reset(s, h.strong_password())

    def test_admin_same_method_twice_refused_menu(self):
        secret, _ = self.admin("ap9", email=False)
        shadow = h.shadow_entry("ap9")
        s = h.start_menu("ap9", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        s.expect("INFO", MENU)
        s.expect("ECHO_ON", h.CHOICE)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))  # TOTP again: not a different method
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        self.assertNeverSuccess(h.end_session(s), s)
        self.assertEqual(h.shadow_entry("ap9"), shadow)

    def test_admin_methods_restrict_second_gate(self):
        # admin_methods without recovery: a recovery code is no gate for an admin
        h.write_config(h.FAST_CONFIG + "[policy]\nadmin_methods = totp email\n")
        secret, codes = self.admin("ap10", email=False, recovery=True)
        shadow = h.shadow_entry("ap10")
        s = h.start_reset("ap10")
        s.answer(h.fresh_totp(secret))
        s.expect("ECHO_OFF", h.CODE_PROMPT2)
        s.answer(codes[0])
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT2)
        self.assertNeverSuccess(h.end_session(s), s)
        self.assertEqual(h.shadow_entry("ap10"), shadow)
        # admin_methods does not touch regular users: a recovery code works
        h.add_user("ap10u", h.strong_password())
        ucodes = h.enroll_recovery("ap10u")
        s = h.start_reset("ap10u")
        s.answer(ucodes[0])
        h.finish_reset(s, h.strong_password())

    def test_admin_gates_one_lets_admin_finish_with_one(self):
        h.write_config(h.FAST_CONFIG + "[policy]\nadmin_gates = 1\n")
        secret, _ = self.admin("ap11", email=False)
        s = h.start_reset("ap11")
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_user_gates_two(self):
        h.write_config(h.FAST_CONFIG + "[policy]\nuser_gates = 2\n")
        h.add_user("ap12", h.strong_password())
        secret = h.enroll_totp("ap12")
        codes = h.enroll_recovery("ap12")
        s = h.start_reset("ap12")
        s.answer(h.fresh_totp(secret))
        s.expect("ECHO_OFF", h.CODE_PROMPT2)
        s.answer(codes[0])
        h.finish_reset(s, h.strong_password())

    def test_admin_may_never_use_questions(self):
        bank = h.question_bank()
        self.conf(policy={"questions_enabled": "yes", "questions_required": len(bank),
                          "questions_asked": 2,
                          "user_methods": "totp recovery email sms questions"})
        # the admin registered every question of the bank: whatever is
        # asked, the right answer is known
        secret, _ = self.admin("ap13", email=False)
        answers = h.enroll_questions("ap13", {n: "admin answer %d" % n for n, _ in bank})
        # the reference: a regular user typing wrong answers
        h.add_user("ap13u", h.strong_password())
        h.enroll_totp("ap13u")
        h.enroll_questions("ap13u", {n: "user answer %d" % n for n, _ in bank})
        shadow = h.shadow_entry("ap13")

        def after_questions(user, right):
            s = h.start_menu(user, MENU_Q)
            s.answer("3")
            asked = []
            while True:
                k, t = s.read()
                if k != "ECHO_OFF" or not t.endswith(": ") or t[:-2] not in answers:
                    break
                asked.append(t[:-2])
                s.answer(answers[t[:-2]] if right else "wrong answer")
            rest = [(k, t)]
            while k not in h.PROMPTS and k != "RESULT":
                k, t = s.read()
                rest.append((k, t))
            if k != "RESULT":
                s.answer("!CONV_ERR")
                s.until_result()
            return asked, rest, s

        asked_u, ref, su = after_questions("ap13u", right=False)
        self.assertEqual(len(asked_u), 2, su.format_transcript())
        asked_a, got, sa = after_questions("ap13", right=True)
        self.assertEqual(len(asked_a), 2, sa.format_transcript())
        self.assertEqual(got, ref, "an admin's right answers must fail like wrong ones")
        self.assertNeverSuccess(sa.result_name, sa)
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), sa.received())
        self.assertEqual(h.shadow_entry("ap13"), shadow)

    # -- per-service enablement ------------------------------------------------------
    def test_service_not_enabled_refused_before_any_prompt(self):
        h.write_config(h.FAST_CONFIG + "[policy]\nservices = login\n")
        h.add_user("ap14", h.strong_password())
        secret = h.enroll_totp("ap14")
        shadow = h.shadow_entry("ap14")
        s = h.Session("ap14")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("")
        s.expect("ECHO_ON", h.OFFER)
        s.answer("y")
        s.expect("ERROR", h.NOT_HERE)
        rc, seen = s.until_result(answers=[h.fresh_totp(secret)])
        self.assertEqual(seen, [("RESULT", s.result_name + " %d" % s.result_code)],
                         "more after the refusal:\n" + s.format_transcript())
        self.assertNeverSuccess(rc, s)
        self.assertEqual(h.shadow_entry("ap14"), shadow)
        # the same for an unknown name
        s2 = h.Session("ap-nobody-14")
        s2.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s2.answer("")
        s2.expect("ECHO_ON", h.OFFER)
        s2.answer("y")
        s2.until_result()
        self.assertEqual(s2.received(), s.received())

    def test_service_enabled_where_listed(self):
        h.write_config(h.FAST_CONFIG + "[policy]\nservices = login sspr-test\n")
        h.add_user("ap15", h.strong_password())
        secret = h.enroll_totp("ap15")
        s = h.start_reset("ap15")
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_login_service_only(self):
        # the console (login) offers resets, our test service does not
        h.setup_system(config_text=h.FAST_CONFIG + "[policy]\nservices = login\n",
                       service="login")
        h.add_user("ap16", h.strong_password())
        secret = h.enroll_totp("ap16")
        new = h.strong_password()
        s = h.start_reset("ap16", service="login", tty="tty1", rhost=None)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, new)
        self.assertEqual(h.pam_auth("ap16", new, service="login"), "PAM_SUCCESS")


if __name__ == "__main__":
    h.main()
