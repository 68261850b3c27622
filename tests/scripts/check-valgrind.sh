#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make check-valgrind`: the CLI and the daemon under valgrind memcheck, in
# umockdev testbeds; any memcheck error or definite leak fails the case.
. "$(dirname "$0")/../lib/tap.sh"
require_root
command -v valgrind > /dev/null || { echo "Bail out! valgrind missing"; exit 1; }
export LD_LIBRARY_PATH=$abs_top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
bin=$abs_top_builddir/usbip/.libs/usbip
dbin=$abs_top_builddir/usbipd/.libs/usbipd
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=no"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# vg RC TESTBED [-r RECORDS] -- ARGS...: ok when the command, run under
# memcheck, exits RC (its normal status; valgrind reports exit 99).
vg() {
	local want=$1 tb=$2 opts=() rc; shift 2
	while [ "$1" != -- ]; do opts+=("$1"); shift; done; shift
	"$TB_RUN" "${opts[@]}" "$tb" -- $VG "$bin" "$@" > /dev/null 2> "$log"
	rc=$?
	if [ $rc -eq "$want" ]; then ok "memcheck: usbip $* (exit $rc)"
	else not_ok "memcheck: usbip $*" "exit $rc, expected $want" "$(cat "$log")"; fi
}

vg 0 none -- version
vg 0 none -- help
vg 1 none -- bogus
vg 1 none -- list
vg 0 host-basic.umockdev -- list -l
vg 0 host-basic.umockdev -- list -p -l
vg 1 host-missing-attr.umockdev -- list -l
vg 0 host-bound.umockdev -- bind -b 1-7
vg 1 host-bound.umockdev -- bind -b 2-1
vg 0 host-bound.umockdev -- unbind -b 1-1
vg 0 vhci.umockdev -r "$FIXTURES/vhci-records" -- port
vg 0 vhci.umockdev -- detach -p 0
vg 0 vhci.umockdev -- detach -p 5
vg 1 vhci-badstatus.umockdev -- port
vg 0 vudc.umockdev -- list -d

# The daemon serving the client, both under memcheck.
"$TB_RUN" -R host-bound.umockdev:vhci-empty.umockdev -- bash -c '
	. "$2"
	start_usbipd "$1.d" '"$VG"' '"$dbin"' -t 13290
	'"$VG"' '"$bin"' -t 13290 list -r 127.0.0.1 > /dev/null 2> "$1.c1"; echo "list $?" > "$1.rc"
	'"$VG"' '"$bin"' -t 13290 attach -r 127.0.0.1 -b 1-1 > /dev/null 2> "$1.c2"; echo "attach $?" >> "$1.rc"
	'"$VG"' '"$bin"' -t 13290 attach -r 127.0.0.1 -b 9-9 > /dev/null 2> "$1.c3"; echo "attach-unknown $?" >> "$1.rc"
	kill -TERM $usbipd_pid; wait $usbipd_pid; echo "usbipd $?" >> "$1.rc"' sh "$log" "$TESTS_LIB/tap.sh"
# Each client run and the daemon must end with its normal status.
while read -r what rc; do
	case $what in attach-unknown) want=1 ;; *) want=0 ;; esac
	if [ "$rc" = "$want" ]; then ok "memcheck: $what (exit $rc)"
	else not_ok "memcheck: $what" "exit $rc, expected $want" "$(cat "$log".*)"; fi
done < "$log.rc"
rm -f "$log".*
tap_done
