#!/usr/bin/env python3
"""Independent conformance test for the `respace` command-line tool.

Every expectation here is derived from the written contract (SPEC) in numpy /
scipy / nibabel; respace is treated as a black box and is never asked for its
sample positions.  Usage:

    /usr/bin/python3 tests/conformance/check_scipy.py \
        --respace build/release/cli/respace --workdir /tmp/respace-conf

Prints one line per case ("ok NAME" or "FAIL NAME: details"), then
"N passed, N failed".  Exit status: 0 all passed, 1 any failure,
77 when numpy / scipy / nibabel are not importable (skip).

Contract summary (what the reference below implements):
  A = sform if sform_code>0, else qform if qform_code>0, else diag(pixdim).
  s_k = |column k of A[:3,:3]|; a target t_k with |t_k-s_k| <= 1e-6 s_k is s_k.
  m_k = n_k s_k / t_k rounded (snap to integer within 1e-6*max(1,x), else
  floor(x+0.5)), at least 1; or m given by --size.
  p_k(j) = a_k + j r_k with, per --grid policy,
     center : r=t/s, a=(n-1)/2-(m-1)/2 r      origin : r=t/s, a=0
     fov    : r=n/m, a=-0.5+r/2                corners: r=(n-1)/(m-1), a=0
  (unchanged axis -> r=1, a=0 exactly).  sform' = sform M, qform' = qform M,
  M = [[r0,0,0,a0],[0,r1,0,a1],[0,0,r2,a2],[0,0,0,1]].
  Samples outside [-0.5, n-0.5] on any axis are 0; inside, order 0 takes
  clip(floor(p+0.5)), order 1 is linear interpolation with edge-replicated
  taps (== map_coordinates(order=1, mode='nearest', prefilter=False)).
  Integer output: round half away from zero, clamp to the type's range.
"""
import argparse
import concurrent.futures
import gzip
import os
import shutil
import subprocess
import sys
import warnings

try:
    import numpy as np
    from scipy import ndimage
    import nibabel as nib
except ImportError as exc:  # pragma: no cover - environment dependent
    print(f"SKIP: numpy/scipy/nibabel not importable ({exc})")
    sys.exit(77)

warnings.simplefilter("ignore")  # nibabel chatter about odd headers

RUN_TIMEOUT = 120  # seconds per respace invocation (ASan builds are slow)
GRIDS = ("center", "origin", "fov", "corners")


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
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
    text = text.strip().replace("\n", " | ")
    return text[-n:]


def path(name):
    return os.path.join(Ctx.workdir, name)


def fresh(name):
    """Path in the workdir with any previous file removed."""
    p = path(name)
    if os.path.exists(p):
        os.remove(p)
    return p


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


def build_header(shape, dtype, geom=None, scode=2, qcode=1, zooms=None):
    """NIfTI-1 header with the given geometry (sform/qform codes)."""
    hdr = nib.Nifti1Header()
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


def write_nifti(fname, hdr, data):
    """Write a single-file NIfTI byte for byte (full control over header)."""
    hdr["vox_offset"] = 352
    hdr["magic"] = b"n+1"
    raw = (hdr.binaryblock + b"\0" * 4 +
           np.asarray(data, dtype=hdr.get_data_dtype()).tobytes(order="F"))
    opener = gzip.open if fname.endswith(".gz") else open
    with opener(fname, "wb") as f:
        f.write(raw)


def read_raw_header(fname):
    opener = gzip.open if fname.endswith(".gz") else open
    with opener(fname, "rb") as f:
        return nib.Nifti1Header.from_fileobj(f)


def input_affine(hdr):
    """The affine respace must use (SPEC: sform, else qform, else pixdim)."""
    if hdr["sform_code"] > 0:
        return hdr.get_sform(coded=False)
    if hdr["qform_code"] > 0:
        return hdr.get_qform(coded=False)
    return np.diag(list(hdr["pixdim"][1:4].astype(np.float64)) + [1.0])


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


def reference(vol, pl, order):
    """Resample one 3-D float64 volume at the SPEC positions."""
    n = vol.shape
    pos = [a + np.arange(m) * r for (m, r, a) in pl]
    if order == 0:
        idx = [np.clip(np.floor(p + 0.5), 0, nk - 1).astype(int)
               for p, nk in zip(pos, n)]
        ref = vol[np.ix_(*idx)]
    else:
        coords = np.array(np.meshgrid(*pos, indexing="ij"))
        ref = ndimage.map_coordinates(vol, coords, order=1, mode="nearest",
                                      prefilter=False)
    inside = [(p >= -0.5) & (p <= nk - 0.5) for p, nk in zip(pos, n)]
    mask = inside[0][:, None, None] & inside[1][None, :, None] & \
        inside[2][None, None, :]
    return np.where(mask, ref, 0.0), pos


