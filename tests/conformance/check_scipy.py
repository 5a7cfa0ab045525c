#!/usr/bin/env python3
"""Independent conformance test for the `respace` command-line tool.

Every expectation here is derived from the written contract (SPEC.md) in
numpy / scipy / nibabel; respace is a black box and is never asked for its
sample positions.  Usage:

    /usr/bin/python3 tests/conformance/check_scipy.py \
        --respace build/release/cli/respace --workdir /tmp/respace-conf

Prints one line per case ("ok NAME" or "FAIL NAME: details"), then
"N passed, N failed".  Exit status: 0 all passed, 1 any failure,
1 also when numpy / scipy / nibabel are not importable.

Contract implemented by the reference below:
  A = sform if sform_code>0, else qform if qform_code>0, else diag(pixdim).
  s_k = |column k of A[:3,:3]|; a target t_k with |t_k-s_k| <= 1e-6 s_k is s_k.
  m_k = n_k s_k / t_k rounded (snap to the integer within 1e-6*max(1,x), else
  floor(x+0.5)), at least 1; or m given by --size (which implies --grid fov).
  p_k(j) = a_k + j r_k with, per --grid policy,
     center : r=t/s, a=(n-1)/2-(m-1)/2 r      origin : r=t/s, a=0
     fov    : r=n/m, a=-0.5+r/2                corners: r=(n-1)/(m-1), a=0
  (unchanged axis -> r=1, a=0 exactly).  sform' = sform M, qform' = qform M,
  M = [[r0,0,0,a0],[0,r1,0,a1],[0,0,r2,a2],[0,0,0,1]].
  Samples whose position is outside [-0.5, n-0.5] on any axis get the fill
  value (--fill, default 0) whatever the boundary mode.  Inside, a tap at an
  index beyond [0, n-1] reads the --boundary extension of the data:
     nearest (edge value), mirror (about the edge sample: -i, 2(n-1)-i),
     reflect (about the edge: -1-i, 2n-1-i), constant (the fill value);
  default nearest for orders 0-1, mirror for orders 2-3.
  order 0 takes index floor(p+0.5) mapped by that rule (p = n-0.5 exactly
  gives index n: nearest/reflect -> n-1, mirror -> n-2, constant -> fill);
  order 1 is linear interpolation of the extended data
  (== map_coordinates(order=1, mode=M, cval=fill, prefilter=False));
  orders 2/3 are the quadratic/cubic B-spline interpolating the infinitely
  extended data (== map_coordinates(order=k, mode=M, cval=fill,
  prefilter=True)), M = nearest/mirror/reflect/grid-constant.
  Integer output: round half away from zero, clamp to the type's range.
  Precision (SPEC section 4): results agree with a float64 reference within
  1e-6 of the data range for inputs up to 16 bits and float32; wider types to
  float64-appropriate tolerance.  B-splines (orders 2/3): respace truncates
  the prefilter at a halo (about 1e-7 of the range from the whole-volume
  answer); the bar against scipy is 1e-5 of the data range, any type.
  Known, documented difference: for mode 'reflect' scipy's anticausal
  prefilter initialisation is approximate on very short axes (error about
  |z|^(2n), 1.6e-4 at n=2) while respace uses the exact extension, so every
  reflect case here keeps its axes at 8 voxels or more.
  The streamed result must not depend on the block depth (hidden option
  --block-planes N) nor on --threads: decompressed outputs byte-identical.
  --antialias (README "Shrinking"): on each axis with k = r > 1, gauss is
  scipy.ndimage.gaussian_filter(sigma = sqrt((k^2-1)/(8 ln 2)), mode = the
  boundary's ('constant' with cval = fill), truncate=4.0) applied before
  the interpolation above; auto (the default) is gauss where k >= 2,
  except at order 0 (nearest keeps values); box replaces the interpolation
  on those axes by the exact mean over the output voxel's footprint
  [p - k/2, p + k/2] (fractional weights, the boundary rule beyond the
  edges), derived here from that definition.
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

from conformance_util import (conformance_main, header_affine, extend_index, footprint_mean, run_respace, tail, path, fresh_dir, rotation, make_affine, read_bytes, read_raw_header, round_half_away)  # noqa: E402

warnings.simplefilter("ignore")  # nibabel chatter about odd headers

GRIDS = ("center", "origin", "fov", "corners")


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def fresh(name):
    """Path in the workdir with any previous file removed."""
    p = path(name)
    if os.path.exists(p):
        os.remove(p)
    return p


# Geometries used for inputs.  'oblique' has a qform whose origin differs from
# the sform's, so an implementation that copies the sform into the qform (or
# vice versa) is caught.  'flipped' has a negative x column (qfac = -1).
GEOMS = {
    "oblique": dict(shape=(23, 19, 17), zooms=(0.1, 0.1, 0.1),
                    rot=rotation(0.3, -0.2, 0.45), origin=(-31.7, 22.4, 15.9),
                    qshift=(1.5, -2.25, 0.75)),
    "flipped": dict(shape=(21, 25, 15), zooms=(0.1, 0.12, 0.09),
                    rot=np.diag([-1.0, 1.0, 1.0]), origin=(12.5, -7.25, 3.0),
                    qshift=(0.0, 0.0, 0.0)),
}


def smooth_field(shape, seed, lo, hi, nspikes=12):
    """Smooth-ish random field in [lo, hi] with a few spikes at lo/hi."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(shape)
    sigma = (1.5, 1.5, 1.5) + (0,) * (len(shape) - 3)
    f = ndimage.gaussian_filter(noise, sigma) + 0.15 * noise
    f = lo + (hi - lo) * (f - f.min()) / (f.max() - f.min())
    flat = f.reshape(-1)
    idx = rng.choice(flat.size, nspikes, replace=False)
    flat[idx] = rng.choice([lo, hi], nspikes)
    return f


def build_header(shape, dtype, geom=None, scode=2, qcode=1, zooms=None,
                 endianness="<"):
    """NIfTI-1 header with the given geometry (sform/qform codes)."""
    hdr = nib.Nifti1Header(endianness=endianness)
    hdr.set_data_shape(shape)
    hdr.set_data_dtype(dtype)
    if geom is not None:
        sform = make_affine(geom["rot"], geom["zooms"], geom["origin"])
        qform = make_affine(geom["rot"], geom["zooms"],
                            np.add(geom["origin"], geom["qshift"]))
        hdr.set_qform(qform, code=qcode)
        hdr.set_sform(sform, code=scode)
    else:  # no transform at all: only pixdim
        hdr.set_zooms(tuple(zooms) + tuple(hdr.get_zooms()[3:]))
        hdr["pixdim"][0] = 1.0
    hdr.set_xyzt_units("mm", "sec")
    hdr["scl_slope"] = 1.0
    hdr["scl_inter"] = 0.0
    return hdr


def write_nifti(fname, hdr, data, extension=b"", members=1):
    """Write a single-file NIfTI byte for byte (full control over header).
    EXTENSION: raw extension bytes (esize/ecode/data), MEMBERS: number of gzip
    members the .gz stream is split into."""
    hdr["vox_offset"] = 352 + len(extension)
    hdr["magic"] = b"n+1"
    ext_flag = b"\1\0\0\0" if extension else b"\0" * 4
    raw = (hdr.binaryblock + ext_flag + extension +
           np.asarray(data, dtype=hdr.get_data_dtype()).tobytes(order="F"))
    if not fname.endswith(".gz"):
        with open(fname, "wb") as f:
            f.write(raw)
        return
    cuts = np.linspace(0, len(raw), members + 1).astype(int)
    with open(fname, "wb") as f:
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            f.write(gzip.compress(raw[lo:hi]))


def is_wide(dt):
    """Types whose working precision must be float64 (SPEC section 4)."""
    dt = np.dtype(dt)
    return dt.itemsize > 4 or (dt.kind in "iu" and dt.itemsize == 4)


