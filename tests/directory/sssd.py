"""SSSD (id_provider = auth_provider = ldap) against a tests/directory slapd,
inside the sandbox, with pam_sss in the sandbox's PAM stack and sss in its
nsswitch.conf (the host's files are never touched: /etc is an overlay).

    d = slapd.Slapd(); d.start()
    s = sssd.Sssd(d)      # writes /etc/sssd/sssd.conf (0600 root), starts sssd -i
    s.getent("alice")     # passwd line via nss_sss, or None
    s.offline(); s.online()   # SIGUSR1 / SIGUSR2 to sssd
    with s.directory_gone(sshd):  # slapd stopped, sssd offline; then both
        ...                       #   back, proved by a sign-in over sshd
    s.stop()
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time

import dirtest as t

SSSD = "/usr/sbin/sssd"
TOOLS = (SSSD, "/usr/sbin/pam-auth-update", "getent")
CONF = "/etc/sssd/sssd.conf"
DOMAIN = "example"


def enable_sss_in_sandbox(nodelay=True):
    """nsswitch.conf: sss after files for passwd, group, shadow; PAM: Debian's
    own pam-auth-update profile for pam_sss (inside the sandbox only).
    nodelay: pam_unix's 2 s failure delay off (it fails first for directory
    users; pam_sss then decides)."""
    t.require_sandbox()
    with open("/etc/nsswitch.conf") as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        m = re.match(r"^(passwd|group|shadow):\s+(.*)$", line)
        if m and "sss" not in m.group(2).split():
            line = "%s: %s sss" % (m.group(1), m.group(2))
        out.append(line)
    t.write_file("/etc/nsswitch.conf", "\n".join(out) + "\n")
    t.run(["pam-auth-update", "--package", "--enable", "sss"])
    with open("/etc/pam.d/common-auth") as f:
        auth = f.read()
    if "pam_sss.so" not in auth:
        raise t.HarnessError("pam-auth-update did not add pam_sss:\n" + auth)
    if nodelay:
        auth = re.sub(r"(pam_unix\.so[^\n]*)", lambda m: m.group(1) if "nodelay" in m.group(1)
                      else m.group(1) + " nodelay", auth, count=1)
        t.write_file("/etc/pam.d/common-auth", auth)
    return auth


class SssdDaemon:
    """sssd -i with the given sssd.conf lines, on a fresh cache, answering
    getent for probe_user before it is returned; its log, getent and stop.
    Sssd (below) and the Active Directory tests build on it."""

    def __init__(self, conf_lines, log_name, probe_user, timeout=t.TIMEOUT):
        self.log_path = "/var/log/sssd/%s.log" % log_name
        os.makedirs("/var/log/sssd", exist_ok=True)
        # a fresh cache: nothing from the package's install or a test before
        for sub in ("db", "mc"):
            p = os.path.join("/var/lib/sss", sub)
            if os.path.isdir(p):
                for n in os.listdir(p):
                    fp = os.path.join(p, n)
                    if os.path.isfile(fp):
                        os.unlink(fp)
        # sssd refuses to start unless the file is root's and 0600 (exit 4)
        t.write_file(CONF, "\n".join(conf_lines), mode=0o600)
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen([SSSD, "-i", "--logger=stderr", "-d", "0x0070"],
                                     stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, close_fds=True)
        t.wait_until("sssd answering getent passwd for %s" % probe_user,
                     lambda: self.getent(probe_user),
                     timeout=timeout, proc=self.proc, log=self.log)

    def getent(self, name, db="passwd"):
        p = subprocess.run(["getent", db, name], capture_output=True, text=True,
                           timeout=t.TIMEOUT)
        return p.stdout.strip() if p.returncode == 0 else None

    def log(self):
        return t.log_tail(self.log_path)

    def stop(self):
        t.stop_process(self.proc)
        if self.log_file:
            self.log_file.close()
            self.log_file = None


class Sssd(SssdDaemon):
    def __init__(self, directory, extra_domain=None, cache_credentials=True, timeout=t.TIMEOUT):
        t.require_sandbox()
        missing = t.have(*TOOLS)
        if missing:
            raise t.HarnessError("missing %s (apt-get install sssd-ldap libnss-sss libpam-sss)"
                                 % missing)
        self.d = directory
        lines = [
            "[sssd]",
            "services = nss, pam",
            "domains = " + DOMAIN,
            "",
            "[nss]",
            "",
            "[pam]",
            "offline_credentials_expiration = 0",
            "",
            "[domain/%s]" % DOMAIN,
            "id_provider = ldap",
            "auth_provider = ldap",
            "chpass_provider = ldap",
            "ldap_schema = rfc2307",
            "ldap_uri = " + directory.uri,
            "ldap_search_base = " + directory.SUFFIX,
            "ldap_default_bind_dn = " + directory.READER_DN,
            "ldap_default_authtok_type = password",
            "ldap_default_authtok = " + directory.READER_PW,
            "ldap_id_use_start_tls = true",
            "ldap_tls_reqcert = demand",
            "ldap_tls_cacert = " + directory.ca_file,
            "cache_credentials = %s" % ("true" if cache_credentials else "false"),
            "entry_cache_timeout = 5",
            "ldap_network_timeout = 3",
            "ldap_opt_timeout = 5",
            "offline_timeout = 2",
            "",
        ]
        if extra_domain:
            lines += extra_domain
        super().__init__(lines, "sspr-test-sssd", directory.users[0][0], timeout)

    def offline(self):
        """Tell sssd to go offline now (SIGUSR1)."""
        self.proc.send_signal(signal.SIGUSR1)

    def online(self):
        """Tell sssd to go back online now (SIGUSR2)."""
        self.proc.send_signal(signal.SIGUSR2)

    @contextlib.contextmanager
    def directory_gone(self, sshd, probe_uid="carol"):
        """slapd stopped and sssd told to go offline for the with-block;
        afterwards back_online()."""
        try:
            self.d.stop()
            self.offline()
            time.sleep(0.5)  # let the signal reach sssd_be
            yield
        finally:
            self.back_online(sshd, probe_uid)

    def back_online(self, sshd, probe_uid="carol"):
        """Directory up again, sssd told to go online, and a sign-in over
        sshd that the cache cannot answer proves it (bounded): probe_uid
        gets a password only the directory knows (a login that the cache
        could answer would prove nothing)."""
        if self.d.proc is None:
            self.d.start()
        self.online()
        probe = "Probe-Online-Pass-%d" % time.monotonic_ns()
        dn = self.d.user_dn(probe_uid)
        r = self.d.passwd_exop(dn, probe, binddn=self.d.SSPR_DN, password=self.d.SSPR_PW,
                               authzid="dn:" + dn)
        if r.rc != 0:
            raise t.HarnessError("setting the probe password failed\n" + r.text())
        t.wait_until("sssd online again", lambda: ssh_works(sshd, probe_uid, probe),
                     timeout=20)

    def expire_cache(self):
        if shutil.which("sss_cache"):
            t.run(["sss_cache", "-E"], check=False)


def ssh_works(sshd, uid, password):
    """True when a fresh ssh signs uid in with password (tests/e2e/e2e.py)."""
    import e2e  # needs pexpect; only the sshd tests call this
    try:
        e2e.ssh_runs(sshd, uid, password, command="id -un")
        return True
    except t.HarnessError:
        return False
