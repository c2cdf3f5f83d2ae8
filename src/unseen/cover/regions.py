"""Face box -> head region: grown, shifted up for hair, clipped so that no edge row is left out."""

from __future__ import annotations


import numpy as np

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
    b = faces.boxes.astype(np.float64)
    bw = b[:, 2] - b[:, 0]
    bh = b[:, 3] - b[:, 1]
    gx = bw * (scale - 1) / 2
    gy = bh * (scale - 1) / 2
    x1 = np.floor(b[:, 0] - gx)
    y1 = np.floor(b[:, 1] - gy - UP_SHIFT * bh)
    x2 = np.ceil(b[:, 2] + gx)
    y2 = np.ceil(b[:, 3] + gy)
    # A degenerate box still covers the pixel it sits in.
    x2 = np.maximum(x2, x1 + 1)
    y2 = np.maximum(y2, y1 + 1)
    out = np.stack([np.clip(x1, 0, width), np.clip(y1, 0, height), np.clip(x2, 0, width), np.clip(y2, 0, height)], axis=1)
    out = out.astype(np.int64)
    keep = (out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])
    return out[keep]


def without_contained(regions: np.ndarray) -> np.ndarray:
    """``regions`` less those lying inside another (of duplicates, the first stays).

    For rectangles the painted union is the same; a video frame's held covers are often dozens of
    nearly equal boxes of one face, and each painted rectangle costs a few microseconds.
    Rectangles only: an ellipse inside a rectangle region's bounds is not inside its ellipse.
    """
    n = len(regions)
    if n <= 1:
        return regions
    r = regions
    keep = np.ones(n, bool)
    idx = np.arange(n)
    for lo in range(0, n, 1024):
        c = r[lo : lo + 1024]
        inside = (
            (c[:, None, 0] >= r[None, :, 0])
            & (c[:, None, 1] >= r[None, :, 1])
            & (c[:, None, 2] <= r[None, :, 2])
            & (c[:, None, 3] <= r[None, :, 3])
        )
        same = np.all(c[:, None, :] == r[None, :, :], axis=2)
        me = idx[lo : lo + 1024, None]
        # inside another that is not identical to it, or identical to an earlier one
        dominated = inside & ((~same) | (idx[None, :] < me)) & (idx[None, :] != me)
        keep[lo : lo + 1024] = ~dominated.any(axis=1)
    return r[keep]


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


def covered_fraction(regions: np.ndarray, width: int, height: int) -> float:
    """Share of the frame inside any rectangle region."""
    if width * height == 0:
        return 0.0
    return float(region_mask(regions, width, height, "rect").sum()) / (width * height)


__all__ = ["head_regions", "ellipse_mask", "region_mask", "covered_fraction", "UP_SHIFT"]
