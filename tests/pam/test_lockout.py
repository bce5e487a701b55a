#!/usr/bin/python3
"""Throttling across transactions (docs/security.md 10, 15): failures count across
connections, a lockout refuses even a correct code, `sspr-helper unlock`
clears it, and a lockout never blocks the normal password login."""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

THREE = "[throttle]\nmax_failures = 3\nfailure_delay = 0\n"


def one_wrong(user, code):
    """A transaction with one wrong code, then abandoned. Returns the
    messages seen after the code."""
    s = h.start_reset(user)
    s.answer(code)
    seen = []
    while True:
        k, t = s.read()
        seen.append((k, t))
        if k == "RESULT":
            s.close()
            return seen, s
        if k in h.PROMPTS:
            s.answer("!CONV_ERR")


class Lockout(h.SandboxTest):

    def setUp(self):
        super().setUp()
        h.write_config(THREE)

    def lock_out(self, user, secret=None):
        wrong = h.wrong_code(secret)
        for i in range(3):
            seen, s = one_wrong(user, wrong)
            self.assertNeverSuccess(s.result_name, s)
            expect = h.LOCKED if i == 2 else h.BAD_CODE
            # the third failure may already say "locked"
            if i == 2:
                self.assertTrue(("ERROR", h.LOCKED) in seen or ("ERROR", h.BAD_CODE) in seen,
                                s.format_transcript())
            else:
                self.assertEqual(seen[0], ("ERROR", expect), s.format_transcript())

    def assert_locked(self, user, code):
        s = h.start_reset(user)
        s.answer(code)
        s.expect("ERROR", h.LOCKED)
        rc, seen = s.until_result()
        self.assertNeverSuccess(rc, s)
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen)
        return s

    def test_lockout_across_transactions_and_unlock(self):
        pw = h.strong_password()
        h.add_user("lk1", pw)
        secret = h.enroll_totp("lk1")
        shadow = h.shadow_entry("lk1")
        self.lock_out("lk1", secret)
        self.assert_locked("lk1", h.totp_now(secret))
        self.assertEqual(h.shadow_entry("lk1"), shadow)
        # the reset lockout never locks the account itself
        self.assertEqual(h.pam_auth("lk1", pw), "PAM_SUCCESS")
        self.assertIn("lock", h.helper_cmd("show", "lk1").stdout.lower())
        h.unlock("lk1")
        new = h.strong_password()
        h.full_reset("lk1", h.fresh_totp(secret), new)
        self.assertEqual(h.pam_auth("lk1", new), "PAM_SUCCESS")

    def test_recovery_code_also_refused_when_locked(self):
        h.add_user("lk2", h.strong_password())
        secret = h.enroll_totp("lk2")
        codes = h.enroll_recovery("lk2")
        self.lock_out("lk2", secret)
        self.assert_locked("lk2", codes[0])
        h.unlock("lk2")
        # the refused recovery code was not consumed by the lockout
        h.full_reset("lk2", codes[0], h.strong_password())

    def test_lockout_is_per_user(self):
        h.add_user("lk3", h.strong_password())
        h.add_user("lk4", h.strong_password())
        s3 = h.enroll_totp("lk3")
        s4 = h.enroll_totp("lk4")
        self.lock_out("lk3", s3)
        h.full_reset("lk4", h.fresh_totp(s4), h.strong_password())

    def test_unknown_user_locked_out_the_same_way(self):
        # the same sequence of messages for a name that is no account
        self.lock_out("lk-nobody")
        s = self.assert_locked("lk-nobody", "123456")
        h.add_user("lk5", h.strong_password())
        secret = h.enroll_totp("lk5")
        self.lock_out("lk5", secret)
        s5 = self.assert_locked("lk5", h.totp_now(secret))
        self.assertEqual(s.received(), s5.received())

    def test_parallel_sessions_share_the_count(self):
        h.add_user("lk6", h.strong_password())
        secret = h.enroll_totp("lk6")
        wrong = h.wrong_code(secret)
        sessions = [h.start_reset("lk6") for _ in range(4)]
        results = [None] * len(sessions)

        def go(i):
            sessions[i].answer(wrong)
            results[i] = sessions[i].read()

        threads = [threading.Thread(target=go, args=(i,)) for i in range(len(sessions))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for s, first in zip(sessions, results):
            k = first[0] if first else None
            while k != "RESULT":
                if k in h.PROMPTS:
                    s.answer("!CONV_ERR")
                k = s.read()[0]
            s.close()
            self.assertNeverSuccess(s.result_name, s)
        self.assertIn(("ERROR", h.LOCKED), results,
                      "4 parallel failures with max_failures=3 did not lock: %r" % results)
        self.assert_locked("lk6", h.totp_now(secret))

    def test_consecutive_failures_hold_until_unlock(self):
        # max_consecutive: failures in a row across windows and lockouts
        # after which resets stay locked until an admin unlocks
        h.write_config("[throttle]\nmax_failures = 20\nfailure_delay = 0\n"
                       "max_consecutive = 3\n")
        h.add_user("lk8", h.strong_password())
        secret = h.enroll_totp("lk8")
        self.lock_out("lk8", secret)
        self.assert_locked("lk8", h.totp_now(secret))
        h.unlock("lk8")
        h.full_reset("lk8", h.fresh_totp(secret), h.strong_password())

    def test_code_prompt_still_shown_when_locked(self):
        # a locked-out user sees the same first steps as anybody else: the
        # lockout is only revealed after a code was typed
        h.add_user("lk7", h.strong_password())
        secret = h.enroll_totp("lk7")
        self.lock_out("lk7", secret)
        s = h.start_reset("lk7")  # asserts INTRO and the code prompt
        s.answer("!CONV_ERR")
        self.assertNeverSuccess(s.until_result()[0])


if __name__ == "__main__":
    h.main()
