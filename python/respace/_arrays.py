# SPDX-License-Identifier: MIT
"""resample_array() and resample_img(): the command line's kernels on data
already in memory. The array is read where it lies (no copy) through a
NIfTI header written to a scratch folder that describes its bytes: a
Fortran-ordered array [x, y, z] is NIfTI's own layout; a C-ordered one is
the same bytes seen with the axes reversed, so the job runs on the reversed
axes (the affine's columns and every per-axis option permuted) and its
output, written in NIfTI order, is the C-ordered result. Any other layout
(a strided view) is copied to C order first.

The separable passes run along the memory's fastest axis first, so a
Fortran array's result is the command line's on the same volume byte for
byte, and a C array's is the command line's on ``a.T`` (the same bytes,
axes reversed) byte for byte; against the command line on ``a`` itself a C
array's result differs by float rounding at orders 1-3 (the three 1-D
passes summed in the other order; 1e-7 of the range), and not at order 0."""
import io
import json
import os
import tempfile

import numpy as np

from . import _core
from ._args import option_words
from .errors import UsageError

# numpy dtype -> NIfTI datatype code
_CODES = {np.dtype(np.uint8): 2, np.dtype(np.int16): 4, np.dtype(np.int32): 8, np.dtype(np.float32): 16,
          np.dtype(np.float64): 64, np.dtype(np.int8): 256, np.dtype(np.uint16): 512, np.dtype(np.uint32): 768,
          np.dtype(np.int64): 1024, np.dtype(np.uint64): 1280}
_BY_NAME = {"uint8": np.uint8, "int8": np.int8, "int16": np.int16, "uint16": np.uint16, "int32": np.int32,
            "uint32": np.uint32, "int64": np.int64, "uint64": np.uint64, "float32": np.float32,
            "float64": np.float64}


def _native(a):
    if a.dtype.byteorder not in ("=", "|"):
        return a.astype(a.dtype.newbyteorder("="))  # the header is written in native order
    return a


def _layout(a):
    """(array as read, 'F' or 'C', perm): NIfTI axis i is array axis perm[i]."""
    if a.flags.f_contiguous:
        return a, "F", list(range(a.ndim))
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    return a, "C", list(reversed(range(a.ndim)))


def _per_axis(options, perm, nd):
    """The options that name array axes, for the NIfTI axes (perm)."""
    out = dict(options)
    inv = {p: i for i, p in enumerate(perm)}  # array axis -> NIfTI axis
    names = "xyz"
    # The spacing of each array axis named, from the triple or the singles
    # (not both, as on the command line), then given per NIfTI axis.
    singles = {a: out.pop(f"{n}_spacing") for a, n in enumerate(names) if f"{n}_spacing" in out}
    singles = {a: v for a, v in singles.items() if v is not None}
    triples = [k for k in ("spacing", "xyz_spacing") if out.get(k) is not None]
    if triples and singles:
        raise UsageError(f"{names[min(singles)]}_spacing= cannot be combined with {triples[0]}=", 2)
    if triples:
        v = list(out.pop(triples[0]))  # a second triple stays, for the command line to refuse
        if len(v) != nd:
            raise UsageError(f"{triples[0]}= takes {nd} values for a {nd}-D array", 2)
        singles = dict(enumerate(v))
    for axis, value in singles.items():
        if axis >= nd:
            raise UsageError(f"{names[axis]}_spacing= names an axis a {nd}-D array does not have", 2)
        out[f"{names[inv[axis]]}_spacing"] = value
    if out.get("size") is not None:
        v = list(out["size"])
        if len(v) != nd:
            raise UsageError(f"size= takes {nd} values for a {nd}-D array", 2)
        out["size"] = [v[perm[i]] for i in range(nd)] + [1] * (3 - nd)
    if out.get("crop") is not None:
        v = list(out["crop"])
        if len(v) != 2 * nd:
            raise UsageError(f"crop= takes {2 * nd} values (first voxel, size) for a {nd}-D array", 2)
        first, size = v[:nd], v[nd:]
        out["crop"] = [first[perm[i]] for i in range(nd)] + [0] * (3 - nd) + \
                      [size[perm[i]] for i in range(nd)] + [1] * (3 - nd)
    return out


def _affine4(affine, nd):
    A = np.asarray(affine, dtype=np.float64)
    if nd == 2 and A.shape == (3, 3):  # a 2-D homogeneous affine
        B = np.eye(4)
        B[:2, :2], B[:2, 3] = A[:2, :2], A[:2, 2]
        A = B
    if A.shape != (4, 4):
        raise UsageError(f"affine must be 4x4 (or 3x3 for a 2-D array), not {A.shape}", 2)
    return A


