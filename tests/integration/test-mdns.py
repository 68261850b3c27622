#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""mDNS / DNS-SD for real: usbipd advertises _usbip._tcp through an
avahi-daemon, `usbip list --discover` finds it through another one.

Two network namespaces joined by a veth pair (192.0.2.0/24 and fd00::/64),
each with its own dbus-daemon (a private "system" bus on a socket in the
scratch directory, which DBUS_SYSTEM_BUS_ADDRESS names to everyone) and its
own avahi-daemon (our configuration file, allow-interfaces= the veth end
only, /run/avahi-daemon on a tmpfs in a private mount namespace): nothing
runs on the machine's own interfaces, nothing in /etc or /run changes.
usbipd runs in the server namespace under umockdev-wrapper (the testbed API
sends the uevents that change its device count); the client commands run in
the other.  Every daemon started lives in one of the two namespaces, and the
namespaces' processes are killed and the namespaces deleted at the end,
whatever happened.  Needs root; prints TAP.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import (FIXTURES, USBIP, USBIPD, Usbipd, missing, real_binary,  # noqa: E402
                     require_program, testbed_bind, testbed_unbind, wait_for, work_dir)
from taplib import tap, done  # noqa: E402

PORT = 13340
PORT6 = 13341
INNER = "USBIP_TEST_MDNS_INNER"
SRV_HOST, CLI_HOST = "usbip-mdns-srv", "usbip-mdns-cli"

BUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

AVAHI_CONF = """[server]
host-name={host}
use-ipv4=yes
use-ipv6=yes
allow-interfaces={iface}
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
"""


def bus_address(work, which):
    return "unix:path=%s/%s.bus" % (work, which)


def start_avahi(ns, work, which, log):
    """avahi-daemon for namespace NS (a Popen): its /run/avahi-daemon (pid
    file, socket) is on a tmpfs of its own mount namespace."""
    script = ('mount -t tmpfs usbip-mdns /run && mkdir /run/avahi-daemon && '
              'exec avahi-daemon -f "$1" --no-drop-root --no-chroot --no-proc-title '
              '--no-rlimits')
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_address(work, which))
    env.pop("LD_PRELOAD", None)
    out = open(log, "w")
    return subprocess.Popen(["ip", "netns", "exec", ns, "unshare", "-m", "--propagation",
                             "private", "sh", "-c", script, "avahi",
                             os.path.join(work, which + ".avahi.conf")],
                            stdout=out, stderr=subprocess.STDOUT, env=env)


def avahi_ready(log, timeout=15):
    return wait_for(lambda: "Server startup complete" in open(log).read(), timeout)


# --------------------------------------------------------------------- outer
def sh(*cmd):
    subprocess.run(cmd, check=True, timeout=30)


def ns_kill(ns):
    """Ends every process in namespace NS (all started by this test)."""
    try:
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True,
                              timeout=10).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(int(p), sig)
            except (OSError, ValueError):
                pass
        end = time.time() + 3
        while time.time() < end and any(os.path.exists("/proc/" + p) for p in pids):
            time.sleep(0.05)


