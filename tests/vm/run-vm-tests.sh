#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-vm-tests.sh - real-kernel USB/IP tests in a QEMU VM (Debian's kernel, TCG).
#
# Usage:
#   tests/vm/run-vm-tests.sh --ours DESTDIR [--keep-log DIR] [--only SCENARIO[,SCENARIO...]]
#
#   --ours DIR      our tools: a `make install DESTDIR=DIR` tree (sbin/usbip and
#                   sbin/usbipd are searched for below DIR) or a directory holding
#                   sbin/usbip, sbin/usbipd and lib/libusbip.so*.  Without it the
#                   scenarios that need our tools are reported as SKIP.
#   --keep-log DIR  copy the console log, the result lines and the qemu command to DIR.
#   --only LIST     run only these scenarios (comma-separated; a name also selects
#                   the scenarios it is a prefix of, e.g. "device-mode").  When an
#                   ours flow scenario is selected, ref-ref runs too (it records
#                   the reference output the others are compared with); the same
#                   for device-mode-ours and device-mode-ref.
#   --extra FILE    also run the guest shell script FILE (as scenario "extra", after
#                   the others; /ref and /ours hold the tools, /vmtest/lib.sh the
#                   helpers): handy for looking at kernel behaviour.
#   --kernel LIST   which Debian 12 kernel(s) to boot: 6.1 (linux-image-amd64, the
#                   default), 6.12 (linux-image-6.12-amd64, the backported second
#                   generation, modules .ko.xz), or all (both, one after the other);
#                   comma-separated lists work too.  Default: $USBIP_VM_KERNELS, else
#                   6.1.  With several kernels each one's results are printed under
#                   "=== kernel K (VERSION)" with a "kernel K: N passed, N failed"
#                   line, then the summary line counts them all.
#   --list          print the scenario names and exit.
#
# Scenarios (one VM boot runs them all, in this order):
#   ref-ref, ours-ours, ours-client-ref-server, ref-client-ours-server,
#   device-mode-ref, device-mode-ours, errors-ref, errors, figures,
#   replug-same-port, replug-other-port (today's tools: a replug drops the
#   client's port; re-bound and re-attached by hand), persist-* (device
#   persistence: SKIP until usbip has bind --persist / attach --persistent),
#   tls (mutual TLS with kernel TLS, refusals, a capture when tcpdump is
#   installed on the host), tls-bench (read MB/s: plaintext, kernel TLS, and
#   stunnel as a userspace relay when installed; printed, not asserted)
#
# What it does: installs missing tools with apt-get (qemu-system-x86 busybox-static
# cpio kmod xz-utils usbip), fetches the kernel package that linux-image-amd64
# depends on into ${USBIP_VM_CACHE:-$HOME/.cache/usbip-vm} (kept between runs: the
# vmlinuz plus the few modules the tests load), builds an initramfs (busybox,
# modules, Debian's usbip/usbipd in /ref, ours in /ours), makes two random USB
# sticks (a SuperSpeed one on qemu-xhci, a high-speed one on EHCI), boots the VM
# with -accel tcg and runs tests/vm/guest/sc-*.sh in it.  The guest prints
# "VMTEST: PASS|FAIL|SKIP name [: reason]" lines; they are reported here as
# "PASS: name" etc., followed by the summary line "N passed, N failed, N skipped".
# Exit status 0 only if nothing failed.
#
# Guest access to QEMU's monitor: the guest writes "MON <HMP command>" on its
# third serial port (/dev/ttyS2); tests/vm/qmp-relay.py runs it through QMP and
# answers (see guest/lib.sh: mon, stick_unplug, stick_plug).  The SuperSpeed stick
# is device "stickdev" on qemu-xhci port 1, the keyboard is on port 2, the
# high-speed stick is "hsstickdev" on EHCI port 1; the relay's log is kept with
# --keep-log (monitor.log).
#
# Environment: USBIP_VM_CACHE (cache dir), USBIP_VM_TIMEOUT (seconds for the whole
# VM, default 1200: a safety net (each scenario has its own limit in guest/init);
# a quiet 2-core machine needs about 3 minutes, a busy one several times that), USBIP_VM_SMP (guest CPUs, default 2), USBIP_VM_STICK_MB (size
# of the SuperSpeed stick, default 16), USBIP_VM_KEEP_WORK=1 (keep the work dir),
# USBIP_VM_FAKE_PERSIST=1 (run the persist-* scenarios against
# guest/fake-persist.sh, a crude stand-in for the persistence options: checks
# the scenarios themselves, not the tools), USBIP_VM_TTR_MAX (seconds a persist-*
# scenario allows for the recovery, default 10), USBIP_VM_KERNELS (default for --kernel), USBIP_VM_KERNEL_META (boot the kernel
# this meta-package depends on instead of --kernel's; e.g. linux-image-6.12-amd64).

