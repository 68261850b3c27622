#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The client's configuration file, usbip.conf(5), and `usbip attach -i`
without -r, which searches the servers it lists: in order (one that is down
is a warning, the first that has the device is attached from, the next ones
are never asked), an error naming each server and its answer when none has
it; --config over $USBIP_CONF over $(sysconfdir)/usbip/usbip.conf; timeout=
under --timeout; broken files, too many servers; an IPv6 server in brackets.

Runs in host-serial.umockdev, where usbipd exports 1-4 and 1-5 (the same
key, 0951:1666).  An attach is seen in vhci_hcd's attach file and the port
record (umockdev has no kernel behind vhci: the port stays free, so each
attach takes port 0 again).  Prints TAP.
"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import USBIP, Usbipd, in_testbed, real_binary, work_dir  # noqa: E402
from taplib import tap, done  # noqa: E402

in_testbed("host-serial.umockdev", "-R")
work = work_dir()
DOWN = 13330        # nobody listens
PORT = 13331        # usbipd
STALLED = 13333     # listens, never answers: a hung server
ATTACH = "/sys/devices/platform/vhci_hcd.0/attach"
RECORD = "/run/vhci_hcd/port0"

# Whatever the machine's own usbip.conf says must not reach the cases that
# do not set one: those give USBIP_CONF (see default_path below for the one
# that tests the default).
BASE_ENV = dict(os.environ)
BASE_ENV.pop("USBIP_CONF", None)


