# SPDX-License-Identifier: MIT
"""resample() and plan(): the report, the exceptions (one class per exit
code, the command line's message), progress, Ctrl-C in the middle of a
1 GiB job, other threads running meanwhile, and the memory figure of a
Python job."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import respace

GIB_DIMS = (1024, 1024, 256)
AS_LIMIT = 4 << 30  # address space of the child jobs: a regression fails, it does not take the machine


def limited():
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))  # float32: 1 GiB of voxel data, constant planes (gzips to a few MB)


@pytest.fixture(scope="module")
def gib_volume(tmp_path_factory, make_volume):
    d = tmp_path_factory.mktemp("gib")
    return make_volume(d / "gib.nii.gz", *GIB_DIMS, "--pattern", "zplanes", "--level", "1")


def leftovers(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith(".respace"))


def test_resample_returns_the_json_report(tmp_path, make_volume):
    src = make_volume(tmp_path / "in.nii.gz", 30, 20, 10)
    r = respace.resample(src, tmp_path / "out.nii.gz", spacing=(0.2, 0.2, 0.2), compare=True, threads=1)
    assert r["plan"]["dims_out"] == [15, 10, 5]
    assert r["output"]["path"].endswith("out.nii.gz")
    assert {"seconds", "bytes_read", "bytes_written", "peak_rss_bytes", "compare"} <= set(r)
    assert r["compare"]["output"]["count"] == 15 * 10 * 5


def test_plan_reads_only_headers(tmp_path, make_volume):
    src = make_volume(tmp_path / "in.nii.gz", 30, 20, 10)
    p = respace.plan(src, z_spacing=0.15, order=3)
    assert p["plan"]["dims_out"] == [30, 20, 7]
    assert p["plan"]["order"] == 3 and p["plan"]["halo"] == 13
    assert "seconds" not in p
    assert sorted(os.listdir(tmp_path)) == ["in.nii.gz"]


def test_each_exit_code_has_its_class_and_message(tmp_path, make_volume):
    src = make_volume(tmp_path / "in.nii.gz", 30, 20, 10)
    with pytest.raises(respace.UsageError, match="did you mean --spacing") as e:
        respace.resample(src, tmp_path / "o.nii.gz", spacng=(1, 1, 1))
    assert e.value.code == 2 and isinstance(e.value, ValueError)
    with pytest.raises(respace.InputError, match="cannot open") as e:
        respace.resample(tmp_path / "missing.nii.gz", tmp_path / "o.nii.gz", spacing=(1, 1, 1))
    assert e.value.code == 3
    (tmp_path / "exists.nii.gz").write_bytes(b"x")
    with pytest.raises(respace.OutputError, match="exists; use --force") as e:
        respace.resample(src, tmp_path / "exists.nii.gz", spacing=(1, 1, 1))
    assert e.value.code == 4
    with pytest.raises(respace.MemoryLimitError, match="too small for this volume.*use --memory-limit") as e:
        respace.resample(src, tmp_path / "o.nii.gz", spacing=(0.01, 0.01, 0.01), memory_limit="1M")
    assert e.value.code == 5 and isinstance(e.value, MemoryError)
    with pytest.raises(respace.UsageError, match="not an option of a Python call"):
        respace.resample(src, tmp_path / "o.nii.gz", spacing=(1, 1, 1), dry_run=True)
    assert leftovers(tmp_path) == [] and not (tmp_path / "o.nii.gz").exists()


def test_progress_callable_sees_bytes_up_to_the_total(tmp_path, make_volume):
    src = make_volume(tmp_path / "in.nii.gz", 256, 256, 64)
    seen = []
    respace.resample(src, tmp_path / "o.nii.gz", spacing=(0.2, 0.2, 0.2), progress=lambda d, t: seen.append((d, t)))
    total = 256 * 256 * 64 * 4
    assert seen and seen[-1] == (total, total)
    assert all(t == total and 0 <= d <= t for d, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_ctrl_c_mid_job_leaves_nothing_and_threads_run(tmp_path, gib_volume):
    out = tmp_path / "out.nii.gz"
    ticks = []
    stop = threading.Event()

    def other_thread():  # runs only while the job has released the GIL
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    worker = threading.Thread(target=other_thread)
    worker.start()
    seen = []

    def progress(done, total):  # Ctrl-C once a quarter of the input is in
        seen.append(done)
        if done > total // 4 and len([d for d in seen if d > total // 4]) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            respace.resample(gib_volume, out, spacing=(0.15, 0.15, 0.15), order=3, progress=progress)
    finally:
        stop.set()
        worker.join()
    took = time.monotonic() - t0
    assert 0 < seen[-1] < 1 << 30, "interrupted in the middle of the job"
    assert not out.exists()
    assert leftovers(tmp_path) == [], "no temporary file"
    during = [t for t in ticks if t0 < t < t0 + took]
    print(f"[ info ] Ctrl-C after {seen[-1] >> 20} MiB of 1024 MiB, {took:.2f} s; the other thread ticked "
          f"{len(during)} times meanwhile")
    # The other thread sleeps 10 ms a tick: free to run, it ticks about
    # took / 10 ms times; held off by the GIL, hardly at all.
    assert len(during) >= max(5, 0.5 * took / 0.01), f"the other thread ran {len(during)} times in {took:.2f} s"


def test_memory_of_a_python_job_on_a_gib_volume(tmp_path, gib_volume):
    """Peak RSS of a Python process running a 1 GiB job under a 256M limit:
    under the limit plus the interpreter's own (numpy and respace imported)."""
    # VmHWM: this process's own peak (ru_maxrss would carry the forking
    # parent's across exec).
    peak = "[int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0]"
    code = f"import respace; print({peak})"
    env = dict(os.environ)
    base = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    interpreter = int(base.stdout) * 1024
    job = ("import respace, sys; respace.resample(sys.argv[1], sys.argv[2], spacing=(0.15, 0.15, 0.15), "
           f"memory_limit='256M'); print({peak})")
    run = subprocess.run([sys.executable, "-c", job, gib_volume, str(tmp_path / "o.nii.gz")], preexec_fn=limited,
                         capture_output=True,
                         text=True, env=env)
    assert run.returncode == 0, run.stderr
    peak = int(run.stdout) * 1024
    print(f"[ info ] Python job on 1 GiB: peak RSS {peak >> 20} MiB; interpreter alone {interpreter >> 20} MiB; "
          "limit 256 MiB")
    assert peak < (256 << 20) + interpreter


def test_progress_true_without_tqdm_draws_the_command_line_bar(tmp_path, make_volume):
    src = make_volume(tmp_path / "in.nii.gz", 128, 128, 64)
    code = ("import sys, respace; sys.modules['tqdm'] = None; "  # as if tqdm were not installed
            "respace.resample(sys.argv[1], sys.argv[2], spacing=(0.2, 0.2, 0.2), progress=True)")
    p = subprocess.run([sys.executable, "-c", code, src, str(tmp_path / "o.nii.gz")], preexec_fn=limited,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "100%" in p.stderr and "in.nii.gz" in p.stderr
