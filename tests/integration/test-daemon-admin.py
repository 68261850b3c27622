#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbipd as an administrator runs it: access control, configuration file and
its precedence, SIGHUP reload, connection cap, keepalive on exported
connections, socket activation.  Runs inside the host-bound umockdev testbed
and prints TAP.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (STRACE, USBIPD, Usbipd, file_text, in_testbed, require_program,  # noqa: E402
                     wait_for, work_dir)
from taplib import tap, done  # noqa: E402

from usbipwire import closed_by_server, devlist, exchange, imp, op, serves, stalled  # noqa: E402

require_program("systemd-socket-activate")
in_testbed("host-bound.umockdev")
WORK = work_dir()


def Daemon(args, log_name, wait_for="listening on", wrap=()):
    """Our usbipd logging to WORK/LOG_NAME, once WAIT_FOR is in its log."""
    return Usbipd(args, os.path.join(WORK, log_name), ready=wait_for, wrap=wrap)


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
tap(serves(13260) and serves(13260, host="::1", family=socket.AF_INET6),
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
s = stalled(13263, timeout=3)
t0 = time.time()
s.recv(1)
dt = time.time() - t0
s.close()
tap(0.3 < dt < 2, "timeout=0.5 from the file closes a client that stalls after %.2f s" % dt)
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
tap(serves(13265), "before reload: 127.0.0.1 served")
write(conf, "[usbipd]\ntcp-port=13265\nallow=127.0.0.2\n")
d.p.send_signal(signal.SIGHUP)
d.wait_log("reloading configuration")
time.sleep(0.2)
tap(devlist(13265) == b"", "after SIGHUP the new allow list denies 127.0.0.1", d.text())
tap(serves(13265, source="127.0.0.2"), "after SIGHUP 127.0.0.2 is served")
write(conf, "[usbipd]\nallow=not-an-address\n")
d.p.send_signal(signal.SIGHUP)
d.wait_log("previous settings stay")
time.sleep(0.2)
tap("previous settings stay in force" in d.text() and
    serves(13265, source="127.0.0.2"),
    "a bad file on reload is logged and the old settings stay", d.text())
tap(d.stop() == 0, "stops cleanly after reloads")

# --- connection cap -------------------------------------------------------
# At the cap a newcomer is not refused (whoever holds the slots would lock
# everyone out): the oldest unanswered connection of the address holding the
# most is closed instead (test-daemon-flood.py has the rest).
d = Daemon(["-t", "13266", "--max-handshakes", "5", "--timeout", "30"], "cap.log")
silent = [stalled(13266) for _ in range(5)]
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
tap(serves(13266), "served again once the silent ones are gone")
d.stop()

# --- out of file descriptors: no busy loop --------------------------------
d = Daemon(["-t", "13269", "--max-handshakes", "1000", "--timeout", "30"], "emfile.log",
           wrap=["prlimit", "--nofile=48:48"])
daemon_pid = d.pid()
silent = []
for _ in range(80):
    try:
        silent.append(stalled(13269, timeout=2))
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
tap(serves(13269), "serves again once descriptors are free")
d.stop()

# --- keepalive set on the connection handed to the kernel -----------------
trace = os.path.join(WORK, "ka.strace")
d = Daemon(["-t", "13267", "--keepalive-idle", "7", "--keepalive-interval", "3",
            "--keepalive-count", "4"], "ka.log",
           wrap=[STRACE, "-f", "-o", trace, "-e", "trace=setsockopt,write"])
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
tap(serves(13268), "keeps serving on the activated socket")
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

# === usbipd under attack (issue 12) ========================================


def run_briefly(args, timeout=5):
    """usbipd expected to stop on its own: (exit status, stderr); the status
    is None when it kept running (killed after timeout)."""
    p = subprocess.Popen([USBIPD] + args, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    try:
        _, e = p.communicate(timeout=timeout)
        return p.returncode, e
    except subprocess.TimeoutExpired:
        p.kill()
        _, e = p.communicate()
        return None, e


def activated(args, addr, log_name):
    """usbipd started by systemd-socket-activate listening on addr."""
    return Daemon(args, log_name, wait_for="Listening on",
                  wrap=["systemd-socket-activate", "-E", "LD_PRELOAD", "-E", "UMOCKDEV_DIR",
                        "-l", addr])


def hup(d, wait_for):
    """SIGHUP, then waits for one more line holding wait_for."""
    n = d.text().count(wait_for)
    d.p.send_signal(signal.SIGHUP)
    end = time.time() + 10
    while d.text().count(wait_for) <= n and time.time() < end:
        time.sleep(0.05)
    time.sleep(0.1)


def status_fields(pid):
    fields = {}
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return fields


# --- the configuration fails closed ----------------------------------------
# Nothing in the file is ignored or read as a default: an empty allow= or a
# misspelt group must not mean "everyone may connect".
for text, want in (("[usbipd]\nallow=\n", "allow= is empty"),
                   ("[usbipd]\nlisten=\n", "listen= is empty"),
                   ("[usbpid]\nallow=10.0.0.0/8\n", "unknown group [usbpid]"),
                   ("[usbipd]\nallow=10.0.0.0/8\n[Other]\nx=1\n", "unknown group [Other]")):
    write(conf, text)
    rc, e = run_briefly(["--config", conf, "-t", "13280"])
    tap(rc == 1 and want in e, "refuses to start on %r (%s)" % (text, want), "rc %s\n%s" % (rc, e))
rc, e = run_briefly(["--listen", "localhost", "-t", "13280"])
tap(rc == 1 and "invalid listen 'localhost'" in e,
    "--listen takes numeric addresses only", "rc %s\n%s" % (rc, e))

write(conf, "[usbipd]\ntcp-port=13281\nallow=127.0.0.2\n")
d = Daemon(["--config", conf], "closed-reload.log")
for text in ("[usbipd]\ntcp-port=13281\nallow=\n",
             "[usbipd]\ntcp-port=13281\nallow=127.0.0.2\n[usbpid]\nallow=127.0.0.1\n"):
    n = d.text().count("previous settings stay")
    write(conf, text)
    hup(d, "previous settings stay")
    tap(d.text().count("previous settings stay") == n + 1 and devlist(13281) == b"" and
        len(devlist(13281, source="127.0.0.2") or b"") > 12,
        "reload of %r keeps the old allow list (127.0.0.1 still denied)" % text, d.text())
d.stop()

# --- reload compares the listening addresses, not their number -------------
write(conf, "[usbipd]\ntcp-port=13282\nlisten=::1\n")
d = Daemon(["--config", conf], "listen-reload.log", wait_for="listening on ::1:13282")
write(conf, "[usbipd]\ntcp-port=13282\nlisten=[::1]\n")
hup(d, "reloading configuration")
tap("next restart" not in d.text(), "reload with the same address ([::1] for ::1): no change",
    d.text())
write(conf, "[usbipd]\ntcp-port=13282\nlisten=127.0.0.1\n")
hup(d, "next restart")
tap("listening addresses, mode and PID file change at the next restart" in d.text(),
    "reload with another address (same count) says it applies at the next restart", d.text())
d.stop()

# --- PID file ----------------------------------------------------------------
pidf = os.path.join(WORK, "usbipd.pid")
a = Daemon(["-t", "13283", "-P", pidf], "pid-a.log")
a_pid = "%d\n" % a.p.pid
# Written once every socket is bound, so just after "listening on".
tap(wait_for(lambda: file_text(pidf) == a_pid, 5), "PID file written", repr(file_text(pidf)))
rc, e = run_briefly(["-t", "13283", "-P", pidf])
tap(rc == 1 and os.path.exists(pidf) and open(pidf).read() == a_pid,
    "a second usbipd on the same port fails and leaves the first one's PID file alone",
    "rc %s, file %r\n%s" % (rc, open(pidf).read() if os.path.exists(pidf) else None, e))
rc, e = run_briefly(["-t", "13284", "-P", pidf])
tap(rc == 1 and "is locked by a running usbipd (pid %d)" % a.p.pid in e and
    open(pidf).read() == a_pid,
    "a second usbipd on another port finds the PID file locked and leaves it alone",
    "rc %s, file %r\n%s" % (rc, open(pidf).read(), e))
tap(a.stop() == 0 and not os.path.exists(pidf), "PID file removed at exit")

victim = os.path.join(WORK, "victim")
write(victim, "precious\n")
os.symlink(victim, pidf)
rc, e = run_briefly(["-t", "13285", "-P", pidf])
tap(rc == 1 and "symbolic link" in e and open(victim).read() == "precious\n",
    "a symbolic link planted at the PID file's path is refused, its target untouched",
    "rc %s, victim %r\n%s" % (rc, open(victim).read(), e))
os.unlink(pidf)
os.link(victim, pidf)
rc, e = run_briefly(["-t", "13285", "-P", pidf])
tap(rc == 1 and open(victim).read() == "precious\n",
    "a hard link planted at the PID file's path is refused", "rc %s\n%s" % (rc, e))
os.unlink(pidf)

p1, p2 = os.path.join(WORK, "p1.pid"), os.path.join(WORK, "p2.pid")
write(conf, "[usbipd]\ntcp-port=13286\npid-file=%s\n" % p1)
d = Daemon(["--config", conf], "pid-reload.log")
write(conf, "[usbipd]\ntcp-port=13286\npid-file=%s\n" % p2)
hup(d, "next restart")
d.stop()
tap(not os.path.exists(p1) and not os.path.exists(p2),
    "a reload naming another pid-file: the file written at start is the one removed",
    "p1 %s, p2 %s" % (os.path.exists(p1), os.path.exists(p2)))

# --- least privilege -------------------------------------------------------
# Started as root with every capability (this test's), usbipd keeps none once
# serving, and still hands an imported connection to the kernel (a write to
# the root-owned usbip_sockfd), reloads and removes its PID file.
write(conf, "[usbipd]\ntcp-port=13287\n")
# "listening on" comes before the drop: wait for the drop's own line.
d = Daemon(["--config", conf, "-P", pidf], "privs.log", wait_for="dropped all capabilities")
st = status_fields(d.p.pid)
tap(all(st.get(k) == "0" * 16 for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) and
    st.get("NoNewPrivs") == "1",
    "no capability left once serving, bounding set empty, no_new_privs set",
    "\n".join("%s: %s" % (k, st.get(k)) for k in
              ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")))
tap(d.text().count("dropped all capabilities, the bounding set included; no_new_privs set") == 1,
    "one log line says what was dropped", d.text())
reply, _ = exchange(13287, imp(b"1-1"))
tap(reply is not None and len(reply) == 320 and reply[:8] == op(3),
    "without capabilities: IMPORT of 1-1 succeeds (usbip_sockfd written)",
    (reply or b"")[:8].hex() + "\n" + d.text())
write(conf, "[usbipd]\ntcp-port=13287\nallow=127.0.0.2\n")
hup(d, "reloading configuration")
tap(devlist(13287) == b"" and "previous settings" not in d.text(),
    "without capabilities: SIGHUP reads the file again", d.text())
tap(d.stop() == 0 and not os.path.exists(pidf), "without capabilities: PID file removed at exit")

# --- socket activation serves what the settings say -------------------------
# usbipd refuses settings that contradict the sockets it is given instead of
# silently serving something else.
write(conf, "[usbipd]\nlisten=127.0.0.2\n")
for args, addr, why in ((["-t", "13289"], "127.0.0.1:13288", "is not on tcp-port=13289 "
                         "(from the command line)"),
                        (["--config", conf], "127.0.0.1:13288", "is not one of the listen= "
                         "addresses (from %s)" % conf),
                        (["-6"], "[::]:13290", "takes IPv4 clients too"),
                        (["-4"], "[::]:13290", "is not IPv4")):
    d = activated(args, addr, "sa-bad.log")
    port = int(addr.rsplit(":", 1)[1])
    r = devlist(port, host="::1" if addr[0] == "[" else "127.0.0.1",
                family=socket.AF_INET6 if addr[0] == "[" else socket.AF_INET, timeout=10)
    try:
        rc = d.p.wait(5)
    except subprocess.TimeoutExpired:
        rc = d.stop()
    tap(rc == 1 and not r and why in d.text(),
        "activated on %s with %s: refused (%s)" % (addr, " ".join(args), why),
        "rc %s, reply %r\n%s" % (rc, r, d.text()))

d = activated(["-t", "13288", "--listen", "127.0.0.1", "-4"], "127.0.0.1:13288", "sa-good.log")
tap(len(devlist(13288, timeout=10) or b"") > 12,
    "activated with settings that agree with the socket: served", d.text())
# The socket it was given defers connections that send nothing, as its own do.
n = d.text().count("connection from ")
quiet = socket.create_connection(("127.0.0.1", 13288))
time.sleep(0.5)
tap(d.text().count("connection from ") == n and len(devlist(13288) or b"") > 12 and
    d.text().count("connection from ") == n + 1,
    "activated: a connection that sends nothing is not accepted, the next client is",
    d.text()[-1000:])
quiet.close()
d.stop()

write(conf, "[usbipd]\n")
d = activated(["--config", conf], "127.0.0.1:13288", "sa-reload.log")
devlist(13288, timeout=10)
write(conf, "[usbipd]\nlisten=127.0.0.2\n")
hup(d, "previous settings stay")
tap("previous settings stay in force" in d.text() and len(devlist(13288) or b"") > 12,
    "activated: a reload whose listen= contradicts the socket is refused", d.text())
d.stop()

# --- v4-mapped peers match IPv4 rules only ----------------------------------
# On a dual-stack socket the IPv4 client 127.0.0.1 is ::ffff:127.0.0.1: it is
# an IPv4 client, so IPv6 rules, even ::/0 or ::ffff:0:0/96, do not let it in.
for allow in ("::/0", "::ffff:0:0/96"):
    d = activated(["--allow", allow], "[::]:13291", "mapped6-%s.log" % allow.replace("/", "_"))
    r4 = devlist(13291, timeout=10)
    d.wait_log("denied access")
    r6 = devlist(13291, host="::1", family=socket.AF_INET6)
    tap(r4 == b"" and "denied access from ::ffff:127.0.0.1" in d.text(),
        "--allow %s: the IPv4 client ::ffff:127.0.0.1 is denied" % allow, d.text())
    if allow == "::/0":
        tap(len(r6 or b"") > 12, "--allow ::/0: the IPv6 client ::1 is served", d.text())
    d.stop()

done()
