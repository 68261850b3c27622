#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Our usbip next to Debian's reference usbip, run now in the same testbeds:
# stdout and exit code must be identical (the golden files could be stale;
# this catches a reference that changed under us).
. "$(dirname "$0")/../lib/tap.sh"
require_root
REF=/usr/sbin/usbip
[ -x "$REF" ] || missing "reference usbip package"

# compare TESTBED [tb-run options --] ARGS...
# With EXTENDS=1: our stdout is the reference's followed by lines of our own
# (the usage texts that list our extra options after the reference's lines;
# tests/golden/ours/REASONS).
compare() {
	local tb=$1 opts=() a b ra rb; shift
	if [ "$1" = "-r" ]; then opts=(-r "$2"); shift 2; fi
	a=$("$TB_RUN" "${opts[@]}" "$tb" -- "$REF" "$@" 2>/dev/null); ra=$?
	b=$("$TB_RUN" "${opts[@]}" "$tb" -- "$USBIP" "$@" 2>/dev/null); rb=$?
	[ "${EXTENDS:-0}" = 1 ] && [ "${b#"$a"$'\n'}" != "$b" ] && b=$a
	if [ "$a" = "$b" ] && [ $ra -eq $rb ]; then
		ok "$tb: usbip $*"
	else
		not_ok "$tb: usbip $*" "reference rc=$ra, ours rc=$rb" "$(diff <(echo "$a") <(echo "$b"))"
	fi
}

for tb in host-basic.umockdev host-bound.umockdev host-basic-shuffled.umockdev \
	  host-missing-attr.umockdev host-unconfigured.umockdev many-40.umockdev; do
	compare "$tb" list -l
	compare "$tb" list -p -l
done
compare vhci.umockdev -r "$FIXTURES/vhci-records" port
compare vhci.umockdev port
compare vhci-small.umockdev port
compare vhci-empty.umockdev port
compare vhci.umockdev detach -p 5
compare none version
compare none help
compare none help detach
compare none detach
for c in attach list bind unbind; do
	EXTENDS=1 compare none help "$c"
	EXTENDS=1 compare none "$c"
done
compare none bogus
compare none --bogus
tap_done
