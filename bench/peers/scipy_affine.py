#!/usr/bin/env python3
"""The nibabel + scipy way of applying a world transform: load the whole
volume, map output voxels to input voxels with V = A^-1 W A, and call
scipy.ndimage.affine_transform (the peer of respace --affine, bench/affine.sh).

    scipy_affine.py IN OUT W.txt ORDER
"""
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage


def main():
    inp, out, wfile, order = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    img = nib.load(inp)
    A = img.affine
    V = np.linalg.inv(A) @ np.loadtxt(wfile) @ A
    data = np.asanyarray(img.dataobj)
    res = ndimage.affine_transform(data, V, order=order,
                                   mode="nearest" if order <= 1 else "mirror",
                                   output=np.float32)
    nib.save(nib.Nifti1Image(res, A, img.header), out)


if __name__ == "__main__":
    main()