def conf(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


NOWHERE = os.path.join(work, "no-such.conf")


def usbip(*args, env=None, config=NOWHERE):
    """Our usbip with USBIP_CONF=config (None: unset); (rc, stdout, stderr, s)."""
    e = dict(BASE_ENV, **(env or {}))
    if config is not None:
        e["USBIP_CONF"] = config
    start = time.time()
    p = subprocess.run([USBIP] + [str(a) for a in args], env=e, capture_output=True,
                       timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace"), time.time() - start


def detail(rc, out, err, secs):
    return "rc=%d (%.1f s)\nstdout:\n%s\nstderr:\n%s" % (rc, secs, out, err)


def attached():
    """The port record of the last attach (None: none), then forgets it."""
    try:
        rec = open(RECORD).read()
        os.unlink(RECORD)
    except OSError:
        rec = None
    open(ATTACH, "w").close()
    return rec


class Listener:
    """A server that accepts connections and never answers them."""

    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind(("127.0.0.1", port))
        self.s.listen(16)
        self.s.setblocking(False)

    def asked(self):
        """How many clients connected since the last call."""
        n = 0
        while True:
            try:
                c, _ = self.s.accept()
            except BlockingIOError:
                return n
            c.close()
            n += 1


d = Usbipd(["-t", str(PORT)], os.path.join(work, "usbipd.log"))
tap(d.ready, "usbipd serves host-serial", d.text())
hung = Listener(STALLED)
KEY = ["-i", "0951:1666", "-b", "1-5"]     # one of the two keys

# ------------------------------------------------------------ servers in order

c = conf("order.conf", "[client]\nservers=127.0.0.1:%d;127.0.0.1:%d\n" % (DOWN, PORT))
r = usbip("attach", *KEY, config=c)
tap(r[0] == 0 and attached() == "127.0.0.1 %d 1-5\n" % PORT,
    "attach -i without -r: the first server is down, attached from the second", detail(*r))
tap("usbip: warning: 127.0.0.1:%d: could not connect: Connection refused" % DOWN in r[2] and
    "error" not in r[2], "the server that is down is a warning, not an error", detail(*r))

r = usbip("--debug", "attach", *KEY, config=c)
tap(r[0] == 0 and r[2].index("asking 127.0.0.1:%d for -b 1-5 -i 0951:1666" % DOWN) <
    r[2].index("asking 127.0.0.1:%d" % PORT) and attached(),
    "--debug says which server is asked, in the file's order", detail(*r))

c = conf("first.conf", "[client]\nservers=127.0.0.1:%d;127.0.0.1:%d\n" % (PORT, STALLED))
r = usbip("attach", *KEY, config=c)
tap(r[0] == 0 and attached() == "127.0.0.1 %d 1-5\n" % PORT and hung.asked() == 0,
    "the first server has the device: attached from it, the second never asked", detail(*r))

r = usbip("attach", "-i", "0951:1666", config=c)
tap(r[0] == 1 and attached() is None and "2 devices match -i 0951:1666" in r[2] and
    "1-4: " in r[2] and "1-5: " in r[2] and hung.asked() == 0,
    "two matches on the first server: both listed, nothing attached, the search ends there",
    detail(*r))

c = conf("none.conf", "[client]\nservers=127.0.0.1:%d; 127.0.0.1:%d\n" % (DOWN, PORT))
r = usbip("attach", "-i", "1234:5678", config=c)
tap(r[0] == 1 and attached() is None and
    "no device that matches -i 1234:5678 could be attached from the 2 servers asked:" in r[2] and
    "usbip: error:     127.0.0.1:%d: not reachable\n" % DOWN in r[2] and
    "usbip: error:     127.0.0.1:%d: no match\n" % PORT in r[2],
    "nothing matches anywhere: exit 1, an error listing each server and its answer",
    detail(*r))

r = usbip("attach", "-i", "0951:1666", config=NOWHERE)
tap(r[0] == 1 and r[1].startswith("usage: usbip attach") and
    "no server to search: give -r HOST, or list the servers in %s" % NOWHERE in r[2],
    "no -r and no servers: the usage, and where servers would be listed", detail(*r))

r = usbip("attach", "-i", "0951:1666", "--persistent", config=c)
tap(r[0] == 1 and "--persistent needs -r HOST" in r[2] and attached() is None,
    "--persistent without -r: refused, naming the fix", detail(*r))

r = usbip("--tcp-port", PORT, "attach", "-r", "127.0.0.1", *KEY, config=c)
tap(r[0] == 0 and attached() == "127.0.0.1 %d 1-5\n" % PORT and "warning" not in r[2],
    "-r still asks only the server it names", detail(*r))

# --tcp-port is the default port of a server listed without one.
c = conf("noport.conf", "[client]\nservers=127.0.0.1\n")
r = usbip("--tcp-port", PORT, "attach", *KEY, config=c)
tap(r[0] == 0 and attached() == "127.0.0.1 %d 1-5\n" % PORT,
    "a server without :PORT is asked on --tcp-port", detail(*r))

# ------------------------------------------------------------------ IPv6

c = conf("v6.conf", "[client]\nservers=[::1]:%d\n" % PORT)
r = usbip("attach", *KEY, config=c)
tap(r[0] == 0 and attached() == "::1 %d 1-5\n" % PORT,
    "servers=[::1]:PORT: attached over IPv6, recorded as ::1", detail(*r))
r = usbip("attach", "-i", "1234:5678", config=c)
tap(r[0] == 1 and "usbip: error:     [::1]:%d: no match" % PORT in r[2],
    "an IPv6 server is shown in brackets", detail(*r))

# -------------------------------------------------------------- precedence

A = conf("a.conf", "[client]\nservers=127.0.0.1:13332\n")
B = conf("b.conf", "[client]\nservers=127.0.0.1:13334\n")


def asked(r):
    """The ports of the servers the final error lists."""
    return re.findall(r"error:     127\.0\.0\.1:(\d+):", r[2])


r = usbip("--config", A, "attach", "-i", "1234:5678", config=B)
tap(r[0] == 1 and asked(r) == ["13332"], "--config wins over USBIP_CONF", detail(*r))
r = usbip("attach", "-i", "1234:5678", config=B)
tap(r[0] == 1 and asked(r) == ["13334"], "USBIP_CONF is read without --config", detail(*r))
r = usbip("--config", NOWHERE, "attach", "-i", "1234:5678", config=B)
tap(r[0] == 1 and "cannot read the configuration file %s: No such file or directory" % NOWHERE
    in r[2] and asked(r) == [], "a missing --config file is an error", detail(*r))
r = usbip("list", "-l", config=NOWHERE)
tap(r[0] == 0 and "configuration" not in r[2],
    "a missing USBIP_CONF file is not (it stands for the default)", detail(*r))


def default_path():
    """$(sysconfdir)/usbip/usbip.conf as built into usbip."""
    data = open(real_binary(USBIP), "rb").read()
    m = re.search(rb"(/[\x21-\x7e]*/usbip/usbip\.conf)\0", data)
    return m.group(1).decode() if m else None


DEFAULT = default_path()
tap(DEFAULT is not None, "the default path is in the binary")
if DEFAULT:
    # The default file of the machine stays as it is: the directory that
    # holds it gets an overlay, this mount namespace's own.
    top = os.path.dirname(DEFAULT)
    while not os.path.isdir(top):
        top = os.path.dirname(top)
    scratch = os.path.join(work, "overlay")
    os.mkdir(scratch)
    subprocess.run(["mount", "-t", "tmpfs", "overlay-scratch", scratch], check=True)
    os.mkdir(scratch + "/u")
    os.mkdir(scratch + "/w")
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", "lowerdir=%s,upperdir=%s/u,"
                    "workdir=%s/w" % (top, scratch, scratch), top], check=True)
    os.makedirs(os.path.dirname(DEFAULT), exist_ok=True)
    with open(DEFAULT, "w") as f:
        f.write("[client]\nservers=127.0.0.1:13335\n")
    r = usbip("attach", "-i", "1234:5678", config=None)
    tap(r[0] == 1 and asked(r) == ["13335"], "without both, %s is read" % DEFAULT, detail(*r))
    r = usbip("attach", "-i", "1234:5678", config="")
    tap(r[0] == 1 and asked(r) == ["13335"], "an empty USBIP_CONF counts as unset", detail(*r))
    r = usbip("attach", "-i", "1234:5678", config=B)
    tap(r[0] == 1 and asked(r) == ["13334"], "USBIP_CONF wins over the default", detail(*r))
    os.unlink(DEFAULT)
    r = usbip("attach", "-i", "1234:5678", config=None)
    tap(r[0] == 1 and "no server to search" in r[2] and "configuration file" not in r[2],
        "a missing default file is not an error", detail(*r))

