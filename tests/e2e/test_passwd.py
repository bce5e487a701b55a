#!/usr/bin/python3
"""passwd with a forgotten current password (issue 13, part 1), end to end:
the real passwd (setuid root) on a pty, the stack pam-auth-update makes from
the sspr and sspr-password profiles, the real sshd for a user signed in with
a key, the real sudo afterwards.

- Signed in over SSH with a key, a user runs passwd, presses Enter at
  "Current password: ", confirms with a code, sets a new password; then
  `sudo -k; sudo true` takes the new password (and not the old one).
- A user who knows the password sees exactly what they saw without pam_sspr
  (the screens are compared byte for byte); so do `passwd otheruser` by a
  user (refused) and root's `passwd USER`.
- A declined offer, wrong codes and the sspr profile alone (without the
  first line) change nothing.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import h  # noqa: E402

CURRENT = "Current password: "
UPDATED = "passwd: password updated successfully"
UNCHANGED = "passwd: password unchanged"
TOKEN_ERR = "passwd: Authentication token manipulation error"
PAM_FILES = ["/etc/pam.d/common-auth", "/etc/pam.d/common-account",
             "/etc/pam.d/common-password", "/etc/pam.d/common-session",
             "/etc/pam.d/common-session-noninteractive"]
PAM_STATE = "/var/lib/pam"


def announce(user):
    return "Changing password for %s." % user


def pam_auth_update(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true")
    return h.run(["pam-auth-update"] + list(args), env=env)


class Stock:
    """The sandbox's PAM files as they came (restored before each test)."""

    def __init__(self):
        self.files = {}
        for p in PAM_FILES + [os.path.join(PAM_STATE, n) for n in os.listdir(PAM_STATE)]:
            with open(p, "rb") as f:
                self.files[p] = f.read()

    def restore(self):
        for p, data in self.files.items():
            h.write_file(p, data)
        for n in os.listdir(PAM_STATE):
            p = os.path.join(PAM_STATE, n)
            if p not in self.files:
                os.unlink(p)


def screen(t):
    """What the program printed, with the line ends a pty gives."""
    return t.screen().replace("\r\n", "\n")


def sudoer(user):
    """user may run anything with sudo after typing their own password (a
    rule of its own, not the sudo group: one gate is enough for them)."""
    h.write_file("/etc/sudoers.d/sspr-test-" + user, "%s ALL=(ALL:ALL) ALL\n" % user, mode=0o440)


