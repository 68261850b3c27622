#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Our usbip client against a scripted hostile server.  Each case answers
`usbip list -r` or `usbip attach` with something broken; the client must exit
1 with a clear message, within a bounded time, with bounded memory, and never
crash.  Then terminal safety: paths, bus ids and port records with escape
sequences are printed escaped, never raw.  Runs in a umockdev testbed with a
free vhci; prints TAP.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import USBIP, in_testbed  # noqa: E402
from taplib import tap, done  # noqa: E402
from usbipwire import FakeServer, INTERFACE as INTF, device, op as header  # noqa: E402

in_testbed("vhci-empty.umockdev")
TIMEOUT = 2            # the client's --timeout for these tests, seconds
TIME_BOUND = TIMEOUT * 2 + 2
MEM_BOUND_KB = 64 * 1024


def Server(behaviour):
    return FakeServer(behaviour, conn_timeout=TIME_BOUND + 5)


def run_client(args, port):
    t0 = time.time()
    p = subprocess.Popen([USBIP, "--timeout", str(TIMEOUT), "-t", str(port)] + args,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=TIME_BOUND + 10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    return p.returncode, out.decode(errors="replace"), err.decode(errors="replace"), \
        time.time() - t0


def maxrss_children():
    import resource
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def send_all(data):
    return lambda c, s: c.sendall(data)


def slow(data, delay):
    def b(c, s):
        for i in range(len(data)):
            if s.stop:
                return
            c.sendall(data[i:i + 1])
            time.sleep(delay)
    return b


def silent(c, s):
    end = time.time() + TIME_BOUND + 3
    while time.time() < end and not s.stop:
        time.sleep(0.1)


def reset_after(data):
    def b(c, s):
        c.sendall(data)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return b


DEVLIST = 0x0005
IMPORT = 0x0003
good_dev = device() + INTF
cases = [
    # (name, command, behaviour, expected message fragment)
    ("list: ndev 0xFFFFFFFF", ["list", "-r", "127.0.0.1"],
     send_all(header(DEVLIST) + struct.pack(">I", 0xFFFFFFFF)), "more than the 4096 allowed"),
    ("list: ndev 3, one device, then EOF", ["list", "-r", "127.0.0.1"],
     send_all(header(DEVLIST) + struct.pack(">I", 3) + good_dev), "failed to get device list"),
    ("list: bNumInterfaces 255 with a short body", ["list", "-r", "127.0.0.1"],
     send_all(header(DEVLIST) + struct.pack(">I", 1) + device(nif=255) + INTF * 10),
     "failed to get device list"),
    ("list: bus id without NUL", ["list", "-r", "127.0.0.1"],
     send_all(header(DEVLIST) + struct.pack(">I", 1) + device(raw_busid=b"B" * 32) + INTF),
     "invalid path or bus id"),
    ("list: path without NUL", ["list", "-r", "127.0.0.1"],
     send_all(header(DEVLIST) + struct.pack(">I", 1) + device(raw_path=b"P" * 256) + INTF),
     "invalid path or bus id"),
    ("list: bus id with '/'", ["list", "-r", "127.0.0.1"],
     send_all(header(DEVLIST) + struct.pack(">I", 1) + device(busid=b"../../x") + INTF),
     "invalid path or bus id"),
    ("list: wrong reply code", ["list", "-r", "127.0.0.1"],
     send_all(header(IMPORT) + struct.pack(">I", 0)), "Unexpected response"),
    ("list: wrong protocol version", ["list", "-r", "127.0.0.1"],
     send_all(header(DEVLIST, version=0x0106) + struct.pack(">I", 0)), "protocol version"),
    ("list: error status", ["list", "-r", "127.0.0.1"],
     send_all(header(DEVLIST, status=1)), "Request Failed"),
    ("list: one byte per second", ["list", "-r", "127.0.0.1"],
     slow(header(DEVLIST) + struct.pack(">I", 1) + good_dev, 1.0), "Connection timed out"),
    ("list: server never answers", ["list", "-r", "127.0.0.1"], silent, "Connection timed out"),
    ("list: reset mid-reply", ["list", "-r", "127.0.0.1"],
     reset_after(header(DEVLIST) + struct.pack(">I", 2) + good_dev[:100]),
     "failed to get device list"),
    ("attach: reply for another bus id", ["attach", "-r", "127.0.0.1", "-b", "1-1"],
     send_all(header(IMPORT) + device(busid=b"1-2")), "recv different busid"),
    ("attach: wrong reply code", ["attach", "-r", "127.0.0.1", "-b", "1-1"],
     send_all(header(DEVLIST) + device()), "Unexpected response"),
    ("attach: status 99", ["attach", "-r", "127.0.0.1", "-b", "1-1"],
     send_all(header(IMPORT, status=99)), "Unknown Op Common Status"),
    ("attach: truncated device record", ["attach", "-r", "127.0.0.1", "-b", "1-1"],
     send_all(header(IMPORT) + device()[:100]), "Attach Request for 1-1 failed"),
    ("attach: bus id without NUL", ["attach", "-r", "127.0.0.1", "-b", "1-1"],
     send_all(header(IMPORT) + device(raw_busid=b"1-1".ljust(32, b"X"))), "invalid path or bus id"),
    ("attach: server never answers", ["attach", "-r", "127.0.0.1", "-b", "1-1"], silent,
     "Connection timed out"),
    ("attach: one byte per second", ["attach", "-r", "127.0.0.1", "-b", "1-1"],
     slow(header(IMPORT) + device(), 1.0), "Connection timed out"),
    ("attach: reset mid-reply", ["attach", "-r", "127.0.0.1", "-b", "1-1"],
     reset_after(header(IMPORT) + device()[:50]), "Attach Request for 1-1 failed"),
]

for name, args, behaviour, want in cases:
    srv = Server(behaviour)
    rc, out, err, dt = run_client(args, srv.port)
    srv.close()
    tap(rc == 1 and want in err and "Exportable" not in out,
        "%s: exit 1 with a clear error" % name, "rc=%r\nstdout:\n%s\nstderr:\n%s" % (rc, out, err))
    tap(dt < TIME_BOUND, "%s: done in %.1f s (bound %d s)" % (name, dt, TIME_BOUND))

rss = maxrss_children()
tap(rss < MEM_BOUND_KB, "largest client resident set %d KiB (bound %d KiB)" % (rss, MEM_BOUND_KB))

# A large but valid reply still works: 4096 devices with 4 interfaces each.
big = header(DEVLIST) + struct.pack(">I", 4096) + (device(nif=4) + INTF * 4) * 4096
srv = Server(send_all(big))
rc, out, err, dt = run_client(["list", "-r", "127.0.0.1"], srv.port)
srv.close()
tap(rc == 0 and out.count("1-1: SanDisk") == 4096,
    "4096 valid devices are listed (%.1f s)" % dt, err[-500:])

# ---- Terminal safety: a server's text never reaches the terminal raw.  Every
# byte outside printable ASCII is shown as \xNN and a backslash as \\ (usbip(8)
# DIFFERENCES); the output holds no control byte but the newline.
RAW = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f-\xff]")
OSC52 = b"\x1b]52;c;ZXZpbA==\x07"          # "write 'evil' to the clipboard"
HOSTILE_PATH = b"/sys/" + OSC52 + b"/\x1b[2J\r\x9b31m\xc3\xa9\xff\\end"
HOSTILE_PATH_SHOWN = r"/sys/\x1b]52;c;ZXZpbA==\x07/\x1b[2J\x0d\x9b31m\xc3\xa9\xff\\end"


