#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbip's device selectors, -i/--hardware-id VID:PID and --serial SERIAL:
list -l / list -p -l / list -r filtered; bind and unbind choosing among the
local devices (one match acts, several are an error that lists them unless
--all, none is an error naming the selector); attach -i against our usbipd,
and attach -i --serial, which imports each candidate until the imported
device reports the serial and detaches the others.

Runs in host-serial.umockdev: 1-1 and 1-2 are the same stick (0781:5567,
serials 4C530001 and 4C530002), 1-3 a mouse without a serial, 1-4 and 1-5
the same key (0951:1666, serials K0001 and K0002) bound to usbip-host and
exported; vhci_hcd with 8 free ports.  umockdev has no kernel behind vhci's
attach file, so a thread here plays it: an attach of remote 1-4 or 1-5
shows the port in use by local device 3-1 or 3-2 (which carry those
serials), a detach frees the port.  sysfs writes are logged by
tests/lib/fault-shim.c.  Prints TAP.
"""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import TOP_BUILDDIR, USBIP, Usbipd, in_testbed, work_dir  # noqa: E402
from taplib import tap, done  # noqa: E402

SHIM = os.path.join(TOP_BUILDDIR, "tests", "lib", ".libs", "fault-shim.so")
if not os.path.exists(SHIM):
    print("Bail out! %s not built" % SHIM)
    sys.exit(1)
in_testbed("host-serial.umockdev", "-R")
work = work_dir()
PORT = 13310
VHCI = "/sys/devices/platform/vhci_hcd.0"
HOST = "/sys/bus/usb/drivers/usbip-host"
# usbip-host's bind writes end with a probe request (as in test-bind-failures.sh).
open("/sys/bus/usb/drivers_probe", "w").close()


def usbip(*args, timeout=60):
    """Runs our usbip with the write log; (rc, stdout, stderr, [writes])."""
    log = os.path.join(work, "writes")
    if os.path.exists(log):
        os.unlink(log)
    env = dict(os.environ, FAULT_WRITE_LOG=log,
               LD_PRELOAD=SHIM + ":" + os.environ.get("LD_PRELOAD", ""))
    p = subprocess.run([USBIP] + [str(a) for a in args], env=env, capture_output=True,
                       timeout=timeout)
    writes = []
    if os.path.exists(log):
        writes = [line.rstrip("\n") for line in open(log)]
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace"), writes


def detail(rc, out, err, writes):
    return "rc=%d\nstdout:\n%s\nstderr:\n%s\nwrites:\n%s" % (rc, out, err, "\n".join(writes))


def binds(writes):
    """The bus ids written to usbip-host's bind file, in order."""
    pre = HOST + "/bind <- "
    return [w[len(pre):].split(" = ")[0] for w in writes if w.startswith(pre)]


def unbinds(writes):
    pre = HOST + "/unbind <- "
    return [w[len(pre):].split(" = ")[0] for w in writes if w.startswith(pre)]


# ---------------------------------------------------------------- list -l

r = usbip("list", "-l")
tap(r[0] == 0 and all(" - busid %s " % b in r[1] for b in ("1-1", "1-2", "1-3", "1-4", "1-5")),
    "list -l without a selector lists every device", detail(*r))
ALL_LOCAL = r[1]

r = usbip("list", "-l", "-i", "0781:5567")
want = " - busid 1-1 (0781:5567)\n   SanDisk Corp. : Cruzer Blade (0781:5567)\n\n" \
       " - busid 1-2 (0781:5567)\n   SanDisk Corp. : Cruzer Blade (0781:5567)\n\n"
tap(r[0] == 0 and r[1] == want, "list -l -i 0781:5567: both sticks, as list -l prints them",
    detail(*r))
tap(r[1] in ALL_LOCAL, "the filtered lines are the unfiltered ones", detail(*r))

r = usbip("list", "-l", "--hardware-id", "781:5567", "--serial", "4C530002")
tap(r[0] == 0 and r[1] == " - busid 1-2 (0781:5567)\n   SanDisk Corp. : Cruzer Blade "
    "(0781:5567)\n\n", "list -l --hardware-id 781:5567 --serial 4C530002: only 1-2", detail(*r))

