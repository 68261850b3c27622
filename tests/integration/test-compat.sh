#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Drop-in compatibility: runs every case of tests/golden (captured from Debian's
# reference usbip/usbipd in the same umockdev testbeds) with our binaries and
# compares stdout, exit code, stderr and the files written.  Deliberate
# differences (upstream bugs we fix, clearer messages) are pinned in
# tests/golden/ours/<case>.<ext>, listed with their reason in
# tests/golden/ours/REASONS.
. "$(dirname "$0")/../lib/tap.sh"
require_root
bin=$(ours_bin_dir)
got=$(mktemp -d)
trap 'rm -rf "$bin" "$got"' EXIT

BIN_DIR=$bin "$GOLDEN/capture.sh" "$got" > "$got/capture.log" 2>&1 ||
	{ not_ok "capture runs" "$(tail -20 "$got/capture.log")"; tap_done; exit; }

normalize() { "$TESTS_LIB/normalize-output.sh" "$@"; }

# compare CASE EXT: our CASE.EXT against the pin or the reference's golden.
compare() {
	local case=$1 ext=$2 want d
	want=$GOLDEN/$case.$ext
	[ -e "$GOLDEN/ours/$case.$ext" ] && want=$GOLDEN/ours/$case.$ext
	# .writes and .after of the reference are compared only where they exist.
	[ -e "$want" ] || [ "$ext" != after ] || return 0
	if d=$(diff <(normalize "$ext" "$want") <(normalize "$ext" "$got/$case.$ext")); then
		ok "$case.$ext"
	else
		not_ok "$case.$ext" "expected: $want" "$d"
	fi
}

while IFS=$'\t' read -r case _; do
	for ext in out rc err after; do
		compare "$case" "$ext"
	done
done < "$GOLDEN/cases.tsv"
# The testbed after each usbipd session: the port records (and their modes)
# and the sysfs writes of all the session's clients.
for f in "$GOLDEN"/*__session.after; do
	compare "$(basename "$f" .after)" after
done
tap_done
