"""Quarter turns: a face found is looked at again in a crop turned by each quarter turn.

The networks were trained on faces near upright. A face rolled 120-150 degrees (a photo taken
upside down and turned part way, a person lying down) came back from CenterFace as a short, wide
box on part of it with landmarks that gave a wrong roll (-75 degrees for a face turned 120), so
its head region fell short: 96.3 % of the face covered at 512 px under the default preset
(docs/BENCHMARKS.md, "Big faces"). Every roll is within 45 degrees of some quarter turn, and a
face within 45 degrees of upright is found whole. So each face found at least ``TURN_MIN_SIDE``
px on its longer side (the ``TURN_MAX_FACES`` largest; not one found sure and upright, see
``TURN_SURE_SCORE``) is cropped, ``TURN_CROP`` times that side and square (clipped to the
image), brought down to at most ``TURN_SIDE`` px, and turned by one,
two and three quarters; the full detection's native network runs on each, when it reads rolls
from landmarks (CenterFace; YuNet's landmarks are not used). A box found there is the face seen
near upright, and is mapped back and added with its roll (the network's plus the quarter turns),
when the crop's roll is within ``TURN_UPRIGHT`` degrees of upright, it overlaps the face as found
(IoU at least ``TURN_IOU``) and scores at least what it did, less ``TURN_SCORE_MARGIN``. The
network scores an upright face turned a quarter almost as high as upright (0.78-0.92 against
0.90-0.94 on six portraits), so the score alone would add a sideways box to upright faces; the
roll says which turn shows the face upright. The detector's merge then replaces the pair by their
enclosing box with the better roll. Boxes are only ever added.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..geometry import grow, iou_matrix
from ..geometry.rotation import boxes_to_stored
from ..types import Faces
from .base import SinglePassNet, infer_checked
from .passes import Pass

# Faces smaller than this (longer side, px) keep their box: below it a turned face is a few dozen
# pixels in the crop, where the network's roll is noise, and the upright growth's slack holds it.
TURN_MIN_SIDE = 48.0
# The largest this many faces of an image are looked at again (a crowd's faces are small and
# upright; three small network runs per face bound the cost).
TURN_MAX_FACES = 8
# A face found at least this sure with a roll this near upright is not looked at again: on the
# portraits every face turned 45 degrees or more came back with a roll over 15 degrees off upright
# or a score under 0.85, and upright faces at 0.90-0.94 within 6 degrees. It saves most of the
# crops on crowds of upright faces.
TURN_SURE_SCORE = 0.85
TURN_SURE_ROLL = 10.0
# The crop around a face: its longer side times this (a turned face's box is short on one axis).
TURN_CROP = 2.2
# The crop is brought down to at most this many px a side (the face is then about 100 px).
TURN_SIDE = 256
# A box in a turned crop is the same face when it overlaps the face as found at least this much.
TURN_IOU = 0.25
# ... and that turn shows it upright when its roll there is at most this many degrees.
TURN_UPRIGHT = 45.0
# ... and it is taken when it scores at least the face as found less this: the thorough preset's
# fp32 CenterFace found an upside-down face at 0.98 as a short box (85.3 % of the head covered,
# 1000 px), its turned crop at 0.94 (98.2 % with the margin).
TURN_SCORE_MARGIN = 0.05


def turned_faces(net: SinglePassNet, native: Pass, image: np.ndarray, faces: Faces) -> Faces:
    """Boxes of ``faces`` seen better in a quarter-turned crop, in ``image`` pixels (may be empty)."""
    h, w = image.shape[:2]
    if not len(faces) or not net.gives_roll:
        return Faces.empty()
    side = np.maximum(faces.widths, faces.heights)
    sure = (faces.scores >= TURN_SURE_SCORE) & (np.abs(faces.roll) <= TURN_SURE_ROLL)  # NaN: not sure
    idx = np.nonzero((side >= TURN_MIN_SIDE) & ~sure)[0]
    idx = idx[np.argsort(-side[idx], kind="stable")][:TURN_MAX_FACES]
    crops: list[np.ndarray] = []
    meta: list[tuple[int, int, int, int, int, int, float]] = []
    for i in idx.tolist():
        x1, y1, x2, y2 = (float(v) for v in faces.boxes[i])
        cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, TURN_CROP * float(side[i]) / 2
        ox, oy = max(0, math.floor(cx - half)), max(0, math.floor(cy - half))
        ex, ey = min(w, math.ceil(cx + half)), min(h, math.ceil(cy + half))
        if ex - ox < 2 or ey - oy < 2:
            continue
        crop = image[oy:ey, ox:ex]
        s = min(1.0, TURN_SIDE / max(crop.shape[:2]))
        if s < 1.0:
            size = (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s)))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        ch, cw = crop.shape[:2]
        for k in (1, 2, 3):
            crops.append(np.ascontiguousarray(np.rot90(crop, k)))
            meta.append((i, k, ox, oy, cw, ch, s))
    if not crops:
        return Faces.empty()
    answers = infer_checked(net, crops, native.threshold)
    parts = []
    for (i, k, ox, oy, cw, ch, s), found in zip(meta, answers, strict=True):
        if not len(found):
            continue
        found = found.clipped(ch if k % 2 else cw, cw if k % 2 else ch)
        if not len(found):
            continue
        upright = np.abs(found.roll) <= TURN_UPRIGHT  # NaN (unknown): not upright
        back = boxes_to_stored(found, k, cw, ch)  # crop pixels
        boxes = back.boxes.astype(np.float64) / s + np.array([ox, oy, ox, oy], np.float64)
        if native.grow != 1.0:
            boxes = grow(boxes, native.grow)
        keep = (
            upright
            & (back.scores >= faces.scores[i] - TURN_SCORE_MARGIN)
            & (iou_matrix(boxes, faces.boxes[i : i + 1].astype(np.float64))[:, 0] >= TURN_IOU)
        )
        if keep.any():
            parts.append(Faces(boxes[keep].astype(np.float32), back.scores[keep], roll=back.roll[keep]))
    return Faces.merge(parts).clipped(w, h)


__all__ = [
    "TURN_CROP",
    "TURN_IOU",
    "TURN_MAX_FACES",
    "TURN_MIN_SIDE",
    "TURN_SCORE_MARGIN",
    "TURN_SIDE",
    "TURN_SURE_ROLL",
    "TURN_SURE_SCORE",
    "TURN_UPRIGHT",
    "turned_faces",
]
