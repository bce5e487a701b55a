#!/usr/bin/python3
"""The console: the real /bin/login on a pty (as getty starts it), PAM
service `login`, which includes the sandbox's common-auth.

A reset at Password:, then a login with the new password gets a shell.
Kiosk mode: the pseudo user typed at `login:` resets another account and
never gets a shell itself.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import h  # noqa: E402


def finish_reset(t, code, new_password):
    """From the code prompt to login's next `login:` prompt."""
    e2e.code_and_new_password(t, code, new_password)
    # messages after the last prompt: login prints them before "Login incorrect"
    t.expect(h.DONE)
    t.expect(e2e.LOGIN_INCORRECT)
    t.expect(e2e.LOGIN_PROMPT)
    if "$ " in t.since(h.DONE):
        t.fail("a shell appeared right after the reset")


def password_login(t, user, password):
    """At `login:`: the user name, then the password."""
    t.send(user)
    t.expect(h.PASSWORD_PROMPT)
    t.send(password)


class Login(e2e.E2ETest):

    def test_reset_then_login_with_new_password(self):
        user, old, secret, _ = e2e.new_user("lc")
        new = h.strong_password("New")
        t = e2e.login()
        password_login(t, user, "")
        t.expect(h.OFFER)
        t.send("y")
        t.expect(h.INTRO)
        finish_reset(t, h.fresh_totp(secret), new)

        # the old password no longer works (and gets the one-line hint)
        password_login(t, user, old)
        t.expect(h.HINT_ENTER)
        t.expect(e2e.LOGIN_INCORRECT)
        t.expect(e2e.LOGIN_PROMPT)
        # the new one gets a shell
        password_login(t, user, new)
        e2e.login_shell_check(t, user)

    def test_ordinary_login_untouched(self):
        user, old, _, _ = e2e.new_user("lo")
        wrapper = h.marker_wrapper()
        e2e.install_stack("helper=" + wrapper)
        t = e2e.login()
        password_login(t, user, "not-" + old)
        t.expect(e2e.LOGIN_INCORRECT)
        t.expect(e2e.LOGIN_PROMPT)
        password_login(t, user, old)
        e2e.login_shell_check(t, user)
        self.assertEqual(h.helper_start_count(), 0, "helper started on the password path")


class LoginTrigger(e2e.E2ETest):
    MODULE_ARGS = "trigger=forgot"

    def test_trigger_word_at_console(self):
        user, _, _, codes = e2e.new_user("lt", totp=False, recovery=True)
        new = h.strong_password("New")
        t = e2e.login()
        password_login(t, user, "forgot")
        t.expect(h.INTRO)
        finish_reset(t, codes[-1], new)
        password_login(t, user, new)
        e2e.login_shell_check(t, user)


class Kiosk(e2e.E2ETest):
    KIOSK = e2e.KIOSK_USER

    def test_pseudo_user_resets_another_account(self):
        user, old, secret, _ = e2e.new_user("lk")
        new = h.strong_password("New")
        t = e2e.login()
        t.send(e2e.KIOSK_USER)
        t.expect(e2e.ACCOUNT_PROMPT)
        t.send(user)
        t.expect(h.INTRO)
        finish_reset(t, h.fresh_totp(secret), new)
        self.assertNotIn(h.PASSWORD_PROMPT, t.screen(),
                         "kiosk flow asked for a password")
        password_login(t, user, new)
        e2e.login_shell_check(t, user)
        # the ordinary offer still works alongside the kiosk line
        t = e2e.login()
        password_login(t, user, old)
        t.expect(e2e.LOGIN_INCORRECT)

    def test_pseudo_user_never_gets_a_shell(self):
        user, _, secret, _ = e2e.new_user("ln")
        t = e2e.login()
        # a wrong code three times
        t.send(e2e.KIOSK_USER)
        t.expect(e2e.ACCOUNT_PROMPT)
        t.send(user)
        bad = h.wrong_code(secret)
        for _ in range(3):
            t.expect(h.CODE_PROMPT)
            t.send(bad)
            t.expect(h.BAD_CODE)
        t.expect(e2e.LOGIN_INCORRECT)
        t.expect(e2e.LOGIN_PROMPT)
        # an account that does not exist looks the same and ends the same
        t.send(e2e.KIOSK_USER)
        t.expect(e2e.ACCOUNT_PROMPT)
        t.send("nosuchuser")
        t.expect(h.INTRO)
        t.expect(h.CODE_PROMPT)
        t.send(bad)
        t.expect(h.BAD_CODE)
        t.expect(h.CODE_PROMPT)
        t.child.sendeof()          # Ctrl-D at the prompt: the conversation fails
        idx = t.expect([e2e.LOGIN_INCORRECT, e2e.LOGIN_PROMPT])
        if "$ " in t.since(e2e.ACCOUNT_PROMPT) or "# " in t.since(e2e.ACCOUNT_PROMPT):
            t.fail("the kiosk pseudo user got a shell")
        t.close()
        self.assertIsNotNone(idx)
        # even if an admin created an account with that name and a password,
        # the kiosk line comes first and never lets it in
        h.add_user(e2e.KIOSK_USER, "Kiosk-Pass-123!x")
        t = e2e.login()
        t.send(e2e.KIOSK_USER)
        t.expect(e2e.ACCOUNT_PROMPT)
        t.send(user)
        t.expect(h.CODE_PROMPT)
        while True:   # tries left in this flow, or the lockout (5 failures)
            t.send(bad)
            if t.expect([h.CODE_PROMPT, e2e.LOGIN_INCORRECT]) == 1:
                break
        self.assertNotIn(h.PASSWORD_PROMPT, t.since(e2e.ACCOUNT_PROMPT))
        t.expect(e2e.LOGIN_PROMPT)

