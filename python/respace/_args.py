# SPDX-License-Identifier: MIT
"""Keyword arguments to the command line's words: every option of
``respace --help`` is a keyword with the same name, dashes as underscores
(``z_spacing=0.15`` is ``--z-spacing 0.15``). A tuple or list gives several
values (``spacing=(0.1, 0.1, 0.15)``), True a flag (``labels=True``), False
or None leaves the option out."""
from .errors import UsageError

# Options of the command line that a Python call sets itself or that have no
# meaning here (batches run one call per file).
_RESERVED = {"json", "quiet", "dry_run", "help", "version", "output_dir", "manifest", "suffix",
             "keep_going", "skip_existing"}


def option_words(options):
    words = []
    for key, value in options.items():
        if key in _RESERVED:
            raise UsageError(f"{key}= is not an option of a Python call (the call sets it, or it is for "
                             "the command line's batches)", 2)
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            words.append(flag)
        elif isinstance(value, (list, tuple)):
            words.append(flag)
            words.extend(_word(v) for v in value)
        else:
            words.extend([flag, _word(value)])
    return words


def _word(v):
    if isinstance(v, float):
        return repr(v)  # every digit: 0.1 stays 0.1
    return str(v)
