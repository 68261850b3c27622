#!/usr/bin/env python3
"""Tiny USB/IP management client for capturing a server's raw replies.

usage: wire-client.py [-p PORT] [-H HOST] [-t TIMEOUT] devlist
       wire-client.py ... import BUSID
       wire-client.py ... raw HEXBYTES          (send exactly these bytes)
       wire-client.py ... rawclose HEXBYTES     (send, then shutdown(SHUT_WR))
Prints the reply as `xxd -p` style hex (30 bytes per line) on stdout, and on
stderr one line: "bytes=<n> end=<closed|timeout>" (closed = server closed the
connection / EOF; timeout = nothing more within TIMEOUT seconds, socket still open).
"""
import argparse
import socket
import struct
import sys

ap = argparse.ArgumentParser()
ap.add_argument("-p", "--port", type=int, default=3240)
ap.add_argument("-H", "--host", default="127.0.0.1")
ap.add_argument("-t", "--timeout", type=float, default=2.0)
ap.add_argument("op")
ap.add_argument("arg", nargs="?")
a = ap.parse_args()

if a.op == "devlist":
    req = struct.pack(">HHI", 0x0111, 0x8005, 0)
elif a.op == "import":
    req = struct.pack(">HHI", 0x0111, 0x8003, 0) + a.arg.encode().ljust(32, b"\0")[:32]
elif a.op in ("raw", "rawclose"):
    req = bytes.fromhex(a.arg or "")
else:
    sys.exit("unknown op")

s = socket.create_connection((a.host, a.port))
s.sendall(req)
if a.op == "rawclose":
    s.shutdown(socket.SHUT_WR)
s.settimeout(a.timeout)
data = b""
end = "timeout"
while True:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    except ConnectionResetError:
        end = "reset"
        break
    if not chunk:
        end = "closed"
        break
    data += chunk
h = data.hex()
for i in range(0, len(h), 60):
    print(h[i:i + 60])
print("bytes=%d end=%s" % (len(data), end), file=sys.stderr)
