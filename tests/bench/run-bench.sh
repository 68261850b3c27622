#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark: our usbipd against Debian's reference /usr/sbin/usbipd, both
# serving the 40-device umockdev testbed tests/fixtures/many-40.umockdev.
# Not a test: it always exits 0 once the benchmark has run (goals met or not);
# non-zero only when the benchmark itself could not run.
#
# usage (as root, from anywhere):  tests/bench/run-bench.sh [OUR_USBIPD]
#   OUR_USBIPD  default build/usbipd/usbipd (a libtool wrapper is resolved to
#               .libs/usbipd + build/lib/.libs; the binary and libusbip are
#               copied first, so a concurrent rebuild cannot change them mid-run)
# environment:
#   BENCH_SECONDS=10          length of each rate run
#   BENCH_SILENT_N=1000       silent connections
#   BENCH_SILENT_SECONDS=12   how long they are held (>= 11 shows the 10 s timeout)
#   BENCH_REQUESTS=50         DEVLIST requests made while they are held
#   BENCH_SETTLE=2            seconds between opening them and the first request
#   BENCH_ATTACK_N="1000 10000"  silent connections from 127.0.0.1 in the attack
#                             runs (held, and reopened as soon as they are closed)
#   BENCH_ATTACK_SECONDS=30   length of each rate run in the attack runs
#   BENCH_OPEN=60             at most this long to open them (the reference forks
#                             a process for each)
#   BENCH_PARTS="rate silent attack"  which parts to run
#   BENCH_PORT_OURS, BENCH_PORT_REF  TCP ports (default: the first free ones from 45240)
#   BENCH_REF=/usr/sbin/usbipd
#   BENCH_OURS_SILENT_OPTS    options for our daemon in the tuned silent run
#                             (default: auto-detected from --help, see below)
#   BENCH_SYSCTL=0            keep the kernel's net.core.somaxconn (default: the
#                             benchmark's own network namespace gets usbipd's
#                             sysctl.d/60-usbipd.conf, as an installed system)
#   BENCH_KEEP=1              keep the work directory (daemon logs, raw results)
# Word splitting of $DENV, $OURS_ENV, $TUNED and $LG is intended.
# shellcheck disable=SC2086,SC2209,SC1007
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

if [ -z "${BENCH_INNER:-}" ]; then
	#################################################################### outer
	[ "$(id -u)" = 0 ] || { echo "run-bench: must run as root (umockdev testbed, mount namespace)" >&2; exit 1; }
	OURS=${1:-$TOP/build/usbipd/usbipd}
	REF=${BENCH_REF:-/usr/sbin/usbipd}
	[ -x "$REF" ] || { echo "run-bench: reference daemon $REF not found (apt install usbip)" >&2; exit 1; }
	[ -e "$OURS" ] || { echo "run-bench: $OURS not found (build first: make -C build)" >&2; exit 1; }
	command -v umockdev-run > /dev/null || { echo "run-bench: umockdev-run missing" >&2; exit 1; }
	WORK=$(mktemp -d /tmp/usbip-bench.XXXXXX)
	mkdir "$WORK/ours"
	${CC:-cc} -O2 -Wall -Wextra -o "$WORK/loadgen" "$HERE/loadgen.c" ||
		{ echo "run-bench: cannot build loadgen" >&2; rm -rf "$WORK"; exit 1; }

	# Snapshot our daemon (and libusbip when it is a libtool build).
	dir=$(cd "$(dirname "$OURS")" && pwd); base=$(basename "$OURS")
	ourlib=
	if head -c 200 "$OURS" | grep -q '^#!' && [ -x "$dir/.libs/$base" ]; then
		cp "$dir/.libs/$base" "$WORK/ours/usbipd"
		for l in "$dir/../lib/.libs" "$TOP/build/lib/.libs"; do
			if [ -e "$l/libusbip.so.0" ]; then
				cp -L "$l/libusbip.so.0" "$WORK/ours/"
				ourlib=$WORK/ours
				break
			fi
		done
	else
		cp "$OURS" "$WORK/ours/usbipd"
	fi
	desc=$(cd "$TOP" && git describe --always --dirty 2> /dev/null || echo unknown)
	rc=0
	# Its own network namespace: its own loopback, and there the sysctl an
	# installed usbipd brings (sysctl.d/60-usbipd.conf), without touching the
	# machine's.  BENCH_SYSCTL=0 measures with the kernel's defaults.
	sysctl_file=$TOP/usbipd/systemd/60-usbipd.conf
	[ "${BENCH_SYSCTL:-1}" != 0 ] || sysctl_file=
	BENCH_INNER=1 BENCH_WORK=$WORK BENCH_OURLIB=$ourlib BENCH_REF=$REF \
	BENCH_OURS_DESC="$OURS (snapshot of tree $desc)" \
		unshare -n sh -c 'ip link set lo up && { [ -z "$1" ] || sysctl -q -p "$1"; } &&
			shift && exec "$@"' sh "$sysctl_file" \
		"$TOP/tests/fixtures/tb-run.sh" many-40.umockdev -- "$HERE/run-bench.sh" || rc=$?
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit $rc
fi

