#!/usr/bin/env python3
"""Write INDEX.md from cases.tsv (produced by capture.sh) plus per-case notes."""
import os
import sys

G = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

NOTES = {
    "none__opt-bogus": "unknown GLOBAL option: 'usbip: invalid option' + 2-line usage on STDOUT, rc 1",
    "none__opt-t": "-t without argument: same as an unknown global option",
    "none__opt-d": "global -d (debug) with no command: general help, rc 1",
    "none__help": "only `usbip help` (no topic) exits 0",
    "none__help-port": "port/version/help/unknown topics have no own usage: general help, rc 1",
    "none__help-attach": "help <cmd> prints the command usage, rc 0 (same text as `<cmd> -h`, which exits 1)",
    "none__attach-h": "-h is not an option of any subcommand: usage + rc 1 (getopt error silenced)",
    "none__port-h": "port ignores all arguments; without vhci it fails",
    "none__version-extra-args": "extra arguments ignored",
    "none__list-l-r-127.0.0.1": "first of -l/-r/-d acts immediately; -r never parsed",
    "none__list-p": "-p alone: usage, rc 1",
    "none__list-d": "no usbip-vudc device: prints nothing, rc 0",
    "none__tcp-port-abc": "bad --tcp-port is non-fatal: error line, default 3240 kept, no 'using port' info",
    "none__list-r-refused": "ECONNREFUSED is reported with gai_strerror(EAI_SYSTEM) = 'System error'",
    "none__attach-refused": "attach reports only 'tcp connect'",
    "none__usbipd-extra-arg": "non-option arguments ignored; run stopped by SIGINT from timeout (rc 124 is timeout's)",
    "none__usbipd-bogus": "getopt message on stderr, help on stdout, rc 1",
    "none__usbipd-h": "help text on stdout, rc 0; TAB-indented",
    "none__list-r": "zero exportable devices: info on stderr, nothing on stdout, rc 0",
    "host-basic__list-l-p": "-p after -l is ignored (list -l already ran)",
    "host-basic__list-l-d": "-l acts first; -d never parsed",
    "host-basic__bind-1-1": "usbip-host not loaded: the device is STILL unbound from 'usb' first, then match_busid open fails",
    "host-basic__bind-hub": "hubs refused without any write",
    "host-basic__bind-roothub": "root hub (class 09) refused like a hub",
    "host-basic__bind-interface": "an interface busid exists in udev but has no bDeviceClass: same message as a hub",
    "host-basic__order-shuffled": "descriptions in scrambled order; output identical to host-basic__list-l (libudev sorts by syspath)",
    "host-basic__d-list-l": "usbip's debug output; the ~24000 names.c [parse] lines were removed (see .names-lines-removed)",
    "host-basic__debug-list-l": "as host-basic__d-list-l",
    "host-basic__log-list-l": "--log: stderr unchanged (messages also go to syslog)",
    "host-bound__bind-already": "no writes",
    "host-bound__bind-1-7": "writes: usb/unbind 1-7, match_busid add 1-7, usbip-host/bind 1-7 (no newlines)",
    "host-bound__bind-nodrvdir": "tb-run -n: no driver directories at all; unbind of the current driver fails first",
    "host-bound__unbind-1-1": "writes: usbip-host/unbind, match_busid 'del 1-1', usbip-host/rebind",
    "host-bound__unbind-hub": "a hub is simply 'not bound to usbip-host'",
    "host-missing-attr__list-l": "1-2 lacks bNumInterfaces: devices before it are printed, then error, rc 1",
    "host-unconfigured__list-l": "1-1 has EMPTY bConfigurationValue/bNumInterfaces (real unconfigured device): listed normally",
    "host-unconfigured__list-r": "1-1 exported with bConfigurationValue 0 / bNumInterfaces 0: no interface lines",
    "host-hubs-only__list-l": "only hubs: empty stdout, rc 0",
    "host-hubs-only__bind-1-1": "usbip-host driver dir present (host-hubs-only.umockdev.extra)",
    "vhci__port": "records for ports 0,2(garbled),4,15; none for 1; port 3 is NOTASSIGNED (not shown); port 2's local device 3-3 has sysfs speed 12 while the status line says 003: the speed text comes from sysfs",
    "vhci__port-norecords": "no /var/run/vhci_hcd at all: fopen + read_record errors for every shown port, rc still 0",
    "vhci-small__port-nobind": "tb-run -B (no bind mount over /sys): the reference tool reads the REAL /sys/devices/platform with an unwrapped opendir and finds no controller",
    "vhci-badstatus__port": "a status line with < 5 fields: reference prints 'sorry, it's a bug!' and abort()s (rc 134). Do NOT copy",
    "vhci-missingdev__port": "a used port whose local busid has no USB device: whole vhci open fails",
    "vhci-emptystatus__port": "empty status file: open fails",
    "vhci__detach-p256": "port number truncated to 8 bits: 256 -> 0",
    "vhci__detach-p999": "999 & 0xff = 231, a free port: 'already detached', rc 0",
    "vhci__detach-pempty": "empty string passes the digit check, atoi -> 0",
    "vhci__detach-p3-notassigned": "NOTASSIGNED counts as attached",
    "vhci__detach-p240": "port >= nports",
    "vhci__bind-imported": "bind refuses devices under vhci_hcd (devpath, not syspath, in the message; extra blank line)",
    "vhci__list-l": "devices below vhci_hcd are never listed",
    "host-basic+vhci__list-l": "same as host-basic__list-l: vhci devices filtered",
    "host-bound__attach-novhci": "the server side import SUCCEEDS (usbip_sockfd written) before the client fails to open vhci",
    "host-bound__attach-inuse": "1-3 (usbip_status 2) is not in DEVLIST but IMPORT finds it: ST_DEV_BUSY",
    "host-bound__attach-notbound": "1-7 is not bound to usbip-host: ST_NODEV",
    "host-bound__list-p-r": "-p has no effect on remote listing",
    "host-bound__wire-bad-version": "no reply, connection closed; logged as 'usbip: error: USBIP Kernel and tool version mismatch: 272 273:'",
    "host-bound__wire-unknown-opcode": "no reply, closed",
    "host-bound__wire-status-nonzero": "request status != 0: no reply, closed, nothing logged after 'connection from'",
    "host-bound__wire-truncated-header": "6 of 8 header bytes then EOF: closed, no reply",
    "host-bound__wire-truncated-header-open": "6 header bytes, client keeps the socket open: server child waits forever (client gave up after 3 s)",
    "host-bound__wire-truncated-import": "IMPORT header + 1 busid byte then EOF: 'request 0x8003(6): failed', no reply",
    "host-bound__wire-devlist-trailing": "extra bytes after the request are ignored; reply sent, then close with unread data => RST (end=reset)",
    "host-bound__wire-reply-code": "code 0x0005 (no request bit) = unknown opcode",
    "host-bound+vhci__attach-1-1": "vhci attach <- '5 3 65538 3' (port sockfd devid speed, no newline); record port5 mode 0700",
    "host-bound+vhci__attach-2-2-superspeedplus": "speed 10000 -> 6 on the wire and in attach; routed to the first SS port (16)",
    "host-bound+vhci__attach-2-1.3-superspeed": "speed 5000 -> first SS port 16",
    "host-bound+vhci__port-after": "the testbed status file is static, so the new attachments do not show",
    "host-bound+vhci-full__attach-1-1": "all HS ports in use: 'no free port' AFTER the server already accepted the import",
    "host-bound+vhci-norun__attach-1-1-recdir-exists": "/var/run/vhci_hcd pre-exists: mkdir EEXIST is fine",
    "host-bound-debug__usbipd": "usbipd -d; note usbipd does not load usb.ids (names print as unknown in its debug dump)",
    "host-bound-debug__second-usbipd-same-port": "second usbipd on a busy port: bind errors, 'failed to open a listening socket', rc 1",
    "host-bound-ipv4__list-r-ipv6": "usbipd -4: ::1 refused",
    "vudc__list-d": "reference bug: '(0x1d:0x1d)' (vendor printed as 0x%4x, cut to 4 chars, twice)",
    "vudc__list-r": "busid longer than 11 chars is not truncated",
    "many-40__list-p-l": "order is by syspath string: 1-1, 1-10, 1-11, ..., 1-19, 1-2, 1-20, ...",
}

rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(G, "cases.tsv")) if l.strip()]
out = ["# Golden outputs of the reference tools (Debian `usbip` 2.0+6.1.192-2)", "",
       "Regenerate with `tests/golden/capture.sh` (root; see its header). Each case",
       "`<name>` has `<name>.out` (stdout), `<name>.err` (stderr), `<name>.rc` (exit code) and",
       "optionally `<name>.writes` (file writes seen by strace: `path [open flags] <- bytes =",
       "result`, plus mkdir/unlink/rmdir of /sys,/run,/var paths) and `<name>.after` (the",
       "write-target files read back from the testbed after the run; tb-run.sh -a).",
       "", "Conventions:",
       "- Testbed = the `tests/fixtures/*.umockdev` file(s) loaded; `none` = empty testbed.",
       "  Run as `tests/fixtures/tb-run.sh [opts] TESTBED -- COMMAND`. `-r DIR` preloads",
       "  /var/run/vhci_hcd from DIR (tests/fixtures/vhci-records), `-R` creates it empty.",
       "  Name resolution is pinned (tests/fixtures/resolver): `localhost` is 127.0.0.1 only,",
       "  other names fail without DNS, so the `localhost` cases reach usbipd over IPv4 and",
       "  `nonexistent.invalid` gives \"Name or service not known\" on any machine.",
       "- `(usbipd running)`: the command ran while the reference `usbipd -t 43240` was",
       "  running in the SAME testbed (tools/session.sh); that usbipd's stderr is",
       "  `<prefix>__usbipd.err` (one log for all the session's cases, in order), its file",
       "  writes `<prefix>__usbipd.writes`, its exit status after SIGTERM `<prefix>__usbipd.rc`,",
       "  and `<prefix>__session.after` the testbed files after the whole session.",
       "- In every `.err`, `connection from <addr>:<ephemeral port>` was normalised to",
       "  `:PORT`. The fd numbers in usbipd logs (`0x8005(6)`) and usbip_sockfd writes",
       "  (`6\\n`) are the reference's connection fd in the forked child (5 with -4/-6).",
       "- The goldens depend on the TCP port: 43240 (server) and 43299 (nothing listening).",
       "- `*.names-lines-removed`: the count of `usbip: debug: names.c:NNN:[parse] ...` lines",
       "  (usb.ids parse trace) removed from that `.err`.",
       "- `wire-*.hex`: raw server replies, `xxd -p` style, copied from the wire-* cases.",
       "", "| case | rc | testbed (tb-run opts) | command | notes |", "|---|---|---|---|---|"]
for name, tb, cmd in rows:
    try:
        rc = open(os.path.join(G, name + ".rc")).read().strip()
    except OSError:
        rc = "?"
    note = NOTES.get(name, "")
    cmd = cmd.replace("|", "\\|").replace("python3 %s/tools/wire-client.py" % G, "wire-client.py")
    cmd = cmd.replace(os.path.join(os.path.dirname(G), "fixtures") + "/", "")
    tb = tb.replace(os.path.join(os.path.dirname(G), "fixtures") + "/", "")
    out.append("| `%s` | %s | %s | `%s` | %s |" % (name, rc, tb, cmd, note))
extra = sorted(f for f in os.listdir(G) if f.startswith("wire-") and f.endswith(".hex"))
out += ["", "## Raw wire captures", ""]
for f in extra:
    out.append("- `%s` (%d bytes)" % (f, len(open(os.path.join(G, f)).read().replace("\n", "")) // 2))
open(os.path.join(G, "INDEX.md"), "w").write("\n".join(out) + "\n")
