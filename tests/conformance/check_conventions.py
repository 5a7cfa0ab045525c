#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--convention scipy and --convention scipy-zoom against the peers (issue 16).

  python3 tests/conformance/check_conventions.py --respace build/release/cli/respace

scipy: respace --convention scipy (origin grid, mirror prefilter and taps,
samples outside the hull [0, n-1] are --fill) against
scipy.ndimage.affine_transform(data, V[:3,:3], V[:3,3], mode='constant',
cval=fill), V the voxel map respace reports (--json plan.voxel_map), for a
spacing change, 2x upsampling (half the last planes fall outside the hull)
and a 5 degree rotation (--affine, the general path); orders 0-3; float32
within 1e-6 of the data range. On the rotation, voxels whose position lies
within 1e-9 of the hull's faces are left out and counted: float noise in the
position (scipy and respace add the matrix terms in another order) decides
between --fill and the value there.

scipy-zoom: respace --convention scipy-zoom against the method of the seed
script resample_nifti.py (nibabel get_fdata, scipy.ndimage.zoom with
mode='nearest', the affine's columns scaled to the requested spacing,
pixdim = the requested spacing, nib.save with the input's header), the
seed README's examples (--spacing, one axis, two axes), orders 0-3, on a
rotated float32 volume whose size rounds half to even (73 voxels of 0.5 mm
to 1 mm: 36): shape, sform, qform, pixdim and codes from nibabel; values
within 1e-6 of the range. int16: the script's nib.save rescales the float
result into int16 with a new scl_slope (it knows the output's range before
writing); respace keeps the input's type and scaling, so the two agree to
half a unit plus the script's quantisation step, which is what is checked.
"""
import json
import os
import sys

import require

try:
    import numpy as np
    import nibabel as nib
    from scipy import ndimage
except ImportError as exc:
    require.missing(f"python3 module {exc.name}")

from conformance_util import conformance_main, fresh_dir, make_affine, rotation, run_respace, tail


def field(shape, seed):
    rng = np.random.default_rng(seed)
    f = ndimage.gaussian_filter(rng.standard_normal(shape), 1.5)
    f = (f - f.min()) / (f.max() - f.min())
    f[shape[0] // 3:shape[0] // 2, :, shape[2] // 3:] += 0.4
    return f * 1000 - 200


def save(d, name, data, aff):
    img = nib.Nifti1Image(data, aff)
    img.set_qform(aff, code=1)
    img.set_sform(aff, code=1)
    p = os.path.join(d, name)
    nib.save(img, p)
    return p


def respace_json(args):
    rc, so, se = run_respace(list(args) + ["--json", "--quiet"])
    if rc != 0:
        return None, f"respace exited {rc}: {tail(se)}"
    return json.loads(so), None


# --convention scipy ---------------------------------------------------------

def scipy_case(kind, order):
    def run():
        d = fresh_dir(f"scipy_{kind}_o{order}")
        shape = (34, 30, 26)
        data = field(shape, order + 3).astype(np.float32)
        if kind == "up2":
            aff = make_affine(np.eye(3), (1.0, 1.0, 1.0), (-10, 5, 3))
        else:
            aff = make_affine(rotation(0.1, -0.05, 0.2), (0.7, 0.8, 0.9), (-10, 5, 3))
        src = save(d, "in.nii", data, aff)
        out = os.path.join(d, "out.nii")
        fill = -50.0
        args = [src, out, "--convention", "scipy", "--order", order, "--fill", fill]
        if kind == "spacing":
            args += ["--spacing", 1.1, 0.6, 1.3]
        elif kind == "up2":
            args += ["--spacing", 0.5, 0.5, 0.5]
        else:  # a 5 degree rotation about the volume's centre (the general path)
            c = aff @ np.array([(n - 1) / 2 for n in shape] + [1.0])
            W = np.eye(4)
            W[:3, :3] = rotation(0, 0, np.radians(5))
            W[:3, 3] = c[:3] - W[:3, :3] @ c[:3]
            wfile = os.path.join(d, "w.txt")
            with open(wfile, "w") as f:
                for row in W:
                    f.write(" ".join(f"{v:.17g}" for v in row) + "\n")
            args += ["--affine", wfile]
        j, err = respace_json(args)
        if err:
            return [err]
        V = np.array(j["plan"]["voxel_map"], float)
        got = np.asarray(nib.load(out).dataobj).astype(np.float64)
        ref = ndimage.affine_transform(data.astype(np.float64), V[:3, :3], V[:3, 3], output_shape=got.shape,
                                       order=order, mode="constant", cval=fill)
        # positions, to leave out the hull's faces on the rotation
        idx = np.indices(got.shape).reshape(3, -1).astype(np.float64)
        p = V[:3, :3] @ idx + V[:3, 3:4]
        edge = np.zeros(got.size, bool)
        if kind == "rotate":
            for a in range(3):
                edge |= (np.abs(p[a]) < 1e-9) | (np.abs(p[a] - (shape[a] - 1)) < 1e-9)
        keep = ~edge.reshape(got.shape)
        outside = int(np.count_nonzero((ref == fill) & keep))
        rng = float(data.max() - data.min())
        err = float(np.max(np.abs(got - ref)[keep])) / rng
        probs = []
        if err > 1e-6:
            i = np.unravel_index(np.argmax(np.where(keep, np.abs(got - ref), 0)), got.shape)
            probs.append(f"max |diff| {err:.3g} of the range at {i}: {got[i]}, scipy {ref[i]}")
        if kind != "rotate" and j["plan"]["path"] != "separable":
            probs.append(f"path {j['plan']['path']}")
        return probs, (f"{'x'.join(map(str, got.shape))}, {j['plan']['path']}, {outside} voxels --fill, "
                       f"max diff {err:.2g} of the range" + (f", {int(edge.sum())} on the hull's faces left out"
                                                             if edge.any() else ""))
    return run


# --convention scipy-zoom ----------------------------------------------------

def script_method(src, out, new_spacing=None, new_x=None, new_y=None, new_z=None, order=1):
    """resample_nifti.py's method (seed README, Method 3), without its prints."""
    img = nib.load(src)
    data = img.get_fdata()
    affine = img.affine.copy()
    header = img.header.copy()
    original = np.sqrt(np.sum(affine[:3, :3] ** 2, axis=0))
    if new_spacing is not None:
        target = np.array(new_spacing, dtype=float)
    else:
        target = np.array([new_x if new_x is not None else original[0],
                           new_y if new_y is not None else original[1],
                           new_z if new_z is not None else original[2]], dtype=float)
    zoom = original / target
    resampled = ndimage.zoom(data, zoom, order=order, mode="nearest")
    new_affine = affine.copy()
    for i in range(3):
        norm = np.sqrt(np.sum(affine[:3, i] ** 2))
        if norm > 0:
            new_affine[:3, i] = affine[:3, i] * (target[i] / norm)
    new_header = header.copy()
    new_header.set_data_shape(resampled.shape)
    pixdim = new_header["pixdim"]
    pixdim[1:4] = target
    new_header["pixdim"] = pixdim
    nib.save(nib.Nifti1Image(resampled, new_affine, new_header), out)
    return resampled


def zoom_case(request, order, dtype="float32", rotated=True, expect_x=None):
    def run():
        d = fresh_dir(f"zoom_{'_'.join(f'{k}{v}' for k, v in request.items())}_o{order}_{dtype}_{rotated}")
        shape = (73, 40, 31)
        vol = field(shape, 11 + order)
        data = np.round(vol).astype(np.int16) if dtype == "int16" else vol.astype(np.float32)
        aff = make_affine(rotation(0.2, 0.1, -0.3) if rotated else np.eye(3), (0.5, 0.5, 0.6), (12.5, -30, 7))
        src = save(d, "in.nii", data, aff)
        ref_file, out = os.path.join(d, "script.nii"), os.path.join(d, "respace.nii")
        ref_float = script_method(src, ref_file, order=order, **request)
        args = [src, out, "--convention", "scipy-zoom", "--order", order]
        if "new_spacing" in request:
            args += ["--spacing"] + list(request["new_spacing"])
        for k, opt in (("new_x", "--x-spacing"), ("new_y", "--y-spacing"), ("new_z", "--z-spacing")):
            if k in request:
                args += [opt, request[k]]
        rc, so, se = run_respace(args)
        if rc != 0:
            return [f"respace exited {rc}: {tail(se)}"]
        a, b = nib.load(ref_file), nib.load(out)
        probs = []
        if a.shape != b.shape:
            return [f"shape {b.shape}, the script's {a.shape}"]
        if expect_x is not None and b.shape[0] != expect_x:
            probs.append(f"x size {b.shape[0]}, not {expect_x} (73 x 0.5 / 1 = 36.5, to even)")
        ha, hb = a.header, b.header
        for key in ("qform_code", "sform_code", "datatype"):
            if ha[key] != hb[key]:
                probs.append(f"{key} {hb[key]}, the script's {ha[key]}")
        if not np.allclose(ha.get_sform(), hb.get_sform(), atol=1e-5):
            probs.append(f"sform\n{hb.get_sform()}\nthe script's\n{ha.get_sform()}")
        if not np.allclose(ha.get_qform(), hb.get_qform(), atol=1e-4):
            probs.append(f"qform\n{hb.get_qform()}\nthe script's\n{ha.get_qform()}")
        if not np.allclose(ha["pixdim"][1:4], hb["pixdim"][1:4], rtol=1e-6):
            probs.append(f"pixdim {hb['pixdim'][1:4]}, the script's {ha['pixdim'][1:4]}")
        got = b.get_fdata()
        rng = float(vol.max() - vol.min())
        if dtype == "int16":
            slope = float(ha["scl_slope"]) if np.isfinite(ha["scl_slope"]) and ha["scl_slope"] != 0 else 1.0
            err = float(np.max(np.abs(got - a.get_fdata())))
            if err > 0.5 + slope + 1e-9:
                probs.append(f"max |diff| {err:.3g}, more than half a unit plus the script's step {slope:.3g}")
            summary = f"{'x'.join(map(str, b.shape))}, max diff {err:.3g} (script's int16 step {slope:.3g})"
        else:
            err = float(np.max(np.abs(got - ref_float))) / rng
            if err > 1e-6:
                probs.append(f"max |diff| {err:.3g} of the range")
            summary = f"{'x'.join(map(str, b.shape))}, max diff {err:.2g} of the range"
        return probs, summary
    return run


def cases():
    out = []
    for kind in ("spacing", "up2", "rotate"):
        for order in (0, 1, 2, 3):
            out.append((f"scipy_{kind}_order{order}", scipy_case(kind, order)))
    requests = [{"new_spacing": (1.0, 0.7, 0.8)}, {"new_z": 0.15}, {"new_x": 0.2, "new_z": 0.15}]
    for i, req in enumerate(requests):
        for order in (0, 1, 2, 3):
            out.append((f"zoom_{i}_order{order}", zoom_case(req, order)))
    out.append(("zoom_half_even_order1", zoom_case(requests[0], 1, rotated=False, expect_x=36)))
    out.append(("zoom_int16_order1", zoom_case(requests[0], 1, "int16")))
    out.append(("zoom_int16_order3", zoom_case(requests[1], 3, "int16")))
    return out


if __name__ == "__main__":
    sys.exit(conformance_main(__doc__, "conventions_work", cases))
