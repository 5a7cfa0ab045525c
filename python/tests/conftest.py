# SPDX-License-Identifier: MIT
"""Fixtures of the Python package's tests. The package comes from wherever
python finds it (the pip-installed one in scripts/test.sh, or the build
tree with PYTHONPATH=build/release/python); the command line and the volume
maker from RESPACE_BIN and RESPACE_MAKE_VOLUME (default: build/release)."""
import gzip
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tool(var, default):
    path = os.environ.get(var, os.path.join(ROOT, "build", "release", default))
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: build respace first (bash scripts/build.sh release) or set {var}")
    return path


@pytest.fixture(scope="session")
def cli():
    return _tool("RESPACE_BIN", "cli/respace")


@pytest.fixture(scope="session")
def make_volume():
    exe = _tool("RESPACE_MAKE_VOLUME", "bench/respace_make_volume")

    def make(path, nx, ny, nz, *extra):
        subprocess.run([exe, str(path), str(nx), str(ny), str(nz)] + [str(e) for e in extra], check=True,
                       capture_output=True)
        return str(path)
    return make


def run_cli(cli, *args):
    p = subprocess.run([cli] + [str(a) for a in args] + ["--quiet"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p


def data_bytes(path):
    """The file's bytes, inflated (gzip stamps no time in respace's output,
    but compare what a reader sees)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()
