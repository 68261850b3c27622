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
# Least privilege (issue 12): the module is loaded by systemd before the
# service starts, and the service itself runs without any capability.  (This
# replaces the old design's "service keeps CAP_SYS_MODULE" check.)
check "service has an empty capability bounding set" grep -qx 'CapabilityBoundingSet=' "$svc"
if grep -q '^CapabilityBoundingSet=.' "$svc"; then
	not_ok "no capability is given back" "$(grep '^CapabilityBoundingSet=' "$svc")"
else
	ok "no capability is given back"
fi
check "service cannot load modules (ProtectKernelModules=yes)" \
	grep -qx 'ProtectKernelModules=yes' "$svc"
check "usbip-host is loaded by modprobe@usbip-host.service before usbipd starts" \
	bash -c "grep -qx 'Wants=modprobe@usbip-host.service' '$svc' &&
		 grep -qx 'After=modprobe@usbip-host.service' '$svc'"
check "PID file in the service's own RuntimeDirectory=" \
	bash -c "grep -qx 'RuntimeDirectory=usbipd' '$svc' &&
		 grep -q '^ExecStart=.* --pid /run/usbipd/' '$svc'"
if grep -q '^ReadWritePaths=.*/run' "$svc"; then
	not_ok "no write access to all of /run" "$(grep '^ReadWritePaths=' "$svc")"
else
	ok "no write access to all of /run"
fi
check "/sys read-only but the device attributes (usbip_sockfd) and the USB drivers (export rules)" \
	bash -c "grep -qx 'ProtectKernelTunables=yes' '$svc' &&
		 grep -qx 'ReadWritePaths=/sys/devices /sys/bus/usb/drivers /sys/bus/usb/drivers_probe' '$svc'"
# The score of systemd's own checklist, offline (0-10, lower is better):
# 4.2 before this hardening, 1.6 with it.
security=$(systemd-analyze security --offline=yes --threshold=20 "$dir/usbipd.service" 2>&1)
if [ $? -eq 0 ]; then
	ok "systemd-analyze security: $(echo "$security" | grep -o 'exposure level.*' | head -n 1)"
else
	not_ok "systemd-analyze security: exposure at most 2.0" "$(echo "$security" | grep -v ' ✓ ')"
fi
check "socket listens on 3240" grep -q '^ListenStream=3240$' "$dir/usbipd.socket"
check "socket defers connections that send nothing (DeferAcceptSec=)" \
	grep -qx 'DeferAcceptSec=10' "$dir/usbipd.socket"
check "sysctl.d file raises net.core.somaxconn for the deferred ones" \
	grep -qx 'net.core.somaxconn = 65535' "$abs_top_srcdir/usbipd/systemd/60-usbipd.conf"

# The client's template unit (usbip attach --persistent, usbip(8)).
att=$abs_top_builddir/usbip/systemd/usbip-attach@.service
check "usbip-attach@.service generated" test -s "$att"
mkdir -p "$dir/att"
sed "s|^ExecStart=[^ ]*usbip |ExecStart=$USBIP |" "$att" > "$dir/att/usbip-attach@.service"
# verify wants an instance; the unit's Condition on its .conf is not evaluated.
ln -s usbip-attach@.service "$dir/att/usbip-attach@stick.service"
check "systemd-analyze verify usbip-attach@stick.service" \
	systemd-analyze verify --man=no "$dir/att/usbip-attach@stick.service"
check "it runs the supervisor in the foreground from the instance's file" \
	bash -c "grep -qx 'EnvironmentFile=/etc/usbip/attach/%i.conf' '$att' &&
		 grep -q '^ExecStart=.*/usbip \$USBIP_OPTIONS attach --persistent --foreground -r \${USBIP_HOST} \$USBIP_DEVICE$' '$att'"
check "a user's detach (exit 0) is not undone by a restart" grep -qx 'Restart=on-failure' "$att"
check "vhci-hcd is loaded by modprobe@vhci-hcd.service, not by the service" \
	bash -c "grep -qx 'After=modprobe@vhci-hcd.service' '$att' &&
		 grep -qx 'ProtectKernelModules=yes' '$att' && grep -qx 'CapabilityBoundingSet=' '$att'"
check "the state directory is kept when an instance stops" \
	bash -c "grep -qx 'RuntimeDirectory=vhci_hcd' '$att' && grep -qx 'RuntimeDirectoryPreserve=yes' '$att'"
security=$(systemd-analyze security --offline=yes --threshold=25 "$dir/att/usbip-attach@stick.service" 2>&1)
if [ $? -eq 0 ]; then
	ok "usbip-attach@: systemd-analyze security: $(echo "$security" | grep -o 'exposure level.*' | head -n 1)"
else
	not_ok "usbip-attach@: systemd-analyze security: exposure at most 2.5" "$(echo "$security" | grep -v ' ✓ ')"
fi
tap_done
