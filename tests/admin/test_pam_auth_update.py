"""The Debian pam-auth-update profile (/usr/share/pam-configs/sspr), applied
with the real pam-auth-update to the sandbox's copy of /etc: common-auth gets
pam_sspr.so right after pam_unix.so with the jumps right, common-account gets
the registration line, and through the real `login` PAM service a good
password logs in, a wrong one fails, and the reset runs. Removing the
profile gives the stock stack back.

Other primary profiles installed on the machine (pam_sss from libpam-sss,
pam_winbind) sort between pam_unix and pam_sspr, as on a real SSSD client:
every success jump must then still land on pam_permit, past pam_sspr and
pam_deny."""

import os

from admin_util import h, apply_profile, pam_auth_update, stack_lines, PROFILE, Snapshot, \
    PAM_COMMON

COMMON_AUTH = "/etc/pam.d/common-auth"
COMMON_ACCOUNT = "/etc/pam.d/common-account"
COMMON_PASSWORD = "/etc/pam.d/common-password"


def login_service():
    """The real `login` service when it includes common-auth, else a test
    service that does (the same lines a distribution service would have)."""
    try:
        with open("/etc/pam.d/login") as f:
            if "common-auth" in f.read():
                return "login"
    except OSError:
        pass
    h.write_file("/etc/pam.d/sspr-login", "@include common-auth\n@include common-account\n")
    return "sspr-login"