######################################################################## inner
# Runs inside the testbed (tb-run.sh): /sys is the testbed, /run is private.
W=$BENCH_WORK
LG="env -u LD_PRELOAD $W/loadgen"
SECS=${BENCH_SECONDS:-10}
# The attack's rate runs: long enough to take in the moment the kernel hands
# over the silent connections usbipd deferred (TCP_DEFER_ACCEPT: about 15 s
# after they were opened, with the default 10 s timeout).
ASECS=${BENCH_ATTACK_SECONDS:-30}
SN=${BENCH_SILENT_N:-1000}
SSECS=${BENCH_SILENT_SECONDS:-12}
NREQ=${BENCH_REQUESTS:-50}
SETTLE=${BENCH_SETTLE:-2}
ATTACK_N=${BENCH_ATTACK_N:-1000 10000}
OPEN=${BENCH_OPEN:-60}
PARTS=${BENCH_PARTS:-rate silent attack}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
EXPECT=40	# devices many-40.umockdev exports
# The daemons keep umockdev's LD_PRELOAD: without it libudev finds no devices
# in the bind-mounted testbed (both daemons would export 0 devices).
DENV=env
OURS_ENV=
[ -n "$BENCH_OURLIB" ] && OURS_ENV="LD_LIBRARY_PATH=$BENCH_OURLIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

die() { echo "run-bench: $*" >&2; cleanup; exit 1; }

# listening "PORT" in /proc/net/tcp (state 0A)?
listening() {
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
		/proc/net/tcp
}

# free_port FROM [EXCEPT]: first port >= FROM nobody listens on (v4 or v6)
free_port() {
	p=$1
	while [ "$p" -lt $(($1 + 200)) ]; do
		hex=$(printf '%04X' "$p")
		if [ "$p" != "${2:-}" ] && ! awk -v p=":$hex" 'substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
			/proc/net/tcp /proc/net/tcp6 2> /dev/null; then
			echo "$p"
			return
		fi
		p=$((p + 1))
	done
	echo "$1"
}
PR=${BENCH_PORT_REF:-$(free_port 45240)}
PO=${BENCH_PORT_OURS:-$(free_port 45240 "$PR")}

# start_daemon NAME PORT CMD... ; sets DPID
start_daemon() {
	name=$1 port=$2; shift 2
	! listening "$port" || die "port $port is already in use (set BENCH_PORT_OURS/BENCH_PORT_REF)"
	"$@" > "$W/$name.log" 2>&1 &
	DPID=$!
	i=0
	while ! listening "$port"; do
		i=$((i + 1))
		kill -0 "$DPID" 2> /dev/null || die "$name exited at start: $(tail -n 3 "$W/$name.log")"
		[ $i -lt 100 ] || die "$name does not listen on $port after 10 s"
		sleep 0.1
	done
}

children() { awk -v p="$1" '{ sub(/^.*\) /, ""); if ($2 == p) { split(FILENAME, a, "/"); print a[3] } }' /proc/[0-9]*/stat 2> /dev/null || true; }

