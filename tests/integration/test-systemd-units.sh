#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd units are valid (systemd-analyze verify) and the socket unit
# starts our usbipd through socket activation.
. "$(dirname "$0")/../lib/tap.sh"
command -v systemd-analyze > /dev/null || missing systemd-analyze
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
svc=$abs_top_builddir/usbipd/systemd/usbipd.service
check "usbipd.service generated" test -s "$svc"
# Point ExecStart at the built binary, which verify requires to exist.
sed "s|^ExecStart=.*|ExecStart=$USBIPD|" "$svc" > "$dir/usbipd.service"
cp "$abs_top_srcdir/usbipd/systemd/usbipd.socket" "$dir/"
check "systemd-analyze verify usbipd.service usbipd.socket" \
	systemd-analyze verify --man=no "$dir/usbipd.service" "$dir/usbipd.socket"
check "service is Type=notify with reload" grep -q -e '^Type=notify' -e '^ExecReload=' "$svc"
check "service keeps CAP_SYS_MODULE for module loading" \
	grep -q '^CapabilityBoundingSet=.*CAP_SYS_MODULE' "$svc"
check "socket listens on 3240" grep -q '^ListenStream=3240$' "$dir/usbipd.socket"
tap_done
