# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers shared by the guest-side scripts (busybox ash, POSIX sh).
# Sourced by /init and by every scenario script.

[ -f /etc/vmtest.conf ] && . /etc/vmtest.conf

VHCI=/sys/devices/platform/vhci_hcd.0
STUB=/sys/bus/usb/drivers/usbip-host
REASON_FILE=/tmp/vmtest.reason
BASE=/tmp/baseline

# One line to the console, one to the results channel (second serial port).
vmtest_line() {
	echo "VMTEST: $*"
	echo "VMTEST: $*" >/dev/ttyS1 2>/dev/null || true
}
info() { vmtest_line "INFO $*"; }
figure() { vmtest_line "FIGURE $*"; }
note() { vmtest_line "NOTE $*"; }

say() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }
step() { say "--- $*"; }

# skip MSG: the scenario cannot run here (init reports "SKIP name : MSG").
skip() {
	say "SKIP: $*"
	echo "$*" >"$REASON_FILE"
	exit 77
}

# fail MSG: record the reason and end the scenario script.
fail() {
	say "FAILED: $*"
	echo "$*" >"$REASON_FILE"
	dump_state
	exit 1
}

dump_state() {
	say "state dump:"
	for f in "$VHCI"/status*; do
		[ -f "$f" ] && grep -v ' 004 000 ' "$f" | grep -v '^hub ' | sed "s|^|  ${f##*/}: |"
	done 2>/dev/null
	[ -r "$STUB/match_busid" ] && echo "  match_busid: $(cat $STUB/match_busid)"
	for d in /sys/bus/usb/devices/*-*; do
		case "$d" in *:*) continue ;; esac
		[ -e "$d/idVendor" ] || continue
		echo "  ${d##*/}: driver=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)" \
			"ifdriver=$(basename "$(readlink "$d/${d##*/}:1.0/driver" 2>/dev/null)" 2>/dev/null)" \
			"status=$(cat "$d/usbip_status" 2>/dev/null)"
	done
	echo "  disks: $(ls /sys/block 2>/dev/null | tr '\n' ' ')"
	echo "  usbipd pids: $(pidof usbipd)"
	ls -l /var/run/vhci_hcd 2>/dev/null | sed 's/^/  /'
	echo "  dmesg tail:"
	dmesg | tail -n 25 | sed 's/^/    /'
	if [ -f /tmp/fake-persist/log ]; then
		echo "  fake-persist log tail:"
		tail -n 10 /tmp/fake-persist/log | sed 's/^/    /'
	fi
	if [ -f /tmp/syslog ]; then
		echo "  syslog tail:"
		tail -n 15 /tmp/syslog | sed 's/^/    /'
	fi
}

# run CMD...: run a command (killed after $CMD_TIMEOUT s), show it and its output;
# exit status in $RC (137 = killed), stdout in /tmp/out, stderr in /tmp/err.
CMD_TIMEOUT=${CMD_TIMEOUT:-30}
run() {
	say "\$ $*"
	timeout -s KILL "$CMD_TIMEOUT" "$@" >/tmp/out 2>/tmp/err </dev/null
	RC=$?
	sed 's/^/  out| /' /tmp/out
	sed 's/^/  err| /' /tmp/err
	[ "$RC" = 0 ] || say "  (exit $RC)"
	return 0
}
# expect_rc N CMD...
expect_rc() {
	want=$1; shift
	run "$@"
	[ "$RC" = "$want" ] || fail "'$*' exited $RC, expected $want"
}

# centiseconds of uptime
now_cs() { awk '{ split($1, a, "."); printf "%d\n", a[1] * 100 + substr(a[2] "00", 1, 2) }' /proc/uptime; }

# wait_until SECONDS CMD...: poll CMD every 0.1 s; 0 if it succeeded in time.
wait_until() {
	_wt=$(( $1 * 10 )); shift
	while [ "$_wt" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		usleep 100000
		_wt=$((_wt - 1))
	done
	"$@" >/dev/null 2>&1
}

# busid of the real (not imported) USB device whose serial is $1
busid_by_serial() {
	for d in /sys/bus/usb/devices/*; do
		[ -f "$d/serial" ] || continue
		[ "$(cat "$d/serial" 2>/dev/null)" = "$1" ] || continue
		case "$(readlink -f "$d")" in *vhci_hcd*) continue ;; esac
		echo "${d##*/}"
		return 0
	done
	return 1
}

# sd disk of a local busid (not through vhci)
disk_of_busid() {
	for b in /sys/block/sd*; do
		[ -e "$b" ] || continue
		case "$(readlink -f "$b")" in *vhci_hcd*) continue ;; */"$1"/"$1":*) echo "${b##*/}"; return 0 ;; esac
	done
	return 1
}
# disks imported through vhci (space separated)
imported_disks() {
	for b in /sys/block/sd*; do
		[ -e "$b" ] || continue
		case "$(readlink -f "$b")" in *vhci_hcd*) echo "${b##*/}" ;; esac
	done
}
# imported disk with a given size in bytes, readable (has a device node)
imported_disk_of_size() {
	for d in $(imported_disks); do
		[ "$(( $(cat /sys/block/$d/size) * 512 ))" = "$1" ] && [ -b "/dev/$d" ] && { echo "$d"; return 0; }
	done
	return 1
}
no_imported_disks() { [ -z "$(imported_disks)" ]; }

