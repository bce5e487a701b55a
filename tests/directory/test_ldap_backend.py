#!/usr/bin/python3
"""The LDAP backend against a real slapd (issue 11): two machines (two helper
configurations and state directories, two PAM services) share one
directory. Enroll on A, reset on B; a code spent on one is refused on the
other; failures on both add up to one lockout; 16 wrong answers at once
from both add exactly 16; the password lands in the directory through the
user's own policy; hostile names match nothing; local accounts and root
are never reset; a directory that is down, hangs or has a bad certificate
ends the reset within the timeout with its code, and a normal login never
opens a connection."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dirtest as t  # noqa: E402
import ldap_fleet as fleet  # noqa: E402
import slapd  # noqa: E402

h = t.h
E112 = ("Password reset is not available right now (SSPR-E112). "
        "Your administrator can look this code up.")
HISTORY = "That password was used before. Choose one you have not used."
LOCKED_OUT = "Your account is locked after too many failed sign-in attempts."
ASK_UNLOCK = "Unlock it and keep your current password? [Y/n] "


class LdapBackend(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d = slapd.Slapd()
        cls.d.start()
        cls.uid = 20000

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def setUp(self):
        super().setUp()
        self.a = fleet.Machine("a", self.d)
        self.b = fleet.Machine("b", self.d)

    def new_user(self, tag, **kw):
        """A directory user (not in /etc/passwd), its password."""
        LdapBackend.uid += 1
        name = "%s%d" % (tag, LdapBackend.uid)
        pw = h.strong_password()
        self.d.add_user(name, pw, LdapBackend.uid, mail=kw.get("mail"), mobile=kw.get("mobile"))
        return name, pw

    # -- one directory, two machines ---------------------------------------------------
    def test_enroll_on_a_reset_on_b(self):
        user, old = self.new_user("fa")
        secret = self.a.enroll_totp(user)
        new = h.strong_password()
        self.b.full_reset(user, h.fresh_totp(secret), new)
        dn = self.d.user_dn(user)
        self.assertTrue(self.d.bind_ok(dn, new), "the new password does not bind")
        self.assertFalse(self.d.bind_ok(dn, old), "the old password still binds")
        # written as the user: no "must change" flag, and nothing on either machine
        e = self.d.search(dn, attrs=["pwdReset", "ssprResetGrant"], scope="base")[0]
        self.assertIsNone(e.first("pwdReset"), "an administrator's reset (pwdReset) was left")
        self.assertIsNone(e.first("ssprResetGrant"), "the grant was not spent")
        self.assertIsNone(h.shadow_entry(user))

    def test_code_used_on_a_is_refused_on_b(self):
        user, _ = self.new_user("fb")
        secret = self.a.enroll_totp(user)
        h.wait_step_margin(8)
        code = h.totp_now(secret)
        s = self.a.start_reset(user)
        s.answer(code)
        s.expect("ECHO_OFF", h.NEW_PW)
        s.answer("!CONV_ERR")
        s.until_result()
        s = self.b.start_reset(user)
        s.answer(code)
        s.expect("ERROR", h.BAD_CODE)
        s.close(kill=True)
        # a recovery code likewise
        codes = self.b.enroll_recovery(user)
        self.a.full_reset(user, codes[0], h.strong_password())
        s = self.b.start_reset(user)
        s.answer(codes[0])
        s.expect("ERROR", h.BAD_CODE)
        s.close(kill=True)

    def test_failures_on_a_and_b_add_up_to_one_lockout(self):
        three = "max_failures = 3\nfailure_delay = 0\n"
        self.a.write(self.d, three)
        self.b.write(self.d, three)
        user, _ = self.new_user("fc")
        secret = self.a.enroll_totp(user)
        wrong = h.wrong_code(secret)
        for m in (self.a, self.b, self.a):
            s = m.start_reset(user)
            s.answer(wrong)
            s.read()
            s.close(kill=True)
        self.assertEqual(fleet.failures(self.d, user), 3)
        s = self.b.start_reset(user)
        s.answer(h.fresh_totp(secret))
        s.expect("ERROR", h.LOCKED)
        s.close(kill=True)
        self.assertIn("lock", self.a.helper("show", user).stdout.lower())
        self.b.helper("unlock", user)
        self.assertEqual(fleet.failures(self.d, user), 0)
        self.a.full_reset(user, h.fresh_totp(secret), h.strong_password())

    def test_sixteen_parallel_wrong_answers_from_two_machines(self):
        many = "max_failures = 20\nmax_failures_per_method = 20\nfailure_delay = 0\n"
        self.a.write(self.d, many)
        self.b.write(self.d, many)
        user, _ = self.new_user("fd")
        secret = self.a.enroll_totp(user)
        wrong = h.wrong_code(secret)
        sessions = [(self.a if i % 2 else self.b).start_reset(user) for i in range(16)]
        seen = fleet.answer_at_once(sessions, wrong)
        self.assertEqual(seen.count(("ERROR", h.BAD_CODE)), 16, seen)
        self.assertEqual(fleet.failures(self.d, user), 16, fleet.throttle_text(self.d, user))

    # -- the directory's policy ----------------------------------------------------------
    def test_directory_policy_refusal_is_relayed(self):
        user, old = self.new_user("fe")
        secret = self.a.enroll_totp(user)
        s = self.a.start_reset(user)
        s.answer(h.fresh_totp(secret))
        h.set_new_password(s, old)  # ppolicy: "not being changed from existing value"
        s.expect("ERROR", HISTORY)
        new = h.strong_password()
        h.set_new_password(s, new)
        s.expect("INFO", h.DONE)
        s.result()
        self.assertTrue(self.d.bind_ok(self.d.user_dn(user), new))

    def test_unlock_on_reset_lifts_the_bind_lockout(self):
        user, old = self.new_user("ff")
        dn = self.d.user_dn(user)
        secret = self.a.enroll_totp(user)
        for _ in range(3):  # pwdMaxFailure 3
            self.assertFalse(self.d.bind_ok(dn, "wrong-" + old))
        locked = self.d.search(dn, attrs=["pwdAccountLockedTime"], scope="base")[0]
        self.assertIsNotNone(locked.first("pwdAccountLockedTime"))
        new = h.strong_password()
        # off (the default): the password changes, the lockout stays
        self.a.full_reset(user, h.fresh_totp(secret), new)
        self.assertFalse(self.d.bind_ok(dn, new), "locked, yet the bind worked")
        # on: after the gates, unlock and keep the password (self-service unlock)...
        self.a.write(self.d, extra="", unlock_on_reset="yes")
        s = self.a.start_reset(user)
        s.answer(h.fresh_totp(secret))
        s.expect("INFO", LOCKED_OUT)
        s.expect("ECHO_ON", ASK_UNLOCK)
        s.answer("y")
        s.expect("INFO", "Your account has been unlocked. Sign in again with your password.")
        self.assertNeverSuccess(s.result(), s)
        self.assertTrue(self.d.bind_ok(dn, new), "the unlock did not lift the lockout")
        # ...or a new password, which lifts it too
        for _ in range(3):
            self.assertFalse(self.d.bind_ok(dn, "wrong-" + old))
        newer = h.strong_password()
        s = self.a.start_reset(user)
        s.answer(h.fresh_totp(secret))
        s.expect("INFO", LOCKED_OUT)
        s.expect("ECHO_ON", ASK_UNLOCK)
        s.answer("n")
        h.set_new_password(s, newer)
        s.expect("INFO", h.DONE)
        s.result()
        self.assertTrue(self.d.bind_ok(dn, newer), "unlock_on_reset did not lift the lockout")

    def test_admin_lock_in_the_directory_is_never_reset(self):
        user, _ = self.new_user("fg")
        dn = self.d.user_dn(user)
        secret = self.a.enroll_totp(user)
        r = self.d.modify("dn: %s\nchangetype: modify\nadd: pwdAccountLockedTime\n"
                          "pwdAccountLockedTime: 000001010000Z\n" % dn)
        self.assertEqual(r.rc, 0, r.text())
        s = self.a.start_reset(user)
        s.answer(h.fresh_totp(secret))
        k, text = s.read()
        self.assertNotEqual((k, text), ("ECHO_OFF", h.NEW_PW), s.format_transcript())
        s.close(kill=True)
        self.assertIn("SSPR-E205", self.a.helper("doctor", user, check=False).stdout)

    # -- the admin toolbox against the directory --------------------------------------
    def test_admin_toolbox(self):
        user, _ = self.new_user("ft", mail="ft@example.test")
        self.a.enroll_totp(user)
        codes = self.a.enroll_recovery(user)
        self.assertEqual(len(codes), 10)
        out = self.b.helper("show", user).stdout
        self.assertIn("totp: enrolled", out)
        self.assertIn("recovery: 10", out)
        self.assertIn("ft@example.test", out)  # from the directory, no enrollment
        # the directory's addresses are the directory's (contacts = readonly)
        p = self.a.helper("enroll", user, "--email", "other@example.test", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("directory", p.stdout + p.stderr)
        e = self.d.search(self.d.user_dn(user), attrs=["mail"], scope="base")[0]
        self.assertEqual(e.get("mail"), ["ft@example.test"])
        self.a.helper("unenroll", user, "recovery")
        self.assertNotIn("ssprRecoveryCode", str(self.d.search(
            self.d.user_dn(user), attrs=["ssprRecoveryCode"], scope="base")[0].get(
                "ssprRecoveryCode")))
        out = self.b.helper("show", user).stdout
        self.assertIn("recovery: not enrolled", out)
        # import of contacts: the directory's own addresses stay, and it says so
        h.write_file("/tmp/people.csv", "user,email,phone\n%s,x@example.test,\n" % user)
        p = self.a.helper("import", "/tmp/people.csv", check=False)
        self.assertIn("kept (the directory holds it", p.stdout)
        e = self.d.search(self.d.user_dn(user), attrs=["mail"], scope="base")[0]
        self.assertEqual(e.get("mail"), ["ft@example.test"])
        self.a.helper("unenroll", user, "all")
        self.assertEqual(self.d.search(self.d.user_dn(user), attrs=list(slapd.SSPR_ATTRS[:6]),
                                       scope="base")[0].attrs, {})

    # -- who is never reset here ---------------------------------------------------------
    def test_local_accounts_and_root_are_refused(self):
        h.add_user("fhlocal", h.strong_password())
        out = self.a.helper("doctor", "fhlocal", check=False).stdout
        self.assertIn("SSPR-E213", out)
        p = self.a.helper("enroll", "root", "--totp", check=False)
        self.assertNotEqual(p.returncode, 0)

    def test_hostile_names_match_no_entry(self):
        user, _ = self.new_user("fi")
        self.a.enroll_totp(user)
        for name in ("*", "%s*" % user[:3], ")(uid=*", "*)(uid=*", user + ")(uid=*",
                     "\\2a", user.upper(), user + ",ou=people"):
            p = self.a.helper("show", name, check=False)
            self.assertNotIn("totp: enrolled", p.stdout, "%r matched an entry" % name)

    def test_user_cannot_read_own_secret(self):
        user, pw = self.new_user("fj")
        self.a.enroll_totp(user)
        dn = self.d.user_dn(user)
        own = self.d.search(dn, attrs=list(slapd.SSPR_ATTRS), scope="base", binddn=dn,
                            password=pw)
        self.assertEqual([a for a in slapd.SSPR_ATTRS if own and own[0].get(a)], [])
        svc = self.d.search(dn, attrs=["ssprTotpSecret"], scope="base", binddn=self.d.SSPR_DN,
                            password=self.d.SSPR_PW)
        self.assertTrue(svc[0].bytes("ssprTotpSecret"), "the service account reads no secret")

    # -- a directory that is not there ---------------------------------------------------
    def assert_unavailable_in_time(self, **ldap):
        user, _ = self.new_user("fk")
        self.a.write(self.d)
        self.a.enroll_totp(user)
        self.a.write(self.d, **ldap)
        started = time.monotonic()
        s = self.a.session(user)
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("")
        s.expect("ECHO_ON", h.OFFER)
        s.answer("y")
        s.expect("ERROR", E112)
        self.assertNeverSuccess(s.result(), s)
        took = time.monotonic() - started
        self.assertLess(took, 3 + 2.5, "took %.1f s with timeout = 3" % took)
        self.assertIn("SSPR-E112", self.a.helper("doctor", check=False).stdout)

    def test_directory_down(self):
        self.assert_unavailable_in_time(uri="ldap://127.0.0.1:%d" % t.free_port())

    def test_directory_that_never_answers(self):
        with socket.socket() as ls:
            ls.bind(("127.0.0.1", 0))
            ls.listen(16)  # accepts (the kernel does) but never says a word
            self.assert_unavailable_in_time(uri="ldap://127.0.0.1:%d" % ls.getsockname()[1])
        with socket.socket() as ls:
            ls.bind(("127.0.0.1", 0))
            ls.listen(16)
            self.assert_unavailable_in_time(uri="ldaps://127.0.0.1:%d" % ls.getsockname()[1])

    def test_bad_certificate(self):
        other = t.TestCA(t.scratch("other-ca"))
        self.assert_unavailable_in_time(ca_file=other.ca_file)

    def test_account_line_remembers_a_registered_user(self):
        """The registration line runs at every sign-in; once a directory user
        is found registered, this host remembers it for a day and the next
        sign-ins start no sspr-ldap and open no connection."""
        user, _ = self.new_user("fm")
        self.a.enroll_totp(user)
        self.a.enroll_recovery(user)
        # pam_permit stands in for pam_sss here (tests/directory/test_ldap_sssd.py has the real one)
        h.write_file("/etc/pam.d/" + self.a.service,
                     "auth required pam_permit.so\naccount required pam_permit.so\n"
                     "account [success=ok perm_denied=die default=ignore] pam_sspr.so "
                     "register_services=%s config=%s\n" % (self.a.service, self.a.conf))
        traces = []
        for _ in range(2):
            p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,execve", "-o",
                                "/tmp/strace.out", h.pamdrive_path(), self.a.service, user,
                                "--op", "auth,acct"], input="", text=True, capture_output=True,
                               timeout=30)
            self.assertIn("PAM_SUCCESS", p.stdout, p.stdout + p.stderr)
            with open("/tmp/strace.out") as f:
                traces.append(f.read())
        self.assertIn("sspr-ldap", traces[0], "the first sign-in did not ask the directory")
        self.assertNotIn("sspr-ldap", traces[1], "a remembered user still asked the directory")
        self.assertNotIn("sin_port=htons(%d)" % self.d.port, traces[1])

    def test_normal_login_opens_no_connection(self):
        h.add_user("fllocal", "Local-Pass-1234567")
        for pw in ("Local-Pass-1234567", "wrong-password"):
            p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,execve", "-o",
                                "/tmp/strace.out", h.pamdrive_path(), self.a.service,
                                "fllocal"], input=pw + "\n", text=True,
                               capture_output=True, timeout=30)
            with open("/tmp/strace.out") as f:
                trace = f.read()
            self.assertNotIn("sspr-helper", trace, p.stdout)
            self.assertNotIn("sspr-ldap", trace)
            self.assertNotIn("sin_port=htons(%d)" % self.d.port, trace)


if __name__ == "__main__":
    t.main(needs=slapd.TOOLS + ("strace",), why="slapd, ldap-utils, strace")
