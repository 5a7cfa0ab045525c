#!/usr/bin/env python3
"""Peer: the nibabel + scipy way (the seed resample_nifti.py's method).

    python3 nibabel_scipy.py IN OUT SX SY SZ

Loads the whole volume as float64, scipy.ndimage.zoom(order=1) by s/t per
axis, scales the affine's columns, saves in the input's datatype.
"""
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage

src, dst = sys.argv[1], sys.argv[2]
target = np.array([float(v) for v in sys.argv[3:6]])
img = nib.load(src)
data = img.get_fdata()
spacing = np.array(img.header.get_zooms()[:3], dtype=float)
zoom = spacing / target
out = ndimage.zoom(data, zoom, order=1)
affine = img.affine.copy()
affine[:3, :3] = img.affine[:3, :3] @ np.diag(1 / zoom)
hdr = img.header.copy()
hdr.set_data_shape(out.shape)
hdr.set_zooms(tuple(target))
res = nib.Nifti1Image(out.astype(img.get_data_dtype()), affine, hdr)
nib.save(res, dst)
