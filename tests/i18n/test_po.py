#!/usr/bin/python3
"""The translations (po/*.po), without root: every message of
po/pam_sspr.pot translated (none fuzzy), formats that msgfmt accepts
(msgfmt -c: the same %-conversions), and what a greeter can show: a prompt
that fits gnome-shell's entry placeholder in English (36 characters, the
":" dropped) fits in every language, and the offer's letter is one of that
language's words for yes.
"""
import os
import re
import subprocess
import sys
import unittest

SRCDIR = os.environ.get("SSPR_SRCDIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
PO = os.path.join(SRCDIR, "po")
sys.path.insert(0, os.path.join(SRCDIR, "tests", "greeter"))
import greeter_ux as ux  # noqa: E402

OFFER = "Reset your password? Type y: "
YES = "y yes"


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def unquote(lines):
    s = "".join(l.strip()[1:-1] for l in lines)
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), "\\" + m.group(1)), s)


def parse(path):
    """[(msgid, msgid_plural or None, [msgstr...], flags)]"""
    out = []
    with open(path, encoding="utf-8") as f:
        blocks = f.read().split("\n\n")
    for b in blocks:
        flags, fields, key = "", {}, None
        for line in b.splitlines():
            if line.startswith("#,"):
                flags += line[2:]
            elif line.startswith("#"):
                continue
            else:
                m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
                if m:
                    key = m.group(1)
                    fields[key] = [m.group(2)]
                elif line.startswith('"') and key:
                    fields[key].append(line)
        if "msgid" not in fields:
            continue
        mid = unquote(fields["msgid"])
        if mid == "":
            continue
        strs = [unquote(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        out.append((mid, unquote(fields["msgid_plural"]) if "msgid_plural" in fields else None,
                    strs, flags))
    return out


def languages():
    with open(os.path.join(PO, "LINGUAS")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


class Translations(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.pot = {e[0] for e in parse(os.path.join(PO, "pam_sspr.pot"))}
        self.assertGreater(len(self.pot), 100)

    def test_msgfmt_check(self):
        for lang in languages():
            p = subprocess.run(["msgfmt", "-c", "-o", "/dev/null", os.path.join(PO, lang + ".po")],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, "%s.po: %s" % (lang, p.stderr))

    def test_complete(self):
        for lang in languages():
            entries = parse(os.path.join(PO, lang + ".po"))
            ids = {e[0] for e in entries}
            self.assertEqual(sorted(self.pot - ids), [], "%s.po lacks these" % lang)
            for mid, plural, strs, flags in entries:
                if mid not in self.pot:
                    continue  # obsolete entries (#~) are not parsed
                self.assertNotIn("fuzzy", flags, "%s.po: %r is fuzzy" % (lang, mid))
                self.assertTrue(strs and all(s.strip() for s in strs),
                                "%s.po: %r is not translated" % (lang, mid))

    def test_prompts_fit_gnome_shell(self):
        for lang in languages():
            for mid, plural, strs, _ in parse(os.path.join(PO, lang + ".po")):
                # (formatted prompts are registration's, which greeters do not run)
                if plural or not mid.endswith(": ") or "\n" in mid or "%" in mid:
                    continue
                if len(ux.as_gnome_shell_shows_prompt(mid)) > ux.PROMPT_MAX:
                    continue  # long in English too: not a greeter prompt
                shown = ux.as_gnome_shell_shows_prompt(strs[0])
                self.assertLessEqual(len(shown), ux.PROMPT_MAX,
                                     "%s.po: prompt %r shows as %r (%d characters)"
                                     % (lang, mid, shown, len(shown)))
                self.assertTrue(strs[0].endswith(" ") and ":" in strs[0][-3:],
                                "%s.po: %r must end like a prompt, as its msgid" % (lang, strs[0]))

    def test_offer_letter_means_yes(self):
        for lang in languages():
            tr = {e[0]: e[2][0] for e in parse(os.path.join(PO, lang + ".po"))}
            words = tr[YES].split()
            offer = tr[OFFER]
            self.assertIn(words[0], offer.replace(":", " ").split(),
                          "%s.po: the offer %r does not ask for %r" % (lang, offer, words[0]))


if __name__ == "__main__":
    unittest.main(verbosity=2)
