#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs the libFuzzer targets.  Usage:
#   run-fuzz.sh BUILDDIR SECONDS fuzz|regress [TARGET...]
# fuzz:    fuzz each target for SECONDS on a copy of its seeds (and saved
#          crashes) in BUILDDIR/tests/fuzz/work/<target>/corpus; a crash, a
#          leak, a sanitizer report or a hang (FUZZ_TIMEOUT s per input) fails.
# regress: run each target once over tests/fuzz/corpus/<target>/ and
#          tests/fuzz/regressions/<target>/, no fuzzing (what CI runs).
# Prints "PASS: <target> (N execs, T s)" or "FAIL: ..." per target and ends with
# "N passed, N failed"; exits non-zero when any target failed.
# Environment: FUZZ_TIMEOUT (10), FUZZ_RSS_MB (2048), FUZZ_ARGS (extra
# libFuzzer flags, e.g. "-dict=..."), FUZZ_WORKDIR (default
# BUILDDIR/tests/fuzz/work; each target's directory there is recreated).
set -u
# One compound command, read whole before it runs: editing this file during a
# long campaign cannot change what the running copy executes.
{
if [ $# -lt 3 ]; then
	echo "usage: $0 BUILDDIR SECONDS fuzz|regress [TARGET...]" >&2
	exit 2
fi
builddir=$(cd "$1" && pwd) || exit 2
seconds=$2
mode=$3
shift 3
srcdir=$(cd "$(dirname "$0")" && pwd)
case $mode in fuzz|regress) ;; *) echo "$0: mode must be fuzz or regress" >&2; exit 2 ;; esac
case $seconds in ''|*[!0-9]*) echo "$0: SECONDS must be a number" >&2; exit 2 ;; esac

all_targets="fuzz-devlist-reply fuzz-import-reply fuzz-import-request fuzz-vhci-status fuzz-record fuzz-usbids fuzz-config fuzz-rules"
targets=${*:-$all_targets}

# Longest input worth trying, per target.
max_len() {
	case $1 in
	fuzz-devlist-reply) echo 8192 ;;	# header + a few devices of up to 312+255*4
	fuzz-import-reply) echo 512 ;;		# 1+32 bytes of bus id + a 320-byte reply
	fuzz-import-request) echo 64 ;;		# 40-byte request
	fuzz-vhci-status) echo 4096 ;;		# one sysfs page
	fuzz-record) echo 2048 ;;		# host (1024) + service + bus id, and more
	fuzz-usbids) echo 8192 ;;
	fuzz-config) echo 4096 ;;		# a generous usbipd.conf
	fuzz-rules) echo 9000 ;;		# two lines of the 4096-byte maximum, and more
	*) echo 4096 ;;
	esac
}

# UBSan only reports by default: make every report fatal.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

passed=0
failed=0
for t in $targets; do
	bin=$builddir/tests/fuzz/$t
	work=${FUZZ_WORKDIR:-$builddir/tests/fuzz/work}/$t
	if [ ! -x "$bin" ]; then
		echo "FAIL: $t (not built: $bin)"
		failed=$((failed + 1))
		continue
	fi
	rm -rf "$work"
	mkdir -p "$work/corpus" "$work/artifacts"
	log=$work/log
	seeds=()
	for d in "$srcdir/corpus/$t" "$srcdir/regressions/$t"; do
		[ -d "$d" ] || continue
		while IFS= read -r -d '' f; do
			seeds+=("$f")
		done < <(find "$d" -type f ! -name '.*' ! -name 'README*' -print0 | sort -z)
	done

	start=$(now)
	if [ "$mode" = fuzz ]; then
		[ ${#seeds[@]} -gt 0 ] && cp "${seeds[@]}" "$work/corpus/" 2>/dev/null
		# shellcheck disable=SC2086
		"$bin" -max_len="$(max_len "$t")" -timeout="$timeout" -rss_limit_mb="$rss" \
			-max_total_time="$seconds" -print_final_stats=1 \
			-artifact_prefix="$work/artifacts/" ${FUZZ_ARGS:-} \
			"$work/corpus" >"$log" 2>&1
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	else
		if [ ${#seeds[@]} -eq 0 ]; then
			echo "FAIL: $t (no seeds in $srcdir/corpus/$t)"
			failed=$((failed + 1))
			continue
		fi
		# Files (not directories) on the command line: each runs once.
		"$bin" -timeout="$timeout" -rss_limit_mb="$rss" \
			-artifact_prefix="$work/artifacts/" "${seeds[@]}" >"$log" 2>&1
		rc=$?
		execs=$(grep -c '^Executed ' "$log")
	fi
	secs=$(elapsed "$start" "$(now)")
	execs=${execs:-0}

	if [ $rc -eq 0 ] && ! grep -q -e '^==[0-9]*==ERROR' -e 'runtime error:' "$log"; then
		echo "PASS: $t ($execs execs, $secs s)"
		passed=$((passed + 1))
	else
		echo "FAIL: $t ($execs execs, $secs s, exit $rc; log: $log)"
		grep -h -e '^Running: ' -e 'ERROR:' -e 'runtime error:' -e 'invariant failed' \
			-e '^SUMMARY' -e 'Test unit written to' "$log" | tail -n 8 | sed 's/^/  /'
		for a in "$work"/artifacts/*; do
			[ -e "$a" ] && echo "  artifact: $a (minimize: $bin -minimize_crash=1 -runs=100000 $a)"
		done
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
exit
}
