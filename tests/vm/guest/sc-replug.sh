# SPDX-License-Identifier: GPL-2.0-or-later
# sc-replug.sh NAME same|other
# What a replug does to an import today (our usbip and usbipd on both sides, no
# persistence): bind the SuperSpeed stick, attach it through vhci and read it
# back bit-exact; then pull it out through QEMU's monitor and plug it back on
# the same xhci port (same bus id) or on port 3 (the bus id changes).  Shows
# that the client's vhci port drops (the failure device persistence is to fix),
# then recovers by hand: bind the stick again if usbip-host did not take it
# back by itself, attach again, read back bit-exact.  FIGURE: when the port
# dropped, when the stick was back on the server, and the time to recovery
# (unplug -> bit-exact read through vhci) of the manual steps.
. /vmtest/lib.sh

NAME=$1 MODE=$2
T=/ours
B=$(ss_busid) || fail "no SuperSpeed stick"
[ "$B" = "$SS_BUSID" ] || fail "precondition: stick on $B, expected $SS_BUSID"
on_usb_storage "$B" || fail "precondition: $B not on usb-storage"
vhci_all_free || fail "precondition: vhci ports in use: $(vhci_used_ports)"
case "$MODE" in
same) TO_PORT=$(stick_port) ;;
other) TO_PORT=3 ;;
*) fail "mode $MODE: same or other" ;;
esac
say "scenario $NAME: stick $B on xhci port $(stick_port), replug to port $TO_PORT"

step "bind, usbipd, attach"
expect_rc 0 $T/usbip bind -b "$B"
wait_until 10 on_stub "$B" || fail "after bind, $B is not on usbip-host"
start_usbipd $T
ttr_mark
expect_rc 0 $T/usbip attach -r 127.0.0.1 -b "$B"
wait_until 30 imported_head_ok || fail "stick not readable through vhci after attach"
say "stick readable through vhci $(cs_fmt $(since_mark)) s after attach"
expect_rc 0 $T/usbip port
PORT=$(port_from_output /tmp/out)
[ -n "$PORT" ] || fail "usbip port shows no port"

step "replug: unplug, plug into port $TO_PORT"
ttr_mark
stick_unplug || fail "unplug through the monitor failed"
t_out=$(since_mark)
stick_plug "$TO_PORT" || fail "plug into port $TO_PORT through the monitor failed"
NB=$(ss_busid)
t_in=$(since_mark)
say "stick out after $(cs_fmt $t_out) s, back as $NB after $(cs_fmt $t_in) s"
if [ "$MODE" = same ]; then
	[ "$NB" = "$B" ] || fail "replug on the same port changed the bus id: $B -> $NB"
else
	[ "$NB" != "$B" ] || fail "replug on port $TO_PORT kept the bus id $B"
fi

# Today's behaviour: usbip-host lost the device, so the server closes the
# connection and vhci frees the client's port.  Persistence is to fix this.
step "the client's port $PORT drops"
wait_until 15 vhci_port_free "$PORT" ||
	fail "client's vhci port $PORT still in use 15 s after the replug (status $(vhci_port_status "$PORT"))"
t_drop=$(since_mark)
wait_until 15 no_imported_disks || fail "imported disk still present after the port dropped"
expect_rc 0 $T/usbip port
grep -q '^Port ' /tmp/out && fail "usbip port still lists a port after the drop"
say "client port $PORT dropped $(cs_fmt $t_drop) s after the unplug"

step "the stick on the server after the replug"
on_either() { on_stub "$NB" || on_usb_storage "$NB"; }
wait_until 15 on_either || fail "$NB neither on usbip-host nor on usb-storage after the replug"
t_back=$(since_mark)
if on_stub "$NB"; then
	# usbip-host keeps the bus id in match_busid and claims the device again
	how="usbip-host took it back by itself"
	[ "$MODE" = same ] || fail "$NB (a new bus id) was claimed by usbip-host without a bind"
else
	how="back on usb-storage"
fi
say "$NB: $how ($(cs_fmt $t_back) s)"

step "recover by hand: bind (if needed), attach, read back"
if ! on_stub "$NB"; then
	expect_rc 0 $T/usbip bind -b "$NB"
	wait_until 10 on_stub "$NB" || fail "after bind, $NB is not on usbip-host"
fi
st=$(cat "/sys/bus/usb/devices/$NB/usbip_status" 2>/dev/null)
[ "$st" = 1 ] || fail "usbip_status of $NB is '$st' before the new attach, expected 1"
expect_rc 0 $T/usbip attach -r 127.0.0.1 -b "$NB"
expect_recovered 30 "manual re-attach"
figure "$NAME (today, by hand): client port dropped after $(cs_fmt $t_drop) s, stick back on the server after $(cs_fmt $t_back) s ($how), time to recovery by bind+attach $(cs_fmt $TTR_CS) s from the unplug, $(cs_fmt $((TTR_CS - t_in))) s from the plug-in (whole stick bit-exact, read in $(cs_fmt $READ_CS) s)"

step "clean up"
expect_rc 0 $T/usbip port
P2=$(port_from_output /tmp/out)
[ -n "$P2" ] || fail "usbip port shows no port after the re-attach"
expect_rc 0 $T/usbip detach -p "$P2"
wait_until 15 vhci_all_free || fail "port $P2 not free after detach"
wait_until 15 no_imported_disks || fail "imported disk still present after detach"
kill_usbipd
expect_rc 0 $T/usbip unbind -b "$NB"
wait_until 20 on_usb_storage "$NB" || fail "after unbind, $NB not on usb-storage"
if [ "$MODE" = other ]; then
	# the old bus id's entry is still in usbip-host's table: drop it
	grep -qw "$B" "$STUB/match_busid" && printf 'del %s' "$B" >"$STUB/match_busid"
	stick_home || fail "cannot put the stick back on port $SS_HOME_PORT"
	wait_until 20 on_usb_storage "$SS_BUSID" || fail "$SS_BUSID not on usb-storage after going home"
fi
say "scenario $NAME ok"
exit 0