set -euo pipefail
umask 022

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GUEST="$HERE/guest"
CACHE=${USBIP_VM_CACHE:-${HOME:-/root}/.cache/usbip-vm}
VM_TIMEOUT=${USBIP_VM_TIMEOUT:-1200}
VM_SMP=${USBIP_VM_SMP:-2}
SS_MB=${USBIP_VM_STICK_MB:-16}
KMETA=${USBIP_VM_KERNEL_META:-}
KERNELS=${USBIP_VM_KERNELS:-6.1}
HS_MB=8
ARGS=("$@")

ALL_SCENARIOS="ref-ref ours-ours ours-client-ref-server ref-client-ours-server device-mode-ref device-mode-ours errors-ref errors figures
replug-same-port replug-other-port
persist-replug-same-port persist-replug-other-port persist-conn-loss-vhci persist-conn-loss-unbind
persist-detach-stays persist-usbipd-late tls tls-bench"

# Modules the guest loads (their dependencies are added from modules.dep).
WANT_MODULES="usbip-core usbip-host vhci-hcd usbip-vudc xhci-pci xhci-hcd ehci-pci ehci-hcd
usb-storage sd_mod dummy_hcd libcomposite usb_f_mass_storage usb_f_acm u_serial configfs
crc64_rocksoft_generic crct10dif_generic
tls gcm ghash_generic ctr aes_generic gf128mul"

OURS=""
EXTRA=""
KEEPLOG=""
ONLY=""

log() { printf 'run-vm-tests: %s\n' "$*" >&2; }
die() { printf 'run-vm-tests: error: %s\n' "$*" >&2; exit 2; }

usage() {
	sed -n '3,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--ours) [ $# -ge 2 ] || die "--ours needs a directory"; OURS=$2; shift 2 ;;
	--ours=*) OURS=${1#*=}; shift ;;
	--keep-log) [ $# -ge 2 ] || die "--keep-log needs a directory"; KEEPLOG=$2; shift 2 ;;
	--keep-log=*) KEEPLOG=${1#*=}; shift ;;
	--only) [ $# -ge 2 ] || die "--only needs a scenario name"; ONLY="$ONLY,$2"; shift 2 ;;
	--only=*) ONLY="$ONLY,${1#*=}"; shift ;;
	--extra) [ $# -ge 2 ] || die "--extra needs a file"; EXTRA=$2; shift 2 ;;
	--extra=*) EXTRA=${1#*=}; shift ;;
	--kernel) [ $# -ge 2 ] || die "--kernel needs 6.1, 6.12 or all"; KERNELS=$2; shift 2 ;;
	--kernel=*) KERNELS=${1#*=}; shift ;;
	--list) echo $ALL_SCENARIOS | tr ' ' '\n'; exit 0 ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; die "unknown argument: $1" ;;
	esac
done

# ---------------------------------------------------------------- kernel selection
# kernel label -> the meta-package that depends on that kernel generation
kernel_meta() {
	case "$1" in
	6.1) echo linux-image-amd64 ;;
	6.12) echo linux-image-6.12-amd64 ;;
	*) return 1 ;;
	esac
}
KLIST=""
for k in ${KERNELS//,/ }; do
	case "$k" in
	all) KLIST="$KLIST 6.1 6.12" ;;
	*) kernel_meta "$k" >/dev/null || die "--kernel $k: unknown (6.1, 6.12 or all)"; KLIST="$KLIST $k" ;;
	esac
done
KLIST=$(echo $KLIST)
[ -n "$KLIST" ] || die "--kernel: empty list"
if [ -n "$KMETA" ]; then
	KLIST=$KMETA # USBIP_VM_KERNEL_META names the kernel itself
