# SPDX-License-Identifier: GPL-2.0-or-later
# sc-persist.sh NAME
# Device persistence (issue 9), our usbip and usbipd on both sides of loopback.
# The server exports by rule (usbip bind --persist), the client imports by
# selector under a supervisor (usbip attach --persistent); after each event the
# stick must be readable through vhci again within TTR_MAX seconds (default 10,
# USBIP_VM_TTR_MAX), then read back whole and bit-exact (FIGURE:
# the time to recovery).  Scenarios:
#   persist-replug-same-port   unplug + plug on the same xhci port (same bus id)
#   persist-replug-other-port  plug into port 3: the bus id changes; the rule
#                              binds the new one, the supervisor imports it
#   persist-conn-loss-vhci     the vhci port detached through sysfs behind the
#                              supervisor's back: it attaches again
#   persist-conn-loss-unbind   usbip unbind + usbip bind on the server
#   persist-detach-stays       usbip detach -p of a supervised port: still
#                              detached 10 s later (no recovery)
#   persist-usbipd-late        the device is there (not bound) before usbipd
#                              starts: usbipd binds it from the rules
# Each is SKIPped, naming the feature, only while the binaries lack the options
# (bind --persist, attach --persistent); once they have them, it runs.
. /vmtest/lib.sh

NAME=$1
T=/ours
TTR_MAX=${TTR_MAX:-10}
LABEL=$NAME
if [ "${FAKE_PERSIST:-0}" = 1 ]; then
	# harness self-check only: fake-persist.sh stands in for the features
	T=/tmp/fake
	mkdir -p $T
	printf '#!/bin/sh\nexec sh /vmtest/fake-persist.sh "$@"\n' >$T/usbip
	chmod 755 $T/usbip
	ln -sf /ours/usbipd $T/usbipd
	LABEL="$NAME (fake)"
fi

# ---- how the features are called: the one place to adapt to the final
# interfaces (expected: rules written by `usbip bind --persist` and read by
# usbipd, `usbipd --rules PATH` or usbipd.conf `rules=`; the client's
# `attach --persistent` forks a supervisor that logs to syslog/stderr, keeps a
# state file in the state dir, and `usbip port` marks its ports "supervised").
# The two sticks share 46f4:0001: the high-speed one is unplugged meanwhile.
SEL="-i 46f4:0001"
# One rules file for both sides, outside the installed sysconfdir.
export USBIP_EXPORT_RULES=/tmp/usbip-rules/export.rules
p_bind() { mkdir -p /tmp/usbip-rules; run $T/usbip bind --persist $SEL; }
p_attach() { run $T/usbip attach --persistent -r 127.0.0.1 $SEL; }
p_usbipd() { start_usbipd $T --rules "$USBIP_EXPORT_RULES"; }
# everything persistence leaves behind: supervisors, rules, state
p_cleanup() {
	_p=$(pidof usbip); [ -n "$_p" ] && kill $_p 2>/dev/null
	run $T/usbip unbind --persist $SEL
	kill_usbipd
	persist_reset
}

need_features() {
	$T/usbip bind --help 2>&1 | grep -q -- --persist ||
		skip "needs feature: usbip bind --persist (export rules in usbipd)"
	$T/usbip attach --help 2>&1 | grep -q -- --persistent ||
		skip "needs feature: usbip attach --persistent (import supervisor)"
}

# supervised_port: the vhci port `usbip port` shows, "supervised" required
# (stdout: the port number only; the log goes to stderr)
supervised_port() {
	run $T/usbip port >&2
	_sp=$(port_from_output /tmp/out)
	[ -n "$_sp" ] || return 1
	grep -qi supervised /tmp/out || { say "usbip port does not say 'supervised'" >&2; return 1; }
	echo "$_sp"
}

# recovered WHAT: the stick readable again within TTR_MAX s, then bit-exact,
# on a supervised port; FIGURE.
recovered() {
	expect_recovered "$TTR_MAX" "$1"
	supervised_port >/dev/null || fail "$1: the port is not supervised after the recovery"
	figure "$LABEL: time to recovery $(cs_fmt $TTR_CS) s ($1; whole stick bit-exact through vhci, read in $(cs_fmt $READ_CS) s)"
}

# disk_path_gone PATH: the old imported disk (its sysfs path) has gone away
disk_path_gone() { [ ! -e "$1" ]; }
imported_disk_path() { _d=$(imported_disk_of_size "$SS_BYTES") && readlink -f "/sys/block/$_d"; }

