#!/usr/bin/python3
"""Reset notices and the audit trail (issue 3, docs/security.md 12, 17, 18):
after every reset a mail to the registered address (and to notify_admins
when an admin resets) with host, time, service, source and what to do, never
a code or a password; a failed notice never undoes the reset. One
LOG_AUTHPRIV line per event, with flow id, user, uid, service, rhost, tty;
no secrets; untrusted strings escaped."""
import os
import pwd
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

MENU = h.menu_text(h.OPT_CODE, h.OPT_EMAIL)
LOG_AUTHPRIV = 10
KIOSK_STACK = """\
auth [ignore=ignore default=die] pam_sspr.so kiosk_user=reset {args}
auth [success=2 default=ignore] pam_unix.so nullok
auth [success=1 default=ignore] pam_sspr.so {args}
auth requisite pam_deny.so
auth required pam_permit.so
account required pam_unix.so
"""


class NotifyAudit(h.SandboxTest):

    def setUp(self):
        super().setUp()
        self.sink = h.start_smtp_sink()
        self.log = None
        self.conf()

    def tearDown(self):
        if self.log:
            self.log.close()
        super().tearDown()

    def conf(self, url=None, **sections):
        sections.setdefault("email", h.email_section(url or self.sink.url,
                                                     admin_contact="helpdesk@example.com"))
        sections.setdefault("throttle", {}).setdefault("max_failures", 10)
        sections["throttle"].setdefault("max_failures_per_method", 10)
        sections["throttle"].setdefault("max_sends_per_hour", 20)
        h.write_config(h.make_config(**sections))

    def capture(self):
        self.log = h.Syslog2()
        return self.log

    def user(self, name, groups=(), email=True, recovery=False):
        old = h.strong_password()
        h.add_user(name, old, groups=groups)
        secret = h.enroll_totp(name)
        codes = h.enroll_recovery(name) if recovery else None
        if email:
            h.enroll_email(name, name + "@example.com")
        return old, secret, codes

    def totp_reset(self, name, secret, new, **kw):
        s = h.start_menu(name, MENU, **kw)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        code = h.fresh_totp(secret)
        s.answer(code)
        h.finish_reset(s, new)
        return code

    def assert_no_secrets(self, text, secrets, where):
        for sec in secrets:
            if sec:
                self.assertNotIn(sec, text, "a secret (%r) in %s" % (sec[:3] + "...", where))

    # -- notices ---------------------------------------------------------------------
    def test_notice_after_totp_reset(self):
        old, secret, _ = self.user("na1")
        n = len(self.sink.mails())
        new = h.strong_password()
        code = self.totp_reset("na1", secret, new, rhost="198.51.100.7")
        mails = self.sink.mails()[n:]
        self.assertEqual([m.rcpts for m in mails], [["na1@example.com"]],
                         "exactly one notice, to the registered address")
        m = mails[0]
        body = m.body
        self.assertIn(h.MAIL_FROM, m.from_)
        self.assertIn("sspr-sandbox", body, "host missing")
        self.assertIn("sspr-test", body, "service missing")
        self.assertIn("198.51.100.7", body, "source address missing")
        self.assertRegex(body, r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", "time missing")
        self.assertIn("not you", body.lower(), "no word on what to do if it was not them")
        self.assertIn("helpdesk@example.com", body, "admin_contact missing")
        self.assert_no_secrets(m.text(), [old, new, code, secret], "the notice")
        self.assertEqual(h.pam_auth("na1", new), "PAM_SUCCESS")

    def test_notice_after_email_reset_has_no_code(self):
        old, _, _ = self.user("na2")
        n = len(self.sink.mails())
        s = h.start_menu("na2", MENU)
        s.answer("2")
        s.expect("INFO", h.email_sent())
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        code = self.sink.wait_mails(n + 1)[-1].code(8)
        s.answer(code)
        new = h.strong_password()
        h.finish_reset(s, new)
        mails = self.sink.mails()[n:]
        self.assertEqual(len(mails), 2, "a code mail and a notice")
        notice = mails[1]
        self.assertEqual(notice.rcpts, ["na2@example.com"])
        self.assertNotEqual(notice.subject, mails[0].subject)
        self.assert_no_secrets(notice.text(), [old, new, code], "the notice")

    def test_no_notice_without_address(self):
        _, secret, _ = self.user("na3", email=False)
        n = len(self.sink.mails())
        self.totp_reset("na3", secret, h.strong_password())
        self.assertEqual(self.sink.mails()[n:], [])

    def test_admin_reset_notifies_admins(self):
        self.conf(policy={"notify_admins": "sec1@example.com sec2@example.com"})
        old, secret, codes = self.user("na4", groups=("sudo",), recovery=True)
        n = len(self.sink.mails())
        s = h.start_menu("na4", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        totp = h.fresh_totp(secret)
        s.answer(totp)
        s.expect("INFO", MENU)
        s.expect("ECHO_ON", h.CHOICE)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(codes[0])
        new = h.strong_password()
        h.finish_reset(s, new)
        mails = self.sink.mails()[n:]
        rcpts = sorted(r for m in mails for r in m.rcpts)
        self.assertEqual(rcpts, ["na4@example.com", "sec1@example.com", "sec2@example.com"])
        for m in mails:
            self.assertIn("na4", m.body)
            self.assert_no_secrets(m.text(), [old, new, totp, codes[0], secret], "a notice")
        # a regular user's reset does not go to the admins
        _, usecret, _ = self.user("na4u")
        n = len(self.sink.mails())
        self.totp_reset("na4u", usecret, h.strong_password())
        self.assertEqual([m.rcpts for m in self.sink.mails()[n:]], [["na4u@example.com"]])

    def test_smtp_down_at_notice_reset_still_succeeds(self):
        _, secret, _ = self.user("na5")
        log = self.capture()
        s = h.start_menu("na5", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        s.expect("ECHO_OFF", h.NEW_PW)
        self.sink.stop()  # the server goes away before the notice
        new = h.strong_password()
        s.answer(new)
        s.expect("ECHO_OFF", h.RETYPE_PW)
        s.answer(new)
        s.expect("INFO", h.DONE)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("na5", new), "PAM_SUCCESS", "a failed notice undid the reset")
        recs = h.audit_records(log.text())
        self.assertTrue([r for r in recs if r["event"] == "notify-fail" and r["user"] == "na5"],
                        "the failed notice was not logged:\n" + log.text())
        self.assertTrue([r for r in recs if r["event"] == "writeback" and r["user"] == "na5"])

    # -- audit -----------------------------------------------------------------------
    def test_audit_events_of_an_email_reset(self):
        old, secret, codes = self.user("na6", recovery=True)
        uid = pwd.getpwnam("na6").pw_uid
        log = self.capture()
        n = len(self.sink.mails())
        s = h.start_menu("na6", MENU, tty="pts/7", rhost="192.0.2.44")
        s.answer("2")
        s.expect("INFO", h.email_sent())
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        code = self.sink.wait_mails(n + 1)[-1].code(8)
        wrong = "12345678" if code != "12345678" else "87654321"
        s.answer(wrong)
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.answer(code)
        new = h.strong_password()
        h.finish_reset(s, new)
        text = log.text()
        recs = [r for r in h.audit_records(text) if r.get("user") == "na6"]
        self.assertTrue(recs, "no audit lines for na6:\n" + text)
        flows = {r["flow"] for r in recs}
        self.assertEqual(len(flows), 1, "one flow id per reset: %r" % flows)
        self.assertRegex(flows.pop(), r"^[0-9a-f]{16}$")
        events = [r["event"] for r in recs]
        expected = ["request", "code-sent", "gate-fail", "gate-pass", "writeback", "notify",
                    "outcome"]
        self.assertEqual([e for e in events if e in expected], expected, text)
        for r in recs:
            self.assertRegex(r["_raw"], r"^event=[a-z-]+ flow=[0-9a-f]{16} user=\S+ uid=-?\d+ "
                                        r"service=\S+ rhost=\S+ tty=\S+( |$)")
            self.assertEqual(r["_pri"] >> 3, LOG_AUTHPRIV, "not LOG_AUTHPRIV: " + r["_raw"])
            self.assertEqual(r["uid"], str(uid), r["_raw"])
            self.assertEqual(r["service"], "sspr-test", r["_raw"])
            self.assertEqual(r["rhost"], "192.0.2.44", r["_raw"])
            self.assertEqual(r["tty"], "pts/7", r["_raw"])
        by = {r["event"]: r for r in recs}
        self.assertEqual(by["code-sent"].get("method"), "email")
        self.assertEqual(by["gate-fail"].get("method"), "email")
        self.assertEqual(by["gate-pass"].get("method"), "email")
        self.assertIn("reset-done", by["outcome"]["_raw"])
        self.assert_no_secrets(text, [old, new, code, wrong, secret, codes[0],
                                      "na6@example.com"], "syslog")

    def test_audit_totp_recovery_and_lockout_no_secrets(self):
        self.conf(throttle={"max_failures": 2, "max_failures_per_method": 10})
        old, secret, codes = self.user("na7", recovery=True)
        log = self.capture()
        totp = h.fresh_totp(secret)
        new = h.strong_password()
        s = h.start_menu("na7", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(codes[1])
        h.finish_reset(s, new)
        wrong = h.wrong_code(secret)
        s = h.start_menu("na7", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(wrong)
        rc, seen = s.until_result(answers=[wrong, totp])
        self.assertNeverSuccess(rc, s)
        self.assertIn(("ERROR", h.LOCKED), seen, s.format_transcript())
        text = log.text()
        recs = [r for r in h.audit_records(text) if r.get("user") == "na7"]
        events = [r["event"] for r in recs]
        self.assertIn("lockout", events, text)
        self.assertIn(("gate-pass", "recovery"),
                      [(r["event"], r.get("method")) for r in recs])
        self.assertEqual(len([e for e in events if e == "request"]), 2)
        self.assertEqual(len([e for e in events if e == "outcome"]), 2)
        self.assert_no_secrets(text, [old, new, totp, wrong, codes[1], codes[1].replace("-", ""),
                                      secret], "syslog")

    def test_audit_send_fail(self):
        self.sink.stop()
        self.conf(url="smtp://127.0.0.1:%d" % h.free_port())
        self.user("na8")
        log = self.capture()
        s = h.start_menu("na8", MENU)
        s.answer("2")
        s.expect("ERROR", h.EMAIL_DOWN)
        s.expect("INFO")
        s.expect("ECHO_ON", h.CHOICE)
        s.answer("!CONV_ERR")
        s.until_result()
        recs = [r for r in h.audit_records(log.text()) if r.get("user") == "na8"]
        self.assertIn(("send-fail", "email"), [(r["event"], r.get("method")) for r in recs],
                      log.text())

    def test_unknown_name_never_logged_as_typed(self):
        typed = "Pw-" + h.strong_password()  # a password typed into the user field
        log = self.capture()
        s = h.start_menu(typed, MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer("000000")
        s.until_result(answers=["!CONV_ERR"])
        text = log.text()
        recs = h.audit_records(text)
        self.assertTrue([r for r in recs if r["event"] == "request"], text)
        self.assertNotIn(typed, text)
        self.assertNotIn(typed[3:], text)
        for r in recs:
            self.assertEqual((r["user"], r["uid"]), ("-", "-1"), r["_raw"])

    OURS = re.compile(rb"^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d "
                      rb"(sspr-helper\[\d+\]: |[\w.-]+(\[\d+\])?: pam_sspr\()")

    def assert_one_line_each(self, log, forged):
        """Our own messages (the helper's, and pam_sspr's inside the
        application) are one line each and carry no forged key=value.
        Other modules (pam_unix logs rhost and tty as they are) are not ours
        to judge."""
        time_text = log.text()  # settle
        with log._lock:
            grams = [g for g in log.datagrams if self.OURS.match(g)]
        self.assertTrue(grams, "nothing of ours reached syslog:\n" + time_text)
        for g in grams:
            body = g.rstrip(b"\n\0")
            self.assertNotIn(b"\n", body, "a raw newline inside a syslog message: %r" % g)
            self.assertNotIn(b"\r", body, "a raw CR inside a syslog message: %r" % g)
            self.assertNotIn(forged.encode(), body, "a forged key=value unescaped: %r" % g)
        text = b"\n".join(grams).decode("utf-8", "replace")
        for r in h.audit_records(text):
            self.assertNotEqual(r["event"], "forged")
        return text

    def test_untrusted_rhost_and_tty_escaped(self):
        _, secret, _ = self.user("na9")
        log = self.capture()
        evil = "203.0.113.5\nsspr-helper[1]: event=forged user=root"
        s = h.start_menu("na9", MENU, rhost=evil, tty="pts/1\r event=forged")
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer("000000")
        s.until_result(answers=["!CONV_ERR"])
        text = self.assert_one_line_each(log, "event=forged")
        self.assertIn("user=na9", text)

    def test_kiosk_name_with_newline_escaped(self):
        h.setup_system(stack=KIOSK_STACK, config_text=h.make_config(
            email=h.email_section(self.sink.url), throttle={"max_failures": 10}))
        h.add_user("na10", h.strong_password())
        log = self.capture()
        name = "na10\nsspr-helper[1]: event=forged user=root uid=0"
        s = h.Session("reset")
        s.expect("ECHO_ON", "Account to reset: ")
        s.answer("!HEX " + name.encode().hex())
        rc, _ = s.until_result(answers=["1", "000000", "!CONV_ERR", "!CONV_ERR"])
        self.assertNeverSuccess(rc, s)
        text = self.assert_one_line_each(log, "event=forged")
        self.assertNotIn("na10\n", log.text())
        recs = h.audit_records(text)
        print("  kiosk transcript: %r" % s.received()[:4])
        self.assertTrue([r for r in recs if r["event"] == "request"],
                        "the typed name never reached the helper:\n" + text)


if __name__ == "__main__":
    h.main()
