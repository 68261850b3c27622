#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Export rules (usbip-export-rules(5)): usbipd binds the devices a rule names
at start, when they appear (uevent add, also under a new bus id) and when the
file changes; never a hub or a device behind vhci_hcd; a broken file is named
with its line.  `usbip bind --persist` stores a rule that a restarted usbipd
applies, `unbind --persist` removes it, `list -l` shows the rule.  Runs under
umockdev-wrapper (testbed API: uevents); prints TAP.
"""
import atexit
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (FIXTURES, USBIP, USBIPD, Usbipd, file_text, in_umockdev_wrapper,  # noqa: E402
                     real_binary, work_dir)
from taplib import tap, done  # noqa: E402
from usbipwire import busids, devlist as wire_devlist  # noqa: E402

in_umockdev_wrapper()
import gi  # noqa: E402
gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

usbipd = real_binary(USBIPD)
usbip = real_binary(USBIP)
PORT = 13292          # no other test uses it: they run in parallel
USB1 = "/sys/devices/pci0000:00/0000:00:14.0/usb1"
USB3 = "/sys/devices/platform/vhci_hcd.0/usb3"

tb = UMockdev.Testbed.new()
tb.add_from_file(os.path.join(FIXTURES, "host-bound.umockdev"))
tb.add_from_file(os.path.join(FIXTURES, "vhci.umockdev"))
root = tb.get_root_dir()
# The driver directories the umockdev format cannot describe (as tb-run.sh
# makes them): usbip-host "loaded", the generic driver of the others.
for drv in ("usbip-host", "usb"):
    os.makedirs(root + "/sys/bus/usb/drivers/" + drv, exist_ok=True)
    for f in ("bind", "unbind", "match_busid", "rebind"):
        open(root + "/sys/bus/usb/drivers/%s/%s" % (drv, f), "w").close()
work = work_dir()
env = dict(os.environ, UMOCKDEV_DIR=root)
rules = os.path.join(work, "export.rules")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def start(path, name="usbipd.log"):
    d = Usbipd(["-d", "-t", str(PORT), "--rules", path], os.path.join(work, name),
               binary=usbipd, env=env)
    # Not left running when a check above its stop() raises.
    atexit.register(lambda: d.p.poll() is None and d.p.kill())
    return d


def plug(parent, busid, vid, pid, serial=None, cls="00", props=()):
    """A new USB device and its "add" uevent."""
    attrs = ["idVendor", vid + "\n", "idProduct", pid + "\n", "bDeviceClass", cls + "\n",
             "bConfigurationValue", "1\n", "bNumInterfaces", " 1\n", "speed", "480\n",
             "busnum", busid[0] + "\n", "devnum", "9\n"]
    if serial is not None:
        attrs += ["serial", serial + "\n"]
    sp = tb.add_device("usb", busid, parent, attrs,
                        ["DEVTYPE", "usb_device", "DRIVER", "usb"] + list(props))
    tb.uevent(sp, "add")
    return sp


def bound(d, busid):
    return len(re.findall(r"bound %s \([0-9a-f:]+\) by rule" % re.escape(busid), d.text()))


write(rules, "# test rules\n"
      "hardware-id=046d:c077\n"
      "hardware-id=05e3:0620   # the hub 2-1: never bound\n"
      "hardware-id=0781:5567   # 1-1 (bound already) and 3-1 (behind vhci_hcd)\n"
      "serial=\"SN 42\"\n"
      "path=pci-0000:00:14.0-usb-0:13\n"
      "path=pci-0000:00:14.0-usb-0:16\n")

# --- start-up
d = start(rules)
tap(d.ready, "usbipd starts with the rules", d.text())
log = d.text()
tap("bound 1-7 (046d:c077) by rule export.rules:2" in log,
    "at start: the unbound 1-7 is bound, the log names the rule", log)
tap((file_text(root + "/sys/bus/usb/drivers/usbip-host/bind") or "").strip() == "1-7",
    "and usbip-host's bind file got 1-7")
tap(bound(d, "2-1") == 0 and "not binding 2-1 (rule export.rules:3): hubs" in log,
    "a hub a rule matches is not bound (said in the debug log)", log)
tap(bound(d, "3-1") == 0 and "not binding 3-1 (rule export.rules:4)" in log and
    "vhci_hcd" in log, "a device behind vhci_hcd a rule matches is not bound", log)
tap(bound(d, "1-1") == 0, "a device already bound is left alone")

# --- hotplug
plug(USB1, "1-9", "1234", "5678", serial="SN 42")
tap(d.wait_log("bound 1-9 (1234:5678) by rule export.rules:5", 10),
    "uevent add: the new device 1-9 is bound by its serial", d.text())
tb.remove_device(USB1 + "/1-9")
plug(USB1, "1-10", "1234", "5678", serial="SN 42")
tap(d.wait_log("bound 1-10 (1234:5678) by rule export.rules:5", 10),
    "replugged under another bus id (1-10): bound again", d.text())
plug(USB1, "1-13", "4321", "0001", props=["ID_PATH", "pci-0000:00:14.0-usb-0:13"])
tap(d.wait_log("bound 1-13 (4321:0001) by rule export.rules:6", 10),
    "a device on the port a path rule names is bound", d.text())
# udev describes a device after the kernel's uevent: ID_PATH comes later.
sp = plug(USB1, "1-16", "7777", "0001")
d.wait_log("uevent add %s/1-16" % USB1, 10)
time.sleep(0.7)
tap(bound(d, "1-16") == 0, "a device without ID_PATH yet: not bound by a path rule")
tb.set_property(sp, "ID_PATH", "pci-0000:00:14.0-usb-0:16")
tap(d.wait_log("bound 1-16 (7777:0001) by rule export.rules:7", 10),
    "bound once udev has given its ID_PATH", d.text())
plug(USB1, "1-11", "05e3", "0620", cls="09")
plug(USB3, "3-9", "046d", "c077")
plug(USB1, "1-12", "aaaa", "0001", serial="other")
d.wait_log("uevent add %s/1-12" % USB1, 10)
devlist = busids(wire_devlist(PORT, timeout=5))
tap(bound(d, "1-11") == 0 and bound(d, "3-9") == 0 and bound(d, "1-12") == 0,
    "hub, vhci device and a device no rule names: not bound when they appear", d.text())
# A bind uevent of a device considered already (a plain `usbip unbind`
# hands it back to "usb"): left alone until it is replugged.
tb.uevent(USB1 + "/1-7", "bind")
devlist = busids(wire_devlist(PORT, timeout=5))
tap(bound(d, "1-7") == 1, "a later bind uevent does not bind 1-7 again")

# --- the file changes: read again at the next uevent
write(rules, file_text(rules) + "hardware-id=aaaa:0002\n")
plug(USB1, "1-14", "aaaa", "0002")
tap(d.wait_log("bound 1-14 (aaaa:0002) by rule export.rules:8", 10),
    "rules file changed: read again at the next uevent, the new rule applies", d.text())

# --- SIGHUP with a broken file: reported with file:line, old rules stay
write(rules, "hardware-id=aaaa:0003\ncolour=red\n")
d.signal(signal.SIGHUP)
tap(d.wait_log("export.rules:2: unknown key", 10) and
    d.wait_log("the previous rules stay in force", 10), "SIGHUP, broken file: "
    "file:line in the log, the previous rules stay", d.text())
# The reload ends by looking at every device again: answered only after
# that (one thread), a device list keeps the plug-in out of that pass.
wire_devlist(PORT, timeout=10)
plug(USB1, "1-15", "046d", "c077")
tap(d.wait_log("bound 1-15 (046d:c077) by rule export.rules:2", 10),
    "and still apply to a new device", d.text())
tap(d.stop() == 0, "usbipd stops cleanly")

# --- start with a broken file: reported, no rules, still serving
write(rules, "# fine\n\nbusid=1-7 serial=\"open\n")
d = start(rules, "broken.log")
tap(d.ready and "export.rules:3: missing closing quote" in d.text() and
    "no device is bound by a rule until the file is fixed" in d.text(),
    "broken file at start: file:line logged, usbipd serves anyway", d.text())
tap(bound(d, "1-7") == 0 and "1-1" in busids(wire_devlist(PORT, timeout=5)),
    "no device bound by a rule; exported devices still listed")
tap(d.stop() == 0, "usbipd stops cleanly")


# --- the client: bind/unbind --persist, list -l
os.mkdir(os.path.join(work, "etc"))
persist = os.path.join(work, "etc", "usbip", "export.rules")
cenv = dict(env, USBIP_EXPORT_RULES=persist)


def client(*args, e=cenv):
    p = subprocess.run([usbip] + list(args), env=e, capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


rc, out, err = client("bind", "--persist", "-b", "1-7")
tap(rc == 0 and file_text(persist) == "busid=1-7\n" and "added to" in err,
    "bind --persist -b 1-7: rule written (file and directory made), device bound",
    "rc=%d\n%s%s" % (rc, err, file_text(persist)))
rc, out, err = client("bind", "--persist", "-b", "1-99")
tap(rc == 0 and file_text(persist) == "busid=1-7\nbusid=1-99\n" and
    "binds it when it appears" in err, "bind --persist of an absent device: rule "
    "stored, the message says when it is bound", "rc=%d\n%s" % (rc, err))
rc, out, err = client("bind", "--persist", "-b", "2-1")
tap(rc != 0 and "hub" in err and "busid=2-1" not in file_text(persist),
    "bind --persist of a hub: refused, no rule", "rc=%d\n%s" % (rc, err))
rc, out, err = client("bind", "--persist", "-b", "1-7")
tap(rc == 0 and file_text(persist).count("busid=1-7") == 1 and "already in" in err,
    "the same rule twice: stored once", err)

for i, name in enumerate(("restart-1.log", "restart-2.log")):
    d = start(persist, name)
    tap(d.ready and "bound 1-7 (046d:c077) by rule export.rules:1" in d.text(),
        "usbipd %s binds 1-7 from the stored rule" % ("start" if i == 0 else "restart"),
        d.text())
    tap(d.stop() == 0, "usbipd stops cleanly")

rc, out, err = client("list", "-l")
m = re.search(r" - busid 1-7 \(046d:c077\)\n   [^\n]*\n   export rule: export.rules:1\n\n", out)
tap(rc == 0 and m is not None and out.count("export rule:") == 1,
    "list -l marks the device a rule covers, and only it", out)
rc_none, out_none, _ = client("list", "-l", e=dict(env, USBIP_EXPORT_RULES=work + "/none"))
rc_def, out_def, _ = client("list", "-l", e=env)
tap(rc_none == 0 and out_none == out_def and "export rule" not in out_none and
    out_none == out.replace("   export rule: export.rules:1\n", ""),
    "without a rules file list -l prints what it always did", out_none)

rc, out, err = client("unbind", "--persist", "-b", "1-99")
tap(rc == 0 and file_text(persist) == "busid=1-7\n" and "removed from" in err,
    "unbind --persist of an absent device removes its rule", "rc=%d\n%s" % (rc, err))
rc, out, err = client("unbind", "--persist", "-b", "1-99")
tap(rc != 0 and "no export rule" in err, "unbind --persist without such a rule: an error",
    "rc=%d\n%s" % (rc, err))
rc, out, err = client("unbind", "--persist", "-b", "1-7")
tap(rc == 0 and file_text(persist) == "", "unbind --persist -b 1-7 removes the last rule",
    "rc=%d\n%s" % (rc, err))
d = start(persist, "restart-3.log")
tap(d.ready and bound(d, "1-7") == 0, "and a restarted usbipd binds nothing", d.text())
tap(d.stop() == 0, "usbipd stops cleanly")

write(persist, "busid=1-7\nbogus\n")
rc, out, err = client("bind", "--persist", "-b", "1-2")
tap(rc != 0 and "export.rules:2: expected key=value" in err and
    file_text(persist) == "busid=1-7\nbogus\n", "a broken file: the client names the line "
    "and does not rewrite it", "rc=%d\n%s" % (rc, err))
done()