# --------------------------------------------------------------------------
# Reference geometry and sampling (pure SPEC)
# --------------------------------------------------------------------------
def plan(n, s, targets=None, size=None, grid="center"):
    """Per-axis (m, r, a) following the SPEC.  targets: t or None per axis."""
    out = []
    for k in range(3):
        nk, sk = n[k], float(s[k])
        tk = sk
        if targets is not None and targets[k] is not None:
            tk = float(targets[k])
            if abs(tk - sk) <= 1e-6 * sk:
                tk = sk
        if size is not None:
            m = int(size[k])
        else:
            x = nk * sk / tk
            if abs(x - round(x)) <= 1e-6 * max(1.0, x):
                m = int(round(x))
            else:
                # guard against a test design that sits on a .5 size tie
                assert abs(x - np.floor(x) - 0.5) > 1e-3, f"size tie {x}"
                m = int(np.floor(x + 0.5))
            m = max(1, m)
        if grid in ("center", "origin"):
            if tk == sk:
                r, a = 1.0, 0.0
            else:
                r = tk / sk
                a = (nk - 1) / 2 - (m - 1) / 2 * r if grid == "center" else 0.0
        elif m == nk:
            r, a = 1.0, 0.0
        elif grid == "fov":
            r = nk / m
            a = -0.5 + r / 2
        else:  # corners
            r = (nk - 1) / (m - 1)
            a = 0.0
        out.append((m, r, a))
    return out


def plan_matrix(pl):
    M = np.eye(4)
    for k, (_, r, a) in enumerate(pl):
        M[k, k], M[k, 3] = r, a
    return M


# --boundary name -> scipy mode name (map_coordinates)
BOUNDARIES = ("nearest", "mirror", "reflect", "constant")
SCIPY_MODE = {"nearest": "nearest", "mirror": "mirror", "reflect": "reflect",
              "constant": "grid-constant"}


def default_boundary(order):
    return "nearest" if order <= 1 else "mirror"


FILTER_MODE = {"nearest": "nearest", "mirror": "mirror", "reflect": "reflect",
               "constant": "constant"}


def antialias_sigmas(pl, mode, order):
    """--antialias gauss/auto: sigma per axis (0: none), from k = r; auto
    leaves order 0 (nearest keeps values) alone."""
    if mode == "auto" and order == 0:
        mode = "off"
    sig = []
    for (_, r, _) in pl:
        k = abs(r)
        on = mode == "gauss" and k > 1 or mode == "auto" and k >= 2
        sig.append(float(np.sqrt((k * k - 1) / (8 * np.log(2)))) if on else 0.0)
    return sig


def reference(vol, pl, order, boundary=None, fill=0.0, antialias="auto"):
    """Resample one 3-D float64 volume at the SPEC positions."""
    boundary = boundary or default_boundary(order)
    n = vol.shape
    pos = [a + np.arange(m) * r for (m, r, a) in pl]
    if antialias == "box":
        box = [abs(r) > 1 for (_, r, _) in pl]
        assert order <= 1 or not any(box), "box cases interpolate at orders 0-1"
        for k in range(3):
            if box[k]:
                vol = footprint_mean(vol, k, pos[k], abs(pl[k][1]), boundary, fill)
        # The box axes are done: their samples sit at integer positions now.
        pl = [(m, 1.0, 0.0) if box[k] else pl[k] for k, (m, _, _) in enumerate(pl)]
        ref, _ = reference(vol, pl, order, boundary, fill, "off")
        inside = [(p >= -0.5) & (p <= nk - 0.5) for p, nk in zip(pos, n)]
        mask = inside[0][:, None, None] & inside[1][None, :, None] & \
            inside[2][None, None, :]
        return np.where(mask, ref, fill), pos
    sig = antialias_sigmas(pl, antialias, order)
    if any(sig):
        vol = ndimage.gaussian_filter(vol, sig, mode=FILTER_MODE[boundary],
                                      cval=fill, truncate=4.0)
    if order == 0:
        # derived by hand, not from map_coordinates (exact .5 ties, p = n-0.5)
        ext = [extend_index(np.floor(p + 0.5).astype(np.int64), nk, boundary)
               for p, nk in zip(pos, n)]
        ref = vol[np.ix_(*[j for j, _ in ext])]
        ok = ext[0][1][:, None, None] & ext[1][1][None, :, None] & \
            ext[2][1][None, None, :]
        ref = np.where(ok, ref, fill)
    else:
        coords = np.array(np.meshgrid(*pos, indexing="ij"))
        ref = ndimage.map_coordinates(vol, coords, order=order,
                                      mode=SCIPY_MODE[boundary], cval=fill,
                                      prefilter=order > 1)
    inside = [(p >= -0.5) & (p <= nk - 0.5) for p, nk in zip(pos, n)]
    mask = inside[0][:, None, None] & inside[1][None, :, None] & \
        inside[2][None, None, :]
    return np.where(mask, ref, fill), pos


def tie_count(pos):
    """Samples whose order-0 index is a near .5 tie on some axis (diagnostic)."""
    return sum(int(np.sum(np.abs(p - np.floor(p) - 0.5) < 1e-6)) for p in pos)


# --------------------------------------------------------------------------
# Output checks; each returns a list of problem strings
# --------------------------------------------------------------------------
def check_file(fname):
    probs = []
    with open(fname, "rb") as f:
        magic = f.read(4)
    if fname.endswith(".gz"):
        if magic[:2] != b"\x1f\x8b":
            probs.append("output .nii.gz is not gzip")
        elif subprocess.run(["gzip", "-t", fname],
                            capture_output=True).returncode != 0:
            probs.append("gzip -t failed")
    elif int(np.frombuffer(magic, "<i4")[0]) != 348 and \
            int(np.frombuffer(magic, ">i4")[0]) != 348:
        probs.append("plain .nii output does not start with sizeof_hdr=348")
    return probs


def affine_close(got, exp):
    # The header stores affines as float32 (relative rounding 6e-8), so the
    # translation of a ~40 mm origin is only good to ~2e-6 mm.  Tolerance is
    # 1e-6 mm absolute plus 1e-6 relative to each entry: far below any real
    # geometry error (a 1/1000-voxel shift here is 1e-4 mm).
    tol = 1e-6 + 1e-6 * np.abs(exp)
    return bool(np.all(np.abs(got - exp) <= tol)), float(np.max(np.abs(got - exp)))


def fmt_aff(a):
    return np.round(a[:3], 5).tolist()


def check_geometry(ih, oh, pl):
    """Header geometry of output header OH vs input header IH and plan PL."""
    probs = []
    M = plan_matrix(pl)
    for code in ("sform_code", "qform_code"):
        if int(oh[code]) != int(ih[code]):
            probs.append(f"{code} {int(oh[code])} != {int(ih[code])}")
    A = header_affine(ih)
    got_s = oh.get_sform(coded=False)
    exp_s = ih.get_sform(coded=False) @ M
    ok, err = affine_close(got_s, exp_s)
    what = "sform_in*M"
    if not ok and ih["sform_code"] == 0:
        # SPEC is two-faced for an *unused* sform: section 2 says the same M
        # updates it (sform*M), section 5 says "sform rows = A'" (A*M).
        ok, err2 = affine_close(got_s, A @ M)
        err = min(err, err2)
        what = f"sform_in*M nor A*M = {fmt_aff(A @ M)} (sform_code 0)"
    if not ok:
        probs.append(f"sform is neither {what} (max err {err:.3g}); got "
                     f"{fmt_aff(got_s)} expected {fmt_aff(exp_s)}"
                     if ih["sform_code"] == 0 else
                     f"sform != {what} (max err {err:.3g}); got "
                     f"{fmt_aff(got_s)} expected {fmt_aff(exp_s)}")
    exp_q = ih.get_qform(coded=False) @ M
    ok, err = affine_close(oh.get_qform(coded=False), exp_q)
    if not ok:
        probs.append(f"qform != qform_in*M (max err {err:.3g}); got "
                     f"{fmt_aff(oh.get_qform(coded=False))} expected {fmt_aff(exp_q)}")
    # quaternion and qfac unchanged (1e-6: float32 storage of a unit quaternion)
    for f in ("quatern_b", "quatern_c", "quatern_d"):
        if abs(float(oh[f]) - float(ih[f])) > 1e-6:
            probs.append(f"{f} changed {float(ih[f])} -> {float(oh[f])}")
    if float(oh["pixdim"][0]) != float(ih["pixdim"][0]):
        probs.append(f"qfac pixdim[0] changed {ih['pixdim'][0]} -> {oh['pixdim'][0]}")
    # pixdim[1:4] = column norms of the new affine = old pixdim * r
    # (float32 storage: relative tolerance 2e-6)
    new_norms = np.linalg.norm((A @ M)[:3, :3], axis=0)
    got = oh["pixdim"][1:4].astype(np.float64)
    exp2 = ih["pixdim"][1:4].astype(np.float64) * np.array([p[1] for p in pl])
    if not (np.allclose(got, new_norms, rtol=2e-6, atol=0) and
            np.allclose(got, exp2, rtol=2e-6, atol=0)):
        probs.append(f"pixdim[1:4] {got.tolist()} expected {new_norms.tolist()}")
    return probs


