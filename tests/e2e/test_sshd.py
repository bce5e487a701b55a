#!/usr/bin/python3
"""OpenSSH end to end: a real sshd (keyboard-interactive, UsePAM) on
127.0.0.1 inside the sandbox, the real ssh client on a pty.

A reset at the Password: prompt, then a new connection with the new password
runs `id`; the old password stops working. Wrong codes over separate
connections end in lockout; without the helper, ordinary logins still work
and a reset says it is unavailable; the plain `password` method is untouched.
"""
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import h  # noqa: E402

P = e2e.ssh_prompt


walk_reset = e2e.walk_reset


class Sshd(e2e.E2ETest):

    def setUp(self):
        super().setUp()
        self.sshd = e2e.Sshd()

    def tearDown(self):
        super().tearDown()
        self.sshd.stop()

    def test_reset_with_empty_password_then_sign_in(self):
        user, old, secret, _ = e2e.new_user("ks")
        new = h.strong_password("New")
        shadow_before = h.shadow_entry(user)
        t = e2e.ssh(self.sshd, user, "id")
        walk_reset(t, user, h.fresh_totp(secret), new)
        self.assertNotEqual(h.shadow_entry(user), shadow_before)

        out = e2e.ssh_runs(self.sshd, user, new, "id")
        self.assertRegex(out, r"uid=\d+\(%s\)" % user)
        # the old password is gone; a wrong password gets the one-line hint
        refused = e2e.ssh_refused(self.sshd, user, old)
        self.assertIn(h.HINT_ENTER, refused)
        self.assertIn("Accepted keyboard-interactive/pam for %s" % user, self.sshd.log())

    def test_decline_offer_changes_nothing(self):
        user, old, _, _ = e2e.new_user("kd")
        before = h.shadow_entry(user)
        e2e.ssh_refused(self.sshd, user, "")   # Enter, then "n"
        self.assertEqual(h.shadow_entry(user), before)
        e2e.ssh_runs(self.sshd, user, old)

    def test_recovery_code_over_ssh(self):
        user, old, _, codes = e2e.new_user("kr", totp=False, recovery=True)
        new = h.strong_password("New")
        t = e2e.ssh(self.sshd, user, "id")
        walk_reset(t, user, codes[0], new)
        self.assertIn(user, e2e.ssh_runs(self.sshd, user, new, "id -un"))
        e2e.ssh_refused(self.sshd, user, old)

    def test_wrong_codes_over_separate_connections_lock_out(self):
        user, old, secret, codes = e2e.new_user("kl", recovery=True)
        # wrong codes of both shapes: six digits (app) and a recovery code
        # that was never issued (real groups, rotated), so that neither
        # method's own cap ([throttle] max_failures_per_method) stops the
        # flow before the account-wide max_failures (default 5) locks it
        g = codes[0].split("-")
        bad = [h.wrong_code(secret), "-".join(g[1:] + g[:1])]
        self.assertNotIn(bad[1], codes)
        sent, locked, screens = 0, False, []
        for conn in range(5):
            t = e2e.ssh(self.sshd, user, "id")
            t.expect(P(user, h.PASSWORD_PROMPT))
            t.send("")
            t.expect(P(user, h.OFFER))
            t.send("y")
            while True:
                idx = t.expect([h.CODE_PROMPT, h.LOCKED, e2e.SSH_DENIED])
                if idx == 0:
                    t.send(bad[sent % 2])
                    sent += 1
                    continue
                locked = idx == 1
                t.expect_eof()
                break
            screens.append(t.screen())
            if locked:
                break
        self.assertTrue(locked, "no lockout after %d wrong codes over %d connections:\n%s"
                        % (sent, conn + 1, "\n".join(screens)))
        self.assertGreaterEqual(conn, 1, "locked out within one connection: "
                                "cannot tell that counts carry across connections")
        self.assertIn(h.BAD_CODE, "".join(screens))

        # locked: even the right code is refused now, on a new connection
        t = e2e.ssh(self.sshd, user, "id")
        t.expect(P(user, h.PASSWORD_PROMPT))
        t.send("")
        t.expect(P(user, h.OFFER))
        t.send("y")
        idx = t.expect([h.LOCKED, h.CODE_PROMPT])
        if idx == 1:
            t.send(h.fresh_totp(secret))
            t.expect(h.LOCKED)
        t.expect(e2e.SSH_DENIED)
        t.expect_eof()
        # a reset request never locks the account itself
        e2e.ssh_runs(self.sshd, user, old)
        # the admin clears it; the reset works again
        h.unlock(user)
        new = h.strong_password("New")
        walk_reset(e2e.ssh(self.sshd, user, "id"), user, h.fresh_totp(secret), new)
        e2e.ssh_runs(self.sshd, user, new)

    def test_helper_missing(self):
        user, old, _, _ = e2e.new_user("km")
        saved = "/run/sspr-helper.saved"
        shutil.copy2(h.HELPER, saved)
        self.addCleanup(shutil.move, saved, h.HELPER)
        os.unlink(h.HELPER)
        # the ordinary path never needs the helper
        self.assertIn(user, e2e.ssh_runs(self.sshd, user, old, "id -un"))
        refused = e2e.ssh_refused(self.sshd, user, "wrong-" + old)
        self.assertIn(h.HINT_ENTER, refused)
        # a reset fails fast with a clear message
        t = e2e.ssh(self.sshd, user, "id")
        t.expect(P(user, h.PASSWORD_PROMPT))
        t.send("")
        t.expect(P(user, h.OFFER))
        t.send("y")
        t.expect(h.UNAVAILABLE, timeout=10)
        t.expect(e2e.SSH_DENIED)
        t.expect_eof()
        self.assertIn(user, e2e.ssh_runs(self.sshd, user, old, "id -un"))


