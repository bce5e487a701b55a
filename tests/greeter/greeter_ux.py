"""What a graphical greeter can show, as checks on a greeter transcript.

The limits come from gnome-shell 43.9 (Debian 12), read from its
js/gdm/authPrompt.js, js/gdm/util.js and theme CSS, the strictest of the
greeters pam_sspr targets:

  - A PAM prompt is not a label: gnome-shell strips a trailing ":" (and
    spaces), replaces "Password:" by its own translation, and puts the rest
    into the entry as its placeholder (St hint text: one line, ellipsized at
    the end). The entry shares the 23em login column (337 px at the default
    11 pt Cantarell) with the 2.18em cancel button and 5 px spacing, loses
    8 px of padding on each side and has the "next" button drawn over its
    right end: about 245 px of visible placeholder. Measured with Cantarell
    11 pt at 96 dpi, prompt text runs at 6.5 to 7 px a character, so
    PROMPT_MAX = 36 characters. The placeholder also disappears at the first
    key press: the user types the answer without seeing the question.
  - Messages (PAM_TEXT_INFO, PAM_ERROR_MSG) go to one label below the entry,
    wrapped (not ellipsized) in the 23em column, about 48 characters a line,
    one message at a time: each stays for 48 ms a character
    (USER_READ_TIME) before the next replaces it. MESSAGE_MAX = 100
    characters keeps one message to two lines and under five seconds.
  - When the authentication fails, gdm reports its own problem message
    ("Sorry, ..."), which gnome-shell queues as a priority message: every
    info (or hint) message of the service still waiting in the queue is
    dropped, and the one on screen is cleared (js/gdm/util.js
    _queuePriorityMessage, MessageType NONE < HINT < INFO < ERROR). Info
    messages after the last prompt of a failing conversation are therefore
    never read; errors are shown, each for its time, before gdm's text.
  - lightdm-gtk-greeter 2.0.8 shows only the latest message, and shows a
    prompt's text only when no message is showing (so an INFO right before
    a prompt hides the prompt), in an info bar that does not wrap. The
    label keeps the last message after a failure (its own "Incorrect
    password" only replaces an empty label).

Findings are Problem objects; hard ones break those limits, soft ones read
badly on a greeter (multi-line text, console-style "[y/N]" defaults, an
info message after the last prompt, a message that hides the next prompt)
and are reported, not failed.
"""

import json
import os
import re

PROMPT_MAX = 36
MESSAGE_MAX = 100
USER_READ_MS = 48


def as_gnome_shell_shows_prompt(text):
    """The hint text gnome-shell makes of a PAM prompt."""
    if text in ("Password:", "Password: "):
        return "Password"
    return re.sub(r"[:\uff1a] *$", "", text).strip()


class Problem:
    def __init__(self, hard, item, why):
        self.hard = hard
        self.item = item      # (kind, type, text)
        self.why = why

    def key(self):
        return (self.item[2], self.why.split(":")[0])

    def __str__(self):
        return "%s %s %s %r: %s" % ("HARD" if self.hard else "soft", self.item[0], self.item[1],
                                    self.item[2], self.why)

    def __repr__(self):
        return str(self)


def check(shown):
    """shown: [(kind "prompt"|"message", type, text)] in order. Returns [Problem]."""
    out = []
    last_prompt = max([i for i, s in enumerate(shown) if s[0] == "prompt"], default=-1)
    for i, item in enumerate(shown):
        kind, typ, text = item
        if not text.strip():
            out.append(Problem(True, item, "empty text"))
        if re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text):
            out.append(Problem(True, item, "control characters"))
        if kind == "prompt":
            hint = as_gnome_shell_shows_prompt(text)
            if len(hint) > PROMPT_MAX:
                out.append(Problem(True, item, "prompt too long: gnome-shell shows %r (%d "
                                   "characters) in a one-line entry placeholder that ellipsizes "
                                   "after about %d" % (hint, len(hint), PROMPT_MAX)))
            if "\n" in text:
                out.append(Problem(True, item,
                                   "multi-line prompt: an entry placeholder is one line"))
            if re.search(r"\[[yY]/[nN]\]", text):
                out.append(Problem(False, item, "console default marker: a greeter has no "
                                   "'press Enter for No'; the user must type y, and an empty "
                                   "answer silently means no"))
        else:
            lines = text.split("\n")
            if len(text) > MESSAGE_MAX:
                out.append(Problem(True, item, "message too long: %d characters (more than %d: "
                                   "over two lines in the 23em column, %.1f s on screen at 48 ms "
                                   "a character)" % (len(text), MESSAGE_MAX,
                                                     len(text) * USER_READ_MS / 1000.0)))
            if len(lines) > 1:
                out.append(Problem(False, item, "multi-line message: greeters centre or wrap it "
                                   "as one paragraph; a list (menu) loses its layout"))
            nxt = shown[i + 1] if i + 1 < len(shown) else None
            if nxt and nxt[0] == "prompt":
                out.append(Problem(False, item, "right before the prompt %r: lightdm-gtk-greeter "
                                   "shows this message instead of that prompt, so it must say "
                                   "what to type" % nxt[2]))
            if nxt and nxt[0] == "message":
                out.append(Problem(False, item, "followed by another message: lightdm-gtk-greeter "
                                   "shows only the latest, so this one is never seen there"))
            if i > last_prompt and typ == "info":
                out.append(Problem(False, item, "info after the last prompt: when the "
                                   "authentication fails, gnome-shell drops it for gdm's own "
                                   "%r (an error is shown first)" % GDM_PASSWORD_FAILED))
    return out


