#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# usbip attach when vhci_hcd answers EBUSY (tests/attach-busy.py).
. "$(dirname "$0")/tap.sh"
require_root
export OUR_USBIP=$USBIP
export BUSY_ATTACH_SO=$abs_top_builddir/tests/.libs/busy-attach.so
[ -f "$BUSY_ATTACH_SO" ] || { echo "Bail out! $BUSY_ATTACH_SO not built"; exit 1; }
exec "$TB_RUN" -R vhci-small.umockdev -- python3 "$abs_top_srcdir/tests/attach-busy.py"
