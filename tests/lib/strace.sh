#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# strace with LeakSanitizer turned off, for every traced run of the tests:
# LeakSanitizer stops the program's threads with ptrace at exit, which fails
# while strace already traces it, and a sanitized build then reports an error
# instead of its leaks.  Leaks are checked by the runs without strace and by
# make check-valgrind.   usage: strace.sh STRACE-ARGS...
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" exec strace "$@"
