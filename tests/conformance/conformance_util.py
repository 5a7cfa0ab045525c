# SPDX-License-Identifier: MIT
"""Helpers shared by the conformance scripts (check_scipy.py,
check_affine.py, check_roi.py): the command line and the case runner,
running respace, scratch folders, affines and reading headers back. Import it after the script's own numpy/nibabel
check, which fails (require.missing) when they are missing."""
import argparse
import concurrent.futures
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


def start(description, workdir, parallel=True):
    """The scripts' command line (--respace, --workdir, -k and, with
    PARALLEL, --jobs) and their setup checks: gzip on the PATH, a respace
    binary that answers --version. Returns (opts, None), or (None, exit
    code) after printing why: 1 (failed)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--respace", default="build/release/cli/respace")
    ap.add_argument("--workdir", default=workdir)
    if parallel:
        ap.add_argument("--jobs", type=int, default=2, help="cases run in parallel")
    ap.add_argument("-k", dest="pattern", default="", help="only cases containing")
    opts = ap.parse_args()
    if not parallel:
        opts.jobs = 1
    Ctx.respace = os.path.abspath(opts.respace)
    Ctx.workdir = os.path.abspath(opts.workdir)
    os.makedirs(Ctx.workdir, exist_ok=True)
    if not shutil.which("gzip"):
        print("FAIL setup: gzip not found (scripts/setup.sh installs it)")
        print("0 passed, 1 failed")
        return None, 1
    if not os.access(Ctx.respace, os.X_OK):
        print(f"FAIL setup: respace binary not found at {Ctx.respace}")
        print("0 passed, 1 failed")
        return None, 1
    rc, so, se = run_respace(["--version"], timeout=60)
    if rc != 0:
        print(f"FAIL setup: '{Ctx.respace} --version' exited {rc}: {tail(se)}")
        print("0 passed, 1 failed")
        return None, 1
    return opts, None


def conformance_main(doc, workdir, make_cases, parallel=True, epilogue=None):
    """A script's whole run: start() with the first line of DOC, the cases
    MAKE_CASES() returns (called after start, so they may use the workdir),
    EPILOGUE() if given, then "N passed, N failed". Returns the exit code."""
    opts, code = start(doc.split("\n")[0], workdir, parallel)
    if opts is None:
        return code
    passed, failed = run_cases(make_cases(), opts)
    if epilogue:
        epilogue()
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def run_cases(cases, opts):
    """Runs the (name, fn) CASES whose name contains opts.pattern,
    opts.jobs at a time, and prints one line per case in the listed order.
    fn returns its problems, or (problems, summary); an exception is a
    failure of that case. Returns (passed, failed)."""
    def guarded(fn):
        try:
            r = fn()
            return r if isinstance(r, tuple) else (r, "")
        except Exception as exc:  # a crash in a case is a failure of that case
            return [f"exception {type(exc).__name__}: {exc}"], ""

    passed = failed = 0
    chosen = [(name, fn) for name, fn in cases if opts.pattern in name]
    with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as pool:
        futures = [(name, pool.submit(guarded, fn)) for name, fn in chosen]
        for name, fut in futures:
            probs, summary = fut.result()
            if probs:
                failed += 1
                print(f"FAIL {name}: " + "; ".join(probs), flush=True)
            else:
                passed += 1
                print(f"ok {name}" + (f" ({summary})" if summary else ""), flush=True)
    return passed, failed


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


def header_affine(hdr):
    """The affine respace must use (SPEC: sform, else qform, else pixdim)."""
    if hdr["sform_code"] > 0:
        return hdr.get_sform(coded=False)
    if hdr["qform_code"] > 0:
        return hdr.get_qform(coded=False)
    return np.diag(list(hdr["pixdim"][1:4].astype(np.float64)) + [1.0])


def extend_index(i, n, boundary):
    """Index I (int array) mapped into [0, n-1] by the --boundary rule (SPEC:
    nearest, mirror about the edge sample, reflect about the edge), plus a
    mask of the indices that read the fill value instead (constant)."""
    valid = np.ones(i.shape, bool)
    if boundary == "nearest":
        j = np.clip(i, 0, n - 1)
    elif boundary == "mirror":
        if n == 1:
            j = np.zeros_like(i)
        else:
            j = np.mod(i, 2 * (n - 1))
            j = np.where(j > n - 1, 2 * (n - 1) - j, j)
    elif boundary == "reflect":
        j = np.mod(i, 2 * n)
        j = np.where(j > n - 1, 2 * n - 1 - j, j)
    else:  # constant
        valid = (i >= 0) & (i <= n - 1)
        j = np.clip(i, 0, n - 1)
    return j, valid


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


def footprint_mean(vol, axis, pos, k, boundary, fill):
    """The mean of VOL over [p - k/2, p + k/2] along AXIS for each p (voxel i
    covers [i - 1/2, i + 1/2]), beyond the edges the boundary rule."""
    n = vol.shape[axis]
    W = np.zeros((len(pos), n))
    fill_w = np.zeros(len(pos))
    for j, p in enumerate(pos):
        lo, hi = p - k / 2, p + k / 2
        for i in range(int(np.floor(lo)) - 1, int(np.ceil(hi)) + 2):
            w = max(0.0, min(hi, i + 0.5) - max(lo, i - 0.5)) / k
            if w == 0:
                continue
            e, ok = extend_index(np.array([i]), n, boundary)
            if ok[0]:
                W[j, e[0]] += w
            else:
                fill_w[j] += w
    moved = np.moveaxis(vol, axis, 0)
    out = np.tensordot(W, moved, axes=(1, 0))
    out += fill_w.reshape((-1,) + (1,) * (moved.ndim - 1)) * fill
    return np.moveaxis(out, 0, axis)
