#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# usbipd under a connection flood: no address starves another, per-address
# limit, eviction, bounded log, deadlines and idle cost with 10,000
# connections (tests/daemon-flood.py).
. "$(dirname "$0")/tap.sh"
require_root
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export WORK OUR_USBIPD=$USBIPD
exec "$TB_RUN" host-bound.umockdev -- python3 "$abs_top_srcdir/tests/daemon-flood.py"