# stop_daemon PID: SIGTERM it (and any children it still has), by PID only.
stop_daemon() {
	[ -n "$1" ] || return 0
	kids=$(children "$1")
	kill -TERM "$1" 2> /dev/null || true
	i=0
	while kill -0 "$1" 2> /dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$1" 2> /dev/null || true
	wait "$1" 2> /dev/null || true
	for k in $kids; do kill -TERM "$k" 2> /dev/null || true; done
}

OPID= RPID=
HPID=
cleanup() {
	[ -z "$HPID" ] || kill -TERM "$HPID" 2> /dev/null || true
	stop_daemon "$OPID"; OPID=; stop_daemon "$RPID"; RPID=
}
trap cleanup EXIT INT TERM

# field KEY FILE: value of KEY in the RESULT line of FILE (nothing if no FILE)
field() { [ -e "$2" ] || return 0; awk -v k="$1" '/^RESULT / { for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$2"; }

# run_lg TAG ARGS...: runs loadgen, shows its output, keeps it in $W/TAG.out
run_lg() {
	tag=$1; shift
	echo "--- $tag"
	$LG "$@" > "$W/$tag.out" 2>&1 || die "loadgen $* failed: $(cat "$W/$tag.out")"
	sed -n '/^RESULT /!s/^/    /p' "$W/$tag.out"
	grep -q '^RESULT ' "$W/$tag.out" || die "loadgen $* printed no result"
}

# Wait (<= 20 s) until the reference has no children left from a previous run.
drain_children() {
	i=0
	while [ -n "$(children "$1")" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
}

OURS_BIN=$W/ours/usbipd
help=$($DENV $OURS_ENV "$OURS_BIN" --help 2>&1 || true)
# Our daemon's own defaults, whatever /etc/usbip/usbipd.conf says.
BASEOPTS=
if echo "$help" | grep -q -- '--config'; then
	printf '[usbipd]\n' > "$W/empty.conf"
	BASEOPTS="--config $W/empty.conf"
fi
start_ours() { n=$1; shift; start_daemon "$n" "$PO" $DENV $OURS_ENV "$OURS_BIN" -t "$PO" $BASEOPTS "$@"; OPID=$DPID; }

# Options for the tuned silent run: no handshake timeout during the run, and
# a handshake cap above N if the daemon has an option for it.
if [ -n "${BENCH_OURS_SILENT_OPTS+set}" ]; then
	TUNED=$BENCH_OURS_SILENT_OPTS
else
	TUNED=
	echo "$help" | grep -q -- '--timeout' && TUNED="--timeout 3600"
	for o in --max-pending --max-handshakes --max-connections --max-clients --max-conns; do
		if echo "$help" | grep -q -- "$o"; then
			TUNED="$TUNED $o $((SN * 2))"
			break
		fi
	done
	# All of them come from one address.
	echo "$help" | grep -q -- '--max-per-source' && TUNED="$TUNED --max-per-source $((SN * 2))"
fi
CAPOPT=no
case " $TUNED " in *" --max-"*) CAPOPT=yes ;; esac

echo "== usbipd benchmark: $(nproc) CPU(s), $(uname -r), testbed many-40.umockdev ($EXPECT devices)"
echo "   ours:      $BENCH_OURS_DESC${BENCH_OURLIB:+ (libusbip from the build tree)}"
echo "   reference: $BENCH_REF ($($BENCH_REF -v 2>&1 | head -n 1))"
echo "   both daemons run under umockdev's LD_PRELOAD (every sysfs access is redirected); rate runs ${SECS} s;"
echo "   silent runs: $SN connections held ${SSECS} s, $NREQ DEVLIST requests after ${SETTLE} s"
echo "   ours, tuned silent run options: ${TUNED:-(none)}; ports: ours $PO, reference $PR"

######## reference
if part rate || part silent; then
	start_daemon ref "$PR" $DENV "$BENCH_REF" -t "$PR"; RPID=$DPID
	run_lg ref-idle mem -P "$RPID"
	if part rate; then
		run_lg ref-rate1 rate -p "$PR" -c 1 -d "$SECS" -e $EXPECT
		drain_children "$RPID"
		run_lg ref-rate8 rate -p "$PR" -c 8 -d "$SECS" -e $EXPECT
		drain_children "$RPID"
	fi
	if part silent; then
		run_lg ref-silent silent -p "$PR" -n "$SN" -d "$SSECS" -r "$NREQ" -s "$SETTLE" -e $EXPECT -P "$RPID"
		drain_children "$RPID"
	fi
	stop_daemon "$RPID"; RPID=
fi

######## ours, defaults
DSECS=$SSECS; [ "$DSECS" -ge 12 ] || DSECS=12
if part rate || part silent; then
	start_ours ours-default
	run_lg ours-idle mem -P "$OPID"
	if part rate; then
		run_lg ours-rate1 rate -p "$PO" -c 1 -d "$SECS" -e $EXPECT
		run_lg ours-rate8 rate -p "$PO" -c 8 -d "$SECS" -e $EXPECT
		run_lg ours-after-rate mem -P "$OPID"
	fi
	part silent && run_lg ours-silent-default silent -p "$PO" -n "$SN" -d "$DSECS" -r "$NREQ" -s "$SETTLE" -e $EXPECT -P "$OPID"
	stop_daemon "$OPID"; OPID=
fi

######## ours, tuned for the silent test
if part silent; then
	# shellcheck disable=SC2086
	start_ours ours-tuned $TUNED
	run_lg ours-silent silent -p "$PO" -n "$SN" -d "$SSECS" -r "$NREQ" -s "$SETTLE" -e $EXPECT -P "$OPID"
	stop_daemon "$OPID"; OPID=
fi

######## attack: silent connections from 127.0.0.1, held and reopened at once
# How many silent connections the reference (a process each) may get: what
# memory and the process limits allow, with room to spare for everyone else.
ref_capacity() {
	avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
	pidmax=$(cat /proc/sys/kernel/pid_max)
	thrmax=$(cat /proc/sys/kernel/threads-max)
	nprocs=$(ls -d /proc/[0-9]* 2> /dev/null | wc -l)
	ulim=$(ulimit -p 2> /dev/null || ulimit -u 2> /dev/null || echo unlimited)
	[ "$ulim" = unlimited ] && ulim=$pidmax
	# About 0.5 MiB per process (page tables, kernel stack, private pages), 4 GiB kept free.
	bymem=$(( (avail - 4096) * 2 ))
	bypid=$(( pidmax - nprocs - 4000 ))
	bythr=$(( thrmax - nprocs - 4000 ))
	byu=$(( ulim - nprocs - 1000 ))
	cap=$bymem
	for v in $bypid $bythr $byu; do [ "$v" -lt "$cap" ] && cap=$v; done
	[ "$cap" -lt 0 ] && cap=0
	echo "$cap"
}

# attack TAG PORT N DAEMON...: a fresh daemon; DEVLIST from 127.0.0.2 for
# ASECS s; then N silent connections from 127.0.0.1, held and reopened as soon
# as they are closed, and DEVLIST from 127.0.0.2 for ASECS s again; memory.
attack() {
	atag=$1 aport=$2 an=$3; shift 3
	start_daemon "$atag" "$aport" "$@"; APID=$DPID
	case $atag in ref*) RPID=$APID ;; *) OPID=$APID ;; esac
	run_lg "$atag-unloaded" rate -p "$aport" -b 127.0.0.2 -c 1 -d "$ASECS" -e $EXPECT
	drain_children "$APID"
	echo "--- $atag-hold ($an silent connections from 127.0.0.1, reopened when closed)"
	$LG hold -p "$aport" -n "$an" -o "$OPEN" -d $((2 * OPEN + SETTLE + ASECS + 60)) \
		> "$W/$atag-hold.out" 2>&1 &
	HPID=$!
	i=0
	while ! grep -q '^READY' "$W/$atag-hold.out" && [ $i -lt $(( (OPEN + 5) * 10 )) ]; do
		kill -0 "$HPID" 2> /dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	sed -n 's/^READY/    READY:/p' "$W/$atag-hold.out"
	case $atag in ref*)
		# Connected is not accepted yet: wait (bounded) for its process per connection.
		i=0
		while [ "$(children "$APID" | wc -l)" -lt "$an" ] && [ $i -lt "$OPEN" ]; do
			sleep 1; i=$((i + 1))
		done
		echo "    reference: $(children "$APID" | wc -l) child processes after $i s more"
	esac
	sleep "$SETTLE"
	run_lg "$atag-mem1" mem -P "$APID"
	run_lg "$atag-loaded" rate -p "$aport" -b 127.0.0.2 -c 1 -d "$ASECS" -e $EXPECT
	run_lg "$atag-mem2" mem -P "$APID"
	kill -TERM "$HPID" 2> /dev/null || true
	wait "$HPID" || true
	HPID=
	sed -n '/^RESULT \|^READY/!s/^/    /p' "$W/$atag-hold.out"
	grep -q '^RESULT ' "$W/$atag-hold.out" || die "loadgen hold printed no result: $(cat "$W/$atag-hold.out")"
	# The reference's children end when their connections close.
	drain_children "$APID"
	stop_daemon "$APID"
	RPID= OPID=
}

