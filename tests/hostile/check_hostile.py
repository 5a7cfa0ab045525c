#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The hostile-input regression corpus (issue 12): one crafted input or
command per class of fault, run through the real binary under an address-space
limit (RLIMIT_AS, ulimit -v) so that a regression fails here instead of
taking the machine down. Each refusal is checked for its exit code, a single
line on stderr naming the file or option and the fault, no output, no
temporary file, the input unchanged, and peak RSS (wait4) within the limit.

Usage: /usr/bin/python3 check_hostile.py --respace BIN --workdir DIR [--sanitized]
With --sanitized (an ASan build, which cannot run under RLIMIT_AS) the bound
is ASan's own hard_rss_limit_mb instead. Prints a table of case, exit code,
peak RSS and message, then "N passed, N failed"."""
import hashlib
import os
import resource
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
try:
    import numpy as np
    import nibabel  # noqa: F401  (nifti_craft needs it)
except ImportError as e:
    print(f"FAIL setup: {e} (install python3-numpy and python3-nibabel: scripts/setup.sh)")
    print("0 passed, 1 failed")
    sys.exit(1)

import conformance_util as cu  # noqa: E402
import nifti_craft as nc  # noqa: E402

MiB = 1 << 20
SANITIZED = "--sanitized" in sys.argv
if SANITIZED:
    sys.argv.remove("--sanitized")
TABLE = []  # (case, exit code, peak RSS MiB, message) for the closing note


class Result:
    def __init__(self, rc, out, err, rss):
        self.rc, self.out, self.err, self.rss = rc, out, err, rss

    def line(self):
        return self.err.strip().split("\n")[-1] if self.err.strip() else ""


class Child:
    """respace ARGS in CWD under RLIMIT_AS (VM bytes; ASan's RSS limit in a
    sanitized build) and optionally RLIMIT_FSIZE; stdout and stderr go to
    files; wait() returns a Result with the child's own peak RSS (wait4)."""

    def __init__(self, args, cwd, vm=2048 * MiB, fsize=None, stdout=None):
        self.cwd = cwd
        self.out_path = os.path.join(cwd, ".stdout.txt") if stdout is None else None
        self.err_path = os.path.join(cwd, ".stderr.txt")
        env = dict(os.environ)
        if SANITIZED:
            env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                                   f":hard_rss_limit_mb={vm // MiB}:allocator_may_return_null=1")

        def limits():
            if not SANITIZED:
                resource.setrlimit(resource.RLIMIT_AS, (vm, vm))
            if fsize is not None:
                resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

        out = open(self.out_path, "wb") if stdout is None else stdout
        err = open(self.err_path, "wb")
        self.p = subprocess.Popen([cu.Ctx.respace] + [str(a) for a in args], cwd=cwd,
                                  stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                  preexec_fn=limits, env=env)
        if stdout is None:
            out.close()
        err.close()

    def wait(self, timeout=300):
        deadline = time.time() + timeout
        while True:
            pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                self.p.kill()
                pid, status, ru = os.wait4(self.p.pid, 0)
                break
            time.sleep(0.01)
        self.p.returncode = os.waitstatus_to_exitcode(status)
        out = open(self.out_path, errors="replace").read() if self.out_path else ""
        err = open(self.err_path, errors="replace").read()
        return Result(self.p.returncode, out, err, ru.ru_maxrss * 1024)


def run(args, cwd, **kw):
    return Child(args, cwd, **kw).wait()


def digest(paths):
    d = {}
    for p in paths:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        d[p] = h.hexdigest()
    return d


def temps(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith(".respace"))


