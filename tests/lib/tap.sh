# SPDX-License-Identifier: GPL-2.0-or-later
# TAP helpers and common setup for the shell tests (sourced by bash scripts).
#   ok NAME / not_ok NAME [DETAIL...] / check NAME CMD... / tap_done
#   require_root / missing WHAT / ours_bin_dir / start_usbipd LOG CMD...
# Environment from the Makefile: abs_top_srcdir, abs_top_builddir (by hand,
# from an in-tree build, the defaults find the same files).
set -u
: "${abs_top_srcdir:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${abs_top_builddir:=$abs_top_srcdir}"
TESTS_LIB=$abs_top_srcdir/tests/lib
FIXTURES=$abs_top_srcdir/tests/fixtures
GOLDEN=$abs_top_srcdir/tests/golden
TB_RUN=$FIXTURES/tb-run.sh
# strace with LeakSanitizer off (why: strace.sh); every traced run uses it.
STRACE=$TESTS_LIB/strace.sh
USBIP=$abs_top_builddir/usbip/usbip
USBIPD=$abs_top_builddir/usbipd/usbipd
export LC_ALL=C
tap_n=0 tap_failed=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
not_ok() {
	local name=$1; shift
	tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $name"
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
	return 0
}
# check NAME CMD...: ok when CMD succeeds; its output is shown on failure.
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
tap_done() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }

# missing WHAT: ends the test for a missing prerequisite.  Outside CI the
# whole file is skipped; in CI (CI set) a skip would hide a failure, so it
# fails.  The same rule as harness.py's missing().
missing() {
	if [ -n "${CI:-}" ]; then echo "Bail out! $1 missing"; exit 1; fi
	echo "1..0 # SKIP $1 missing"; exit 0
}

# These tests need root (mount namespaces for the testbeds) and the testbed
# tools.
require_root() {
	[ "$(id -u)" -eq 0 ] || missing "root (mount namespaces for the testbeds)"
	for t in umockdev-run unshare strace python3; do
		command -v "$t" > /dev/null || missing "$t (tests/scripts/install-deps.sh)"
	done
}

# A directory with "usbip" and "usbipd" being ours, for scripts that call by name.
ours_bin_dir() {
	local d
	d=$(mktemp -d)
	ln -s "$USBIP" "$d/usbip"
	ln -s "$USBIPD" "$d/usbipd"
	echo "$d"
}

# start_usbipd LOG CMD...: the one way a shell test starts usbipd.  Runs CMD
# (usbipd or a wrapper around it: valgrind, strace.sh...) in the background
# with its stderr in LOG, sets usbipd_pid to its pid and returns once LOG says
# "listening on" (what usbipd logs for each socket it serves, ours and the
# reference alike).  Fails when CMD ends first or after USBIPD_WAIT seconds
# (default 10).
start_usbipd() {
	local log=$1 i; shift
	"$@" 2> "$log" &
	usbipd_pid=$!
	for ((i = 0; i < ${USBIPD_WAIT:-10} * 20; i++)); do
		grep -q "listening on" "$log" 2> /dev/null && return 0
		kill -0 "$usbipd_pid" 2> /dev/null || return 1
		sleep 0.05
	done
	return 1
}
