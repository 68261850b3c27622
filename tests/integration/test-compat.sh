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

while IFS=$'\t' read -r case _; do
	for ext in out rc err after; do
		want=$GOLDEN/$case.$ext
		[ -e "$GOLDEN/ours/$case.$ext" ] && want=$GOLDEN/ours/$case.$ext
		# .writes and .after of the reference are compared only where they exist.
		[ -e "$want" ] || [ "$ext" != after ] || continue
		if d=$(diff <(normalize "$ext" "$want") <(normalize "$ext" "$got/$case.$ext")); then
			ok "$case.$ext"
		else
			not_ok "$case.$ext" "expected: $want" "$d"
		fi
	done
done < "$GOLDEN/cases.tsv"
tap_done
