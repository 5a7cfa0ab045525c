#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Parts of one job joined (respace --part K/N, respace join), read by nibabel.

    /usr/bin/python3 tests/conformance/check_parts.py \
        --respace build/release/cli/respace --workdir /tmp/respace-parts

Inputs written by nibabel (float32 and int16, random smooth data, a
non-trivial affine), resampled once whole and once in 1, 2, 3, 7 and 16
parts joined, at orders 1 and 3, with and without an index (respace index):
the joined file's bytes equal the single run's, gzip's own reader (Python's
gzip module) decompresses it, and nibabel reads the same header and voxels
as from the single run's file.

Prints one line per case, then "N passed, N failed". Exit status: 0 all
passed, 1 any failure, 1 when numpy / scipy / nibabel are not importable.
"""
import gzip
import os
import sys
import warnings

try:
    import numpy as np
    from scipy import ndimage
    import nibabel as nib
except ImportError as exc:  # pragma: no cover - environment dependent
    import require
    require.missing(exc.name or str(exc))

from conformance_util import conformance_main, run_respace, tail, fresh_dir  # noqa: E402

warnings.simplefilter("ignore")


def make_input(folder, dtype):
    rng = np.random.default_rng(7 if dtype == "float32" else 8)
    data = ndimage.gaussian_filter(rng.normal(size=(120, 110, 90)), 2) * 1000
    affine = np.array([[0.3, 0, 0, -12], [0, 0.3, 0, 5], [0, 0, 0.35, 3], [0, 0, 0, 1]])
    img = nib.Nifti1Image(data.astype(dtype), affine)
    img.header.set_sform(affine, 2)
    img.header.set_qform(affine, 1)
    path = os.path.join(folder, "in.nii.gz")
    nib.save(img, path)
    return path


def case(dtype, order, indexed):
    folder = fresh_dir(f"parts_{dtype}_o{order}_{'index' if indexed else 'plain'}")
    src = make_input(folder, dtype)
    job = ["--spacing", "0.22", "0.22", "0.3", "--order", str(order)]
    probs = []
    if indexed:
        rc, _, err = run_respace(["index", src, "--span", "1M"])
        if rc != 0:
            return [f"respace index exited {rc}: {tail(err)}"]
    single = os.path.join(folder, "single.nii.gz")
    rc, _, err = run_respace([src, single, "--quiet"] + job)
    if rc != 0:
        return [f"single run exited {rc}: {tail(err)}"]
    ref_bytes = open(single, "rb").read()
    ref = nib.load(single)
    ref_data = np.asanyarray(ref.dataobj)
    for n in (1, 2, 3, 7, 16):
        parts = []
        for k in range(1, n + 1):
            part = os.path.join(folder, f"{k}.rsp")
            rc, _, err = run_respace([src, part, "--part", f"{k}/{n}", "--quiet"] + job)
            if rc != 0:
                return probs + [f"part {k}/{n} exited {rc}: {tail(err)}"]
            parts.append(part)
        joined = os.path.join(folder, f"joined{n}.nii.gz")
        rc, _, err = run_respace(["join", joined] + parts[::-1])
        if rc != 0:
            return probs + [f"join of {n} exited {rc}: {tail(err)}"]
        got = open(joined, "rb").read()
        if got != ref_bytes:
            probs.append(f"{n} parts: {len(got)} bytes joined, not the single run's {len(ref_bytes)}")
        try:
            gzip.decompress(got)
        except Exception as exc:  # noqa: BLE001 - any reader error is the finding
            probs.append(f"{n} parts: Python's gzip cannot read it: {exc}")
        img = nib.load(joined)
        if img.shape != ref.shape or not np.array_equal(img.affine, ref.affine):
            probs.append(f"{n} parts: nibabel reads shape {img.shape} / affine unlike the single run's")
        if not np.array_equal(np.asanyarray(img.dataobj), ref_data):
            probs.append(f"{n} parts: nibabel reads other voxels than the single run's")
        for p in parts:
            os.remove(p)
    return probs, f"{ref.shape}, 1-16 parts equal"


def main():
    def cases():
        return [(f"parts_{dt}_order{o}_{'index' if ix else 'plain'}", lambda dt=dt, o=o, ix=ix: case(dt, o, ix))
                for dt in ("float32", "int16") for o in (1, 3) for ix in (False, True)]

    return conformance_main(__doc__, "/tmp/respace-parts", cases)


if __name__ == "__main__":
    sys.exit(main())
