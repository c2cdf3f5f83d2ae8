"""One file through the pipeline its content asks for, with every outcome a report: what a batch
runs in-process, in a local worker (`workers.py`) or on a Ray actor (`ray_engine.py`). Below
`batch.py`, so the engines need not import the batch that drives them."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..detect import FaceDetector
from ..errors import InputError, PipelineError, UnseenError, UnsupportedFormat
from ..media.kinds import RAW_SUFFIXES, media_kind
from ..settings import Settings
from .progress import FrameProgress
from .report import FileReport, MediaKind

if TYPE_CHECKING:
    from .segments import SegmentCovers


def kind_of(path: Path) -> MediaKind:
    kind = media_kind(path)
    return MediaKind(kind) if kind is not None else MediaKind.UNKNOWN


def process_file(
    src: Path,
    dst: Path | None,
    settings: Settings,
    *,
    detector: FaceDetector | None = None,
    progress: FrameProgress | None = None,
    segmented: SegmentCovers | None = None,
) -> FileReport:
    kind = media_kind(src)
    if kind == "image" and src.suffix.lower() in RAW_SUFFIXES:
        raise UnsupportedFormat(
            "camera raw files are not read (only their small embedded preview would be); "
            "convert it to TIFF or JPEG first",
            path=src,
        )
    if kind == "image":
        from .image import process_image

        return process_image(src, dst, settings, detector=detector)
    if kind == "video":
        from .video import process_video

        return process_video(src, dst, settings, detector=detector, progress=progress, segmented=segmented)
    raise InputError(f"not a photo or video unseen knows (suffix {src.suffix or 'none'!r})", path=src)


def run_one(
    src: Path,
    dst: Path | None,
    settings: Settings,
    detector: FaceDetector | None,
    progress: FrameProgress | None,
    segmented: SegmentCovers | None = None,
) -> FileReport:
    return guarded(
        src, lambda: process_file(src, dst, settings, detector=detector, progress=progress, segmented=segmented)
    )


def guarded(src: Path, work: Callable[[], FileReport]) -> FileReport:
    """``work()``'s report, or a failed report for ``src`` whatever it raised: one file's failure is
    recorded, never let through to stop a batch (one line, always)."""
    report = FileReport(input=str(src), kind=kind_of(src))
    try:
        return work()
    except UnseenError as err:
        report.fail(err.with_path(src))
    except Exception as exc:
        if out_of_memory(exc):
            report.fail(PipelineError(f"out of memory ({_one_line(exc)}); no output kept", path=src))
        elif isinstance(exc, RecursionError):
            report.fail(PipelineError(f"out of resources: {type(exc).__name__}", path=src))
        else:  # a bug, not an input problem: still fail this file loudly, go on
            report.fail(PipelineError(f"internal error ({_one_line(exc)}); please report it", path=src))
    report.error = None if report.error is None else " ".join(report.error.split())  # one line, always
    return report


def out_of_memory(exc: BaseException) -> bool:
    """A failed allocation, whoever reports it: Python, OpenCV (``StsNoMem``), a C library (ENOMEM)."""
    if isinstance(exc, MemoryError):
        return True
    if type(exc).__module__ == "cv2" and getattr(exc, "code", None) == _CV_NO_MEMORY:
        return True
    return getattr(exc, "errno", None) == errno.ENOMEM


_CV_NO_MEMORY = -4  # cv2.Error.StsNoMem


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
