"""Facts about a real Samba AD DC (4.17, Debian) that the Active Directory
dialect of the LDAP backend relies on, proved on a DC provisioned in this
file's sandbox (tests/directory/samba.py): a least-privilege service account
resets passwords over LDAPS (unicodePwd), sets pwdLastSet and unlocks, and
can do nothing else; Kerberos sees the new password at once; the OLD password
keeps working for LDAP simple bind for `old password allowed period`; the
sspr attributes (a schema extension, confidential) are readable by the
service account and not by the user."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dirtest as t  # noqa: E402
import samba  # noqa: E402

SLOW = os.environ.get("SSPR_SLOW_TESTS") == "1"


class SambaFacts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        cls.dc = samba.SambaDC()
        cls.dc.start()
        total = time.monotonic() - t0
        print("\nsamba: provision %.1f s, setup (OU, service account, dsacl, schema) %.1f s, "
              "start until LDAPS+KDC answer %.1f s, total %.1f s"
              % (cls.dc.timings["provision"], cls.dc.timings["setup"], cls.dc.timings["start"],
                 total))
        cls.seq = 0

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()

    def new_user(self, ou="default", password="Start-Pass-1!a"):
        SambaFacts.seq += 1
        name = "user%d" % self.seq
        dn = self.dc.create_user(name, password, ou=ou, mail=name + "@samdom.test",
                                 mobile="+1555555%04d" % self.seq)
        return name, dn, password

    def as_svc(self, ldif):
        return self.dc.modify(ldif, binddn=self.dc.SVC_DN, password=self.dc.SVC_PW)

    def reset(self, dn, new):
        return self.as_svc(self.dc.reset_ldif(dn, new))

    def assertRc(self, r, rc):
        self.assertEqual(r.rc, rc, r.text())

    # -- what the service account can do -------------------------------------------------
    def test_users_have_mail_and_mobile(self):
        name, dn, _ = self.new_user()
        e = self.dc.search(dn, scope="base", attrs=["mail", "mobile"], binddn=self.dc.SVC_DN,
                           password=self.dc.SVC_PW)[0]
        self.assertEqual(e.get("mail"), [name + "@samdom.test"])
        self.assertTrue(e.first("mobile").startswith("+1555555"))

    def test_reset_over_ldaps_then_kerberos_sees_only_the_new_password(self):
        name, dn, old = self.new_user()
        new = "Reset-By-Svc-2!b"
        self.assertRc(self.reset(dn, new), 0)
        self.assertEqual(self.dc.kinit(name, new), 0, self.dc.last_kinit.stderr)
        self.assertNotEqual(self.dc.kinit(name, old), 0, "kinit with the old password worked")
        self.assertIn("Password incorrect", self.dc.last_kinit.stderr)
        self.assertTrue(self.dc.bind_ok(dn, new))

    def test_pwdlastset_and_unlock(self):
        name, dn, pw = self.new_user()
        pls = lambda: self.dc.search(dn, scope="base", attrs=["pwdLastSet"])[0]  # noqa: E731
        self.assertRc(self.as_svc("dn: %s\nchangetype: modify\nreplace: pwdLastSet\n"
                                  "pwdLastSet: 0\n-\n" % dn), 0)
        self.assertEqual(pls().first("pwdLastSet"), "0", "0 = must change at next logon")
        self.assertRc(self.as_svc("dn: %s\nchangetype: modify\nreplace: pwdLastSet\n"
                                  "pwdLastSet: -1\n-\n" % dn), 0)
        self.assertGreater(int(pls().first("pwdLastSet")), 0, "-1 = set to now")
        for _ in range(3):                                    # lockout threshold 3
            self.assertFalse(self.dc.bind_ok(dn, "Wrong-Pass-0!z"))
        self.assertFalse(self.dc.bind_ok(dn, pw), "a locked-out account must not bind")
        locked = self.dc.search(dn, scope="base", attrs=["lockoutTime"])[0]
        self.assertGreater(int(locked.first("lockoutTime")), 0)
        self.assertRc(self.as_svc("dn: %s\nchangetype: modify\nreplace: lockoutTime\n"
                                  "lockoutTime: 0\n-\n" % dn), 0)
        self.assertTrue(self.dc.bind_ok(dn, pw))

    def test_admin_reset_applies_complexity_but_not_history(self):
        name, dn, old = self.new_user()
        r = self.reset(dn, "short")
        self.assertRc(r, 19)                                  # constraintViolation
        p1, p2 = "History-One-1!a", "History-Two-2!b"
        self.assertRc(self.reset(dn, p1), 0)
        self.assertRc(self.reset(dn, p2), 0)
        self.assertRc(self.reset(dn, p1), 0)                  # in history: allowed for a reset
        self.assertEqual(self.dc.kinit(name, p1), 0)

    def test_reset_needs_ldaps(self):
        name, dn, old = self.new_user()
        env = self.dc.env()
        import subprocess
        p = subprocess.run(["ldapmodify", "-H", "ldap://127.0.0.1", "-x", "-D", self.dc.SVC_DN,
                            "-w", self.dc.SVC_PW], input=self.dc.reset_ldif(dn, "Plain-Ldap-3!c"),
                           capture_output=True, text=True, env=env, timeout=t.TIMEOUT)
        self.assertNotEqual(p.returncode, 0, "a password over plain LDAP was accepted")
        self.assertEqual(self.dc.kinit(name, old), 0)

    # -- what it cannot do ----------------------------------------------------------------
    def test_cannot_add_itself_to_domain_admins(self):
        r = self.as_svc("dn: CN=Domain Admins,CN=Users,%s\nchangetype: modify\nadd: member\n"
                        "member: %s\n-\n" % (self.dc.BASE, self.dc.SVC_DN))
        self.assertRc(r, 50)

    def test_cannot_reset_outside_the_ou(self):
        name, dn, old = self.new_user(ou=None)                # CN=Users
        self.assertRc(self.reset(dn, "Outside-Ou-4!d"), 50)
        self.assertEqual(self.dc.kinit(name, old), 0)

    def test_cannot_reset_an_administrator(self):
        self.assertRc(self.reset(self.dc.ADMIN_DN, "Admin-Taken-5!e"), 50)
        self.assertEqual(self.dc.kinit("Administrator", self.dc.ADMIN_PW), 0)

    def test_admin_inside_the_ou_is_resettable(self):
        """Samba 4.17 runs no SDProp/AdminSDHolder: a Domain Admin whose
        account lies in the OU inherits the service account's ACEs like any
        user. The backend must refuse admins itself (and admins belong
        outside the delegated OU)."""
        name, dn, old = self.new_user()
        self.dc.tool_run("group", "addmembers", "Domain Admins", name, "-H", "ldap://127.0.0.1",
                         "-U", "Administrator%" + self.dc.ADMIN_PW)
        e = self.dc.search(dn, scope="base", attrs=["memberOf", "adminCount"])[0]
        self.assertIn("CN=Domain Admins,CN=Users," + self.dc.BASE, e.get("memberOf"))
        self.assertRc(self.reset(dn, "Admin-In-Ou-6!f"), 0)
        self.assertEqual(self.dc.kinit(name, "Admin-In-Ou-6!f"), 0)

    # -- sspr attributes (schema extension, confidential) ---------------------------------------
    def test_sspr_attributes_readable_by_service_not_by_the_user(self):
        name, dn, pw = self.new_user()
        secret = bytes(range(20))
        import base64
        r = self.as_svc("dn: %s\nchangetype: modify\nadd: ssprTotpSecret\nssprTotpSecret:: %s\n-\n"
                        "add: ssprRecoveryCode\nssprRecoveryCode: %064x\nssprRecoveryCode: %064x\n-\n"
                        "add: ssprTotpLastStep\nssprTotpLastStep: 100\n-\n"
                        % (dn, base64.b64encode(secret).decode(), 1, 2))
        self.assertRc(r, 0)
        attrs = ["ssprTotpSecret", "ssprRecoveryCode", "ssprTotpLastStep", "mail"]
        svc = self.dc.search(dn, scope="base", attrs=attrs, binddn=self.dc.SVC_DN,
                             password=self.dc.SVC_PW)[0]
        self.assertEqual(svc.bytes("ssprTotpSecret"), [secret])
        self.assertEqual(len(svc.get("ssprRecoveryCode")), 2)
        own = self.dc.search(dn, scope="base", attrs=attrs, binddn=dn, password=pw)[0]
        self.assertEqual(own.get("mail"), [name + "@samdom.test"], "the user reads their entry")
        for a in attrs[:3]:
            self.assertIsNone(own.get(a), "the user read their own %s" % a)
        # not through a filter either
        self.assertEqual(self.dc.search(dn, "(ssprTotpSecret=*)", ["1.1"], scope="base",
                                        binddn=dn, password=pw), [])
        # nor may the user write them
        r = self.dc.modify("dn: %s\nchangetype: modify\nreplace: ssprTotpLastStep\n"
                           "ssprTotpLastStep: 0\n-\n" % dn, binddn=dn, password=pw)
        self.assertRc(r, 50)

    def test_compare_and_swap_and_no_modify_increment(self):
        name, dn, pw = self.new_user()
        self.assertRc(self.as_svc("dn: %s\nchangetype: modify\nadd: ssprTotpLastStep\n"
                                  "ssprTotpLastStep: 7\n-\n" % dn), 0)
        swap = ("dn: %s\nchangetype: modify\ndelete: ssprTotpLastStep\nssprTotpLastStep: %s\n-\n"
                "add: ssprTotpLastStep\nssprTotpLastStep: %s\n-\n")
        self.assertRc(self.as_svc(swap % (dn, "7", "8")), 0)
        self.assertRc(self.as_svc(swap % (dn, "7", "9")), 16)
        codes = "".join("ssprRecoveryCode: %064x\n" % i for i in (1, 2))
        self.assertRc(self.as_svc("dn: %s\nchangetype: modify\nadd: ssprRecoveryCode\n%s-\n"
                                  % (dn, codes)), 0)
        used = "dn: %s\nchangetype: modify\ndelete: ssprRecoveryCode\nssprRecoveryCode: %064x\n-\n"
        self.assertRc(self.as_svc(used % (dn, 1)), 0)
        self.assertRc(self.as_svc(used % (dn, 1)), 16)
        r = self.as_svc("dn: %s\nchangetype: modify\nincrement: ssprTotpLastStep\n"
                        "ssprTotpLastStep: 1\n-\n" % dn)
        self.assertRc(r, 2)                                   # no Modify-Increment in AD
        self.assertIn("Invalid LDAP_MODIFY_* type", r.stderr)

    # -- the old-password window -------------------------------------------------------------
    def test_old_password_window(self):
        """Default (60 min): after a reset, LDAP simple bind accepts the old
        password too (kinit does not); with old password allowed period = 0
        the old password is refused at once. Prints the measurement."""
        dc = self.dc
        name, dn, old = self.new_user()
        new = "Window-New-8!h"
        self.assertRc(self.reset(dn, new), 0)
        t0 = time.monotonic()
        self.assertTrue(dc.bind_ok(dn, old), "the default window: old bind accepted")
        self.assertTrue(dc.bind_ok(dn, new))
        self.assertNotEqual(dc.kinit(name, old), 0, "Kerberos must refuse the old one at once")
        time.sleep(5)
        self.assertTrue(dc.bind_ok(dn, old), "old bind still accepted %.0f s after the reset"
                        % (time.monotonic() - t0))
        print("\ndefault period: old password still binds %.1f s after the reset"
              % (time.monotonic() - t0))
        try:
            dc.restart(old_password_period=0)
            name2, dn2, old2 = self.new_user()
            self.assertRc(self.reset(dn2, new), 0)
            self.assertFalse(dc.bind_ok(dn2, old2), "period 0: the old password bound")
            self.assertTrue(dc.bind_ok(dn2, new))
            # the earlier reset's old password is refused too once the period is 0
            self.assertFalse(dc.bind_ok(dn, old))
            print("period 0: old password refused at once")
        finally:
            dc.restart(old_password_period=None)

    @unittest.skipUnless(SLOW, "slow (about 2 minutes): set SSPR_SLOW_TESTS=1")
    def test_old_password_window_length_with_one_minute(self):
        dc = self.dc
        try:
            dc.restart(old_password_period=1)
            name, dn, old = self.new_user()
            self.assertRc(self.reset(dn, "Window-One-Min-9!i"), 0)
            t0 = time.monotonic()
            last_ok = 0.0
            while time.monotonic() - t0 < 180:
                if not dc.bind_ok(dn, old):
                    break
                last_ok = time.monotonic() - t0
                time.sleep(2)
            gone = time.monotonic() - t0
            print("\nperiod 1 min: old password last accepted at %.1f s, refused at %.1f s"
                  % (last_ok, gone))
            self.assertLess(gone, 180, "the old password never stopped working")
            self.assertGreater(last_ok, 30)
        finally:
            dc.restart(old_password_period=None)


if __name__ == "__main__":
    t.main(needs=samba.TOOLS, why="apt-get install samba samba-ad-dc krb5-user ldap-utils "
                                  "ldb-tools")