r = usbip("list", "-p", "-l", "--serial", "K0002")
tap(r[0] == 0 and r[1] == "busid=1-5#usbid=0951:1666#\n", "list -p -l --serial K0002: only 1-5",
    detail(*r))

r = usbip("list", "-p", "-l", "-i", "0951:1666")
tap(r[0] == 0 and r[1] == "busid=1-4#usbid=0951:1666#\nbusid=1-5#usbid=0951:1666#\n",
    "list -p -l -i 0951:1666: both keys, parsable", detail(*r))

r = usbip("list", "-l", "-i", "1234:5678")
tap(r[0] == 0 and r[1] == "" and "no device matches -i 1234:5678" in r[2],
    "list -l with no match: nothing listed, says so", detail(*r))

r = usbip("list", "-l", "-i", "0781:5567x")
tap(r[0] == 1 and "invalid hardware id '0781:5567x'" in r[2] and r[1] == "",
    "list -l -i with a malformed id: error naming it, exit 1", detail(*r))

# -------------------------------------------------------------- bind -i

r = usbip("bind", "-i", "046d:c077")
tap(r[0] == 0 and binds(r[3]) == ["1-3"] and
    "usbip: info: bind device on busid 1-3: complete" in r[2],
    "bind -i with one match binds it, with the message of bind -b", detail(*r))

r = usbip("bind", "-i", "0781:5567")
tap(r[0] == 1 and binds(r[3]) == [] and r[3] == [], "bind -i with two matches: nothing written, "
    "exit 1", detail(*r))
tap("2 devices match -i 0781:5567" in r[2] and
    "1-1: SanDisk Corp. : Cruzer Blade (0781:5567), serial 4C530001" in r[2] and
    "1-2: SanDisk Corp. : Cruzer Blade (0781:5567), serial 4C530002" in r[2] and
    "--serial" in r[2] and "--all" in r[2] and "-b BUSID" in r[2],
    "and the error lists both (bus id, names, serial) and how to choose", detail(*r))

r = usbip("bind", "-i", "0781:5567", "--serial", "4C530002")
tap(r[0] == 0 and binds(r[3]) == ["1-2"], "bind -i --serial picks the one with that serial",
    detail(*r))

r = usbip("bind", "-b", "1-1", "-i", "0781:5567")
tap(r[0] == 0 and binds(r[3]) == ["1-1"], "bind -b 1-1 -i 0781:5567: both must match, 1-1 bound",
    detail(*r))

r = usbip("bind", "-b", "1-3", "-i", "0781:5567")
tap(r[0] == 1 and r[3] == [] and "no device matches -b 1-3 -i 0781:5567" in r[2],
    "bind -b 1-3 -i 0781:5567: the bus id does not have those ids, nothing bound", detail(*r))

r = usbip("bind", "--all", "-i", "0781:5567")
tap(r[0] == 0 and binds(r[3]) == ["1-1", "1-2"] and
    r[2].count("bind device on busid") == 2, "bind --all -i binds both, reporting each",
    detail(*r))

r = usbip("bind", "-i", "dead:beef")
tap(r[0] == 1 and r[3] == [] and "no device matches -i dead:beef" in r[2],
    "bind -i with no match: error naming the selector, exit 1", detail(*r))

r = usbip("bind", "--serial", "\x1b]0;x\x07")
tap(r[0] == 1 and "\x1b" not in r[2] and "--serial \\x1b]0;x\\x07" in r[2],
    "the selector in the error is escaped (no terminal escape gets through)", detail(*r))

r = usbip("bind", "--all")
tap(r[0] == 1 and r[3] == [] and r[1].startswith("usage: usbip bind"),
    "bind --all without a selector: usage, nothing bound", detail(*r))

# ------------------------------------------------------------ unbind -i

r = usbip("unbind", "-i", "0951:1666", "--serial", "K0001")
tap(r[0] == 0 and unbinds(r[3]) == ["1-4"] and
    "unbind device on busid 1-4: complete" in r[2], "unbind -i --serial K0001 unbinds 1-4",
    detail(*r))

