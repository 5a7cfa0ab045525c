#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""respace on every real NIfTI file in ../shared/testdata/real/.

Each file is either resampled (mixed down/up/unchanged spacing, grid center,
order 1 with the nearest boundary and order 3 with mirror) and checked against an independent reference -- nibabel reads
the input and output, numpy computes A·M from the input's own sform/qform,
scipy.ndimage.map_coordinates (same order and mode, prefilter for order 3,
fill outside the FOV) gives the values -- or it is refused with exit code 3 and a message naming why.

Usage: /usr/bin/python3 check_real.py --respace BIN --workdir DIR [--data DIR]
Exit 0 all passed, 1 a failure (also: numpy/scipy/nibabel missing, or a data
folder with no NIfTI file), 77 skipped (no data folder: the real data are
optional, README).
"""
import argparse
import os
import subprocess
import sys

try:
    import numpy as np
    import nibabel as nib
    from scipy import ndimage
except ImportError as e:  # pragma: no cover
    import require
    require.missing(e.name or str(e))

# Files respace must refuse, with a word the message must contain.
REFUSED = {
    "CiftiLib_data/Conte69.MyelinAndCorrThickness.32k_fs_LR.ptseries.nii": "CIFTI",
    "CiftiLib_data/ones.dscalar.nii": "CIFTI",
    "demos/images/fs_LR.32k.LR.curvature.dscalar.nii": "CIFTI",
    "demos/images/complex.nii.gz": "complex",
    "tests/images/complex_image.nii.gz": "complex",
    "demos/images/pval.LH.nii.gz": "surface",  # FreeSurfer ico7 overlay stored as 27307x1x6
    "nifti_regress_data/rand.hdr": "NIfTI",  # random bytes
    "nifti_regress_data/rand_nifti.hdr": "NIfTI",
}
FACTORS = (1.37, 0.83, 1.0)  # target spacing = input spacing * factor, per axis


def expected_refusal(rel):
    for tail, word in REFUSED.items():
        if rel.endswith(tail):
            return word
    return None


def axis_map(n, s, t):
    """SPEC §2, grid center: (m, r, a)."""
    if abs(t - s) <= 1e-6 * s:
        return n, 1.0, 0.0
    x = n * s / t
    m = round(x) if abs(x - round(x)) <= 1e-6 * max(1.0, x) else int(np.floor(x + 0.5))
    m = max(1, int(m))
    r = t / s
    return m, r, (n - 1) / 2 - (m - 1) / 2 * r


def primary_affine(hdr):
    if hdr["sform_code"] > 0:
        return hdr.get_sform()
    if hdr["qform_code"] > 0:
        return hdr.get_qform()
    return np.diag(list(hdr["pixdim"][1:4]) + [1.0])


def reference(vol, maps, order):
    """Order 1 (mode nearest) or 3 (mode mirror, prefiltered) at the plan's
    positions; fill 0 outside the FOV."""
    axes = [a + r * np.arange(m) for (m, r, a) in maps]
    grid = np.meshgrid(*axes, indexing="ij")
    mode = "nearest" if order == 1 else "mirror"
    out = ndimage.map_coordinates(vol.astype(np.float64), grid, order=order, mode=mode, prefilter=order > 1)
    inside = np.ones(out.shape, bool)
    for k, g in enumerate(grid):
        inside &= (g >= -0.5) & (g <= vol.shape[k] - 0.5)
    out[~inside] = 0.0
    return out


# SPEC §5: copied unchanged (NIfTI-1 and NIfTI-2 field names in nibabel).
COPIED = ("intent_code", "intent_p1", "intent_p2", "intent_p3", "intent_name", "descrip", "aux_file",
          "xyzt_units", "toffset", "cal_min", "cal_max", "scl_slope", "scl_inter", "dim_info",
          "slice_duration", "qform_code", "sform_code")


def header_fields_problem(ih, oh, maps):
    """Every field SPEC §5 keeps, the slice-timing reset rule, pixdim[4..7],
    the quaternion, and the extensions byte for byte."""
    for f in COPIED:
        a, b = np.asarray(ih[f]), np.asarray(oh[f])
        same = np.array_equal(a, b) or (a.dtype.kind == "f" and np.allclose(a, b, equal_nan=True, rtol=1e-6, atol=0))
        if not same:
            return f"{f} changed: {a!r} -> {b!r}"
    if not np.allclose(ih["pixdim"][4:8], oh["pixdim"][4:8], rtol=1e-6, atol=0, equal_nan=True):
        return f"pixdim[4:8] changed: {ih['pixdim'][4:8]} -> {oh['pixdim'][4:8]}"
    if ih["qform_code"] > 0:
        for q in ("quatern_b", "quatern_c", "quatern_d"):
            if not np.isclose(ih[q], oh[q], rtol=0, atol=1e-6):
                return f"{q} changed: {ih[q]} -> {oh[q]}"
        if np.sign(ih["pixdim"][0] or 1) != np.sign(oh["pixdim"][0] or 1):
            return "qfac changed"
    slice_dim = (int(ih["dim_info"]) >> 4) & 3
    resampled = slice_dim > 0 and not (maps[slice_dim - 1][1] == 1.0 and maps[slice_dim - 1][2] == 0.0
                                       and maps[slice_dim - 1][0] == ih["dim"][slice_dim])
    for f in ("slice_code", "slice_start", "slice_end"):
        want = 0 if resampled else int(ih[f])
        if int(oh[f]) != want:
            return f"{f} is {int(oh[f])}, expected {want} (slice axis {'resampled' if resampled else 'kept'})"
    ie = [(e.get_code(), e.get_content()) for e in ih.extensions]
    oe = [(e.get_code(), e.get_content()) for e in oh.extensions]
    if ie != oe:
        return f"extensions differ: {len(ie)} in, {len(oe)} out"
    return None


def stored_values(img):
    """Stored (unscaled) values as float64, shape (x, y, z, volumes); RGB24 /
    RGBA32 structured voxels become one volume per channel."""
    raw = np.asarray(img.dataobj.get_unscaled())
    if raw.dtype.names:  # RGB: channels are resampled independently
        raw = np.stack([raw[name] for name in raw.dtype.names], axis=-1)
    shape3 = raw.shape[:3] if raw.ndim >= 3 else raw.shape + (1,) * (3 - raw.ndim)
    return raw.astype(np.float64).reshape(shape3 + (-1,))


def check_file(path, rel, args, order):
    out_path = os.path.join(args.workdir, f"o{order}_" + rel.replace("/", "_").replace(".hdr", ".nii") + ("" if rel.endswith(".gz") else ".gz"))
    img = nib.load(path)
    hdr = img.header
    A = primary_affine(hdr)
    s = np.linalg.norm(A[:3, :3], axis=0)
    t = s * np.array(FACTORS)
    t[2] = s[2]  # unchanged axis
    cmd = [args.respace, path, out_path, "--spacing", *(repr(float(v)) for v in t), "--quiet", "--force",
           "--order", str(order)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        return f"exit {p.returncode}: {p.stderr.strip()}"
    if subprocess.run(["gzip", "-t", out_path]).returncode != 0:
        return "gzip -t failed"
    o = nib.load(out_path)
    shape = img.shape[:3] if len(img.shape) >= 3 else img.shape + (1,) * (3 - len(img.shape))
    maps = [axis_map(shape[k], s[k], t[k]) for k in range(3)]
    if o.shape[:3] != tuple(m for m, _, _ in maps) or o.shape[3:] != img.shape[3:]:
        return f"shape {o.shape}, expected {[m for m, _, _ in maps]} + {img.shape[3:]}"
    if o.get_data_dtype().newbyteorder("=") != img.get_data_dtype().newbyteorder("="):  # byte order may change
        return f"dtype {o.get_data_dtype()} != {img.get_data_dtype()}"
    M = np.eye(4)
    for k, (_, r, a) in enumerate(maps):
        M[k, k], M[k, 3] = r, a
    oh = o.header
    for name, before, after, code in (("sform", hdr.get_sform(), oh.get_sform(), "sform_code"),
                                      ("qform", hdr.get_qform(), oh.get_qform(), "qform_code")):
        if int(oh[code]) != int(hdr[code]):
            return f"{code} changed {hdr[code]} -> {oh[code]}"
        # float32 storage of the header: 1e-6 mm relative to the affine's size
        if hdr[code] > 0 and not np.allclose(after, before @ M, rtol=0, atol=1e-6 * max(1.0, np.abs(before).max())):
            return f"{name} {after.tolist()} != A·M {(before @ M).tolist()}"
    problem = header_fields_problem(hdr, oh, maps)
    if problem:
        return problem
    vin = stored_values(img)
    vout = stored_values(o)
    rng = max(np.ptp(vin), 1e-30)
    rgb = img.get_data_dtype().names is not None
    integer = rgb or np.issubdtype(img.get_data_dtype(), np.integer)
    limits = (0, 255) if rgb else (np.iinfo(img.get_data_dtype()).min, np.iinfo(img.get_data_dtype()).max) if integer else None
    tol = 1e-5  # SPEC §3: within 1e-5 of the data range, every order
    for v in range(vin.shape[3]):
        ref = reference(vin[..., v], maps, order)
        if integer:
            ref = np.clip(np.sign(ref) * np.floor(np.abs(ref) + 0.5), *limits)
            # SPEC §4 allows 1e-6 of the data range against float64, so a
            # reference that close to a .5 tie may round either way
            exact = reference(vin[..., v], maps, order)
            tie = np.abs(np.abs(exact) % 1 - 0.5) <= np.maximum(1e-6 * rng, 4 * 2.0**-24 * np.abs(exact))
            bad = (np.abs(vout[..., v] - ref) > 0) & ~(tie & (np.abs(vout[..., v] - ref) <= 1))
            if bad.any():
                return f"volume {v}: {int(bad.sum())} integer samples differ from the rounded reference"
        else:
            err = np.nanmax(np.abs(vout[..., v] - ref)) if np.isfinite(ref).any() else 0.0
            if err > tol * rng:
                return f"volume {v}: max |out - ref| = {err:.3g} > {tol:g} of range {rng:.3g}"
        if (vin.shape[3] > 4 or order == 3) and not (rgb and v < vin.shape[3] - 1):
            break  # long 4-D series: the first volumes suffice (all channels of RGB)
    return None


def report(name, problem, failed, passed):
    if problem:
        print(f"FAIL {name}: {problem}")
        return failed + 1, passed
    print(f"ok   {name}")
    return failed, passed + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--respace", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../../shared/testdata/real"))
    args = ap.parse_args()
    data = os.path.abspath(args.data)
    if not os.path.isdir(data):
        print(f"SKIP: no real data folder at {data}")
        return 77
    os.makedirs(args.workdir, exist_ok=True)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(data) for f in fs
                   if f.endswith((".nii", ".nii.gz", ".hdr")))
    if not files:  # a folder that is there but holds nothing checks nothing
        print(f"FAIL: no NIfTI file in {data}")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for path in files:
        rel = os.path.relpath(path, data)
        word = expected_refusal(rel)
        if word:
            out = os.path.join(args.workdir, "refused.nii.gz")
            p = subprocess.run([args.respace, path, out, "--spacing", "2", "2", "2", "--force"],
                               capture_output=True, text=True, timeout=60)
            ok = p.returncode == 3 and word in p.stderr and not os.path.exists(out)
            problem = None if ok else f"expected exit 3 naming '{word}', got {p.returncode}: {p.stderr.strip()}"
            failed, passed = report(rel + " (refused: " + word + ")", problem, failed, passed)
            continue
        for order in (1, 3):
            try:
                problem = check_file(path, rel, args, order)
            except Exception as e:  # a reader failure is a failure of this file, not of the script
                problem = f"{type(e).__name__}: {e}"
            failed, passed = report(f"{rel} order {order}", problem, failed, passed)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
