#!/usr/bin/python3
"""The Debian package through its whole life, inside the sandbox that
tests/package/test_package.sh opened (no staged install: what is installed
here comes from the .debs alone).

Build: the source tree is copied twice into the sandbox's /tmp; the first
copy is built as an admin would (`dpkg-buildpackage -us -uc`, with the
package's own unprivileged tests), the second gets a newer version (`dch
--local`) and is built without tests (binary only). lintian must report no
error and no warning on the first build.

Then, with apt-get and pam-auth-update, as an admin does it:
  install v1   nothing in /etc/pam.d changes but the new sspr-passwd; a good
               password signs in, an empty one is not offered a reset;
               /var/lib/sspr root 0700, sspr.conf 0600 and a conffile, the
               system user _sspr, the gc timer enabled
  enable       pam-auth-update --enable sspr; a user registers and resets
               their password through the real `login` service
  upgrade v2   /var/lib/sspr and the locally changed sspr.conf are kept as
               they were, the profile stays enabled; a reset by email code
               (sspr-deliver from the package, to an SMTP server on loopback)
  disable      /etc/pam.d as after installing
  remove       (enabled again first) prerm takes pam_sspr out of common-*,
               postrm names a hand-written pam_sspr line; state,
               configuration and _sspr stay
  purge        /etc/pam.d exactly as before the install; /var/lib/sspr,
               /etc/sspr, _sspr and the timer's links gone
and an _sspr the admin made before installing survives the purge.
Build logs, apt's output and lintian's report: BUILDDIR/tests/package/logs/.
"""
import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pam"))
import sspr_harness as h  # noqa: E402

WORK = "/tmp/sspr-package"          # the sandbox's own /tmp (a tmpfs)
LOGDIR = os.path.join(h.BUILDDIR, "tests", "package", "logs")
PAM_D = "/etc/pam.d"
STATE = "/var/lib/sspr"
CONF = "/etc/sspr/sspr.conf"
PROFILE = "/usr/share/pam-configs/sspr"
TIMER_LINK = "/etc/systemd/system/timers.target.wants/sspr-gc.timer"
PACKAGES = ("libpam-sspr", "sspr-helper")
BUILD_TIMEOUT = 240   # one build: ~40 s on 2 idle cores
ARCH = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                      text=True).stdout.strip()
APT_TIMEOUT = 120


def log(msg):
    print("%7.1fs  %s" % (time.monotonic() - T0, msg), flush=True)


T0 = time.monotonic()


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------
def source_files(src):
    """Relative paths of the source tree: git's tracked and untracked,
    not ignored files when src is a git work tree, else everything but
    build directories and VCS data."""
    p = subprocess.run(["git", "-c", "safe.directory=*", "-C", src, "ls-files", "-z",
                        "--cached", "--others", "--exclude-standard"],
                       capture_output=True, timeout=60)
    if p.returncode == 0 and p.stdout:
        names = [n for n in p.stdout.decode().split("\0") if n]
        return [n for n in names if os.path.lexists(os.path.join(src, n))]
    out = []
    for d, dirs, files in os.walk(src):
        rel = os.path.relpath(d, src)
        dirs[:] = [x for x in dirs if not (x.startswith(".git") or
                                           (rel == "." and x.startswith("build")) or
                                           (rel == "tests" and x == "stage"))]
        out += [os.path.normpath(os.path.join(rel, f)) for f in files]
    return out


def copy_source(dst):
    os.makedirs(dst)
    for rel in source_files(h.SRCDIR):
        s, d = os.path.join(h.SRCDIR, rel), os.path.join(dst, rel)
        os.makedirs(os.path.dirname(d), exist_ok=True)
        if os.path.islink(s):
            os.symlink(os.readlink(s), d)
        else:
            shutil.copy2(s, d)
    if not os.path.exists(os.path.join(dst, "debian", "rules")):
        raise h.HarnessError("no debian/rules in the copy of %s" % h.SRCDIR)