def _run(a, affine_nifti, dims, options, progress, order, perm):
    """Runs the job on `a` (NIfTI layout dims); returns (out, report, header bytes)."""
    with tempfile.TemporaryDirectory(prefix="respace-array-") as d:
        hdr = os.path.join(d, "array.hdr")
        _core.array_header(hdr, dims, _CODES[a.dtype], affine_nifti.tolist())
        words = [hdr, os.path.join(d, "out.nii")] + option_words(options) + ["--json", "--quiet"]
        plan = json.loads(_core.plan_array(words, hdr, a))
        m = plan["plan"]["dims_out"]
        nd = a.ndim
        if nd == 2 and m[2] != 1:
            raise UsageError("a 2-D array stays 2-D: give no z spacing or size", 2)
        shape = [0] * nd
        for i in range(nd):
            shape[perm[i]] = m[i]
        out = np.empty(shape, dtype=_BY_NAME[plan["output"]["datatype"]], order=order)
        report, header = _core.run_array(words, hdr, a, out, progress)
        return out, json.loads(report), header


def resample_array(array, affine, progress=None, **options):
    """Resample a 2-D or 3-D numpy array whose voxel-to-world affine is
    AFFINE (4x4; 3x3 for 2-D) with the command line's options (spacing=,
    order=, size=, antialias=, labels=, ...; per-axis options follow the
    array's axes). Returns (array, affine): the output in the input's
    memory order (C or Fortran) and its affine. The input is read where it
    lies, never copied (a non-contiguous view is copied once to C order)."""
    from . import _progress
    a = np.asanyarray(array)
    if a.ndim not in (2, 3):
        raise UsageError(f"resample_array takes 2-D or 3-D arrays, not {a.ndim}-D", 2)
    if a.dtype == np.bool_:
        raise UsageError("a bool array: give it as uint8 (array.view(np.uint8))", 2)
    a = _native(a)
    if a.dtype not in _CODES:
        raise UsageError(f"dtype {a.dtype} is not one respace resamples (uint8 ... float64)", 2)
    a, order, perm = _layout(a)
    nd = a.ndim
    A = _affine4(affine, nd)
    cols = perm + ([2] if nd == 2 else [])
    An = A.copy()
    An[:, :3] = A[:, cols]
    dims = [a.shape[p] for p in perm]
    callback, _ = _progress(progress)
    out, report, _header = _run(a, An, dims, _per_axis(options, perm, nd), callback, order, perm)
    Ao = np.array(report["plan"]["affine_out"], dtype=np.float64)
    A_out = Ao.copy()
    for i, c in enumerate(cols):
        A_out[:, c] = Ao[:, i]
    return out, A_out


def resample_img(img, progress=None, **options):
    """Resample a nibabel image in memory; returns a nibabel image whose
    header is what the command line writes (spacing, affines, codes,
    intent, descrip, extensions kept). Needs nibabel."""
    try:
        import nibabel as nib
    except ImportError as exc:
        raise ImportError("resample_img needs nibabel (Debian python3-nibabel)") from exc
    from . import _progress
    header = img.header.copy()
    proxy = img.dataobj
    data = np.asanyarray(proxy.get_unscaled() if hasattr(proxy, "get_unscaled") else proxy)
    data = np.asfortranarray(_native(data))  # NIfTI order; a copy only when it is not already
    if data.dtype not in _CODES:
        raise UsageError(f"dtype {data.dtype} is not one respace resamples", 2)
    header.set_data_dtype(data.dtype)
    two = isinstance(header, nib.Nifti2Header)
    with tempfile.TemporaryDirectory(prefix="respace-img-") as d:
        hdr = os.path.join(d, "image.hdr")
        pair = (nib.Nifti2Header if two else nib.Nifti1Header).from_header(header)
        pair["magic"] = b"ni2" if two else b"ni1"
        pair["vox_offset"] = 0
        if header.get("sform_code", 0) == 0 and header.get("qform_code", 0) == 0 and img.affine is not None:
            pair.set_sform(img.affine, code=2)
        with open(hdr, "wb") as f:
            pair.write_to(f)
            f.write(b"\0\0\0\0")
        callback, _ = _progress(progress)
        words = [hdr, os.path.join(d, "out.nii")] + option_words(options) + ["--json", "--quiet"]
        plan = json.loads(_core.plan_array(words, hdr, data))
        m = plan["plan"]["dims_out"]
        shape = list(m) + list(data.shape[3:])
        shape = shape[:data.ndim] if data.ndim < 3 else shape
        out = np.empty(shape, dtype=_BY_NAME[plan["output"]["datatype"]], order="F")
        report, out_header = _core.run_array(words, hdr, data, out, callback)
    cls = nib.Nifti2Image if two else nib.Nifti1Image
    h = cls.header_class.from_fileobj(io.BytesIO(out_header))
    for ext in header.extensions:
        h.extensions.append(ext)
    result = cls(out, h.get_best_affine(), header=h)
    result.respace_report = json.loads(report)
    return result
