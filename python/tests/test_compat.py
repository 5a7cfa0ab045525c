# SPDX-License-Identifier: MIT
"""Every example of the seed README's "Python Script Usage" through
respace.compat, each output equal, byte for byte, to the command line's on
the same request."""
import pytest

from conftest import data_bytes, run_cli
from respace.compat import resample_nifti_spacing

EXAMPLES = [
    (dict(new_z_spacing=0.15), ["--z-spacing", "0.15"]),
    (dict(new_x_spacing=0.2, new_z_spacing=0.15), ["--x-spacing", "0.2", "--z-spacing", "0.15"]),
    (dict(new_x_spacing=0.15, new_y_spacing=0.15, new_z_spacing=0.2),
     ["--x-spacing", "0.15", "--y-spacing", "0.15", "--z-spacing", "0.2"]),
    (dict(new_spacing=(0.1, 0.1, 0.15)), ["--spacing", "0.1", "0.1", "0.15"]),
]


@pytest.mark.parametrize("kwargs,words", EXAMPLES)
def test_seed_examples_equal_the_cli(tmp_path, cli, make_volume, kwargs, words, capsys):
    src = make_volume(tmp_path / "input.nii.gz", 40, 36, 30)
    out = tmp_path / "output.nii.gz"
    img = resample_nifti_spacing(src, str(out), **kwargs)
    assert "Resampled" in capsys.readouterr().out  # verbose=True, as the script
    run_cli(cli, src, tmp_path / "cli.nii.gz", *words)
    assert data_bytes(out) == data_bytes(tmp_path / "cli.nii.gz")
    assert img.shape == tuple(__import__("nibabel").load(str(tmp_path / "cli.nii.gz")).shape)


def test_order_and_quiet(tmp_path, cli, make_volume, capsys):
    src = make_volume(tmp_path / "input.nii.gz", 40, 36, 30)
    resample_nifti_spacing(src, str(tmp_path / "o.nii.gz"), new_z_spacing=0.05, interpolation_order=3, verbose=False)
    assert capsys.readouterr().out == ""
    run_cli(cli, src, tmp_path / "cli.nii.gz", "--z-spacing", "0.05", "--order", "3")
    assert data_bytes(tmp_path / "o.nii.gz") == data_bytes(tmp_path / "cli.nii.gz")
    with pytest.raises(ValueError, match="3 values"):
        resample_nifti_spacing(src, str(tmp_path / "x.nii.gz"), new_spacing=(0.1, 0.2))