class PasswdTest(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists("/usr/sbin/pam-auth-update"):
            raise h.HarnessError("pam-auth-update (libpam-runtime) is not installed")
        cls.stock = Stock()
        # sudo resolves the host name; the sandbox has its own
        with open("/etc/hosts") as f:
            hosts = f.read()
        if "sspr-sandbox" not in hosts:
            h.write_file("/etc/hosts", hosts + "127.0.1.1 sspr-sandbox\n")

    def setUp(self):
        self.stock.restore()
        super().setUp()

    def tearDown(self):
        e2e.close_all()
        super().tearDown()
        self.stock.restore()

    def enable(self, *profiles):
        pam_auth_update("--enable", *(profiles or ("sspr", "sspr-password")))

    def passwd(self, user, steps, argv=("passwd",), status=None):
        """Run passwd as user (root: None) on a pty: steps is a list of
        (text to wait for, answer or None); returns the screen."""
        t = e2e.as_user(user, argv) if user else e2e.Term(["/usr/bin/" + argv[0]] + list(argv[1:]))
        for want, answer in steps:
            t.expect(want)
            if answer is not None:
                t.send(answer)
        got = t.expect_eof()
        if status is not None and got != status:
            t.fail("passwd exited %s, expected %s" % (got, status))
        return screen(t)

    def known_password_change(self, user, old, new):
        return self.passwd(user, [(CURRENT, old), (h.NEW_PW, new), (h.RETYPE_PW, new),
                                  (UPDATED, None)], status=0)

    # ------------------------------------------------------------------
    def test_forgotten_current_password_over_ssh_then_sudo(self):
        self.enable()
        user, old, secret, _ = e2e.new_user("pw")
        sudoer(user)
        key = e2e.add_key(user)
        sshd = e2e.Sshd(pubkey=True)
        self.addCleanup(sshd.stop)
        new = h.strong_password()
        before = h.shadow_entry(user)

        t = e2e.ssh_key(sshd, user, key, "passwd")
        t.expect(announce(user))
        t.expect(CURRENT)
        t.send("")
        t.expect(h.OFFER)
        t.send("y")
        t.expect(h.INTRO)
        e2e.code_and_new_password(t, h.fresh_totp(secret), new)
        t.expect(UPDATED)
        self.assertEqual(t.expect_eof(), 0, t.screen())
        out = screen(t)
        # passwd says it is done; no "sign in again" line from the login path
        self.assertNotIn(h.DONE, out)
        self.assertNotIn(UNCHANGED, out)
        self.assertNotEqual(h.shadow_entry(user), before)
        self.assertIn("Accepted publickey for %s" % user, sshd.log())

        # the same signed-in user: sudo forgets the old password and takes the new one
        t = e2e.ssh_key(sshd, user, key, "sudo -k; sudo true && echo SUDO-OK-$(id -un)")
        t.expect(re.compile(r"\[sudo\] password for %s: " % user))
        t.send(old)
        t.expect("Sorry, try again.")
        t.expect(re.compile(r"\[sudo\] password for %s: " % user))
        t.send(new)
        t.expect("SUDO-OK-" + user)
        self.assertEqual(t.expect_eof(), 0)

        # and passwd with the new one as the current password works as always
        newer = h.strong_password()
        self.known_password_change(user, new, newer)

    def test_known_password_transcript_unchanged(self):
        user, p1, _, _ = e2e.new_user("pk")
        p2, p3 = h.strong_password(), h.strong_password()
        stock = self.known_password_change(user, p1, p2)
        self.enable()
        ours = self.known_password_change(user, p2, p3)
        self.assertEqual(ours, stock)
        self.assertEqual(stock, "%s\n%s\n%s\n%s\n%s\n" % (announce(user), CURRENT, h.NEW_PW,
                                                         h.RETYPE_PW, UPDATED))
        # a wrong current password: refused exactly as before
        wrong_stock = None
        self.stock.restore()
        wrong_stock = self.passwd(user, [(CURRENT, "not-" + p3), (UNCHANGED, None)], status=10)
        self.enable()
        wrong_ours = self.passwd(user, [(CURRENT, "not-" + p3), (UNCHANGED, None)], status=10)
        self.assertEqual(wrong_ours, wrong_stock)

    def test_other_user_refused_and_root_unaffected(self):
        user, _, _, _ = e2e.new_user("po")
        other, _, _, _ = e2e.new_user("pt")
        before = h.shadow_entry(other)
        refused = [(re.compile(r"passwd: .*%s" % other), None)]
        stock = self.passwd(user, refused, argv=("passwd", other))
        self.enable()
        ours = self.passwd(user, refused, argv=("passwd", other))
        self.assertEqual(ours, stock)
        self.assertIn("You may not view or modify password information for %s" % other, ours)
        self.assertEqual(h.shadow_entry(other), before)

        # root: no current password, the same prompts as without pam_sspr
        p = h.strong_password()
        root_steps = [(h.NEW_PW, p), (h.RETYPE_PW, p), (UPDATED, None)]
        ours = self.passwd(None, root_steps, argv=("passwd", other), status=0)
        self.stock.restore()
        stock = self.passwd(None, root_steps, argv=("passwd", other), status=0)
        self.assertEqual(ours, stock)
        self.assertEqual(stock, "%s\n%s\n%s\n" % (h.NEW_PW, h.RETYPE_PW, UPDATED))

    def test_declined_offer_and_wrong_codes_change_nothing(self):
        user, old, secret, _ = e2e.new_user("pd")
        before = h.shadow_entry(user)
        stock = self.passwd(user, [(CURRENT, ""), (UNCHANGED, None)], status=10)
        self.enable()
        ours = self.passwd(user, [(CURRENT, ""), (h.OFFER, "n"), (UNCHANGED, None)], status=10)
        # the same refusal as without pam_sspr, after the one offer line
        self.assertEqual(ours.replace(h.OFFER + "n\n", ""), stock)
        self.assertIn(TOKEN_ERR, ours)
        bad = h.wrong_code(secret)
        ours = self.passwd(user, [(CURRENT, ""), (h.OFFER, "y"), (h.CODE_PROMPT, bad),
                                  (h.BAD_CODE, None), (h.CODE_PROMPT, bad), (h.BAD_CODE, None),
                                  (h.CODE_PROMPT, bad), (h.ASK_ADMIN, None), (UNCHANGED, None)],
                           status=10)
        self.assertNotIn(h.NEW_PW, ours)
        self.assertEqual(h.shadow_entry(user), before)
        h.unlock(user)
        # an empty code stops the reset: nothing changes either
        self.passwd(user, [(CURRENT, ""), (h.OFFER, "y"), (h.CODE_PROMPT, ""),
                           (h.CANCELLED, None), (UNCHANGED, None)], status=10)
        self.assertEqual(h.shadow_entry(user), before)
        self.known_password_change(user, old, h.strong_password())

    def test_sspr_profile_alone_offers_nothing_in_passwd(self):
        user, _, _, _ = e2e.new_user("pa")
        stock = self.passwd(user, [(CURRENT, ""), (UNCHANGED, None)], status=10)
        self.enable("sspr")
        with open("/etc/pam.d/common-password") as f:
            self.assertEqual(len(re.findall(r"(?m)^password\s.*pam_sspr\.so", f.read())), 1)
        ours = self.passwd(user, [(CURRENT, ""), (UNCHANGED, None)], status=10)
        self.assertEqual(ours, stock)


if __name__ == "__main__":
    if h.in_sandbox() and e2e._sanitizer_preload():
        # su, sudo and passwd run setuid: the loader ignores LD_PRELOAD then,
        # so they cannot dlopen an ASan-instrumented pam_sspr.so
        h.skip_exit("sanitizer build: setuid programs cannot load the instrumented module; "
                    "these tests run in the plain build")
    e2e.main(tools=("passwd", "sudo", "setpriv", "pam-auth-update"))
