"""A real Samba AD DC for tests, provisioned and started inside the sandbox
(its own network namespace: every service listens on lo only).

    dc = samba.SambaDC()                   # provision (RFC 2307), TLS, OU, service account
    dc.start()                             # bounded wait until LDAPS answers
    dc.create_user("alice", "Pass-1!aA", mail=..., mobile=...)
    r = dc.modify(dc.reset_ldif(dn, "New-Pass-2!"), binddn=dc.SVC_DN, password=dc.SVC_PW)
    dc.bind_ok(dn, "New-Pass-2!"); dc.kinit("alice", "New-Pass-2!")
    dc.restart(old_password_period=0)      # smb.conf changed, same database
    dc.stop()

The service account (CN=sspr-svc,CN=Users) gets exactly (SVC_ACES, set with
`samba-tool dsacl set --sddl`, inherited by user objects below OU=SSPR Users):
the Reset Password control right, write pwdLastSet, write lockoutTime, and
read/write + control access (confidential read) on the sspr attributes
added to the schema (add_sspr_schema()).
"""

import base64
import os
import re
import subprocess
import time
import uuid

import dirtest as t
import slapd

SAMBA = "/usr/sbin/samba"
TOOLS = (SAMBA, "samba-tool", "ldbmodify", "kinit", "ldapsearch", "ldapmodify", "openssl")

REALM = "SAMDOM.TEST"
DOMAIN = "SAMDOM"
BASE = "DC=samdom,DC=test"
SCHEMA_NC = "CN=Schema,CN=Configuration," + BASE

# Schema GUIDs of the default AD schema (MS-ADA*).
USER_CLASS = "bf967aba-0de6-11d0-a285-00aa003049e2"
RESET_PASSWORD = "00299570-246d-11d0-a768-00aa006e0529"   # control right
PWD_LAST_SET = "bf967a0a-0de6-11d0-a285-00aa003049e2"
LOCKOUT_TIME = "28630ebf-41d5-11d1-a9c1-0000f80367c1"

# The sspr attributes for AD: a schema extension (ldbmodify on sam.ldb with
# "dsdb:schema update allowed"), each attribute CONFIDENTIAL (searchFlags
# 0x80), so reading it needs the control-access right on it besides read
# property -- which the user (SELF) does not get from the default user ACL.
# OIDs: Microsoft's arc for schema extensions without a registered base,
# 1.2.840.113556.1.8000.2554.<GUID parts> (AD keeps OIDs in a prefix table
# and cannot take the 2.25.<128-bit> UUID arc of conf/ldap/sspr.schema).
_GUID = uuid.UUID("a2e2e5cc-7160-40cc-a421-ae80b52b2ca1")


def _ms_oid(guid):
    h = guid.hex
    parts = [int(h[0:4], 16), int(h[4:8], 16), int(h[8:12], 16), int(h[12:16], 16),
             int(h[16:20], 16), int(h[20:26], 16), int(h[26:32], 16)]
    return "1.2.840.113556.1.8000.2554." + ".".join(str(p) for p in parts)


