#!/usr/bin/python3
"""A LightDM greeter that follows a script instead of a person.

LightDM starts it (as its greeter user, with the daemon's pipes in the
environment) from a greeters/*.desktop file whose Exec line is

    /usr/bin/python3 -B scripted_greeter.py SCRIPT.json TRANSCRIPT.jsonl

SCRIPT.json is a list of steps, done in order:

  {"op": "authenticate", "user": NAME or null}
        start a PAM conversation (null: PAM asks for the name itself)
  {"op": "prompt", "type": "secret"|"question", "text": T, "answer": A}
        the next thing LightDM shows must be this prompt; respond with A
        ("cancel": true instead of "answer": cancel the authentication)
        ("answer_file": N instead: the answer is the content of TRANSCRIPT.N,
        written by the test at an earlier barrier N)
  {"op": "message", "type": "info"|"error", "text": T}
        the next thing LightDM shows must be this message
  {"op": "complete", "authenticated": true|false}
        the next thing must be the end of the conversation, with that result
  {"op": "barrier", "name": N}
        write a "barrier" event and wait until the file TRANSCRIPT.N exists
        (the test does its checks in between, then creates the file)
  {"op": "start_session", "session": NAME}
        start the user's session (after a successful authentication)

T is matched exactly, or as a regular expression when the step says
"regex": true. Anything else that LightDM shows (an extra message, a
different prompt, an early end) stops the script with an "error" event.

TRANSCRIPT.jsonl gets one JSON object per line, flushed at once, so a test
that times out still sees how far the greeter came:
  {"event": "prompt", "type": ..., "text": ...}    what LightDM showed
  {"event": "message", "type": ..., "text": ...}
  {"event": "answer", "text": ...}                 secret answers as "*" * len
  {"event": "cancel"} {"event": "complete", "authenticated": ..., "user": ...}
  {"event": "barrier", "name": ...} {"event": "session", "name": ...}
  {"event": "error", "why": ...} {"event": "done"} {"event": "terminated"}
Every event has "t", seconds since the greeter started. After the last
step (or an error) the greeter stays up, idle, until LightDM stops it (it
does after start_session; the harness stops LightDM at the end).
"""

import json
import os
import re
import signal
import sys
import time

import gi

gi.require_version("LightDM", "1")
from gi.repository import GLib, LightDM  # noqa: E402

PROMPT_TYPES = {LightDM.PromptType.QUESTION: "question", LightDM.PromptType.SECRET: "secret"}
MESSAGE_TYPES = {LightDM.MessageType.INFO: "info", LightDM.MessageType.ERROR: "error"}
BARRIER_TIMEOUT = 60.0
# a step that waits on LightDM (a prompt, a message, the end) gives up after this
STEP_TIMEOUT = float(os.environ.get("SSPR_GREETER_STEP_TIMEOUT", "30"))


