# SPDX-License-Identifier: GPL-2.0-or-later
# sc-tls.sh NAME
# USB/IP over mutual TLS with kernel TLS, our tools on both sides (loopback).
# The certificates were made on the host (contrib/usbip-make-certs.sh):
# /vmtest/certs/good (CA, server for 127.0.0.1, client "alice") and
# /vmtest/certs/other (another CA with its own server and client "mallory").
#   - refusals, each leaving nothing attached and saying why: a plaintext
#     client against --require-tls, a client certificate from another CA,
#     a server certificate from another CA, a TLS client against a
#     plaintext usbipd;
#   - list -r and attach over TLS; the stick reads back bit-exact through
#     vhci; /proc/net/tls_stat counts kernel TLS on both ends (TX and RX);
#   - no stick data crosses in clear: with tcpdump in the guest, a capture
#     of a read over TLS holds none of 8 samples of the stick's content
#     (and, as a check of the check, one over plaintext holds them).
. /vmtest/lib.sh

NAME=$1
B=$SS_BUSID
G=/vmtest/certs/good O=/vmtest/certs/other
TLSD="--tls-cert $G/server.pem --tls-key $G/server-key.pem --tls-ca $G/ca.pem"
ALICE="--tls-ca $G/ca.pem --tls-cert $G/client-alice.pem --tls-key $G/client-alice-key.pem"
D=/tmp/$NAME
mkdir -p "$D"
say "scenario $NAME: stick=$B"

[ -n "$B" ] || fail "no SuperSpeed stick"
on_usb_storage "$B" || fail "precondition: $B not on usb-storage"
vhci_all_free || fail "precondition: vhci ports in use: $(vhci_used_ports)"
[ -f "$G/ca.pem" ] || fail "no certificates in /vmtest/certs (made by run-vm-tests.sh)"

# tls_stat FIELD: a counter of /proc/net/tls_stat (0 when absent).
tls_stat() { awk -v f="$1" '$1 == f { print $2; found = 1 } END { if (!found) print 0 }' /proc/net/tls_stat 2>/dev/null || echo 0; }

# Samples of the stick's content (hex), 16 bytes every 4 KiB of the first
# 32 KiB: random data, so finding one in a capture means it crossed in clear.
LOCAL=$(disk_of_busid "$B")
: >"$D/samples"
for i in 1 2 3 4 5 6 7 8; do
	dd if="/dev/$LOCAL" bs=16 skip=$((i * 256)) count=1 iflag=direct 2>/dev/null |
		od -An -tx1 -v | tr -d ' \n' >>"$D/samples"
	echo >>"$D/samples"
done

# clear_hits FILE: how many samples occur in the capture FILE.
clear_hits() {
	od -An -tx1 -v "$1" | tr -d ' \n' >"$D/cap.hex"
	_n=0
	while read -r s; do
		[ -n "$s" ] || continue
		# byte-aligned only: od's pairs make every even offset a byte start
		awk -v s="$s" '{ p = 0; while ((i = index(substr($0, p + 1), s)) > 0) { if ((p + i) % 2 == 1) { found = 1; exit } p += i } } END { exit !found }' "$D/cap.hex" && _n=$((_n + 1))
	done <"$D/samples"
	rm -f "$D/cap.hex"
	echo "$_n"
}

# nothing_attached WHAT: after a refused attach, no port and no disk.
nothing_attached() {
	vhci_all_free || fail "$1: vhci ports in use: $(vhci_used_ports)"
	no_imported_disks || fail "$1: an imported disk appeared"
	[ "$(cat "/sys/bus/usb/devices/$B/usbip_status")" = 1 ] ||
		fail "$1: server usbip_status is $(cat "/sys/bus/usb/devices/$B/usbip_status"), expected 1 (available)"
}

step "bind"
expect_rc 0 /ours/usbip bind -b "$B"
wait_until 10 on_stub "$B" || fail "after bind, $B is not on usbip-host"