# ---- common start: rule, daemon, supervised import, first read back
setup() {
	need_features
	B=$(ss_busid) || fail "no SuperSpeed stick"
	on_usb_storage "$B" || fail "precondition: $B not on usb-storage"
	vhci_all_free || fail "precondition: vhci ports in use: $(vhci_used_ports)"
	hs_unplug || fail "cannot unplug the high-speed stick (same vendor:product)"
	trap p_cleanup EXIT
	if [ "${1:-}" != no-daemon ]; then
		step "export rule, usbipd"
		p_bind
		[ "$RC" = 0 ] || fail "usbip bind --persist $SEL exited $RC"
		wait_until 10 on_stub "$B" || fail "after bind --persist, $B is not on usbip-host"
		p_usbipd
		step "supervised import"
		ttr_mark
		p_attach
		[ "$RC" = 0 ] || fail "usbip attach --persistent exited $RC"
		wait_until 30 imported_head_ok || fail "stick not readable through vhci after attach --persistent"
		say "stick readable $(cs_fmt $(since_mark)) s after attach --persistent"
		PORT=$(supervised_port) || fail "no supervised port after attach --persistent"
	fi
}

case "$NAME" in
persist-replug-same-port)
	setup
	step "replug on the same port"
	stick_unplug || fail "unplug through the monitor failed"
	# recovery counts from the plug-in: nothing can recover while it is out
	ttr_mark
	stick_plug "$(stick_port)" || fail "plug through the monitor failed"
	[ "$(ss_busid)" = "$B" ] || fail "bus id changed on a same-port replug: $B -> $(ss_busid)"
	recovered "from the plug-in on the same port"
	;;
persist-replug-other-port)
	setup
	step "unplug, plug into port 3"
	stick_unplug || fail "unplug through the monitor failed"
	ttr_mark
	stick_plug 3 || fail "plug into port 3 through the monitor failed"
	NB=$(ss_busid)
	[ "$NB" != "$B" ] || fail "plug into another port kept the bus id $B"
	say "bus id $B -> $NB"
	recovered "from the plug-in on another port, $B -> $NB"
	on_stub "$NB" || fail "the rule did not bind $NB to usbip-host"
	;;
persist-conn-loss-vhci)
	setup
	step "detach vhci port $PORT through sysfs (behind the supervisor's back)"
	old=$(imported_disk_path)
	ttr_mark
	echo "$PORT" >"$VHCI/detach" || fail "write $PORT to $VHCI/detach failed"
	wait_until 5 disk_path_gone "$old" || fail "the imported disk did not go away after the sysfs detach"
	recovered "vhci port detached through sysfs"
	;;
persist-conn-loss-unbind)
	setup
	step "usbip unbind + usbip bind on the server"
	old=$(imported_disk_path)
	ttr_mark
	expect_rc 0 $T/usbip unbind -b "$B"
	wait_until 5 disk_path_gone "$old" || fail "the imported disk did not go away after unbind"
	# the rule may have bound it again already
	if ! on_stub "$B"; then
		run $T/usbip bind -b "$B"
		on_stub "$B" || [ "$RC" = 0 ] || fail "usbip bind -b $B exited $RC"
	fi
	recovered "usbip unbind + bind on the server"
	;;
persist-detach-stays)
	setup
	step "usbip detach -p $PORT (supervised): must stay detached"
	expect_rc 0 $T/usbip detach -p "$PORT"
	wait_until 15 vhci_port_free "$PORT" || fail "port $PORT not free after detach"
	sleep 10
	vhci_all_free || fail "a port is in use again 10 s after usbip detach: $(vhci_used_ports)"
	no_imported_disks || fail "an imported disk is back 10 s after usbip detach"
	run $T/usbip port
	grep -q '^Port ' /tmp/out && fail "usbip port lists a port 10 s after usbip detach"
	figure "$LABEL: supervised port $PORT still detached 10 s after usbip detach -p"
	;;
persist-usbipd-late)
	setup no-daemon
	step "rule first, device present and unbound, then usbipd"
	kill_usbipd
	p_bind
	[ "$RC" = 0 ] || fail "usbip bind --persist $SEL (no usbipd running) exited $RC"
	# A device that appears while no usbipd runs: out, its bus id forgotten by
	# usbip-host, in on port 3 (a bus id nobody bound).
	stick_unplug || fail "unplug through the monitor failed"
	for b in $(cat "$STUB/match_busid" 2>/dev/null); do printf 'del %s' "$b" >"$STUB/match_busid"; done
	stick_plug 3 || fail "plug into port 3 failed"
	NB=$(ss_busid)
	wait_until 20 on_usb_storage "$NB" || fail "$NB not on usb-storage while no usbipd runs (driver $(devdriver "$NB"))"
	ttr_mark
	p_usbipd
	wait_until "$TTR_MAX" on_stub "$NB" || fail "usbipd did not bind $NB from the rules within $TTR_MAX s"
	say "usbipd bound $NB $(cs_fmt $(since_mark)) s after its start"
	p_attach
	[ "$RC" = 0 ] || fail "usbip attach --persistent exited $RC"
	recovered "usbipd started after the device appeared"
	;;
*) fail "unknown scenario $NAME" ;;
esac

step "clean up"
p_cleanup
trap - EXIT
say "scenario $NAME ok"
exit 0
