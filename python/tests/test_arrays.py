# SPDX-License-Identifier: MIT
"""resample_array against the command line on the same data: byte for byte
after the same type conversion, orders 0-3, 2-D and 3-D, C and Fortran
arrays; the input never copied; resample_img keeps the header."""
import numpy as np
import nibabel as nib
import pytest

import respace
from conftest import run_cli

RNG = np.random.default_rng(5)


def affine3(spacing=(0.7, 0.8, 0.9)):
    a = np.diag(list(spacing) + [1.0])
    a[:3, 3] = (-12.0, 4.5, 30.0)
    return a


def cli_on(tmp_path, cli, data, affine, words, name):
    src = tmp_path / f"{name}.nii"
    nib.save(nib.Nifti1Image(data, affine), str(src))
    out = tmp_path / f"{name}_out.nii"
    run_cli(cli, src, out, *words)
    return np.asarray(nib.load(str(out)).dataobj), nib.load(str(out)).affine


@pytest.mark.parametrize("order", [0, 1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.int16])
def test_fortran_3d_equals_the_cli(tmp_path, cli, order, dtype):
    a = np.asfortranarray((RNG.standard_normal((23, 19, 17)) * 300).astype(dtype))
    out, aff = respace.resample_array(a, affine3(), spacing=(0.5, 1.1, 1.3), order=order)
    ref, ref_aff = cli_on(tmp_path, cli, a, affine3(), ["--spacing", "0.5", "1.1", "1.3", "--order", order], "f")
    assert out.dtype == a.dtype and out.flags.f_contiguous
    assert out.shape == ref.shape
    assert out.tobytes(order="F") == ref.tobytes(order="F")
    np.testing.assert_allclose(aff, ref_aff, atol=1e-5)


@pytest.mark.parametrize("order", [0, 1, 2, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.int16])
def test_c_3d_equals_the_cli_on_the_same_bytes(tmp_path, cli, order, dtype):
    a = np.ascontiguousarray((RNG.standard_normal((23, 19, 17)) * 300).astype(dtype))
    A = affine3()
    out, aff = respace.resample_array(a, A, spacing=(0.5, 1.1, 1.3), order=order)
    assert out.flags.c_contiguous and out.dtype == a.dtype
    # The same bytes as NIfTI: a.T (Fortran), axes and affine columns reversed.
    At = A.copy()
    At[:, :3] = A[:, [2, 1, 0]]
    ref, _ = cli_on(tmp_path, cli, a.T, At, ["--spacing", "1.3", "1.1", "0.5", "--order", order], "t")
    assert out.T.shape == ref.shape
    assert out.T.tobytes(order="F") == ref.tobytes(order="F")
    # The command line on `a` itself: the same volume, passes summed in the
    # other order (float rounding at orders 1-3).
    same, same_aff = cli_on(tmp_path, cli, a, A, ["--spacing", "0.5", "1.1", "1.3", "--order", order], "a")
    assert same.shape == out.shape
    np.testing.assert_allclose(aff, same_aff, atol=1e-5)
    if order == 0 or dtype == np.int16:
        tol = 0 if order == 0 else 1  # an integer may round the other way
        assert np.max(np.abs(out.astype(np.float64) - same)) <= tol
    else:
        assert np.max(np.abs(out - same)) <= 1e-6 * float(np.ptp(a))


@pytest.mark.parametrize("order", [0, 1, 3])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_2d(tmp_path, cli, order, layout):
    a = (RNG.standard_normal((31, 22)) * 50).astype(np.float32)
    a = np.asfortranarray(a) if layout == "F" else np.ascontiguousarray(a)
    A = np.array([[0.5, 0, 3.0], [0, 0.6, -2.0], [0, 0, 1]])
    out, aff = respace.resample_array(a, A, spacing=(0.25, 1.3), order=order)
    assert out.ndim == 2 and out.shape == (62, 10)
    A4 = np.eye(4)
    A4[:2, :2], A4[:2, 3] = A[:2, :2], A[:2, 2]
    if layout == "F":
        ref, _ = cli_on(tmp_path, cli, a, A4, ["--x-spacing", "0.25", "--y-spacing", "1.3", "--order", order], "f2")
        assert out.tobytes(order="F") == ref.tobytes(order="F")
    else:
        At = A4.copy()
        At[:, :2] = A4[:, [1, 0]]
        ref, _ = cli_on(tmp_path, cli, a.T, At, ["--x-spacing", "1.3", "--y-spacing", "0.25", "--order", order], "t2")
        assert out.T.tobytes(order="F") == ref.tobytes(order="F")
    assert aff.shape == (4, 4) and aff[0, 0] == pytest.approx(0.25) and aff[1, 1] == pytest.approx(1.3)


