# SPDX-License-Identifier: GPL-2.0-or-later
# sc-flow.sh NAME CLIENT_DIR SERVER_DIR SLOT
# Export the SuperSpeed stick with SERVER_DIR/usbip bind + SERVER_DIR/usbipd -D,
# import it with CLIENT_DIR/usbip (list -r, attach, port), read it whole through
# vhci (sha256 against the host's image), write a block through vhci, detach,
# stop the daemon, unbind, and check the block on the stick as the server sees it
# (back on usb-storage).  The written block is restored afterwards.  Our
# usbipd must serve all this without any capability.
# The client's `list -r` and `port` stdout is compared byte for byte with the
# ref-ref run (baseline); when the client is ours, ours' and the reference client's
# stdout against the same server are compared too.
. /vmtest/lib.sh

NAME=$1 C=$2 S=$3 SLOT=${4:-1}
B=$SS_BUSID
BLK=65536
OFF=$((16 + SLOT))           # in 64 KiB blocks: 1 MiB + SLOT*64 KiB
D=/tmp/$NAME
mkdir -p "$D"
say "scenario $NAME: client=$C server=$S stick=$B"

# ---- preconditions
[ -n "$B" ] || fail "no SuperSpeed stick"
on_usb_storage "$B" || fail "precondition: $B not on usb-storage"
vhci_all_free || fail "precondition: vhci ports in use: $(vhci_used_ports)"
LOCAL=$(disk_of_busid "$B")
dd if="/dev/$LOCAL" of="$D/orig.bin" bs=$BLK skip=$OFF count=1 iflag=direct 2>/dev/null ||
	fail "cannot read the local stick /dev/$LOCAL"
head -c $BLK /dev/urandom >"$D/new.bin"
cmp -s "$D/orig.bin" "$D/new.bin" && fail "random block equals original?"

# ---- server: bind
step "bind"
expect_rc 0 "$S/usbip" bind -b "$B"
wait_until 10 on_stub "$B" || fail "after bind, $B driver is '$(devdriver $B)', not usbip-host"
st=$(cat "/sys/bus/usb/devices/$B/usbip_status" 2>/dev/null)
[ "$st" = 1 ] || fail "after bind, usbip_status is '$st', expected 1"
grep -qw "$B" "$STUB/match_busid" || fail "after bind, match_busid lacks $B: $(cat $STUB/match_busid)"
gone() { ! disk_of_busid "$B" >/dev/null; }
wait_until 10 gone || fail "local disk of $B still present after bind"

# ---- server: daemon
step "usbipd"
start_usbipd "$S"
if [ "$S" = /ours ]; then
	# Least privilege: once serving, our usbipd holds no capability at all
	# (it loaded usbip-host first); the rest of the flow proves that it still
	# exports the stick (usbip_sockfd is written as uid 0 without capabilities).
	step "usbipd runs without capabilities"
	st=/proc/$(pidof usbipd)/status
	grep -E '^(Cap|NoNewPrivs)' "$st" | sed 's/^/  /'
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		v=$(sed -n "s/^$f:[[:space:]]*//p" "$st")
		[ "$v" = 0000000000000000 ] || fail "our usbipd's $f is '$v' once serving, expected none"
	done
	[ "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' "$st")" = 1 ] || fail "our usbipd has no_new_privs unset"
fi

# ---- client: list -r
step "list -r"
expect_rc 0 "$C/usbip" list -r 127.0.0.1
cp /tmp/out "$D/list-r"
grep -q "^ *$B: " "$D/list-r" || fail "list -r does not show $B"
grep -q "(46f4:0001)" "$D/list-r" || fail "list -r: product line lacks (46f4:0001)"
if [ "$C" = /ours ]; then
	run /ref/usbip list -r 127.0.0.1; cp /tmp/out "$D/list-r.ref"
	run /ours/usbip list -r 127.0.0.1; cp /tmp/out "$D/list-r.ours"
	same_file "$D/list-r.ref" "$D/list-r.ours" "list -r stdout (ref client vs ours client, server $S)" ||
		fail "list -r stdout of ours differs from reference (server $S)"
fi
if [ "$NAME" = ref-ref ]; then
	cp "$D/list-r" "$BASE/list-r"
elif [ -f "$BASE/list-r" ]; then
	same_file "$BASE/list-r" "$D/list-r" "list -r stdout (ref-ref vs $NAME)" ||
		fail "list -r stdout differs from the ref-ref run"
fi

# ---- client: attach
step "attach"
t0=$(now_cs)
expect_rc 0 "$C/usbip" attach -r 127.0.0.1 -b "$B"
t1=$(now_cs)
[ -s /tmp/out ] && fail "attach printed on stdout: $(head -n 1 /tmp/out)"
wait_until 30 imported_disk_of_size "$SS_BYTES" || fail "no imported disk of $SS_BYTES bytes after attach"
t2=$(now_cs)
DISK=$(imported_disk_of_size "$SS_BYTES")
say "attach took $((t1 - t0))0 ms, disk /dev/$DISK after $((t2 - t0))0 ms"
st=$(cat "/sys/bus/usb/devices/$B/usbip_status" 2>/dev/null)
[ "$st" = 2 ] || fail "after attach, server usbip_status is '$st', expected 2"