elif [ "$KLIST" != "${KLIST%% *}" ]; then
	# Several kernels: one run of this script per kernel, in turn (QEMU's TCG
	# takes a whole core per guest CPU: two VMs at once on a 2-core machine only
	# slow each other down).  Each run's summary is counted into the total.
	tp=0 tf=0 ts=0 rc=0 kl=""
	sub=()
	skip=0
	for a in "${ARGS[@]}"; do
		# drop --kernel and --keep-log (given per kernel below)
		if [ "$skip" = 1 ]; then skip=0; continue; fi
		case "$a" in
		--kernel|--keep-log) skip=1; continue ;;
		--kernel=*|--keep-log=*) continue ;;
		esac
		sub+=("$a")
	done
	for k in $KLIST; do
		echo "=== kernel $k ($(kernel_meta "$k"))"
		out=$(mktemp "${TMPDIR:-/tmp}/usbip-vm-out.XXXXXX")
		t0=$(date +%s)
		set +e
		USBIP_VM_KERNELS="" "${BASH_SOURCE[0]}" "${sub[@]}" --kernel "$k" \
			${KEEPLOG:+--keep-log "$KEEPLOG/$k"} | tee "$out"
		r=${PIPESTATUS[0]}
		set -e
		t1=$(date +%s)
		[ "$r" = 0 ] || rc=1
		summ=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
		kv=$(sed -n 's/^kernel: \([^ ]*\).*/\1/p' "$out" | head -n 1)
		rm -f "$out"
		if [ -z "$summ" ]; then
			summ="0 passed, 1 failed"
			echo "FAIL: kernel $k (no summary: the run ended early, exit $r)"
		fi
		p=$(echo "$summ" | awk '{print $1}'); f=$(echo "$summ" | awk '{print $3}')
		s=$(echo "$summ" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
		tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + ${s:-0}))
		kl="$kl; $k: ${kv:-?} $summ in $((t1 - t0))s"
		echo "kernel $k (${kv:-?}): $summ ($((t1 - t0))s)"
	done
	echo "kernels${kl#;}" | sed 's/^kernels /kernels: /'
	if [ "$ts" -gt 0 ]; then
		echo "$tp passed, $tf failed, $ts skipped"
	else
		echo "$tp passed, $tf failed"
	fi
	[ "$tf" = 0 ] && [ "$rc" = 0 ]
	exit $?
else
	KMETA=$(kernel_meta "$KLIST")
fi

# ---------------------------------------------------------------- scenario selection
SELECTED=""
if [ -z "$ONLY" ]; then
	SELECTED=$(echo $ALL_SCENARIOS)
else
	for s in $ALL_SCENARIOS; do
		for w in ${ONLY//,/ }; do
			case "$s" in "$w"*) SELECTED="$SELECTED $s"; break ;; esac
		done
	done
	[ -n "$SELECTED" ] || [ -n "$EXTRA" ] || die "--only ${ONLY#,}: no such scenario (see --list)"
	case " $SELECTED " in
	*" ours-"*|*" ref-client-ours-server "*)
		case " $SELECTED " in *" ref-ref "*) ;; *) SELECTED="ref-ref $SELECTED" ;; esac ;;
	esac
	case " $SELECTED " in
	*" device-mode-ours "*)
		case " $SELECTED " in *" device-mode-ref "*) ;; *) SELECTED="${SELECTED/device-mode-ours/device-mode-ref device-mode-ours}" ;; esac ;;
	esac
	SELECTED=$(echo $SELECTED)
