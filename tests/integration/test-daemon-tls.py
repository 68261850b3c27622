#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbipd with TLS (--tls-cert/--tls-key/--tls-ca/--require-tls and the
[tls] group of usbipd.conf): one port for TLS and plaintext (first-byte
dispatch), refusals logged with the peer and the reason, the handshake
under the daemon's deadline and caps (a silent TLS client blocks no one),
and kernel TLS: where this kernel has the tls module a DEVLIST over TLS
(Python's ssl on our side) is answered, where it has not the client is
refused with the fix named, never served in clear.  Certificates are made
with contrib/usbip-make-certs.sh.  Runs in the host-bound testbed; TAP.
"""
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import TOP_SRCDIR, USBIPD, Usbipd, in_testbed, require_program, work_dir  # noqa: E402
from taplib import tap, done  # noqa: E402
from usbipwire import OP_REQ_DEVLIST, busids, closed_by_server, devlist, op, serves  # noqa: E402

in_testbed("host-bound.umockdev")
require_program("certtool", "gnutls-bin")
WORK = work_dir()
PORT, PORT_REQ, PORT_CONF, PORT_CAP = 13350, 13351, 13352, 13353

MK = os.path.join(TOP_SRCDIR, "contrib", "usbip-make-certs.sh")
for step in ("good ca", "good server 127.0.0.1", "good client alice",
             "other ca", "other client mallory"):
    d, *rest = step.split()
    subprocess.run(["sh", MK, os.path.join(WORK, d)] + rest, check=True,
                   env=dict(os.environ, DAYS="2"))
G, O = os.path.join(WORK, "good"), os.path.join(WORK, "other")
TLS_ARGS = ["--tls-cert", G + "/server.pem", "--tls-key", G + "/server-key.pem",
            "--tls-ca", G + "/ca.pem"]
KTLS = os.path.exists("/proc/net/tls_stat")


def conf(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


EMPTY = conf("empty.conf", "[usbipd]\n")


def daemon(port, args, log, config=EMPTY):
    d = Usbipd(["--config", config, "-t", str(port)] + args, os.path.join(WORK, log))
    if not d.ready:
        print("Bail out! usbipd %s did not start:\n%s" % (" ".join(args), d.text()))
        sys.exit(1)
    return d


def tls_client(port, cert=None, ca=G + "/ca.pem"):
    """A TLS client (Python's ssl, TLS 1.2) as usbip would be: the outcome
    of the handshake and a DEVLIST, as ("ok", reply), ("closed", None) or
    ("ssl", reason)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(ca)
    if cert:
        ctx.load_cert_chain(cert + ".pem", cert + "-key.pem")
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        s.sendall(op(OP_REQ_DEVLIST))
        out = b""
        while True:
            c = s.recv(65536)
            if not c:
                break
            out += c
        return ("ok", out) if out else ("closed", None)
    except ssl.SSLError as e:
        return "ssl", str(e)
    except (ConnectionResetError, BrokenPipeError, socket.timeout, OSError) as e:
        return "closed", str(e)
    finally:
        raw.close()


def silent_tls(port):
    """A client that sent the first byte of a ClientHello, then nothing."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"\x16")
    return s


# --- one port for both ----------------------------------------------------
d = daemon(PORT, TLS_ARGS + ["--timeout", "1"], "tls.log")
tap(serves(PORT), "with TLS configured (not required), a plaintext DEVLIST is still answered")

r, what = tls_client(PORT, G + "/client-alice")
if KTLS:
    tap(r == "ok" and len(busids(what)) > 0,
        "a DEVLIST over TLS (client certificate from the CA) is answered", str((r, what)))
    tap(d.wait_log("TLS established (TLS1.2 AES-128-GCM, client certificate verified)", 5),
        "... after a TLS 1.2 AES-128-GCM handshake with a verified client", d.text()[-600:])
else:
    tap(r != "ok", "without kernel TLS, a TLS client is not served (never in clear)", str(r))
    tap(d.wait_log("refused: kernel TLS is not available", 5) and "modprobe tls" in d.text(),
        "... and the log names the cause and the fix", d.text()[-600:])
    # The refusal comes after a handshake that succeeded: that part works.
    tap("TLS handshake failed" not in d.text(), "... after a handshake that succeeded")


r, what = tls_client(PORT, O + "/client-mallory")
tap(r != "ok", "a client certificate from another CA is refused", str((r, what)))
tap(d.wait_log("TLS handshake failed: client certificate not accepted", 5) and
    "127.0.0.1:" in d.text().split("client certificate not accepted")[0].splitlines()[-1],
    "... logged with the peer and the reason", d.text()[-600:])

r, what = tls_client(PORT, None)
tap(r != "ok", "a client without a certificate is refused when --tls-ca is given", str(r))
tap(d.wait_log("the client sent no certificate", 5), "... and the log says so", d.text()[-400:])

r, what = tls_client(PORT, G + "/client-alice", ca=O + "/ca.pem")
tap(r == "ssl" and "CERTIFICATE_VERIFY_FAILED" in what,
    "a client trusting another CA refuses our server's certificate", str((r, what)))

# --- the handshake under the deadline: a silent TLS client blocks no one -----
s = silent_tls(PORT)
time.sleep(0.2)
t0 = time.time()
reply = devlist(PORT, timeout=3)
dt = time.time() - t0
tap(reply is not None and dt < 0.8,
    "a silent TLS client does not delay a plaintext client (%.2f s)" % dt)
t0 = time.time()
r, _ = tls_client(PORT, G + "/client-alice")
dt = time.time() - t0
tap(dt < 0.9, "... nor a TLS client's handshake (%.2f s)" % dt)
closed = closed_by_server(s, wait=2.5)
tap(closed, "the silent TLS client is closed at the deadline (--timeout 1)")
tap(d.wait_log("TLS handshake not finished within 1000 ms", 3),
    "... with a log line naming the handshake", d.text()[-400:])
s.close()
d.stop()

# --- caps: silent handshakes count against --max-per-source ------------------
d = daemon(PORT_CAP, TLS_ARGS + ["--max-per-source", "2", "--timeout", "10"], "cap.log")
socks = [silent_tls(PORT_CAP) for _ in range(3)]
time.sleep(0.3)
tap(closed_by_server(socks[0], wait=2) and not closed_by_server(socks[2]),
    "a third silent TLS client from one address evicts the oldest (--max-per-source 2)")
tap(d.wait_log("too many unanswered connections from one address", 2),
    "... as the flood rules say", d.text()[-400:])
for x in socks:
    x.close()
d.stop()

# --- --require-tls ----------------------------------------------------------------
d = daemon(PORT_REQ, TLS_ARGS + ["--require-tls"], "req.log")
reply = devlist(PORT_REQ, timeout=3)
tap(reply == b"", "--require-tls: a plaintext DEVLIST gets no reply, only a close", repr(reply))
tap(d.wait_log("refused: plaintext USB/IP, and TLS is required (--require-tls)", 3) and
    "127.0.0.1:" in d.text(), "... logged with the peer", d.text()[-400:])
d.stop()

# --- [tls] in usbipd.conf -------------------------------------------------------
good = conf("tls.conf", "[usbipd]\n[tls]\ncert=%s/server.pem\nkey=%s/server-key.pem\n"
            "ca=%s/ca.pem\nrequire=true\n" % (G, G, G))
d = daemon(PORT_CONF, [], "conf.log", config=good)
tap(devlist(PORT_CONF, timeout=3) == b"" and
    d.wait_log("refused: plaintext USB/IP, and TLS is required", 3),
    "[tls] cert=, key=, ca=, require=true work as the options")
d.stop()


# --- a reload during a handshake: the handshake keeps the credentials it began with
tls_conf = conf("reload.conf", "[usbipd]\n[tls]\ncert=%s/server.pem\nkey=%s/server-key.pem\n"
                "ca=%s/ca.pem\n" % (G, G, G))
d = daemon(PORT_CONF, [], "reload.log", config=tls_conf)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.load_verify_locations(G + "/ca.pem")
ctx.load_cert_chain(G + "/client-alice.pem", G + "/client-alice-key.pem")
raw = socket.create_connection(("127.0.0.1", PORT_CONF), timeout=5)
raw.setblocking(False)
hs = ctx.wrap_socket(raw, server_hostname="127.0.0.1", do_handshake_on_connect=False)


def step():
    try:
        hs.do_handshake()
        return True
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False


step()                      # ClientHello out
select.select([hs], [], [], 5)
# The server has answered with its certificate: now the file names another CA.
with open(tls_conf, "w") as f:
    f.write("[usbipd]\n[tls]\ncert=%s/server.pem\nkey=%s/server-key.pem\nca=%s/ca.pem\n"
            % (G, G, O))
d.signal(signal.SIGHUP)
reloaded = d.wait_log("reloading configuration", 5)
time.sleep(0.2)
finished = False
end = time.time() + 5
while not finished and time.time() < end:
    try:
        finished = step()
    except (ssl.SSLError, OSError):
        break
    if not finished:
        select.select([hs], [], [], 0.5)
tap(reloaded and (d.wait_log("TLS established", 3) or
                  d.wait_log("refused: kernel TLS is not available", 3)) and
    "TLS handshake failed" not in d.text(),
    "a handshake under way when the CA is replaced finishes with the credentials it began with",
    d.text()[-600:])
hs.close()
r, what = tls_client(PORT_CONF, G + "/client-alice")
tap(r != "ok" and d.wait_log("client certificate not accepted", 3),
    "... and the next client is checked against the new CA", d.text()[-400:])
d.stop()


def start_fails(args, config, needle, name):
    log = os.path.join(WORK, "fail.log")
    with open(log, "w") as err:
        p = subprocess.run([USBIPD, "--config", config, "-t", str(PORT_CONF)] + args,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=10)
    text = open(log).read()
    tap(p.returncode != 0 and needle in text, name, text[-400:])


start_fails([], conf("b1.conf", "[tls]\ncert=%s/server.pem\n" % G),
            "TLS needs both a certificate and its key", "a certificate without a key is an error")
start_fails([], conf("b2.conf", "[tls]\nrequire=true\n"),
            "require-tls without a server certificate", "require without a certificate is an error")
start_fails([], conf("b3.conf", "[tls]\ncerts=x\n"),
            "unknown setting 'certs' in [tls]", "an unknown key in [tls] is an error")
start_fails([], conf("b4.conf", "[usbipd]\ntls-cert=x\n"),
            "belongs in the [tls] group", "TLS keys in [usbipd] point to [tls]")
start_fails(["--tls-cert", WORK + "/nope.pem", "--tls-key", G + "/server-key.pem"], EMPTY,
            "certificate %s/nope.pem: No such file or directory" % WORK,
            "a missing certificate file is named with the reason")
start_fails(["--tls-cert", G + "/server.pem", "--tls-key", O + "/client-mallory-key.pem"], EMPTY,
            "matching the certificate", "a key that does not match the certificate is an error")
done()