def refused(name, args, code, words, inputs=(), outputs=("out.nii.gz",), rss=None, vm=2048 * MiB, prep=None):
    """A case that must be refused: exit CODE, one line on stderr with every
    word of WORDS, no OUTPUTS, no temporary file, INPUTS unchanged, peak RSS
    under RSS bytes (default: the --memory-limit given, else 256 MiB)."""
    def case():
        d = cu.fresh_dir(name)
        made = prep(d) if prep else None
        argv = [a(d, made) if callable(a) else a for a in args]
        ins = [os.path.join(d, i) for i in inputs]
        before = digest(ins)
        r = run(argv, d, vm=vm)
        bound = rss
        if bound is None:
            bound = 256 * MiB
            if "--memory-limit" in argv:
                bound = parse_size(argv[argv.index("--memory-limit") + 1])
        probs = check_refusal(r, code, words, d, outputs, bound)
        if digest(ins) != before:
            probs.append("an input changed")
        TABLE.append((name, r.rc, r.rss / MiB, r.line()))
        return probs
    return (name, case)


def check_refusal(r, code, words, d, outputs, bound):
    probs = []
    if r.rc != code:
        probs.append(f"exit {r.rc}, expected {code}: {cu.tail(r.err)}")
    lines = [l for l in r.err.strip().split("\n") if l and not l.startswith("respace: warning")]
    if len(lines) != 1 or not lines[0].startswith("respace: "):
        probs.append(f"stderr is not one 'respace: ' line: {cu.tail(r.err)}")
    for w in words:
        if w not in r.err:
            probs.append(f"message lacks {w!r}: {cu.tail(r.err)}")
    for o in outputs:
        if os.path.exists(os.path.join(d, o)):
            probs.append(f"output {o} exists")
    if temps(d):
        probs.append(f"temporary files left: {temps(d)}")
    if r.rss > bound and not SANITIZED:  # ASan's shadow memory is not respace's
        probs.append(f"peak RSS {r.rss / MiB:.1f} MiB > {bound / MiB:.0f} MiB")
    return probs


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * units[s[-1]]) if s[-1] in units else int(s)


def volume(d, name="in.nii.gz", n=(32, 32, 32), dtype="int16", pattern="smooth"):
    p = os.path.join(d, name)
    subprocess.run([MAKE, p] + [str(x) for x in n] + ["--datatype", dtype, "--pattern", pattern],
                   check=True, capture_output=True)
    return p


# ---------------------------------------------------------------- memory

def memory_cases():
    vol64 = lambda d: volume(d, n=(64, 64, 64))  # noqa: E731
    yield refused("mem_spacing_typo", ["in.nii.gz", "out.nii.gz", "--spacing", "1e-4", "1e-4", "1e-4"], 5,
                  ["ceiling", "needs"], inputs=["in.nii.gz"], prep=vol64)
    yield refused("mem_size_typo", ["in.nii.gz", "out.nii.gz", "--size", "1000000", "1000000", "1000000"], 5,
                  ["weight tables", "default memory limit"], inputs=["in.nii.gz"], prep=vol64)
    yield refused("mem_size_typo_planes", ["in.nii.gz", "out.nii.gz", "--size", "100000", "100000", "100"], 5,
                  ["ceiling", "needs"], inputs=["in.nii.gz"], prep=vol64)
    yield refused("mem_long_row_dry_run", ["in.nii.gz", "out.nii.gz", "--size", "536870912", "1", "1",
                                           "--memory-limit", "256M", "--dry-run"], 5,
                  ["--memory-limit 256.0 MiB", "weight tables"], inputs=["in.nii.gz"], prep=vol64)
    yield ("mem_general_recommendation_works", case_general_recommendation)
    yield ("mem_extension_512M_gz_under_64M", lambda: case_big_extension(True, 512 * MiB))
    yield ("mem_extension_256M_plain_under_64M", lambda: case_big_extension(False, 256 * MiB))


