# SPDX-License-Identifier: GPL-2.0-or-later
# sc-errors.sh NAME TOOL_DIR
# Error paths and multi-device handling of TOOL_DIR/usbip + TOOL_DIR/usbipd, with
# the exit codes the reference tools give (checked by the errors-ref run):
#  - attach of an unknown busid fails (1) and leaves every port free
#  - attach to a port nobody listens on fails (1)
#  - bind of a hub (the root hub usb1) fails (1) and leaves it alone (usb/hub)
#  - bind of a busid that does not exist fails (1)
#  - double bind fails (1), the device stays exported
#  - unbind of a device not bound to usbip-host fails (1), it stays on usb-storage
#  - detach of a free port succeeds (0, "already detached"), of a non-number or
#    out-of-range port fails (1)
#  - two devices at once: the SuperSpeed stick on an ss port, the high-speed stick
#    on an hs port, both readable, both detachable
#  - server gone while attached: usbipd killed -9 (the kernel keeps the
#    connection, the import still reads), then the server unbinds the device
#    (its end of the connection closes) -> the client's port is freed by itself
. /vmtest/lib.sh

NAME=$1 T=$2
SS=$SS_BUSID HS=$HS_BUSID
say "scenario $NAME: tools=$T ss=$SS hs=$HS"
on_usb_storage "$SS" && on_usb_storage "$HS" || fail "precondition: sticks not on usb-storage"
vhci_all_free || fail "precondition: vhci ports in use"

step "setup: bind $SS, start usbipd"
expect_rc 0 "$T/usbip" bind -b "$SS"
wait_until 10 on_stub "$SS" || fail "$SS not on usbip-host after bind"
start_usbipd "$T"

step "attach of an unknown busid"
expect_rc 1 "$T/usbip" attach -r 127.0.0.1 -b 9-9
vhci_all_free || fail "a port is in use after a failed attach: $(vhci_used_ports)"
[ "$(cat /sys/bus/usb/devices/$SS/usbip_status)" = 1 ] || fail "failed attach of another busid changed $SS's status"

step "attach with nobody listening"
expect_rc 1 "$T/usbip" --tcp-port 3241 attach -r 127.0.0.1 -b "$SS"
vhci_all_free || fail "a port is in use after a failed attach"

step "bind of a hub (usb1)"
expect_rc 1 "$T/usbip" bind -b usb1
[ "$(devdriver usb1)" = usb ] || fail "usb1's driver is '$(devdriver usb1)' after a refused bind, expected usb"
hubif=$(basename "$(readlink /sys/bus/usb/devices/usb1/1-0:1.0/driver 2>/dev/null)" 2>/dev/null)
[ "$hubif" = hub ] || fail "1-0:1.0's driver is '$hubif' after a refused bind, expected hub"
grep -qw usb1 "$STUB/match_busid" && fail "usb1 left in match_busid"

step "bind of a busid that does not exist"
expect_rc 1 "$T/usbip" bind -b 9-9
grep -qw 9-9 "$STUB/match_busid" && fail "9-9 left in match_busid"

step "double bind"
expect_rc 1 "$T/usbip" bind -b "$SS"
on_stub "$SS" || fail "$SS lost usbip-host after a double bind"
[ "$(cat /sys/bus/usb/devices/$SS/usbip_status)" = 1 ] || fail "usbip_status changed after a double bind"

step "unbind of a device that is not bound"
expect_rc 1 "$T/usbip" unbind -b "$HS"
on_usb_storage "$HS" || fail "$HS left usb-storage after a refused unbind"

step "detach of a free port / bad ports"
expect_rc 0 "$T/usbip" detach -p 0
expect_rc 1 "$T/usbip" detach -p abc
expect_rc 1 "$T/usbip" detach -p 250
vhci_all_free || fail "ports in use after detaching free ports"