def tie_count(pos):
    """Samples whose order-0 index is a near .5 tie on some axis (diagnostic)."""
    return sum(int(np.sum(np.abs(p - np.floor(p) - 0.5) < 1e-6)) for p in pos)


def round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


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
    elif int(np.frombuffer(magic, "<i4")[0]) != 348:
        probs.append("plain .nii output does not start with sizeof_hdr=348")
    return probs


def affine_close(got, exp):
    # The header stores affines as float32 (relative rounding 6e-8), so the
    # translation of a ~40 mm origin is only good to ~2e-6 mm.  Tolerance is
    # 1e-6 mm absolute plus 1e-6 relative to each entry: far below any real
    # geometry error (a 1/1000-voxel shift here is 1e-4 mm).
    tol = 1e-6 + 1e-6 * np.abs(exp)
    return bool(np.all(np.abs(got - exp) <= tol)), float(np.max(np.abs(got - exp)))


def check_geometry(ih, oh, pl):
    """Header geometry of output header OH vs input header IH and plan PL."""
    probs = []
    M = plan_matrix(pl)
    for code in ("sform_code", "qform_code"):
        if int(oh[code]) != int(ih[code]):
            probs.append(f"{code} {int(oh[code])} != {int(ih[code])}")
    exp_s = ih.get_sform(coded=False) @ M
    exp_q = ih.get_qform(coded=False) @ M
    ok, err = affine_close(oh.get_sform(coded=False), exp_s)
    if not ok:
        probs.append(f"sform != sform_in*M (max err {err:.3g}); got "
                     f"{np.round(oh.get_sform(coded=False)[:3], 5).tolist()} "
                     f"expected {np.round(exp_s[:3], 5).tolist()}")
    ok, err = affine_close(oh.get_qform(coded=False), exp_q)
    if not ok:
        probs.append(f"qform != qform_in*M (max err {err:.3g}); got "
                     f"{np.round(oh.get_qform(coded=False)[:3], 5).tolist()} "
                     f"expected {np.round(exp_q[:3], 5).tolist()}")
    # quaternion and qfac unchanged (1e-6: float32 storage of a unit quaternion)
    for f in ("quatern_b", "quatern_c", "quatern_d"):
        if abs(float(oh[f]) - float(ih[f])) > 1e-6:
            probs.append(f"{f} changed {float(ih[f])} -> {float(oh[f])}")
    if float(oh["pixdim"][0]) != float(ih["pixdim"][0]):
        probs.append(f"qfac pixdim[0] changed {ih['pixdim'][0]} -> {oh['pixdim'][0]}")
    # pixdim[1:4] = column norms of the new affine = old pixdim * r
    # (float32 storage: relative tolerance 2e-6)
    new_norms = np.linalg.norm((input_affine(ih) @ M)[:3, :3], axis=0)
    got = oh["pixdim"][1:4].astype(np.float64)
    exp2 = ih["pixdim"][1:4].astype(np.float64) * np.array([p[1] for p in pl])
    if not (np.allclose(got, new_norms, rtol=2e-6, atol=0) and
            np.allclose(got, exp2, rtol=2e-6, atol=0)):
        probs.append(f"pixdim[1:4] {got.tolist()} expected {new_norms.tolist()}")
    return probs


def check_values(out, ref, data_range, pos, in_shape, order, label=""):
    """Float outputs: max |out-ref| <= 1e-5 * data range."""
    err = np.abs(out.astype(np.float64) - ref)
    tol = 1e-5 * data_range
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


def check_int_values(out, ref, dtype, tie_window=1e-4, label=""):
    """Integer outputs: out == clamp(round_half_away(ref)).  A difference of 1
    is tolerated only where the float64 reference lies within TIE_WINDOW of a
    .5 tie: there an implementation evaluating the interpolation in a
    different (but still double-precision) order may legitimately land on the
    other side of the tie.  tie_window=0 demands exact agreement."""
    info = np.iinfo(dtype)
    exp = np.clip(round_half_away(ref), info.min, info.max).astype(np.int64)
    diff = np.abs(out.astype(np.int64) - exp)
    frac = np.abs(ref) - np.floor(np.abs(ref))
    near_tie = np.abs(frac - 0.5) < tie_window  # tie_window=0: none
    bad = (diff > 1) | ((diff == 1) & ~near_tie)
    if not bad.any():
        return []
    where = tuple(np.argwhere(bad)[0].tolist())
    return [f"{label}int values: {int(bad.sum())}/{bad.size} voxels wrong; first at "
            f"{list(where)}: got {int(out[where])} expected {int(exp[where])} "
            f"(float64 ref {ref[where]:.6f})"]


