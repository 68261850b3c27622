#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbip attach --persistent: the supervisor keeps a device attached.  Runs
in a umockdev testbed with vhci-small (port 0 used, 1-7 free high speed)
and host-bound (1-1 bound to usbip-host, exported by our usbipd); prints TAP.

umockdev's vhci_hcd is a set of plain files: a write to "attach" changes
nothing.  A thread of this test plays the kernel: it reads each attach write
and marks that port used in the status file, as vhci_hcd does; the test
frees a port by writing the status back, as the kernel does when the
connection drops.  What only a real kernel shows (a port freed by a TCP
reset, the device replugged on the server) is left to the VM suite.
"""
import atexit
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import USBIP, Usbipd, in_testbed, wait_for, work_dir  # noqa: E402
from taplib import tap, done  # noqa: E402
from usbipwire import INTERFACE, FakeServer, device, op  # noqa: E402

in_testbed("vhci-small.umockdev:host-bound.umockdev", "-R")
VHCI = "/sys/devices/platform/vhci_hcd.0"
STATUS = VHCI + "/status"
ATTACH = VHCI + "/attach"
STATE_DIR = "/run/vhci_hcd"
PORT = 13293          # no other test uses it: they run in parallel
WORK = work_dir()
ORIGINAL = open(STATUS).read()
FREE_LINE = "hs  %04d 004 000 00000000 000000 0-0"


class FakeKernel(threading.Thread):
    """Marks a port used when usbip writes "port sockfd devid speed" to the
    attach file; keeps the list of ports attached, in order."""

    def __init__(self):
        super().__init__(daemon=True)
        self.attached = []
        self.lock = threading.Lock()
        self.stop = False
        self.start()

    def run(self):
        while not self.stop:
            with self.lock:
                text = open(ATTACH).read()
                if text.strip():
                    port, sockfd, devid, speed = (int(x) for x in text.split()[:4])
                    open(ATTACH, "w").close()
                    status = open(STATUS).read()
                    used = "hs  %04d 006 %03d %08x %06d 9-%d" % (port, speed, devid, sockfd, port)
                    with open(STATUS, "w") as f:
                        f.write(status.replace(FREE_LINE % port, used))
                    self.attached.append(port)
            time.sleep(0.02)

    def free(self, port):
        """The kernel dropped the device on PORT (connection loss)."""
        with self.lock:
            status = open(STATUS).read()
            with open(STATUS, "w") as f:
                f.write(re.sub(r"hs  %04d 006 [^\n]*" % port, FREE_LINE % port, status))

    def reset(self):
        with self.lock:
            with open(STATUS, "w") as f:
                f.write(ORIGINAL)
            self.attached = []


kernel = FakeKernel()


def text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def supervisor_files():
    try:
        return [f for f in os.listdir(STATE_DIR) if f.startswith("supervisor.")]
    except FileNotFoundError:
        return []


def state(pid):
    """The supervisor's state file as a dict."""
    return dict(line.split(" ", 1) for line in
                text("%s/supervisor.%d" % (STATE_DIR, pid)).splitlines() if " " in line)


def usbip(*args, port=PORT):
    p = subprocess.run([USBIP, "-t", str(port)] + list(args), capture_output=True,
                       timeout=30)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


STARTED = []     # supervisors' pids, ended at exit whatever the outcome


@atexit.register
def _end_supervisors():
    for pid in STARTED:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def supervisor(args, log, port=PORT):
    """usbip attach --persistent --foreground ARGS, stderr to LOG."""
    with open(log, "w") as f:
        p = subprocess.Popen([USBIP, "-t", str(port), "attach", "--persistent",
                              "--foreground", "-r", "127.0.0.1"] + args,
                             stdout=subprocess.DEVNULL, stderr=f)
    STARTED.append(p.pid)
    return p


def start_usbipd(name):
    d = Usbipd(["-t", str(PORT)], os.path.join(WORK, name))
    if not d.ready:
        print("Bail out! usbipd did not start:\n" + d.text())
        sys.exit(1)
    return d


# --- 1. attach, supervise, re-attach when the port goes free ------------------
daemon = start_usbipd("usbipd-1.log")
log = os.path.join(WORK, "sup-1.log")
sup = supervisor(["-b", "1-1"], log)
ok = wait_for(lambda: "attached 1-1 on port 1" in text(log) and kernel.attached, 10)
tap(ok and kernel.attached == [1], "--persistent --foreground -b 1-1: attached on port 1",
    text(log) + repr(kernel.attached))
