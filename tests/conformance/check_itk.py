#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""--convention itk against ITK 5's ResampleImageFilter (issue 16).

The reference is tests/conformance/itk/itk_reference (built from Debian's
libinsighttoolkit5-dev, which scripts/setup.sh installs): the ITK recipe
with output origin = input origin, direction kept, the target spacing,
default value 0 and the size round(n * s / t + 0.5), or a size given with
the spacing. Cases: the seed recipe (0.791 x 0.791 x 1 mm -> 2 mm) and 2x
upsampling (1 -> 0.5 mm, where ITK's half-open field of view decides the
last plane), float32 and int16, orders 0-3. Values within 1e-6 of the
input's range for float32, exactly equal for int16 (ITK truncates toward
zero), except, for B-splines, voxels where ITK's own double result lies
within 1e-6 of an integer: there ITK's rounding noise decides its cast
(itk_reference --real shows the value) and respace writes the integer.
Dims, spacing and affine as ITK writes them.

  python3 tests/conformance/check_itk.py --respace build/release/cli/respace \\
      --itk build/release/tests/conformance/itk/itk_reference
"""
import os
import subprocess
import sys

import require

try:
    import numpy as np
    import nibabel as nib
    from scipy import ndimage
except ImportError as exc:
    require.missing(f"python3 module {exc.name}")

from conformance_util import Ctx, fresh_dir, run_respace, tail, run_cases, start

ITK = None


def make_input(folder, name, shape, spacing, dtype, seed):
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal(shape), 2.0)
    field = (field - field.min()) / (field.max() - field.min())
    field[shape[0] // 3: shape[0] // 2, :, shape[2] // 4:] += 0.5  # a sharp step
    vol = (field * 3000 - 800).astype(np.float64)
    data = np.round(vol).astype(np.int16) if dtype == "int16" else vol.astype(np.float32)
    aff = np.diag(list(spacing) + [1.0])
    aff[:3, 3] = (-51.3, -40.25, -30.5)
    img = nib.Nifti1Image(data, aff)
    img.set_qform(aff, code=1)
    img.set_sform(aff, code=1)
    p = os.path.join(folder, name)
    nib.save(img, p)
    return p, data


def case(shape, spacing, target, dtype, order, size=None):
    def run():
        d = fresh_dir(f"itk_{dtype}_o{order}_{'x'.join(map(str, shape))}_{target}{'_size' if size else ''}")
        src, data = make_input(d, "in.nii", shape, spacing, dtype, seed=order + 7 * len(shape))
        ref = os.path.join(d, "itk.nii")
        out = os.path.join(d, "respace.nii")
        cmd = [ITK, src, ref, str(order)] + [str(target)] * 3 + ([str(s) for s in size] if size else [])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            return [f"itk_reference exited {p.returncode}: {tail(p.stderr)}"]
        args = [src, out, "--convention", "itk", "--spacing"] + [str(target)] * 3 + ["--order", str(order)]
        if size:
            args += ["--size"] + [str(s) for s in size]
        rc, so, se = run_respace(args)
        if rc != 0:
            return [f"respace exited {rc}: {tail(se)}"]
        a, b = nib.load(ref), nib.load(out)
        probs = []
        if a.shape != b.shape:
            return [f"shape {b.shape}, ITK {a.shape}"]
        if a.get_data_dtype() != b.get_data_dtype():
            probs.append(f"type {b.get_data_dtype()}, ITK {a.get_data_dtype()}")
        if not np.allclose(a.affine, b.affine, atol=1e-5):
            probs.append(f"affine\n{b.affine}\nITK\n{a.affine}")
        if not np.allclose(a.header.get_zooms()[:3], b.header.get_zooms()[:3], rtol=1e-6):
            probs.append(f"pixdim {b.header.get_zooms()[:3]}, ITK {a.header.get_zooms()[:3]}")
        x, y = np.asarray(a.dataobj), np.asarray(b.dataobj)
        rng = float(data.max()) - float(data.min())
        if dtype == "int16":
            # ITK casts its double result toward zero. Where that result is
            # within 1e-6 of an integer, ITK's own rounding noise (and its
            # prefilter's 1e-10 horizon) picks the side: B-splines at sample
            # points give 1673.9999999 or 1674.0000001 for 1674. There
            # respace's result may be the integer itself; everywhere else
            # they must be equal.
            differ = x != y
            noise = 0
            if order >= 2 and differ.any():
                real = os.path.join(d, "itk_real.nii")
                p = subprocess.run(cmd[:2] + [real] + cmd[3:] + ["--real"], capture_output=True, text=True,
                                   timeout=300)
                if p.returncode != 0:
                    return [f"itk_reference --real exited {p.returncode}: {tail(p.stderr)}"]
                v = np.asarray(nib.load(real).dataobj)
                near = np.abs(v - np.round(v)) < 1e-6
                noise = int(np.count_nonzero(differ & near & (y.astype(np.float64) == np.round(v))))
                differ &= ~(near & (y.astype(np.float64) == np.round(v)))
            diff = int(np.count_nonzero(differ))
            if diff:
                i = tuple(np.argwhere(differ)[0])
                probs.append(f"{diff} of {x.size} int16 voxels differ (first at {i}: {y[i]}, ITK {x[i]})")
            summary = f"{'x'.join(map(str, b.shape))}, int16 equal" + (
                f" but for {noise} voxels where ITK's value is within 1e-6 of the integer respace writes"
                if noise else "")
        else:
            err = float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))) / rng
            if err > 1e-6:
                i = np.unravel_index(np.argmax(np.abs(x.astype(np.float64) - y)), x.shape)
                probs.append(f"max |diff| {err:.3g} of the range at {i}: {y[i]}, ITK {x[i]}")
            summary = f"{'x'.join(map(str, b.shape))}, max diff {err:.2g} of the range"
        return probs, summary
    return run


def cases():
    out = []
    for dtype in ("float32", "int16"):
        for order in (0, 1, 2, 3):
            # the seed recipe: 0.791 x 0.791 x 1 mm -> 2 mm, ITK's size rule
            out.append((f"recipe_{dtype}_order{order}", case((130, 129, 98), (0.791, 0.791, 1.0), 2, dtype, order)))
        for order in (1, 3):
            # 2x upsampling: ITK's size rule (one plane past the input) and a
            # size given with the spacing (the last plane at n - 0.5)
            out.append((f"up2_{dtype}_order{order}", case((40, 36, 30), (1.0, 1.0, 1.0), 0.5, dtype, order)))
            out.append((f"up2_size_{dtype}_order{order}",
                        case((40, 36, 30), (1.0, 1.0, 1.0), 0.5, dtype, order, size=(80, 72, 60))))
    return out


def main():
    global ITK
    itk_arg = None
    if "--itk" in sys.argv:
        i = sys.argv.index("--itk")
        itk_arg = sys.argv[i + 1]
        del sys.argv[i:i + 2]
    opts, code = start(__doc__.split("\n")[0], "itk_work")
    if opts is None:
        return code
    if not itk_arg or not os.access(itk_arg, os.X_OK):
        print(f"FAIL setup: the ITK reference program is missing ({itk_arg}); it is built when Debian's "
              "libinsighttoolkit5-dev is installed (scripts/setup.sh installs it)")
        print("0 passed, 1 failed")
        return 1
    ITK = os.path.abspath(itk_arg)
    passed, failed = run_cases(cases(), opts)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
