# SPDX-License-Identifier: MIT
"""Crafted NIfTI files for the hostile-input corpus: a valid header made by
nibabel, then any raw field overwritten without nibabel's checks, optional
raw extension bytes, and data that may be absent, sparse or gzipped (also as
repeated gzip members, so a huge stream costs little to make)."""
import gzip
import struct
import zlib

import numpy as np
import nibabel as nib


def header(shape=(4, 4, 4), dtype=np.int16, version=1, zooms=None):
    h = (nib.Nifti1Header if version == 1 else nib.Nifti2Header)()
    h.set_data_dtype(dtype)
    h.set_data_shape(shape)
    h.set_zooms(zooms or (1.0,) * len(shape))
    return h


def raw(h, **fields):
    """H's 348/540 bytes with FIELDS written into the struct as they are."""
    sa = h.structarr.copy()
    for k, v in fields.items():
        sa[k] = v
    return sa.tobytes()


def ext_block(esize, ecode, payload_len=None, fill=b"\0"):
    """One extension: esize and ecode as given, then PAYLOAD_LEN bytes
    (esize - 8 unless told)."""
    n = esize - 8 if payload_len is None else payload_len
    return struct.pack("<ii", esize, ecode) + fill * max(0, n)


def nifti(shape=(4, 4, 4), dtype=np.int16, version=1, exts=b"", extender=None,
          vox_offset=None, data=None, **fields):
    """A whole single-file NIfTI as bytes. EXTS follow an extender (1 when
    EXTS is not empty, else 0, unless EXTENDER says); vox_offset defaults to
    the end of the extensions; DATA defaults to zeros of the shape."""
    h = header(shape, dtype, version)
    hsize = 348 if version == 1 else 540
    ext = bytes([1 if exts else 0, 0, 0, 0]) if extender is None else bytes(extender)
    off = hsize + len(ext) + len(exts) if vox_offset is None else vox_offset
    head = raw(h, vox_offset=off, **fields)
    if data is None:
        data = np.zeros(shape, dtype).tobytes()
    pad = b""
    if isinstance(off, (int, float)) and np.isfinite(off) and off > hsize + len(ext) + len(exts):
        pad = b"\0" * int(off - hsize - len(ext) - len(exts))
    return head + ext + exts + pad + data


def write(path, blob, gz=False):
    with open(path, "wb") as f:
        f.write(gzip.compress(blob, 1) if gz else blob)
    return path


def gzip_member(blob, level=1):
    return gzip.compress(blob, level)


def write_members(path, first, repeated, count, last=b""):
    """A gzip file of members: FIRST, REPEATED COUNT times, then LAST (each
    already a whole gzip member)."""
    with open(path, "wb") as f:
        f.write(first)
        for _ in range(count):
            f.write(repeated)
        if last:
            f.write(last)
    return path


def gzip_with_bad_header_crc(blob):
    """A gzip member with FHCRC set and a wrong header CRC16."""
    deflated = zlib.compressobj(1, zlib.DEFLATED, -15)
    body = deflated.compress(blob) + deflated.flush()
    head = bytes([0x1F, 0x8B, 8, 0x02, 0, 0, 0, 0, 0, 3])
    crc16 = (zlib.crc32(head) & 0xFFFF) ^ 0x5A5A
    trailer = struct.pack("<II", zlib.crc32(blob) & 0xFFFFFFFF, len(blob) & 0xFFFFFFFF)
    return head + struct.pack("<H", crc16) + body + trailer


def gzip_with_bad_method(blob):
    g = bytearray(gzip.compress(blob, 1))
    g[2] = 7  # CM: only 8 (deflate) exists
    return bytes(g)
