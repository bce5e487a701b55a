"""Facts about a real OpenLDAP slapd (2.5, Debian) that the LDAP backend
relies on, each proved on a server started in this file's sandbox
(tests/directory/slapd.py): password changes as the user through proxied
authorization versus an administrator's, compare-and-swap, Modify-Increment
with the post-read control, RFC 4515 filter escaping, the ACLs of
conf/ldap/sspr-acl.ldif, lockout and unlock, what the root DSE advertises,
TLS with the test CA, and the cn=config form of the schema."""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dirtest as t  # noqa: E402
import slapd  # noqa: E402

SECRET = bytes(range(20))           # a TOTP key: 160 bits
SECRET2 = bytes(range(100, 120))

QUALITY = "Password fails quality checking policy"
IN_HISTORY = "Password is in history of old passwords"

# RFC 4515 section 3: these five characters must be escaped in an assertion
# value. (The product has its own escaper in C; this one is the test's.)
_ESC = {"*": "\\2a", "(": "\\28", ")": "\\29", "\\": "\\5c", "\0": "\\00"}


def escape_filter_value(v):
    return "".join(_ESC.get(c, c) for c in v)


def mod(dn, *ops):
    """LDIF for one modify: ops are (kind, attr, [values]) with kind in
    add/delete/replace/increment."""
    out = ["dn: " + dn, "changetype: modify"]
    for kind, attr, values in ops:
        out.append("%s: %s" % (kind, attr))
        out += [slapd.ldif_value(attr, v) for v in values]
        out.append("-")
    return "\n".join(out) + "\n"


