# SPDX-License-Identifier: MIT
"""respace's exceptions: one class per exit code of the command line, each
with the command line's message (README, "Exit codes")."""


class RespaceError(Exception):
    """A respace job failed. ``code`` is the command line's exit code."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.message = message
        self.code = code


class UsageError(RespaceError, ValueError):
    """Bad options (exit code 2)."""


class InputError(RespaceError):
    """The input cannot be read: missing, not NIfTI, truncated, corrupt (exit code 3)."""


class OutputError(RespaceError):
    """The output cannot be written: exists, folder missing, disk full (exit code 4)."""


class MemoryLimitError(RespaceError, MemoryError):
    """The job does not fit the memory limit (exit code 5); the message names the smallest that would."""


_BY_CODE = {2: UsageError, 3: InputError, 4: OutputError, 5: MemoryLimitError}


def error_class(code):
    """The class for an exit code (RespaceError for 1, an internal error)."""
    return _BY_CODE.get(code, RespaceError)
