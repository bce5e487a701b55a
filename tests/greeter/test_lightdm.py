#!/usr/bin/python3
"""A real LightDM (Debian's lightdm 1.26, PAM service `lightdm`, which
includes the sandbox's common-auth with pam_sspr after pam_unix) driven by a
scripted greeter through liblightdm-gobject, as a graphical greeter does.

  - an empty password at the greeter offers the reset; after it the
    attempt fails, the greeter signs in with the new password and the
    user's session starts; the old password is refused;
  - everything the greeter shows is recorded in order and checked against
    what a greeter can show (one prompt at a time in an entry, messages in
    a label: see greeter_ux.py);
  - authenticate(None): PAM asks for the name ("login:") and the reset
    works for a user entered that way;
  - a cancel in the middle of the reset leaves no helper behind, and the
    greeter signs in right after;
  - with email set up the menu is one line that says what to type, and a
    reset by an emailed code works at the greeter.
"""
import re
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import greeter as g  # noqa: E402
import greeter_ux as ux  # noqa: E402
from greeter import e2e, h  # noqa: E402


TOO_SHORT = "The password must be at least 12 characters long."


def reset_steps(code, new_password):
    """From the empty password to the end of the (failing) reset attempt."""
    return [
        g.secret(h.PASSWORD_PROMPT, ""),
        g.question(h.OFFER, "y"),
        g.info(h.INTRO),
        g.secret(h.CODE_PROMPT, code),
        g.secret(h.NEW_PW, new_password),
        g.secret(h.RETYPE_PW, new_password),
        g.info(h.DONE),
        g.complete(False),
    ]


def sign_in_steps(user, password):
    return [g.authenticate(user), g.secret(h.PASSWORD_PROMPT, password), g.complete(True),
            g.start_session()]


