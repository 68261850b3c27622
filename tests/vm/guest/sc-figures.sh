# SPDX-License-Identifier: GPL-2.0-or-later
# sc-figures.sh NAME
# Figures, printed and not asserted: attach latency (the attach command alone,
# and until the imported disk is usable) and sequential read MB/s through vhci
# (dd of the whole SuperSpeed stick, O_DIRECT, 1 MiB blocks), for the reference
# tools and for ours (the same tools on both sides), plus ours/ref ratios.
# Rounds alternate ref/ours; the best of the rounds is kept (TCG timing is noisy,
# more so on a busy host).  Fails only if a measurement could not be taken.
. /vmtest/lib.sh

NAME=$1
B=$SS_BUSID
ROUNDS=${FIGURE_ROUNDS:-2}
TOOLS=/ref
[ "$HAVE_OURS" = 1 ] && TOOLS="/ref /ours"
bad=""

best_min() { if [ -z "$1" ] || [ "$2" -lt "$1" ]; then echo "$2"; else echo "$1"; fi; }
best_max() { if [ -z "$1" ] || [ "$2" -gt "$1" ]; then echo "$2"; else echo "$1"; fi; }

# one_round DIR: bind, usbipd, attach (timed), read (timed), detach, unbind.
# Sets C (attach command ms), K (disk ready ms), M (read speed in 0.1 MB/s).
one_round() {
	T=$1
	run "$T/usbip" bind -b "$B"
	[ "$RC" = 0 ] || return 1
	wait_until 10 on_stub "$B" || return 1
	run "$T/usbipd" -D
	wait_until 10 listening 3240 || return 1
	t0=$(now_cs)
	run "$T/usbip" attach -r 127.0.0.1 -b "$B"
	[ "$RC" = 0 ] || return 1
	t1=$(now_cs)
	wait_until 30 imported_disk_of_size "$SS_BYTES" || return 1
	t2=$(now_cs)
	DISK=$(imported_disk_of_size "$SS_BYTES")
	C=$(( (t1 - t0) * 10 )) K=$(( (t2 - t0) * 10 ))
	t0=$(now_cs)
	dd if="/dev/$DISK" of=/dev/null bs=1M iflag=direct 2>/dev/null || return 1
	t1=$(now_cs)
	dt=$((t1 - t0)); [ "$dt" -gt 0 ] || dt=1
	M=$(( SS_BYTES / 1000 * 100 / dt / 100 ))
	run "$T/usbip" port
	P=$(port_from_output /tmp/out)
	[ -n "$P" ] || return 1
	run "$T/usbip" detach -p "$P"
	wait_until 15 vhci_all_free || return 1
	wait_until 15 no_imported_disks || return 1
	kill_usbipd
	run "$T/usbip" unbind -b "$B"
	wait_until 20 on_usb_storage "$B" || return 1
	return 0
}

r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for T in $TOOLS; do
		n=${T#/}
		case " $bad " in *" $n "*) continue ;; esac
		step "round $r: $n"
		if one_round "$T"; then
			say "round $r $n: attach command $C ms, disk ready after $K ms, read $((M / 10)).$((M % 10)) MB/s"
			eval "${n}_cmd=\$(best_min \"\${${n}_cmd:-}\" $C)"
			eval "${n}_disk=\$(best_min \"\${${n}_disk:-}\" $K)"
			eval "${n}_mbs=\$(best_max \"\${${n}_mbs:-}\" $M)"
		else
			say "round $r $n: measurement failed"
			bad="$bad $n"
			reset_state >/dev/null 2>&1
		fi
	done
done

ratio() { # a b -> a/b with two decimals
	if [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ]; then
		x=$(( $1 * 100 / $2 ))
		printf '%d.%02d\n' $((x / 100)) $((x % 100))
	else
		echo n/a
	fi
}
for T in $TOOLS; do
	n=${T#/}
	case " $bad " in
	*" $n "*) figure "$n: measurement failed (see the console log)" ;;
	*) eval "c=\$${n}_cmd k=\$${n}_disk m=\$${n}_mbs"
	   figure "$n: attach command $c ms, imported disk ready after $k ms, sequential read $((m / 10)).$((m % 10)) MB/s (best of $ROUNDS)" ;;
	esac
done
if [ "$HAVE_OURS" = 1 ] && [ -z "$bad" ]; then
	figure "ours/ref: attach command $(ratio "$ours_cmd" "$ref_cmd"), disk ready $(ratio "$ours_disk" "$ref_disk"), read speed $(ratio "$ours_mbs" "$ref_mbs")"
fi
[ -z "$bad" ] || fail "measurement failed for:$bad"
exit 0
