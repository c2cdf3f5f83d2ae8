"""The detector protocol every backend implements, and a fixed-answer detector for tests."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from ..types import Faces


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in one RGB image.

    ``detect`` takes an ``(H, W, 3)`` uint8 RGB array at native resolution and returns the face
    boxes in that array's pixel coordinates. Boxes are the detector's face boxes, not yet grown
    to the head region (the cover stage does that). A backend that fails raises
    :class:`unseen.errors.ModelError`; it never returns an empty result instead.
    """

    name: str

    def detect(self, image: np.ndarray) -> Faces: ...


class FixedDetector:
    """Returns the same boxes for every image (clipped to it). For tests and manual plans."""

    name = "fixed"

    def __init__(self, faces: Faces):
        self.faces = faces
        self.calls = 0

    def detect(self, image: np.ndarray) -> Faces:
        self.calls += 1
        h, w = image.shape[:2]
        return self.faces.clipped(w, h)
