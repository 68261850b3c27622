#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""usbip --json (usbip-json(7)) and list -r with several servers.

Checks the JSON of list -l (host-serial.umockdev: names, serials, physical
ports, drivers, an export rule), list -d (vudc.umockdev), port (vhci.umockdev
with the port records of tests/fixtures/vhci-records) and list -r (fake
servers in Python) member by member, empty lists as [], invalid UTF-8 from a
server, and errors: nothing on stdout, a message on stderr, exit 1.  Then
several servers at once: one answering, one answering slowly (within the
timeout), one never answering (beyond a short --timeout) and a refused port;
the total time is the slowest one's, not the sum; order, messages, JSON error
entries, -p lines and exit codes.  Each usbip runs in its testbed through
tb-run.sh; the fake servers are on loopback (ports 13320-13329).  Prints TAP.
"""
import json
import os
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import FIXTURES, TB_RUN, USBIP, require_root, work_dir  # noqa: E402
from taplib import tap, done  # noqa: E402
from usbipwire import FakeServer, INTERFACE, device, op  # noqa: E402

require_root()
work = work_dir()
P_GOOD, P_SLOW, P_SILENT, P_EMPTY, P_BADPATH, P_BADBUSID, P_REFUSED = range(13320, 13327)
TIMEOUT = 3             # --timeout of the multi-server runs, seconds
SLOW = 2                # the slow server's delay, within TIMEOUT


def usbip(*args, fixture=None, tb_opts=(), env=None, timeout=60):
    """Our usbip, in FIXTURE's testbed if given: (rc, stdout, stderr, seconds)."""
    cmd = [USBIP] + [str(a) for a in args]
    if fixture:
        fx = fixture if fixture == "none" else os.path.join(FIXTURES, fixture)
        cmd = [TB_RUN] + list(tb_opts) + [fx, "--"] + cmd
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace"), time.time() - t0


def parse(out):
    try:
        return json.loads(out)
    except ValueError:
        return None


def detail(r):
    return "rc=%d (%.1f s)\nstdout:\n%s\nstderr:\n%s" % (r[0], r[3], r[1], r[2])


def is_hex(v, digits):
    return isinstance(v, str) and len(v) == digits and all(c in "0123456789abcdef" for c in v)


def check_class(c):
    return isinstance(c, dict) and set(c) == {"class", "subclass", "protocol", "name"} and \
        all(is_hex(c[k], 2) for k in ("class", "subclass", "protocol")) and \
        (c["name"] is None or isinstance(c["name"], str))


USB_DEVICE_KEYS = {"busid", "vendor_id", "product_id", "vendor_name", "product_name", "serial",
                   "path", "busnum", "devnum", "speed", "bcd_device", "class",
                   "configuration_value", "num_configurations", "interfaces"}
LOCAL_KEYS = {"busid", "vendor_id", "product_id", "vendor_name", "product_name", "serial",
              "id_path", "driver", "bound", "export_rule"}
PORT_KEYS = {"port", "status", "speed", "vendor_id", "product_id", "vendor_name",
             "product_name", "serial", "local_busid", "record", "remote_busnum",
             "remote_devnum", "supervisors", "tls"}


def check_usb_device(d):
    """Every member of a USB device object, typed as usbip-json(7) says."""
    return isinstance(d, dict) and set(d) >= USB_DEVICE_KEYS and \
        is_hex(d["vendor_id"], 4) and is_hex(d["product_id"], 4) and \
        is_hex(d["bcd_device"], 4) and d["serial"] is None and \
        isinstance(d["busnum"], int) and isinstance(d["devnum"], int) and \
        d["speed"] in ("low", "full", "high", "wireless", "super", "super_plus", "unknown") and \
        check_class(d["class"]) and isinstance(d["interfaces"], list) and \
        all(set(i) == {"number", "class"} and check_class(i["class"])
            for i in d["interfaces"])


# ------------------------------------------------------------- list -l --json

rules = os.path.join(work, "export.rules")
with open(rules, "w") as f:
    f.write("# test\nhardware-id=0951:1666 serial=K0002\n")
RULES_ENV = {"USBIP_EXPORT_RULES": rules}
r = usbip("list", "-l", "--json", fixture="host-serial.umockdev", env=RULES_ENV)
doc = parse(r[1])
tap(r[0] == 0 and doc is not None and (doc or {}).get("version") == 1 and
    (doc or {}).get("command") == "list-local" and isinstance((doc or {}).get("devices"), list),
    "list -l --json: a version 1 list-local document", detail(r))
