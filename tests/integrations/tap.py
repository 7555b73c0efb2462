# SPDX-License-Identifier: GPL-2.0-or-later
"""What the integration checkers share: one "ok - "/"not ok - " line per check, and a main
whose exception is a failed check rather than a crash."""

import sys

failures = 0


def check(ok, what):
    global failures
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        failures += 1


def run(main, what):
    """Run main(); an exception fails the check WHAT. Exits 1 when any check failed."""
    try:
        main()
    except Exception as e:  # a parser rejecting the input is a failure, not a crash
        check(False, "%s: %s: %s" % (what, type(e).__name__, e))
    sys.exit(1 if failures else 0)
