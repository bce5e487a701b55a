#!/usr/bin/python3
"""Conversation failures at every prompt (docs/security.md 1, 3): PAM_CONV_ERR,
PAM_BUF_ERR, a NULL response array, a NULL resp field, an empty or 10 KB
answer. Never PAM_SUCCESS, never PAM_IGNORE once the reset path is entered,
nothing changed. And what the helper inherits from the host process
(docs/security.md 6): a built environment, no stray fds, no terminal."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

BAD_ANSWERS = ("!CONV_ERR", "!BUF_ERR", "!NULL_RESP", "!NULL_ANSWER", "!EOF")


class Conversation(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h.setup_system(config_text="[throttle]\nfailure_delay = 0\nmax_failures = 20\n")
        cls.pw = h.strong_password()
        h.add_user("cv", cls.pw)
        cls.secret = h.enroll_totp("cv")
        cls.codes = []

    def next_code(self):
        """A recovery code not used yet (re-enrolls when they run out):
        unlike TOTP steps, one is available at once for every flow."""
        if not self.codes:
            type(self).codes = h.enroll_recovery("cv")
        return self.codes.pop()

    def setUp(self):
        h.setup_system(config_text="[throttle]\nfailure_delay = 0\nmax_failures = 20\n",
                       stack=h.EXPOSE_STACK)
        h.clear_marker()

    def finish_checked(self, s, shadow):
        rc, seen = s.until_result(answers=["!CONV_ERR"] * 8)
        self.assertNeverSuccess(rc, s)
        self.assertNotIgnored(s)
        self.assertNotIn(("INFO", h.DONE), seen)
        self.assertEqual(h.shadow_entry("cv"), shadow)
        return rc

    def test_offer_prompt(self):
        shadow = h.shadow_entry("cv")
        for bad in BAD_ANSWERS:
            s = h.Session("cv")
            s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
            s.answer("")
            s.expect("ECHO_ON", h.OFFER)
            s.answer(bad)
            rc = self.finish_checked(s, shadow)
            self.assertNotEqual(rc, "PAM_SUCCESS", bad)
        self.assertFalse(h.helper_started())

    def test_code_prompt(self):
        shadow = h.shadow_entry("cv")
        for bad in BAD_ANSWERS:
            s = h.start_reset("cv")
            s.answer(bad)
            self.finish_checked(s, shadow)
        self.assertEqual(h.helper_pids(), [], "a helper is left running")

    def test_code_prompt_odd_answers(self):
        shadow = h.shadow_entry("cv")
        for odd in ("", "!REPEAT 10240 7", "!REPEAT 513 1", "!HEX 1b5b324a", " "):
            s = h.start_reset("cv")
            s.answer(odd)
            self.finish_checked(s, shadow)

    def test_new_password_prompts(self):
        shadow = h.shadow_entry("cv")
        for bad in BAD_ANSWERS:
            for which in ("new", "retype"):
                s = h.start_reset("cv")
                s.answer(self.next_code())
                s.expect("ECHO_OFF", h.NEW_PW)
                if which == "retype":
                    s.answer(h.strong_password())
                    s.expect("ECHO_OFF", h.RETYPE_PW)
                s.answer(bad)
                self.finish_checked(s, shadow)
        self.assertEqual(h.pam_auth("cv", self.pw), "PAM_SUCCESS")

    def test_password_prompt_conv_error(self):
        # pam_unix's own prompt failing: the module must not offer anything
        for bad in BAD_ANSWERS:
            s = h.Session("cv")
            s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
            s.answer(bad)
            rc, seen = s.until_result(answers=["!CONV_ERR"] * 4)
            self.assertNeverSuccess(rc, s)
            self.assertNotIn(("ECHO_ON", h.OFFER), seen,
                             "pam_unix's prompt failed (%s), yet the module treated the unset "
                             "PAM_AUTHTOK as an empty password and offered a reset "
                             "(docs/security.md 3)" % bad)
        self.assertFalse(h.helper_started())

    def test_silent_flag_no_hint(self):
        # PAM_SILENT: no informational hint on a wrong password
        h.setup_system(stack=h.NORMAL_STACK)
        s = h.Session("cv", extra=["--silent"])
        s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
        s.answer("wrong")
        self.assertEqual(s.result(), "PAM_AUTH_ERR")

    def test_helper_environment_and_fds(self):
        # A wrapper records what the helper would inherit, then execs it.
        dump = "/run/sspr-test/helper-env"
        # Python, not sh: a shell moves fds around for its own redirections.
        wrap = h._test_bin("helper-envdump", """#!/usr/bin/python3 -I
