#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbipd keeps its device list current from uevents instead of rescanning
sysfs per request: bind, unbind, unplug and status changes show in the next
DEVLIST.  Runs under umockdev-wrapper with the umockdev testbed API
(python3-gi), which can send uevents to the daemon; prints TAP.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (FIXTURES, USBIPD, Usbipd, in_umockdev_wrapper, real_binary,  # noqa: E402
                     testbed_bind, testbed_unbind)
from taplib import tap, done  # noqa: E402
from usbipwire import busids, devlist as wire_devlist  # noqa: E402

in_umockdev_wrapper()
import gi  # noqa: E402
gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

# The libtool wrapper would run outside the preload; call the real binary.
usbipd = real_binary(USBIPD)
fixture = os.path.join(FIXTURES, "host-bound.umockdev")
PORT = 13271
USB1 = "/sys/devices/pci0000:00/0000:00:14.0/usb1"


def devlist():
    """Bus ids in the DEVLIST reply, in order."""
    return busids(wire_devlist(PORT, timeout=5))


tb = UMockdev.Testbed.new()
tb.add_from_file(fixture)
root = tb.get_root_dir()
log = os.path.join(root, "usbipd.log")
d = Usbipd(["-d", "-t", str(PORT)], log, binary=usbipd,
           env=dict(os.environ, UMOCKDEV_DIR=root))


def rescans():
    return len(re.findall(r"device list rebuilt", open(log).read()))


def bind(busid, status="1\n"):
    testbed_bind(tb, root, USB1 + "/" + busid, status)


def unbind(busid):
    testbed_unbind(tb, root, USB1 + "/" + busid)


first = devlist()
base = rescans()
for _ in range(20):
    devlist()
tap(rescans() == base, "20 requests without uevents: no sysfs rescan (%d rebuilds)" % (rescans() - base))
tap("1-7" not in first, "1-7 not exported at start", first)

bind("1-7")
after = devlist()
tap("1-7" in after, "bind uevent: 1-7 in the very next DEVLIST", after)
tap(rescans() == base + 1, "one rescan for the event")

tb.set_attribute(USB1 + "/1-7", "usbip_status", "2\n")
now = devlist()
tap("1-7" not in now and rescans() == base + 1,
    "device taken by a client (usbip_status 2) leaves the list without a rescan", now)
tb.set_attribute(USB1 + "/1-7", "usbip_status", "1\n")
tap("1-7" in devlist(), "and comes back when released")

unbind("1-7")
now = devlist()
tap("1-7" not in now, "unbind uevent: 1-7 gone from the next DEVLIST", now)

tb.remove_device(USB1 + "/1-2")
now = devlist()
tap("1-2" not in now, "unplug (remove uevent): 1-2 gone from the next DEVLIST", now)
tap(set(now) == set(first) - {"1-2"}, "the other devices are unchanged", "%s\n%s" % (first, now))

tap(d.stop() == 0, "usbipd stops cleanly")
done()
