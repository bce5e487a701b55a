#!/usr/bin/python3
"""GDM cannot run here: gdm3 43 needs systemd-logind and gnome-shell (200+
packages, a systemd-booted machine). This tests the shape of its PAM
conversation instead, honestly short of the real thing:

  - the service is gdm-password with the stack Debian 12's gdm3 (43.0-3)
    ships: pam_nologin, pam_succeed_if user != root, common-auth (with
    pam_sspr after pam_unix, as install_stack() puts it), an optional
    pam_gnome_keyring line (missing here, as on a machine without it),
    common-account;
  - the user is known before PAM starts (gdm's begin_verification_for_user
    after a click on the user list), PAM_TTY is the VT (/dev/tty1), no
    PAM_RHOST;
  - tests/pam/pamdrive is the conversation: one answer per prompt, messages
    passed on at once, as gdm-session-worker does over D-Bus;
  - what gnome-shell 43 makes of it (greeter_ux.gnome_shell_view: prompts
    as one-line entry placeholders, messages one by one at 48 ms a
    character, info messages after the last prompt dropped when the
    authentication fails, gdm's own "Sorry, ..." after a failure) is
    printed and checked: the reset's last words must be shown before it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import greeter_ux as ux  # noqa: E402
from greeter import e2e, h  # noqa: E402

GDM_SERVICE = "gdm-password"
# The auth and account part of Debian 12's /etc/pam.d/gdm-password (gdm3 43.0-3)
GDM_PASSWORD_STACK = """\
#%PAM-1.0
auth    requisite       pam_nologin.so
auth    required        pam_succeed_if.so user != root quiet_success
@include common-auth
auth    optional        pam_gnome_keyring.so
@include common-account
session required        pam_limits.so
@include common-session
@include common-password
"""
GDM_ITEMS = dict(rhost=None, tty="/dev/tty1")


class GdmShape(e2e.E2ETest):

    def setUp(self):
        super().setUp()
        h.write_file("/etc/pam.d/" + GDM_SERVICE, GDM_PASSWORD_STACK)

    def test_reset_then_sign_in_through_gdm_password(self):
        user, old, secret, _ = e2e.new_user("gd")
        new = h.strong_password("New")
        s = h.Session(user, service=GDM_SERVICE, **GDM_ITEMS)
        rc, _ = s.until_result(["", "y", h.fresh_totp(secret), new, new])
        self.assertEqual(rc, "PAM_AUTH_ERR")
        received = s.received()[:-1]
        # the last words are an error here: gnome-shell drops info messages
        # still queued when the authentication fails
        self.assertEqual(received, [
            ("ECHO_OFF", h.PASSWORD_PROMPT), ("ECHO_ON", h.OFFER), ("INFO", h.INTRO),
            ("ECHO_OFF", h.CODE_PROMPT), ("ECHO_OFF", h.NEW_PW), ("ECHO_OFF", h.RETYPE_PW),
            ("ERROR", h.DONE)])
        view = ux.gnome_shell_view(received, rc)
        print("\n--- gnome-shell 43 would show (%s) ---\n%s\n--- end ---"
              % (GDM_SERVICE, ux.format_view(view)))
        self.assertEqual(ux.gnome_shell_dropped(received, rc), [])
        # "sign in again with your new password" is read before gdm's own
        # failure text, and for as long as gnome-shell gives any message
        self.assertEqual([(w, t) for w, t, _ in view[-2:]],
                         [("problem", h.DONE), ("problem", ux.GDM_PASSWORD_FAILED)])
        too_long = [t for w, t, _ in view if w.startswith("hint") and len(t) > ux.PROMPT_MAX]
        self.assertEqual(too_long, [])
        # gdm's retry: the same user, the new password
        self.assertEqual(h.pam_auth(user, new, service=GDM_SERVICE, **GDM_ITEMS), "PAM_SUCCESS")
        self.assertEqual(h.pam_auth(user, old, service=GDM_SERVICE, **GDM_ITEMS), "PAM_AUTH_ERR")

    def test_wrong_password_hint_survives_the_failure(self):
        """A wrong password: the hint is an error (an info would be dropped),
        and says that the password was wrong, before gdm's own text."""
        user, old, _, _ = e2e.new_user("gw")
        s = h.Session(user, service=GDM_SERVICE, **GDM_ITEMS)
        rc, _ = s.until_result(["not-" + old])
        self.assertEqual(rc, "PAM_AUTH_ERR")
        received = s.received()[:-1]
        self.assertEqual(received, [("ECHO_OFF", h.PASSWORD_PROMPT), ("ERROR", h.HINT_GREETER)])
        self.assertEqual(ux.gnome_shell_dropped(received, rc), [])

    def test_every_ending_is_seen(self):
        """Wrong codes until the reset gives up, an empty code, a lockout:
        whatever ends the reset is shown before gdm's failure text, in one
        message."""
        user, _, secret, _ = e2e.new_user("ge")
        wrong = h.wrong_code(secret)
        endings = []
        for answers in (["", "y", wrong, wrong, wrong], ["", "y", ""]):
            s = h.Session(user, service=GDM_SERVICE, **GDM_ITEMS)
            rc, _ = s.until_result(answers)
            received = s.received()[:-1]
            self.assertEqual(ux.gnome_shell_dropped(received, rc), [], s.format_transcript())
            endings.append(received[-1])
        self.assertEqual(endings, [("ERROR", h.closing(h.BAD_CODE)), ("ERROR", h.CANCELLED)])

    def test_root_walks_the_uniform_path_and_fails(self):
        """pam_succeed_if user != root is `required`, not requisite, in
        gdm-password: the stack goes on to common-auth, so root at GDM gets
        the offer like anyone (the helper's uniform path), and can never pass."""
        before = h.shadow_entry("root")
        s = h.Session("root", service=GDM_SERVICE, **GDM_ITEMS)
        rc, seen = s.until_result(["", "y", "123456", "!CONV_ERR"])
        self.assertNotEqual(rc, "PAM_SUCCESS")
        self.assertIn(("ECHO_ON", h.OFFER), seen)
        self.assertEqual(h.shadow_entry("root"), before)

if __name__ == "__main__":
    e2e.main()
