"""`sspr-helper doctor [USER]` on a good installation (every line PASS) and
on each broken installation it knows (exactly one kind of FAIL, with the
right SSPR-Exxx code and a fix), in a throwaway root sandbox with the real
installed helper, the Debian pam-auth-update profile applied and sshd set
up for keyboard-interactive. Also: the sshd that runs is the one checked
(its -f file and -o options, through sshd -T), sign-in timeouts against
how long a reset can take, fixes that fit the installation, and wrapping
on a terminal (issue 9 items 8, 9, 13)."""

import fcntl
import os
import re
import signal
import socket
import struct
import subprocess
import termios
import time

from admin_util import (h, apply_profile, good_sshd, doctor, Snapshot, SSHD_DROPIN, PAM_COMMON,
                        GOOD_SSHD)

CONF = h.CONF
STATE = h.STATE_DIR
COMMON_AUTH = "/etc/pam.d/common-auth"
SSPR_PASSWD = "/etc/pam.d/sspr-passwd"
BANNED = "/usr/share/pam_sspr/banned-passwords.txt"
DOCTOR_CONFIG = "[throttle]\nfailure_delay = 0\n"
LOGIN_DEFS = "/etc/login.defs"
PAM_LOGIN = "/etc/pam.d/login"
PAM_SSHD = "/etc/pam.d/sshd"
SSHD_RUN = "/run/sspr-doctor-sshd"

GOOD_AUTH = """\
auth\t[success=2 default=ignore]\tpam_unix.so nullok
auth\t[success=1 default=ignore]\tpam_sspr.so
auth\trequisite\t\t\tpam_deny.so
auth\trequired\t\t\tpam_permit.so
"""


def set_login_timeout(value):
    """LOGIN_TIMEOUT in /etc/login.defs: value, or None for no such line."""
    with open(LOGIN_DEFS) as f:
        lines = [l for l in f.read().splitlines() if not l.startswith("LOGIN_TIMEOUT")]
    if value is not None:
        lines.append("LOGIN_TIMEOUT\t\t%s" % value)
    h.write_file(LOGIN_DEFS, "\n".join(lines) + "\n", mode=0o644)


