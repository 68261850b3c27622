# SPDX-License-Identifier: GPL-2.0-or-later
# sc-tls-bench.sh NAME
# Figures, printed and not asserted: sequential read MB/s through vhci (dd of
# the whole SuperSpeed stick, O_DIRECT, 1 MiB blocks) with our tools on both
# sides, over plaintext, over TLS with the record layer in the kernel (kTLS),
# and over the usual workaround, a userspace TLS relay (stunnel, TLS 1.2
# AES-GCM as well) carrying plaintext USB/IP; then the ratios.  TCG emulates
# AES, so only the ratios within this run mean anything.  Rounds alternate
# the modes; the best of each is kept.  Fails only if a figure could not be
# taken (a relay that is missing is a NOTE and no figure).
. /vmtest/lib.sh

NAME=$1
B=$SS_BUSID
ROUNDS=${FIGURE_ROUNDS:-2}
G=/vmtest/certs/good
TLSD="--tls-cert $G/server.pem --tls-key $G/server-key.pem --tls-ca $G/ca.pem --require-tls"
ALICE="--tls-ca $G/ca.pem --tls-cert $G/client-alice.pem --tls-key $G/client-alice-key.pem"
RELAY_PORT=13240 RELAY_TLS_PORT=13241
MODES="plain ktls"
STUNNEL=$(command -v stunnel4 || command -v stunnel || true)
if [ -n "$STUNNEL" ]; then MODES="$MODES stunnel"; else note "$NAME: no stunnel in the guest: no relay figure"; fi

stunnel_start() {
	cat >/tmp/stunnel-s.conf <<-EOF
	foreground = no
	pid = /tmp/stunnel-s.pid
	[usbip]
	accept = 127.0.0.1:$RELAY_TLS_PORT
	connect = 127.0.0.1:3240
	cert = $G/server.pem
	key = $G/server-key.pem
	sslVersion = TLSv1.2
	ciphers = ECDHE-ECDSA-AES128-GCM-SHA256
	EOF
	cat >/tmp/stunnel-c.conf <<-EOF
	foreground = no
	pid = /tmp/stunnel-c.pid
	[usbip]
	client = yes
	accept = 127.0.0.1:$RELAY_PORT
	connect = 127.0.0.1:$RELAY_TLS_PORT
	sslVersion = TLSv1.2
	ciphers = ECDHE-ECDSA-AES128-GCM-SHA256
	EOF
	run "$STUNNEL" /tmp/stunnel-s.conf
	run "$STUNNEL" /tmp/stunnel-c.conf
	wait_until 10 listening $RELAY_PORT && wait_until 10 listening $RELAY_TLS_PORT
}
stunnel_stop() {
	for f in /tmp/stunnel-c.pid /tmp/stunnel-s.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
		rm -f "$f"
	done
	wait_until 5 not_listening $RELAY_PORT
}

# one MODE: usbipd, attach, read (timed), detach.  Sets M (0.1 MB/s units).
one() {
	case $1 in
	plain) start_usbipd /ours; CL="" ;;
	ktls) start_usbipd /ours $TLSD; CL=$ALICE ;;
	stunnel) start_usbipd /ours; stunnel_start || return 1; CL="--tcp-port $RELAY_PORT" ;;
	esac
	run /ours/usbip $CL attach -r 127.0.0.1 -b "$B"
	[ "$RC" = 0 ] || return 1
	wait_until 30 imported_disk_of_size "$SS_BYTES" || return 1
	DISK=$(imported_disk_of_size "$SS_BYTES")
	t0=$(now_cs)
	dd if="/dev/$DISK" of=/dev/null bs=1M iflag=direct 2>/dev/null || return 1
	t1=$(now_cs)
	dt=$((t1 - t0)); [ "$dt" -gt 0 ] || dt=1
	M=$(( SS_BYTES / 1000 * 100 / dt / 100 ))
	if [ "$1" = ktls ]; then
		K=$(awk '$1 == "TlsCurrTxSw" { print $2 }' /proc/net/tls_stat)
		[ "${K:-0}" -ge 2 ] || { say "kernel TLS not in use (TlsCurrTxSw=$K)"; return 1; }
	fi
	run /ours/usbip port
	P=$(port_from_output /tmp/out)
	[ -n "$P" ] || return 1
	run /ours/usbip detach -p "$P"
	wait_until 15 vhci_all_free || return 1
	wait_until 15 no_imported_disks || return 1
	[ "$1" = stunnel ] && stunnel_stop
	kill_usbipd
	return 0
}

expect_rc 0 /ours/usbip bind -b "$B"
wait_until 10 on_stub "$B" || fail "after bind, $B is not on usbip-host"
bad=""
best_plain="" best_ktls="" best_stunnel=""
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	for m in $MODES; do
		step "round $r: $m"
		if ! one "$m"; then
			bad="$bad $m"
			stunnel_stop
			reset_state >/dev/null 2>&1
			expect_rc 0 /ours/usbip bind -b "$B"
			wait_until 10 on_stub "$B"
			continue
		fi
		eval "cur=\$best_$m"
		if [ -z "$cur" ] || [ "$M" -gt "$cur" ]; then eval "best_$m=$M"; fi
		say "$m: $((M / 10)).$((M % 10)) MB/s"
	done
done
expect_rc 0 /ours/usbip unbind -b "$B"
wait_until 20 on_usb_storage "$B" || fail "after unbind, $B is not back on usb-storage"

mbs() { echo "$(($1 / 10)).$(($1 % 10))"; }
ratio() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ] && echo "$(( $1 * 100 / $2 / 100 )).$(( $1 * 100 / $2 % 100 / 10 ))$(( $1 * 100 / $2 % 10 ))"; }
for m in $MODES; do
	eval "v=\$best_$m"
	[ -n "$v" ] && figure "tls-read-MBps $m $(mbs "$v") (best of $ROUNDS, ${SS_BYTES} bytes)"
done
[ -n "$best_ktls" ] && [ -n "$best_plain" ] && figure "tls-ratio ktls/plain $(ratio "$best_ktls" "$best_plain")"
[ -n "$best_ktls" ] && [ -n "$best_stunnel" ] && figure "tls-ratio ktls/stunnel $(ratio "$best_ktls" "$best_stunnel")"
[ -n "$best_stunnel" ] && [ -n "$best_plain" ] && figure "tls-ratio stunnel/plain $(ratio "$best_stunnel" "$best_plain")"
[ -z "$bad" ] || fail "no figure for:$bad"
exit 0