def check_values(out, ref, tol, pos, in_shape, order, label=""):
    """Float outputs: max |out-ref| <= tol."""
    err = np.abs(out.astype(np.float64) - ref)
    bad = ~(err <= tol)  # NaN counts as bad
    if not bad.any():
        return []
    where = np.argwhere(bad)[0].tolist()
    msg = (f"{label}values: {int(bad.sum())}/{bad.size} voxels off by > {tol:.3g} "
           f"(max {np.nanmax(err):.4g}); first at {where}: got {out[tuple(where)]!r} "
           f"expected {ref[tuple(where)]!r}")
    # diagnostics for borderline positions (never used to excuse a mismatch)
    near_edge = [min(abs(p[w] + 0.5), abs(p[w] - (nk - 0.5))) < 1e-6
                 for p, w, nk in zip(pos, where, in_shape)]
    if any(near_edge):
        msg += "; first bad voxel is within 1e-6 of the FOV edge"
    if order == 0:
        msg += f"; positions within 1e-6 of a .5 tie: {tie_count(pos)}"
        on_tie = [np.abs(p[w] - np.floor(p[w]) - 0.5) < 1e-6
                  for p, w in zip(pos, where)]
        msg += f" (first bad voxel on a tie axis: {any(on_tie)})"
    return [msg]


def check_int_values(out, ref, dtype, tie_window, label=""):
    """Integer outputs: out == clamp(round_half_away(ref)).  A difference of 1
    is tolerated only where the float64 reference lies strictly within
    TIE_WINDOW of a .5 tie (an implementation evaluating with the precision
    SPEC section 4 allows may land on the other side); 0 demands exactness."""
    info = np.iinfo(dtype)
    exp = np.clip(round_half_away(ref), info.min, info.max)
    diff = np.abs(out.astype(np.float64) - exp)
    frac = np.abs(ref) - np.floor(np.abs(ref))
    near_tie = np.abs(frac - 0.5) < tie_window  # tie_window=0: none
    bad = (diff > 1) | ((diff == 1) & ~near_tie)
    if not bad.any():
        return []
    where = tuple(np.argwhere(bad)[0].tolist())
    return [f"{label}int values: {int(bad.sum())}/{bad.size} voxels wrong "
            f"(tie window {tie_window:.3g}); first at {list(where)}: got "
            f"{int(out[where])} expected {int(exp[where])} "
            f"(float64 ref {ref[where]:.6f})"]


def value_tolerances(dt, data_range, order=1):
    """(float tolerance, integer tie window) for input type DT.

    Orders 2/3 (B-splines): the bar against scipy is 1e-5 of the data range
    for every type (respace's truncated prefilter is within about 1e-7 of
    the whole-volume answer; scipy's own prepadding for 'nearest' and
    'grid-constant' is good to about |z|^12).

    SPEC section 4: up to 16 bits and float32 the working precision may be
    float32 but must agree with float64 within 1e-6 of the data range (this is
    also tighter than section 3's 1e-5 map_coordinates agreement).  Wider types
    need float64-appropriate precision: 1e-9 of the range.  For integer output
    the same allowance means a value within it of a .5 tie may round to either
    side; the window never goes below 1e-4."""
    if order >= 2:
        tol = 1e-5 * data_range
    else:
        tol = (1e-9 if is_wide(dt) else 1e-6) * data_range
    return tol, max(1e-4, tol)


def load_output(fname):
    img = nib.load(fname)
    raw = np.asanyarray(img.dataobj.get_unscaled())
    return img, raw, read_raw_header(fname)


# --------------------------------------------------------------------------
# Generic resample case
# --------------------------------------------------------------------------
def resample_case(name, data, hdr, args, targets=None, size=None, grid="center",
                  order=1, out_ext=".nii.gz", in_ext=".nii.gz", members=1,
                  extension=b"", int_tie_window=None, check_scaled=False,
                  boundary=None, fill=0.0, antialias="auto"):
    """Write input, run respace, check shape/dtype/geometry/values/file.
    BOUNDARY / FILL only shape the reference: the caller puts the matching
    --boundary / --fill (or leaves them to their defaults) in ARGS."""
    inp = fresh(f"{name}_in{in_ext}")
    out = fresh(f"{name}_out{out_ext}")
    write_nifti(inp, hdr, data, extension, members)
    ih = read_raw_header(inp)
    rc, so, se = run_respace([inp, out, "--quiet"] + list(args))
    if rc != 0:
        return [f"exit {rc} (expected 0); stderr: {tail(se)}"]
    if not os.path.exists(out):
        return ["exit 0 but no output file"]
    probs = check_file(out)
    if so.strip():
        probs.append(f"--quiet run printed on stdout: {tail(so, 120)}")
    img, raw, oh = load_output(out)
    A = header_affine(ih)
    s = np.linalg.norm(A[:3, :3], axis=0)
    pl = plan(data.shape[:3], s, targets, size, grid)
    exp_shape = tuple(p[0] for p in pl) + tuple(data.shape[3:])
    if raw.shape != exp_shape:
        return probs + [f"shape {raw.shape} != expected {exp_shape}"]
    dt = np.dtype(hdr.get_data_dtype())
    if int(oh["datatype"]) != int(ih["datatype"]) or raw.dtype.newbyteorder("=") \
            != dt.newbyteorder("="):
        probs.append(f"dtype {raw.dtype} (code {int(oh['datatype'])}) != input "
                     f"{dt} (code {int(ih['datatype'])})")
    probs += check_geometry(ih, oh, pl)
    # values, per 3-D volume
    src = np.asarray(data, dtype=dt).astype(np.float64)
    if check_scaled:  # compare nibabel's scaled data with a scaled reference
        slope, inter = float(ih["scl_slope"]), float(ih["scl_inter"])
        src = src * slope + inter
        got_all = np.asanyarray(img.dataobj).astype(np.float64)
    else:
        got_all = raw
    tol, window = value_tolerances(dt, src.max() - src.min(), order)
    if int_tie_window is not None:
        window = int_tie_window
    trailing = list(np.ndindex(*src.shape[3:]))
    for v in trailing:
        sv, gv = src[(Ellipsis,) + v], got_all[(Ellipsis,) + v]
        ref, pos = reference(sv, pl, order, boundary, fill, antialias)
        label = f"vol {list(v)}: " if len(trailing) > 1 else ""
        if dt.kind in "iu" and not check_scaled:
            probs += check_int_values(gv, ref, dt, window, label)
        else:
            probs += check_values(gv, ref, tol, pos, sv.shape, order, label)
    return probs


def float_input(geom_name, seed, dtype=np.float32, lo=-40.0, hi=120.0, **kw):
    g = GEOMS[geom_name]
    data = smooth_field(g["shape"], seed, lo, hi).astype(dtype)
    return data, build_header(g["shape"], dtype, g, **kw)


# --------------------------------------------------------------------------
# Case table
# --------------------------------------------------------------------------
def fmt(x):
    return f"{x:.6g}"


# request name -> function(zooms) -> (cli args, targets, size); 'size' is only
# meaningful with the fov/corners policies.
REQUESTS = {
    "down_x": lambda z: (["--x-spacing", "0.15"], (0.15, None, None), None),
    "yz": lambda z: (["--y-spacing", "0.13", "--z-spacing", "0.05"],
                     (None, 0.13, 0.05), None),
    "mixed": lambda z: (["--spacing", "0.07", "0.13", "0.22"],
                        (0.07, 0.13, 0.22), None),
    "up2": lambda z: (["--spacing"] + [fmt(v / 2) for v in z],
                      tuple(float(fmt(v / 2)) for v in z), None),
    "size": lambda z: (["--size", "11", "27", "9"], None, (11, 27, 9)),
}
MIXED = (["--spacing", "0.07", "0.13", "0.22"], (0.07, 0.13, 0.22))