devs = {d["busid"]: d for d in (doc or {}).get("devices", [])}
tap(sorted(devs) == ["1-1", "1-2", "1-3", "1-4", "1-5"] and
    all(set(d) == LOCAL_KEYS for d in devs.values()),
    "list -l --json: every device, with exactly the documented members", detail(r))
d = devs.get("1-1", {})
tap(d.get("vendor_id") == "0781" and d.get("product_id") == "5567" and
    d.get("vendor_name") == "SanDisk Corp." and d.get("product_name") == "Cruzer Blade" and
    d.get("serial") == "4C530001" and d.get("id_path") == "pci-0000:00:14.0-usb-0:1" and
    d.get("driver") == "usb" and d.get("bound") is False and d.get("export_rule") is None,
    "list -l --json: ids, names, serial, physical port, driver of 1-1", json.dumps(d))
tap(devs.get("1-3", {}).get("serial") == "",
    "list -l --json: a device without a serial has \"\" (known empty)",
    json.dumps(devs.get("1-3")))
tap(devs.get("1-4", {}).get("bound") is True and devs.get("1-4", {}).get("driver") == "usbip-host"
    and devs.get("1-4", {}).get("export_rule") is None and
    devs.get("1-5", {}).get("export_rule") == {"file": rules, "line": 2},
    "list -l --json: bound to usbip-host, and the export rule's file and line",
    json.dumps([devs.get("1-4"), devs.get("1-5")]))
r2 = usbip("list", "-l", fixture="host-serial.umockdev", env=RULES_ENV)
tap(r2[0] == 0 and "export rule: export.rules:2" in r2[1] and "{" not in r2[1],
    "list -l without --json: the text output, rule note included", detail(r2))

r = usbip("list", "-l", "--json", "-i", "0951:1666", fixture="host-serial.umockdev")
doc = parse(r[1])
tap(r[0] == 0 and doc and [d["busid"] for d in doc["devices"]] == ["1-4", "1-5"],
    "list -l --json -i: only the selected devices", detail(r))
r = usbip("list", "-l", "--json", "-i", "1234:5678", fixture="host-serial.umockdev")
doc = parse(r[1])
tap(r[0] == 0 and doc and doc["devices"] == [] and "no device matches" in r[2],
    "list -l --json, nothing selected: an empty array, the note on stderr", detail(r))
r = usbip("list", "-l", "--json", fixture="none")
doc = parse(r[1])
tap(r[0] == 0 and doc == {"version": 1, "command": "list-local", "devices": []},
    "list -l --json without devices: \"devices\": []", detail(r))
r = usbip("list", "-l", "--json", "-p", fixture="host-serial.umockdev")
tap(r[0] == 1 and r[1] == "" and "--json and -p" in r[2],
    "list --json -p: an error on stderr, nothing on stdout, exit 1", detail(r))
r = usbip("list", "-l", "--json", fixture="host-missing-attr.umockdev")
tap(r[0] == 1 and r[1] == "" and "problem getting device attributes" in r[2],
    "list -l --json, a device unreadable: nothing on stdout, exit 1", detail(r))

# ------------------------------------------------------------- list -d --json

r = usbip("list", "-d", "--json", fixture="vudc.umockdev")
doc = parse(r[1])
g = (doc or {}).get("devices") or [{}]
tap(r[0] == 0 and (doc or {}).get("command") == "list-gadgets" and len(doc["devices"]) == 1 and
    check_usb_device(g[0]) and g[0]["busid"] == "usbip-vudc.0" and
    g[0]["vendor_id"] == "1d6b" and g[0]["product_id"] == "0104" and
    g[0]["vendor_name"] == "Linux Foundation" and
    g[0]["product_name"] == "Multifunction Composite Gadget" and
    g[0]["status"] == "available",
    "list -d --json: the gadget as a USB device object with its status", detail(r))
r = usbip("list", "-d", "--json", fixture="none")
tap(r[0] == 0 and parse(r[1]) == {"version": 1, "command": "list-gadgets", "devices": []},
    "list -d --json without gadgets: \"devices\": []", detail(r))

# ---------------------------------------------------------------- port --json

r = usbip("port", "--json", fixture="vhci.umockdev",
          tb_opts=("-r", os.path.join(FIXTURES, "vhci-records")))
doc = parse(r[1])
ports = {p["port"]: p for p in (doc or {}).get("ports", [])}
tap(r[0] == 0 and (doc or {}).get("command") == "port" and (doc or {}).get("supervised") == [] and ports and
    all(set(p) == PORT_KEYS for p in ports.values()),
    "port --json: a port document, each port with exactly the documented members", detail(r))