# ---- client: port
step "port"
expect_rc 0 "$C/usbip" port
cp /tmp/out "$D/port"
PORT=$(port_from_output "$D/port")
if [ "$NAME" = ref-ref ]; then say "vhci status (controller 0) while attached:"; sed 's/^/  |/' "$VHCI/status"; fi
[ -n "$PORT" ] || fail "usbip port shows no port"
[ "$(vhci_port_status "$PORT")" = 006 ] || fail "vhci status of port $PORT is '$(vhci_port_status "$PORT")', expected 006"
[ "$PORT" -ge 15 ] && [ "$PORT" -lt 30 ] || fail "SuperSpeed device on port $PORT, expected an ss port (15..29)"
grep -q "usbip://127.0.0.1:3240/$B\$" "$D/port" || fail "port output lacks usbip://127.0.0.1:3240/$B"
grep -q "Super Speed(5000Mbps)" "$D/port" || fail "port output lacks Super Speed(5000Mbps)"
rec=$(cat "/var/run/vhci_hcd/port$PORT" 2>/dev/null)
[ "$rec" = "127.0.0.1 3240 $B" ] || fail "record /var/run/vhci_hcd/port$PORT is '$rec', expected '127.0.0.1 3240 $B'"
say "vhci status lines in use:"
cat "$VHCI"/status* | grep -v ' 004 000 ' | grep -v '^hub' | sed 's/^/  /'
if [ "$C" = /ours ]; then
	run /ref/usbip port; cp /tmp/out "$D/port.ref"
	run /ours/usbip port; cp /tmp/out "$D/port.ours"
	same_file "$D/port.ref" "$D/port.ours" "port stdout (ref vs ours)" ||
		fail "port stdout of ours differs from reference"
fi
if [ "$NAME" = ref-ref ]; then
	cp "$D/port" "$BASE/port"
elif [ -f "$BASE/port" ]; then
	same_file "$BASE/port" "$D/port" "port stdout (ref-ref vs $NAME)" ||
		fail "port stdout differs from the ref-ref run"
fi

# ---- data through vhci
step "read the whole stick through vhci"
sum=$(sha256sum "/dev/$DISK" | cut -d' ' -f1)
[ "$sum" = "$SS_SHA" ] || fail "sha256 through vhci $sum != image $SS_SHA"
step "write block $OFF through vhci"
# if this scenario dies before restoring the block, reset_state puts it back
echo "$OFF $D/orig.bin" >/tmp/pending-restore
dd if="$D/new.bin" of="/dev/$DISK" bs=$BLK seek=$OFF count=1 oflag=direct conv=fsync,notrunc 2>/dev/null ||
	fail "write through vhci failed"
dd if="/dev/$DISK" of="$D/back.bin" bs=$BLK skip=$OFF count=1 iflag=direct 2>/dev/null ||
	fail "read-back through vhci failed"
cmp -s "$D/new.bin" "$D/back.bin" || fail "block read back through vhci differs from what was written"
sync

# ---- client: detach
step "detach"
expect_rc 0 "$C/usbip" detach -p "$PORT"
wait_until 15 vhci_port_free "$PORT" || fail "port $PORT not free after detach (status $(vhci_port_status "$PORT"))"
wait_until 15 no_imported_disks || fail "imported disk still present after detach"
[ -e "/var/run/vhci_hcd/port$PORT" ] && fail "record /var/run/vhci_hcd/port$PORT left after detach"
expect_rc 0 "$C/usbip" port
grep -q '^Port ' /tmp/out && fail "usbip port still lists a port after detach"
wait_until 10 sh -c "[ \"\$(cat /sys/bus/usb/devices/$B/usbip_status)\" = 1 ]" ||
	fail "server usbip_status not back to 1 after detach ($(cat /sys/bus/usb/devices/$B/usbip_status))"

# ---- server: stop daemon, unbind
step "stop usbipd"
kill_usbipd
step "unbind"
expect_rc 0 "$S/usbip" unbind -b "$B"
wait_until 20 on_usb_storage "$B" || fail "after unbind, $B:1.0 driver is '$(ifdriver $B)', not usb-storage (device driver '$(devdriver $B)')"
grep -qw "$B" "$STUB/match_busid" && fail "after unbind, match_busid still has $B"
LOCAL=$(disk_of_busid "$B")
step "check the written block on the server side (/dev/$LOCAL)"
dd if="/dev/$LOCAL" of="$D/srv.bin" bs=$BLK skip=$OFF count=1 iflag=direct 2>/dev/null || fail "cannot read /dev/$LOCAL"
cmp -s "$D/new.bin" "$D/srv.bin" || fail "block written through vhci is not on the stick"
dd if="$D/orig.bin" of="/dev/$LOCAL" bs=$BLK seek=$OFF count=1 oflag=direct conv=fsync,notrunc 2>/dev/null ||
	fail "cannot restore the block"
dd if="/dev/$LOCAL" of="$D/srv.bin" bs=$BLK skip=$OFF count=1 iflag=direct 2>/dev/null
cmp -s "$D/orig.bin" "$D/srv.bin" || fail "restored block differs"
rm -f /tmp/pending-restore
say "scenario $NAME ok"
exit 0