def grid_cases():
    """Every policy x order x request on both geometries (float32)."""
    cases = []
    for gi, geom in enumerate(GEOMS):
        for grid in GRIDS:
            for order in (0, 1):
                for ri, req in enumerate(REQUESTS):
                    if req == "size" and grid in ("center", "origin"):
                        continue
                    name = f"{geom}_{grid}_o{order}_{req}"

                    def case(geom=geom, grid=grid, order=order, req=req,
                             name=name, seed=100 * gi + 10 * ri + order):
                        data, hdr = float_input(geom, seed)
                        args, t, size = REQUESTS[req](GEOMS[geom]["zooms"])
                        return resample_case(
                            name, data, hdr,
                            args + ["--grid", grid, "--order", str(order)],
                            t, size, grid, order)
                    cases.append((name, case))
    return cases


def case_defaults():
    """No --grid/--order: center + linear; --size alone implies fov;
    --xyz-spacing is an alias of --spacing."""
    data, hdr = float_input("oblique", 7)
    return (resample_case("default_spacing", data, hdr, MIXED[0], MIXED[1],
                          None, "center", 1) +
            resample_case("default_size", data, hdr, ["--size", "11", "27", "9"],
                          None, (11, 27, 9), "fov", 1) +
            resample_case("default_xyz", data, hdr,
                          ["--xyz-spacing"] + MIXED[0][1:], MIXED[1], None,
                          "center", 1))


def case_identity(args, label, order=1):
    """Same spacing (or same size) -> bit-identical data and header geometry
    (orders 2/3 too: the interpolating spline at the voxel centres is the
    data, and an unchanged axis is copied bit for bit)."""
    data, hdr = float_input("oblique", 11)
    inp, out = fresh(f"ident_{label}_in.nii.gz"), fresh(f"ident_{label}_out.nii.gz")
    write_nifti(inp, hdr, data)
    rc, so, se = run_respace([inp, out, "--quiet", "--order", str(order)] + args)
    if rc != 0:
        return [f"exit {rc}; stderr: {tail(se)}"]
    probs = check_file(out)
    ih = read_raw_header(inp)
    img, raw, oh = load_output(out)
    if raw.shape != data.shape or raw.dtype != data.dtype or \
            raw.tobytes() != data.tobytes():
        probs.append("data not bit-identical to input")
    for f in ("srow_x", "srow_y", "srow_z", "quatern_b", "quatern_c",
              "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z", "pixdim",
              "sform_code", "qform_code"):
        if np.asarray(oh[f]).tobytes() != np.asarray(ih[f]).tobytes():
            probs.append(f"{f} changed: {np.asarray(ih[f]).tolist()} -> "
                         f"{np.asarray(oh[f]).tolist()}")
    return probs


def case_near_identity():
    """Targets 5e-6 relative away from s are NOT 'unchanged' (tol is 1e-6)."""
    data, hdr = float_input("oblique", 12)
    t = (0.1000005, 0.1, 0.0999995)
    return resample_case("near_ident", data, hdr,
                         ["--spacing"] + [repr(v) for v in t], t, None, "center", 1)


def case_fill(order, dtype=np.float32):
    """Origin policy, x 0.1 -> 0.055 on n=23: m=42 and the last x sample sits
    at p = 41*0.55 = 22.55 > n-0.5, i.e. clearly outside the FOV -> fill 0.
    (With spacing-derived sizes only 'origin' can place samples outside.)"""
    g = GEOMS["oblique"]
    f = smooth_field(g["shape"], 15, -3000 if dtype == np.int16 else 5.0, 3000)
    data = (np.round(f) if dtype == np.int16 else f).astype(dtype)
    hdr = build_header(g["shape"], dtype, g)
    t = (0.055, None, None)
    name = f"fill_{np.dtype(dtype).name}_o{order}"
    probs = resample_case(name, data, hdr, ["--x-spacing", "0.055", "--grid",
                                            "origin", "--order", str(order)],
                          t, None, "origin", order)
    s = np.linalg.norm(header_affine(hdr)[:3, :3], axis=0)
    m, r, a = plan(g["shape"], s, t, None, "origin")[0]
    if not a + (m - 1) * r > g["shape"][0] - 0.5 + 1e-2:
        probs.append("test design: no sample clearly outside the FOV")
    return probs


def case_collapse(grid):
    """A very coarse z target collapses the axis to a single slice (m >= 1)."""
    data, hdr = float_input("oblique", 13)
    return resample_case(f"collapse_{grid}", data, hdr,
                         ["--z-spacing", "5", "--grid", grid],
                         (None, None, 5.0), None, grid, 1)


def case_xform(kind):
    """Geometry fallbacks: sform_code 0 -> qform; both 0 -> diag(pixdim)."""
    g = GEOMS["oblique"] if kind == "qform_only" else GEOMS["flipped"]
    data = smooth_field(g["shape"], 14, -40, 120).astype(np.float32)
    if kind == "qform_only":
        hdr = build_header(g["shape"], np.float32, g, scode=0, qcode=1)
    else:
        hdr = build_header(g["shape"], np.float32, None, zooms=g["zooms"])
    return resample_case(kind, data, hdr, MIXED[0], MIXED[1], None, "center", 1)


def case_int(dtype, grid, order, req, lo=-3000, hi=3000, endianness="<"):
    g = GEOMS["oblique"]
    data = smooth_field(g["shape"], 21, lo, hi)
    data = (np.round(data) if np.dtype(dtype).kind in "iu" else data).astype(dtype)
    hdr = build_header(g["shape"], dtype, g, endianness=endianness)
    args, t, size = REQUESTS[req](g["zooms"])
    name = f"{np.dtype(dtype).name}{endianness == '>' and '_be' or ''}_{grid}_o{order}_{req}"
    return resample_case(name, data, hdr,
                         args + ["--grid", grid, "--order", str(order)],
                         t, size, grid, order)


def case_int16_exact_ties():
    """Dyadic geometry (spacing 1 -> 0.5, center): positions are k+-0.25 and
    the trilinear weights are multiples of 1/64, so every interpolated value is
    exact in double (and in float32 for |v| <= 3000) regardless of evaluation
    order.  Many values are exact .5 ties, so round-half-away-from-zero is
    checked strictly (no tolerance)."""
    shape = (13, 11, 9)
    geom = dict(shape=shape, zooms=(1.0, 1.0, 1.0), rot=np.eye(3),
                origin=(-6.0, 4.0, 2.0), qshift=(0.0, 0.0, 0.0))
    rng = np.random.default_rng(22)
    data = rng.integers(-3000, 3001, size=shape).astype(np.int16)
    hdr = build_header(shape, np.int16, geom)
    t = (0.5, 0.5, 0.5)
    probs = resample_case("int16_ties", data, hdr, ["--spacing", "0.5", "0.5", "0.5"],
                          t, None, "center", 1, int_tie_window=0.0)
    ref, _ = reference(data.astype(np.float64), plan(shape, (1, 1, 1), t), 1)
    ties = np.abs(ref - np.floor(ref)) == 0.5
    if ties.sum() < 50 or not (ref[ties] < 0).any():
        probs.append(f"test design: too few exact ties ({int(ties.sum())})")
    return probs


def case_dtype(dtype, lo, hi, order=1):
    g = GEOMS["oblique"]
    f = smooth_field(g["shape"], 31, lo, hi)
    data = (np.round(f) if np.issubdtype(dtype, np.integer) else f).astype(dtype)
    hdr = build_header(g["shape"], dtype, g)
    suffix = "" if order == 1 else f"_o{order}"
    return resample_case(f"dtype_{np.dtype(dtype).name}{suffix}", data, hdr,
                         MIXED[0] + ["--order", str(order)], MIXED[1], None,
                         "center", order)


def case_nd(trailing, pixdim_t, order=1):
    """4-D / 5-D input: every 3-D volume resampled alike; dims 4+ and
    pixdim[4+] pass through.  (order 3: default boundary, i.e. mirror)"""
    g = dict(GEOMS["oblique"], shape=(17, 15, 13))
    shape = g["shape"] + tuple(trailing)
    data = smooth_field(shape, 41, -40, 120).astype(np.float32)
    hdr = build_header(shape, np.float32, g)
    hdr["pixdim"][4:4 + len(pixdim_t)] = pixdim_t
    name = f"{len(shape)}d" + ("" if order == 1 else f"_o{order}")
    probs = resample_case(name, data, hdr, MIXED[0] + ["--order", str(order)],
                          MIXED[1], None, "center", order)
    out = path(f"{name}_out.nii.gz")
    if os.path.exists(out):
        oh = read_raw_header(out)
        if oh["dim"][0] != len(shape) or list(oh["dim"][4:len(shape) + 1]) != \
                list(trailing):
            probs.append(f"dim {oh['dim'].tolist()} (expected dim[0]={len(shape)}, "
                         f"dim[4:]={list(trailing)})")
        if not np.array_equal(oh["pixdim"][4:4 + len(pixdim_t)],
                              hdr["pixdim"][4:4 + len(pixdim_t)]):
            probs.append(f"pixdim[4:] {oh['pixdim'][4:].tolist()} != "
                         f"{hdr['pixdim'][4:].tolist()}")
    return probs