class ScriptedGreeter:

    def __init__(self, script, transcript_path):
        self.steps = list(script)
        self.pos = 0
        self.out = open(transcript_path, "a", buffering=1)
        self.transcript_path = transcript_path
        self.t0 = time.monotonic()
        self.loop = GLib.MainLoop()
        self.status = 0
        self.timer = 0
        self.pending = []       # what LightDM showed while we sat at a barrier
        self.greeter = LightDM.Greeter()
        self.greeter.connect("show-prompt", self.on_prompt)
        self.greeter.connect("show-message", self.on_message)
        self.greeter.connect("authentication-complete", self.on_complete)

    # -- transcript ------------------------------------------------------
    def record(self, event, **kw):
        kw = dict(event=event, t=round(time.monotonic() - self.t0, 3), **kw)
        self.out.write(json.dumps(kw) + "\n")

    def fail(self, why):
        # stays up (idle) like a greeter whose user walked away: LightDM
        # would start a fresh greeter, running the script again, if it exited
        self.record("error", why=why, step=self.pos)
        self.status = 1
        self.pos = len(self.steps) + 1

    # -- script ----------------------------------------------------------
    def step(self):
        return self.steps[self.pos] if self.pos < len(self.steps) else None

    def failed(self):
        return self.pos > len(self.steps) and self.status

    def advance(self):
        """Run steps that act (authenticate, barrier, start_session) until one
        that waits for LightDM, or the end."""
        if self.timer:
            GLib.source_remove(self.timer)
            self.timer = 0
        while True:
            s = self.step()
            if s is None:
                if self.pos == len(self.steps):
                    self.pos += 1
                    self.record("done")
                return
            op = s.get("op")
            if op == "authenticate":
                self.pos += 1
                user = s.get("user")
                self.record("authenticate", user=user)
                self.greeter.authenticate(user)
                continue
            if op == "barrier":
                self.record("barrier", name=s["name"])
                self.wait_file(self.transcript_path + "." + s["name"])
                return
            if self.pending:
                # shown while we waited at a barrier: handle it now, in order
                handler, args = self.pending.pop(0)
                handler(*args)
                return
            if op == "start_session":
                self.pos += 1
                name = s.get("session")
                try:
                    ok = self.greeter.start_session_sync(name)
                except GLib.Error as e:
                    return self.fail("start_session_sync(%r): %s" % (name, e.message))
                if not ok:
                    return self.fail("start_session_sync(%r) returned false" % name)
                self.record("session", name=name)
                continue
            if op in ("prompt", "message", "complete"):
                self.timer = GLib.timeout_add(int(STEP_TIMEOUT * 1000), self.on_timeout)
                return
            return self.fail("unknown step %r" % (s,))

    def on_timeout(self):
        self.timer = 0
        self.fail("nothing from LightDM for %ss while waiting for %r" % (STEP_TIMEOUT, self.step()))
        return False

    def wait_file(self, path):
        end = time.monotonic() + BARRIER_TIMEOUT

        def poll():
            if os.path.exists(path):
                self.pos += 1
                self.advance()
                return False
            if time.monotonic() > end:
                self.fail("barrier %s: %s did not appear" % (os.path.basename(path), path))
                return False
            return True
        GLib.timeout_add(50, poll)

    def expect(self, op, kind, text):
        """The current step must be op/kind/text; returns it or None (failed)."""
        s = self.step()
        seen = "%s %s %r" % (op, kind, text)
        if self.failed():
            return None
        if s is None:
            self.fail("LightDM showed %s after the end of the script" % seen)
            return None
        if s.get("op") != op or (kind is not None and s.get("type") != kind):
            self.fail("expected %s %s %r, LightDM showed %s"
                      % (s.get("op"), s.get("type", ""), s.get("text", ""), seen))
            return None
        want = s.get("text")
        if want is not None:
            ok = re.fullmatch(want, text, re.S) if s.get("regex") else want == text
            if not ok:
                self.fail("expected %s %s %r, LightDM showed %s" % (op, kind, want, seen))
                return None
        return s

    def held(self, handler, *args):
        """At a barrier (or with earlier signals still queued): keep this
        signal for later, so the script sees everything in order."""
        s = self.step()
        if self.pending or (s is not None and s.get("op") == "barrier"):
            self.pending.append((handler, args))
            return True
        return False

    # -- LightDM signals ---------------------------------------------------
    def on_prompt(self, greeter, text, ptype, _replay=False):
        kind = PROMPT_TYPES.get(ptype, str(ptype))
        if not _replay and self.held(self.on_prompt, greeter, text, ptype, True):
            return
        self.record("prompt", type=kind, text=text)
        s = self.expect("prompt", kind, text)
        if s is None:
            return
        self.pos += 1
        if s.get("cancel"):
            self.record("cancel")
            greeter.cancel_authentication()
        else:
            answer = s.get("answer", "")
            if "answer_file" in s:  # written by the test at a barrier before
                with open(self.transcript_path + "." + s["answer_file"]) as f:
                    answer = f.read().strip()
            self.record("answer", text="*" * len(answer) if kind == "secret" else answer)
            greeter.respond(answer)
        self.advance()

    def on_message(self, greeter, text, mtype, _replay=False):
        kind = MESSAGE_TYPES.get(mtype, str(mtype))
        if not _replay and self.held(self.on_message, greeter, text, mtype, True):
            return
        self.record("message", type=kind, text=text)
        if self.expect("message", kind, text) is None:
            return
        self.pos += 1
        self.advance()

    def on_complete(self, greeter, _replay=False):
        if not _replay and self.held(self.on_complete, greeter, True):
            return
        ok = bool(greeter.get_is_authenticated())
        self.record("complete", authenticated=ok, user=greeter.get_authentication_user())
        s = self.expect("complete", None, "")
        if s is None:
            return
        if bool(s.get("authenticated")) != ok:
            return self.fail("authentication %s, the script expected %s"
                             % ("succeeded" if ok else "failed",
                                "success" if s.get("authenticated") else "failure"))
        self.pos += 1
        self.advance()

    def on_sigterm(self):
        self.record("terminated")
        self.loop.quit()
        return False

    def run(self):
        self.record("start", pid=os.getpid(), uid=os.getuid())
        try:
            self.greeter.connect_to_daemon_sync()
        except GLib.Error as e:
            self.fail("connect_to_daemon_sync: %s" % e.message)
            return self.status
        # LightDM stops the greeter with SIGTERM once a session starts
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, self.on_sigterm)
        GLib.idle_add(lambda: self.advance() and False)
        self.loop.run()
        return self.status


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: scripted_greeter.py SCRIPT.json TRANSCRIPT.jsonl\n")
        return 2
    with open(sys.argv[1]) as f:
        script = json.load(f)
    if not isinstance(script, list):
        sys.stderr.write("scripted_greeter: %s is not a JSON list of steps\n" % sys.argv[1])
        return 2
    return ScriptedGreeter(script, sys.argv[2]).run()


if __name__ == "__main__":
    sys.exit(main())
