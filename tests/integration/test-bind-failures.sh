#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# bind and unbind when a sysfs write fails after the device left its driver:
# the device must be probed again, never left without a driver.  umockdev
# cannot fail a write, so tests/lib/fault-shim.c fails the chosen one and logs
# every sysfs write in order.  host-bound: 1-7 is bound to "usb", 1-1 to
# usbip-host.
. "$(dirname "$0")/../lib/tap.sh"
require_root
SHIM=$abs_top_builddir/tests/lib/.libs/fault-shim.so
[ -f "$SHIM" ] || { echo "Bail out! $SHIM not built"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# try NAME FAIL EXPECTED-RC EXPECTED-MESSAGE CMD... <<END expected writes END
try() {
	local name=$1 fail=$2 want_rc=$3 want_msg=$4; shift 4
	local want got rc
	want=$(cat)
	rm -f "$work/log" "$work/err"
	FAULT_WRITE=$fail FAULT_WRITE_LOG=$work/log SHIM=$SHIM \
	"$TB_RUN" host-bound.umockdev -- sh -c \
		': > /sys/bus/usb/drivers_probe; LD_PRELOAD="$SHIM:$LD_PRELOAD" exec "$@"' \
		sh "$USBIP" "$@" > /dev/null 2> "$work/err"
	rc=$?
	got=$(cat "$work/log" 2> /dev/null)
	if [ "$got" = "$want" ]; then
		ok "$name: writes"
	else
		not_ok "$name: writes" "expected:" "$want" "got:" "$got" "stderr:" "$(cat "$work/err")"
	fi
	if [ "$rc" = "$want_rc" ] && grep -qF -- "$want_msg" "$work/err"; then
		ok "$name: exit $want_rc, message"
	else
		not_ok "$name: exit $want_rc, message" "rc=$rc, expected '$want_msg' in:" \
			"$(cat "$work/err")"
	fi
}

try "bind, nothing fails" "" 0 "bind device on busid 1-7: complete" bind -b 1-7 <<END
/sys/bus/usb/drivers/usb/unbind <- 1-7 = ok
/sys/bus/usb/drivers/usbip-host/match_busid <- add 1-7 = ok
/sys/bus/usb/drivers/usbip-host/bind <- 1-7 = ok
END

try "bind, the old driver keeps it" /usb/unbind 1 \
	"write '1-7' to /sys/bus/usb/drivers/usb/unbind: Input/output error" bind -b 1-7 <<END
/sys/bus/usb/drivers/usb/unbind <- 1-7 = 5
END

# The device left "usb", match_busid failed: no table entry, so a probe gives
# it back to "usb".
try "bind, match_busid add fails" /usbip-host/match_busid 1 \
	"write 'add 1-7' to /sys/bus/usb/drivers/usbip-host/match_busid" bind -b 1-7 <<END
/sys/bus/usb/drivers/usb/unbind <- 1-7 = ok
/sys/bus/usb/drivers/usbip-host/match_busid <- add 1-7 = 5
/sys/bus/usb/drivers_probe <- 1-7 = ok
END

# Not "rebind" (it oopses kernel 6.1 for a device the stub never probed):
# drop the entry, then probe.
try "bind, bind fails" /usbip-host/bind 1 \
	"write '1-7' to /sys/bus/usb/drivers/usbip-host/bind" bind -b 1-7 <<END
/sys/bus/usb/drivers/usb/unbind <- 1-7 = ok
/sys/bus/usb/drivers/usbip-host/match_busid <- add 1-7 = ok
/sys/bus/usb/drivers/usbip-host/bind <- 1-7 = 5
/sys/bus/usb/drivers/usbip-host/match_busid <- del 1-7 = ok
/sys/bus/usb/drivers_probe <- 1-7 = ok
END

try "unbind, nothing fails" "" 0 "unbind device on busid 1-1: complete" unbind -b 1-1 <<END
/sys/bus/usb/drivers/usbip-host/unbind <- 1-1 = ok
/sys/bus/usb/drivers/usbip-host/match_busid <- del 1-1 = ok
/sys/bus/usb/drivers/usbip-host/rebind <- 1-1 = ok
END

# Still in the table: the probe hands it back to usbip-host, as it was.
try "unbind, match_busid del fails" /usbip-host/match_busid 1 \
	"write 'del 1-1' to /sys/bus/usb/drivers/usbip-host/match_busid" unbind -b 1-1 <<END
/sys/bus/usb/drivers/usbip-host/unbind <- 1-1 = ok
/sys/bus/usb/drivers/usbip-host/match_busid <- del 1-1 = 5
/sys/bus/usb/drivers_probe <- 1-1 = ok
END

try "unbind, rebind fails" /usbip-host/rebind 1 \
	"write '1-1' to /sys/bus/usb/drivers/usbip-host/rebind" unbind -b 1-1 <<END
/sys/bus/usb/drivers/usbip-host/unbind <- 1-1 = ok
/sys/bus/usb/drivers/usbip-host/match_busid <- del 1-1 = ok
/sys/bus/usb/drivers/usbip-host/rebind <- 1-1 = 5
/sys/bus/usb/drivers_probe <- 1-1 = ok
END

# When the probe fails too, the message says what is left to do.
try "bind, match_busid and the probe fail" /usbip-host/match_busid:/drivers_probe 1 \
	"1-7 may be left without a driver: reprobe failed: Input/output error; replug it" \
	bind -b 1-7 <<END
/sys/bus/usb/drivers/usb/unbind <- 1-7 = ok
/sys/bus/usb/drivers/usbip-host/match_busid <- add 1-7 = 5
/sys/bus/usb/drivers_probe <- 1-7 = 5
END

tap_done