ifdriver() { basename "$(readlink "/sys/bus/usb/devices/$1/$1:1.0/driver" 2>/dev/null)" 2>/dev/null; }
devdriver() { basename "$(readlink "/sys/bus/usb/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }
on_usb_storage() { [ "$(ifdriver "$1")" = usb-storage ] && disk_of_busid "$1" >/dev/null; }
on_stub() { [ "$(devdriver "$1")" = usbip-host ]; }

# vhci: status (3 digits) of global port $1
# (busybox awk reads "0015" as octal: strip the zeros before using numbers)
vhci_port_status() {
	cat "$VHCI"/status* 2>/dev/null | awk -v p="$1" '$2 ~ /^[0-9]+$/ { n = $2; sub(/^0+/, "", n); if (n == "") n = 0; if (n == p) { print $3; exit } }'
}
vhci_port_free() { [ "$(vhci_port_status "$1")" = 004 ]; }
vhci_used_ports() {
	cat "$VHCI"/status* 2>/dev/null | awk '$2 ~ /^[0-9]+$/ && $3 != "004" { n = $2; sub(/^0+/, "", n); if (n == "") n = 0; print n }'
}
vhci_all_free() { [ -z "$(vhci_used_ports)" ]; }

# is something listening on TCP port $1 (v4 or v6)?
listening() {
	_hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk -v h=":$_hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }'
}
not_listening() { ! listening "$1"; }

kill_usbipd() {
	_p=$(pidof usbipd)
	[ -n "$_p" ] || return 0
	kill $_p 2>/dev/null
	wait_until 5 sh -c '! pidof usbipd' || { kill -9 $(pidof usbipd) 2>/dev/null; wait_until 3 sh -c '! pidof usbipd'; }
	wait_until 3 not_listening 3240
	rm -f /var/run/usbipd.pid
}

# start_usbipd DIR [ARGS...]: start DIR/usbipd -D ARGS, wait until it listens.
start_usbipd() {
	_dir=$1; shift
	run "$_dir/usbipd" -D "$@"
	[ "$RC" = 0 ] || fail "$_dir/usbipd -D $* exited $RC"
	wait_until 10 listening 3240 || fail "$_dir/usbipd is not listening on 3240"
}

# port number from `usbip port` output (first "Port NN:" line) in FILE or stdin
port_from_output() { sed -n 's/^Port \([0-9][0-9]*\):.*/\1/p' ${1:+"$1"} | head -n 1 | sed 's/^0*\([0-9]\)/\1/'; }

