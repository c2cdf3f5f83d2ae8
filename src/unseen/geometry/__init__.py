"""Plane geometry shared by the stages: boxes (overlap, growth, containment) and frame rotation.

Pure NumPy, no I/O, no detector: :mod:`.boxes` for ``(N, 4)`` boxes as ``x1, y1, x2, y2``,
:mod:`.rotation` for a video frame's display rotation (the pipeline, ``unseen check`` and the leak
harness all detect on the upright picture and map the boxes back with it), :mod:`.roll` for a
face's in-plane tilt from its landmarks.
"""

from __future__ import annotations

from .boxes import contained, grow, iou_matrix, without_contained
from .roll import roll_from_landmarks
from .rotation import boxes_to_stored, upright

__all__ = ["boxes_to_stored", "contained", "grow", "iou_matrix", "roll_from_landmarks", "upright", "without_contained"]
