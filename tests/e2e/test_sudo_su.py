#!/usr/bin/python3
"""sudo and su (issue 13, part 2), end to end: the real sudo and su on a
pty, run by a signed-in user, with Debian's common-auth plus the pam_sspr
line (sudo and su include it).

- An empty password at sudo's prompt offers the reset to the invoking user;
  after it sudo asks again and takes the new password. The helper is told
  about that user, never root.
- With `Defaults rootpw` sudo asks for root's password: an empty one never
  resets root (the helper refuses another account than PAM_RUSER's).
- `su - other` with an empty password does not reset other; with the su
  services named in [policy] services it does (other's own gates).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import h  # noqa: E402

NOT_OTHER = ("Password reset is not offered here for another account. "
             "Its owner can reset it where they sign in.")
SU_FAILED = "su: Authentication failure"


def sudo_prompt(user):
    return re.compile(r"\[sudo\] password for %s: " % user)


class SudoSu(e2e.E2ETest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open("/etc/hosts") as f:
            hosts = f.read()
        if "sspr-sandbox" not in hosts:
            h.write_file("/etc/hosts", hosts + "127.0.1.1 sspr-sandbox\n")

    def setUp(self):
        super().setUp()
        self.log = h.Syslog2()
        self.addCleanup(self.log.close)
        for n in os.listdir("/etc/sudoers.d"):
            if n.startswith("sspr-test"):
                os.unlink(os.path.join("/etc/sudoers.d", n))

    def sudoer(self, user, extra=""):
        h.write_file("/etc/sudoers.d/sspr-test-" + user,
                     extra + "%s ALL=(ALL:ALL) ALL\n" % user, mode=0o440)

    def requests(self):
        return [r for r in h.audit_records(self.log.text()) if r.get("event") == "request"]

    def test_sudo_empty_password_resets_the_invoking_user(self):
        user, old, secret, _ = e2e.new_user("sd")
        self.sudoer(user)
        root_before = h.shadow_entry("root")
        new = h.strong_password()
        t = e2e.as_user(user, ["sudo", "-k", "sh", "-c", "echo SUDO-RAN-AS-$(id -un)"])
        t.expect(sudo_prompt(user))
        t.send("")
        t.expect(h.OFFER)
        t.send("y")
        t.expect(h.INTRO)
        e2e.code_and_new_password(t, h.fresh_totp(secret), new)
        t.expect(h.DONE)
        # sudo asks again, in the same run: the new password gets in
        t.expect("Sorry, try again.")
        t.expect(sudo_prompt(user))
        t.send(new)
        t.expect("SUDO-RAN-AS-root")
        self.assertEqual(t.expect_eof(), 0)
        self.assertEqual(h.shadow_entry("root"), root_before)
        reqs = self.requests()
        self.assertEqual([(r.get("user"), r.get("service")) for r in reqs], [(user, "sudo")],
                         reqs)
        # a fresh sudo run with the old password is refused, the new one works
        t = e2e.as_user(user, ["sudo", "-k", "true"])
        t.expect(sudo_prompt(user))
        t.send(old)
        t.expect("Sorry, try again.")
        t.expect(sudo_prompt(user))
        t.send(new)
        self.assertEqual(t.expect_eof(), 0)

    def test_sudo_rootpw_never_resets_root(self):
        user, _, secret, _ = e2e.new_user("sr")
        self.sudoer(user, "Defaults:%s rootpw\n" % user)
        root_before = h.shadow_entry("root")
        t = e2e.as_user(user, ["sudo", "-k", "true"])
        t.expect(sudo_prompt("root"))
        t.send("")
        t.expect(h.OFFER)
        t.send("y")
        # no gate at all: nothing to try, for root or anyone else
        t.expect(NOT_OTHER)
        t.expect("Sorry, try again.")
        t.expect(sudo_prompt("root"))
        t.child.sendcontrol("c")
        t.expect_eof()
        self.assertNotIn(h.CODE_PROMPT, t.screen())
        self.assertEqual(h.shadow_entry("root"), root_before)
        outcomes = [r for r in h.audit_records(self.log.text()) if r.get("event") == "outcome"]
        self.assertEqual([r.get("reason") for r in outcomes], ["other-account"], outcomes)
        self.assertEqual(self.requests(), [])

    def su_other(self, user, other, steps):
        t = e2e.as_user(user, ["su", "-", other, "-c", "echo SU-RAN-AS-$(id -un)"])
        t.expect("Password: ")
        t.send("")
        for want, answer in steps:
            t.expect(want)
            if answer is not None:
                t.send(answer)
        return t

    def test_su_other_account_not_reset_by_default(self):
        user, _, _, _ = e2e.new_user("su")
        other, other_pw, other_secret, _ = e2e.new_user("so")
        before = h.shadow_entry(other)
        t = self.su_other(user, other, [(h.OFFER, "y"), (NOT_OTHER, None), (SU_FAILED, None)])
        self.assertNotEqual(t.expect_eof(), 0)
        self.assertNotIn(h.CODE_PROMPT, t.screen())
        self.assertEqual(h.shadow_entry(other), before)
        self.assertEqual(self.requests(), [])
        # su with the right password works as always
        t = e2e.as_user(user, ["su", "-", other, "-c", "echo SU-RAN-AS-$(id -un)"])
        t.expect("Password: ")
        t.send(other_pw)
        t.expect("SU-RAN-AS-" + other)
        self.assertEqual(t.expect_eof(), 0)

    def test_su_other_account_reset_where_configured(self):
        h.write_config(h.FAST_CONFIG + "[policy]\nservices = login sshd sudo su su-l\n")
        user, _, _, _ = e2e.new_user("sc")
        other, _, other_secret, _ = e2e.new_user("sx")
        before = h.shadow_entry(other)
        new = h.strong_password()
        t = self.su_other(user, other, [(h.OFFER, "y"), (h.INTRO, None),
                                        (h.CODE_PROMPT, h.fresh_totp(other_secret)),
                                        (h.NEW_PW, new), (h.RETYPE_PW, new), (h.DONE, None),
                                        (SU_FAILED, None)])
        t.expect_eof()
        self.assertNotEqual(h.shadow_entry(other), before)
        self.assertEqual([r.get("user") for r in self.requests()], [other])
        t = e2e.as_user(user, ["su", "-", other, "-c", "echo SU-RAN-AS-$(id -un)"])
        t.expect("Password: ")
        t.send(new)
        t.expect("SU-RAN-AS-" + other)
        self.assertEqual(t.expect_eof(), 0)


if __name__ == "__main__":
    if h.in_sandbox() and e2e._sanitizer_preload():
        # su, sudo and passwd run setuid: the loader ignores LD_PRELOAD then,
        # so they cannot dlopen an ASan-instrumented pam_sspr.so
        h.skip_exit("sanitizer build: setuid programs cannot load the instrumented module; "
                    "these tests run in the plain build")
    e2e.main(tools=("sudo", "su", "setpriv"))