class LightDMReset(g.GreeterTest):

    def test_reset_then_sign_in_with_new_password(self):
        user, old, secret, _ = e2e.new_user("gr")
        new = h.strong_password("New")
        h.wait_step_margin(8)
        script = ([g.authenticate(user)] + reset_steps(h.fresh_totp(secret), new)
                  # the old password: refused, with the one-line hint
                  + [g.authenticate(user), g.secret(h.PASSWORD_PROMPT, old),
                     g.error(h.HINT_GREETER), g.complete(False)]
                  + sign_in_steps(user, new))
        run = g.LightDMRun(script)
        run.wait_done()
        line = run.wait_session(user)
        self.assertRegex(line, r"^user=%s uid=\d+ pid=\d+ display=%s$" % (user, g.DISPLAY))
        self.assertEqual(h.helper_pids(), [], "a helper is still running after the reset")
        ux.save_transcript(run, "reset")
        sys.stdout.write("(greeter up %.2fs, whole script %.2fs) "
                         % (run.started, run.elapsed))

    def test_transcript_fits_a_greeter(self):
        """Every message a user sees at the greeter during a reset: in
        order, each within what gnome-shell shows, echo-on marked."""
        user, _, secret, _ = e2e.new_user("gt")
        new = h.strong_password("New")
        h.wait_step_margin(8)
        run = g.LightDMRun([g.authenticate(user)] + reset_steps(h.fresh_totp(secret), new))
        run.wait_done()
        shown = run.shown()
        self.assertEqual(shown, [
            ("prompt", "secret", h.PASSWORD_PROMPT),
            ("prompt", "question", h.OFFER),
            ("message", "info", h.INTRO),
            ("prompt", "secret", h.CODE_PROMPT),
            ("prompt", "secret", h.NEW_PW),
            ("prompt", "secret", h.RETYPE_PW),
            ("message", "info", h.DONE),
        ])
        # the offer is the only prompt whose answer is shown while typed
        self.assertEqual([t for k, ty, t in shown if k == "prompt" and ty == "question"],
                         [h.OFFER])
        problems = ux.check(shown)
        ux.save_transcript(run, "transcript", problems)
        self.assertEqual([str(p) for p in problems if p.hard], [])
        # the message before the code prompt says what to type (lightdm-gtk-
        # greeter shows it instead of the prompt), and no console markers
        self.assertIn("code", h.INTRO)
        self.assertEqual([str(p) for p in problems if "console default" in p.why], [])

    def test_unhappy_path_messages(self):
        """A wrong code, a too short password, then passwords that differ:
        every message in order, checked like the good path."""
        user, _, secret, _ = e2e.new_user("gu")
        before = h.shadow_entry(user)
        new = h.strong_password("New")
        too_short = "Short-1"
        h.wait_step_margin(8)
        script = [g.authenticate(user),
                  g.secret(h.PASSWORD_PROMPT, ""), g.question(h.OFFER, "y"), g.info(h.INTRO),
                  g.secret(h.CODE_PROMPT, h.wrong_code(secret)), g.error(h.BAD_CODE),
                  g.secret(h.CODE_PROMPT, h.fresh_totp(secret)),
                  # our rules are said before the password is typed again
                  g.secret(h.NEW_PW, too_short), g.error(TOO_SHORT),
                  g.secret(h.NEW_PW, new), g.secret(h.RETYPE_PW, "x" + new),
                  g.error(h.MISMATCH),
                  g.secret(h.NEW_PW, new), g.secret(h.RETYPE_PW, new + "x"),
                  # the last refusal and the end in one message: a greeter shows one
                  g.error(h.MISMATCH + " " + h.LAST_TRY),
                  g.complete(False)]
        run = g.LightDMRun(script)
        run.wait_done()
        self.assertEqual(h.shadow_entry(user), before)
        problems = ux.check(run.shown())
        ux.save_transcript(run, "unhappy", problems)
        self.assertEqual([str(p) for p in problems if p.hard], [])

    def test_user_name_asked_by_pam(self):
        """authenticate(None): PAM asks "login:", then the same reset."""
        user, old, secret, _ = e2e.new_user("gn")
        new = h.strong_password("New")
        h.wait_step_margin(8)
        script = ([g.authenticate(None), g.question(g.LOGIN_PROMPT, user)]
                  + reset_steps(h.fresh_totp(secret), new)
                  + [g.authenticate(None), g.question(g.LOGIN_PROMPT, user),
                     g.secret(h.PASSWORD_PROMPT, new), g.complete(True), g.start_session()])
        run = g.LightDMRun(script)
        run.wait_done()
        run.wait_session(user)
        completes = [e for e in run.events() if e["event"] == "complete"]
        self.assertEqual([(e["authenticated"], e["user"]) for e in completes],
                         [(False, user), (True, user)])
        self.assertEqual(h.pam_auth(user, old, service="lightdm"), "PAM_AUTH_ERR")

    def test_cancel_mid_reset_leaves_no_helper(self):
        """The greeter cancels at the code prompt: LightDM ends the PAM
        conversation, the helper goes away, and a normal sign-in works."""
        user, old, secret, _ = e2e.new_user("gc")
        before = h.shadow_entry(user)
        script = [g.authenticate(user),
                  g.secret(h.PASSWORD_PROMPT, ""),
                  g.question(h.OFFER, "y"),
                  g.info(h.INTRO),
                  g.barrier("at-code"),
                  g.prompt("secret", h.CODE_PROMPT, cancel=True),
                  g.barrier("cancelled")] + sign_in_steps(user, old)
        run = g.LightDMRun(script)
        run.wait_barrier("at-code")
        self.assertNotEqual(h.helper_pids(), [], "no helper runs during the reset")
        run.release("at-code")
        run.wait_barrier("cancelled")
        # after the cancel the helper is gone
        g._wait(lambda: not h.helper_pids(), "the helper to exit after the cancel",
                timeout=10, detail=lambda: "\nstill running: %r" % h.helper_pids())
        self.assertFalse(run.session_started(user))
        run.release("cancelled")
        run.wait_done()
        run.wait_session(user)
        self.assertEqual(h.shadow_entry(user), before, "the cancelled reset changed the password")
        self.assertEqual(h.helper_pids(), [])


