"""`sspr-helper import FILE`: JSON and CSV, good, bad and duplicate rows, a
report line per row, idempotent, records intact afterwards, and a corrupt
record of one user never stops the others. Runs the real installed helper in
a throwaway root sandbox."""

import json
import os

from admin_util import h

STATE = h.STATE_DIR
WORK = "/root/import-test"


def uid_of(user):
    return int(h.run(["id", "-u", user]).stdout)


def record_path(user):
    return os.path.join(STATE, "user-%d.json" % uid_of(user))


def record(user):
    with open(record_path(user)) as f:
        return json.load(f)


def records_snapshot():
    return {k: v for k, v in h.snapshot(STATE).items() if k.startswith("user-") and
            k.endswith(".json")}


def write_input(name, text):
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, name)
    h.write_file(path, text, mode=0o600)
    return path


def run_import(arg, input=None):
    p = h.helper_cmd("import", arg, check=False, input=input)
    return p.returncode, p.stdout.splitlines(), p.stderr


class ImportTest(h.SandboxTest):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        h.setup_system()
        for u in ("alice", "bob", "carol", "dave"):
            h.add_user(u, h.strong_password())
        cls.alice_totp = h.enroll_totp("alice")

    def setUp(self):
        super().setUp()
        # every case starts from records for alice (TOTP only), none for the others
        for u in ("bob", "carol", "dave"):
            for suffix in (".json",):
                p = os.path.join(STATE, "user-%d%s" % (uid_of(u), suffix))
                if os.path.exists(p):
                    os.unlink(p)
        rec = record("alice")
        for k in ("email", "phone"):
            rec.pop(k, None)
        h.write_file(record_path("alice"), json.dumps(rec), mode=0o600)

    # ------------------------------------------------------------------------------
    def test_json_good_bad_and_duplicate_rows(self):
        rows = [
            {"user": "alice", "email": "alice@example.com", "phone": "+4915112345678"},
            {"user": "bob", "email": "bob@example.org"},
            {"user": "nosuchuser", "email": "x@example.com"},
            {"user": "carol", "email": "not an address"},
            {"user": "carol", "phone": "0151 1234"},
            {"user": "alice", "email": "other@example.com"},
            {"user": "dave", "phone": "+12025550123", "email": None},
            {"user": "root", "email": "root@example.com"},
            {"user": "bob", "shoe": "42"},
            "just a string",
        ]
        path = write_input("users.json", json.dumps(rows, indent=1))
        rc, out, err = run_import(path)
        self.assertEqual(out, [
            "row 1 alice: email set, phone set",
            "row 2 bob: email set",
            "row 3 nosuchuser: ERROR no such user",
            "row 4 carol: ERROR not a valid email address",
            "row 5 carol: ERROR not an E.164 phone number (+ then 8 to 15 digits)",
            "row 6 alice: ERROR this user is already in row 1 (one row per user)",
            "row 7 dave: phone set",
            "row 8 root: ERROR root never resets a password this way (uid 0 < min_uid 1000)",
            "row 9 bob: ERROR unknown key (allowed: user, email, phone)",
            "row 10 (no user): ERROR not an object",
        ], "\n".join(out) + "\n" + err)
        self.assertEqual(rc, 1)
        self.assertIn("10 rows: 3 changed, 0 unchanged, 7 failed", err)

        a = record("alice")
        self.assertEqual(a["email"]["address"], "alice@example.com")
        self.assertEqual(a["email"]["source"], "import")
        self.assertIsInstance(a["email"]["imported"], int)
        self.assertEqual(a["phone"]["number"], "+4915112345678")
        self.assertEqual(a["user"], "alice")
        self.assertEqual(a["uid"], uid_of("alice"))
        # the TOTP registration is untouched: its codes still verify
        self.assertEqual(a["totp"]["secret"].rstrip("="), self.alice_totp)
        self.assertEqual(record("bob")["email"]["address"], "bob@example.org")
        self.assertNotIn("phone", record("bob"))
        self.assertEqual(record("dave")["phone"]["number"], "+12025550123")
        self.assertFalse(os.path.exists(record_path("carol")), "a bad row wrote a record")
        for u in ("alice", "bob", "dave"):
            st = os.stat(record_path(u))
            self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))
            p = h.helper_cmd("show", u)
            self.assertIn("user: %s" % u, p.stdout)

        # the same file again: nothing changes, on disk either
        before = records_snapshot()
        rc2, out2, err2 = run_import(path)
        self.assertEqual(out2[0], "row 1 alice: email unchanged, phone unchanged")
        self.assertEqual(out2[1], "row 2 bob: email unchanged")
        self.assertEqual(out2[6], "row 7 dave: phone unchanged")
        self.assertEqual(rc2, 1)
        self.assertIn("0 changed, 3 unchanged, 7 failed", err2)
        self.assertEqual(records_snapshot(), before)

    def test_csv_and_stdin(self):
        text = ("\ufeffuser,email,phone\r\n"
                "alice,alice@example.com,+4915112345678\r\n"
                "\r\n"
                "  bob , \"bob@example.org\" ,\r\n"
                "carol,,+447700900123\r\n"
                "dave,dave@@example.com,\r\n"
                "nosuchuser,n@example.com,\r\n"
                "carol,\"unterminated,\r\n"
                "alice,a@example.com\r\n")
        path = write_input("users.csv", text)
        rc, out, err = run_import(path)
        self.assertEqual(out, [
            "row 1 alice: email set, phone set",
            "row 2 bob: email set",
            "row 3 carol: phone set",
            "row 4 dave: ERROR not a valid email address",
            "row 5 nosuchuser: ERROR no such user",
            "row 6 (no user): ERROR malformed CSV line (quotes?)",
            "row 7 (no user): ERROR wrong number of fields for the header",
        ], "\n".join(out) + "\n" + err)
        self.assertEqual(rc, 1)
        self.assertEqual(record("carol")["phone"]["number"], "+447700900123")
        self.assertNotIn("email", record("carol"))
        self.assertFalse(os.path.exists(record_path("dave")))

        # from standard input, columns in another order, all good: exit 0
        before = records_snapshot()
        rc, out, err = run_import("-", input="phone,user\n+4915112345678,alice\n")
        self.assertEqual(out, ["row 1 alice: phone unchanged"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(records_snapshot(), before)

    def test_corrupt_record_fails_only_that_row(self):
        bad = record_path("bob")
        h.write_file(bad, b'{"version":1,"uid":', mode=0o600)
        path = write_input("three.json", json.dumps([
            {"user": "alice", "email": "alice@example.com"},
            {"user": "bob", "email": "bob@example.org"},
            {"user": "carol", "email": "carol@example.net"},
        ]))
        rc, out, err = run_import(path)
        self.assertEqual(out[0], "row 1 alice: email set")
        self.assertRegex(out[1], r"^row 2 bob: ERROR record user-\d+: .*corrupt.*fix or remove it")
        self.assertEqual(out[2], "row 3 carol: email set")
        self.assertEqual(rc, 1)
        with open(bad, "rb") as f:
            self.assertEqual(f.read(), b'{"version":1,"uid":', "the corrupt record was touched")

    def test_user_registered_address_is_kept(self):
        rec = record("alice")
        rec["email"] = {"address": "mine@example.com", "confirmed": 1700000000}
        h.write_file(record_path("alice"), json.dumps(rec), mode=0o600)
        path = write_input("k.csv", "user,email,phone\nalice,imported@example.com,+4915112345678\n")
        rc, out, err = run_import(path)
        self.assertEqual(rc, 0, err)
        self.assertRegex(out[0], r"^row 1 alice: email kept \(.*\), phone set$")
        self.assertEqual(record("alice")["email"],
                         {"address": "mine@example.com", "confirmed": 1700000000})

    def test_whole_file_refused(self):
        before = records_snapshot()
        for name, text in (("empty.csv", ""),
                           ("hdr.csv", "name,mail\nalice,a@example.com\n"),
                           ("obj.json", '[{"user":"alice","user":"bob"}'),
                           ("dup.json", '[{"user":"alice","email":"a@example.com",'
                                        '"email":"b@example.com"}]'),
                           ("notarray.json", '  {"user":"alice"}'),
                           ("nul.csv", "user,email\nalice,a@example.com\0\n")):
            rc, out, err = run_import(write_input(name, text))
            if name == "notarray.json":
                # does not start with '[': read as CSV, whose header is wrong
                self.assertEqual(rc, 2, name + err)
            else:
                self.assertEqual(rc, 2, name + ": " + err)
            self.assertEqual(out, [], name)
        # too large
        big = write_input("big.csv", "user,email\n" + "x" * (16 * 1024 * 1024))
        rc, out, err = run_import(big)
        self.assertEqual(rc, 2, err)
        self.assertIn("larger than", err)
        self.assertEqual(records_snapshot(), before)

    def test_usage(self):
        self.assertEqual(h.helper_cmd("import", check=False).returncode, 2)
        self.assertEqual(h.helper_cmd("import", "a", "b", check=False).returncode, 2)
        rc, out, err = run_import("/nonexistent/file.csv")
        self.assertEqual(rc, 2)
        self.assertIn("No such file", err)


if __name__ == "__main__":
    h.main()
