# SPDX-License-Identifier: GPL-2.0-or-later
"""The USB/IP wire format for the Python test drivers: requests, one client
exchange read to the server's close, and the bus ids of a DEVLIST reply."""
import socket
import struct

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


def busids(reply):
    """The bus ids of the devices in a DEVLIST reply, in order."""
    ids, off = [], 12
    for _ in range(struct.unpack(">I", reply[8:12])[0]):
        ids.append(reply[off + 256:off + 288].split(b"\0")[0].decode())
        off += 312 + 4 * reply[off + 0x137]
    return ids
