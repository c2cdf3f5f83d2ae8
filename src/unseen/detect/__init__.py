"""Detection stage: backends behind the :class:`FaceDetector` protocol, chosen explicitly.

``build_detector(settings)`` returns the detector the settings ask for. A backend that cannot be
built (weights altered, device missing) raises :class:`unseen.errors.ModelError`; there is never a
silent switch to another backend.
"""

from __future__ import annotations

from ..settings import Settings
from .base import FaceDetector, FixedDetector


def build_detector(settings: Settings) -> FaceDetector:
    """The detector for ``settings`` (preset, backend, threshold, device, threads)."""
    from .registry import build  # deferred: loads onnxruntime/cv2 only when detecting

    return build(settings)


__all__ = ["FaceDetector", "FixedDetector", "build_detector"]