def case_general_recommendation():
    """A 90-degree turn of 2048x2048x64 float32 refused at 128M must name
    128M and recommend a limit that plans (and nothing below it does)."""
    d = cu.fresh_dir("mem_general_recommendation_works")
    src = os.path.join(d, "in.nii")
    with open(src, "wb") as f:  # sparse: the header, then 1 GiB of holes
        f.write(nc.raw(nc.header((2048, 2048, 64), np.float32), vox_offset=352) + b"\0" * 4)
        f.truncate(352 + 2048 * 2048 * 64 * 4)
    with open(os.path.join(d, "turn.txt"), "w") as f:
        f.write("0 0 1 0\n0 1 0 0\n1 0 0 0\n0 0 0 1\n")
    base = ["in.nii", "out.nii.gz", "--affine", "turn.txt", "--threads", "2", "--dry-run", "--memory-limit"]
    r = run(base + ["128M"], d)
    TABLE.append(("mem_general_recommendation_works", r.rc, r.rss / MiB, r.line()))
    probs = check_refusal(r, 5, ["--memory-limit 128.0 MiB", "use --memory-limit"], d, ["out.nii.gz"], 128 * MiB)
    words = r.err.split("use --memory-limit ")
    if len(words) < 2:
        return probs + ["no recommendation"]
    rec = words[1].split()[0]
    ok = run(base + [rec], d)
    if ok.rc != 0:
        probs.append(f"the recommended --memory-limit {rec} fails: exit {ok.rc}: {cu.tail(ok.err)}")
    below = run(base + [f"{parse_size(rec) // MiB - 1}M"], d)
    if below.rc != 5:
        probs.append(f"1M below the recommendation ({rec}) also works: the recommendation is not the least")
    return probs, f"recommends {rec}"


def case_big_extension(gz, size):
    """A header extension of SIZE zero bytes: streamed to the output under
    --memory-limit 64M, never held; the output carries it byte for byte."""
    d = cu.fresh_dir(f"mem_extension_{size // MiB}M_{'gz' if gz else 'plain'}")
    src = os.path.join(d, "in.nii.gz" if gz else "in.nii")
    esize = size + 672  # vox_offset = size + 1024: exact in NIfTI-1's float32
    h = nc.raw(nc.header((8, 8, 8), np.int16), vox_offset=352 + esize)
    head = h + bytes([1, 0, 0, 0]) + np.array([esize, 6], "<i4").tobytes()
    data = np.arange(512, dtype=np.int16).tobytes()
    if gz:  # header member, zero members (1 MiB each), the rest, then the data
        zero = nc.gzip_member(b"\0" * MiB)
        nc.write_members(src, nc.gzip_member(head), zero, size // MiB,
                         nc.gzip_member(b"\0" * (esize - 8 - size) + data))
    else:
        with open(src, "wb") as f:
            f.write(head)
            f.seek(352 + esize)
            f.write(data)
    before = digest([src])
    probs = []
    summary = []
    for extra in (["--dry-run"], []):
        r = run([src, "out.nii.gz", "--spacing", "1", "1", "1", "--memory-limit", "64M", "--quiet", "--force"] + extra,
                d, vm=1024 * MiB)
        TABLE.append((os.path.basename(d) + (" --dry-run" if extra else ""), r.rc, r.rss / MiB, r.line()))
        summary.append(f"{r.rss / MiB:.1f} MiB{' dry-run' if extra else ''}")
        if r.rc != 0:
            probs.append(f"exit {r.rc}: {cu.tail(r.err)}")
        if r.rss > 64 * MiB and not SANITIZED:
            probs.append(f"peak RSS {r.rss / MiB:.1f} MiB > 64 MiB")
    out = os.path.join(d, "out.nii.gz")
    import gzip as gz_mod
    with gz_mod.open(out, "rb") as f:
        hdr = f.read(352 + 8)
        vox = float(np.frombuffer(hdr[108:112], "<f4")[0])
        got = np.frombuffer(hdr[352:360], "<i4")
        f.seek(int(vox))
        tail = f.read()
    if vox != 352 + esize or list(got) != [esize, 6]:
        probs.append(f"output extension header {list(got)} at vox_offset {vox}, expected [{esize}, 6] at {352 + esize}")
    if tail != data:
        probs.append("output data differ from the input's (an identity copy)")
    if digest([src]) != before:
        probs.append("the input changed")
    return probs, ", ".join(summary)