SSPR_OID = _ms_oid(_GUID)
# name, attributeSyntax, oMSyntax, single-valued, schemaIDGUID
AD_ATTRS = (
    ("ssprTotpSecret", "2.5.5.10", 4, True, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a01"),
    ("ssprTotpLastStep", "2.5.5.16", 65, True, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a02"),
    ("ssprRecoveryKey", "2.5.5.10", 4, True, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a03"),
    ("ssprRecoveryCode", "2.5.5.12", 64, False, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a04"),
    ("ssprQuestion", "2.5.5.12", 64, False, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a05"),
    ("ssprRegistered", "2.5.5.11", 24, True, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a06"),
    ("ssprThrottle", "2.5.5.12", 64, True, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a07"),
    ("ssprMethod", "2.5.5.12", 64, False, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a0a"),
    ("ssprResetGrant", "2.5.5.12", 64, True, "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0a09"),
)
AD_CLASS_GUID = "6f0d5a3e-63b1-4f6c-9d61-0c8f5f6a0b01"


def svc_aces(sid):
    """The ACEs given to the service account on OU=SSPR Users, inherited
    (CI) by user objects only (inherited object type = the user class)."""
    aces = [
        "(OA;CI;CR;%s;%s;%s)" % (RESET_PASSWORD, USER_CLASS, sid),
        "(OA;CI;WP;%s;%s;%s)" % (PWD_LAST_SET, USER_CLASS, sid),
        "(OA;CI;WP;%s;%s;%s)" % (LOCKOUT_TIME, USER_CLASS, sid),
    ]
    for name, _syn, _om, _single, guid in AD_ATTRS:
        aces.append("(OA;CI;RPWPCR;%s;%s;%s)" % (guid, USER_CLASS, sid))
    return aces


def unicode_pwd(password):
    """The unicodePwd value: the password in double quotes, UTF-16LE."""
    return ('"%s"' % password).encode("utf-16-le")


class SambaDC:
    ADMIN_PW = "Admin-Pass-123!"
    ADMIN_DN = "CN=Administrator,CN=Users," + BASE
    OU = "OU=SSPR Users," + BASE
    SVC = "sspr-svc"
    SVC_DN = "CN=sspr-svc,CN=Users," + BASE
    SVC_PW = "Svc-Pass-456!x"
    BASE = BASE
    REALM = REALM

    def __init__(self, old_password_period=None, lockout_threshold=3, sspr_schema=True):
        t.require_sandbox()
        missing = t.have(*TOOLS)
        if missing:
            raise t.HarnessError("missing %s (apt-get install samba samba-ad-dc krb5-user "
                                 "ldap-utils ldb-tools)" % missing)
        self.dir = t.scratch("sspr-samba-")
        self.conf = os.path.join(self.dir, "etc", "smb.conf")
        self.log_path = os.path.join(self.dir, "samba.log")
        self.proc = None
        self.timings = {}
        self.ldaps_uri = "ldaps://127.0.0.1:636"
        t0 = time.monotonic()
        self._provision()
        self.timings["provision"] = time.monotonic() - t0
        self.ca = t.TestCA(os.path.join(self.dir, "ca"))
        self.ca_file = self.ca.ca_file
        self.cert, self.key = self.ca.server_cert(
            "dc1", dns=("dc1.samdom.test", "localhost"), ips=("127.0.0.1",))
        self.old_password_period = old_password_period
        self._write_conf()
        self.krb5_conf = os.path.join(self.dir, "krb5.conf")
        t.write_file(self.krb5_conf, "\n".join([
            "[libdefaults]",
            "  default_realm = " + REALM,
            "  dns_lookup_realm = false",
            "  dns_lookup_kdc = false",
            "  rdns = false",
            "  udp_preference_limit = 1",
            "[realms]",
            "  %s = {" % REALM,
            "    kdc = 127.0.0.1",
            "    admin_server = 127.0.0.1",
            "  }",
            "[domain_realm]",
            "  .samdom.test = " + REALM, ""]))
        t1 = time.monotonic()
        self.tool_run("ou", "create", self.OU)
        self.tool_run("domain", "passwordsettings", "set",
                      "--account-lockout-threshold=%d" % lockout_threshold,
                      "--account-lockout-duration=30", "--reset-account-lockout-after=30")
        self.tool_run("user", "create", self.SVC, self.SVC_PW,
                      "--description=pam_sspr service account (least privilege)")
        self.svc_sid = self.sid_of(self.SVC)
        if sspr_schema:
            self.add_sspr_schema()
        self.aces = svc_aces(self.svc_sid) if sspr_schema else svc_aces(self.svc_sid)[:3]
        for ace in self.aces:
            self.tool_run("dsacl", "set", "--objectdn=" + self.OU, "--sddl=" + ace)
        self.timings["setup"] = time.monotonic() - t1

    # -- provisioning ------------------------------------------------------------------
    def _provision(self):
        t.run(["samba-tool", "domain", "provision", "--realm=" + REALM, "--domain=" + DOMAIN,
               "--server-role=dc", "--dns-backend=SAMBA_INTERNAL", "--use-rfc2307",
               "--adminpass=" + self.ADMIN_PW, "--host-name=dc1", "--host-ip=127.0.0.1",
               "--targetdir=" + self.dir, "--option=interfaces=lo",
               "--option=bind interfaces only=yes"], timeout=180)

    def _write_conf(self):
        with open(self.conf) as f:
            text = f.read()
        # the forwarder copied from the host's resolv.conf points off the machine;
        # what an earlier call added goes too (a restart rewrites it)
        lines = [l for l in text.splitlines()
                 if not re.match(r"\s*(dns forwarder|tls enabled|tls keyfile|tls certfile|tls cafile|"
                                 r"server services|dsdb:schema update allowed|log level|"
                                 r"old password allowed period)\s*=", l)]
        extra = [
            "\ttls enabled = yes",
            "\ttls keyfile = " + self.key,
            "\ttls certfile = " + self.cert,
            "\ttls cafile = " + self.ca_file,
            # only what the tests use: LDAP(S) and Kerberos (the kdc runs kpasswd too)
            "\tserver services = ldap, kdc",
            "\tdsdb:schema update allowed = true",
            "\tlog level = 1",
        ]
        if self.old_password_period is not None:
            extra.append("\told password allowed period = %d" % self.old_password_period)
        out = []
        for l in lines:
            out.append(l)
            if l.strip() == "[global]":
                out += extra
        t.write_file(self.conf, "\n".join(out) + "\n")

    def tool_run(self, *args, check=True):
        return t.run(["samba-tool"] + list(args) + ["-s", self.conf], check=check,
                     timeout=120)

    def sid_of(self, name):
        out = self.tool_run("user", "show", name, "--attributes=objectSid").stdout
        m = re.search(r"^objectSid: (S-[0-9-]+)$", out, re.M)
        if not m:
            raise t.HarnessError("no objectSid for %s:\n%s" % (name, out))
        return m.group(1)

    def add_sspr_schema(self):
        """The sspr attributes (confidential) and an auxiliary class
        ssprAccount added to the user class, written into sam.ldb with
        ldbmodify while samba is not running."""
        ldb = os.path.join(self.dir, "private", "sam.ldb")
        attrs = []
        for i, (name, syntax, om, single, guid) in enumerate(AD_ATTRS, 1):
            attrs.append("\n".join([
                "dn: CN=%s,%s" % (name, SCHEMA_NC), "changetype: add",
                "objectClass: top", "objectClass: attributeSchema",
                "cn: " + name, "lDAPDisplayName: " + name,
                "attributeID: %s.1.%d" % (SSPR_OID, i),
                "attributeSyntax: " + syntax, "oMSyntax: %d" % om,
                "isSingleValued: " + ("TRUE" if single else "FALSE"),
                "searchFlags: 128",
                "schemaIDGUID:: " + base64.b64encode(uuid.UUID(guid).bytes_le).decode(),
                "adminDescription: pam_sspr " + name, ""]))
        refresh = "dn:\nchangetype: modify\nadd: schemaUpdateNow\nschemaUpdateNow: 1\n-\n"
        cls = "\n".join([
            "dn: CN=ssprAccount,%s" % SCHEMA_NC, "changetype: add",
            "objectClass: top", "objectClass: classSchema", "cn: ssprAccount",
            "lDAPDisplayName: ssprAccount", "governsID: %s.2.1" % SSPR_OID,
            "objectClassCategory: 3", "subClassOf: top",
            "schemaIDGUID:: " + base64.b64encode(uuid.UUID(AD_CLASS_GUID).bytes_le).decode(),
            "adminDescription: pam_sspr auxiliary class"]
            + ["mayContain: " + a[0] for a in AD_ATTRS]) + "\n"
        user = ("dn: CN=User,%s\nchangetype: modify\nadd: auxiliaryClass\n"
                "auxiliaryClass: ssprAccount\n-\n" % SCHEMA_NC)
        for part in ("\n".join(attrs), refresh, cls, refresh, user, refresh):
            path = os.path.join(self.dir, "schema.ldif")
            with open(path, "w") as f:
                f.write(part)
            t.run(["ldbmodify", "-H", ldb, "--option=dsdb:schema update allowed=true", path],
                  timeout=60)

    # -- running -------------------------------------------------------------------------
    def start(self, timeout=60.0):
        if self.proc is not None:
            raise t.HarnessError("samba is already running")
        t0 = time.monotonic()
        self.log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen([SAMBA, "-s", self.conf, "-i", "-M", "single",
                                      "--debug-stdout"],
                                     stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, close_fds=True)
        t.wait_until("samba answering LDAPS", lambda: self.bind_ok(self.ADMIN_DN, self.ADMIN_PW,
                                                                  quiet=True),
                     timeout=timeout, proc=self.proc, log=self.log)
        t.wait_until("samba KDC answering", lambda: self.kinit("Administrator",
                                                               self.ADMIN_PW) == 0,
                     timeout=timeout, proc=self.proc, log=self.log)
        self.timings["start"] = time.monotonic() - t0
        return self

    def restart(self, old_password_period="keep"):
        self.stop()
        if old_password_period != "keep":
            self.old_password_period = old_password_period
            self._write_conf()
        self.start()

    def log(self):
        return t.log_tail(self.log_path)

    def stop(self):
        if self.proc is not None:
            t.stop_process(self.proc)
            self.proc = None
        if getattr(self, "log_file", None):
            self.log_file.close()
            self.log_file = None

    # -- clients ---------------------------------------------------------------------------
    def env(self):
        e = dict(os.environ)
        e.update({"LDAPCONF": "/dev/null", "LDAPRC": "/dev/null/none",
                  "LDAPTLS_CACERT": self.ca_file, "LDAPTLS_REQCERT": "demand",
                  "KRB5_CONFIG": self.krb5_conf,
                  "KRB5CCNAME": "FILE:" + os.path.join(self.dir, "krb5cc")})
        return e

    def tool(self, prog, args, binddn="admin", password=None, input=None):
        argv = [prog, "-H", self.ldaps_uri, "-o", "nettimeout=10", "-x"]
        if binddn == "admin":
            argv += ["-D", self.ADMIN_DN, "-w", self.ADMIN_PW]
        elif binddn is not None:
            argv += ["-D", binddn, "-w", password]
        argv += list(args)
        try:
            p = subprocess.run(argv, input=input, capture_output=True, text=True,
                               timeout=t.TIMEOUT, env=self.env())
        except subprocess.TimeoutExpired:
            raise t.HarnessError("%s timed out: %r" % (prog, argv))
        return slapd.Result(argv, p)

    def bind_ok(self, dn, password, quiet=False):
        """LDAPS simple bind: True on success, False on invalidCredentials (49).
        (Samba has no Who-am-I exop: a root DSE search after the bind.)"""
        r = self.tool("ldapsearch", ["-s", "base", "-b", "", "1.1"], binddn=dn,
                      password=password)
        if r.rc == 0:
            return True
        if r.rc == 49 or quiet:
            return False
        raise t.HarnessError("bind as %s: unexpected result\n%s" % (dn, r.text()))

    def search(self, base, filter="(objectClass=*)", attrs=(), scope="sub", binddn="admin",
               password=None):
        r = self.tool("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", base, "-s", scope,
                                     filter] + list(attrs), binddn=binddn, password=password)
        if r.rc not in (0, 32):
            raise t.HarnessError("search failed\n" + r.text())
        return slapd.parse_ldif(r.stdout)

    def modify(self, ldif, binddn="admin", password=None, add=False):
        return self.tool("ldapmodify", ["-a"] if add else [], binddn=binddn, password=password,
                         input=ldif)

    def reset_ldif(self, dn, new_password):
        return ("dn: %s\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: %s\n-\n"
                % (dn, base64.b64encode(unicode_pwd(new_password)).decode()))

    def kinit(self, principal, password):
        """MIT kinit with the password on stdin; returns its exit status."""
        p = subprocess.run(["kinit", principal], input=password + "\n", capture_output=True,
                           text=True, timeout=t.TIMEOUT, env=self.env())
        self.last_kinit = p
        return p.returncode

    def create_user(self, name, password, ou="default", mail=None, mobile=None):
        """samba-tool user create (in OU=SSPR Users unless ou=None: CN=Users);
        mobile set over LDAPS. Returns the DN."""
        args = ["user", "create", name, password]
        if ou == "default":
            ou = self.OU
        if ou:
            args.append("--userou=" + ou.replace("," + BASE, ""))
        if mail:
            args.append("--mail-address=" + mail)
        if self.proc:   # the DC is running: through LDAP, not the database files
            args += ["-H", "ldap://127.0.0.1", "-U", "Administrator%" + self.ADMIN_PW]
        self.tool_run(*args)
        dn = "CN=%s,%s" % (name, ou or "CN=Users," + BASE)
        if mobile:
            r = self.modify("dn: %s\nchangetype: modify\nreplace: mobile\nmobile: %s\n-\n"
                            % (dn, mobile))
            if r.rc != 0:
                raise t.HarnessError("setting mobile failed\n" + r.text())
        return dn
