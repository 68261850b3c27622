#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbipd under a connection flood: one address holding silent connections
(and reopening them as they are closed) never locks out another; the
per-address limit; eviction of the oldest of the biggest holder; a log that
stays bounded, with counts; deadlines kept for each of 10,000 connections;
idle connections that cost nothing per event.  Runs inside the host-bound
umockdev testbed and prints TAP.
"""
import os
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import USBIPD, Usbipd, in_testbed, work_dir  # noqa: E402
from taplib import tap, done  # noqa: E402
from usbipwire import closed_by_server, devlist, stalled  # noqa: E402

in_testbed("host-bound.umockdev")
WORK = work_dir()
BIG = 10000             # "10,000 idle connections"

# Room for BIG sockets here and in the daemon (which inherits the limit).
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = BIG + 2000
if soft < want:
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError) as e:
        print("Bail out! cannot raise RLIMIT_NOFILE to %d: %s" % (want, e))
        sys.exit(1)


class Daemon(Usbipd):
    def __init__(self, port, args, log_name, conf=None):
        """Without conf, an empty configuration file: the defaults, whatever
        /etc says, and -t port; with conf, that file, which sets the port."""
        if conf is None:
            conf = os.path.join(WORK, "empty.conf")
            with open(conf, "w") as f:
                f.write("[usbipd]\n")
            args = ["-t", str(port)] + args
        super().__init__(["--config", conf] + args, os.path.join(WORK, log_name))
        if not self.ready:
            print("Bail out! usbipd %s did not start:\n%s" % (" ".join(args), self.text()))
            sys.exit(1)

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid()) as f:
            st = f.read().rsplit(")", 1)[1].split()
        return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")


def connect(port, source):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def timed_devlist(port, source):
    t0 = time.time()
    r = devlist(port, source=source, timeout=5)
    return r, time.time() - t0


class Holder(threading.Thread):
    """n stalled connections from source (one byte sent, see stalled()), each
    reopened as soon as the server closes it, for at most seconds (an
    attacker after the handshake slots)."""

    def __init__(self, port, n, source, seconds):
        super().__init__(daemon=True)
        self.port, self.n, self.source, self.seconds = port, n, source, seconds
        self.reopened = 0
        self.stop = False
        self.ready = threading.Event()

    def open_one(self, sel):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((self.source, 0))
        try:
            s.connect(("127.0.0.1", self.port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            return
        # Once connected it sends one byte (see stalled()), then nothing.
        sel.register(s, selectors.EVENT_WRITE)

    def run(self):
        sel = selectors.EpollSelector()
        for _ in range(self.n):
            self.open_one(sel)
        self.ready.set()
        end = time.time() + self.seconds
        while not self.stop and time.time() < end:
            for key, ev in sel.select(0.05):
                s = key.fileobj
                if ev & selectors.EVENT_WRITE:
                    try:
                        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                            s.send(b"\x01")
                            sel.modify(s, selectors.EVENT_READ)
                            continue
                    except OSError:
                        pass
                    data = b""
                else:
                    try:
                        data = s.recv(64)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                if data:
                    continue
                sel.unregister(s)
                s.close()
                self.reopened += 1
                self.open_one(sel)
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()


# --- a client that sends nothing holds no slot -------------------------------
# A USB/IP client speaks first, so usbipd defers accept() until it does
# (TCP_DEFER_ACCEPT): 100 silent connections from one address, over both
# limits, are neither accepted nor evicted, and cost a speaking client nothing.
d = Daemon(13307, ["--max-handshakes", "10", "--max-per-source", "5", "--timeout", "2"],
           "defer.log")
quiet = [connect(13307, "127.0.0.1") for _ in range(100)]
time.sleep(1)
gone = sum(closed_by_server(s) for s in quiet)
tap(gone == 0 and "connection from 127.0.0.1" not in d.text() and "too many" not in d.text(),
    "100 silent connections over both limits: none accepted, none evicted (%d closed)" % gone,
    d.text()[-1500:])
r, dt = timed_devlist(13307, "127.0.0.2")
tap(r is not None and len(r) > 12 and dt < 1.0,
    "... and a client that speaks is served at once (%.3f s)" % dt)
# Deferred, not forgotten: after about the handshake timeout the kernel hands
# them over, and the limits and the deadline close them.
end = time.time() + 30
while time.time() < end and not all(closed_by_server(s) for s in quiet):
    time.sleep(0.2)
gone = sum(closed_by_server(s) for s in quiet)
tap(gone == 100 and "connection from 127.0.0.1" in d.text(),
    "... and all 100 are closed once the timeout has passed (%d closed)" % gone)
for s in quiet:
    s.close()
tap(d.stop() == 0, "stops cleanly")

# --- the case, default settings --------------------------------------
# 300 silent connections from 127.0.0.1, reopened as soon as closed: more than
# the 256-handshake cap.  The daemon used to refuse every newcomer then.
d = Daemon(13300, [], "flood-default.log")
h = Holder(13300, 300, "127.0.0.1", 30)
h.start()
h.ready.wait(10)
time.sleep(1)
lat, answered = [], 0
for _ in range(20):
    r, dt = timed_devlist(13300, "127.0.0.2")
    answered += r is not None and len(r) > 12
    lat.append(dt)
tap(answered == 20, "defaults, 300 silent connections from 127.0.0.1 held and reopened: "
    "127.0.0.2 gets all of 20 DEVLIST (%d)" % answered, d.text()[-1500:])
tap(max(lat) < 1.0, "... each within 1 s (max %.3f s, median %.3f s)"
    % (max(lat), sorted(lat)[10]))
r, dt = timed_devlist(13300, "127.0.0.1")
tap(r is not None and len(r) > 12 and dt < 1.0,
    "... and a new client from the flooding address itself is served too (%.3f s)" % dt)
h.stop = True
h.join(10)
tap(h.reopened > 0, "the flood was reopened %d times while measured" % h.reopened)

# The default per-address limit is 64: of 100 silent from one address the
# 36 oldest are closed, the 64 newest stay.
conns = [stalled(13300, "127.0.0.3") for _ in range(100)]
time.sleep(0.5)
gone = [i for i, s in enumerate(conns) if closed_by_server(s)]
tap(gone == list(range(36)), "default per-address limit 64: the 36 oldest of 100 are closed",
    repr(gone))
for s in conns:
    s.close()
tap(d.stop() == 0, "stops cleanly")

# --- --max-per-source and the cap: who is evicted ----------------------------
d = Daemon(13301, ["--max-handshakes", "10", "--max-per-source", "6", "--timeout", "30"],
           "evict.log")
a = [stalled(13301, "127.0.0.1") for _ in range(6)]
b = [stalled(13301, "127.0.0.3") for _ in range(4)]
time.sleep(0.3)
tap(not any(closed_by_server(s) for s in a + b), "10 unanswered (6 + 4) at a cap of 10: all open")
c = stalled(13301, "127.0.0.4")
time.sleep(0.3)
tap(closed_by_server(a[0], 2) and not any(closed_by_server(s) for s in a[1:] + b + [c]),
    "at the cap a newcomer from a third address closes the oldest of the biggest holder")
a.append(stalled(13301, "127.0.0.1"))
b.append(stalled(13301, "127.0.0.3"))
time.sleep(0.3)
tap(closed_by_server(a[1], 2) and closed_by_server(a[2], 2) and
    not any(closed_by_server(s) for s in a[3:] + b + [c]),
    "while 127.0.0.1 holds the most, only its connections go, oldest first")
r = devlist(13301, source="127.0.0.3")
tap(r is not None and len(r) > 12, "a client from the smaller holder is served at the cap")
tap("too many connections in progress (10): closing the oldest from the address holding most"
    in d.text(), "cap eviction logged", d.text())
for s in a + b + [c]:
    s.close()
d.stop()

d = Daemon(13302, ["--max-per-source", "3", "--timeout", "30"], "per-source.log")
a = [stalled(13302, "127.0.0.1") for _ in range(5)]
time.sleep(0.3)
state = [closed_by_server(s, 0.5 if i < 2 else 0) for i, s in enumerate(a)]
tap(state == [True, True, False, False, False],
    "--max-per-source 3: of 5 silent from one address the 2 oldest are closed", repr(state))
r = devlist(13302, source="127.0.0.1")
tap(r is not None and len(r) > 12, "--max-per-source 3: that address still gets served")
b = [stalled(13302, "127.0.0.2") for _ in range(3)]
time.sleep(0.3)
tap(not any(closed_by_server(s) for s in b), "another address has its own 3")
tap(re.search(r"too many unanswered connections from one address \(3, at most 3\): closing its "
              r"oldest, 127\.0\.0\.1:\d+, after \d+\.\d s", d.text()) is not None,
    "per-address eviction logged with the address", d.text())
for s in a + b:
    s.close()
d.stop()

for bad in (["--max-per-source", "0"], ["--max-per-source", "65537"],
            ["--max-per-source", "x"]):
    p = subprocess.run([USBIPD] + bad, capture_output=True, text=True, timeout=10)
    tap(p.returncode == 1 and "invalid max-per-source" in p.stderr,
        "rejects %s with a message" % " ".join(bad), p.stderr)
conf = os.path.join(WORK, "per-source.conf")
with open(conf, "w") as f:
    f.write("[usbipd]\ntcp-port=13303\nmax-per-source=2\n")
d = Daemon(13303, [], "per-source-conf.log", conf=conf)
a = [stalled(13303, "127.0.0.1") for _ in range(3)]
time.sleep(0.3)
tap(closed_by_server(a[0], 1) and not closed_by_server(a[1]) and not closed_by_server(a[2]),
    "max-per-source=2 in the configuration file")
for s in a:
    s.close()
d.stop()

# --- a bounded log under a flood --------------------------------------------
d = Daemon(13304, [], "log-flood.log")
t0 = time.time()
made = 0
for i in range(3000):
    s = connect(13304, "127.0.0.1")   # its FIN gets it accepted
    s.close()
    made += 1
silent = [stalled(13304, "127.0.0.5") for _ in range(500)]
made += len(silent)
time.sleep(0.5)
r = devlist(13304, source="127.0.0.2")
made += 1
elapsed = time.time() - t0
for s in silent:
    s.close()
time.sleep(1)
d.stop()
log = d.text()
lines = log.count("\n")
conn_lines = log.count("connection from ")
held = sum(int(n) for n in re.findall(r"log rate limit: (\d+) connections not logged", log))
evict_lines = log.count("too many unanswered connections from one address")
evict_held = sum(int(n) for n in re.findall(
    r"log rate limit: (\d+) evictions of unanswered connections not logged", log))
tap(conn_lines <= 100 + 5 * (elapsed + 2) and lines < 1000,
    "%d connections in %.1f s: %d log lines, %d of them \"connection from\""
    % (made, elapsed, lines, conn_lines), log[-3000:])
tap(conn_lines + held == made,
    "every connection is logged or counted (%d logged + %d counted = %d made)"
    % (conn_lines, held, made))
tap(evict_lines + evict_held == 500 - 64 and evict_lines <= 20 + elapsed + 2,
    "evictions: %d logged + %d counted = %d (500 silent, 64 kept)"
    % (evict_lines, evict_held, evict_lines + evict_held))

# --- deadlines with 10,000 connections open ----------------------------------
d = Daemon(13305, ["--timeout", "1", "--max-handshakes", str(BIG + 1000),
                   "--max-per-source", str(BIG + 1000)], "deadlines.log")
sel = selectors.EpollSelector()
opened = {}
t0 = time.time()
for i in range(BIG):
    s = stalled(13305, "127.0.0.1")
    s.setblocking(False)
    opened[s] = time.time()
    sel.register(s, selectors.EVENT_READ)
open_s = time.time() - t0
r, dt = timed_devlist(13305, "127.0.0.2")
tap(r is not None and len(r) > 12 and dt < 1.0,
    "%d silent connections (opened in %.1f s): DEVLIST from 127.0.0.2 in %.3f s"
    % (BIG, open_s, dt))
early, late, closed = 0, 0, 0
# The deadline runs from accept: a connection may wait in the listen backlog
# while the rest are still being opened, so "late" allows for that too.
late_after = 4.0 + open_s
end = time.time() + 15 + open_s
while opened and time.time() < end:
    for key, _ in sel.select(0.1):
        s = key.fileobj
        if not closed_by_server(s):
            continue
        age = time.time() - opened.pop(s)
        early += age < 0.9
        late += age > late_after
        closed += 1
        sel.unregister(s)
        s.close()
for s in opened:
    s.close()
sel.close()
tap(closed == BIG and early == 0 and late == 0,
    "each of %d closed by its own 1 s deadline: %d closed, %d early, %d late, %d still open"
    % (BIG, closed, early, late, len(opened)))
tap(d.stop() == 0, "stops cleanly after the deadlines")

# --- idle connections cost nothing per event ----------------------------------
# With a GLib source per connection every loop iteration polls every socket:
# each request then costs O(connections) of CPU.
d = Daemon(13306, ["--timeout", "120", "--max-handshakes", str(BIG + 1000),
                   "--max-per-source", str(BIG + 1000)], "idle-cost.log")


def cpu_per_request(n=300):
    c0 = d.cpu_seconds()
    ok = sum(len(devlist(13306, source="127.0.0.2") or b"") > 12 for _ in range(n))
    return (d.cpu_seconds() - c0) / n, ok


base, ok0 = cpu_per_request()
idle = [stalled(13306, "127.0.0.1") for _ in range(BIG)]
time.sleep(2)
loaded, ok1 = cpu_per_request()
still = sum(not closed_by_server(s) for s in idle[:100]) + sum(
    not closed_by_server(s) for s in idle[-100:])
tap(ok0 == ok1 == 300 and still == 200,
    "300 DEVLIST with none and with %d idle connections open (%d/%d answered)" % (BIG, ok0, ok1))
tap(loaded < 2 * base + 0.0005,
    "daemon CPU per request: %.2f ms with %d idle connections, %.2f ms with none"
    % (loaded * 1000, BIG, base * 1000))
for s in idle:
    s.close()
tap(d.stop() == 0, "stops cleanly with the idle connections gone")

done()
