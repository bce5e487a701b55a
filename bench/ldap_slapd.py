#!/usr/bin/python3
"""A real slapd for the bench's LDAP section (bench/inside.sh, section 9),
started the way tests/directory/slapd.py starts it for the tests, and the
helper's configuration for it (as tests/directory/ldap_fleet.py writes it).

    ldap_slapd.py ENVFILE CONF STATE_DIR DB_DIR THROTTLE_FILE USER...

Starts slapd (StartTLS on ldap://127.0.0.1:P, its log is `-d stats`), adds
each USER below ou=people (uidNumber 30000 up; no /etc/passwd line),
writes the service account's password to /etc/sspr/ldap-bind and CONF
("backend = ldap", STATE_DIR for what stays local, the [throttle] lines of
THROTTLE_FILE, the [ldap] section), and ENVFILE: shell assignments
(LDAP_LOG, LDAP_PID, LDAP_URI, LDAP_LDAPI, LDAP_ADMIN_DN, LDAP_ADMIN_PW,
LDAP_PEOPLE) for inside.sh. DB_DIR: the database's directory ("" for the
sandbox's /tmp), so that its writes cost what the disk costs. slapd keeps
running after this script exits; inside.sh stops it by LDAP_PID.

Inside the sandbox only (bench/run.sh); needs slapd and ldap-utils.
"""
import os
import shlex
import sys

SRC = os.environ.get("SSPR_SRCDIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SRC, "tests", "directory"))
import dirtest as t  # noqa: E402
import ldap_fleet as fleet  # noqa: E402
import slapd  # noqa: E402

FIRST_UID = 30000


class BenchSlapd(slapd.Slapd):
    """slapd.Slapd with the database where the bench says (its disk)."""

    def __init__(self, db_dir, **kw):
        super().__init__(**kw)
        if db_dir:
            self.db_dir = db_dir

    def _write_config(self):
        os.makedirs(self.db_dir, mode=0o700, exist_ok=True)
        super()._write_config()
        for root, dirs, files in os.walk(self.db_dir):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), self.uid, self.gid)
        os.chown(self.db_dir, self.uid, self.gid)


def main(argv):
    if len(argv) < 7:
        sys.exit("usage: ldap_slapd.py ENVFILE CONF STATE_DIR DB_DIR THROTTLE_FILE USER...")
    envfile, conf, state, db_dir, throttle_file = argv[1:6]
    users = argv[6:]
    t.require_sandbox()
    with open(throttle_file) as f:
        throttle = f.read()
    if not throttle.startswith("[throttle]\n"):
        sys.exit("ldap_slapd.py: %s does not start with [throttle]" % throttle_file)
    d = BenchSlapd(db_dir, name="bench")
    d.start()
    d.wait_ready()
    for i, u in enumerate(users):
        d.add_user(u, t.h.strong_password(), FIRST_UID + i)
    os.makedirs(state, mode=0o700, exist_ok=True)
    t.write_file(fleet.BIND_PW_FILE, "password = %s\n" % d.SSPR_PW, mode=0o600)
    t.write_file(conf, "[general]\nbackend = ldap\nstate_dir = %s\n" % state + throttle
                 + fleet.ldap_section(d), mode=0o600)
    env = {
        "LDAP_LOG": d.log_path,
        "LDAP_PID": str(d.proc.pid),
        "LDAP_URI": d.uri,
        "LDAP_LDAPI": d.ldapi_uri,
        "LDAP_ADMIN_DN": d.ADMIN_DN,
        "LDAP_ADMIN_PW": d.ADMIN_PW,
        "LDAP_PEOPLE": d.PEOPLE,
        "LDAP_DB": d.db_dir,
    }
    with open(envfile, "w") as f:
        for k, v in env.items():
            f.write("%s=%s\n" % (k, shlex.quote(v)))
    # slapd outlives this process (inside.sh stops it): let go of it
    d.proc = None
    d.log_file.close()
    d.log_file = None


if __name__ == "__main__":
    main(sys.argv)
