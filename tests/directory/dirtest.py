"""Common ground of the directory tests (tests/directory/test_*.py).

Each test file runs in its own throwaway root sandbox (tests/sandbox/sandbox.sh,
the same as tests/pam): its own network namespace (loopback only), PID
namespace and overlays over /etc /usr /var /home /root. main() re-enters the
sandbox when the file is started by hand, and exits 77 (automake SKIP) with a
message when a package the file needs is missing.

Helpers here: the sandbox guard and run() from tests/pam/sspr_harness.py,
a test CA (openssl), free loopback ports, bounded polling.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pam"))
import sspr_harness as h  # noqa: E402

SRCDIR = h.SRCDIR
TIMEOUT = float(os.environ.get("SSPR_DIR_TIMEOUT", "30"))
HarnessError = h.HarnessError
run = h.run
require_sandbox = h.require_sandbox
write_file = h.write_file


def free_port():
    """A loopback TCP port nothing listens on (the sandbox has its own network
    namespace, so nothing else takes it meanwhile)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path, size=6000):
    """The last size bytes of a daemon's log file as text ("" when unreadable),
    for failure messages."""
    try:
        with open(path, "rb") as f:
            return f.read()[-size:].decode("utf-8", "replace")
    except OSError:
        return ""


def wait_until(what, probe, timeout=TIMEOUT, interval=0.05, proc=None, log=None):
    """Poll probe() until it returns a true value (returned); fail after timeout
    seconds, or at once when proc (a Popen) has exited. log: a callable giving
    text for the failure message."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            got = probe()
            if got:
                return got
        except Exception as e:  # noqa: BLE001 - reported below
            last = e
        if proc is not None and proc.poll() is not None:
            raise HarnessError("%s: the process exited (%s) while waiting%s\n%s"
                               % (what, proc.returncode,
                                  " (last error: %s)" % last if last else "",
                                  log() if log else ""))
        if time.monotonic() >= end:
            raise HarnessError("%s: not within %.0f s%s\n%s"
                               % (what, timeout, " (last error: %s)" % last if last else "",
                                  log() if log else ""))
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)


def scratch(prefix):
    """A new directory under the sandbox's /tmp (a tmpfs that ends with it)."""
    require_sandbox()
    return tempfile.mkdtemp(prefix=prefix, dir="/tmp")


class TestCA:
    """A throwaway CA and server certificates made with openssl.

    ca = TestCA(dir); ca.ca_file is the CA certificate (PEM);
    ca.server_cert("name", dns=("localhost",), ips=("127.0.0.1",)) returns
    (cert path, key path), signed by the CA, for TLS server authentication."""

    def __init__(self, directory, name="sspr test CA"):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca_key = os.path.join(directory, "ca.key")
        self.ca_file = os.path.join(directory, "ca.crt")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", self.ca_key,
             "-out", self.ca_file, "-days", "3", "-subj", "/CN=" + name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        os.chmod(self.ca_file, 0o644)

    def server_cert(self, name, dns=("localhost",), ips=("127.0.0.1",), rsa=False):
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        crt = os.path.join(self.dir, name + ".crt")
        ext = os.path.join(self.dir, name + ".ext")
        san = ",".join(["DNS:" + d for d in dns] + ["IP:" + i for i in ips])
        with open(ext, "w") as f:
            f.write("subjectAltName=%s\nextendedKeyUsage=serverAuth\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "basicConstraints=CA:FALSE\n" % san)
        newkey = ["-newkey", "rsa:2048"] if rsa else \
            ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        run(["openssl", "req"] + newkey + ["-nodes", "-keyout", key, "-out", csr,
                                           "-subj", "/CN=" + (dns[0] if dns else ips[0])])
        run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca_file, "-CAkey", self.ca_key,
             "-CAcreateserial", "-out", crt, "-days", "3", "-extfile", ext])
        os.chmod(key, 0o600)
        return crt, key


def sanitizer_build():
    """1 when the installed pam_sspr.so is ASan/UBSan-instrumented: the system
    programs that load it (sshd, chpasswd through pam_sspr's line in
    common-password) then need the sanitizer runtimes preloaded, which the
    directory daemons in these tests must not get."""
    mod = h._find_module()
    if not mod:
        return False
    out = run(["ldd", mod], check=False).stdout
    return "libasan" in out or "libubsan" in out


def have(*programs):
    """The programs of the list that are missing (empty list: all there)."""
    return [p for p in programs if shutil.which(p) is None and not os.access(p, os.X_OK)]


def stop_process(proc, timeout=10.0):
    """SIGTERM, wait, then SIGKILL: a clean stop that always ends the process."""
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(needs=(), why=None):
    """Run the calling file's tests in the sandbox: exit 0 pass, 1 fail, 77 skip.
    needs: programs that must exist (else SKIP, naming them and the package)."""
    if not h.in_sandbox():
        if os.geteuid() != 0:
            h.skip_exit("needs root and unshare (mount/net/pid namespaces)")
        os.environ.setdefault("SSPR_SRCDIR", SRCDIR)
        script = os.path.abspath(sys.modules["__main__"].__file__)
        os.execv("/bin/sh", ["/bin/sh", h.SANDBOX_SH, sys.executable, "-B", script]
                 + sys.argv[1:])
    missing = have(*needs)
    if missing:
        h.skip_exit("%s not installed (%s; scripts/install-deps.sh installs it)"
                    % (", ".join(missing), why or "directory test packages"))
    sys.stdout.reconfigure(line_buffering=True)
    print("sandbox: %s" % os.environ.get("SSPR_SANDBOX_DIR"))
    prog = unittest.main(module="__main__", exit=False, verbosity=2,
                         argv=[sys.argv[0]] + sys.argv[1:])
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.testsRun > 0 and len(r.skipped) == r.testsRun:
        sys.exit(77)
    sys.exit(0)
