#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbip attach when the kernel answers EBUSY: another process took the port
between our reading of the status file and our write.  We must read the
ports again and try another free one, never the same one twice, and give up
with a clear message once every free port has been tried.  Runs in a
umockdev testbed with vhci-small (port 0 used, 1-7 free high speed, 9-15
free super speed) and tests/lib/busy-attach.c preloaded into the client;
prints TAP.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import REF_USBIP, TOP_BUILDDIR, USBIP, in_testbed  # noqa: E402
from taplib import tap, done  # noqa: E402
from usbipwire import FakeServer, device, op  # noqa: E402

# Built by make check (check_LTLIBRARIES).
BUSY_ATTACH_SO = os.path.join(TOP_BUILDDIR, "tests", "lib", ".libs", "busy-attach.so")
if not os.path.exists(BUSY_ATTACH_SO):
    print("Bail out! %s not built" % BUSY_ATTACH_SO)
    sys.exit(1)
in_testbed("vhci-small.umockdev", "-R")
VHCI = "/sys/devices/platform/vhci_hcd.0"
STATUS = VHCI + "/status"
HS_FREE = list(range(1, 8))
work = tempfile.mkdtemp(prefix="attach-busy.")


def reply(c, s):
    c.sendall(op(0x0003) + device(busid=b"1-1", speed=3))


def attach(fail, new_status=None, usbip=USBIP, timeout=30):
    """Runs `usbip attach` with the first `fail` attach writes failing;
    returns (rc, stderr, [ports written to attach, in order]); rc is None
    when it was still running after timeout seconds."""
    log = os.path.join(work, "attach.log")
    if os.path.exists(log):
        os.unlink(log)
    env = dict(os.environ, LD_PRELOAD=BUSY_ATTACH_SO + ":" +
               os.environ.get("LD_PRELOAD", ""),
               BUSY_ATTACH_FAIL=str(fail), BUSY_ATTACH_LOG=log)
    if new_status is not None:
        path = os.path.join(work, "status.new")
        with open(path, "w") as f:
            f.write(new_status)
        env["BUSY_ATTACH_STATUS"] = path + ":" + STATUS
    srv = FakeServer(reply)
    try:
        p = subprocess.run([usbip, "-t", str(srv.port), "--debug", "attach", "-r", "127.0.0.1",
                            "-b", "1-1"], env=env, capture_output=True, timeout=timeout)
        rc, err = p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, err = None, (e.stderr or b"").decode(errors="replace")
    srv.close()
    ports = []
    if os.path.exists(log):
        ports = [int(line.split()[0]) for line in open(log) if line.strip()]
    return rc, err, ports


def record(port):
    return os.path.exists("/run/vhci_hcd/port%d" % port)


original = open(STATUS).read()
# The ports 1 and 2 taken by someone else at our first attempt.
taken = original.replace("hs  0001 004 000 00000000 000000 0-0",
                         "hs  0001 006 003 00050002 000009 5-1") \
                .replace("hs  0002 004 000 00000000 000000 0-0",
                         "hs  0002 006 003 00050003 000010 5-2")
assert taken != original

rc, err, ports = attach(0)
tap(rc == 0 and ports == [1] and record(1), "no contention: attached to the first free port 1",
    "rc=%d ports=%r\n%s" % (rc, ports, err))
os.unlink("/run/vhci_hcd/port1")

rc, err, ports = attach(1)
tap(rc == 0 and ports == [1, 2] and record(2),
    "port 1 busy: retried on port 2, attached, recorded", "rc=%d ports=%r\n%s" % (rc, ports, err))
tap("port 1 busy, retrying" in err, "the retry is logged (--debug)", err)
os.unlink("/run/vhci_hcd/port2")

rc, err, ports = attach(1, taken)
tap(rc == 0 and ports == [1, 3] and record(3),
    "ports 1 and 2 taken meanwhile: status read again, attached to port 3",
    "rc=%d ports=%r\n%s" % (rc, ports, err))
with open(STATUS, "w") as f:
    f.write(original)
os.unlink("/run/vhci_hcd/port3")

rc, err, ports = attach(10**9)
tap(rc == 1 and sorted(ports) == HS_FREE and len(set(ports)) == len(ports),
    "every port busy: each free high-speed port tried once (%d writes), then exit 1" % len(ports),
    "rc=%d ports=%r\n%s" % (rc, ports, err))
tap("no free port on vhci_hcd for a High Speed(480Mbps) device" in err, "and the error names the cause", err)
tap(not os.listdir("/run/vhci_hcd"), "no port record left behind", repr(os.listdir("/run/vhci_hcd")))

# The reference tool, for comparison: it does not read the ports again and
# rewrites the same port for as long as the kernel says busy (a known bug,
# usbip(8) DIFFERENCES).
rc, err, ports = attach(10**9, usbip=REF_USBIP, timeout=2)
tap(rc is None and len(ports) > 100 and set(ports) == {1},
    "reference usbip, every port busy: still rewriting port 1 after 2 s (%d writes)" % len(ports),
    "rc=%r ports=%r...\n%s" % (rc, ports[:20], err[-2000:]))

shutil.rmtree(work)

done()