def load_output(fname):
    img = nib.load(fname)
    raw = np.asanyarray(img.dataobj.get_unscaled())
    return img, raw, read_raw_header(fname)


# --------------------------------------------------------------------------
# Generic resample case
# --------------------------------------------------------------------------
def resample_case(name, data, hdr, args, targets=None, size=None, grid="center",
                  order=1, out_ext=".nii.gz", int_tie_window=1e-4,
                  check_scaled=False):
    """Write input, run respace, check shape/dtype/geometry/values/file."""
    inp = fresh(f"{name}_in.nii.gz")
    out = fresh(f"{name}_out{out_ext}")
    write_nifti(inp, hdr, data)
    ih = read_raw_header(inp)
    rc, so, se = run_respace([inp, out, "--quiet"] + list(args))
    if rc != 0:
        return [f"exit {rc} (expected 0); stderr: {tail(se)}"]
    if not os.path.exists(out):
        return ["exit 0 but no output file"]
    probs = check_file(out)
    img, raw, oh = load_output(out)
    A = input_affine(ih)
    s = np.linalg.norm(A[:3, :3], axis=0)
    pl = plan(data.shape[:3], s, targets, size, grid)
    exp_shape = tuple(p[0] for p in pl) + tuple(data.shape[3:])
    if raw.shape != exp_shape:
        return probs + [f"shape {raw.shape} != expected {exp_shape}"]
    dt = np.dtype(hdr.get_data_dtype())
    if int(oh["datatype"]) != int(ih["datatype"]) or raw.dtype != dt:
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
    vols = src.shape[3] if src.ndim == 4 else 1
    for v in range(vols):
        sv = src[..., v] if src.ndim == 4 else src
        gv = got_all[..., v] if src.ndim == 4 else got_all
        ref, pos = reference(sv, pl, order)
        label = f"vol {v}: " if vols > 1 else ""
        if np.issubdtype(dt, np.integer) and not check_scaled:
            probs += check_int_values(gv, ref, dt, int_tie_window, label)
        else:
            probs += check_values(gv, ref, src.max() - src.min(), pos,
                                  sv.shape, order, label)
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


def grid_cases():
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
    """No --grid/--order: center + linear; --size alone implies fov."""
    probs = []
    data, hdr = float_input("oblique", 7)
    probs += resample_case("default_spacing", data, hdr,
                           ["--spacing", "0.07", "0.13", "0.22"],
                           (0.07, 0.13, 0.22), None, "center", 1)
    probs += resample_case("default_size", data, hdr, ["--size", "11", "27", "9"],
                           None, (11, 27, 9), "fov", 1)
    return probs


def case_identity(args, label):
    """Same spacing (or same size) -> bit-identical data and header geometry."""
    data, hdr = float_input("oblique", 11)
    inp, out = fresh(f"ident_{label}_in.nii.gz"), fresh(f"ident_{label}_out.nii.gz")
    write_nifti(inp, hdr, data)
    rc, so, se = run_respace([inp, out, "--quiet"] + args)
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
    probs = resample_case(f"fill_{np.dtype(dtype).name}_o{order}", data, hdr,
                          ["--x-spacing", "0.055", "--grid", "origin", "--order",
                           str(order)], t, None, "origin", order)
    s = np.linalg.norm(input_affine(read_raw_header(
        path(f"fill_{np.dtype(dtype).name}_o{order}_in.nii.gz")))[:3, :3], axis=0)
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
    return resample_case(kind, data, hdr, ["--spacing", "0.07", "0.13", "0.22"],
                         (0.07, 0.13, 0.22), None, "center", 1)


