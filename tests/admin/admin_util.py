"""Shared bits of the admin tests (doctor, import, pam-auth-update).

They reuse tests/pam/sspr_harness.py (the sandbox, users, pamdrive) and add:
the Debian-profile set-up, file snapshots to restore between test cases,
and a parser for doctor's report.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pam"))

import sspr_harness as h  # noqa: E402

PAM_CONFIGS = "/usr/share/pam-configs"
PROFILE = os.path.join(PAM_CONFIGS, "sspr")
SSHD_DROPIN = "/etc/ssh/sshd_config.d/50-sspr-test.conf"
# What pam-auth-update writes. Once pam_sspr.so is in them, every PAM program
# (chpasswd, useradd) loads it; in an --enable-sanitizers build that module
# cannot be loaded into a program without ASan, so tests put the stock files
# back before using those tools (the harness's setUp runs chpasswd).
PAM_COMMON = ["/etc/pam.d/common-auth", "/etc/pam.d/common-account",
              "/etc/pam.d/common-password", "/etc/pam.d/common-session",
              "/etc/pam.d/common-session-noninteractive", "/var/lib/pam/seen",
              "/var/lib/pam/auth", "/var/lib/pam/account", "/var/lib/pam/password",
              "/var/lib/pam/session", "/var/lib/pam/session-noninteractive"]

LINE_RE = re.compile(r"^(PASS|WARN|FAIL)  (?:(SSPR-E\d{3}) )?(.*)$")


def pam_auth_update(*args):
    """Run pam-auth-update non-interactively (debconf noninteractive frontend)."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true")
    return h.run(["pam-auth-update"] + list(args), env=env)


def apply_profile():
    """`pam-auth-update --enable sspr` with the installed profile."""
    h.require_sandbox()
    if not os.path.exists(PROFILE):
        raise h.HarnessError("%s not installed (make install should put it there)" % PROFILE)
    return pam_auth_update("--enable", "sspr")


def stack_lines(path, kind):
    """Non-comment lines of one type from a PAM file, as (control, module, args)."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            m = re.match(r"^(\S+)\s+(\[[^\]]*\]|\S+)\s+(\S+)\s*(.*)$", line)
            if m and m.group(1).lstrip("-") == kind:
                out.append((m.group(2), os.path.basename(m.group(3)), m.group(4).strip()))
    return out


GOOD_SSHD = "KbdInteractiveAuthentication yes\nUsePAM yes\nLoginGraceTime 300\n"


def good_sshd():
    """sshd allows keyboard-interactive through PAM and gives a sign-in time
    for a reset (a drop-in, as an admin would)."""
    h.write_file(SSHD_DROPIN, GOOD_SSHD, mode=0o644)


def doctor(*args):
    """Run `sspr-helper doctor [USER]`; returns (exit code, lines, [(kind, code, text)])."""
    p = h.helper_cmd("doctor", *args, check=False)
    parsed = []
    for line in p.stdout.splitlines():
        m = LINE_RE.match(line)
        if m:
            parsed.append((m.group(1), m.group(2), m.group(3)))
    return p.returncode, p.stdout, parsed


class Snapshot:
    """Remember files (content, mode, owner, or absence) and put them back."""

    def __init__(self, paths):
        self.saved = {}
        for p in paths:
            if os.path.lexists(p):
                st = os.lstat(p)
                if os.path.isdir(p):
                    self.saved[p] = ("dir", st.st_mode & 0o7777, st.st_uid, st.st_gid)
                else:
                    with open(p, "rb") as f:
                        self.saved[p] = ("file", st.st_mode & 0o7777, st.st_uid, st.st_gid,
                                         f.read())
            else:
                self.saved[p] = None

    def restore(self):
        for p, v in self.saved.items():
            if v is None:
                if os.path.isdir(p) and not os.path.islink(p):
                    continue
                if os.path.lexists(p):
                    os.unlink(p)
                continue
            if v[0] == "dir":
                os.makedirs(p, exist_ok=True)
                os.chown(p, v[2], v[3])
                os.chmod(p, v[1])
            else:
                h.write_file(p, v[4], mode=v[1], uid=v[2], gid=v[3])
