# SPDX-License-Identifier: GPL-2.0-or-later
"""What every Python integration test needs besides TAP (taplib) and the wire
format (usbipwire): where the built binaries are, skipping or failing when a
prerequisite is missing, re-running itself inside a umockdev testbed, a scratch
directory, and the one way to start usbipd and wait until it serves.

make check runs each tests/integration/test-*.py with python3 and the
environment of AM_TESTS_ENVIRONMENT (abs_top_srcdir, abs_top_builddir); run by
hand from the top of an in-tree build, the defaults below find the same files.
"""
import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

LIB = os.path.dirname(os.path.abspath(__file__))
TOP_SRCDIR = os.environ.get("abs_top_srcdir") or os.path.dirname(os.path.dirname(LIB))
TOP_BUILDDIR = os.environ.get("abs_top_builddir") or TOP_SRCDIR
FIXTURES = os.path.join(TOP_SRCDIR, "tests", "fixtures")
TB_RUN = os.path.join(FIXTURES, "tb-run.sh")
# strace with LeakSanitizer off (the reason is in strace.sh): use it for every
# traced run instead of strace itself.
STRACE = os.path.join(LIB, "strace.sh")
USBIP = os.path.join(TOP_BUILDDIR, "usbip", "usbip")
USBIPD = os.path.join(TOP_BUILDDIR, "usbipd", "usbipd")
REF_USBIP = "/usr/sbin/usbip"
REF_USBIPD = "/usr/sbin/usbipd"

# Set in the copy of a test that runs inside its testbed.
_INSIDE = "USBIP_TEST_INSIDE_TESTBED"


def missing(reason):
    """Ends the test for a missing prerequisite: a skip of the whole file,
    but in CI (CI set) a failure, because there a skip would hide one."""
    if os.environ.get("CI"):
        print("Bail out! %s missing" % reason)
        sys.exit(1)
    print("1..0 # SKIP %s missing" % reason)
    sys.exit(0)


def require_program(name, package=None):
    """Ends the test (missing()) unless NAME is on PATH or an executable path."""
    if shutil.which(name) is None:
        missing(package or name)


def require_root():
    """The testbeds need root (mount namespaces) and their tools; the same
    rule as tap.sh's require_root."""
    if os.geteuid() != 0:
        missing("root (mount namespaces for the testbeds)")
    for tool in ("umockdev-run", "unshare", "strace", "python3"):
        require_program(tool, "%s (tests/scripts/install-deps.sh)" % tool)


def _rerun(argv):
    env = dict(os.environ)
    env[_INSIDE] = "1"
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)


def in_testbed(fixture, *tb_opts):
    """Runs the rest of this script inside umockdev testbed FIXTURE (a file
    name in tests/fixtures, or several joined with ':'), in a private mount
    namespace: the first call re-executes the script under tb-run.sh with
    TB_OPTS (e.g. "-R"), the copy inside returns at once."""
    if os.environ.get(_INSIDE):
        return
    require_root()
    _rerun([TB_RUN] + list(tb_opts) + [fixture, "--", sys.executable,
                                        os.path.abspath(sys.argv[0])] + sys.argv[1:])


