#!/usr/bin/python3
"""A directory user on a real client: slapd holds the user, sssd (sssd-ldap)
serves it to NSS and PAM, the PAM stack is what Debian's pam-auth-update
makes of the unix, sss and sspr profiles (pam_unix, then pam_sss, then
pam_sspr), and a real sshd signs the user in (keyboard-interactive, the
real ssh client on a pty).

The user signs in through pam_sss with the old password; at the password
prompt presses Enter, confirms with a TOTP code (enrolled with
`sspr-helper enroll USER --totp`, codes from oathtool) and sets a new one,
which pam_sspr writes to the directory (backend = ldap, Password Modify as
the user); then the new password signs in through pam_sss and the old one
is refused. A wrong password gets pam_sspr's hint after pam_sss refused it.
And what sssd's offline cache does after such a reset: it keeps answering
with the password of the last online sign-in (tests/directory/README.md)."""
import os
import re
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import dirtest as t  # noqa: E402
import ldap_fleet as fleet  # noqa: E402
import slapd  # noqa: E402
import sssd  # noqa: E402

try:
    import e2e  # noqa: E402  (needs pexpect)
except ImportError:
    e2e = None

h = t.h
P = e2e.ssh_prompt if e2e else None
PAM_CONFIGS = "/usr/share/pam-configs"


