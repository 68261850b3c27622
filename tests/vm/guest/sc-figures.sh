# SPDX-License-Identifier: GPL-2.0-or-later
# sc-figures.sh NAME
# Figures, printed and not asserted: attach latency (the attach command, and
# until the imported disk is usable) and sequential read MB/s through vhci (dd of
# the whole SuperSpeed stick, O_DIRECT, 1 MiB blocks), for the reference tools and
# for ours (same tools on both sides), plus ours/ref ratios.
# Fails only if a measurement could not be taken.
. /vmtest/lib.sh

NAME=$1
B=$SS_BUSID
ROUNDS=2
TOOLS=/ref
[ "$HAVE_OURS" = 1 ] && TOOLS="/ref /ours"
bad=""

# measure DIR -> sets ATT_CMD ATT_DISK (ms, best of ROUNDS) and MBS (best)
measure() {
	T=$1
	ATT_CMD="" ATT_DISK="" MBS=""
	run "$T/usbip" bind -b "$B"
	[ "$RC" = 0 ] || return 1
	wait_until 10 on_stub "$B" || return 1
	run "$T/usbipd" -D
	wait_until 10 listening 3240 || return 1
	r=0
	while [ $r -lt $ROUNDS ]; do
		r=$((r + 1))
		t0=$(now_cs)
		run "$T/usbip" attach -r 127.0.0.1 -b "$B"
		[ "$RC" = 0 ] || return 1
		t1=$(now_cs)
		wait_until 30 imported_disk_of_size "$SS_BYTES" || return 1
		t2=$(now_cs)
		DISK=$(imported_disk_of_size "$SS_BYTES")
		c=$(( (t1 - t0) * 10 )) d=$(( (t2 - t0) * 10 ))
		{ [ -z "$ATT_CMD" ] || [ "$c" -lt "$ATT_CMD" ]; } && ATT_CMD=$c
		{ [ -z "$ATT_DISK" ] || [ "$d" -lt "$ATT_DISK" ]; } && ATT_DISK=$d
		t0=$(now_cs)
		dd if="/dev/$DISK" of=/dev/null bs=1M iflag=direct 2>/dev/null || return 1
		t1=$(now_cs)
		dt=$((t1 - t0)); [ "$dt" -gt 0 ] || dt=1
		# MB/s with one decimal: bytes*100/cs / 1e6 ... in tenths
		m=$(( SS_BYTES / 1000 * 100 / dt / 100 ))
		{ [ -z "$MBS" ] || [ "$m" -gt "$MBS" ]; } && MBS=$m
		say "round $r: attach cmd $c ms, disk after $d ms, read $(( m / 10 )).$(( m % 10 )) MB/s"
		run "$T/usbip" port
		P=$(port_from_output /tmp/out)
		run "$T/usbip" detach -p "$P"
		wait_until 15 vhci_all_free || return 1
		wait_until 15 no_imported_disks || return 1
	done
	kill_usbipd
	run "$T/usbip" unbind -b "$B"
	wait_until 20 on_usb_storage "$B" || return 1
	return 0
}

ratio() { # a b -> a/b with two decimals
	[ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ] || { echo n/a; return; }
	x=$(( $1 * 100 / $2 ))
	printf '%d.%02d\n' $((x / 100)) $((x % 100))
}

for T in $TOOLS; do
	n=${T#/}
	step "measure $n"
	if measure "$T"; then
		eval "${n}_cmd=$ATT_CMD ${n}_disk=$ATT_DISK ${n}_mbs=$MBS"
		figure "$n: attach command ${ATT_CMD} ms, imported disk ready after ${ATT_DISK} ms, sequential read $((MBS / 10)).$((MBS % 10)) MB/s (best of $ROUNDS)"
	else
		figure "$n: measurement failed (see the console log)"
		bad="$bad $n"
		reset_state >/dev/null 2>&1
	fi
done
if [ "$HAVE_OURS" = 1 ] && [ -n "${ours_cmd:-}" ] && [ -n "${ref_cmd:-}" ]; then
	figure "ours/ref: attach command $(ratio "$ours_cmd" "$ref_cmd"), disk ready $(ratio "$ours_disk" "$ref_disk"), read speed $(ratio "$ours_mbs" "$ref_mbs")"
fi
[ -z "$bad" ] || fail "measurement failed for:$bad"
exit 0