# ---------------------------------------------------------------- headers

def header_case(name, blob_fn, words, gz=True, like=False, code=3):
    fname = "in.nii.gz" if gz else "in.nii"

    def prep(d):
        nc.write(os.path.join(d, fname), blob_fn(), gz)
        if like:
            volume(d, "good.nii.gz", (4, 4, 4))
    args = (["good.nii.gz", "out.nii.gz", "--like", fname] if like else [fname, "out.nii.gz", "--spacing", "2", "2", "2"])
    return refused(name, args, code, [fname] + words, inputs=[fname], prep=prep)


def n2_dims(dims, dtype=np.float32):
    def blob():
        h = nc.header((2, 2, 2), dtype, version=2)
        full = [len(dims)] + list(dims) + [1] * (7 - len(dims))
        return nc.raw(h, dim=full, vox_offset=544) + b"\0" * 4 + b"\0" * 64
    return blob


def header_cases():
    yield header_case("hdr_n2_dims_2p32", n2_dims((2**32, 2**32, 1)), ["2^63"])
    yield header_case("hdr_n2_dims_2p31", n2_dims((2**31, 2**31, 1)), ["2^63"])
    yield header_case("hdr_n2_dims_2p31_as_like", n2_dims((2**31, 2**31, 1)), ["2^63"], like=True)
    yield header_case("hdr_n2_dims_2p62", n2_dims((2**62 + 1, 4, 1)), ["2^63"])
    for v in (100, -352, float("nan")):
        yield header_case(f"hdr_vox_offset_{v}", lambda v=v: nc.nifti(vox_offset=v), ["vox_offset"])
    yield header_case("hdr_vox_offset_inside_header_plain", lambda: nc.nifti(vox_offset=200), ["vox_offset"],
                      gz=False)
    for i, v in ((2, 0), (3, -4)):
        def dims(i=i, v=v):
            dim = [3, 4, 4, 4, 1, 1, 1, 1]
            dim[i] = v
            return nc.nifti(dim=dim)
        yield header_case(f"hdr_dim{i}_{v}", dims, [f"dim[{i}] = {v}"])
    yield header_case("hdr_dim5_0", lambda: nc.nifti(dim=[5, 4, 4, 4, 1, 0, 1, 1]), ["dim[5] = 0"])
    yield header_case("hdr_dim0_0", lambda: nc.nifti(dim=[0, 4, 4, 4, 1, 1, 1, 1]), ["dim[0] = 0"])
    inf, nan = float("inf"), float("nan")
    yield header_case("hdr_sform_offset_inf", lambda: nc.nifti(sform_code=1, srow_x=[1, 0, 0, inf],
                                                               srow_y=[0, 1, 0, 0], srow_z=[0, 0, 1, 0]),
                      ["sform", "not finite"])
    yield header_case("hdr_sform_nan", lambda: nc.nifti(sform_code=1, srow_x=[nan, 0, 0, 0],
                                                        srow_y=[0, 1, 0, 0], srow_z=[0, 0, 1, 0]),
                      ["sform", "not finite"])
    yield header_case("hdr_sform_singular", lambda: nc.nifti(sform_code=1, srow_x=[1, 0, 0, 0],
                                                             srow_y=[1, 0, 0, 0], srow_z=[0, 0, 1, 0]),
                      ["sform", "singular"])
    for v in (0.0, nan, inf):
        yield header_case(f"hdr_pixdim_{v}", lambda v=v: nc.nifti(pixdim=[1, 1, v, 1, 1, 1, 1, 1]),
                          ["pixdim[2]"])
    # Malformed extensions (the README promises every extension byte for byte).
    yield header_case("ext_esize_24", lambda: nc.nifti(exts=nc.ext_block(24, 6) + b"\0" * 8), ["multiple of 16"])
    yield header_case("ext_esize_0", lambda: nc.nifti(exts=nc.ext_block(0, 6, 8)), ["at least 16"])
    yield header_case("ext_esize_negative", lambda: nc.nifti(exts=nc.ext_block(-16, 6, 8)), ["at least 16"])
    yield header_case("ext_past_vox_offset", lambda: nc.nifti(exts=nc.ext_block(64, 6, 8)),
                      ["runs past vox_offset"])
    yield header_case("ext_past_end_of_file",
                      lambda: nc.nifti(exts=nc.ext_block(64, 6, 8), vox_offset=352 + 64, data=b""),
                      ["the file holds 0"], gz=False)
    # gzip faults reported as such.
    good = lambda: nc.nifti()  # noqa: E731
    yield refused("gz_bad_header_crc", ["in.nii.gz", "out.nii.gz", "--spacing", "2", "2", "2"], 3, ["in.nii.gz", "gzip"], inputs=["in.nii.gz"],
                  prep=lambda d: nc.write(os.path.join(d, "in.nii.gz"), nc.gzip_with_bad_header_crc(good())))
    yield refused("gz_bad_method", ["in.nii.gz", "out.nii.gz", "--spacing", "2", "2", "2"], 3, ["in.nii.gz", "gzip"], inputs=["in.nii.gz"],
                  prep=lambda d: nc.write(os.path.join(d, "in.nii.gz"), nc.gzip_with_bad_method(good())))
    yield refused("gz_twice", ["in.nii.gz", "out.nii.gz", "--spacing", "2", "2", "2"], 3, ["in.nii.gz", "compressed twice"],
                  inputs=["in.nii.gz"],
                  prep=lambda d: nc.write(os.path.join(d, "in.nii.gz"), nc.gzip_member(nc.gzip_member(good()))))
    yield ("gz_named_nii_is_read", case_gzip_named_nii)
    # Not a file at all: a FIFO (opening it must not wait for a writer), a
    # folder, a device behind a link.
    yield refused("in_fifo", ["in.nii", "out.nii.gz", "--spacing", "2", "2", "2"], 3, ["in.nii", "not a regular file"],
                  prep=lambda d: os.mkfifo(os.path.join(d, "in.nii")))
    yield refused("in_folder", ["in.nii", "out.nii.gz", "--spacing", "2", "2", "2"], 3,
                  ["in.nii", "not a regular file"], prep=lambda d: os.makedirs(os.path.join(d, "in.nii")))
    yield refused("in_device_link", ["in.nii", "out.nii.gz", "--spacing", "2", "2", "2"], 3,
                  ["in.nii", "not a regular file"], prep=lambda d: os.symlink("/dev/urandom", os.path.join(d, "in.nii")))


