"""SSSD against the test slapd (StartTLS, ldap_tls_reqcert = demand, the test
CA), and a real sshd signing a directory user in through pam_sss; after the
password is changed in the directory the way the backend will (Password
Modify as the user through proxied authorization), the new password works
through sshd + pam_sss and the old one does not. Then what sssd's offline
cache does with the old and the new password."""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import dirtest as t  # noqa: E402
import slapd  # noqa: E402
import sssd  # noqa: E402

try:
    import e2e  # noqa: E402  (needs pexpect)
except ImportError:
    e2e = None


class SssdLdap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = slapd.Slapd()
        cls.d.start()
        sssd.enable_sss_in_sandbox()
        t0 = time.monotonic()
        cls.s = sssd.Sssd(cls.d)
        print("\nsssd answered getent in %.2f s" % (time.monotonic() - t0))
        cls.sshd = e2e.Sshd()

    @classmethod
    def tearDownClass(cls):
        e2e.close_all()
        cls.sshd.stop()
        cls.s.stop()
        cls.d.stop()

    def change_password(self, uid, new):
        dn = self.d.user_dn(uid)
        r = self.d.passwd_exop(dn, new, binddn=self.d.SSPR_DN, password=self.d.SSPR_PW,
                               authzid="dn:" + dn)
        self.assertEqual(r.rc, 0, r.text())

    def ssh_ok(self, uid, password):
        out = e2e.ssh_runs(self.sshd, uid, password, command="id -un")
        self.assertIn(uid, out)

    def ssh_refused(self, uid, password):
        out = e2e.ssh_refused(self.sshd, uid, password)
        self.assertIn(e2e.SSH_DENIED, out)

    def test_getent_through_sss(self):
        line = self.s.getent("alice")
        self.assertEqual(line, "alice:*:10001:10000:Alice:/home/alice:/bin/bash")
        self.assertIsNone(self.s.getent("nosuchuser"))
        self.assertTrue(self.s.getent("sspr-users", "group").startswith("sspr-users:"))

    def test_sshd_pam_sss_after_directory_password_change(self):
        old = self.d.password("alice")
        self.ssh_ok("alice", old)
        new = "Alice-Via-Sshd-Pass-5"
        self.change_password("alice", new)
        self.ssh_ok("alice", new)
        self.ssh_refused("alice", old)
        # the directory left no pwdReset, so pam_sss's account stage is happy
        e = self.d.search(self.d.user_dn("alice"), scope="base", attrs=["pwdReset"])[0]
        self.assertIsNone(e.get("pwdReset"))

    def test_offline_cache_keeps_the_old_password_until_an_online_login(self):
        """Records sssd 2.8's offline behaviour (cache_credentials = true):
        the cached hash is that of the last ONLINE login."""
        uid = "bob"
        old = self.d.password(uid)
        self.ssh_ok(uid, old)                     # online: caches old's hash
        new = "Bob-Offline-Test-Pass-6"
        self.change_password(uid, new)
        try:
            self.d.stop()                         # the directory is gone
            self.s.offline()
            time.sleep(0.5)                       # let the signal reach sssd_be
            # offline: the OLD password still signs in from the cache, the new not yet
            self.ssh_ok(uid, old)
            self.ssh_refused(uid, new)
        finally:
            self.back_online()
        # back online: the new password works (and is now cached), the old one not
        self.ssh_ok(uid, new)
        self.ssh_refused(uid, old)
        try:
            self.d.stop()
            self.s.offline()
            time.sleep(0.5)
            self.ssh_ok(uid, new)
            self.ssh_refused(uid, old)
        finally:
            self.back_online()

    def back_online(self):
        """Directory up again, sssd told to go online, and a login that the
        cache cannot answer (carol never signs in otherwise; the directory
        does not know this password) proves it is (bounded)."""
        self.d.start()
        self.s.online()
        probe = "Probe-Online-Pass-%d" % time.monotonic_ns()
        self.change_password("carol", probe)
        t.wait_until("sssd online again", lambda: self._ssh_works("carol", probe), timeout=20)

    def _ssh_works(self, uid, password):
        try:
            e2e.ssh_runs(self.sshd, uid, password, command="id -un")
            return True
        except t.HarnessError:
            return False


if __name__ == "__main__":
    if e2e is None or e2e.pexpect is None:
        t.h.skip_exit("python3-pexpect not installed")
    t.main(needs=slapd.TOOLS + sssd.TOOLS + ("/usr/sbin/sshd", "/usr/bin/ssh"),
           why="apt-get install slapd ldap-utils sssd-ldap libnss-sss libpam-sss "
               "openssh-server")