def transcript_text(run, problems=None):
    lines = []
    for e in run.events():
        ev = e["event"]
        if ev in ("prompt", "message"):
            lines.append("%7.3f  %-7s %-8s %s" % (e["t"], ev, e["type"], json.dumps(e["text"])))
        elif ev == "answer":
            lines.append("%7.3f  %-7s %-8s %s" % (e["t"], "answer", "", json.dumps(e["text"])))
        elif ev == "complete":
            lines.append("%7.3f  complete authenticated=%s user=%s"
                         % (e["t"], e["authenticated"], e["user"]))
        elif ev in ("authenticate", "session", "cancel", "barrier"):
            rest = {k: v for k, v in e.items() if k not in ("event", "t")}
            lines.append("%7.3f  %s %s" % (e["t"], ev, json.dumps(rest) if rest else ""))
    if problems:
        lines.append("")
        lines += [str(p) for p in problems]
    return "\n".join(lines) + "\n"


def save_transcript(run, name, problems=None):
    """Keep the transcript in the build tree (tests/greeter/transcript-NAME.txt)
    for the log and the report; the sandbox's /run is gone after the test."""
    d = os.path.join(os.environ.get("SSPR_BUILDDIR") or os.getcwd(), "tests", "greeter")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "transcript-%s.txt" % name)
    text = transcript_text(run, problems)
    with open(path, "w") as f:
        f.write(text)
    print("\n--- greeter transcript (%s) ---\n%s--- end ---" % (path, text))
    return path


# gdm 43 (gdm-session-worker) ends a failed pam_authenticate on gdm-password
# with this problem message (get_generic_error_message); gnome-shell queues
# it after the module's own messages.
GDM_PASSWORD_FAILED = "Sorry, password authentication didn\u2019t work. Please try again."


def gnome_shell_dropped(received, result):
    """The info messages gnome-shell never shows: those after the last
    prompt of a conversation that fails (gdm's problem message is queued
    with priority and removes them, see the module docstring)."""
    if result in ("PAM_SUCCESS", None):
        return []
    last = max([i for i, (k, _) in enumerate(received) if k in ("ECHO_OFF", "ECHO_ON")],
               default=-1)
    return [t for i, (k, t) in enumerate(received) if i > last and k == "INFO"]


def gnome_shell_view(received, result):
    """How gnome-shell 43's login dialog presents a PAM conversation.

    received: [(kind, text)] as pamdrive reports it (ECHO_OFF, ECHO_ON, INFO,
    ERROR); result: the PAM result name. Returns [(what, text, seconds)]:
    ("hint", placeholder text, None) for a prompt (secret or visible), and
    ("message"/"problem", text, seconds on screen) for messages, which gdm
    passes on one by one and gnome-shell shows for 48 ms a character; a
    failed authentication drops the info messages after the last prompt
    (gnome_shell_dropped) and adds gdm's own problem message."""
    out = []
    last = max([i for i, (k, _) in enumerate(received) if k in ("ECHO_OFF", "ECHO_ON")],
               default=-1)
    failed = result not in ("PAM_SUCCESS", None)
    for i, (kind, text) in enumerate(received):
        if kind in ("ECHO_OFF", "ECHO_ON"):
            out.append(("hint" if kind == "ECHO_OFF" else "hint-visible",
                        as_gnome_shell_shows_prompt(text), None))
        elif kind == "INFO" and failed and i > last:
            continue
        elif kind in ("INFO", "ERROR"):
            out.append(("message" if kind == "INFO" else "problem", text,
                        len(text) * USER_READ_MS / 1000.0))
    if failed:
        out.append(("problem", GDM_PASSWORD_FAILED,
                    len(GDM_PASSWORD_FAILED) * USER_READ_MS / 1000.0))
    return out


def format_view(view):
    return "\n".join("  %-12s %-6s %s" % (w, "" if s is None else "%.1fs" % s, t)
                     for w, t, s in view)