# ----------------------------------------------------------------- timeout

c = conf("timeout.conf", "[client]\nservers=127.0.0.1:%d;127.0.0.1:%d\ntimeout=1\n" % (
    STALLED, PORT))
r = usbip("attach", *KEY, config=c)
tap(r[0] == 0 and 0.9 < r[3] < 4 and attached() == "127.0.0.1 %d 1-5\n" % PORT and
    "127.0.0.1:%d: could not get the device list: " % STALLED in r[2],
    "timeout=1: a hung server is given up after 1 s, the next one attaches", detail(*r))
hung.asked()
r = usbip("--timeout", "2.5", "attach", *KEY, config=c)
tap(r[0] == 0 and 2.4 < r[3] < 6 and attached(),
    "--timeout wins over timeout= (2.5 s)", detail(*r))
hung.asked()
for bad in ("0", "3601", "1s", "", "-1"):
    c = conf("bad-timeout.conf", "[client]\ntimeout=%s\n" % bad)
    r = usbip("port", config=c)
    tap(r[0] == 1 and "bad-timeout.conf: [client] timeout=%s: give seconds from 1 to 3600" % bad
        in r[2], "timeout=%s is refused, naming the range" % bad, detail(*r))

# ------------------------------------------------------------ broken files

CASES = [
    ("[client]\nservers=127.0.0.1\nthis is not a setting\n",
     ":3: 'this is not a setting' is not a [group], key=value or # comment line"),
    ("servers=127.0.0.1\n", ":1: 'servers=127.0.0.1' comes before any group: put [client]"),
    ("[client\nservers=a\n", ":1: '[client' is not a [group] line: close it with ']'"),
    ("[client]\nservers=a;;b\n", ": [client] servers=: entry 2 is empty"),
    ("[client]\nservers=[::1\n", ": [client] servers=: '[::1' is not HOST, HOST:PORT or "
     "[IPV6]:PORT"),
    ("[client]\nservers=h:65536\n", ": [client] servers=: 'h:65536' is not HOST"),
    ("[client]\nservers=%s\n" % ("h" * 1100),
     ": [client] servers=: '%s...' is too long for a host name" % ("h" * 61)),
    ("[client]\nservers=\xff\n", ": [client] servers= is not UTF-8 text"),
    ("[client]\n\0servers=a\n", " contains a NUL byte"),
    ("#" * (64 * 1024 + 1), " is larger than 64 KiB"),
]
for text, want in CASES:
    path = os.path.join(work, "broken.conf")
    with open(path, "wb") as f:
        f.write(text.encode("latin-1"))
    r = usbip("list", "-l", config=path)
    tap(r[0] == 1 and r[1] == "" and path + want in r[2] and "\x1b" not in r[2],
        "broken file refused: %s" % want.strip(": "), detail(*r))