# same_file A B WHAT: byte compare, print a diff on mismatch
same_file() {
	if cmp -s "$1" "$2"; then return 0; fi
	say "$3 differs:"
	diff -u "$1" "$2" | head -n 40
	return 1
}

# What device persistence leaves behind (export rules, supervisor state; the
# paths the persistence branches are expected to use) and fake-persist.sh's
# loops: removed after each persist-* scenario and by reset_state.
PERSIST_STATE_PATHS="/etc/usbip/rules /etc/usbip/rules.d /var/lib/usbip /run/usbip /tmp/usbip-rules /tmp/fake-persist"
persist_reset() {
	for _f in /tmp/fake-persist/*.pid; do
		[ -f "$_f" ] && kill "$(cat "$_f")" 2>/dev/null
	done
	rm -rf $PERSIST_STATE_PATHS 2>/dev/null
	return 0
}

# Bring the machine back to a neutral state: no daemon, all ports free, nothing
# bound to usbip-host, sticks on usb-storage, no gadget.
reset_state() {
	_p=$(pidof usbip)
	[ -n "$_p" ] && kill -9 $_p 2>/dev/null
	persist_reset
	kill_usbipd
	for p in $(vhci_used_ports); do
		echo "$p" >"$VHCI/detach" 2>/dev/null
	done
	wait_until 10 vhci_all_free
	rm -rf /var/run/vhci_hcd
	if [ -d "$STUB" ]; then
		# Only `rebind` busids that were bound to usbip-host: on Debian's 6.1
		# kernel, rebind of a match_busid entry whose device the stub never
		# probed dereferences NULL (kernel oops in do_rebind).  Other entries
		# just get "del" (which leaves never-probed entries in the table).
		bound=""
		for d in "$STUB"/*-*; do
			[ -e "$d" ] || continue
			b=${d##*/}
			case "$b" in *:*) continue ;; esac
			bound="$bound $b"
			printf '%s' "$b" >"$STUB/unbind" 2>/dev/null
		done
		for b in $bound; do
			printf 'del %s' "$b" >"$STUB/match_busid" 2>/dev/null
			printf '%s' "$b" >"$STUB/rebind" 2>/dev/null
		done
		for b in $(cat "$STUB/match_busid" 2>/dev/null); do
			printf 'del %s' "$b" >"$STUB/match_busid" 2>/dev/null
		done
	fi
	gadget_teardown
	# a replug scenario that died with a stick out or on another port
	stick_home || say "reset_state: SuperSpeed stick not back on port $SS_HOME_PORT"
	hs_plug || say "reset_state: high-speed stick not plugged back"
	for b in $SS_BUSID $HS_BUSID; do
		wait_until 15 on_usb_storage "$b" || say "reset_state: $b not back on usb-storage"
	done
	wait_until 10 no_imported_disks
	# a flow scenario that died after writing through vhci: put the block back
	if [ -f /tmp/pending-restore ] && _d=$(disk_of_busid "$SS_BUSID"); then
		read -r _off _file </tmp/pending-restore
		dd if="$_file" of="/dev/$_d" bs=65536 seek="$_off" count=1 oflag=direct conv=fsync,notrunc 2>/dev/null &&
			rm -f /tmp/pending-restore
	fi
}

# ---------------------------------------------------------------- QEMU monitor
# The host runs qmp-relay.py on the guest's third serial port: a line
# "MON <HMP command>" is run by QEMU's monitor and answered with "R <output>"
# lines and "OK" or "ERR <reason>".  @SS_IMG@ / @HS_IMG@ in a command stand for
# the host paths of the two sticks' images.
CTL_TTY=/dev/ttyS2

