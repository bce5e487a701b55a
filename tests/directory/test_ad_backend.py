#!/usr/bin/python3
"""The Active Directory dialect of the LDAP backend (issue 12) against a real
Samba AD DC provisioned in this file's sandbox (tests/directory/samba.py):
AD users reset through the email gate (mail from the directory, a real SMTP
sink) and the TOTP gate (secret in the schema extension); the password lands
as unicodePwd over LDAPS, Kerberos and LDAP see the new one and Kerberos
refuses the old one (LDAP too with old password allowed period = 0); a
domain lockout is lifted only with unlock_on_reset; disabled and protected
(adminCount = 1) accounts are refused; Domain Admins members need two
gates; the domain's refusal is relayed in plain words; doctor; and a user
known only through SSSD (id_provider = ldap, auth_provider = krb5) resets at
a real sshd and signs in through pam_sss with the new password."""
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import dirtest as t  # noqa: E402
import samba  # noqa: E402
import sssd  # noqa: E402

try:
    import e2e  # noqa: E402  (needs pexpect)
except ImportError:
    e2e = None

h = t.h
BIND_PW_FILE = "/etc/sspr/ad-bind"
MENU = h.menu_text(h.OPT_CODE, h.OPT_EMAIL)
DOMAIN_RULES = ("That password does not meet the domain's length, complexity or history "
                "rules. Choose another one.")
TIMINGS = {}


SCHEMA_LDIF = os.path.join(t.SRCDIR, "conf", "ldap", "sspr-ad.ldif")


def install_shipped_schema(dc):
    """conf/ldap/sspr-ad.ldif into the running DC as the docs say (ldapmodify
    as Administrator over LDAPS: every record its own operation, so the
    schemaUpdateNow records take effect in between), then the service
    account's read/write/control-access ACE per attribute (samba-tool dsacl)."""
    with open(SCHEMA_LDIF) as f:
        text = re.sub(r"DC=X$", dc.BASE, f.read(), flags=re.M)
    r = dc.modify(text)
    if r.rc != 0:
        raise t.HarnessError("the shipped schema did not load\n" + r.text())
    for ace in samba.svc_aces(dc.svc_sid)[3:]:
        dc.tool_run("dsacl", "set", "--objectdn=" + dc.OU, "--sddl=" + ace,
                    "-H", "ldap://127.0.0.1", "-U", "Administrator%" + dc.ADMIN_PW)


