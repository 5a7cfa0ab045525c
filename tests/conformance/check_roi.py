#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The ROI experiment of issue 6, run with the real respace binary.

    /usr/bin/python3 tests/conformance/check_roi.py \
        --respace build/release/cli/respace --workdir /tmp/respace-roi

"A 35x35(xN) image with a 9x9 square and a bright centre point, a 15x15 ROI
at (10,10) resized to 32x32, the point found in the resized image and mapped
back with respace's plan: zero offset from (17,17); the segmentation mapped
back covers exactly the square.  Same for a 3-D version."

The image (float32, spacing 0.5 mm, non-zero origin, sform code 2 and a
qform code 1 whose origin differs) holds the square (value 1, voxels 13..21
on each in-plane axis) AND the point (value 10 at voxel 17): one image.  The
2-D version is a 35x35x1 volume, the 3-D one 35x35x35 with a 9x9x9 cube.
  1. respace img roi --crop 10 10 0 15 15 1 --size 32 32 1 --json, at
     --order 0 and 1 (grid fov, the default with --size).  The point is found
     in the resized image (its 2x2 plateau straddles the exact position at
     this even zoom) as the centroid of the maximal voxels and as the
     intensity-weighted centroid of the bright blob (value above the square's
     1); each is mapped back through plan.voxel_map (output index -> input
     stored index): it must land on (17,17) within 1e-9.  The voxel map must
     be the contract's: r = 15/32, a = -0.5 + r/2, offset 10 + a.
  2. seg (uint8, square = 1) through the same crop+resize at --order 0, then
     respace seg_roi back --like seg --order 0: back == seg everywhere (the
     ROI covers the square; outside the ROI the fill 0 is the background),
     and back's header geometry (dim, pixdim, quatern_b/c/d, qoffset, srow,
     sform/qform codes) is byte-identical to seg's.  The float image is
     round-tripped the same way: the original values come back wherever the
     ROI covered them, the fill 0 elsewhere.
Extra: --crop then --size/--spacing on smooth random data behaves as if the
crop were the input (boundary rules at the crop edges): values against
scipy.ndimage.map_coordinates on the cropped array.