def case_gzip_named_nii():
    """gzip data in a file named .nii is recognised by its magic bytes and
    gives the same output as the same file named .nii.gz."""
    d = cu.fresh_dir("gz_named_nii_is_read")
    src = volume(d, "a.nii.gz", (12, 10, 8))
    os.link(src, os.path.join(d, "b.nii"))
    r1 = run(["a.nii.gz", "a_out.nii", "--spacing", "2", "2", "2", "--quiet"], d)
    r2 = run(["b.nii", "b_out.nii", "--spacing", "2", "2", "2", "--quiet"], d)
    TABLE.append(("gz_named_nii_is_read", r2.rc, r2.rss / MiB, r2.line()))
    if r1.rc or r2.rc:
        return [f"exits {r1.rc}, {r2.rc}: {cu.tail(r2.err)}"]
    a = open(os.path.join(d, "a_out.nii"), "rb").read()
    b = open(os.path.join(d, "b_out.nii"), "rb").read()
    return [] if a == b else ["outputs differ"]


# ---------------------------------------------------------------- requests

def request_cases():
    vol = lambda d: volume(d, n=(64, 64, 64))  # noqa: E731
    big = "9223372036854775807"
    for name, opt, words in [
            ("opt_crop_first_int64_max", ["--crop", big, "0", "0", "10", "10", "10"], ["--crop"]),
            ("opt_crop_size_near_int64_max", ["--crop", "10", "0", "0", "9223372036854775800", "10", "10"],
             ["--crop"]),
            ("opt_spacing_1e-17", ["--spacing", "1e-17", "1", "1"], ["spacing", "spacings are in mm"]),
            ("opt_spacing_1e-18", ["--spacing", "1e-18", "1", "1"], ["spacing", "spacings are in mm"]),
            ("opt_spacing_1e-300", ["--spacing", "1e-300", "1", "1"], ["spacing", "spacings are in mm"]),
            ("opt_x_spacing_1e-300", ["--x-spacing", "1e-300"], ["spacing", "spacings are in mm"]),
            ("opt_threads_100000", ["--threads", "100000"], ["--threads"]),
            ("opt_threads_negative", ["--threads", "-3"], ["--threads"]),
            ("opt_memory_limit_tiny", ["--memory-limit", "1"], ["--memory-limit"]),
            ("opt_size_zero", ["--size", "0", "4", "4"], ["--size"]),
            ("opt_size_product_past_2p63", ["--size", "4000000000", "4000000000", "4000000000"], ["--size"])]:
        code = 5 if name == "opt_memory_limit_tiny" else 2
        if not any(o in opt for o in ("--crop", "--spacing", "--x-spacing", "--size")):
            opt = opt + ["--spacing", "2", "2", "2"]
        yield refused(name, ["in.nii.gz", "out.nii.gz"] + opt, code, words, inputs=["in.nii.gz"], prep=vol,
                      rss=256 * MiB)


