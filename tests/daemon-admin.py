#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbipd as an administrator runs it: access control, configuration file and
its precedence, SIGHUP reload, connection cap, keepalive on exported
connections, socket activation.  Runs inside the host-bound umockdev testbed
(test-daemon-admin.sh) and prints TAP.

Environment: OUR_USBIPD, WORK.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import tap, done  # noqa: E402
from usbipwire import devlist, imp, op  # noqa: E402

USBIPD = os.environ["OUR_USBIPD"]
WORK = os.environ["WORK"]




class Daemon:
    def __init__(self, args, log_name, wait_for="listening on", wrap=None):
        self.log = os.path.join(WORK, log_name)
        cmd = (wrap or []) + [USBIPD] + args
        env = dict(os.environ)
        if wrap and wrap[0] == "strace":
            # LeakSanitizer stops threads with ptrace, which strace already holds.
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"),
                                  env=env)
        self.wait_log(wait_for)

    def text(self):
        return open(self.log).read()

    def wait_log(self, what, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if what in self.text():
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        # Under a wrapper (strace) the daemon is the wrapper's child: signal it.
        kids = []
        for tid in os.listdir("/proc/%d/task" % self.p.pid):
            with open("/proc/%d/task/%s/children" % (self.p.pid, tid)) as f:
                kids += [int(k) for k in f.read().split()]
        for pid in kids or [self.p.pid]:
            os.kill(pid, signal.SIGTERM)
        try:
            return self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


# --- access control -------------------------------------------------------
d = Daemon(["-t", "13261", "--allow", "127.0.0.2/32", "--allow", "::1"], "acl.log",
           wait_for="listening on :::13261")
r = devlist(13261, source="127.0.0.1")
tap(r == b"", "--allow 127.0.0.2/32: peer 127.0.0.1 closed without a reply", repr(r))
tap(re.search(r"denied access from 127\.0\.0\.1:\d+", d.text()) is not None,
    "denied peer logged with its address", d.text())
tap(d.text().count("denied access") == 1, "denied peer logged once")
tap("connection from 127.0.0.1" not in d.text(), "denied peer reaches no request handling")
r = devlist(13261, source="127.0.0.2")
tap(r is not None and len(r) > 12, "--allow 127.0.0.2/32: peer 127.0.0.2 served", repr(r))
r = devlist(13261, host="::1", family=socket.AF_INET6)
tap(r is not None and len(r) > 12, "--allow ::1: IPv6 peer ::1 served", repr(r))
d.stop()

d = Daemon(["-t", "13262", "--allow", "10.0.0.0/8", "--allow", "fd00::/8"], "acl2.log",
           wait_for="listening on :::13262")
tap(devlist(13262) == b"" and devlist(13262, host="::1", family=socket.AF_INET6) == b"",
    "peers outside every prefix are denied (IPv4 and IPv6)")
d.stop()

# --- --listen --------------------------------------------------------------
d = Daemon(["-t", "13260", "--listen", "127.0.0.1", "--listen", "[::1]"], "listen.log",
           wait_for="listening on ::1:13260")
tap("listening on 127.0.0.1:13260" in d.text() and "0.0.0.0" not in d.text(),
    "--listen binds the given addresses only", d.text())
tap(len(devlist(13260) or b"") > 12 and
    len(devlist(13260, host="::1", family=socket.AF_INET6) or b"") > 12,
    "served on 127.0.0.1 and [::1]")
tap(devlist(13260, host="127.0.0.2") is None, "127.0.0.2 is not listened on")
d.stop()

# --- command line checks --------------------------------------------------
# (Without strace, so a sanitizer build also checks these exits for leaks.)
for args, rc in ((["-v"], 0), (["-h"], 0), (["--bogus"], 1), (["-t", "1", "-v"], 0)):
    p = subprocess.run([USBIPD] + args, capture_output=True, text=True, timeout=10)
    tap(p.returncode == rc and "ERROR: LeakSanitizer" not in p.stderr,
        "usbipd %s exits %d cleanly" % (" ".join(args), rc), p.stderr[-1500:])
for bad in (["--allow", "300.1.2.3/8"], ["--allow", "10.0.0.0/33"], ["--allow", "::1/129"],
            ["--timeout", "0"], ["--max-handshakes", "0"], ["-t", "70000"],
            ["--keepalive-count", "x"]):
    p = subprocess.run([USBIPD] + bad, capture_output=True, text=True, timeout=10)
    tap(p.returncode == 1 and "invalid" in p.stderr,
        "rejects %s with a message" % " ".join(bad), p.stderr)

# --- configuration file and precedence ------------------------------------
conf = os.path.join(WORK, "usbipd.conf")
write(conf, "[usbipd]\ntcp-port=13263\ntimeout=0.5\nallow=127.0.0.3\n")
d = Daemon(["--config", conf, "--allow", "127.0.0.1"], "conf.log")
tap("listening on 0.0.0.0:13263" in d.text(), "tcp-port taken from the file", d.text())
r = devlist(13263)
tap(r is not None and len(r) > 12, "command-line --allow overrides the file's allow")
s = socket.create_connection(("127.0.0.1", 13263))
s.settimeout(3)
t0 = time.time()
s.recv(1)
dt = time.time() - t0
s.close()
tap(0.3 < dt < 2, "timeout=0.5 from the file closes a silent client after %.2f s" % dt)
d.stop()
d = Daemon(["--config", conf, "-t", "13264"], "conf2.log")
tap("listening on 0.0.0.0:13264" in d.text() and "13263" not in d.text(),
    "-t on the command line overrides tcp-port in the file", d.text())
d.stop()

write(conf, "[usbipd]\nbogus-key=1\n")
p = subprocess.run([USBIPD, "--config", conf], capture_output=True, text=True, timeout=10)
tap(p.returncode == 1 and "unknown setting 'bogus-key'" in p.stderr,
    "unknown key in the file: exit 1 naming the key", p.stderr)
p = subprocess.run([USBIPD, "--config", WORK + "/missing.conf"], capture_output=True,
                   text=True, timeout=10)
tap(p.returncode == 1 and "missing.conf" in p.stderr, "missing --config file: exit 1", p.stderr)

# --- SIGHUP reload --------------------------------------------------------
write(conf, "[usbipd]\ntcp-port=13265\n")
d = Daemon(["--config", conf], "hup.log")
tap(len(devlist(13265) or b"") > 12, "before reload: 127.0.0.1 served")
write(conf, "[usbipd]\ntcp-port=13265\nallow=127.0.0.2\n")
d.p.send_signal(signal.SIGHUP)
d.wait_log("reloading configuration")
time.sleep(0.2)
tap(devlist(13265) == b"", "after SIGHUP the new allow list denies 127.0.0.1", d.text())
tap(len(devlist(13265, source="127.0.0.2") or b"") > 12, "after SIGHUP 127.0.0.2 is served")
write(conf, "[usbipd]\nallow=not-an-address\n")
d.p.send_signal(signal.SIGHUP)
d.wait_log("previous settings stay")
time.sleep(0.2)
tap("previous settings stay in force" in d.text() and
    len(devlist(13265, source="127.0.0.2") or b"") > 12,
    "a bad file on reload is logged and the old settings stay", d.text())
tap(d.stop() == 0, "stops cleanly after reloads")

# --- connection cap -------------------------------------------------------
# At the cap a newcomer is not refused (whoever holds the slots would lock
# everyone out): the oldest unanswered connection of the address holding the
# most is closed instead (tests/daemon-flood.py has the rest).
def closed_by_server(s, wait=0.0):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except (socket.timeout, BlockingIOError):
        return False
    except OSError:
        return True


d = Daemon(["-t", "13266", "--max-handshakes", "5", "--timeout", "30"], "cap.log")
silent = [socket.create_connection(("127.0.0.1", 13266)) for _ in range(5)]
time.sleep(0.3)
r = devlist(13266)
tap(len(r or b"") > 12, "6th connection while 5 are unanswered: served", repr(r))
tap(closed_by_server(silent[0], 2) and not any(closed_by_server(s) for s in silent[1:]),
    "... and the oldest unanswered one closed in its place")
tap("too many connections in progress (5): closing the oldest" in d.text(), "cap logged",
    d.text())
for s in silent:
    s.close()
time.sleep(0.3)
tap(len(devlist(13266) or b"") > 12, "served again once the silent ones are gone")
d.stop()

# --- out of file descriptors: no busy loop --------------------------------
d = Daemon(["-t", "13269", "--max-handshakes", "1000", "--timeout", "30"], "emfile.log",
           wrap=["prlimit", "--nofile=48:48"])
daemon_pid = int(open("/proc/%d/task/%d/children" % (d.p.pid, d.p.pid)).read().split()[0]) \
    if open("/proc/%d/task/%d/children" % (d.p.pid, d.p.pid)).read().strip() else d.p.pid
silent = []
for _ in range(80):
    try:
        silent.append(socket.create_connection(("127.0.0.1", 13269), timeout=2))
    except OSError:
        break


def cpu_seconds(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


c0 = cpu_seconds(daemon_pid)
time.sleep(2)
used = cpu_seconds(daemon_pid) - c0
lines = d.text().count("accept: Too many open files")
tap(lines > 0, "descriptor exhaustion is reported", d.text()[-500:])
tap(used < 0.5 and lines < 60,
    "no busy loop while out of descriptors (%.2f s CPU in 2 s, %d log lines)" % (used, lines))
# Out of descriptors is a cap too: the address holding them loses its oldest.
r = devlist(13269, source="127.0.0.2")
tap(len(r or b"") > 12, "while one address holds every descriptor, another is served",
    d.text()[-800:])
for s in silent:
    s.close()
time.sleep(0.5)
tap(len(devlist(13269) or b"") > 12, "serves again once descriptors are free")
d.stop()

# --- keepalive set on the connection handed to the kernel -----------------
trace = os.path.join(WORK, "ka.strace")
d = Daemon(["-t", "13267", "--keepalive-idle", "7", "--keepalive-interval", "3",
            "--keepalive-count", "4"], "ka.log",
           wrap=["strace", "-f", "-o", trace, "-e", "trace=setsockopt,write"])
s = socket.create_connection(("127.0.0.1", 13267))
s.sendall(imp(b"1-1"))
s.settimeout(3)
reply = b""
try:
    while len(reply) < 320:
        c = s.recv(400)
        if not c:
            break
        reply += c
except socket.timeout:
    pass
s.close()
d.stop()
st = open(trace).read()
tap(len(reply) == 320 and reply[:8] == op(3),
    "IMPORT of 1-1 succeeds", reply[:8].hex())
want = ["TCP_KEEPIDLE, [7]", "TCP_KEEPINTVL, [3]", "TCP_KEEPCNT, [4]", "TCP_USER_TIMEOUT, [19000]"]
tap(all(w in st for w in want), "keepalive 7/3/4 and user timeout 19 s set before the hand-off",
    "\n".join(l for l in st.splitlines() if "setsockopt" in l or "sockfd" in l))
ka = st.find("TCP_KEEPIDLE, [7]")
handoff = re.search(r'write\(\d+, "\d+\\n"', st)
tap(handoff is not None and 0 <= ka < handoff.start(), "keepalive is set before usbip_sockfd is written")

# --- socket activation ----------------------------------------------------
# systemd-socket-activate listens itself and starts usbipd at the first
# connection, which usbipd must then accept from the inherited socket.
d = Daemon([], "sa.log", wait_for="Listening on",
           wrap=["systemd-socket-activate", "-E", "LD_PRELOAD", "-E", "UMOCKDEV_DIR",
                 "-l", "127.0.0.1:13268"])
r = devlist(13268, timeout=10)
tap(r is not None and len(r) > 12, "serves the connection that activated it", repr(r))
tap("listening on 127.0.0.1:13268 (socket activation)" in d.text(),
    "takes its socket from LISTEN_FDS", d.text())
tap(len(devlist(13268) or b"") > 12, "keeps serving on the activated socket")
tap("listening on 0.0.0.0" not in d.text(), "opens no socket of its own when activated")
d.stop()

# A dual-stack activated socket: IPv4 peers arrive as ::ffff:127.0.0.1 and
# must match IPv4 rules.
for allow, served in (("127.0.0.1", True), ("127.0.0.2", False)):
    d = Daemon(["--allow", allow], "mapped-%s.log" % allow, wait_for="Listening on",
               wrap=["systemd-socket-activate", "-E", "LD_PRELOAD", "-E", "UMOCKDEV_DIR",
                     "-l", "[::]:13276"])
    r = devlist(13276, timeout=10)
    d.wait_log("connection from" if served else "denied access")
    tap((len(r or b"") > 12) == served and "::ffff:127.0.0.1" in d.text(),
        "v4-mapped peer ::ffff:127.0.0.1 with --allow %s: %s" %
        (allow, "served" if served else "denied"), d.text())
    d.stop()

# Readiness notification to the service manager (Type=notify).
nsock = os.path.join(WORK, "notify.sock")
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(nsock)
ns.settimeout(10)
os.environ["NOTIFY_SOCKET"] = nsock
d = Daemon(["-t", "13277"], "notify.log")
del os.environ["NOTIFY_SOCKET"]
msgs = []
try:
    msgs.append(ns.recv(4096).decode())
except socket.timeout:
    pass
tap(any("READY=1" in m for m in msgs), "READY=1 sent to NOTIFY_SOCKET once listening", msgs)
d.p.send_signal(signal.SIGHUP)
try:
    while not any("RELOADING=1" in m for m in msgs):
        msgs.append(ns.recv(4096).decode())
    msgs.append(ns.recv(4096).decode())
except socket.timeout:
    pass
tap(any("RELOADING=1" in m for m in msgs) and msgs[-1].startswith("READY=1"),
    "SIGHUP: RELOADING=1 then READY=1", msgs)
d.stop()
try:
    msgs.append(ns.recv(4096).decode())
except socket.timeout:
    pass
tap(any("STOPPING=1" in m for m in msgs), "SIGTERM: STOPPING=1", msgs)
ns.close()

done()