class LightDMMenu(g.GreeterTest):
    """Email set up, so the reset starts with a menu: at a greeter it is one
    message that says what to type (no list, no "[1]"), and the emailed
    code resets the password; then the user signs in with it."""

    def setUp(self):
        super().setUp()
        self.smtp = e2e.SmtpSink()
        h.write_config(h.FAST_CONFIG + "[email]\nsmtp_url = smtp://127.0.0.1:%d\n"
                       "starttls = off\nfrom = sspr@sspr-sandbox.invalid\n" % self.smtp.port)

    def tearDown(self):
        super().tearDown()
        self.smtp.close()

    def test_menu_is_one_line_and_email_reset_works(self):
        user, old, _, _ = e2e.new_user("gm", totp=False)
        h.helper_cmd("enroll", user, "--email", "%s@mail.sspr-sandbox.invalid" % user)
        new = h.strong_password("New")
        menu = h.greeter_menu_text(h.CH_CODE, h.CH_EMAIL)
        script = ([g.authenticate(user), g.secret(h.PASSWORD_PROMPT, ""),
                   g.question(h.OFFER, "y"),
                   g.info(menu), g.question(h.CHOICE_GREETER, "2"),
                   g.info(h.email_sent()), g.barrier("mail"),
                   g.prompt("secret", h.EMAIL_PROMPT, answer_file="mail"),
                   g.secret(h.NEW_PW, new), g.secret(h.RETYPE_PW, new),
                   g.info(h.DONE), g.complete(False)]
                  + sign_in_steps(user, new))
        run = g.LightDMRun(script)
        run.wait_barrier("mail")
        _, _, body = self.smtp.wait_mail()
        code = re.search(r"\b(\d{6,10})\b", body)
        self.assertIsNotNone(code, "no code in the mail:\n" + body)
        run.release("mail", code.group(1))
        run.wait_done()
        run.wait_session(user)
        problems = ux.check(run.shown())
        ux.save_transcript(run, "menu", problems)
        self.assertEqual([str(p) for p in problems if p.hard], [])
        self.assertEqual([p for p in problems if "multi-line" in p.why], [])
        self.assertEqual(h.pam_auth(user, old, service="lightdm"), "PAM_AUTH_ERR")


class LightDMAccountLine(g.GreeterTest):
    """The account line as pam-auth-update adds it (common-account): a user
    who registered nothing signs in at the greeter without any registration
    prompt (a greeter cannot show its QR code or list of codes), and the
    helper is never started."""

    def setUp(self):
        super().setUp()
        with open("/etc/pam.d/common-account") as f:
            text = f.read()
        h.write_file("/etc/pam.d/common-account",
                     text + "account [success=ok perm_denied=die default=ignore] pam_sspr.so "
                     "helper=%s\n" % h.marker_wrapper())
        h.write_config(h.FAST_CONFIG + "[policy]\nregister_at_login = require\n")

    def test_no_registration_at_the_greeter(self):
        user, pw, _, _ = e2e.new_user("ga", totp=False)
        h.clear_marker()
        run = g.LightDMRun(sign_in_steps(user, pw))
        run.wait_done()
        run.wait_session(user)
        self.assertEqual(run.shown(), [("prompt", "secret", h.PASSWORD_PROMPT)])
        self.assertFalse(h.helper_started(), "the account line started the helper")


class LightDMGerman(h.GermanSystem, g.GreeterTest):
    """/etc/default/locale names de_DE.UTF-8 (generated in the sandbox): the
    reset at the greeter is German and every German text fits what a
    greeter shows (the same limits as in English); then the new password."""

    def test_german_reset_at_the_greeter(self):
        user, old, secret, _ = e2e.new_user("gde")
        new = h.strong_password("Neu")
        h.wait_step_margin(8)
        de = h.DE
        script = ([g.authenticate(user),
                   g.secret(h.PASSWORD_PROMPT, ""), g.question(de[h.OFFER], h.DE_YES),
                   g.info(de[h.INTRO]), g.secret(de[h.CODE_PROMPT], h.fresh_totp(secret)),
                   g.secret(de[h.NEW_PW], new), g.secret(de[h.RETYPE_PW], new),
                   g.info(de[h.DONE]), g.complete(False)]
                  + sign_in_steps(user, new))
        run = g.LightDMRun(script)
        run.wait_done()
        run.wait_session(user)
        problems = ux.check(run.shown())
        ux.save_transcript(run, "german", problems)
        self.assertEqual([str(p) for p in problems if p.hard], [])
        self.assertEqual(h.pam_auth(user, old, service="lightdm"), "PAM_AUTH_ERR")


class ScriptedGreeterIsStrict(g.GreeterTest):

    def test_unexpected_prompt_fails_the_run(self):
        """The scripted greeter is no rubber stamp: a prompt other than the
        script's stops it with an error that the harness reports."""
        user, old, _, _ = e2e.new_user("gs")
        run = g.LightDMRun([g.authenticate(user), g.secret("Passwort: ", old), g.complete(True)])
        with self.assertRaises(h.HarnessError) as cm:
            run.wait_done(timeout=10)
        self.assertIn("the scripted greeter stopped: expected prompt secret 'Passwort: ', "
                      "LightDM showed prompt secret 'Password: '", str(cm.exception))


if __name__ == "__main__":
    g.main()