class PamAuthUpdateTest(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists("/usr/sbin/pam-auth-update"):
            raise h.HarnessError("pam-auth-update (libpam-runtime) is not installed")
        h.setup_system()
        cls.password = h.strong_password()
        h.add_user("alice", cls.password)
        cls.secret = h.enroll_totp("alice")
        cls.stock = Snapshot(PAM_COMMON)
        # what pam-auth-update makes of this machine's profiles without ours
        pam_auth_update("--package", "--remove", "sspr")
        cls.generated = stack_lines(COMMON_AUTH, "auth")
        cls.stock.restore()

    def setUp(self):
        self.stock.restore()
        super().setUp()

    def test_profile_fields(self):
        with open(PROFILE) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^Default: no$")
        self.assertRegex(text, r"(?m)^Auth-Type: Primary$")
        self.assertRegex(text, r"(?m)^Account-Type: Additional$")
        prio = int(next(l.split(":")[1] for l in text.splitlines() if l.startswith("Priority:")))
        with open("/usr/share/pam-configs/unix") as f:
            unix = int(next(l.split(":")[1] for l in f.read().splitlines()
                            if l.startswith("Priority:")))
        self.assertLess(prio, unix, "pam_sspr must sort after pam_unix")

    def test_generated_stack_and_transactions(self):
        apply_profile()
        auth = stack_lines(COMMON_AUTH, "auth")
        mods = [m for _, m, _ in auth]
        self.assertIn("pam_sspr.so", mods, auth)
        u, s = mods.index("pam_unix.so"), mods.index("pam_sspr.so")
        self.assertGreater(s, u, "pam_sspr.so after pam_unix.so: %r" % auth)
        # only other primary password modules (as generated without ours) between
        others = [m for _, m, _ in self.generated[u + 1:] if m not in ("pam_deny.so",)]
        self.assertEqual(mods[u + 1:s], others[:s - u - 1], auth)
        self.assertEqual(auth[s][0], "[success=1 default=ignore]")
        self.assertEqual(auth[s + 1][1:], ("pam_deny.so", ""))
        self.assertEqual(auth[s + 1][0], "requisite")
        self.assertEqual(auth[s + 2][1], "pam_permit.so")
        # every primary module's success jump lands exactly on pam_permit
        for i in range(u, s + 1):
            n = int(auth[i][0].split("success=")[1].split()[0].rstrip("]"))
            self.assertEqual(mods[i + 1 + n], "pam_permit.so", (i, auth))
        account = stack_lines(COMMON_ACCOUNT, "account")
        self.assertIn(("[success=ok perm_denied=die default=ignore]", "pam_sspr.so", ""),
                      account)
        # doctor agrees
        p = h.helper_cmd("doctor", check=False)
        self.assertRegex(p.stdout, r"(?m)^PASS  PAM service login: pam_sspr.so after "
                                   r"pam_unix.so .*jumps correct$")

        svc = login_service()
        password, secret = self.password, self.secret

        # a good password logs in
        self.assertEqual(h.pam_auth("alice", password, service=svc), "PAM_SUCCESS")
        # a wrong one fails
        rc = h.pam_auth("alice", password + "x", service=svc)
        self.assertEqual(rc, "PAM_AUTH_ERR", h.pam_auth.last.format_transcript())
        # an unknown user fails the same way
        self.assertNotEqual(h.pam_auth("nosuchuser", password, service=svc), "PAM_SUCCESS")

        # empty password -> offer -> y -> code -> new password -> changed
        new = h.strong_password("Nw")
        s = h.full_reset("alice", h.fresh_totp(secret), new, service=svc)
        self.assertEqual(s.result_name, "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("alice", new, service=svc), "PAM_SUCCESS")
        self.assertEqual(h.pam_auth("alice", password, service=svc), "PAM_AUTH_ERR")

    def test_password_profiles(self):
        """sspr alone puts one inert line after pam_unix in common-password;
        sspr-password adds the first line, before pam_pwquality, and every
        success jump lands on pam_permit."""
        with open(os.path.join(os.path.dirname(PROFILE), "sspr-password")) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^Default: no$")
        self.assertRegex(text, r"(?m)^Password-Type: Primary$")
        prio = int(next(l.split(":")[1] for l in text.splitlines() if l.startswith("Priority:")))
        with open("/usr/share/pam-configs/pwquality") as f:
            pwq = int(next(l.split(":")[1] for l in f.read().splitlines()
                           if l.startswith("Priority:")))
        self.assertGreater(prio, pwq, "the first line must sort before pam_pwquality")

        stock = stack_lines(COMMON_PASSWORD, "password")
        apply_profile()
        alone = stack_lines(COMMON_PASSWORD, "password")
        mods = [m for _, m, _ in alone]
        self.assertEqual(mods.count("pam_sspr.so"), 1, alone)
        self.assertGreater(mods.index("pam_sspr.so"), mods.index("pam_unix.so"), alone)
        self.assertEqual([x for x in alone if x[1] != "pam_sspr.so" and x[1] != "pam_unix.so"],
                         [x for x in stock if x[1] != "pam_unix.so"])

        pam_auth_update("--enable", "sspr", "sspr-password")
        both = stack_lines(COMMON_PASSWORD, "password")
        mods = [m for _, m, _ in both]
        self.assertEqual(mods[0], "pam_sspr.so", both)
        self.assertEqual(mods.count("pam_sspr.so"), 2, both)
        # pam_unix keeps its line (use_authtok after pam_pwquality)
        self.assertIn([x for x in stock if x[1] == "pam_unix.so"][0][2],
                      [a for _, m, a in both if m == "pam_unix.so"])
        for i, (ctl, mod, _) in enumerate(both):
            if "success=" in ctl and mod in ("pam_sspr.so", "pam_unix.so"):
                n = int(ctl.split("success=")[1].split()[0].rstrip("]"))
                self.assertEqual(mods[i + 1 + n], "pam_permit.so", (i, both))
        p = h.helper_cmd("doctor", check=False)
        self.assertRegex(p.stdout, r"(?m)^PASS  PAM service passwd: pam_sspr.so first and after "
                                   r"pam_unix.so, jumps correct")
        pam_auth_update("--remove", "sspr-password", "sspr")
        self.assertEqual(stack_lines(COMMON_PASSWORD, "password"), stock)

    def test_remove_gives_stock_stack_back(self):
        apply_profile()
        pam_auth_update("--remove", "sspr")
        auth = stack_lines(COMMON_AUTH, "auth")
        self.assertNotIn("pam_sspr.so", [m for _, m, _ in auth])
        self.assertEqual(auth, self.generated)
        self.assertEqual(auth[0][1], "pam_unix.so")
        account = stack_lines(COMMON_ACCOUNT, "account")
        self.assertNotIn("pam_sspr.so", [m for _, m, _ in account])


if __name__ == "__main__":
    h.main()