# ---- a TLS client against a plaintext server
step "TLS client, plaintext usbipd"
start_usbipd /ours
run /ours/usbip $ALICE attach -r 127.0.0.1 -b "$B"
[ "$RC" != 0 ] || fail "TLS attach to a plaintext usbipd succeeded"
grep -q "usbipd --tls-cert" /tmp/err || fail "TLS client vs plaintext server: no hint at the server's TLS settings: $(cat /tmp/err)"
nothing_attached "TLS client vs plaintext server"
kill_usbipd

step "usbipd with TLS required"
# In the foreground, its messages in a file the refusals are looked up in.
LOG=$D/usbipd.log
/ours/usbipd $TLSD --require-tls 2>"$LOG" &
wait_until 10 listening 3240 || fail "usbipd with TLS is not listening: $(cat "$LOG")"
[ -e /proc/net/tls_stat ] || fail "usbipd did not load the tls module (/proc/net/tls_stat missing)"
tx0=$(tls_stat TlsTxSw) rx0=$(tls_stat TlsRxSw)

# ---- plaintext client against --require-tls
step "plaintext client, --require-tls"
run /ours/usbip attach -r 127.0.0.1 -b "$B"
[ "$RC" != 0 ] || fail "plaintext attach succeeded against --require-tls"
nothing_attached "plaintext client"
wait_until 5 grep -q "refused: plaintext USB/IP, and TLS is required" "$LOG" ||
	fail "usbipd logged no refusal of the plaintext client"

# ---- client certificate from another CA
step "client certificate from another CA"
run /ours/usbip --tls-ca $G/ca.pem --tls-cert $O/client-mallory.pem --tls-key $O/client-mallory-key.pem \
	attach -r 127.0.0.1 -b "$B"
[ "$RC" != 0 ] || fail "attach with a client certificate from another CA succeeded"
grep -q "server refused the handshake" /tmp/err || fail "wrong client cert: unclear message: $(cat /tmp/err)"
nothing_attached "wrong client certificate"
wait_until 5 grep -q "client certificate not accepted" "$LOG" ||
	fail "usbipd logged no refusal of the client certificate"

# ---- no client certificate
step "no client certificate"
run /ours/usbip --tls-ca $G/ca.pem attach -r 127.0.0.1 -b "$B"
[ "$RC" != 0 ] || fail "attach without a client certificate succeeded"
nothing_attached "no client certificate"

# ---- server certificate from another CA (the client trusts only "other")
step "server certificate from another CA"
run /ours/usbip --tls-ca $O/ca.pem --tls-cert $O/client-mallory.pem --tls-key $O/client-mallory-key.pem \
	attach -r 127.0.0.1 -b "$B"
[ "$RC" != 0 ] || fail "attach to a server with a certificate from another CA succeeded"
grep -q "server certificate not accepted" /tmp/err || fail "wrong server CA: unclear message: $(cat /tmp/err)"
nothing_attached "server certificate from another CA"

# ---- list -r and attach over TLS
step "list -r over TLS"
expect_rc 0 /ours/usbip $ALICE list -r 127.0.0.1
grep -q "^ *$B: " /tmp/out || fail "list -r over TLS does not show $B"

step "attach over TLS"
expect_rc 0 /ours/usbip $ALICE attach -r 127.0.0.1 -b "$B"
wait_until 30 imported_disk_of_size "$SS_BYTES" || fail "no imported disk after the TLS attach"
DISK=$(imported_disk_of_size "$SS_BYTES")
say "tls_stat while attached:"; sed 's/^/  /' /proc/net/tls_stat
[ "$(tls_stat TlsCurrTxSw)" -ge 2 ] && [ "$(tls_stat TlsCurrRxSw)" -ge 2 ] ||
	fail "kernel TLS not on both ends: TlsCurrTxSw=$(tls_stat TlsCurrTxSw) TlsCurrRxSw=$(tls_stat TlsCurrRxSw)"