class DoctorTest(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h.setup_system(config_text=DOCTOR_CONFIG)
        h.add_user("alice", h.strong_password())
        h.enroll_totp("alice")
        h.enroll_recovery("alice")
        h.add_user("bob", h.strong_password())                     # nothing registered
        h.add_user("carol", h.strong_password(), groups=("sudo",))  # an admin
        h.enroll_totp("carol")                                     # ...with one method only
        cls.stock = Snapshot(PAM_COMMON)
        apply_profile()
        good_sshd()
        set_login_timeout("300")
        cls.snap = Snapshot([CONF, COMMON_AUTH, SSPR_PASSWD, BANNED, STATE, SSHD_DROPIN,
                             "/etc/pam.d/common-account", LOGIN_DEFS, PAM_LOGIN, PAM_SSHD])
        cls.helper_mode = os.stat(h.HELPER).st_mode & 0o7777

    def setUp(self):
        # the harness's setUp rewrites config and the test service; put the
        # good installation back on top of that
        self.stock.restore()
        super().setUp()
        self.snap.restore()
        os.chmod(h.HELPER, self.helper_mode)

    # -- assertions -------------------------------------------------------------
    def assertFormat(self, out):
        lines = out.splitlines()
        self.assertTrue(lines, "doctor printed nothing")
        for line in lines[:-1]:
            self.assertRegex(line, r"^(PASS  \S|WARN  \S|FAIL  SSPR-E\d{3} \S)", out)
            if line.startswith("FAIL"):
                self.assertIn(" \u2014 fix: ", line, out)
        self.assertRegex(lines[-1], r"^\d+ failed, \d+ warnings?$", out)

    def assertOnlyFail(self, code, *user):
        rc, out, parsed = doctor(*user)
        self.assertFormat(out)
        fails = [c for kind, c, _ in parsed if kind == "FAIL"]
        self.assertTrue(fails, "expected a FAIL %s:\n%s" % (code, out))
        self.assertEqual(set(fails), {code}, out)
        self.assertEqual(rc, 1, out)
        return out

    # -- a good installation -------------------------------------------------------
    def test_good_setup_all_pass(self):
        rc, out, parsed = doctor()
        self.assertFormat(out)
        self.assertEqual(rc, 0, out)
        self.assertEqual([p for p in parsed if p[0] != "PASS"], [], out)
        for check in ("config: ", "state directory: ", "helper: ", "PAM service login: ",
                      "PAM service sshd: ", "PAM module: ", "writeback service ",
                      "banned passwords: ",
                      "login: LOGIN_TIMEOUT 300 s (/etc/login.defs line ",
                      "sshd (not running; /etc/ssh/sshd_config): UsePAM yes, "
                      "KbdInteractiveAuthentication yes (read with sshd -T)",
                      "sshd (not running; /etc/ssh/sshd_config): LoginGraceTime 300 s leaves"):
            self.assertTrue(any(t.startswith(check) for _, _, t in parsed),
                            "no PASS line for %r:\n%s" % (check, out))

    def test_good_user_all_pass(self):
        rc, out, parsed = doctor("alice")
        self.assertEqual(rc, 0, out)
        self.assertEqual([p for p in parsed if p[0] != "PASS"], [], out)
        self.assertIn("regular user, needs 1 gate", out)
        self.assertRegex(out, r"registered totp recovery")
        self.assertIn("not locked out", out)

    # -- configuration --------------------------------------------------------------
    def test_config_group_writable(self):
        os.chmod(CONF, 0o620)
        out = self.assertOnlyFail("SSPR-E102")
        self.assertIn("group-writable", out)

    def test_config_invalid(self):
        h.write_config("[policy]\nno_such_key = 1\n")
        out = self.assertOnlyFail("SSPR-E101")
        self.assertIn("no_such_key", out)

    def test_state_dir_0755(self):
        os.chmod(STATE, 0o755)
        out = self.assertOnlyFail("SSPR-E103")
        self.assertIn("0755", out)

    def test_helper_group_writable(self):
        os.chmod(h.HELPER, 0o775)
        self.assertOnlyFail("SSPR-E104")

    def test_writeback_service_missing(self):
        os.unlink(SSPR_PASSWD)
        self.assertOnlyFail("SSPR-E105")

    def test_pwquality_without_enforce_for_root(self):
        h.write_file(SSPR_PASSWD, "password requisite pam_pwquality.so retry=1\n"
                                  "password required pam_unix.so use_authtok yescrypt\n")
        self.assertOnlyFail("SSPR-E106")

    def test_pwquality_dictionary_missing(self):
        # without cracklib's dictionary pam_pwquality refuses every password
        d = "/var/cache/cracklib"
        for name in os.listdir(d):
            if name.startswith("cracklib_dict."):
                os.rename(os.path.join(d, name), os.path.join(d, "hidden." + name))
                self.addCleanup(os.rename, os.path.join(d, "hidden." + name), os.path.join(d, name))
        self.assertOnlyFail("SSPR-E111")

    def test_pam_line_missing(self):
        h.write_file(COMMON_AUTH, "auth [success=1 default=ignore] pam_unix.so nullok\n"
                                  "auth requisite pam_deny.so\n"
                                  "auth required pam_permit.so\n")
        out = self.assertOnlyFail("SSPR-E107")
        self.assertIn("none of the auth stacks", out)

    def test_pam_line_misordered(self):
        h.write_file(COMMON_AUTH, "auth [success=1 default=ignore] pam_sspr.so\n"
                                  "auth [success=1 default=ignore] pam_unix.so nullok\n"
                                  "auth requisite pam_deny.so\n"
                                  "auth required pam_permit.so\n")
        out = self.assertOnlyFail("SSPR-E107")
        self.assertIn("comes before pam_unix.so", out)

    def test_pam_jump_arithmetic(self):
        # pam_sspr added but pam_unix's success=1 not raised: a correct password
        # would land on pam_deny
        h.write_file(COMMON_AUTH, GOOD_AUTH.replace("success=2", "success=1"))
        out = self.assertOnlyFail("SSPR-E107")
        self.assertIn("it must be success=2", out)
        # one too many: lands past pam_permit, off the end of the stack
        h.write_file(COMMON_AUTH, GOOD_AUTH.replace("success=2", "success=3"))
        rc, out, parsed = doctor()
        self.assertNotIn("FAIL", out)
        self.assertEqual(rc, 0, out)

    def test_pam_stack_good_variants(self):
        # `sufficient` pam_unix is fine too, and so is the stock jump
        h.write_file(COMMON_AUTH, "auth sufficient pam_unix.so nullok\n"
                                  "auth [success=1 default=ignore] pam_sspr.so\n"
                                  "auth requisite pam_deny.so\n"
                                  "auth required pam_permit.so\n")
        rc, out, _ = doctor()
        self.assertEqual(rc, 0, out)

    def test_pam_no_deny_after_sspr(self):
        h.write_file(COMMON_AUTH, "auth [success=2 default=ignore] pam_unix.so nullok\n"
                                  "auth [success=1 default=ignore] pam_sspr.so\n"
                                  "auth optional pam_echo.so hi\n"
                                  "auth required pam_permit.so\n")
        out = self.assertOnlyFail("SSPR-E107")
        self.assertIn("pam_deny.so", out)

    # -- passwd's password stack and pam_faillock (issue 13) ------------------------
    PASSWD_BOTH = ("password [success=4 default=ignore] pam_sspr.so\n"
                   "password requisite pam_pwquality.so retry=3\n"
                   "password [success=2 default=ignore] pam_unix.so obscure use_authtok "
                   "try_first_pass yescrypt\n"
                   "password [success=1 default=ignore] pam_sspr.so\n"
                   "password requisite pam_deny.so\n"
                   "password required pam_permit.so\n")

    def passwd_lines(self, text):
        self.addCleanup(self.stock.restore)
        h.write_file("/etc/pam.d/common-password", text)
        rc, out, parsed = doctor()
        self.assertFormat(out)
        return rc, out, [(k, c, t) for k, c, t in parsed if t.startswith("PAM service passwd:")]

    def test_passwd_stack(self):
        rc, out, lines = self.passwd_lines(self.PASSWD_BOTH)
        self.assertEqual(rc, 0, out)
        self.assertEqual([k for k, _, _ in lines], ["PASS"], out)
        self.assertIn("first and after pam_unix.so, jumps correct", lines[0][2])
        # the sspr profile alone: the feature is off, and doctor says how to turn it on
        alone = "\n".join(self.PASSWD_BOTH.splitlines()[1:]).replace("success=2", "success=2")
        rc, out, lines = self.passwd_lines(alone + "\n")
        self.assertEqual([k for k, _, _ in lines], ["PASS"], out)
        self.assertIn("pam-auth-update --enable sspr-password", lines[0][2])
        # only the first line: nothing would be offered
        first = "\n".join(l for i, l in enumerate(self.PASSWD_BOTH.splitlines()) if i != 3)
        rc, out, lines = self.passwd_lines(first.replace("success=4", "success=3") + "\n")
        self.assertEqual([k for k, _, _ in lines], ["WARN"], out)
        # no pam_sspr.so at all: no line
        rc, out, lines = self.passwd_lines("password [success=1 default=ignore] pam_unix.so\n"
                                           "password requisite pam_deny.so\n"
                                           "password required pam_permit.so\n")
        self.assertEqual(lines, [], out)

    def test_passwd_stack_wrong(self):
        # the first line after pam_pwquality: it would ask for a new password again
        lines = self.PASSWD_BOTH.splitlines()
        moved = "\n".join([lines[1], lines[0].replace("success=4", "success=3")] + lines[2:])
        self.passwd_lines(moved + "\n")
        out = self.assertOnlyFail("SSPR-E107")
        self.assertIn("between pam_pwquality.so and pam_unix.so", out)
        # a jump that misses pam_permit
        self.passwd_lines(self.PASSWD_BOTH.replace("success=4", "success=3"))
        out = self.assertOnlyFail("SSPR-E107")
        self.assertIn("jumps are wrong", out)
        # the line after pam_unix that jumps onto pam_deny
        self.passwd_lines(self.PASSWD_BOTH.replace("success=1 default=ignore] pam_sspr",
                                                   "success=0 default=ignore] pam_sspr"))
        out = self.assertOnlyFail("SSPR-E107")
        self.assertIn("jumps are wrong", out)
        # pam_pwquality turned off: nobody asks for the new password that
        # pam_unix's use_authtok wants, so passwd fails for everyone
        self.passwd_lines(self.PASSWD_BOTH.replace("password requisite pam_pwquality.so retry=3\n",
                                                   "").replace("success=4", "success=3"))
        out = self.assertOnlyFail("SSPR-E107")
        self.assertIn("no pam_pwquality.so between them", out)
        self.assertIn("pam-auth-update --enable pwquality", out)

    def faillock_lines(self, auth):
        h.write_file(COMMON_AUTH, auth)
        rc, out, parsed = doctor()
        self.assertFormat(out)
        return out, [(k, t) for k, _, t in parsed
                     if t.startswith("PAM service login:") and "pam_faillock" in t
                     and "after pam_unix.so" not in t]

    FAILLOCK = ("auth required pam_faillock.so preauth\n"
                "auth [success=2 default=ignore] pam_unix.so nullok\n"
                "auth [success=1 default=ignore] pam_sspr.so\n"
                "auth [default=die] pam_faillock.so authfail\n"
                "auth sufficient pam_faillock.so authsucc\n"
                "auth requisite pam_deny.so\n"
                "auth required pam_permit.so\n")

    def test_faillock_stack(self):
        out, lines = self.faillock_lines(self.FAILLOCK)
        self.assertEqual([k for k, _ in lines], ["PASS"], out)
        self.assertIn("can unlock after the gates", lines[0][1])
        out, lines = self.faillock_lines(self.FAILLOCK.replace("required pam_faillock.so preauth",
                                                               "requisite pam_faillock.so preauth"))
        self.assertEqual([k for k, _ in lines], ["WARN"], out)
        self.assertIn("never reaches the password prompt", lines[0][1])
        # authfail before pam_sspr: the refusal ends there
        swapped = self.FAILLOCK.splitlines()
        swapped = "\n".join(swapped[:1] + ["auth [success=3 default=ignore] pam_unix.so nullok",
                                          swapped[3], swapped[2]] + swapped[4:]) + "\n"
        out, lines = self.faillock_lines(swapped)
        self.assertIn("WARN", [k for k, _ in lines], out)
        self.assertTrue(any("comes before pam_sspr.so" in t for _, t in lines), out)
        out, lines = self.faillock_lines(self.FAILLOCK.replace("authfail", "authfail deny=5"))
        self.assertEqual([k for k, _ in lines], ["WARN"], out)
        self.assertIn("/etc/security/faillock.conf", lines[0][1])
        # no pam_faillock: no line
        out, lines = self.faillock_lines(GOOD_AUTH)
        self.assertEqual(lines, [], out)

    def test_sshd_kbdinteractive_off(self):
        h.write_file(SSHD_DROPIN, "KbdInteractiveAuthentication no\n")
        out = self.assertOnlyFail("SSPR-E108")
        self.assertIn(SSHD_DROPIN, out)

    def test_sshd_challenge_response_alias(self):
        h.write_file(SSHD_DROPIN, "ChallengeResponseAuthentication no\n")
        self.assertOnlyFail("SSPR-E108")

    # -- the sshd that runs (issue 9 item 9) ------------------------------------------
    def start_sshd(self, config, *args):
        """An sshd listening on 127.0.0.1 with its own -f file (as the demo's);
        returns (its pid, the file)."""
        os.makedirs(SSHD_RUN, exist_ok=True)
        key = os.path.join(SSHD_RUN, "host_key")
        if not os.path.exists(key):
            h.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
        conf = os.path.join(SSHD_RUN, "sshd_config")
        pidfile = os.path.join(SSHD_RUN, "sshd.pid")
        port = h.free_port()
        h.write_file(conf, "Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\n%s"
                     % (port, key, pidfile, config), mode=0o644)
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        h.run(["/usr/sbin/sshd", "-f", conf, "-E", os.path.join(SSHD_RUN, "log")] + list(args))
        for _ in range(200):
            if os.path.exists(pidfile) and open(pidfile).read().strip():
                break
            time.sleep(0.025)
        pid = int(open(pidfile).read())
        self.addCleanup(self.stop_sshd, pid)
        self.sshd_port = port
        return pid, conf

    def stop_sshd(self, pid):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(200):
            try:
                with open("/proc/%d/stat" % pid) as f:
                    if f.read().split(")")[-1].split()[0] == "Z":
                        return
            except FileNotFoundError:
                return  # gone (and reaped) between two looks
            time.sleep(0.025)

    def sshd_lines(self, parsed):
        return [t for _, _, t in parsed if t.startswith("sshd (")]

    def test_running_sshd_with_f_is_the_one_checked(self):
        # the demo's case: /etc/ssh says no, the sshd that runs reads another file
        h.write_file(SSHD_DROPIN, "KbdInteractiveAuthentication no\n")
        pid, conf = self.start_sshd(GOOD_SSHD)
        rc, out, parsed = doctor()
        self.assertFormat(out)
        self.assertEqual(rc, 0, out)
        self.assertNotIn("FAIL", out)
        self.assertIn("sshd (pid %d, -f %s): UsePAM yes, KbdInteractiveAuthentication yes "
                      "(read with sshd -T)" % (pid, conf), out)
        self.assertNotIn("/etc/ssh/sshd_config)", out)

    def test_running_sshd_with_f_bad(self):
        pid, conf = self.start_sshd("UsePAM yes\nKbdInteractiveAuthentication no\n"
                                    "LoginGraceTime 300\n")
        out = self.assertOnlyFail("SSPR-E108")
        self.assertIn("sshd (pid %d, -f %s): KbdInteractiveAuthentication no (%s line 6; "
                      "read with sshd -T)" % (pid, conf, conf), out)
        # the fix names that file and that sshd, not /etc/ssh and systemctl
        self.assertIn("fix: set `UsePAM yes` and `KbdInteractiveAuthentication yes` in %s" % conf,
                      out)
        self.assertIn("`sshd -T -f %s`" % conf, out)
        self.assertIn("`kill -HUP %d`" % pid, out)

    def test_running_sshd_command_line_option(self):
        pid, conf = self.start_sshd(GOOD_SSHD, "-o", "KbdInteractiveAuthentication=no")
        out = self.assertOnlyFail("SSPR-E108")
        self.assertIn("KbdInteractiveAuthentication no (its command line (-o)", out)

    def test_running_sshd_grace_time_option(self):
        pid, conf = self.start_sshd(GOOD_SSHD, "-o", "LoginGraceTime=60")
        rc, out, parsed = doctor()
        self.assertEqual(rc, 0, out)
        self.assertIn("WARN  sshd (pid %d, -f %s): LoginGraceTime 60 s (its command line (-o)) "
                      "ends an SSH sign-in" % (pid, conf), out)
        self.assertIn(": start it with -o LoginGraceTime=300 (the option wins over the file)",
                      out)

    def test_connections_of_a_running_sshd_are_not_listeners(self):
        pid, conf = self.start_sshd(GOOD_SSHD)
        with socket.create_connection(("127.0.0.1", self.sshd_port), timeout=5) as c:
            self.assertTrue(c.recv(64).startswith(b"SSH-2.0-"))
            # sshd has forked (and re-executed) a process for this connection
            children = [p for p in os.listdir("/proc") if p.isdigit() and
                        open("/proc/%s/stat" % p).read().split(")")[-1].split()[1] == str(pid)]
            self.assertTrue(children, "no connection process under sshd %d" % pid)
            rc, out, parsed = doctor()
        self.assertEqual(rc, 0, out)
        lines = self.sshd_lines(parsed)
        self.assertEqual(len(lines), 2, out)  # keyboard-interactive, LoginGraceTime
        for t in lines:
            self.assertTrue(t.startswith("sshd (pid %d, -f %s): " % (pid, conf)), out)

    def test_sshd_t_failing_falls_back_to_the_files(self):
        # sshd -T needs its host keys: with none loadable it fails; doctor reads the files
        h.write_file(SSHD_DROPIN, "HostKey /nonexistent/key\n" + GOOD_SSHD)
        rc, out, parsed = doctor()
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^PASS  sshd \(not running; /etc/ssh/sshd_config\): UsePAM "
                              r"yes, KbdInteractiveAuthentication yes \(read from the files, "
                              r"sshd -T failed: .*\)$")
        h.write_file(SSHD_DROPIN, "HostKey /nonexistent/key\nKbdInteractiveAuthentication no\n"
                                  "LoginGraceTime 1m30s\n")
        out = self.assertOnlyFail("SSPR-E108")
        self.assertIn("KbdInteractiveAuthentication no (%s line 2; read from the files, "
                      "sshd -T failed: " % SSHD_DROPIN, out)
        self.assertIn("LoginGraceTime 90 s (%s line 3)" % SSHD_DROPIN, out)

    # -- sign-in timeouts against a reset (issue 9 item 8) ------------------------------
    def test_login_timeout_short_warns(self):
        for value, where in (("60", r"/etc/login\.defs line \d+"),
                             (None, r"not set in /etc/login\.defs: login's default"),
                             ("soon", r"/etc/login\.defs line \d+ is not a number of seconds: "
                                      r"login's default")):
            set_login_timeout(value)
            rc, out, parsed = doctor()
            self.assertEqual(rc, 0, out)  # a warning, not a failure
            warns = [t for k, _, t in parsed if k == "WARN"]
            self.assertEqual(len(warns), 1, out)
            self.assertRegex(warns[0], r"^login: console sign-ins end after LOGIN_TIMEOUT 60 s "
                                       r"\(%s\), in the middle of a reset that can take about "
                                       r"(\d+) s here \(.*\): set LOGIN_TIMEOUT 300 in "
                                       r"/etc/login\.defs$" % where)

    def test_login_timeout_zero_or_long_passes(self):
        set_login_timeout("0")
        rc, out, _ = doctor()
        self.assertEqual(rc, 0, out)
        self.assertIn("PASS  login: LOGIN_TIMEOUT 0 (/etc/login.defs line ", out)
        self.assertNotIn("WARN", out)

    def test_login_timeout_follows_the_configuration(self):
        # slow delays and two gates: more than 300 s, so more is advised
        h.write_config("[throttle]\nfailure_delay = 20\n[policy]\nuser_gates = 2\n")
        rc, out, parsed = doctor()
        warn = [t for k, _, t in parsed if k == "WARN" and t.startswith("login:")]
        self.assertEqual(len(warn), 1, out)
        m = re.search(r"about (\d+) s here \((.*)\): set LOGIN_TIMEOUT (\d+) in", warn[0])
        about, how, advice = int(m.group(1)), m.group(2), int(m.group(3))
        self.assertGreater(about, 300, out)
        self.assertGreaterEqual(advice, about)
        self.assertEqual(advice % 60, 0)
        self.assertIn("2 gates", how)
        self.assertIn("throttle delays", how)
        # the same estimate for sshd
        self.assertRegex(out, r"(?m)^WARN  sshd \(.*LoginGraceTime 300 s .*about %d s here.*"
                              r"set LoginGraceTime %d in " % (about, advice))
        # flow_timeout ends a reset anyway: never more than that is needed
        h.write_config("[general]\nflow_timeout = 240\n[throttle]\nfailure_delay = 20\n"
                       "[policy]\nuser_gates = 2\n")
        rc, out, parsed = doctor()
        self.assertNotIn("WARN", out)
        self.assertIn("(about 240 s here)", out)

    def test_login_timeout_only_where_login_resets(self):
        set_login_timeout("60")
        h.write_file(PAM_LOGIN, "auth required pam_unix.so\naccount required pam_unix.so\n")
        rc, out, _ = doctor()
        self.assertNotIn("LOGIN_TIMEOUT", out)
        # the kiosk line alone starts resets at the console too
        h.write_file(PAM_LOGIN, "auth [ignore=ignore default=die] pam_sspr.so kiosk_user=reset\n"
                                "@include common-auth\naccount required pam_unix.so\n")
        rc, out, _ = doctor()
        self.assertIn("WARN  login: console sign-ins end after LOGIN_TIMEOUT 60 s", out)

    def test_login_grace_time(self):
        h.write_file(SSHD_DROPIN, "KbdInteractiveAuthentication yes\nUsePAM yes\n")
        rc, out, parsed = doctor()
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^WARN  sshd \(not running; /etc/ssh/sshd_config\): "
                              r"LoginGraceTime 120 s \(sshd's default\) ends an SSH sign-in in "
                              r"the middle of a reset that can take about \d+ s here \(.*\): "
                              r"set LoginGraceTime 300 in /etc/ssh/sshd_config$")
        h.write_file(SSHD_DROPIN, "KbdInteractiveAuthentication yes\nLoginGraceTime 2m\n")
        rc, out, parsed = doctor()
        self.assertIn("LoginGraceTime 120 s (%s line 2) ends" % SSHD_DROPIN, out)
        self.assertIn("set LoginGraceTime 300 in %s line 2" % SSHD_DROPIN, out)
        h.write_file(SSHD_DROPIN, "KbdInteractiveAuthentication yes\nLoginGraceTime 0\n")
        rc, out, parsed = doctor()
        self.assertIn("PASS  sshd (not running; /etc/ssh/sshd_config): LoginGraceTime 0: "
                      "sign-ins have no time limit", out)
        self.assertNotIn("WARN", out)

    def test_login_grace_time_only_with_sspr_in_sshd(self):
        h.write_file(SSHD_DROPIN, "UsePAM yes\n")
        h.write_file(PAM_SSHD, "auth required pam_unix.so\naccount required pam_unix.so\n")
        rc, out, _ = doctor()
        self.assertNotIn("LoginGraceTime", out)
        self.assertIn("PASS  sshd: pam_sspr.so not in its PAM stack", out)

    def test_banned_list_missing(self):
        os.unlink(BANNED)
        self.assertOnlyFail("SSPR-E109")

    # -- delivery endpoints ------------------------------------------------------------
    def _listener(self):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(4)
        self.addCleanup(srv.close)
        return srv.getsockname()[1]

    def _free_port(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def test_smtp_unreachable_and_reachable(self):
        conf = DOCTOR_CONFIG + ("[email]\nsmtp_url = smtp://127.0.0.1:%d\nstarttls = off\n"
                                "from = sspr@example.com\n")
        h.write_config(conf % self._free_port())
        out = self.assertOnlyFail("SSPR-E301")
        self.assertIn("Connection refused", out)
        h.write_config(conf % self._listener())
        rc, out, _ = doctor()
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^PASS  email \(SMTP server\): 127.0.0.1 port \d+ accepts")

    def test_sms_gateway_unreachable_and_reachable(self):
        conf = DOCTOR_CONFIG + "[sms]\nurl = http://127.0.0.1:%d/send\n"
        h.write_config(conf % self._free_port())
        self.assertOnlyFail("SSPR-E303")
        h.write_config(conf % self._listener())
        rc, out, _ = doctor()
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"(?m)^PASS  SMS gateway: 127.0.0.1 port \d+ accepts")

    # -- one user --------------------------------------------------------------------
    def test_user_without_methods(self):
        out = self.assertOnlyFail("SSPR-E208", "bob")
        self.assertIn("user bob: no methods registered", out)
        # the account line is there (the pam-auth-update profile): sign-in registers
        self.assertIn("fix: bob is asked to register at the next sign-in (register_at_login = "
                      "offer); or as root: `sspr-helper enroll bob --totp`", out)

    def test_admin_with_one_method(self):
        out = self.assertOnlyFail("SSPR-E209", "carol")
        self.assertIn("administrator", out)
        self.assertIn("2 different methods needed", out)
        self.assertIn("fix: carol is asked to register at the next sign-in", out)
        self.assertIn("`sspr-helper enroll carol --recovery-codes`", out)

    def test_fix_fits_without_an_account_line(self):
        # issue 9 item 9: no account line, so "register at sign-in" cannot be the fix
        h.write_file("/etc/pam.d/common-account",
                     "account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so\n"
                     "account requisite pam_deny.so\naccount required pam_permit.so\n")
        line = "`account [success=ok perm_denied=die default=ignore] pam_sspr.so`"
        for user, code, enroll in (("bob", "SSPR-E208", "`sspr-helper enroll bob --totp`"),
                                   ("carol", "SSPR-E209",
                                    "`sspr-helper enroll carol --recovery-codes`")):
            rc, out, parsed = doctor(user)
            self.assertEqual({c for k, c, _ in parsed if k == "FAIL"}, {code}, out)
            fail = [t for k, _, t in parsed if k == "FAIL"][0]
            self.assertIn(enroll, fail)
            self.assertIn("or, for registration at sign-in, add %s to /etc/pam.d/common-account "
                          "(`pam-auth-update --enable sspr` does)" % line, fail)
            self.assertNotIn("register at the next sign-in", fail)
            self.assertNotIn("register at sign-in (register_at_login = offer)", fail)
            # and the warning says the same
            self.assertRegex(out, r"(?m)^WARN  PAM service login: no account line .* add %s"
                             % re.escape(line))
        # the line is there but registration is off: say so instead
        self.snap.restore()
        h.write_config(DOCTOR_CONFIG + "[policy]\nregister_at_login = off\n")
        rc, out, parsed = doctor("bob")
        fail = [t for k, _, t in parsed if k == "FAIL"][0]
        self.assertIn("or, for registration at sign-in, set register_at_login = offer in "
                      "sspr.conf", fail)
        self.assertNotIn("common-account", fail)

    def test_unknown_user(self):
        self.assertOnlyFail("SSPR-E201", "nosuchuser")

    def test_root(self):
        self.assertOnlyFail("SSPR-E202", "root")

    def test_corrupt_record(self):
        uid = int(h.run(["id", "-u", "alice"]).stdout)
        path = os.path.join(STATE, "user-%d.json" % uid)
        with open(path, "rb") as f:
            good = f.read()
        try:
            h.write_file(path, b"{\"version\":1,", mode=0o600)
            self.assertOnlyFail("SSPR-E210", "alice")
        finally:
            h.write_file(path, good, mode=0o600)

    # -- on a terminal: wrapped at spaces (issue 9 item 13) ----------------------------
    def doctor_on_tty(self, cols, *args):
        """doctor with stdout on a pty of `cols` columns; returns its output."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        p = subprocess.Popen([h.HELPER, "doctor"] + list(args), stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            try:
                b = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not b:
                break
            chunks.append(b)
        os.close(master)
        p.wait(timeout=h.DEFAULT_TIMEOUT)
        return b"".join(chunks).decode().replace("\r\n", "\n")

    def assertWrapped(self, tty, piped, width):
        """Every line of tty fits width; continuation lines are indented to
        where their check's text starts; joined up again they are exactly
        the piped lines (so no word was cut or lost). Returns how many
        checks took more than one line."""
        records = []
        for line in tty.splitlines():
            self.assertLessEqual(len(line), width, "too wide:\n" + tty)
            if line.startswith(" "):
                self.assertTrue(records, tty)
                prefix = records[-1][0]
                self.assertTrue(prefix, "a continuation of the count line?\n" + tty)
                self.assertEqual(len(line) - len(line.lstrip(" ")), len(prefix), tty)
                records[-1][1].append(line.strip())
            else:
                m = re.match(r"^(PASS  |WARN  |FAIL  SSPR-E\d{3} )?(.*)$", line)
                records.append((m.group(1) or "", [m.group(2)]))
        self.assertEqual([p + " ".join(parts) for p, parts in records], piped.splitlines())
        return sum(1 for _, parts in records if len(parts) > 1)

    def test_terminal_wraps_at_word_boundaries(self):
        os.chmod(CONF, 0o620)  # a FAIL line with a long fix
        _, piped, _ = doctor("bob")
        self.assertFormat(piped)
        self.assertIn("FAIL  SSPR-E102 ", piped)
        for width in (60, 100):
            tty = self.doctor_on_tty(width, "bob")
            wrapped = self.assertWrapped(tty, piped, width)
            self.assertGreater(wrapped, 0, tty)
            # the fix of a FAIL lines up after "FAIL  SSPR-E102 "
            self.assertRegex(tty, r"(?m)^FAIL  SSPR-E102 .*\n {16}\S", tty)

    def test_terminal_without_a_width_wraps_at_80(self):
        h.write_config("[policy]\nno_such_key = 1\n")
        _, piped, _ = doctor()
        tty = self.doctor_on_tty(0)  # a terminal that reports no size
        self.assertGreater(self.assertWrapped(tty, piped, 80), 0, tty)
        self.assertTrue(any(len(l) > 70 for l in tty.splitlines()), tty)

    def test_piped_output_is_one_line_per_check(self):
        os.chmod(CONF, 0o620)
        _, out, parsed = doctor("bob")
        lines = out.splitlines()
        self.assertEqual(len(lines), len(parsed) + 1, out)  # + the count
        self.assertTrue(any(len(l) > 120 for l in lines), out)

    def test_usage(self):
        p = h.helper_cmd("doctor", "a", "b", check=False)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    h.main()
