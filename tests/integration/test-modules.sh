#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Kernel module load failures, each reported by its cause (lib/modules.c):
# not in the module tree (names the kernel package), not root, a kernel
# without modules, blacklisted, libkmod failing to start or to read the
# index.  tests/lib/fault-shim.c points libkmod at a fake module tree built here
# with depmod (the modules are copies of /bin/true: depmod indexes any ELF
# file) and fails the module syscalls, so nothing reaches the kernel.
. "$(dirname "$0")/../lib/tap.sh"
require_root
SHIM=$abs_top_builddir/tests/lib/.libs/fault-shim.so
[ -f "$SHIM" ] || { echo "Bail out! $SHIM not built"; exit 1; }
command -v depmod > /dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v depmod > /dev/null || missing "depmod (package kmod, tests/scripts/install-deps.sh)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rel=$(uname -r)

# tree DIR MODULE...: a module tree with an index listing MODULE...
tree() {
	local base=$1; shift
	local d=$base/lib/modules/$rel
	mkdir -p "$d/kernel"
	for m in "$@"; do cp /bin/true "$d/kernel/$m.ko"; done
	: > "$d/modules.order"; : > "$d/modules.builtin"; : > "$d/modules.builtin.modinfo"
	depmod -b "$base" "$rel" 2> /dev/null
}
tree "$work/usbip" usbip-core usbip-host vhci-hcd
tree "$work/other" loop
mkdir -p "$work/noindex/lib/modules/$rel/kernel"
mkdir -p "$work/conf"
echo "blacklist vhci_hcd" > "$work/conf/blacklist.conf"
mkdir -p "$work/noconf"
USBIP_TREE=$work/usbip/lib/modules/$rel

# try NAME 'VAR=VALUE...' WANTED UNWANTED: `usbip port` in an empty testbed
# (vhci-hcd not loaded) with the shim set by the VARs; exit 1, stderr has
# WANTED (lines joined by |) and not UNWANTED.
try() {
	local name=$1 vars=$2 want=$3 unwanted=$4 rc err
	# shellcheck disable=SC2086
	err=$(env $vars SHIM="$SHIM" "$TB_RUN" none -- sh -c \
		'LD_PRELOAD="$SHIM:$LD_PRELOAD" exec "$@"' sh "$USBIP" port 2>&1 > /dev/null)
	rc=$?
	local absent="" line
	IFS='|' read -ra lines <<< "$want"
	for line in "${lines[@]}"; do
		grep -qF -- "$line" <<< "$err" || absent="$absent [$line]"
	done
	if [ "$rc" = 1 ] && [ -z "$absent" ] && { [ -z "$unwanted" ] || ! grep -qF -- "$unwanted" <<< "$err"; }; then
		ok "$name"
	else
		not_ok "$name" "rc=$rc; missing:$absent; must not say: $unwanted" "stderr:" "$err"
	fi
}

MISSING="usbip: error: cannot load kernel module vhci-hcd: No such file or directory|usbip: error: it ships with the kernel: install linux-image-$rel (Debian) or linux-modules-extra-$rel (Ubuntu), or run: modprobe vhci-hcd"

try "no module tree: names the kernel package" "FAULT_KMOD_DIR=$work/none" "$MISSING" ""
try "module not in the tree: names the kernel package" \
	"FAULT_KMOD_DIR=$work/other/lib/modules/$rel" "$MISSING" ""
try "not root (EPERM): says root is needed" \
	"FAULT_KMOD_DIR=$USBIP_TREE FAULT_KMOD_CONFIG=$work/noconf FAULT_MODULE_ERRNO=1" \
	"cannot load kernel module vhci-hcd: Operation not permitted|loading a kernel module needs root (CAP_SYS_MODULE): run this command as root, or load it first with: sudo modprobe vhci-hcd" \
	"linux-image"
try "kernel without modules (ENOSYS): says so" \
	"FAULT_KMOD_DIR=$USBIP_TREE FAULT_KMOD_CONFIG=$work/noconf FAULT_MODULE_ERRNO=38" \
	"kernel $rel was built without module support: vhci-hcd must be built into it" \
	"linux-image"
try "blacklisted: says where" \
	"FAULT_KMOD_DIR=$USBIP_TREE FAULT_KMOD_CONFIG=$work/conf" \
	"cannot load kernel module vhci-hcd: it is blacklisted in /etc/modprobe.d" "linux-image"
try "kmod_new fails: reported as itself" "FAULT_KMOD_NEW=1" \
	"cannot load kernel module vhci-hcd: libkmod failed to start: Cannot allocate memory" \
	"linux-image"
try "unreadable module index: reported as itself" \
	"FAULT_KMOD_DIR=$work/noindex/lib/modules/$rel" \
	"libkmod cannot read the module index in $work/noindex/lib/modules/$rel|rebuild the index with: depmod" \
	"linux-image"
# The shim's guard itself: without a chosen errno a fake module still never
# reaches the kernel, and an unknown refusal points to the kernel log.
try "other refusal (ENOEXEC): points to the kernel log" \
	"FAULT_KMOD_DIR=$USBIP_TREE FAULT_KMOD_CONFIG=$work/noconf" \
	"cannot load kernel module vhci-hcd: Exec format error|the kernel refused it: its log (dmesg) says why" \
	"linux-image"

tap_done
