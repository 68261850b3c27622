#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# usbipd against hostile, silent and slow clients, and interoperability with
# Debian's reference usbip/usbipd in the same umockdev testbed.
. "$(dirname "$0")/tap.sh"
require_root
command -v /usr/sbin/usbipd > /dev/null || {
	[ -n "${CI:-}" ] && { echo "Bail out! reference usbip package missing"; exit 1; }
	echo "1..0 # SKIP reference usbip package missing"; exit 0; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export WORK OUR_USBIP=$USBIP OUR_USBIPD=$USBIPD REF_USBIP=/usr/sbin/usbip \
	REF_USBIPD=/usr/sbin/usbipd
exec "$TB_RUN" host-bound.umockdev -- python3 "$abs_top_srcdir/tests/daemon-checks.py"