fi
SELECTED=${SELECTED# }
if [ -n "$EXTRA" ]; then
	[ -f "$EXTRA" ] || die "--extra $EXTRA: no such file"
	SELECTED="$SELECTED extra"
fi

# ---------------------------------------------------------------- host prerequisites
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 && SUDO="sudo" || SUDO=""
fi
APT_UPDATED=0
apt_update_once() {
	[ "$APT_UPDATED" = 1 ] && return 0
	APT_UPDATED=1
	log "apt-get update"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || log "apt-get update failed (continuing)"
}

ensure_host_tools() {
	local missing=""
	command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$missing qemu-system-x86_64"
	command -v python3 >/dev/null 2>&1 || missing="$missing python3"
	command -v busybox >/dev/null 2>&1 || [ -x /bin/busybox ] || missing="$missing busybox"
	command -v cpio >/dev/null 2>&1 || missing="$missing cpio"
	command -v depmod >/dev/null 2>&1 || [ -x /sbin/depmod ] || [ -x /usr/sbin/depmod ] || missing="$missing depmod"
	command -v xz >/dev/null 2>&1 || missing="$missing xz"
	[ -x /usr/sbin/usbip ] || missing="$missing usbip"
	[ -x /usr/sbin/usbipd ] || missing="$missing usbipd"
	[ -e /usr/share/misc/usb.ids ] || [ -e /usr/share/hwdata/usb.ids ] || missing="$missing usb.ids"
	if [ -n "$missing" ]; then
		log "missing:$missing -> installing packages"
		apt_update_once
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			qemu-system-x86 busybox-static cpio kmod xz-utils usbip python3 >&2 ||
			die "apt-get install failed"
	fi
	export PATH="$PATH:/sbin:/usr/sbin"
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 still missing"
	command -v depmod >/dev/null || die "depmod still missing"
	for c in cpio xz ldd sha256sum dpkg-deb timeout dd; do
		command -v "$c" >/dev/null || die "$c missing"
	done
}

# ---------------------------------------------------------------- kernel (cached)
KVER="" KDIR=""
fetch_kernel() {
	mkdir -p "$CACHE"
	local pkg ver stamp want
	want=$(echo $WANT_MODULES)
	pkg=$(apt-cache depends "$KMETA" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}') || pkg=""
	if [ -z "$pkg" ]; then
		apt_update_once
		pkg=$(apt-cache depends "$KMETA" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}') || pkg=""
	fi
	if [ -n "$pkg" ]; then
		ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
		KDIR="$CACHE/kernel-$pkg-${ver//[:~]/_}"
	else
		# No package lists and no network: fall back to the newest cached kernel.
		KDIR=$(grep -lx "$KMETA" "$CACHE"/kernel-*/meta 2>/dev/null | xargs -r -n1 dirname | sort -V | tail -n 1) || KDIR=""
		[ -n "$KDIR" ] || die "cannot find the package $KMETA depends on"
		log "apt-cache has no $KMETA; using cached $KDIR"
	fi
	stamp="$KDIR/.complete"
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		KVER=$(cat "$KDIR/kver")
		[ -f "$KDIR/meta" ] || echo "$KMETA" >"$KDIR/meta"
		log "kernel $KVER from cache ($KDIR)"
		return 0
	fi
	[ -n "$pkg" ] || die "cached kernel incomplete and no package available"
	log "fetching $pkg $ver"
	local tmp
	tmp=$(mktemp -d "$CACHE/fetch.XXXXXX")
	# (APT::Sandbox::User=root: the _apt user may not be able to write here)
	(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) || {
		apt_update_once
		(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) ||
			{ rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	}
	dpkg-deb -x "$tmp"/*.deb "$tmp/root" || { rm -rf "$tmp"; die "dpkg-deb -x failed"; }
	local kv
	kv=$(ls "$tmp/root/lib/modules" | head -n 1)
	[ -n "$kv" ] && [ -f "$tmp/root/boot/vmlinuz-$kv" ] || { rm -rf "$tmp"; die "unexpected kernel package layout"; }
	depmod -b "$tmp/root" "$kv" || { rm -rf "$tmp"; die "depmod on the unpacked kernel failed"; }
	local src="$tmp/root/lib/modules/$kv"
	# Module closure from modules.dep (paths may end in .ko, .ko.xz, .ko.zst).
	local files
	files=$(awk -v want="$want" '
		function norm(s) { gsub(/-/, "_", s); return s }
		BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) W[norm(w[i])] = 1 }
		{
			f = $1; sub(/:$/, "", f)
			b = f; sub(/.*\//, "", b); sub(/\.ko(\.(xz|zst|gz))?$/, "", b)
			if (norm(b) in W) { print f; for (i = 2; i <= NF; i++) print $i; found[norm(b)] = 1 }
		}
		END { for (k in W) if (!(k in found)) print "run-vm-tests: note: no module " k " in this kernel (built in or gone), skipped" > "/dev/stderr" }
	' "$src/modules.dep" | sort -u)
	[ -n "$files" ] || { rm -rf "$tmp"; die "no modules found"; }
	rm -rf "$KDIR"
	mkdir -p "$KDIR/modules/lib/modules/$kv"
	cp "$tmp/root/boot/vmlinuz-$kv" "$KDIR/vmlinuz"
	cp "$tmp/root/boot/config-$kv" "$KDIR/config" 2>/dev/null || true
	local f dst
	for f in $files; do
		dst="$KDIR/modules/lib/modules/$kv/${f%.xz}"
		dst=${dst%.zst}; dst=${dst%.gz}
		mkdir -p "$(dirname "$dst")"
		case "$f" in
		*.ko.xz) xz -dc "$src/$f" >"$dst" ;;
		*.ko.zst) zstd -dcq "$src/$f" >"$dst" || die "zstd needed for $f" ;;
		*.ko.gz) gzip -dc "$src/$f" >"$dst" ;;
		*) cp "$src/$f" "$dst" ;;
		esac
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "$src/$f" ] && cp "$src/$f" "$KDIR/modules/lib/modules/$kv/"
	done
	depmod -b "$KDIR/modules" "$kv" || die "depmod on the module subset failed"
	echo "$kv" >"$KDIR/kver"
	echo "$KMETA" >"$KDIR/meta"
	rm -rf "$tmp"
	# Keep only the current kernel of this meta-package in the cache.
	for f in "$CACHE"/kernel-*; do
		if [ "$f" != "$KDIR" ] && [ "$(cat "$f/meta" 2>/dev/null)" = "$KMETA" ]; then rm -rf "$f"; fi
	done
	echo "$want" >"$stamp"
	KVER=$kv
	log "kernel $KVER cached in $KDIR ($(du -sh "$KDIR" | cut -f1))"
}

# ---------------------------------------------------------------- initramfs
ROOT=""
# copy_libs FILE [OURS_LIBDIR]: copy the shared libraries ldd lists for FILE into $ROOT
# (libraries below OURS_LIBDIR are skipped: they go to /ours/lib).
copy_libs() {
	local bin=$1 ourslib=${2:-} line lib deps
	deps=$(ldd "$bin" 2>/dev/null) || return 0 # static or not ELF
	printf '%s\n' "$deps" | while read -r line; do
		case "$line" in
		*"not found"*) echo "NOTFOUND ${line%% *}" ;;
		*"=> /"*) lib=${line#*=> }; lib=${lib%% (*}; echo "$lib" ;;
		/*) lib=${line%% (*}; echo "$lib" ;;
		esac
	done | while read -r lib; do
		case "$lib" in
		NOTFOUND*) log "warning: $bin: library ${lib#NOTFOUND } not found" ; continue ;;
		esac
		if [ -n "$ourslib" ] && [ "${lib#"$ourslib"/}" != "$lib" ]; then
			continue # our own library: copied separately to /ours/lib
		fi
		if [ ! -e "$ROOT$lib" ]; then
			mkdir -p "$ROOT$(dirname "$lib")"
			cp -L "$lib" "$ROOT$lib"
		fi
	done
}

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

OURS_SBIN_USBIP="" OURS_SBIN_USBIPD="" OURS_LIBDIR=""
locate_ours() {
	[ -n "$OURS" ] || return 0
	[ -d "$OURS" ] || die "--ours $OURS: not a directory"
	OURS=$(cd "$OURS" && pwd)
	OURS_SBIN_USBIP=$(find "$OURS" -path '*/sbin/usbip' \( -type f -o -type l \) 2>/dev/null | head -n 1)
	OURS_SBIN_USBIPD=$(find "$OURS" -path '*/sbin/usbipd' \( -type f -o -type l \) 2>/dev/null | head -n 1)
	[ -n "$OURS_SBIN_USBIP" ] || OURS_SBIN_USBIP=$(find "$OURS" -path '*/bin/usbip' -type f 2>/dev/null | head -n 1)
	[ -n "$OURS_SBIN_USBIPD" ] || OURS_SBIN_USBIPD=$(find "$OURS" -path '*/bin/usbipd' -type f 2>/dev/null | head -n 1)
	[ -n "$OURS_SBIN_USBIP" ] || die "--ours $OURS: no sbin/usbip below it"
	[ -n "$OURS_SBIN_USBIPD" ] || die "--ours $OURS: no sbin/usbipd below it"
	local f
	for f in "$OURS_SBIN_USBIP" "$OURS_SBIN_USBIPD"; do
		is_elf "$f" || die "$f is not an ELF binary (a libtool wrapper? pass the make install DESTDIR)"
	done
	f=$(find "$OURS" -name 'libusbip.so*' 2>/dev/null | head -n 1)
	if [ -n "$f" ]; then OURS_LIBDIR=$(dirname "$f"); fi
	log "ours: $OURS_SBIN_USBIP $OURS_SBIN_USBIPD${OURS_LIBDIR:+ (libs in $OURS_LIBDIR)}"
}

build_initramfs() {
	local work=$1
	ROOT="$work/root"
	rm -rf "$ROOT"
	mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,var,ref,ours/lib,vmtest,root,mnt}
	ln -s ../run "$ROOT/var/run"
	# busybox (static preferred; a dynamic one gets its libraries copied)
	local bb
	bb=$(command -v busybox || echo /bin/busybox)
	cp -L "$bb" "$ROOT/bin/busybox"
	copy_libs "$bb"
	local a
	for a in $("$ROOT/bin/busybox" --list-full); do
		[ -e "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"
	done
	ln -sf /bin/busybox "$ROOT/sbin/modprobe"
	# kernel modules
	cp -a "$KDIR/modules/lib" "$ROOT/"
	# reference tools
	cp -L /usr/sbin/usbip /usr/sbin/usbipd "$ROOT/ref/"
	copy_libs /usr/sbin/usbip
	copy_libs /usr/sbin/usbipd
	local ids
	ids=$(readlink -f /usr/share/misc/usb.ids 2>/dev/null || true)
	[ -f "$ids" ] || ids=$(readlink -f /usr/share/hwdata/usb.ids)
	mkdir -p "$ROOT/usr/share/misc" "$ROOT/usr/share/hwdata"
	cp "$ids" "$ROOT/usr/share/misc/usb.ids"
	ln -s ../misc/usb.ids "$ROOT/usr/share/hwdata/usb.ids"
	# our tools
	if [ -n "$OURS" ]; then
		cp -L "$OURS_SBIN_USBIP" "$ROOT/ours/usbip"
		cp -L "$OURS_SBIN_USBIPD" "$ROOT/ours/usbipd"
		if [ -n "$OURS_LIBDIR" ]; then
			cp -a "$OURS_LIBDIR"/libusbip.so* "$ROOT/ours/lib/"
		fi
		local f p
		for f in "$ROOT/ours/usbip" "$ROOT/ours/usbipd" "$ROOT"/ours/lib/libusbip.so*; do
			[ -f "$f" ] && [ ! -L "$f" ] || continue
			LD_LIBRARY_PATH="$ROOT/ours/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" copy_libs "$f" "$ROOT/ours/lib"
			# usb.ids paths compiled into our files get the database too
			for p in $(grep -aoE '/[A-Za-z0-9_./-]*usb\.ids' "$f" 2>/dev/null | sort -u); do
				case "$p" in /usr/share/misc/usb.ids|/usr/share/hwdata/usb.ids) continue ;; esac
				mkdir -p "$ROOT$(dirname "$p")"
				[ -e "$ROOT$p" ] || cp "$ids" "$ROOT$p"
			done
		done
	fi
	# TLS scenarios: certificates (two CAs), and tcpdump and stunnel when the
	# host has them (the capture and the relay figure need them)
	if [ -n "$OURS" ]; then
		local mk="$HERE/../../contrib/usbip-make-certs.sh" c
		for c in "good ca" "good server 127.0.0.1" "good client alice" \
			"other ca" "other server 127.0.0.1" "other client mallory"; do
			# shellcheck disable=SC2086
			DAYS=2 sh "$mk" "$ROOT/vmtest/certs/"$c || die "usbip-make-certs.sh $c failed (certtool: gnutls-bin)"
		done
		for f in tcpdump stunnel4; do
			# In CI the capture and the relay figure must not go missing quietly.
			command -v "$f" >/dev/null 2>&1 || [ -z "${CI:-}" ] ||
				die "$f is missing: the tls scenarios need it in CI (tests/scripts/install-deps.sh --vm)"
			f=$(command -v "$f" 2>/dev/null) || continue
			cp -L "$f" "$ROOT/usr/bin/"
			copy_libs "$f"
		done
		# stunnel's threads need it at exit (glibc loads it by name)
		for f in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
			[ -f "$f" ] && [ ! -e "$ROOT$f" ] && mkdir -p "$ROOT${f%/*}" && cp -L "$f" "$ROOT$f"
		done
	fi
	# ld.so search path for the copied libraries
	printf '/ours/lib\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n/lib\n/usr/lib\n' >"$ROOT/etc/ld.so.conf"
	ldconfig -r "$ROOT" 2>/dev/null || /sbin/ldconfig -r "$ROOT" 2>/dev/null || true
	# small /etc
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' >"$ROOT/etc/hosts"
	printf 'hosts: files\nservices: files\n' >"$ROOT/etc/nsswitch.conf"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
	printf 'root:x:0:\n' >"$ROOT/etc/group"
	[ -f /etc/services ] && cp /etc/services "$ROOT/etc/services"
	# guest scripts
	cp "$GUEST/init" "$ROOT/init"
	chmod 755 "$ROOT/init"
	cp "$GUEST"/*.sh "$ROOT/vmtest/"
	[ -z "$EXTRA" ] || cp "$EXTRA" "$ROOT/vmtest/sc-extra.sh"
	{
		echo "KVER='$KVER'"
		echo "SS_SHA='$SS_SHA'"
		echo "SS_HEAD_SHA='$SS_HEAD_SHA'"
		echo "HS_SHA='$HS_SHA'"
		echo "SS_BYTES='$((SS_MB * 1024 * 1024))'"
		echo "HS_BYTES='$((HS_MB * 1024 * 1024))'"
		echo "SCENARIOS='$SELECTED'"
		echo "HAVE_OURS='$([ -n "$OURS" ] && echo 1 || echo 0)'"
		echo "VM_TIMEOUT='$VM_TIMEOUT'"
		echo "FAKE_PERSIST='${USBIP_VM_FAKE_PERSIST:-0}'"
		echo "TTR_MAX='${USBIP_VM_TTR_MAX:-10}'"
	} >"$ROOT/etc/vmtest.conf"
	(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$work/initrd"
}

# ---------------------------------------------------------------- main
T0=$(date +%s)
ensure_host_tools
locate_ours
mkdir -p "$CACHE"
# One run at a time fills or reads the cache (held until the initramfs is built).
exec 9>"$CACHE/.lock"
command -v flock >/dev/null 2>&1 && flock 9
fetch_kernel

WORK=$(mktemp -d "${TMPDIR:-/tmp}/usbip-vm.XXXXXX")
cleanup() {
	if [ "${USBIP_VM_KEEP_WORK:-0}" = 1 ]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

dd if=/dev/urandom of="$WORK/ss.img" bs=1M count="$SS_MB" status=none
dd if=/dev/urandom of="$WORK/hs.img" bs=1M count="$HS_MB" status=none
SS_SHA=$(sha256sum "$WORK/ss.img" | cut -d' ' -f1)
SS_HEAD_SHA=$(head -c 1048576 "$WORK/ss.img" | sha256sum | cut -d' ' -f1)
HS_SHA=$(sha256sum "$WORK/hs.img" | cut -d' ' -f1)
cp "$WORK/ss.img" "$WORK/ss.orig"

build_initramfs "$WORK"
exec 9>&-
log "initramfs $(du -h "$WORK/initrd" | cut -f1), scenarios: $SELECTED"

CONSOLE="$WORK/console.log"
RESULTS="$WORK/results.log"
: >"$CONSOLE"; : >"$RESULTS"
QMP_SOCK="$WORK/qmp.sock" CTL_SOCK="$WORK/ctl.sock" MONLOG="$WORK/monitor.log"
: >"$MONLOG"
QEMU=(timeout --kill-after=10 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -smp "$VM_SMP" -m 1024
	-nodefaults -no-user-config -nographic -no-reboot -monitor none -nic none
	-serial "file:$CONSOLE" -serial "file:$RESULTS"
	-chardev "socket,id=ctl,path=$CTL_SOCK,server=on,wait=off" -serial chardev:ctl
	-qmp "unix:$QMP_SOCK,server=on,wait=off"
	-kernel "$KDIR/vmlinuz" -initrd "$WORK/initrd"
	-append "console=ttyS0 panic=-1 quiet"
	-device qemu-xhci,id=xhci
	-drive "if=none,id=stick,format=raw,file=$WORK/ss.img"
	-device usb-storage,bus=xhci.0,port=1,drive=stick,serial=VMTESTSS,id=stickdev
	-device usb-kbd,bus=xhci.0,port=2
	-device usb-ehci,id=ehci
	-drive "if=none,id=hsstick,format=raw,file=$WORK/hs.img"
	-device usb-storage,bus=ehci.0,port=1,drive=hsstick,serial=VMTESTHS,id=hsstickdev)
log "booting VM (timeout ${VM_TIMEOUT}s)"
TB=$(date +%s)
set +e
"${QEMU[@]}" </dev/null >"$WORK/qemu.out" 2>&1 &
QPID=$!
# the guest's monitor access (ends by itself when QEMU closes the sockets)
python3 "$HERE/qmp-relay.py" "$CTL_SOCK" "$QMP_SOCK" "$MONLOG" \
	"SS_IMG=$WORK/ss.img" "HS_IMG=$WORK/hs.img" >>"$MONLOG" 2>&1 </dev/null &
RPID=$!
wait "$QPID"
QRC=$?
# give the relay a moment to notice, then make sure it is gone
for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$RPID" 2>/dev/null || break; sleep 0.2; done
kill "$RPID" 2>/dev/null
wait "$RPID" 2>/dev/null
set -e
TE=$(date +%s)
cat "$WORK/qemu.out" >>"$CONSOLE"
tr -d '\r' <"$RESULTS" >"$RESULTS.clean"
tr -d '\r' <"$CONSOLE" >"$CONSOLE.clean"
[ "$QRC" = 0 ] || log "qemu exited with status $QRC$([ "$QRC" = 124 ] && echo ' (timeout)')"

# The stick must be back to its original content at the end (the guest restores
# what it wrote); a difference means a scenario left a write behind.
if ! cmp -s "$WORK/ss.img" "$WORK/ss.orig"; then
	echo "VMTEST: NOTE host: SuperSpeed stick image differs from the original after the run" >>"$RESULTS.clean"
fi

if [ -n "$KEEPLOG" ]; then
	mkdir -p "$KEEPLOG"
	cp "$CONSOLE.clean" "$KEEPLOG/console.log"
	cp "$RESULTS.clean" "$KEEPLOG/results.log"
	cp "$MONLOG" "$KEEPLOG/monitor.log"
	printf '%q ' "${QEMU[@]}" >"$KEEPLOG/qemu-cmd.txt"; echo >>"$KEEPLOG/qemu-cmd.txt"
fi

# ---------------------------------------------------------------- report
npass=0 nfail=0 nskip=0
failed=""
show_fail_log() {
	local name=$1
	echo "---- console log of $name (tail) ----"
	awk -v n="$name" '
		$0 ~ "^VMTEST: BEGIN " n "$" { on = 1; buf = "" }
		on { lines[++c] = $0 }
		on && $0 ~ "^VMTEST: END " n "$" { on = 0 }
		END { s = c - 60; if (s < 1) s = 1; for (i = s; i <= c; i++) print lines[i] }
	' "$CONSOLE.clean"
	echo "---- end of $name ----"
}
echo "kernel: $KVER ($KMETA)"
grep -E '^VMTEST: (INFO|FIGURE|NOTE) ' "$RESULTS.clean" | sed 's/^VMTEST: //' || true
for s in $SELECTED; do
	line=$(grep -E "^VMTEST: (PASS|FAIL|SKIP) $s( |\$)" "$RESULTS.clean" | tail -n 1 || true)
	[ -n "$line" ] || line=$(grep -E "^VMTEST: (PASS|FAIL|SKIP) $s( |\$)" "$CONSOLE.clean" | tail -n 1 || true)
	if [ -z "$line" ]; then
		line="VMTEST: FAIL $s : no result (VM died or timed out)"
	fi
	res=$(echo "$line" | awk '{print $2}')
	reason=$(echo "$line" | sed -n 's/^VMTEST: [A-Z]* [^ ]* : \{0,1\}//p')
	case "$res" in
	PASS) npass=$((npass + 1)); echo "PASS: $s" ;;
	SKIP) nskip=$((nskip + 1)); echo "SKIP: $s${reason:+ ($reason)}" ;;
	*) nfail=$((nfail + 1)); failed="$failed $s"; echo "FAIL: $s${reason:+ ($reason)}" ;;
	esac
done
if [ -n "$failed" ]; then
	for s in $failed; do show_fail_log "$s"; done
	if ! grep -q '^VMTEST: DONE' "$RESULTS.clean" "$CONSOLE.clean"; then
		echo "---- console log tail (VM did not finish) ----"
		tail -n 80 "$CONSOLE.clean"
	fi
	if [ -n "$KEEPLOG" ]; then
		echo "console log saved to $KEEPLOG/console.log"
	else
		mkdir -p "$CACHE/logs"
		cp "$CONSOLE.clean" "$CACHE/logs/console-last-failure.log"
		echo "console log saved to $CACHE/logs/console-last-failure.log"
	fi
fi
boot=$(sed -n 's/^VMTEST: INFO userspace-at \([0-9.]*\).*/\1/p' "$RESULTS.clean" | head -n 1)
log "VM ran $((TE - TB))s (userspace after ${boot:-?}s of guest uptime), total $((TE - T0))s"
if [ "$nskip" -gt 0 ]; then
	echo "$npass passed, $nfail failed, $nskip skipped"
else
	echo "$npass passed, $nfail failed"
fi
[ "$nfail" = 0 ]
