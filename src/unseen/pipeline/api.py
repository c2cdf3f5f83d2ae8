"""The public entry points. Thin: they resolve settings and call the image/video/batch pipelines."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cover import apply_cover
from ..detect import FaceDetector
from ..detect.alpha_views import detect_shown
from ..detect.cache import detector_for
from ..settings import Settings
from ..types import Faces
from .progress import ProgressCallback
from .report import BatchReport, FileReport


@dataclass
class CoverResult:
    image: np.ndarray  # the covered copy, same shape and dtype as the input
    faces: Faces  # detector boxes (before growing to head regions)
    regions: np.ndarray  # integer (N, 4) regions actually covered


def anonymize_array(
    pixels: np.ndarray, settings: Settings | None = None, *, detector: FaceDetector | None = None
) -> CoverResult:
    """Detect and cover faces in an ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8 array (a copy).

    With alpha, detection runs on every picture the array shows (``detect.alpha_views``).
    """
    settings = settings or Settings()
    if (
        not isinstance(pixels, np.ndarray)
        or pixels.ndim != 3
        or pixels.shape[2] not in (3, 4)
        or pixels.dtype != np.uint8
    ):
        raise ValueError("pixels must be an (H, W, 3) RGB or (H, W, 4) RGBA uint8 array")
    det = detector or detector_for(settings)
    faces = detect_shown(det, pixels)
    out = pixels.copy()
    regions = apply_cover(out, faces, settings)
    return CoverResult(out, faces, regions)


def anonymize_image(
    input: str | Path,
    output: str | Path | None = None,
    settings: Settings | None = None,
    *,
    detector: FaceDetector | None = None,
) -> FileReport:
    """Anonymize one photo file; raises :class:`unseen.UnseenError` on failure (no output left)."""
    from .image import process_image

    return process_image(
        Path(input), None if output is None else Path(output), settings or Settings(), detector=detector
    )


def anonymize_video(
    input: str | Path,
    output: str | Path | None = None,
    settings: Settings | None = None,
    *,
    detector: FaceDetector | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> FileReport:
    """Anonymize one video file; raises :class:`unseen.UnseenError` on failure (no output left).

    ``progress(frames_done, frames_total_or_None)`` is called from this thread as frames finish.
    """
    from .video import process_video

    return process_video(
        Path(input),
        None if output is None else Path(output),
        settings or Settings(),
        detector=detector,
        progress=progress,
    )


def anonymize_path(
    input: str | Path,
    output: str | Path | None = None,
    settings: Settings | None = None,
    *,
    detector: FaceDetector | None = None,
    progress: ProgressCallback | None = None,
) -> BatchReport:
    """Anonymize a file or a folder tree (photos and videos). Failures are recorded per file.

    ``progress(event)`` gets typed events (:mod:`unseen.pipeline.progress`): each file's start,
    its frames (videos), its finish with its report."""
    from .batch import process_path

    return process_path(
        Path(input),
        None if output is None else Path(output),
        settings or Settings(),
        detector=detector,
        progress=progress,
    )


def anonymize_paths(
    inputs: Iterable[str | Path],
    output: str | Path | None = None,
    settings: Settings | None = None,
    *,
    detector: FaceDetector | None = None,
    progress: ProgressCallback | None = None,
) -> BatchReport:
    """Anonymize several files and folders into one report (what ``unseen A B C`` does).

    Without ``output`` each result goes beside its input. With several inputs ``output`` is a
    folder (created if missing; :class:`unseen.ConfigError` if it is a file): files go into it,
    a folder ``DIR`` into ``output/DIR``. Failures are recorded per file; ``progress`` as for
    :func:`anonymize_path`, with ``index``/``total`` counted over all the inputs' files."""
    from .batch import process_paths

    return process_paths(
        [Path(i) for i in inputs],
        None if output is None else Path(output),
        settings or Settings(),
        detector=detector,
        progress=progress,
    )