Prints one line per case, the measured offsets, then "N passed, N failed".
Exit status: 0 all passed, 1 any failure, 1 when numpy / scipy / nibabel
are not importable.
"""
import gzip
import json
import os
import subprocess
import sys
import warnings

try:
    import numpy as np
    from scipy import ndimage
    import nibabel as nib
except ImportError as exc:  # pragma: no cover - environment dependent
    import require
    require.missing(exc.name or str(exc))

from conformance_util import (conformance_main, run_respace, tail, fresh_dir, read_raw_header)  # noqa: E402

warnings.simplefilter("ignore")  # nibabel chatter about odd headers

N, SQ0, SQ1, POINT = 35, 13, 21, 17      # image size, square 13..21, point
ROI0, ROIN, ROIM = 10, 15, 32             # ROI first voxel, size, resized size
SPACING = 0.5
SFORM_ORIGIN = np.array([-8.25, 12.5, 3.0])
QFORM_SHIFT = np.array([0.75, -0.5, 0.25])


def write_nifti(fname, data, sform, qform, dtype):
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(data.shape)
    hdr.set_data_dtype(dtype)
    hdr.set_qform(qform, code=1)
    hdr.set_sform(sform, code=2)
    hdr.set_xyzt_units("mm", "sec")
    hdr["scl_slope"] = 1.0
    hdr["scl_inter"] = 0.0
    hdr["vox_offset"] = 352
    hdr["magic"] = b"n+1"
    raw = hdr.binaryblock + b"\0" * 4 + \
        np.asarray(data, dtype=dtype).tobytes(order="F")
    with open(fname, "wb") as f:
        f.write(gzip.compress(raw) if fname.endswith(".gz") else raw)


def load(fname):
    """(unscaled data as stored, raw header); also checks nib.load and gzip."""
    probs = []
    if fname.endswith(".gz") and subprocess.run(
            ["gzip", "-t", fname], capture_output=True).returncode != 0:
        probs.append(f"gzip -t failed on {os.path.basename(fname)}")
    img = nib.load(fname)
    return np.asanyarray(img.dataobj.get_unscaled()), read_raw_header(fname), probs


def respace_json(args):
    rc, so, se = run_respace(list(args) + ["--json", "--force"])
    if rc != 0:
        return [f"respace {' '.join(map(str, args[2:]))}: exit {rc}; "
                f"{tail(se or so)}"], None
    try:
        return [], json.loads(so)
    except ValueError as exc:
        return [f"--json output is not JSON ({exc}): {tail(so)}"], None


GEOM_FIELDS = ("dim", "pixdim", "quatern_b", "quatern_c", "quatern_d",
               "qoffset_x", "qoffset_y", "qoffset_z", "srow_x", "srow_y",
               "srow_z", "sform_code", "qform_code", "xyzt_units")


def same_geometry(got, ref, what):
    probs = []
    for f in GEOM_FIELDS:
        if np.asarray(got[f]).tobytes() != np.asarray(ref[f]).tobytes():
            probs.append(f"{what}: header {f} {np.asarray(got[f]).tolist()} is "
                         f"not byte-identical to {np.asarray(ref[f]).tolist()}")
    return probs


def affines(ndim):
    """sform, qform of the test images (float64; exact in float32)."""
    s = np.diag([SPACING] * 3 + [1.0])
    s[:3, 3] = SFORM_ORIGIN
    q = s.copy()
    q[:3, 3] += QFORM_SHIFT
    return s, q


def expected_voxel_map(ndim):
    """Contract: crop offset, then --size with grid fov: r = n/m,
    a = -0.5 + r/2 (an axis with m = n is unchanged: r = 1, a = 0)."""
    V = np.eye(4)
    for k in range(3):
        if k < ndim:
            r = ROIN / ROIM
            V[k, k], V[k, 3] = r, ROI0 + (-0.5 + r / 2)
    return V


class Experiment:
    """State shared by the steps of one version (2-D or 3-D)."""

    def __init__(self, ndim):
        self.ndim = ndim
        self.shape = (N,) * ndim + (1,) * (3 - ndim)
        self.d = fresh_dir(f"roi_{ndim}d")
        box = tuple(slice(SQ0, SQ1 + 1) if k < ndim else slice(None)
                    for k in range(3))
        self.point = tuple(POINT if k < ndim else 0 for k in range(3))
        img = np.zeros(self.shape, np.float32)
        img[box] = 1.0
        img[self.point] = 10.0
        seg = np.zeros(self.shape, np.uint8)
        seg[box] = 1
        self.img, self.seg = img, seg
        s, q = affines(ndim)
        self.f_img = os.path.join(self.d, "img.nii.gz")
        self.f_seg = os.path.join(self.d, "seg.nii.gz")
        write_nifti(self.f_img, img, s, q, np.float32)
        write_nifti(self.f_seg, seg, s, q, np.uint8)
        first = [ROI0 if k < ndim else 0 for k in range(3)]
        size = [ROIN if k < ndim else 1 for k in range(3)]
        self.crop = ["--crop"] + first + size
        self.size = ["--size"] + [ROIM if k < ndim else 1 for k in range(3)]
        self.roi_box = tuple(slice(ROI0, ROI0 + ROIN) if k < ndim else slice(None)
                             for k in range(3))
        self.offsets = []

    def target(self):
        return np.array([float(POINT) if k < self.ndim else 0.0 for k in range(3)])

    # -- step 1 -----------------------------------------------------------
    def point_back(self, order):
        out = os.path.join(self.d, f"roi_o{order}.nii.gz")
        probs, j = respace_json([self.f_img, out] + self.crop + self.size +
                                ["--order", order])
        if j is None:
            return probs, ""
        V = np.array(j["plan"]["voxel_map"], float)
        Vexp = expected_voxel_map(self.ndim)
        if V.shape != (4, 4) or np.max(np.abs(V - Vexp)) > 1e-12:
            probs.append(f"plan.voxel_map {V.tolist()} != contract {Vexp.tolist()}")
        if j["plan"].get("grid") != "fov":
            probs.append(f"plan.grid {j['plan'].get('grid')!r}, expected 'fov'")
        data, hdr, p = load(out)
        probs += p
        exp_shape = tuple(ROIM if k < self.ndim else 1 for k in range(3))
        if data.shape != exp_shape:
            return probs + [f"resized shape {data.shape} != {exp_shape}"], ""
        # geometry of the ROI: A_out = A T(crop) M, for sform and qform
        s, q = affines(self.ndim)
        for what, A, got in (("sform", s, hdr.get_sform(coded=False)),
                             ("qform", q, hdr.get_qform(coded=False))):
            if not np.allclose(got, A @ Vexp, rtol=0, atol=1e-6):
                probs.append(f"ROI {what} {np.round(got, 6).tolist()} != "
                             f"{np.round(A @ Vexp, 6).tolist()}")
        x = data.astype(np.float64)
        idx = np.indices(x.shape).reshape(3, -1).astype(np.float64)
        flat = x.reshape(-1)
        top = flat >= flat.max() * (1 - 1e-6)
        c_max = idx[:, top].mean(axis=1)
        blob = flat > 1.0 + 1e-6
        w = flat[blob] - 1.0
        c_blob = (idx[:, blob] * w).sum(axis=1) / w.sum()
        lines = []
        for how, c in (("maximal voxels", c_max), ("bright blob", c_blob)):
            back = (V @ np.r_[c, 1.0])[:3]
            off = back - self.target()
            self.offsets.append((f"{self.ndim}-D order {order}, {how}", c, back, off))
            if np.max(np.abs(off)) > 1e-9:
                probs.append(f"{how}: point found at {np.round(c, 6).tolist()} maps "
                             f"back to {back.tolist()}, offset {off.tolist()} "
                             f"from {self.target().tolist()}")
            lines.append(f"{how} at {np.round(c[:self.ndim], 6).tolist()} -> "
                         f"offset {np.max(np.abs(off)):.2g}")
        if int(top.sum()) != 2 ** self.ndim:
            probs.append(f"expected a {2}^{self.ndim} plateau of maxima at this "
                         f"even zoom, found {int(top.sum())} voxels")
        return probs, "; ".join(lines)

    # -- step 2 -----------------------------------------------------------
    def round_trip(self, kind):
        """seg (uint8) or the float image: crop+resize --order 0, then back
        --like the original --order 0."""
        src, orig = (self.f_seg, self.seg) if kind == "seg" else \
            (self.f_img, self.img)
        roi = os.path.join(self.d, f"{kind}_roi.nii.gz")
        back = os.path.join(self.d, f"{kind}_back.nii.gz")
        probs, j = respace_json([src, roi] + self.crop + self.size +
                                ["--order", 0])
        if j is None:
            return probs, ""
        p, j2 = respace_json([roi, back, "--like", src, "--order", 0])
        probs += p
        if j2 is None:
            return probs, ""
        r, _, p = load(roi)
        probs += p
        got, hdr, p = load(back)
        probs += p
        if got.dtype != orig.dtype:
            probs.append(f"back dtype {got.dtype} != {orig.dtype}")
        if got.shape != orig.shape:
            return probs + [f"back shape {got.shape} != {orig.shape}"], ""
        if kind == "seg":
            bad = got != orig
            if bad.any():
                probs.append(f"mapped-back segmentation differs from the square "
                             f"at {int(bad.sum())} voxels, first "
                             f"{np.argwhere(bad)[0].tolist()}")
            covered = int(got.sum())
        else:
            inroi = np.zeros(orig.shape, bool)
            inroi[self.roi_box] = True
            bad = inroi & (got != orig)
            if bad.any():
                probs.append(f"float round trip: {int(bad.sum())} ROI voxels not "
                             f"returned exactly, first {np.argwhere(bad)[0].tolist()}")
            if (~inroi & (got != 0)).any():
                probs.append("float round trip: voxels outside the ROI are not "
                             "the fill 0")
            covered = int(inroi.sum())
        probs += same_geometry(hdr, read_raw_header(src), f"{kind} back")
        return probs, (f"{kind}: back == original ({covered} voxels "
                       f"{'in the square' if kind == 'seg' else 'in the ROI'}), "
                       "header geometry byte-identical")


# --------------------------------------------------------------------------
# Extra: crop boundary semantics on random data
# --------------------------------------------------------------------------
SCIPY_MODE = {"nearest": "nearest", "mirror": "mirror", "reflect": "reflect",
              "constant": "grid-constant"}


def crop_semantics(order, boundary, request):
    """--crop 5 7 3 12 13 14 of a (30,28,26) volume, then --size 20 9 16 or
    --spacing: values == scipy on the cropped array as if it were the input."""
    d = fresh_dir(f"crop_o{order}_{boundary}_{request}")
    rng = np.random.default_rng(17 + order)
    shape = (30, 28, 26)
    data = ndimage.gaussian_filter(rng.standard_normal(shape), 1.2) * 100
    data[12, 14, 9] = 400.0  # a sharp feature inside the crop
    data = data.astype(np.float32)
    s = np.diag([0.8, 0.6, 1.1, 1.0])
    s[:3, 3] = (10.5, -20.25, 7.0)
    f_in = os.path.join(d, "in.nii.gz")
    write_nifti(f_in, data, s, s, np.float32)
    first, size = (5, 7, 3), (12, 13, 14)
    crop = data[first[0]:first[0] + size[0], first[1]:first[1] + size[1],
                first[2]:first[2] + size[2]].astype(np.float64)
    if request == "size":
        m = (20, 9, 16)
        args = ["--size"] + list(m)
        ra = [(n / mm, -0.5 + n / mm / 2) for n, mm in zip(size, m)]
    else:  # --spacing, default center grid (sizes of the same parity as
        # the crop's and no sample on a .5 tie, so order 0 is unambiguous)
        t = (0.48, 0.85, 0.7)
        args = ["--spacing"] + list(t)
        sp32 = [float(np.float32(v)) for v in (0.8, 0.6, 1.1)]  # as stored
        m = tuple(int(np.floor(n * sp / tt + 0.5 + 1e-9)) for n, sp, tt in
                  zip(size, sp32, t))
        ra = [(tt / sp, (n - 1) / 2 - (mm - 1) / 2 * tt / sp) for n, sp, tt, mm in
              zip(size, sp32, t, m)]
    out = os.path.join(d, "out.nii.gz")
    probs, j = respace_json([f_in, out, "--crop"] + list(first) + list(size) +
                            args + ["--order", order, "--boundary", boundary])
    if j is None:
        return probs, ""
    Vexp = np.eye(4)
    for k, (r, a) in enumerate(ra):
        Vexp[k, k], Vexp[k, 3] = r, first[k] + a
    V = np.array(j["plan"]["voxel_map"], float)
    if np.max(np.abs(V - Vexp)) > 1e-9:
        probs.append(f"voxel_map {V.tolist()} != {Vexp.tolist()}")
    got, hdr, p = load(out)
    probs += p
    if got.shape != m:
        return probs + [f"shape {got.shape} != {m}"], ""
    if not np.allclose(hdr.get_sform(coded=False), s @ Vexp, rtol=0, atol=1e-5):
        probs.append("sform != A T(crop) M")
    pos = [a + r * np.arange(mm) for (r, a), mm in zip(ra, m)]
    coords = np.array(np.meshgrid(*pos, indexing="ij"))
    ref = ndimage.map_coordinates(crop, coords, order=order,
                                  mode=SCIPY_MODE[boundary], cval=0.0,
                                  prefilter=order > 1)
    inside = np.ones(m, bool)
    for k, pk in enumerate(pos):
        ok = (pk >= -0.5) & (pk <= size[k] - 0.5)
        inside &= ok.reshape([-1 if i == k else 1 for i in range(3)])
    ref = np.where(inside, ref, 0.0)
    if order == 0:
        ties = sum(int(np.sum(np.abs(pk - np.floor(pk) - 0.5) < 1e-7)) for pk in pos)
        if ties:
            probs.append(f"test design: {ties} order-0 samples on a .5 tie")
    rngv = float(data.max() - data.min())
    err = np.max(np.abs(got.astype(np.float64) - ref)) / rngv
    if not err <= 1e-5:
        probs.append(f"values vs scipy on the crop: max err {err:.3g} of range")
    return probs, f"max err {err:.2g} of range"


def main():
    exps = {}  # made once the workdir is known

    def cases():
        exps.update({2: Experiment(2), 3: Experiment(3)})
        found = []
        for nd, e in exps.items():
            found += [(f"roi_{nd}d_point_order0", lambda e=e: e.point_back(0)),
                      (f"roi_{nd}d_point_order1", lambda e=e: e.point_back(1)),
                      (f"roi_{nd}d_segmentation_round_trip",
                       lambda e=e: e.round_trip("seg")),
                      (f"roi_{nd}d_float_round_trip", lambda e=e: e.round_trip("img"))]
        found += [(f"crop_then_{req}_o{o}_{b}", lambda o=o, b=b, req=req:
                   crop_semantics(o, b, req))
                  for req in ("size", "spacing")
                  for o, b in ((0, "nearest"), (1, "nearest"), (1, "constant"),
                               (3, "mirror"), (3, "reflect"), (2, "constant"))]
        return found

    def print_offsets():
        offsets = [o for e in exps.values() for o in e.offsets]
        if offsets:
            print("measured offsets of the point mapped back (input voxels):")
            for what, c, back, off in offsets:
                nd = int(what[0])
                print(f"  {what}: found at {np.round(c[:nd], 9).tolist()} -> "
                      f"{[float(f'{v:.12g}') for v in back[:nd]]}, offset "
                      f"{[float(f'{v:.3g}') for v in off[:nd]]}")

    return conformance_main(__doc__, "/tmp/respace-roi", cases, parallel=False,
                            epilogue=print_offsets)


if __name__ == "__main__":
    sys.exit(main())
