# SPDX-License-Identifier: GPL-2.0-or-later
# TAP helpers and common setup for the shell tests (sourced).
#   ok NAME / not_ok NAME [DETAIL...] / check NAME CMD... / tap_done
# Environment from the Makefile: abs_top_srcdir, abs_top_builddir.
set -u
: "${abs_top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${abs_top_builddir:=$abs_top_srcdir}"
FIXTURES=$abs_top_srcdir/tests/fixtures
GOLDEN=$abs_top_srcdir/tests/golden
TB_RUN=$FIXTURES/tb-run.sh
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

# These tests need root (mount namespaces for the testbeds).  Outside CI they
# are skipped without it; in CI a skip would hide a failure, so it fails.
require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		if [ -n "${CI:-}" ]; then echo "Bail out! needs root (CI)"; exit 1; fi
		echo "1..0 # SKIP needs root"; exit 0
	fi
	for t in umockdev-run unshare strace python3; do
		command -v "$t" > /dev/null || {
			if [ -n "${CI:-}" ]; then echo "Bail out! $t missing"; exit 1; fi
			echo "1..0 # SKIP $t missing (tests/install-deps.sh)"; exit 0
		}
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
