#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What a label map keeps when it is shrunk and resampled back (issue 15):

    /usr/bin/python3 bench/labels_quality.py [--respace BIN] [--atlas FILE]

Each atlas (default: niivue's torsoLabel.nii.gz, 384 x 320 x 89 uint8 of
0.78 x 0.78 x 5 mm with 11 labels, and labels256.nii.gz, 256^3 uint8, 1 mm,
2 labels, from ../shared/testdata/real) is shrunk by k = 2 and 4 (--spacing k, --grid fov) and
resampled back onto its own grid (--like the atlas), either by voting
(--labels: a Gaussian vote down, auto; GenericLabel[Linear] back) or by
nearest neighbour (--order 0 both ways). Printed per k and method: the
number of labels lost (in the atlas, absent after the round trip), the
mean, median and minimum Dice of the labels against the original, and the
voxels that changed label.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np

IMAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "testdata", "real",
                      "niivue+niivue", "packages", "niivue", "demos", "images")
ATLASES = [os.path.join(IMAGES, "torsoLabel.nii.gz"), os.path.join(IMAGES, "labels256.nii.gz")]


def dice(a, b, labels):
    out = []
    for lab in labels:
        x, y = a == lab, b == lab
        s = x.sum() + y.sum()
        out.append(2.0 * (x & y).sum() / s if s else 1.0)
    return np.array(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--respace", default="build/release/cli/respace")
    ap.add_argument("--atlas", action="append", help="an atlas (repeatable); default the two above")
    opts = ap.parse_args()
    binary = os.path.abspath(opts.respace)
    for path in opts.atlas or ATLASES:
        if not os.path.exists(path):
            print(f"{path} absent: left out")
            continue
        measure(binary, path)
    return 0


def measure(binary, path):
    class Opts:
        atlas = path
    opts = Opts
    atlas = nib.load(opts.atlas)
    orig = np.asanyarray(atlas.dataobj)
    labels = [lab for lab in np.unique(orig) if lab != 0]
    zooms = [float(z) for z in atlas.header.get_zooms()[:3]]
    print(f"atlas {os.path.basename(opts.atlas)}: {orig.shape} {orig.dtype}, {len(labels)} labels")
    print("| k | method | labels lost | mean Dice | median Dice | min Dice | voxels changed |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="respace-lq-") as work:
        for k in (2, 4):
            for name, down, back in (("vote (--labels)", ["--labels"], ["--labels"]),
                                     ("nearest (--order 0)", ["--order", "0"], ["--order", "0"])):
                small, again = os.path.join(work, "s.nii.gz"), os.path.join(work, "b.nii.gz")
                subprocess.run([binary, opts.atlas, small, "--spacing", *[repr(k * z) for z in zooms], "--grid", "fov",
                                "--force", "--quiet", *down], check=True)
                subprocess.run([binary, small, again, "--like", opts.atlas, "--force", "--quiet", *back], check=True)
                got = np.asanyarray(nib.load(again).dataobj)
                d = dice(orig, got, labels)
                lost = sum(1 for lab in labels if not (got == lab).any())
                print(f"| {k} | {name} | {lost} | {d.mean():.3f} | {np.median(d):.3f} | {d.min():.3f} | "
                      f"{100 * (got != orig).mean():.2f}% |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