def build_env(options):
    """A clean environment: nothing from the make check that runs us
    (MAKEFLAGS, SSPR_*, srcdir) may reach the package build."""
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
            "DEB_BUILD_OPTIONS": options, "DEBEMAIL": "pam_sspr tests <root@localhost>"}


def run_logged(argv, cwd, env, logname, timeout):
    path = os.path.join(LOGDIR, logname)
    with open(path, "w") as f:
        try:
            p = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=f,
                               stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise h.HarnessError("%r timed out after %ds (log: %s)" % (argv, timeout, path))
    with open(path) as f:
        text = f.read()
    if p.returncode != 0:
        raise h.HarnessError("%r failed (%d); end of %s:\n%s"
                             % (argv, p.returncode, path, text[-4000:]))
    return text


def debs(outdir, version):
    got = {}
    for pkg in PACKAGES:
        path = os.path.join(outdir, "%s_%s_%s.deb" % (pkg, version, ARCH))
        if not os.path.exists(path):
            raise h.HarnessError("%s was not built (have: %s)" % (path, os.listdir(outdir)))
        got[pkg] = path
    return got


def changelog_version(tree):
    return h.run(["dpkg-parsechangelog", "-l", os.path.join(tree, "debian", "changelog"),
                  "-S", "Version"]).stdout.strip()


