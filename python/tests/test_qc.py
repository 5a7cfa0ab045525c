# SPDX-License-Identifier: MIT
"""--qc (and qc= from Python): the picture's size, and every panel's pixels
against the slices of the data themselves (read back with nibabel), mapped
by the rule the report documents (cli/qc.hpp)."""
import json
import subprocess

import matplotlib.image
import nibabel as nib
import numpy as np
import pytest

import respace


def mid_slices(path):
    img = nib.load(str(path))
    d = np.asarray(img.dataobj.get_unscaled(), dtype=np.float64)
    if d.ndim == 2:
        d = d[:, :, None]
    d = d[..., 0] if d.ndim == 4 else d
    nx, ny, nz = d.shape
    return {"axial": d[:, :, nz // 2], "coronal": d[:, ny // 2, :], "sagittal": d[nx // 2, :, :]}


def expected_panel(slice_ab, panel, mmpp, lo, hi):
    h, w = panel["h"], panel["w"]
    sa, sb = panel["spacing_mm"]
    u = np.arange(w)
    v = np.arange(h)
    i = np.minimum(slice_ab.shape[0] - 1, np.floor((u + 0.5) * mmpp / sa).astype(int))
    j = np.minimum(slice_ab.shape[1] - 1, np.floor((h - 1 - v + 0.5) * mmpp / sb).astype(int))
    vals = slice_ab[i[None, :], j[:, None]]
    return np.round(255 * np.clip((vals - lo) / (hi - lo), 0, 1))


def check_picture(qc, input_path, output_path):
    png = matplotlib.image.imread(qc["path"])
    assert png.shape[:2] == (qc["height"], qc["width"])
    grey = np.round(png[:, :, 0] * 255)
    lo, hi = qc["window"]
    slices = {"input": mid_slices(input_path), "output": mid_slices(output_path)}
    assert len(qc["panels"]) == 6
    for p in qc["panels"]:
        side, view = p["name"].split()
        data = slices[side][view]
        assert data.shape == (p["across"], p["up"]), p["name"]
        got = grey[p["y"]:p["y"] + p["h"], p["x"]:p["x"] + p["w"]]
        want = expected_panel(data, p, qc["mm_per_pixel"], lo, hi)
        assert np.max(np.abs(got - want)) <= 1, p["name"]
    return png


def test_cli_picture_matches_the_data(tmp_path, cli, make_volume):
    src = make_volume(tmp_path / "in.nii.gz", 60, 50, 40, "--datatype", "int16")
    out = tmp_path / "out.nii.gz"
    p = subprocess.run([cli, src, str(out), "--spacing", "0.25", "0.15", "0.3", "--qc", str(tmp_path / "qc.png"),
                        "--json"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    qc = report["qc"]
    assert [x["name"] for x in qc["panels"]] == ["input axial", "input coronal", "input sagittal", "output axial",
                                                 "output coronal", "output sagittal"]
    png = check_picture(qc, src, out)
    # one scale: the input's and the output's axial panels cover the same mm
    pin, pout = qc["panels"][0], qc["panels"][3]
    assert abs(pin["w"] - pout["w"]) <= 1
    # the slices count against the memory limit
    names = [b["name"] for b in report["plan"]["memory"]["buffers"]]
    assert "qc slices" in names
    assert png.shape[2] >= 3


def test_python_qc_and_arrays(tmp_path, make_volume):
    src = make_volume(tmp_path / "in.nii.gz", 40, 30, 20)
    r = respace.resample(src, tmp_path / "o.nii.gz", spacing=(0.2, 0.2, 0.2), qc=tmp_path / "p.png")
    check_picture(r["qc"], src, tmp_path / "o.nii.gz")
    with pytest.raises(respace.OutputError, match="exists"):
        respace.resample(src, tmp_path / "o2.nii.gz", spacing=(0.2, 0.2, 0.2), qc=tmp_path / "p.png")
    with pytest.raises(respace.UsageError, match=".png"):
        respace.resample(src, tmp_path / "o3.nii.gz", spacing=(0.2, 0.2, 0.2), qc=tmp_path / "p.jpg")


def test_labels_get_fixed_colours(tmp_path, make_volume):
    src = make_volume(tmp_path / "lab.nii.gz", 48, 40, 32, "--datatype", "uint16", "--pattern", "labels",
                      "--labels", "12")
    r = respace.resample(src, tmp_path / "o.nii.gz", spacing=(0.2, 0.2, 0.2), labels=True, qc=tmp_path / "l.png")
    assert r["qc"]["labels"]
    png = matplotlib.image.imread(r["qc"]["path"])
    p = r["qc"]["panels"][0]
    colours = {tuple(np.round(c * 255).astype(int)) for c in png[p["y"]:p["y"] + p["h"], p["x"]:p["x"] + p["w"], :3]
               .reshape(-1, 3)}
    labels = np.unique(mid_slices(src)["axial"])
    assert len(colours) == len(labels)