class SlapdFacts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = slapd.Slapd()
        cls.d.start()
        cls.d.wait_ready()
        cls.seq = 20000

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def new_user(self, password="Initial-Pass-11", sspr=False):
        SlapdFacts.seq += 1
        uid = "u%d" % self.seq
        return self.d.add_user(uid, password, self.seq, mail=uid + "@example.test",
                               sspr=sspr), password

    def as_sspr(self, ldif, controls=()):
        return self.d.modify(ldif, binddn=self.d.SSPR_DN, password=self.d.SSPR_PW,
                             controls=controls)

    def attrs_of(self, dn, attrs, binddn="admin", password=None):
        e = self.d.search(dn, scope="base", attrs=attrs, binddn=binddn, password=password)
        self.assertEqual(len(e), 1, e)
        return e[0]

    def assertRc(self, r, rc, msg=""):
        self.assertEqual(r.rc, rc, "%s\n%s" % (msg, r.text()))

    # -- Password Modify (RFC 3062) --------------------------------------------------
    def test_exop_as_user_through_proxied_authz_applies_policy_and_no_pwdreset(self):
        d = self.d
        dn, old = self.new_user()
        authz = "dn:" + dn

        def change(new):
            return d.passwd_exop(dn, new, binddn=d.SSPR_DN, password=d.SSPR_PW, authzid=authz)

        r = change("Short-1")                       # below pwdMinLength 12
        self.assertRc(r, 19)
        self.assertIn(QUALITY, r.stdout)
        self.assertTrue(d.bind_ok(dn, old), "a refused change must not change anything")
        new = "Brand-New-Pass-41"
        self.assertRc(change(new), 0)
        self.assertFalse(d.bind_ok(dn, old), "the old password still binds")
        self.assertTrue(d.bind_ok(dn, new), "the new password does not bind")
        e = self.attrs_of(dn, ["pwdReset", "pwdHistory", "pwdChangedTime"])
        self.assertIsNone(e.get("pwdReset"), "a change as the user must leave no pwdReset: %r" % e)
        self.assertEqual(len(e.get("pwdHistory", [])), 1, e)
        self.assertTrue(e.get("pwdChangedTime"), e)
        # history: back to the first password is refused (pwdInHistory 5)
        r = change(old)
        self.assertRc(r, 19)
        self.assertIn(IN_HISTORY, r.stdout)
        self.assertTrue(d.bind_ok(dn, new))

    def test_exop_as_administrator_skips_policy_and_sets_pwdreset(self):
        d = self.d
        dn, old = self.new_user()
        r = d.passwd_exop(dn, "tiny", binddn=d.PWADMIN_DN, password=d.PWADMIN_PW)
        self.assertRc(r, 0, "an administrator (manage on userPassword) is not checked")
        self.assertEqual(self.attrs_of(dn, ["pwdReset"]).get("pwdReset"), ["TRUE"])
        self.assertFalse(d.bind_ok(dn, old))
        self.assertTrue(d.bind_ok(dn, "tiny"))

    def test_service_account_alone_cannot_change_a_password(self):
        d = self.d
        dn, old = self.new_user()
        r = d.passwd_exop(dn, "Service-Direct-Pass-9", binddn=d.SSPR_DN, password=d.SSPR_PW)
        self.assertRc(r, 50, "without proxied authz the service account has no write on "
                      "userPassword")
        r = d.modify(mod(dn, ("replace", "userPassword", ["Service-Direct-Pass-9"])),
                     binddn=d.SSPR_DN, password=d.SSPR_PW)
        self.assertRc(r, 50)
        self.assertTrue(d.bind_ok(dn, old))

    def test_proxied_authz_only_for_users_below_ou_people(self):
        d = self.d
        r = d.passwd_exop(d.PWADMIN_DN, "Taken-Over-Pass-1", binddn=d.SSPR_DN,
                          password=d.SSPR_PW, authzid="dn:" + d.PWADMIN_DN)
        self.assertRc(r, 123)                       # proxiedAuthorizationDenied
        self.assertTrue(d.bind_ok(d.PWADMIN_DN, d.PWADMIN_PW))
        # and a user cannot act as another user
        dn, pw = self.new_user()
        other, other_pw = self.new_user()
        r = d.passwd_exop(other, "Stolen-Account-Pass-2", binddn=dn, password=pw,
                          authzid="dn:" + other)
        self.assertRc(r, 123)
        self.assertTrue(d.bind_ok(other, other_pw))

    # -- compare-and-swap ------------------------------------------------------------
    def test_compare_and_swap_single_value(self):
        dn, _ = self.new_user(sspr=True)
        self.assertRc(self.as_sspr(mod(dn, ("add", "ssprTotpLastStep", ["100"]))), 0)
        swap = lambda old, new: self.as_sspr(mod(dn, ("delete", "ssprTotpLastStep", [old]),  # noqa
                                                 ("add", "ssprTotpLastStep", [new])))
        self.assertRc(swap("100", "101"), 0)
        r = swap("100", "102")                      # another writer moved it meanwhile
        self.assertRc(r, 16, "a stale compare-and-swap must fail with noSuchAttribute")
        self.assertEqual(self.attrs_of(dn, ["ssprTotpLastStep"]).get("ssprTotpLastStep"),
                         ["101"], "the failed modify changed nothing")
        # the same on a text record (throttle) and the one-time reset grant
        rec1, rec2 = '{"f":1,"t":1700000000}', '{"f":2,"t":1700000060}'
        self.assertRc(self.as_sspr(mod(dn, ("add", "ssprThrottle", [rec1]))), 0)
        self.assertRc(self.as_sspr(mod(dn, ("delete", "ssprThrottle", [rec1]),
                                       ("add", "ssprThrottle", [rec2]))), 0)
        self.assertRc(self.as_sspr(mod(dn, ("delete", "ssprThrottle", [rec1]),
                                       ("add", "ssprThrottle", ['{"f":9}']))), 16)
        self.assertRc(self.as_sspr(mod(dn, ("add", "ssprResetGrant", ["grant-abc"]))), 0)
        self.assertRc(self.as_sspr(mod(dn, ("delete", "ssprResetGrant", ["grant-abc"]))), 0)
        self.assertRc(self.as_sspr(mod(dn, ("delete", "ssprResetGrant", ["grant-abc"]))), 16,
                      "a grant is taken once")
        # single-valued: a blind add beside the value is refused too
        r = self.as_sspr(mod(dn, ("add", "ssprTotpLastStep", ["200"])))
        self.assertRc(r, 19)                        # constraintViolation
        self.assertIn("cannot have multiple values", r.stderr)

    def test_delete_one_exact_value_of_a_multi_valued_attribute_once(self):
        dn, _ = self.new_user(sspr=True)
        codes = ["%064x" % (0xabc0 + i) for i in range(3)]
        self.assertRc(self.as_sspr(mod(dn, ("add", "ssprRecoveryCode", codes))), 0)
        self.assertRc(self.as_sspr(mod(dn, ("delete", "ssprRecoveryCode", [codes[1]]))), 0)
        r = self.as_sspr(mod(dn, ("delete", "ssprRecoveryCode", [codes[1]])))
        self.assertRc(r, 16, "a used recovery code must not be usable twice")
        left = self.attrs_of(dn, ["ssprRecoveryCode"]).get("ssprRecoveryCode")
        self.assertEqual(sorted(left), sorted([codes[0], codes[2]]))

    # -- Modify-Increment (RFC 4525) + post-read (RFC 4527) --------------------------
    def test_increment_returns_new_value_in_post_read(self):
        # (the backend compares-and-swaps instead, docs/ldap.md; this is a
        # fact about slapd, shown on an integer attribute of the schema)
        dn, _ = self.new_user(sspr=True)
        self.assertRc(self.as_sspr(mod(dn, ("add", "ssprTotpLastStep", ["0"]))), 0)
        inc = mod(dn, ("increment", "ssprTotpLastStep", ["1"]))
        r = self.as_sspr(inc, controls=["postread=ssprTotpLastStep"])
        self.assertRc(r, 0)
        self.assertEqual([e.first("ssprTotpLastStep") for e in r.postread], ["1"], r.stdout)
        # ten at once: each gets its own value, none is lost
        procs = [subprocess.Popen(
            ["ldapmodify", "-H", self.d.uri, "-ZZ", "-x", "-D", self.d.SSPR_DN,
             "-w", self.d.SSPR_PW, "-e", "postread=ssprTotpLastStep"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=self.d.env()) for _ in range(10)]
        seen = []
        for p in procs:
            out, err = p.communicate(inc, timeout=t.TIMEOUT)
            self.assertEqual(p.returncode, 0, err)
            seen += re.findall(r"^ssprTotpLastStep: (\d+)$", out, re.M)
        self.assertEqual(sorted(seen, key=int), [str(i) for i in range(2, 12)])
        self.assertEqual(self.attrs_of(dn, ["ssprTotpLastStep"]).first("ssprTotpLastStep"), "11")
        r = self.as_sspr(mod(dn, ("increment", "ssprTotpLastStep", ["-11"])),
                         controls=["postread=ssprTotpLastStep"])
        self.assertEqual(r.postread[0].first("ssprTotpLastStep"), "0", r.text())

    # -- RFC 4515 filter escaping ------------------------------------------------------
    def test_escaped_hostile_input_matches_nothing(self):
        d = self.d
        hostile = "*)(uid=*"
        template = "(&(objectClass=posixAccount)(uid=%s))"
        everyone = d.search(d.PEOPLE, "(objectClass=posixAccount)", ["1.1"])
        self.assertGreaterEqual(len(everyone), 3)
        # unescaped, the input rewrites the filter and matches every user
        raw = d.search(d.PEOPLE, template % hostile, ["1.1"])
        self.assertEqual(len(raw), len(everyone), "the unescaped attack should match all")
        esc = template % escape_filter_value(hostile)
        self.assertEqual(esc, "(&(objectClass=posixAccount)(uid=\\2a\\29\\28uid=\\2a))")
        self.assertEqual(d.search(d.PEOPLE, esc, ["1.1"]), [])
        for v in ("*", "alice*", "alice)(uid=bob", "alice\\", "alice\0", "\\2a"):
            self.assertEqual(d.search(d.PEOPLE, template % escape_filter_value(v), ["1.1"]), [],
                             "escaped %r matched" % v)
        # and an escaped value still finds the one entry whose value it is
        odd = "odd*(value)\\x"
        r = d.modify("dn: cn=odd,%s\nobjectClass: inetOrgPerson\ncn: odd\nsn: %s\n"
                     % (d.PEOPLE, odd), add=True)
        self.assertRc(r, 0)
        found = d.search(d.PEOPLE, "(sn=%s)" % escape_filter_value(odd), ["sn"])
        self.assertEqual([(e.dn, e.first("sn")) for e in found], [("cn=odd," + d.PEOPLE, odd)])
        self.assertEqual(escape_filter_value("alice\0"), "alice\\00")

    # -- ACLs (conf/ldap/sspr-acl.ldif) --------------------------------------------------
    def _enrolled_user(self):
        dn, pw = self.new_user()
        r = self.as_sspr(mod(dn, ("add", "objectClass", ["ssprAccount"]),
                             ("add", "ssprTotpSecret", [SECRET]),
                             ("add", "ssprRecoveryKey", [SECRET2]),
                             ("add", "ssprRecoveryCode", ["%064x" % 7]),
                             ("add", "ssprQuestion", ["$argon2id$v=19$m=16384,t=3,p=1$c2FsdA$aGFzaA "
                                                      "First pet?"]),
                             ("add", "ssprRegistered", ["20261201120000Z"])))
        self.assertRc(r, 0, "the service account enrolls a user")
        return dn, pw

    SECRETS = ["ssprTotpSecret", "ssprRecoveryKey", "ssprRecoveryCode", "ssprQuestion",
               "ssprRegistered"]

    def test_user_cannot_read_or_write_own_secrets(self):
        d = self.d
        dn, pw = self._enrolled_user()
        e = self.attrs_of(dn, self.SECRETS + ["mail", "objectClass"], binddn=dn, password=pw)
        self.assertEqual(e.first("mail"), dn.split(",")[0][4:] + "@example.test",
                         "the user reads ordinary attributes of their entry")
        self.assertIn("ssprAccount", e.get("objectClass"))
        for a in self.SECRETS:
            self.assertIsNone(e.get(a), "the user read their own %s: %r" % (a, e))
        # not even through a filter or a compare
        self.assertEqual(d.search(dn, "(ssprTotpSecret=*)", ["1.1"], scope="base",
                                  binddn=dn, password=pw), [])
        r = d.tool("ldapcompare", [dn, "ssprRecoveryCode:%064x" % 7], binddn=dn, password=pw)
        self.assertNotIn(r.rc, (5, 6), "compare must not tell (%s)" % r.text())
        self.assertEqual(r.rc, 50, r.text())
        # nor write them (say, reset their own failure counter or last step)
        r = d.modify(mod(dn, ("replace", "ssprTotpLastStep", ["0"])), binddn=dn, password=pw)
        self.assertRc(r, 50)

    def test_service_account_reads_and_writes_the_secrets(self):
        d = self.d
        dn, _ = self._enrolled_user()
        e = self.attrs_of(dn, self.SECRETS, binddn=d.SSPR_DN, password=d.SSPR_PW)
        self.assertEqual(e.bytes("ssprTotpSecret"), [SECRET])
        self.assertEqual(e.bytes("ssprRecoveryKey"), [SECRET2])
        self.assertEqual(e.get("ssprRecoveryCode"), ["%064x" % 7])
        self.assertTrue(e.first("ssprQuestion").startswith("$argon2id$"))
        self.assertEqual(e.get("ssprRegistered"), ["20261201120000Z"])
        self.assertRc(self.as_sspr(mod(dn, ("replace", "ssprTotpSecret", [SECRET2]))), 0)
        # ... but nothing else on the entry, and never userPassword
        r = d.modify(mod(dn, ("replace", "mail", ["evil@example.test"])), binddn=d.SSPR_DN,
                     password=d.SSPR_PW)
        self.assertRc(r, 50)
        e = self.attrs_of(dn, ["userPassword", "authzTo"], binddn=d.SSPR_DN, password=d.SSPR_PW)
        self.assertIsNone(e.get("userPassword"))
        own = self.attrs_of(d.SSPR_DN, ["authzTo"], binddn=d.SSPR_DN, password=d.SSPR_PW)
        self.assertIsNone(own.get("authzTo"), "authzTo must not be readable")
        r = d.modify(mod(d.SSPR_DN, ("add", "authzTo", ["dn.subtree:" + d.SUFFIX])),
                     binddn=d.SSPR_DN, password=d.SSPR_PW)
        self.assertRc(r, 50, "the service account must not widen its own authzTo")
        # other objectClass values stay out of its reach
        r = d.modify(mod(dn, ("add", "objectClass", ["pkiUser"])), binddn=d.SSPR_DN,
                     password=d.SSPR_PW)
        self.assertRc(r, 50)

    def test_other_users_and_anonymous_cannot_read_the_secrets(self):
        d = self.d
        dn, _ = self._enrolled_user()
        other, other_pw = self.new_user()
        for who, pw in ((other, other_pw), (None, None)):
            rc, e = d.search(dn, attrs=self.SECRETS, scope="base", binddn=who, password=pw,
                             check=False)
            for entry in e:
                for a in self.SECRETS:
                    self.assertIsNone(entry.get(a), "%s read %s" % (who or "anonymous", a))
        self.assertEqual(d.search(d.PEOPLE, "(ssprTotpSecret=*)", ["1.1"], binddn=other,
                                  password=other_pw), [])

    def test_acl_covers_every_attribute_of_the_object_class(self):
        with open(slapd.SSPR_SCHEMA) as f:
            schema = f.read()
        m = re.search(r"NAME 'ssprAccount'.*?MAY \(([^)]*)\)", schema, re.S)
        may = sorted(a.strip() for a in m.group(1).replace("\n", " ").split("$"))
        self.assertEqual(may, sorted(slapd.SSPR_ATTRS))
        first = slapd.DEFAULT_ACL.splitlines()[0]
        m = re.match(r"access to attrs=(\S+) by dn.exact=\"cn=sspr,[^\"]+\" write by \* none$",
                     first)
        self.assertTrue(m, first)
        self.assertEqual(sorted(m.group(1).split(",")), may)

    # -- lockout and unlock ---------------------------------------------------------------
    def test_lockout_after_max_failures_and_unlock_by_service(self):
        d = self.d
        dn, pw = self.new_user()
        for _ in range(3):                           # pwdMaxFailure 3
            self.assertFalse(d.bind_ok(dn, "Wrong-Password-0"))
        self.assertFalse(d.bind_ok(dn, pw), "a locked account must not bind")
        e = self.attrs_of(dn, ["pwdAccountLockedTime", "pwdFailureTime"])
        self.assertTrue(e.get("pwdAccountLockedTime"), e)
        self.assertEqual(len(e.get("pwdFailureTime")), 3, e)
        # the user cannot unlock themselves (and cannot bind anyway); the service can
        self.assertRc(self.as_sspr(mod(dn, ("delete", "pwdAccountLockedTime", []))), 0)
        self.assertTrue(d.bind_ok(dn, pw))
        e = self.attrs_of(dn, ["pwdAccountLockedTime", "pwdFailureTime"])
        self.assertIsNone(e.get("pwdAccountLockedTime"))
        self.assertIsNone(e.get("pwdFailureTime"), "a good bind clears the failures")

    # -- root DSE ---------------------------------------------------------------------------
    def test_root_dse_advertises_what_the_backend_uses(self):
        e = self.d.root_dse(["supportedControl", "supportedExtension", "supportedFeatures"])
        print("\nsupportedControl: %s\nsupportedExtension: %s\nsupportedFeatures: %s"
              % (" ".join(e.get("supportedControl")), " ".join(e.get("supportedExtension")),
                 " ".join(e.get("supportedFeatures"))))
        want = {
            "supportedExtension": {
                "1.3.6.1.4.1.1466.20037": "StartTLS",
                "1.3.6.1.4.1.4203.1.11.1": "Password Modify (RFC 3062)",
                "1.3.6.1.4.1.4203.1.11.3": "Who am I (RFC 4532)",
            },
            "supportedControl": {
                "2.16.840.1.113730.3.4.18": "proxied authorization (RFC 4370)",
                "1.3.6.1.1.13.1": "pre-read (RFC 4527)",
                "1.3.6.1.1.13.2": "post-read (RFC 4527)",
                "1.3.6.1.1.12": "assertion (RFC 4528)",
                "1.3.6.1.4.1.42.2.27.8.5.1": "password policy (ppolicy)",
            },
            "supportedFeatures": {
                "1.3.6.1.1.14": "Modify-Increment (RFC 4525)",
            },
        }
        for attr, oids in want.items():
            for oid, what in oids.items():
                self.assertIn(oid, e.get(attr), "%s not in %s" % (what, attr))

    # -- TLS --------------------------------------------------------------------------------
    def test_starttls_and_ldaps_verify_against_the_test_ca(self):
        d = self.d
        for uri, starttls in ((d.uri, True), (d.ldaps_uri, False)):
            r = d.tool("ldapwhoami", [], binddn=d.SSPR_DN, password=d.SSPR_PW, uri=uri,
                       starttls=starttls)
            self.assertRc(r, 0)
            self.assertIn("dn:" + d.SSPR_DN, r.stdout)
        # with another CA the certificate must be refused (demand)
        other = t.TestCA(t.scratch("sspr-otherca-"), "other CA")
        env = d.env()
        env["LDAPTLS_CACERT"] = other.ca_file
        for argv in (["ldapwhoami", "-H", d.uri, "-ZZ", "-x"],
                     ["ldapwhoami", "-H", d.ldaps_uri, "-x"]):
            p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=t.TIMEOUT)
            self.assertNotEqual(p.returncode, 0, "TLS with the wrong CA succeeded: %r" % argv)

    # -- the cn=config form of the schema ----------------------------------------------------
    def test_cn_config_schema_ldif_loads(self):
        work = t.scratch("sspr-cnconfig-")
        cfg = os.path.join(work, "slapd.d")
        os.makedirs(cfg)
        ldif = os.path.join(work, "config.ldif")
        with open(ldif, "w") as f:
            f.write("dn: cn=config\nobjectClass: olcGlobal\ncn: config\n\n"
                    "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n"
                    "include: file://%s/core.ldif\n\n"
                    "include: file://%s\n\n"
                    "dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\n"
                    "objectClass: olcMdbConfig\nolcDatabase: {1}mdb\nolcSuffix: %s\n"
                    "olcDbDirectory: %s\n"
                    % (slapd.SCHEMA_DIR, os.path.join(t.SRCDIR, "conf", "ldap", "sspr.ldif"),
                       slapd.SUFFIX, work))
        with open(ldif) as f:
            base = f.read()
        # slapadd -n0 cannot load a module-less mdb: add the module first
        base = base.replace("dn: cn=schema,cn=config",
                            "dn: cn=module{0},cn=config\nobjectClass: olcModuleList\n"
                            "cn: module{0}\nolcModulePath: %s\nolcModuleLoad: back_mdb\n\n"
                            "dn: cn=schema,cn=config" % slapd.MODULE_DIR, 1)
        with open(ldif, "w") as f:
            f.write(base)
        t.run(["/usr/sbin/slapadd", "-n0", "-F", cfg, "-l", ldif])
        t.run(["/usr/sbin/slaptest", "-u", "-F", cfg])
        out = t.run(["/usr/sbin/slapcat", "-n0", "-F", cfg, "-a", "(cn={1}sspr)"]).stdout
        self.assertIn("NAME 'ssprAccount'", out)
        self.assertIn("2.25.216513055276617800591829206764314373281", out)
        for a in slapd.SSPR_ATTRS:
            self.assertIn("NAME '%s'" % a, out)
        # the same attribute definitions as sspr.schema
        with open(slapd.SSPR_SCHEMA) as f:
            schema = f.read()
        for a in slapd.SSPR_ATTRS:
            self.assertIn("NAME '%s'" % a, schema)


if __name__ == "__main__":
    t.main(needs=slapd.TOOLS, why="apt-get install slapd ldap-utils")