class KioskLoginAsksTheName(e2e.E2ETest):
    """A login stack in which nothing asks for the name before the kiosk line
    (no pam_nologin first): login leaves `login:` to PAM, so the kiosk line
    is the first module to see PAM_USER, still unset (issue 9 item 3). An
    account named like the pseudo user with no password at all would get a
    shell through pam_unix nullok if the kiosk line let it through."""
    KIOSK = e2e.KIOSK_USER

    def setUp(self):
        super().setUp()
        with open("/etc/pam.d/login") as f:
            text = f.read()
        lines = [l for l in text.splitlines()
                 if not re.match(r"^\s*auth\s+\S+\s+pam_nologin\.so", l)]
        h.write_file("/etc/pam.d/login", "\n".join(lines) + "\n")
        if h.run(["getent", "passwd", e2e.KIOSK_USER], check=False).returncode != 0:
            h.add_user(e2e.KIOSK_USER, None)
        h.run(["passwd", "-d", e2e.KIOSK_USER])

    def expect_no_shell(self, t):
        idx = t.expect([e2e.ACCOUNT_PROMPT, re.compile(r"[$#] $")])
        if idx == 1:
            t.send("echo E2E-$(id -un)-SHELL; exit")
            t.fail("the kiosk pseudo user got a shell")

    def test_pseudo_user_never_gets_a_shell(self):
        user, _, secret, _ = e2e.new_user("lq")
        t = e2e.login()
        t.send(e2e.KIOSK_USER)
        self.expect_no_shell(t)
        t.send("")                       # changed their mind
        t.expect(e2e.LOGIN_INCORRECT)
        t.expect(e2e.LOGIN_PROMPT)
        t.send(e2e.KIOSK_USER)
        self.expect_no_shell(t)
        t.send(user)
        t.expect(h.CODE_PROMPT)
        t.child.sendeof()                # Ctrl-D at the code prompt
        t.expect(e2e.LOGIN_INCORRECT)
        t.expect(e2e.LOGIN_PROMPT)
        self.assertNotIn(h.PASSWORD_PROMPT, t.screen())
        t.close()
        # a real reset through the same prompt still works, and the pseudo
        # user stays out after it
        new = h.strong_password("New")
        t = e2e.login()
        t.send(e2e.KIOSK_USER)
        self.expect_no_shell(t)
        t.send(user)
        t.expect(h.INTRO)
        finish_reset(t, h.fresh_totp(secret), new)
        # other users: one `login:` (the kiosk line asked it), then the password
        mark = len(t.screen())
        password_login(t, user, new)
        e2e.login_shell_check(t, user)
        self.assertNotIn("login: ", t.screen()[mark:], "login: asked twice")


if __name__ == "__main__":
    e2e.main(tools=("login", "oathtool"))
