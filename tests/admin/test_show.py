"""`sspr-helper show USER` and `doctor USER` report a method blocked after
too many wrong answers (max_failures_per_method), with when the block ends
and whether other methods still work, instead of only "not locked out"
(issue 9 item 7, the show/doctor part). The wrong codes go through the real
module and helper (pamdrive), in a throwaway root sandbox."""

import calendar
import re
import time

from admin_util import h, doctor

# failure_delay 0: no waits between the wrong codes; the shipped limits
# otherwise (3 per method, 5 in all, a 900 s window)
CONFIG = "[throttle]\nfailure_delay = 0\n"
BLOCK_RE = re.compile(r"(?m)^totp: blocked until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC "
                      r"\(3 wrong codes\); (.*)$")


def wrong_codes(user, secret, n):
    """n wrong authenticator codes at the code prompt, as many resets as it
    takes; each one charged (a line came back after it) before the next."""
    sent = 0
    while sent < n:
        s = h.start_reset(user)
        while sent < n:
            s.answer(h.wrong_code(secret))
            sent += 1
            k, t = s.read()  # the helper charged and judged it before answering
            while k not in h.PROMPTS and k != "RESULT":
                k, t = s.read()
            if k == "RESULT" or t != h.CODE_PROMPT:
                break
        s.close(kill=True)


def utc(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M"))


class ShowBlocks(h.SandboxTest):

    def setUp(self):
        super().setUp()
        h.write_config(CONFIG)

    def wrong(self, user, n, recovery=False):
        """A user with an authenticator app (and recovery codes) who typed
        n wrong app codes; returns `show USER`."""
        h.add_user(user, h.strong_password())
        secret = h.enroll_totp(user)
        if recovery:
            h.enroll_recovery(user)
        wrong_codes(user, secret, n)
        return h.helper_cmd("show", user).stdout

    def test_blocked_app_with_recovery_codes_left(self):
        started = time.time()
        out = self.wrong("sb1", 3, recovery=True)
        self.assertIn("throttle: 3 recent failed attempt(s), not locked out", out)
        m = BLOCK_RE.search(out)
        self.assertIsNotNone(m, out)
        self.assertEqual(m.group(2), "other methods still work", out)
        # the window (failure_window, 900 s) began with the first wrong code
        until = utc(m.group(1))
        self.assertLessEqual(abs(until - (started + 900)), 90, out)
        # doctor says the same, as a warning: the user can still reset (the
        # harness's PAM service is not login's, so doctor fails elsewhere)
        rc, out, parsed = doctor("sb1")
        self.assertEqual([c for k, c, t in parsed if k == "FAIL" and "sb1" in t], [], out)
        self.assertIn("not locked out (3 recent failed attempts)", out)
        self.assertIn("WARN  user sb1: totp: blocked until %s UTC (3 wrong codes); other methods "
                      "still work" % m.group(1), out)
        # unlock clears it
        h.unlock("sb1")
        p = h.helper_cmd("show", "sb1")
        self.assertNotRegex(p.stdout, BLOCK_RE)

    def test_blocked_app_and_nothing_else(self):
        out = self.wrong("sb2", 3)
        m = BLOCK_RE.search(out)
        self.assertIsNotNone(m, out)
        self.assertEqual(m.group(2), "no other registered method is left until then", out)

    def test_two_wrong_codes_block_nothing(self):
        out = self.wrong("sb3", 2)
        self.assertIn("throttle: 2 recent failed attempt(s), not locked out", out)
        self.assertNotIn("blocked", out)

    def test_locked_out_is_said_once(self):
        # a full lockout blocks every method: the lockout line says it all
        h.write_config(CONFIG + "max_failures = 3\n")
        out = self.wrong("sb4", 3)
        self.assertIn("throttle: locked out until ", out)
        self.assertNotIn("blocked until", out)


if __name__ == "__main__":
    h.main()
