"""Errors raised by unseen, and the exit status each maps to.

The tree, drawn once::

    UnseenError                      (ExitStatus.FAILURE)
    ├── ConfigError                  (ExitStatus.USAGE)       bad option or setting
    ├── InputError                   (ExitStatus.INPUT)       the input cannot be processed
    │   ├── InputNotFound
    │   ├── UnsupportedFormat
    │   ├── CorruptInput                                      truncated, undecodable, empty
    │   └── LimitExceeded                                     bombs, absurd sizes or counts
    ├── OutputError                  (ExitStatus.OUTPUT)      the output cannot be written
    │   ├── OutputExists
    │   └── OutputNotWritable
    ├── ModelError                   (ExitStatus.MODEL)       weights missing or altered,
    │                                                         backend or device unavailable
    ├── VerificationError            (ExitStatus.VERIFY)      the written file failed its check
    └── PipelineError                (ExitStatus.FAILURE)     a worker or stage failed

Nothing here prints. Every error carries the path it concerns (``path``) and, for video, where in
the file it happened (``where``, e.g. ``"frame 120 (4.004 s)"``), so one line says what and where.
"""

from __future__ import annotations

import enum
from pathlib import Path


class ExitStatus(enum.IntEnum):
    """Process exit codes of the ``unseen`` command."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    INPUT = 3
    OUTPUT = 4
    MODEL = 5
    VERIFY = 6
    FACES_FOUND = 7  # `unseen check`: a face is still visible
    INTERRUPTED = 130


class UnseenError(Exception):
    """Base of every error unseen raises on purpose."""

    exit_status: ExitStatus = ExitStatus.FAILURE

    def __init__(self, reason: str, *, path: str | Path | None = None, where: str | None = None):
        self.reason = reason
        self.path = None if path is None else str(path)
        self.where = where
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: path, position, reason (control characters in names are escaped)."""
        parts = []
        if self.path is not None:
            parts.append(printable(self.path))
        if self.where:
            parts.append(self.where)
        parts.append(self.reason)
        return ": ".join(parts)

    def with_path(self, path: str | Path) -> UnseenError:
        """Return this error with ``path`` set if it had none (for errors raised deep inside)."""
        if self.path is None:
            self.path = str(path)
            self.args = (self.message,)
        return self


def printable(text: str) -> str:
    """``text`` with newlines and other non-printable characters escaped, unicode letters kept."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class ConfigError(UnseenError):
    exit_status = ExitStatus.USAGE


class InputError(UnseenError):
    exit_status = ExitStatus.INPUT


class InputNotFound(InputError):
    pass


class UnsupportedFormat(InputError):
    pass


class CorruptInput(InputError):
    pass


class LimitExceeded(InputError):
    pass


class OutputError(UnseenError):
    exit_status = ExitStatus.OUTPUT


class OutputExists(OutputError):
    pass


class OutputNotWritable(OutputError):
    pass


class ModelError(UnseenError):
    exit_status = ExitStatus.MODEL


class VerificationError(UnseenError):
    exit_status = ExitStatus.VERIFY


class PipelineError(UnseenError):
    exit_status = ExitStatus.FAILURE