p0 = ports.get(0, {})
tap(p0.get("status") == "used" and p0.get("speed") == "full" and
    p0.get("vendor_id") == "0781" and p0.get("product_id") == "5567" and
    p0.get("vendor_name") == "SanDisk Corp." and p0.get("product_name") == "Cruzer Blade" and
    p0.get("local_busid") == "3-1" and
    p0.get("record") == {"host": "192.168.1.10", "port": "3240", "busid": "1-1"} and
    p0.get("remote_busnum") == 1 and p0.get("remote_devnum") == 4 and
    p0.get("supervisors") == [] and isinstance(p0.get("serial"), str) and
    p0.get("tls") is False,
    "port --json: port 0 with its record, remote bus/dev and names", json.dumps(p0))
p1 = ports.get(1, {})
tap(1 in ports and 2 in ports and p1.get("record") is None and "read_record" in r[2] and
    ports.get(2, {}).get("vendor_name") is None and ports.get(2, {}).get("product_name") is None,
    "port --json: no record is null (the error on stderr), unknown names null",
    json.dumps([p1, ports.get(2)]) + "\n" + r[2])
# A port attached over TLS: its note (tls.port<N>) holds the record's line.
tls_records = os.path.join(work, "tls-records")
os.makedirs(tls_records, exist_ok=True)
for name in os.listdir(os.path.join(FIXTURES, "vhci-records")):
    with open(os.path.join(FIXTURES, "vhci-records", name)) as f, \
         open(os.path.join(tls_records, name), "w") as g:
        g.write(f.read())
with open(os.path.join(tls_records, "tls.port0"), "w") as f:
    f.write("192.168.1.10 3240 1-1\n")
with open(os.path.join(tls_records, "tls.port4"), "w") as f:
    f.write("another 3240 9-9\n")     # names another attachment: not this port's
r = usbip("port", "--json", fixture="vhci.umockdev", tb_opts=("-r", tls_records))
tls_ports = {p["port"]: p.get("tls") for p in (parse(r[1]) or {}).get("ports", [])}
tap(r[0] == 0 and tls_ports.get(0) is True and tls_ports.get(4) is False,
    "port --json: tls true for a port attached over TLS, false where the note is stale",
    detail(r))
r2 = usbip("port", fixture="vhci.umockdev", tb_opts=("-r", os.path.join(FIXTURES, "vhci-records")))
tap(r2[0] == 0 and r2[1].startswith("Imported USB devices\n"),
    "port without --json: the text output", detail(r2))
r = usbip("port", "--json", fixture="vhci-empty.umockdev")
tap(r[0] == 0 and parse(r[1]) == {"version": 1, "command": "port", "ports": [],
                                  "supervised": []},
    "port --json, no port in use: empty arrays", detail(r))
r = usbip("port", "--json", fixture="none")
tap(r[0] == 1 and r[1] == "" and "vhci_hcd" in r[2],
    "port --json without vhci_hcd: nothing on stdout, the error on stderr, exit 1", detail(r))
r = usbip("port", "--help")
tap(r[0] == 0 and "--json" in r[1], "port --help names --json", detail(r))
r = usbip("list", "--help")
tap(r[0] == 0 and "--json" in r[1], "list --help names --json", detail(r))

# --------------------------------------------------------- list -r: the servers

MOUSE = struct.pack(">IIIHHHBBBBBB", 1, 3, 1, 0x046d, 0xc077, 0x0200, 0, 0, 0, 1, 1, 1)


def reply(*devs):
    """OP_REP_DEVLIST with DEVS, each (record, [interfaces])."""
    data = op(0x0005) + struct.pack(">I", len(devs))
    for rec, intfs in devs:
        data += rec + b"".join(intfs)
    return data


STICK = (device(b"1-1", speed=3), [INTERFACE])
UNKNOWN = (device(b"2-1", path=b"/sys/devices/x/2-1")[:288] +
           struct.pack(">IIIHHHBBBBBB", 2, 5, 5, 0xdead, 0xbeef, 0x0001, 0xff, 0xfe, 0xfd, 1, 1, 2),
           [bytes([0xff, 0x42, 0x01, 0]), INTERFACE])
BAD_PATH = (device(b"1-7", raw_path=b"/sys/\xff\xfe/caf\xc3\xa9/\x1b[31m".ljust(256, b"\0")),
            [INTERFACE])
BAD_BUSID = (device(raw_busid=b"1-\xff".ljust(32, b"\0")), [INTERFACE])