# mon HMP-COMMAND...: 0 if QEMU accepted it; its output is in /tmp/mon.out.
mon() {
	: >/tmp/mon.out
	[ -c "$CTL_TTY" ] || { say "mon: no $CTL_TTY"; return 1; }
	say "monitor> $*"
	_st=""
	exec 8<>"$CTL_TTY"
	# raw: no echo back to the relay, no CR/NL mangling
	stty -F "$CTL_TTY" raw -echo 2>/dev/null
	echo "MON $*" >&8
	while IFS= read -r -t 20 _l <&8; do
		_l=$(printf '%s' "$_l" | tr -d '\r')
		case "$_l" in
		"R "*) printf '%s\n' "${_l#R }" >>/tmp/mon.out ;;
		OK|ERR*) _st=$_l; break ;;
		esac
	done
	exec 8<&-
	sed 's/^/  mon| /' /tmp/mon.out
	[ "$_st" = OK ] && return 0
	say "  monitor: ${_st:-no answer within 20 s}"
	return 1
}

# The SuperSpeed stick as QEMU knows it now: "DEVICE-ID XHCI-PORT COUNTER".
# At boot it is stickdev on port 1 (the runner's command line); every plug
# makes a new drive and device (stickdrvN, stickdevN).
SS_HOME_PORT=1
stick_state() { cat /tmp/stick.state 2>/dev/null || echo "stickdev $SS_HOME_PORT 0"; }
stick_port() { set -- $(stick_state); echo "$2"; }
# bus id of the SuperSpeed stick now (it changes with the port)
ss_busid() { busid_by_serial VMTESTSS; }
no_ss_stick() { ! busid_by_serial VMTESTSS >/dev/null; }

# stick_unplug: pull the SuperSpeed stick out (QEMU device_del), wait until the
# guest has seen it go.
stick_unplug() {
	set -- $(stick_state)
	mon device_del "$1" || return 1
	wait_until 15 no_ss_stick || { say "stick still present after device_del"; return 1; }
}
# stick_plug PORT: plug the SuperSpeed stick (same image, same serial) into
# qemu-xhci port PORT (1-4; port 2 holds the keyboard); wait for its bus id.
stick_plug() {
	set -- $(stick_state) "$1"
	_n=$(( $3 + 1 ))
	mon drive_add 0 "if=none,id=stickdrv$_n,file=@SS_IMG@,format=raw" || return 1
	mon device_add "usb-storage,bus=xhci.0,port=$4,drive=stickdrv$_n,id=stickdev$_n,serial=VMTESTSS" || return 1
	echo "stickdev$_n $4 $_n" >/tmp/stick.state
	wait_until 15 ss_busid || { say "stick not enumerated after device_add on port $4"; return 1; }
}
# stick_home: the stick back on its boot port (bus id $SS_BUSID) if it is not.
stick_home() {
	[ "$(stick_port)" = "$SS_HOME_PORT" ] && [ "$(ss_busid)" = "$SS_BUSID" ] && return 0
	say "putting the SuperSpeed stick back on port $SS_HOME_PORT"
	ss_busid >/dev/null && { stick_unplug || return 1; }
	stick_plug "$SS_HOME_PORT" && [ "$(ss_busid)" = "$SS_BUSID" ]
}

# The high-speed stick has the same vendor:product (46f4:0001) as the
# SuperSpeed one; scenarios that select devices by id take it out meanwhile.
hs_state() { cat /tmp/hs.state 2>/dev/null || echo "hsstickdev 0 in"; }
no_hs_stick() { ! busid_by_serial VMTESTHS >/dev/null; }
hs_unplug() {
	set -- $(hs_state)
	[ "$3" = out ] && return 0
	mon device_del "$1" || return 1
	echo "$1 $2 out" >/tmp/hs.state
	wait_until 15 no_hs_stick
}
hs_plug() {
	set -- $(hs_state)
	[ "$3" = in ] && return 0
	_n=$(( $2 + 1 ))
	mon drive_add 0 "if=none,id=hsdrv$_n,file=@HS_IMG@,format=raw" || return 1
	mon device_add "usb-storage,bus=ehci.0,port=1,drive=hsdrv$_n,id=hsstickdev$_n,serial=VMTESTHS" || return 1
	echo "hsstickdev$_n $_n in" >/tmp/hs.state
	wait_until 15 busid_by_serial VMTESTHS
}