# ---------------------------------------------------------------------------
# The system
# ---------------------------------------------------------------------------
def apt(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true")
    argv = ["apt-get", "-y", "-q", "-o", "Dpkg::Use-Pty=0"] + list(args)
    try:
        p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=APT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise h.HarnessError("%r timed out (a conffile or debconf prompt?)" % argv)
    with open(os.path.join(LOGDIR, "apt.log"), "a") as f:
        f.write("$ %s\n%s%s\n" % (" ".join(argv), p.stdout, p.stderr))
    if p.returncode != 0:
        raise h.HarnessError("%r failed (%d):\n%s\n%s" % (argv, p.returncode, p.stdout,
                                                          p.stderr))
    return p.stdout + p.stderr


def pam_auth_update(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", DEBCONF_NONINTERACTIVE_SEEN="true")
    return h.run(["pam-auth-update"] + list(args), env=env, timeout=60)


def status(pkg):
    p = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}|${Version}", pkg],
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "not known"


def tree(path):
    """{relative path: (type, mode, uid, gid, content or link target)} of a
    file or directory tree; {} when it does not exist."""
    out = {}
    if not os.path.lexists(path):
        return out
    if not os.path.isdir(path) or os.path.islink(path):
        st = os.lstat(path)
        with open(path, "rb") as f:
            return {".": ("file", stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, f.read())}
    for d, dirs, files in os.walk(path):
        for name in [None] + sorted(dirs) + sorted(files):
            p = d if name is None else os.path.join(d, name)
            if name is not None and name in dirs and not os.path.islink(p):
                continue   # the walk visits it as d
            st = os.lstat(p)
            rel = os.path.relpath(p, path)
            if stat.S_ISLNK(st.st_mode):
                what = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                what = ("dir", None)
            else:
                with open(p, "rb") as f:
                    what = ("file", f.read())
            out[rel] = (what[0], stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, what[1])
    return out


def differences(before, after):
    names = sorted(set(before) | set(after))
    return [n for n in names if before.get(n) != after.get(n)]


def sspr_lines():
    """PAM files that name pam_sspr.so on a line that is not a comment."""
    found = []
    for name in sorted(os.listdir(PAM_D)):
        p = os.path.join(PAM_D, name)
        if os.path.isfile(p):
            with open(p, errors="replace") as f:
                if any("pam_sspr.so" in l.split("#", 1)[0] for l in f):
                    found.append(name)
    return found


def fstype(path):
    """The file system type of the mount that holds path."""
    path, best, kind = os.path.realpath(path), "", None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            mnt = left.split()[4]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind = mnt, right.split()[0]
    return kind


def user(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def group(name):
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


class Package(unittest.TestCase):

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        h.require_sandbox()
        # dpkg's database and every place the packages write: the sandbox's
        # overlays, never the machine's own disk
        for p in ("/var/lib/dpkg", "/var/cache/apt", "/etc/pam.d", "/usr/sbin",
                  "/lib/%s/security" % h.run(["dpkg-architecture", "-q", "DEB_HOST_MULTIARCH"]
                                             ).stdout.strip()):
            if fstype(p) != "overlay":
                raise h.HarnessError("%s is on %s, not on the sandbox's overlay" % (p, fstype(p)))
        for p in ("/usr/sbin/sspr-helper", "/etc/sspr", PROFILE):
            if os.path.lexists(p):
                raise h.HarnessError("%s is already there: the sandbox must start without "
                                     "pam_sspr (SSPR_STAGE must be empty)" % p)
        shutil.rmtree(LOGDIR, ignore_errors=True)
        os.makedirs(LOGDIR)
        # no service of any package may start in here
        h.write_file("/usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", mode=0o755)

        v1, v2 = os.path.join(WORK, "v1", "pam-sspr"), os.path.join(WORK, "v2", "pam-sspr")
        copy_source(v1)
        copy_source(v2)
        cls.v1 = changelog_version(v1)
        subprocess.run(["dch", "--local", "+pkgtest", "Rebuilt by tests/package for the "
                        "upgrade test."], cwd=v2, env=build_env(""), check=True,
                       capture_output=True, timeout=60)
        cls.v2 = changelog_version(v2)
        if subprocess.run(["dpkg", "--compare-versions", cls.v2, "gt", cls.v1]).returncode:
            raise h.HarnessError("dch gave %s, not newer than %s" % (cls.v2, cls.v1))
        log("source copied twice; building %s (dpkg-buildpackage -us -uc)" % cls.v1)
        out = run_logged(["dpkg-buildpackage", "-us", "-uc"], v1, build_env("parallel=2"),
                         "build-%s.log" % cls.v1, BUILD_TIMEOUT)
        cls.build1_log = out
        cls.debs1 = debs(os.path.dirname(v1), cls.v1)
        log("built %s; building %s (-b, nocheck)" % (cls.v1, cls.v2))
        run_logged(["dpkg-buildpackage", "-us", "-uc", "-b"], v2,
                   build_env("nocheck parallel=2"), "build-%s.log" % cls.v2, BUILD_TIMEOUT)
        cls.debs2 = debs(os.path.dirname(v2), cls.v2)
        log("built %s" % cls.v2)
        changes = os.path.join(os.path.dirname(v1), "pam-sspr_%s_%s.changes" % (cls.v1, ARCH))
        p = subprocess.run(["lintian", "--fail-on", "error,warning", "--display-info",
                            changes], capture_output=True, text=True, timeout=300,
                           env=build_env(""))
        cls.lintian = (p.returncode, p.stdout + p.stderr)
        with open(os.path.join(LOGDIR, "lintian.txt"), "w") as f:
            f.write(cls.lintian[1])
        log("lintian exit %d" % p.returncode)
        keep = os.environ.get("SSPR_PACKAGE_KEEP")
        if keep:
            os.makedirs(keep, exist_ok=True)
            for d in (os.path.dirname(v1), os.path.dirname(v2)):
                for f in os.listdir(d):
                    if os.path.isfile(os.path.join(d, f)):
                        shutil.copy2(os.path.join(d, f), keep)

    def test_build_ran_the_unprivileged_tests(self):
        # dh_auto_test ran check-unprivileged, and nothing of the root suite
        self.assertIn("check-unprivileged", self.build1_log)
        self.assertRegex(self.build1_log, r"(?m)^# PASS: +[1-9]")
        self.assertRegex(self.build1_log, r"(?m)^# FAIL: +0$")
        self.assertNotIn("sandbox.sh", self.build1_log)

    def test_helper_depends_on_what_it_loads_later(self):
        # libpam, liboath and libqrencode are dlopen()ed (sspr-helper/support/lazy.h):
        # debian/rules lets dpkg-shlibdeps see them through a stub
        depends = subprocess.run(["dpkg-deb", "-f", self.debs1["sspr-helper"], "Depends"], capture_output=True,
                                 text=True, check=True).stdout
        for lib in ("libpam0g", "liboath0", "libqrencode4", "libjansson4", "libsodium23"):
            self.assertRegex(depends, r"(^|[ ,])%s( |,|$)" % lib, depends)

    def test_lintian(self):
        rc, out = self.lintian
        self.assertEqual(rc, 0, "lintian reports errors or warnings:\n" + out)
        self.assertNotRegex(out, r"(?m)^[EW]: ", out)

    def test_lifecycle(self):
        login = "login"
        with open(os.path.join(PAM_D, login)) as f:
            self.assertIn("common-auth", f.read(), "Debian's login includes common-auth")
        # the baseline: what pam-auth-update makes of this machine's profiles
        # (every libpam-* package's postinst runs it; drift in the host's own
        # files is not this package's doing)
        raw = tree(PAM_D)
        pam_auth_update("--package")
        if differences(raw, tree(PAM_D)):
            log("note: pam-auth-update --package alone changed %s"
                % differences(raw, tree(PAM_D)))
        pamd0, seen0 = tree(PAM_D), tree("/var/lib/pam/seen")
        self.assertEqual(sspr_lines(), [])
        self.assertIsNone(user("_sspr"), "the sandbox has an _sspr user already")
        password = h.strong_password()
        h.add_user("alice", password)

        # ---- install v1 ------------------------------------------------------
        apt("install", self.debs1["libpam-sspr"], self.debs1["sspr-helper"])
        for pkg in PACKAGES:
            self.assertEqual(status(pkg), "ii |%s" % self.v1)
        self.assertEqual(differences(pamd0, tree(PAM_D)), ["sspr-passwd"],
                         "installing may only add /etc/pam.d/sspr-passwd")
        self.assertEqual(sspr_lines(), [], "installing must not enable pam_sspr")
        self.assertTrue(os.path.exists(PROFILE))
        self.assertEqual(h.pam_auth("alice", password, service=login), "PAM_SUCCESS")
        rc = h.pam_auth("alice", "", service=login)
        self.assertEqual(rc, "PAM_AUTH_ERR")
        self.assertNotIn(("ECHO_ON", h.OFFER), h.pam_auth.last.received(),
                         "a reset was offered before the profile was enabled")
        st = os.lstat(STATE)
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, 0, 0o700))
        st = os.lstat(CONF)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, 0, 0o600))
        conffiles = h.run(["dpkg-query", "-W", "-f=${Conffiles}", "sspr-helper"]).stdout
        for f in (CONF, "/etc/pam.d/sspr-passwd", "/etc/sspr/templates/email-code.txt",
                  "/etc/cron.hourly/sspr-helper"):
            self.assertRegex(conffiles, r"(?m)^ %s [0-9a-f]{32}$" % f, f + " is no conffile")
        pw = user("_sspr")
        self.assertIsNotNone(pw, "postinst did not create _sspr")
        self.assertLess(pw.pw_uid, 1000)
        self.assertGreater(pw.pw_uid, 0)
        self.assertEqual(grp.getgrgid(pw.pw_gid).gr_name, "_sspr")
        self.assertEqual(pw.pw_shell, "/usr/sbin/nologin")
        self.assertFalse(os.path.exists(pw.pw_dir), "_sspr got a home directory")
        self.assertTrue(os.path.islink(TIMER_LINK), "sspr-gc.timer is not enabled")
        self.assertTrue(os.access("/usr/libexec/pam_sspr/sspr-deliver", os.X_OK))
        self.assertTrue(os.access("/usr/libexec/pam_sspr/sspr-ldap", os.X_OK))
        log("installed %s: /etc/pam.d unchanged but sspr-passwd, no reset offered" % self.v1)

        # ---- enable, register, reset ----------------------------------------
        pam_auth_update("--enable", "sspr")
        # common-password gets the sspr profile's passwd line too (inert
        # without the sspr-password profile: docs/architecture.md)
        self.assertEqual(sspr_lines(), ["common-account", "common-auth", "common-password"])
        secret = h.enroll_totp("alice")
        h.enroll_recovery("alice")
        new = h.strong_password()
        h.full_reset("alice", h.fresh_totp(secret), new, service=login)
        self.assertEqual(h.pam_auth("alice", new, service=login), "PAM_SUCCESS")
        self.assertEqual(h.pam_auth("alice", password, service=login), "PAM_AUTH_ERR")
        password = new
        log("enabled; alice reset her password with an authenticator code at login")

        # a local change to the configuration: mail to an SMTP server on loopback
        sink = h.start_smtp_sink()
        conf_text = "# changed by the admin\n" + h.make_config(email=h.email_section(sink.url))
        h.write_file(CONF, conf_text, mode=0o600)
        h.enroll_email("alice", "alice@example.com")
        state1 = tree(STATE)
        self.assertTrue(any(k != "." for k in state1), "no state under %s" % STATE)
        sspr_uid = user("_sspr").pw_uid

        # ---- upgrade to v2 ---------------------------------------------------
        apt("install", self.debs2["libpam-sspr"], self.debs2["sspr-helper"])
        for pkg in PACKAGES:
            self.assertEqual(status(pkg), "ii |%s" % self.v2)
        self.assertEqual(differences(state1, tree(STATE)), [],
                         "the upgrade changed %s" % STATE)
        with open(CONF) as f:
            self.assertEqual(f.read(), conf_text, "the upgrade replaced the changed sspr.conf")
        self.assertFalse(os.path.exists(CONF + ".dpkg-new") or os.path.exists(CONF + ".dpkg-dist"))
        self.assertEqual(sspr_lines(), ["common-account", "common-auth", "common-password"],
                         "the upgrade changed whether pam_sspr is enabled")
        self.assertEqual(user("_sspr").pw_uid, sspr_uid)
        before = len(sink.mails())
        s = h.start_menu("alice", h.menu_text(h.OPT_CODE, h.OPT_EMAIL), service=login)
        s.answer("2")
        s.expect("INFO", h.email_sent(10))
        s.expect("ECHO_OFF", h.EMAIL_PROMPT)
        mail = sink.wait_mails(before + 1)[-1]
        self.assertEqual(mail.rcpts, ["alice@example.com"])
        s.answer(mail.code(8))
        new = h.strong_password()
        h.finish_reset(s, new)
        self.assertEqual(h.pam_auth("alice", new, service=login), "PAM_SUCCESS")
        password = new
        log("upgraded to %s: state and sspr.conf kept, still enabled; reset by email code"
            % self.v2)

        # ---- disable ---------------------------------------------------------
        pam_auth_update("--disable", "sspr")
        self.assertEqual(differences(pamd0, tree(PAM_D)), ["sspr-passwd"],
                         "disabling does not give the stacks back")
        self.assertEqual(h.pam_auth("alice", password, service=login), "PAM_SUCCESS")
        self.assertEqual(h.pam_auth("alice", "", service=login), "PAM_AUTH_ERR")
        self.assertNotIn(("ECHO_ON", h.OFFER), h.pam_auth.last.received())
        log("disabled: /etc/pam.d as installed")

        # ---- remove (while enabled: prerm must take it out) -----------------
        pam_auth_update("--enable", "sspr")
        # common-password gets the sspr profile's passwd line too (inert
        # without the sspr-password profile: docs/architecture.md)
        self.assertEqual(sspr_lines(), ["common-account", "common-auth", "common-password"])
        # and a line an admin wrote by hand, which postrm must point out
        handmade = os.path.join(PAM_D, "sspr-handmade")
        h.write_file(handmade, "auth optional pam_sspr.so\n")
        out = apt("remove", *PACKAGES)
        for pkg in PACKAGES:
            self.assertEqual(status(pkg), "rc |%s" % self.v2)
        self.assertRegex(out, r"libpam-sspr: warning: pam_sspr.so is removed now, but these "
                              r"PAM files still name it; delete those lines: .*sspr-handmade")
        os.unlink(handmade)
        self.assertEqual(sspr_lines(), [], "removing left pam_sspr.so in the stacks")
        self.assertEqual(differences(pamd0, tree(PAM_D)), ["sspr-passwd"])
        self.assertFalse(os.path.exists(PROFILE))
        self.assertEqual(h.pam_auth("alice", password, service=login), "PAM_SUCCESS")
        self.assertTrue(os.path.isdir(STATE), "remove (not purge) deleted the state")
        self.assertTrue(os.path.exists(CONF), "remove (not purge) deleted sspr.conf")
        self.assertIsNotNone(user("_sspr"))
        log("removed: pam_sspr out of the stacks, state and configuration kept")

        # ---- purge -----------------------------------------------------------
        apt("purge", *PACKAGES)
        for pkg in PACKAGES:
            self.assertIn(status(pkg), ("not known", "un |", "pn |"))
        self.assertEqual(differences(pamd0, tree(PAM_D)), [],
                         "/etc/pam.d is not what it was before the install")
        self.assertEqual(differences(seen0, tree("/var/lib/pam/seen")), [])
        self.assertFalse(os.path.lexists(STATE), "purge left %s" % STATE)
        self.assertFalse(os.path.lexists("/etc/sspr"), "purge left /etc/sspr")
        self.assertIsNone(user("_sspr"), "purge left the _sspr user")
        self.assertIsNone(group("_sspr"), "purge left the _sspr group")
        self.assertFalse(os.path.lexists(TIMER_LINK), "purge left the timer enabled")
        self.assertEqual(h.pam_auth("alice", password, service=login), "PAM_SUCCESS")
        log("purged: /etc/pam.d exactly as before, state, config and _sspr gone")

    def test_purge_keeps_admins_own_user(self):
        # independent of how test_lifecycle ended
        if any(status(p) != "not known" for p in PACKAGES):
            apt("purge", *PACKAGES)
        if user("_sspr"):
            h.run(["deluser", "--system", "--quiet", "_sspr"])
        # as README's `make install` route says: the admin made _sspr first
        h.run(["adduser", "--system", "--quiet", "--no-create-home", "_sspr"])
        uid = user("_sspr").pw_uid
        try:
            apt("install", self.debs2["libpam-sspr"], self.debs2["sspr-helper"])
            self.assertEqual(user("_sspr").pw_uid, uid)
            apt("purge", *PACKAGES)
            self.assertIsNotNone(user("_sspr"), "purge removed the admin's own _sspr")
            self.assertEqual(user("_sspr").pw_uid, uid)
            self.assertFalse(os.path.lexists(STATE))
        finally:
            h.run(["deluser", "--system", "--quiet", "_sspr"], check=False)
        log("an _sspr made by the admin survives the purge")


def main():
    if not h.in_sandbox():
        print("package_inside.py runs inside the sandbox: use tests/package/test_package.sh")
        sys.exit(99)
    sys.stdout.reconfigure(line_buffering=True)
    try:
        prog = unittest.main(module="__main__", exit=False, verbosity=2,
                             argv=[sys.argv[0]] + sys.argv[1:])
    finally:
        h.stop_servers()
    log("done")
    sys.exit(0 if prog.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
