#!/usr/bin/python3
"""An admin's `usermod -L` racing the commit (issue 9 item 5) never ends with
the account unlocked: the helper holds the shadow lock from its last
eligibility check until pam_unix has written, so a `usermod -L` started in
between waits and then locks the new hash. The race is driven on purpose:
pam_exec, placed before pam_unix in the sspr-passwd stack, starts
`usermod -L` in the background and gives it time to finish before pam_unix
writes (without the lock it would, and pam_unix would overwrite the "!")."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

PASSWD_STACK = "/etc/pam.d/sspr-passwd"
RACER = h.TEST_BIN_DIR + "/lock-account-now"


def usermod_running():
    return subprocess.run(["pgrep", "-x", "usermod"], capture_output=True).returncode == 0


class AdminLockRace(h.SandboxTest):

    def setUp(self):
        super().setUp()
        with open(PASSWD_STACK) as f:
            self.stack = f.read()
        h.write_file(RACER, "#!/bin/sh\n"
                            "[ \"$PAM_TYPE\" = password ] || exit 0\n"
                            "/usr/sbin/usermod -L \"$PAM_USER\" >/dev/null 2>&1 &\n"
                            "sleep 0.5\n"
                            "exit 0\n", mode=0o755)
        lines = []
        for line in self.stack.splitlines():
            if "pam_unix.so" in line and line.startswith("password"):
                lines.append("password optional pam_exec.so quiet " + RACER)
            lines.append(line)
        h.write_file(PASSWD_STACK, "\n".join(lines) + "\n")

    def tearDown(self):
        h.write_file(PASSWD_STACK, self.stack)
        super().tearDown()

    def test_lock_during_commit_survives(self):
        old = h.strong_password()
        h.add_user("race1", old)
        secret = h.enroll_totp("race1")
        new = h.strong_password("Nw")
        s = h.full_reset("race1", h.fresh_totp(secret), new)
        self.assertNotEqual(s.result_name, "PAM_SUCCESS")
        end = time.monotonic() + 20
        while usermod_running() and time.monotonic() < end:
            time.sleep(0.05)
        self.assertFalse(usermod_running(), "usermod -L never finished")
        entry = h.shadow_entry("race1")
        self.assertTrue(entry.split(":")[1].startswith("!"),
                        "the admin's lock was overwritten by the reset: %r" % entry)
        self.assertEqual(h.pam_auth("race1", new), "PAM_AUTH_ERR")
        self.assertEqual(h.pam_auth("race1", old), "PAM_AUTH_ERR")


if __name__ == "__main__":
    h.main()