# ---------------------------------------------------------------- time to recovery
# Recovery is the moment the client reads the stick's first MiB right through
# vhci (a whole read of the 16 MiB stick takes ~10 s under TCG: it would
# measure the emulator, not the recovery); the whole stick is then read back
# bit-exact as well, timed apart.
# ttr_mark: the event (unplug, connection loss...) happens now.
ttr_mark() { TTR_T0=$(now_cs); }
# readback_ok DISK: DISK reads back whole and bit-exact as the SuperSpeed stick's
# image (O_DIRECT: nothing from the page cache; killed after 60 s).
readback_ok() {
	[ -b "/dev/$1" ] || return 1
	_sum=$(timeout -s KILL 60 dd if="/dev/$1" bs=1M iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$_sum" = "$SS_SHA" ]
}
# head_ok DISK: the first MiB of DISK is the image's (O_DIRECT)
head_ok() {
	[ -b "/dev/$1" ] || return 1
	_sum=$(timeout -s KILL 20 dd if="/dev/$1" bs=1M count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$_sum" = "$SS_HEAD_SHA" ]
}
# imported_head_ok: an imported disk of the stick's size reads its first MiB
# right; its name in RB_DISK
imported_head_ok() {
	RB_DISK=$(imported_disk_of_size "$SS_BYTES") || return 1
	head_ok "$RB_DISK"
}
# wait_recovered SECONDS: poll (0.1 s) until the client reads the stick through
# vhci (imported_head_ok); TTR_CS = centiseconds from ttr_mark to then.  Then
# read the whole stick back: READ_CS = how long that took.  Returns 1 if the
# stick was not readable within SECONDS of ttr_mark (TTR_CS = the time waited),
# 2 if the whole read was not bit-exact.
wait_recovered() {
	_end=$(( TTR_T0 + $1 * 100 ))
	until imported_head_ok; do
		if [ "$(now_cs)" -ge "$_end" ]; then
			TTR_CS=$(( $(now_cs) - TTR_T0 ))
			return 1
		fi
		usleep 100000
	done
	TTR_CS=$(( $(now_cs) - TTR_T0 ))
	[ "$TTR_CS" -le $(( $1 * 100 )) ] || return 1
	_r0=$(now_cs)
	readback_ok "$RB_DISK" || { say "/dev/$RB_DISK does not read back bit-exact"; return 2; }
	READ_CS=$(( $(now_cs) - _r0 ))
	return 0
}
# expect_recovered SECONDS WHAT: wait_recovered, or fail naming WHAT
expect_recovered() {
	wait_recovered "$1"
	case $? in
	1) fail "$2: the stick was not readable through vhci within $1 s (after $(cs_fmt $TTR_CS) s)" ;;
	2) fail "$2: the stick did not read back bit-exact through vhci" ;;
	esac
	return 0
}
# since_mark: centiseconds since ttr_mark
since_mark() { echo $(( $(now_cs) - TTR_T0 )); }
# cs_fmt CS -> seconds with two decimals
cs_fmt() { printf '%d.%02d' $(( $1 / 100 )) $(( $1 % 100 )); }

GADGET=/sys/kernel/config/usb_gadget/vmtest
gadget_teardown() {
	[ -d "$GADGET" ] || return 0
	echo "" >"$GADGET/UDC" 2>/dev/null
	rm -f "$GADGET"/configs/c.1/mass_storage.0 2>/dev/null
	rmdir "$GADGET"/configs/c.1/strings/0x409 2>/dev/null
	rmdir "$GADGET"/configs/c.1 2>/dev/null
	rmdir "$GADGET"/functions/mass_storage.0 2>/dev/null
	rmdir "$GADGET"/strings/0x409 2>/dev/null
	rmdir "$GADGET" 2>/dev/null
}