# A NIFTI_ECODE_COMMENT (6) extension: esize 32 = 8 + 24 bytes of payload.
EXTENSION = (np.array([32, 6], "<i4").tobytes() + b"respace keeps this ext!\0")
assert len(EXTENSION) == 32


def case_header_fields(resample_z):
    """Fields SPEC section 5 copies unchanged (intent code/params/name,
    descrip, aux_file, xyzt_units, toffset, cal_min/max, scl_slope/inter,
    dim_info, pixdim[4..7], slice_duration, extensions byte for byte);
    slice_code/start/end are kept when the slice axis (z here) is not
    resampled and reset to 0 when it is.  nibabel's scaled data must match a
    reference computed on scaled input.  fov --size keeps every sample inside
    the field of view, so the fill value in scaled units does not matter.
    xyzt_units says micron: only --size is used, so no unit conversion
    question arises."""
    data, hdr = float_input("flipped", 51)
    hdr["intent_code"] = 1001  # NIFTI_INTENT_ESTIMATE
    hdr["intent_p1"], hdr["intent_p2"], hdr["intent_p3"] = 1.5, -2.0, 3.25
    hdr["intent_name"] = b"confname"
    hdr["descrip"] = b"respace conformance: keep me"
    hdr["aux_file"] = b"aux.txt"
    hdr.set_xyzt_units("micron", "msec")
    hdr["toffset"] = 1.25
    hdr["cal_min"], hdr["cal_max"] = -12.5, 250.25
    hdr["scl_slope"], hdr["scl_inter"] = 2.0, 10.0
    hdr.set_dim_info(freq=0, phase=1, slice=2)
    hdr["slice_duration"] = 0.05
    hdr["slice_code"], hdr["slice_start"], hdr["slice_end"] = 1, 1, 13
    hdr["pixdim"][4:8] = (2.5, 0.5, 0.25, 0.125)
    size = (13, 31, 11) if resample_z else (13, 31, 15)
    name = f"hdrfields_{'z' if resample_z else 'noz'}"
    probs = resample_case(name, data, hdr, ["--size"] + list(map(str, size)),
                          None, size, "fov", 1, extension=EXTENSION,
                          check_scaled=True)
    out = path(f"{name}_out.nii.gz")
    if not os.path.exists(out):
        return probs
    oh = read_raw_header(out)
    kept = ["intent_code", "intent_p1", "intent_p2", "intent_p3", "intent_name",
            "descrip", "aux_file", "xyzt_units", "toffset", "cal_min", "cal_max",
            "scl_slope", "scl_inter", "dim_info", "slice_duration"]
    slice_fields = ["slice_code", "slice_start", "slice_end"]
    for f in kept + ([] if resample_z else slice_fields):
        if np.asarray(oh[f]).tobytes() != np.asarray(hdr[f]).tobytes():
            probs.append(f"{f} not copied: {hdr[f]!r} -> {oh[f]!r}")
    if resample_z:
        for f in slice_fields:
            if int(oh[f]) != 0:
                probs.append(f"{f} = {int(oh[f])}, expected 0 (slice axis resampled)")
    if not np.array_equal(oh["pixdim"][4:8], hdr["pixdim"][4:8]):
        probs.append(f"pixdim[4:8] {oh['pixdim'][4:8].tolist()} != "
                     f"{hdr['pixdim'][4:8].tolist()}")
    blob = read_bytes(out)
    if blob[348:352] != b"\1\0\0\0" or blob[352:int(oh["vox_offset"])] != EXTENSION:
        probs.append(f"header extension not copied byte for byte: "
                     f"{blob[348:int(oh['vox_offset'])]!r}")
    return probs


def case_formats(kind):
    """Plain .nii output; plain .nii input; multi-member gzip input."""
    data, hdr = float_input("flipped", 61)
    kw = dict(plain_out=dict(out_ext=".nii"), plain_in=dict(in_ext=".nii"),
              multimember_in=dict(members=3))[kind]
    return resample_case(kind, data, hdr, ["--x-spacing", "0.15"],
                         (0.15, None, None), None, "center", 1, **kw)


def case_option_invariance():
    """--threads / --memory-limit / --compression-level must not change the
    decompressed result (data and header)."""
    data, hdr = float_input("oblique", 71)
    inp = fresh("opts_in.nii.gz")
    write_nifti(inp, hdr, data)
    variants = {"base": [], "t1": ["--threads", "1"], "t2": ["--threads", "2"],
                "t3": ["--threads", "3"], "mem": ["--memory-limit", "256M"],
                "c1": ["--compression-level", "1"],
                "c9": ["--compression-level", "9"]}
    probs, blobs = [], {}
    for key, extra in variants.items():
        out = fresh(f"opts_{key}.nii.gz")
        rc, so, se = run_respace([inp, out, "--quiet"] + MIXED[0] + extra)
        if rc != 0:
            probs.append(f"{key}: exit {rc}; {tail(se)}")
            continue
        probs += [f"{key}: {p}" for p in check_file(out)]
        blobs[key] = read_bytes(out)
    for key, blob in blobs.items():
        if "base" in blobs and blob != blobs["base"]:
            probs.append(f"{key}: decompressed output differs from default run")
    return probs


# ---- B-splines, boundary modes, fill ----------------------------------------
# x down (0.1 -> 0.15), y up (0.1 -> 0.07), z unchanged on the oblique
# 23x19x17: m = (15, 27, 17).  center puts y at p = 9 - 13*0.7 = -0.1 ..
# 18.2, i.e. inside the FOV but beyond [0, n-1] at both ends; origin ends y at
# 18.2; fov starts y at -0.148; corners sits on 0 and n-1.  For orders 2/3
# the mode also changes the prefilter, so it matters everywhere near an edge.
# Every axis is >= 8 voxels, so scipy's approximate anticausal initialisation
# for 'reflect' on very short axes (documented difference) plays no part.
XDOWN_YUP = (["--x-spacing", "0.15", "--y-spacing", "0.07"], (0.15, 0.07, None))


def boundary_cases():
    """Orders 0-3 x four boundary modes x four grid policies (float32,
    oblique, XDOWN_YUP), and orders 2/3 x four modes with pure upsampling by 2
    and pure downsampling by 1.7 (center, flipped geometry 21x25x15)."""
    cases = []
    for grid in GRIDS:
        for order in (0, 1, 2, 3):
            for bi, bnd in enumerate(BOUNDARIES):
                name = f"oblique_{grid}_o{order}_{bnd}_xdown_yup"

                def case(grid=grid, order=order, bnd=bnd, name=name,
                         seed=500 + 10 * order + bi):
                    data, hdr = float_input("oblique", seed)
                    return resample_case(
                        name, data, hdr,
                        XDOWN_YUP[0] + ["--grid", grid, "--order", str(order),
                                        "--boundary", bnd],
                        XDOWN_YUP[1], None, grid, order, boundary=bnd)
                cases.append((name, case))
    z = GEOMS["flipped"]["zooms"]
    reqs = {"up2": [fmt(v / 2) for v in z], "down1.7": [fmt(v * 1.7) for v in z]}
    for order in (2, 3):
        for bi, bnd in enumerate(BOUNDARIES):
            for label, sp in reqs.items():
                name = f"flipped_center_o{order}_{bnd}_{label}"

                def case(order=order, bnd=bnd, sp=sp, name=name,
                         seed=600 + 10 * order + bi):
                    data, hdr = float_input("flipped", seed)
                    return resample_case(
                        name, data, hdr,
                        ["--spacing"] + sp + ["--order", str(order),
                                              "--boundary", bnd],
                        tuple(float(v) for v in sp), None, "center", order,
                        boundary=bnd)
                cases.append((name, case))
    return cases


