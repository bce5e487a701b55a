"""Two slapd providers replicating each other (syncrepl refreshAndPersist +
multiprovider, slapd 2.5): a write on either one is read on the other within
a bounded poll. This is what lets two machines share one user's state (last
TOTP step, used recovery codes, counters) through the directory."""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dirtest as t  # noqa: E402
import slapd  # noqa: E402

REPL_TIMEOUT = 15.0


def mod(dn, kind, attr, *values):
    return "dn: %s\nchangetype: modify\n%s: %s\n%s-\n" % (
        dn, kind, attr, "".join(slapd.ldif_value(attr, v) + "\n" for v in values))


class Replication(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        cls.a, cls.b = slapd.start_pair()
        print("\ntwo providers up and B in sync in %.2f s" % (time.monotonic() - t0))

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()
        cls.a.stop()

    def value_on(self, server, dn, attr):
        e = server.search(dn, scope="base", attrs=[attr], binddn=server.SSPR_DN,
                          password=server.SSPR_PW)
        return e[0].get(attr) if e else None

    def wait_value(self, server, dn, attr, want):
        t0 = time.monotonic()
        t.wait_until("%s=%r on provider %s" % (attr, want, server.name),
                     lambda: self.value_on(server, dn, attr) == want,
                     timeout=REPL_TIMEOUT, proc=server.proc, log=server.log)
        return time.monotonic() - t0

    def test_write_on_a_is_read_on_b(self):
        a, b = self.a, self.b
        dn = a.user_dn("alice")
        r = a.modify(mod(dn, "add", "objectClass", "ssprAccount"), binddn=a.SSPR_DN,
                     password=a.SSPR_PW)
        self.assertEqual(r.rc, 0, r.text())
        r = a.modify(mod(dn, "replace", "ssprTotpLastStep", "5000"), binddn=a.SSPR_DN,
                     password=a.SSPR_PW)
        self.assertEqual(r.rc, 0, r.text())
        print("\nA -> B in %.3f s" % self.wait_value(b, dn, "ssprTotpLastStep", ["5000"]))

    def test_write_on_b_is_read_on_a(self):
        a, b = self.a, self.b
        dn = b.user_dn("bob")
        codes = ["%064x" % i for i in (1, 2, 3)]
        r = b.modify("dn: %s\nchangetype: modify\nadd: objectClass\nobjectClass: ssprAccount\n-\n"
                     "add: ssprRecoveryCode\n%s\n-\n" % (dn, "\n".join(
                         "ssprRecoveryCode: " + c for c in codes)),
                     binddn=b.SSPR_DN, password=b.SSPR_PW)
        self.assertEqual(r.rc, 0, r.text())
        self.wait_value(a, dn, "ssprRecoveryCode", codes)
        # a code used on B is gone on A, and A refuses it a second time
        r = b.modify(mod(dn, "delete", "ssprRecoveryCode", codes[0]), binddn=b.SSPR_DN,
                     password=b.SSPR_PW)
        self.assertEqual(r.rc, 0, r.text())
        print("\nB -> A in %.3f s" % self.wait_value(a, dn, "ssprRecoveryCode", codes[1:]))
        r = a.modify(mod(dn, "delete", "ssprRecoveryCode", codes[0]), binddn=a.SSPR_DN,
                     password=a.SSPR_PW)
        self.assertEqual(r.rc, 16, r.text())

    def test_password_changed_on_a_binds_on_b(self):
        a, b = self.a, self.b
        dn = a.user_dn("carol")
        old, new = a.password("carol"), "Carol-Replicated-Pass-8"
        r = a.passwd_exop(dn, new, binddn=a.SSPR_DN, password=a.SSPR_PW, authzid="dn:" + dn)
        self.assertEqual(r.rc, 0, r.text())
        # poll the change time as the rootdn (failed binds while polling would
        # count towards ppolicy's lockout on B), then bind once
        changed = a.search(dn, scope="base", attrs=["pwdChangedTime"])[0].get("pwdChangedTime")
        self.assertTrue(changed)
        t.wait_until("password change replicated to B",
                     lambda: b.search(dn, scope="base", attrs=["pwdChangedTime"])[0]
                     .get("pwdChangedTime") == changed,
                     timeout=REPL_TIMEOUT, proc=b.proc, log=b.log)
        self.assertTrue(b.bind_ok(dn, new))
        self.assertFalse(b.bind_ok(dn, old))


if __name__ == "__main__":
    t.main(needs=slapd.TOOLS, why="apt-get install slapd ldap-utils")
