#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbipd against hostile, silent and slow clients, and interoperability with
Debian's reference usbip/usbipd: both daemons side by side in the host-bound
umockdev testbed.  Prints TAP.
"""
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (REF_USBIP, REF_USBIPD, STRACE, USBIP, USBIPD, Usbipd,  # noqa: E402
                     file_text, in_testbed, missing, wait_for, work_dir)
from taplib import tap, done  # noqa: E402
from usbipwire import devlist, exchange, imp, op, serves, stalled  # noqa: E402

if not os.access(REF_USBIPD, os.X_OK):
    missing("reference usbip package")
in_testbed("host-bound.umockdev")

OUR_PORT, REF_PORT = 13251, 13252
WORK = work_dir()


def open_fds(pid):
    return len(os.listdir("/proc/%s/fd" % pid.strip()))


def status_kib(pid, field):
    for line in open("/proc/%s/status" % pid.strip()):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def log_size():
    return os.path.getsize(WORK + "/ours.log")


def log_since(mark):
    """What our usbipd logged after log_size() gave mark."""
    with open(WORK + "/ours.log", "rb") as f:
        f.seek(mark)
        return f.read().decode(errors="replace")


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


TRACE = WORK + "/ours.strace"
ours = Usbipd(["-t", str(OUR_PORT), "--pid=" + WORK + "/usbipd.pid", "--timeout", "1"],
              WORK + "/ours.log",
              wrap=(STRACE, "-f", "-qq", "-o", TRACE, "-e", "trace=openat,open,creat,unlink"))
ref = Usbipd(["-t", str(REF_PORT)], WORK + "/ref.log", binary=REF_USBIPD)

# ours runs under strace, so the daemon is strace's child.  The PID file is
# written once every socket is bound, so just after "listening on".
wait_for(lambda: (file_text(WORK + "/usbipd.pid") or "").endswith("\n"), 5)
pid = file_text(WORK + "/usbipd.pid") or ""
ppid = open("/proc/%s/stat" % pid.strip()).read().split()[3] if pid.strip().isdigit() else ""
tap(pid.endswith("\n") and ppid == str(ours.p.pid), "PID file holds the daemon's pid", repr(pid))

# Byte-identical DEVLIST reply (device order, fields, in-use device left out).
a, b = devlist(OUR_PORT), devlist(REF_PORT)
tap(a is not None and a == b and len(a) > 12, "DEVLIST reply is byte-identical to the reference",
    "ours %r\nref  %r" % (a and a.hex(), b and b.hex()))

# list -r in all four client/server combinations gives the same stdout.
outs = {}
for cname, cbin in (("ours", USBIP), ("ref", REF_USBIP)):
    for sname, port in (("ours", OUR_PORT), ("ref", REF_PORT)):
        outs[cname, sname] = run([cbin, "-t", str(port), "list", "-r", "127.0.0.1"])
base = outs["ref", "ref"]
for k, v in outs.items():
    tap(v[0] == 0 and v[1] == base[1] and "Exportable USB devices" in v[1],
        "list -r: %s client, %s server matches reference/reference" % k,
        "rc=%d\n%s\n--- reference:\n%s" % (v[0], v[1], base[1]))

# IMPORT replies equal the reference's for unknown, in-use and error devices.
for busid, want in ((b"9-9", 4), (b"1-3", 2), (b"1-4", 3), (b"1-7", 4)):
    a, b = exchange(OUR_PORT, imp(busid)), exchange(REF_PORT, imp(busid))
    tap(a == b and a[0] == op(0x0003, want) and a[1] == "closed",
        "IMPORT %s answers status %d and closes, like the reference" % (busid.decode(), want),
        "ours %r\nref  %r" % (a, b))

# Hostile bus ids: refused with ST_NODEV, nothing written, daemon keeps serving.
for busid in (b"../1-1", b"/", b"", b"1-1/../../x", b"A" * 32, b"1-1\n", b"\xff\xfe"):
    mark = log_size()
    r = exchange(OUR_PORT, imp(busid))
    tap(r == (op(0x0003, 4), "closed"), "IMPORT of hostile bus id %r refused" % busid, repr(r))
    tap("refused import of invalid bus id" in log_since(mark),
        "IMPORT of hostile bus id %r: logged" % busid, log_since(mark))
written = [os.path.join(root, f) for root, _, files in os.walk("/sys/devices")
           for f in files if f == "usbip_sockfd" and os.path.getsize(os.path.join(root, f))]
tap(not written, "no usbip_sockfd was written by refused imports", "\n".join(written))

# Malformed requests: closed without a reply; same as the reference.
for name, data, logged in (
        ("wrong version", op(0x8005, version=0x0110), "version mismatch: 272 273"),
        ("unknown opcode 0x8001", op(0x8001), "unknown opcode: 0x8001"),
        ("OP_DEVINFO", op(0x8002), "unknown opcode: 0x8002"),
        ("reply code as request", op(0x0005), "unknown opcode: 0x5"),
        ("nonzero status", op(0x8005, status=1), "request status 1 is not 0")):
    mark = log_size()
    a, b = exchange(OUR_PORT, data), exchange(REF_PORT, data)
    tap(a == (b"", "closed") and b == (b"", "closed"),
        "%s: closed without reply, like the reference" % name, "ours %r ref %r" % (a, b))
    tap(logged in log_since(mark), "%s: logged (%s)" % (name, logged), log_since(mark))
mark = log_size()
a = exchange(OUR_PORT, op(0x8005)[:5], shut=True)
tap(a == (b"", "closed"), "truncated header then EOF: closed", repr(a))
tap("connection closed before a complete request (5 of 8 bytes)" in log_since(mark),
    "truncated header: logged with the byte count", log_since(mark))

# A client that stalls blocks no one; its connection is closed at the deadline.
silent = [stalled(OUR_PORT) for _ in range(50)]
t0 = time.time()
up = serves(OUR_PORT)
dt = time.time() - t0
tap(up and dt < 0.5, "DEVLIST with 50 stalled connections open answers in %.3f s" % dt)
silent[0].settimeout(5)
t0 = time.time()
try:
    got = silent[0].recv(1)
except (socket.timeout, ConnectionResetError):
    got = None
dt = time.time() - t0
tap(got == b"" and dt < 3, "stalled connection closed by the 1 s deadline (after %.2f s)" % dt,
    repr(got))
for s in silent:
    s.close()
log = open(WORK + "/ours.log").read()
tap("no complete request within" in log, "deadline expiry is logged", log[-2000:])

# A request sent one byte at a time, slower than nothing but within the deadline.
s = socket.create_connection(("127.0.0.1", OUR_PORT))
for byte in op(0x8005):
    s.send(bytes([byte]))
    time.sleep(0.05)
s.settimeout(3)
reply = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    reply += c
s.close()
tap(reply == devlist(REF_PORT), "request sent byte by byte is answered in full")

# Random garbage, many connections opened and dropped, half-open connections.
fds_before = open_fds(pid)

rnd = random.Random(1234)
for i in range(200):
    blob = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 120)))
    try:
        exchange(OUR_PORT, blob, timeout=2, shut=rnd.random() < 0.5)
    except OSError:
        pass
tap(serves(OUR_PORT), "200 random-byte requests: daemon still serves")
t0 = time.time()
for i in range(2000):
    s = socket.create_connection(("127.0.0.1", OUR_PORT))
    if i % 2:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
# The daemon (under strace) still has the 2000 queued in its backlog: on a slow
# or busy machine that takes more than devlist()'s usual 3 s to drain.
tap(serves(OUR_PORT, timeout=30),
    "2000 connections opened and dropped (half reset) in %.1f s: daemon still serves" %
    (time.time() - t0))
half = []
for i in range(20):
    s = socket.create_connection(("127.0.0.1", OUR_PORT))
    s.sendall(op(0x8003)[:8] + b"1-")
    s.shutdown(socket.SHUT_WR)
    half.append(s)
tap(serves(OUR_PORT), "20 half-open connections with partial IMPORTs: still serves")
closed = 0
for s in half:
    s.settimeout(3)
    try:
        closed += s.recv(1) == b""
    except OSError:
        closed += 1
    s.close()
tap(closed == 20, "the half-open connections are closed without a reply (%d/20)" % closed)

# Still alive after all of it, then a clean SIGTERM.
tap(serves(OUR_PORT), "daemon still serves after the hostile requests")
time.sleep(0.2)
fds_after = open_fds(pid)
tap(fds_after == fds_before, "no descriptor leaked by ~2,500 hostile connections (%d open before, %d after)"
    % (fds_before, fds_after))
# A sanitized build keeps freed memory in quarantine and shadow pages.
sanitized = b"AddressSanitizer" in open("/proc/%s/exe" % pid.strip(), "rb").read()
bound = 128 * 1024 if sanitized else 32 * 1024
peak = status_kib(pid, "VmHWM")
tap(peak < bound, "daemon peak resident set %d KiB (bound %d KiB%s)"
    % (peak, bound, ", ASan build" if sanitized else ""))
os.kill(int(pid), signal.SIGTERM)
rc = ours.wait(5)
tap(rc == 0, "SIGTERM: exit status 0", repr(rc))
tap(not os.path.exists(WORK + "/usbipd.pid"), "SIGTERM: PID file removed")
tap("shutting down usbipd" in open(WORK + "/ours.log").read(), "SIGTERM: shutdown logged")
ref.stop()

# Everything usbipd opened for writing: the PID file and usbip_sockfd only.
writes = set()
for line in open(TRACE):
    if ("O_WRONLY" in line or "O_RDWR" in line or "creat(" in line) and "= -1" not in line:
        writes.add(line.split('"')[1])
bad = [w for w in writes if not (w.endswith("/usbip_sockfd") or w.endswith("usbipd.pid")
                                 or w.startswith("/dev/"))]
tap(not bad, "usbipd wrote only PID file and usbip_sockfd files (%d paths)" % len(writes),
    "\n".join(sorted(bad)))

done()