def answer(data, delay=0.0):
    def b(c, s):
        time.sleep(delay)
        c.sendall(data)
    return b


def silent(c, s):
    """Takes the request and never answers (until the test ends)."""
    while not s.stop:
        time.sleep(0.1)


servers = [FakeServer(answer(reply(STICK, UNKNOWN)), port=P_GOOD),
           FakeServer(answer(reply(STICK), SLOW), port=P_SLOW),
           FakeServer(silent, port=P_SILENT, conn_timeout=30),
           FakeServer(answer(reply()), port=P_EMPTY),
           FakeServer(answer(reply(BAD_PATH)), port=P_BADPATH),
           FakeServer(answer(reply(BAD_BUSID)), port=P_BADBUSID)]
H = "127.0.0.1"

r = usbip("-t", P_GOOD, "list", "-r", H, "--json")
doc = parse(r[1])
srv = (doc or {}).get("servers") or [{}]
devs = srv[0].get("devices") or [{}, {}]
tap(r[0] == 0 and (doc or {}).get("version") == 1 and (doc or {}).get("command") == "list-remote" and
    len(srv) == 1 and srv[0].get("host") == H and srv[0].get("port") == P_GOOD and
    len(devs) == 2 and all(check_usb_device(d) for d in devs),
    "list -r --json: one server entry, its devices with every member", detail(r))
d, u = devs[0], devs[1]
tap(d.get("busid") == "1-1" and d.get("vendor_name") == "SanDisk Corp." and
    d.get("product_name") == "Cruzer Blade" and d.get("speed") == "high" and
    d.get("path") == "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1" and
    d.get("busnum") == 1 and d.get("devnum") == 2 and d.get("bcd_device") == "0100" and
    d.get("class") == {"class": "00", "subclass": "00", "protocol": "00",
                       "name": "(Defined at Interface level)"} and
    d.get("interfaces") == [{"number": 0, "class": {"class": "08", "subclass": "06",
                                                     "protocol": "50",
                                                     "name": "Mass Storage / SCSI / Bulk-Only"}}],
    "list -r --json: a known device's values and names", json.dumps(d))
tap(u.get("vendor_id") == "dead" and u.get("product_id") == "beef" and
    u.get("vendor_name") is None and u.get("product_name") is None and
    u.get("speed") == "super" and u.get("class", {}).get("class") == "ff" and
    len(u.get("interfaces", [])) == 2 and u["interfaces"][1]["number"] == 1,
    "list -r --json: unknown ids give null names", json.dumps(u))

r = usbip("-t", P_EMPTY, "list", "-r", H, "--json")
tap(r[0] == 0 and parse(r[1]) == {"version": 1, "command": "list-remote", "servers": [
    {"host": H, "port": P_EMPTY, "devices": []}]} and "no exportable devices" in r[2],
    "list -r --json, a server without devices: \"devices\": []", detail(r))

r = usbip("list", "-r", "%s:%d" % (H, P_BADPATH), "--json")
doc = parse(r[1])
path = (((doc or {}).get("servers") or [{}])[0].get("devices") or [{}])[0].get("path")
tap(r[0] == 0 and path == "/sys/\\xff\\xfe/caf\\xc3\\xa9/\\x1b[31m" and
    "\\\\xff\\\\xfe" in r[1] and "\x1b" not in r[1],
    "list -r --json: a path that is not UTF-8 comes escaped as \\xNN", detail(r) + repr(path))
r = usbip("list", "-r", "%s:%d" % (H, P_BADBUSID), "--json")
doc = parse(r[1])
e = ((doc or {}).get("servers") or [{}])[0]
tap(r[0] == 1 and doc is not None and "devices" not in e and "error" in e and
    e["error"].startswith("failed to get device list from %s:%d: " % (H, P_BADBUSID)) and
    "failed to get device list from %s:%d\n" % (H, P_BADBUSID) in r[2],
    "list -r --json: a bus id that is not printable ASCII: an error entry, exit 1", detail(r))

# ---------------------------------------------------------- several servers


def addr(port):
    return "%s:%d" % (H, port)


ORDER = [P_SLOW, P_REFUSED, P_SILENT, P_GOOD, P_EMPTY]
args = []
for p in ORDER:
    args += ["-r", addr(p)]
# The silent server alone: its timeout plus what a run costs on this machine.
base = usbip("--timeout", TIMEOUT, "list", "-r", addr(P_SILENT), "--json")[3]
r = usbip("--timeout", TIMEOUT, "list", *args, "--json")
doc = parse(r[1])
srv = (doc or {}).get("servers") or []
tap(r[0] == 1 and doc is not None and [(s.get("host"), s.get("port")) for s in srv] ==
    [(H, p) for p in ORDER],
    "several servers --json: one entry each, in the order given, exit 1 (two failed)", detail(r))