st = state(sup.pid)
tap(st.get("state") == "attached" and st.get("port") == "1" and
    st.get("selector") == "-b 1-1" and st.get("host") == "127.0.0.1" and
    st.get("service") == str(PORT) and st.get("pid") == str(sup.pid),
    "the state file names pid, host, port, selector, port 1, attached", repr(st))
mode = os.lstat("%s/supervisor.%d" % (STATE_DIR, sup.pid)).st_mode & 0o7777
tap(mode == 0o644, "the state file is mode 0644 (%o)" % mode)
rc, out, err = usbip("port")
tap(rc == 0 and "Port 01: <Port in Use>" in out and
    "       supervised by usbip attach --persistent (pid %d): attached\n" % sup.pid in out,
    "usbip port shows port 1 supervised, attached", out + err)

t0 = time.time()
kernel.free(1)
ok = wait_for(lambda: "re-attached 1-1 on port 1" in text(log) and len(kernel.attached) == 2,
              10)
took = time.time() - t0
tap(ok and kernel.attached == [1, 1] and took < 4,
    "port 1 freed behind its back: re-attached within %.1f s (poll: 1 s)" % took,
    text(log) + repr(kernel.attached))
tap(re.search(r"port 1 is free, importing -b 1-1 again", text(log)) is not None,
    "the drop is logged", text(log))
tap(text(STATE_DIR + "/port1").startswith("127.0.0.1 %d 1-1" % PORT),
    "the port record is written again", text(STATE_DIR + "/port1"))

# --- 2. server down, then up again: backoff, then re-attach -------------------
daemon.stop()
kernel.free(1)
ok = wait_for(lambda: len(re.findall("server unreachable", text(log))) >= 3, 10)
lines = re.findall(r"server unreachable \(([^)]*)\), retry in ([0-9.]+) s", text(log))
delays = [float(d) for _, d in lines]
tap(ok and lines[0][0] == "Connection refused" and
    0.7 <= delays[0] <= 1 and 1.5 <= delays[1] <= 2 and 3 <= delays[2] <= 4,
    "server down: one line per try, retry in ~1, ~2, ~4 s (%s)" % delays, text(log))
st = state(sup.pid)
tap(st.get("state") == "retrying" and int(st.get("retry_at", 0)) >= int(time.time()),
    "the state file says retrying, with the time of the next try", repr(st))
rc, out, err = usbip("port")
tap("Supervised, not attached now\n" in out and
    re.search(r"usbip://127.0.0.1:%d -b 1-1 supervised by usbip attach --persistent "
              r"\(pid %d\): server unreachable, retry in \d+ s" % (PORT, sup.pid), out),
    "usbip port lists it as waiting to retry", out + err)
daemon = start_usbipd("usbipd-2.log")
t0 = time.time()
# The next try comes at most the last announced delay after the server is
# back (how many tries fit in usbipd's start-up depends on the machine's load).
pending = float(re.findall(r"retry in ([0-9.]+) s", text(log))[-1])
ok = wait_for(lambda: text(log).count("re-attached 1-1 on port 1") == 2, 70)
took = time.time() - t0
tap(ok and took <= pending + 1.5,
    "server back: re-attached %.1f s later (next try was due within %.1f s)" % (took, pending),
    text(log))

# --- 3. usbip detach -p ends the supervision; the port stays free -------------
rc, out, err = usbip("detach", "-p", "1")
gone = wait_for(lambda: sup.poll() is not None, 5)
tap(rc == 0 and gone and sup.returncode == 0,
    "usbip detach -p 1: the supervisor ended (rc %r)" % sup.returncode, out + err + text(log))
tap("stopped the supervisor of port 1 (pid %d)" % sup.pid in err, "detach says so", err)
tap(text(VHCI + "/detach").strip() == "1", "and the port was detached", text(VHCI + "/detach"))
tap(not supervisor_files(), "the state file is gone", repr(supervisor_files()))
kernel.free(1)
time.sleep(2.5)
tap(kernel.attached == [1, 1, 1], "no attach after the detach", repr(kernel.attached))
rc, out, err = usbip("port")
tap(rc == 0 and "supervised" not in out.lower(), "usbip port: no supervisor left", out)
open(VHCI + "/detach", "w").close()


