#!/usr/bin/python3
"""Debian's own lightdm-gtk-greeter (2.0.8) on Xvfb, typed at with xdotool
like a person: user name, Enter at the empty password, "y", the
authenticator code, the new password twice; the greeter then asks for the
password again (the reset never signs in), the new password starts the
user's session. The same driver makes the README screenshot
(scripts/greeter-screenshot.sh).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import greeter as g  # noqa: E402
import screenshot as shot  # noqa: E402
from greeter import e2e, h  # noqa: E402


class GtkGreeter(g.GreeterTest):

    def setUp(self):
        super().setUp()
        self.run_ = None

    def tearDown(self):
        if self.run_:
            self.run_.stop()
        super().tearDown()

    def test_reset_then_session_with_real_gtk_greeter(self):
        user, old, secret, _ = e2e.new_user("gg")
        before = h.shadow_entry(user)
        new = h.strong_password("New")
        h.wait_step_margin(10)
        self.run_ = run = shot.GtkGreeterRun()
        run.walk(user, lambda: h.fresh_totp(secret), new, "code")
        self.assertNotEqual(h.helper_pids(), [], "no helper at the code prompt")
        run.walk(user, lambda: h.fresh_totp(secret), new, "done")
        self.assertNotEqual(h.shadow_entry(user), before, "the reset did not change the password")
        self.assertEqual(h.helper_pids(), [], "a helper is left after the reset")
        self.assertIsNone(g.session_line(user), "a session started right after the reset")
        # the greeter is back at the password prompt for the same user
        shot.type_line(run.win, new)
        line = g._wait(lambda: g.session_line(user),
                       "the session of %s after the new password" % user,
                       detail=run.log_tail)
        self.assertRegex(line, r"^user=%s uid=\d+ pid=\d+ display=%s$" % (user, g.DISPLAY))
        self.assertEqual(h.pam_auth(user, old, service="lightdm"), "PAM_AUTH_ERR")


if __name__ == "__main__":
    g.main(extra_tools=("lightdm-gtk-greeter", "xdotool", "import"))