def case_int16(grid, order, req):
    g = GEOMS["oblique"]
    data = np.round(smooth_field(g["shape"], 21, -3000, 3000)).astype(np.int16)
    hdr = build_header(g["shape"], np.int16, g)
    args, t, size = REQUESTS[req](g["zooms"])
    return resample_case(f"int16_{grid}_o{order}_{req}", data, hdr,
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
    nties = int(np.sum(np.abs(ref - np.floor(ref)) == 0.5))
    if nties < 50 or not (ref[np.abs(ref - np.floor(ref)) == 0.5] < 0).any():
        probs.append(f"test design: too few exact ties ({nties})")
    return probs


def case_dtype(dtype, lo, hi):
    g = GEOMS["oblique"]
    f = smooth_field(g["shape"], 31, lo, hi)
    data = (np.round(f) if np.issubdtype(dtype, np.integer) else f).astype(dtype)
    hdr = build_header(g["shape"], dtype, g)
    return resample_case(f"dtype_{np.dtype(dtype).name}", data, hdr,
                         ["--spacing", "0.07", "0.13", "0.22"],
                         (0.07, 0.13, 0.22), None, "center", 1)


def case_4d():
    g = dict(GEOMS["oblique"], shape=(17, 15, 13))
    shape = g["shape"] + (3,)
    data = smooth_field(shape, 41, -40, 120).astype(np.float32)
    hdr = build_header(shape, np.float32, g)
    hdr["pixdim"][4] = 2.5
    probs = resample_case("4d", data, hdr, ["--spacing", "0.07", "0.13", "0.22"],
                          (0.07, 0.13, 0.22), None, "center", 1)
    oh = read_raw_header(path("4d_out.nii.gz")) if os.path.exists(
        path("4d_out.nii.gz")) else None
    if oh is not None:
        if int(oh["dim"][0]) != 4 or int(oh["dim"][4]) != 3:
            probs.append(f"dim {oh['dim'].tolist()} (expected dim[0]=4, dim[4]=3)")
        if float(oh["pixdim"][4]) != 2.5:
            probs.append(f"pixdim[4] {float(oh['pixdim'][4])} != 2.5")
    return probs


def case_header_fields():
    """descrip, intent_code, xyzt_units, cal_min/max, scl_slope/inter copied;
    scaled data (nibabel applies slope/inter) matches a reference computed on
    scaled input.  fov --size keeps every sample inside the field of view, so
    the (unspecified) fill value in scaled units does not matter here."""
    data, hdr = float_input("flipped", 51)
    hdr["descrip"] = b"respace conformance: keep me"
    hdr["intent_code"] = 1001  # NIFTI_INTENT_ESTIMATE
    hdr.set_xyzt_units("micron", "msec")
    hdr["cal_min"], hdr["cal_max"] = -12.5, 250.25
    hdr["scl_slope"], hdr["scl_inter"] = 2.0, 10.0
    probs = resample_case("hdrfields", data, hdr,
                          ["--size", "13", "31", "11", "--grid", "fov"],
                          None, (13, 31, 11), "fov", 1, check_scaled=True)
    out = path("hdrfields_out.nii.gz")
    if os.path.exists(out):
        oh = read_raw_header(out)
        for f in ("descrip", "intent_code", "xyzt_units", "cal_min", "cal_max",
                  "scl_slope", "scl_inter"):
            if np.asarray(oh[f]).tobytes() != np.asarray(hdr[f]).tobytes():
                probs.append(f"{f} not copied: {hdr[f]!r} -> {oh[f]!r}")
    return probs


def case_plain_nii():
    data, hdr = float_input("flipped", 61)
    return resample_case("plain", data, hdr, ["--x-spacing", "0.15"],
                         (0.15, None, None), None, "center", 1, out_ext=".nii")


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
        rc, so, se = run_respace([inp, out, "--quiet", "--spacing", "0.07",
                                  "0.13", "0.22"] + extra)
        if rc != 0:
            probs.append(f"{key}: exit {rc}; {tail(se)}")
            continue
        probs += [f"{key}: {p}" for p in check_file(out)]
        with gzip.open(out, "rb") as f:
            blobs[key] = f.read()
    for key, blob in blobs.items():
        if "base" in blobs and blob != blobs["base"]:
            probs.append(f"{key}: decompressed output differs from default run")
    return probs


def expect_failure(args, code, out, what):
    rc, so, se = run_respace(args)
    probs = []
    if rc != code:
        probs.append(f"{what}: exit {rc} (expected {code}); stderr: {tail(se)}")
    elif not se.strip():
        probs.append(f"{what}: no message on stderr")
    if out is not None and os.path.exists(out):
        probs.append(f"{what}: output file exists afterwards")
    return probs


def error_input(tag):
    data, hdr = float_input("oblique", 81)
    inp = fresh(f"err_{tag}_in.nii.gz")
    write_nifti(inp, hdr, data)
    return inp


REQ = ["--x-spacing", "0.15"]  # a valid request, so only the tested fault remains


def case_bad_order(order):
    """Orders other than 0/1 are a usage error (2) and create no output."""
    inp, out = error_input(f"order{order}"), fresh(f"err_order{order}.nii.gz")
    return expect_failure([inp, out, "--order", order] + REQ, 2, out,
                          f"--order {order}")


def case_bad_usage():
    inp, out = error_input("usage"), fresh("err_usage.nii.gz")
    return (expect_failure([inp, out, "--spacing", "0", "0.1", "0.1"], 2, out,
                           "--spacing 0 0.1 0.1") +
            expect_failure([], 2, None, "no arguments"))


def case_bad_input():
    """Unreadable input is 'invalid input' (3) and creates no output."""
    garbage = fresh("err_garbage.nii")
    with open(garbage, "wb") as f:
        f.write(b"this is not a nifti file" * 40)
    out = fresh("err_garbage_out.nii.gz")
    probs = expect_failure([garbage, out] + REQ, 3, out, "garbage input")
    out = fresh("err_missing_out.nii.gz")
    probs += expect_failure([path("does_not_exist.nii.gz"), out] + REQ, 3, out,
                            "missing input")
    return probs


def case_existing_output():
    """Existing output without --force: exit 4, file untouched; --force
    then overwrites it."""
    inp, out = error_input("exists"), fresh("err_exists.nii.gz")
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
    return probs


def case_memory_too_small():
    """(contract: exit 5) a 1K budget cannot hold even one input volume."""
    data, hdr = float_input("oblique", 91)
    inp, out = fresh("mem_in.nii.gz"), fresh("mem_out.nii.gz")
    write_nifti(inp, hdr, data)
    return expect_failure([inp, out, "--memory-limit", "1K", "--spacing",
                           "0.07", "0.13", "0.22"], 5, out, "--memory-limit 1K")


def all_cases():
    cases = grid_cases()
    cases += [
        ("defaults_center_linear_and_size_fov", case_defaults),
        ("identity_same_spacing",
         lambda: case_identity(["--spacing", "0.1", "0.1", "0.1"], "spacing")),
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
        ("int16_center_o1_mixed", lambda: case_int16("center", 1, "mixed")),
        ("int16_origin_o1_up2", lambda: case_int16("origin", 1, "up2")),
        ("int16_fov_o1_size", lambda: case_int16("fov", 1, "size")),
        ("int16_center_o0_mixed", lambda: case_int16("center", 0, "mixed")),
        ("int16_exact_half_ties", case_int16_exact_ties),
        ("dtype_uint8", lambda: case_dtype(np.uint8, 0, 255)),
        ("dtype_uint16", lambda: case_dtype(np.uint16, 0, 60000)),
        ("dtype_int32", lambda: case_dtype(np.int32, -100000, 100000)),
        ("dtype_float64", lambda: case_dtype(np.float64, -40.0, 120.0)),
        ("4d_three_volumes", case_4d),
        ("header_fields_and_scaling", case_header_fields),
        ("plain_nii_output", case_plain_nii),
        ("option_invariance", case_option_invariance),
        ("error_order_2", lambda: case_bad_order("2")),
        ("error_order_3", lambda: case_bad_order("3")),
        ("error_bad_usage", case_bad_usage),
        ("error_invalid_input", case_bad_input),
        ("error_existing_output_and_force", case_existing_output),
        ("memory_limit_too_small", case_memory_too_small),
    ]
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--respace", default="build/release/cli/respace")
    ap.add_argument("--workdir", default="/tmp/respace-conformance")
    ap.add_argument("--jobs", type=int, default=2, help="cases run in parallel")
    ap.add_argument("-k", dest="pattern", default="", help="only cases containing")
    opts = ap.parse_args()
    Ctx.respace = os.path.abspath(opts.respace)
    Ctx.workdir = os.path.abspath(opts.workdir)
    os.makedirs(Ctx.workdir, exist_ok=True)
    if not shutil.which("gzip"):
        print("SKIP: gzip not found")
        return 77
    if not os.access(Ctx.respace, os.X_OK):
        print(f"FAIL setup: respace binary not found at {Ctx.respace}")
        print("0 passed, 1 failed")
        return 1
    rc, so, se = run_respace(["--version"], timeout=60)
    if rc != 0:
        print(f"FAIL setup: '{Ctx.respace} --version' exited {rc}: {tail(se)}")
        print("0 passed, 1 failed")
        return 1

    cases = [c for c in all_cases() if opts.pattern in c[0]]

    def guarded(fn):
        try:
            return fn()
        except Exception as exc:  # a crash in a case is a failure of that case
            return [f"exception {type(exc).__name__}: {exc}"]

    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as pool:
        futures = [(name, pool.submit(guarded, fn)) for name, fn in cases]
        for name, fut in futures:
            probs = fut.result()
            if probs:
                failed += 1
                print(f"FAIL {name}: " + "; ".join(probs), flush=True)
            else:
                passed += 1
                print(f"ok {name}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
