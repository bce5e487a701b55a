#!/usr/bin/python3
"""A reset started from a setuid program (su, sudo, pkexec use common-auth
too): the helper must not keep the caller's real UID, resource limits or
session. Otherwise the caller can signal it, cap its file size so failure
records are never written (docs/security.md 10), and pam_unix asks for the old
password at writeback. The setuid host here is a root-owned 4755 copy of
pamdrive, run by an unprivileged user."""
import os
import select
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

SUID = "/usr/local/bin/pamdrive-suid"


def as_caller(script, stdin_text, timeout=30):
    """Run script (sh) as the unprivileged caller, feeding stdin_text."""
    return subprocess.run(["runuser", "-u", "mallory", "--", "sh", "-c", script],
                          input=stdin_text, capture_output=True, text=True, timeout=timeout)


class SetuidCaller(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        os.makedirs(os.path.dirname(SUID), exist_ok=True)
        shutil.copy(h.pamdrive_path(), SUID)
        os.chown(SUID, 0, 0)
        os.chmod(SUID, 0o4755)
        h.add_user("mallory", h.strong_password())

    def test_file_size_limit_does_not_lose_failures(self):
        """ulimit -f 0 from the caller: the helper lifts the limit where it
        may (CAP_SYS_RESOURCE); where it may not, an answer whose failure
        cannot be recorded is never judged. Either way every judged answer
        is counted, and a right code does not pass uncounted."""
        h.add_user("sa1", h.strong_password())
        secret = h.enroll_totp("sa1")
        judged = 0
        for _ in range(3):
            r = as_caller("ulimit -f 0; exec %s %s sa1 --op auth" % (SUID, h.SERVICE),
                          "\ny\n000000\n")
            self.assertIn("RESULT PAM_AUTH_ERR", r.stdout, r.stdout + r.stderr)
            if "ERROR " + h.BAD_CODE in r.stdout:
                judged += 1
            else:
                # the failure could not be recorded: not judged, said plainly
                self.assertIn("ERROR " + h.UNAVAILABLE, r.stdout, r.stdout)
        show = subprocess.run([h.HELPER, "show", "sa1"], capture_output=True, text=True).stdout
        self.assertIn("throttle: %d recent failed attempt(s)" % judged, show, show)
        r = as_caller("ulimit -f 0; exec %s %s sa1 --op auth" % (SUID, h.SERVICE),
                      "\ny\n%s\n" % h.fresh_totp(secret))
        if judged == 0:
            self.assertNotIn("ECHO_OFF " + h.NEW_PW, r.stdout, r.stdout)

    def test_helper_runs_as_root_out_of_reach_of_the_caller(self):
        h.add_user("sa2", h.strong_password())
        h.enroll_totp("sa2")
        p = subprocess.Popen(["runuser", "-u", "mallory", "--", SUID, h.SERVICE, "sa2",
                              "--op", "auth"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            p.stdin.write("\ny\n")
            p.stdin.flush()
            # the helper takes its uids at the start of main: look once it has
            # asked for the code, not in the instant after exec (a sanitizer
            # build spends milliseconds before main)
            deadline = time.monotonic() + h.DEFAULT_TIMEOUT
            buf = ""
            while time.monotonic() < deadline:
                ready, _, _ = select.select([p.stdout], [], [], 0.5)
                if ready:
                    chunk = os.read(p.stdout.fileno(), 4096).decode(errors="replace")
                    if not chunk:
                        break
                    buf += chunk
                if "ECHO_OFF " + h.CODE_PROMPT in buf:
                    break
            self.assertIn("ECHO_OFF " + h.CODE_PROMPT, buf, "no code prompt: %r" % buf)
            pid = None
            for _ in range(100):
                out = subprocess.run(["pgrep", "-x", "sspr-helper"], capture_output=True,
                                     text=True).stdout.split()
                if out:
                    pid = int(out[0])
                    break
                time.sleep(0.05)
            self.assertIsNotNone(pid, "the helper did not start")
            with open("/proc/%d/status" % pid) as f:
                uids = [ln.split()[1:] for ln in f if ln.startswith("Uid:")][0]
            self.assertEqual(uids[:3], ["0", "0", "0"], "helper uids %r" % uids)
            k = subprocess.run(["runuser", "-u", "mallory", "--", "kill", "-STOP", str(pid)],
                               capture_output=True, text=True)
            self.assertNotEqual(k.returncode, 0, "the caller could stop the helper")
        finally:
            p.kill()
            p.wait(10)

    def test_reset_from_setuid_host_writes_the_password(self):
        h.add_user("sa3", h.strong_password())
        secret = h.enroll_totp("sa3")
        pw = h.strong_password()
        r = as_caller("exec %s %s sa3 --op auth" % (SUID, h.SERVICE),
                      "\ny\n%s\n%s\n%s\n" % (h.fresh_totp(secret), pw, pw))
        self.assertIn("Your password has been changed", r.stdout, r.stdout + r.stderr)
        self.assertEqual(h.pam_auth("sa3", pw), "PAM_SUCCESS")


if __name__ == "__main__":
    h.main()