if part attack; then
	REFCAP=$(ref_capacity)
	for n in $ATTACK_N; do
		rn=$n
		if [ "$rn" -gt "$REFCAP" ]; then
			rn=$REFCAP
			echo "   NOTE: the reference gets $rn silent connections, not $n: memory and process limits allow no more"
		fi
		echo "$rn" > "$W/ref-n$n.count"
		attack "ref-n$n" "$PR" "$rn" $DENV "$BENCH_REF" -t "$PR"
		# shellcheck disable=SC2086
		attack "ours-n$n" "$PO" "$n" $DENV $OURS_ENV "$OURS_BIN" -t "$PO" $BASEOPTS
	done
fi

######## report
kb2mib() { awk -v k="$1" 'BEGIN { if (k == "" || k < 0) print "-"; else printf "%.1f", k / 1024 }'; }
# figures < 0 mean "no sample"
o() { field "$1" "$W/ours-$2.out" | sed 's/^-1\(\.0*\)\{0,1\}$/-/'; }
r() { field "$1" "$W/ref-$2.out" | sed 's/^-1\(\.0*\)\{0,1\}$/-/'; }
# table: rows "figure|ours|reference" on stdin, printed with ours/ref
table() {
	awk -F'|' '
	NR == 1 { printf "%-46s %12s %12s %10s\n", $1, $2, $3, $4; next }
	{
		ratio = "-"
		if ($2 != "" && $3 != "" && $2 != "-" && $3 != "-" && $3 + 0 != 0 && $2 + 0 >= 0 && $3 + 0 > 0)
			ratio = sprintf("%.2f", $2 / $3)
		printf "%-46s %12s %12s %10s\n", $1, $2, $3, ratio
	}'
}
goal() { # NAME STATUS(1 met, 0 not met, x not measurable) DETAIL
	case $2 in 1) st=MET ;; 0) st="NOT MET" ;; *) st="NOT MEASURED" ;; esac
	printf '%-56s %-13s %s\n' "$1" "$st" "$3"
}
maxof() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || a == "-") a = -1; if (b == "" || b == "-") b = -1; print (a > b ? a : b) }'; }