class SshdTrigger(e2e.E2ETest):
    MODULE_ARGS = "trigger=forgot"

    def setUp(self):
        super().setUp()
        self.sshd = e2e.Sshd()

    def tearDown(self):
        super().tearDown()
        self.sshd.stop()

    def test_trigger_word(self):
        user, old, secret, _ = e2e.new_user("kt")
        new = h.strong_password("New")
        t = e2e.ssh(self.sshd, user, "id")
        walk_reset(t, user, h.fresh_totp(secret), new, start="forgot")
        self.assertNotIn(h.OFFER, t.screen(), "the trigger word starts at once")
        self.assertRegex(e2e.ssh_runs(self.sshd, user, new, "id"), r"uid=\d+\(%s\)" % user)
        e2e.ssh_refused(self.sshd, user, old)


class SshdRegistration(e2e.E2ETest):
    """Registration at sign-in over ssh (the account line in common-account),
    and why its confirmation shows twice in an interactive session: sshd
    (OpenSSH 9.2) prints the messages that come after the last prompt of a
    successful keyboard-interactive login once more when it opens a pty
    session (its loginmsg buffer is not reset after the account check), for
    every PAM module alike; pam_echo after our line shows the same. The
    helper ends a registration over sshd with one more prompt ("Press Enter
    to continue."), so its messages travel with a prompt and show once."""

    ECHO = "ECHO-AFTER-PAM-SSPR"

    def setUp(self):
        super().setUp()
        with open("/etc/pam.d/common-account") as f:
            text = f.read()
        h.write_file("/etc/pam.d/common-account", text
                     + "account [success=ok perm_denied=die default=ignore] pam_sspr.so\n"
                     + "account optional pam_echo.so %s\n" % self.ECHO)
        self.sshd = e2e.Sshd()

    def tearDown(self):
        super().tearDown()
        self.sshd.stop()

    def register(self, pty):
        user, pw, _, _ = e2e.new_user("kr", totp=False)
        t = e2e.ssh(self.sshd, user, None if pty else "echo E2E-CMD-RAN")
        t.expect(P(user, h.PASSWORD_PROMPT))
        t.send(pw)
        t.expect("Set it up now? [Y/n] ")
        t.send("y")
        t.expect(re.compile(r"(\d)\) authenticator app"))
        choice = t.child.match.group(1)
        t.expect("Number (Enter to stop): ")
        t.send(choice)
        t.expect(re.compile(r"secret=([A-Z2-7]+)"))
        secret = t.child.match.group(1)
        t.expect("Code shown in the app: ")
        mark = len(t.screen())
        t.send(h.fresh_totp(secret))
        t.expect("Press Enter to continue.")
        t.send("")
        if pty:
            t.expect(re.compile(r"[$#] $"))
            t.send("echo E2E-CMD-RAN; exit")
        t.expect("E2E-CMD-RAN")
        t.expect_eof()
        after = t.screen()[mark:]
        self.assertIn("Authenticator app registered.", after)
        return after.count("Password reset is set up."), after.count(self.ECHO)

    def test_confirmation_relayed_once(self):
        ours, echo = self.register(pty=False)
        self.assertEqual((ours, echo), (1, 1))
        # a pty session: sshd prints what comes after the last prompt twice
        # (pam_echo's line shows it); ours comes before a last prompt
        ours, echo = self.register(pty=True)
        self.assertGreaterEqual(echo, 1)
        self.assertEqual(ours, 1, "pam_sspr's confirmation shown %d times" % ours)


class SshdPasswordMethod(e2e.E2ETest):
    """sshd with PasswordAuthentication yes; the client uses only `password`."""

    def setUp(self):
        super().setUp()
        self.sshd = e2e.Sshd(password_auth=True)

    def tearDown(self):
        super().tearDown()
        self.sshd.stop()

    def _password_ssh(self, user, password, command="id -un"):
        t = e2e.ssh(self.sshd, user, command, method="password")
        t.expect(re.compile(re.escape("%s@127.0.0.1's password: " % user)))
        mark = len(t.screen())
        t.send(password)
        status = t.expect_eof()
        return status, t.screen()[mark:]

    def test_password_method_still_logs_in(self):
        user, old, _, _ = e2e.new_user("kp")
        wrapper = h.marker_wrapper()
        install_args = "helper=" + wrapper
        e2e.install_stack(install_args)
        status, out = self._password_ssh(user, old)
        self.assertEqual(status, 0, out)
        self.assertIn(user, out)
        status, out = self._password_ssh(user, "wrong-" + old)
        self.assertNotEqual(status, 0, out)
        self.assertIn(e2e.SSH_DENIED, out)
        self.assertEqual(h.helper_start_count(), 0,
                         "the helper was started on the ordinary password path")
        self.assertIn("Accepted password for %s" % user, self.sshd.log())


if __name__ == "__main__":
    e2e.main(tools=("ssh", "sshd", "ssh-keygen", "oathtool"))
