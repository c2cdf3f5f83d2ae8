"""Face box -> head region: grown, shifted up for hair, clipped so that no edge row is left out."""

from __future__ import annotations

import numpy as np

from ..geometry import grow, without_contained
from ..types import Faces

# Extra growth above the box, as a share of its height: hair and forehead sit above face boxes.
UP_SHIFT = 0.10


def head_regions(faces: Faces, width: int, height: int, scale: float) -> np.ndarray:
    """Integer regions ``(N, 4)`` as ``x1, y1, x2, y2`` (x2/y2 exclusive) inside a W x H frame.

    Each box is grown by ``scale`` around its centre, its top edge raised a further ``UP_SHIFT`` of
    its height, and rounded outwards, so a box edge that falls inside a pixel covers that pixel.
    A region always contains its whole box (clipped to the frame). Every region is
    at least 1 x 1 pixel when its box touches the frame; regions fully outside are dropped.
    """
    if len(faces) == 0:
        return np.zeros((0, 4), np.int64)
    g = grow(faces.boxes, scale, up=UP_SHIFT)
    x1, y1 = np.floor(g[:, 0]), np.floor(g[:, 1])
    x2, y2 = np.ceil(g[:, 2]), np.ceil(g[:, 3])
    # A degenerate box still covers the pixel it sits in.
    x2 = np.maximum(x2, x1 + 1)
    y2 = np.maximum(y2, y1 + 1)
    out = np.stack(
        [np.clip(x1, 0, width), np.clip(y1, 0, height), np.clip(x2, 0, width), np.clip(y2, 0, height)], axis=1
    )
    out = out.astype(np.int64)
    keep = (out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])
    return out[keep]


def ellipse_mask(h: int, w: int) -> np.ndarray:
    """Boolean ``(h, w)`` mask of the ellipse inscribed in an h x w box; never empty."""
    yy = (np.arange(h, dtype=np.float64) + 0.5 - h / 2) / (h / 2)
    xx = (np.arange(w, dtype=np.float64) + 0.5 - w / 2) / (w / 2)
    m = (yy[:, None] ** 2 + xx[None, :] ** 2) <= 1.0
    if not m.any():
        m[h // 2, w // 2] = True
    return m


def region_mask(regions: np.ndarray, width: int, height: int, shape: str) -> np.ndarray:
    """Union of regions as an ``(H, W)`` boolean mask (for evaluation and reports)."""
    mask = np.zeros((height, width), bool)
    for x1, y1, x2, y2 in regions:
        if shape == "ellipse":
            mask[y1:y2, x1:x2] |= ellipse_mask(int(y2 - y1), int(x2 - x1))
        else:
            mask[y1:y2, x1:x2] = True
    return mask


__all__ = ["UP_SHIFT", "ellipse_mask", "head_regions", "region_mask", "without_contained"]
