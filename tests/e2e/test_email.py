#!/usr/bin/python3
"""The email gate over sshd: the code is caught by a real SMTP server on
loopback (e2e.SmtpSink), typed at the ssh prompt, and the new password then
logs in. Skips until the helper knows `enroll USER --email ADDR`.

Written against conf/sspr.conf's [email] keys (smtp_url, starttls, from);
the prompt wording is matched loosely ("code" in the prompt) so that the
gate's own UX can settle without breaking this test.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import h  # noqa: E402

P = e2e.ssh_prompt
MENU_HEAD = "How do you want to confirm it is you?"
CHOICE = "Choice [1]: "
EMAIL_CODE_PROMPT = "Code from the email: "


def email_gate_available():
    """The admin CLI's usage line lists --email once the gate exists."""
    p = h.run([h.HELPER, "enroll"], check=False)
    return "--email" in p.stdout + p.stderr


class EmailOverSsh(e2e.E2ETest):

    def setUp(self):
        super().setUp()
        if not email_gate_available():
            self.skipTest("email gate not built yet (sspr-helper enroll --email)")
        self.smtp = e2e.SmtpSink()
        h.write_config(h.FAST_CONFIG + "[email]\nsmtp_url = smtp://127.0.0.1:%d\n"
                       "starttls = off\nfrom = sspr@sspr-sandbox.invalid\n" % self.smtp.port)
        self.sshd = e2e.Sshd()

    def tearDown(self):
        super().tearDown()
        if hasattr(self, "sshd"):
            self.sshd.stop()
            self.smtp.close()

    def test_email_code_reset(self):
        user, old, _, _ = e2e.new_user("ke", totp=False)
        addr = "%s@mail.sspr-sandbox.invalid" % user
        h.helper_cmd("enroll", user, "--email", addr)
        new = h.strong_password("New")
        t = e2e.ssh(self.sshd, user, "id")
        t.expect(P(user, h.PASSWORD_PROMPT))
        t.send("")
        t.expect(P(user, h.OFFER))
        t.send("y")
        t.expect(P(user, h.INTRO_MENU))
        # with email configured the helper asks which way; the menu is the
        # same for every account (it depends only on the configuration)
        t.expect(MENU_HEAD)
        t.expect(CHOICE)
        m = re.search(r"(\d)\) A code sent to your email", t.since(MENU_HEAD))
        self.assertIsNotNone(m, "no email entry in the menu")
        t.send(m.group(1))
        t.expect(EMAIL_CODE_PROMPT)
        frm, rcpts, body = self.smtp.wait_mail()
        self.assertIn("<%s>" % addr, rcpts)
        m = re.search(r"\b(\d{6,10})\b", body)
        self.assertIsNotNone(m, "no code in the mail:\n" + body)
        t.send(m.group(1))
        t.expect(P(user, h.NEW_PW))
        t.send(new)
        t.expect(P(user, h.RETYPE_PW))
        t.send(new)
        t.expect(h.DONE)
        t.expect(e2e.SSH_DENIED)
        t.expect_eof()
        # the reset notice goes to the same address
        _, rcpts, notice = self.smtp.wait_mail()
        self.assertIn("<%s>" % addr, rcpts)
        self.assertNotIn(m.group(1), notice)
        self.assertIn(user, e2e.ssh_runs(self.sshd, user, new, "id -un"))
        e2e.ssh_refused(self.sshd, user, old)


if __name__ == "__main__":
    e2e.main(tools=("ssh", "sshd", "ssh-keygen"))
