#!/usr/bin/python3
"""A missing, broken, killed, hung or untrusted helper, a broken config or
state directory (docs/security.md 1, 2, 6, 19): the user gets the "not available"
message fast, the module never returns PAM_SUCCESS or PAM_IGNORE, and normal
password logins keep working."""
import os
import pwd
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402


class HelperFailure(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h.setup_system()
        cls.pw = h.strong_password()
        h.add_user("hf", cls.pw)
        cls.secret = h.enroll_totp("hf")

    def unavailable_after_yes(self, module_args, stack=h.NORMAL_STACK, max_seconds=10.0):
        """Empty password, "y": expect the "not available" error and a
        failure. Returns the Session."""
        h.setup_system(module_args=module_args, stack=stack)
        s = h.Session("hf")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("")
        s.expect("ECHO_ON", h.OFFER)
        t0 = time.monotonic()
        s.answer("y")
        rc, seen = s.until_result()
        took = time.monotonic() - t0
        self.assertIn(("ERROR", h.UNAVAILABLE), seen, s.format_transcript())
        self.assertNeverSuccess(rc, s)
        self.assertLess(took, max_seconds, "the failure took %.1fs" % took)
        if stack is h.EXPOSE_STACK:
            self.assertNotIgnored(s)
            self.assertEqual(rc, "PAM_AUTHINFO_UNAVAIL", s.format_transcript())
        return s

    def both_stacks(self, module_args, **kw):
        self.unavailable_after_yes(module_args, **kw)
        self.unavailable_after_yes(module_args, stack=h.EXPOSE_STACK, **kw)
        # the password path is untouched by whatever is wrong with the helper
        h.setup_system(module_args=module_args)
        self.assertEqual(h.pam_auth("hf", self.pw), "PAM_SUCCESS")
        s = h.Session("hf")
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("wrong-password")
        s.expect("INFO", h.HINT_ENTER)
        self.assertEqual(s.result(), "PAM_AUTH_ERR")

    def test_helper_path_does_not_exist(self):
        self.both_stacks("helper=/usr/lib/sspr-test/no-such-helper")

    def test_helper_removed(self):
        saved = h.HELPER + ".saved"
        shutil.move(h.HELPER, saved)
        try:
            self.both_stacks("")
        finally:
            shutil.move(saved, h.HELPER)

    def test_helper_relative_path(self):
        self.both_stacks("helper=sspr-helper")

    def test_helper_world_writable(self):
        wrap = h.marker_wrapper()
        os.chmod(wrap, 0o777)
        try:
            self.both_stacks("helper=" + wrap)
            self.assertFalse(h.helper_started(), "a world-writable helper was run")
        finally:
            os.chmod(wrap, 0o755)

    def test_helper_not_root_owned(self):
        wrap = h.marker_wrapper()
        os.chown(wrap, 1234, 1234)
        try:
            self.both_stacks("helper=" + wrap)
            self.assertFalse(h.helper_started(), "a helper not owned by root was run")
        finally:
            os.chown(wrap, 0, 0)

    def test_helper_in_writable_directory(self):
        d = "/tmp/sspr-writable"
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o1777)
        path = os.path.join(d, "helper")
        shutil.copy(h.HELPER, path)
        os.chmod(path, 0o755)
        self.both_stacks("helper=" + path)

    def test_helper_symlink_to_real(self):
        # a symlink itself is fine only if the target passes the checks; a
        # link in a world-writable directory must not be followed
        d = "/tmp/sspr-linkdir"
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o1777)
        link = os.path.join(d, "helper")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(h.HELPER, link)
        self.both_stacks("helper=" + link)

    def test_helper_exits_at_once(self):
        self.both_stacks("helper=" + h.exit_helper(0))

    def test_helper_crashes(self):
        self.both_stacks("helper=" + h.exit_helper(139))

    def test_helper_sends_garbage(self):
        # a frame of unknown type 9, then a RESULT that must not be believed
        garbage = bytes([0, 0, 0, 2, 9, 0x41]) + bytes([0, 0, 0, 11, 8]) + b"reset-done"
        self.both_stacks("helper=" + h._test_bin("helper-garbage",
                         "#!/bin/sh\nprintf '%s'\nsleep 1\n"
                         % "".join("\\%03o" % b for b in garbage)))

    def test_helper_result_without_hello_read(self):
        # a RESULT "reset-done" straight away, ignoring the protocol: the
        # module maps it, but must never let the user in
        frame = bytes([0, 0, 0, 11, 8]) + b"reset-done"
        path = h._test_bin("helper-liar", "#!/bin/sh\nprintf '%s'\nsleep 1\n"
                           % "".join("\\%03o" % b for b in frame))
        for stack in (h.NORMAL_STACK, h.EXPOSE_STACK):
            h.setup_system(module_args="helper=" + path, stack=stack)
            s = h.Session("hf")
            rc, _ = s.until_result(answers=["", "y"])
            self.assertNeverSuccess(rc, s)
            if stack is h.EXPOSE_STACK:
                self.assertNotIgnored(s)

    def test_helper_hung(self):
        s = self.unavailable_after_yes("helper=%s timeout=2" % h.hung_helper(),
                                       max_seconds=8)
        s = self.unavailable_after_yes("helper=%s timeout=2" % h.hung_helper(),
                                       stack=h.EXPOSE_STACK, max_seconds=8)
        time.sleep(0.5)
        self.assertFalse([p for p in os.listdir("/proc") if p.isdigit()
                          and _cmd(p).startswith(b"sleep\x00600")],
                         "the hung helper was not killed")

    def test_helper_killed_while_waiting_for_code(self):
        for stack in (h.NORMAL_STACK, h.EXPOSE_STACK):
            h.setup_system(stack=stack)
            s = h.start_reset("hf")
            h.kill_helper()
            time.sleep(0.2)
            s.answer(h.totp_now(self.secret))
            rc, seen = s.until_result()
            self.assertIn(("ERROR", h.UNAVAILABLE), seen, s.format_transcript())
            self.assertNeverSuccess(rc, s)
            if stack is h.EXPOSE_STACK:
                self.assertNotIgnored(s)
        self.assertEqual(h.pam_auth("hf", self.pw), "PAM_SUCCESS")

    def test_helper_killed_while_waiting_for_new_password(self):
        shadow = h.shadow_entry("hf")
        s = h.start_reset("hf")
        s.answer(h.fresh_totp(self.secret))
        s.expect("ECHO_OFF", h.NEW_PW)
        h.kill_helper()
        s.answer(h.strong_password())
        rc, seen = s.until_result()
        self.assertNeverSuccess(rc, s)
        self.assertIn(("ERROR", h.UNAVAILABLE), seen, s.format_transcript())
        self.assertEqual(h.shadow_entry("hf"), shadow)

    def test_config_broken(self):
        h.setup_system(config_text="[throttle]\nfailure_delay = 0\nno_such_key = 1\n")
        s = h.Session("hf")
        rc, seen = s.until_result(answers=["", "y", "000000"])
        # a broken config is system-wide, so its code may be shown to anyone
        self.assertIn(("ERROR", h.CONFIG_INVALID), seen, s.format_transcript())
        self.assertNeverSuccess(rc, s)
        h.setup_system(config_text="[throttle]\nfailure_delay = 0\nno_such_key = 1\n")
        self.assertEqual(h.pam_auth("hf", self.pw), "PAM_SUCCESS")

    def test_config_world_writable(self):
        h.setup_system()
        os.chmod(h.CONF, 0o666)
        s = h.Session("hf")
        rc, seen = s.until_result(answers=["", "y", h.totp_now(self.secret)])
        self.assertNeverSuccess(rc, s)
        self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen, "an unsafe config was used")

    def test_state_dir_unsafe(self):
        h.setup_system()
        os.chmod(h.STATE_DIR, 0o777)
        try:
            s = h.Session("hf")
            rc, seen = s.until_result(answers=["", "y", h.totp_now(self.secret)])
            self.assertNeverSuccess(rc, s)
            self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen, "a world-writable state dir was used")
        finally:
            os.chmod(h.STATE_DIR, 0o700)

    def test_state_dir_is_symlink(self):
        h.setup_system()
        real = "/var/lib/sspr-real"
        shutil.move(h.STATE_DIR, real)
        os.symlink(real, h.STATE_DIR)
        try:
            s = h.Session("hf")
            rc, seen = s.until_result(answers=["", "y", h.totp_now(self.secret)])
            self.assertNeverSuccess(rc, s)
            self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen, "a symlinked state dir was followed")
        finally:
            os.unlink(h.STATE_DIR)
            shutil.move(real, h.STATE_DIR)

    def test_corrupt_user_record(self):
        h.add_user("hfc", h.strong_password())
        secret = h.enroll_totp("hfc")
        before = h.snapshot()
        records = [p for p in before if p != "." and str(pwd.getpwnam("hfc").pw_uid) in p]
        self.assertTrue(records, "no record file for hfc's uid in %s: %r" % (h.STATE_DIR, before))
        for content in (b"", b"{not json", b"\0\0\0"):
            for rec in records:
                with open(os.path.join(h.STATE_DIR, rec), "wb") as f:
                    f.write(content)
            s = h.Session("hfc")
            rc, seen = s.until_result(answers=["", "y", h.totp_now(secret), "000000", "000000"])
            self.assertNeverSuccess(rc, s)
            self.assertNotIn(("ECHO_OFF", h.NEW_PW), seen, "corrupt record %r passed" % content)
        # and other users are not affected
        h.add_user("hfd", h.strong_password())
        h.full_reset("hfd", h.fresh_totp(h.enroll_totp("hfd")), h.strong_password())


def _cmd(pid):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read()
    except OSError:
        return b""


if __name__ == "__main__":
    h.main()
