#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# fake-persist.sh: a stand-in for `usbip` that fakes the persistence options
# with polling loops, only to check the persist-* scenarios themselves before
# the real features exist (run-vm-tests.sh with USBIP_VM_FAKE_PERSIST=1; their
# FIGURE lines then say "fake").  Not a model of the real design:
#   bind --persist -i V:P     record the rule, bind matching devices now, and
#                             (while a usbipd runs) whenever one is unbound
#   unbind --persist ...      drop the rules, stop both loops
#   attach --persistent -r H -i V:P   a loop that attaches the first device of
#                             `list -r H` with (V:P) whenever its port is free
#   detach -p N               of the supervised port: stop the loop first
#   port                      adds "supervised" under the supervised port
# Anything else goes to the real /ours/usbip.
REAL=/ours/usbip
F=/tmp/fake-persist
mkdir -p $F
has() { _w=$1; shift; for _a in "$@"; do [ "$_a" = "$_w" ] && return 0; done; return 1; }
opt() { _w=$1; shift; while [ $# -gt 1 ]; do [ "$1" = "$_w" ] && { echo "$2"; return 0; }; shift; done; return 1; }
busids_of() { # V:P -> local bus ids (not imported)
	for d in /sys/bus/usb/devices/*; do
		case "${d##*/}" in *:*|usb*) continue ;; esac
		[ "$(cat "$d/idVendor" 2>/dev/null):$(cat "$d/idProduct" 2>/dev/null)" = "$1" ] || continue
		case "$(readlink -f "$d")" in *vhci_hcd*) continue ;; esac
		echo "${d##*/}"
	done
}
stop() { [ -f "$F/$1.pid" ] && kill "$(cat "$F/$1.pid")" 2>/dev/null; rm -f "$F/$1.pid"; }
port_used() { cat /sys/devices/platform/vhci_hcd.0/status* | awk -v p="$1" '$2 ~ /^[0-9]+$/ { n = $2; sub(/^0+/, "", n); if (n == "") n = 0; if (n == p && $3 != "004") f = 1 } END { exit !f }'; }

case "$1 $2" in
"bind --help"|"bind -h") $REAL bind --help; echo "    --persist -i <vid:pid>   (fake) export by rule"; exit 0 ;;
"attach --help"|"attach -h") $REAL attach --help; echo "    --persistent -i <vid:pid> (fake) supervised import"; exit 0 ;;
esac
case "$1" in
bind)
	has --persist "$@" || exec $REAL "$@"
	vp=$(opt -i "$@") || { echo "fake: bind --persist needs -i" >&2; exit 1; }
	echo "$vp" >"$F/rule"
	for b in $(busids_of "$vp"); do $REAL bind -b "$b" >/dev/null 2>&1; done
	if [ ! -f "$F/rules.pid" ]; then
		(
			while :; do
				if pidof usbipd >/dev/null && [ -f "$F/rule" ]; then
					for b in $(busids_of "$(cat "$F/rule")"); do
						[ "$(basename "$(readlink /sys/bus/usb/devices/$b/driver)")" = usbip-host ] ||
							$REAL bind -b "$b" >/dev/null 2>&1
					done
				fi
				usleep 200000
			done
		) </dev/null >/dev/null 2>&1 &
		echo $! >"$F/rules.pid"
	fi
	exit 0 ;;
unbind)
	has --persist "$@" || exec $REAL "$@"
	rm -f "$F/rule"; stop rules; stop sup; exit 0 ;;
attach)
	has --persistent "$@" || exec $REAL "$@"
	host=$(opt -r "$@") && vp=$(opt -i "$@") || { echo "fake: attach --persistent needs -r and -i" >&2; exit 1; }
	stop sup
	rm -f "$F/port"
	# attach_once: attach the first (V:P) device `list -r` shows, record its port
	attach_once() {
		b=$($REAL list -r "$host" 2>>"$F/log" | sed -n "s/^ *\([0-9][0-9.-]*\): .*($vp)\$/\1/p" | head -n 1)
		[ -n "$b" ] || { echo "$(cat /proc/uptime) no $vp on $host" >>"$F/log"; return 1; }
		$REAL attach -r "$host" -b "$b" >>"$F/log" 2>&1 || { echo "$(cat /proc/uptime) attach $b failed" >>"$F/log"; return 1; }
		# (the new port can take a moment to show in `usbip port`)
		for _i in 1 2 3 4 5 6 7 8 9 10; do
			$REAL port 2>>"$F/log" | sed -n 's/^Port \([0-9]*\):.*/\1/p' | sed 's/^0*\([0-9]\)/\1/' | tail -n 1 >"$F/port.new"
			[ -s "$F/port.new" ] && break
			usleep 200000
		done
		mv "$F/port.new" "$F/port"
		echo "$(cat /proc/uptime) attached $b on port $(cat "$F/port")" >>"$F/log"
	}
	attach_once || { echo "fake: first attach failed (see $F/log)" >&2; cat "$F/log" >&2; exit 1; }
	(
		while :; do
			p=$(cat "$F/port" 2>/dev/null)
			if [ -z "$p" ] || ! port_used "$p"; then
				attach_once
			fi
			usleep 200000
		done
	) </dev/null >/dev/null 2>&1 &
	echo $! >"$F/sup.pid"
	exit 0 ;;
detach)
	p=$(opt -p "$@")
	[ -n "$p" ] && [ "$p" = "$(cat "$F/port" 2>/dev/null)" ] && { stop sup; rm -f "$F/port"; }
	exec $REAL "$@" ;;
port)
	$REAL "$@" >"$F/port.out"; rc=$?
	sp=$(cat "$F/port" 2>/dev/null)
	if [ -n "$sp" ] && [ -f "$F/sup.pid" ]; then
		awk -v p="$sp" '{ print } /^Port [0-9]+:/ { n = $2; sub(/:/, "", n); sub(/^0+/, "", n); cur = n } /-> usbip:/ && cur == p { print "       supervised (fake)" }' "$F/port.out"
	else
		cat "$F/port.out"
	fi
	exit $rc ;;
esac
exec $REAL "$@"
