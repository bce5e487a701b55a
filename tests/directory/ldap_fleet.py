"""Machines of a fleet for the LDAP backend tests: each machine is a helper
configuration (its own sspr.conf and state directory) and a PAM service
whose pam_sspr line names that configuration, all inside one sandbox and
against a real slapd (tests/directory/slapd.py).

    d = slapd.Slapd(); d.start()
    a = Machine("a", d); b = Machine("b", d)
    secret = a.enroll_totp("alice")        # sspr-helper --config=A enroll ...
    s = b.start_reset("alice")             # a PAM transaction on machine B
"""

import os
import re
import threading

import dirtest as t
import slapd

h = t.h

BIND_PW_FILE = "/etc/sspr/ldap-bind"


def ldap_section(d, uri=None, **extra):
    """The [ldap] section for slapd d (StartTLS on its ldap:// URI)."""
    keys = {
        "uri": uri or d.uri,
        "base": "ou=people," + slapd.SUFFIX,
        "bind_dn": d.SSPR_DN,
        "bind_pw_file": BIND_PW_FILE,
        "ca_file": d.ca_file,
        "timeout": "3",
    }
    keys.update({k: str(v) for k, v in extra.items()})
    return "[ldap]\n" + "".join("%s = %s\n" % kv for kv in keys.items())


class Machine:
    """One machine of the fleet: /etc/sspr/NAME.conf, /var/lib/sspr-NAME,
    the PAM service sspr-test-NAME (the Debian stacking, pam_unix first)."""

    def __init__(self, name, d, throttle="failure_delay = 0\n", extra="", **ldap):
        self.name = name
        self.conf = "/etc/sspr/%s.conf" % name
        self.state = "/var/lib/sspr-%s" % name
        self.service = "sspr-test-" + name
        os.makedirs(self.state, mode=0o700, exist_ok=True)
        h.write_file(BIND_PW_FILE, "password = %s\n" % d.SSPR_PW, mode=0o600)
        self.write(d, throttle, extra, **ldap)
        h.write_file("/etc/pam.d/" + self.service,
                     h.NORMAL_STACK.replace("{args}", "config=" + self.conf))

    def write(self, d, throttle="failure_delay = 0\n", extra="", **ldap):
        h.write_file(self.conf,
                     "[general]\nbackend = ldap\nstate_dir = %s\n" % self.state
                     + "[throttle]\n" + throttle + extra + ldap_section(d, **ldap), mode=0o600)

    def helper(self, *args, check=True, input=None):
        return h.run([h.HELPER, "--config=" + self.conf] + list(args), check=check, input=input)

    def enroll_totp(self, user):
        p = self.helper("enroll", user, "--totp")
        m = re.search(r"otpauth://totp/\S*?[?&]secret=([A-Za-z2-7]+=*)", p.stdout)
        if not m:
            raise t.HarnessError("no otpauth URI in:\n" + p.stdout + p.stderr)
        return m.group(1).upper().rstrip("=")

    def enroll_recovery(self, user):
        p = self.helper("enroll", user, "--recovery-codes")
        return [line.strip() for line in p.stdout.splitlines() if line.strip()]

    def session(self, user, **kw):
        return h.Session(user, service=self.service, **kw)

    def start_reset(self, user, **kw):
        return h.start_reset(user, service=self.service, **kw)

    def full_reset(self, user, code, new_password):
        return h.full_reset(user, code, new_password, service=self.service)


def throttle_text(d, uid):
    """The user's ssprThrottle value as the directory holds it ("" when none)."""
    e = d.search(d.user_dn(uid), attrs=["ssprThrottle"], scope="base")
    return e[0].first("ssprThrottle", "") if e else ""


def failures(d, uid):
    m = re.search(r"\bf=(\d+)", throttle_text(d, uid))
    return int(m.group(1)) if m else 0


def answer_at_once(sessions, text, timeout=60):
    """Each session (at a prompt) answers text at the same instant (a
    barrier), then reads its next line; returns those lines, in the order
    they came. The sessions are closed."""
    gate = threading.Barrier(len(sessions))
    seen = []

    def answer(s):
        gate.wait(timeout)
        s.answer(text)
        seen.append(s.read())

    threads = [threading.Thread(target=answer, args=(s,)) for s in sessions]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout)
    for s in sessions:
        s.close(kill=True)
    return seen
