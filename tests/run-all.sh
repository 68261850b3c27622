#!/bin/bash
# The full test suite: installs what it needs, builds, then runs the unit and
# umockdev tests (make check), the same under ASan+UBSan, make distcheck, and
# the QEMU VM suite against the real kernel drivers.  Run as root from a clean
# checkout; ends with one "N passed, N failed" line.
#   SKIP_VM=1       leave out the VM suite
#   VM_KERNELS=LIST the VM suite's kernels (run-vm-tests.sh --kernel; default
#                   all: Debian 12's 6.1 and 6.12, one after the other)
#   SKIP_DISTCHECK=1, SKIP_SANITIZE=1, SKIP_FUZZ=1   leave out those stages
#   FUZZ_SECONDS=N  how long each fuzz target runs (default 60)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
pass=0 fail=0
log() { printf '\n=== %s\n' "$*"; }

# Adds the PASS/FAIL counts of an automake test-suite.log.
count_automake() {
	local f=$1 p fl
	p=$(sed -n 's/^# PASS: *//p' "$f" | head -1)
	fl=$(sed -n -e 's/^# FAIL: *//p' -e 's/^# ERROR: *//p' -e 's/^# XPASS: *//p' "$f" | awk '{s+=$1} END {print s+0}')
	pass=$((pass + ${p:-0})); fail=$((fail + ${fl:-0}))
}

stage_failed() { echo "FAIL: stage $1"; fail=$((fail + 1)); }

log "dependencies"
tests/scripts/install-deps.sh $([ -z "${SKIP_VM:-}" ] && echo --vm) || { echo "cannot install dependencies"; exit 1; }

log "build"
[ -x configure ] || ./autogen.sh > /dev/null || exit 1
mkdir -p build && cd build
{ [ -f Makefile ] || ../configure --enable-werror > configure.out; } && make -j"$(nproc)" > make.out 2>&1 ||
	{ cat make.out configure.out 2>/dev/null | tail -50; exit 1; }

log "make check"
make -j"$(nproc)" check; rc=$?
count_automake test-suite.log
[ $rc -eq 0 ] || { cat test-suite.log | tail -100; [ -s test-suite.log ] || stage_failed "make check"; }
cd "$top"

if [ -z "${SKIP_SANITIZE:-}" ]; then
	log "make check under ASan+UBSan"
	mkdir -p build-san && cd build-san
	{ [ -f Makefile ] || ../configure CC=clang --enable-asan --enable-ubsan > configure.out; } &&
		make -j"$(nproc)" > make.out 2>&1 || stage_failed "sanitizer build"
	ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0 make -j"$(nproc)" check; rc=$?
	count_automake test-suite.log
	[ $rc -eq 0 ] || { tail -100 test-suite.log; [ -s test-suite.log ] || stage_failed "sanitizer check"; }
	cd "$top"
fi

if [ -z "${SKIP_FUZZ:-}" ]; then
	log "fuzzing: every target ${FUZZ_SECONDS:-60} s, then the saved inputs"
	mkdir -p build-fuzz && cd build-fuzz
	{ [ -f Makefile ] || ../configure CC=clang --enable-fuzzing \
		CFLAGS='-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
		> configure.out; } || stage_failed "fuzzing build"
	for mode in fuzz fuzz-regress; do
		make -j"$(nproc)" "$mode" FUZZ_SECONDS="${FUZZ_SECONDS:-60}" > "$mode.out" 2>&1
		grep -E '^(PASS|FAIL):' "$mode.out"
		fp=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$mode.out" | tail -1)
		ff=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$mode.out" | tail -1)
		[ -n "$fp" ] || { tail -30 "$mode.out"; stage_failed "$mode"; fp=0; ff=0; }
		pass=$((pass + fp)); fail=$((fail + ff))
	done
	cd "$top"
fi

log "make check-valgrind"
(cd build && make check-valgrind) > build/valgrind.out 2>&1
grep -E '^(not )?ok' build/valgrind.out
pass=$((pass + $(grep -c '^ok' build/valgrind.out)))
fail=$((fail + $(grep -c '^not ok' build/valgrind.out)))
grep -q '^1\.\.' build/valgrind.out || { tail -20 build/valgrind.out; stage_failed valgrind; }

if [ -z "${SKIP_DISTCHECK:-}" ]; then
	log "make distcheck"
	if (cd build && make -j"$(nproc)" distcheck > distcheck.out 2>&1); then
		echo "PASS: distcheck"; pass=$((pass + 1))
	else
		tail -60 build/distcheck.out; stage_failed distcheck
	fi
fi

if [ -z "${SKIP_VM:-}" ]; then
	log "VM suite (real kernel drivers under QEMU)"
	dest=$top/build/vm-root
	rm -rf "$dest"
	(cd build && make install DESTDIR="$dest" > install.out 2>&1) || stage_failed "make install"
	tests/vm/run-vm-tests.sh --kernel "${VM_KERNELS:-all}" --ours "$dest/usr/local" | tee build/vm.out
	vp=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' build/vm.out | tail -1)
	vf=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' build/vm.out | tail -1)
	[ -n "$vp" ] || { stage_failed "VM suite (no summary)"; vp=0; vf=0; }
	pass=$((pass + vp)); fail=$((fail + vf))
fi

echo
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