def case_default_boundary(order):
    """No --boundary: mirror at orders 2/3 (the order 0/1 default, nearest, is
    what every older case relies on)."""
    data, hdr = float_input("oblique", 97)
    name = f"default_boundary_o{order}"
    probs = resample_case(name, data, hdr, XDOWN_YUP[0] + ["--order", str(order)],
                          XDOWN_YUP[1], None, "center", order)
    pl = plan(data.shape, np.linalg.norm(header_affine(hdr)[:3, :3], axis=0),
              XDOWN_YUP[1])
    vol = data.astype(np.float64)
    diff = np.max(np.abs(reference(vol, pl, order, "mirror")[0] -
                         reference(vol, pl, order, "nearest")[0]))
    if diff < 100 * 1e-5 * (vol.max() - vol.min()):
        probs.append(f"test design: mirror and nearest differ by only {diff:.3g}")
    return probs


def case_fill_value(order, boundary, grid, fill=7.5):
    """--fill with x 0.1 -> 0.055 and y 0.1 -> 0.07 on the oblique 23x19x17
    (m = 42, 27).  origin: x reaches p = 41*0.55 = 22.55 > n-0.5 (outside the
    FOV -> fill, whatever the mode) and y reaches 26*0.7 = 18.2 in
    (n-1, n-0.5) (taps beyond the edge -> the boundary extension, i.e. the
    fill for constant).  center: x starts at 11-20.5*0.55 = -0.275 and y at
    -0.1 (inside the FOV, below 0)."""
    data, hdr = float_input("oblique", 700 + 10 * order + BOUNDARIES.index(boundary))
    t = (0.055, 0.07, None)
    name = f"fill_{boundary}_{grid}_o{order}"
    probs = resample_case(name, data, hdr,
                          ["--x-spacing", "0.055", "--y-spacing", "0.07",
                           "--grid", grid, "--order", str(order),
                           "--boundary", boundary, "--fill", repr(fill)],
                          t, None, grid, order, boundary=boundary, fill=fill)
    n = data.shape
    pl = plan(n, np.linalg.norm(header_affine(hdr)[:3, :3], axis=0), t, None, grid)
    pos = [a + np.arange(m) * r for (m, r, a) in pl]
    if grid == "origin":
        if not pos[0][-1] > n[0] - 0.5 + 1e-2:
            probs.append("test design: no x sample clearly outside the FOV")
        if not n[1] - 1 + 1e-2 < pos[1][-1] < n[1] - 0.5 - 1e-2:
            probs.append("test design: no y sample in (n-1, n-0.5)")
    elif not (-0.5 + 1e-2 < pos[0][0] < -1e-2 and -0.5 + 1e-2 < pos[1][0] < -1e-2):
        probs.append("test design: first x/y samples not in (-0.5, 0)")
    return probs


# Dyadic geometry: spacing 1 -> 0.5 with the origin policy gives p = j/2
# exactly, so the last sample sits exactly on p = n-0.5 (inside the closed
# FOV; order-0 index floor(n-0.5+0.5) = n, which the boundary rule maps:
# nearest/reflect n-1, mirror n-2, constant fill) and every other sample is an
# exact order-0 .5 tie (index k+1).
DYADIC = dict(shape=(13, 11, 9), zooms=(1.0, 1.0, 1.0), rot=np.eye(3),
              origin=(-6.0, 4.0, 2.0), qshift=(0.0, 0.0, 0.0))


def case_dyadic(order, boundary, fill=7.5):
    """Orders 0-3 with each mode at p = n-0.5 exactly (order 1: taps n-1 and
    n with weights 1/2: nearest/reflect v[n-1], mirror (v[n-1]+v[n-2])/2,
    constant (v[n-1]+fill)/2).  --fill is passed with every mode: it must
    only show with constant (no sample is outside the FOV)."""
    shape = DYADIC["shape"]
    data = smooth_field(shape, 95 + order, -40, 120).astype(np.float32)
    hdr = build_header(shape, np.float32, DYADIC)
    t = (0.5, 0.5, 0.5)
    probs = resample_case(f"dyadic_{boundary}_o{order}", data, hdr,
                          ["--spacing", "0.5", "0.5", "0.5", "--grid", "origin",
                           "--order", str(order), "--boundary", boundary,
                           "--fill", repr(fill)],
                          t, None, "origin", order, boundary=boundary, fill=fill)
    pl = plan(shape, (1.0, 1.0, 1.0), t, None, "origin")
    if any(a + (m - 1) * r != nk - 0.5 for (m, r, a), nk in zip(pl, shape)):
        probs.append("test design: last sample not exactly at n-0.5")
    return probs


def case_int_step(dtype, order):
    """Integer output of a sharp edge: a checkerboard of the type's min and
    max (x >= 8 xor y >= 6) on 17x13x11, x up / y down.  The B-spline
    overshoots beyond the type's range on both sides; the output must clamp
    (never wrap) and round half away from zero elsewhere."""
    info = np.iinfo(dtype)
    shape = (17, 13, 11)
    g = dict(GEOMS["oblique"], shape=shape)
    x, y = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    plane = np.where((x >= 8) ^ (y >= 6), info.max, info.min)
    data = np.repeat(plane[:, :, None], shape[2], axis=2).astype(dtype)
    hdr = build_header(shape, dtype, g)
    t = (0.07, 0.13, None)
    name = f"step_{np.dtype(dtype).name}_o{order}"
    pl = plan(shape, np.linalg.norm(header_affine(hdr)[:3, :3], axis=0), t)
    ref, _ = reference(data.astype(np.float64), pl, order)
    hi, lo = ref > info.max + 1, ref < info.min - 1
    if not (hi.any() and lo.any()):
        return [f"test design: no overshoot beyond the range "
                f"(ref {ref.min():.1f} .. {ref.max():.1f})"]
    probs = resample_case(name, data, hdr,
                          ["--x-spacing", "0.07", "--y-spacing", "0.13",
                           "--order", str(order)], t, None, "center", order)
    out = path(f"{name}_out.nii.gz")
    if os.path.exists(out):
        raw = np.asanyarray(nib.load(out).dataobj.get_unscaled())
        if raw.shape == ref.shape:
            for mask, lim, what in ((hi, info.max, "above max"),
                                    (lo, info.min, "below min")):
                wrong = mask & (raw != lim)
                if wrong.any():
                    w = tuple(np.argwhere(wrong)[0])
                    probs.append(f"overshoot {what} not clamped at "
                                 f"{int(wrong.sum())} voxels; first {list(w)}: got "
                                 f"{int(raw[w])} for ref {ref[w]:.2f} "
                                 f"(expected {lim})")
    return probs


def case_block_planes(label, req, targets, boundary):
    """Order 3 on 19x15x41 (z resampled): the streamed result must not depend
    on the block depth (--block-planes 1, 2, 7, 64 > nz) nor on --threads:
    decompressed outputs byte-identical, each equal to the whole-volume scipy
    reference (this checks the prefilter halo at the block seams)."""
    g = dict(GEOMS["oblique"], shape=(19, 15, 41))
    data = smooth_field(g["shape"], 91, -40, 120).astype(np.float32)
    hdr = build_header(g["shape"], np.float32, g)
    base = ["--order", "3"] + req + ([] if boundary is None else
                                     ["--boundary", boundary])
    variants = {"b1": ["--block-planes", "1"], "b2": ["--block-planes", "2"],
                "b7": ["--block-planes", "7"], "b64": ["--block-planes", "64"],
                "default": [], "t1": ["--threads", "1"],
                "t3": ["--threads", "3"],
                "t3_b2": ["--threads", "3", "--block-planes", "2"]}
    probs, blobs = [], {}
    for key, extra in variants.items():
        name = f"blocks_{label}_{key}"
        probs += [f"{key}: {p}" for p in
                  resample_case(name, data, hdr, base + extra, targets, None,
                                "center", 3, boundary=boundary)]
        out = path(f"{name}_out.nii.gz")
        if os.path.exists(out):
            blobs[key] = read_bytes(out)
    for key, blob in blobs.items():
        if "b1" in blobs and blob != blobs["b1"]:
            a = np.frombuffer(blob[352:], np.float32)
            b = np.frombuffer(blobs["b1"][352:], np.float32)
            extra = ""
            if a.shape == b.shape:
                extra = f" (max |diff| {np.max(np.abs(a.astype(np.float64) - b)):.3g})"
            probs.append(f"{key}: decompressed output differs from "
                         f"--block-planes 1{extra}")
    return probs


# ---- --antialias -----------------------------------------------------------
# An oblique 0.1 mm volume long enough in z for a 10x reduction.
AA_GEOM = dict(GEOMS["oblique"], shape=(26, 22, 60))
AA_TARGETS = {"mixed": (0.15, 0.2, 0.37), "k10": (0.2, 0.1, 1.0)}