ok = len(srv) == 5
tap(ok and [d["busid"] for d in srv[0].get("devices", [])] == ["1-1"] and
    srv[3].get("devices") and [d["busid"] for d in srv[3]["devices"]] == ["1-1", "2-1"] and
    srv[4].get("devices") == [] and
    srv[1].get("error") == "could not connect to %s:%d: Connection refused" % (H, P_REFUSED) and
    srv[2].get("error", "").startswith("failed to get device list from %s:" % addr(P_SILENT)) and
    "timed out" in srv[2].get("error", "") and
    all(("error" in s) != ("devices" in s) for s in srv),
    "several servers --json: the slow server's devices, error entries for the refused "
    "and the silent one", detail(r))
tap(ok and srv[1]["error"] in r[2] and
    "failed to get device list from %s" % addr(P_SILENT) in r[2] and
    "no exportable devices found on %s" % addr(P_EMPTY) in r[2],
    "several servers --json: the failures on stderr too", r[2])
# One after the other: the silent one's time + SLOW; at once: the silent one's.
tap(ok and "devices" in srv[0] and r[3] < base + SLOW / 2, "several servers are asked at once: %.2f s, the slowest "
    "one alone %.2f s, one after the other %.1f s or more" % (r[3], base, base + SLOW),
    detail(r))

r = usbip("--timeout", TIMEOUT, "list", *args)
want_order = [" - %s\n" % addr(p) for p in (P_SLOW, P_GOOD)]
pos = [r[1].find(w) for w in want_order]
tap(r[0] == 1 and r[1].startswith("Exportable USB devices\n======================\n") and
    r[1].count("Exportable USB devices") == 1 and -1 not in pos and pos == sorted(pos) and
    "could not connect to %s: Connection refused" % addr(P_REFUSED) in r[2] and
    "failed to get device list from %s" % addr(P_SILENT) in r[2],
    "several servers, text: one heading, each server's devices in order, failures on "
    "stderr, exit 1", detail(r))
tap(r[0] == 1 and " - %s\n" % addr(P_SLOW) in r[1] and r[3] < base + SLOW / 2,
    "several servers, text: at once too (%.2f s)" % r[3],
    detail(r))

r = usbip("list", "-r", addr(P_EMPTY), "-r", addr(P_GOOD))
tap(r[0] == 0 and r[1].startswith("Exportable USB devices\n======================\n - %s\n"
                                  % addr(P_GOOD)) and addr(P_EMPTY) not in r[1] and
    "no exportable devices found on %s\n" % addr(P_EMPTY) in r[2],
    "several servers, text: one without devices is noted on stderr only, exit 0", detail(r))
r = usbip("--timeout", TIMEOUT, "list", "-r", addr(P_GOOD), "-r", addr(P_SLOW), "-p")
tap(r[0] == 0 and r[1] == "busid=1-1#usbid=0781:5567#server=%s#\n"
    "busid=2-1#usbid=dead:beef#server=%s#\n"
    "busid=1-1#usbid=0781:5567#server=%s#\n" % (addr(P_GOOD), addr(P_GOOD), addr(P_SLOW)),
    "several servers -p: one parsable line per device with its server, exit 0", detail(r))
r = usbip("-t", P_GOOD, "list", "-r", H, "-r", "[::1]:%d" % P_REFUSED, "-p")
tap(r[0] == 1 and r[1].endswith("#server=%s#\n" % addr(P_GOOD)) and
    "could not connect to ::1:%d" % P_REFUSED in r[2],
    "-p: the global --tcp-port for a bare host, [V6ADDR]:PORT parsed", detail(r))
r = usbip("-t", P_GOOD, "list", "-p", "-r", H)
tap(r[0] == 0 and r[1] == "busid=1-1#usbid=0781:5567#server=%s:%s#\n"
    "busid=2-1#usbid=dead:beef#server=%s:%s#\n" % (H, P_GOOD, H, P_GOOD),
    "one server: -p parsable too (the kernel's tool ignores it)", detail(r))
r = usbip("list", "-r", addr(P_GOOD), "-r", "[::1")
tap(r[0] == 1 and r[1] == "" and "invalid server '[::1'" in r[2],
    "a malformed server: an error naming it, exit 1", detail(r))

for s in servers:
    s.close()
done()