def pam_auth_update(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true")
    return h.run(["pam-auth-update", "--package"] + list(args), env=env)


def auth_modules(path="/etc/pam.d/common-auth", kind="auth"):
    """The lines of one type of a PAM file as (control, module) in order."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            m = re.match(r"^%s\s+(\[[^\]]*\]|\S+)\s+(\S+)" % kind, line)
            if m:
                out.append((m.group(1), os.path.basename(m.group(2))))
    return out


class LdapSssd(h.SandboxTest):
    @classmethod
    def setUpClass(cls):
        if t.sanitizer_build():
            raise unittest.SkipTest("sanitizer build: sshd and chpasswd would need the ASan "
                                    "runtime preloaded, which sssd and slapd must not get; the "
                                    "plain build runs this file")
        super().setUpClass()
        t0 = time.monotonic()
        cls.d = slapd.Slapd()
        cls.d.start()
        # Debian's own profiles, the way an administrator enables them:
        # pam_unix (256), pam_sss (128), pam_sspr (64), by priority
        if not os.path.exists(os.path.join(PAM_CONFIGS, "sspr")):
            raise h.HarnessError("the sspr pam-auth-update profile is not installed")
        sssd.enable_sss_in_sandbox()
        pam_auth_update("--enable", "sss", "sspr")
        with open("/etc/pam.d/common-auth") as f:
            cls.common_auth = f.read()
        with open("/etc/pam.d/common-account") as f:
            cls.common_account = f.read()
        if os.environ.get("SSPR_SHOW_STACK"):
            print("\n" + cls.common_auth + "\n" + cls.common_account)
        # pam_unix's 2 s delay for a wrong password off (it fails first for
        # every directory user); nothing else of the generated stack changes
        h.write_file("/etc/pam.d/common-auth",
                     re.sub(r"(pam_unix\.so[^\n]*)", lambda m: m.group(1) + " nodelay",
                            cls.common_auth, count=1))
        cls.s = sssd.Sssd(cls.d)
        cls.sshd = e2e.Sshd()
        print("\nslapd, sssd and sshd up in %.2f s" % (time.monotonic() - t0))

    @classmethod
    def tearDownClass(cls):
        e2e.close_all()
        cls.sshd.stop()
        cls.s.stop()
        cls.d.stop()

    def setUp(self):
        super().setUp()  # FAST_CONFIG: rewritten below
        self._t0 = time.monotonic()
        h.write_file(fleet.BIND_PW_FILE, "password = %s\n" % self.d.SSPR_PW, mode=0o600)
        h.write_config("[general]\nbackend = ldap\n[throttle]\nfailure_delay = 0\n"
                       + fleet.ldap_section(self.d))

    def tearDown(self):
        e2e.close_all()
        super().tearDown()
        sys.stdout.write("(%.1f s) " % (time.monotonic() - self._t0))

    def ssh_ok(self, uid, password):
        self.assertIn(uid, e2e.ssh_runs(self.sshd, uid, password, command="id -un"))

    def ssh_refused(self, uid, password):
        out = e2e.ssh_refused(self.sshd, uid, password)
        self.assertIn(e2e.SSH_DENIED, out)
        return out

    def reset_over_ssh(self, uid, code, new):
        """Enter at the password prompt, y, the code, the new password twice."""
        return e2e.walk_reset(e2e.ssh(self.sshd, uid, "id"), uid, code, new)

    # -----------------------------------------------------------------------------------
    def test_stack_order_from_pam_auth_update(self):
        """pam-auth-update puts the three in priority order, each jumping
        past the others to pam_permit on success."""
        mods = auth_modules()
        names = [m for _, m in mods]
        self.assertEqual(names[:5], ["pam_unix.so", "pam_sss.so", "pam_sspr.so", "pam_deny.so",
                                     "pam_permit.so"], self.common_auth)
        self.assertEqual([c for c, _ in mods[:3]],
                         ["[success=3 default=ignore]", "[success=2 default=ignore]",
                          "[success=1 default=ignore]"], self.common_auth)
        self.assertIn("pam_sss.so use_first_pass", self.common_auth)
        # account: the same priorities put pam_sspr's registration line after
        # the sss profile's "sufficient pam_localuser": a LOCAL user's account
        # stack ends there, so registration at sign-in is offered to
        # directory users only once sss is enabled (docs/ldap.md)
        acct = [m for _, m in auth_modules("/etc/pam.d/common-account", "account")]
        self.assertEqual(acct[-3:], ["pam_localuser.so", "pam_sss.so", "pam_sspr.so"],
                         self.common_account)

    def test_reset_through_pam_sspr_then_sign_in_through_pam_sss(self):
        uid = "alice"
        dn = self.d.user_dn(uid)
        old = self.d.password(uid)
        self.assertEqual(self.s.getent(uid), "alice:*:10001:10000:Alice:/home/alice:/bin/bash")
        self.assertIsNone(h.shadow_entry(uid), "alice must not be a local account")
        self.ssh_ok(uid, old)                       # pam_sss, online
        # Enter at the prompt, then "n": pam_sss passes the empty password on
        # without a bind (no failure counted by ppolicy), pam_sspr offers
        self.ssh_refused(uid, "")
        e = self.d.search(dn, scope="base", attrs=["pwdFailureTime"])[0]
        self.assertIsNone(e.first("pwdFailureTime"), "an empty password reached the directory")
        secret = h.enroll_totp(uid)                  # into alice's directory entry
        self.assertTrue(self.d.search(dn, scope="base", attrs=["ssprTotpSecret"])[0]
                        .get("ssprTotpSecret"))
        new = h.strong_password()
        t0 = time.monotonic()
        screen = self.reset_over_ssh(uid, h.fresh_totp(secret), new)
        if os.environ.get("SSPR_SHOW_STACK"):
            print(screen)
        print("\nreset over ssh (Enter, y, code, password twice): %.2f s"
              % (time.monotonic() - t0))
        # written to the directory as alice's own change: no pwdReset for
        # pam_sss's account stage to trip over, nothing in /etc/shadow
        self.assertTrue(self.d.bind_ok(dn, new))
        e = self.d.search(dn, scope="base", attrs=["pwdReset", "ssprResetGrant"])[0]
        self.assertIsNone(e.first("pwdReset"))
        self.assertIsNone(e.first("ssprResetGrant"))
        self.assertIsNone(h.shadow_entry(uid))
        self.ssh_ok(uid, new)                       # pam_sss with the new password
        refused = self.ssh_refused(uid, old)        # the old one: pam_sss says no
        self.assertIn(h.HINT_ENTER, refused)        # and pam_sspr adds its hint
        # that wrong password did reach the directory (the check above can fail)
        e = self.d.search(dn, scope="base", attrs=["pwdFailureTime"])[0]
        self.assertIsNotNone(e.first("pwdFailureTime"))
        self.assertIn("Accepted keyboard-interactive/pam for %s" % uid, self.sshd.log())

    def test_offline_cache_after_a_reset(self):
        """sssd caches the hash of the last ONLINE sign-in: after a reset
        through pam_sspr, a machine whose sssd is offline still takes the
        old password and refuses the new one, until one online sign-in with
        the new password (then offline takes the new one, not the old)."""
        uid = "bob"
        old = self.d.password(uid)
        self.ssh_ok(uid, old)                       # cached: old
        secret = h.enroll_totp(uid)
        new = h.strong_password()
        self.reset_over_ssh(uid, h.fresh_totp(secret), new)
        with self.s.directory_gone(self.sshd):
            self.ssh_ok(uid, old)
            self.ssh_refused(uid, new)
        self.ssh_ok(uid, new)                       # online: cached now is new
        self.ssh_refused(uid, old)
        with self.s.directory_gone(self.sshd):
            self.ssh_ok(uid, new)
            self.ssh_refused(uid, old)

    def test_directory_down_at_reset_time(self):
        """sssd offline and slapd down: the user still signs in from sssd's
        cache with the password of the last online sign-in, and a reset
        says SSPR-E112 at once."""
        uid, pw = "dave", h.strong_password()
        self.d.add_user(uid, pw, 10010, mail="dave@example.test")
        self.ssh_ok(uid, pw)                        # online: sssd knows dave now
        h.enroll_totp(uid)
        with self.s.directory_gone(self.sshd):
            self.ssh_ok(uid, pw)
            term = e2e.ssh(self.sshd, uid, "id")
            term.expect(P(uid, h.PASSWORD_PROMPT))
            term.send("")
            term.expect(P(uid, h.OFFER))
            t0 = time.monotonic()
            term.send("y")
            term.expect("Password reset is not available right now (SSPR-E112). "
                        "Your administrator can look this code up.", timeout=10)
            took = time.monotonic() - t0
            term.expect(e2e.SSH_DENIED)
            term.expect_eof()
            self.assertLess(took, 3 + 2.5)


if __name__ == "__main__":
    if e2e is None or e2e.pexpect is None:
        h.skip_exit("python3-pexpect not installed")
    t.main(needs=slapd.TOOLS + sssd.TOOLS + ("/usr/sbin/sshd", "/usr/bin/ssh", "oathtool"),
           why="apt-get install slapd ldap-utils sssd-ldap libnss-sss libpam-sss "
               "openssh-server oathtool")
