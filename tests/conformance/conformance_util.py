# SPDX-License-Identifier: MIT
"""Helpers shared by the conformance scripts (check_scipy.py,
check_affine.py, check_roi.py): running respace, scratch folders, affines
and reading headers back. Import it after the script's own numpy/nibabel
check, which exits 77 when they are missing."""
import gzip
import os
import shutil
import subprocess

import numpy as np
import nibabel as nib

RUN_TIMEOUT = 120  # seconds per respace invocation (ASan builds are slow)


class Ctx:
    respace = None
    workdir = None


def run_respace(args, timeout=RUN_TIMEOUT):
    """Run respace with ARGS; return (returncode, stdout, stderr)."""
    try:
        p = subprocess.run([Ctx.respace] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {timeout}s"


def tail(text, n=300):
    return text.strip().replace("\n", " | ")[-n:]


def path(name):
    return os.path.join(Ctx.workdir, name)


def fresh_dir(name):
    d = path(name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def rotation(ax, ay, az):
    """Rotation matrix from three Euler angles (radians)."""
    cx, sx, cy, sy, cz, sz = (np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay),
                              np.cos(az), np.sin(az))
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def make_affine(rot, zooms, origin):
    a = np.eye(4)
    a[:3, :3] = np.asarray(rot) * np.asarray(zooms)[None, :]
    a[:3, 3] = origin
    return a


def read_bytes(fname):
    opener = gzip.open if fname.endswith(".gz") else open
    with opener(fname, "rb") as f:
        return f.read()


def read_raw_header(fname):
    opener = gzip.open if fname.endswith(".gz") else open
    with opener(fname, "rb") as f:
        return nib.Nifti1Header.from_fileobj(f)


def round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)
