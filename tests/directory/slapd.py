"""A real OpenLDAP slapd for tests, started inside the sandbox.

    import slapd
    d = slapd.Slapd()            # config, CA, data; nothing runs yet
    d.start()                    # bounded wait until it answers
    d.bind_ok(d.user_dn("alice"), "Alice-Old-Pass-1")
    d.search(d.user_dn("alice"), attrs=["mail"], binddn=d.SSPR_DN, password=d.SSPR_PW)
    r = d.modify("dn: ...\nchangetype: modify\n...", binddn=..., password=...)
    r = d.passwd_exop(d.user_dn("alice"), "New-Pass-2", binddn=d.SSPR_DN,
                      password=d.SSPR_PW, authzid="dn:" + d.user_dn("alice"))
    d.stop()

    a, b = slapd.start_pair()    # two providers replicating each other

Python standard library only; every LDAP operation goes through the
ldap-utils command-line tools (ldapsearch, ldapmodify, ldappasswd,
ldapwhoami, ldapadd), whose exit status is the LDAP result code.

The server: slapd 2.5 from Debian (back_mdb), a slapd.conf written here,
loaded with slapadd, run unprivileged (setpriv as the `openldap` user, else
nobody) in the foreground, listening on ldap://127.0.0.1:P (StartTLS
offered), ldaps://127.0.0.1:Q and ldapi:// (a socket in its directory).
A throwaway CA (openssl) signs its certificate: ca_file is the CA's path.

Overlays: ppolicy (default policy DEFAULT_POLICY: quality, history, lockout,
pwdMustChange), syncprov when replicating. Schema: core, cosine, nis,
inetorgperson and conf/ldap/sspr.schema. ACLs: DEFAULT_ACL (the one
conf/ldap/sspr-acl.ldif documents), or your own text (acl=...).
"""

import base64
import hashlib
import os
import pwd
import re
import subprocess
import urllib.parse

import dirtest as t

SUFFIX = "dc=example,dc=test"
SCHEMA_DIR = "/etc/ldap/schema"
MODULE_DIR = "/usr/lib/ldap"
SSPR_SCHEMA = os.path.join(t.SRCDIR, "conf", "ldap", "sspr.schema")
SLAPD = "/usr/sbin/slapd"
TOOLS = ("ldapsearch", "ldapmodify", "ldappasswd", "ldapwhoami", SLAPD, "/usr/sbin/slapadd",
         "openssl", "setpriv")

# The attributes only the sspr service account may read or write.
SSPR_ATTRS = ("ssprTotpSecret", "ssprTotpLastStep", "ssprRecoveryKey", "ssprRecoveryCode",
              "ssprQuestion", "ssprRegistered", "ssprThrottle", "ssprMethod",
              "ssprResetGrant")

# (uid, uidNumber, password, mail, mobile)
DEFAULT_USERS = (
    ("alice", 10001, "Alice-Old-Pass-1", "alice@example.test", "+15555550101"),
    ("bob", 10002, "Bob-Old-Pass-22", "bob@example.test", "+15555550102"),
    ("carol", 10003, "Carol-Old-Pass-3", "carol@example.test", "+15555550103"),
)
GROUP_GID = 10000

# slapo-ppolicy's default policy (pwdPolicy attributes).
DEFAULT_POLICY = {
    "pwdAttribute": "userPassword",
    "pwdMinLength": "12",
    "pwdCheckQuality": "2",      # refuse what cannot be checked (hashed input)
    "pwdInHistory": "5",
    "pwdMaxFailure": "3",
    "pwdLockout": "TRUE",
    "pwdLockoutDuration": "0",   # locked until an administrator unlocks
    "pwdFailureCountInterval": "0",
    "pwdMustChange": "TRUE",     # an administrator's reset sets pwdReset
    "pwdAllowUserChange": "TRUE",
    "pwdSafeModify": "FALSE",
}

