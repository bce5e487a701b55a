#!/usr/bin/python3
"""Network delivery runs in its own unprivileged process (issue 10 item 1):
the root helper has no libcurl (nor its TLS library) mapped while it waits
at a prompt, and the code is sent by sspr-deliver, which runs as an
unprivileged user with no supplementary groups and no_new_privs, cannot
read the state directory, and has libcurl mapped. The SMTP server here
accepts the connection and then says nothing, so the sender is still alive
to be looked at."""
import os
import pwd
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sspr_harness as h  # noqa: E402

MENU = h.menu_text(h.OPT_CODE, h.OPT_EMAIL)


def libraries(pid):
    with open("/proc/%d/maps" % pid) as f:
        return {line.split()[-1] for line in f if ".so" in line.split()[-1]}


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


class SilentSmtp:
    """Greets and answers EHLO, then never answers again (a sender waits)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.conns = []
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._talk, args=(c,), daemon=True).start()

    def _talk(self, c):
        try:
            c.sendall(b"220 stalling ESMTP\r\n")
            f = c.makefile("rb")
            for line in f:
                if line.upper().startswith((b"EHLO", b"HELO")):
                    c.sendall(b"250 stalling\r\n")
                # anything else: silence
        except OSError:
            pass


class DeliveryProcess(h.SandboxTest):

    def test_helper_has_no_libcurl_and_sender_is_unprivileged(self):
        smtp = SilentSmtp()
        h.write_config(h.make_config(
            email=h.email_section("smtp://127.0.0.1:%d" % smtp.port, timeout=4),
            throttle={"max_sends_per_hour": 20}))
        h.add_user("dp1", h.strong_password())
        h.enroll_email("dp1", "dp1@example.com")
        s = h.start_menu("dp1", MENU)
        # the helper waits at the menu: what it has mapped
        pids = h.helper_pids()
        self.assertEqual(len(pids), 1, pids)
        libs = libraries(pids[0])
        self.assertFalse([l for l in libs if "libcurl" in l or "gnutls" in l or "nghttp" in l],
                         "the root helper maps network libraries: %s" % sorted(libs))
        # nor does it start with what only later steps need: loaded while the
        # first prompt is read (sspr-helper/support/lazy.c), and libqrencode
        # (enrolment) not at all in a reset
        needed = subprocess.run(["readelf", "-d", h.HELPER], capture_output=True, text=True,
                                check=True).stdout
        later = re.findall(r"\(NEEDED\).*\[(lib(?:pam|oath|qrencode|curl)[^\]]*)\]", needed)
        self.assertFalse(later, "the helper is linked to %s" % later)
        self.assertFalse([l for l in libs if "libqrencode" in l], sorted(libs))
        s.answer("2")
        s.expect("INFO", h.email_sent(10))
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        # the code is being sent: find the sender
        end = time.monotonic() + 10
        while not h.deliver_pids() and time.monotonic() < end:
            time.sleep(0.01)
        senders = h.deliver_pids()
        self.assertTrue(senders, "no sspr-deliver process while the code is sent")
        pid = senders[0]
        st = status(pid)
        uid, gid = int(st["Uid"][0]), int(st["Gid"][0])
        self.assertNotEqual(uid, 0)
        self.assertEqual(len(set(st["Uid"])), 1, st["Uid"])   # real, effective, saved, fs
        self.assertEqual(len(set(st["Gid"])), 1, st["Gid"])
        self.assertEqual(st.get("Groups", []), [])
        self.assertEqual(st["NoNewPrivs"], ["1"])
        self.assertEqual(st["CapEff"], ["0000000000000000"])
        self.assertIn(pwd.getpwuid(uid).pw_name, ("_sspr", "nobody"))
        self.assertTrue([l for l in libraries(pid) if "libcurl" in l],
                        "the sender does not map libcurl")
        # it cannot reach the state directory (nor the configuration)
        for path in (h.STATE_DIR, h.CONF):
            p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
                                "--clear-groups", "cat", path + ("/throttle-key.json"
                                                                 if path == h.STATE_DIR else "")],
                               capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0, "%s is readable by the sender's user" % path)
        p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups",
                            "ls", h.STATE_DIR], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0, "the sender's user can list the state directory")
        s.answer("!CONV_ERR")
        s.result()
        for c in smtp.conns:
            c.close()
        smtp.sock.close()
        h.wait_background(timeout=30)


if __name__ == "__main__":
    h.main()