if part rate || part silent; then
echo
echo "== results"
{
	printf 'figure|ours|reference|ours/ref\n'
	if part rate; then
	for c in 1 8; do
		printf 'DEVLIST rate, %s client(s) [req/s]|%s|%s\n' "$c" "$(o rps rate$c)" "$(r rps rate$c)"
		printf '  latency p50 [ms]|%s|%s\n' "$(o p50_ms rate$c)" "$(r p50_ms rate$c)"
		printf '  latency p99 [ms]|%s|%s\n' "$(o p99_ms rate$c)" "$(r p99_ms rate$c)"
		printf '  failed requests|%s|%s\n' "$(o failed rate$c)" "$(r failed rate$c)"
	done
	fi
	if part silent; then
	printf '%s silent conns: established|%s|%s\n' "$SN" "$(o established silent)" "$(r established silent)"
	printf '  closed by the server|%s|%s\n' "$(o closed silent)" "$(r closed silent)"
	printf '  DEVLIST answered (of %s)|%s|%s\n' "$NREQ" "$(o req_ok silent)" "$(r req_ok silent)"
	printf '  DEVLIST latency p50 [ms]|%s|%s\n' "$(o p50_ms silent)" "$(r p50_ms silent)"
	printf '  DEVLIST latency p99 [ms]|%s|%s\n' "$(o p99_ms silent)" "$(r p99_ms silent)"
	printf '  DEVLIST latency max [ms]|%s|%s\n' "$(o max_ms silent)" "$(r max_ms silent)"
	printf '  total VmRSS, all processes [MiB]|%s|%s\n' "$(kb2mib "$(o rss_kb silent)")" "$(kb2mib "$(r rss_kb silent)")"
	printf '  total Pss, all processes [MiB]|%s|%s\n' "$(kb2mib "$(o pss_kb silent)")" "$(kb2mib "$(r pss_kb silent)")"
	printf '  processes|%s|%s\n' "$(o nproc silent)" "$(r nproc silent)"
	fi
	printf 'idle VmRSS [MiB]|%s|%s\n' "$(kb2mib "$(o rss_kb idle)")" "$(kb2mib "$(r rss_kb idle)")"
} | table
if part silent; then
echo "  (ours in the silent rows: options '${TUNED:-none}'; RSS/Pss = peak while the connections were open)"
echo
echo "== ours with its defaults (no options but -t${BASEOPTS:+ and an empty config file}):"
echo "   $SN silent connections: $(o established silent-default) established," \
	"$(o closed_settle silent-default) closed within ${SETTLE} s of opening," \
	"$(o closed silent-default) closed in ${DSECS} s (last after $(o last_close_s silent-default) s)"
