"""Faces cut by the picture's border, looked for in the picture mirrored past its edges.

A face with most of it outside the picture (three quarters of its width cut off by the left
edge: an ear, a cheek, the corner of an eye) was found by no network in any preset: 0 % of it
covered on five of six portraits (docs/BENCHMARKS.md, "Big faces"). Mirrored past the edge, the
part inside and its mirror image make a face-like whole that CenterFace and YuNet find (scores
0.28-0.54 at a 75 % cut, 0.8-0.9 at 60 %). So after a full detection the picture is brought down
so its longer side fits ``EDGE_SIDE`` px (and half that), mirrored ``EDGE_PAD`` of its shorter
side past every edge, and the native pass's network runs on it once per size. Only the boxes that
reach past an edge (a face inside the picture was looked for by the passes already), at least
``EDGE_MIN_HEIGHT`` px tall at that size and scoring at least ``EDGE_MIN_SCORE`` are kept,
mapped back and clipped to the picture: the part of the face inside. Boxes are only ever added.
Faces smaller than ``EDGE_MIN_HEIGHT / scale`` px cut that far are not looked for (a sliver of a
few pixels), nor faces cut further (an ear alone: 85 % cut off was found by no preset either way).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..geometry import grow
from ..types import Faces
from .base import SinglePassNet, infer_checked
from .passes import Pass

# The mirrored picture's longer side (before the mirrored margins): one small network run.
EDGE_SIDE = 512
# The margin mirrored past each edge, as a share of the (brought down) picture's shorter side.
EDGE_PAD = 0.25
# Boxes shorter than this (px, at EDGE_SIDE) are dropped: mirrored texture makes small symmetric
# blobs, and a face that small in the whole picture is cut to a sliver.
EDGE_MIN_HEIGHT = 32.0
# ... and so are boxes scoring under this: on the portrait border sweep (six faces, 512-2000 px,
# 50-90 % of the side, cut 50-75 %) the best box on the cut face scored 0.28 or more; of the 105
# boxes the mirrored WIDER FACE dev photos gave at the default threshold, 33 reach 0.25. Below it
# they painted 2 % more of WIDER's non-face pixels (BENCHMARKS.md, "Big faces").
EDGE_MIN_SCORE = 0.25


def edge_faces(net: SinglePassNet, native: Pass, image: np.ndarray) -> Faces:
    """Faces cut by the border of ``image``, found in it mirrored past its edges (may be empty):
    at ``EDGE_SIDE`` px and, for a picture larger than half that, at half that (a face filling it
    is then a few hundred px, where the networks see it whole)."""
    h, w = image.shape[:2]
    if h < 2 or w < 2:
        return Faces.empty()
    sides = [EDGE_SIDE] + ([EDGE_SIDE // 2] if max(h, w) > EDGE_SIDE // 2 else [])
    return Faces.merge(_at(net, native, image, side) for side in sides)


def _at(net: SinglePassNet, native: Pass, image: np.ndarray, side: int) -> Faces:
    h, w = image.shape[:2]
    s = min(1.0, side / max(h, w))
    small = image
    if s < 1.0:
        small = cv2.resize(image, (max(2, round(w * s)), max(2, round(h * s))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    pad = max(1, min(sh - 1, sw - 1, round(EDGE_PAD * min(sh, sw))))
    mirrored = cv2.copyMakeBorder(small, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    (found,) = infer_checked(net, [np.ascontiguousarray(mirrored)], native.threshold)
    if not len(found):
        return Faces.empty()
    b = found.boxes.astype(np.float64) - pad
    past = (b[:, 0] < 0) | (b[:, 1] < 0) | (b[:, 2] > sw) | (b[:, 3] > sh)
    inside = (b[:, 2] > 0) & (b[:, 0] < sw) & (b[:, 3] > 0) & (b[:, 1] < sh)
    keep = past & inside & (b[:, 3] - b[:, 1] >= EDGE_MIN_HEIGHT) & (found.scores >= EDGE_MIN_SCORE)
    if not keep.any():
        return Faces.empty()
    boxes = b[keep] * np.array([w / sw, h / sh, w / sw, h / sh])
    if native.grow != 1.0:
        boxes = grow(boxes, native.grow)
    return Faces(boxes.astype(np.float32), found.scores[keep], roll=found.roll[keep]).clipped(w, h)


__all__ = ["EDGE_MIN_HEIGHT", "EDGE_MIN_SCORE", "EDGE_PAD", "EDGE_SIDE", "edge_faces"]