def run_raw(args, port=None, env=None):
    """(rc, stdout bytes, stderr bytes) of our usbip."""
    cmd = [USBIP, "--timeout", str(TIMEOUT)] + (["-t", str(port)] if port else []) + args
    p = subprocess.run(cmd, capture_output=True, timeout=TIME_BOUND + 10, env=env)
    return p.returncode, p.stdout, p.stderr


def safe(name, rc, out, err, want_rc, shown, where):
    """tap: exit want_rc, no raw control byte, `shown` (text) in `where`."""
    raw = RAW.findall(out + err)
    text = (out if where == "stdout" else err).decode("ascii", errors="replace")
    tap(rc == want_rc and not raw and shown in text,
        "%s: exit %d, no raw control byte, %s shows %s" % (name, want_rc, where, shown[:40]),
        "rc=%r raw=%r\nstdout: %r\nstderr: %r" % (rc, raw[:10], out, err))


# The path of a DEVLIST record: OSC 52, ESC, CR, a C1 CSI, UTF-8, 0xff.
srv = Server(send_all(header(DEVLIST) + struct.pack(">I", 1) +
                      device(path=HOSTILE_PATH) + INTF))
rc, out, err = run_raw(["list", "-r", "127.0.0.1"], srv.port)
srv.close()
safe("list -r: hostile path", rc, out, err, 0, HOSTILE_PATH_SHOWN, "stdout")
tap(b"1-1: SanDisk" in out, "list -r: hostile path: the rest of the listing is unchanged",
    repr(out))

