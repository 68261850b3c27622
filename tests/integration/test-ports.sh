#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The integration tests run in parallel (make -j check) on one loopback, so
# no TCP port (13000-13999, where they keep theirs) may be used by two of
# them: a shared one makes both fail now and then, depending on timing.
. "$(dirname "$0")/../lib/tap.sh"
cd "$abs_top_srcdir/tests/integration" || exit 1
shared=$(for f in test-*.py test-*.sh; do
		grep -ohE '\b13[0-9]{3}\b' "$f" | sort -u | sed "s|$| $f|"
	done | sort -k1,1 | awk '$1 == p { print p ": " q " and " $2 } { p = $1; q = $2 }')
if [ -z "$shared" ]; then
	ok "each test has its own TCP ports ($(cat test-*.py test-*.sh | grep -ohE '\b13[0-9]{3}\b' | sort -u | wc -l) in use)"
else
	not_ok "each test has its own TCP ports" "$shared"
fi
tap_done
