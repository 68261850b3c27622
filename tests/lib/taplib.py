# SPDX-License-Identifier: GPL-2.0-or-later
"""TAP output for the Python test drivers: tap(ok, name, detail), done()."""
import sys

_n = 0
_failed = 0


def tap(ok, name, detail=""):
    global _n, _failed
    _n += 1
    _failed += not ok
    print("%s %d - %s" % ("ok" if ok else "not ok", _n, name))
    if not ok and detail:
        print("\n".join("# " + line for line in str(detail).splitlines()))
    sys.stdout.flush()


def done():
    """Prints the plan and exits non-zero if anything failed."""
    print("1..%d" % _n)
    sys.exit(1 if _failed else 0)
