#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs the README's commands on a clean checkout inside a fresh minimal
# Debian 12 (debootstrap --variant=minbase bookworm), as on a new machine:
# CI's image has many packages already, so only this shows a missing install
# step or an assumption about the machine (an IPv4-only /etc/hosts, say).
#
# usage: tests/scripts/fresh-chroot.sh DIR [COMMAND...]
#   DIR      where the chroot goes; DIR.tar, when present, is a pristine copy
#            unpacked instead of running debootstrap again (made on first use)
#   COMMAND  run in the checkout inside (default: the README's two commands,
#            tests/demo.sh then tests/run-all.sh)
# Needs root and debootstrap.  The apt sources of this machine are copied in,
# so the chroot uses the same mirror.  /etc/hosts is Debian's standard one
# (localhost on 127.0.0.1 and ::1).  Everything is unmounted on exit.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DIR [COMMAND...]" >&2; exit 2; }
dir=$(realpath -m "$1")
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "$0: needs root (chroot, mounts)" >&2; exit 1; }

cleanup() {
	for m in run dev/pts dev sys proc; do
		umount -R "$dir/$m" 2>/dev/null || true
	done
	while mountpoint -q "$dir" 2>/dev/null; do umount "$dir" || break; done
}
trap cleanup EXIT

cleanup
rm -rf "$dir"
mkdir -p "$dir"
if [ -f "$dir.tar" ]; then
	tar -C "$dir" -xf "$dir.tar"
else
	command -v debootstrap > /dev/null || {
		echo "$0: debootstrap is missing: apt-get install debootstrap" >&2
		exit 1
	}
	debootstrap --variant=minbase bookworm "$dir" > "$dir.debootstrap.log"
	cp -a /etc/apt/sources.list.d/. "$dir/etc/apt/sources.list.d/" 2>/dev/null || true
	[ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$dir/etc/apt/"
	cp -a /etc/apt/apt.conf.d/. "$dir/etc/apt/apt.conf.d/" 2>/dev/null || true
	cat > "$dir/etc/hosts" <<-EOF
	127.0.0.1	localhost
	::1		localhost ip6-localhost ip6-loopback
	ff02::1		ip6-allnodes
	ff02::2		ip6-allrouters
	EOF
	tar -C "$dir" -cf "$dir.tar" .
fi
cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true

# The root of the chroot is a mount point, as / is on a real machine: the
# tests' private mount namespaces (unshare -m) need one to make it private.
mount --bind "$dir" "$dir"
mount -t proc proc "$dir/proc"
mount --rbind /sys "$dir/sys"
mount --rbind /dev "$dir/dev"
mount -t tmpfs tmpfs "$dir/run"
# A clean checkout of what is committed, as CI gets it.
git -C "$top" archive --prefix=src/ HEAD | tar -C "$dir" -xf -
# The VM suite downloads Debian's kernel package as on a new machine, unless
# FRESH_VM_CACHE=1 asks to reuse this machine's cache.
if [ "${FRESH_VM_CACHE:-0}" = 1 ] && [ -d "$HOME/.cache/usbip-vm" ]; then
	mkdir -p "$dir/root/.cache"
	cp -a "$HOME/.cache/usbip-vm" "$dir/root/.cache/"
fi

if [ $# -eq 0 ]; then
	set -- bash -c 'tests/demo.sh && tests/run-all.sh'
fi
chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	TERM=dumb bash -c 'cd /src && exec "$@"' chroot "$@"
