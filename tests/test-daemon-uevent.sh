#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# usbipd's device list follows uevents: bind, unbind, unplug and status
# changes show in the next DEVLIST, with no rescan per request.
. "$(dirname "$0")/tap.sh"
require_root
/usr/bin/python3 -c 'import gi; gi.require_version("UMockdev", "1.0")' 2> /dev/null || {
	[ -n "${CI:-}" ] && { echo "Bail out! python3-gi / gir1.2-umockdev-1.0 missing"; exit 1; }
	echo "1..0 # SKIP python3-gi / gir1.2-umockdev-1.0 missing"; exit 0; }
# The libtool wrapper would run outside the preload; call the real binary.
bin=$abs_top_builddir/usbipd/.libs/usbipd
[ -x "$bin" ] || bin=$USBIPD
export LD_LIBRARY_PATH=$abs_top_builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
exec umockdev-wrapper /usr/bin/python3 "$abs_top_srcdir/tests/daemon-uevent.py" "$bin" \
	"$FIXTURES/host-bound.umockdev"