# --- 4. by selector: not exported, polled every 2 s; new bus id ---------------
class Exports:
    """What the fake server exports: the bus ids the test sets in
    self.busids; self.imports lists the bus ids asked for."""

    def __init__(self):
        self.busids = []
        self.imports = []

    def __call__(self, c, server):
        req = server.request
        if struct.unpack(">H", req[2:4])[0] == 0x8005:
            c.sendall(op(0x0005) + struct.pack(">I", len(self.busids)) +
                      b"".join(device(busid=b.encode()) + INTERFACE for b in self.busids))
            return
        b = req[8:40].split(b"\0")[0].decode()
        self.imports.append(b)
        if b in self.busids:
            c.sendall(op(0x0003) + device(busid=b.encode()))
        else:
            c.sendall(op(0x0003, status=1))


kernel.reset()
srv = Exports()
fake = FakeServer(srv)
FAKE_PORT = fake.port
srv.busids = ["2-1"]
log = os.path.join(WORK, "sup-2.log")
sup = supervisor(["-i", "0781:5567"], log, port=FAKE_PORT)
ok = wait_for(lambda: "attached 2-1 on port 1" in text(log) and kernel.attached, 10)
tap(ok and srv.imports == ["2-1"], "-i 0781:5567: looked up, attached 2-1",
    text(log) + repr(srv.imports))
srv.busids = []
kernel.free(1)
ok = wait_for(lambda: text(log).count("device not exported") >= 2, 8)
tap(ok and "device not exported (not in the server's export list), polling every 2 s"
    in text(log), "device gone from the server: polled every 2 s, one line per try", text(log))
tap(state(sup.pid).get("state") == "waiting", "the state file says waiting",
    repr(state(sup.pid)))
rc, out, err = usbip("port", port=FAKE_PORT)
tap("(pid %d): waiting for the device to be exported" % sup.pid in out,
    "usbip port says waiting", out + err)
t0 = time.time()
srv.busids = ["3-4"]     # replugged on the server: another bus id
ok = wait_for(lambda: "re-attached 3-4 on port 1" in text(log), 10)
took = time.time() - t0
tap(ok and took <= 3 and srv.imports[-1] == "3-4",
    "exported again under bus id 3-4: re-attached by selector %.1f s later" % took,
    text(log) + repr(srv.imports))
sup.send_signal(signal.SIGTERM)
tap(wait_for(lambda: sup.poll() is not None, 5) and
    "supervision ended (SIGTERM); port 1 left as it is" in text(log),
    "SIGTERM ends the supervisor, logged", text(log))
tap(kernel.attached == [1, 1], "and it attached nothing more", repr(kernel.attached))

# --- 5. forked mode ------------------------------------------------------------
kernel.reset()
srv.busids = ["1-1"]
rc, out, err = usbip("attach", "--persistent", "-r", "127.0.0.1", "-b", "1-1", port=FAKE_PORT)
m = re.search(r"port 1 supervised by pid (\d+)", err)
tap(rc == 0 and m is not None, "forked: usbip attach --persistent returns 0", err)
pid = int(m.group(1)) if m else 0
if pid:
    STARTED.append(pid)
st = state(pid)
tap(st.get("state") == "attached" and st.get("port") == "1", "forked: state file written before it returns",
    repr(st))
# The fake kernel takes the attach file's content up to 20 ms after the
# write (the real one before the write returns): freeing the port earlier
# would free a port not yet taken, and the first attach would then land on it.
wait_for(lambda: kernel.attached == [1], 5)
kernel.free(1)
ok = wait_for(lambda: kernel.attached == [1, 1], 10)
tap(ok, "forked: re-attaches too", repr(kernel.attached))
rc, out, err = usbip("detach", "-p", "1", port=FAKE_PORT)
ok = wait_for(lambda: not os.path.exists("/proc/%d" % pid), 5)
tap(rc == 0 and ok and not os.path.exists("%s/supervisor.%d" % (STATE_DIR, pid)),
    "forked: usbip detach -p 1 ends it", err)

rc, out, err = usbip("attach", "--persistent", "-r", "127.0.0.1", "-b", "9-9", port=FAKE_PORT)
tap(rc == 1 and "attach 127.0.0.1:%d -b 9-9: " % FAKE_PORT in err,
    "forked: a first attach that fails exits 1 and leaves nothing running", err)
tap(not supervisor_files(), "no state file left", repr(supervisor_files()))

fake.close()
kernel.stop = True
daemon.stop()
done()