r = usbip("unbind", "-i", "0951:1666")
tap(r[0] == 1 and r[3] == [] and "2 devices match -i 0951:1666" in r[2] and
    "1-4:" in r[2] and "1-5:" in r[2], "unbind -i with two matches: error listing both",
    detail(*r))

r = usbip("unbind", "--all", "-i", "0951:1666")
tap(r[0] == 0 and unbinds(r[3]) == ["1-4", "1-5"], "unbind --all -i unbinds both", detail(*r))

r = usbip("unbind", "--all", "-i", "0781:5567")
tap(r[0] == 1 and r[2].count("device is not bound to usbip-host driver") == 2,
    "unbind --all where each fails: each reported, exit 1", detail(*r))

# ------------------------------------------------ list -r, attach against usbipd


class FakeVhci(threading.Thread):
    """Plays the kernel behind vhci_hcd.0's attach and detach files."""
    # remote devid (busnum << 16 | devnum) -> the local device it enumerates as
    LOCAL = {(1 << 16) | 5: "3-1", (1 << 16) | 6: "3-2"}

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = False
        self.status = open(VHCI + "/status").read()
        self.original = self.status
        self.attached = []
        self.detached = []

    def set_port(self, port, line):
        rows = self.status.split("\n")
        for i, row in enumerate(rows):
            f = row.split()
            if len(f) > 1 and f[1] == "%04d" % port:
                rows[i] = line
        self.status = "\n".join(rows)
        with open(VHCI + "/status", "w") as f:
            f.write(self.status)

    def take(self, name):
        path = VHCI + "/" + name
        text = open(path).read()
        if text:
            open(path, "w").close()
        return text

    def run(self):
        while not self.stop:
            text = self.take("attach")
            if text:
                port, sockfd, devid, speed = (int(x) for x in text.split())
                self.attached.append(port)
                busid = self.LOCAL.get(devid, "0-0")
                self.set_port(port, "hs  %04d 006 %03d %08x %06d %s" %
                              (port, speed, devid, sockfd, busid))
            text = self.take("detach")
            if text:
                port = int(text)
                self.detached.append(port)
                self.set_port(port, "hs  %04d 004 000 00000000 000000 0-0" % port)
            time.sleep(0.02)

    def idle(self, timeout=5):
        """Waits until every write to attach and detach has been played."""
        end = time.time() + timeout
        while time.time() < end:
            if not open(VHCI + "/attach").read() and not open(VHCI + "/detach").read():
                time.sleep(0.05)
                return
            time.sleep(0.02)

    def reset(self):
        self.idle()
        self.attached, self.detached = [], []
        self.status = self.original
        with open(VHCI + "/status", "w") as f:
            f.write(self.status)
        for name in os.listdir("/run/vhci_hcd"):
            os.unlink(os.path.join("/run/vhci_hcd", name))


def record(port):
    try:
        return open("/run/vhci_hcd/port%d" % port).read()
    except OSError:
        return None


d = Usbipd(["-t", str(PORT)], os.path.join(work, "usbipd.log"))
tap(d.ready, "usbipd serves host-serial", d.text())
vhci = FakeVhci()
vhci.start()

r = usbip("-t", PORT, "list", "-r", "127.0.0.1", "-i", "0951:1666")
tap(r[0] == 0 and "1-4: Kingston Technology" in r[1] and "1-5: Kingston Technology" in r[1]
    and r[1].startswith("Exportable USB devices\n======================\n - 127.0.0.1\n"),
    "list -r -i 0951:1666: both keys, as list -r prints them", detail(*r))
LISTED = r[1]
# attach --serial tries the candidates in the server's order.
FIRST, SECOND = ("1-4", "1-5") if r[1].index("1-4:") < r[1].index("1-5:") else ("1-5", "1-4")
SERIAL = {"1-4": "K0001", "1-5": "K0002"}
r = usbip("-t", PORT, "list", "-r", "127.0.0.1")
tap(r[0] == 0 and LISTED == r[1], "every exported device matches: the same bytes as list -r",
    detail(*r))
