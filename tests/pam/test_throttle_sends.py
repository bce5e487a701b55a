#!/usr/bin/python3
"""Throttling with email and SMS codes (issue 3, docs/security.md 10, 15): the
send cap per account per hour (email and SMS together, unknown names too);
a new code never resets the failure count; wrong codes from parallel
sessions never get past max_failures; `sspr-helper unlock` clears a
lockout."""
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

MENU = h.menu_text(h.OPT_CODE, h.OPT_EMAIL, h.OPT_SMS)
PHONE = "+4915112345672"


class ThrottleSends(h.SandboxTest):

    def setUp(self):
        super().setUp()
        self.sink = h.start_smtp_sink()
        self.gw = h.start_sms_gateway()
        self.conf()

    def conf(self, **throttle):
        t = {"max_failures": 5, "max_sends_per_hour": 5}
        t.update(throttle)
        h.write_config(h.make_config(email=h.email_section(self.sink.url),
                                     sms=h.sms_section(self.gw.url("/ok")), throttle=t))

    def user(self, name):
        h.add_user(name, h.strong_password())
        secret = h.enroll_totp(name)
        h.enroll_email(name, name + "@example.com")
        h.enroll_phone(name, PHONE)
        return secret

    def ask_code(self, user, option):
        """Choose email (2) or SMS (3); returns the session at the code prompt."""
        s = h.start_menu(user, MENU)
        s.answer(option)
        s.expect("INFO", h.email_sent() if option == "2" else h.sms_sent())
        s.expect("ECHO_OFF", h.EMAIL_PROMPT if option == "2" else h.SMS_PROMPT)
        return s

    def abandon(self, s):
        s.answer("!CONV_ERR")
        rc, _ = s.until_result()
        self.assertNeverSuccess(rc, s)

    def capped(self, user, option):
        s = h.start_menu(user, MENU)
        s.answer(option)
        s.expect("ERROR", h.SEND_CAP_END)
        self.assertEqual(s.result(), "PAM_AUTH_ERR", s.format_transcript())
        return s

    # -- send cap ---------------------------------------------------------------------
    def test_send_cap_email(self):
        self.conf(max_sends_per_hour=2)
        self.user("ts1")
        n = len(self.sink.mails())
        for _ in range(2):
            self.abandon(self.ask_code("ts1", "2"))
        self.capped("ts1", "2")
        self.assertEqual(len(self.sink.mails_to("ts1@example.com")), 2,
                         "the cap did not hold: %d mails" % (len(self.sink.mails()) - n))

    def test_send_cap_counts_email_and_sms_together(self):
        self.conf(max_sends_per_hour=2)
        self.user("ts2")
        self.abandon(self.ask_code("ts2", "2"))
        self.abandon(self.ask_code("ts2", "3"))
        self.capped("ts2", "3")
        self.capped("ts2", "2")
        self.assertEqual(len(self.sink.mails_to("ts2@example.com")), 1)
        self.assertEqual(len(self.gw.requests()), 1)

    def test_send_cap_for_unknown_names_reads_the_same(self):
        self.conf(max_sends_per_hour=2)
        self.user("ts3")
        runs = {}
        for who in ("ts3", "ts-nobody-3"):
            seen = []
            for _ in range(2):
                s = self.ask_code(who, "2")
                self.abandon(s)
                seen.append(s.received())
            seen.append(self.capped(who, "2").received())
            runs[who] = seen
        self.assertEqual(runs["ts-nobody-3"], runs["ts3"])

    def test_send_cap_holds_after_unlock_and_leaves_totp(self):
        self.conf(max_sends_per_hour=1)
        secret = self.user("ts4")
        self.abandon(self.ask_code("ts4", "2"))
        self.capped("ts4", "2")
        h.unlock("ts4")  # clears failures, not the send cap
        self.capped("ts4", "3")
        # the app still works while sends are capped
        s = h.start_menu("ts4", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    # -- a new code does not reset the count ------------------------------------------------
    def test_new_codes_do_not_reset_failures(self):
        # 3 wrong email codes (over two codes) + 2 wrong app codes = 5 = lockout
        secret = self.user("ts5")
        wrong8 = "00000000"
        s = self.ask_code("ts5", "2")
        s.answer(wrong8)
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.answer(wrong8)
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        self.abandon(s)
        s = self.ask_code("ts5", "2")  # a new code
        s.answer(wrong8)
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        self.abandon(s)
        wrong = h.wrong_code(secret)
        s = h.start_menu("ts5", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(wrong)
        s.expect("ERROR", h.BAD_CODE)  # 4
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(wrong)
        s.expect("ERROR", h.LOCKED)    # 5
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        # locked: even the right app code, and a fresh email code, are refused
        s = h.start_menu("ts5", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        s.expect("ERROR", h.LOCKED)
        self.assertNeverSuccess(s.result(), s)
        s = h.start_menu("ts5", MENU)
        s.answer("2")
        rc, seen = s.until_result(answers=["00000000"] * 3)
        self.assertNeverSuccess(rc, s)
        self.assertIn(("ERROR", h.LOCKED), seen, s.format_transcript())
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen)
        # unlock works
        h.unlock("ts5")
        s = h.start_menu("ts5", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_three_wrong_email_then_two_wrong_totp_in_one_go(self):
        self.conf(max_failures_per_method=5)
        secret = self.user("ts6")
        s = self.ask_code("ts6", "2")
        s.answer("00000000")
        rc, _ = s.until_result(answers=["00000000"] * 2)
        self.assertEqual(s.received().count(("ERROR", h.BAD_CODE)), 2)
        self.assertEqual(s.received().count(("ERROR", h.closing(h.BAD_CODE))), 1)
        s = h.start_menu("ts6", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        wrong = h.wrong_code(secret)
        s.answer(wrong)
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(wrong)
        s.expect("ERROR", h.LOCKED)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertIn("lock", h.helper_cmd("show", "ts6").stdout.lower())

    # -- parallel sessions ------------------------------------------------------------------
    def parallel(self, user, option, wrong, n=6):
        """n sessions at the code prompt at once, each typing wrong codes
        until its flow ends. Returns (messages of all sessions, audit text)."""
        log = h.Syslog()
        try:
            if option == "1":
                sessions = []
                for _ in range(n):
                    s = h.start_menu(user, MENU)
                    s.answer("1")
                    s.expect("ECHO_OFF", h.CODE_PROMPT)
                    sessions.append(s)
            else:
                sessions = [self.ask_code(user, option) for _ in range(n)]
            barrier = threading.Barrier(n)
            seen = [None] * n
            errors = []

            def go(i):
                s = sessions[i]
                got = []
                try:
                    barrier.wait(30)
                    s.answer(wrong)
                    while True:
                        k, t = s.read()
                        got.append((k, t))
                        if k == "RESULT":
                            s.close()
                            break
                        if k in h.PROMPTS:
                            s.answer(wrong)
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)
                seen[i] = got

            threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            self.assertEqual(errors, [])
            text = log.text()
        finally:
            log.close()
        for s in sessions:
            self.assertNeverSuccess(s.result_name, s)
        return [m for got in seen for m in got], text

    def check_parallel(self, user, msgs, text, max_failures=5):
        bad = msgs.count(("ERROR", h.BAD_CODE))
        locked = msgs.count(("ERROR", h.LOCKED))
        print("  %s: %d x bad code, %d x locked" % (user, bad, locked))
        self.assertLessEqual(bad, max_failures - 1,
                             "%d wrong codes were judged before the lockout (max_failures=%d)"
                             % (bad, max_failures))
        self.assertGreaterEqual(locked, 1, "parallel failures never locked")
        counts = [int(x) for x in re.findall(r"event=gate-fail .*?failures=(\d+)", text)]
        self.assertEqual(len(counts), len(set(counts)),
                         "lost or repeated increments under concurrency: %r" % sorted(counts))

    def test_parallel_wrong_app_codes(self):
        self.conf(max_failures_per_method=20)
        secret = self.user("ts7")
        msgs, text = self.parallel("ts7", "1", h.wrong_code(secret))
        self.check_parallel("ts7", msgs, text)
        s = h.start_menu("ts7", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        s.expect("ERROR", h.LOCKED)
        self.assertNeverSuccess(s.result(), s)
        h.unlock("ts7")
        s = h.start_menu("ts7", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_per_method_limit_one_by_one(self):
        # max_failures_per_method = 3 (default), max_failures = 5: three
        # wrong app codes, then the app is refused but email still works
        secret = self.user("ts13")
        wrong = h.wrong_code(secret)
        s = h.start_menu("ts13", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(wrong)
        rc, seen = s.until_result(answers=[wrong, wrong])
        self.assertEqual(seen.count(("ERROR", h.BAD_CODE)), 2, s.format_transcript())
        self.assertEqual(seen.count(("ERROR", h.closing(h.BAD_CODE))), 1, s.format_transcript())
        s = h.start_menu("ts13", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        k, t = s.read()
        self.assertEqual(k, "ERROR", s.format_transcript())
        self.assertNotIn(t, (h.BAD_CODE,), "a 4th app code was judged")
        menu = s.expect("INFO")  # the menu again: choose another way
        s.expect("ECHO_ON", h.CHOICE)
        m = re.search(r"(\d)\) " + re.escape(h.OPT_EMAIL), menu)
        self.assertTrue(m, "no email option in %r" % menu)
        n = len(self.sink.mails())
        s.answer(m.group(1))
        s.expect("INFO", h.email_sent())
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        s.answer(self.sink.wait_mails(n + 1)[-1].code(8))
        h.finish_reset(s, h.strong_password())

    def test_parallel_wrong_app_codes_per_method_limit(self):
        # max_failures_per_method = 3 (the default): at most 3 wrong app
        # codes are judged "not valid" before the method is refused, also
        # when they arrive at once
        secret = self.user("ts12")
        msgs, text = self.parallel("ts12", "1", h.wrong_code(secret))
        bad = msgs.count(("ERROR", h.BAD_CODE))
        print("  ts12: %d x bad code; %r" % (bad, sorted(set(m for m in msgs if m[0] == "ERROR"))))
        # one by one, 3 are judged (the 3rd reaches the limit); never more
        self.assertLessEqual(bad, 3, "%d wrong app codes judged with a per-method limit of 3" % bad)
        counts = [int(x) for x in re.findall(r"event=gate-fail .*?failures=(\d+)", text)]
        self.assertEqual(len(counts), len(set(counts)), sorted(counts))

    def test_parallel_wrong_email_codes(self):
        self.conf(max_sends_per_hour=10, max_failures_per_method=20)
        self.user("ts8")
        msgs, text = self.parallel("ts8", "2", "00000000")
        self.check_parallel("ts8", msgs, text)

    def test_parallel_wrong_sms_codes(self):
        self.conf(max_sends_per_hour=10, max_failures_per_method=20)
        self.user("ts9")
        msgs, text = self.parallel("ts9", "3", "000000")
        self.check_parallel("ts9", msgs, text)

    def test_parallel_unknown_name(self):
        self.conf(max_sends_per_hour=10, max_failures_per_method=20)
        msgs, text = self.parallel("ts-nobody-10", "1", "000000")
        self.check_parallel("ts-nobody-10", msgs, text)

    def test_parallel_sends_respect_the_cap(self):
        self.conf(max_sends_per_hour=3)
        self.user("ts11")
        barrier = threading.Barrier(6)
        out = [None] * 6

        def go(i):
            s = h.start_menu("ts11", MENU)
            barrier.wait(30)
            s.answer("2")
            k, t = s.read()
            out[i] = (k, t)
            if k in h.PROMPTS or k == "INFO":
                while k not in h.PROMPTS and k != "RESULT":
                    k, t = s.read()
                if k in h.PROMPTS:
                    s.answer("!CONV_ERR")
            if k != "RESULT":
                s.until_result()
            else:
                s.close()

        threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        sent = len(self.sink.mails_to("ts11@example.com"))
        capped = out.count(("ERROR", h.SEND_CAP_END))
        print("  6 parallel sends, cap 3: %d mails, %d capped" % (sent, capped))
        self.assertLessEqual(sent, 3, "the send cap did not hold under concurrency")
        self.assertEqual(capped, 3, out)


if __name__ == "__main__":
    h.main()