class AdBackend(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t0 = time.monotonic()
        # the schema extension from the shipped file, as docs/active-directory.md
        # tells an admin, and the rights on its attributes with samba-tool dsacl
        cls.dc = samba.SambaDC(sspr_schema=False)
        cls.dc.start()
        install_shipped_schema(cls.dc)
        TIMINGS["dc"] = time.monotonic() - t0
        print("\nsamba DC ready in %.1f s" % TIMINGS["dc"])
        cls.seq = 0

    @classmethod
    def tearDownClass(cls):
        cls.dc.stop()
        for k, v in sorted(TIMINGS.items()):
            print("timing %s: %.3f s" % (k, v))

    def setUp(self):
        super().setUp()
        self.sink = h.start_smtp_sink()
        h.write_file(BIND_PW_FILE, "password = %s\n" % self.dc.SVC_PW, mode=0o600)
        self.conf()

    def conf(self, **ldap):
        keys = {"uri": self.dc.ldaps_uri, "base": self.dc.OU, "bind_dn": self.dc.SVC_DN,
                "bind_pw_file": BIND_PW_FILE, "ca_file": self.dc.ca_file, "timeout": 5}
        keys.update(ldap)
        h.write_config(h.make_config(
            general={"backend": "ldap", "state_dir": h.STATE_DIR},
            policy={"admin_groups": "Domain_Admins"},
            email=h.email_section(self.sink.url),
            throttle={"max_failures": 10, "max_failures_per_method": 10,
                      "max_sends_per_hour": 20},
            ldap=keys))

    # -- helpers ---------------------------------------------------------------------
    def new_user(self, tag, mail=True, ou="default", **kw):
        AdBackend.seq += 1
        name = "%s%d" % (tag, AdBackend.seq)
        pw = "Old-Pass-%d-%s!a" % (AdBackend.seq, os.urandom(3).hex())
        dn = self.dc.create_user(name, pw, ou=ou, mail=(name + "@samdom.test") if mail else None,
                                 **kw)
        return name, dn, pw

    def admin_modify(self, dn, *changes):
        ldif = "dn: %s\nchangetype: modify\n" % dn + "".join(
            "%s: %s\n%s: %s\n-\n" % (op, attr, attr, val) for op, attr, val in changes)
        r = self.dc.modify(ldif)
        self.assertEqual(r.rc, 0, r.text())

    def attr(self, dn, name):
        e = self.dc.search(dn, scope="base", attrs=[name])
        return e[0].first(name) if e else None

    def helper(self, *args, check=True):
        return h.run([h.HELPER] + list(args), check=check)

    def enroll_totp(self, user):
        p = self.helper("enroll", user, "--totp")
        m = re.search(r"otpauth://totp/\S*?[?&]secret=([A-Za-z2-7]+=*)", p.stdout)
        self.assertTrue(m, p.stdout + p.stderr)
        return m.group(1).upper().rstrip("=")

    def lock_out(self, dn):
        for _ in range(3):  # the DC's lockout threshold
            self.assertFalse(self.dc.bind_ok(dn, "Wrong-Pass-0!z"))
        self.assertGreater(int(self.attr(dn, "lockoutTime") or 0), 0)

    def reset_totp(self, user, secret, new, timing=None):
        s = h.start_menu(user, MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        h.set_new_password(s, new)
        t0 = time.monotonic()
        s.expect("INFO", h.DONE)
        if timing:
            TIMINGS[timing] = time.monotonic() - t0
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        return s

    def assert_refused_before_new_password(self, user, secret):
        s = h.start_menu(user, MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        k, text = s.read()
        self.assertNotEqual((k, text), ("ECHO_OFF", h.NEW_PW), s.format_transcript())
        s.close(kill=True)

    def assert_new_password_only(self, user, dn, old, new):
        self.assertEqual(self.dc.kinit(user, new), 0, self.dc.last_kinit.stderr)
        self.assertNotEqual(self.dc.kinit(user, old), 0, "kinit with the old password worked")
        self.assertIn("Password incorrect", self.dc.last_kinit.stderr)
        self.assertTrue(self.dc.bind_ok(dn, new), "LDAP bind with the new password failed")

    # -- the two gates -------------------------------------------------------------------
    def test_email_gate_reset_writes_the_domain_password(self):
        user, dn, old = self.new_user("em")
        before = len(self.sink.mails())
        t0 = time.monotonic()
        s = h.start_menu(user, MENU)
        s.answer("2")
        s.expect("INFO", h.email_sent(10))
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        mail = self.sink.wait_mails(before + 1)[-1]
        self.assertEqual(mail.rcpts, [user + "@samdom.test"], "code sent to the wrong address")
        s.answer(mail.code(8))
        new = h.strong_password()
        h.set_new_password(s, new)
        t1 = time.monotonic()
        s.expect("INFO", h.DONE)
        TIMINGS["commit (unicodePwd + pwdLastSet, email flow)"] = time.monotonic() - t1
        self.assertEqual(s.result(), "PAM_AUTH_ERR")
        TIMINGS["whole email reset incl. typing"] = time.monotonic() - t0
        self.assert_new_password_only(user, dn, old, new)
        # pwdLastSet = -1: set to now, not "must change" (0)
        self.assertGreater(int(self.attr(dn, "pwdLastSet")), 0)
        self.assertIsNone(self.attr(dn, "ssprResetGrant"), "the grant was not spent")
        # nothing about a directory user lands in local files
        self.assertIsNone(h.shadow_entry(user))

    def test_totp_gate_reset_with_a_non_ascii_password(self):
        user, dn, old = self.new_user("tp", mail=False)
        secret = self.enroll_totp(user)
        e = self.dc.search(dn, scope="base", attrs=["ssprTotpSecret", "ssprMethod",
                                                    "ssprRegistered"], binddn=self.dc.SVC_DN,
                           password=self.dc.SVC_PW)[0]
        self.assertTrue(e.bytes("ssprTotpSecret"), "no secret in the schema extension")
        self.assertTrue(any(v.startswith("totp ") for v in e.get("ssprMethod")))
        new = "Grüße-Straße-€-%s-Ωx" % os.urandom(3).hex()  # UTF-8 -> UTF-16LE in the helper
        self.reset_totp(user, secret, new, timing="commit (unicodePwd + pwdLastSet, totp flow)")
        self.assert_new_password_only(user, dn, old, new)
        # the default window: the old password still binds over LDAP (AD's doing)
        self.assertTrue(self.dc.bind_ok(dn, old), "default period: the old LDAP bind was refused")
        # a TOTP code is spent once, also for the domain
        show = self.helper("show", user).stdout
        self.assertIn("totp", show)

    def test_old_password_period_zero_refuses_the_old_ldap_bind(self):
        user, dn, old = self.new_user("op", mail=False)
        secret = self.enroll_totp(user)
        try:
            t0 = time.monotonic()
            self.dc.restart(old_password_period=0)
            TIMINGS["dc restart"] = time.monotonic() - t0
            new = h.strong_password()
            self.reset_totp(user, secret, new)
            self.assertFalse(self.dc.bind_ok(dn, old), "period 0: the old password bound")
            self.assertTrue(self.dc.bind_ok(dn, new))
            self.assertNotEqual(self.dc.kinit(user, old), 0)
        finally:
            self.dc.restart(old_password_period=None)

    # -- lockout, disabled, protected ------------------------------------------------------
    def test_lockout_lifted_only_with_unlock_on_reset(self):
        user, dn, old = self.new_user("lk", mail=False)
        secret = self.enroll_totp(user)
        self.lock_out(dn)
        # locked by bad passwords: still eligible; off (the default) keeps the lock
        new = h.strong_password()
        self.reset_totp(user, secret, new)
        self.assertGreater(int(self.attr(dn, "lockoutTime")), 0, "the reset lifted the lockout")
        self.assertFalse(self.dc.bind_ok(dn, new), "locked, yet the new password bound")
        self.conf(unlock_on_reset="yes")
        newer = h.strong_password()
        self.reset_totp(user, secret, newer)
        self.assertEqual(self.attr(dn, "lockoutTime"), "0")
        self.assertTrue(self.dc.bind_ok(dn, newer), "unlock_on_reset did not unlock")
        self.assertEqual(self.dc.kinit(user, newer), 0)

    def test_disabled_account_is_refused(self):
        user, dn, old = self.new_user("ds", mail=False)
        secret = self.enroll_totp(user)
        self.dc.tool_run("user", "disable", user, "-H", "ldap://127.0.0.1",
                         "-U", "Administrator%" + self.dc.ADMIN_PW)
        self.assertTrue(int(self.attr(dn, "userAccountControl")) & 2)
        self.assert_refused_before_new_password(user, secret)
        self.assertIn("SSPR-E205", self.helper("doctor", user, check=False).stdout)
        self.assertIsNone(self.attr(dn, "ssprResetGrant"))

    def test_protected_account_is_refused(self):
        user, dn, old = self.new_user("pr", mail=False)
        secret = self.enroll_totp(user)
        self.admin_modify(dn, ("replace", "adminCount", "1"))
        self.assert_refused_before_new_password(user, secret)
        out = self.helper("doctor", user, check=False).stdout
        self.assertIn("SSPR-E214", out)
        self.assertEqual(self.dc.kinit(user, old), 0, "the protected account's password changed")
        # and the service account's direct rights DO reach it (the hazard)
        self.assertEqual(self.dc.modify(self.dc.reset_ldif(dn, "Direct-Reset-7!q"),
                                        binddn=self.dc.SVC_DN, password=self.dc.SVC_PW).rc, 0)

    def test_domain_admin_needs_two_gates(self):
        user, dn, old = self.new_user("da", mail=True)
        self.dc.tool_run("group", "addmembers", "Domain Admins", user, "-H", "ldap://127.0.0.1",
                         "-U", "Administrator%" + self.dc.ADMIN_PW)
        self.assertIsNone(self.attr(dn, "adminCount"), "Samba stamped adminCount after all")
        secret = self.enroll_totp(user)
        codes = [c.strip() for c in self.helper("enroll", user, "--recovery-codes")
                 .stdout.splitlines() if c.strip()]
        self.assertIn("administrator", self.helper("doctor", user, check=False).stdout)
        s = h.start_menu(user, MENU)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(h.fresh_totp(secret))
        # one gate is not enough for a Domain Admins member: the menu again
        k, text = s.read()
        self.assertNotEqual((k, text), ("ECHO_OFF", h.NEW_PW), s.format_transcript())
        while k != "ECHO_ON":
            k, text = s.read()
        self.assertEqual(text, h.CHOICE)
        s.answer("1")
        s.expect("ECHO_OFF", h.CODE_PROMPT)
        s.answer(codes[0])
        new = h.strong_password()
        h.finish_reset(s, new)
        self.assert_new_password_only(user, dn, old, new)

    def test_plain_user_finishes_with_one_gate_and_upn_resolves(self):
        user, dn, old = self.new_user("up", mail=False)
        secret = self.enroll_totp(user)
        out = self.helper("show", user + "@samdom.test").stdout
        self.assertIn("totp", out)
        self.assertIn("regular user", self.helper("doctor", user, check=False).stdout)
        new = h.strong_password()
        self.reset_totp(user, secret, new)
        self.assertEqual(self.dc.kinit(user, new), 0)

    # -- the domain's own rules ------------------------------------------------------------
    def test_domain_refusal_is_relayed_and_the_grant_kept(self):
        user, dn, old = self.new_user("rf", mail=False)
        secret = self.enroll_totp(user)
        self.dc.tool_run("domain", "passwordsettings", "set", "--min-pwd-length=14")
        try:
            s = h.start_menu(user, MENU)
            s.answer("1")
            s.expect("ECHO_OFF", h.CODE_PROMPT)
            s.answer(h.fresh_totp(secret))
            h.set_new_password(s, h.strong_password()[:12])  # ours: 12 is fine; the domain: 14
            s.expect("ERROR", DOMAIN_RULES)
            long_pw = h.strong_password()
            h.set_new_password(s, long_pw)
            s.expect("INFO", h.DONE)
            s.result()
        finally:
            self.dc.tool_run("domain", "passwordsettings", "set", "--min-pwd-length=7")
        self.assertEqual(self.dc.kinit(user, long_pw), 0)

    # -- what the service account cannot do -------------------------------------------------
    def test_service_account_stays_in_its_ou(self):
        svc = {"binddn": self.dc.SVC_DN, "password": self.dc.SVC_PW}
        r = self.dc.modify("dn: CN=Domain Admins,CN=Users,%s\nchangetype: modify\nadd: member\n"
                           "member: %s\n-\n" % (self.dc.BASE, self.dc.SVC_DN), **svc)
        self.assertEqual(r.rc, 50, r.text())
        user, dn, old = self.new_user("out", mail=True, ou=None)  # CN=Users
        self.assertEqual(self.dc.modify(self.dc.reset_ldif(dn, "Outside-Ou-4!d"), **svc).rc, 50)
        # and the helper does not know it at all (base is the OU)
        p = self.helper("enroll", user, "--totp", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.dc.kinit(user, old), 0)

    # -- configuration and doctor -------------------------------------------------------------
    def test_shipped_schema_matches_the_test_recipe(self):
        """conf/ldap/sspr-ad.ldif defines exactly samba.py's attributes (names,
        syntaxes, single-valued, GUIDs the dsacl ACEs name), all confidential."""
        import base64
        import uuid
        with open(SCHEMA_LDIF) as f:
            text = f.read()
        for name, syntax, om, single, guid in samba.AD_ATTRS:
            block = re.search(r"^dn: CN=%s,.*?\n\n" % name, text, re.M | re.S)
            self.assertTrue(block, name)
            b = block.group(0)
            self.assertIn("attributeSyntax: %s\n" % syntax, b)
            self.assertIn("oMSyntax: %d\n" % om, b)
            self.assertIn("isSingleValued: %s\n" % ("TRUE" if single else "FALSE"), b)
            self.assertIn("searchFlags: 128\n", b)
            self.assertIn(base64.b64encode(uuid.UUID(guid).bytes_le).decode(), b)
            self.assertIn("mayContain: %s\n" % name, text)
        self.assertIn("auxiliaryClass: ssprAccount", text)

    def test_dialect_ad_without_tls_is_refused(self):
        self.conf(dialect="ad", uri="ldap://127.0.0.1", starttls="off")
        p = self.helper("doctor", check=False)
        self.assertIn("SSPR-E101", p.stdout + p.stderr)
        self.assertIn("dialect = ad needs TLS", p.stdout + p.stderr)
        # auto on a clear-text loopback connection: Samba itself refuses the simple
        # bind ("ldap server require strong auth" defaults to yes), so the reset ends
        # before any gate (the helper's own TLS check in ad.c is for DCs that allow it)
        self.conf(uri="ldap://127.0.0.1", starttls="off")
        p = self.helper("doctor", check=False)
        self.assertIn("Transport encryption required", p.stdout)
        user, dn, old = self.new_user("nt", mail=False)
        s = h.Session(user)
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("")
        s.expect("ECHO_ON", h.OFFER)
        s.answer("y")
        k, text = s.read()
        self.assertEqual(k, "ERROR", s.format_transcript())
        self.assertIn("SSPR-E113", text)
        s.close(kill=True)

    def test_doctor(self):
        user, dn, old = self.new_user("dr", mail=False)
        self.dc.tool_run("group", "addmembers", "Domain Admins", user, "-H", "ldap://127.0.0.1",
                         "-U", "Administrator%" + self.dc.ADMIN_PW)
        for dialect in ("auto", "ad"):
            self.conf(dialect=dialect)
            out = self.helper("doctor", check=False).stdout
            self.assertIn("Active Directory", out)
            self.assertIn("TLS with the certificate verified", out)
            self.assertIn("not a protected account", out)
            self.assertIn("writes pwdLastSet, lockoutTime and the sspr attributes", out)
            self.assertIn("the sspr attributes are there and confidential", out)
            self.assertIn("old password allowed period", out)
            self.assertIn("holds members of CN=Domain Admins", out)
        # a service account without the rights: doctor says which
        h.write_file(BIND_PW_FILE, "password = %s\n" % self.dc.ADMIN_PW, mode=0o600)
        self.conf(bind_dn=self.dc.ADMIN_DN)
        out = self.helper("doctor", check=False).stdout
        self.assertIn("is a protected (administrative) account", out)


class AdSssd(unittest.TestCase):
    """A user known only through SSSD (id_provider = ldap with the AD schema
    and ID mapping, auth_provider = krb5) resets at a real sshd, then signs in
    through pam_sss with the new password; the old one is refused."""

    @classmethod
    def setUpClass(cls):
        h.require_sandbox()
        if t.sanitizer_build():
            raise unittest.SkipTest("sanitizer build: sshd would need the ASan runtime "
                                    "preloaded, which sssd and samba must not get; the plain "
                                    "build runs this class")
        cls.dc = samba.SambaDC()
        cls.dc.start()
        h.setup_system()
        sssd.enable_sss_in_sandbox()
        e2e.install_stack()
        with open(cls.dc.krb5_conf) as f:
            h.write_file("/etc/krb5.conf", f.read())
        h.write_file(BIND_PW_FILE, "password = %s\n" % cls.dc.SVC_PW, mode=0o600)
        h.write_config(h.make_config(
            general={"backend": "ldap", "state_dir": h.STATE_DIR},
            ldap={"uri": cls.dc.ldaps_uri, "base": cls.dc.OU, "bind_dn": cls.dc.SVC_DN,
                  "bind_pw_file": BIND_PW_FILE, "ca_file": cls.dc.ca_file, "timeout": 5}))
        cls.user = "sshad"
        cls.old = "Old-Sssd-Pass-1!a"
        cls.dn = cls.dc.create_user(cls.user, cls.old)
        t0 = time.monotonic()
        cls.sssd = AdSssdDaemon(cls.dc, cls.user)
        print("\nsssd answered getent for an AD user in %.2f s" % (time.monotonic() - t0))
        cls.sshd = e2e.Sshd()

    @classmethod
    def tearDownClass(cls):
        e2e.close_all()
        cls.sshd.stop()
        cls.sssd.stop()
        cls.dc.stop()

    def test_reset_at_sshd_then_pam_sss_sign_in(self):
        user = self.user
        line = self.sssd.getent(user)
        self.assertTrue(line.startswith(user + ":"), line)
        self.assertIsNone(h.shadow_entry(user))
        e2e.ssh_runs(self.sshd, user, self.old)          # pam_sss, Kerberos
        p = h.run([h.HELPER, "enroll", user, "--totp"])
        secret = re.search(r"secret=([A-Za-z2-7]+)", p.stdout).group(1).upper()
        new = "New-Sssd-Pass-%s-2!b" % os.urandom(3).hex()
        term = e2e.ssh(self.sshd, user, "id -un")
        P = e2e.ssh_prompt
        term.expect(P(user, h.PASSWORD_PROMPT))
        term.send("")
        term.expect(P(user, h.OFFER))
        term.send("y")
        term.expect(P(user, h.INTRO))
        term.expect(h.CODE_PROMPT)
        term.send(h.fresh_totp(secret))
        term.expect(P(user, h.NEW_PW))
        term.send(new)
        term.expect(P(user, h.RETYPE_PW))
        term.send(new)
        term.expect(h.DONE)
        term.expect_eof()
        self.assertEqual(self.dc.kinit(user, new), 0)
        out = e2e.ssh_runs(self.sshd, user, new, command="id -un")
        self.assertIn(user, out)
        self.assertIn("Accepted keyboard-interactive/pam for %s" % user, self.sshd.log())
        e2e.ssh_refused(self.sshd, user, self.old)


class AdSssdDaemon(sssd.SssdDaemon):
    """sssd -i for the DC: the AD schema over LDAPS, IDs mapped from SIDs,
    passwords checked by the KDC (so the old-password window of LDAP binds
    plays no part)."""

    def __init__(self, dc, probe_user):
        super().__init__([
            "[sssd]", "services = nss, pam", "domains = samdom.test", "",
            "[nss]", "", "[pam]", "offline_credentials_expiration = 0", "",
            "[domain/samdom.test]",
            "id_provider = ldap", "auth_provider = krb5", "chpass_provider = none",
            "access_provider = permit",
            "ldap_schema = ad", "ldap_id_mapping = true", "ldap_referrals = false",
            "ldap_uri = " + dc.ldaps_uri, "ldap_search_base = " + dc.BASE,
            "ldap_default_bind_dn = " + dc.SVC_DN, "ldap_default_authtok_type = password",
            "ldap_default_authtok = " + dc.SVC_PW,
            "ldap_tls_reqcert = demand", "ldap_tls_cacert = " + dc.ca_file,
            "krb5_server = 127.0.0.1", "krb5_realm = " + dc.REALM, "krb5_validate = false",
            # Samba's UPNs carry the realm in lower case (user@samdom.test), which no
            # KDC is configured for: let sssd build user@SAMDOM.TEST itself
            "ldap_user_principal = nosuchattribute",
            "use_fully_qualified_names = false", "fallback_homedir = /tmp/%u",
            "default_shell = /bin/sh", "cache_credentials = true", "entry_cache_timeout = 5",
            "ldap_network_timeout = 3", "ldap_opt_timeout = 5", ""], "sspr-test-ad", probe_user)


if __name__ == "__main__":
    if e2e is None or e2e.pexpect is None:
        t.h.skip_exit("python3-pexpect not installed")
    t.main(needs=samba.TOOLS + sssd.TOOLS + ("/usr/sbin/sshd", "/usr/bin/ssh"),
           why="apt-get install samba samba-ad-dc krb5-user ldap-utils ldb-tools sssd-ldap "
               "sssd-krb5 libnss-sss libpam-sss openssh-server")