ACL_LDIF = os.path.join(t.SRCDIR, "conf", "ldap", "sspr-acl.ldif")


def acl_from_ldif(path=ACL_LDIF):
    """The olcAccess values of an LDIF file (cn=config form, continuation
    lines joined) as slapd.conf `access` lines. DEFAULT_ACL is that of
    conf/ldap/sspr-acl.ldif, so the tests check the documented rules."""
    with open(path) as f:
        text = f.read()
    values = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if line.startswith(" ") and values:
            values[-1] += line[1:]
        elif line.lower().startswith("olcaccess:"):
            values.append(line.split(":", 1)[1].strip())
    if not values:
        raise t.HarnessError("no olcAccess in %s" % path)
    out = []
    for v in values:
        v = re.sub(r"^\{\d+\}", "", v)
        if not v.startswith("to "):
            raise t.HarnessError("olcAccess value not 'to ...': %r" % v)
        out.append("access " + v)
    return "\n".join(out) + "\n"


DEFAULT_ACL = acl_from_ldif()


def ssha(password):
    """{SSHA} userPassword value (slapd's salted SHA-1), for slapadd input."""
    salt = os.urandom(8)
    d = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(d + salt).decode()


def ldif_value(attr, value):
    """One LDIF line; base64 (attr:: ...) when the value is not safe text."""
    if isinstance(value, bytes):
        return "%s:: %s" % (attr, base64.b64encode(value).decode())
    if (value == "" or value[0] in " :<" or value[-1] == " " or
            any(ord(c) < 32 or ord(c) > 126 for c in value)):
        return "%s:: %s" % (attr, base64.b64encode(value.encode()).decode())
    return "%s: %s" % (attr, value)


class Entry:
    """A search result: .dn and attributes by lower-case name, each a list of
    str (UTF-8 text) or bytes (anything else)."""

    def __init__(self, dn, attrs):
        self.dn = dn
        self.attrs = attrs

    def get(self, name, default=None):
        v = self.attrs.get(name.lower())
        return v if v is not None else default

    def bytes(self, name):
        """The values as bytes (for binary attributes such as ssprTotpSecret)."""
        return [v if isinstance(v, bytes) else v.encode("utf-8") for v in self.get(name, [])]

    def first(self, name, default=None):
        v = self.get(name)
        return v[0] if v else default

    def __repr__(self):
        return "Entry(%r, %r)" % (self.dn, self.attrs)


def parse_ldif(text):
    """Entries of ldapsearch -LLL -o ldif-wrap=no output (or ldapmodify's
    post-read block); comment lines are skipped. A base64 value is str when
    it is UTF-8 text without control characters, else bytes."""
    out = []
    dn, attrs = None, {}
    for line in text.splitlines() + [""]:
        if line.startswith("#"):
            continue
        if line == "":
            if dn is not None:
                out.append(Entry(dn, attrs))
            dn, attrs = None, {}
            continue
        m = re.match(r"^([A-Za-z0-9;.-]+)(::?) ?(.*)$", line)
        if not m:
            continue
        name, sep, val = m.groups()
        if sep == "::":
            raw = base64.b64decode(val)
            try:
                val = raw.decode("utf-8")
                if any(ord(c) < 32 for c in val):
                    val = raw
            except UnicodeDecodeError:
                val = raw
        if name.lower() == "dn":
            dn = val
        else:
            attrs.setdefault(name.lower(), []).append(val)
    return out


class Result:
    """What an ldap-utils program said: rc (the LDAP result code, 0 success),
    stdout, stderr; postread: the entries of a post-read control (if any)."""

    def __init__(self, argv, p):
        self.argv = argv
        self.rc = p.returncode
        self.stdout = p.stdout
        self.stderr = p.stderr
        # ldappasswd exits 1 for any failure: the code is on its Result: line
        m = re.search(r"^Result: .*\((\d+)\)$", p.stdout or "", re.M)
        if m and self.rc != 0:
            self.rc = int(m.group(1))
        self.postread = []
        self.preread = []
        for kind in ("postread", "preread"):
            m = re.search(r"# ==> %s\n(.*?)(?:# <== %s|\Z)" % (kind, kind), p.stdout, re.S)
            if m:
                setattr(self, kind, parse_ldif(m.group(1)))

    def __repr__(self):
        return "Result(rc=%d, stdout=%r, stderr=%r)" % (self.rc, self.stdout, self.stderr)

    def text(self):
        return "%r -> %d\nstdout: %s\nstderr: %s" % (self.argv, self.rc, self.stdout, self.stderr)