# ---------------------------------------------------------------- outputs

def wait_for_temp(child, d, timeout=60):
    """Waits until CHILD has a temporary file in D; True if it does."""
    end = time.time() + timeout
    while time.time() < end:
        if temps(d):
            return True
        if child.p.poll() is not None:
            return False
        time.sleep(0.002)
    return False


def slow_volume(d, name="in.nii.gz"):
    return volume(d, name, (256, 256, 192), "float32", "noise")


def paused_run(name, d, args, meanwhile):
    """Runs respace ARGS in D, stops it (SIGSTOP) once its temporary file
    exists, calls MEANWHILE(), lets it go on and returns its Result (None
    when no temporary file appeared)."""
    c = Child(args, d)
    if not wait_for_temp(c, d):
        return None
    c.p.send_signal(signal.SIGSTOP)
    meanwhile()
    c.p.send_signal(signal.SIGCONT)
    r = c.wait()
    TABLE.append((name, r.rc, r.rss / MiB, r.line()))
    return r


def case_concurrent_no_force():
    """An output that appears while respace runs is not replaced without
    --force: the run fails with exit 4 and the file that appeared survives."""
    d = cu.fresh_dir("out_concurrent_no_force")
    slow_volume(d)
    def appear():
        with open(os.path.join(d, "out.nii.gz"), "wb") as f:
            f.write(b"the other run's output")
    r = paused_run("out_concurrent_no_force", d,
                   ["in.nii.gz", "out.nii.gz", "--order", "3", "--spacing", "0.05", "0.05", "0.05", "--quiet"], appear)
    if r is None:
        return ["no temporary file appeared"]
    probs = []
    if r.rc != 4 or "out.nii.gz" not in r.err:
        probs.append(f"exit {r.rc}: {cu.tail(r.err)}")
    if open(os.path.join(d, "out.nii.gz"), "rb").read() != b"the other run's output":
        probs.append("the output that appeared was replaced")
    if temps(d):
        probs.append(f"temporary files left: {temps(d)}")
    return probs