echo "   DEVLIST while held: $(o req_ok silent-default) of $NREQ answered" \
	"(p50 $(o p50_ms silent-default) ms, max $(o max_ms silent-default) ms)," \
	"peak VmRSS $(kb2mib "$(o rss_kb silent-default)") MiB"
fi
part rate && echo "   VmRSS idle $(kb2mib "$(o rss_kb idle)") MiB, after the rate runs $(kb2mib "$(o rss_kb after-rate)") MiB"
fi

if part attack; then
echo
echo "== attack: N silent connections from 127.0.0.1, held and reopened as soon as closed;"
echo "   one client from 127.0.0.2 doing DEVLIST in a loop for ${ASECS} s; both daemons with their defaults"
echo "   net.core.somaxconn $(cat /proc/sys/net/core/somaxconn) (usbipd defers silent connections in a queue that long)"
for n in $ATTACK_N; do
	t=n$n
	rn=$(cat "$W/ref-n$n.count" 2> /dev/null || echo "$n")
	rss_o=$(o root_hwm_kb "$t-mem2")
	rss_r=$(maxof "$(r hwm_kb "$t-mem1")" "$(r hwm_kb "$t-mem2")")
	pss_o=$(maxof "$(o pss_kb "$t-mem1")" "$(o pss_kb "$t-mem2")")
	pss_r=$(maxof "$(r pss_kb "$t-mem1")" "$(r pss_kb "$t-mem2")")
	echo
	{
		printf 'N = %s (reference: %s)|ours|reference|ours/ref\n' "$n" "$rn"
		printf 'DEVLIST unloaded [req/s]|%s|%s\n' "$(o rps "$t-unloaded")" "$(r rps "$t-unloaded")"
		printf '  latency p50 / p99 [ms]|%s / %s|%s / %s\n' "$(o p50_ms "$t-unloaded")" "$(o p99_ms "$t-unloaded")" "$(r p50_ms "$t-unloaded")" "$(r p99_ms "$t-unloaded")"
		printf 'DEVLIST under attack [req/s]|%s|%s\n' "$(o rps "$t-loaded")" "$(r rps "$t-loaded")"
		printf '  latency p50 [ms]|%s|%s\n' "$(o p50_ms "$t-loaded")" "$(r p50_ms "$t-loaded")"
		printf '  latency p99 [ms]|%s|%s\n' "$(o p99_ms "$t-loaded")" "$(r p99_ms "$t-loaded")"
		printf '  latency max [ms]|%s|%s\n' "$(o max_ms "$t-loaded")" "$(r max_ms "$t-loaded")"
		printf '  failed requests|%s|%s\n' "$(o failed "$t-loaded")" "$(r failed "$t-loaded")"
		printf 'under attack / unloaded rate|%s|%s\n' \
			"$(awk -v a="$(o rps "$t-loaded")" -v b="$(o rps "$t-unloaded")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
			"$(awk -v a="$(r rps "$t-loaded")" -v b="$(r rps "$t-unloaded")" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
		printf 'silent conns closed by the server [/s]|%s|%s\n' "$(o closed_per_s "$t-hold")" "$(r closed_per_s "$t-hold")"
		printf 'peak RSS, VmHWM [MiB] (ref: sum over processes)|%s|%s\n' "$(kb2mib "$rss_o")" "$(kb2mib "$rss_r")"
		printf 'Pss, all processes [MiB]|%s|%s\n' "$(kb2mib "$pss_o")" "$(kb2mib "$pss_r")"
		printf 'processes|%s|%s\n' "$(o nproc "$t-mem2")" "$(r nproc "$t-mem2")"
	} | table
