#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# usbipd administration: --allow, --listen, configuration file, SIGHUP,
# connection cap, keepalive, socket activation (tests/daemon-admin.py).
. "$(dirname "$0")/tap.sh"
require_root
command -v systemd-socket-activate > /dev/null || {
	[ -n "${CI:-}" ] && { echo "Bail out! systemd-socket-activate missing"; exit 1; }
	echo "1..0 # SKIP systemd-socket-activate missing"; exit 0; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export WORK OUR_USBIPD=$USBIPD
exec "$TB_RUN" host-bound.umockdev -- python3 "$abs_top_srcdir/tests/daemon-admin.py"
