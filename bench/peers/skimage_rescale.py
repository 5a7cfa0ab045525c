#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The scikit-image peer of bench/antialias_speed.sh: load the whole volume
with nibabel, rescale(1/k, order=1, anti_aliasing=True), save as .nii.gz
with the voxel size scaled by k.

    python3 skimage_rescale.py IN OUT K
"""
import sys

import nibabel as nib
import numpy as np
from skimage.transform import rescale


def main():
    src, dst, k = sys.argv[1], sys.argv[2], float(sys.argv[3])
    img = nib.load(src)
    vol = np.asanyarray(img.dataobj, dtype=np.float32)
    out = rescale(vol, 1.0 / k, order=1, anti_aliasing=True, preserve_range=True).astype(np.float32)
    affine = img.affine.copy()
    affine[:3, :3] *= k
    nib.save(nib.Nifti1Image(out, affine), dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
