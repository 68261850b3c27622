#!/bin/bash
# Re-pins our deliberate differences from the reference: runs every golden case
# with our binaries (BIN_DIR, a directory holding our usbip and usbipd) and
# writes tests/golden/ours/<case>.<ext> wherever our output differs from the
# reference's golden after test-compat.sh's normalisation; removes pins that are
# no longer needed.  Review the result with `git diff tests/golden/ours` and give
# every new difference a reason in tests/golden/ours/REASONS.
# usage: BIN_DIR=DIR tests/golden/update-ours.sh [CAPTURED_DIR]
set -eu
G=$(cd "$(dirname "$0")" && pwd)
got=${1:-}
if [ -z "$got" ]; then
	got=$(mktemp -d)
	"$G/capture.sh" "$got" > "$got/capture.log" 2>&1
fi
mkdir -p "$G/ours"
normalize() { "$G/../lib/normalize-output.sh" "$@"; }
# pin CASE EXT: pins our CASE.EXT where it differs from the reference's.
pin() {
	local case=$1 ext=$2
	[ -e "$G/$case.$ext" ] || [ -e "$got/$case.$ext" ] || return 0
	if cmp -s <(normalize "$ext" "$G/$case.$ext") <(normalize "$ext" "$got/$case.$ext"); then
		rm -f "$G/ours/$case.$ext"
	else
		# An absent file (no writes at all) is pinned as an empty one.  The
		# kernel release becomes KVER, as normalize-output.sh makes it: a pin
		# must hold on any machine.
		if [ -e "$got/$case.$ext" ]; then
			normalize kver "$got/$case.$ext" > "$G/ours/$case.$ext"
		else : > "$G/ours/$case.$ext"; fi
		echo "pinned $case.$ext"
	fi
}
while IFS=$'\t' read -r case _; do
	for ext in out rc err after; do
		pin "$case" "$ext"
	done
done < "$G/cases.tsv"
# The testbed after each usbipd session (test-compat.sh compares it too).
for f in "$G"/*__session.after; do
	pin "$(basename "$f" .after)" after
done
