#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libusbip's ABI: only usbip_* symbols exported, all under the LIBUSBIP_1
# version node, exactly the list in libusbip.sym; the public header compiles
# alone as pedantic C99 and C++ and a program links against the library.
. "$(dirname "$0")/../lib/tap.sh"
so=$(ls "$abs_top_builddir"/lib/.libs/libusbip.so.*.*.* 2> /dev/null | head -1)
[ -n "$so" ] || { echo "Bail out! libusbip.so not built"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
CC=${CC:-cc}

nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ {print $3}' | sed 's/@.*//' | sort -u > "$dir/exported"
sed -n 's/^\t\(usbip_[a-z0-9_]*\);$/\1/p' "$abs_top_srcdir/lib/libusbip.sym" | sort > "$dir/listed"
check "only usbip_* symbols are exported" \
	bash -c "! grep -v -e '^usbip_' -e '^LIBUSBIP_1$' '$dir/exported'"
check "exported symbols = libusbip.sym" \
	diff <(grep '^usbip_' "$dir/exported") "$dir/listed"
check "every symbol carries the LIBUSBIP_1 version" \
	bash -c "objdump -T '$so' | awk '/ usbip_/ && \$(NF-1) != \"LIBUSBIP_1\" {bad=1; print} END {exit bad}'"
check "every public function is declared in libusbip.h" \
	bash -c "for f in \$(cat '$dir/listed'); do grep -q \"\\b\$f(\" '$abs_top_srcdir/lib/libusbip.h' || { echo \$f; exit 1; }; done"
# The other way round: no function in the header (or named in its comments
# as f()) that the library does not export.
grep -o '\busbip_[a-z0-9_]*(' "$abs_top_srcdir/lib/libusbip.h" | tr -d '(' | sort -u > "$dir/declared"
check "every function libusbip.h names is exported" \
	bash -c "comm -23 '$dir/declared' '$dir/listed' | grep . && exit 1 || exit 0"
# libusbip(3) documents the same set of functions.
man3=$abs_top_srcdir/man/libusbip.3
grep -o '\busbip_[a-z0-9_]* \?(' "$man3" | sed 's/ \?($//' | sort -u > "$dir/manned"
check "libusbip(3) documents every exported function" \
	bash -c "comm -13 '$dir/manned' '$dir/listed' | grep . && exit 1 || exit 0"
check "every function libusbip(3) names is exported" \
	bash -c "comm -23 '$dir/manned' '$dir/listed' | grep . && exit 1 || exit 0"
# Its example program compiles warning-free and links.
sed -n '/^\.EX$/,/^\.EE$/p' "$man3" | sed '1d;$d; s/\\-/-/g; s/\\e/\\/g' > "$dir/example.c"
check "the libusbip(3) example compiles and links" bash -c \
	"$CC -std=c99 -Wall -Wextra -Werror '$dir/example.c' -o '$dir/example' -I'$abs_top_srcdir/lib' \
	 ${OUR_LDFLAGS:-} -L'$abs_top_builddir/lib/.libs' -lusbip &&
	 { LD_LIBRARY_PATH='$abs_top_builddir/lib/.libs' '$dir/example'; test \$? = 2; }"

# The public structs are part of LIBUSBIP_1 (libusbip.h says why): their
# layout may not move.  Pinned for LP64, the ABI of every CI machine.
cat > "$dir/layout.c" <<'EOC'
#include <stddef.h>
#include <stdio.h>
#include <libusbip.h>
#define S(t) printf("sizeof %s %zu\n", #t, sizeof(struct t))
#define O(t, m) printf("offsetof %s.%s %zu\n", #t, #m, offsetof(struct t, m))
int main(void)
{
	S(usbip_interface); O(usbip_interface, bInterfaceClass);
	O(usbip_interface, bInterfaceSubClass); O(usbip_interface, bInterfaceProtocol);
	S(usbip_device); O(usbip_device, path); O(usbip_device, busid);
	O(usbip_device, busnum); O(usbip_device, devnum); O(usbip_device, speed);
	O(usbip_device, idVendor); O(usbip_device, idProduct); O(usbip_device, bcdDevice);
	O(usbip_device, bDeviceClass); O(usbip_device, bDeviceSubClass);
	O(usbip_device, bDeviceProtocol); O(usbip_device, bConfigurationValue);
	O(usbip_device, bNumConfigurations); O(usbip_device, bNumInterfaces);
	O(usbip_device, interfaces);
	S(usbip_devlist); O(usbip_devlist, ndev); O(usbip_devlist, devs);
	S(usbip_local_device); O(usbip_local_device, busid); O(usbip_local_device, idVendor);
	O(usbip_local_device, idProduct); O(usbip_local_device, driver);
	S(usbip_exported); O(usbip_exported, dev); O(usbip_exported, status);
	O(usbip_exported, syspath);
	S(usbip_vhci_port); O(usbip_vhci_port, port); O(usbip_vhci_port, hub);
	O(usbip_vhci_port, status); O(usbip_vhci_port, speed); O(usbip_vhci_port, devid);
	O(usbip_vhci_port, sockfd); O(usbip_vhci_port, local_busid);
	S(usbip_record); O(usbip_record, host); O(usbip_record, service);
	O(usbip_record, busid);
	return 0;
}
EOC
cat > "$dir/layout.expected" <<'EOL'
sizeof usbip_interface 3
offsetof usbip_interface.bInterfaceClass 0
offsetof usbip_interface.bInterfaceSubClass 1
offsetof usbip_interface.bInterfaceProtocol 2
sizeof usbip_device 1080
offsetof usbip_device.path 0
offsetof usbip_device.busid 256
offsetof usbip_device.busnum 288
offsetof usbip_device.devnum 292
offsetof usbip_device.speed 296
offsetof usbip_device.idVendor 300
offsetof usbip_device.idProduct 302
offsetof usbip_device.bcdDevice 304
offsetof usbip_device.bDeviceClass 306
offsetof usbip_device.bDeviceSubClass 307
offsetof usbip_device.bDeviceProtocol 308
offsetof usbip_device.bConfigurationValue 309
offsetof usbip_device.bNumConfigurations 310
offsetof usbip_device.bNumInterfaces 311
offsetof usbip_device.interfaces 312
sizeof usbip_devlist 16
offsetof usbip_devlist.ndev 0
offsetof usbip_devlist.devs 8
sizeof usbip_local_device 106
offsetof usbip_local_device.busid 0
offsetof usbip_local_device.idVendor 32
offsetof usbip_local_device.idProduct 37
offsetof usbip_local_device.driver 42
sizeof usbip_exported 1340
offsetof usbip_exported.dev 0
offsetof usbip_exported.status 1080
offsetof usbip_exported.syspath 1084
sizeof usbip_vhci_port 64
offsetof usbip_vhci_port.port 0
offsetof usbip_vhci_port.hub 4
offsetof usbip_vhci_port.status 8
offsetof usbip_vhci_port.speed 12
offsetof usbip_vhci_port.devid 16
offsetof usbip_vhci_port.sockfd 24
offsetof usbip_vhci_port.local_busid 32
sizeof usbip_record 1089
offsetof usbip_record.host 0
offsetof usbip_record.service 1025
offsetof usbip_record.busid 1057
EOL
if [ "$(getconf LONG_BIT)" = 64 ]; then
	check "public struct layouts are LIBUSBIP_1's" bash -c \
		"$CC -I'$abs_top_srcdir/lib' '$dir/layout.c' -o '$dir/layout' &&
		 '$dir/layout' | diff '$dir/layout.expected' -"
else
	[ -n "${CI:-}" ] && { echo "Bail out! struct layouts are pinned for LP64 only"; exit 1; }
	ok "public struct layouts # SKIP pinned for LP64 only"
fi

cat > "$dir/use.c" <<'EOC'
#include <libusbip.h>
int main(void)
{
	struct usbip_ctx *ctx = usbip_new();
	unsigned char buf[USBIP_OP_COMMON_SIZE];
	unsigned short code;
	unsigned int status;

	usbip_op_common_encode(buf, USBIP_OP_REQ_DEVLIST, 0);
	if (usbip_op_common_decode(buf, sizeof(buf), &code, &status) != 0 ||
	    code != USBIP_OP_REQ_DEVLIST)
		return 1;
	return usbip_unref(ctx) == 0 ? 0 : 1;
}
EOC
check "libusbip.h compiles as pedantic C99" \
	$CC -std=c99 -pedantic -Wall -Wextra -Werror -c "$dir/use.c" -o "$dir/use.o" \
	-I"$abs_top_srcdir/lib"
check "a program links against libusbip and runs" bash -c \
	"$CC '$dir/use.o' -o '$dir/use' ${OUR_LDFLAGS:-} -L'$abs_top_builddir/lib/.libs' -lusbip &&
	 LD_LIBRARY_PATH='$abs_top_builddir/lib/.libs' '$dir/use'"
if command -v g++ > /dev/null; then
	cp "$dir/use.c" "$dir/use.cc"
	check "libusbip.h compiles as C++" \
		g++ -std=c++11 -pedantic -Wall -Werror -c "$dir/use.cc" -o "$dir/usecc.o" \
		-I"$abs_top_srcdir/lib"
elif [ -n "${CI:-}" ]; then
	# A skip in CI would hide a failure.
	not_ok "libusbip.h compiles as C++" "g++ missing (tests/scripts/install-deps.sh)"
fi
check "libusbip.pc names the library" grep -q -- '-lusbip' "$abs_top_builddir/lib/libusbip.pc"
tap_done