def test_the_input_is_not_copied_and_is_untouched():
    a = np.asfortranarray(RNG.standard_normal((40, 30, 20)).astype(np.float32))
    before = a.copy()
    out, _ = respace.resample_array(a, np.eye(4), spacing=(2, 2, 2), threads=1)
    assert np.array_equal(a, before)
    # A view of another array: read in place (its base stays the only copy).
    big = np.asfortranarray(RNG.standard_normal((40, 30, 20)).astype(np.float32))
    view = big[:, :, :]
    assert view.base is big
    out2, _ = respace.resample_array(view, np.eye(4), spacing=(2, 2, 2), threads=1)
    assert out2.shape == out.shape


def test_bad_arrays_are_usage_errors():
    with pytest.raises(respace.UsageError, match="2-D or 3-D"):
        respace.resample_array(np.zeros(5, np.float32), np.eye(4), spacing=(1,))
    with pytest.raises(respace.UsageError, match="bool"):
        respace.resample_array(np.zeros((4, 4, 4), bool), np.eye(4), spacing=(2, 2, 2))
    with pytest.raises(respace.UsageError, match="3 values"):
        respace.resample_array(np.zeros((4, 4, 4), np.float32), np.eye(4), spacing=(2, 2))
    with pytest.raises(respace.UsageError, match="affine"):
        respace.resample_array(np.zeros((4, 4, 4), np.float32), np.eye(3), spacing=(2, 2, 2))
    with pytest.raises(respace.UsageError, match="cannot be combined with spacing="):
        respace.resample_array(np.zeros((4, 4, 4), np.float32), np.eye(4), spacing=(2, 2, 2), x_spacing=1)
    with pytest.raises(respace.UsageError, match="z_spacing= names an axis"):
        respace.resample_array(np.zeros((4, 4), np.float32), np.eye(3), z_spacing=2)
    with pytest.raises(respace.UsageError, match="32767"):
        respace.resample_array(np.zeros((40000, 2, 2), np.uint8), np.eye(4), spacing=(2, 2, 2))


def test_resample_img_keeps_the_header(tmp_path, cli):
    a = (RNG.standard_normal((20, 18, 16)) * 100).astype(np.int16)
    img = nib.Nifti1Image(a, affine3())
    img.header["descrip"] = b"respace test"
    img.header.set_intent("estimate", name="T1w")
    src = tmp_path / "img.nii"
    nib.save(img, str(src))
    out = respace.resample_img(nib.load(str(src)), spacing=(1.4, 1.6, 1.8), order=1)
    run_cli(cli, src, tmp_path / "cli.nii", "--spacing", "1.4", "1.6", "1.8")
    ref = nib.load(str(tmp_path / "cli.nii"))
    assert np.array_equal(np.asarray(out.dataobj), np.asarray(ref.dataobj))
    for key in ("descrip", "intent_code", "intent_name", "pixdim", "qform_code", "sform_code", "srow_x",
                "datatype"):
        assert np.array_equal(out.header[key], ref.header[key]), key
    np.testing.assert_allclose(out.affine, ref.affine)


def test_single_axis_options_follow_the_array_axes():
    a = np.ascontiguousarray(RNG.standard_normal((20, 18, 16)).astype(np.float32))
    for arr in (a, np.asfortranarray(a)):
        out, aff = respace.resample_array(arr, np.eye(4), z_spacing=2, x_spacing=0.5, size=None)
        assert out.shape == (40, 18, 8)
        np.testing.assert_allclose(np.diag(aff)[:3], [0.5, 1, 2])
