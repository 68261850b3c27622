#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Our usbip client against a scripted hostile server (tests/hostile-server.py).
. "$(dirname "$0")/tap.sh"
require_root
export OUR_USBIP=$USBIP
exec "$TB_RUN" vhci-empty.umockdev -- python3 "$abs_top_srcdir/tests/hostile-server.py"