def outer():
    if os.geteuid() != 0:
        missing("root (network and mount namespaces)")
    for prog, pkg in (("ip", "iproute2"), ("unshare", "util-linux"),
                      ("dbus-daemon", "dbus"), ("avahi-daemon", "avahi-daemon"),
                      ("avahi-browse", "avahi-utils"), ("umockdev-wrapper", "umockdev")):
        require_program(prog, "%s (package %s, tests/scripts/install-deps.sh)" % (prog, pkg))
    try:
        subprocess.run(["/usr/bin/python3", "-c",
                        'import gi; gi.require_version("UMockdev", "1.0")'],
                       check=True, stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.SubprocessError):
        missing("python3-gi / gir1.2-umockdev-1.0")
    probe = subprocess.run([USBIP, "list", "--discover"], capture_output=True, text=True,
                           timeout=30, env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent"))
    if "not built in" in probe.stderr:
        missing("Avahi support in this build (configure --with-avahi, libavahi-client-dev "
                "libavahi-glib-dev)")

    work = work_dir()
    tag = "%d" % (os.getpid() % 100000)
    srv, cli = "usbip-mdns-s" + tag, "usbip-mdns-c" + tag
    veth_s, veth_c = "umd%ss" % tag, "umd%sc" % tag
    made = []

    def cleanup(*_):
        for ns in made:
            ns_kill(ns)
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL, timeout=30)
        made.clear()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    rc = 1
    try:
        for ns in (srv, cli):
            sh("ip", "netns", "add", ns)
            made.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", veth_s, "netns", srv, "type", "veth", "peer", "name", veth_c,
           "netns", cli)
        for ns, dev, n in ((srv, veth_s, 1), (cli, veth_c, 2)):
            sh("ip", "-n", ns, "addr", "add", "192.0.2.%d/24" % n, "dev", dev)
            sh("ip", "-n", ns, "addr", "add", "fd00::%d/64" % n, "dev", dev, "nodad")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        for which, ns, host, dev in (("srv", srv, SRV_HOST, veth_s),
                                     ("cli", cli, CLI_HOST, veth_c)):
            sock = bus_address(work, which)[len("unix:path="):]
            with open(os.path.join(work, which + ".bus.conf"), "w") as f:
                f.write(BUS_CONF.format(sock=sock))
            with open(os.path.join(work, which + ".avahi.conf"), "w") as f:
                f.write(AVAHI_CONF.format(host=host, iface=dev))
            subprocess.Popen(["ip", "netns", "exec", ns, "dbus-daemon", "--config-file",
                              os.path.join(work, which + ".bus.conf"), "--nofork",
                              "--nopidfile"], stderr=open(os.path.join(work, which + ".dbus.log"), "w"))
            if not wait_for(lambda: os.path.exists(sock), 10):
                print("Bail out! dbus-daemon did not start")
                return 1
        # The client's avahi-daemon for the whole test; the server's is
        # started by the inner part (it tests usbipd starting without one).
        start_avahi(cli, work, "cli", os.path.join(work, "cli.avahi.log"))
        if not avahi_ready(os.path.join(work, "cli.avahi.log")):
            print("Bail out! avahi-daemon did not start: %s" %
                  open(os.path.join(work, "cli.avahi.log")).read().replace("\n", " | "))
            return 1
        env = dict(os.environ, **{INNER: "1", "MDNS_WORK": work, "MDNS_SRV_NS": srv,
                                  "MDNS_CLI_NS": cli, "MDNS_SRV_IF": veth_s})
        sys.stdout.flush()
        rc = subprocess.run(["ip", "netns", "exec", srv, "umockdev-wrapper",
                             "/usr/bin/python3", os.path.abspath(sys.argv[0])],
                            env=env, timeout=300).returncode
    except subprocess.TimeoutExpired:
        print("Bail out! the test did not end in 300 s")
    finally:
        cleanup()
    return rc


