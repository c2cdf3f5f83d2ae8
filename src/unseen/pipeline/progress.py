"""Progress of a run, as typed events handed to a callback (the library draws no bars).

For each file of :func:`unseen.anonymize_path` / :func:`unseen.anonymize_paths`, in order:
one :class:`FileStarted`, any number of :class:`FramesDone` (videos), one :class:`FileFinished`
(with the file's report, failed or not). ``index`` counts from 0 over every file of the call,
``total`` is how many files the call has (known once the inputs are walked, before the first
file starts). The callback runs on the calling thread; an exception it raises while frames are
done fails that file (no output left), one raised on a start or finish event ends the call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .report import FileReport, MediaKind


@dataclass(frozen=True)
class FileStarted:
    path: Path
    kind: MediaKind
    index: int
    total: int


@dataclass(frozen=True)
class FramesDone:
    path: Path
    done: int
    total: int | None  # None when the container does not state its frame count


@dataclass(frozen=True)
class FileFinished:
    report: FileReport
    index: int
    total: int


ProgressEvent = FileStarted | FramesDone | FileFinished
ProgressCallback = Callable[[ProgressEvent], None]
FrameProgress = Callable[[int, int | None], None]
"""The video pipeline's own callback: ``(frames_done, frames_total_or_None)``."""

__all__ = ["FileFinished", "FileStarted", "FrameProgress", "FramesDone", "ProgressCallback", "ProgressEvent"]