def in_umockdev_wrapper():
    """Runs the rest of this script under umockdev-wrapper, for tests that
    build their testbed with the UMockdev API (python3-gi) to send uevents."""
    if os.environ.get(_INSIDE):
        return
    require_root()
    try:
        subprocess.run(["/usr/bin/python3", "-c",
                        'import gi; gi.require_version("UMockdev", "1.0")'],
                       check=True, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        missing("python3-gi / gir1.2-umockdev-1.0")
    _rerun(["umockdev-wrapper", "/usr/bin/python3", os.path.abspath(sys.argv[0])] +
           sys.argv[1:])


def real_binary(path):
    """The ELF binary behind a libtool wrapper script (PATH/../.libs/NAME),
    with the built libusbip put first on LD_LIBRARY_PATH; PATH itself when it
    is not a wrapper.  For runs a wrapper would disturb: umockdev-wrapper's
    preload, valgrind."""
    real = os.path.join(os.path.dirname(path), ".libs", os.path.basename(path))
    if not os.access(real, os.X_OK):
        return path
    libs = os.path.join(TOP_BUILDDIR, "lib", ".libs")
    old = os.environ.get("LD_LIBRARY_PATH")
    os.environ["LD_LIBRARY_PATH"] = libs + (":" + old if old else "")
    return real


def file_text(path):
    """The text of the file at PATH, or None when there is none."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def wait_for(cond, timeout):
    """Polls cond() every 50 ms until it is true; its last value after
    TIMEOUT seconds."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def testbed_bind(tb, root, devpath, status="1\n"):
    """Makes the umockdev testbed @tb show @devpath (a sysfs path under the
    testbed's @root) bound to usbip-host with @status, and sends the uevent
    usbipd follows."""
    tb.set_attribute(devpath, "usbip_status", status)
    link = root + devpath + "/driver"
    if os.path.lexists(link):
        os.remove(link)
    os.symlink("../../../../../bus/usb/drivers/usbip-host", link)
    tb.set_property(devpath, "DRIVER", "usbip-host")
    tb.uevent(devpath, "bind")


def testbed_unbind(tb, root, devpath):
    """The reverse of testbed_bind: @devpath back on the usb driver."""
    link = root + devpath + "/driver"
    os.remove(link)
    os.symlink("../../../../../bus/usb/drivers/usb", link)
    tb.set_property(devpath, "DRIVER", "usb")
    tb.uevent(devpath, "unbind")


def work_dir():
    """A scratch directory, removed when the test ends."""
    d = tempfile.mkdtemp(prefix="usbip-test.")
    atexit.register(shutil.rmtree, d, True)
    return d


class Usbipd:
    """A usbipd with its stderr in the file LOG, started and waited for: the
    constructor returns once LOG holds READY ("listening on", which usbipd
    logs for each socket it serves; both ours and the reference) or after
    TIMEOUT seconds; self.ready says which.

    WRAP is a command the daemon runs under (STRACE and its options,
    prlimit, systemd-socket-activate...); ENV replaces the environment."""

    def __init__(self, args, log, binary=USBIPD, wrap=(), ready="listening on",
                 env=None, timeout=10):
        self.log = log
        self.wrapped = bool(wrap)
        with open(log, "w") as err:
            self.p = subprocess.Popen(list(wrap) + [binary] + list(args),
                                      stdout=subprocess.DEVNULL, stderr=err, env=env)
        self.ready = self.wait_log(ready, timeout)

    def text(self):
        """What the daemon logged so far."""
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_log(self, what, timeout=10):
        """Waits until the log holds WHAT; False after TIMEOUT seconds."""
        end = time.time() + timeout
        while time.time() < end:
            if what in self.text():
                return True
            time.sleep(0.05)
        return False

    def pid(self):
        """The daemon's pid: under a wrapper that forks (strace) the
        wrapper's child, if it has one yet."""
        if not self.wrapped:
            return self.p.pid
        kids = []
        try:
            for tid in os.listdir("/proc/%d/task" % self.p.pid):
                with open("/proc/%d/task/%s/children" % (self.p.pid, tid)) as f:
                    kids += [int(k) for k in f.read().split()]
        except OSError:
            pass
        return kids[0] if kids else self.p.pid

    def signal(self, sig):
        """Sends SIG to the daemon itself (not to a wrapper)."""
        os.kill(self.pid(), sig)

    def wait(self, timeout=5):
        """The exit status of the started command (under strace, the
        daemon's), or None if it still runs after TIMEOUT seconds."""
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=5):
        """SIGTERM to the daemon; its exit status, or None (and SIGKILL)
        when it did not end within TIMEOUT seconds."""
        self.signal(signal.SIGTERM)
        rc = self.wait(timeout)
        if rc is None:
            self.p.kill()
            self.p.wait()
        return rc
