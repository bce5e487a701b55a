#!/usr/bin/python3
"""Registration at sign-in (issue 4, item 1): the REAL pam_sspr.so in the
account stage after a password login, the real sspr-helper (mode=register),
real users, TOTP codes from oathtool, email through the loopback SMTP server
(tests/delivery/smtp_sink.py).

Stack (register_util.REG_STACK):
    account required pam_unix.so
    account [success=ok perm_denied=die default=ignore] pam_sspr.so
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402
import register_util as r  # noqa: E402


class RegisterBase(h.SandboxTest):

    config = None   # None: reg_config() (register_at_login = offer by default)

    def setUp(self):
        super().setUp()
        r.setup_register(self.config)
        h.helper_cmd("show-config")

    def conf(self, text):
        """Write sspr.conf and make sure the helper accepts it (a config the
        helper refuses would make registration skip silently)."""
        h.write_config(text)
        h.helper_cmd("show-config")

    def new_user(self, name, groups=()):
        pw = h.strong_password()
        h.add_user(name, pw, groups=groups)
        return pw

    def begin_offer(self, s, ways=1):
        """From the login's account stage through "Set it up now?" -> y.

        The first thing sent must be the prompt itself, with the explanation
        inside it: nothing before it (a conversation that cannot prompt must
        see nothing at all)."""
        msgs = s.step_to("ECHO_ON", r.offer_prompt(ways))
        self.assertEqual(msgs, [], s.format_transcript())
        s.answer("y")

    def pick(self, s, menu, number):
        msgs = s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        self.assertEqual(msgs, [("INFO", menu)], s.format_transcript())
        s.answer(str(number))

    def finish_ok(self, s, registered):
        """After the last answer of a method: its "registered" line, the
        closing line, and the login passes."""
        rc, msgs = s.acct_result()
        self.assertEqual(rc, "PAM_SUCCESS", s.format_transcript())
        self.assertEqual(msgs[:2], [("INFO", registered), ("INFO", r.SET_UP)],
                         s.format_transcript())
        # Checked as a subtest so that the rest of the test still runs.
        with self.subTest("nothing after the closing line"):
            self.assertEqual(msgs[2:], [], "extra messages after %r" % r.SET_UP)


class TotpAtSignIn(RegisterBase):

    def test_totp_confirmed_by_oathtool_then_reset(self):
        pw = self.new_user("rgt1")
        self.assertIsNone(r.read_record("rgt1"))
        s = r.Login("rgt1", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), 1)
        secret, code, msgs = r.register_totp(s)
        step = int(time.time()) // 30
        self.assertRegex(secret, r"^[A-Z2-7]{32,}$", "TOTP secret under 160 bits")
        self.finish_ok(s, r.TOTP_OK)

        rec = r.read_record("rgt1")
        self.assertIsNotNone(rec, "no record written")
        self.assertEqual(rec["totp"]["secret"].rstrip("="), secret)
        self.assertIn(rec["totp"]["last_step"], (step - 1, step), "confirming step not spent")
        self.assertLessEqual(abs(rec["registered"] - time.time()), 60)
        st = os.lstat(r.record_path("rgt1"))
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))

        # The confirming code is spent: it cannot start a reset in its step.
        s2 = h.start_reset("rgt1")
        s2.answer(code)
        s2.expect("ERROR", h.BAD_CODE)
        s2.expect("ECHO_OFF", h.CODE_PROMPT)
        # The next step's code (what the app shows next) does.
        s2.answer(h.totp_at_step(secret, rec["totp"]["last_step"] + 1))
        new = h.strong_password()
        h.set_new_password(s2, new)
        s2.expect("INFO", h.DONE)
        self.assertEqual(s2.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("rgt1", new), "PAM_SUCCESS")
        # registered now: the next sign-in asks nothing
        r.login_no_prompts(self, "rgt1", new)

    def test_qr_code_encodes_the_otpauth_uri_of_the_key(self):
        pw = self.new_user("rgt2")
        s = r.Login("rgt2", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), 1)
        msgs = s.step_to("ECHO_OFF", r.TOTP_PROMPT)
        s.answer("!CONV_ERR")
        self.assertEqual(s.acct_result()[0], "PAM_SUCCESS")
        secret = r.key_from(msgs)
        drawn = r.qr_text(msgs)
        self.assertTrue(drawn, "no QR code lines between the intro and the key")
        for k, t in msgs:
            self.assertLessEqual(len(t.encode()), 512, "PAM message over 512 bytes")
        want = r.render_qr(r.otpauth_uri("rgt2", secret))
        if want is None:
            self.skipTest("libqrencode not loadable from Python")
        self.assertEqual(drawn, want, "the QR code is not the otpauth URI of the key shown")
        self.assertIsNone(r.read_record("rgt2"), "a record was written without confirmation")

    def test_totp_shows_otpauth_uri_as_text(self):
        # Issue 4 item 1: "secret shown as an otpauth:// URI and a QR code".
        pw = self.new_user("rgt3")
        s = r.Login("rgt3", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), 1)
        msgs = s.step_to("ECHO_OFF", r.TOTP_PROMPT)
        s.answer("!CONV_ERR")
        s.acct_result()
        secret = r.key_from(msgs)
        self.assertTrue(any("otpauth://totp/" in t and secret in t for k, t in msgs),
                        "no otpauth:// URI among the INFO lines:\n" + s.format_transcript())
        # the link shown is the URI of the key shown (what the QR code encodes)
        self.assertEqual(r.uri_from(msgs), r.otpauth_uri("rgt3", secret), s.format_transcript())
        self.assertIsNone(r.read_record("rgt3"), "a record was written without confirmation")

    def test_wrong_totp_code_then_right(self):
        pw = self.new_user("rgt4")
        s = r.Login("rgt4", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), 1)
        msgs = s.step_to("ECHO_OFF", r.TOTP_PROMPT)
        secret = r.key_from(msgs)
        s.answer(h.wrong_code(secret))
        s.expect("ERROR", r.TOTP_BAD)
        s.expect("ECHO_OFF", r.TOTP_PROMPT)
        self.assertIsNone(r.read_record("rgt4"))
        h.wait_step_margin(8)
        s.answer(h.totp_now(secret))
        self.finish_ok(s, r.TOTP_OK)
        self.assertIn("totp", r.read_record("rgt4"))


class ServiceScope(RegisterBase):

    def test_other_services_never_start_the_helper(self):
        # common-account is also used by cron, sudo and su: by default only
        # interactive login services register, decided in the module
        h.setup_system(r.reg_config(register_at_login="require"),
                       stack=r.REG_STACK_DEFAULT_SERVICES)
        pw = self.new_user("rgs1")
        r.login_no_prompts(self, "rgs1", pw)
        self.assertIsNone(r.read_record("rgs1"))


class EmailAtSignIn(RegisterBase):

    def setUp(self):
        super().setUp()
        self.smtp = r.SmtpSink()
        self.addCleanup(self.smtp.close)
        self.conf(r.reg_config(extra=r.email_section(self.smtp.port)))

    def test_disowning_methods_tells_the_old_address(self):
        # A password alone gets someone to the reconfirmation prompt: when
        # "no" removes the methods, the address registered before hears it.
        self.conf(r.reg_config(reconfirm_days=180, extra=r.email_section(self.smtp.port)))
        pw = self.new_user("rge9")
        addr = "jrge9@example.com"
        s = r.Login("rge9", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery", "email"), 3)
        s.expect("ECHO_ON", r.EMAIL_PROMPT)
        s.answer(addr)
        s.step_to("ECHO_OFF", r.CONFIRM_PROMPT)
        env, mail = self.smtp.wait_mail()
        s.answer(r.code_in_mail(mail))
        self.finish_ok(s, r.EMAIL_OK)
        r.age_registration("rge9", 365)
        s = r.Login("rge9", pw)
        s.step_to("ECHO_ON", r.reconfirm_prompt("email"))
        s.answer("n")
        s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        s.answer("")
        s.until_result()
        env, mail = self.smtp.wait_mail()
        self.assertIn("rcpt <%s>" % addr, env)
        self.assertIn("password-reset methods", mail["Subject"])
        self.assertIn("were removed", r.mail_text(mail))
        self.assertNotIn("email", r.read_record("rge9") or {})

    def test_email_confirmed_through_smtp(self):
        pw = self.new_user("rge1")
        addr = "jrge1@example.com"
        s = r.Login("rge1", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery", "email"), 3)
        s.expect("ECHO_ON", r.EMAIL_PROMPT)
        s.answer("not an address")
        s.expect("ERROR", "That does not look like an email address.")
        s.expect("ECHO_ON", r.EMAIL_PROMPT)
        s.answer(addr)
        msgs = s.step_to("ECHO_OFF", r.CONFIRM_PROMPT)
        self.assertEqual(msgs, [("INFO", "A confirmation code has been sent to j***@example.com.")])
        env, mail = self.smtp.wait_mail()
        self.assertIn("rcpt <%s>" % addr, env)
        self.assertIn("Confirm your email address", mail["Subject"])
        code = r.code_in_mail(mail)
        self.assertIn("rge1", r.mail_text(mail))
        # a wrong code first: refused, nothing stored
        s.answer("0" * 8 if code != "0" * 8 else "1" * 8)
        s.expect("ERROR", r.CONFIRM_BAD)
        s.expect("ECHO_OFF", r.CONFIRM_PROMPT)
        self.assertIsNone(r.read_record("rge1"))
        s.answer(code)
        self.finish_ok(s, r.EMAIL_OK)
        rec = r.read_record("rge1")
        self.assertEqual(rec["email"]["address"], addr)
        self.assertEqual(self.smtp.count(), 1, "more than one mail sent")
        r.login_no_prompts(self, "rge1", pw)

    def test_email_code_never_confirmed_stores_nothing(self):
        pw = self.new_user("rge2")
        s = r.Login("rge2", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery", "email"), 3)
        s.expect("ECHO_ON", r.EMAIL_PROMPT)
        s.answer("rge2@example.com")
        s.step_to("ECHO_OFF", r.CONFIRM_PROMPT)
        self.smtp.wait_mail()
        s.answer("!CONV_ERR")
        self.assertEqual(s.acct_result()[0], "PAM_SUCCESS")
        self.assertIsNone(r.read_record("rge2"))


class RecoveryAtSignIn(RegisterBase):

    def test_recovery_codes_registered_then_reset(self):
        pw = self.new_user("rgr1")
        s = r.Login("rgr1", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), 2)
        codes, msgs = r.register_recovery(s)
        self.assertIn(("INFO", r.RECOVERY_NOTE), msgs)
        self.assertGreaterEqual(len(codes), 5)
        self.assertEqual(len(set(codes)), len(codes))
        self.finish_ok(s, r.RECOVERY_OK)
        rec = r.read_record("rgr1")
        self.assertIn("recovery", rec)
        with open(r.record_path("rgr1")) as f:
            stored = f.read()
        for c in codes:
            self.assertNotIn(c, stored, "plain code stored")
        new = h.strong_password()
        h.full_reset("rgr1", codes[0], new)
        self.assertEqual(h.pam_auth("rgr1", new), "PAM_SUCCESS")
        # used once only
        s2 = h.start_reset("rgr1")
        s2.answer(codes[0])
        s2.expect("ERROR", h.BAD_CODE)
        s2.expect("ECHO_OFF", h.CODE_PROMPT)
        s2.answer("!CONV_ERR")
        self.assertNeverSuccess(s2.until_result()[0])

    def test_not_saved_is_not_registered(self):
        pw = self.new_user("rgr2")
        s = r.Login("rgr2", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), 2)
        s.step_to("ECHO_ON", r.SAVED_PROMPT)
        s.answer("no")
        s.expect("ECHO_ON", r.SAVED_PROMPT)
        s.answer("!CONV_ERR")
        self.assertEqual(s.acct_result()[0], "PAM_SUCCESS")
        self.assertIsNone(r.read_record("rgr2"))


class RegisterPolicy(RegisterBase):

    def test_require_blocks_until_registered(self):
        self.conf(r.reg_config("require"))
        pw = self.new_user("rgq1")
        # 1: stops at the menu -> refused
        s = r.Login("rgq1", pw)
        msgs = s.step_to("ECHO_ON", r.require_prompt(1))
        self.assertEqual(msgs, [], s.format_transcript())
        s.answer("n")         # any answer goes on: declining is not an option
        msgs = s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        self.assertEqual(msgs, [("INFO", r.menu("totp", "recovery"))], s.format_transcript())
        s.answer("")
        rc, msgs = s.acct_result()
        self.assertEqual(msgs, [("ERROR", r.MUST_FINISH)], s.format_transcript())
        self.assertEqual(rc, "PAM_PERM_DENIED", s.format_transcript())
        self.assertIsNone(r.read_record("rgq1"))
        # 2: a wrong TOTP code three times, then stop -> still refused
        s = r.Login("rgq1", pw)
        self.assertEqual(s.step_to("ECHO_ON", r.require_prompt(1)), [], s.format_transcript())
        s.answer("")
        s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        s.answer("1")
        msgs = s.step_to("ECHO_OFF", r.TOTP_PROMPT)
        bad = h.wrong_code(r.key_from(msgs))
        for i in range(3):
            if i:
                s.expect("ECHO_OFF", r.TOTP_PROMPT)
            s.answer(bad)
            s.expect("ERROR", r.TOTP_BAD)
        s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        s.answer("")
        rc, msgs = s.acct_result()
        self.assertEqual(rc, "PAM_PERM_DENIED", s.format_transcript())
        self.assertIsNone(r.read_record("rgq1"))
        # 3: registers -> the login goes through
        s = r.Login("rgq1", pw)
        self.assertEqual(s.step_to("ECHO_ON", r.require_prompt(1)), [], s.format_transcript())
        s.answer("")
        s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        s.answer("2")
        r.register_recovery(s)
        self.finish_ok(s, r.RECOVERY_OK)
        # 4: nothing more to ask
        r.login_no_prompts(self, "rgq1", pw)

    def test_offer_decline_lets_login_through(self):
        pw = self.new_user("rgo1")
        s = r.Login("rgo1", pw)
        msgs = s.step_to("ECHO_ON", r.offer_prompt(1))
        self.assertEqual(msgs, [], s.format_transcript())
        s.answer("n")
        rc, msgs = s.acct_result()
        self.assertEqual(rc, "PAM_SUCCESS", s.format_transcript())
        self.assertEqual(msgs, [], s.format_transcript())
        self.assertIsNone(r.read_record("rgo1"))
        # asked again next time; stopping at the menu is fine too
        s = r.Login("rgo1", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), "")
        rc, msgs = s.acct_result()
        self.assertEqual(msgs, [("INFO", r.NOT_YET)], s.format_transcript())
        self.assertEqual(rc, "PAM_SUCCESS")
        self.assertIsNone(r.read_record("rgo1"))

    def _nonprompting(self, mode, user):
        self.conf(r.reg_config(mode))
        pw = self.new_user(user)
        s = r.Login(user, pw)
        msgs, last = s.read_step()
        self.assertIn(last[0], h.PROMPTS, s.format_transcript())
        s.answer("!CONV_ERR")
        rc, after = s.acct_result()
        self.assertEqual(rc, "PAM_SUCCESS", s.format_transcript())
        errors = [m for m in msgs + after if m[0] == "ERROR"]
        self.assertEqual(errors, [], s.format_transcript())
        # the first thing sent is the prompt: a conversation that cannot
        # prompt sees nothing at all, before or after it
        self.assertEqual(msgs + after, [], s.format_transcript())
        self.assertIsNone(r.read_record(user), "a record was written")
        return s

    def test_nonprompting_conversation_skips_offer(self):
        self._nonprompting("offer", "rgn1")

    def test_nonprompting_conversation_skips_require(self):
        self._nonprompting("require", "rgn2")

    def test_silent_flag_skips(self):
        self.conf(r.reg_config("require"))
        pw = self.new_user("rgn3")
        s = h.Session("rgn3", op="auth,acct", extra=["--silent"])
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer(pw)
        s.expect("RESULT", "PAM_SUCCESS 0")
        s.expect("RESULT", "PAM_SUCCESS 0")
        s.close()

    def test_already_registered_no_prompts(self):
        self.conf(r.reg_config("require"))
        pw = self.new_user("rga1")
        h.enroll_totp("rga1")
        r.login_no_prompts(self, "rga1", pw)
        pw2 = self.new_user("rga2")
        h.enroll_recovery("rga2")
        r.login_no_prompts(self, "rga2", pw2)

    def test_register_off_no_prompts(self):
        self.conf(r.reg_config("off"))
        pw = self.new_user("rgf1")
        r.login_no_prompts(self, "rgf1", pw)
        self.assertIsNone(r.read_record("rgf1"))
        self.conf(r.reg_config("off", policy_extra="admin_gates = 2\n"))
        pw = self.new_user("rgf2", groups=("sudo",))
        r.login_no_prompts(self, "rgf2", pw)

    def test_not_enabled_user_not_asked(self):
        self.conf(r.reg_config("require", policy_extra="enabled = group:sspr-users\n"))
        pw = self.new_user("rgx1")
        r.login_no_prompts(self, "rgx1", pw)


class AdminAtSignIn(RegisterBase):

    def test_admin_registers_two_methods(self):
        pw = self.new_user("rgadm1", groups=("sudo",))
        s = r.Login("rgadm1", pw)
        self.begin_offer(s, ways=2)
        self.pick(s, r.menu("totp", "recovery"), 1)
        secret, code, _ = r.register_totp(s)
        # after the first method, the menu still comes (offer: the user may
        # stop), even with only one method left
        msgs = s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        self.assertEqual(msgs, [("INFO", r.TOTP_OK), ("INFO", r.menu("recovery"))],
                         s.format_transcript())
        s.answer("1")
        codes, _ = r.register_recovery(s)
        self.finish_ok(s, r.RECOVERY_OK)
        rec = r.read_record("rgadm1")
        self.assertIn("totp", rec)
        self.assertIn("recovery", rec)
        r.login_no_prompts(self, "rgadm1", pw)
        # and the admin's two-gate reset works with them
        s = h.start_reset("rgadm1")
        s.answer(h.totp_at_step(secret, rec["totp"]["last_step"] + 1))
        s.expect("ECHO_OFF", h.CODE_PROMPT2)
        s.answer(codes[0])
        new = h.strong_password()
        h.set_new_password(s, new)
        s.expect("INFO", h.DONE)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("rgadm1", new), "PAM_SUCCESS")

    def test_admin_with_one_method_is_asked_for_the_second(self):
        pw = self.new_user("rgadm2", groups=("sudo",))
        h.enroll_totp("rgadm2")
        s = r.Login("rgadm2", pw)
        self.begin_offer(s, ways=1)
        # offer: the menu is shown even with one method left, so one may stop
        self.pick(s, r.menu("recovery"), 1)
        r.register_recovery(s)
        self.finish_ok(s, r.RECOVERY_OK)
        r.login_no_prompts(self, "rgadm2", pw)

    def test_admin_stopping_after_one_is_refused_under_require(self):
        self.conf(r.reg_config("require"))
        pw = self.new_user("rgadm3", groups=("sudo",))
        s = r.Login("rgadm3", pw)
        msgs = s.step_to("ECHO_ON", r.require_prompt(2))
        self.assertEqual(msgs, [], s.format_transcript())
        s.answer("")
        self.pick(s, r.menu("totp", "recovery"), 2)
        r.register_recovery(s)
        # require: the only method left starts at once (no menu, no stopping)
        msgs = s.step_to("ECHO_OFF", r.TOTP_PROMPT)
        self.assertEqual(msgs[0], ("INFO", r.RECOVERY_OK), s.format_transcript())
        s.answer("!CONV_ERR")
        rc, after = s.acct_result()
        # A conversation that breaks after answers is not "cannot prompt":
        # under require an aborted registration is not a way in.
        self.assertEqual(rc, "PAM_PERM_DENIED", s.format_transcript())
        self.assertEqual(after, [], s.format_transcript())
        rec = r.read_record("rgadm3")
        self.assertIn("recovery", rec)
        self.assertNotIn("totp", rec)
        # next sign-in: asked for the one still missing, refused until done
        s = r.Login("rgadm3", pw)
        self.assertEqual(s.step_to("ECHO_ON", r.require_prompt(1)), [], s.format_transcript())
        s.answer("")
        s.step_to("ECHO_OFF", r.TOTP_PROMPT)
        s.answer("!CONV_ERR")
        self.assertEqual(s.acct_result()[0], "PAM_PERM_DENIED", s.format_transcript())


    def test_admin_with_only_email_and_sms_is_asked_for_a_code_method(self):
        # An admin's gates may not all be email/SMS (sspr.conf admin_methods;
        # flow_gates.c drops the second delivery channel for admins), so an
        # admin with only those two cannot reset and must be asked to register
        # an authenticator app or recovery codes.
        self.conf(r.reg_config(extra=r.email_section(9) +
                                    "[sms]\nurl = http://127.0.0.1:9/sms\n"))
        pw = self.new_user("rgadm4", groups=("sudo",))
        h.helper_cmd("enroll", "rgadm4", "--email", "rgadm4@example.com")
        h.helper_cmd("enroll", "rgadm4", "--phone", "+15551234567")
        rec = r.read_record("rgadm4")
        self.assertEqual((rec["email"]["address"], rec["phone"]["number"]),
                         ("rgadm4@example.com", "+15551234567"))
        s = r.Login("rgadm4", pw)
        msgs, last = s.read_step()
        if last[0] in h.PROMPTS and last[1] != r.offer_prompt(1):
            s.answer("!CONV_ERR")
            s.acct_result()
        self.assertEqual((msgs, last), ([], ("ECHO_ON", r.offer_prompt(1))),
                         "an admin with only email+SMS was not asked to register:\n"
                         + s.format_transcript())
        # what is offered is a code method (email and SMS are already there)
        s.answer("y")
        msgs = s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        self.assertEqual(msgs, [("INFO", r.menu("totp", "recovery"))], s.format_transcript())
        s.answer("")
        rc, msgs = s.acct_result()
        self.assertEqual(msgs, [("INFO", r.NOT_YET)], s.format_transcript())
        self.assertEqual(rc, "PAM_SUCCESS", s.format_transcript())


class Audit(RegisterBase):

    def test_successful_registration_logs_no_failure(self):
        log = h.Syslog()
        try:
            pw = self.new_user("rgl1")
            s = r.Login("rgl1", pw)
            self.begin_offer(s)
            self.pick(s, r.menu("totp", "recovery"), 2)
            codes, _ = r.register_recovery(s)
            self.finish_ok(s, r.RECOVERY_OK)   # no false ERROR after success either
            text = log.text()
        finally:
            log.close()
        self.assertIn("rgl1", text)
        for c in codes:
            self.assertNotIn(c, text, "a recovery code reached syslog")
        bad = [l for l in text.splitlines() if "fail" in l.lower()]
        self.assertEqual(bad, [], "a successful registration logged a failure")


class Reconfirm(RegisterBase):

    def _registered_with_recovery(self, user):
        pw = self.new_user(user)
        s = r.Login(user, pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), 2)
        codes, _ = r.register_recovery(s)
        self.finish_ok(s, r.RECOVERY_OK)
        return pw, codes

    def test_reconfirm_after_reconfirm_days(self):
        self.conf(r.reg_config(reconfirm_days=180))
        pw, _ = self._registered_with_recovery("rgc1")
        # younger than reconfirm_days: nothing asked
        r.age_registration("rgc1", 100)
        r.login_no_prompts(self, "rgc1", pw)
        before = r.read_record("rgc1")
        old_stamp = r.age_registration("rgc1", 200)
        s = r.Login("rgc1", pw)
        msgs = s.step_to("ECHO_ON", r.reconfirm_prompt("recovery"))
        self.assertEqual(msgs, [], s.format_transcript())
        s.answer("")          # Enter: yes
        rc, msgs = s.acct_result()
        self.assertEqual(rc, "PAM_SUCCESS", s.format_transcript())
        with self.subTest("nothing said after confirming"):
            self.assertEqual(msgs, [], s.format_transcript())
        after = r.read_record("rgc1")
        self.assertGreater(after["registered"], old_stamp)
        self.assertLessEqual(abs(after["registered"] - time.time()), 60)
        before.pop("registered"), after.pop("registered")
        self.assertEqual(before, after, "reconfirming changed more than the stamp")
        st = os.lstat(r.record_path("rgc1"))
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))
        r.login_no_prompts(self, "rgc1", pw)

    def test_reconfirm_off_with_zero_days(self):
        self.conf(r.reg_config(reconfirm_days=0))
        pw, _ = self._registered_with_recovery("rgc2")
        r.age_registration("rgc2", 5000)
        r.login_no_prompts(self, "rgc2", pw)

    def test_reconfirm_no_replaces_the_old_method(self):
        # "Are these still yours and working?" -> no: the disowned methods
        # are removed at once, then the user registers something else; the
        # method they said is no longer theirs must not reset the password
        # any more.
        self.conf(r.reg_config(reconfirm_days=180))
        pw = self.new_user("rgc3")
        s = r.Login("rgc3", pw)
        self.begin_offer(s)
        self.pick(s, r.menu("totp", "recovery"), 1)
        secret, _, _ = r.register_totp(s)
        self.finish_ok(s, r.TOTP_OK)
        r.age_registration("rgc3", 365)
        s = r.Login("rgc3", pw)
        msgs = s.step_to("ECHO_ON", r.reconfirm_prompt("totp"))
        self.assertEqual(msgs, [], s.format_transcript())
        s.answer("n")
        msgs = s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        self.assertEqual(msgs, [("INFO", r.DISOWNED), ("INFO", r.menu("totp", "recovery"))],
                         s.format_transcript())
        # removed already, before anything new is registered
        self.assertNotIn("totp", r.read_record("rgc3") or {}, "disowned method still stored")
        s.answer("2")
        r.register_recovery(s)
        self.finish_ok(s, r.RECOVERY_OK)
        shadow = h.shadow_entry("rgc3")
        last = r.read_record("rgc3").get("totp", {}).get("last_step", 0)
        code = h.totp_at_step(secret, max(last + 1, int(time.time()) // 30))
        s = h.start_reset("rgc3")
        s.answer(code)
        k, t = s.read()
        if k in h.PROMPTS:
            s.answer("!CONV_ERR")
        s.until_result(answers=["!CONV_ERR"])
        self.assertEqual(h.shadow_entry("rgc3"), shadow)
        self.assertEqual((k, t), ("ERROR", h.BAD_CODE),
                         "the authenticator the user disowned still passes the reset gate:\n"
                         + s.format_transcript())

    def test_reconfirm_no_then_stop_removes_the_old_method(self):
        # "no" removes the disowned methods at once, whatever comes next:
        # stopping at the menu must not leave the old recovery codes working.
        self.conf(r.reg_config(reconfirm_days=180))
        pw, codes = self._registered_with_recovery("rgc4")
        r.age_registration("rgc4", 365)
        s = r.Login("rgc4", pw)
        self.assertEqual(s.step_to("ECHO_ON", r.reconfirm_prompt("recovery")), [],
                         s.format_transcript())
        s.answer("no")
        msgs = s.step_to("ECHO_ON", r.NUMBER_PROMPT)
        self.assertEqual(msgs, [("INFO", r.DISOWNED), ("INFO", r.menu("totp", "recovery"))],
                         s.format_transcript())
        s.answer("")
        rc, msgs = s.acct_result()
        self.assertEqual(rc, "PAM_SUCCESS", s.format_transcript())
        self.assertEqual(msgs, [("INFO", r.NOT_YET)], s.format_transcript())
        rec = r.read_record("rgc4") or {}
        self.assertNotIn("recovery", rec, "disowned recovery codes still stored")
        shadow = h.shadow_entry("rgc4")
        s = h.start_reset("rgc4")
        s.answer(codes[0])
        k, t = s.read()
        if k in h.PROMPTS:
            s.answer("!CONV_ERR")
        if k != "RESULT":
            s.until_result(answers=["!CONV_ERR"] * 4)
        self.assertNeverSuccess(s.result_name, s)
        self.assertEqual(h.shadow_entry("rgc4"), shadow)
        self.assertEqual((k, t), ("ERROR", h.BAD_CODE),
                         "a disowned recovery code still passes the reset gate:\n"
                         + s.format_transcript())
        # nothing registered: asked again at the next sign-in (offer)
        s = r.Login("rgc4", pw)
        self.assertEqual(s.step_to("ECHO_ON", r.offer_prompt(1)), [], s.format_transcript())
        s.answer("n")
        self.assertEqual(s.acct_result()[0], "PAM_SUCCESS", s.format_transcript())


if __name__ == "__main__":
    h.main()
