# SPDX-License-Identifier: MIT
"""A reference a conformance script needs (numpy, scipy, nibabel, gzip) is
missing: that fails the test, it does not skip it (scripts/setup.sh installs
them all). Imports nothing that could be missing."""
import sys


def missing(what):
    print(f"FAIL setup: {what} is missing; scripts/setup.sh installs it")
    print("0 passed, 1 failed")
    sys.exit(1)
