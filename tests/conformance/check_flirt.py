#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Conformance of `respace --like REF --flirt MAT` (FSL FLIRT matrices).

    /usr/bin/python3 tests/conformance/check_flirt.py \
        --respace build/release/cli/respace --workdir /tmp/respace-flirt

Prints one line per case, then "N passed, N failed".  Exit status: 0 all
passed, 1 any failure, 1 when numpy / scipy / nibabel are missing.

Contract checked (FSL's documented convention, derived here in numpy):
  A FLIRT matrix F (flirt -omat) maps FSL coordinates of the input (-in) to
  FSL coordinates of REF (-ref).  FSL coordinates of an image are its voxel
  indices times |pixdim|, with i mirrored to nx-1-i when the image's sform
  (else its qform) has a positive determinant; with neither transform there
  is no mirror (FslGetLeftRightOrder).  So output voxel j of REF's grid
  samples the input at p = S_in^-1 F^-1 S_ref j: plan.voxel_map must be that,
  and the output must match scipy.ndimage.affine_transform with it.
  Where MRtrix3's `transformconvert ... flirt_import` is installed, its
  world transform T must give the same voxel map, inv(A_in) T A_ref (its
  values are printed to 15 digits and the headers hold float32: 1e-6).
  Also: the identity matrix between one grid stored neurologically and the
  same grid stored radiologically is the world identity (an exact x flip at
  order 0); --flirt without --like, and an ITK file given to --flirt, are
  refused.
"""
import os
import shutil
import subprocess
import sys
import warnings

try:
    import numpy as np
except ImportError as exc:  # pragma: no cover - environment dependent
    import require
    require.missing(exc.name or str(exc))

# check_affine fails itself (require.missing) when scipy or nibabel is missing.
from conformance_util import (conformance_main, run_respace, tail, fresh_dir,  # noqa: E402
                              rotation, make_affine, read_raw_header, header_affine)
from check_affine import (smooth_field, build_header, write_nifti, write_plain,  # noqa: E402
                          write_itk, run_json, check_voxel_map, check_file, load_out,
                          check_geometry, compare_float)

warnings.simplefilter("ignore")

IN_SHAPE, REF_SHAPE = (20, 18, 16), (22, 19, 14)
MRTRIX_TOL = 1e-6  # voxel


def fsl_scaling(hdr, shape):
    """Index -> FSL mm for a header (FslGetLeftRightOrder's rule)."""
    z = np.abs(hdr["pixdim"][1:4].astype(np.float64))
    s = np.diag(list(z) + [1.0])
    if hdr["sform_code"] > 0:
        det = np.linalg.det(hdr.get_sform(coded=False)[:3, :3])
    elif hdr["qform_code"] > 0:
        det = np.linalg.det(hdr.get_qform(coded=False)[:3, :3])
    else:
        det = -1.0
    if det > 0:
        s[0, 0], s[0, 3] = -z[0], (shape[0] - 1) * z[0]
    return s


def flirt_matrix():
    F = np.eye(4)
    F[:3, :3] = rotation(np.radians(3.0), np.radians(-4.0), np.radians(9.0)) * 1.03
    F[:3, 3] = (2.5, -1.75, 3.0)
    return F


def write_flirt(fname, F):
    """As FLIRT writes it: 4 rows of 4, two spaces apart."""
    with open(fname, "w") as f:
        for row in F:
            f.write("  ".join(f"{v:.10f}" for v in row) + "  \n")


def header(shape, rot, zooms, origin, codes):
    """CODES = (qform_code, sform_code); an absent transform still holds A."""
    A = make_affine(rot, zooms, origin)
    hdr = build_header(shape, np.float32, A, A, scode=codes[1], qcode=codes[0])
    hdr.set_zooms(zooms)
    return hdr


# Geometries: (rotation, zooms, origin, (qform_code, sform_code)).  A
# negative x column makes the determinant negative (radiological storage).
NEURO = (rotation(0.1, -0.05, 0.12), (1.1, 0.9, 1.3), (-10.0, -8.0, -9.0))
RADIO = (rotation(0.02, 0.09, -0.05) @ np.diag([-1.0, 1.0, 1.0]), (1.0, 1.2, 1.5),
         (12.0, -11.0, -8.0))
PLAIN = (np.eye(3), (1.2, 0.8, 1.4), (0.0, 0.0, 0.0))

CASES = {
    # name: (input geometry, input codes, REF geometry, REF codes, mrtrix?)
    "neuro_sform_to_radio_sform": (NEURO, (0, 1), RADIO, (0, 2), True),
    "radio_qform_to_neuro_qform": (RADIO, (1, 0), NEURO, (1, 0), True),
    "neuro_both_to_neuro_both": (NEURO, (1, 1), (NEURO[0], (1.0, 1.1, 1.2), (-9.0, -7.0, -8.0)),
                                 (2, 2), True),
    # No transform at all: FSL mirrors nothing (MRtrix3 makes up an RAS
    # transform for such files, so it is not asked).
    "no_codes_to_radio_sform": (PLAIN, (0, 0), RADIO, (0, 1), False),
}


def mrtrix_map(d, mat, inp, ref):
    """MRtrix3's voxel map for the FLIRT file, or None when not installed."""
    exe = shutil.which("transformconvert")
    if exe is None:
        return None
    out = os.path.join(d, "mrtrix.txt")
    subprocess.run([exe, mat, inp, ref, "flirt_import", out, "-force", "-quiet"], check=True,
                   capture_output=True)
    T = np.loadtxt(out, comments="#")
    if T.shape[0] == 3:
        T = np.vstack([T, [0, 0, 0, 1]])
    A_in = header_affine(read_raw_header(inp))
    A_ref = header_affine(read_raw_header(ref))
    return np.linalg.inv(A_in) @ T @ A_ref


def case_geometry(name, order):
    (gi, ci, gr, cr, ask_mrtrix) = CASES[name]
    d = fresh_dir(f"{name}_o{order}")
    ih, rh = header(IN_SHAPE, *gi, ci), header(REF_SHAPE, *gr, cr)
    data = smooth_field(IN_SHAPE, 5 + order, -40.0, 120.0).astype(np.float32)
    inp, ref = os.path.join(d, "in.nii.gz"), os.path.join(d, "ref.nii")
    write_nifti(inp, ih, data)
    write_nifti(ref, rh, np.zeros(REF_SHAPE, np.float32))
    F = flirt_matrix()
    mat = os.path.join(d, "in2ref.mat")
    write_flirt(mat, F)
    # What FSL's convention gives, from the headers as written.
    ih, rh = read_raw_header(inp), read_raw_header(ref)
    V = np.linalg.inv(fsl_scaling(ih, IN_SHAPE)) @ np.linalg.inv(F) @ fsl_scaling(rh, REF_SHAPE)
    out = os.path.join(d, "out.nii.gz")
    probs, j = run_json([inp, out, "--like", ref, "--flirt", mat, "--order", order,
                         "--boundary", "nearest"], d)
    if j is None:
        return probs
    probs += check_voxel_map(j, V)
    probs += check_file(out)
    _, got, oh = load_out(out)
    if got.shape != REF_SHAPE:
        return probs + [f"output shape {got.shape}, expected REF's {REF_SHAPE}"]
    probs += check_geometry(oh, rh)
    p, err, _ = compare_float(got, data.astype(np.float64), V, order, "nearest", None)
    probs += p
    summary = f"max err {err:.2g} of range"
    if ask_mrtrix:
        Vm = mrtrix_map(d, mat, inp, ref)
        if Vm is None:
            summary += "; MRtrix3 transformconvert not installed"
        else:
            diff = float(np.abs(np.array(j["plan"]["voxel_map"]) - Vm).max())
            summary += f"; MRtrix3 flirt_import voxel map within {diff:.1g}"
            if not diff <= MRTRIX_TOL:
                probs.append(f"MRtrix3 flirt_import gives a voxel map {diff:g} away")
    return probs, summary


def case_storage_flip():
    """Identity FLIRT matrix, REF = the input's grid stored with x reversed:
    the same world, so the output is the input reversed in x, exactly."""
    d = fresh_dir("storage_flip")
    rot, zooms, origin = NEURO
    A = make_affine(rot, zooms, origin)
    # Voxel i of REF is voxel nx-1-i of the input: A_ref = A . flip.
    flip = np.eye(4)
    flip[0, 0], flip[0, 3] = -1.0, IN_SHAPE[0] - 1
    A_ref = A @ flip
    ih = build_header(IN_SHAPE, np.float32, A, A, scode=1, qcode=1)
    rh = build_header(IN_SHAPE, np.float32, A_ref, A_ref, scode=1, qcode=1)
    data = smooth_field(IN_SHAPE, 3, -40.0, 120.0).astype(np.float32)
    inp, ref = os.path.join(d, "in.nii"), os.path.join(d, "ref.nii")
    write_nifti(inp, ih, data)
    write_nifti(ref, rh, np.zeros(IN_SHAPE, np.float32))
    mat = os.path.join(d, "eye.mat")
    write_flirt(mat, np.eye(4))
    out = os.path.join(d, "out.nii")
    probs, j = run_json([inp, out, "--like", ref, "--flirt", mat, "--order", 0], d)
    if j is None:
        return probs
    probs += check_voxel_map(j, flip)
    _, got, _ = load_out(out)
    if not np.array_equal(got, data[::-1, :, :]):
        probs.append("output is not the input reversed in x")
    return probs, "x reversed exactly (order 0)"


def case_refusals():
    d = fresh_dir("refusals")
    rot, zooms, origin = NEURO
    inp, ref = os.path.join(d, "in.nii"), os.path.join(d, "ref.nii")
    write_nifti(inp, header(IN_SHAPE, rot, zooms, origin, (1, 1)), np.zeros(IN_SHAPE, np.float32))
    write_nifti(ref, header(REF_SHAPE, *RADIO, (1, 1)), np.zeros(REF_SHAPE, np.float32))
    mat, itk, sing = (os.path.join(d, n) for n in ("m.mat", "w.tfm", "zero.mat"))
    write_flirt(mat, flirt_matrix())
    write_itk(itk, np.eye(4), np.zeros(3))
    write_plain(sing, np.diag([1.0, 0.0, 1.0, 1.0]))
    out = os.path.join(d, "out.nii")
    probs = []
    for args, code, words in (
            ([inp, out, "--flirt", mat], 2, "--like"),
            ([inp, out, "--like", ref, "--flirt", itk], 3, "--affine"),
            ([inp, out, "--like", ref, "--flirt", mat, "--affine", mat], 2, "not both"),
            ([inp, out, "--like", ref, "--flirt", sing], 2, "singular")):
        rc, so, se = run_respace(args)
        if rc != code or words not in se:
            probs.append(f"{args[2:]}: exit {rc} (expected {code}), stderr {tail(se)!r} "
                         f"(expected to mention {words!r})")
        if os.path.exists(out):
            probs.append(f"{args[2:]}: an output was written")
    return probs, "4 refused with their reason, nothing written"


def all_cases():
    cases = [(f"flirt_{name}_o{order}", lambda n=name, o=order: case_geometry(n, o))
             for name in CASES for order in (1, 3)]
    cases += [("flirt_identity_between_storage_orders", case_storage_flip),
              ("flirt_refusals", case_refusals)]
    return cases


def main():
    return conformance_main(__doc__, "/tmp/respace-flirt", all_cases)


if __name__ == "__main__":
    sys.exit(main())