info "$NAME: tls_stat while attached: TlsCurrTxSw=$(tls_stat TlsCurrTxSw) TlsCurrRxSw=$(tls_stat TlsCurrRxSw) TlsTxSw=$(($(tls_stat TlsTxSw) - tx0)) TlsRxSw=$(($(tls_stat TlsRxSw) - rx0)) (new)"

step "read the stick through vhci over kernel TLS"
if command -v tcpdump >/dev/null; then
	tcpdump -i lo -Z root -s 0 -U -w "$D/tls.pcap" tcp port 3240 2>"$D/tcpdump.err" &
	TD=$!
	usleep 500000
fi
sum=$(sha256sum "/dev/$DISK" | cut -d' ' -f1)
[ "$sum" = "$SS_SHA" ] || fail "sha256 over TLS $sum != image $SS_SHA"
if [ -n "${TD:-}" ]; then
	usleep 300000
	kill "$TD"; wait "$TD" 2>/dev/null
	size=$(wc -c <"$D/tls.pcap")
	[ "$size" -gt $((SS_BYTES / 2)) ] || fail "the capture holds $size bytes: it missed the read"
	hits=$(clear_hits "$D/tls.pcap")
	info "$NAME: capture of the read over TLS: $size bytes, $hits of 8 stick samples in clear"
	[ "$hits" = 0 ] || fail "$hits samples of the stick's content crossed in clear"
else
	note "$NAME: no tcpdump in the guest: no capture (kernel counters only)"
fi

step "port"
expect_rc 0 /ours/usbip port
PORT=$(port_from_output /tmp/out)
[ -n "$PORT" ] || fail "usbip port shows no port"
grep -q "usbip://127.0.0.1:3240/$B\$" /tmp/out || fail "port output lacks usbip://127.0.0.1:3240/$B"
grep -q "^ *encrypted: TLS, in the kernel\$" /tmp/out || fail "usbip port does not show the port as encrypted"
expect_rc 0 /ours/usbip detach -p "$PORT"
[ -e "/var/run/vhci_hcd/tls.port$PORT" ] && fail "the TLS note of port $PORT is left after detach"
wait_until 15 vhci_all_free || fail "port not free after detach"
wait_until 15 no_imported_disks || fail "imported disk still present after detach"
wait_until 10 sh -c "[ \"\$(cat /sys/bus/usb/devices/$B/usbip_status)\" = 1 ]" ||
	fail "server usbip_status not back to 1 after detach"
kill_usbipd

# ---- the check of the check: over plaintext the samples are in the capture
if command -v tcpdump >/dev/null; then
	step "plaintext capture (the samples must show)"
	start_usbipd /ours
	expect_rc 0 /ours/usbip attach -r 127.0.0.1 -b "$B"
	wait_until 30 imported_disk_of_size "$SS_BYTES" || fail "no imported disk after the plaintext attach"
	DISK=$(imported_disk_of_size "$SS_BYTES")
	tcpdump -i lo -Z root -s 0 -U -w "$D/plain.pcap" tcp port 3240 2>"$D/tcpdump.err" &
	TD=$!
	usleep 500000
	dd if="/dev/$DISK" of=/dev/null bs=1M count=1 iflag=direct 2>/dev/null
	usleep 300000
	kill "$TD"; wait "$TD" 2>/dev/null
	hits=$(clear_hits "$D/plain.pcap")
	info "$NAME: capture of a plaintext read: $hits of 8 stick samples in clear"
	[ "$hits" -gt 0 ] || fail "the capture check finds no sample even over plaintext: it proves nothing"
	run /ours/usbip port
	PORT=$(port_from_output /tmp/out)
	grep -q "encrypted" /tmp/out && fail "usbip port shows a plaintext port as encrypted"
	run /ours/usbip detach -p "$PORT"
	wait_until 15 vhci_all_free || fail "port not free after detach"
	wait_until 15 no_imported_disks
	kill_usbipd
fi

expect_rc 0 /ours/usbip unbind -b "$B"
wait_until 20 on_usb_storage "$B" || fail "after unbind, $B is not back on usb-storage"
say "scenario $NAME ok"
exit 0
