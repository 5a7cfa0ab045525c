#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The one-indicator-per-label peer of bench/labels.sh (what ITK's
GenericLabelInterpolator does): load the whole label map with nibabel,
interpolate each label's indicator (map_coordinates, order 1) at the --grid
fov positions of a k-times coarser grid, keep the label with the largest
value (ties to the lowest), save as .nii.gz.

    python3 scipy_labels.py IN OUT K
"""
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage


def main():
    src, dst, k = sys.argv[1], sys.argv[2], float(sys.argv[3])
    img = nib.load(src)
    vol = np.asanyarray(img.dataobj)
    shape = tuple(max(1, int(np.floor(n / k + 0.5))) for n in vol.shape)
    pos = [-0.5 + (n / m) / 2 + np.arange(m) * (n / m) for n, m in zip(vol.shape, shape)]
    coords = np.array(np.meshgrid(*pos, indexing="ij"))
    best = np.full(shape, -1.0)
    out = np.zeros(shape, vol.dtype)
    for lab in np.unique(vol):  # ascending: a later label must beat, not tie
        s = ndimage.map_coordinates((vol == lab).astype(np.float32), coords, order=1, mode="nearest")
        win = s > best
        out[win] = lab
        best[win] = s[win]
    affine = img.affine.copy()
    affine[:3, :3] *= k
    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(vol.dtype)
    nib.save(nib.Nifti1Image(out, affine, header=hdr), dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
