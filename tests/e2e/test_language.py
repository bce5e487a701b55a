#!/usr/bin/python3
"""German through the real programs (issue 14): /etc/default/locale names
de_DE.UTF-8 (the locale generated inside the sandbox), email is set up, and

  - the console `login` (started with LANG=C.UTF-8, as a bare getty would):
    the offer, the menu, the code prompt, the new-password prompts and the
    last words are German, "j" answers the offer, the reset notice mail is
    German, and the new password then gets a shell;
  - a real sshd (which has no locale of its own, and gets the client's LANG
    only after authentication): the same in German, with the code sent by
    email in a German mail, then ssh logs in with the new password;
  - pam_unix's own "Password: " follows the program's locale (English here):
    only what pam_sspr says comes from /etc/default/locale;
  - over ssh the German last words come with one more prompt ("Drücken Sie
    die Eingabetaste..."): messages sshd sends after the last prompt are
    printed by ssh with every non-ASCII byte escaped.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import h  # noqa: E402

DE = h.DE
P = e2e.ssh_prompt
NOTICE_SUBJECT = "Ihr Passwort auf %s wurde zurückgesetzt"
CODE_SUBJECT = "Code zum Zurücksetzen des Passworts für %s auf %s"
DE_CONTINUE = "Drücken Sie die Eingabetaste, um fortzufahren."


class German(h.GermanSystem, e2e.E2ETest):

    def setUp(self):
        super().setUp()
        self.sink = h.start_smtp_sink()
        h.write_config(h.make_config(email=h.email_section(self.sink.url)))
        self.host = h.run(["hostname"]).stdout.strip()

    def notice(self, user, addr, count):
        mail = self.sink.wait_mails(count)[-1]
        self.assertEqual(mail.rcpts, [addr])
        self.assertEqual(mail.subject, NOTICE_SUBJECT % self.host)
        self.assertIn("das Passwort Ihres Kontos \"%s\"" % user, mail.body)
        self.assertIn("Wann:", mail.body)
        self.assertIn("charset=utf-8", mail.raw.decode("ascii", "replace").lower())

    def test_login_in_german(self):
        user, old, secret, _ = e2e.new_user("dl")
        addr = "%s@mail.sspr-sandbox.invalid" % user
        h.enroll_email(user, addr)
        new = h.strong_password("Neu")
        h.wait_step_margin(10)
        t = e2e.login()
        t.send(user)
        t.expect(h.PASSWORD_PROMPT)          # pam_unix, in login's own locale
        t.send("")
        t.expect(DE[h.OFFER])
        t.send(h.DE_YES)
        t.expect(DE[h.INTRO_MENU])
        t.expect(DE[h.OPT_CODE])
        t.expect(DE[h.CHOICE])
        t.send("1")
        t.expect(DE[h.CODE_PROMPT])
        t.send(h.fresh_totp(secret))
        t.expect(DE[h.NEW_PW])
        t.send(new)
        t.expect(DE[h.RETYPE_PW])
        t.send(new)
        t.expect(DE[h.DONE])
        t.expect(e2e.LOGIN_INCORRECT)
        t.expect(e2e.LOGIN_PROMPT)
        self.notice(user, addr, 1)
        t.send(user)
        t.expect(h.PASSWORD_PROMPT)
        t.send(new)
        e2e.login_shell_check(t, user)

    def test_sshd_in_german_with_an_emailed_code(self):
        if "libasan" in os.environ.get("LD_PRELOAD", ""):  # e2e.main set it: a sanitizer build
            # seen only with the ASan runtime preloaded into sshd: its PAM
            # child waits for ever on glibc's gettext state lock (a futex in
            # bindtextdomain) before the first German prompt; the plain
            # build runs this test, and login in German runs here too
            self.skipTest("sanitizer build: sshd's PAM child hangs in glibc's gettext lock")
        user, old, _, _ = e2e.new_user("ds", totp=False)
        addr = "%s@mail.sspr-sandbox.invalid" % user
        h.enroll_email(user, addr)
        new = h.strong_password("Neu")
        sshd = e2e.Sshd()
        try:
            t = e2e.ssh(sshd, user, "id -un")
            t.expect(P(user, h.PASSWORD_PROMPT))
            t.send("")
            t.expect(P(user, DE[h.OFFER]))
            t.send(h.DE_YES)
            t.expect(DE[h.INTRO_MENU])
            t.expect(DE[h.MENU_HEAD])
            m = re.search(r"(\d)\) " + re.escape(DE[h.OPT_EMAIL]), t.screen())
            t.expect(DE[h.CHOICE])   # after messages: no "(user@host)" before it
            self.assertIsNotNone(m, "no German email entry in the menu:\n" + t.screen())
            t.send(m.group(1))
            t.expect(h.de_email_sent())
            t.expect(DE[h.EMAIL_PROMPT])
            mail = self.sink.wait_mails(1)[-1]
            self.assertEqual(mail.subject, CODE_SUBJECT % (user, self.host))
            self.assertIn("Ihr Einmalcode lautet:", mail.body)
            t.send(mail.code(8))
            t.expect(P(user, DE[h.NEW_PW]))
            t.send(new)
            t.expect(P(user, DE[h.RETYPE_PW]))
            t.send(new)
            t.expect(DE[h.DONE])
            # the last words travel with one more prompt: sshd would send them
            # alone, and ssh prints those with every non-ASCII byte escaped
            t.expect(DE_CONTINUE)
            t.send("")
            t.expect(e2e.SSH_DENIED)
            t.expect_eof()
            self.assertNotIn("\\303", t.screen())
            self.notice(user, addr, 2)
            self.assertIn(user, e2e.ssh_runs(sshd, user, new, "id -un"))
        finally:
            sshd.stop()


if __name__ == "__main__":
    e2e.main(tools=("ssh", "sshd", "ssh-keygen", "localedef"))
