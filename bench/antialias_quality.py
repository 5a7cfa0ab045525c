#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""How well each way of shrinking a volume keeps what it should and drops
what it must (issue 14), at k = 2, 4 and 10:

    /usr/bin/python3 bench/antialias_quality.py [--respace BIN] [--png FILE]

Methods: respace --antialias off / gauss / box (order 1, --grid fov),
scikit-image rescale(order=1, anti_aliasing=True) (Debian python3-skimage)
and MRtrix3 mrgrid regrid -voxel (Debian mrtrix3; it averages ceil(k)^3
sub-samples per output voxel). A peer that is not installed is left out of
the table, with a note. Each method's output is compared at its own sample
positions (from its header, or scikit-image's documented (j + 1/2) k - 1/2),
so a half-voxel convention does not count as an error.

  aliased   a 3-D zone plate cos(pi r^2 / N), N = 192, whose local frequency
            r / N cycles per voxel reaches the input's Nyquist at the edge:
            where it is above 1.15x the output Nyquist (0.5 / k) any output
            is aliasing (a perfect low-pass gives 0 there). Its power
            relative to the input's (0.5), in dB: lower is better.
  loss      a sinusoid along x at half the output Nyquist (0.25 / k cycles
            per input voxel): 1 - the amplitude fitted to the output (cos and
            sin, so the phase does not matter), in %: lower is better.
  real      the real FLAIR.nii.gz of ../shared/testdata/real (niivue,
            124 x 160 x 140, 1 mm): the RMS difference from the ideal
            band-limited result (its spectrum cut at the output Nyquist and
            evaluated at the method's positions), relative to that result's
            RMS, in dB, inner voxels: lower is better.

With --png, the zone plate's middle slice at k = 4 from each method, side
by side (matplotlib).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import nibabel as nib

KS = (2, 4, 10)
N = 192
FLAIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "testdata", "real",
                     "niivue+niivue", "packages", "niivue", "demos", "images", "FLAIR.nii.gz")


def save(path, data, zooms=(1.0, 1.0, 1.0)):
    nib.save(nib.Nifti1Image(data.astype(np.float32), np.diag(list(zooms) + [1.0])), path)


def zone_plate(n=N):
    c = (n - 1) / 2
    x = np.arange(n) - c
    r2 = x[:, None, None] ** 2 + x[None, :, None] ** 2 + x[None, None, :] ** 2
    return np.cos(np.pi * r2 / n)


def sinusoid(k, n=256):
    nu = 0.25 / k
    x = np.arange(n)
    return np.broadcast_to(np.cos(2 * np.pi * nu * x)[:, None, None], (n, 32, 32)).copy(), nu


# ---- methods: each returns (output array, positions per axis in input voxels)
def positions_from_affines(a_in, a_out, shape):
    m = np.linalg.inv(a_in) @ a_out
    return [m[a, a] * np.arange(shape[a]) + m[a, 3] for a in range(3)]


def run_respace(binary, mode):
    def method(path, k, work):
        out = os.path.join(work, "r.nii")
        z = nib.load(path).header.get_zooms()[:3]
        subprocess.run([binary, path, out, "--spacing"] + [repr(k * float(s)) for s in z] +
                       ["--grid", "fov", "--antialias", mode, "--force", "--quiet"], check=True)
        img = nib.load(out)
        data = np.asanyarray(img.dataobj, dtype=np.float64)
        return data, positions_from_affines(nib.load(path).affine, img.affine, data.shape)
    return method


def run_skimage(path, k, work):
    from skimage.transform import rescale
    vol = np.asanyarray(nib.load(path).dataobj, dtype=np.float64)
    out = rescale(vol, 1.0 / k, order=1, anti_aliasing=True, preserve_range=True, mode="reflect")
    # skimage's resize: output j samples input (j + 1/2) * (n / m) - 1/2
    pos = [(np.arange(out.shape[a]) + 0.5) * (vol.shape[a] / out.shape[a]) - 0.5 for a in range(3)]
    return out, pos


def run_mrgrid(path, k, work):
    out = os.path.join(work, "m.nii")
    z = nib.load(path).header.get_zooms()[:3]
    subprocess.run(["mrgrid", path, "regrid", out, "-voxel", ",".join(repr(k * float(s)) for s in z),
                    "-interp", "linear", "-force", "-quiet"], check=True)
    img = nib.load(out)
    data = np.asanyarray(img.dataobj, dtype=np.float64)
    return data, positions_from_affines(nib.load(path).affine, img.affine, data.shape)


# ---- measures
def aliased_db(out, pos, n=N, k=2):
    c = (n - 1) / 2
    r = np.sqrt(((pos[0] - c) ** 2)[:, None, None] + ((pos[1] - c) ** 2)[None, :, None] +
                ((pos[2] - c) ** 2)[None, None, :])
    mask = (r > 1.15 * n * 0.5 / k) & (r < 0.45 * n)
    return 10 * np.log10(np.mean(out[mask] ** 2) / 0.5)


def loss_percent(out, pos, nu):
    x = pos[0]
    inner = slice(2, len(x) - 2)
    prof = out[:, out.shape[1] // 2, out.shape[2] // 2][inner]
    A = np.stack([np.cos(2 * np.pi * nu * x[inner]), np.sin(2 * np.pi * nu * x[inner]),
                  np.ones_like(x[inner])], axis=1)
    a, b, _ = np.linalg.lstsq(A, prof, rcond=None)[0]
    return 100 * (1 - np.hypot(a, b))


def ideal_at(vol, k, pos):
    """The spectrum cut at the output Nyquist (|f| < n / 2k per axis),
    evaluated at the positions (separable sums of exponentials)."""
    X = np.fft.fftn(vol)
    mats = []
    for a in range(3):
        n = vol.shape[a]
        f = np.fft.fftfreq(n) * n
        keep = np.abs(f) < n / (2 * k)
        X = np.compress(keep, X, axis=a)
        mats.append(np.exp(2j * np.pi * np.outer(pos[a], f[keep]) / n))
    out = np.einsum("ia,jb,kc,abc->ijk", mats[0], mats[1], mats[2], X, optimize=True)
    return out.real / vol.size


def real_db(out, pos, vol, k):
    ideal = ideal_at(vol, k, pos)
    inner = tuple(slice(1, s - 1) for s in out.shape)
    d = out[inner] - ideal[inner]
    return 20 * np.log10(np.sqrt(np.mean(d ** 2)) / np.sqrt(np.mean(ideal[inner] ** 2)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--respace", default="build/release/cli/respace")
    ap.add_argument("--png", default="")
    opts = ap.parse_args()
    binary = os.path.abspath(opts.respace)
    methods = [("respace off", run_respace(binary, "off")), ("respace gauss", run_respace(binary, "gauss")),
               ("respace box", run_respace(binary, "box"))]
    notes = []
    try:
        import skimage  # noqa: F401
        methods.append(("skimage rescale", run_skimage))
    except ImportError:
        notes.append("scikit-image not installed (bash bench/setup_peers.sh): left out")
    if shutil.which("mrgrid"):
        methods.append(("mrgrid regrid", run_mrgrid))
    else:
        notes.append("mrgrid not installed (bash bench/setup_peers.sh): left out")
    have_real = os.path.exists(FLAIR)
    if not have_real:
        notes.append(f"{FLAIR} absent: no real-volume column")
    work = tempfile.mkdtemp(prefix="respace-aa-")
    try:
        zp = os.path.join(work, "zone.nii")
        save(zp, zone_plate())
        real = np.asanyarray(nib.load(FLAIR).dataobj, dtype=np.float64) if have_real else None
        header = "| method | " + " | ".join(f"k={k} aliased dB | k={k} loss % | k={k} real dB" for k in KS) + " |"
        print(header)
        print("|---|" + "---|" * (3 * len(KS)))
        slices = {}
        for name, run in methods:
            cells = []
            for k in KS:
                out, pos = run(zp, k, work)
                cells.append(f"{aliased_db(out, pos, N, k):.1f}")
                if k == 4:
                    slices[name] = out[:, :, out.shape[2] // 2]
                sp = os.path.join(work, f"sin{k}.nii")
                vol, nu = sinusoid(k)
                save(sp, vol)
                out, pos = run(sp, k, work)
                cells.append(f"{loss_percent(out, pos, nu):.1f}")
                if have_real:
                    out, pos = run(FLAIR, k, work)
                    cells.append(f"{real_db(out, pos, real, k):.1f}")
                else:
                    cells.append("-")
            print(f"| {name} | " + " | ".join(cells) + " |", flush=True)
        for n in notes:
            print(f"note: {n}")
        if opts.png:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            zpl = zone_plate()[:, :, N // 2]
            panels = [("input (192 x 192, middle slice)", zpl)] + [(f"{n}, k = 4", s) for n, s in slices.items()]
            fig, axes = plt.subplots(1, len(panels), figsize=(3 * len(panels), 3.3))
            for ax, (title, img) in zip(axes, panels):
                ax.imshow(img.T, cmap="gray", vmin=-1, vmax=1, origin="lower", interpolation="nearest")
                ax.set_title(title, fontsize=8)
                ax.axis("off")
            fig.tight_layout()
            fig.savefig(opts.png, dpi=100)
            print(f"wrote {opts.png}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
