# SPDX-License-Identifier: MIT
"""resample_nifti.py's Python function on respace: change one import,

    from resample_nifti import resample_nifti_spacing     # before
    from respace.compat import resample_nifti_spacing     # after

same arguments, same meaning (spacings in mm; an axis not named keeps its
spacing; ``new_spacing`` wins over the single axes), returns the resampled
image (nibabel, when importable; else respace's report dict). The numbers
are respace's: exact grid, antialiasing on strong shrinks; pass
``convention="scipy-zoom"`` to get the script's own numbers and header
(README, "Coming from ITK / scipy / resample_nifti.py"). Other keyword
arguments are respace options (``threads=``, ``memory_limit=``, ...)."""
from . import resample


def resample_nifti_spacing(input_path, output_path, new_spacing=None, new_x_spacing=None, new_y_spacing=None,
                           new_z_spacing=None, interpolation_order=1, verbose=True, **options):
    if "order" in options:  # the spelling as well as the script's
        interpolation_order = options.pop("order")
    if new_spacing is not None:
        if len(new_spacing) != 3:
            raise ValueError("new_spacing must be a tuple of 3 values (x, y, z)")
        options["spacing"] = tuple(float(s) for s in new_spacing)
    else:
        for key, value in (("x_spacing", new_x_spacing), ("y_spacing", new_y_spacing),
                           ("z_spacing", new_z_spacing)):
            if value is not None:
                options[key] = float(value)
    report = resample(input_path, output_path, order=interpolation_order, force=True, **options)
    if verbose:
        p = report["plan"]
        print(f"Resampled {input_path} -> {output_path}")
        print("  shape   " + " x ".join(map(str, p["dims_in"])) + " -> " + " x ".join(map(str, p["dims_out"])))
        print("  spacing " + " x ".join(f"{s:.4f}" for s in p["spacing_in_mm"]) + " mm -> " +
              " x ".join(f"{s:.4f}" for s in p["spacing_out_mm"]) + " mm")
    try:
        import nibabel as nib
    except ImportError:
        return report
    return nib.load(output_path)