def service_user():
    """(uid, gid) that slapd runs as: Debian's openldap account, else nobody."""
    for name in ("openldap", "nobody"):
        try:
            p = pwd.getpwnam(name)
            return p.pw_uid, p.pw_gid
        except KeyError:
            continue
    return 65534, 65534


class Slapd:
    SUFFIX = SUFFIX
    ADMIN_DN = "cn=admin," + SUFFIX        # the rootdn: every ACL is bypassed
    ADMIN_PW = "Admin-Secret-9"
    SSPR_DN = "cn=sspr,ou=services," + SUFFIX
    SSPR_PW = "Sspr-Service-Secret-7"
    PWADMIN_DN = "cn=pwadmin,ou=services," + SUFFIX   # manage on userPassword
    PWADMIN_PW = "Pw-Admin-Secret-5"
    READER_DN = "cn=reader,ou=services," + SUFFIX     # for sssd: reads users
    READER_PW = "Reader-Secret-4"
    PEOPLE = "ou=people," + SUFFIX
    GROUPS = "ou=groups," + SUFFIX
    POLICY_DN = "cn=default,ou=policies," + SUFFIX

    def __init__(self, name="a", ca=None, acl=None, policy=None, users=DEFAULT_USERS,
                 server_id=None, load_data=True, debug="stats", delta=False):
        """name: a label (directory /tmp/sspr-slapd-NAME-*); ca: a TestCA to
        sign with (a new one by default); acl: slapd.conf access lines, None for
        DEFAULT_ACL (conf/ldap/sspr-acl.ldif); policy: pwdPolicy attributes overriding DEFAULT_POLICY;
        server_id, load_data and delta (delta-syncrepl: an accesslog that
        the peer replays change by change): for start_pair()."""
        t.require_sandbox()
        missing = t.have(*TOOLS)
        if missing:
            raise t.HarnessError("missing %s (apt-get install slapd ldap-utils)" % missing)
        self.name = name
        self.dir = t.scratch("sspr-slapd-%s-" % name)
        os.chmod(self.dir, 0o755)
        self.ca = ca or t.TestCA(os.path.join(self.dir, "ca"))
        self.ca_file = self.ca.ca_file
        self.cert, self.key = self.ca.server_cert("slapd-" + name)
        self.users = list(users)
        self.acl = DEFAULT_ACL if acl is None else acl
        self.policy = dict(DEFAULT_POLICY)
        self.policy.update(policy or {})
        self.server_id = server_id
        self.load_data = load_data
        self.debug = debug
        self.delta = delta
        self.peers = []
        self.port = t.free_port()
        self.tls_port = t.free_port()
        while self.tls_port == self.port:
            self.tls_port = t.free_port()
        self.sock = os.path.join(self.dir, "ldapi")
        self.uri = "ldap://127.0.0.1:%d" % self.port
        self.ldaps_uri = "ldaps://127.0.0.1:%d" % self.tls_port
        self.ldapi_uri = "ldapi://" + urllib.parse.quote(self.sock, safe="")
        self.db_dir = os.path.join(self.dir, "db")
        self.log_db_dir = os.path.join(self.dir, "accesslog")
        self.conf = os.path.join(self.dir, "slapd.conf")
        self.log_path = os.path.join(self.dir, "slapd.log")
        self.proc = None
        self.configured = False
        self.uid, self.gid = service_user()

    # -- configuration -----------------------------------------------------------
    def user_dn(self, uid):
        return "uid=%s,%s" % (uid, self.PEOPLE)

    def password(self, uid):
        for u in self.users:
            if u[0] == uid:
                return u[2]
        raise KeyError(uid)

    def acl_text(self):
        return self.acl

    def config_text(self):
        lines = [
            "# written by tests/directory/slapd.py",
            "include %s/core.schema" % SCHEMA_DIR,
            "include %s/cosine.schema" % SCHEMA_DIR,
            "include %s/nis.schema" % SCHEMA_DIR,
            "include %s/inetorgperson.schema" % SCHEMA_DIR,
            "include %s" % SSPR_SCHEMA,
            "modulepath %s" % MODULE_DIR,
            "moduleload back_mdb",
            "moduleload ppolicy",
            "moduleload syncprov",
            "moduleload accesslog",
            "pidfile %s/slapd.pid" % self.dir,
            "argsfile %s/slapd.args" % self.dir,
            "TLSCACertificateFile %s" % self.ca_file,
            "TLSCertificateFile %s" % self.cert,
            "TLSCertificateKeyFile %s" % self.key,
            # proxied authorization: an identity may act as those its
            # entry's authzTo names (the sspr service account, as a user)
            "authz-policy to",
            "sizelimit 500",
        ]
        if self.server_id is not None:
            lines.append("serverID %d" % self.server_id)
        if self.delta:
            # delta-syncrepl: the accesslog database the peer reads changes
            # from (only the peer's consumer, bound as the rootdn, reads it)
            lines += [
                "",
                "database mdb",
                "maxsize 104857600",
                'suffix "cn=accesslog"',
                "directory %s" % self.log_db_dir,
                "index default eq",
                "index entryCSN,objectClass,reqEnd,reqResult,reqStart,reqDN",
                'access to * by dn.exact="%s" read by * none' % self.ADMIN_DN,
                "overlay syncprov",
                "syncprov-nopresent TRUE",
                "syncprov-reloadhint TRUE",
            ]
        lines += [
            "",
            "database mdb",
            "maxsize 104857600",
            'suffix "%s"' % self.SUFFIX,
            'rootdn "%s"' % self.ADMIN_DN,
            "rootpw %s" % self.ADMIN_PW,
            "directory %s" % self.db_dir,
            "index objectClass eq",
            "index uid,uidNumber,gidNumber,memberUid eq",
            "index entryCSN,entryUUID eq",
        ]
        lines += self.acl_text().splitlines()
        for i, peer in enumerate(self.peers):
            delta = (' logbase="cn=accesslog" logfilter="(&(objectClass=auditWriteObject)'
                     '(reqResult=0))" syncdata=accesslog' if self.delta else "")
            lines.append(
                'syncrepl rid=%03d provider=%s bindmethod=simple binddn="%s" credentials=%s '
                'searchbase="%s" type=refreshAndPersist retry="1 +" timeout=3 '
                'network-timeout=3%s' % (100 * self.server_id + i + 1, peer.uri, peer.ADMIN_DN,
                                         peer.ADMIN_PW, self.SUFFIX, delta))
        if self.peers:
            lines += ["multiprovider on", "overlay syncprov", "syncprov-checkpoint 10 1"]
        if self.peers and self.delta:
            lines += ["overlay accesslog", "logdb cn=accesslog", "logops writes",
                      "logsuccess TRUE", "logpurge 01+00:00 00+01:00"]
        lines += [
            "overlay ppolicy",
            'ppolicy_default "%s"' % self.POLICY_DN,
            "ppolicy_hash_cleartext",
            "ppolicy_use_lockout",
            "",
        ]
        return "\n".join(lines)

    def data_ldif(self):
        s = self.SUFFIX
        parts = [
            "dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n" % s,
            "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n" % s,
            "dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n" % s,
            "dn: ou=services,%s\nobjectClass: organizationalUnit\nou: services\n" % s,
            "dn: ou=policies,%s\nobjectClass: organizationalUnit\nou: policies\n" % s,
        ]
        pol = ["dn: " + self.POLICY_DN, "objectClass: device", "objectClass: pwdPolicy",
               "cn: default"]
        pol += ["%s: %s" % kv for kv in self.policy.items()]
        parts.append("\n".join(pol) + "\n")
        # The service account: may act as any user below ou=people (proxied
        # authorization), and reads/writes the sspr attributes itself.
        parts.append("\n".join([
            "dn: " + self.SSPR_DN, "objectClass: applicationProcess",
            "objectClass: simpleSecurityObject", "cn: sspr",
            "userPassword: " + ssha(self.SSPR_PW),
            "authzTo: dn.onelevel:" + self.PEOPLE]) + "\n")
        parts.append("\n".join([
            "dn: " + self.PWADMIN_DN, "objectClass: applicationProcess",
            "objectClass: simpleSecurityObject", "cn: pwadmin",
            "userPassword: " + ssha(self.PWADMIN_PW)]) + "\n")
        parts.append("\n".join([
            "dn: " + self.READER_DN, "objectClass: applicationProcess",
            "objectClass: simpleSecurityObject", "cn: reader",
            "userPassword: " + ssha(self.READER_PW)]) + "\n")
        members = []
        for uid, num, pw, mail, mobile in self.users:
            members.append("memberUid: " + uid)
            parts.append("\n".join([
                "dn: " + self.user_dn(uid),
                "objectClass: inetOrgPerson", "objectClass: posixAccount",
                "objectClass: shadowAccount",
                "uid: " + uid, "cn: " + uid.capitalize(), "sn: " + uid.capitalize(),
                "mail: " + mail, "mobile: " + mobile,
                "uidNumber: %d" % num, "gidNumber: %d" % GROUP_GID,
                "homeDirectory: /home/" + uid, "loginShell: /bin/bash",
                "userPassword: " + ssha(pw)]) + "\n")
        parts.append("\n".join([
            "dn: cn=sspr-users," + self.GROUPS, "objectClass: posixGroup",
            "cn: sspr-users", "gidNumber: %d" % GROUP_GID] + members) + "\n")
        return "\n".join(parts)

    def _write_config(self):
        t.write_file(self.conf, self.config_text(), mode=0o640, gid=self.gid)
        os.makedirs(self.db_dir, mode=0o700, exist_ok=True)
        if self.delta:
            os.makedirs(self.log_db_dir, mode=0o700, exist_ok=True)
        t.run(["/usr/sbin/slaptest", "-u", "-f", self.conf])
        if self.load_data:
            data = os.path.join(self.dir, "data.ldif")
            t.write_file(data, self.data_ldif(), mode=0o600)
            argv = ["/usr/sbin/slapadd", "-q", "-f", self.conf, "-b", self.SUFFIX, "-l", data]
            if self.server_id is not None:
                argv += ["-S", str(self.server_id), "-w"]
            t.run(argv, timeout=t.TIMEOUT)
        # slapd's own files (its key included) belong to the slapd user; the
        # CA's key stays root's.
        for root, dirs, files in os.walk(self.dir):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), self.uid, self.gid)
        os.chown(self.dir, self.uid, self.gid)
        for p in (self.cert, self.key):
            os.chown(p, self.uid, self.gid)
        os.chown(self.ca.ca_key, 0, 0)

    # -- running ------------------------------------------------------------------
    def start(self, timeout=t.TIMEOUT):
        """Write the config, load the data (the first time only: a start
        after stop() keeps the database), start slapd unprivileged and wait
        (bounded) until it answers a search on ldapi://."""
        if self.proc is not None:
            raise t.HarnessError("slapd %s is already running" % self.name)
        if not self.configured:
            self._write_config()
            self.configured = True
        urls = " ".join([self.uri + "/", self.ldaps_uri + "/", self.ldapi_uri + "/"])
        argv = ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid, "--clear-groups",
                "--inh-caps=-all", SLAPD, "-d", self.debug, "-f", self.conf, "-h", urls]
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, close_fds=True)
        t.wait_until("slapd %s answering on %s" % (self.name, self.ldapi_uri),
                     lambda: self.tool("ldapsearch", ["-s", "base", "-b", "", "1.1"],
                                       uri=self.ldapi_uri, binddn=None).rc == 0,
                     timeout=timeout, proc=self.proc, log=self.log)
        return self

    def wait_ready(self, timeout=t.TIMEOUT):
        """Bounded wait until every listener answers (plain, StartTLS, LDAPS)."""
        for uri in (self.uri, self.ldaps_uri):
            t.wait_until("slapd %s answering on %s" % (self.name, uri),
                         lambda: self.tool("ldapsearch", ["-s", "base", "-b", "", "1.1"],
                                           uri=uri, binddn=None).rc == 0,
                         timeout=timeout, proc=self.proc, log=self.log)

    def log(self):
        return t.log_tail(self.log_path)

    def stop(self):
        if self.proc is not None:
            t.stop_process(self.proc)
            self.proc = None
        if getattr(self, "log_file", None):
            self.log_file.close()
            self.log_file = None

    # -- ldap-utils -----------------------------------------------------------------
    def env(self):
        e = dict(os.environ)
        e.update({"LDAPCONF": "/dev/null", "LDAPTLS_CACERT": self.ca_file,
                  "LDAPTLS_REQCERT": "demand", "LDAPRC": "/dev/null/none"})
        return e

    def tool(self, prog, args, binddn="admin", password=None, uri=None, starttls=None,
             controls=(), input=None, timeout=t.TIMEOUT):
        """Run an ldap-utils program against this server; returns Result.
        binddn: "admin" (the rootdn), a DN (simple bind with password),
        "external" (SASL EXTERNAL over ldapi: root's peer credentials) or None
        (anonymous). starttls: default on for ldap:// URIs (-ZZ: must succeed).
        controls: -e arguments, e.g. "!authzid=dn:...", "postread=attr"."""
        uri = uri or self.uri
        argv = [prog, "-H", uri, "-o", "nettimeout=10"]
        if starttls is None:
            starttls = uri.startswith("ldap://")
        if starttls:
            argv.append("-ZZ")
        if binddn == "external":
            argv += ["-Y", "EXTERNAL", "-Q"]
        elif binddn == "admin":
            argv += ["-x", "-D", self.ADMIN_DN, "-w", self.ADMIN_PW]
        elif binddn is not None:
            if password is None:
                raise ValueError("a bind DN needs a password")
            argv += ["-x", "-D", binddn, "-w", password]
        else:
            argv += ["-x"]
        for c in controls:
            argv += ["-e", c]
        argv += list(args)
        try:
            p = subprocess.run(argv, input=input, capture_output=True, text=True,
                               timeout=timeout, env=self.env())
        except subprocess.TimeoutExpired:
            raise t.HarnessError("%s timed out after %ss: %r" % (prog, timeout, argv))
        return Result(argv, p)

    def bind_ok(self, dn, password, uri=None):
        """True if a simple bind as dn with password succeeds, False for
        invalidCredentials (49); any other outcome is an error."""
        r = self.tool("ldapwhoami", [], binddn=dn, password=password, uri=uri)
        if r.rc == 0:
            return True
        if r.rc == 49:
            return False
        raise t.HarnessError("bind as %s: unexpected result\n%s" % (dn, r.text()))

    def search(self, base=None, filter="(objectClass=*)", attrs=(), scope="sub",
               binddn="admin", password=None, uri=None, controls=(), check=True):
        """Entries found (list of Entry). check: a non-zero result code other
        than noSuchObject (32) fails the test; with check=False, returns
        (rc, entries)."""
        base = self.SUFFIX if base is None else base
        args = ["-LLL", "-o", "ldif-wrap=no", "-b", base, "-s", scope, filter] + list(attrs)
        r = self.tool("ldapsearch", args, binddn=binddn, password=password, uri=uri,
                      controls=controls)
        entries = parse_ldif(r.stdout)
        if not check:
            return r.rc, entries
        if r.rc not in (0, 32):
            raise t.HarnessError("search failed\n" + r.text())
        return entries

    def modify(self, ldif, binddn="admin", password=None, uri=None, controls=(), add=False):
        """ldapmodify (ldapmodify -a when add) with the LDIF text on stdin;
        returns the Result (rc is the LDAP result code; never raises for it)."""
        args = ["-a"] if add else []
        return self.tool("ldapmodify", args, binddn=binddn, password=password, uri=uri,
                         controls=controls, input=ldif)

    def passwd_exop(self, user_dn, new_password, old_password=None, binddn="admin",
                    password=None, authzid=None, uri=None):
        """RFC 3062 Password Modify extended operation (ldappasswd) on user_dn.
        authzid: "dn:<dn>" to send it with the proxied authorization control
        (RFC 4370, critical) so it runs as that identity."""
        args = ["-s", new_password]
        if old_password is not None:
            args += ["-a", old_password]
        args.append(user_dn)
        controls = ["!authzid=" + authzid] if authzid else []
        return self.tool("ldappasswd", args, binddn=binddn, password=password, uri=uri,
                         controls=controls)

    def add_user(self, uid, password, uid_number, mail=None, mobile=None, sspr=False):
        """Add a user below ou=people as the rootdn (ppolicy hashes the
        password). sspr: also the ssprAccount objectClass. Returns the DN."""
        lines = ["dn: " + self.user_dn(uid), "objectClass: inetOrgPerson",
                 "objectClass: posixAccount", "objectClass: shadowAccount"]
        if sspr:
            lines.append("objectClass: ssprAccount")
        lines += ["uid: " + uid, "cn: " + uid, "sn: " + uid,
                  "uidNumber: %d" % uid_number, "gidNumber: %d" % GROUP_GID,
                  "homeDirectory: /home/" + uid, "loginShell: /bin/bash",
                  ldif_value("userPassword", password)]
        if mail:
            lines.append("mail: " + mail)
        if mobile:
            lines.append("mobile: " + mobile)
        r = self.modify("\n".join(lines) + "\n", add=True)
        if r.rc != 0:
            raise t.HarnessError("adding %s failed\n%s" % (uid, r.text()))
        self.users.append((uid, uid_number, password, mail, mobile))
        return self.user_dn(uid)

    def root_dse(self, attrs=("+",)):
        e = self.search("", scope="base", attrs=attrs, binddn=None)
        if not e:
            raise t.HarnessError("no root DSE from %s" % self.uri)
        return e[0]


def start_pair(acl=None, policy=None, timeout=t.TIMEOUT, delta=False, names=("a", "b")):
    """Two slapd providers (server IDs 1 and 2) that replicate each other
    (syncrepl refreshAndPersist + multiprovider, the 2.5 form of mirrormode;
    delta: delta-syncrepl, each replaying the other's accesslog change by
    change instead of copying whole entries). A gets the data with slapadd;
    B starts empty and pulls it. Returns (a, b) once B has the users."""
    a = Slapd(names[0], acl=acl, policy=policy, server_id=1, delta=delta)
    b = Slapd(names[1], ca=a.ca, acl=acl, policy=policy, server_id=2, load_data=False,
              delta=delta)
    a.peers, b.peers = [b], [a]
    try:
        a.start(timeout)
        b.start(timeout)
        t.wait_until("provider B replicated A's users",
                     lambda: b.search(b.PEOPLE, "(uid=%s)" % a.users[-1][0], ["1.1"]),
                     timeout=timeout, proc=b.proc, log=b.log)
    except BaseException:
        b.stop()
        a.stop()
        raise
    return a, b
