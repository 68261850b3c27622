#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Regenerates the seed corpora in tests/fuzz/corpus/ from real examples:
# the reference server's wire captures (tests/golden/wire-*.hex), the vhci
# status texts of the umockdev fixtures, the port records of
# tests/fixtures/vhci-records and an excerpt of the system's usb.ids.
# Usage: tests/fuzz/gen-corpus.sh [USB_IDS]   (needs xxd)
set -eu
fuzz=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$fuzz/../.." && pwd)
golden=$top/tests/golden
fixtures=$top/tests/fixtures
usbids=${1:-/usr/share/misc/usb.ids}
[ -e "$usbids" ] || usbids=/usr/share/hwdata/usb.ids
c=$fuzz/corpus

rm -rf "$c"
mkdir -p "$c"/fuzz-devlist-reply "$c"/fuzz-import-reply "$c"/fuzz-import-request \
	"$c"/fuzz-vhci-status "$c"/fuzz-record "$c"/fuzz-usbids "$c"/fuzz-config \
	"$c"/fuzz-rules

unhex() { xxd -r -p "$1"; }

# ---- OP_REP_DEVLIST replies (the trailing-request capture is identical)
for f in "$golden"/wire-devlist--*.hex; do
	n=${f##*/wire-devlist--}
	unhex "$f" >"$c/fuzz-devlist-reply/${n%.hex}"
done
# An error status, and a count of two devices that never come.
unhex "$golden/wire-import-unknown--host-bound.hex" >"$c/fuzz-devlist-reply/status-nodev"
printf '\001\021\000\005\000\000\000\000\000\000\000\002' >"$c/fuzz-devlist-reply/two-devices-then-eof"

# ---- OP_REP_IMPORT replies: raw (for the fixed bus id "1-1") and with the
# bus id prefix of the target's second mode (length byte, bus id, reply).
for f in "$golden"/wire-import-*.hex; do
	n=${f##*/wire-import-}
	n=${n%.hex}
	unhex "$f" >"$c/fuzz-import-reply/${n#-}"
done
prefixed() {	# NAME BUSID CAPTURE
	{
		printf "\\$(printf '%03o' ${#2})%s" "$2"
		unhex "$golden/$3"
	} >"$c/fuzz-import-reply/prefixed-$1"
}
prefixed 2-1.3 2-1.3 wire-import-2-1.3--host-bound.hex
prefixed vudc usbip-vudc.0 wire-import--vudc.hex
prefixed inuse 1-3 wire-import-inuse--host-bound.hex
prefixed mismatch 9-9 wire-import-1-1--host-bound.hex

# ---- OP_REQ_IMPORT / other requests as usbipd receives them
req_import() {	# NAME BUSID
	{
		printf '\001\021\200\003\000\000\000\000%s' "$2"
		head -c $((32 - ${#2})) /dev/zero
	} >"$c/fuzz-import-request/import-$1"
}
req_import 1-1 1-1
req_import 2-1.3 2-1.3
req_import vudc usbip-vudc.0
req_import dotdot ..
req_import slash ../../../sys
printf '\001\021\200\003\000\000\000\0001-1' >"$c/fuzz-import-request/import-truncated"
printf '\001\021\200\005\000\000\000\000' >"$c/fuzz-import-request/devlist"
printf '\001\020\200\005\000\000\000\000' >"$c/fuzz-import-request/bad-version"
{ printf '\001\021\200\003\000\000\000\000'; head -c 32 /dev/zero | tr '\0' 'A'; } \
	>"$c/fuzz-import-request/import-unterminated"

# ---- vhci status texts (umockdev escapes "\n"); one of each distinct shape
status_of() {	# FIXTURE ATTRIBUTE
	grep -m1 "^A: $2=" "$fixtures/$1" | sed "s/^A: $2=//" | sed 's/\\n/\n/g' | sed '$d'
}
status_of vhci.umockdev status >"$c/fuzz-vhci-status/current-mixed"
status_of vhci-small.umockdev status >"$c/fuzz-vhci-status/current-used"
status_of vhci-full.umockdev status >"$c/fuzz-vhci-status/current-full"
status_of vhci-badstatus.umockdev status >"$c/fuzz-vhci-status/current-bad"
status_of vhci.umockdev status.1 | head -n 4 >"$c/fuzz-vhci-status/second-controller"
: >"$c/fuzz-vhci-status/empty"
cat >"$c/fuzz-vhci-status/pointer-4.13" <<'STATUS'
hub port sta spd dev      socket           local_busid
hs  0000 006 003 00010002 ffff88003a1b2c00 1-1
hs  0001 004 000 00000000 0000000000000000 0-0
ss  0008 006 005 00020002 ffff8800deadbeef 2-1
STATUS
cat >"$c/fuzz-vhci-status/pre-4.13" <<'STATUS'
prt sta spd bus dev socket           local_busid
000 006 003 00010002 ffff88003a1b2c00 1-1
001 004 000 000 000 0000000000000000 0-0
STATUS
printf 'hub port sta spd dev      sockfd local_busid\r\nhs  0000 006 002 00010004 5 3-1\r\n' \
	>"$c/fuzz-vhci-status/crlf-unpadded"

# ---- port records
for f in "$fixtures"/vhci-records/port*; do
	cp "$f" "$c/fuzz-record/${f##*/}"
done
printf 'fe80::1%%eth0 3240 3-2.1\n' >"$c/fuzz-record/ipv6-scoped"
printf 'server usbip 1-1' >"$c/fuzz-record/no-newline"

# ---- usb.ids excerpt: header, a few vendors, classes, other sections
{
	sed -n '1,12p' "$usbids"
	printf '\n'
	awk '/^0001  /,/^0003  /' "$usbids" | sed '$d'
	awk '/^1d6b  /{p=1; print; next} p && /^\t/{print; next} {p=0}' "$usbids"
	awk '/^046d  /{p=1; n=0; print; next} p && /^\t/ && n++ < 6 {print; next} {p=0}' "$usbids"
	awk '/^# List of known device classes/{p=1} p{print} /^C 0a/{exit}' "$usbids" \
		| awk '!/^C 0a/'
	printf '\n# List of Audio Class Terminal Types\n\n'
	grep -m4 '^AT ' "$usbids"
	printf '\n# List of HID Descriptor Types\n\n'
	grep -m3 '^HID ' "$usbids"
} >"$c/fuzz-usbids/excerpt.ids"
printf '1d6b  Linux Foundation\r\n\t0002  2.0 root hub\r\nC 09  Hub\r\n\t00  Unused\r\n\t\t00  Full speed (or root) hub\r\n' \
	>"$c/fuzz-usbids/crlf.ids"

# ---- hand-made edge cases (edge-*): limits and malformed fields
rep() { head -c "$1" /dev/zero | tr '\0' "$2"; }	# COUNT CHAR
hdr_ok() { printf '\001\021\000%b\000\000\000\000' "$1"; }	# reply op_common, status 0
dev_record() {	# BUSID-FIELD(32 bytes) NUMINTF(octal escape): an unterminated path
	rep 256 P
	printf '%s' "$1"
	printf '\000\000\000\001\000\000\000\002\000\000\000\003\035\153\000\002\001\000'
	printf '\011\000\000\001\001%b' "$2"
}
d=$c/fuzz-devlist-reply
{ hdr_ok '\005'; printf '\377\377\377\377'; } >"$d/edge-ndev-huge"
{ hdr_ok '\005'; printf '\000\000\020\000'; } >"$d/edge-ndev-max-eof"
{ hdr_ok '\005'; printf '\000\000\020\001'; } >"$d/edge-ndev-over-max"
{ hdr_ok '\005'; printf '\000\000\000\001'; dev_record "$(rep 32 B)" '\377'
  for _ in $(seq 255); do printf '\377\001\002\000'; done; } >"$d/edge-255-interfaces"
{ hdr_ok '\005'; printf '\000\000\000\001'; dev_record "$(rep 32 B)" '\377'
  printf '\003\001\002\000'; } >"$d/edge-interfaces-cut"
printf '\001\021\000\005\377\377\377\377' >"$d/edge-status-max"
printf '\001\021\000\003\000\000\000\000\000\000\000\000' >"$d/edge-wrong-code"
printf '\001\020\000\005\000\000\000\000\000\000\000\000' >"$d/edge-old-version"

i=$c/fuzz-import-reply
{ hdr_ok '\003'; dev_record "1-1$(rep 29 x)" '\000'; } >"$i/edge-busid-unterminated"
{ hdr_ok '\003'; dev_record "$(printf '1-1\001')$(rep 28 x)" '\000'; } >"$i/edge-busid-prefix"
{ hdr_ok '\003'; rep 311 Q; } >"$i/edge-device-cut"
printf '\001\021\000\003\200\000\000\000' >"$i/edge-status-2pow31"
printf '\001\021\000\005\000\000\000\000' >"$i/edge-wrong-code"
{ printf '\040'; rep 32 Z; hdr_ok '\003'; dev_record "$(rep 32 Z)" '\000'; } >"$i/prefixed-edge-busid-32"

v=$c/fuzz-vhci-status
H='hub port sta spd dev      sockfd local_busid'
{ echo "$H"; echo 'hs  0000 006 002 00010004 000003 3-1 extra tokens'; } >"$v/edge-too-many-tokens"
{ echo "$H"; printf 'hs  0000 006 002 00010004 000003 3-\0001\n'; } >"$v/edge-nul"
{ echo "$H"; echo "hs  0000 006 002 00010004 000003 $(rep 31 b)"; } >"$v/edge-busid-31"
{ echo "$H"; echo "hs  0000 006 002 00010004 000003 $(rep 32 b)"; } >"$v/edge-busid-32"
{ echo "$H"; echo 'hs  4294967295 255 255 ffffffff 18446744073709551615 1-1';
  echo 'hs  4294967296 256 256 100000000 18446744073709551616 1-1'; } >"$v/edge-limits"
{ printf 'prt sta spd bus dev socket           local_busid\n';
  echo '4294967295 255 255 65535 65535 0 0-0'; echo '001 004 000 65536 000 0 0-0'; } >"$v/edge-pre-4.13-limits"
printf 'hub' >"$v/edge-header-only"
printf '\n\n\r\n \t \n' >"$v/edge-blank-lines"
printf 'hs\t0000\t006\t002\t00010004\t000003\t3-1' >"$v/edge-tabs-no-newline"

r=$c/fuzz-record
{ rep 1024 h; printf ' 3240 1-1\n'; } >"$r/edge-host-1024"
{ rep 1025 h; printf ' 3240 1-1\n'; } >"$r/edge-host-1025"
{ printf 'host '; rep 31 s; printf ' '; rep 31 b; printf '\n'; } >"$r/edge-fields-max"
printf 'host 3240 1-1\n\ntrailing garbage' >"$r/edge-trailing"
printf 'host  3240 1-1\n' >"$r/edge-double-space"
printf 'ho\000st 3240 1-1\n' >"$r/edge-nul"
printf ' 3240 1-1\n' >"$r/edge-empty-host"

u=$c/fuzz-usbids
printf '1d6b  Linux Foundation\n\t0002  2.0 root hub\n\000\n1d6c  After NUL\n' >"$u/edge-nul.ids"
printf '1d6\n\t000\n\t\t0\nC 0\nC 09\nC 09 \n\t00\n\t\t00\n1d6b\n1d6b \n' >"$u/edge-truncated.ids"
printf '\t0002  product before any vendor\n\t\t01  protocol before any class\n\t09  subclass before class\nC 09  Hub' \
	>"$u/edge-orphans.ids"
printf '1d6b  First\n1d6b  Second\n\t0002  A\n\t0002  B\nC 09  Hub\nC 09  Hub again\n\t00  x\n\t\t00  y\n' \
	>"$u/edge-duplicates.ids"
printf 'C 09  Hub\n\t00  Unused\nAT 0100  USB Undefined\n\t\t00  not a protocol of 09/00\n\t0001  not a product\n' \
	>"$u/edge-section-switch.ids"

# ---- usbipd.conf: the shipped file, every setting set, and bad values
g=$c/fuzz-config
cp "$top/usbipd/systemd/usbipd.conf" "$g/shipped.conf"
sed 's/^# \([a-z0-9-]*=\)/\1/' "$top/usbipd/systemd/usbipd.conf" >"$g/all-set.conf"
cat >"$g/acl.conf" <<'CONF'
[usbipd]
allow=127.0.0.1;10.1.2.3/31;::ffff:192.0.2.0/120;fe80::/10;0.0.0.0/0;::/0;2001:db8::1/128
listen=127.0.0.1;::1;[2001:db8::1]
CONF
# IPv6 rules only: a v4-mapped peer (::ffff:a.b.c.d) must not match them.
cat >"$g/acl-v6-only.conf" <<'CONF'
[usbipd]
allow=::/0;::ffff:0:0/96
CONF
# Fails closed: empty lists, a misspelt group, a name where an address goes.
printf '[usbipd]\nallow=\nlisten=\n' >"$g/edge-empty-lists.conf"
printf '[usbpid]\nallow=10.0.0.0/8\n' >"$g/edge-group-typo.conf"
printf '[usbipd]\nlisten=localhost\n' >"$g/edge-listen-name.conf"
cat >"$g/edge-bad-values.conf" <<'CONF'
[usbipd]
tcp-port=65536
timeout=0.05
max-handshakes=-1
keepalive-idle=99999999999999999999
keepalive-count=1e3
allow=10.0.0.0/33;::/129;1.2.3.4/;/8;1.2.3.4/08;nonsense
ipv4=maybe
debug=true
unknown-setting=1
CONF
cat >"$g/edge-syntax.conf" <<'CONF'
# comment
[other]
tcp-port=1
[usbipd]
tcp-port = 3240 
tcp-port=3241
timeout=nan
listen=a\;b;\s;;
pid-file=\x
CONF
printf '[usbipd]\ntimeout=5\n[usbipd\n=value\nkey without equals\n' >"$g/edge-broken.conf"
printf '[usbipd]\nallow=1.2.3.4\000/8\ntimeout=5\n' >"$g/edge-nul.conf"
printf '[usbipd]\r\nallow=1.2.3.4/8\r\ntimeout=inf\r\n' >"$g/edge-crlf.conf"
printf '[usbipd]\ndevice=\377\376\nallow=\303\n' >"$g/edge-not-utf8.conf"

# ---- export rules (usbip-export-rules(5)): every key, escapes, each error
g=$c/fuzz-rules
printf '# export rules\n\nhardware-id=0781:5567\n   serial=AA1234\thardware-id=46D:C077   # the keyboard\npath=pci-0000:00:14.0-usb-0:1.2\nbusid=2-1.3\n' >"$g/good"
printf 'serial="A B \\"q\\" \\\\ \\x01#"\r\nbusid=1-1' >"$g/escapes"
printf 'busid=1-1 hardware-id=0781:5567 serial="x y" path=pci-0000:00:14.0-usb-0:1\nbusid=1-1 hardware-id=0781:5567 serial="x y" path=pci-0000:00:14.0-usb-0:1\nbusid=1-2\n' >"$g/all-fields-twice"
printf 'busid=1-1\nvendor=1\n' >"$g/edge-unknown-key"
printf 'busid=1-1 busid=1-2\n' >"$g/edge-repeated-key"
printf 'serial="open\n' >"$g/edge-open-quote"
printf 'hardware-id=12345:1\n' >"$g/edge-bad-hwid"
printf 'serial=a\000b\n' >"$g/edge-nul"
printf '# only a comment, no newline' >"$g/comment-only"
: >"$g/empty"
# The line limit (4096 bytes without the newline), and one byte over it.
{ printf 'busid=1-1'; head -c 4087 /dev/zero | tr '\0' ' '; printf '\nserial=x\n'; } >"$g/edge-line-4096"
{ printf 'busid=1-1'; head -c 4088 /dev/zero | tr '\0' ' '; printf '\n'; } >"$g/edge-line-4097"

du -sh "$c"/*