def aa_input(seed, noise=True):
    """Noisy data: most of its energy above the output Nyquist, so a missing
    or wrong filter shows."""
    g = AA_GEOM
    data = smooth_field(g["shape"], seed, -40, 120)
    if noise:
        data += 30 * np.random.default_rng(seed).standard_normal(g["shape"])
    return data.astype(np.float32), build_header(g["shape"], np.float32, g)


def case_antialias(mode, order, boundary, req, grid="center", fill=7.5):
    """--antialias MODE against the reference: gauss (k 1.5, 2, 3.7 or 2, 1,
    10 per axis), box (the footprint mean), auto (gauss from k 2 on)."""
    data, hdr = aa_input(200 + order)
    t = AA_TARGETS[req]
    args = ["--spacing"] + [repr(x) for x in t] + ["--order", str(order),
            "--boundary", boundary, "--fill", repr(fill), "--grid", grid]
    if mode != "auto":
        args += ["--antialias", mode]
    return resample_case(f"aa_{mode}_{req}_{boundary}_{grid}_o{order}", data, hdr,
                         args, t, None, grid, order, boundary=boundary,
                         fill=fill, antialias=mode)


def case_antialias_json():
    """--json says, per axis, k, the filter and sigma (or the width)."""
    data, hdr = aa_input(210)
    inp = fresh("aa_json_in.nii.gz")
    write_nifti(inp, hdr, data)
    probs = []
    for mode, expect in (("auto", ["none", "gauss", "gauss"]),
                         ("gauss", ["gauss", "gauss", "gauss"]),
                         ("box", ["box", "box", "box"]),
                         ("off", ["none", "none", "none"])):
        rc, so, se = run_respace([inp, fresh("aa_json_out.nii"), "--spacing",
                                  "0.15", "0.2", "0.37", "--antialias", mode,
                                  "--dry-run", "--json"])
        if rc != 0:
            probs.append(f"{mode}: exit {rc}: {tail(se)}")
            continue
        aa = json.loads(so)["plan"].get("antialias", {})
        got = [a.get("filter") for a in aa.get("axes", [])]
        if aa.get("mode") != mode or got != expect:
            probs.append(f"{mode}: antialias {aa!r}, expected filters {expect}")
        for a, k in zip(aa.get("axes", []), (1.5, 2.0, 3.7)):
            if abs(a.get("k", 0) - k) > 1e-6 * k:  # spacings are float32 in the header
                probs.append(f"{mode}: k {a.get('k')} != {k}")
            if a.get("filter") == "gauss":
                k = a["k"]
                sigma = np.sqrt((k * k - 1) / (8 * np.log(2)))
                if abs(a.get("sigma", 0) - sigma) > 1e-9 or \
                        a.get("radius") != int(4 * sigma + 0.5):
                    probs.append(f"{mode}: sigma/radius {a} for k {k}")
    return probs


def case_antialias_blocks():
    """gauss at k 10 along z (a halo of 17 planes a side): the streamed
    result must not depend on --block-planes or --threads."""
    data, hdr = aa_input(220)
    base = ["--spacing", "0.2", "0.1", "1.0", "--order", "3", "--antialias",
            "gauss"]
    blobs, probs = {}, []
    for key, extra in {"b1": ["--block-planes", "1"], "b3": ["--block-planes", "3"],
                       "t1": ["--threads", "1"], "t3_b2": ["--threads", "3",
                                                         "--block-planes", "2"],
                       "default": []}.items():
        name = f"aa_blocks_{key}"
        probs += [f"{key}: {p}" for p in resample_case(
            name, data, hdr, base + extra, AA_TARGETS["k10"], None, "center", 3,
            antialias="gauss")]
        out = path(f"{name}_out.nii.gz")
        if os.path.exists(out):
            blobs[key] = read_bytes(out)
    probs += [f"{k}: output differs from --block-planes 1" for k, b in blobs.items()
              if "b1" in blobs and b != blobs["b1"]]
    return probs


def antialias_cases():
    cases = []
    for order in (0, 1, 2, 3):
        for b in BOUNDARIES:
            for req in ("mixed", "k10"):
                cases.append((f"antialias_gauss_{req}_{b}_o{order}",
                              lambda o=order, b=b, r=req: case_antialias("gauss", o, b, r)))
    for order in (0, 1):
        for b in BOUNDARIES:
            for grid in ("center", "fov"):
                cases.append((f"antialias_box_{b}_{grid}_o{order}",
                              lambda o=order, b=b, g=grid: case_antialias("box", o, b, "mixed", g)))
    cases += [(f"antialias_auto_{req}_o{o}",
               lambda o=o, r=req: case_antialias("auto", o, default_boundary(o), r))
              for o in (0, 1, 3) for req in ("mixed", "k10")]
    cases += [("antialias_json", case_antialias_json),
              ("antialias_blocks_threads_k10", case_antialias_blocks)]
    return cases


# ---- failures -------------------------------------------------------------
REQ = ["--x-spacing", "0.15"]  # a valid request, so only the tested fault remains


def expect_failure(args, code, out, what):
    """Run; expect exit CODE (None: any non-zero), a stderr message, and no
    OUT file afterwards."""
    rc, so, se = run_respace(args)
    probs = []
    if rc is None or rc == 0 or (code is not None and rc != code):
        probs.append(f"{what}: exit {rc} (expected {code or 'non-zero'}); "
                     f"stderr: {tail(se)}")
    elif not se.strip():
        probs.append(f"{what}: no message on stderr")
    if out is not None and os.path.exists(out):
        probs.append(f"{what}: output file exists afterwards")
    return probs


def error_case(tag, body):
    """Run BODY(dir, input) in a fresh directory; afterwards the directory
    must hold only the files BODY says it expects (no partial output, no
    temporary file left behind: SPEC section 7)."""
    d = fresh_dir(f"err_{tag}")
    data, hdr = float_input("oblique", 81)
    inp = os.path.join(d, "in.nii.gz")
    write_nifti(inp, hdr, data)
    before = read_bytes(inp)
    probs, expected = body(d, inp)
    left = set(os.listdir(d)) - {"in.nii.gz"} - set(expected)
    if left:
        probs.append(f"files left behind: {sorted(left)}")
    if read_bytes(inp) != before:
        probs.append("input file was modified")
    return probs


def body_bad_order(order):
    def body(d, inp):
        out = os.path.join(d, "out.nii.gz")
        return expect_failure([inp, out, "--order", order] + REQ, 2, out,
                              f"--order {order}"), []
    return body


def body_bad_boundary(name):
    def body(d, inp):
        out = os.path.join(d, "out.nii.gz")
        return expect_failure([inp, out, "--boundary", name, "--order", "3"] + REQ,
                              2, out, f"--boundary {name}"), []
    return body


def body_bad_usage(d, inp):
    out = os.path.join(d, "out.nii.gz")
    probs = expect_failure([inp, out, "--spacing", "0", "0.1", "0.1"], 2, out,
                           "--spacing 0 0.1 0.1")
    probs += expect_failure([inp, out, "--spacing", "0.1", "0.1", "0.1",
                             "--x-spacing", "0.2"], 2, out,
                            "--spacing with --x-spacing")
    probs += expect_failure([inp, out], 2, out, "no request")
    probs += expect_failure([], 2, None, "no arguments")
    return probs, []


def body_bad_input(d, inp):
    garbage = os.path.join(d, "garbage.nii")
    with open(garbage, "wb") as f:
        f.write(b"this is not a nifti file" * 40)
    out = os.path.join(d, "out.nii.gz")
    probs = expect_failure([garbage, out] + REQ, 3, out, "garbage input")
    probs += expect_failure([os.path.join(d, "missing.nii.gz"), out] + REQ, 3,
                            out, "missing input")
    return probs, ["garbage.nii"]


def body_existing_output(d, inp):
    """Existing output without --force: exit 4, untouched; --force replaces."""
    out = os.path.join(d, "out.nii.gz")
    sentinel = b"pre-existing output, must not be touched\n"
    with open(out, "wb") as f:
        f.write(sentinel)
    probs = expect_failure([inp, out] + REQ, 4, None,
                           "existing output without --force")
    with open(out, "rb") as f:
        if f.read() != sentinel:
            probs.append("existing output was modified without --force")
    rc, so, se = run_respace([inp, out, "--force", "--quiet"] + REQ)
    if rc != 0:
        probs.append(f"--force overwrite: exit {rc}; {tail(se)}")
    else:
        probs += check_file(out)
    return probs, ["out.nii.gz"]