r = usbip("--config", work, "port", config=None)
tap(r[0] == 1 and "configuration file %s is not a regular file" % work in r[2],
    "a directory given as the file: refused", detail(*r))

c = conf("unknown.conf", "[client]\nservers=127.0.0.1:%d\nretries=3\n"
         "[clinet]\ntimeout=1\n" % PORT)
r = usbip("attach", *KEY, config=c)
tap(r[0] == 0 and attached() and
    "warning: %s: unknown key retries= in [client] ignored" % c in r[2] and
    "warning: %s: unknown group [clinet] ignored" % c in r[2],
    "unknown keys and groups are warnings", detail(*r))

# [tls] ca= turns TLS on as --tls-ca does: a CA that cannot be read ends the
# command (never plaintext instead), and --tls-ca wins over the file.
c = conf("tls.conf", "[client]\nservers=127.0.0.1:%d\n[tls]\nca=%s/file-ca.pem\nfoo=1\n"
         % (PORT, work))
r = usbip("attach", *KEY, config=c)
tap(r[0] == 1 and attached() is None and
    "TLS: CA certificate %s/file-ca.pem" % work in r[2] and
    "unknown key foo= in [tls] ignored" in r[2],
    "[tls] ca= turns TLS on: an unreadable CA stops the attach, nothing attached", detail(*r))
r = usbip("--tls-ca", work + "/cmdline-ca.pem", "attach", *KEY, config=c)
tap(r[0] == 1 and "cmdline-ca.pem" in r[2] and "file-ca.pem" not in r[2],
    "--tls-ca wins over [tls] ca=", detail(*r))
r = usbip("port", config=conf("tls-empty.conf", "[tls]\ncert=\n"))
tap(r[0] == 1 and "[tls] cert=: give the path of a PEM file" in r[2],
    "[tls] with an empty path: refused", detail(*r))

# ---------------------------------------------------------- many servers

c = conf("64.conf", "[client]\nservers=%s127.0.0.1:%d\n" % ("127.0.0.1:%d;" % DOWN * 63, PORT))
r = usbip("attach", *KEY, config=c)
tap(r[0] == 0 and attached() == "127.0.0.1 %d 1-5\n" % PORT and r[2].count("warning") == 63,
    "64 servers are taken, the 64th attaches", detail(*r))
c = conf("65.conf", "[client]\nservers=%s127.0.0.1:%d\n" % ("127.0.0.1:%d;" % DOWN * 64, PORT))
r = usbip("attach", *KEY, config=c)
tap(r[0] == 1 and attached() is None and
    "65.conf: [client] servers= lists 65 servers, more than the 64 usbip asks" in r[2] and
    "asking" not in r[2], "65 servers: refused before any is asked", detail(*r))

tap(d.stop() == 0, "usbipd stops cleanly", d.text())
done()
