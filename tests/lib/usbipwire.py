# SPDX-License-Identifier: GPL-2.0-or-later
"""The USB/IP wire format for the Python test drivers: requests, one client
exchange read to the server's close, the bus ids of a DEVLIST reply, device
records and a scripted fake server."""
import socket
import struct
import threading

VERSION = 0x0111
OP_REQ_IMPORT = 0x8003
OP_REQ_DEVLIST = 0x8005


def op(code, status=0, version=VERSION):
    """An op_common header."""
    return struct.pack(">HHI", version, code, status)


def imp(busid_bytes):
    """OP_REQ_IMPORT for a bus id field (cut or padded to 32 bytes)."""
    return op(OP_REQ_IMPORT) + busid_bytes.ljust(32, b"\0")[:32]


def exchange(port, data, host="127.0.0.1", timeout=3.0, shut=False, source=None,
             family=socket.AF_INET):
    """Sends data and reads until the server closes.  Returns (reply, end):
    end is "closed" (EOF or reset), "timeout" (no end within timeout; reply is
    what came) or "refused" (no connection; reply is None)."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if source:
            s.bind((source, 0))
        s.connect((host, port))
    except OSError:
        s.close()
        return None, "refused"
    out, end = b"", "timeout"
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        while True:
            c = s.recv(65536)
            if not c:
                end = "closed"
                break
            out += c
    except socket.timeout:
        pass
    except (ConnectionResetError, BrokenPipeError):
        end = "closed"
    finally:
        s.close()
    return out, end


def devlist(port, **kw):
    """The DEVLIST reply up to the server's close, or None when there was no
    connection or no close within the timeout (exchange()'s keywords)."""
    out, end = exchange(port, op(OP_REQ_DEVLIST), **kw)
    return out if end == "closed" else None


def serves(port, **kw):
    """True when a DEVLIST request gets a whole reply (at least its header and
    device count) before the server closes: the server is up and answering."""
    r = devlist(port, **kw)
    return r is not None and len(r) > 12


def stalled(port, source=None, host="127.0.0.1", timeout=None):
    """A client that sent the first byte of a request and then nothing.
    usbipd defers accept() until a client speaks (TCP_DEFER_ACCEPT), so a
    connection that has sent nothing holds no handshake slot yet; this one
    does, until the handshake timeout or an eviction closes it."""
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    if timeout is not None:
        s.settimeout(timeout)
    if source is not None:
        s.bind((source, 0))
    s.connect((host, port))
    s.sendall(b"\x01")
    return s


def closed_by_server(s, wait=0.0):
    """True once the server has closed s (EOF or reset); False while open."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except (socket.timeout, BlockingIOError):
        return False
    except OSError:
        return True


def busids(reply):
    """The bus ids of the devices in a DEVLIST reply, in order."""
    ids, off = [], 12
    for _ in range(struct.unpack(">I", reply[8:12])[0]):
        ids.append(reply[off + 256:off + 288].split(b"\0")[0].decode())
        off += 312 + 4 * reply[off + 0x137]
    return ids


INTERFACE = bytes([8, 6, 0x50, 0])    # mass storage, SCSI, bulk-only


def device(busid=b"1-1", path=b"/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1", nif=1,
           raw_busid=None, raw_path=None, speed=3):
    """A 312-byte device record (a SanDisk stick); raw_* replace the padded
    fields byte for byte."""
    d = (raw_path if raw_path is not None else path.ljust(256, b"\0"))
    d += raw_busid if raw_busid is not None else busid.ljust(32, b"\0")
    d += struct.pack(">IIIHHHBBBBBB", 1, 2, speed, 0x0781, 0x5567, 0x0100, 0, 0, 0, 1, 1, nif)
    assert len(d) == 312
    return d


class FakeServer:
    """A listening socket on 127.0.0.1 that reads each client's request (up
    to 40 bytes, kept in server.request) and hands the connection to
    behaviour(conn, server).  PORT 0: any free port."""

    def __init__(self, behaviour, conn_timeout=10, port=0):
        self.behaviour = behaviour
        self.conn_timeout = conn_timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            try:
                c.settimeout(self.conn_timeout)
                self.request = c.recv(40)
                self.behaviour(c, self)
            except OSError:
                pass
            finally:
                c.close()

    def close(self):
        self.stop = True
        self.t.join()
        self.sock.close()