r = usbip("-t", PORT, "list", "-r", "127.0.0.1", "-i", "0951:1666", "-b", "1-5")
tap(r[0] == 1 and r[1].startswith("usage:"), "list takes no -b (as before)", detail(*r))
r = usbip("-t", PORT, "list", "-r", "127.0.0.1", "-i", "0781:5567")
tap(r[0] == 0 and r[1] == "" and "no exportable device on 127.0.0.1 matches -i 0781:5567" in r[2],
    "list -r -i of a device the server does not export: nothing listed, says so", detail(*r))
r = usbip("-t", PORT, "list", "-r", "127.0.0.1", "--serial", "K0001")
tap(r[0] == 1 and "no serial numbers" in r[2],
    "list -r --serial: an error (a DEVLIST has no serials), not a guess", detail(*r))

r = usbip("-t", PORT, "attach", "-r", "127.0.0.1", "-i", "0951:1666")
tap(r[0] == 1 and vhci.attached == [] and "2 devices match -i 0951:1666" in r[2] and
    "1-4: Kingston Technology" in r[2] and "serial not known" in r[2] and "--serial" in r[2],
    "attach -i with two exported matches: nothing attached, both listed", detail(*r))

r = usbip("-t", PORT, "attach", "-r", "127.0.0.1", "-i", "0951:1666", "-b", "1-5")
vhci.idle()
tap(r[0] == 0 and vhci.attached == [0] and record(0) == "127.0.0.1 %d 1-5\n" % PORT and
    "found requested device: 1-5" in d.text(),
    "attach -i -b 1-5: imports 1-5 onto port 0 and records it", detail(*r))
vhci.reset()

r = usbip("-t", PORT, "attach", "-r", "127.0.0.1", "-i", "0951:1666", "--serial", SERIAL[SECOND])
vhci.idle()
# (The second import may take another free port: the first is released by
# then in the kernel's own time.)
tap(r[0] == 0 and len(vhci.attached) == 2 and vhci.detached == vhci.attached[:1] and
    record(vhci.attached[1]) == "127.0.0.1 %d %s\n" % (PORT, SECOND) and
    len(os.listdir("/run/vhci_hcd")) == 1,
    "attach -i --serial %s: %s imported first, its serial %s differs, detached; %s kept" % (
        SERIAL[SECOND], FIRST, SERIAL[FIRST], SECOND), detail(*r))
tap("%s from 127.0.0.1 has serial %s, not the one asked for" % (FIRST, SERIAL[FIRST]) in r[2],
    "the detach of the wrong one is said", detail(*r))
vhci.reset()

r = usbip("-t", PORT, "attach", "-r", "127.0.0.1", "-i", "0951:1666", "--serial", SERIAL[FIRST])
vhci.idle()
tap(r[0] == 0 and vhci.attached == [0] and vhci.detached == [] and
    record(0) == "127.0.0.1 %d %s\n" % (PORT, FIRST),
    "attach -i --serial %s: the first candidate has it, nothing detached" % SERIAL[FIRST],
    detail(*r))
vhci.reset()

r = usbip("-t", PORT, "attach", "-r", "127.0.0.1", "-i", "0951:1666", "--serial", "K9999")
vhci.idle()
tap(r[0] == 1 and len(vhci.attached) == 2 and vhci.detached == vhci.attached and
    not os.listdir("/run/vhci_hcd") and
    "no device on 127.0.0.1 that matches -i 0951:1666 --serial K9999 could be attached" in r[2],
    "attach --serial nobody has: each candidate tried and detached, error, exit 1", detail(*r))
vhci.reset()

r = usbip("-t", PORT, "attach", "-r", "127.0.0.1", "-i", "0781:5567")
tap(r[0] == 1 and vhci.attached == [] and
    "no exportable device on 127.0.0.1 matches -i 0781:5567" in r[2],
    "attach -i with no exported match: error naming selector and host", detail(*r))

r = usbip("-t", PORT, "attach", "-r", "127.0.0.1", "-b", "1-4")
vhci.idle()
tap(r[0] == 0 and vhci.attached == [0] and record(0) == "127.0.0.1 %d 1-4\n" % PORT,
    "attach -b as before", detail(*r))
vhci.reset()

vhci.stop = True
vhci.join()
tap(d.stop() == 0, "usbipd stops cleanly", d.text())
done()