def case_pair_never_mixed():
    """--force over an old .hdr/.img pair whose .hdr cannot be replaced at
    the end (it became a folder): the old .img is restored, so the pair is
    never the new .img beside the old .hdr."""
    d = cu.fresh_dir("out_pair_never_mixed")
    slow_volume(d)
    old_img = b"old image bytes"
    with open(os.path.join(d, "out.img"), "wb") as f:
        f.write(old_img)
    with open(os.path.join(d, "out.hdr"), "wb") as f:
        f.write(b"old header")
    def header_becomes_a_folder():
        os.unlink(os.path.join(d, "out.hdr"))
        os.makedirs(os.path.join(d, "out.hdr", "x"))
    r = paused_run("out_pair_never_mixed", d, ["in.nii.gz", "out.hdr", "--order", "3", "--spacing", "0.05", "0.05",
                                               "0.05", "--quiet", "--force"], header_becomes_a_folder)
    if r is None:
        return ["no temporary file appeared"]
    probs = []
    if r.rc != 4 or "put back" not in r.err:
        probs.append(f"exit {r.rc}: {cu.tail(r.err)}")
    if open(os.path.join(d, "out.img"), "rb").read() != old_img:
        probs.append("out.img was replaced although out.hdr was not: a mixed pair")
    if temps(d):
        probs.append(f"temporary files left: {temps(d)}")
    return probs


def signal_case(sig):
    name = f"out_signal_{signal.Signals(sig).name}"

    def case():
        d = cu.fresh_dir(name)
        slow_volume(d)
        c = Child(["in.nii.gz", "out.nii.gz", "--order", "3", "--spacing", "0.05", "0.05", "0.05", "--quiet"], d)
        if not wait_for_temp(c, d):
            return ["no temporary file appeared"]
        c.p.send_signal(sig)
        r = c.wait()
        TABLE.append((name, r.rc, r.rss / MiB, r.line()))
        probs = []
        if r.rc != 128 + sig:
            probs.append(f"exit {r.rc}, expected {128 + sig}")
        if os.path.exists(os.path.join(d, "out.nii.gz")) or temps(d):
            probs.append(f"left behind: {sorted(os.listdir(d))}")
        return probs
    return (name, case)


def case_file_size_limit():
    """ulimit -f: the write fails with its own message and exit 4 (no
    SIGXFSZ death), and nothing is left."""
    d = cu.fresh_dir("out_file_size_limit")
    volume(d, "in.nii.gz", (128, 128, 64), "float32", "noise")
    r = run(["in.nii.gz", "out.nii", "--spacing", "0.05", "0.05", "0.05", "--quiet"], d, fsize=256 * 1024)
    TABLE.append(("out_file_size_limit", r.rc, r.rss / MiB, r.line()))
    return check_refusal(r, 4, ["out.nii", "file-size limit"], d, ["out.nii"], 256 * MiB)


def case_stale_temp_reported():
    """A temporary file left by a SIGKILLed run is reported by the next run
    into the same folder."""
    d = cu.fresh_dir("out_stale_temp_reported")
    slow_volume(d)
    c = Child(["in.nii.gz", "out.nii.gz", "--order", "3", "--spacing", "0.05", "0.05", "0.05", "--quiet"], d)
    if not wait_for_temp(c, d):
        return ["no temporary file appeared"]
    left = temps(d)
    c.p.kill()
    c.wait()
    volume(d, "small.nii.gz", (8, 8, 8))
    r = run(["small.nii.gz", "small_out.nii.gz", "--spacing", "2", "2", "2"], d)
    TABLE.append(("out_stale_temp_reported", r.rc, r.rss / MiB, r.line()))
    probs = []
    if r.rc != 0:
        probs.append(f"exit {r.rc}: {cu.tail(r.err)}")
    for t in left:
        if t not in r.err:
            probs.append(f"stale {t} not reported: {cu.tail(r.err)}")
    return probs