# A backslash in a bus id is printable, but escaped so \x1b stays unambiguous.
srv = Server(send_all(header(DEVLIST) + struct.pack(">I", 1) +
                      device(busid=b"1-1\\x1b") + INTF))
rc, out, err = run_raw(["list", "-r", "127.0.0.1"], srv.port)
srv.close()
safe("list -r: bus id with a backslash", rc, out, err, 0, r"1-1\\x1b: SanDisk", "stdout")

# Control bytes in a bus id, or fields without their NUL: the record is
# refused, and nothing of it is printed raw.
for name, dev in [
        ("bus id with ESC", device(busid=b"\x1b]52;c;QQ==\x07")),
        ("bus id with CR and 0x9b", device(busid=b"1-1\r\x9b2J")),
        ("path without NUL", device(raw_path=(b"\x1b[31m" * 52)[:256])),
        ("bus id without NUL", device(raw_busid=b"\x1b" * 32))]:
    srv = Server(send_all(header(DEVLIST) + struct.pack(">I", 1) + dev + INTF))
    rc, out, err = run_raw(["list", "-r", "127.0.0.1"], srv.port)
    srv.close()
    safe("list -r: %s" % name, rc, out, err, 1, "invalid path or bus id", "stderr")

# A bus id typed (or pasted from a server's listing) with escapes in it.
rc, out, err = run_raw(["attach", "-r", "127.0.0.1", "-b", "1-1\x1b]52;c;QQ==\x07\r"])
safe("attach: bus id with OSC 52", rc, out, err, 1,
     r"invalid bus id '1-1\x1b]52;c;QQ==\x07\x0d'", "stderr")

# usbip port prints the record attach left: host and bus id came from the
# user and the server.
STATUS = "/sys/devices/platform/vhci_hcd.0/status"
original = open(STATUS).read()
with open(STATUS, "w") as f:
    f.write(original.replace("hs  0000 004 000 00000000 000000 0-0",
                             "hs  0000 006 003 00010002 000009 3-1", 1))
os.makedirs("/run/vhci_hcd", mode=0o700, exist_ok=True)
with open("/run/vhci_hcd/port0", "wb") as f:
    f.write(b"evil\x1b]52;c;QQ==\x07 3240\x9b 1-1\x1b[8m\xff\n")
rc, out, err = run_raw(["port"])
with open(STATUS, "w") as f:
    f.write(original)
os.unlink("/run/vhci_hcd/port0")
safe("port: hostile record", rc, out, err, 0,
     r"3-1 -> usbip://evil\x1b]52;c;QQ==\x07:3240\x9b/1-1\x1b[8m\xff", "stdout")

done()
