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
