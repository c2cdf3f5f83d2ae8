"""A video frame's display rotation: the upright picture detection runs on, and boxes mapped back."""

from __future__ import annotations

import numpy as np

from ..types import Faces


def upright(rgb: np.ndarray, rotation: int) -> tuple[np.ndarray, int]:
    """The frame as displayed (rotated counter-clockwise by ``rotation``) and the quarter turns."""
    k = round(rotation / 90.0) % 4
    return (np.ascontiguousarray(np.rot90(rgb, k)) if k else rgb), k


def boxes_to_stored(faces: Faces, k: int, width: int, height: int) -> Faces:
    """Boxes found on the upright frame (``k`` counter-clockwise quarter turns of a ``width`` x
    ``height`` stored frame) mapped back to stored-frame pixels; a face upright on the displayed
    frame is turned ``k`` quarters clockwise on the stored one (its roll gains ``90 k`` degrees)."""
    if k == 0 or len(faces) == 0:
        return faces
    b = faces.boxes.astype(np.float64)
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    if k == 1:  # stored (x, y) -> upright (y, W - x)
        out = np.stack([width - y2, x1, width - y1, x2], axis=1)
    elif k == 2:
        out = np.stack([width - x2, height - y2, width - x1, height - y1], axis=1)
    else:  # k == 3: stored (x, y) -> upright (H - y, x)
        out = np.stack([y1, height - x2, y2, height - x1], axis=1)
    return Faces(out.astype(np.float32), faces.scores, faces.origin, faces.track_ids, faces.roll + 90.0 * k)


__all__ = ["boxes_to_stored", "upright"]
