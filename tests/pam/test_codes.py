#!/usr/bin/python3
"""Verification codes: wrong codes, three tries per flow, TOTP replay and the
+-1 step window (docs/security.md 11), odd input, single-use recovery codes."""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

# many wrong codes per user in this file: keep the lockout out of the way
# Room for many wrong codes: these tests check parsing, not throttling.
ROOMY = "[throttle]\nfailure_delay = 0\nmax_failures = 20\nmax_failures_per_method = 20\n"


def end_after_race(s, first):
    """Abandon a raced session. first is what it said after its code: a
    prompt (already read) or a message (its next prompt is still coming).
    One !CONV_ERR is queued for the next prompt; only later prompts, if
    any, are answered again, so nothing is written after pamdrive ended."""
    s.answer("!CONV_ERR")
    pending = first[0] not in h.PROMPTS
    k = None
    while k != "RESULT":
        k, t = s.read()
        if k in h.PROMPTS:
            if pending:
                pending = False
            else:
                s.answer("!CONV_ERR")
    s.close()


class Codes(h.SandboxTest):

    def setUp(self):
        super().setUp()
        h.write_config(ROOMY)

    def try_code(self, user, code, strict=True):
        """One flow with one code: True when it reached "New password: ".

        The flow is then abandoned (conversation error), so nothing changes.
        strict: a refused code must give exactly ERROR "That code is not
        valid." (or the lockout message) and the code prompt again; an empty
        answer ends the reset without counting (issue 9 item 6).
        """
        s = h.start_reset(user)
        s.answer(code)
        k, t = s.read()
        if (k, t) == ("ECHO_OFF", h.NEW_PW):
            s.answer("!CONV_ERR")
            rc, _ = s.until_result()
            self.assertNeverSuccess(rc, s)
            return True
        if strict:
            self.assertIn((k, t), [("ERROR", h.BAD_CODE), ("ERROR", h.LOCKED),
                                   ("ERROR", h.METHOD_LOCKED), ("ERROR", h.CANCELLED)],
                          s.format_transcript())
        while k != "RESULT":
            if k in h.PROMPTS:
                self.assertNotEqual(t, h.NEW_PW, s.format_transcript())
                s.answer("!CONV_ERR")
            k, t = s.read()
        s.close()
        self.assertNeverSuccess(s.result_name, s)
        return False

    def test_three_wrong_codes_end_the_flow(self):
        h.add_user("cd1", h.strong_password())
        secret = h.enroll_totp("cd1")
        shadow = h.shadow_entry("cd1")
        wrong = h.wrong_code(secret)
        s = h.start_reset("cd1")
        for i in range(3):
            s.answer(wrong)
            if i < 2:
                s.expect("ERROR", h.BAD_CODE)
                s.expect("ECHO_OFF", h.CODE_PROMPT)
        # the last refusal and the last words in one message (issue 14)
        s.expect("ERROR", h.closing(h.BAD_CODE))
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.shadow_entry("cd1"), shadow)

    def test_wrong_then_right(self):
        h.add_user("cd2", h.strong_password())
        secret = h.enroll_totp("cd2")
        new = h.strong_password()
        s = h.start_reset("cd2")
        s.answer(h.wrong_code(secret))
        s.expect("ERROR", h.BAD_CODE)
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.set_new_password(s, new)
        s.expect("INFO", h.DONE)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("cd2", new), "PAM_SUCCESS")

    def test_totp_replay_in_a_second_flow(self):
        h.add_user("cd3", h.strong_password())
        secret = h.enroll_totp("cd3")
        code = h.fresh_totp(secret)
        h.full_reset("cd3", code, h.strong_password())
        shadow = h.shadow_entry("cd3")
        self.assertFalse(self.try_code("cd3", code), "a used TOTP code worked again")
        self.assertEqual(h.shadow_entry("cd3"), shadow)

    def test_code_consumed_by_abandoned_flow(self):
        # a code typed in a flow that was then abandoned at the password
        # prompt has been consumed too (docs/security.md 20: consume before commit)
        h.add_user("cd4", h.strong_password())
        secret = h.enroll_totp("cd4")
        code = h.fresh_totp(secret)
        self.assertTrue(self.try_code("cd4", code))
        self.assertFalse(self.try_code("cd4", code), "code worked twice")

    def test_earlier_step_after_later_one(self):
        h.add_user("cd5", h.strong_password())
        secret = h.enroll_totp("cd5")
        now = h.wait_step_margin(8)
        later, earlier = h.totp_at_step(secret, now + 1), h.totp_at_step(secret, now)
        self.assertTrue(self.try_code("cd5", later), "code for the next step (+1) refused")
        self.assertFalse(self.try_code("cd5", earlier),
                         "code for an earlier step accepted after a later one")

    def test_previous_step_accepted(self):
        h.add_user("cd6", h.strong_password())
        secret = h.enroll_totp("cd6")
        now = h.wait_step_margin(8)
        self.assertTrue(self.try_code("cd6", h.totp_at_step(secret, now - 1)),
                        "code for the previous step (-1) refused")

    def test_two_steps_off_refused(self):
        h.add_user("cd7", h.strong_password())
        secret = h.enroll_totp("cd7")
        now = h.wait_step_margin(8)
        for step in (now - 2, now + 2, now - 10, now + 10):
            code = h.totp_at_step(secret, step)
            if code in {h.totp_at_step(secret, now + k) for k in (-1, 0, 1)}:
                continue  # a collision with a valid code: nothing to learn
            self.assertFalse(self.try_code("cd7", code), "step %+d accepted" % (step - now))

    def test_malformed_codes(self):
        h.add_user("cd8", h.strong_password())
        secret = h.enroll_totp("cd8")
        h.wait_step_margin(10)
        good = h.totp_now(secret)
        bad = [
            "",                          # empty answer
            good[:5],                    # too short
            good + "0",                  # 7 digits
            "0" + good,                  # 7 digits, leading
            good[:3] + "x" + good[4:],   # non-digit
            "!HEX " + "".join("%02x" % b for b in
                              "".join(chr(0xFF10 + int(c)) for c in good).encode()),  # fullwidth digits
            "!HEX " + "".join("%02x" % b for b in
                              "".join(chr(0x0660 + int(c)) for c in good).encode()),  # Arabic-Indic
            "!REPEAT 10240 1",           # 10 KB
            "!REPEAT 512 9",             # the PAM maximum
            "-" + good[1:],
            "%s\\x00" % good,
            "' OR 1=1 --",
        ]
        for code in bad:
            # over-long answers may end the flow another way; never a pass
            strict = not code.startswith("!REPEAT")
            self.assertFalse(self.try_code("cd8", code, strict=strict),
                             "code %r accepted" % code[:40])
        # the real code still works: none of the above consumed it
        self.assertTrue(self.try_code("cd8", good))

    def test_recovery_code_single_use(self):
        h.add_user("cd9", h.strong_password())
        codes = h.enroll_recovery("cd9")
        h.full_reset("cd9", codes[0], h.strong_password())
        self.assertFalse(self.try_code("cd9", codes[0]), "a recovery code worked twice")
        self.assertTrue(self.try_code("cd9", codes[1]))
        self.assertFalse(self.try_code("cd9", codes[1]),
                         "a recovery code consumed in an abandoned flow worked again")

    def test_other_users_codes_refused(self):
        h.add_user("cda", h.strong_password())
        h.add_user("cdb", h.strong_password())
        secret_a = h.enroll_totp("cda")
        h.enroll_recovery("cda")
        secret_b = h.enroll_totp("cdb")
        codes_b = h.enroll_recovery("cdb")
        h.wait_step_margin(8)
        code_b = h.totp_now(secret_b)
        self.assertFalse(self.try_code("cda", codes_b[0]))
        if code_b not in {h.totp_now(secret_a, k) for k in (-1, 0, 1)}:
            self.assertFalse(self.try_code("cda", code_b))

    def race(self, user, codes):
        """Open one flow per code, then answer all at the same moment.
        Returns the list of (kind, text) each got first."""
        sessions = [h.start_reset(user) for _ in codes]
        got = [None] * len(codes)
        go = threading.Barrier(len(codes))

        def run(i):
            go.wait()
            sessions[i].answer(codes[i])
            got[i] = sessions[i].read()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(codes))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return sessions, got

    def test_same_recovery_code_twice_at_once(self):
        h.add_user("cde", h.strong_password())
        code = h.enroll_recovery("cde")[0]
        shadow = h.shadow_entry("cde")
        sessions, got = self.race("cde", [code] * 4)
        passed = [i for i, g in enumerate(got) if g == ("ECHO_OFF", h.NEW_PW)]
        for s, first in zip(sessions, got):
            end_after_race(s, first)
            self.assertNeverSuccess(s.result_name, s)
        self.assertEqual(len(passed), 1, "one recovery code passed %d parallel flows: %r"
                         % (len(passed), got))
        self.assertEqual(h.shadow_entry("cde"), shadow)

    def test_same_totp_code_twice_at_once(self):
        h.add_user("cdf", h.strong_password())
        secret = h.enroll_totp("cdf")
        h.wait_step_margin(8)
        code = h.totp_now(secret)
        sessions, got = self.race("cdf", [code] * 4)
        passed = [g for g in got if g == ("ECHO_OFF", h.NEW_PW)]
        for s, first in zip(sessions, got):
            end_after_race(s, first)
        self.assertEqual(len(passed), 1, "one TOTP code passed %d parallel flows: %r"
                         % (len(passed), got))

    def test_two_resets_of_one_account_at_once(self):
        # docs/security.md 20: two concurrent resets of one account commit at most
        # once. Both flows pass their gate with a different valid code, then
        # submit their new password at the same moment.
        h.add_user("cdg", h.strong_password())
        codes = h.enroll_recovery("cdg")
        sessions = [h.start_reset("cdg") for _ in range(2)]
        pws = [h.strong_password(), h.strong_password()]
        for s, c in zip(sessions, codes):
            s.answer(c)
            s.expect("ECHO_OFF", h.NEW_PW)
            s.answer(pws[sessions.index(s)])
            s.expect("ECHO_OFF", h.RETYPE_PW)
        go = threading.Barrier(2)
        outcome = [None, None]

        def run(i):
            go.wait()
            sessions[i].answer(pws[i])
            outcome[i] = sessions[i].until_result()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        done = [i for i in range(2) if ("INFO", h.DONE) in outcome[i][1]]
        works = [i for i in range(2) if h.pam_auth("cdg", pws[i]) == "PAM_SUCCESS"]
        self.assertEqual(len(works), 1, "passwords that work now: %r" % works)
        self.assertLessEqual(len(done), 1, "both parallel resets reported success: %r"
                             % [o[1] for o in outcome])
        self.assertEqual(done, works, "the flow that said 'changed' is not the one that counts")

    def test_no_methods_registered(self):
        h.add_user("cdc", h.strong_password())
        other = h.add_user("cdd", h.strong_password())
        secret = h.enroll_totp(other)
        # cdc has nothing registered: the prompts look the same, nothing passes
        self.assertFalse(self.try_code("cdc", h.totp_now(secret)))
        self.assertFalse(self.try_code("cdc", "000000"))


if __name__ == "__main__":
    h.main()
