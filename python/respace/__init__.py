# SPDX-License-Identifier: MIT
"""respace from Python: the same C++ jobs as the ``respace`` command.

    import respace
    report = respace.resample("brain.nii.gz", "brain_150um.nii.gz", spacing=(0.15, 0.15, 0.15))
    plan = respace.plan("brain.nii.gz", z_spacing=0.15)
    out, affine = respace.resample_array(volume, affine, spacing=(2, 2, 2), order=3)

Every option of ``respace --help`` is a keyword argument of the same name
(dashes as underscores). Failures raise respace.errors' classes, one per
exit code, with the command line's message. See the README, "From Python".
"""
import json
import os
import tempfile
import warnings

from . import _core
from ._args import option_words
from .errors import InputError, MemoryLimitError, OutputError, RespaceError, UsageError

__version__ = _core.version
__all__ = ["resample", "plan", "resample_array", "resample_img", "RespaceError", "UsageError", "InputError",
           "OutputError", "MemoryLimitError"]


def _progress(progress):
    """(callback or None, draw the command line's bar)"""
    if progress is None or progress is False:
        return None, False
    if callable(progress):
        return progress, False
    try:
        from tqdm import tqdm
    except ImportError:
        return None, True
    bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024)

    def update(done, total):
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()
    return update, False


def _warn(report):
    if report.get("warning"):
        warnings.warn(report["warning"], stacklevel=3)


def resample(input, output, progress=None, **options):
    """Resample the file INPUT into the file OUTPUT, streaming, as
    ``respace INPUT OUTPUT [options]`` does; returns the report (the fields
    of ``--json``) as a dict. The GIL is released while it runs; Ctrl-C
    (KeyboardInterrupt) stops it and leaves no output and no temporary file.
    ``progress=True`` shows a bar (tqdm if installed, else the command
    line's), ``progress=callable`` is called with (bytes done, bytes total)."""
    callback, bar = _progress(progress)
    words = [os.fspath(input), os.fspath(output)] + option_words(options) + ["--json", "--quiet"]
    report = json.loads(_core.run(words, callback, bar))
    _warn(report)
    return report


def plan(input, output=None, **options):
    """The plan ``respace INPUT OUTPUT --dry-run`` prints, as a dict: nothing
    is read but headers and nothing is written. OUTPUT only decides the
    format (default: a .nii.gz in a scratch folder)."""
    words_tail = option_words(options) + ["--json", "--quiet", "--dry-run"]
    if output is not None:
        return json.loads(_core.plan([os.fspath(input), os.fspath(output)] + words_tail))
    with tempfile.TemporaryDirectory(prefix="respace-plan-") as d:
        return json.loads(_core.plan([os.fspath(input), os.path.join(d, "out.nii.gz")] + words_tail))


from ._arrays import resample_array, resample_img  # noqa: E402  (needs the names above)
