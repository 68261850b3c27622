# SPDX-License-Identifier: GPL-2.0-or-later
# sc-device-mode.sh NAME TOOL_DIR
# Device (gadget) mode: a configfs mass-storage gadget bound to the usbip-vudc.0
# UDC, exported by TOOL_DIR/usbipd -e, imported by TOOL_DIR/usbip attach -d
# usbip-vudc.0 over loopback; the gadget's backing file must read back through
# vhci, and a block written through vhci must land in the backing file.
. /vmtest/lib.sh

NAME=$1 T=$2
UDC=usbip-vudc.0
VUDC=/sys/devices/platform/$UDC
IMG=/tmp/gadget.img
SIZE=$((4 * 1024 * 1024))
BLK=65536 OFF=5
D=/tmp/$NAME
mkdir -p "$D"
say "scenario $NAME: tools=$T"

[ -d /sys/kernel/config/usb_gadget ] || fail "configfs usb_gadget missing (libcomposite/configfs not loaded?)"
[ -e "/sys/class/udc/$UDC" ] || fail "UDC $UDC missing (usbip-vudc not loaded?)"
vhci_all_free || fail "precondition: vhci ports in use"

step "gadget"
gadget_teardown
dd if=/dev/urandom of="$IMG" bs=1M count=4 2>/dev/null
IMG_SHA=$(sha256sum "$IMG" | cut -d' ' -f1)
mkdir "$GADGET" || fail "mkdir $GADGET"
echo 0x1d6b >"$GADGET/idVendor"
echo 0x0104 >"$GADGET/idProduct"
echo 0x0200 >"$GADGET/bcdUSB"
mkdir "$GADGET/strings/0x409"
echo "VMTESTGADGET" >"$GADGET/strings/0x409/serialnumber"
echo "usbip-vm" >"$GADGET/strings/0x409/manufacturer"
echo "vmtest mass storage" >"$GADGET/strings/0x409/product"
mkdir "$GADGET/configs/c.1" "$GADGET/configs/c.1/strings/0x409"
echo "mass storage" >"$GADGET/configs/c.1/strings/0x409/configuration"
echo 100 >"$GADGET/configs/c.1/MaxPower"
mkdir "$GADGET/functions/mass_storage.0" || fail "cannot create the mass_storage function"
echo "$IMG" >"$GADGET/functions/mass_storage.0/lun.0/file" || fail "cannot set the backing file"
ln -s "$GADGET/functions/mass_storage.0" "$GADGET/configs/c.1/" || fail "cannot link the function"
echo "$UDC" >"$GADGET/UDC" || fail "cannot bind the gadget to $UDC"
say "UDC=$(cat $GADGET/UDC) usbip_status=$(cat $VUDC/usbip_status 2>/dev/null)"
st=$(cat "$VUDC/usbip_status" 2>/dev/null)
[ "$st" = 1 ] || fail "vudc usbip_status is '$st' before export, expected 1"

step "usbipd -e"
start_usbipd "$T" -e

step "list -r"
run "$T/usbip" list -r 127.0.0.1
[ "$RC" = 0 ] || fail "list -r against usbipd -e exited $RC"
grep -q "$UDC" /tmp/out || fail "list -r does not show $UDC"
cp /tmp/out "$D/list-r"
if [ "$T" = /ref ]; then
	cp "$D/list-r" "$BASE/vudc-list-r"
elif [ -f "$BASE/vudc-list-r" ]; then
	same_file "$BASE/vudc-list-r" "$D/list-r" "list -r stdout in device mode (ref vs ours)" ||
		fail "device-mode list -r stdout differs from the reference"
fi

step "attach -d $UDC"
expect_rc 0 "$T/usbip" attach -r 127.0.0.1 -d "$UDC"
wait_until 30 imported_disk_of_size "$SIZE" || fail "no imported disk of $SIZE bytes after attach"
DISK=$(imported_disk_of_size "$SIZE")
st=$(cat "$VUDC/usbip_status" 2>/dev/null)
[ "$st" = 2 ] || fail "vudc usbip_status is '$st' while attached, expected 2"
expect_rc 0 "$T/usbip" port
cp /tmp/out "$D/port"
PORT=$(port_from_output "$D/port")
[ -n "$PORT" ] || fail "usbip port shows no port"
grep -q "usbip://127.0.0.1:3240/$UDC\$" "$D/port" || fail "port output lacks usbip://127.0.0.1:3240/$UDC"
if [ "$T" = /ref ]; then
	cp "$D/port" "$BASE/vudc-port"
elif [ -f "$BASE/vudc-port" ]; then
	same_file "$BASE/vudc-port" "$D/port" "port stdout in device mode (ref vs ours)" ||
		fail "device-mode port stdout differs from the reference"
fi

step "read /dev/$DISK"
sum=$(sha256sum "/dev/$DISK" | cut -d' ' -f1)
[ "$sum" = "$IMG_SHA" ] || fail "sha256 through vhci $sum != backing file $IMG_SHA"
step "write through vhci"
head -c $BLK /dev/urandom >"$D/new.bin"
dd if="$D/new.bin" of="/dev/$DISK" bs=$BLK seek=$OFF count=1 oflag=direct conv=fsync,notrunc 2>/dev/null ||
	fail "write through vhci failed"
dd if="$IMG" of="$D/file.bin" bs=$BLK skip=$OFF count=1 2>/dev/null
cmp -s "$D/new.bin" "$D/file.bin" || fail "block written through vhci is not in the gadget's backing file"

step "detach"
expect_rc 0 "$T/usbip" detach -p "$PORT"
wait_until 15 vhci_port_free "$PORT" || fail "port $PORT not free after detach"
wait_until 15 no_imported_disks || fail "imported disk still present after detach"
kill_usbipd
say "vudc usbip_status after detach: $(cat $VUDC/usbip_status 2>/dev/null)"
gadget_teardown
[ -d "$GADGET" ] && fail "gadget teardown failed"
say "scenario $NAME ok"
exit 0
