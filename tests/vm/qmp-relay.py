#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""qmp-relay.py CTL_SOCKET QMP_SOCKET LOG [NAME=VALUE...]

Gives the test VM's guest script access to QEMU's monitor.  The guest writes
"MON <HMP command>" lines on its third serial port (CTL_SOCKET on the host);
each is run through QMP's human-monitor-command and answered with the
monitor's output as "R <line>" lines followed by "OK" or "ERR <reason>".
"@NAME@" in a command is replaced by VALUE from the arguments (host paths the
guest cannot know, e.g. @SS_IMG@ for the SuperSpeed stick's image).
A device_del is answered only once QEMU reports the device gone
(DEVICE_DELETED): the guest can plug a new one on the same port right away and
QEMU has released the image file.
Both sockets are QEMU's (server=on,wait=off); the relay ends when QEMU does.
Every command, its answer and the time go to LOG.
"""
import json
import socket
import sys
import time

DEL_TIMEOUT = 10.0
ACTIONS = ("device_del", "device_add", "drive_add", "drive_del")


def connect(path, deadline):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class Qmp:
    def __init__(self, sock):
        self.sock = sock
        self.f = sock.makefile("rwb", buffering=0)
        self.events = []
        self.recv()  # greeting
        self.command("qmp_capabilities")

    def recv(self):
        line = self.f.readline()
        if not line:
            raise EOFError("QMP socket closed")
        return json.loads(line)

    def command(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.recv()
            if "event" in r:
                self.events.append(r)
                continue
            return r

    def wait_deleted(self, dev, timeout):
        deadline = time.monotonic() + timeout
        while True:
            for e in self.events:
                if e.get("event") == "DEVICE_DELETED" and e.get("data", {}).get("device") == dev:
                    self.events.remove(e)
                    return True
            if time.monotonic() > deadline:
                return False
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                r = self.recv()
            except (socket.timeout, TimeoutError):
                continue
            finally:
                self.sock.settimeout(None)
            if "event" in r:
                self.events.append(r)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ctl_path, qmp_path, log_path = sys.argv[1:4]
    subst = {}
    for a in sys.argv[4:]:
        k, _, v = a.partition("=")
        subst["@" + k + "@"] = v
    log = open(log_path, "a", buffering=1)
    t0 = time.monotonic()

    def say(msg):
        log.write("[%7.2f] %s\n" % (time.monotonic() - t0, msg))

    deadline = time.monotonic() + 30
    try:
        qsock = connect(qmp_path, deadline)
        csock = connect(ctl_path, deadline)
    except OSError as e:
        say("cannot connect: %s" % e)
        return 1
    qmp = Qmp(qsock)
    ctl = csock.makefile("rwb", buffering=0)
    say("connected")
    while True:
        raw = ctl.readline()
        if not raw:
            say("control channel closed")
            return 0
        line = raw.decode("utf-8", "replace").strip("\r\n\x00 ")
        if not line.startswith("MON "):
            if line:
                say("ignored: %r" % line)
            continue
        cmd = line[4:].strip()
        if not cmd:
            ctl.write(b"ERR empty command\n")
            continue
        for k, v in subst.items():
            cmd = cmd.replace(k, v)
        say("guest> " + cmd)
        out = []
        try:
            r = qmp.command("human-monitor-command", **{"command-line": cmd})
            if "error" in r:
                status = "ERR " + r["error"].get("desc", "error")
            else:
                text = r.get("return", "")
                out = [l for l in text.replace("\r", "").split("\n") if l]
                words = cmd.split()
                # HMP reports the failures of these as text, not as a QMP
                # error; on success they print nothing or "OK".
                if words[0] in ACTIONS and out and out != ["OK"]:
                    status = "ERR " + out[0]
                else:
                    status = "OK"
                if not out and words[0] == "device_del" and len(words) > 1:
                    if not qmp.wait_deleted(words[1], DEL_TIMEOUT):
                        status = "ERR no DEVICE_DELETED for %s within %gs" % (words[1], DEL_TIMEOUT)
        except EOFError:
            say("QMP closed")
            return 0
        for l in out:
            say("  | " + l)
        say("  -> " + status)
        reply = "".join("R %s\n" % l for l in out) + status + "\n"
        try:
            ctl.write(reply.encode())
        except OSError:
            return 0


if __name__ == "__main__":
    sys.exit(main())