import os, sys
fds = {}
for n in os.listdir("/proc/self/fd"):
    try:
        fds[n] = os.readlink("/proc/self/fd/" + n)
    except OSError:
        pass
def put(ext, text):
    with open("%s" + ext, "w") as f:
        f.write(text)
put(".fds", "".join(" %%s -> %%s\\n" %% kv for kv in sorted(fds.items())))
put(".env", "".join("%%s=%%s\\n" %% kv for kv in sorted(os.environ.items())))
put(".tty", "tty" if os.isatty(0) else "not a tty")
put(".argv", " ".join(sys.argv))
os.execv("%s", ["%s"] + sys.argv[1:])
""" % (dump, h.HELPER, h.HELPER))
        h.setup_system(module_args="helper=" + wrap, stack=h.NORMAL_STACK)
        hostile = dict(os.environ, LD_PRELOAD="/nonexistent/evil.so", GCONV_PATH="/tmp/evil",
                       PATH="/tmp/evil:/usr/bin", XDG_CONFIG_HOME="/tmp/evil",
                       LD_LIBRARY_PATH="/tmp/evil", SSPR_EVIL="1", IFS="x",
                       PYTHONPATH="/tmp/evil", LANGUAGE="../../tmp/evil")
        # an extra inherited fd in pamdrive (like a host's listening socket)
        r, w = os.pipe()
        os.set_inheritable(r, True)
        try:
            s = h.Session("cv", env=hostile, tty="/dev/pts/99")
            s.expect("ECHO_OFF", h.PASSWORD_PROMPT)
            s.answer("")
            s.expect("ECHO_ON", h.OFFER)
            s.answer("y")
            s.expect("INFO", h.INTRO)
            s.expect("ECHO_OFF", h.CODE_PROMPT)
            s.answer("!CONV_ERR")
            s.until_result()
        finally:
            os.close(r)
            os.close(w)
        def read(ext):
            with open(dump + ext) as f:
                return f.read()
        env, fds, tty, argv = read(".env"), read(".fds"), read(".tty"), read(".argv")
        for bad in ("LD_PRELOAD", "GCONV_PATH", "XDG_CONFIG_HOME", "LD_LIBRARY_PATH",
                    "SSPR_EVIL", "PYTHONPATH", "LANGUAGE", "evil"):
            self.assertNotIn(bad, env, "host environment reached the helper:\n" + env)
        m = re.search(r"^PATH=(.*)$", env, re.M)
        if m:
            self.assertNotIn("/tmp", m.group(1))
        links = dict(re.findall(r" (\d+) -> (.*)", fds))
        # the shell keeps its script open on a high fd: not the module's doing
        # (the directory listing itself shows up as one fd on /proc/.../fd)
        extra = {n: t for n, t in links.items()
                 if int(n) > 2 and not re.fullmatch(r"/proc/\d+/fd", t)}
        self.assertEqual(extra, {}, "fds leaked into the helper:\n" + fds)
        for n in ("0", "1"):
            self.assertTrue(links.get(n, "").startswith("socket:"), "fd %s:\n%s" % (n, fds))
        self.assertIn("2", links, "no fd 2 (stderr should be /dev/null at least)")
        self.assertEqual(argv.strip(), "%s pam" % wrap)
        self.assertIn("not a tty", tty)


if __name__ == "__main__":
    h.main()
