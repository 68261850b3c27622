#!/bin/sh
# Installs what building and testing need on Debian 12 (run as root).
# Usage: tests/scripts/install-deps.sh [--vm]    (--vm adds QEMU and the VM test tools)
set -e
pkgs="build-essential autoconf automake libtool pkg-config \
	libudev-dev libkmod-dev libglib2.0-dev check \
	umockdev libumockdev-dev usbip usb.ids strace python3 iproute2 \
	systemd libsystemd-dev clang libclang-rt-dev \
	python3-gi gir1.2-umockdev-1.0 valgrind util-linux kmod procps xz-utils \
	libjson-glib-dev libavahi-client-dev libavahi-glib-dev avahi-daemon avahi-utils dbus bash-completion \
	libgnutls28-dev gnutls-bin"
# Not in a minimal Debian: procps gives /bin/kill, which `systemd-analyze verify`
# wants for usbipd.service's ExecReload; xz-utils compresses `make distcheck`'s
# tarball (and the VM suite's 6.12 kernel modules).
[ "$1" = "--vm" ] && pkgs="$pkgs qemu-system-x86 busybox-static cpio stunnel4 tcpdump"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# avahi-daemon is installed for the discovery test, which runs its own copy in
# a network namespace: it must not start on the machine's real interfaces.
# Debian's maintainer scripts ask policy-rc.d before starting a service; 101
# says no for the time of this install (unless the machine already has one).
policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null
	$SUDO chmod 755 $policy
	trap '$SUDO rm -f $policy' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing
# And it stays off at the next boot where this install enabled it.
case " $missing " in
*" avahi-daemon "*)
	if command -v systemctl >/dev/null; then
		$SUDO systemctl disable avahi-daemon.socket avahi-daemon.service >/dev/null 2>&1 || true
	fi ;;
esac
