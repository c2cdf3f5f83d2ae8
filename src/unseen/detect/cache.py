"""One detector per distinct detection setting, built once per process and shared by the pipelines.

The pipelines take a ``detector=`` argument; when it is ``None`` they ask :func:`detector_for`,
which builds the detector the settings name (:func:`unseen.detect.build_detector`) the first time
and hands back the same one after. Networks are expensive to load and hold no per-file state.
:func:`pinned` makes it answer one given detector for a while (the command line has no
``detector=``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from ..settings import Settings
from .base import FaceDetector
from .registry import DETECTOR_SETTINGS

_lock = threading.Lock()
_detectors: dict[tuple[object, ...], FaceDetector] = {}
_pinned: list[FaceDetector] = []  # innermost last: answered for every setting while pinned


def detector_key(settings: Settings) -> tuple[object, ...]:
    """What makes two settings' detectors interchangeable: the settings ``registry.build`` reads."""
    return tuple(getattr(settings, name) for name in DETECTOR_SETTINGS)


def detector_for(settings: Settings) -> FaceDetector:
    """The detector for ``settings``, built on first use (``ModelError`` when it cannot be)."""
    from . import build_detector

    key = detector_key(settings)
    with _lock:
        if _pinned:
            return _pinned[-1]
        det = _detectors.get(key)
        if det is None:
            det = _detectors[key] = build_detector(settings)
        return det


@contextlib.contextmanager
def pinned(detector: FaceDetector) -> Iterator[FaceDetector]:
    """While in this block, :func:`detector_for` answers ``detector`` for every setting.

    For callers that cannot hand a ``detector=`` down, such as the command line run in-process
    by tests or by an application embedding it; everything else takes ``detector=``."""
    with _lock:
        _pinned.append(detector)
    try:
        yield detector
    finally:
        with _lock:
            _pinned.remove(detector)


def is_pinned() -> bool:
    """Whether :func:`pinned` holds a detector now (a batch then runs in this process: the pinned
    object cannot be sent to a worker process)."""
    with _lock:
        return bool(_pinned)


def clear() -> None:
    """Forget every built detector (the next call builds anew; for benchmarks that sweep tables)."""
    with _lock:
        _detectors.clear()


__all__ = ["clear", "detector_for", "detector_key", "is_pinned", "pinned"]