def case_long_output_name():
    d = cu.fresh_dir("out_name_255_chars")
    volume(d, "in.nii.gz", (8, 8, 8))
    name = "o" * (255 - len(".nii.gz")) + ".nii.gz"
    r = run(["in.nii.gz", name, "--spacing", "2", "2", "2", "--quiet"], d)
    TABLE.append(("out_name_255_chars", r.rc, r.rss / MiB, r.line()))
    if r.rc != 0 or not os.path.exists(os.path.join(d, name)):
        return [f"exit {r.rc}: {cu.tail(r.err)}"]
    return []


def case_output_dir_duplicates():
    d = cu.fresh_dir("out_dir_duplicate_names")
    for sub in ("a", "b", "out"):
        os.makedirs(os.path.join(d, sub))
    volume(d, "a/x.nii.gz", (8, 8, 8))
    volume(d, "b/x.nii.gz", (8, 8, 8))
    r = run(["a/x.nii.gz", "b/x.nii.gz", "--output-dir", "out", "--spacing", "2", "2", "2"], d)
    TABLE.append(("out_dir_duplicate_names", r.rc, r.rss / MiB, r.line()))
    probs = check_refusal(r, 2, ["x.nii.gz", "same output"], d, [], 256 * MiB)
    if os.path.exists(os.path.join(d, "out")) and os.listdir(os.path.join(d, "out")):
        probs.append(f"written before refusing: {os.listdir(os.path.join(d, 'out'))}")
    return probs


def case_closed_stdout():
    """stdout closed early (| head -1): every job of the batch still runs
    and the exit code is 0."""
    d = cu.fresh_dir("out_closed_stdout")
    os.makedirs(os.path.join(d, "out"))
    for i in range(3):
        volume(d, f"in{i}.nii.gz", (16, 16, 16))
    rd, wr = os.pipe()
    os.close(rd)  # the reader is gone before respace prints a line
    with os.fdopen(wr, "wb") as w:
        c = Child([f"in{i}.nii.gz" for i in range(3)] + ["--output-dir", "out", "--spacing", "2", "2", "2"], d,
                  stdout=w)
    r = c.wait()
    TABLE.append(("out_closed_stdout", r.rc, r.rss / MiB, r.line()))
    probs = []
    if r.rc != 0:
        probs.append(f"exit {r.rc}: {cu.tail(r.err)}")
    for i in range(3):
        if not os.path.exists(os.path.join(d, "out", f"in{i}.nii.gz")):
            probs.append(f"job {i} did not run")
    return probs


def output_cases():
    yield ("out_concurrent_no_force", case_concurrent_no_force)
    yield ("out_pair_never_mixed", case_pair_never_mixed)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
                signal.SIGALRM):
        yield signal_case(sig)
    yield ("out_file_size_limit", case_file_size_limit)
    yield ("out_stale_temp_reported", case_stale_temp_reported)
    yield ("out_name_255_chars", case_long_output_name)
    yield ("out_dir_duplicate_names", case_output_dir_duplicates)
    yield ("out_closed_stdout", case_closed_stdout)


def make_cases():
    return list(memory_cases()) + list(header_cases()) + list(request_cases()) + list(output_cases())


def print_table():
    print("case | exit | peak RSS MiB | message")
    for name, rc, rss, msg in TABLE:
        print(f"{name} | {rc} | {rss:.1f} | {msg[:160]}")


if __name__ == "__main__":
    MAKE = None
    for i, a in enumerate(sys.argv):
        if a == "--make-volume":
            MAKE = sys.argv[i + 1]
            del sys.argv[i:i + 2]
            break
    if not MAKE:
        print("FAIL setup: --make-volume BIN is required")
        print("0 passed, 1 failed")
        sys.exit(1)
    sys.exit(cu.conformance_main(__doc__, "hostile_work", make_cases, epilogue=print_table))
