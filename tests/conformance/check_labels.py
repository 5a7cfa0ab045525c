#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--labels (issue 15) against independent numpy/scipy references.

    /usr/bin/python3 tests/conformance/check_labels.py \\
        --respace build/release/cli/respace --workdir /tmp/respace-labels

GenericLabel[Linear] (ITK's GenericLabelInterpolator with a linear kernel)
is "interpolate each label's indicator, take the largest, ties to the
lowest label". The reference does exactly that, label by label, with
scipy.ndimage.map_coordinates(order=1, mode=the boundary's) at the
contract's sample positions; with --antialias gauss each indicator is first
gaussian_filter'ed (sigma = sqrt((k^2-1)/(8 ln 2)), truncate 4); with box,
the footprint mode: the label covering most of the output voxel's
footprint, from the definition. Expected: the same label at every voxel,
except where the reference's two best weights are within 1e-9 but not
1e-13 (a near tie that rounding decides; either label is accepted there,
counted and printed). Ties (within 1e-13) must go to the lowest label: a checkerboard of two labels shrunk 2x (every footprint half
and half) must come out all the lower one.
On the general path (a 10-degree turn), the same label by label with
affine_transform(order=1). Also: IDs above 2^24 (uint32) and 2^53 (uint64)
and negative (int16) kept exactly; the header's label intent turns the vote
on; orders 2-3, --datatype, a fractional --fill and a filter on the general
path refused; the bytes independent of --threads and block depth.

Prints one line per case, then "N passed, N failed"; exit 1 on a failure
or when numpy / scipy / nibabel are missing.
"""
import os
import sys

try:
    import numpy as np
    from scipy import ndimage
    import nibabel as nib
except ImportError as exc:  # pragma: no cover - environment dependent
    import require
    require.missing(exc.name or str(exc))

from conformance_util import conformance_main, footprint_mean, run_respace, tail, path, read_bytes  # noqa: E402

SHAPE = (30, 28, 26)
MODES = {"nearest": "nearest", "mirror": "mirror", "reflect": "reflect", "constant": "grid-constant"}
FILTER_MODES = {"nearest": "nearest", "mirror": "mirror", "reflect": "reflect", "constant": "constant"}


def label_volume(nlabels, seed, dtype=np.uint32, offset=0, scale=1):
    """Blobs of NLABELS labels (regions of about 5 voxels), value
    offset + scale * index."""
    rng = np.random.default_rng(seed)
    cell = 4.3 if nlabels < 500 else 2.2  # enough cells for every label to appear
    seeds = rng.integers(0, nlabels, size=tuple(int(s / cell) + 2 for s in SHAPE))
    idx = ndimage.zoom(seeds, cell, order=0)[:SHAPE[0], :SHAPE[1], :SHAPE[2]]
    # a few lone voxels of other labels: thin structures the vote must weigh
    flat = idx.reshape(-1)
    flat[rng.choice(flat.size, flat.size // 50, replace=False)] = rng.integers(0, nlabels, flat.size // 50)
    if np.issubdtype(dtype, np.floating):
        return (offset + scale * idx).astype(dtype)
    return np.array(offset, dtype=dtype) + np.array(scale, dtype=dtype) * idx.astype(dtype)


def write(name, data, intent=None):
    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(data.dtype)
    img = nib.Nifti1Image(data, np.diag([1.0, 1.0, 1.0, 1.0]), header=hdr)
    if intent:
        img.header.set_intent(intent)
    p = path(name)
    nib.save(img, p)
    return p


def positions(n, m, grid):
    """Sample positions of --grid fov or center (k = n/m, or t/s)."""
    if grid == "fov":
        r = n / m
        return -0.5 + r / 2 + np.arange(m) * r
    raise ValueError(grid)


def reference(vol, out_shape, boundary="nearest", fill=0, antialias="off"):
    """GenericLabel: each label's indicator interpolated (order 1), the
    largest, ties to the lowest; gauss: indicators smoothed first; box: the
    footprint mode. Returns (labels, near-tie mask)."""
    pos = [positions(vol.shape[a], out_shape[a], "fov") for a in range(3)]
    labels = np.unique(vol)
    if boundary == "constant" and fill not in labels:
        labels = np.sort(np.append(labels, np.array(fill, dtype=vol.dtype)))
    scores = []
    for lab in labels:
        ind = (vol == lab).astype(np.float64)
        cval = 1.0 if (boundary == "constant" and lab == fill) else 0.0
        if antialias == "box":
            s = ind
            for a in range(3):
                s = footprint_mean(s, a, pos[a], vol.shape[a] / out_shape[a], boundary, cval)
        else:
            if antialias == "gauss":
                k = [vol.shape[a] / out_shape[a] for a in range(3)]
                sig = [np.sqrt((x * x - 1) / (8 * np.log(2))) if x > 1 else 0.0 for x in k]
                ind = ndimage.gaussian_filter(ind, sig, mode=FILTER_MODES[boundary], cval=cval, truncate=4.0)
            coords = np.array(np.meshgrid(*pos, indexing="ij"))
            s = ndimage.map_coordinates(ind, coords, order=1, mode=MODES[boundary], cval=cval, prefilter=False)
        scores.append(s)
    scores = np.stack(scores)
    top = scores.max(axis=0)
    # Ties: sums equal up to rounding (1e-13) go to the lowest label; the
    # voxels whose best two are merely close (1e-9) accept either label.
    tied = scores >= top - 1e-13
    best = labels[np.argmax(tied, axis=0)]  # the first (lowest) tied label
    close = scores >= top - 1e-9
    near = close.sum(axis=0) > tied.sum(axis=0)
    return best, (near, close, labels)


def resample(name, vol, size, extra=(), intent=None):
    inp = write(f"{name}_in.nii.gz", vol, intent)
    out = path(f"{name}_out.nii.gz")
    rc, so, se = run_respace([inp, out, "--size", *map(str, size), "--grid", "fov", "--force", "--quiet", *extra])
    if rc != 0:
        return None, [f"exit {rc}: {tail(se)}"]
    img = nib.load(out)
    got = np.asanyarray(img.dataobj)
    probs = []
    if got.dtype != vol.dtype:
        probs.append(f"dtype {got.dtype} != {vol.dtype}")
    if int(img.header["intent_code"]) != int(nib.load(inp).header["intent_code"]):
        probs.append("the intent was not kept")
    return got, probs


def compare(got, ref, near, label):
    near, close, labels = near
    # Where two labels are merely close, either is right.
    index = {lab: i for i, lab in enumerate(labels.tolist())}
    got_i = np.vectorize(lambda v: index.get(v, -1))(got)
    in_close = np.take_along_axis(close, np.maximum(got_i, 0)[None], axis=0)[0] & (got_i >= 0)
    bad = (got != ref) & ~(near & in_close)
    if bad.any():
        w = tuple(np.argwhere(bad)[0])
        return [f"{label}: {int(bad.sum())} of {bad.size} voxels differ from the reference; first {list(w)}: "
                f"got {got[w]} expected {ref[w]}"]
    return []


def case_generic(nlabels, size, antialias="off", boundary="nearest", fill=0):
    vol = label_volume(nlabels, 10 + nlabels)
    extra = ["--labels", "--antialias", antialias, "--boundary", boundary, "--fill", str(fill)]
    got, probs = resample(f"gl_{nlabels}_{'x'.join(map(str, size))}_{antialias}_{boundary}", vol, size, extra)
    if got is None:
        return probs
    ref, near = reference(vol, size, boundary, fill, antialias)
    probs += compare(got, ref, near, "labels")
    lost = len(set(np.unique(vol)) - set(np.unique(got)))
    return probs, f"{len(np.unique(vol))} labels, {lost} lost, {int(near[0].sum())} voxels with two close labels"


def case_rotation(nlabels, boundary="nearest"):
    """The general path: a 10-degree turn about z (and a shift): per label,
    affine_transform(indicator, order=1) at the same voxel map, argmax,
    ties to the lowest; outside the field of view the fill label 0."""
    vol = label_volume(nlabels, 30 + nlabels)
    inp = write(f"rot_{nlabels}_{boundary}_in.nii.gz", vol)
    t = np.radians(10)
    c = (np.array(SHAPE) - 1) / 2
    R = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    W = np.eye(4)
    W[:3, :3] = R
    W[:3, 3] = c - R @ c + np.array([0.3, -0.2, 0.1])
    np.savetxt(path("rot.txt"), W)
    out = path(f"rot_{nlabels}_{boundary}_out.nii.gz")
    rc, so, se = run_respace([inp, out, "--affine", path("rot.txt"), "--labels", "--boundary", boundary,
                              "--force", "--quiet"])
    if rc != 0:
        return [f"exit {rc}: {tail(se)}"]
    got = np.asanyarray(nib.load(out).dataobj)
    labels = np.unique(vol)
    scores = np.stack([ndimage.affine_transform((vol == lab).astype(np.float64), W[:3, :3], W[:3, 3],
                                                output_shape=SHAPE, order=1, mode=MODES[boundary], cval=0.0,
                                                prefilter=False) for lab in labels])
    top = scores.max(axis=0)
    tied = scores >= top - 1e-13
    ref = labels[np.argmax(tied, axis=0)]
    p = np.indices(SHAPE).reshape(3, -1).astype(np.float64)
    p = (W[:3, :3] @ p + W[:3, 3:4]).reshape((3,) + SHAPE)
    inside = np.all((p >= -0.5) & (p <= np.array(SHAPE, float).reshape(3, 1, 1, 1) - 0.5), axis=0)
    edge = np.any(np.abs(p + 0.5) < 1e-9, axis=0) | np.any(np.abs(p - (np.array(SHAPE, float).reshape(3, 1, 1, 1) - 0.5)) < 1e-9, axis=0)
    ref = np.where(inside, ref, 0)
    close = scores >= top - 1e-9
    near = close.sum(axis=0) > tied.sum(axis=0)
    probs = compare(got, ref, (near | edge, close | edge[None], labels), "rotation")
    return probs, f"{len(labels)} labels, {int(inside.sum())} voxels in the field of view"


def case_counts():
    """--json's labels: how many in and out, which lost, and each label's
    volume in and out (mm3), against numpy's counts of the two files."""
    import json
    vol = label_volume(1000, 44)
    inp = write("counts_in.nii.gz", vol)
    out = path("counts_out.nii.gz")
    rc, so, se = run_respace([inp, out, "--size", "12", "11", "10", "--grid", "fov", "--labels", "--force", "--json"])
    if rc != 0:
        return [f"exit {rc}: {tail(se)}"]
    lab = json.loads(so).get("labels", {})
    img = nib.load(out)
    got = np.asanyarray(img.dataobj)
    out_voxel = float(np.prod(img.header.get_zooms()[:3]))
    ui, ci = np.unique(vol, return_counts=True)
    uo, co = np.unique(got, return_counts=True)
    probs = []
    if lab.get("in") != len(ui) or lab.get("out") != len(uo) or lab.get("complete") is not True:
        probs.append(f"in {lab.get('in')} out {lab.get('out')}, expected {len(ui)} and {len(uo)}")
    if sorted(lab.get("lost", [])) != sorted(int(x) for x in set(ui.tolist()) - set(uo.tolist())):
        probs.append("lost labels differ")
    vin, vout = dict(zip(ui.tolist(), ci.tolist())), dict(zip(uo.tolist(), co.tolist()))
    for e in lab.get("volume_mm3", []):
        if abs(e["in"] - vin.get(e["label"], 0) * 1.0) > 1e-6 or \
                abs(e["out"] - vout.get(e["label"], 0) * out_voxel) > 1e-6 * max(1.0, e["out"]):
            probs.append(f"label {e['label']}: volume {e['in']}/{e['out']} mm3, expected "
                         f"{vin.get(e['label'], 0)}/{vout.get(e['label'], 0) * out_voxel}")
            break
    return probs, f"{len(ui)} in, {len(uo)} out, {len(lab.get('lost', []))} lost"


def case_exact_ties():
    """Two labels in a checkerboard, shrunk 2x on --grid fov: every linear
    footprint and every box is half one, half the other: the lower wins."""
    x, y, z = np.indices((16, 14, 12))
    vol = np.where((x + y + z) % 2 == 0, 9, 4).astype(np.uint8)
    probs = []
    for aa in ("off", "box"):
        got, p = resample(f"ties_{aa}", vol, (8, 7, 6), ["--labels", "--antialias", aa])
        probs += p
        if got is not None and not (got == 4).all():
            probs.append(f"{aa}: {int((got != 4).sum())} voxels not the lower label")
    return probs


def case_ids(dtype, offset, scale):
    """IDs that float32 (2^24) or float64 (2^53) would corrupt, kept."""
    vol = label_volume(12, 5, dtype, offset, scale)
    size = (20, 18, 17)
    got, probs = resample(f"ids_{np.dtype(dtype).name}", vol, size, ["--labels"])
    if got is None:
        return probs
    ref, near = reference(vol, size)
    probs += compare(got, ref, near, np.dtype(dtype).name)
    if not set(np.unique(got)) <= set(np.unique(vol)):
        probs.append(f"output values not in the input: {sorted(set(np.unique(got)) - set(np.unique(vol)))[:3]}")
    return probs, f"max ID {int(got.max())} kept"


def case_intent():
    """A label-intent header votes without --labels; --no-labels resamples
    values (the report says which)."""
    vol = label_volume(6, 3, np.uint16, 100, 50)
    inp = write("intent_in.nii.gz", vol, intent="label")
    probs = []
    rc, so, se = run_respace([inp, path("intent_out.nii.gz"), "--size", "13", "12", "11", "--grid", "fov",
                              "--force", "--dry-run"])
    if rc != 0 or "the header's intent is label" not in so:
        probs.append(f"label intent not voted: exit {rc}; {tail(so + se)}")
    rc, so, se = run_respace([inp, path("intent_values.nii.gz"), "--size", "13", "12", "11", "--grid", "fov",
                              "--force", "--quiet", "--no-labels"])
    got = np.asanyarray(nib.load(path("intent_values.nii.gz")).dataobj) if rc == 0 else None
    if got is None or set(np.unique(got)) <= set(np.unique(vol)):
        probs.append("--no-labels did not interpolate values")
    return probs


def case_refused():
    vol = label_volume(4, 1)
    inp = write("refused_in.nii.gz", vol)
    probs = []
    for extra, want in ((["--order", "3"], "non-negative"), (["--order", "2"], "non-negative"),
                        (["--datatype", "float32"], "keeps the input's type"),
                        (["--fill", "2.5"], "must be a label")):
        rc, so, se = run_respace([inp, path("refused_out.nii"), "--size", "10", "10", "10", "--labels", *extra])
        if rc != 2 or want not in se or os.path.exists(path("refused_out.nii")):
            probs.append(f"{extra}: exit {rc} (expected 2 and '{want}'): {tail(se)}")
    with open(path("turn.txt"), "w") as f:
        f.write("0.9 -0.1 0 0\n0.1 0.9 0 0\n0 0 1 0\n0 0 0 1\n")
    rc, so, se = run_respace([inp, path("refused_out.nii"), "--affine", path("turn.txt"), "--labels",
                              "--antialias", "gauss"])
    if rc != 2 or "general path" not in se:
        probs.append(f"general path with --antialias gauss: exit {rc}: {tail(se)}")
    return probs


def case_invariance():
    vol = label_volume(50, 7)
    blobs = {}
    probs = []
    for key, extra in {"b1": ["--block-planes", "1"], "t1": ["--threads", "1"], "t3": ["--threads", "3"],
                       "default": []}.items():
        got, p = resample(f"inv_{key}", vol, (11, 10, 9), ["--labels", "--antialias", "gauss", *extra])
        probs += [f"{key}: {x}" for x in p]
        if got is not None:
            blobs[key] = read_bytes(path(f"inv_{key}_out.nii.gz"))
    probs += [f"{k}: output differs from --block-planes 1" for k, b in blobs.items() if b != blobs.get("b1")]
    return probs


def all_cases():
    cases = []
    for nlabels in (2, 50, 1000):
        for size in ((45, 42, 39), (12, 11, 10), (8, 7, 7)):  # up 1.5x, down 2.5x, down ~4x
            cases.append((f"generic_linear_{nlabels}_labels_{'x'.join(map(str, size))}",
                          lambda n=nlabels, s=size: case_generic(n, s)))
    cases += [
        ("gauss_vote_50_labels_down4", lambda: case_generic(50, (8, 7, 7), "gauss")),
        ("gauss_vote_1000_labels_down2.5", lambda: case_generic(1000, (12, 11, 10), "gauss")),
        ("box_mode_50_labels_down2", lambda: case_generic(50, (15, 14, 13), "box")),
        ("box_mode_50_labels_down3", lambda: case_generic(50, (10, 9, 8), "box")),
        ("constant_boundary_fill_label", lambda: case_generic(50, (12, 11, 10), "off", "constant", 7)),
        ("mirror_boundary_down4", lambda: case_generic(50, (8, 7, 7), "off", "mirror")),
        ("exact_ties_go_to_the_lowest_label", case_exact_ties),
        ("json_label_counts_and_volumes", case_counts),
        ("rotation_50_labels", lambda: case_rotation(50)),
        ("rotation_1000_labels_mirror", lambda: case_rotation(1000, "mirror")),
        ("ids_uint32_above_2^24", lambda: case_ids(np.uint32, 614454277, 3)),
        ("ids_uint64_above_2^53", lambda: case_ids(np.uint64, 2**53 + 1, 2)),
        ("ids_int16_negative", lambda: case_ids(np.int16, -300, 7)),
        ("ids_float32_integral", lambda: case_ids(np.float32, 1, 1)),
        ("label_intent_votes_no_labels_interpolates", case_intent),
        ("refused_orders_datatype_fill_general_path", case_refused),
        ("threads_and_blocks_give_the_same_bytes", case_invariance),
    ]
    return cases


def main():
    return conformance_main(__doc__, "/tmp/respace-labels", all_cases)


if __name__ == "__main__":
    sys.exit(main())
