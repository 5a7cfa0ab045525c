#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""respace --json and --compare against python's json module, nibabel and numpy.

Usage: /usr/bin/python3 check_report.py --respace BIN --workdir DIR
Exit 0 all passed, 1 a failure, also when numpy or nibabel is missing.
"""
import argparse
import json
import os
import subprocess
import sys

try:
    import numpy as np
    import nibabel as nib
except ImportError as e:  # pragma: no cover
    import require
    require.missing(e.name or str(e))

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))


def run(args, binary):
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def stats(a):
    a = np.asarray(a, dtype=np.float64).ravel()
    a = a[~np.isnan(a)]
    return {"count": a.size, "min": a.min(), "max": a.max(), "mean": a.mean(), "std": a.std()}


def close(a, b, rel):
    return abs(a - b) <= rel * max(1.0, abs(b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--respace", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    w = lambda name: os.path.join(args.workdir, name)
    rng = np.random.default_rng(4)

    # float32 with NaNs, and int16 with scl_slope/scl_inter (stats are of real-world values)
    f = (rng.normal(size=(21, 17, 33)) * 50 + 100).astype(np.float32)
    f[3, 4, 5] = np.nan
    f[10, :, 20] = np.nan
    img = nib.Nifti1Image(f, np.diag([0.1, 0.1, 0.1, 1.0]))
    nib.save(img, w("f.nii.gz"))
    i16 = rng.integers(-2000, 2000, size=(19, 23, 29)).astype(np.int16)
    ii = nib.Nifti1Image(i16, np.diag([0.2, 0.2, 0.3, 1.0]))
    ii.header.set_slope_inter(0.5, -7.0)
    nib.save(ii, w("i.nii.gz"))

    for src, spacing in (("f.nii.gz", ["0.13", "0.07", "0.15"]), ("i.nii.gz", ["0.3", "0.15", "0.3"])):
        outs = []
        for threads, block in (("1", "1"), ("2", "7"), ("3", "64")):
            out = w(f"out_{threads}_{src}")
            code, stdout, stderr = run([w(src), out, "--spacing", *spacing, "--json", "--compare", "--force",
                                        "--threads", threads, "--block-planes", block], args.respace)
            check(f"{src} threads {threads}: exit 0", code == 0, stderr)
            try:
                j = json.loads(stdout)  # the whole of stdout is one JSON object
            except ValueError as e:
                check(f"{src}: stdout is one JSON object", False, f"{e}: {stdout[:200]}")
                continue
            outs.append(j)
        if not outs:
            continue
        j = outs[0]
        o = nib.load(w(f"out_1_{src}"))
        i = nib.load(w(src))
        check(f"{src}: input/output paths", j["input"]["path"] == w(src) and j["output"]["path"] == w(f"out_1_{src}"))
        check(f"{src}: plan.dims_in", j["plan"]["dims_in"] == list(i.shape[:3]), j["plan"]["dims_in"])
        check(f"{src}: plan.dims_out = nibabel shape", j["plan"]["dims_out"] == list(o.shape[:3]), j["plan"]["dims_out"])
        check(f"{src}: plan.affine_out = nibabel affine",
              np.allclose(np.array(j["plan"]["affine_out"]), o.affine, atol=1e-6), j["plan"]["affine_out"])
        check(f"{src}: plan.spacing_out_mm = header zooms",
              np.allclose(j["plan"]["spacing_out_mm"], o.header.get_zooms()[:3], rtol=1e-6))
        check(f"{src}: grid, order, timings, bytes",
              j["plan"]["grid"] == "center" and j["plan"]["order"] == 1 and j["seconds"] >= 0
              and j["bytes_read"] > 0 and j["bytes_written"] == os.path.getsize(w(f"out_1_{src}"))
              and j["peak_rss_bytes"] > 0)
        for side, image in (("input", i), ("output", o)):
            want = stats(image.get_fdata())
            got = j["compare"][side]
            ok = got["count"] == want["count"] and all(close(got[k], want[k], 1e-9) for k in ("min", "max", "mean", "std"))
            check(f"{src}: compare.{side} = numpy (NaN left out, scaling applied)", ok, f"{got} vs {want}")
        same = all(x["compare"] == j["compare"] for x in outs)
        check(f"{src}: compare identical for threads 1/2/3, blocks 1/7/64", same)

    # --compare on the general path (a rotation): both sides still equal numpy's.
    t = np.radians(7.0)
    W = np.eye(4)
    W[:2, :2] = [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]
    np.savetxt(w("rot7.txt"), W)
    for src in ("f.nii.gz", "i.nii.gz"):
        got_by_threads = []
        for threads in ("1", "2"):
            out = w(f"rot_{threads}_{src}")
            code, stdout, stderr = run([w(src), out, "--affine", w("rot7.txt"), "--json", "--compare", "--force",
                                        "--threads", threads], args.respace)
            check(f"{src} rotated, threads {threads}: exit 0", code == 0, stderr)
            if code != 0:
                continue
            j = json.loads(stdout)
            check(f"{src} rotated: general path", j["plan"]["path"] == "general", j["plan"]["path"])
            got_by_threads.append(j["compare"])
            for side, image in (("input", nib.load(w(src))), ("output", nib.load(out))):
                want = stats(image.get_fdata())
                got = j["compare"][side]
                ok = got["count"] == want["count"] and all(close(got[k], want[k], 1e-9) for k in ("min", "max", "mean", "std"))
                check(f"{src} rotated: compare.{side} = numpy", ok, f"{got} vs {want}")
        check(f"{src} rotated: compare identical for threads 1/2",
              len(got_by_threads) == 2 and got_by_threads[0] == got_by_threads[1])

    # Errors: exit code, one JSON object with the code and message, nothing else on stdout.
    code, stdout, stderr = run([w("missing.nii.gz"), w("x.nii.gz"), "--spacing", "1", "1", "1", "--json"], args.respace)
    try:
        j = json.loads(stdout)
        check("error: JSON object with code 3", code == 3 and j["error"]["code"] == 3 and "missing.nii.gz" in j["error"]["message"], stdout)
    except ValueError:
        check("error: JSON object with code 3", False, stdout)
    code, stdout, _ = run([w("f.nii.gz"), w("d.nii.gz"), "--z-spacing", "0.2", "--json", "--dry-run"], args.respace)
    j = json.loads(stdout)
    check("dry run: plan only, nothing written", code == 0 and "plan" in j and "seconds" not in j and not os.path.exists(w("d.nii.gz")))

    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
