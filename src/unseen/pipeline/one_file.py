"""One file through the pipeline its content asks for, with every outcome a report: what a batch
runs in-process, in a local worker (`workers.py`) or on a Ray actor (`ray_engine.py`). Below
`batch.py`, so the engines need not import the batch that drives them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..detect import FaceDetector
from ..errors import InputError, PipelineError, UnseenError, UnsupportedFormat
from ..media.kinds import RAW_SUFFIXES, media_kind
from ..settings import Settings
from .progress import FrameProgress
from .report import FileReport, MediaKind


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

        return process_video(src, dst, settings, detector=detector, progress=progress)
    raise InputError(f"not a photo or video unseen knows (suffix {src.suffix or 'none'!r})", path=src)


def run_one(
    src: Path, dst: Path | None, settings: Settings, detector: FaceDetector | None, progress: FrameProgress | None
) -> FileReport:
    return guarded(src, lambda: process_file(src, dst, settings, detector=detector, progress=progress))


def guarded(src: Path, work: Callable[[], FileReport]) -> FileReport:
    """``work()``'s report, or a failed report for ``src`` whatever it raised: one file's failure is
    recorded, never let through to stop a batch."""
    try:
        return work()
    except UnseenError as err:
        return FileReport(input=str(src), kind=kind_of(src)).fail(err.with_path(src))
    except (MemoryError, RecursionError) as exc:
        return FileReport(input=str(src), kind=kind_of(src)).fail(
            PipelineError(f"out of resources: {type(exc).__name__}", path=src)
        )
    except Exception as exc:  # a bug, not an input problem: still fail this file loudly, go on
        return FileReport(input=str(src), kind=kind_of(src)).fail(
            PipelineError(f"internal error ({type(exc).__name__}: {exc}); please report it", path=src)
        )
