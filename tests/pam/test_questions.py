#!/usr/bin/python3
"""Security questions through the real module and helper (issue 3,
docs/security.md 13, 14): off by default; registered with `sspr-helper enroll
USER --questions` (stdin "N<TAB>answer"); questions_asked of the registered
ones asked at random; answers normalised; never the only gate; unknown names
are asked questions from the bank."""
import os
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

MENU = h.menu_text(h.OPT_CODE, h.OPT_QUESTIONS)
QCONF = {"questions_enabled": "yes", "questions_required": 3, "questions_asked": 2,
         "user_methods": "totp recovery email sms questions"}


class Questions(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h.setup_system()
        cls.bank = h.question_bank()
        cls.texts = {t for _, t in cls.bank}

    def setUp(self):
        super().setUp()
        self.conf()

    def conf(self, **policy):
        p = dict(QCONF)
        p.update(policy)
        h.write_config(h.make_config(policy=p, throttle={"max_failures": 20,
                                                         "max_failures_per_method": 20}))

    def register(self, user, picks=(1, 2, 3), totp=True, prefix="answer"):
        h.add_user(user, h.strong_password())
        secret = h.enroll_totp(user) if totp else None
        answers = h.enroll_questions(user, {n: "%s %s %d" % (prefix, user, n) for n in picks})
        return secret, answers

    def ask(self, s, answers=None, wrong=False, count=2):
        """Answer `count` question prompts; returns the questions asked."""
        asked = []
        for _ in range(count):
            t = s.expect("ECHO_OFF")
            self.assertTrue(t.endswith(": "), "question prompt %r" % t)
            q = t[:-2]
            asked.append(q)
            if wrong or answers is None:
                s.answer("certainly not the answer")
            else:
                self.assertIn(q, answers, "asked %r, which was not registered" % q)
                s.answer(answers[q])
        return asked

    # -- registration ------------------------------------------------------------
    def test_enroll_cli(self):
        self.assertGreaterEqual(len(self.bank), 3)
        self.assertEqual([n for n, _ in self.bank], list(range(1, len(self.bank) + 1)))
        _, answers = self.register("qu1")
        out = h.helper_cmd("show", "qu1").stdout
        self.assertIn("questions: 3 registered", out)
        for a in answers.values():
            self.assertNotIn(a, out)
        # too few answers, a number twice, a number not in the bank: refused
        h.add_user("qu1b", h.strong_password())
        for lines in ("1\tfirst answer\n", "1\tfirst answer\n1\tagain answer\n2\tsecond one\n",
                      "1\tfirst answer\n2\tsecond one\n%d\tthird one\n" % (len(self.bank) + 1)):
            p = h.helper_cmd("enroll", "qu1b", "--questions", input=lines, check=False)
            self.assertNotEqual(p.returncode, 0, "accepted %r" % lines)
        self.assertNotRegex(h.helper_cmd("show", "qu1b").stdout, r"questions: \d+ registered")

    # -- at the gate -------------------------------------------------------------
    def test_questions_then_another_gate(self):
        secret, answers = self.register("qu2")
        s = h.start_menu("qu2", MENU)
        s.answer("2")
        asked = self.ask(s, answers)
        self.assertEqual(len(set(asked)), 2, "the same question twice")
        # questions are never the only gate: the menu again, without them
        s.expect("INFO", h.menu_text(h.OPT_CODE))
        s.expect("ECHO_ON", h.CHOICE)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        new = h.strong_password()
        h.finish_reset(s, new)
        self.assertEqual(h.pam_auth("qu2", new), "PAM_SUCCESS")

    def test_questions_never_the_only_gate(self):
        _, answers = self.register("qu3", totp=False)
        shadow = h.shadow_entry("qu3")
        s = h.start_menu("qu3", MENU)
        s.answer("2")
        self.ask(s, answers)
        s.expect("INFO", h.menu_text(h.OPT_CODE))
        s.expect("ECHO_ON", h.CHOICE)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer("000000")
        rc, seen = s.until_result(answers=["000000"] * 2)
        self.assertNeverSuccess(rc, s)
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen)
        self.assertEqual(h.shadow_entry("qu3"), shadow)

    def test_totp_first_then_no_second_gate_for_a_user(self):
        # a user who passes the app gate is done: no questions asked
        secret, _ = self.register("qu4")
        s = h.start_menu("qu4", MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_wrong_answer_fails(self):
        _, answers = self.register("qu5")
        shadow = h.shadow_entry("qu5")
        s = h.start_menu("qu5", MENU)
        s.answer("2")
        s.expect("ECHO_OFF")
        s.answer("certainly not the answer")
        t = s.expect("ECHO_OFF")
        s.answer(answers.get(t[:-2], "x"))  # one wrong, one right
        rc, seen = s.until_result()
        self.assertNeverSuccess(rc, s)
        self.assertTrue([x for x in seen if x[0] == "ERROR"], s.format_transcript())
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen)
        self.assertEqual(h.shadow_entry("qu5"), shadow)

    def test_answers_normalised(self):
        h.add_user("qu6", h.strong_password())
        secret = h.enroll_totp("qu6")
        registered = {1: "Blue Moon Street", 2: "Caf\u00e9 Zo\u00eb", 3: "  mister   whiskers "}
        answers = h.enroll_questions("qu6", registered)
        typed = {}
        for text, a in answers.items():
            if a == "Blue Moon Street":
                typed[text] = "  blue   MOON street "
            elif a.startswith("Caf"):
                typed[text] = unicodedata.normalize("NFD", "caf\u00e9 zo\u00eb")
            else:
                typed[text] = "Mister Whiskers"
        for _ in range(2):  # two of three are asked: twice covers most
            s = h.start_menu("qu6", MENU)
            s.answer("2")
            self.ask(s, typed)
            s.expect("INFO", h.menu_text(h.OPT_CODE))
            s.expect("ECHO_ON", h.CHOICE)
            s.answer("1")
            s.expect("ECHO_OFF", h.CODE_PROMPT)
            s.answer(h.fresh_totp(secret))
            h.finish_reset(s, h.strong_password())

    def test_asked_at_random_among_registered(self):
        _, answers = self.register("qu7")
        firsts = set()
        for _ in range(10):
            s = h.start_menu("qu7", MENU)
            s.answer("2")
            t = s.expect("ECHO_OFF")
            self.assertIn(t[:-2], answers)
            firsts.add(t[:-2])
            self.assertNeverSuccess(h.end_session(s), s)
        self.assertGreater(len(firsts), 1, "always the same first question: %r" % firsts)

    def test_questions_asked_from_config(self):
        self.conf(questions_asked=3)
        _, answers = self.register("qu8")
        s = h.start_menu("qu8", MENU)
        s.answer("2")
        asked = self.ask(s, answers, count=3)
        self.assertEqual(set(asked), set(answers))
        s.expect("INFO", h.menu_text(h.OPT_CODE))
        s.expect("ECHO_ON", h.CHOICE)
        self.assertNeverSuccess(h.end_session(s), s)

    def test_unknown_user_asked_bank_questions_alike(self):
        _, answers = self.register("qu9")

        def run(user, wrong):
            s = h.start_menu(user, MENU)
            s.answer("2")
            asked = self.ask(s, answers if not wrong else None, wrong=wrong)
            for q in asked:
                self.assertIn(q, self.texts, "%r is not a bank question" % q)
            rc, _ = s.until_result()
            self.assertNeverSuccess(rc, s)
            # question texts differ by account; everything else must not
            return [(k, "<question>" if k == "ECHO_OFF" and t[:-2] in self.texts else t)
                    for k, t in s.received()], asked

        ref, _ = run("qu9", wrong=True)
        for who in ("qu-nobody-9", "root"):
            got, asked = run(who, wrong=True)
            self.assertEqual(got, ref, "%s reads differently" % who)

    def question_pool(self, user, runs):
        """All questions seen over `runs` flows (answered first, the second
        question refused: no failure is counted)."""
        seen = set()
        for _ in range(runs):
            s = h.start_menu(user, MENU)
            s.answer("2")
            t = s.expect("ECHO_OFF")
            seen.add(t[:-2])
            s.answer("certainly not the answer")
            t = s.expect("ECHO_OFF")
            seen.add(t[:-2])
            self.assertNeverSuccess(h.end_session(s), s)
        return seen

    def pool_like_registered(self, required, runs):
        # Over many flows a registered user shows exactly questions_required
        # different questions; an unknown name must not show fewer or more
        # (or asking repeatedly tells them apart).
        self.conf(questions_required=required)
        user = "qu13r%d" % required
        self.register(user, picks=range(1, required + 1))
        reg = self.question_pool(user, runs)
        unk = self.question_pool("qu-nobody-13r%d" % required, runs)
        print("  questions_required=%d: registered user showed %d, unknown name %d"
              % (required, len(reg), len(unk)))
        self.assertEqual(len(reg), required)
        self.assertTrue(unk <= self.texts)
        self.assertEqual(len(unk), len(reg),
                         "an unknown name shows %d different questions over %d tries, a "
                         "registered user %d" % (len(unk), runs, len(reg)))

    def test_unknown_name_question_pool_three(self):
        self.pool_like_registered(3, 12)

    def test_unknown_name_question_pool_five(self):
        self.pool_like_registered(5, 20)

    def test_off_by_default(self):
        h.write_config(h.FAST_CONFIG)
        secret, _ = self.register("qu10")
        s = h.start_reset("qu10")  # no menu at all
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_enabled_but_not_in_user_methods(self):
        self.conf(user_methods="totp recovery")
        secret, _ = self.register("qu11")
        s = h.start_reset("qu11")  # questions not offered: no menu
        s.answer(h.fresh_totp(secret))
        h.finish_reset(s, h.strong_password())

    def test_answers_never_logged(self):
        secret, answers = self.register("qu12", prefix="Zebra-Quokka")
        log = h.Syslog()
        try:
            s = h.start_menu("qu12", MENU)
            s.answer("2")
            self.ask(s, answers)
            s.expect("INFO", h.menu_text(h.OPT_CODE))
            s.expect("ECHO_ON", h.CHOICE)
            s.answer("1")
            s.expect("ECHO_OFF", h.CODE_PROMPT)
            s.answer(h.fresh_totp(secret))
            h.finish_reset(s, h.strong_password())
            text = log.text()
        finally:
            log.close()
        self.assertIn("event=gate-pass", text)
        self.assertNotIn("Zebra", text)
        self.assertNotIn("zebra", text)


if __name__ == "__main__":
    h.main()