done
fi

echo
echo "== goals"
if part rate; then
for c in 1 8; do
	ratio=$(awk -v a="$(o rps rate$c)" -v b="$(r rps rate$c)" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "inf" }')
	ok=$(awk -v a="$(o rps rate$c)" -v b="$(r rps rate$c)" 'BEGIN { print (b > 0 ? (a >= 50 * b) : (a > 0)) }')
	goal "DEVLIST rate, $c client(s): ours >= 50x reference" "$ok" "(${ratio}x: $(o rps rate$c) vs $(r rps rate$c) req/s)"
done
fi
if part silent; then
held=$(o still_open silent)
ok=$(awk -v n="$(o req_ok silent)" -v want="$NREQ" -v p="$(o p99_ms silent)" -v h="$held" -v sn="$SN" \
	'BEGIN { if (h < sn) print "x"; else print (n == want && p != "-" && p < 100) }')
detail="(p99 $(o p99_ms silent) ms, max $(o max_ms silent) ms; $(o req_ok silent)/$NREQ answered; $held of $SN silent conns held to the end)"
[ "$CAPOPT" = yes ] || detail="$detail; our daemon has no option to raise its handshake cap"
goal "DEVLIST latency, $SN silent conns open: < 100 ms" "$ok" "$detail"
ok=$(awk -v k="$(o rss_kb silent)" -v h="$held" -v sn="$SN" 'BEGIN { if (k == "-" || h < sn) print "x"; else print (k < 16384) }')
goal "our total RSS, $SN silent conns open: < 16 MiB" "$ok" "($(kb2mib "$(o rss_kb silent)") MiB, $(o nproc silent) process(es), $held of $SN silent conns held)"
fi
if part attack; then
for n in $ATTACK_N; do
	t=n$n
	p99=$(o p99_ms "$t-loaded") ok_n=$(o ok "$t-loaded")
	ok=$(awk -v p="$p99" -v k="$ok_n" 'BEGIN { if (p == "" || p == "-" || k + 0 == 0) print "x"; else print (p < 100) }')
	goal "attack $n: DEVLIST p99 from 127.0.0.2 < 100 ms" "$ok" "(p99 $p99 ms, max $(o max_ms "$t-loaded") ms, $ok_n answered, $(o failed "$t-loaded") failed)"
	lr=$(o rps "$t-loaded") ur=$(o rps "$t-unloaded")
	ok=$(awk -v a="$lr" -v b="$ur" 'BEGIN { if (b + 0 <= 0) print "x"; else print (a >= b / 2) }')
	goal "attack $n: rate >= 1/2 of unloaded" "$ok" "($lr vs $ur req/s: $(awk -v a="$lr" -v b="$ur" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'))"
	k=$(o root_hwm_kb "$t-mem2")
	ok=$(awk -v k="$k" 'BEGIN { if (k == "" || k < 0) print "x"; else print (k < 16384) }')
	goal "attack $n: our peak RSS (VmHWM) < 16 MiB" "$ok" "($(kb2mib "$k") MiB)"
done
fi
exit 0