step "two devices at once (ss + hs)"
expect_rc 0 "$T/usbip" bind -b "$HS"
wait_until 10 on_stub "$HS" || fail "$HS not on usbip-host after bind"
expect_rc 0 "$T/usbip" list -r 127.0.0.1
grep -q "^ *$SS: " /tmp/out && grep -q "^ *$HS: " /tmp/out || fail "list -r does not show both sticks"
expect_rc 0 "$T/usbip" attach -r 127.0.0.1 -b "$SS"
# (the reference attach fails with "open vhci_driver" while another imported
# device is still enumerating: its status line says 006 but the local USB device
# is not in sysfs yet, so wait for the first import to settle)
wait_until 30 imported_disk_of_size "$SS_BYTES" || fail "SuperSpeed stick not imported"
expect_rc 0 "$T/usbip" attach -r 127.0.0.1 -b "$HS"
wait_until 30 imported_disk_of_size "$HS_BYTES" || fail "high-speed stick not imported"
expect_rc 0 "$T/usbip" port
cp /tmp/out /tmp/$NAME.port2
n=$(grep -c '^Port ' /tmp/$NAME.port2)
[ "$n" = 2 ] || fail "usbip port lists $n ports, expected 2"
P_SS=$(grep 'Super Speed' /tmp/$NAME.port2 | port_from_output)
P_HS=$(grep 'High Speed(480Mbps)' /tmp/$NAME.port2 | port_from_output)
[ -n "$P_SS" ] && [ "$P_SS" -ge 15 ] && [ "$P_SS" -lt 30 ] || fail "SuperSpeed import on port '$P_SS', expected 15..29"
[ -n "$P_HS" ] && [ "$P_HS" -ge 0 ] && [ "$P_HS" -lt 15 ] || fail "high-speed import on port '$P_HS', expected 0..14"
grep -q "/$SS\$" /tmp/$NAME.port2 && grep -q "/$HS\$" /tmp/$NAME.port2 || fail "port output lacks a remote busid"
say "vhci ports in use:"; cat "$VHCI"/status* | grep -v ' 004 000 ' | grep -v '^hub' | sed 's/^/  /'
sum=$(sha256sum "/dev/$(imported_disk_of_size "$HS_BYTES")" | cut -d' ' -f1)
[ "$sum" = "$HS_SHA" ] || fail "high-speed stick reads wrong through vhci while both are attached"
sum=$(sha256sum "/dev/$(imported_disk_of_size "$SS_BYTES")" | cut -d' ' -f1)
[ "$sum" = "$SS_SHA" ] || fail "SuperSpeed stick reads wrong through vhci while both are attached"
expect_rc 0 "$T/usbip" detach -p "$P_HS"
wait_until 15 vhci_port_free "$P_HS" || fail "port $P_HS not freed"
[ "$(vhci_port_status "$P_SS")" = 006 ] || fail "detaching port $P_HS disturbed port $P_SS"
expect_rc 0 "$T/usbip" detach -p "$P_SS"
wait_until 15 vhci_all_free || fail "ports still in use after detaching both"
wait_until 15 no_imported_disks || fail "imported disks left after detaching both"

step "server gone while attached"
expect_rc 0 "$T/usbip" attach -r 127.0.0.1 -b "$SS"
wait_until 30 imported_disk_of_size "$SS_BYTES" || fail "SuperSpeed stick not imported"
DISK=$(imported_disk_of_size "$SS_BYTES")
expect_rc 0 "$T/usbip" port
P=$(port_from_output /tmp/out)
[ -n "$P" ] || fail "no port listed"
kill -9 $(pidof usbipd)
wait_until 5 sh -c '! pidof usbipd' || fail "usbipd survived kill -9"
dd if="/dev/$DISK" of=/dev/null bs=64k count=16 skip=64 iflag=direct 2>/dev/null ||
	fail "import stopped working when the daemon died (the kernel should own the connection)"
[ "$(vhci_port_status "$P")" = 006 ] || fail "port $P not in use after the daemon died"
say "server side: unbind $SS (closes the server end of the connection)"
expect_rc 0 "$T/usbip" unbind -b "$SS"
wait_until 30 vhci_port_free "$P" || fail "client port $P not freed within 30 s after the server went away (status $(vhci_port_status "$P"))"
wait_until 15 no_imported_disks || fail "imported disk left after the server went away"
expect_rc 0 "$T/usbip" port
grep -q '^Port ' /tmp/out && fail "usbip port still lists a port after the server went away"
say "record after the kernel dropped the connection: $(cat /var/run/vhci_hcd/port$P 2>/dev/null || echo none)"
expect_rc 0 "$T/usbip" detach -p "$P"
wait_until 20 on_usb_storage "$SS" || fail "$SS not back on usb-storage"

step "cleanup"
expect_rc 0 "$T/usbip" unbind -b "$HS"
wait_until 20 on_usb_storage "$HS" || fail "$HS not back on usb-storage"
say "scenario $NAME ok"
exit 0
