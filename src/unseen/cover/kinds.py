"""Cover stage for kinds beyond faces (people, text, plates): :class:`Regions` -> pixels, in place.

Painted after the faces, on top, so they only ever add cover. Boxes are rounded outwards (a box
edge inside a pixel covers that pixel) and clipped; a region's own detector has already grown it to
its margin. With a mask (silhouettes), ``solid`` paints the mask's pixels; mosaic and blur paint
the boxes (a mosaic of a silhouette would leave its outline). On video, tracking adds boxes to a
frame (gap filled, held) for regions its own detection missed; the mask stands only for the regions
detected on that frame, so those added boxes are painted as boxes beside it (:func:`beyond_mask`).
"""

from __future__ import annotations

import numpy as np

from ..settings import Settings
from ..types import Faces, Origin, Regions
from . import looks


def box_regions(boxes: Faces, width: int, height: int) -> np.ndarray:
    """Integer ``(N, 4)`` regions ``x1, y1, x2, y2`` (exclusive ends) covering each box, inside the frame."""
    if len(boxes) == 0:
        return np.zeros((0, 4), np.int64)
    b = boxes.boxes.astype(np.float64)
    x1, y1 = np.floor(b[:, 0]), np.floor(b[:, 1])
    x2, y2 = np.maximum(np.ceil(b[:, 2]), x1 + 1), np.maximum(np.ceil(b[:, 3]), y1 + 1)
    out = np.stack(
        [np.clip(x1, 0, width), np.clip(y1, 0, height), np.clip(x2, 0, width), np.clip(y2, 0, height)], axis=1
    ).astype(np.int64)
    return out[(out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])]


def beyond_mask(boxes: Faces) -> Faces:
    """The boxes a frame's mask does not stand for: those of tracks (and untracked boxes) not
    detected on this frame, i.e. added by tracking."""
    detected = boxes.origin == Origin.DETECTED
    seen = set(boxes.track_ids[detected & (boxes.track_ids >= 0)].tolist())
    keep = ~detected & ((boxes.track_ids < 0) | ~np.isin(boxes.track_ids, list(seen)))
    return boxes[np.nonzero(keep)[0]]


def boxes_holding_mask(regions: Regions) -> Faces:
    """``regions``' boxes grown so that together they hold every pixel of its mask (a silhouette may
    reach past its person's box, into the margin the segmentation looked at): each detected box is
    grown to the bounding boxes of the mask's parts it touches, and a part no detected box touches
    is added as a box of its own (detected, untracked). Without a mask: the boxes unchanged. For a
    plan, which keeps boxes, not masks: painting these boxes covers at least the mask."""
    boxes = regions.boxes
    if regions.mask is None or not regions.mask.any():
        return boxes
    import cv2

    mask = regions.mask
    h, w = mask.shape
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    parts = np.column_stack([stats[:, 0], stats[:, 1], stats[:, 0] + stats[:, 2], stats[:, 1] + stats[:, 3]]).astype(
        np.float32
    )
    out = boxes.boxes.astype(np.float32).copy()
    claimed = np.zeros(n, bool)
    claimed[0] = True  # the background
    for i in np.flatnonzero(boxes.origin == Origin.DETECTED).tolist():
        cell = box_regions(boxes[np.array([i])], w, h)
        if not len(cell):
            continue
        x1, y1, x2, y2 = (int(v) for v in cell[0])
        touched = np.unique(labels[y1:y2, x1:x2])
        touched = touched[touched > 0]
        if touched.size:
            claimed[touched] = True
            p = parts[touched]
            out[i, :2] = np.minimum(out[i, :2], p[:, :2].min(axis=0))
            out[i, 2:] = np.maximum(out[i, 2:], p[:, 2:].max(axis=0))
    left = parts[~claimed]
    k = len(left)
    return Faces(
        np.concatenate([out, left]).reshape(-1, 4),
        np.concatenate([boxes.scores, np.ones(k, np.float32)]),
        np.concatenate([boxes.origin, np.full(k, int(Origin.DETECTED), np.uint8)]),
        np.concatenate([boxes.track_ids, np.full(k, -1, np.int64)]),
    )


def cover_regions(frame: np.ndarray, regions: Regions, settings: Settings) -> np.ndarray:
    """Cover ``regions`` on ``frame`` (``(H, W, 3|4)`` uint8) in place; returns the boxes painted."""
    h, w = frame.shape[:2]
    boxes = box_regions(regions.boxes, w, h)
    if regions.mask is not None and settings.mode == "solid":
        if regions.mask.shape != (h, w):
            raise ValueError(f"{regions.kind} mask is {regions.mask.shape}, frame is {(h, w)}")
        frame[regions.mask, :3] = np.asarray(settings.fill, np.uint8)
        if frame.shape[2] == 4:
            frame[regions.mask, 3] = 255
        added = box_regions(beyond_mask(regions.boxes), w, h)
        if len(added):
            looks.solid(frame, added, settings.fill)
    elif settings.mode == "solid":
        looks.solid(frame, boxes, settings.fill)
    elif settings.mode == "mosaic":
        looks.mosaic(frame, boxes, settings.mosaic_blocks)
    elif settings.mode == "blur":
        looks.blur(frame, boxes, settings.mosaic_blocks)
    else:
        raise ValueError(f"no cover for mode {settings.mode!r}")
    return boxes


__all__ = ["beyond_mask", "box_regions", "boxes_holding_mask", "cover_regions"]