def body_output_is_input(d, inp):
    """SPEC section 7: output equal to the input is refused (even with
    --force, even spelled differently); the input stays intact."""
    alias = os.path.join(d, ".", "in.nii.gz")
    probs = expect_failure([inp, inp, "--force"] + REQ, None, None,
                           "output == input")
    probs += expect_failure([inp, alias, "--force"] + REQ, None, None,
                            "output == input (other spelling)")
    return probs, []


def body_memory_too_small(d, inp):
    """(contract: exit 5) a 1K budget cannot hold even one input volume."""
    out = os.path.join(d, "out.nii.gz")
    return expect_failure([inp, out, "--memory-limit", "1K"] + MIXED[0], 5, out,
                          "--memory-limit 1K"), []


def all_cases():
    cases = grid_cases() + boundary_cases() + antialias_cases()
    cases += [
        ("defaults_center_linear_size_fov_xyz_alias", case_defaults),
        ("identity_same_spacing_o1",
         lambda: case_identity(["--spacing", "0.1", "0.1", "0.1"], "spacing1")),
        ("identity_same_spacing_o0",
         lambda: case_identity(["--spacing", "0.1", "0.1", "0.1"], "spacing0", 0)),
        ("identity_within_1e-6",
         lambda: case_identity(["--spacing", "0.10000005", "0.1", "0.09999995"],
                               "tol")),
        ("identity_fov_same_size",
         lambda: case_identity(["--size", "23", "19", "17"], "size")),
        ("identity_corners_same_size",
         lambda: case_identity(["--size", "23", "19", "17", "--grid", "corners"],
                               "corners")),
        ("near_identity_outside_1e-6", case_near_identity),
        ("fill_outside_fov_o0", lambda: case_fill(0)),
        ("fill_outside_fov_o1", lambda: case_fill(1)),
        ("fill_outside_fov_int16_o1", lambda: case_fill(1, np.int16)),
        ("collapse_center", lambda: case_collapse("center")),
        ("collapse_fov", lambda: case_collapse("fov")),
        ("qform_only_geometry", lambda: case_xform("qform_only")),
        ("no_xform_pixdim_geometry", lambda: case_xform("no_xform")),
        ("int16_center_o1_mixed", lambda: case_int(np.int16, "center", 1, "mixed")),
        ("int16_origin_o1_up2", lambda: case_int(np.int16, "origin", 1, "up2")),
        ("int16_fov_o1_size", lambda: case_int(np.int16, "fov", 1, "size")),
        ("int16_center_o0_mixed", lambda: case_int(np.int16, "center", 0, "mixed")),
        ("int16_bigendian_center_o1_mixed",
         lambda: case_int(np.int16, "center", 1, "mixed", endianness=">")),
        ("float32_bigendian_corners_o1_mixed",
         lambda: case_int(np.float32, "corners", 1, "mixed", endianness=">")),
        ("int16_exact_half_ties", case_int16_exact_ties),
        ("dtype_uint8", lambda: case_dtype(np.uint8, 0, 255)),
        ("dtype_int8", lambda: case_dtype(np.int8, -128, 127)),
        ("dtype_uint16", lambda: case_dtype(np.uint16, 0, 60000)),
        ("dtype_int32", lambda: case_dtype(np.int32, -100000, 100000)),
        ("dtype_uint32", lambda: case_dtype(np.uint32, 0, 4000000)),
        ("dtype_int64", lambda: case_dtype(np.int64, -10**9, 10**9)),
        ("dtype_uint64", lambda: case_dtype(np.uint64, 0, 10**9)),
        ("dtype_float64", lambda: case_dtype(np.float64, -40.0, 120.0)),
        ("4d_three_volumes", lambda: case_nd((3,), (2.5,))),
        ("5d_volumes", lambda: case_nd((1, 2), (2.5, 0.5))),
        ("header_fields_slice_axis_kept", lambda: case_header_fields(False)),
        ("header_fields_slice_axis_resampled", lambda: case_header_fields(True)),
        ("plain_nii_output", lambda: case_formats("plain_out")),
        ("plain_nii_input", lambda: case_formats("plain_in")),
        ("multimember_gzip_input", lambda: case_formats("multimember_in")),
        ("option_invariance", case_option_invariance),
        ("identity_same_spacing_o2",
         lambda: case_identity(["--spacing", "0.1", "0.1", "0.1"], "spacing2", 2)),
        ("identity_same_spacing_o3",
         lambda: case_identity(["--spacing", "0.1", "0.1", "0.1"], "spacing3", 3)),
        ("identity_same_size_o3_constant_fill",
         lambda: case_identity(["--size", "23", "19", "17", "--boundary",
                                "constant", "--fill", "7.5"], "size3c", 3)),
        ("default_boundary_o2_mirror", lambda: case_default_boundary(2)),
        ("default_boundary_o3_mirror", lambda: case_default_boundary(3)),
        ("fill7.5_constant_origin_o1",
         lambda: case_fill_value(1, "constant", "origin")),
        ("fill7.5_constant_origin_o2",
         lambda: case_fill_value(2, "constant", "origin")),
        ("fill7.5_constant_origin_o3",
         lambda: case_fill_value(3, "constant", "origin")),
        ("fill7.5_constant_center_o1",
         lambda: case_fill_value(1, "constant", "center")),
        ("fill7.5_constant_center_o3",
         lambda: case_fill_value(3, "constant", "center")),
        ("fill7.5_nearest_origin_o1", lambda: case_fill_value(1, "nearest", "origin")),
        ("fill7.5_mirror_origin_o1", lambda: case_fill_value(1, "mirror", "origin")),
        ("fill7.5_reflect_origin_o1", lambda: case_fill_value(1, "reflect", "origin")),
        ("fill7.5_mirror_origin_o3", lambda: case_fill_value(3, "mirror", "origin")),
        ("fill7.5_reflect_origin_o2", lambda: case_fill_value(2, "reflect", "origin")),
        ("fill7.5_nearest_origin_o3", lambda: case_fill_value(3, "nearest", "origin")),
    ] + [
        (f"dyadic_half_ties_{b}_o{o}", lambda o=o, b=b: case_dyadic(o, b))
        for o in (0, 1, 2, 3) for b in BOUNDARIES
    ] + [
        ("step_uint8_o3_clamp", lambda: case_int_step(np.uint8, 3)),
        ("step_uint8_o2_clamp", lambda: case_int_step(np.uint8, 2)),
        ("step_int16_o3_clamp", lambda: case_int_step(np.int16, 3)),
        ("int16_center_o3_mixed", lambda: case_dtype(np.int16, -3000, 3000, 3)),
        ("dtype_float64_o3", lambda: case_dtype(np.float64, -40.0, 120.0, 3)),
        ("4d_three_volumes_o3", lambda: case_nd((3,), (2.5,), 3)),
        ("block_planes_threads_o3_zup",
         lambda: case_block_planes("zup", ["--spacing", "0.13", "0.08", "0.07"],
                                   (0.13, 0.08, 0.07), None)),
        ("block_planes_threads_o3_reflect_zdown",
         lambda: case_block_planes("zdown", ["--z-spacing", "0.17"],
                                   (None, None, 0.17), "reflect")),
        ("block_planes_threads_o3_constant_zdown",
         lambda: case_block_planes("zdownc", ["--x-spacing", "0.07",
                                              "--z-spacing", "0.17"],
                                   (0.07, None, 0.17), "constant")),
        ("error_order_4", lambda: error_case("order4", body_bad_order("4"))),
        ("error_order_minus_1", lambda: error_case("orderm1", body_bad_order("-1"))),
        ("error_boundary_wrap", lambda: error_case("wrap", body_bad_boundary("wrap"))),
        ("error_bad_usage", lambda: error_case("usage", body_bad_usage)),
        ("error_invalid_input", lambda: error_case("input", body_bad_input)),
        ("error_existing_output_and_force",
         lambda: error_case("exists", body_existing_output)),
        ("error_output_is_input", lambda: error_case("same", body_output_is_input)),
        ("error_memory_limit_too_small",
         lambda: error_case("mem", body_memory_too_small)),
    ]
    return cases


def main():
    return conformance_main(__doc__, "/tmp/respace-conformance", all_cases)


if __name__ == "__main__":
    sys.exit(main())