# --------------------------------------------------------------------- inner
def inner():
    import gi
    gi.require_version("UMockdev", "1.0")
    from gi.repository import UMockdev

    work, srv, cli = os.environ["MDNS_WORK"], os.environ["MDNS_SRV_NS"], os.environ["MDNS_CLI_NS"]
    usbipd = real_binary(USBIPD)
    usbip = real_binary(USBIP)
    usb1 = "/sys/devices/pci0000:00/0000:00:14.0/usb1"
    tb = UMockdev.Testbed.new()
    tb.add_from_file(os.path.join(FIXTURES, "host-bound.umockdev"))
    tb.add_from_file(os.path.join(FIXTURES, "vhci.umockdev"))
    root = tb.get_root_dir()
    # As tb-run.sh does: libudev finds vhci_hcd.0's parent by this file.
    platform_uevent = root + "/sys/devices/platform/uevent"
    if not os.path.exists(platform_uevent):
        open(platform_uevent, "w").close()
    srv_env = dict(os.environ, UMOCKDEV_DIR=root, DBUS_SYSTEM_BUS_ADDRESS=bus_address(work, "srv"))
    srv_avahi_log = os.path.join(work, "srv.avahi.log")

    def client(*args, timeout=30):
        """A command in the client namespace, outside the testbed."""
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_address(work, "cli"))
        # The server's testbed (UMockdev.Testbed.new() sets UMOCKDEV_DIR) is
        # not the client's: tb-run makes its own.
        for k in ("LD_PRELOAD", "UMOCKDEV_DIR"):
            env.pop(k, None)
        try:
            return subprocess.run(["env", "-u", "LD_PRELOAD", "-u", "UMOCKDEV_DIR", "ip", "netns", "exec", cli] +
                                  list(args), capture_output=True, text=True, env=env,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(args, -1, e.stdout or "",
                                               "%s\n(timed out after %d s)" % (e.stderr or "", timeout))

    def browse():
        """avahi-browse's resolved _usbip._tcp records: (proto, name, address, port, txt)."""
        r = client("avahi-browse", "-r", "-p", "-t", "_usbip._tcp", timeout=20)
        out = []
        for line in r.stdout.splitlines():
            f = line.split(";")
            if f[0] == "=" and len(f) >= 10:
                out.append((f[2], f[3], f[7], f[8], f[9]))
        return out

    def txt_devices(records):
        ns = {re.search(r'"devices=(\d+)"', r[4]).group(1) for r in records
              if re.search(r'"devices=(\d+)"', r[4])}
        return int(ns.pop()) if len(ns) == 1 else None

    def bind(busid):
        testbed_bind(tb, root, usb1 + "/" + busid)

    def unbind(busid):
        testbed_unbind(tb, root, usb1 + "/" + busid)

    def rebuilt(log):
        """The device count of usbipd's last list rebuild (debug log)."""
        n = re.findall(r"device list rebuilt: (\d+) devices", open(log).read())
        return int(n[-1]) if n else None

    # avahi-daemon not running on the server yet: usbipd serves anyway.
    log = os.path.join(work, "usbipd.log")
    d = Usbipd(["-d", "-t", str(PORT)], log, binary=usbipd, env=srv_env)
    tap(d.ready, "usbipd starts without avahi-daemon", d.text())
    tap(d.wait_log("avahi-daemon is not running", 5) and
        d.text().count("avahi-daemon is not running") == 1,
        "and says once that it will advertise when avahi-daemon runs", d.text())
    r = client("env", "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent", usbip, "list",
               "--discover")
    tap(r.returncode == 1 and "avahi-daemon is not running" in r.stderr,
        "client without avahi-daemon: list --discover fails and names avahi-daemon",
        r.stderr)

    srv_avahi = start_avahi(srv, work, "srv", srv_avahi_log)
    tap(avahi_ready(srv_avahi_log), "server's avahi-daemon starts", open(srv_avahi_log).read())
    tap(d.wait_log('advertising _usbip._tcp as "%s" on port %d' % (SRV_HOST, PORT), 15),
        "usbipd advertises once avahi-daemon appears, named after the host", d.text())
    count = rebuilt(log)

    records = []
    wait_for(lambda: records.extend(browse()) or any(r[2] == "192.0.2.1" for r in records), 15)
    v4 = [r for r in records if r[2] == "192.0.2.1"]
    tap(v4 and v4[0][1] == SRV_HOST and v4[0][3] == str(PORT),
        "avahi-browse in the other namespace resolves it to 192.0.2.1 port %d" % PORT, records)
    tap(any(r[0] == "IPv6" for r in records), "and over IPv6 too", records)
    tap(v4 and '"vers=1.1.1"' in v4[0][4], "TXT vers=1.1.1", records)
    tap(count is not None and txt_devices(v4) == count,
        "TXT devices=%s, the exported devices" % count, records)

    r = client(usbip, "list", "--discover")
    expect = ["1-1", "1-2", "1-5", "1-6", "2-1.3", "2-2"]
    shown = re.findall(r"^ +(\S+): ", r.stdout, re.M)
    tap(r.returncode == 0 and " - 192.0.2.1:%d\n" % PORT in r.stdout and
        all(b in shown for b in expect),
        "usbip list --discover lists the server's devices", r.stdout + r.stderr)
    r = client(usbip, "list", "--discover", "--json")
    try:
        doc = json.loads(r.stdout)
        servers = [(x["host"], x["port"], sorted(dev["busid"] for dev in x.get("devices", [])))
                   for x in doc["servers"]]
    except (ValueError, KeyError, TypeError) as e:
        servers = "%s: %s" % (e, r.stdout)
    tap(r.returncode == 0 and servers == [("192.0.2.1", PORT, sorted(shown))],
        "list --discover --json: the server, its port and its devices", servers)

    bind("1-7")
    tap(wait_for(lambda: txt_devices(browse()) == count + 1, 15),
        "bind uevent: TXT devices=%d" % (count + 1), "%s\n%s" % (browse(), d.text()[-3000:]))
    unbind("1-7")
    unbind("1-1")
    tap(wait_for(lambda: txt_devices(browse()) == count - 1, 15),
        "two unbinds: TXT devices=%d" % (count - 1), browse())
    bind("1-1")

    # attach --discover: from the server's namespace, whose testbed has a
    # vhci_hcd too (never the machine's), through the server's avahi-daemon
    # (which answers for its own services as for others'), with a private
    # /run for the port record.
    def attach(*args):
        env = dict(srv_env)
        try:
            return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                   'mount -t tmpfs usbip-mdns /run && exec "$@"', "sh",
                                   usbip, "-d", "attach", "--discover"] + list(args),
                                  capture_output=True, text=True, env=env, timeout=30)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(args, -1, "", "timed out: %s" % e.stderr)

    r = attach("-i", "0781:5567")
    tap(r.returncode == 0 and re.search(r"attached 1-1 from 192\.0\.2\.1 to port \d+", r.stderr),
        "attach --discover -i 0781:5567 imports 1-1 from the server found", r.stderr)
    r = attach("-i", "dead:beef")
    # The servers found are searched as attach -i searches the configured ones.
    tap(r.returncode == 1 and
        re.search(r"no device that matches .*dead:beef.* could be attached from the 1 server "
                  r"asked", r.stderr) and re.search(r"192\.0\.2\.1:\d+: no match", r.stderr),
        "attach --discover -i dead:beef: no server has it, each server's answer listed",
        r.stderr)

    # A second usbipd on the same host (after the uevent checks: umockdev
    # sends the testbed's uevents to one process only): Avahi's alternative name.
    d2 = Usbipd(["-t", str(PORT6), "--pid", os.path.join(work, "second.pid")],
                os.path.join(work, "usbipd2.log"), binary=usbipd, env=srv_env)
    tap(d2.wait_log('advertising _usbip._tcp as "%s #2"' % SRV_HOST, 15),
        "a second server on the host is advertised as \"%s #2\"" % SRV_HOST, d2.text())
    d2.stop()

    # avahi-daemon restarts: usbipd notices and advertises again.
    srv_avahi.terminate()
    srv_avahi.wait(10)
    tap(d.wait_log("avahi-daemon disconnected", 10), "usbipd notices avahi-daemon leaving",
        d.text())
    srv_avahi = start_avahi(srv, work, "srv", srv_avahi_log)
    tap(avahi_ready(srv_avahi_log) and
        wait_for(lambda: d.text().count('advertising _usbip._tcp as "%s"' % SRV_HOST) == 2, 15)
        and wait_for(lambda: any(r[2] == "192.0.2.1" for r in browse()), 15),
        "and advertises again when it is back", d.text())

    tap(d.stop() == 0, "usbipd stops cleanly")
    tap(wait_for(lambda: not browse(), 15), "its service is withdrawn on exit", browse())
    r = client(usbip, "list", "--discover")
    tap(r.returncode == 0 and "no USB/IP server found" in r.stderr and "192.0.2.1" not in r.stdout,
        "list --discover: no server", r.stdout + r.stderr)

    # IPv6 only (-6): found at its IPv6 address, which connect() can use.
    d = Usbipd(["-6", "-t", str(PORT6)], log, binary=usbipd, env=srv_env)
    tap(d.wait_log("advertising _usbip._tcp", 15), "usbipd -6 advertises", d.text())
    r = client(usbip, "list", "--discover")
    m = re.search(r"^ - \[(\S+)\]:%d$" % PORT6, r.stdout, re.M)
    tap(r.returncode == 0 and m and ":" in m.group(1) and "1-1" in r.stdout,
        "usbipd -6: list --discover reaches it over IPv6 (%s)" % (m.group(1) if m else None),
        r.stdout + r.stderr)
    tap(d.stop() == 0, "usbipd -6 stops cleanly")
    wait_for(lambda: not browse(), 15)

    # --no-mdns: nothing advertised, and nothing said about Avahi.
    d = Usbipd(["-t", str(PORT), "--no-mdns"], log, binary=usbipd, env=srv_env)
    time.sleep(2)	# what an advertisement takes, with room to spare
    tap(d.ready and not browse(), "--no-mdns: nothing advertised", d.text())
    tap("avahi" not in d.text() and "advertising" not in d.text(),
        "--no-mdns: not a word about mDNS", d.text())
    d.stop()

    # The configuration file's key, and the withdrawal on SIGHUP when it is set.
    conf = os.path.join(work, "usbipd.conf")
    with open(conf, "w") as f:
        f.write("[usbipd]\n")
    d = Usbipd(["-t", str(PORT), "-c", conf], log, binary=usbipd, env=srv_env)
    tap(d.wait_log("advertising _usbip._tcp", 15) and wait_for(lambda: browse(), 15),
        "advertised with an empty usbipd.conf", d.text())
    with open(conf, "w") as f:
        f.write("[usbipd]\nno-mdns=true\n")
    d.signal(signal.SIGHUP)
    tap(wait_for(lambda: not browse(), 15), "no-mdns=true and SIGHUP: withdrawn", d.text())
    d.stop()

    srv_avahi.terminate()
    srv_avahi.wait(10)
    done()


if __name__ == "__main__":
    if os.environ.get(INNER):
        inner()
    sys.exit(outer())
